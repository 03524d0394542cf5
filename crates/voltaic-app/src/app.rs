//! The application: the engine's event loop, the tokio runtime that runs IPC
//! handlers, and the table of open windows.

use std::cell::RefCell;
use std::collections::BTreeMap;
use std::future::Future;
use std::sync::atomic::Ordering;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use tokio::sync::oneshot;
use voltaic_core::timeline::TraceExport;
use voltaic_core::{IpcMain, Limits, Timeline, TimelineOptions};

use crate::engine::{Command, Engine, EngineInfo, EngineProxy, OpenJob, WindowFactory};
use crate::hooks::{
    Hooks, NavigationRequest, PermissionRequest, RenderProcessGone, WindowOpenAction,
    WindowOpenRequest,
};
use crate::lifecycle::EmitAllowed;
use crate::lifecycle::{AppEvents, Preventable};
use crate::security::{self, SecurityReport};
use crate::{BrowserWindow, BrowserWindowOptions, Error, SandboxState};

/// A Voltaic application: create it first, on the main thread, then windows, then
/// [`App::run`]. One per process.
///
/// The `voltaic` crate's `App::new` picks the engine (WebKitGTK by default on
/// Linux, or the one `VOLTAIC_ENGINE` names); an engine can also be given directly
/// with [`App::with_engine`].
pub struct App {
    engine: RefCell<Option<Box<dyn Engine>>>,
    runtime: tokio::runtime::Runtime,
    handle: AppHandle,
    /// The trace `VOLTAIC_TRACE` asked for, closed when the app has run.
    trace: Option<TraceExport>,
}

impl App {
    /// Starts the handler runtime on `engine`, with the given limits on renderer
    /// messages. The engine is made first: it may have to set up its process (an
    /// environment variable its renderers read) before any other thread starts.
    pub fn with_engine(engine: Box<dyn Engine>, limits: Limits) -> Result<Self, Error> {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .thread_name("voltaic-ipc")
            .enable_all()
            .build()
            .map_err(Error::Runtime)?;
        let ipc_main = IpcMain::with_limits(runtime.handle().clone(), limits);
        let info = engine.info();
        tracing::debug!("engine: {} {}", info.name, info.version);
        let handle = AppHandle {
            engine: engine.proxy(),
            engine_info: Arc::new(info),
            runtime: runtime.handle().clone(),
            ipc_main,
            hooks: Arc::default(),
            events: Arc::default(),
            security: Arc::default(),
            open_windows: Arc::default(),
            inspector: Arc::default(),
        };
        // Each window's `console-message` listeners hear their own renderer.
        let windows = Arc::downgrade(&handle.open_windows);
        handle.ipc_main.on_console_message(move |message| {
            let window = windows.upgrade().and_then(|windows| {
                windows
                    .lock()
                    .unwrap_or_else(PoisonError::into_inner)
                    .get(&message.window_id)
                    .cloned()
            });
            if let Some(window) = window {
                window.events().console.emit(message);
            }
        });
        let trace = trace_from_env(&handle.ipc_main);
        if cfg!(debug_assertions) {
            // The inspector's key (Ctrl+Alt+I): a developer's, never a shipped app's.
            // The registry holds this handle for the app's life, as the app holds it.
            let opener = handle.clone();
            handle.ipc_main.on_inspector_key(move |_window| {
                let handle = opener.clone();
                opener.spawn(async move {
                    if let Err(error) = handle.open_inspector().await {
                        tracing::error!("the IPC inspector did not open: {error}");
                    }
                });
            });
        }
        Ok(Self {
            engine: RefCell::new(Some(engine)),
            runtime,
            handle,
            trace,
        })
    }

    /// The IPC registry (Electron's `ipcMain`).
    pub fn ipc_main(&self) -> &IpcMain {
        self.handle.ipc_main()
    }

