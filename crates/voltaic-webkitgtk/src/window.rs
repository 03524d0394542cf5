//! `BrowserWindow`: a native window holding one webview.

use std::cell::{Cell, RefCell};
use std::future::Future;
use std::path::{Path, PathBuf};
use std::rc::Rc;
use std::sync::atomic::{AtomicBool, AtomicU32, Ordering};
use std::sync::{Arc, PoisonError};

use tao::dpi::LogicalSize;
use tao::event_loop::EventLoopWindowTarget;
use tao::platform::unix::WindowExtUnix;
use tao::window::WindowBuilder;
use tokio::sync::oneshot;
use url::Url;
use voltaic_core::{
    AllowedOrigins, Api, ChannelGrants, ChannelPattern, Direction, IpcMain, SenderFrame,
    WebContents, WindowPolicy,
};
use webkit2gtk::glib::prelude::*;
use webkit2gtk::{
    PermissionRequestExt, SettingsExt, UserMediaPermissionRequestExt, WebContextExt, WebViewExt,
};
use wry::WebViewBuilderExtUnix;
use wry::WebViewExtUnix;

use crate::app::{Command, LoadTarget, WindowEntry, Windows};
use crate::app_scheme::{self, AppContent};
use crate::hooks::{
    Hooks, NavigationRequest, PermissionKind, PermissionRequest, RenderProcessGone,
    RenderProcessGoneReason, WindowOpenAction, WindowOpenRequest,
};
use crate::parcels::{self, Parcels};
use crate::scheme_handler;
use crate::security::WindowFacts;
use crate::sync_channel::{self, SyncChannel};
use crate::transport::{self, Inbox, Outbox, RendererSetup, Replies, WebKitLink};
use crate::web_frame::{self, WebFrame};
use crate::{App, AppHandle, BrowserWindowOptions, Error};

static NEXT_WINDOW_ID: AtomicU32 = AtomicU32::new(1);

/// A window showing web content in its own renderer (Electron's `BrowserWindow`).
///
/// The handle is cheap to clone and usable from any thread: its methods are carried
/// out by the event loop, in the order they were called.
#[derive(Clone)]
pub struct BrowserWindow {
    id: u32,
    web_contents: WebContents,
    ops: async_channel::Sender<Command>,
    open: Arc<AtomicBool>,
}

impl BrowserWindow {
    /// Creates the window and its renderer, with the preload and IPC transport
    /// installed before anything is loaded. Call on the main thread, before
    /// [`App::run`]; once the app runs, use [`crate::AppHandle::create_window`].
    pub fn new(app: &App, options: BrowserWindowOptions) -> Result<Self, Error> {
        Self::open(&app.event_loop, &app.handle, &app.windows, options)
    }

