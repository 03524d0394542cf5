//! The seam between the app and a web engine.
//!
//! Everything a user touches (`App`, `BrowserWindow`, `WebPreferences`, the hooks,
//! the security report) is engine-independent and lives in this crate. An engine
//! crate implements three small traits:
//!
//! - [`Engine`]: the engine's side on the thread that created the app. It opens
//!   windows, then runs the event loop until the app stops.
//! - [`WindowFactory`]: opens one window with the preload world and its channel
//!   installed before anything loads, connected to the app's IPC through
//!   [`WindowSpec::connect`].
//! - [`EngineProxy`]: the thread-safe way in. Window operations, windows opened
//!   while the app runs, and quitting are handed to the engine's thread as
//!   [`Command`]s, in the order they were sent.
//!
//! Delivering packets and replies to the renderer is the engine's
//! [`voltaic_core::RendererLink`], which it gives [`WindowSpec::connect`].

use std::collections::VecDeque;
use std::path::PathBuf;
use std::sync::atomic::AtomicBool;
use std::sync::Arc;

use tokio::sync::oneshot;
use voltaic_core::{Api, Connection, IpcMain, Packet, RendererLink, WebContents, WindowPolicy};

use crate::content::AppContent;
use crate::page_policy::PagePolicy;
use crate::{BrowserWindowOptions, Error, SandboxState, WindowChange, WindowState};

/// Messages for a renderer whose preload has not run yet (the first load, or any
/// navigation), kept in order so that none is lost to a document that is not
/// listening yet; bounded, against a main process that sends to a window that never
/// loads.
#[derive(Debug)]
pub struct Waiting {
    window: u32,
    queued: VecDeque<Packet>,
}

impl Waiting {
    /// Most messages kept: far above what a stream posted during a load holds (the
    /// main process's own port queue holds as many).
    pub const MAX: usize = 100_000;

    /// An empty queue for window `window`.
    pub fn new(window: u32) -> Self {
        Self {
            window,
            queued: VecDeque::new(),
        }
    }

    /// Keeps `message`, or drops it with a warning when [`Waiting::MAX`] wait.
    pub fn push(&mut self, message: Packet) {
        if self.queued.len() < Self::MAX {
            self.queued.push_back(message);
        } else {
            tracing::warn!(
                window = self.window,
                "dropped a message: {} are already waiting for the page's preload",
                Self::MAX
            );
        }
    }

    /// The next message, oldest first.
    pub fn pop(&mut self) -> Option<Packet> {
        self.queued.pop_front()
    }
}

/// Refuses to start an engine on a machine with no display to show windows on.
pub fn require_display() -> Result<(), Error> {
    let has_display = ["DISPLAY", "WAYLAND_DISPLAY"]
        .iter()
        .any(|name| std::env::var_os(name).is_some_and(|v| !v.is_empty()));
    if has_display {
        Ok(())
    } else {
        Err(Error::NoDisplay)
    }
}

/// Where an app's pages keep their storage (local storage, IndexedDB, cookies)
/// from one launch to the next: `VOLTAIC_DATA_DIR` when set (as Electron's
/// `--user-data-dir` or `app.setPath('userData')`), else `$XDG_DATA_HOME/<program>`
/// (`~/.local/share/<program>`), where WebKitGTK keeps it by default.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DataDir {
    /// The directory.
    pub path: PathBuf,
    /// Whether the app's user chose it (`VOLTAIC_DATA_DIR`) rather than the default.
    pub chosen: bool,
}

/// The environment variable that sets an app's [`DataDir`].
pub const DATA_DIR_ENV: &str = "VOLTAIC_DATA_DIR";

impl DataDir {
    /// The running program's data directory; `None` when the environment names no
    /// home to put it in.
    pub fn of_this_program() -> Option<Self> {
        if let Some(path) = std::env::var_os(DATA_DIR_ENV).filter(|v| !v.is_empty()) {
            return Some(Self {
                path: PathBuf::from(path),
                chosen: true,
            });
        }
        let program = std::env::current_exe()
            .ok()
            .and_then(|exe| exe.file_name().map(|name| name.to_owned()))?;
        let base = std::env::var_os("XDG_DATA_HOME")
            .filter(|v| !v.is_empty())
            .map(PathBuf::from)
            .or_else(|| {
                std::env::var_os("HOME")
                    .filter(|v| !v.is_empty())
                    .map(|home| PathBuf::from(home).join(".local/share"))
            })?;
        Some(Self {
            path: base.join(program),
            chosen: false,
        })
    }
}

