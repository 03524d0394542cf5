use thiserror::Error;

/// Errors of the IPC layer, as values: nothing here panics on renderer input.
#[derive(Debug, Clone, Error, PartialEq, Eq)]
#[non_exhaustive]
pub enum IpcError {
    /// `handle` was called for a channel that already has a handler (Electron throws the same).
    #[error("Attempted to register a second handler for '{0}'")]
    HandlerAlreadyRegistered(String),
    /// A channel name that is empty, too long, or otherwise unusable.
    #[error(
        "invalid channel name {0:?}: channels are non-empty strings of at most 256 characters"
    )]
    InvalidChannel(String),
    /// `invoke` reached a channel nobody handles.
    #[error("No handler registered for '{0}'")]
    NoHandler(String),
    /// An argument from the renderer did not deserialize into the handler's parameter type.
    #[error("invalid argument {index} for channel '{channel}': {reason}")]
    InvalidArgument {
        /// The channel the message was sent on.
        channel: String,
        /// Zero-based position of the offending argument (after the event).
        index: usize,
        /// What serde said about it.
        reason: String,
    },
    /// A value could not be turned into JSON (for example a map with non-string keys).
    #[error("could not serialize value: {0}")]
    Serialize(String),
    /// The handler returned an error or panicked; the text is what the renderer sees.
    #[error("{0}")]
    Handler(String),
    /// The target window is closed (or was never opened).
    #[error("window {0} is closed")]
    WindowClosed(u32),
    /// The transport could not deliver the message.
    #[error("could not deliver message to window {window}: {reason}")]
    Delivery {
        /// The target window.
        window: u32,
        /// Why the transport refused.
        reason: String,
    },
}