    /// Creates a window on the GTK thread, before or while the event loop runs.
    pub(crate) fn open(
        target: &EventLoopWindowTarget<Command>,
        app: &AppHandle,
        windows: &Windows,
        options: BrowserWindowOptions,
    ) -> Result<Self, Error> {
        let prefs = &options.web_preferences;
        if prefs.node_integration {
            return Err(Error::NodeIntegrationUnsupported);
        }
        if let Some(&world) = prefs.isolated_worlds.iter().find(|&&w| w == 0 || w == 999) {
            return Err(Error::InvalidIsolatedWorld(world));
        }
        let preload = prefs.preload.as_deref().map(read_preload).transpose()?;
        let id = NEXT_WINDOW_ID.fetch_add(1, Ordering::Relaxed);
        let main_load = Rc::new(Cell::new(false));
        let content = Arc::new(AppContent::new(prefs.content_security_policy.clone()));
        let sync =
            Arc::new(SyncChannel::new().map_err(|e| {
                Error::WebView(format!("no randomness for the sendSync token: {e}"))
            })?);
        if !prefs.context_isolation {
            tracing::warn!(
                window = id,
                "context_isolation is off: page scripts can reach ipcRenderer"
            );
        }
        if !prefs.sandbox {
            tracing::warn!(
                window = id,
                "sandbox: false changes nothing: the web process sandbox is app-wide and renderers never get Node.js"
            );
        }

        let native = WindowBuilder::new()
            .with_title(&options.title)
            .with_inner_size(LogicalSize::new(options.width, options.height))
            .with_visible(options.show)
            .build(target)
            .map_err(|e| Error::Window(e.to_string()))?;
        let container = native
            .default_vbox()
            .ok_or_else(|| Error::Window("the window has no GTK container".into()))?;
        let parcels = Parcels::new(app.ipc_main().limits().max_message_bytes);
        let (serve, sync_requests, bytes) = (content.clone(), sync.clone(), parcels.clone());
        let navigation = NavigationPolicy {
            window: id,
            main_load: main_load.clone(),
            origins: prefs.allowed_origins.clone(),
            hooks: app.hooks.clone(),
        };
        let opener = app.clone();
        let webview = wry::WebViewBuilder::new()
            .with_devtools(prefs.dev_tools)
            .with_navigation_handler(move |url| navigation.allows(&url))
            .with_new_window_req_handler(move |url, _| {
                window_open(&opener, id, url);
                wry::NewWindowResponse::Deny
            })
            .build_gtk(container)
            .map_err(|e| Error::WebView(e.to_string()))?;
        let view = webview.webview();
        // Registered here, not through wry: see scheme_handler for why.
        let token = sync_requests.token().to_owned();
        let frame = WebFrame::new(&view, token.clone(), prefs.isolated_worlds.clone());
        scheme_handler::register(
            &view,
            app_scheme::SCHEME,
            token,
            move |request, responder| {
                let path = request.uri().path();
                if path == sync_channel::PATH {
                    sync_requests.handle(request, &bytes, responder);
                } else if path == web_frame::PATH {
                    frame.handle(request, responder);
                } else if path.starts_with(parcels::PREFIX) {
                    responder.respond(parcels::handle(&bytes, sync_requests.token(), request));
                } else {
                    responder.respond(serve.respond(&request));
                }
            },
        )?;
        decide_permissions(&view, id, app.hooks.clone());
        // As in Electron, `window.open` from script reaches the app's window-open
        // policy (deny unless the handler allows) instead of WebKit's popup
        // blocker silently dropping the calls made without a user gesture.
        if let Some(settings) = WebViewExt::settings(&view) {
            settings.set_javascript_can_open_windows_automatically(true);
        }
        let process_sandboxed = view
            .context()
            .is_some_and(|context| context.is_sandbox_enabled());

        let open = Arc::new(AtomicBool::new(true));
        let ops = app.ops.clone();
        let link = Arc::new(WebKitLink {
            window: id,
            ops: ops.clone(),
            open: open.clone(),
        });
        let handle_open = open.clone();
        let apis = window_apis(prefs, app.ipc_main())?;
        let grants = with_api_grants(&prefs.grants, &apis);
        let policy = WindowPolicy {
            grants: grants.clone(),
            origins: prefs.allowed_origins.clone(),
        };
        let connection = app.ipc_main().connect(id, link, policy);
        let web_contents = connection.web_contents().clone();
        for api in &apis {
            api.attach(&web_contents);
        }
        let connection = Arc::new(connection);
        sync.connect(&connection, &view);
        let inbox: Inbox = Rc::new(RefCell::new(Some(connection)));
        let (preload_name, preload_source) = match preload {
            Some((name, source)) => (name, Some(source)),
            None => ("(none)".to_owned(), None),
        };
        let setup = RendererSetup {
            runtime: runtime_config(
                prefs,
                &grants,
                &apis,
                app.ipc_main(),
                preload_name,
                sync.token(),
                *app.sandbox() == crate::SandboxState::Enabled,
            ),
            preload: preload_source,
        };
        let outbox = Outbox::new(
            id,
            transport::preload_world(prefs.context_isolation),
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
        )?;
        let hooks = app.hooks.clone();
        let waiting = outbox.clone();
        let gone = inbox.clone();
        view.connect_web_process_terminated(move |_, reason| {
            // Keep what is sent from now on for the next renderer's preload; the
            // ports the dead one held are closed.
            transport::leave_document(&waiting, &gone);
            let reason = match reason {
                webkit2gtk::WebProcessTerminationReason::ExceededMemoryLimit => {
                    RenderProcessGoneReason::Oom
                }
                webkit2gtk::WebProcessTerminationReason::TerminatedByApi => {
                    RenderProcessGoneReason::Killed
                }
                _ => RenderProcessGoneReason::Crashed,
            };
            tracing::error!(window = id, "renderer process gone: {reason:?}");
            hooks.render_process_gone(&RenderProcessGone { window: id, reason });
        });
        app.security
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .insert(
                id,
                WindowFacts {
                    title: options.title.clone(),
                    context_isolation: prefs.context_isolation,
                    sandbox_requested: prefs.sandbox,
                    process_sandboxed,
                    dev_tools: prefs.dev_tools,
                    grants: grants.clone(),
                    origins: prefs.allowed_origins.clone(),
                    csp: prefs.content_security_policy.clone(),
                    apis: apis
                        .iter()
                        .map(|api| {
                            let channels = api.channels().into_iter().map(|(_, c)| c).collect();
                            (api.name().to_owned(), channels)
                        })
                        .collect(),
                },
            );
        windows.borrow_mut().insert(
            id,
            WindowEntry {
                native,
                webview,
                view,
                outbox,
                inbox,
                replies,
                open,
                content,
                main_load,
            },
        );
        tracing::debug!(window = id, "window created");
        let window = Self {
            id,
            web_contents,
            ops,
            open: handle_open,
        };
        app.open_windows
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .insert(id, window.clone());
        Ok(window)
    }

