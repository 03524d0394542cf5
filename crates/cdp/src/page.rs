//! One window's page, as every Chromium-based engine drives it over the DevTools
//! protocol: the preload world, its binding and the app's origin set up before
//! anything loads, messages both ways, and the page policies. The engine owns the
//! window around it (on Chromium, a page target attached as a flat session; on
//! WebView2, one webview whose default session is its page).
//!
//! - The preload runtime and the preload run in the `voltaic` world, a
//!   `Page.addScriptToEvaluateOnNewDocument {worldName}` script, in the top frame
//!   only (the script returns at once in a frame that is not the top).
//! - Its one channel is a binding added for that world only (`Runtime.addBinding
//!   {executionContextName}`); a call counts only from the main frame's `voltaic`
//!   context, which the engine learns from `Runtime.executionContextCreated`.
//! - Messages to the renderer are evaluated in that context by its unique id, so
//!   they can never land in a later document.
//! - The app's origin is served through the Fetch domain (see `serve`).

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use base64::Engine as _;
use serde_json::{json, Value};
use voltaic_app::content::{AppContent, Prepared};
use voltaic_app::engine::{OpenedWindow, Waiting, WindowOp, WindowSpec};
use voltaic_app::preload_routes::new_token;
use voltaic_app::preload_routes::parcels::{Parcels, SharedParcels};
use voltaic_app::{Error, PageEvent, PagePolicy, RenderProcessGoneReason};
use voltaic_core::{Connection, IpcError, Packet, RendererLink, SenderFrame};
use voltaic_preload::{
    DOM_READY_MESSAGE, INVOKE_HANDLER, ISOLATED_WORLD, MESSAGE_HANDLER, READY_MESSAGE,
};

use crate::serve::{self, Response};
use crate::{Cdp, CdpError, Event};

/// How long a setup call may take before the window is given up: far above what
/// a browser takes on a busy machine, short of hanging an app forever.
pub const SETUP_LIMIT: std::time::Duration = std::time::Duration::from_secs(30);

/// What a page hands its engine's thread from other threads, to be given back to
/// it there ([`Page::deliver`], [`serve::fulfill`]).
pub enum PageInput {
    /// A main → renderer message for window `window`.
    Deliver {
        /// The window.
        window: u32,
        /// The message.
        message: Packet,
    },
    /// The answer to a paused request of window `window`'s page, given from
    /// another thread (`sendSync`, `webFrame`).
    Fulfill {
        /// The window.
        window: u32,
        /// The page's session.
        session: Option<String>,
        /// The paused request.
        id: String,
        /// Its answer.
        response: Response,
    },
}

/// The events a page acts on ([`Page::event`]): a transport that subscribes to
/// events by name (WebView2's) subscribes to these.
pub const EVENTS: &[&str] = &[
    "Runtime.bindingCalled",
    "Runtime.executionContextCreated",
    "Runtime.executionContextDestroyed",
    "Runtime.executionContextsCleared",
    "Page.frameNavigated",
    "Page.frameStartedLoading",
    "Page.frameStoppedLoading",
    "Page.loadEventFired",
    "Page.windowOpen",
    "Inspector.targetCrashed",
    "Fetch.requestPaused",
];

/// The way to an engine's thread from any thread.
pub type ToEngine = Arc<dyn Fn(PageInput) + Send + Sync>;

/// Reads a string field of an event's parameters.
pub(crate) fn text<'a>(params: &'a Value, key: &str) -> &'a str {
    params[key].as_str().unwrap_or_default()
}

/// The binding's name in the preload's world; the runtime takes it and deletes it.
const BINDING: &str = "__voltaicBinding";

const BINDING_TRANSPORT_JS: &str = include_str!("../js/binding_transport.js");

