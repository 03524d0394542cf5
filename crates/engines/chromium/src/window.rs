//! One window on Chromium: a page target, attached as a flat session, with the
//! preload world, its binding and the app's origin set up before anything loads.
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
use std::sync::{mpsc, Arc};

use base64::Engine as _;
use serde_json::{json, Value};
use voltaic_app::content::AppContent;
use voltaic_app::engine::{LoadTarget, OpenedWindow, Waiting, WindowOp, WindowSpec};
use voltaic_app::preload_routes::new_token;
use voltaic_app::preload_routes::parcels::{Parcels, SharedParcels};
use voltaic_app::{Error, PagePolicy, RenderProcessGoneReason};
use voltaic_core::{Connection, IpcError, Packet, RendererLink, SenderFrame};
use voltaic_preload::{INVOKE_HANDLER, ISOLATED_WORLD, MESSAGE_HANDLER, READY_MESSAGE};

use crate::engine::{text, Input, SETUP_LIMIT};
use crate::serve;
use voltaic_cdp::{Cdp, Event};

/// The binding's name in the preload's world; the runtime takes it and deletes it.
const BINDING: &str = "__voltaicBinding";

const BINDING_TRANSPORT_JS: &str = include_str!("../js/binding_transport.js");

/// What the engine's thread keeps of an open window.
pub(crate) struct Window {
    pub(crate) id: u32,
    pub(crate) target: String,
    pub(crate) session: String,
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
    /// The engine thread's queue, for answers given from other threads.
    pub(crate) inputs: mpsc::Sender<Input>,
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
    /// The page `load_html` gave, served at the app origin's root.
    pub(crate) html: Option<String>,
    pub(crate) policy: Arc<PagePolicy>,
    open: Arc<AtomicBool>,
    /// The next top-level navigation is the main process's own.
    pub(crate) main_load: bool,
    /// The share of the window its frame takes (width, height), once measured.
    pub(crate) window_frame: Option<(i64, i64)>,
    /// The window's title, from its options.
    title: String,
    /// `force_crash_renderer` was asked: the crash is reported as killed.
    crash_asked: bool,
}

