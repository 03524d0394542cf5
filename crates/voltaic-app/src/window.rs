//! `BrowserWindow`: a native window holding one renderer, on whichever engine the
//! app runs.

use std::future::Future;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU32, Ordering};
use std::sync::{Arc, PoisonError};

use tokio::sync::oneshot;
use url::Url;
use voltaic_core::{WebContents, WindowPolicy};

use crate::content::{self, AppContent};
use crate::engine::{
    Command, Connector, EngineProxy, LoadTarget, WindowFactory, WindowOp, WindowSpec,
};
use crate::lifecycle::EmitAllowed;
use crate::lifecycle::{PageEvent, Preventable, WindowEvents};
use crate::native::{Icon, Rectangle, WindowChange, WindowEvent, WindowState};
use crate::page_policy::PagePolicy;
use crate::security::WindowFacts;
use crate::window_setup::{self, read_preload, runtime_config, window_apis, with_api_grants};
use crate::{App, AppHandle, BrowserWindowOptions, Error};

static NEXT_WINDOW_ID: AtomicU32 = AtomicU32::new(1);

/// A window showing web content in its own renderer (Electron's `BrowserWindow`).
///
/// The handle is cheap to clone and usable from any thread: its methods are carried
/// out by the engine's event loop, in the order they were called.
#[derive(Clone)]
pub struct BrowserWindow {
    id: u32,
    web_contents: WebContents,
    engine: Arc<dyn EngineProxy>,
    open: Arc<AtomicBool>,
    events: Arc<WindowEvents>,
    /// The engine's name, and the changes it cannot make.
    engine_name: &'static str,
    unsupported: &'static [(&'static str, &'static str)],
}

impl BrowserWindow {
    /// Creates the window and its renderer, with the preload and IPC transport
    /// installed before anything is loaded. Call on the main thread, before
    /// [`App::run`]; once the app runs, use [`crate::AppHandle::create_window`].
    pub fn new(app: &App, options: BrowserWindowOptions) -> Result<Self, Error> {
        app.open_window(options)
    }