    /// The window's id, the same as its web contents' id.
    pub fn id(&self) -> u32 {
        self.id
    }

    /// The window's web contents, to `send` messages to its renderer.
    pub fn web_contents(&self) -> &WebContents {
        &self.web_contents
    }

    /// Loads an absolute URL (`https:`, `file:`, `data:`, …). The load itself is not
    /// subject to the navigation policy (the main process asked for it), but the
    /// window's IPC works only while its document's origin is one of
    /// [`crate::WebPreferences::allowed_origins`].
    pub fn load_url(&self, url: &str) -> Result<(), Error> {
        let parsed = Url::parse(url).map_err(|e| Error::InvalidUrl {
            url: url.to_owned(),
            reason: e.to_string(),
        })?;
        self.command(Command::Load {
            window: self.id,
            target: LoadTarget::Url(parsed.into()),
        })
    }

    /// Loads a local file, like Electron's `loadFile`, served from `app://localhost/`:
    /// the file's directory becomes the window's app root, so the page's relative
    /// links, scripts and styles load from there (and nothing outside it can be
    /// read), each with the window's Content-Security-Policy. Relative paths are
    /// taken from the current directory; the file must exist.
    pub fn load_file(&self, path: impl AsRef<Path>) -> Result<(), Error> {
        let path = path.as_ref();
        let absolute = std::fs::canonicalize(path).map_err(|e| Error::LoadFile {
            path: path.to_owned(),
            reason: e.to_string(),
        })?;
        if !absolute.is_file() {
            return Err(Error::LoadFile {
                path: path.to_owned(),
                reason: "not a file".into(),
            });
        }
        let (Some(dir), Some(url)) = (absolute.parent(), app_scheme::url_for(&absolute)) else {
            return Err(Error::LoadFile {
                path: path.to_owned(),
                reason: "its name cannot be served as a URL".into(),
            });
        };
        self.command(Command::Load {
            window: self.id,
            target: LoadTarget::File {
                root: dir.to_owned(),
                url,
            },
        })
    }

    /// Loads an HTML string as the page, with the app's origin (`app://localhost`),
    /// so its IPC is allowed by default. No CSP header comes with it: give the string
    /// a `<meta http-equiv="Content-Security-Policy">` of its own.
    pub fn load_html(&self, html: &str) -> Result<(), Error> {
        self.command(Command::Load {
            window: self.id,
            target: LoadTarget::Html(html.to_owned()),
        })
    }

    /// Closes the window. Its pending messages are dropped and later `send`s fail with
    /// a closed-window error. Closing the last window quits the app.
    pub fn close(&self) -> Result<(), Error> {
        self.command(Command::Close { window: self.id })
    }

