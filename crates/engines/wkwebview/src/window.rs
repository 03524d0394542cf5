//! One window on WKWebView: a tao window and a wry webview, with the preload's
//! world, its message handlers and the app's scheme installed before anything
//! loads (wry loads nothing when given no URL).

use std::cell::RefCell;
use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, PoisonError};

use block2::RcBlock;
use objc2::rc::Retained;
use objc2::runtime::{AnyObject, ProtocolObject};
use objc2::{MainThreadMarker, MainThreadOnly};
use objc2_foundation::{NSObjectProtocol, NSString};
use objc2_web_kit::{WKContentWorld, WKUserScript, WKUserScriptInjectionTime, WKWebView};
use tao::event_loop::EventLoopWindowTarget;
use voltaic_app::content::{AppContent, Prepared};
use voltaic_app::engine::{OpenedWindow, Waiting, WindowOp, WindowSpec};
use voltaic_app::preload_routes::parcels::{self, Parcels, SharedParcels};
use voltaic_app::preload_routes::{new_token, send_sync};
use voltaic_app::{Error, PageEvent, PagePolicy, RenderProcessGoneReason};
use voltaic_core::{Connection, IpcError, Packet, RendererLink, SenderFrame};
use voltaic_desktop::{LoopInput, LoopProxy, Policies};
use voltaic_preload::{DOM_READY_MESSAGE, INVOKE_HANDLER, MESSAGE_HANDLER, READY_MESSAGE};
use wry::{WebViewBuilderExtDarwin, WebViewExtMacOS};

use crate::engine::{Input, Work};
use crate::handlers::{PostHandler, ReplyHandler};
use crate::message::{self, Reply};
use crate::scripts::{self, World};

/// The scheme app content is served from.
const SCHEME: &str = "app";
/// The app's origin, with a slash.
const BASE_URL: &str = "app://localhost/";

/// A waiting invoke's way back to its promise.
pub(crate) type ReplyBlock = RcBlock<dyn Fn(*mut AnyObject, *mut NSString)>;

/// What the engine's thread and the window's message handlers share.
pub(crate) struct Shared {
    pub(crate) window: u32,
    pub(crate) connection: RefCell<Option<Arc<Connection>>>,
    pub(crate) outbox: RefCell<Outbox>,
    /// Invokes waiting for their answer, by id.
    pub(crate) replies: RefCell<HashMap<u64, ReplyBlock>>,
    /// What the app's scheme serves, on WebKit's threads too.
    serving: Arc<Serving>,
    policy: Arc<PagePolicy>,
}

/// What the app's scheme handler needs, from any thread.
struct Serving {
    content: Arc<AppContent>,
    token: String,
    parcels: SharedParcels,
    connection: Mutex<Option<Arc<Connection>>>,
    /// The main frame's current document, for `sendSync`'s sender.
    frame: Mutex<SenderFrame>,
}

/// Most invokes one window may have waiting; past that, new ones are refused.
const MAX_PENDING_INVOKES: usize = 100_000;

impl Shared {
    /// A post from the preload's world.
    pub(crate) fn posted(&self, packet: Option<Packet>, sender: Option<SenderFrame>) {
        let (Some(packet), Some(sender)) = (packet, sender) else {
            tracing::warn!(
                window = self.window,
                "ignored an IPC message that is not the main frame's text, or text and a parcel"
            );
            return;
        };
        if packet.buffers.is_empty() && packet.text == READY_MESSAGE {
            self.outbox.borrow_mut().preload_ready();
            return;
        }
        if packet.buffers.is_empty() && packet.text == DOM_READY_MESSAGE {
            self.policy.page_event(PageEvent::DomReady);
            return;
        }
        let connection = self.connection.borrow().clone();
        if let Some(connection) = connection {
            connection.dispatch(sender, packet);
        }
    }

