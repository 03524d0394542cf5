use std::sync::{Arc, Mutex, PoisonError};

use crate::Value;
use serde::Serialize;
use tokio::sync::oneshot;

use crate::{IpcError, MessagePortMain, SenderFrame, WebContents};

/// Where a `sendSync` listener puts its answer; the renderer waits until one is set
/// or every listener has let go of the event.
#[derive(Debug)]
pub(crate) struct ReturnSlot(Mutex<Option<oneshot::Sender<Value>>>);

impl ReturnSlot {
    pub(crate) fn new() -> (Arc<Self>, oneshot::Receiver<Value>) {
        let (tx, rx) = oneshot::channel();
        (Arc::new(Self(Mutex::new(Some(tx)))), rx)
    }
}

/// What a handler learns about a message besides its arguments (Electron's
/// `IpcMainEvent` / `IpcMainInvokeEvent`). Sender and frame come from the transport,
/// never from the message body, so a page cannot forge them.
#[derive(Debug, Clone)]
pub struct IpcEvent {
    channel: String,
    sender: WebContents,
    frame: SenderFrame,
    return_slot: Option<Arc<ReturnSlot>>,
    ports: Vec<MessagePortMain>,
}

impl IpcEvent {
    /// Creates an event; transports and tests use this, handlers receive it.
    pub fn new(channel: String, sender: WebContents, frame: SenderFrame) -> Self {
        Self {
            channel,
            sender,
            frame,
            return_slot: None,
            ports: Vec::new(),
        }
    }

    pub(crate) fn with_ports(mut self, ports: Vec<MessagePortMain>) -> Self {
        self.ports = ports;
        self
    }

    /// The ports the renderer transferred with `ipcRenderer.postMessage`
    /// (`event.ports`); empty for other messages.
    ///
    /// ```
    /// # use std::sync::Arc;
    /// # use voltaic_core::{IpcError, IpcMain, Packet, RendererLink, WindowPolicy};
    /// # struct Page; // stands in for a renderer
    /// # impl RendererLink for Page { fn post(&self, _: Packet) -> Result<(), IpcError> { Ok(()) } }
    /// # let runtime = tokio::runtime::Runtime::new().unwrap();
    /// # let ipc_main = IpcMain::new(runtime.handle().clone());
    /// use voltaic_core::{IpcEvent, Value};
    ///
    /// ipc_main.on("port", |event: IpcEvent, _message: Value| {
    ///     if let Some(port) = event.ports().first().cloned() {
    ///         let reply = port.clone();
    ///         port.on_message(move |m| {
    ///             let _ = reply.post_message(m.data);
    ///         });
    ///         port.start();
    ///     }
    /// });
    /// ```
    pub fn ports(&self) -> &[MessagePortMain] {
        &self.ports
    }

    pub(crate) fn with_return_slot(mut self, slot: Arc<ReturnSlot>) -> Self {
        self.return_slot = Some(slot);
        self
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
    pub fn reply<T: Serialize + 'static>(&self, channel: &str, args: T) -> Result<(), IpcError> {
        self.sender.send(channel, args)
    }

    /// Answers an `ipcRenderer.sendSync` (Electron's `event.returnValue = value`).
    /// The renderer is blocked until a listener sets it, now or later; the first value
    /// set wins. Fails for messages sent with `send`, which nobody waits on.
    ///
    /// ```
    /// # use std::sync::Arc;
    /// # use voltaic_core::{IpcError, IpcMain, Packet, RendererLink, WindowPolicy};
    /// # struct Page; // stands in for a renderer
    /// # impl RendererLink for Page { fn post(&self, _: Packet) -> Result<(), IpcError> { Ok(()) } }
    /// # let runtime = tokio::runtime::Runtime::new().unwrap();
    /// # let ipc_main = IpcMain::new(runtime.handle().clone());
    /// use voltaic_core::IpcEvent;
    ///
    /// ipc_main.on("sync-add", |event: IpcEvent, a: i64, b: i64| {
    ///     let _ = event.set_return_value(a + b);
    /// });
    /// ```
    pub fn set_return_value<T: Serialize + 'static>(&self, value: T) -> Result<(), IpcError> {
        let slot = self.return_slot.as_ref().ok_or_else(|| {
            IpcError::Handler(format!(
                "'{}' was sent with send, not sendSync: nothing waits for a return value",
                self.channel
            ))
        })?;
        let value = crate::value::into_value(value)?;
        if let Some(tx) = slot.0.lock().unwrap_or_else(PoisonError::into_inner).take() {
            // The renderer may have given up (window closed); nothing else to do then.
            let _ = tx.send(value);
        }
        Ok(())
    }
}