/// What an engine says of itself, for the security report and `process.versions`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EngineInfo {
    /// The engine's name as users know it: `WebKitGTK`, `Chromium`.
    pub name: &'static str,
    /// The running engine's version (the library or browser loaded, not the one
    /// built against).
    pub version: String,
    /// The key its version has in a preload's `process.versions`: `webkitgtk`,
    /// `chrome`.
    pub versions_key: &'static str,
    /// Whether its renderers run in a process sandbox, and if not, why.
    pub sandbox: SandboxState,
    /// What "sandboxed" means on this engine, for the report:
    /// `the web process runs inside bubblewrap`.
    pub sandbox_detail: &'static str,
    /// Whether `dev_tools: false` takes the engine's developer tools away; where it
    /// cannot, the report says so.
    pub dev_tools_can_be_off: bool,
    /// How it isolates a window that asks for cross-origin isolation, for the
    /// security report: `app:// pages are sent COOP and COEP`.
    pub isolation_detail: &'static str,
    /// Whether isolating one window turns `SharedArrayBuffer` on for others too
    /// (WebKitGTK's JavaScriptCore switch is for every web process started after
    /// it); the report flags the other windows then.
    pub isolation_app_wide: bool,
    /// The window changes it cannot make, by [`WindowChange::name`], with why;
    /// asking for one is an [`Error::Unsupported`].
    pub unsupported_changes: &'static [(&'static str, &'static str)],
}

/// The engine's side of an app, on the thread that created it.
pub trait Engine: WindowFactory {
    /// The engine's name, version and sandbox.
    fn info(&self) -> EngineInfo;

    /// The thread-safe handle through which the app reaches the engine's thread.
    fn proxy(&self) -> Arc<dyn EngineProxy>;

    /// Runs the event loop until a [`Command::Quit`] or until the last window is
    /// closed; returns the exit code. Every window is closed when it returns.
    fn run(self: Box<Self>) -> i32;
}

/// Opens windows, on the engine's thread.
pub trait WindowFactory {
    /// Creates the native window and its renderer, with the preload world and its
    /// channel installed before anything is loaded, and connects it to the app's
    /// IPC with [`WindowSpec::connect`].
    fn open_window(&mut self, spec: WindowSpec) -> Result<OpenedWindow, Error>;
}

/// The way into an engine's thread from any thread.
pub trait EngineProxy: Send + Sync {
    /// Queues `command` for the engine's thread, after those sent before it. Gives
    /// it back when the engine has stopped.
    fn send(&self, command: Command) -> Result<(), Command>;
}

/// Work for the engine's thread.
pub enum Command {
    /// An operation on one window.
    Window {
        /// The window's id.
        window: u32,
        /// What to do.
        op: WindowOp,
    },
    /// Open a window while the app runs: call the job with the engine's factory.
    Open(OpenJob),
    /// Build the app's menu with the job, on the engine's thread (where muda's
    /// menus must stay), and give it to every window, those opened later too.
    SetMenu(MenuJob),
    /// Stop the event loop; `App::run` returns `code`.
    Quit {
        /// The exit code.
        code: i32,
    },
}

impl std::fmt::Debug for Command {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Window { window, op } => f
                .debug_struct("Window")
                .field("window", window)
                .field("op", op)
                .finish(),
            Self::Open(_) => f.write_str("Open"),
            Self::SetMenu(_) => f.write_str("SetMenu"),
            Self::Quit { code } => f.debug_struct("Quit").field("code", code).finish(),
        }
    }
}

/// Opens one window with the factory it is given, and answers whoever asked.
type OpenWith = dyn FnOnce(&mut dyn WindowFactory) + Send;

/// A window to open on the engine's thread (see [`Command::Open`]).
pub struct OpenJob(pub(crate) Box<OpenWith>);

impl OpenJob {
    /// Opens the window with `factory`, and answers the caller that asked for it.
    pub fn run(self, factory: &mut dyn WindowFactory) {
        (self.0)(factory);
    }
}

/// The app's menu to build on the engine's thread (see [`Command::SetMenu`]).
pub struct MenuJob(pub(crate) Box<dyn FnOnce() -> muda::Menu + Send>);

impl MenuJob {
    /// Builds the menu.
    pub fn build(self) -> muda::Menu {
        (self.0)()
    }
}

