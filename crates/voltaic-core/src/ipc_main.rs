//! The main-process registry of handlers and listeners, and the per-window dispatcher.

use std::collections::HashMap;
use std::future::Future;
use std::panic::AssertUnwindSafe;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError, RwLock};
use std::time::Instant;

use bytes::Bytes;
use futures_util::FutureExt;
use serde_json::Value as Json;
use tokio::runtime::Handle;
use tokio::sync::mpsc;
use tracing::Instrument;

use crate::api::{Api, Kind as ApiKind};
use crate::console::{ConsoleLevel, ConsoleMessage, ConsoleSource};
use crate::event::ReturnSlot;
use crate::handler::{ErasedHandler, HandlerFuture};
use crate::listeners::Listeners;
use crate::policy::{Direction, WindowPolicy};
use crate::protocol::{MainMessage, ProtocolError, RendererMessage};
use crate::rate::RateLimiter;
use crate::schema::{ChannelSchema, Part, Schemas};
use crate::scope::{IpcScope, ListenerId};
use crate::timeline::{self, Event, Refusal as Refused, Timeline};
use crate::web_contents::validate_channel;
use crate::wire::{self, Packet};
use crate::MessagePortMain;
use crate::{Handler, IpcError, IpcEvent, RendererLink, SenderFrame, Value, WebContents};

/// Bounds applied to everything a renderer sends. The preload runtime applies the
/// same numbers, so an honest page gets its error before anything is sent; the main
/// process applies them again because a compromised renderer would not.
///
/// ```
/// use voltaic_core::Limits;
///
/// let limits = Limits::default()
///     .max_message_bytes(1 << 20)
///     .max_depth(32)
///     .rate(500, 1_000);
/// assert_eq!(limits.messages_per_second, 500);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct Limits {
    /// Largest renderer message accepted, in bytes of JSON; larger ones are dropped
    /// unparsed. Default 32 MiB.
    pub max_message_bytes: usize,
    /// Deepest nesting of arrays and objects accepted in a message's arguments.
    /// Default 64; serde_json refuses anything deeper than 128 regardless.
    pub max_depth: usize,
    /// Messages a window may send per second, sustained. Default 10,000.
    pub messages_per_second: u32,
    /// Messages a window may send at once before the sustained rate applies.
    /// Default 20,000.
    pub burst: u32,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            max_message_bytes: 32 * 1024 * 1024,
            max_depth: 64,
            messages_per_second: 10_000,
            burst: 20_000,
        }
    }
}

impl Limits {
    /// Sets [`Limits::max_message_bytes`].
    pub fn max_message_bytes(mut self, bytes: usize) -> Self {
        self.max_message_bytes = bytes;
        self
    }

    /// Sets [`Limits::max_depth`].
    pub fn max_depth(mut self, depth: usize) -> Self {
        self.max_depth = depth;
        self
    }

    /// Sets [`Limits::messages_per_second`] and [`Limits::burst`].
    pub fn rate(mut self, messages_per_second: u32, burst: u32) -> Self {
        self.messages_per_second = messages_per_second;
        self.burst = burst;
        self
    }
}

struct Registry {
    runtime: Handle,
    limits: Limits,
    scope: IpcScope,
    apis: RwLock<HashMap<String, Api>>,
    console_hooks: Listeners<ConsoleMessage>,
    inspector_hooks: Listeners<u32>,
    schemas: Schemas,
    inline: AtomicBool,
    timeline: Timeline,
}

/// The main process's IPC registry (Electron's `ipcMain`). Cheap to clone; all clones
/// share one registry.
///
/// A handler's synchronous part (all of a sync handler, an async one up to its first
/// await) runs where the transport receives the message, the GTK main thread for
/// WebKitGTK, as Electron's `ipcMain` and Tauri's sync commands run on the main thread;
/// async handlers then go on, concurrently, on the tokio runtime given to
/// [`IpcMain::new`]. [`IpcMain::set_inline_dispatch`]`(false)` runs everything on
/// that runtime instead. Either way, messages from one window are taken in the order
/// they were sent: a synchronous handler has returned before the next message of that
/// window is looked at.
#[derive(Clone)]
pub struct IpcMain {
    registry: Arc<Registry>,
}

