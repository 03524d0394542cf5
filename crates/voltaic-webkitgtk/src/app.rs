//! The application: the GTK event loop on the main thread, the tokio runtime that
//! runs IPC handlers, and the table of open windows.

use std::cell::{Cell, RefCell};
use std::collections::{BTreeMap, HashMap};
use std::future::Future;
use std::path::PathBuf;
use std::rc::Rc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use tao::event::{Event, WindowEvent};
use tao::event_loop::{
    ControlFlow, EventLoop, EventLoopBuilder, EventLoopProxy, EventLoopWindowTarget,
};
use tao::platform::run_return::EventLoopExtRunReturn;
use tokio::sync::oneshot;
use voltaic_core::{IpcMain, Limits, Packet};
use webkit2gtk::{SnapshotOptions, SnapshotRegion, WebViewExt};

use crate::app_scheme::{self, AppContent};
use crate::hooks::{
    Hooks, NavigationRequest, PermissionRequest, RenderProcessGone, WindowOpenAction,
    WindowOpenRequest,
};
use crate::security::{self, SecurityReport};
use crate::transport::{Inbox, Replies, SharedOutbox};
use crate::{sandbox, SandboxState};
use crate::{BrowserWindow, BrowserWindowOptions, Error};

/// Work for the GTK thread, sent from any thread through the event loop.
pub(crate) enum Command {
    Deliver {
        window: u32,
        message: Packet,
    },
    Answer {
        window: u32,
        id: u64,
        message: Packet,
    },
    Load {
        window: u32,
        target: LoadTarget,
    },
    Capture {
        window: u32,
        path: PathBuf,
        done: oneshot::Sender<Result<(), Error>>,
    },
    Close {
        window: u32,
    },
    Reload {
        window: u32,
    },
    CrashRenderer {
        window: u32,
    },
    Title {
        window: u32,
        done: oneshot::Sender<Result<String, Error>>,
    },
    Open {
        options: Box<BrowserWindowOptions>,
        done: oneshot::Sender<Result<BrowserWindow, Error>>,
    },
    Quit {
        code: i32,
    },
}

pub(crate) enum LoadTarget {
    Url(String),
    Html(String),
    /// A file served from `app://`: its directory becomes the window's app root.
    File {
        root: PathBuf,
        url: String,
    },
}

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
    /// Tells the navigation policy that the next navigation is the main process's.
    pub(crate) main_load: Rc<Cell<bool>>,
}

pub(crate) type Windows = Rc<RefCell<HashMap<u32, WindowEntry>>>;

/// A Voltaic application: create it first, on the main thread, then windows, then
/// [`App::run`]. One per process, as GTK allows one main loop.
///
/// ```
/// use voltaic_webkitgtk::{App, BrowserWindow, BrowserWindowOptions};
///
/// let app = App::new()?;
/// let window = BrowserWindow::new(&app, BrowserWindowOptions::default())?;
/// window.load_html("<h1>Hello</h1>")?;
/// # // As a test, the app ends soon after it starts.
/// # let quit = app.handle();
/// # app.set_timeout(std::time::Duration::from_millis(500), move || quit.quit());
/// std::process::exit(app.run());
/// # Ok::<(), voltaic_webkitgtk::Error>(())
/// ```
pub struct App {
    pub(crate) event_loop: EventLoop<Command>,
    runtime: tokio::runtime::Runtime,
    pub(crate) windows: Windows,
    pub(crate) handle: AppHandle,
    ops_queue: async_channel::Receiver<Command>,
}

impl App {
    /// Starts GTK and the handler runtime with default [`Limits`].
    pub fn new() -> Result<Self, Error> {
        Self::with_limits(Limits::default())
    }

