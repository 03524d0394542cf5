//! The main-process registry of handlers and listeners, and the per-window dispatcher.

use std::collections::HashMap;
use std::panic::AssertUnwindSafe;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError, RwLock};

use futures_util::FutureExt;
use serde_json::Value;
use tokio::runtime::Handle;
use tokio::sync::mpsc;

use crate::console::{ConsoleLevel, ConsoleMessage, ConsoleSource};
use crate::handler::{Erased, ErasedHandler, HandlerFuture};
use crate::protocol::{MainMessage, RendererMessage};
use crate::web_contents::validate_channel;
use crate::{Handler, IpcError, IpcEvent, RendererLink, SenderFrame, WebContents};

/// Bounds applied to everything a renderer sends.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct Limits {
    /// Largest renderer message accepted, in bytes of JSON; larger ones are dropped
    /// unparsed (the preload runtime refuses them before sending). Default 32 MiB.
    pub max_message_bytes: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            max_message_bytes: 32 * 1024 * 1024,
        }
    }
}

impl Limits {
    /// Sets [`Limits::max_message_bytes`].
    pub fn max_message_bytes(mut self, bytes: usize) -> Self {
        self.max_message_bytes = bytes;
        self
    }
}

/// Identifies a listener added with [`IpcMain::on`] or [`IpcMain::once`], for
/// [`IpcMain::remove_listener`] (Rust closures have no identity to compare).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct ListenerId(u64);

type ConsoleHook = Arc<dyn Fn(&ConsoleMessage) + Send + Sync>;

struct HandlerSlot {
    handler: Arc<dyn ErasedHandler>,
    once: bool,
}

struct ListenerSlot {
    id: ListenerId,
    handler: Arc<dyn ErasedHandler>,
    once: bool,
}

struct Registry {
    runtime: Handle,
    limits: Limits,
    handlers: Mutex<HashMap<String, HandlerSlot>>,
    listeners: Mutex<HashMap<String, Vec<ListenerSlot>>>,
    console_hooks: RwLock<Vec<ConsoleHook>>,
    next_listener: AtomicU64,
}

/// The main process's IPC registry (Electron's `ipcMain`). Cheap to clone; all clones
/// share one registry.
///
/// Handlers and listeners run on the tokio runtime given to [`IpcMain::new`]. Messages
/// from one window are taken in the order they were sent: a synchronous handler has
/// returned before the next message of that window is looked at, while async handlers
/// then go on concurrently, as Electron's do.
#[derive(Clone)]
pub struct IpcMain {
    registry: Arc<Registry>,
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    // No user code runs while these locks are held, so a poisoned lock still holds
    // consistent data.
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

impl IpcMain {
    /// A registry whose handlers run on `runtime`, with default [`Limits`].
    pub fn new(runtime: Handle) -> Self {
        Self::with_limits(runtime, Limits::default())
    }

    /// A registry with the given limits.
    pub fn with_limits(runtime: Handle, limits: Limits) -> Self {
        Self {
            registry: Arc::new(Registry {
                runtime,
                limits,
                handlers: Mutex::default(),
                listeners: Mutex::default(),
                console_hooks: RwLock::default(),
                next_listener: AtomicU64::new(1),
            }),
        }
    }

    /// The runtime handlers run on.
    pub fn runtime(&self) -> &Handle {
        &self.registry.runtime
    }

    /// The limits applied to renderer messages.
    pub fn limits(&self) -> Limits {
        self.registry.limits
    }

    /// Handles `ipcRenderer.invoke(channel, ..)` (`ipcMain.handle`). The handler's
    /// return value resolves the renderer's promise; an error, a panic or a wrong
    /// argument type rejects it with `Error invoking remote method '<channel>': <reason>`.
    ///
    /// Fails if the channel already has a handler, as Electron does.
    pub fn handle<H, M>(&self, channel: impl Into<String>, handler: H) -> Result<(), IpcError>
    where
        H: Handler<M>,
        M: 'static,
    {
        self.insert_handler(channel.into(), Arc::new(Erased::new(handler)), false)
    }