    /// An invoke from the preload's world, with the block that settles its promise.
    pub(crate) fn invoked(
        &self,
        packet: Option<Packet>,
        sender: Option<SenderFrame>,
        reply: ReplyBlock,
    ) {
        let mut packet = packet.unwrap_or_default();
        let (Some(id), Some(sender)) = (voltaic_preload::invoke_id(&packet.text), sender) else {
            tracing::warn!(
                "ignored an invoke that is not the main frame's id, a space and its JSON"
            );
            send(
                &reply,
                Reply::Refused("an invoke is posted as its id, a space and its JSON".into()),
            );
            return;
        };
        {
            let mut waiting = self.replies.borrow_mut();
            if waiting.contains_key(&id) || waiting.len() >= MAX_PENDING_INVOKES {
                drop(waiting);
                let refused = message::refusal(id, "too many pending invokes, or a duplicate id");
                send(&reply, message::reply(&refused, None));
                return;
            }
            waiting.insert(id, reply);
        }
        let prefix = packet.text.find(' ').map_or(0, |at| at + 1);
        packet.text.drain(..prefix);
        let connection = self.connection.borrow().clone();
        let dispatched = connection.is_some_and(|c| c.dispatch_invoke(sender, id, packet));
        if !dispatched {
            if let Some(reply) = self.replies.borrow_mut().remove(&id) {
                let refused = message::refusal(id, "the message was refused (size or rate limit)");
                send(&reply, message::reply(&refused, None));
            }
        }
    }

    /// Settles invoke `id` with `message`, after the messages sent before it, if it
    /// still waits; otherwise delivers it like any other.
    pub(crate) fn answer(&self, id: u64, message: Packet) {
        let pending = self.replies.borrow_mut().remove(&id);
        let mut outbox = self.outbox.borrow_mut();
        match pending {
            Some(reply) => {
                outbox.flush();
                let parcel = (!message.buffers.is_empty()).then(|| outbox.park(message.buffers));
                send(&reply, message::reply(&message.text, parcel));
            }
            None => outbox.deliver(message),
        }
    }

    /// A new document is on its way: what is sent from now on waits for its
    /// preload, the old document's promises and ports are gone.
    fn leave_document(&self) {
        self.replies.borrow_mut().clear();
        if self.outbox.borrow_mut().navigation_started() {
            if let Some(connection) = self.connection.borrow().as_ref() {
                connection.document_gone();
            }
        }
    }
}

/// Settles a promise.
fn send(reply: &ReplyBlock, answer: Reply) {
    match answer {
        Reply::Text(text) | Reply::Refused(text) => {
            let text = NSString::from_str(&text);
            reply.call((std::ptr::null_mut(), Retained::as_ptr(&text).cast_mut()));
        }
        Reply::WithParcel(text, parcel) => {
            let text = NSString::from_str(&text);
            let parcel = objc2_foundation::NSNumber::new_u64(parcel);
            let items: [&AnyObject; 2] = [&text, &parcel];
            let array = objc2_foundation::NSArray::from_slice(&items);
            let value: &AnyObject = &array;
            reply.call((std::ptr::from_ref(value).cast_mut(), std::ptr::null_mut()));
        }
    }
}

/// Main → renderer messages of one window: delivered only while the current
/// document's preload has run, evaluated in its world in batches.
pub(crate) struct Outbox {
    webview: Retained<WKWebView>,
    world: Retained<WKContentWorld>,
    ready: bool,
    waiting: Waiting,
    batch: String,
    parcels: SharedParcels,
}

impl Outbox {
    pub(crate) fn deliver(&mut self, message: Packet) {
        if !self.ready {
            self.waiting.push(message);
            return;
        }
        if message.buffers.is_empty() {
            self.batch
                .push_str(&voltaic_preload::receive_call(&message.text));
        } else {
            // Bytes cannot be written into a script: they wait for the preload.
            let parcel = self.park(message.buffers);
            self.batch
                .push_str(&voltaic_preload::receive_call_with_parcel(
                    &message.text,
                    parcel,
                ));
        }
        self.batch.push_str(";\n");
    }

    fn park(&self, buffers: Vec<voltaic_core::Bytes>) -> u64 {
        lock(&self.parcels).park(buffers)
    }

    pub(crate) fn claim(&self, parcel: u64) -> Option<Vec<voltaic_core::Bytes>> {
        lock(&self.parcels).claim(parcel)
    }