    /// Loads the current page again, with a new renderer process if the old one is
    /// gone (Electron's `reload`).
    pub fn reload(&self) -> Result<(), Error> {
        self.command(Command::Reload { window: self.id })
    }

    /// Ends the window's renderer process (Electron's `forcefullyCrashRenderer`), as
    /// a crash would: the render-process-gone handler is called with
    /// [`RenderProcessGoneReason::Killed`].
    pub fn force_crash_renderer(&self) -> Result<(), Error> {
        self.command(Command::CrashRenderer { window: self.id })
    }

    /// The native window's title (Electron's `getTitle`).
    pub fn get_title(&self) -> impl Future<Output = Result<String, Error>> + Send + 'static {
        let window = self.id;
        self.ask(move |done| Command::Title { window, done })
    }

    /// Saves what the window shows as a PNG (Electron's `capturePage`, to a file).
    pub fn capture_page(
        &self,
        path: impl Into<PathBuf>,
    ) -> impl Future<Output = Result<(), Error>> + Send + 'static {
        let (window, path) = (self.id, path.into());
        self.ask(move |done| Command::Capture { window, path, done })
    }

    /// Sends a command that answers through `done`, and waits for the answer.
    fn ask<T: Send + 'static>(
        &self,
        command: impl FnOnce(oneshot::Sender<Result<T, Error>>) -> Command,
    ) -> impl Future<Output = Result<T, Error>> + Send + 'static {
        let (done, answer) = oneshot::channel();
        let sent = self.command(command(done));
        let id = self.id;
        async move {
            sent?;
            answer.await.map_err(|_| Error::WindowClosed(id))?
        }
    }

    /// Whether the window is still open.
    pub fn is_open(&self) -> bool {
        self.open.load(Ordering::Acquire)
    }

    fn command(&self, command: Command) -> Result<(), Error> {
        if !self.is_open() {
            return Err(Error::WindowClosed(self.id));
        }
        self.ops
            .try_send(command)
            .map_err(|_| Error::WindowClosed(self.id))
    }
}

impl std::fmt::Debug for BrowserWindow {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BrowserWindow")
            .field("id", &self.id)
            .finish()
    }
}

/// Which navigations a window's page may make by itself.
struct NavigationPolicy {
    window: u32,
    /// Set when the main process starts a load: that navigation is its own.
    main_load: Rc<Cell<bool>>,
    origins: AllowedOrigins,
    hooks: Arc<Hooks>,
}

impl NavigationPolicy {
    fn allows(&self, url: &str) -> bool {
        if self.main_load.replace(false) {
            return true;
        }
        // about:blank and about:srcdoc bring no content from anywhere.
        if url.starts_with("about:") {
            return true;
        }
        let origin = SenderFrame::from_url(url);
        if origin.origin() != "null" && self.origins.allows(origin.origin()) {
            return true;
        }
        let request = NavigationRequest {
            window: self.window,
            url: url.to_owned(),
        };
        if self.hooks.allow_navigation(&request) {
            tracing::info!(window = self.window, url, "navigation allowed by the app");
            return true;
        }
        tracing::warn!(
            window = self.window,
            url,
            "navigation denied: not an allowed origin"
        );
        false
    }
}

fn window_open(app: &AppHandle, window: u32, url: String) {
    let request = WindowOpenRequest { window, url };
    match app.hooks.window_open(&request) {
        WindowOpenAction::Deny => {
            tracing::warn!(window, url = request.url, "window.open denied");
        }
        WindowOpenAction::Allow(options) => {
            tracing::info!(window, url = request.url, "window.open allowed by the app");
            let handle = app.clone();
            app.spawn(async move {
                let opened = match handle.create_window(*options).await {
                    Ok(child) => child.load_url(&request.url),
                    Err(error) => Err(error),
                };
                if let Err(error) = opened {
                    tracing::error!(window, "window.open of {} failed: {error}", request.url);
                }
            });
        }
    }
}