/// What the engine's thread keeps of a window's page.
pub struct Page {
    pub(crate) id: u32,
    /// The main frame's id: on Chromium, the page target's.
    pub(crate) main_frame: String,
    /// The page's session; `None` where it is the connection's own (WebView2).
    pub(crate) session: Option<String>,
    pub(crate) connection: Option<Arc<Connection>>,
    pub(crate) outbox: Outbox,
    /// Known only to the preload's world: its requests to the preload's routes
    /// carry it.
    pub(crate) token: String,
    /// Strings the current document's preload sent through the binding.
    posted: u64,
    /// `sendSync` requests waiting for the messages posted before them, each with
    /// the count it waits for.
    waiting_sync: Vec<(u64, String, http::Request<Vec<u8>>)>,
    /// The isolated worlds the window names, where `webFrame` may run script.
    pub(crate) worlds: Vec<u32>,
    /// The engine's thread, for answers given from other threads.
    pub(crate) to_engine: ToEngine,
    /// The main frame's `voltaic` world context: its id (as bindings name it).
    world: Option<i64>,
    /// The main frame's contexts by world name (`""` for the page's own), each
    /// with its id and unique id: where `webFrame` runs script.
    pub(crate) contexts: std::collections::HashMap<String, (i64, String)>,
    /// The main frame's document URL, the one trusted source of a sender's
    /// identity.
    url: String,
    /// The sender frame of `url`, built once per URL.
    frame: Option<SenderFrame>,
    pub(crate) content: Arc<AppContent>,
    pub(crate) policy: Arc<PagePolicy>,
    open: Arc<AtomicBool>,
    /// The next top-level navigation is the main process's own.
    pub(crate) main_load: bool,
    /// The window's title, from its options.
    title: String,
    /// `force_crash_renderer` was asked: the crash is reported as killed.
    crash_asked: bool,
    /// The main frame is loading (between its page events `did-start-loading` and
    /// `did-stop-loading`).
    loading: bool,
    /// The current load's `did-start-loading`, told once it commits to a document of
    /// the app's: Chromium's own pages (a fresh profile's new tab) are not its news.
    start: Start,
    /// The page said its window may have changed (see [`Page::open`]).
    window_signal: bool,
    /// The page's new title, as it said (see [`Page::open`]).
    title_signal: Option<String>,
    /// The URL the current load failed to load: its error page is shown.
    failed: Option<String>,
}