    /// Starts GTK and the handler runtime with the given limits on renderer messages.
    ///
    /// This also turns on WebKit's web process sandbox where the platform allows
    /// (see [`AppHandle::sandbox`]); call it first thing in `main`, before starting
    /// threads of your own, as that is done through an environment variable.
    pub fn with_limits(limits: Limits) -> Result<Self, Error> {
        let has_display = ["DISPLAY", "WAYLAND_DISPLAY"]
            .iter()
            .any(|name| std::env::var_os(name).is_some_and(|v| !v.is_empty()));
        if !has_display {
            return Err(Error::NoDisplay);
        }
        let sandbox = Arc::new(sandbox::enable());
        // tao panics when GTK cannot start; asking first turns that into an error.
        gtk::init().map_err(|e| Error::Gtk(e.to_string()))?;
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .thread_name("voltaic-ipc")
            .enable_all()
            .build()
            .map_err(Error::Runtime)?;
        let event_loop = EventLoopBuilder::<Command>::with_user_event().build();
        let ipc_main = IpcMain::with_limits(runtime.handle().clone(), limits);
        let (ops, ops_queue) = async_channel::unbounded();
        let handle = AppHandle {
            proxy: event_loop.create_proxy(),
            ops,
            runtime: runtime.handle().clone(),
            ipc_main,
            hooks: Arc::default(),
            security: Arc::default(),
            open_windows: Arc::default(),
            sandbox,
        };
        Ok(Self {
            event_loop,
            runtime,
            windows: Rc::default(),
            handle,
            ops_queue,
        })
    }

    /// The IPC registry (Electron's `ipcMain`).
    pub fn ipc_main(&self) -> &IpcMain {
        &self.handle.ipc_main
    }

    /// A handle for other threads and handlers: quit, timers, tasks.
    pub fn handle(&self) -> AppHandle {
        self.handle.clone()
    }

    /// See [`AppHandle::get_all_windows`].
    pub fn get_all_windows(&self) -> Vec<BrowserWindow> {
        self.handle.get_all_windows()
    }

    /// See [`AppHandle::security_report`].
    pub fn security_report(&self) -> SecurityReport {
        self.handle.security_report()
    }

    /// See [`AppHandle::set_timeout`].
    pub fn set_timeout(&self, delay: Duration, f: impl FnOnce() + Send + 'static) {
        self.handle.set_timeout(delay, f);
    }

    /// See [`AppHandle::spawn`].
    pub fn spawn<F>(&self, future: F)
    where
        F: Future<Output = ()> + Send + 'static,
    {
        self.handle.spawn(future);
    }

    /// Runs the event loop until [`AppHandle::quit`] or [`AppHandle::exit`] is called
    /// or the last window is closed; returns the exit code.
    pub fn run(self) -> i32 {
        let App {
            mut event_loop,
            runtime,
            windows,
            handle,
            ops_queue,
        } = self;
        let loop_windows = windows.clone();
        let loop_handle = handle.clone();
        let mut ops_queue = Some(ops_queue);
        let code = event_loop.run_return(move |event, target, control_flow| {
            if !matches!(control_flow, ControlFlow::ExitWithCode(_)) {
                *control_flow = ControlFlow::Wait;
            }
            match event {
                // Started here, where tao holds the main context, as spawn_local needs.
                Event::NewEvents(tao::event::StartCause::Init) => {
                    if let Some(queue) = ops_queue.take() {
                        webkit2gtk::glib::MainContext::default().spawn_local(drain_ops(
                            loop_handle.clone(),
                            loop_windows.clone(),
                            queue,
                        ));
                    }
                }
                Event::UserEvent(command) => {
                    if let Some(code) = execute(target, &loop_handle, &loop_windows, command) {
                        *control_flow = ControlFlow::ExitWithCode(code);
                    }
                }
                Event::WindowEvent {
                    window_id,
                    event: WindowEvent::CloseRequested,
                    ..
                } => {
                    let id = loop_windows
                        .borrow()
                        .iter()
                        .find(|(_, entry)| entry.native.id() == window_id)
                        .map(|(id, _)| *id);
                    if let Some(id) = id {
                        if close(&loop_windows, &loop_handle, id) {
                            *control_flow = ControlFlow::ExitWithCode(0);
                        }
                    }
                }
                _ => {}
            }
        });
        let ids: Vec<u32> = windows.borrow().keys().copied().collect();
        for id in ids {
            close(&windows, &handle, id);
        }
        drop(handle);
        runtime.shutdown_timeout(Duration::from_secs(1));
        code
    }
}

impl std::fmt::Debug for App {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("App")
            .field("windows", &self.windows.borrow().len())
            .finish_non_exhaustive()
    }
}

/// Carries out one command on the GTK thread; returns an exit code to stop the loop.
/// Carries out a command that needs the event loop's window target (opening a
/// window); passes the rest to [`execute_op`].
fn execute(
    target: &EventLoopWindowTarget<Command>,
    app: &AppHandle,
    windows: &Windows,
    command: Command,
) -> Option<i32> {
    match command {
        Command::Open { options, done } => {
            let _ = done.send(BrowserWindow::open(target, app, windows, *options));
            None
        }
        command => execute_op(app, windows, command),
    }
}