    /// The app's IPC timeline (see [`Timeline`]): off unless started, or unless
    /// `VOLTAIC_TRACE=path.json` is set, which records from here on and writes a
    /// Chrome trace to that path as the app runs.
    pub fn timeline(&self) -> &Timeline {
        self.handle.ipc_main().timeline()
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

    /// Opens a window before the loop runs (see [`BrowserWindow::new`]).
    pub(crate) fn open_window(
        &self,
        options: BrowserWindowOptions,
    ) -> Result<BrowserWindow, Error> {
        let mut engine = self.engine.borrow_mut();
        let engine = engine.as_mut().ok_or(Error::AppStopped)?;
        BrowserWindow::open(engine.as_mut(), &self.handle, options)
    }

    /// Runs the event loop until [`AppHandle::quit`] or [`AppHandle::exit`] is called
    /// or the last window is closed (unless the app listens for
    /// `window-all-closed`); returns the exit code, after the `quit` listeners.
    pub fn run(self) -> i32 {
        let App {
            engine,
            runtime,
            handle,
            trace,
        } = self;
        handle.ipc_main.timeline().lifecycle(0, "ready");
        quit_on_signals(&handle);
        handle.events.ready.store(true, Ordering::Release);
        handle.events.ready_changed.notify_waiters();
        let code = match engine.into_inner() {
            Some(engine) => engine.run(),
            None => 1,
        };
        for window in handle.get_all_windows() {
            handle.forget_window(window.id());
        }
        handle.events.quit.emit(&code);
        handle.ipc_main.timeline().lifecycle(0, "quit");
        if let Some(trace) = trace {
            let path = trace.path().to_owned();
            if let Err(error) = trace.finish() {
                tracing::error!("the IPC trace {} is incomplete: {error}", path.display());
            }
        }
        drop(handle);
        runtime.shutdown_timeout(Duration::from_secs(1));
        code
    }
}

/// Quits the app on SIGINT, SIGTERM and SIGHUP as Electron does (its
/// `ShutdownDetector`): as [`AppHandle::quit`], listeners and all, so a trace or
/// anything else the app writes at the end is written. A second signal ends the
/// process at once.
fn quit_on_signals(handle: &AppHandle) {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{signal, Signal, SignalKind};
        let _entered = handle.runtime.enter();
        let listen = |kind: SignalKind| {
            signal(kind)
                .inspect_err(|error| tracing::warn!("cannot listen for {kind:?}: {error}"))
                .ok()
        };
        let mut interrupt = listen(SignalKind::interrupt());
        let mut terminate = listen(SignalKind::terminate());
        let mut hangup = listen(SignalKind::hangup());
        async fn next(signal: &mut Option<Signal>) {
            match signal {
                Some(signal) => {
                    if signal.recv().await.is_none() {
                        std::future::pending::<()>().await;
                    }
                }
                None => std::future::pending().await,
            }
        }
        let handle = handle.clone();
        handle.clone().spawn(async move {
            let mut asked = false;
            loop {
                // The number a shell reports for a process a signal ended: 128 + its own.
                let code = tokio::select! {
                    () = next(&mut interrupt) => 128 + 2,
                    () = next(&mut terminate) => 128 + 15,
                    () = next(&mut hangup) => 128 + 1,
                };
                if std::mem::replace(&mut asked, true) {
                    // Asked twice: the app may be stuck, so the loop is not asked again.
                    std::process::exit(code);
                }
                tracing::info!("quitting on a signal");
                handle.quit();
            }
        });
    }
    #[cfg(not(unix))]
    let _ = handle;
}

/// Starts the timeline and its export when `VOLTAIC_TRACE` names a file, so that
/// any app can be traced from its first message without a line of code.
fn trace_from_env(ipc_main: &IpcMain) -> Option<TraceExport> {
    let path = std::env::var_os("VOLTAIC_TRACE").filter(|path| !path.is_empty())?;
    let timeline = ipc_main.timeline();
    timeline.start(TimelineOptions::default());
    timeline.lifecycle(0, "app-created");
    match timeline.export_to(&path) {
        Ok(export) => {
            tracing::info!("writing the IPC trace to {}", export.path().display());
            Some(export)
        }
        Err(error) => {
            let path = std::path::Path::new(&path).display().to_string();
            tracing::error!("VOLTAIC_TRACE: cannot write {path}: {error}");
            None
        }
    }
}

impl std::fmt::Debug for App {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("App")
            .field("engine", &self.handle.engine_info.name)
            .field("windows", &self.handle.get_all_windows().len())
            .finish_non_exhaustive()
    }
}