impl Page {
    /// Sets up the page of `session` (whose main frame is `main_frame`) for the
    /// window `spec` asks for: its preload world, binding and origin, before it
    /// loads anything. Messages to the renderer and answers given on other
    /// threads reach the engine's thread through `to_engine`. With
    /// `watch_window`, the page says when its window may have changed
    /// ([`Page::take_window_signal`]) and when its title did
    /// ([`Page::take_title_signal`]), for engines that hear of them no other way.
    pub fn open(
        cdp: &Cdp,
        session: Option<String>,
        main_frame: String,
        mut spec: WindowSpec,
        to_engine: ToEngine,
        watch_window: bool,
    ) -> Result<(Self, OpenedWindow), Error> {
        let failed = |what: &str, error: CdpError| Error::WebView(format!("{what}: {error}"));
        let token = new_token()
            .map_err(|e| Error::WebView(format!("no randomness for the window's token: {e}")))?;
        spec.runtime.sync_token = token.clone();
        spec.runtime.app_origin = serve::ORIGIN.to_owned();
        let parcels = Parcels::new(spec.runtime.max_message_bytes);
        let context_isolation = spec.runtime.context_isolation;
        let world_name = if context_isolation {
            Some(ISOLATED_WORLD)
        } else {
            None
        };
        let mut setup = vec![
            ("Page.enable", json!({})),
            ("Runtime.enable", json!({})),
            (
                "Page.setLifecycleEventsEnabled",
                json!({ "enabled": false }),
            ),
            (
                "Runtime.addBinding",
                match world_name {
                    Some(world) => json!({ "name": BINDING, "executionContextName": world }),
                    None => json!({ "name": BINDING }),
                },
            ),
            ("Fetch.enable", serve::patterns()),
        ];
        if context_isolation {
            // The page's half of contextBridge, in the page's own world.
            setup.push((
                "Page.addScriptToEvaluateOnNewDocument",
                json!({ "source": top_frame_only(&voltaic_preload::page_world_script()) }),
            ));
            for &world in &spec.runtime.isolated_worlds {
                setup.push((
                    "Page.addScriptToEvaluateOnNewDocument",
                    json!({
                        "source": top_frame_only(&voltaic_preload::isolated_world_script(world)),
                        "worldName": format!("voltaic-world-{world}"),
                    }),
                ));
            }
        }
        let runtime = format!(
            "{BINDING_TRANSPORT_JS}\nvoltaicBindingTransport({}, {}, {}, {});\n{}",
            json!(BINDING),
            json!(MESSAGE_HANDLER),
            json!(INVOKE_HANDLER),
            json!(watch_window),
            voltaic_preload::runtime_script(&spec.runtime),
        );
        // The preload is a script of its own, after the runtime, named by its file
        // so that V8's stacks give its own line numbers.
        let preload = format!(
            "{}\n//# sourceURL={}",
            top_frame_only(&voltaic_preload::preload_script(
                spec.preload.as_deref().unwrap_or_default()
            )),
            spec.runtime.preload_name.replace(['\n', '\r'], " "),
        );
        for script in [top_frame_only(&runtime), preload] {
            let mut params = json!({ "source": script });
            if let Some(world) = world_name {
                params["worldName"] = json!(world);
            }
            setup.push(("Page.addScriptToEvaluateOnNewDocument", params));
        }
        for (method, params) in setup {
            cdp.call(session.as_deref(), method, params, SETUP_LIMIT)
                .map_err(|e| failed(method, e))?;
        }
        let link = Arc::new(PageLink {
            window: spec.id,
            to_engine: to_engine.clone(),
            open: spec.open.clone(),
        });
        let connection = Arc::new(spec.connect(link));
        let web_contents = connection.web_contents().clone();
        let page = Self {
            id: spec.id,
            main_frame,
            outbox: Outbox::new(spec.id, session.clone(), context_isolation, parcels),
            session,
            connection: Some(connection),
            token,
            posted: 0,
            waiting_sync: Vec::new(),
            worlds: spec.runtime.isolated_worlds.clone(),
            to_engine,
            world: None,
            contexts: std::collections::HashMap::new(),
            url: "about:blank".into(),
            frame: None,
            content: spec.content,
            policy: spec.policy,
            open: spec.open,
            main_load: false,
            title: spec.options.title.clone(),
            crash_asked: false,
            loading: false,
            start: Start::None,
            window_signal: false,
            title_signal: None,
            failed: None,
        };
        let opened = OpenedWindow {
            web_contents,
            process_sandboxed: true,
        };
        Ok((page, opened))
    }

    /// The window's id.
    pub fn id(&self) -> u32 {
        self.id
    }

    /// The app's policies for this window, and its listeners.
    pub fn policy(&self) -> &PagePolicy {
        &self.policy
    }

    /// The page's new title, if it said it has one since the last call.
    pub fn take_title_signal(&mut self) -> Option<String> {
        self.title_signal.take()
    }

    /// The page's title became `title`; Chromium's `--app` window shows it, so
    /// it is the window's title too.
    pub fn title_shown(&mut self, title: &str) {
        title.clone_into(&mut self.title);
    }

    /// Whether the page said its window may have changed since the last call.
    pub fn take_window_signal(&mut self) -> bool {
        std::mem::take(&mut self.window_signal)
    }

    /// The main frame's context in the preload's world, where nothing the page
    /// does to its own globals reaches: its unique id.
    pub fn world_context(&self) -> Option<&str> {
        self.outbox.context.as_deref()
    }

    /// The page's session.
    pub fn session(&self) -> Option<&str> {
        self.session.as_deref()
    }

    /// Queues a main → renderer message for the next [`Page::flush`].
    pub fn deliver(&mut self, message: Packet) {
        self.outbox.deliver(message);
    }

    /// Evaluates the messages queued since the last flush, in one script.
    pub fn flush(&mut self, cdp: &Cdp) {
        self.outbox.flush(cdp);
    }