/// Takes window commands off their queue on the GTK thread: everything that is
/// waiting at once, then the outboxes are flushed, so a burst of messages becomes
/// one script per window. (tao's own user events are taken one per main-loop
/// iteration, which costs a whole iteration per message.)
async fn drain_ops(app: AppHandle, windows: Windows, ops: async_channel::Receiver<Command>) {
    while let Ok(first) = ops.recv().await {
        let mut next = Some(first);
        while let Some(command) = next {
            if let Some(code) = execute_op(&app, &windows, command) {
                app.exit(code);
            }
            next = ops.try_recv().ok();
        }
        for entry in windows.borrow().values() {
            entry.outbox.borrow_mut().flush();
        }
    }
}

/// Carries out one window command on the GTK thread; returns an exit code to stop
/// the loop.
fn execute_op(app: &AppHandle, windows: &Windows, command: Command) -> Option<i32> {
    match command {
        Command::Open { done, .. } => {
            // Only `AppHandle::create_window` sends this, through the event loop.
            let _ = done.send(Err(Error::Window(
                "a window can only be opened from the event loop".into(),
            )));
        }
        Command::Deliver { window, message } => {
            if let Some(entry) = windows.borrow().get(&window) {
                entry.outbox.borrow_mut().deliver(message);
            }
        }
        Command::Answer {
            window,
            id,
            message,
        } => {
            if let Some(entry) = windows.borrow().get(&window) {
                crate::transport::answer(&entry.replies, &entry.outbox, id, message);
            }
        }
        Command::Load { window, target } => {
            if let Some(entry) = windows.borrow().get(&window) {
                crate::transport::leave_document(&entry.outbox, &entry.inbox);
                entry.main_load.set(true);
                let result = match target {
                    LoadTarget::Url(url) => entry.webview.load_url(&url),
                    LoadTarget::File { root, url } => {
                        entry.content.set_root(root);
                        entry.webview.load_url(&url)
                    }
                    LoadTarget::Html(html) => {
                        // The app's own origin, so that its IPC is allowed by default.
                        entry.view.load_html(&html, Some(app_scheme::BASE_URL));
                        Ok(())
                    }
                };
                if let Err(error) = result {
                    tracing::error!(window, "load failed: {error}");
                }
            }
        }
        Command::Reload { window } => {
            if let Some(entry) = windows.borrow().get(&window) {
                crate::transport::leave_document(&entry.outbox, &entry.inbox);
                entry.main_load.set(true);
                entry.view.reload();
            }
        }
        Command::CrashRenderer { window } => {
            if let Some(entry) = windows.borrow().get(&window) {
                entry.view.terminate_web_process();
            }
        }
        Command::Capture { window, path, done } => match windows.borrow().get(&window) {
            Some(entry) => capture(&entry.view, path, done),
            None => {
                let _ = done.send(Err(Error::WindowClosed(window)));
            }
        },
        Command::Title { window, done } => {
            let title = windows
                .borrow()
                .get(&window)
                .map(|entry| entry.native.title())
                .ok_or(Error::WindowClosed(window));
            let _ = done.send(title);
        }
        Command::Close { window } => {
            if close(windows, app, window) {
                return Some(0);
            }
        }
        Command::Quit { code } => return Some(code),
    }
    None
}

/// Closes a window; returns whether it was the last one (the app then quits, as
/// Electron apps do on Linux).
fn close(windows: &Windows, app: &AppHandle, id: u32) -> bool {
    app.security
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .remove(&id);
    app.open_windows
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .remove(&id);
    let entry = windows.borrow_mut().remove(&id);
    if let Some(entry) = entry {
        entry.open.store(false, Ordering::Release);
        entry.inbox.borrow_mut().take();
        tracing::debug!(window = id, "window closed");
        drop(entry);
    }
    windows.borrow().is_empty()
}