    /// Like [`IpcMain::handle`], but the handler is removed after its first invoke.
    pub fn handle_once<H, M>(&self, channel: impl Into<String>, handler: H) -> Result<(), IpcError>
    where
        H: Handler<M>,
        M: 'static,
    {
        self.insert_handler(channel.into(), Arc::new(Erased::new(handler)), true)
    }

    fn insert_handler(
        &self,
        channel: String,
        handler: Arc<dyn ErasedHandler>,
        once: bool,
    ) -> Result<(), IpcError> {
        validate_channel(&channel)?;
        let mut handlers = lock(&self.registry.handlers);
        if handlers.contains_key(&channel) {
            return Err(IpcError::HandlerAlreadyRegistered(channel));
        }
        handlers.insert(channel, HandlerSlot { handler, once });
        Ok(())
    }

    /// Removes the handler of `channel`; returns whether there was one.
    pub fn remove_handler(&self, channel: &str) -> bool {
        lock(&self.registry.handlers).remove(channel).is_some()
    }

    /// Whether `channel` has an invoke handler.
    pub fn has_handler(&self, channel: &str) -> bool {
        lock(&self.registry.handlers).contains_key(channel)
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

    /// Like [`IpcMain::on`], but the listener is removed after its first message.
    pub fn once<H, M>(&self, channel: impl Into<String>, listener: H) -> ListenerId
    where
        H: Handler<M>,
        M: 'static,
    {
        self.insert_listener(channel.into(), Arc::new(Erased::new(listener)), true)
    }

    fn insert_listener(
        &self,
        channel: String,
        handler: Arc<dyn ErasedHandler>,
        once: bool,
    ) -> ListenerId {
        let id = ListenerId(self.registry.next_listener.fetch_add(1, Ordering::Relaxed));
        lock(&self.registry.listeners)
            .entry(channel)
            .or_default()
            .push(ListenerSlot { id, handler, once });
        id
    }

    /// Removes one listener (`ipcMain.removeListener` / `off`); returns whether it was there.
    pub fn remove_listener(&self, channel: &str, id: ListenerId) -> bool {
        let mut listeners = lock(&self.registry.listeners);
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
    /// (`ipcMain.removeAllListeners`).
    pub fn remove_all_listeners(&self, channel: Option<&str>) {
        let mut listeners = lock(&self.registry.listeners);
        match channel {
            Some(channel) => {
                listeners.remove(channel);
            }
            None => listeners.clear(),
        }
    }

    /// How many listeners `channel` has.
    pub fn listener_count(&self, channel: &str) -> usize {
        lock(&self.registry.listeners)
            .get(channel)
            .map_or(0, Vec::len)
    }

    /// Calls `hook` for every console message forwarded from any renderer (Electron's
    /// `console-message` event). Messages are also logged through `tracing` under the
    /// target `voltaic::console` whether or not a hook is set.
    pub fn on_console_message(&self, hook: impl Fn(&ConsoleMessage) + Send + Sync + 'static) {
        self.registry
            .console_hooks
            .write()
            .unwrap_or_else(PoisonError::into_inner)
            .push(Arc::new(hook));
    }

    /// Connects a renderer: returns the [`Connection`] through which the transport
    /// feeds it messages, holding the renderer's [`WebContents`]. Spawns the task that
    /// takes the renderer's messages in order on the handler runtime; it ends when the
    /// connection is dropped.
    pub fn connect(&self, id: u32, link: Arc<dyn RendererLink>) -> Connection {
        let web_contents = WebContents::new(id, link);
        let (inbox, mut queue) = mpsc::unbounded_channel::<Incoming>();
        let ipc = self.clone();
        let sender = web_contents.clone();
        self.registry.runtime.spawn(async move {
            while let Some(incoming) = queue.recv().await {
                ipc.process(&sender, incoming).await;
            }
        });
        Connection {
            web_contents,
            inbox,
            max_message_bytes: self.registry.limits.max_message_bytes,
        }
    }

    async fn process(&self, sender: &WebContents, Incoming { frame, raw }: Incoming) {
        let limit = self.registry.limits.max_message_bytes;
        match RendererMessage::parse(&raw, limit) {
            Err(error) => {
                tracing::warn!(
                    window = sender.id(),
                    origin = frame.origin(),
                    "refused renderer message: {error}"
                );
                if let Some(id) = RendererMessage::salvage_invoke_id(&raw, limit) {
                    reject(sender, id, "<malformed>", &error.to_string());
                }
            }
            Ok(RendererMessage::Send { ch, args }) => self.emit(sender, frame, ch, args).await,
            Ok(RendererMessage::Invoke { id, ch, args }) => {
                self.invoke(sender, frame, id, ch, args).await
            }
            Ok(RendererMessage::Console {
                level,
                source,
                text,
            }) => self.console(sender.id(), level, source, text),
        }
    }

    async fn emit(&self, sender: &WebContents, frame: SenderFrame, ch: String, args: Vec<Value>) {
        let listeners: Vec<Arc<dyn ErasedHandler>> = {
            let mut registry = lock(&self.registry.listeners);
            let Some(list) = registry.get_mut(&ch) else {
                tracing::debug!(window = sender.id(), "no listener for '{ch}'");
                return;
            };
            let handlers = list.iter().map(|slot| slot.handler.clone()).collect();
            list.retain(|slot| !slot.once);
            if list.is_empty() {
                registry.remove(&ch);
            }
            handlers
        };
        for listener in listeners {
            let event = IpcEvent::new(ch.clone(), sender.clone(), frame.clone());
            let channel = ch.clone();
            let window = sender.id();
            self.run(&*listener, event, args.clone(), move |outcome| {
                if let Err(error) = outcome {
                    tracing::error!(window, "listener for '{channel}' failed: {error}");
                }
            })
            .await;
        }
    }

    async fn invoke(
        &self,
        sender: &WebContents,
        frame: SenderFrame,
        id: u64,
        ch: String,
        args: Vec<Value>,
    ) {
        if let Err(error) = validate_channel(&ch) {
            return reject(sender, id, &ch, &error.to_string());
        }
        let handler = {
            let mut handlers = lock(&self.registry.handlers);
            match handlers.get(&ch) {
                Some(slot) if slot.once => handlers.remove(&ch).map(|slot| slot.handler),
                Some(slot) => Some(slot.handler.clone()),
                None => None,
            }
        };
        let Some(handler) = handler else {
            return reject(
                sender,
                id,
                &ch,
                &IpcError::NoHandler(ch.clone()).to_string(),
            );
        };
        let event = IpcEvent::new(ch.clone(), sender.clone(), frame);
        let target = sender.clone();
        self.run(&*handler, event, args, move |outcome| {
            let message = match outcome {
                Ok(value) => MainMessage::Resolve { id, value },
                Err(error) => {
                    tracing::warn!(window = target.id(), "invoke of '{ch}' failed: {error}");
                    MainMessage::Reject {
                        id,
                        error: invoke_error(&ch, &error.to_string()),
                    }
                }
            };
            if let Err(error) = target.post(&message) {
                tracing::debug!("reply to invoke of '{ch}' not delivered: {error}");
            }
        })
        .await;
    }

    /// Runs a handler: its synchronous part (all of a sync handler) right here, in
    /// message order; if it is still pending after one poll, the rest on its own task.
    /// Panics are caught and reported as errors.
    async fn run(
        &self,
        handler: &dyn ErasedHandler,
        event: IpcEvent,
        args: Vec<Value>,
        finish: impl FnOnce(Result<Value, IpcError>) + Send + 'static,
    ) {
        let created = std::panic::catch_unwind(AssertUnwindSafe(|| handler.call(event, args)));
        let future: HandlerFuture = match created {
            Ok(future) => future,
            Err(panic) => return finish(Err(panic_error(panic))),
        };
        let mut guarded = AssertUnwindSafe(future).catch_unwind().boxed();
        match futures_util::poll!(&mut guarded) {
            std::task::Poll::Ready(outcome) => {
                finish(outcome.unwrap_or_else(|p| Err(panic_error(p))))
            }
            std::task::Poll::Pending => {
                self.registry.runtime.spawn(async move {
                    finish(guarded.await.unwrap_or_else(|p| Err(panic_error(p))));
                });
            }
        }
    }

    fn console(&self, window_id: u32, level: ConsoleLevel, source: ConsoleSource, text: String) {
        let message = ConsoleMessage {
            window_id,
            level,
            source,
            text,
        };
        let world = match source {
            ConsoleSource::Page => "page",
            ConsoleSource::Preload => "preload",
        };
        let text = &message.text;
        match level {
            ConsoleLevel::Debug => {
                tracing::debug!(target: "voltaic::console", window = window_id, world, "{text}")
            }
            ConsoleLevel::Info => {
                tracing::info!(target: "voltaic::console", window = window_id, world, "{text}")
            }
            ConsoleLevel::Warn => {
                tracing::warn!(target: "voltaic::console", window = window_id, world, "{text}")
            }
            ConsoleLevel::Error => {
                tracing::error!(target: "voltaic::console", window = window_id, world, "{text}")
            }
        }
        let hooks = self
            .registry
            .console_hooks
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .clone();
        for hook in hooks {
            hook(&message);
        }
    }
}

impl std::fmt::Debug for IpcMain {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("IpcMain")
            .field("limits", &self.registry.limits)
            .finish_non_exhaustive()
    }
}

/// A message as the transport received it, before parsing.
struct Incoming {
    frame: SenderFrame,
    raw: String,
}

/// The transport's side of a connected renderer, from [`IpcMain::connect`]. Dropping
/// it disconnects the renderer: messages already queued are still handled.
pub struct Connection {
    web_contents: WebContents,
    inbox: mpsc::UnboundedSender<Incoming>,
    max_message_bytes: usize,
}

impl Connection {
    /// The connected renderer's handle.
    pub fn web_contents(&self) -> &WebContents {
        &self.web_contents
    }