    /// Creates a window on the engine's thread, before or while the event loop runs.
    pub(crate) fn open(
        factory: &mut dyn WindowFactory,
        app: &AppHandle,
        options: BrowserWindowOptions,
    ) -> Result<Self, Error> {
        let prefs = &options.web_preferences;
        let id = NEXT_WINDOW_ID.fetch_add(1, Ordering::Relaxed);
        window_setup::check(prefs, id)?;
        if let Some(parent) = options.parent.filter(|&p| app.window_from_id(p).is_none()) {
            return Err(Error::Window(format!("parent window {parent} is not open")));
        }
        window_setup::check_options(&options, app.engine_info())?;
        let preload = prefs.preload.as_deref().map(read_preload).transpose()?;
        let apis = window_apis(prefs, app.ipc_main())?;
        let grants = with_api_grants(&prefs.grants, &apis);
        let (preload_name, preload) = match preload {
            Some((name, source)) => (name, Some(source)),
            None => ("(none)".to_owned(), None),
        };
        let runtime = runtime_config(
            prefs,
            &grants,
            &apis,
            app.ipc_main(),
            preload_name,
            app.engine_info(),
        );
        let mut facts = WindowFacts {
            title: options.title.clone(),
            context_isolation: prefs.context_isolation,
            sandbox_requested: prefs.sandbox,
            process_sandboxed: false,
            dev_tools: prefs.dev_tools,
            grants: grants.clone(),
            origins: prefs.allowed_origins.clone(),
            csp: prefs.content_security_policy.clone(),
            cross_origin_isolation: prefs.cross_origin_isolation,
            apis: apis
                .iter()
                .map(|api| {
                    let channels = api.channels().into_iter().map(|(_, c)| c).collect();
                    (api.name().to_owned(), channels)
                })
                .collect(),
        };
        let open = Arc::new(AtomicBool::new(true));
        let events = Arc::new(WindowEvents::default());
        let spec = WindowSpec {
            id,
            content: Arc::new(AppContent::new(
                prefs.content_security_policy.clone(),
                prefs.cross_origin_isolation,
            )),
            policy: Arc::new(PagePolicy::new(
                id,
                prefs.allowed_origins.clone(),
                app,
                events.clone(),
            )),
            open: open.clone(),
            connector: Connector {
                ipc_main: app.ipc_main().clone(),
                id,
                policy: WindowPolicy {
                    grants,
                    origins: prefs.allowed_origins.clone(),
                },
                apis,
            },
            runtime,
            preload,
            options,
        };
        app.ipc_main().timeline().lifecycle(id, "created");
        let opened = factory.open_window(spec)?;
        facts.process_sandboxed = opened.process_sandboxed;
        app.security
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .insert(id, facts);
        tracing::debug!(window = id, "window created");
        let window = Self {
            id,
            web_contents: opened.web_contents,
            engine: app.engine.clone(),
            open,
            events,
            engine_name: app.engine_info().name,
            unsupported: app.engine_info().unsupported_changes,
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
        self.command(WindowOp::Load(LoadTarget::Url(parsed.into())))
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
        let (Some(dir), Some(url_path)) = (absolute.parent(), content::url_path(&absolute)) else {
            return Err(Error::LoadFile {
                path: path.to_owned(),
                reason: "its name cannot be served as a URL".into(),
            });
        };
        self.command(WindowOp::Load(LoadTarget::File {
            root: dir.to_owned(),
            path: url_path,
        }))
    }

    /// Loads an HTML string as the page, with the app's origin (`app://localhost`),
    /// so its IPC is allowed by default. No CSP header comes with it: give the string
    /// a `<meta http-equiv="Content-Security-Policy">` of its own.
    pub fn load_html(&self, html: &str) -> Result<(), Error> {
        self.command(WindowOp::Load(LoadTarget::Html(html.to_owned())))
    }

    /// Asks the window to close, as the user does (Electron's `close`): its `close`
    /// listeners may prevent it ([`BrowserWindow::on_close`]). Once closed, its
    /// pending messages are dropped, later `send`s fail with a closed-window error,
    /// and its `closed` listeners run. When the last window goes, the app quits,
    /// unless it listens for `window-all-closed`.
    pub fn close(&self) -> Result<(), Error> {
        if !self.events.close.emit_allowed() {
            tracing::debug!(window = self.id, "close prevented");
            return Ok(());
        }
        self.destroy()
    }

    /// Closes the window without asking its `close` listeners (Electron's
    /// `destroy`); `closed` still follows.
    pub fn destroy(&self) -> Result<(), Error> {
        self.command(WindowOp::Close)
    }

    /// Calls `listener` when the window is asked to close, by the user or by
    /// [`BrowserWindow::close`], before it closes (Electron's `close` event); it
    /// may prevent the closing with [`crate::Preventable::prevent_default`]. On
    /// Chromium, a window the user closes is gone already: the event comes, but
    /// cannot stop it (see the README).
    pub fn on_close(&self, listener: impl Fn(&Preventable) + Send + Sync + 'static) {
        self.events.close.add(listener);
    }

    /// Calls `listener` with what the window's page does as it loads (Electron's
    /// `did-start-loading`, `did-navigate`, `dom-ready`, `did-finish-load`,
    /// `did-stop-loading` on its `webContents`), on the engine's thread.
    pub fn on_page_event(&self, listener: impl Fn(&PageEvent) + Send + Sync + 'static) {
        self.events.page.add(listener);
    }

    /// Calls `listener` once the window has closed (Electron's `closed` event).
    pub fn on_closed(&self, listener: impl Fn() + Send + Sync + 'static) {
        self.events.closed.add(move |()| listener());
    }

    /// The window of `web_contents` (Electron's `BrowserWindow.fromWebContents`),
    /// as in Electron's IPC tutorial:
    /// `BrowserWindow::from_web_contents(&app, event.sender())`.
    pub fn from_web_contents(app: &AppHandle, web_contents: &WebContents) -> Option<Self> {
        app.window_from_id(web_contents.id())
    }

    /// Loads the current page again, with a new renderer process if the old one is
    /// gone (Electron's `reload`).
    pub fn reload(&self) -> Result<(), Error> {
        self.command(WindowOp::Reload)
    }

    /// Ends the window's renderer process (Electron's `forcefullyCrashRenderer`), as
    /// a crash would: the render-process-gone handler is called with
    /// [`crate::RenderProcessGoneReason::Killed`].
    pub fn force_crash_renderer(&self) -> Result<(), Error> {
        self.command(WindowOp::CrashRenderer)
    }

    /// Sets the native window's title (Electron's `setTitle`), as in Electron's IPC
    /// tutorial. On Chromium, whose `--app` window shows its page's title, the
    /// page's `document.title` is set (see the README).
    pub fn set_title(&self, title: &str) -> Result<(), Error> {
        self.command(WindowOp::SetTitle(title.to_owned()))
    }

    /// The native window's title (Electron's `getTitle`).
    pub fn get_title(&self) -> impl Future<Output = Result<String, Error>> + Send + 'static {
        self.ask(|done| WindowOp::Title { done })
    }