fn capture(view: &webkit2gtk::WebView, path: PathBuf, done: oneshot::Sender<Result<(), Error>>) {
    view.snapshot(
        SnapshotRegion::Visible,
        SnapshotOptions::NONE,
        None::<&webkit2gtk::gio::Cancellable>,
        move |result| {
            let outcome = result
                .map_err(|e| Error::Capture(e.to_string()))
                .and_then(|surface| {
                    let image = cairo::ImageSurface::try_from(surface)
                        .map_err(|_| Error::Capture("the snapshot is not an image".into()))?;
                    let mut file = std::fs::File::create(&path)
                        .map_err(|e| Error::Capture(format!("{}: {e}", path.display())))?;
                    image
                        .write_to_png(&mut file)
                        .map_err(|e| Error::Capture(e.to_string()))
                });
            let _ = done.send(outcome);
        },
    );
}

/// A cloneable, thread-safe handle to the running app.
#[derive(Clone)]
pub struct AppHandle {
    pub(crate) proxy: EventLoopProxy<Command>,
    /// Window commands (messages, loads, closes...), taken in bursts on the GTK thread.
    pub(crate) ops: async_channel::Sender<Command>,
    runtime: tokio::runtime::Handle,
    ipc_main: IpcMain,
    pub(crate) hooks: Arc<Hooks>,
    pub(crate) security: security::Registry,
    /// Handles of the open windows, by id, for lookups from any thread.
    pub(crate) open_windows: Arc<Mutex<BTreeMap<u32, BrowserWindow>>>,
    sandbox: Arc<SandboxState>,
}

impl AppHandle {
    /// Stops the event loop; [`App::run`] returns 0.
    pub fn quit(&self) {
        self.exit(0);
    }

    /// Stops the event loop; [`App::run`] returns `code`.
    pub fn exit(&self, code: i32) {
        // Fails only when the loop has already stopped, which is what was asked.
        let _ = self.proxy.send_event(Command::Quit { code });
    }

    /// The IPC registry (Electron's `ipcMain`).
    pub fn ipc_main(&self) -> &IpcMain {
        &self.ipc_main
    }

    /// Every open window, by id (Electron's `BrowserWindow.getAllWindows`).
    pub fn get_all_windows(&self) -> Vec<BrowserWindow> {
        self.open_windows
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .values()
            .cloned()
            .collect()
    }

    /// The open window with this id (Electron's `BrowserWindow.fromId`); also the
    /// window of a [`voltaic_core::WebContents`], whose id is the window's
    /// (`BrowserWindow.fromWebContents`).
    pub fn window_from_id(&self, id: u32) -> Option<BrowserWindow> {
        self.open_windows
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .get(&id)
            .cloned()
    }

    /// The web contents of the open window with this id (Electron's
    /// `webContents.fromId`).
    pub fn web_contents_from_id(&self, id: u32) -> Option<voltaic_core::WebContents> {
        self.window_from_id(id).map(|w| w.web_contents().clone())
    }

    /// Whether renderers run in WebKit's bubblewrap sandbox, and if not, why.
    pub fn sandbox(&self) -> &SandboxState {
        &self.sandbox
    }

    /// For every open window, the state of each security rule, with anything weaker
    /// than Voltaic's defaults flagged. Print it (`{}`) to get a table.
    pub fn security_report(&self) -> SecurityReport {
        security::report(
            &self.security,
            &security::AppFacts {
                sandbox: &self.sandbox,
                limits: self.ipc_main.limits(),
                schema_channels: self.ipc_main.schema_channels(),
                hooks: self.hooks.installed(),
                exposed_ipc_renderer: self
                    .get_all_windows()
                    .iter()
                    .map(|w| (w.id(), w.web_contents().exposed_ipc_renderer()))
                    .collect(),
            },
        )
    }

    /// Decides navigations the default policy denies: a page going to an origin not
    /// in its window's [`crate::WebPreferences::allowed_origins`] (Electron's
    /// `will-navigate`). Return `true` to let it go. Without a handler such
    /// navigations are denied and logged. The window's IPC stays refused there
    /// unless the origin is allowed.
    pub fn set_navigation_handler(
        &self,
        handler: impl Fn(&NavigationRequest) -> bool + Send + Sync + 'static,
    ) {
        self.hooks.set_navigation(Arc::new(handler));
    }

