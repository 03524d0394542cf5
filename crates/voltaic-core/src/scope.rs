//! One set of invoke handlers and message listeners. `ipcMain` is one, every window's
//! `webContents.ipc` another, and its main frame's `ipc` a third; a renderer message
//! looks through them from the narrowest out.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use crate::handler::{Erased, ErasedHandler};
use crate::ipc_main::lock;
use crate::web_contents::validate_channel;
use crate::{Handler, IpcError};

/// Identifies a listener added with [`IpcScope::on`] or [`IpcScope::once`], for
/// [`IpcScope::remove_listener`] (Rust closures have no identity to compare). Unique
/// across every scope of the process.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct ListenerId(u64);

// Process-wide, so an id taken from one scope never removes another's listener.
static NEXT_LISTENER: AtomicU64 = AtomicU64::new(1);

struct HandlerSlot {
    handler: Arc<dyn ErasedHandler>,
    once: bool,
}

struct ListenerSlot {
    id: ListenerId,
    handler: Arc<dyn ErasedHandler>,
    once: bool,
}

#[derive(Default)]
struct Slots {
    handlers: Mutex<HashMap<String, HandlerSlot>>,
    listeners: Mutex<HashMap<String, Vec<ListenerSlot>>>,
}

/// Handlers and listeners for renderer messages: what `ipcMain`, `webContents.ipc`
/// and `webFrameMain.ipc` each are in Electron. Cheap to clone; clones share the
/// set.
///
/// A message from a window is looked up in its main frame's scope
/// ([`crate::WebFrameMain::ipc`]), then the window's ([`crate::WebContents::ipc`]),
/// then [`crate::IpcMain`]'s:
/// - `send` and `sendSync` reach every listener of all three, in that order;
/// - `invoke` goes to the first handler found, so a window's handler overrides the
///   app-wide one for that window only.
///
/// Grants and schemas are not per scope: a channel must still be granted to the
/// window, and [`crate::IpcMain::set_schema`] applies wherever it is handled.
///
/// ```
/// # use std::sync::Arc;
/// # use voltaic_core::{IpcError, IpcMain, Packet, RendererLink, WindowPolicy};
/// # struct Page; // stands in for a renderer
/// # impl RendererLink for Page { fn post(&self, _: Packet) -> Result<(), IpcError> { Ok(()) } }
/// # let runtime = tokio::runtime::Runtime::new().unwrap();
/// # let ipc_main = IpcMain::new(runtime.handle().clone());
/// # let web_contents_window = ipc_main.connect(1, Arc::new(Page), WindowPolicy::permissive());
/// # let web_contents = web_contents_window.web_contents();
/// use voltaic_core::IpcEvent;
///
/// // Only this window's invokes of 'title' get its own answer.
/// web_contents.ipc().handle("title", |_event: IpcEvent| async { Ok::<_, String>("Editor") })?;
/// # Ok::<(), IpcError>(())
/// ```
#[derive(Clone, Default)]
pub struct IpcScope {
    slots: Arc<Slots>,
}

impl IpcScope {
    /// Handles `ipcRenderer.invoke(channel, ..)` (`ipcMain.handle`). The handler's
    /// return value resolves the renderer's promise; an error, a panic or a wrong
    /// argument type rejects it with `Error invoking remote method '<channel>': <reason>`.
    ///
    /// Fails if the channel already has a handler in this scope, as Electron does.
    pub fn handle<H, M>(&self, channel: impl Into<String>, handler: H) -> Result<(), IpcError>
    where
        H: Handler<M>,
        M: 'static,
    {
        self.insert_handler(channel.into(), Arc::new(Erased::new(handler)), false)
    }

    /// Like [`IpcScope::handle`], but the handler is removed after its first invoke.
    pub fn handle_once<H, M>(&self, channel: impl Into<String>, handler: H) -> Result<(), IpcError>
    where
        H: Handler<M>,
        M: 'static,
    {
        self.insert_handler(channel.into(), Arc::new(Erased::new(handler)), true)
    }

    pub(crate) fn insert_handler(
        &self,
        channel: String,
        handler: Arc<dyn ErasedHandler>,
        once: bool,
    ) -> Result<(), IpcError> {
        validate_channel(&channel)?;
        let mut handlers = lock(&self.slots.handlers);
        if handlers.contains_key(&channel) {
            return Err(IpcError::HandlerAlreadyRegistered(channel));
        }
        handlers.insert(channel, HandlerSlot { handler, once });
        Ok(())
    }