    /// Carries out one of the app's operations on the page. Closing is the
    /// engine's, which owns the window.
    pub fn execute(&mut self, cdp: &Cdp, op: WindowOp) {
        let session_id = self.session.clone();
        let session = session_id.as_deref();
        match op {
            WindowOp::Load(target) => {
                self.leave_document();
                self.main_load = true;
                let url = match self.content.prepare(target) {
                    Prepared::Url(url) => url,
                    Prepared::AppPath(path) => format!("{}{path}", serve::ORIGIN),
                };
                // Not awaited: Chromium answers once the page's request is served,
                // which this thread does.
                cdp.post(session, "Page.navigate", json!({ "url": url }));
            }
            WindowOp::Reload => {
                self.leave_document();
                self.main_load = true;
                cdp.post(session, "Page.reload", json!({}));
            }
            WindowOp::CrashRenderer => {
                self.crash_asked = true;
                cdp.post(session, "Page.crash", json!({}));
            }
            WindowOp::Capture { path, done } => {
                cdp.call_then(
                    session,
                    "Page.captureScreenshot",
                    json!({ "format": "png" }),
                    move |answer| {
                        let _ = done.send(save_png(answer, &path));
                    },
                );
            }
            WindowOp::SetTitle(title) => {
                // Chromium's `--app` window shows its page's title: the page's is
                // the window's.
                cdp.post(
                    session,
                    "Runtime.evaluate",
                    json!({ "expression": format!("document.title = {}", json!(title)) }),
                );
                self.title = title;
            }
            WindowOp::Title { done } => {
                // The window's own title, as on WebKitGTK, not the page's.
                let _ = done.send(Ok(self.title.clone()));
            }
            WindowOp::ExecuteJavaScript { code, done } => {
                crate::web_frame::evaluate(self, cdp, &code, "", move |outcome| {
                    let _ = done.send(outcome.map_err(Error::Script));
                });
            }
            _ => {}
        }
    }

