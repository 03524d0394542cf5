//! One window on WebKitGTK: a tao window holding a wry/WebKitGTK webview, with the
//! preload world, its channel and the `app://` scheme installed before anything
//! loads.

use std::cell::{Cell, RefCell};
use std::rc::Rc;
use std::sync::atomic::AtomicBool;
use std::sync::Arc;

use tao::event_loop::EventLoopWindowTarget;
use tao::platform::unix::WindowExtUnix;
use voltaic_app::content::{AppContent, Prepared};
use voltaic_app::engine::{LoadTarget, OpenedWindow, WindowSpec};
use voltaic_app::{Error, PageEvent, PagePolicy, PermissionKind, RenderProcessGoneReason};
use voltaic_desktop::Policies;
use webkit2gtk::glib::prelude::*;
use webkit2gtk::{
    LoadEvent, PermissionRequestExt, SettingsExt, UserMediaPermissionRequestExt, WebContextExt,
    WebViewExt,
};
use wry::http::Request;
use wry::WebViewBuilderExtUnix;
use wry::WebViewExtUnix;

use crate::loopback::{self, Loopback};
use crate::ops::{LoopEvent, Op};
use crate::scheme_handler::{self, Responder};
use crate::sync_channel::{self, SyncChannel};
use crate::transport::{self, Inbox, Outbox, RendererSetup, Replies, SharedOutbox, WebKitLink};
use crate::web_frame::{self, WebFrame};
use voltaic_app::preload_routes::parcels::{self, Parcels};

/// The scheme app content is served from.
pub(crate) const SCHEME: &str = "app";
/// The app's origin, with a slash: what `load_html` pages and app files are under.
pub(crate) const BASE_URL: &str = "app://localhost/";

/// What the GTK thread keeps of an open window.
pub(crate) struct WindowEntry {
    pub(crate) native: tao::window::Window,
    pub(crate) webview: wry::WebView,
    pub(crate) view: webkit2gtk::WebView,
    pub(crate) outbox: SharedOutbox,
    pub(crate) inbox: Inbox,
    pub(crate) replies: Replies,
    pub(crate) open: Arc<AtomicBool>,
    pub(crate) content: Arc<AppContent>,
    pub(crate) policy: Arc<PagePolicy>,
    /// Tells the navigation policy that the next navigation is the main process's.
    pub(crate) main_load: Rc<Cell<bool>>,
    /// Answers the requests of the window's app origin.
    pub(crate) route: Route,
    /// Where the window's app origin is served: `app://localhost`, or a
    /// cross-origin-isolated window's loopback origin.
    base: String,
    /// A cross-origin-isolated window's server, stopped with the window.
    _loopback: Option<Loopback>,
}

impl WindowEntry {
    /// What is sent from now on waits for the next document's preload.
    pub(crate) fn leave_document(&self) {
        transport::leave_document(&self.outbox, &self.inbox);
    }

    /// Loads what the app asked for; the navigation is the main process's own.
    pub(crate) fn load(&self, target: LoadTarget) {
        self.leave_document();
        self.main_load.set(true);
        let url = match self.content.prepare(target) {
            Prepared::Url(url) => url,
            Prepared::AppPath(path) => format!("{}{path}", self.base),
        };
        let result = self.webview.load_url(&url);
        if let Err(error) = result {
            tracing::error!("load failed: {error}");
        }
    }
}