    /// Runs `code` in the page's own world and gives its result as JSON
    /// (Electron's `webContents.executeJavaScript`): an expression's value, with a
    /// promise awaited, or statements' completion value; `undefined` is `null`.
    /// The page's CSP does not apply: this is the main process's script. An
    /// exception is an [`Error::Script`] with its message.
    pub fn execute_javascript(
        &self,
        code: &str,
    ) -> impl Future<Output = Result<serde_json::Value, Error>> + Send + 'static {
        let code = code.to_owned();
        self.ask(move |done| WindowOp::ExecuteJavaScript { code, done })
    }

    /// Saves what the window shows as a PNG (Electron's `capturePage`, to a file).
    pub fn capture_page(
        &self,
        path: impl Into<PathBuf>,
    ) -> impl Future<Output = Result<(), Error>> + Send + 'static {
        let path = path.into();
        self.ask(move |done| WindowOp::Capture { path, done })
    }

    /// Calls `listener` with what happens to the native window, under Electron's
    /// event names ([`WindowEvent`]: `ready-to-show`, `focus`, `blur`, `resize`,
    /// `move`, `maximize`, …), on the engine's thread.
    pub fn on_window_event(&self, listener: impl Fn(&WindowEvent) + Send + Sync + 'static) {
        self.events.window.add(listener);
    }

    /// Calls `listener` with the page's new title when it changes (Electron's
    /// `page-title-updated`). The native window's title follows it, unless a
    /// listener prevents that with [`Preventable::prevent_default`].
    pub fn on_page_title_updated(
        &self,
        listener: impl Fn(&Preventable, &str) + Send + Sync + 'static,
    ) {
        self.events
            .title
            .add(move |(event, title): &(Preventable, String)| listener(event, title));
    }

    /// Calls `listener` with each console message of the window's renderer
    /// (Electron's `console-message` on its `webContents`), on the handler
    /// runtime. [`voltaic_core::IpcMain::on_console_message`] hears every window's.
    pub fn on_console_message(
        &self,
        listener: impl Fn(&voltaic_core::ConsoleMessage) + Send + Sync + 'static,
    ) {
        self.events.console.add(listener);
    }

    /// Calls `listener` when the window's renderer process is gone (Electron's
    /// `render-process-gone` on its `webContents`), on the engine's thread; the
    /// app-wide handler ([`crate::AppHandle::set_render_process_gone_handler`])
    /// hears it too. [`BrowserWindow::reload`] brings a new renderer.
    pub fn on_render_process_gone(
        &self,
        listener: impl Fn(crate::RenderProcessGoneReason) + Send + Sync + 'static,
    ) {
        self.events.gone.add(move |reason| listener(*reason));
    }

    /// The window's listeners.
    pub(crate) fn events(&self) -> &WindowEvents {
        &self.events
    }

    /// Shows the window and focuses it (Electron's `show`).
    pub fn show(&self) -> Result<(), Error> {
        self.change(WindowChange::Show)
    }

    /// Hides the window (Electron's `hide`).
    pub fn hide(&self) -> Result<(), Error> {
        self.change(WindowChange::Hide)
    }

    /// Gives the window the keyboard focus (Electron's `focus`).
    pub fn focus(&self) -> Result<(), Error> {
        self.change(WindowChange::Focus)
    }

    /// Takes the keyboard focus from the window (Electron's `blur`). On Linux
    /// it goes below the app's other windows and counts as not focused, keys
    /// included, until it is focused again, as Electron's does on X11; the
    /// [`WindowEvent::Blur`](crate::WindowEvent::Blur) event follows. Chromium, WebView2 and WKWebView
    /// cannot do it yet: [`Error::Unsupported`].
    pub fn blur(&self) -> Result<(), Error> {
        self.change(WindowChange::Blur)
    }

    /// Minimizes the window (Electron's `minimize`).
    pub fn minimize(&self) -> Result<(), Error> {
        self.change(WindowChange::Minimize)
    }

    /// Maximizes the window (Electron's `maximize`).
    pub fn maximize(&self) -> Result<(), Error> {
        self.change(WindowChange::Maximize)
    }

    /// Undoes a maximize (Electron's `unmaximize`).
    pub fn unmaximize(&self) -> Result<(), Error> {
        self.change(WindowChange::Unmaximize)
    }

    /// Brings the window back from being minimized (Electron's `restore`).
    pub fn restore(&self) -> Result<(), Error> {
        self.change(WindowChange::Restore)
    }

    /// Enters or leaves full screen (Electron's `setFullScreen`).
    pub fn set_full_screen(&self, full_screen: bool) -> Result<(), Error> {
        self.change(WindowChange::FullScreen(full_screen))
    }

    /// Moves the window to the middle of its screen (Electron's `center`).
    pub fn center(&self) -> Result<(), Error> {
        self.change(WindowChange::Center)
    }

    /// Keeps the window above others, or not (Electron's `setAlwaysOnTop`).
    pub fn set_always_on_top(&self, on_top: bool) -> Result<(), Error> {
        self.change(WindowChange::AlwaysOnTop(on_top))
    }

    /// Moves and sizes the window, frame included (Electron's `setBounds`).
    pub fn set_bounds(&self, bounds: Rectangle) -> Result<(), Error> {
        self.change(WindowChange::Bounds(bounds))
    }

    /// Sizes the page's area (Electron's `setContentSize`).
    pub fn set_content_size(&self, width: u32, height: u32) -> Result<(), Error> {
        self.change(WindowChange::ContentSize(width, height))
    }

    /// Moves the window (Electron's `setPosition`).
    pub fn set_position(&self, x: i32, y: i32) -> Result<(), Error> {
        self.change(WindowChange::Position(x, y))
    }

    /// The smallest size the user may give the page's area; `None` for no limit
    /// (Electron's `setMinimumSize`).
    pub fn set_minimum_size(&self, size: Option<(u32, u32)>) -> Result<(), Error> {
        self.change(WindowChange::MinimumSize(size))
    }

    /// The largest size the user may give the page's area; `None` for no limit
    /// (Electron's `setMaximumSize`).
    pub fn set_maximum_size(&self, size: Option<(u32, u32)>) -> Result<(), Error> {
        self.change(WindowChange::MaximumSize(size))
    }

    /// Whether the user may resize the window (Electron's `setResizable`).
    pub fn set_resizable(&self, resizable: bool) -> Result<(), Error> {
        self.change(WindowChange::Resizable(resizable))
    }

    /// The window's icon, where the platform shows one (Electron's `setIcon`).
    pub fn set_icon(&self, icon: Icon) -> Result<(), Error> {
        self.change(WindowChange::Icon(icon))
    }

    /// What the native window is now: bounds, content size, visible, focused,
    /// minimized, maximized, full screen, resizable (Electron's `getBounds`,
    /// `isFocused`, … together). Read on the engine's thread after what was asked
    /// before it; a change the window manager makes later shows in a later read,
    /// and in [`BrowserWindow::on_window_event`].
    pub fn state(&self) -> impl Future<Output = Result<WindowState, Error>> + Send + 'static {
        self.ask(|done| WindowOp::State { done })
    }

    /// Asks the engine for `change`, unless it says it cannot make it.
    pub fn change(&self, change: WindowChange) -> Result<(), Error> {
        let what = change.name();
        if let Some((_, why)) = self.unsupported.iter().find(|(name, _)| *name == what) {
            return Err(Error::Unsupported {
                engine: self.engine_name,
                what,
                why,
            });
        }
        self.command(WindowOp::Change(change))
    }

    /// Sends a command that answers through `done`, and waits for the answer.
    fn ask<T: Send + 'static>(
        &self,
        op: impl FnOnce(oneshot::Sender<Result<T, Error>>) -> WindowOp,
    ) -> impl Future<Output = Result<T, Error>> + Send + 'static {
        let (done, answer) = oneshot::channel();
        let sent = self.command(op(done));
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

    fn command(&self, op: WindowOp) -> Result<(), Error> {
        if !self.is_open() {
            return Err(Error::WindowClosed(self.id));
        }
        self.engine
            .send(Command::Window {
                window: self.id,
                op,
            })
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