    /// Decides `window.open` and `target="_blank"` links (Electron's
    /// `setWindowOpenHandler`). Without a handler every request is denied and logged.
    ///
    /// ```
    /// # use voltaic_webkitgtk::{App, WindowOpenAction};
    /// # let app = App::new()?;
    /// app.handle().set_window_open_handler(|request| {
    ///     tracing::info!("page wanted to open {}", request.url);
    ///     WindowOpenAction::Deny
    /// });
    /// # Ok::<(), voltaic_webkitgtk::Error>(())
    /// ```
    pub fn set_window_open_handler(
        &self,
        handler: impl Fn(&WindowOpenRequest) -> WindowOpenAction + Send + Sync + 'static,
    ) {
        self.hooks.set_window_open(Arc::new(handler));
    }

    /// Decides permission requests: camera, microphone, geolocation, notifications
    /// and the rest (Electron's `setPermissionRequestHandler`). Return `true` to
    /// grant. Without a handler every request is denied and logged.
    pub fn set_permission_handler(
        &self,
        handler: impl Fn(&PermissionRequest) -> bool + Send + Sync + 'static,
    ) {
        self.hooks.set_permission(Arc::new(handler));
    }

    /// Called when a window's renderer process crashes, runs out of memory or is
    /// ended (Electron's `render-process-gone`). Always logged as an error too.
    /// Messages sent to the window meanwhile are kept for its next renderer:
    ///
    /// ```
    /// # use voltaic_webkitgtk::{App, BrowserWindow};
    /// # let app = App::new()?;
    /// # let window = BrowserWindow::new(&app, Default::default())?;
    /// app.handle().set_render_process_gone_handler(move |gone| {
    ///     tracing::error!("renderer of window {} gone: {:?}", gone.window, gone.reason);
    ///     let _ = window.reload();
    /// });
    /// # Ok::<(), voltaic_webkitgtk::Error>(())
    /// ```
    pub fn set_render_process_gone_handler(
        &self,
        handler: impl Fn(&RenderProcessGone) + Send + Sync + 'static,
    ) {
        self.hooks.set_render_process_gone(Arc::new(handler));
    }

    /// Opens a window while the app runs, from any thread (a handler, a timer): the
    /// window is created on the GTK thread, with its preload installed before it loads
    /// anything, like [`BrowserWindow::new`].
    ///
    /// ```
    /// # use voltaic_webkitgtk::{App, AppHandle, BrowserWindowOptions};
    /// # let main = App::new()?;
    /// # let app = main.handle();
    /// # main.spawn(async move {
    /// #   let opened = async {
    /// let settings = app.create_window(BrowserWindowOptions::default()).await?;
    /// settings.load_html("<h1>Settings</h1>")?;
    /// #       Ok::<(), voltaic_webkitgtk::Error>(())
    /// #   };
    /// #   match opened.await { Ok(()) => app.quit(), Err(_) => app.exit(1) }
    /// # });
    /// # assert_eq!(main.run(), 0);
    /// # Ok::<(), voltaic_webkitgtk::Error>(())
    /// ```
    pub fn create_window(
        &self,
        options: BrowserWindowOptions,
    ) -> impl Future<Output = Result<BrowserWindow, Error>> + Send + 'static {
        let (done, created) = oneshot::channel();
        let sent = self.proxy.send_event(Command::Open {
            options: Box::new(options),
            done,
        });
        async move {
            sent.map_err(|_| Error::AppStopped)?;
            created.await.map_err(|_| Error::AppStopped)?
        }
    }

    /// Runs `f` once after `delay`, on the handler runtime (JavaScript's `setTimeout`):
    ///
    /// ```
    /// # use std::time::Duration;
    /// # let app = voltaic_webkitgtk::App::new()?;
    /// # let window = voltaic_webkitgtk::BrowserWindow::new(&app, Default::default())?;
    /// let contents = window.web_contents().clone();
    /// app.set_timeout(Duration::from_secs(3), move || {
    ///     let _ = contents.send("update-channel", ("Update from main process",));
    /// });
    /// # Ok::<(), voltaic_webkitgtk::Error>(())
    /// ```
    pub fn set_timeout(&self, delay: Duration, f: impl FnOnce() + Send + 'static) {
        self.runtime.spawn(async move {
            tokio::time::sleep(delay).await;
            f();
        });
    }

    /// Runs a future on the handler runtime.
    pub fn spawn<F>(&self, future: F)
    where
        F: Future<Output = ()> + Send + 'static,
    {
        self.runtime.spawn(future);
    }
}

impl std::fmt::Debug for AppHandle {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AppHandle").finish_non_exhaustive()
    }
}
