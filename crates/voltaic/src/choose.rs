//! Which engine an app runs on: WebKitGTK by default on Linux, or the one the
//! `VOLTAIC_ENGINE` environment variable or [`App::with_engine`] names.

use std::ops::Deref;

use voltaic_core::Limits;

use crate::Error;

/// The environment variable that picks the engine of any Voltaic app, without
/// recompiling: `webkitgtk` or `chromium` on Linux.
pub const ENGINE_ENV: &str = "VOLTAIC_ENGINE";

/// A web engine Voltaic can run an app on. Each runs on its own systems; asking
/// for one elsewhere is an error that says so.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum EngineKind {
    /// The one `VOLTAIC_ENGINE` names, else the system's own webview: WebKitGTK
    /// on Linux, WebView2 on Windows, WKWebView on macOS.
    #[default]
    Default,
    /// WebKitGTK, through wry and tao: the system webview on Linux.
    WebKitGtk,
    /// Chromium (Debian's `chromium`), driven over the DevTools protocol on a
    /// private pipe. Linux.
    Chromium,
    /// Microsoft Edge WebView2, through wry and tao, driven over the DevTools
    /// protocol in-process: the system webview on Windows.
    WebView2,
    /// WKWebView, through wry and tao: the system webview on macOS (11 and later).
    WkWebView,
}

impl EngineKind {
    /// The engine `name` (`webkitgtk`, `chromium`, `webview2`, `wkwebview`), as
    /// `VOLTAIC_ENGINE` names it.
    pub fn from_name(name: &str) -> Result<Self, Error> {
        match name.trim().to_ascii_lowercase().as_str() {
            "" | "default" => Ok(Self::Default),
            "webkitgtk" | "webkit" => Ok(Self::WebKitGtk),
            "chromium" | "chrome" => Ok(Self::Chromium),
            "webview2" | "edge" => Ok(Self::WebView2),
            "wkwebview" => Ok(Self::WkWebView),
            _ => Err(Error::UnknownEngine(
                name.to_owned(),
                "webkitgtk, chromium, webview2, wkwebview",
            )),
        }
    }

    /// The system's own webview.
    pub fn system() -> Self {
        if cfg!(windows) {
            Self::WebView2
        } else if cfg!(target_os = "macos") {
            Self::WkWebView
        } else {
            Self::WebKitGtk
        }
    }

    /// What [`EngineKind::Default`] means here and now: `VOLTAIC_ENGINE` if set,
    /// else the system's webview.
    fn resolve(self) -> Result<Self, Error> {
        if self != Self::Default {
            return Ok(self);
        }
        match std::env::var(ENGINE_ENV) {
            Ok(name) => match Self::from_name(&name)? {
                Self::Default => Ok(Self::system()),
                chosen => Ok(chosen),
            },
            Err(_) => Ok(Self::system()),
        }
    }

    /// Starts the engine, if it runs on this system.
    fn start(self) -> Result<Box<dyn voltaic_app::engine::Engine>, Error> {
        match self {
            #[cfg(target_os = "linux")]
            Self::WebKitGtk => voltaic_webkitgtk::engine(),
            #[cfg(target_os = "linux")]
            Self::Chromium => voltaic_chromium::engine(),
            #[cfg(windows)]
            Self::WebView2 => voltaic_webview2::engine(),
            #[cfg(target_os = "macos")]
            Self::WkWebView => voltaic_wkwebview::engine(),
            other => Err(Error::Engine(format!(
                "the {other:?} engine does not run on {}",
                std::env::consts::OS
            ))),
        }
    }
}

/// A Voltaic application: create it first, on the main thread, then windows, then
/// [`App::run`]. One per process.
///
/// It is [`voltaic_app::App`] on the engine chosen: everything but making it and
/// running it is that type's (through `Deref`).
///
/// ```
/// use voltaic::{App, BrowserWindow, BrowserWindowOptions};
///
/// let app = App::new()?;
/// let window = BrowserWindow::new(&app, BrowserWindowOptions::default())?;
/// window.load_html("<h1>Hello</h1>")?;
/// # // As a test, the app ends soon after it starts.
/// # let quit = app.handle();
/// # app.set_timeout(std::time::Duration::from_millis(500), move || quit.quit());
/// std::process::exit(app.run());
/// # Ok::<(), voltaic::Error>(())
/// ```
#[derive(Debug)]
pub struct App(voltaic_app::App);

impl App {
    /// Starts the default engine and the handler runtime with default [`Limits`].
    pub fn new() -> Result<Self, Error> {
        Self::with_limits(Limits::default())
    }

    /// Starts the default engine and the handler runtime with the given limits on
    /// renderer messages.
    ///
    /// This also turns on the engine's process sandbox where the platform allows
    /// (see [`crate::AppHandle::sandbox`]); call it first thing in `main`, before
    /// starting threads of your own, as that may be done through an environment
    /// variable.
    pub fn with_limits(limits: Limits) -> Result<Self, Error> {
        Self::with_engine(EngineKind::Default, limits)
    }

    /// Starts the given engine and the handler runtime.
    pub fn with_engine(engine: EngineKind, limits: Limits) -> Result<Self, Error> {
        voltaic_app::App::with_engine(engine.resolve()?.start()?, limits).map(Self)
    }

    /// Runs the event loop until [`crate::AppHandle::quit`] or
    /// [`crate::AppHandle::exit`] is called or the last window is closed; returns
    /// the exit code.
    pub fn run(self) -> i32 {
        self.0.run()
    }
}

impl Deref for App {
    type Target = voltaic_app::App;

    fn deref(&self) -> &voltaic_app::App {
        &self.0
    }
}