/// Creates a window on the GTK thread, before or while the event loop runs.
pub(crate) fn open(
    target: &EventLoopWindowTarget<LoopEvent>,
    ops: async_channel::Sender<Op>,
    mut spec: WindowSpec,
    parent: Option<&tao::window::Window>,
) -> Result<(WindowEntry, OpenedWindow), Error> {
    let id = spec.id;
    let prefs = &spec.options.web_preferences;
    let sync = Arc::new(
        SyncChannel::new()
            .map_err(|e| Error::WebView(format!("no randomness for the sendSync token: {e}")))?,
    );
    let loopback = if prefs.cross_origin_isolation {
        // Room for a message's bytes at the size limit, and the envelope around.
        let bodies = spec
            .runtime
            .max_message_bytes
            .saturating_mul(2)
            .max(1 << 20);
        let loopback = Loopback::start(id, ops.clone(), bodies)?;
        // JavaScriptCore's switch holds for every web process started from now.
        std::env::set_var(loopback::SHARED_ARRAY_BUFFER, "1");
        voltaic_app::content::serve_app_origin_at(loopback.base.clone());
        Some(loopback)
    } else {
        None
    };
    let base = loopback.as_ref().map_or_else(
        || BASE_URL.trim_end_matches('/').to_owned(),
        |loopback| loopback.base.clone(),
    );
    let native = voltaic_desktop::native_window(target, &spec.options, parent)?;
    let policy = spec.policy.clone();
    voltaic_desktop::watch(&native, move |event| policy.window_event(event));
    let main_load = Rc::new(Cell::new(false));
    let webview = web_view(&native, &spec, main_load.clone())?;
    let view = webview.webview();
    let parcels = Parcels::new(spec.runtime.max_message_bytes);
    let route = serve(
        &view,
        &spec.content,
        &sync,
        &parcels,
        WebFrame::new(
            &view,
            sync.token().to_owned(),
            prefs.isolated_worlds.clone(),
        ),
    )?;
    decide_permissions(&view, spec.policy.clone());
    // As in Electron, `window.open` from script reaches the app's window-open
    // policy (deny unless the handler allows) instead of WebKit's popup
    // blocker silently dropping the calls made without a user gesture.
    if let Some(settings) = WebViewExt::settings(&view) {
        settings.set_javascript_can_open_windows_automatically(true);
    }
    let process_sandboxed = view
        .context()
        .is_some_and(|context| context.is_sandbox_enabled());

    let link = Arc::new(WebKitLink {
        window: id,
        ops,
        open: spec.open.clone(),
    });
    let connection = Arc::new(spec.connect(link));
    let web_contents = connection.web_contents().clone();
    sync.connect(&connection, &view);
    let inbox: Inbox = Rc::new(RefCell::new(Some(connection)));
    let context_isolation = spec.runtime.context_isolation;
    spec.runtime.sync_token = sync.token().to_owned();
    spec.runtime.app_origin = base.clone();
    let setup = RendererSetup {
        runtime: spec.runtime,
        preload: spec.preload,
    };
    let outbox = Outbox::new(
        id,
        transport::preload_world(context_isolation),
        &view,
        parcels,
    );
    let replies: Replies = Rc::default();
    transport::install(
        &view,
        &setup,
        inbox.clone(),
        outbox.clone(),
        replies.clone(),
        spec.policy.clone(),
    )?;
    report_gone_renderers(&view, outbox.clone(), inbox.clone(), spec.policy.clone());
    report_loads(&view, spec.policy.clone());
    follow_title(&view, native.gtk_window(), spec.policy.clone());
    let entry = WindowEntry {
        native,
        webview,
        view,
        outbox,
        inbox,
        replies,
        open: spec.open,
        content: spec.content,
        policy: spec.policy,
        main_load,
        route,
        base,
        _loopback: loopback,
    };
    let opened = OpenedWindow {
        web_contents,
        process_sandboxed,
    };
    Ok((entry, opened))
}

/// The webview, with the page policies: navigations the page makes by itself and
/// `window.open` go to the app's [`PagePolicy`].
fn web_view(
    native: &tao::window::Window,
    spec: &WindowSpec,
    main_load: Rc<Cell<bool>>,
) -> Result<wry::WebView, Error> {
    let container = native
        .default_vbox()
        .ok_or_else(|| Error::Window("the window has no GTK container".into()))?;
    voltaic_desktop::web_view(spec, Policies::Wry { main_load }, |builder| {
        builder.build_gtk(container)
    })
}

/// Serves `app://`: the window's files, and the transport's own paths (sendSync,
/// webFrame, bytes), which need the window's token. Registered here, not through
/// wry: see scheme_handler for why.
/// Returns the route, which a cross-origin-isolated window's loopback server
/// takes its requests to as well.
fn serve(
    view: &webkit2gtk::WebView,
    content: &Arc<AppContent>,
    sync: &Arc<SyncChannel>,
    parcels: &parcels::SharedParcels,
    frame: WebFrame,
) -> Result<Route, Error> {
    let (content, sync, bytes) = (content.clone(), sync.clone(), parcels.clone());
    let token = sync.token().to_owned();
    let route: Route = Rc::new(move |request: Request<Vec<u8>>, responder: Responder| {
        let path = request.uri().path();
        if path == sync_channel::PATH {
            sync.handle(request, &bytes, responder);
        } else if path == web_frame::PATH {
            frame.handle(request, responder);
        } else if path.starts_with(parcels::PREFIX) {
            responder.respond(parcels::handle(&bytes, sync.token(), request));
        } else {
            responder.respond(content.respond(&request));
        }
    });
    let scheme = route.clone();
    scheme_handler::register(view, SCHEME, token, move |request, responder| {
        scheme(request, responder);
    })?;
    Ok(route)
}

