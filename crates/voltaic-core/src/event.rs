use serde::Serialize;

use crate::{IpcError, SenderFrame, WebContents};

/// What a handler learns about a message besides its arguments (Electron's
/// `IpcMainEvent` / `IpcMainInvokeEvent`). Sender and frame come from the transport,
/// never from the message body, so a page cannot forge them.
#[derive(Debug, Clone)]
pub struct IpcEvent {
    channel: String,
    sender: WebContents,
    frame: SenderFrame,
}

impl IpcEvent {
    /// Creates an event; transports and tests use this, handlers receive it.
    pub fn new(channel: String, sender: WebContents, frame: SenderFrame) -> Self {
        Self {
            channel,
            sender,
            frame,
        }
    }

    /// The channel the message arrived on.
    pub fn channel(&self) -> &str {
        &self.channel
    }

    /// The window that sent the message (`event.sender`).
    pub fn sender(&self) -> &WebContents {
        &self.sender
    }

    /// URL and origin of the sending frame (`event.senderFrame`).
    pub fn sender_frame(&self) -> &SenderFrame {
        &self.frame
    }

    /// Sends a message back to the sender (`event.reply`); `args` as in
    /// [`WebContents::send`].
    pub fn reply(&self, channel: &str, args: impl Serialize) -> Result<(), IpcError> {
        self.sender.send(channel, args)
    }
}