impl Window {
    /// Attaches to `target` and sets up its preload world, binding and origin.
    pub(crate) fn open(
        cdp: &Cdp,
        target: String,
        link: Arc<ChromiumLink>,
        mut spec: WindowSpec,
    ) -> Result<(Self, OpenedWindow), Error> {
        let failed =
            |what: &str, error: voltaic_cdp::CdpError| Error::WebView(format!("{what}: {error}"));
        let attached = cdp
            .call(
                None,
                "Target.attachToTarget",
                json!({ "targetId": target, "flatten": true }),
                SETUP_LIMIT,
            )
            .map_err(|e| failed("Target.attachToTarget", e))?;
        let session = attached["sessionId"]
            .as_str()
            .ok_or_else(|| Error::WebView("Target.attachToTarget gave no session".into()))?
            .to_owned();
        let attached_session = session.clone();
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
            "{BINDING_TRANSPORT_JS}\nvoltaicBindingTransport({}, {}, {});\n{}",
            json!(BINDING),
            json!(MESSAGE_HANDLER),
            json!(INVOKE_HANDLER),
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
            cdp.call(Some(&session), method, params, SETUP_LIMIT)
                .map_err(|e| failed(method, e))?;
        }
        let frame = match size_window(cdp, &target, &session, &spec.options) {
            Ok(frame) => Some(frame),
            Err(error) => {
                tracing::warn!(window = spec.id, "could not size the window: {error}");
                None
            }
        };
        let inputs = link.inputs.clone();
        let connection = Arc::new(spec.connect(link));
        let web_contents = connection.web_contents().clone();
        let window = Self {
            id: spec.id,
            target,
            session,
            connection: Some(connection),
            outbox: Outbox::new(spec.id, attached_session, context_isolation, parcels),
            token,
            posted: 0,
            waiting_sync: Vec::new(),
            worlds: spec.runtime.isolated_worlds.clone(),
            inputs,
            world: None,
            contexts: std::collections::HashMap::new(),
            url: "about:blank".into(),
            frame: None,
            content: spec.content,
            html: None,
            policy: spec.policy,
            open: spec.open,
            main_load: false,
            title: spec.options.title.clone(),
            window_frame: frame,
            crash_asked: false,
        };
        let opened = OpenedWindow {
            web_contents,
            process_sandboxed: true,
        };
        Ok((window, opened))
    }

    /// Carries out one of the app's operations.
    pub(crate) fn execute(&mut self, cdp: &Cdp, op: WindowOp) {
        let session_id = self.session.clone();
        let session = Some(session_id.as_str());
        match op {
            WindowOp::Load(target) => {
                self.leave_document();
                self.main_load = true;
                let url = match target {
                    LoadTarget::Url(url) => url,
                    LoadTarget::File { root, path } => {
                        self.html = None;
                        self.content.set_root(root);
                        format!("{}{path}", serve::ORIGIN)
                    }
                    LoadTarget::Html(html) => {
                        self.html = Some(html);
                        format!("{}/", serve::ORIGIN)
                    }
                    _ => return,
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
            WindowOp::Title { done } => {
                // The window's own title, as on WebKitGTK, not the page's.
                let _ = done.send(Ok(self.title.clone()));
            }
            WindowOp::Close => {
                cdp.post(
                    None,
                    "Target.closeTarget",
                    json!({ "targetId": self.target }),
                );
            }
            _ => {}
        }
    }

    /// Handles an event of this window's session.
    pub(crate) fn event(&mut self, cdp: &Cdp, event: &Event) {
        let params = &event.params;
        match event.method.as_str() {
            "Runtime.bindingCalled" => {
                let from = params["executionContextId"].as_i64();
                if text(params, "name") == BINDING && from.is_some() && from == self.world {
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
                let main_frame = context["auxData"]["frameId"] == self.target.as_str();
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
                }
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
            'p' | 'q' => {
                let frame = self.sender_frame();
                if let Some(connection) = &self.connection {
                    let text = rest.to_owned();
                    connection.dispatch(frame, Packet { text, buffers });
                }
            }
            'i' | 'j' => {
                let id = rest.split_once(' ').and_then(|(id, _)| {
                    let digits =
                        !id.is_empty() && id.len() <= 16 && id.bytes().all(|b| b.is_ascii_digit());
                    digits.then(|| id.parse::<u64>().ok()).flatten()
                });
                let Some(id) = id else {
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

    /// The window is gone: its sends fail from now on.
    pub(crate) fn closed(mut self, cdp: &Cdp) {
        self.open.store(false, Ordering::Release);
        self.connection.take();
        cdp.post(
            None,
            "Target.closeTarget",
            json!({ "targetId": self.target }),
        );
        self.policy.closed();
    }
}

/// Gives the window's page the options' size (the size of the content, as on
/// WebKitGTK): Chromium sizes whole windows, so the frame's share is measured and
/// added. Each resize is waited for, as the page sees it, within a bound. Returns
/// the frame's share.
fn size_window(
    cdp: &Cdp,
    target: &str,
    session: &str,
    options: &voltaic_app::BrowserWindowOptions,
) -> Result<(i64, i64), String> {
    let window = cdp
        .call(
            None,
            "Browser.getWindowForTarget",
            json!({ "targetId": target }),
            SETUP_LIMIT,
        )
        .map_err(|e| e.to_string())?;
    // Chromium sizes the window around the contents (`Browser.setContentsSize`),
    // which leaves the frame's share to it.
    let set = |width: i64, height: i64| {
        cdp.call(
            None,
            "Browser.setContentsSize",
            json!({ "windowId": window["windowId"], "width": width, "height": height }),
            SETUP_LIMIT,
        )
        .map_err(|e| e.to_string())
    };
    // [innerWidth, innerHeight, outerWidth, outerHeight], once `done` says so.
    let wait = |what: &str,
                limit: std::time::Duration,
                done: &dyn Fn(&[i64]) -> bool|
     -> Result<Vec<i64>, String> {
        let deadline = std::time::Instant::now() + limit;
        loop {
            let sizes = cdp
                .call(
                    Some(session),
                    "Runtime.evaluate",
                    json!({
                        "expression": "[innerWidth, innerHeight, outerWidth, outerHeight]",
                        "returnByValue": true,
                    }),
                    SETUP_LIMIT,
                )
                .map_err(|e| e.to_string())?;
            let sizes: Vec<i64> = sizes["result"]["value"]
                .as_array()
                .map(|v| v.iter().filter_map(Value::as_i64).collect())
                .unwrap_or_default();
            if sizes.len() == 4 && done(&sizes) {
                return Ok(sizes);
            }
            if std::time::Instant::now() > deadline {
                return Err(format!("{what} did not happen within {limit:?}: {sizes:?}"));
            }
            std::thread::sleep(std::time::Duration::from_millis(20));
        }
    };
    let (width, height) = (i64::from(options.width), i64::from(options.height));
    let sizes = wait("the page's size", SETUP_LIMIT, &|_| true)?;
    let frame = |s: &[i64]| (s[2] - s[0], s[3] - s[1]);
    if sizes[0] == width && sizes[1] == height {
        return Ok(frame(&sizes));
    }
    // Asked again each second until the page has the size, within the bound: a
    // window Chromium has just made can still take its first size after ours.
    let deadline = std::time::Instant::now() + SETUP_LIMIT;
    loop {
        set(width, height)?;
        let sized = |s: &[i64]| s[0] == width && s[1] == height;
        match wait(
            "the page's resize",
            std::time::Duration::from_secs(1),
            &sized,
        ) {
            Ok(sizes) => return Ok(frame(&sizes)),
            Err(error) if std::time::Instant::now() > deadline => return Err(error),
            Err(_) => {}
        }
    }
}

/// Runs `script` in the top frame only: a `worldName` script runs in every frame
/// of the page's process, where WebKitGTK's user scripts can be limited to the top.
/// The test shares the script's first line, so its line numbers stay its own.
fn top_frame_only(script: &str) -> String {
    format!("if (window === window.top) {{ {script}\n}}")
}

/// Writes a `Page.captureScreenshot` answer to `path`.
fn save_png(answer: voltaic_cdp::Answer, path: &std::path::Path) -> Result<(), Error> {
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
    session: String,
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
    fn new(window: u32, session: String, isolated: bool, parcels: SharedParcels) -> Self {
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
            Some(&self.session),
            "Runtime.evaluate",
            json!({ "expression": script, "uniqueContextId": context }),
        );
    }
}

/// [`RendererLink`] of a Chromium window: hops to the engine's thread.
pub(crate) struct ChromiumLink {
    pub(crate) window: u32,
    pub(crate) inputs: mpsc::Sender<Input>,
    pub(crate) open: Arc<AtomicBool>,
}

impl RendererLink for ChromiumLink {
    fn post(&self, message: Packet) -> Result<(), IpcError> {
        if !self.open.load(Ordering::Acquire) {
            return Err(IpcError::WindowClosed(self.window));
        }
        self.inputs
            .send(Input::Deliver {
                window: self.window,
                message,
            })
            .map_err(|_| IpcError::WindowClosed(self.window))
    }
}

impl std::fmt::Debug for Window {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Window")
            .field("id", &self.id)
            .field("target", &self.target)
            .finish_non_exhaustive()
    }
}