    /// Handles an event of this page's session: one of [`EVENTS`].
    pub fn event(&mut self, cdp: &Cdp, event: &Event) {
        let params = &event.params;
        match event.method.as_str() {
            "Runtime.bindingCalled" => {
                let from = params["executionContextId"].as_i64();
                if text(params, "name") == BINDING && from.is_some() && from == self.world {
                    let payload = text(params, "payload");
                    if payload == "w" {
                        self.window_signal = true;
                        return;
                    }
                    if let Some(title) = payload.strip_prefix('t') {
                        // Chromium's own pages (a new tab's, an error page) are not
                        // the app's: their titles are not the window's news.
                        let browsers = ["chrome:", "chrome-error:", "about:"];
                        if !browsers.iter().any(|scheme| self.url.starts_with(scheme)) {
                            self.title_signal = Some(title.chars().take(4096).collect());
                        }
                        return;
                    }
                    self.posted += 1;
                    self.received(text(params, "payload"));
                    self.release_sync();
                } else {
                    tracing::warn!(
                        window = self.id,
                        "ignored a binding call from a context that is not the top frame's preload world"
                    );
                }
            }
            "Runtime.executionContextCreated" => {
                let context = &params["context"];
                let main_frame = context["auxData"]["frameId"] == self.main_frame.as_str();
                let preload_world = if self.outbox.isolated {
                    context["name"] == ISOLATED_WORLD && context["auxData"]["type"] == "isolated"
                } else {
                    context["auxData"]["isDefault"] == true
                };
                if main_frame && preload_world {
                    self.posted = 0;
                    self.waiting_sync.clear();
                    self.world = context["id"].as_i64();
                    self.outbox.context = context["uniqueId"].as_str().map(str::to_owned);
                }
                if let (true, Some(id), Some(unique)) = (
                    main_frame,
                    context["id"].as_i64(),
                    context["uniqueId"].as_str(),
                ) {
                    let name = if context["auxData"]["isDefault"] == true {
                        ""
                    } else {
                        text(context, "name")
                    };
                    self.contexts
                        .insert(name.to_owned(), (id, unique.to_owned()));
                }
            }
            "Runtime.executionContextDestroyed" => {
                let gone = params["executionContextId"].as_i64();
                if gone == self.world {
                    self.world = None;
                }
                self.contexts.retain(|_, (id, _)| Some(*id) != gone);
            }
            "Runtime.executionContextsCleared" => {
                self.world = None;
                self.contexts.clear();
            }
            "Page.frameNavigated" => {
                let frame = &params["frame"];
                if frame["parentId"].is_null() {
                    // A new document: the page's own navigations are known here, once
                    // they commit (a denied one never does, and its page stays).
                    self.leave_document();
                    self.url = frame["url"].as_str().unwrap_or("about:blank").to_owned();
                    // An error page stands in for what could not be loaded.
                    self.failed = frame["unreachableUrl"].as_str().map(serve::app_url);
                    let browsers = [
                        "chrome:",
                        "chrome-untrusted:",
                        "chrome-search:",
                        "devtools:",
                    ];
                    if self.failed.is_none() && browsers.iter().any(|s| self.url.starts_with(s)) {
                        self.start = Start::None;
                        return;
                    }
                    if self.start == Start::Pending {
                        self.start = Start::Told;
                        self.policy.page_event(PageEvent::DidStartLoading);
                    }
                    self.policy.page_event(match &self.failed {
                        Some(url) => PageEvent::DidFailLoad {
                            description: format!("{url} could not be loaded"),
                            url: url.clone(),
                        },
                        None => PageEvent::DidNavigate {
                            url: serve::app_url(&self.url),
                        },
                    });
                }
            }
            // Chromium can say a frame started loading twice in one load (once
            // for the navigation, once for its document); Electron says it once.
            "Page.frameStartedLoading" if text(params, "frameId") == self.main_frame => {
                self.loading_changed(true);
            }
            // Only for a load told of: the window's first placeholder page, and
            // Chromium's own, are not the app's.
            "Page.loadEventFired" if self.failed.is_none() && self.start == Start::Told => {
                self.policy.page_event(PageEvent::DidFinishLoad);
            }
            "Page.frameStoppedLoading" if text(params, "frameId") == self.main_frame => {
                self.loading_changed(false);
            }
            "Page.windowOpen" => self.policy.window_open(text(params, "url").to_owned()),
            "Inspector.targetCrashed" => {
                self.leave_document();
                self.world = None;
                let reason = if std::mem::take(&mut self.crash_asked) {
                    RenderProcessGoneReason::Killed
                } else {
                    RenderProcessGoneReason::Crashed
                };
                self.policy.render_process_gone(reason);
            }
            "Fetch.requestPaused" => serve::request_paused(self, cdp, params),
            _ => {}
        }
    }

    /// The main frame started or stopped loading, once per change: a start is told
    /// when its document commits (see [`Page::start`]), its stop if it was.
    fn loading_changed(&mut self, loading: bool) {
        if std::mem::replace(&mut self.loading, loading) == loading {
            return;
        }
        if loading {
            self.start = Start::Pending;
        } else if std::mem::replace(&mut self.start, Start::None) == Start::Told {
            self.policy.page_event(PageEvent::DidStopLoading);
        }
    }

    /// Takes a `sendSync` request once `posted` messages of the preload are in.
    pub(crate) fn send_sync_after(
        &mut self,
        posted: u64,
        id: String,
        request: http::Request<Vec<u8>>,
    ) {
        self.waiting_sync.push((posted, id, request));
        self.release_sync();
    }

    fn release_sync(&mut self) {
        while let Some(at) = self
            .waiting_sync
            .iter()
            .position(|(count, _, _)| *count <= self.posted)
        {
            let (_, id, request) = self.waiting_sync.remove(at);
            serve::send_sync(self, id, request);
        }
    }