/// A cloneable, thread-safe handle to the running app.
#[derive(Clone)]
pub struct AppHandle {
    /// The way to the engine's thread.
    pub(crate) engine: Arc<dyn EngineProxy>,
    engine_info: Arc<EngineInfo>,
    runtime: tokio::runtime::Handle,
    ipc_main: IpcMain,
    pub(crate) hooks: Arc<Hooks>,
    pub(crate) events: Arc<AppEvents>,
    pub(crate) security: security::Registry,
    /// Handles of the open windows, by id, for lookups from any thread.
    pub(crate) open_windows: Arc<Mutex<BTreeMap<u32, BrowserWindow>>>,
    /// The IPC inspector's API, once an inspector has been opened.
    pub(crate) inspector: Arc<Mutex<Option<Arc<crate::inspector::Inspector>>>>,
}

impl AppHandle {
    /// Quits the app as Electron's `app.quit` does: the `before-quit` listeners,
    /// then the `will-quit` ones, may prevent it
    /// ([`AppHandle::on_before_quit`], [`AppHandle::on_will_quit`]); otherwise the
    /// event loop stops, [`App::run`] runs the `quit` listeners and returns 0.
    pub fn quit(&self) {
        if !self.events.before_quit.emit_allowed() {
            tracing::debug!("quit prevented by a before-quit listener");
            return;
        }
        if !self.events.will_quit.emit_allowed() {
            tracing::debug!("quit prevented by a will-quit listener");
            return;
        }
        self.exit(0);
    }