    /// Removes the handler of `channel`; returns whether there was one.
    pub fn remove_handler(&self, channel: &str) -> bool {
        lock(&self.slots.handlers).remove(channel).is_some()
    }

    /// Whether `channel` has an invoke handler in this scope.
    pub fn has_handler(&self, channel: &str) -> bool {
        lock(&self.slots.handlers).contains_key(channel)
    }

    /// Listens to `ipcRenderer.send(channel, ..)` (`ipcMain.on`). Every listener of the
    /// channel runs, in the order added. What a listener returns is dropped; an error
    /// or panic is logged.
    pub fn on<H, M>(&self, channel: impl Into<String>, listener: H) -> ListenerId
    where
        H: Handler<M>,
        M: 'static,
    {
        self.insert_listener(channel.into(), Arc::new(Erased::new(listener)), false)
    }

    /// Like [`IpcScope::on`], but the listener is removed after its first message.
    pub fn once<H, M>(&self, channel: impl Into<String>, listener: H) -> ListenerId
    where
        H: Handler<M>,
        M: 'static,
    {
        self.insert_listener(channel.into(), Arc::new(Erased::new(listener)), true)
    }

    pub(crate) fn insert_listener(
        &self,
        channel: String,
        handler: Arc<dyn ErasedHandler>,
        once: bool,
    ) -> ListenerId {
        let id = ListenerId(NEXT_LISTENER.fetch_add(1, Ordering::Relaxed));
        lock(&self.slots.listeners)
            .entry(channel)
            .or_default()
            .push(ListenerSlot { id, handler, once });
        id
    }

    /// Removes one listener (`removeListener` / `off`); returns whether it was there.
    pub fn remove_listener(&self, channel: &str, id: ListenerId) -> bool {
        let mut listeners = lock(&self.slots.listeners);
        let Some(list) = listeners.get_mut(channel) else {
            return false;
        };
        let before = list.len();
        list.retain(|slot| slot.id != id);
        let removed = list.len() != before;
        if list.is_empty() {
            listeners.remove(channel);
        }
        removed
    }

    /// Removes every listener of `channel`, or of every channel when `None`
    /// (`removeAllListeners`).
    pub fn remove_all_listeners(&self, channel: Option<&str>) {
        let mut listeners = lock(&self.slots.listeners);
        match channel {
            Some(channel) => {
                listeners.remove(channel);
            }
            None => listeners.clear(),
        }
    }

    /// How many listeners `channel` has in this scope.
    pub fn listener_count(&self, channel: &str) -> usize {
        lock(&self.slots.listeners).get(channel).map_or(0, Vec::len)
    }

    /// The handler for one invoke of `channel`; a `handle_once` handler leaves.
    pub(crate) fn take_handler(&self, channel: &str) -> Option<Arc<dyn ErasedHandler>> {
        let mut handlers = lock(&self.slots.handlers);
        match handlers.get(channel) {
            Some(slot) if slot.once => handlers.remove(channel).map(|slot| slot.handler),
            Some(slot) => Some(slot.handler.clone()),
            None => None,
        }
    }

    /// The listeners for one message on `channel`, appended to `into`; `once`
    /// listeners leave.
    pub(crate) fn take_listeners(&self, channel: &str, into: &mut Vec<Arc<dyn ErasedHandler>>) {
        let mut listeners = lock(&self.slots.listeners);
        let Some(list) = listeners.get_mut(channel) else {
            return;
        };
        into.extend(list.iter().map(|slot| slot.handler.clone()));
        list.retain(|slot| !slot.once);
        if list.is_empty() {
            listeners.remove(channel);
        }
    }

    /// Drops every handler and listener: a closed window's scopes let go of what
    /// their closures hold (often the window's own `WebContents`).
    pub(crate) fn clear(&self) {
        lock(&self.slots.handlers).clear();
        lock(&self.slots.listeners).clear();
    }
}

impl std::fmt::Debug for IpcScope {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("IpcScope")
            .field("handlers", &lock(&self.slots.handlers).len())
            .field("listeners", &lock(&self.slots.listeners).len())
            .finish()
    }
}