    /// A string from the preload's binding.
    fn received(&mut self, payload: &str) {
        let Some(kind) = payload.chars().next() else {
            return;
        };
        let rest = &payload[1..];
        // 'q' and 'j' carry a parcel number first: the message's uploaded bytes.
        let (rest, buffers) = match kind {
            'q' | 'j' => {
                let claimed = rest.split_once(' ').and_then(|(parcel, text)| {
                    let buffers = self.outbox.claim(parcel.parse().ok()?)?;
                    Some((text, buffers))
                });
                let Some(claimed) = claimed else {
                    tracing::warn!(
                        window = self.id,
                        "ignored a message whose bytes are missing, or whose parcel is not a number"
                    );
                    return;
                };
                claimed
            }
            _ => (rest, Vec::new()),
        };
        match kind {
            'p' if rest == READY_MESSAGE => self.outbox.preload_ready(),
            // An error page's document is not the one the load was for.
            'p' if rest == DOM_READY_MESSAGE => {
                if self.failed.is_none() {
                    self.policy.page_event(PageEvent::DomReady);
                }
            }
            'p' | 'q' => {
                let frame = self.sender_frame();
                if let Some(connection) = &self.connection {
                    let text = rest.to_owned();
                    connection.dispatch(frame, Packet { text, buffers });
                }
            }
            'i' | 'j' => {
                let Some(id) = voltaic_preload::invoke_id(rest) else {
                    tracing::warn!("ignored an invoke that is not its id, a space and its JSON");
                    return;
                };
                let text = rest.split_once(' ').map_or("", |(_, json)| json).to_owned();
                let frame = self.sender_frame();
                if let Some(connection) = &self.connection {
                    if !connection.dispatch_invoke(frame, id, Packet { text, buffers }) {
                        self.outbox.deliver(Packet::from(
                            voltaic_core::protocol::MainMessage::Reject {
                                id,
                                error: "Error invoking remote method: the message was refused (size or rate limit)".into(),
                            }
                            .to_json(),
                        ));
                    }
                }
            }
            _ => tracing::warn!(
                window = self.id,
                "ignored an IPC message that is neither text nor text and a parcel"
            ),
        }
    }

    /// The sender of the current document: its URL, read from Chromium's own
    /// navigation events, never from the message. The app's origin is
    /// `app://localhost` on every engine: Chromium serves it at
    /// [`serve::ORIGIN`], which is mapped back here.
    pub(crate) fn sender_frame(&mut self) -> SenderFrame {
        let url = serve::app_url(&self.url);
        match &self.frame {
            Some(frame) if frame.url() == url => frame.clone(),
            _ => {
                let frame = SenderFrame::from_url(&url);
                self.frame = Some(frame.clone());
                frame
            }
        }
    }

    /// A new document is on its way: what is sent from now on waits for its
    /// preload, and the ports the old one held are closed.
    fn leave_document(&mut self) {
        if self.outbox.navigation_started() {
            if let Some(connection) = &self.connection {
                connection.document_gone();
            }
        }
    }

    /// The user asked to close the window: see [`PagePolicy::close_requested`].
    pub fn close_requested(&self) -> bool {
        self.policy.close_requested()
    }

    /// The window is gone: its sends fail from now on, and the app hears of it.
    pub fn closed(mut self) {
        self.open.store(false, Ordering::Release);
        self.connection.take();
        self.policy.closed();
    }
}

/// Runs `script` in the top frame only: a `worldName` script runs in every frame
/// of the page's process, where WebKitGTK's user scripts can be limited to the top.
/// The test shares the script's first line, so its line numbers stay its own.
fn top_frame_only(script: &str) -> String {
    format!("if (window === window.top) {{ {script}\n}}")
}

/// Writes a `Page.captureScreenshot` answer to `path`.
fn save_png(answer: crate::Answer, path: &std::path::Path) -> Result<(), Error> {
    let answer = answer.map_err(|e| Error::Capture(e.to_string()))?;
    let png = base64::engine::general_purpose::STANDARD
        .decode(text(&answer, "data"))
        .map_err(|e| Error::Capture(format!("the screenshot is not base64: {e}")))?;
    std::fs::write(path, png).map_err(|e| Error::Capture(format!("{}: {e}", path.display())))
}