    /// Resolves once the app is ready: its event loop runs (Electron's
    /// `app.whenReady()`). Windows can be made before, with
    /// [`BrowserWindow::new`]; this is for code that waits elsewhere, in a
    /// handler or a task.
    pub fn when_ready(&self) -> impl Future<Output = ()> + Send + 'static {
        let events = self.events.clone();
        async move {
            loop {
                let changed = events.ready_changed.notified();
                if events.ready.load(Ordering::Acquire) {
                    return;
                }
                changed.await;
            }
        }
    }

    /// Sets the app's menu (Electron's `Menu.setApplicationMenu`): `build` makes
    /// it with the `muda` crate on the engine's thread, where muda's menus must
    /// live, and every window shows it, those opened later too. Its clicks come
    /// through `muda::MenuEvent::set_event_handler`. Engines that cannot show one
    /// refuse it with [`Error::Unsupported`].
    pub fn set_application_menu(
        &self,
        build: impl FnOnce() -> muda::Menu + Send + 'static,
    ) -> Result<(), Error> {
        let what = "setApplicationMenu";
        let info = &self.engine_info;
        if let Some((_, why)) = info.unsupported_changes.iter().find(|(n, _)| *n == what) {
            return Err(Error::Unsupported {
                engine: info.name,
                what,
                why,
            });
        }
        self.engine
            .send(Command::SetMenu(crate::engine::MenuJob(Box::new(build))))
            .map_err(|_| Error::AppStopped)
    }

    /// Makes this the app's one running instance (Electron's
    /// `app.requestSingleInstanceLock`): `Ok(true)` if it is, and it will hear of
    /// later ones ([`AppHandle::on_second_instance`]); `Ok(false)` if another
    /// instance holds the lock, which has been told of this one (its command
    /// line, working directory and `additional_data`): this one should quit.
    /// Instances are the same app when they share a data directory
    /// ([`crate::engine::DataDir`]: the program's, or `VOLTAIC_DATA_DIR`).
    pub fn request_single_instance_lock(
        &self,
        additional_data: serde_json::Value,
    ) -> Result<bool, Error> {
        let dir = crate::engine::DataDir::of_this_program()
            .ok_or_else(|| Error::SingleInstance("the app has no data directory".into()))?;
        match crate::single_instance::take(&dir.path, &additional_data)
            .map_err(|e| Error::SingleInstance(e.to_string()))?
        {
            crate::single_instance::Taken::Held(listener) => {
                let events = self.events.clone();
                crate::single_instance::listen(listener, move |second| {
                    events.second_instance.emit(&second);
                });
                Ok(true)
            }
            crate::single_instance::Taken::Elsewhere => Ok(false),
        }
    }

    /// Calls `listener` when another instance of the app starts while this one
    /// holds the single-instance lock (Electron's `second-instance`), on a thread
    /// of the app's own; focusing the app's window is the usual answer.
    pub fn on_second_instance(
        &self,
        listener: impl Fn(&crate::SecondInstance) + Send + Sync + 'static,
    ) {
        self.events.second_instance.add(listener);
    }

    /// Whether the app is ready (see [`AppHandle::when_ready`]).
    pub fn is_ready(&self) -> bool {
        self.events.ready.load(Ordering::Acquire)
    }

    /// The window holding the keyboard focus, if one of the app's does
    /// (Electron's `BrowserWindow.getFocusedWindow`), as its `focus` and `blur`
    /// events said.
    pub fn get_focused_window(&self) -> Option<BrowserWindow> {
        let focused = *self
            .events
            .focused
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        focused.and_then(|id| self.window_from_id(id))
    }

    /// Window `id` took (`true`) or lost the focus.
    pub(crate) fn set_focused(&self, id: u32, focused: bool) {
        let mut current = self
            .events
            .focused
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        if focused {
            *current = Some(id);
        } else if *current == Some(id) {
            *current = None;
        }
    }

    /// Whether the app is on its way out: a quit went ahead, or `exit` was called.
    fn stopping(&self) -> bool {
        self.events
            .stopping
            .load(std::sync::atomic::Ordering::Acquire)
    }

    /// Calls `listener` when the app is asked to quit, first (Electron's
    /// `before-quit`); it may prevent it.
    pub fn on_before_quit(&self, listener: impl Fn(&Preventable) + Send + Sync + 'static) {
        self.events.before_quit.add(listener);
    }

    /// Calls `listener` after the `before-quit` listeners let the app quit
    /// (Electron's `will-quit`); it may still prevent it.
    pub fn on_will_quit(&self, listener: impl Fn(&Preventable) + Send + Sync + 'static) {
        self.events.will_quit.add(listener);
    }

    /// Calls `listener` with the exit code once the event loop has stopped
    /// (Electron's `quit`), before [`App::run`] returns.
    pub fn on_quit(&self, listener: impl Fn(i32) + Send + Sync + 'static) {
        self.events.quit.add(move |code| listener(*code));
    }

    /// Calls `listener` when the app's last window has closed (Electron's
    /// `window-all-closed`). An app that listens does not quit then: it decides
    /// (on macOS apps often stay). Without a listener, the app quits.
    pub fn on_window_all_closed(&self, listener: impl Fn() + Send + Sync + 'static) {
        self.events.window_all_closed.add(move |()| listener());
    }

    /// The last window has closed: the app's `window-all-closed` listeners, or,
    /// without any, [`AppHandle::quit`].
    pub(crate) fn all_windows_closed(&self) {
        // The windows an ending app closes are not the user's last ones.
        if self.stopping() {
            return;
        }
        if self.events.window_all_closed.is_empty() {
            self.quit();
        } else {
            self.events.window_all_closed.emit(&());
        }
    }

    /// Stops the event loop at once, with no `before-quit` or `will-quit`
    /// (Electron's `app.exit`); [`App::run`] returns `code`.
    pub fn exit(&self, code: i32) {
        self.events
            .stopping
            .store(true, std::sync::atomic::Ordering::Release);
        // Fails only when the loop has already stopped, which is what was asked.
        let _ = self.engine.send(Command::Quit { code });
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

    /// Whether renderers run in the engine's process sandbox, and if not, why.
    pub fn sandbox(&self) -> &SandboxState {
        &self.engine_info.sandbox
    }

    /// The engine the app runs on: its name, version and sandbox.
    pub fn engine_info(&self) -> &EngineInfo {
        &self.engine_info
    }

    /// Forgets a window that is gone.
    pub(crate) fn forget_window(&self, id: u32) {
        self.security
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .remove(&id);
        self.open_windows
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .remove(&id);
    }

    /// For every open window, the state of each security rule, with anything weaker
    /// than Voltaic's defaults flagged. Print it (`{}`) to get a table.
    pub fn security_report(&self) -> SecurityReport {
        security::report(
            &self.security,
            &security::AppFacts {
                engine: &self.engine_info,
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
    /// # use voltaic::{App, WindowOpenAction};
    /// # let app = App::new()?;
    /// app.handle().set_window_open_handler(|request| {
    ///     tracing::info!("page wanted to open {}", request.url);
    ///     WindowOpenAction::Deny
    /// });
    /// # Ok::<(), voltaic::Error>(())
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
    /// # use voltaic::{App, BrowserWindow};
    /// # let app = App::new()?;
    /// # let window = BrowserWindow::new(&app, Default::default())?;
    /// app.handle().set_render_process_gone_handler(move |gone| {
    ///     tracing::error!("renderer of window {} gone: {:?}", gone.window, gone.reason);
    ///     let _ = window.reload();
    /// });
    /// # Ok::<(), voltaic::Error>(())
    /// ```
    pub fn set_render_process_gone_handler(
        &self,
        handler: impl Fn(&RenderProcessGone) + Send + Sync + 'static,
    ) {
        self.hooks.set_render_process_gone(Arc::new(handler));
    }

    /// Opens a window while the app runs, from any thread (a handler, a timer): the
    /// window is created on the engine's thread, with its preload installed before it loads
    /// anything, like [`BrowserWindow::new`].
    ///
    /// ```
    /// # use voltaic::{App, AppHandle, BrowserWindowOptions};
    /// # let main = App::new()?;
    /// # let app = main.handle();
    /// # main.spawn(async move {
    /// #   let opened = async {
    /// let settings = app.create_window(BrowserWindowOptions::default()).await?;
    /// settings.load_html("<h1>Settings</h1>")?;
    /// #       Ok::<(), voltaic::Error>(())
    /// #   };
    /// #   match opened.await { Ok(()) => app.quit(), Err(_) => app.exit(1) }
    /// # });
    /// # assert_eq!(main.run(), 0);
    /// # Ok::<(), voltaic::Error>(())
    /// ```
    pub fn create_window(
        &self,
        options: BrowserWindowOptions,
    ) -> impl Future<Output = Result<BrowserWindow, Error>> + Send + 'static {
        let (done, created) = oneshot::channel();
        let app = self.clone();
        let job = OpenJob(Box::new(move |factory: &mut dyn WindowFactory| {
            let _ = done.send(BrowserWindow::open(factory, &app, options));
        }));
        let sent = self.engine.send(Command::Open(job));
        async move {
            sent.map_err(|_| Error::AppStopped)?;
            created.await.map_err(|_| Error::AppStopped)?
        }
    }

    /// Runs `f` once after `delay`, on the handler runtime (JavaScript's `setTimeout`):
    ///
    /// ```
    /// # use std::time::Duration;
    /// # let app = voltaic::App::new()?;
    /// # let window = voltaic::BrowserWindow::new(&app, Default::default())?;
    /// let contents = window.web_contents().clone();
    /// app.set_timeout(Duration::from_secs(3), move || {
    ///     let _ = contents.send("update-channel", ("Update from main process",));
    /// });
    /// # Ok::<(), voltaic::Error>(())
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

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use voltaic_core::{IpcError, Packet, RendererLink};

    use super::*;
    use crate::engine::{OpenedWindow, WindowOp, WindowSpec};
    use crate::PagePolicy;

    /// An engine that opens no real window: it keeps each window's policy, and
    /// records what the app asks of it.
    #[derive(Default)]
    struct Fake {
        asked: Asked,
        policies: Policies,
    }

    #[derive(Debug)]
    struct NoRenderer;

    impl RendererLink for NoRenderer {
        fn post(&self, _: Packet) -> Result<(), IpcError> {
            Ok(())
        }
    }

    impl WindowFactory for Fake {
        fn open_window(&mut self, mut spec: WindowSpec) -> Result<OpenedWindow, Error> {
            self.policies.lock().unwrap().push(spec.policy.clone());
            let connection = spec.connect(Arc::new(NoRenderer));
            Ok(OpenedWindow {
                web_contents: connection.web_contents().clone(),
                process_sandboxed: true,
            })
        }
    }

    struct Recorder(Arc<Mutex<Vec<String>>>);

    impl EngineProxy for Recorder {
        fn send(&self, command: Command) -> Result<(), Command> {
            let said = match &command {
                Command::Quit { code } => format!("quit {code}"),
                Command::SetMenu(_) => "menu".to_owned(),
                Command::Window {
                    op: WindowOp::Close,
                    window,
                } => format!("close {window}"),
                other => format!("{other:?}"),
            };
            self.0.lock().unwrap().push(said);
            Ok(())
        }
    }

    impl Engine for Fake {
        fn info(&self) -> EngineInfo {
            EngineInfo {
                name: "Fake",
                version: "0".into(),
                versions_key: "fake",
                sandbox: SandboxState::Enabled,
                sandbox_detail: "none",
                dev_tools_can_be_off: true,
                isolation_detail: "test",
                isolation_app_wide: false,
                unsupported_changes: &[],
            }
        }

        fn proxy(&self) -> Arc<dyn EngineProxy> {
            Arc::new(Recorder(self.asked.clone()))
        }

        fn run(self: Box<Self>) -> i32 {
            7
        }
    }

    type Asked = Arc<Mutex<Vec<String>>>;
    type Policies = Arc<Mutex<Vec<Arc<PagePolicy>>>>;

    fn fake_app() -> (App, Asked, Policies) {
        let fake = Fake::default();
        let (asked, policies) = (fake.asked.clone(), fake.policies.clone());
        let app = App::with_engine(Box::new(fake), Limits::default()).unwrap();
        (app, asked, policies)
    }

    #[test]
    fn the_last_window_going_quits_unless_the_app_listens() {
        let (app, asked, policies) = fake_app();
        BrowserWindow::new(&app, BrowserWindowOptions::default()).unwrap();
        policies.lock().unwrap()[0].closed();
        assert_eq!(*asked.lock().unwrap(), ["quit 0"]);

        let (app, asked, policies) = fake_app();
        let heard = Arc::new(Mutex::new(0));
        let count = heard.clone();
        app.handle()
            .on_window_all_closed(move || *count.lock().unwrap() += 1);
        BrowserWindow::new(&app, BrowserWindowOptions::default()).unwrap();
        BrowserWindow::new(&app, BrowserWindowOptions::default()).unwrap();
        let policies = policies.lock().unwrap().clone();
        policies[0].closed();
        assert_eq!(*heard.lock().unwrap(), 0, "one window is still open");
        policies[1].closed();
        assert_eq!(*heard.lock().unwrap(), 1);
        assert!(
            asked.lock().unwrap().is_empty(),
            "{:?}",
            asked.lock().unwrap()
        );
    }

    #[test]
    fn a_prevented_close_sends_nothing_and_destroy_skips_the_listeners() {
        let (app, asked, _) = fake_app();
        let window = BrowserWindow::new(&app, BrowserWindowOptions::default()).unwrap();
        let closes = Arc::new(Mutex::new(0));
        let count = closes.clone();
        window.on_close(move |event| {
            *count.lock().unwrap() += 1;
            event.prevent_default();
        });
        window.close().unwrap();
        assert!(asked.lock().unwrap().is_empty());
        window.destroy().unwrap();
        assert_eq!(*closes.lock().unwrap(), 1);
        assert_eq!(*asked.lock().unwrap(), [format!("close {}", window.id())]);
        let handle = app.handle();
        assert_eq!(
            BrowserWindow::from_web_contents(&handle, window.web_contents()).map(|w| w.id()),
            Some(window.id())
        );
    }

    #[test]
    fn quitting_asks_before_quit_then_will_quit_and_run_ends_with_quit() {
        let (app, asked, policies) = fake_app();
        let handle = app.handle();
        let order = Arc::new(Mutex::new(Vec::new()));
        let (a, b, c) = (order.clone(), order.clone(), order.clone());
        handle.on_before_quit(move |_| a.lock().unwrap().push("before-quit".to_owned()));
        handle.on_will_quit(move |event| {
            b.lock().unwrap().push("will-quit".to_owned());
            event.prevent_default();
        });
        handle.on_quit(move |code| c.lock().unwrap().push(format!("quit {code}")));
        handle.quit();
        assert!(asked.lock().unwrap().is_empty(), "will-quit kept it");
        // Kept: the last window's going asks again.
        BrowserWindow::new(&app, BrowserWindowOptions::default()).unwrap();
        policies.lock().unwrap()[0].closed();
        assert!(asked.lock().unwrap().is_empty());
        assert_eq!(
            *order.lock().unwrap(),
            ["before-quit", "will-quit", "before-quit", "will-quit"]
        );
        order.lock().unwrap().clear();
        handle.exit(3);
        assert_eq!(*asked.lock().unwrap(), ["quit 3"], "exit asks no one");
        // Nor do the windows an ending app closes.
        BrowserWindow::new(&app, BrowserWindowOptions::default()).unwrap();
        policies.lock().unwrap()[1].closed();
        assert_eq!(*asked.lock().unwrap(), ["quit 3"]);
        assert_eq!(app.run(), 7);
        assert_eq!(*order.lock().unwrap(), ["quit 7"]);
    }
}