    fn preload_ready(&mut self) {
        self.ready = true;
        while let Some(message) = self.waiting.pop() {
            self.deliver(message);
        }
    }

    /// Returns whether a document with a running preload is being left.
    fn navigation_started(&mut self) -> bool {
        self.batch.clear();
        lock(&self.parcels).clear();
        std::mem::replace(&mut self.ready, false)
    }

    /// Evaluates the pending batch in the preload's world of the main frame.
    pub(crate) fn flush(&mut self) {
        if self.batch.is_empty() {
            return;
        }
        let script = NSString::from_str(&std::mem::take(&mut self.batch));
        // SAFETY: a WebKit call on the main thread, where the engine runs.
        unsafe {
            self.webview
                .evaluateJavaScript_inFrame_inContentWorld_completionHandler(
                    &script,
                    None,
                    &self.world,
                    None,
                );
        }
    }
}

/// One open window.
pub(crate) struct Window {
    pub(crate) native: tao::window::Window,
    pub(crate) webview: wry::WebView,
    pub(crate) shared: std::rc::Rc<Shared>,
    policy: Arc<PagePolicy>,
    open: Arc<AtomicBool>,
    main_load: std::rc::Rc<std::cell::Cell<bool>>,
    /// The message handlers, kept so that they can be removed with the window
    /// (the content controller holds them, and they hold the window's state).
    _handlers: (Retained<PostHandler>, Retained<ReplyHandler>),
    /// Reads the native window for Electron's window events.
    watcher: voltaic_desktop::Watcher,
}

impl voltaic_desktop::OpenWindow for Window {
    fn native(&self) -> &tao::window::Window {
        &self.native
    }

    fn close_requested(&self) -> bool {
        self.policy.close_requested()
    }

    /// The window is gone: its sends fail from now on, and the app hears of it.
    fn closed(self) {
        self.open.store(false, Ordering::Release);
        self.shared.connection.borrow_mut().take();
        lock(&self.shared.serving.connection).take();
        // SAFETY: a WebKit call on the main thread; the controller lets go of the
        // handlers, and with them of the window's state.
        unsafe {
            self.webview.manager().removeAllScriptMessageHandlers();
        }
        self.policy.closed();
    }

    fn window_changed(&mut self) {
        for event in self.watcher.changed(&self.native) {
            self.policy.window_event(event);
        }
    }
}

impl Window {
    /// Carries out one of the app's operations on the page; closing and the
    /// native window's own are `voltaic_desktop::Windows::command`'s.
    pub(crate) fn execute(&mut self, op: WindowOp) {
        match op {
            WindowOp::Load(target) => {
                self.shared.leave_document();
                self.main_load.set(true);
                let url = match self.shared.serving.content.prepare(target) {
                    Prepared::Url(url) => url,
                    Prepared::AppPath(path) => format!("{}{path}", BASE_URL.trim_end_matches('/')),
                };
                if let Err(error) = self.webview.load_url(&url) {
                    tracing::warn!(window = self.shared.window, "could not load {url}: {error}");
                }
            }
            WindowOp::Reload => {
                self.shared.leave_document();
                self.main_load.set(true);
                if let Err(error) = self.webview.reload() {
                    tracing::warn!(window = self.shared.window, "could not reload: {error}");
                }
            }
            WindowOp::ExecuteJavaScript { done, .. } => {
                let _ = done.send(Err(Error::Script(
                    "execute_javascript is not on the WKWebView engine yet".into(),
                )));
            }
            WindowOp::Capture { done, .. } => {
                let _ = done.send(Err(Error::Capture(
                    "capture_page is not on the WKWebView engine yet".into(),
                )));
            }
            _ => {}
        }
    }
}