/// Main → renderer messages of one window, delivered only while the current
/// document's preload has run (they wait here before that), and evaluated in
/// batches: one `Runtime.evaluate` for everything taken off the queue at once.
pub(crate) struct Outbox {
    session: Option<String>,
    /// The preload runs in an isolated world (context isolation on).
    isolated: bool,
    /// The unique id of the main frame's preload context.
    context: Option<String>,
    ready: bool,
    waiting: Waiting,
    batch: String,
    /// The bytes of messages both ways, until they are claimed.
    pub(crate) parcels: SharedParcels,
}

impl Outbox {
    fn new(window: u32, session: Option<String>, isolated: bool, parcels: SharedParcels) -> Self {
        Self {
            parcels,
            session,
            isolated,
            context: None,
            ready: false,
            waiting: Waiting::new(window),
            batch: String::new(),
        }
    }

    /// Delivers (in the next batch), or queues until the preload is ready.
    pub(crate) fn deliver(&mut self, message: Packet) {
        if self.ready && message.buffers.is_empty() {
            self.batch
                .push_str(&voltaic_preload::receive_call(&message.text));
            self.batch.push_str(";\n");
        } else if self.ready {
            // Bytes cannot be written into a script: they wait for the preload.
            let parcel = self.parcels().park(message.buffers);
            self.batch
                .push_str(&voltaic_preload::receive_call_with_parcel(
                    &message.text,
                    parcel,
                ));
            self.batch.push_str(";\n");
        } else {
            self.waiting.push(message);
        }
    }

    fn parcels(&self) -> std::sync::MutexGuard<'_, Parcels> {
        self.parcels
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    fn claim(&self, parcel: u64) -> Option<Vec<voltaic_core::Bytes>> {
        self.parcels().claim(parcel)
    }

    fn preload_ready(&mut self) {
        self.ready = true;
        while let Some(message) = self.waiting.pop() {
            self.deliver(message);
        }
    }

    /// Returns whether a document with a running preload is being left.
    fn navigation_started(&mut self) -> bool {
        // What was sent before goes to the old document; it is flushed by the loop
        // before this window's next input only if batched already, so drop it
        // rather than let it reach the next document.
        self.batch.clear();
        self.context = None;
        // The old document's bytes go with it.
        self.parcels().clear();
        std::mem::replace(&mut self.ready, false)
    }

    /// Evaluates the pending batch in the preload's context.
    pub(crate) fn flush(&mut self, cdp: &Cdp) {
        if self.batch.is_empty() {
            return;
        }
        let script = std::mem::take(&mut self.batch);
        let Some(context) = &self.context else {
            return;
        };
        cdp.post(
            self.session.as_deref(),
            "Runtime.evaluate",
            json!({ "expression": script, "uniqueContextId": context }),
        );
    }
}

/// [`RendererLink`] of a page: hops to the engine's thread.
struct PageLink {
    window: u32,
    to_engine: ToEngine,
    open: Arc<AtomicBool>,
}

impl RendererLink for PageLink {
    fn post(&self, message: Packet) -> Result<(), IpcError> {
        if !self.open.load(Ordering::Acquire) {
            return Err(IpcError::WindowClosed(self.window));
        }
        (self.to_engine)(PageInput::Deliver {
            window: self.window,
            message,
        });
        Ok(())
    }
}

impl std::fmt::Debug for PageLink {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PageLink")
            .field("window", &self.window)
            .finish_non_exhaustive()
    }
}

impl std::fmt::Debug for Page {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Page")
            .field("id", &self.id)
            .field("main_frame", &self.main_frame)
            .finish_non_exhaustive()
    }
}

/// Where the current load's `did-start-loading` stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Start {
    /// No load, or one that is not the app's.
    None,
    /// Loading, its document not yet committed.
    Pending,
    /// Told: its stop will be too.
    Told,
}