/// Answers a request of the window's app origin.
pub(crate) type Route = Rc<dyn Fn(Request<Vec<u8>>, Responder)>;

/// The main frame's loads, as the window's page events: WebKit reports a load's
/// start, its commit (the new document's URL), a failure, and its end (after the
/// `load` event, or after the failure).
fn report_loads(view: &webkit2gtk::WebView, policy: Arc<PagePolicy>) {
    let failed = Rc::new(Cell::new(false));
    let on_failure = (policy.clone(), failed.clone());
    view.connect_load_failed(move |_, _, uri, error| {
        on_failure.1.set(true);
        on_failure.0.page_event(PageEvent::DidFailLoad {
            url: voltaic_app::content::app_url(uri).into_owned(),
            description: error.to_string(),
        });
        // WebKit goes on to its own error page (or none), as Electron does.
        false
    });
    view.connect_load_changed(move |view, event| match event {
        LoadEvent::Started => {
            failed.set(false);
            policy.page_event(PageEvent::DidStartLoading);
        }
        LoadEvent::Committed if !failed.get() => policy.page_event(PageEvent::DidNavigate {
            url: transport::document_url(view),
        }),
        LoadEvent::Finished => {
            if !failed.get() {
                policy.page_event(PageEvent::DidFinishLoad);
            }
            policy.page_event(PageEvent::DidStopLoading);
        }
        _ => {}
    });
}

/// The page's title, as `page-title-updated`: the native window's title follows
/// it unless a listener prevents that, as in Electron.
fn follow_title(
    view: &webkit2gtk::WebView,
    window: &gtk::ApplicationWindow,
    policy: Arc<PagePolicy>,
) {
    let window = window.downgrade();
    view.connect_title_notify(move |view| {
        // A document without a title (or one starting to load) leaves the
        // window's title as it was.
        let Some(title) = view.title().filter(|t| !t.is_empty()) else {
            return;
        };
        if policy.title_updated(&title) {
            if let Some(window) = window.upgrade() {
                gtk::prelude::GtkWindowExt::set_title(&window, &title);
            }
        }
    });
}

/// A renderer that crashes, runs out of memory or is ended: what is sent from now on
/// waits for the next renderer, the ports the dead one held are closed, and the app
/// hears of it.
fn report_gone_renderers(
    view: &webkit2gtk::WebView,
    waiting: SharedOutbox,
    gone: Inbox,
    policy: Arc<PagePolicy>,
) {
    view.connect_web_process_terminated(move |_, reason| {
        transport::leave_document(&waiting, &gone);
        policy.render_process_gone(match reason {
            webkit2gtk::WebProcessTerminationReason::ExceededMemoryLimit => {
                RenderProcessGoneReason::Oom
            }
            webkit2gtk::WebProcessTerminationReason::TerminatedByApi => {
                RenderProcessGoneReason::Killed
            }
            _ => RenderProcessGoneReason::Crashed,
        });
    });
}

/// Answers the page's permission requests: denied unless the app's handler allows.
fn decide_permissions(view: &webkit2gtk::WebView, policy: Arc<PagePolicy>) {
    view.connect_permission_request(move |_, request| {
        if policy.allows_permission(permission_kind(request)) {
            request.allow();
        } else {
            request.deny();
        }
        true
    });
}

fn permission_kind(request: &webkit2gtk::PermissionRequest) -> PermissionKind {
    if let Some(media) = request.downcast_ref::<webkit2gtk::UserMediaPermissionRequest>() {
        return PermissionKind::Media {
            audio: media.is_for_audio_device(),
            video: media.is_for_video_device(),
        };
    }
    if request.is::<webkit2gtk::GeolocationPermissionRequest>() {
        return PermissionKind::Geolocation;
    }
    if request.is::<webkit2gtk::NotificationPermissionRequest>() {
        return PermissionKind::Notifications;
    }
    PermissionKind::Other(request.type_().name().to_owned())
}
