use std::path::PathBuf;

use voltaic_core::IpcError;

/// Errors of windows, the app and the event loop.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// `node_integration: true` was asked for; Voltaic renderers have no Node.js.
    #[error(
        "node_integration is not supported: Voltaic renderers have no Node.js; \
         give the page what it needs from a preload script with contextBridge"
    )]
    NodeIntegrationUnsupported,
    /// `apis` named an API that was not added to the app's `IpcMain`.
    #[error(
        "no API named {0:?} was added; add it with ipc_main.add_api before opening the window"
    )]
    UnknownApi(String),
    /// `isolated_worlds` named a world id that is not an isolated world's.
    #[error(
        "isolated world {0} cannot be used: 0 is the page's world and 999 the preload's; \
         use 1 to 998, or 1000 and up"
    )]
    InvalidIsolatedWorld(u32),
    /// Neither `DISPLAY` nor `WAYLAND_DISPLAY` is set, so no window can be shown.
    #[error("no display: set DISPLAY or WAYLAND_DISPLAY, or run under `xvfb-run -a`")]
    NoDisplay,
    /// GTK could not start, usually because the display cannot be reached.
    #[error("could not start GTK: {0}; is the display reachable?")]
    Gtk(String),
    /// The web engine could not start, or is not installed; the message says which
    /// package to install.
    #[error("could not start the web engine: {0}")]
    Engine(String),
    /// `VOLTAIC_ENGINE` (or the API) named an engine this build does not have.
    #[error("unknown engine {0:?}: this build has {1}")]
    UnknownEngine(String, &'static str),
    /// The preload script could not be read.
    #[error("cannot read preload script {path}: {source}")]
    Preload {
        /// The configured preload path.
        path: PathBuf,
        /// Why reading failed.
        source: std::io::Error,
    },
    /// `load_file` was given a path that cannot be loaded.
    #[error("cannot load file {path}: {reason}")]
    LoadFile {
        /// The path given.
        path: PathBuf,
        /// Why it cannot be loaded.
        reason: String,
    },
    /// `load_url` was given something that is not an absolute URL.
    #[error("invalid URL {url:?}: {reason}")]
    InvalidUrl {
        /// The text given.
        url: String,
        /// What the URL parser said.
        reason: String,
    },
    /// The native window could not be created.
    #[error("could not create the window: {0}")]
    Window(String),
    /// The webview could not be created or set up.
    #[error("could not create the webview: {0}")]
    WebView(String),
    /// The tokio runtime for handlers could not start.
    #[error("could not start the async runtime: {0}")]
    Runtime(std::io::Error),
    /// The window is closed, or the event loop has stopped.
    #[error("window {0} is closed")]
    WindowClosed(u32),
    /// The event loop has stopped, so nothing can be done on the engine's thread.
    #[error("the app's event loop has stopped")]
    AppStopped,
    /// `capture_page` failed.
    #[error("could not capture the page: {0}")]
    Capture(String),
    /// The engine cannot do this to its windows (see the README's engine table).
    #[error("{engine} windows do not support `{what}`: {why}")]
    Unsupported {
        /// The engine.
        engine: &'static str,
        /// What was asked: the `BrowserWindow` method's name.
        what: &'static str,
        /// Why not.
        why: &'static str,
    },
    /// Script the main process ran in a page threw, or gave what JSON cannot
    /// hold.
    #[error("the script failed: {0}")]
    Script(String),
    /// The single-instance lock could not be taken or asked about.
    #[error("single-instance lock: {0}")]
    SingleInstance(String),
    /// An IPC error.
    #[error(transparent)]
    Ipc(#[from] IpcError),
}