/// An operation on one window, carried out on the engine's thread.
#[derive(Debug)]
#[non_exhaustive]
pub enum WindowOp {
    /// Load content; what was sent before goes to the old document, what is sent
    /// from now on waits for the new document's preload.
    Load(LoadTarget),
    /// Load the current page again, with a new renderer if the old one is gone.
    Reload,
    /// End the renderer process, as a crash would.
    CrashRenderer,
    /// Save what the window shows as a PNG.
    Capture {
        /// Where.
        path: PathBuf,
        /// Answered when saved.
        done: oneshot::Sender<Result<(), Error>>,
    },
    /// Set the native window's title.
    SetTitle(String),
    /// The native window's title.
    Title {
        /// Answered with the title.
        done: oneshot::Sender<Result<String, Error>>,
    },
    /// Run script in the page's world (Electron's `webContents.executeJavaScript`).
    ExecuteJavaScript {
        /// The script: an expression (a promise it gives is awaited) or
        /// statements (their completion value).
        code: String,
        /// Answered with its result as JSON.
        done: oneshot::Sender<Result<serde_json::Value, Error>>,
    },
    /// Change the native window.
    Change(WindowChange),
    /// What the native window is now.
    State {
        /// Answered with its state.
        done: oneshot::Sender<Result<WindowState, Error>>,
    },
    /// Close the window.
    Close,
}

impl WindowOp {
    /// Answers what waits for an answer with [`Error::WindowClosed`]: the window
    /// it was meant for is gone. Other operations are dropped.
    pub fn refuse_closed(self, window: u32) {
        match self {
            Self::Capture { done, .. } => {
                let _ = done.send(Err(Error::WindowClosed(window)));
            }
            Self::Title { done } => {
                let _ = done.send(Err(Error::WindowClosed(window)));
            }
            Self::State { done } => {
                let _ = done.send(Err(Error::WindowClosed(window)));
            }
            Self::ExecuteJavaScript { done, .. } => {
                let _ = done.send(Err(Error::WindowClosed(window)));
            }
            _ => {}
        }
    }
}

/// What a window is asked to load.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum LoadTarget {
    /// An absolute URL, already parsed.
    Url(String),
    /// An HTML string, shown with the app's origin.
    Html(String),
    /// A file served from the app's origin: its directory becomes the window's app
    /// root ([`AppContent::set_root`]), and `path` is the URL path that names it
    /// there (`/index.html`, percent-encoded).
    File {
        /// The file's directory.
        root: PathBuf,
        /// The file's URL path under the app's origin.
        path: String,
    },
}

/// Everything an engine needs to open one window. The engine-independent work
/// (checking the options, reading the preload, the grants and the preload runtime's
/// configuration) is done.
pub struct WindowSpec {
    /// The window's id, also its web contents' id.
    pub id: u32,
    /// The options it was opened with.
    pub options: BrowserWindowOptions,
    /// The preload runtime's configuration. The engine fills in what only it knows:
    /// [`voltaic_preload::RuntimeConfig::sync_token`], and
    /// [`voltaic_preload::RuntimeConfig::app_origin`] when it serves the app's
    /// origin somewhere other than `app://localhost`.
    pub runtime: voltaic_preload::RuntimeConfig,
    /// The source of the user's preload, if any.
    pub preload: Option<String>,
    /// What the window serves under the app's origin.
    pub content: Arc<AppContent>,
    /// The app's decisions on what the page asks for beyond IPC.
    pub policy: Arc<PagePolicy>,
    /// False once the window is closed. The engine clears it when the window goes.
    pub open: Arc<AtomicBool>,
    pub(crate) connector: Connector,
}

impl WindowSpec {
    /// Connects the window to the app's IPC through the engine's link to its
    /// renderer. Call once, before the window loads anything.
    pub fn connect(&mut self, link: Arc<dyn RendererLink>) -> Connection {
        self.connector.connect(link)
    }
}

impl std::fmt::Debug for WindowSpec {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WindowSpec")
            .field("id", &self.id)
            .field("options", &self.options)
            .finish_non_exhaustive()
    }
}

/// Makes the window's IPC connection, with its APIs attached.
pub(crate) struct Connector {
    pub(crate) ipc_main: IpcMain,
    pub(crate) id: u32,
    pub(crate) policy: WindowPolicy,
    pub(crate) apis: Vec<Api>,
}

impl Connector {
    fn connect(&self, link: Arc<dyn RendererLink>) -> Connection {
        let connection = self.ipc_main.connect(self.id, link, self.policy.clone());
        for api in &self.apis {
            api.attach(connection.web_contents());
        }
        connection
    }
}

/// What an engine reports of a window it opened.
#[derive(Debug, Clone)]
pub struct OpenedWindow {
    /// The window's web contents, from the connection.
    pub web_contents: WebContents,
    /// Whether this window's renderer runs in the engine's process sandbox.
    pub process_sandboxed: bool,
}