pub(crate) fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    // No user code runs while these locks are held (here and in `ports`), so a
    // poisoned lock still holds consistent data.
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
                scope: IpcScope::default(),
                apis: RwLock::default(),
                console_hooks: Listeners::default(),
                inspector_hooks: Listeners::default(),
                schemas: Schemas::default(),
                inline: AtomicBool::new(true),
                timeline: Timeline::default(),
            }),
        }
    }

    /// The app's IPC timeline: off until started, then every IPC event of every
    /// window (see [`Timeline`]).
    pub fn timeline(&self) -> &Timeline {
        &self.registry.timeline
    }

    /// The runtime handlers run on.
    pub fn runtime(&self) -> &Handle {
        &self.registry.runtime
    }

    /// Whether each renderer message is handled on the thread that receives it (the
    /// GTK thread, for the WebKitGTK backend): sync handlers, and async ones up to their
    /// first await, run right there, as Electron's `ipcMain` handlers and Tauri's sync
    /// commands run on the main thread. That saves two thread hops per message, but a
    /// slow sync handler holds up every window meanwhile: one that takes over 50 ms is
    /// logged; make it async, or move its work off the thread. On by default; `false`
    /// runs every handler on the tokio runtime (a blocking sync handler then never
    /// freezes a window, at the cost of the hops). Set it before windows open.
    pub fn set_inline_dispatch(&self, inline: bool) {
        self.registry.inline.store(inline, Ordering::Relaxed);
    }

    /// Whether [`IpcMain::set_inline_dispatch`] is on.
    pub fn inline_dispatch(&self) -> bool {
        self.registry.inline.load(Ordering::Relaxed)
    }

    /// The limits applied to renderer messages.
    pub fn limits(&self) -> Limits {
        self.registry.limits
    }

    /// The app-wide handlers and listeners, which every window's messages reach
    /// after its own ([`WebContents::ipc`]). `ipc_main.handle(..)` and the other
    /// methods below are shorthands for `ipc_main.scope().handle(..)`.
    pub fn scope(&self) -> &IpcScope {
        &self.registry.scope
    }

    /// Handles `ipcRenderer.invoke(channel, ..)` (`ipcMain.handle`) from every window
    /// whose own scopes have no handler for it ([`IpcScope::handle`]).
    ///
    /// Fails if the channel already has an app-wide handler, as Electron does.
    pub fn handle<H, M>(&self, channel: impl Into<String>, handler: H) -> Result<(), IpcError>
    where
        H: Handler<M>,
        M: 'static,
    {
        self.registry.scope.handle(channel, handler)
    }

    /// Like [`IpcMain::handle`], but the handler is removed after its first invoke.
    pub fn handle_once<H, M>(&self, channel: impl Into<String>, handler: H) -> Result<(), IpcError>
    where
        H: Handler<M>,
        M: 'static,
    {
        self.registry.scope.handle_once(channel, handler)
    }

    /// Gives `channel` a JSON Schema for its arguments and, for invokes, its result.
    /// Renderer arguments are checked before any handler or listener runs, results
    /// before they leave, and `web_contents.send` arguments before they are sent; a
    /// mismatch is an [`IpcError::Validation`] naming the channel, the JSON Pointer of
    /// the bad value and the reason. Windows created afterwards also get the schema in
    /// their preload, which checks it before sending and before listeners run.
    ///
    /// ```
    /// # let rt = tokio::runtime::Runtime::new().unwrap();
    /// use voltaic_core::{ChannelSchema, IpcMain};
    ///
    /// let ipc_main = IpcMain::new(rt.handle().clone());
    /// ipc_main.set_schema("message-channel", ChannelSchema::new().args::<(String,)>())?;
    /// # Ok::<(), voltaic_core::IpcError>(())
    /// ```
    pub fn set_schema(&self, channel: &str, schema: ChannelSchema) -> Result<(), IpcError> {
        validate_channel(channel)?;
        self.registry.schemas.set(channel, schema)
    }

    /// Removes `channel`'s schema; returns whether it had one.
    pub fn remove_schema(&self, channel: &str) -> bool {
        self.registry.schemas.remove(channel)
    }

    /// Every registered schema as `{channel: {"args": .., "result": ..}}`, for a
    /// backend to hand to the preload runtime.
    pub fn schemas_json(&self) -> Json {
        self.registry.schemas.export()
    }

    /// The channels that have a schema, sorted.
    pub fn schema_channels(&self) -> Vec<String> {
        self.registry.schemas.channels()
    }

    /// Removes the app-wide handler of `channel`; returns whether there was one.
    pub fn remove_handler(&self, channel: &str) -> bool {
        self.registry.scope.remove_handler(channel)
    }

    /// Whether `channel` has an app-wide invoke handler.
    pub fn has_handler(&self, channel: &str) -> bool {
        self.registry.scope.has_handler(channel)
    }

    /// Listens to `ipcRenderer.send(channel, ..)` from every window (`ipcMain.on`),
    /// after the window's own listeners ([`IpcScope::on`]).
    pub fn on<H, M>(&self, channel: impl Into<String>, listener: H) -> ListenerId
    where
        H: Handler<M>,
        M: 'static,
    {
        self.registry.scope.on(channel, listener)
    }

    /// Like [`IpcMain::on`], but the listener is removed after its first message.
    pub fn once<H, M>(&self, channel: impl Into<String>, listener: H) -> ListenerId
    where
        H: Handler<M>,
        M: 'static,
    {
        self.registry.scope.once(channel, listener)
    }

    /// Removes one app-wide listener (`ipcMain.removeListener` / `off`); returns
    /// whether it was there.
    pub fn remove_listener(&self, channel: &str, id: ListenerId) -> bool {
        self.registry.scope.remove_listener(channel, id)
    }

    /// Removes every app-wide listener of `channel`, or of every channel when `None`
    /// (`ipcMain.removeAllListeners`).
    pub fn remove_all_listeners(&self, channel: Option<&str>) {
        self.registry.scope.remove_all_listeners(channel)
    }

    /// How many app-wide listeners `channel` has.
    pub fn listener_count(&self, channel: &str) -> usize {
        self.registry.scope.listener_count(channel)
    }

    /// Adds an API declared in Rust (see [`Api`]): registers its handlers and
    /// listeners on the app-wide scope under its derived channels, with the schemas of
    /// their Rust types, and keeps it for the windows that name it. Fails if its name
    /// is not a JavaScript identifier, if an API of that name was added before, or if
    /// one of its channels already has a handler.
    pub fn add_api(&self, api: &Api) -> Result<(), IpcError> {
        let name = api.name();
        if !crate::api::is_identifier(name) {
            return Err(IpcError::InvalidApi(format!(
                "{:?} is not a JavaScript identifier",
                name.chars().take(64).collect::<String>()
            )));
        }
        let mut apis = self
            .registry
            .apis
            .write()
            .unwrap_or_else(PoisonError::into_inner);
        if apis.contains_key(name) {
            return Err(IpcError::InvalidApi(format!(
                "an API named {name:?} was added before"
            )));
        }
        let members = api.members();
        let mut seen = std::collections::HashSet::new();
        for member in members.iter() {
            if !seen.insert(member.name.as_str()) || !crate::api::is_identifier(&member.name) {
                return Err(IpcError::InvalidApi(format!(
                    "{name}.{}: member names must be distinct JavaScript identifiers",
                    member.name.chars().take(64).collect::<String>()
                )));
            }
            // Checked before anything is registered, so a refused API leaves nothing.
            let channel = api.channel(&member.name);
            if matches!(member.kind, ApiKind::Call(_)) && self.registry.scope.has_handler(&channel)
            {
                return Err(IpcError::HandlerAlreadyRegistered(channel));
            }
        }
        for member in members.iter() {
            let channel = api.channel(&member.name);
            match &member.kind {
                ApiKind::Call(handler) => {
                    self.registry
                        .scope
                        .insert_handler(channel.clone(), handler.clone(), false)?;
                }
                ApiKind::Send(listener) => {
                    self.registry
                        .scope
                        .insert_listener(channel.clone(), listener.clone(), false);
                }
                ApiKind::Event | ApiKind::Live => {}
            }
            self.set_schema(&channel, member.schema.clone())?;
        }
        if api.has_live_values() {
            self.set_schema(&api.live_channel(), ChannelSchema::new().args::<()>())?;
            let live = api.clone();
            self.registry
                .scope
                .on(api.live_channel(), move |event: IpcEvent| {
                    event.set_return_value(live.live_values())
                });
        }
        drop(members);
        apis.insert(name.to_owned(), api.clone());
        Ok(())
    }

    /// TypeScript declarations for the page (the text of a `.d.ts` module), generated
    /// from the schemas of the Rust types: every type used (structs and enums, with
    /// their doc comments as TSDoc), the interface of each API added with
    /// [`IpcMain::add_api`] and the `Window` properties they are exposed as, and
    /// `IpcChannels`, every channel with a schema, for preloads written by hand
    /// (`TypedIpcRenderer` types `ipcRenderer` by it).
    pub fn typescript(&self) -> String {
        crate::typescript::generate(&self.apis(), &self.schemas_json())
    }

    /// A JavaScript module for the page's own unit tests, without the app: its
    /// `mockApis(implementations, target)` puts each API added with
    /// [`IpcMain::add_api`] on `target` (`window`), backed by the functions the test
    /// supplies, and returns handles that record calls and sends, fire events and
    /// change live values. Its declarations are [`IpcMain::page_mock_types`].
    pub fn page_mock(&self) -> String {
        crate::page_mock::module(&self.apis())
    }

    /// The declarations of [`IpcMain::page_mock`] (a `.d.ts` module to sit beside
    /// [`IpcMain::typescript`]'s as `voltaic-mock.d.ts`), typed by the APIs'
    /// interfaces.
    pub fn page_mock_types(&self) -> String {
        crate::page_mock::declarations(&self.apis())
    }

    /// Writes the page's declarations and its mock into `dir`: `voltaic.d.ts`,
    /// `voltaic-mock.js` and `voltaic-mock.d.ts`, each only if it changed; returns
    /// whether any was written.
    pub fn write_page_files(&self, dir: impl AsRef<std::path::Path>) -> std::io::Result<bool> {
        let dir = dir.as_ref();
        let mut wrote = self.write_typescript(dir.join("voltaic.d.ts"))?;
        for (name, text) in [
            ("voltaic-mock.js", self.page_mock()),
            ("voltaic-mock.d.ts", self.page_mock_types()),
        ] {
            wrote |= write_if_changed(&dir.join(name), &text)?;
        }
        Ok(wrote)
    }

    /// Writes [`IpcMain::typescript`] to `path`, unless the file already holds it
    /// (so that a build watching the file does not rebuild for nothing); returns
    /// whether it wrote. For a build step: declare the APIs, then call this.
    pub fn write_typescript(&self, path: impl AsRef<std::path::Path>) -> std::io::Result<bool> {
        write_if_changed(path.as_ref(), &self.typescript())
    }

    /// The API added under `name`, if any.
    pub fn api(&self, name: &str) -> Option<Api> {
        self.registry
            .apis
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .get(name)
            .cloned()
    }

    /// Every API added, by name.
    pub fn apis(&self) -> Vec<Api> {
        let apis = self
            .registry
            .apis
            .read()
            .unwrap_or_else(PoisonError::into_inner);
        let mut list: Vec<Api> = apis.values().cloned().collect();
        list.sort_by(|a, b| a.name().cmp(b.name()));
        list
    }

    /// Calls `hook` for every console message forwarded from any renderer (Electron's
    /// `console-message` event). Messages are also logged through `tracing` under the
    /// target `voltaic::console` whether or not a hook is set.
    pub fn on_console_message(&self, hook: impl Fn(&ConsoleMessage) + Send + Sync + 'static) {
        self.registry.console_hooks.add(hook);
    }

    /// Calls `hook` with the window's id when the user presses the IPC inspector's
    /// key (Ctrl+Alt+I) in a window of a debug build; the app opens its inspector.
    /// A page cannot press it: only trusted key events count, from a document of an
    /// allowed origin.
    pub fn on_inspector_key(&self, hook: impl Fn(u32) + Send + Sync + 'static) {
        self.registry
            .inspector_hooks
            .add(move |window: &u32| hook(*window));
    }

    /// Connects a renderer: returns the [`Connection`] through which the transport
    /// feeds it messages, holding the renderer's [`WebContents`]. Every message is
    /// checked against `policy` (channels and origins) and this registry's limits and
    /// schemas. Spawns the task that takes the renderer's messages in order on the
    /// handler runtime; it ends when the connection is dropped.
    pub fn connect(
        &self,
        id: u32,
        link: Arc<dyn RendererLink>,
        policy: WindowPolicy,
    ) -> Connection {
        let web_contents = WebContents::guarded(
            id,
            link,
            Arc::new(policy),
            self.registry.schemas.clone(),
            self.registry.timeline.clone(),
        );
        let (inbox, mut queue) = mpsc::unbounded_channel::<Incoming>();
        let limits = self.registry.limits;
        let limiter: SharedLimiter = Arc::new(Mutex::new(RateLimiter::new(
            limits.messages_per_second,
            limits.burst,
        )));
        let ipc = self.clone();
        let sender = web_contents.clone();
        let task_limiter = limiter.clone();
        self.registry.runtime.spawn(async move {
            while let Some(incoming) = queue.recv().await {
                ipc.process(&sender, &task_limiter, incoming).await;
            }
        });
        Connection {
            ipc: self.clone(),
            web_contents,
            inbox,
            limits,
            limiter,
        }
    }

    async fn process(&self, sender: &WebContents, limiter: &SharedLimiter, incoming: Incoming) {
        let (frame, Packet { text: raw, buffers }, envelope, respond, received) = match incoming {
            Incoming::Message {
                frame,
                packet,
                envelope,
                respond,
                received,
            } => (frame, packet, envelope, respond, received),
            Incoming::RateLimited { id } => {
                let error = IpcError::RateLimited(self.registry.limits.messages_per_second);
                return reject(sender, id, "<rate limited>", &error.to_string());
            }
        };
        let limit = self.registry.limits.max_message_bytes;
        let parsed = RendererMessage::parse(&raw, limit).and_then(|message| match envelope {
            // An invoke's own reply channel answers exactly the invoke it carried.
            Some(outer) if !matches!(message, RendererMessage::Invoke { id, .. } if id == outer) => {
                Err(ProtocolError::Malformed(
                    "not the invoke its envelope announced".into(),
                ))
            }
            _ => Ok(message),
        });
        if let Some(respond) = respond {
            return self
                .process_sync(sender, frame, parsed, &buffers, respond)
                .await;
        }
        match parsed {
            Err(error) => {
                tracing::warn!(
                    window = sender.id(),
                    origin = frame.origin(),
                    "refused renderer message: {error}"
                );
                self.registry
                    .timeline
                    .record(sender.id(), Instant::now(), || Event::Refused {
                        channel: None,
                        reason: Refused::Malformed,
                        detail: timeline::cut(&error.to_string(), timeline::TEXT_CHARS),
                    });
                let id = envelope.or_else(|| RendererMessage::salvage_invoke_id(&raw, limit));
                if let Some(id) = id {
                    reject(sender, id, "<malformed>", &error.to_string());
                }
            }
            Ok(RendererMessage::Batch { m }) => {
                self.process_batch(sender, limiter, frame, m, &buffers, received)
                    .await
            }
            Ok(message) => {
                self.handle_message(sender, frame, message, &buffers, received)
                    .await
            }
        }
    }

    /// The messages of a batch, in order. The batch took one token when it arrived;
    /// every further message takes its own, so batching does not get round the limit.
    async fn process_batch(
        &self,
        sender: &WebContents,
        limiter: &SharedLimiter,
        frame: SenderFrame,
        messages: Vec<RendererMessage>,
        buffers: &[Bytes],
        received: Option<Instant>,
    ) {
        for (index, message) in messages.into_iter().enumerate() {
            if index > 0 {
                // The limiter's lock goes before anything else is done.
                let taken = lock(limiter).take(Instant::now());
                if let Err(refused) = taken {
                    let limits = self.registry.limits;
                    log_rate_refusal(sender.id(), &frame, refused, limits);
                    record_rate_refusal(&self.registry.timeline, sender.id(), limits);
                    if let RendererMessage::Invoke { id, .. } = message {
                        let error = IpcError::RateLimited(limits.messages_per_second);
                        reject(sender, id, "<rate limited>", &error.to_string());
                    }
                    continue;
                }
            }
            self.handle_message(sender, frame.clone(), message, buffers, received)
                .await;
        }
    }

    /// Handles one parsed message from the renderer's ordinary channel.
    async fn handle_message(
        &self,
        sender: &WebContents,
        frame: SenderFrame,
        message: RendererMessage,
        buffers: &[Bytes],
        received: Option<Instant>,
    ) {
        let timeline = &self.registry.timeline;
        match message {
            RendererMessage::Batch { .. } => {
                tracing::warn!(
                    window = sender.id(),
                    "refused renderer message: batches do not nest"
                );
            }
            RendererMessage::SendSync { ch, .. } => {
                let error = "sendSync arrived without its synchronous channel";
                tracing::warn!(
                    window = sender.id(),
                    "refused renderer message on '{ch}': {error}"
                );
            }
            RendererMessage::Send { ch, args, ports } => {
                self.record_send(sender, &ch, &args, buffers, false, ports.len());
                let admitted = self
                    .admit(sender, &frame, Direction::Send, &ch, args, buffers)
                    .and_then(|args| Ok((args, self.adopt(sender, &ports)?)));
                match admitted {
                    Ok((args, ports)) => self.emit(sender, frame, ch, args, None, ports).await,
                    Err(error) => self.refused(sender, &frame, Some(&ch), &error),
                }
            }
            RendererMessage::Port { port, data, ports } => {
                sender.port_event(&port, timeline::PortAction::ToMain, || {
                    timeline::wire_size(std::slice::from_ref(&data), buffers)
                });
                let decoded = self.check_origin(sender, &frame).and_then(|()| {
                    let data = self
                        .decode_port_message(data, buffers)
                        .map_err(|reason| IpcError::Port(format!("invalid message: {reason}")))?;
                    Ok((data, self.adopt(sender, &ports)?))
                });
                match decoded {
                    Ok((data, carried)) => {
                        if !sender.ports().post_from_renderer(&port, data, carried) {
                            tracing::debug!(
                                window = sender.id(),
                                "message for an unknown port dropped"
                            );
                        }
                    }
                    Err(error) => self.refused(sender, &frame, None, &error),
                }
            }
            RendererMessage::PortClose { port } => {
                if self.check_origin(sender, &frame).is_ok() {
                    sender.port_event(&port, timeline::PortAction::Close, || 0);
                    sender.ports().close_from_renderer(&port);
                }
            }
            RendererMessage::Invoke { id, ch, args } => {
                let call = timeline.is_on().then(|| Call {
                    received: received.unwrap_or_else(Instant::now),
                    size: timeline::wire_size(&args, buffers),
                    preview: timeline.preview(&ch, &args),
                });
                match self.admit(sender, &frame, Direction::Invoke, &ch, args, buffers) {
                    Ok(args) => self.invoke(sender, frame, id, ch, args, call).await,
                    Err(error) => {
                        self.refused(sender, &frame, Some(&ch), &error);
                        reject(sender, id, &ch, &error.to_string());
                    }
                }
            }
            RendererMessage::Console {
                level,
                source,
                text,
            } => self.console(sender.id(), level, source, text),
            RendererMessage::Inspector {} => {
                if self.check_origin(sender, &frame).is_ok() {
                    self.registry.inspector_hooks.emit(&sender.id());
                }
            }
            RendererMessage::ExposedIpcRenderer { key } => {
                // Noted before it is logged: whoever sees the line sees the report.
                sender.note_exposed_ipc_renderer(key.clone());
                tracing::warn!(
                    window = sender.id(),
                    "the preload exposed ipcRenderer itself as window.{key}; the page got an empty object"
                );
            }
        }
    }

    /// A message from a transport's synchronous channel: only `sendSync` travels
    /// there, and whatever happens, the waiting renderer gets an answer.
    async fn process_sync(
        &self,
        sender: &WebContents,
        frame: SenderFrame,
        parsed: Result<RendererMessage, ProtocolError>,
        buffers: &[Bytes],
        respond: SyncResponder,
    ) {
        match parsed {
            Ok(RendererMessage::SendSync { ch, args }) => {
                self.record_send(sender, &ch, &args, buffers, true, 0);
                match self.admit(sender, &frame, Direction::Send, &ch, args, buffers) {
                    Ok(args) => {
                        let (slot, answer) = ReturnSlot::new();
                        let scopes = self.scopes(sender);
                        if scopes.iter().all(|scope| scope.listener_count(&ch) == 0) {
                            return respond(Err(format!("No listener for '{ch}'")));
                        }
                        self.emit(sender, frame, ch.clone(), args, Some(slot), Vec::new())
                            .await;
                        // Answered when a listener sets the value, or refused once every
                        // listener has let go of its event without setting one.
                        self.registry.runtime.spawn(async move {
                            let outcome =
                                match tokio::time::timeout(SEND_SYNC_TIMEOUT, answer).await {
                                    Ok(Ok(value)) => Ok(value),
                                    Ok(Err(_)) => {
                                        Err(format!("no listener of '{ch}' set event.return_value"))
                                    }
                                    Err(_) => Err(format!(
                                        "no listener of '{ch}' set event.return_value within {} s",
                                        SEND_SYNC_TIMEOUT.as_secs()
                                    )),
                                };
                            respond(outcome);
                        });
                    }
                    Err(error) => {
                        self.refused(sender, &frame, Some(&ch), &error);
                        respond(Err(error.to_string()));
                    }
                }
            }
            Ok(_) => {
                let error = "only sendSync travels on the synchronous channel";
                tracing::warn!(window = sender.id(), "refused renderer message: {error}");
                respond(Err(error.to_owned()));
            }
            Err(error) => {
                tracing::warn!(
                    window = sender.id(),
                    origin = frame.origin(),
                    "refused renderer message: {error}"
                );
                respond(Err(error.to_string()));
            }
        }
    }

    /// Takes the ports a renderer's message carried, as ports of the main process.
    fn adopt(
        &self,
        sender: &WebContents,
        keys: &[String],
    ) -> Result<Vec<MessagePortMain>, IpcError> {
        let ports = sender.ports().adopt(sender, keys)?;
        for key in keys {
            sender.port_event(key, timeline::PortAction::Open, || 0);
        }
        Ok(ports)
    }

    /// Puts a send (a `sendSync` when `sync`) from `sender` on the timeline, as it
    /// arrived.
    fn record_send(
        &self,
        sender: &WebContents,
        ch: &str,
        args: &[Json],
        buffers: &[Bytes],
        sync: bool,
        ports: usize,
    ) {
        let timeline = &self.registry.timeline;
        timeline.record(sender.id(), Instant::now(), || Event::Send {
            channel: timeline::cut(ch, timeline::CHANNEL_CHARS),
            size: timeline::wire_size(args, buffers),
            sync,
            ports,
            preview: timeline.preview(ch, args),
        });
    }

    /// Logs a refused renderer message with who sent it, and puts it on the timeline.
    /// A message with no channel is a port's.
    fn refused(
        &self,
        sender: &WebContents,
        frame: &SenderFrame,
        channel: Option<&str>,
        error: &IpcError,
    ) {
        let channel: Option<String> = channel.map(|channel| channel.chars().take(64).collect());
        let (window, origin, url) = (sender.id(), frame.origin(), frame.url());
        match &channel {
            Some(channel) => tracing::warn!(
                window,
                origin,
                url,
                "refused renderer message on '{channel}': {error}"
            ),
            None => tracing::warn!(window, origin, url, "refused a port message: {error}"),
        }
        self.registry
            .timeline
            .record(sender.id(), Instant::now(), || Event::Refused {
                channel,
                reason: Refused::of(error),
                detail: timeline::cut(&error.to_string(), timeline::TEXT_CHARS),
            });
    }

    /// The checks every renderer message passes before a handler sees it, cheapest
    /// first: the sender's origin, the channel's name and grant, nesting depth, schema;
    /// then the arguments are decoded from their wire form.
    fn admit(
        &self,
        sender: &WebContents,
        frame: &SenderFrame,
        direction: Direction,
        ch: &str,
        args: Vec<Json>,
        buffers: &[Bytes],
    ) -> Result<Vec<Value>, IpcError> {
        self.check_origin(sender, frame)?;
        let policy = sender.policy();
        validate_channel(ch)?;
        policy.grants.check(direction, ch)?;
        let max_depth = self.registry.limits.max_depth;
        if args.iter().any(|arg| exceeds_depth(arg, max_depth)) {
            return Err(IpcError::TooDeep(max_depth));
        }
        let mut args = args;
        self.registry.schemas.check_args(ch, &mut args)?;
        wire::decode_args(args, buffers).map_err(|reason| IpcError::InvalidValue {
            channel: ch.to_owned(),
            reason,
        })
    }

    /// Only documents of an accepted origin may use IPC at all.
    fn check_origin(&self, sender: &WebContents, frame: &SenderFrame) -> Result<(), IpcError> {
        if sender.policy().origins.allows(frame.origin()) {
            Ok(())
        } else {
            Err(IpcError::OriginNotAllowed(frame.origin().to_owned()))
        }
    }

    /// A port message's data, held to the same depth limit as channel arguments.
    fn decode_port_message(&self, data: Json, buffers: &[Bytes]) -> Result<Value, String> {
        let max_depth = self.registry.limits.max_depth;
        if exceeds_depth(&data, max_depth) {
            return Err(IpcError::TooDeep(max_depth).to_string());
        }
        wire::decode(data, buffers, &mut 0)
    }

    /// Where a message from `sender` looks for handlers and listeners, narrowest
    /// first: its main frame's, its own, the app's.
    fn scopes<'a>(&'a self, sender: &'a WebContents) -> [&'a IpcScope; 3] {
        [
            sender.main_frame_scope(),
            sender.ipc(),
            &self.registry.scope,
        ]
    }

    async fn emit(
        &self,
        sender: &WebContents,
        frame: SenderFrame,
        ch: String,
        args: Vec<Value>,
        slot: Option<Arc<ReturnSlot>>,
        ports: Vec<MessagePortMain>,
    ) {
        let mut listeners = Vec::new();
        for scope in self.scopes(sender) {
            scope.take_listeners(&ch, &mut listeners);
        }
        if listeners.is_empty() {
            tracing::debug!(window = sender.id(), "no listener for '{ch}'");
            // Ports sent to nowhere close, as Electron's are collected: their other
            // ends hear `close`.
            ports.iter().for_each(MessagePortMain::close);
            return;
        }
        for listener in listeners {
            let mut event =
                IpcEvent::new(ch.clone(), sender.clone(), frame.clone()).with_ports(ports.clone());
            if let Some(slot) = &slot {
                event = event.with_return_slot(slot.clone());
            }
            let channel = ch.clone();
            let window = sender.id();
            let span = tracing::debug_span!(
                target: "voltaic::ipc",
                "send",
                channel = %ch,
                window,
                frame = frame.url()
            );
            self.run(&*listener, event, args.clone(), span, move |outcome| {
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
        call: Option<Call>,
    ) {
        let handler = self
            .scopes(sender)
            .into_iter()
            .find_map(|scope| scope.take_handler(&ch));
        let Some(handler) = handler else {
            let error = IpcError::NoHandler(ch.clone());
            self.refused(sender, &frame, Some(&ch), &error);
            return reject(sender, id, &ch, &error.to_string());
        };
        let span = tracing::debug_span!(
            target: "voltaic::ipc",
            "invoke",
            channel = %ch,
            window = sender.id(),
            frame = frame.url()
        );
        let event = IpcEvent::new(ch.clone(), sender.clone(), frame);
        let target = sender.clone();
        let schemas = self.registry.schemas.clone();
        let timeline = self.registry.timeline.clone();
        let started = call.as_ref().map(|_| Instant::now());
        self.run(&*handler, event, args, span, move |outcome| {
            let handled = started.map(|_| Instant::now());
            let mut buffers = Vec::new();
            let outcome = outcome.and_then(|value| {
                let value = wire::encode(&value, &mut buffers);
                schemas.check(&ch, Part::Result, &value).map(|()| value)
            });
            let message = match outcome {
                Ok(value) => MainMessage::Resolve { id, value },
                Err(error) => {
                    buffers.clear();
                    tracing::warn!(window = target.id(), "invoke of '{ch}' failed: {error}");
                    MainMessage::Reject {
                        id,
                        error: invoke_error(&ch, &error.to_string()),
                    }
                }
            };
            let error = match &message {
                MainMessage::Reject { error, .. } => Some(error.clone()),
                _ => None,
            };
            if let Err(error) = target.answer_with(id, &message, buffers) {
                tracing::debug!("reply to invoke of '{ch}' not delivered: {error}");
            }
            if let (Some(call), Some(started), Some(handled)) = (call, started, handled) {
                timeline.record(target.id(), call.received, || Event::Invoke {
                    channel: ch,
                    size: call.size,
                    queued: started.saturating_duration_since(call.received),
                    handler: handled.saturating_duration_since(started),
                    reply: handled.elapsed(),
                    error,
                    preview: call.preview,
                });
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
        span: tracing::Span,
        finish: impl FnOnce(Result<Value, IpcError>) + Send + 'static,
    ) {
        let created = span
            .in_scope(|| std::panic::catch_unwind(AssertUnwindSafe(|| handler.call(event, args))));
        let future: HandlerFuture = match created {
            Ok(future) => future,
            Err(panic) => return finish(Err(panic_error(panic))),
        };
        let mut guarded = AssertUnwindSafe(future.instrument(span))
            .catch_unwind()
            .boxed();
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
        self.registry
            .timeline
            .record(window_id, Instant::now(), || Event::Console {
                level,
                text: timeline::cut(&text, timeline::TEXT_CHARS),
            });
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
        self.registry.console_hooks.emit(&message);
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
enum Incoming {
    Message {
        frame: SenderFrame,
        packet: Packet,
        /// The invoke id of a transport's reply channel, which must be answered.
        envelope: Option<u64>,
        /// How to answer a `sendSync` waiting on a transport's synchronous channel.
        respond: Option<SyncResponder>,
        /// When it arrived, if the timeline is on.
        received: Option<Instant>,
    },
    /// An invoke refused by the rate limit, to be rejected in order with the rest.
    RateLimited { id: u64 },
}

/// An invoke being timed for the timeline.
struct Call {
    received: Instant,
    size: usize,
    preview: Option<String>,
}

/// Why a raw message was refused before it was queued.
enum Refusal {
    TooLarge,
    RateLimited,
}

/// A window's token bucket, shared by its transport side and its message task.
type SharedLimiter = Arc<Mutex<RateLimiter>>;

/// Logs refusals by the rate limit: the first, then one line per 10,000, so that a
/// flood does not turn into a flood of log lines.
fn log_rate_refusal(window: u32, frame: &SenderFrame, refused: u64, limits: Limits) {
    if refused == 1 || refused % 10_000 == 0 {
        tracing::warn!(
            window,
            origin = frame.origin(),
            "refused {refused} renderer message(s) over the rate limit of {}/s",
            limits.messages_per_second
        );
    }
}

/// Puts a message refused by the rate limit on the timeline (logged apart, once per
/// many, by [`log_rate_refusal`]).
fn record_rate_refusal(timeline: &Timeline, window: u32, limits: Limits) {
    timeline.record(window, Instant::now(), || Event::Refused {
        channel: None,
        reason: Refused::Rate,
        detail: IpcError::RateLimited(limits.messages_per_second).to_string(),
    });
}

/// Answers a renderer blocked in `ipcRenderer.sendSync`: the return value, or why
/// there is none.
pub type SyncResponder = Box<dyn FnOnce(Result<Value, String>) + Send>;

/// How long a `sendSync` waits for a listener to set the return value.
const SEND_SYNC_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(30);

/// An inline handler that takes longer than this is logged.
const INLINE_WARNING: std::time::Duration = std::time::Duration::from_millis(50);

/// Largest refused message whose invoke id is looked for, so that a flood costs a
/// small parse at most.
const SALVAGE_LIMIT: usize = 4096;

/// The transport's side of a connected renderer, from [`IpcMain::connect`]. Dropping
/// it disconnects the renderer: messages already queued are still handled.
pub struct Connection {
    ipc: IpcMain,
    web_contents: WebContents,
    inbox: mpsc::UnboundedSender<Incoming>,
    limits: Limits,
    limiter: SharedLimiter,
}

impl Drop for Connection {
    /// The renderer is gone, and with it the ports it held: their channels close.
    fn drop(&mut self) {
        self.web_contents.ports().close_all();
        self.web_contents.clear_scopes();
    }
}

impl Connection {
    /// The connected renderer's handle.
    pub fn web_contents(&self) -> &WebContents {
        &self.web_contents
    }

    /// The renderer's document is being replaced: the ports it held go with it, and
    /// their other ends are closed. Transports call this when a navigation starts.
    pub fn document_gone(&self) {
        self.web_contents.ports().close_all();
    }

    /// Queues one raw message from the renderer, with the frame the transport saw it
    /// come from. Never blocks and never panics. Messages over the size limit or the
    /// rate limit are refused here, before they are parsed or queued; a small refused
    /// invoke is still rejected, so its promise settles.
    ///
    /// Returns whether the message was queued: when it was not, an invoke in it gets
    /// no answer, and a transport with its own reply channel should settle it.
    ///
    /// A transport that carries bytes passes a [`Packet`]; text alone converts into one.
    pub fn dispatch(&self, frame: SenderFrame, message: impl Into<Packet>) -> bool {
        self.queue(frame, message.into(), None)
    }

    /// Takes a `sendSync` message from a transport's synchronous channel (the
    /// renderer is blocked until `respond` is called). `respond` is always called:
    /// with the first value a listener sets, or with why there is none.
    pub fn dispatch_sync(
        &self,
        frame: SenderFrame,
        message: impl Into<Packet>,
        respond: SyncResponder,
    ) {
        let packet = message.into();
        match self.check_raw(&frame, packet.size()) {
            Ok(()) => {}
            Err(Refusal::TooLarge) => {
                let error = ProtocolError::TooLarge {
                    size: packet.size(),
                    limit: self.limits.max_message_bytes,
                };
                return respond(Err(error.to_string()));
            }
            Err(Refusal::RateLimited) => {
                let error = IpcError::RateLimited(self.limits.messages_per_second);
                return respond(Err(error.to_string()));
            }
        }
        let incoming = Incoming::Message {
            frame,
            packet,
            envelope: None,
            respond: Some(respond),
            received: self.ipc.registry.timeline.now(),
        };
        if let Err(Incoming::Message {
            respond: Some(respond),
            ..
        }) = self.inbox_or_inline(incoming)
        {
            respond(Err("the app is shutting down".into()));
        }
    }

    /// Like [`Connection::dispatch`], for an invoke that arrived with its own reply
    /// channel under invoke id `id`: whatever the message turns out to be, invoke `id`
    /// is answered (a message that is not that invoke is refused as malformed).
    pub fn dispatch_invoke(&self, frame: SenderFrame, id: u64, message: impl Into<Packet>) -> bool {
        self.queue(frame, message.into(), Some(id))
    }

    fn queue(&self, frame: SenderFrame, packet: Packet, envelope: Option<u64>) -> bool {
        match self.check_raw(&frame, packet.size()) {
            Ok(()) => self.handle(Incoming::Message {
                frame,
                packet,
                envelope,
                respond: None,
                received: self.ipc.registry.timeline.now(),
            }),
            Err(Refusal::TooLarge) => false,
            Err(Refusal::RateLimited) => {
                let salvaged = || RendererMessage::salvage_invoke_id(&packet.text, SALVAGE_LIMIT);
                match envelope.or_else(salvaged) {
                    Some(id) => self.handle(Incoming::RateLimited { id }),
                    None => false,
                }
            }
        }
    }

    /// What every raw message passes before it is queued, whatever its channel: the
    /// size limit, then the rate limit. Refusals are logged here.
    fn check_raw(&self, frame: &SenderFrame, size: usize) -> Result<(), Refusal> {
        let window = self.web_contents.id();
        let timeline = &self.ipc.registry.timeline;
        if size > self.limits.max_message_bytes {
            tracing::warn!(
                window,
                origin = frame.origin(),
                "dropped a renderer message of {size} bytes (limit {})",
                self.limits.max_message_bytes
            );
            timeline.record(window, Instant::now(), || Event::Refused {
                channel: None,
                reason: Refused::Size,
                detail: format!(
                    "a message of {size} bytes (limit {})",
                    self.limits.max_message_bytes
                ),
            });
            return Err(Refusal::TooLarge);
        }
        let taken = lock(&self.limiter).take(Instant::now());
        taken.map_err(|refused| {
            log_rate_refusal(window, frame, refused, self.limits);
            record_rate_refusal(timeline, window, self.limits);
            Refusal::RateLimited
        })
    }

    /// Hands a message to the window's ordered task, or handles it right here when
    /// inline dispatch is on. Returns false only when the runtime has shut down.
    fn handle(&self, incoming: Incoming) -> bool {
        self.inbox_or_inline(incoming).is_ok()
    }

    /// Queues the message, or handles it inline; gives it back when the queue has
    /// closed (the runtime is shutting down).
    fn inbox_or_inline(&self, incoming: Incoming) -> Result<(), Incoming> {
        if !self.ipc.inline_dispatch() {
            return self.inbox.send(incoming).map_err(|error| error.0);
        }
        let ipc = self.ipc.clone();
        let sender = self.web_contents.clone();
        let limiter = self.limiter.clone();
        let mut work = Box::pin(async move { ipc.process(&sender, &limiter, incoming).await });
        let _runtime = self.ipc.registry.runtime.enter();
        let started = Instant::now();
        // Handling completes in one poll (handlers still pending after their first
        // poll are spawned by `run`); should that ever change, the rest goes on on
        // the runtime rather than being lost.
        let waker = futures_util::task::noop_waker();
        let pending = work
            .as_mut()
            .poll(&mut std::task::Context::from_waker(&waker))
            .is_pending();
        if pending {
            self.ipc.registry.runtime.spawn(work);
        }
        let held = started.elapsed();
        if held > INLINE_WARNING {
            tracing::warn!(
                window = self.web_contents.id(),
                "a handler held the main thread for {} ms: make it async, or move its work off the thread",
                held.as_millis()
            );
        }
        Ok(())
    }
}

impl std::fmt::Debug for Connection {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Connection")
            .field("web_contents", &self.web_contents)
            .finish_non_exhaustive()
    }
}

/// Whether `value` nests arrays and objects deeper than `max` (iteratively: the value
/// may be as deep as serde_json allows).
fn exceeds_depth(value: &Json, max: usize) -> bool {
    let mut stack = vec![(value, 1usize)];
    while let Some((value, depth)) = stack.pop() {
        let children: Box<dyn Iterator<Item = &Json>> = match value {
            Json::Array(items) => Box::new(items.iter()),
            Json::Object(map) => Box::new(map.values()),
            _ => continue,
        };
        if depth > max {
            return true;
        }
        stack.extend(children.map(|child| (child, depth + 1)));
    }
    false
}

/// Writes `text` to `path` unless the file holds it already (so that a build
/// watching the file does not rebuild for nothing); returns whether it wrote.
fn write_if_changed(path: &std::path::Path, text: &str) -> std::io::Result<bool> {
    if std::fs::read_to_string(path).is_ok_and(|old| old == text) {
        return Ok(false);
    }
    std::fs::write(path, text)?;
    Ok(true)
}

fn invoke_error(channel: &str, reason: &str) -> String {
    format!("Error invoking remote method '{channel}': {reason}")
}

fn reject(sender: &WebContents, id: u64, channel: &str, reason: &str) {
    let message = MainMessage::Reject {
        id,
        error: invoke_error(channel, reason),
    };
    if let Err(error) = sender.answer(id, &message) {
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
pub(crate) mod tests;