/// The preload runtime's copy of the main process's rules for this window, so that
/// it refuses early what the main process would refuse.
fn runtime_config(
    prefs: &crate::WebPreferences,
    grants: &ChannelGrants,
    apis: &[Api],
    ipc_main: &voltaic_core::IpcMain,
    preload_name: String,
    sync_token: &str,
    sandboxed: bool,
) -> voltaic_preload::RuntimeConfig {
    let limits = ipc_main.limits();
    let grant_list = |direction| {
        grants
            .list(direction)
            .iter()
            .map(|p: &ChannelPattern| p.as_str().to_owned())
            .collect()
    };
    voltaic_preload::RuntimeConfig {
        context_isolation: prefs.context_isolation,
        max_message_bytes: limits.max_message_bytes,
        max_depth: limits.max_depth,
        messages_per_second: limits.messages_per_second,
        burst: limits.burst,
        preload_name,
        grants: voltaic_preload::Grants {
            send: grant_list(Direction::Send),
            invoke: grant_list(Direction::Invoke),
            receive: grant_list(Direction::Receive),
        },
        schemas: ipc_main.schemas_json(),
        sync_token: sync_token.to_owned(),
        process: voltaic_preload::ProcessInfo::current(versions(), sandboxed),
        context_bridge_mutability: prefs.context_bridge_mutability,
        isolated_worlds: prefs.isolated_worlds.clone(),
        apis: apis.iter().map(Api::descriptor).collect(),
    }
}

/// The APIs declared in Rust that `prefs` names, as added to `ipc_main`.
fn window_apis(prefs: &crate::WebPreferences, ipc_main: &IpcMain) -> Result<Vec<Api>, Error> {
    prefs
        .apis
        .iter()
        .map(|name| {
            ipc_main
                .api(name)
                .ok_or_else(|| Error::UnknownApi(name.clone()))
        })
        .collect()
}

/// The window's grants: its own, and exactly the channels of each of its APIs.
fn with_api_grants(grants: &ChannelGrants, apis: &[Api]) -> ChannelGrants {
    let mut grants = grants.clone();
    for api in apis {
        for (direction, channel) in api.channels() {
            grants = match direction {
                Direction::Invoke => grants.invoke(&channel),
                Direction::Send => grants.send(&channel),
                Direction::Receive => grants.receive(&channel),
            };
        }
    }
    grants
}

/// The running WebKitGTK's version (`2.50.6`): the library loaded, not the one built
/// against.
pub(crate) fn webkit_version() -> String {
    // SAFETY: plain getters of constants of the loaded library, callable any time.
    unsafe {
        format!(
            "{}.{}.{}",
            webkit2gtk::ffi::webkit_get_major_version(),
            webkit2gtk::ffi::webkit_get_minor_version(),
            webkit2gtk::ffi::webkit_get_micro_version()
        )
    }
}

/// `process.versions` in a preload: Voltaic's and the running WebKitGTK's. Electron's
/// `chrome`, `node` and `electron` are absent: there is none of them, and code that
/// tests for them should take its browser path.
fn versions() -> std::collections::BTreeMap<String, String> {
    [
        ("voltaic", env!("CARGO_PKG_VERSION").to_owned()),
        ("webkitgtk", webkit_version()),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v))
    .collect()
}

/// Answers the page's permission requests: denied unless the app's handler allows.
fn decide_permissions(view: &webkit2gtk::WebView, window: u32, hooks: Arc<Hooks>) {
    view.connect_permission_request(move |_, request| {
        let asked = PermissionRequest {
            window,
            kind: permission_kind(request),
        };
        if hooks.allow_permission(&asked) {
            tracing::info!(window, "permission granted by the app: {:?}", asked.kind);
            request.allow();
        } else {
            tracing::warn!(window, "permission denied: {:?}", asked.kind);
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

fn read_preload(path: &Path) -> Result<(String, String), Error> {
    let source = std::fs::read_to_string(path).map_err(|source| Error::Preload {
        path: path.to_owned(),
        source,
    })?;
    let name = path.file_name().map_or_else(
        || path.display().to_string(),
        |n| n.to_string_lossy().into_owned(),
    );
    Ok((name, source))
}