    /// Queues one raw message from the renderer, with the frame the transport saw it
    /// come from. Never blocks and never panics; messages over the size limit are
    /// dropped here, before any copy or parse.
    pub fn dispatch(&self, frame: SenderFrame, raw: String) {
        if raw.len() > self.max_message_bytes {
            tracing::warn!(
                window = self.web_contents.id(),
                origin = frame.origin(),
                "dropped a renderer message of {} bytes (limit {})",
                raw.len(),
                self.max_message_bytes
            );
            return;
        }
        // The queue only closes when the runtime shuts down; nothing is left to answer then.
        let _ = self.inbox.send(Incoming { frame, raw });
    }
}

impl std::fmt::Debug for Connection {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Connection")
            .field("web_contents", &self.web_contents)
            .finish_non_exhaustive()
    }
}

fn invoke_error(channel: &str, reason: &str) -> String {
    format!("Error invoking remote method '{channel}': {reason}")
}

fn reject(sender: &WebContents, id: u64, channel: &str, reason: &str) {
    let message = MainMessage::Reject {
        id,
        error: invoke_error(channel, reason),
    };
    if let Err(error) = sender.post(&message) {
        tracing::debug!("rejection of invoke {id} not delivered: {error}");
    }
}

fn panic_error(panic: Box<dyn std::any::Any + Send>) -> IpcError {
    let text = panic
        .downcast_ref::<&str>()
        .map(|s| (*s).to_owned())
        .or_else(|| panic.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "handler panicked".to_owned());
    IpcError::Handler(format!("handler panicked: {text}"))
}

#[cfg(test)]
mod tests;