/// Opens one window.
pub(crate) fn open(
    target: &EventLoopWindowTarget<Input>,
    proxy: &LoopProxy<Input>,
    mut spec: WindowSpec,
) -> Result<(Window, OpenedWindow), Error> {
    let mtm = MainThreadMarker::new()
        .ok_or_else(|| Error::Window("windows are made on the main thread only".into()))?;
    let options = spec.options.clone();
    // Refused before: a parent is not on this engine's list.
    let native = voltaic_desktop::native_window(target, &options, None)?;
    let token = new_token()
        .map_err(|e| Error::WebView(format!("no randomness for the window's token: {e}")))?;
    spec.runtime.sync_token = token.clone();
    let serving = Arc::new(Serving {
        content: spec.content.clone(),
        token,
        parcels: Parcels::new(spec.runtime.max_message_bytes),
        connection: Mutex::new(None),
        frame: Mutex::new(SenderFrame::from_url("about:blank")),
    });
    let main_load = std::rc::Rc::new(std::cell::Cell::new(false));
    let started: Started = std::rc::Rc::default();
    let webview = web_view(
        &native,
        &spec,
        serving.clone(),
        main_load.clone(),
        started.clone(),
    )?;
    let wk: Retained<WKWebView> = Retained::into_super(webview.webview());
    // SAFETY: `setInspectable:` exists from macOS 13.3; wry calls it only in
    // debug builds, so `dev_tools: false` needs it said here.
    unsafe {
        if wk.respondsToSelector(objc2::sel!(setInspectable:)) {
            wk.setInspectable(options.web_preferences.dev_tools);
        }
    }
    let world = match scripts::preload_world(spec.runtime.context_isolation) {
        World::Named(name) => content_world(&name, mtm),
        World::Page => page_world(mtm),
    };
    let controller = webview.manager();
    for (source, world) in scripts::document_start(&spec.runtime, spec.preload.as_deref()) {
        let world = match world {
            World::Named(name) => content_world(&name, mtm),
            World::Page => page_world(mtm),
        };
        // SAFETY: WebKit calls on the main thread (checked above).
        unsafe {
            let script = WKUserScript::initWithSource_injectionTime_forMainFrameOnly_inContentWorld(
                WKUserScript::alloc(mtm),
                &NSString::from_str(&source),
                WKUserScriptInjectionTime::AtDocumentStart,
                true,
                &world,
            );
            controller.addUserScript(&script);
        }
    }
    let open = spec.open.clone();
    let link = Arc::new(Link {
        window: spec.id,
        proxy: proxy.clone(),
        open: open.clone(),
    });
    let connection = Arc::new(spec.connect(link));
    let web_contents = connection.web_contents().clone();
    *lock(&serving.connection) = Some(connection.clone());
    let shared = std::rc::Rc::new(Shared {
        window: spec.id,
        connection: RefCell::new(Some(connection)),
        outbox: RefCell::new(Outbox {
            webview: wk.clone(),
            world: world.clone(),
            ready: false,
            waiting: Waiting::new(spec.id),
            batch: String::new(),
            parcels: serving.parcels.clone(),
        }),
        replies: RefCell::default(),
        serving,
        policy: spec.policy.clone(),
    });
    let _ = started.set(std::rc::Rc::downgrade(&shared));
    let posts = PostHandler::new(mtm, shared.clone());
    let invokes = ReplyHandler::new(mtm, shared.clone());
    // SAFETY: WebKit calls on the main thread; the handlers exist in the preload's
    // world only, so the page's world has no IPC primitive.
    unsafe {
        controller.addScriptMessageHandler_contentWorld_name(
            ProtocolObject::from_ref(&*posts),
            &world,
            &NSString::from_str(MESSAGE_HANDLER),
        );
        controller.addScriptMessageHandlerWithReply_contentWorld_name(
            ProtocolObject::from_ref(&*invokes),
            &world,
            &NSString::from_str(INVOKE_HANDLER),
        );
    }
    let mut watcher = voltaic_desktop::Watcher::default();
    watcher.changed(&native);
    let window = Window {
        native,
        watcher,
        webview,
        shared,
        policy: spec.policy.clone(),
        open,
        main_load,
        _handlers: (posts, invokes),
    };
    let opened = OpenedWindow {
        web_contents,
        // WebKit's web content process always runs in macOS's sandbox.
        process_sandboxed: true,
    };
    Ok((window, opened))
}

fn content_world(name: &str, mtm: MainThreadMarker) -> Retained<WKContentWorld> {
    // SAFETY: a WebKit call on the main thread.
    unsafe { WKContentWorld::worldWithName(&NSString::from_str(name), mtm) }
}

