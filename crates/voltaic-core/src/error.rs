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
    /// A renderer sent a value whose wire form does not decode (a compromised
    /// renderer: the preload runtime never produces one).
    #[error("invalid value on channel '{channel}': {reason}")]
    InvalidValue {
        /// The channel the message was sent on.
        channel: String,
        /// What is wrong with it.
        reason: String,
    },
    /// The handler returned an error or panicked; the text is what the renderer sees.
    #[error("{0}")]
    Handler(String),
    /// The target window is closed (or was never opened).
    #[error("window {0} is closed")]
    WindowClosed(u32),
    /// The window was not granted this channel in this direction (see
    /// [`crate::ChannelGrants`]).
    #[error("channel '{channel}' is not allowed for this window")]
    ChannelNotAllowed {
        /// The channel that was refused.
        channel: String,
        /// The direction it was used in.
        direction: crate::Direction,
    },
    /// The sending document's origin is not one the window accepts messages from.
    #[error("IPC is not allowed from origin '{0}'")]
    OriginNotAllowed(String),
    /// A malformed channel pattern (a `*` anywhere but at the end).
    #[error("invalid channel pattern {0:?}: use a name or a prefix ending in '*'")]
    InvalidPattern(String),
    /// A value did not match its channel's schema.
    #[error("invalid {part} for channel '{channel}' at {path}: {reason}")]
    Validation {
        /// The channel.
        channel: String,
        /// `arguments` or `result`.
        part: &'static str,
        /// JSON Pointer to the offending value (`(root)` for the whole value).
        path: String,
        /// Why it does not match.
        reason: String,
    },
    /// A schema given to [`crate::IpcMain::set_schema`] is not a valid JSON Schema.
    #[error("invalid schema for channel '{channel}': {reason}")]
    InvalidSchema {
        /// The channel.
        channel: String,
        /// What the validator said.
        reason: String,
    },
    /// A value nested deeper than [`crate::Limits::max_depth`].
    #[error("IPC message nested deeper than the limit of {0}")]
    TooDeep(usize),
    /// The window sent more messages than [`crate::Limits`] allows.
    #[error("IPC rate limit exceeded: more than {0} messages a second")]
    RateLimited(u32),
    /// An [`crate::Api`] cannot be added as declared.
    #[error("invalid API: {0}")]
    InvalidApi(String),
    /// A message port cannot do what was asked (closed, transferred, malformed).
    #[error("message port: {0}")]
    Port(String),
    /// `send_to_frame` named a frame without a preload: only the main frame has one.
    #[error("frame {0} has no preload: only the main frame (id 1) receives messages")]
    NoSuchFrame(u32),
    /// The transport could not deliver the message.
    #[error("could not deliver message to window {window}: {reason}")]
    Delivery {
        /// The target window.
        window: u32,
        /// Why the transport refused.
        reason: String,
    },
}