fn page_world(mtm: MainThreadMarker) -> Retained<WKContentWorld> {
    // SAFETY: as above.
    unsafe { WKContentWorld::pageWorld(mtm) }
}

/// Where a window's state is, once it is made, for the webview's own callbacks.
type Started = std::rc::Rc<std::cell::OnceCell<std::rc::Weak<Shared>>>;

/// The webview, with the page policies and the app's scheme.
fn web_view(
    native: &tao::window::Window,
    spec: &WindowSpec,
    serving: Arc<Serving>,
    main_load: std::rc::Rc<std::cell::Cell<bool>>,
    started: Started,
) -> Result<wry::WebView, Error> {
    let gone = spec.policy.clone();
    let loading = serving.clone();
    voltaic_desktop::web_view(spec, Policies::Wry { main_load }, |builder| {
        builder
            .with_on_page_load_handler(move |event, url| {
                let shared = started.get().and_then(std::rc::Weak::upgrade);
                match event {
                    // Covers the navigations the page starts itself too.
                    wry::PageLoadEvent::Started => {
                        if let Some(shared) = &shared {
                            shared.leave_document();
                            shared.policy.page_event(PageEvent::DidStartLoading);
                            shared
                                .policy
                                .page_event(PageEvent::DidNavigate { url: url.clone() });
                        }
                    }
                    wry::PageLoadEvent::Finished => {
                        if let Some(shared) = &shared {
                            shared.policy.page_event(PageEvent::DidFinishLoad);
                            shared.policy.page_event(PageEvent::DidStopLoading);
                        }
                    }
                }
                // The document's URL, as WebKit reports it: `sendSync`'s sender,
                // whatever the page sends first.
                *lock(&loading.frame) = SenderFrame::from_url(&url);
            })
            .with_on_web_content_process_terminate_handler(move || {
                gone.render_process_gone(RenderProcessGoneReason::Crashed);
            })
            .with_asynchronous_custom_protocol(SCHEME.into(), move |_, request, responder| {
                serve(&serving, request, responder);
            })
            .build(native)
    })
}

/// Serves `app://`: the window's files, and the preload's routes (bytes,
/// `sendSync`), which need the window's token.
fn serve(
    serving: &Serving,
    request: http::Request<Vec<u8>>,
    responder: wry::RequestAsyncResponder,
) {
    let path = request.uri().path().to_owned();
    if path == send_sync::PATH {
        let frame = lock(&serving.frame).clone();
        let connection = lock(&serving.connection).clone();
        send_sync::handle(
            &serving.token,
            connection,
            || frame,
            request,
            &serving.parcels,
            Box::new(move |response| responder.respond(response)),
        );
    } else if path == voltaic_preload::WEB_FRAME_PATH {
        // Not on this engine yet: the preload's webFrame call fails with it.
        responder.respond(send_sync::status(http::StatusCode::NOT_IMPLEMENTED));
    } else if path.starts_with(parcels::PREFIX) {
        responder.respond(parcels::handle(&serving.parcels, &serving.token, request));
    } else {
        responder.respond(serving.content.respond(&request));
    }
}

/// [`RendererLink`] of a window: hops to the main thread.
struct Link {
    window: u32,
    proxy: LoopProxy<Input>,
    open: Arc<AtomicBool>,
}

impl Link {
    fn send(&self, input: Input) -> Result<(), IpcError> {
        if !self.open.load(Ordering::Acquire) {
            return Err(IpcError::WindowClosed(self.window));
        }
        self.proxy
            .send(input)
            .map_err(|_| IpcError::WindowClosed(self.window))
    }
}

impl RendererLink for Link {
    fn post(&self, message: Packet) -> Result<(), IpcError> {
        self.send(LoopInput::Engine(Work::Deliver {
            window: self.window,
            message,
        }))
    }

    fn answer(&self, id: u64, message: Packet) -> Result<(), IpcError> {
        self.send(LoopInput::Engine(Work::Answer {
            window: self.window,
            id,
            message,
        }))
    }
}

impl std::fmt::Debug for Link {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Link")
            .field("window", &self.window)
            .finish_non_exhaustive()
    }
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}
