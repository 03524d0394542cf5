//! `BrowserWindow`: a native window holding one webview.

use std::cell::RefCell;
use std::future::Future;
use std::path::{Path, PathBuf};
use std::rc::Rc;
use std::sync::atomic::{AtomicBool, AtomicU32, Ordering};
use std::sync::Arc;

use tao::dpi::LogicalSize;
use tao::event_loop::{EventLoopProxy, EventLoopWindowTarget};
use tao::platform::unix::WindowExtUnix;
use tao::window::WindowBuilder;
use tokio::sync::oneshot;
use url::Url;
use voltaic_core::WebContents;
use wry::WebViewBuilderExtUnix;
use wry::WebViewExtUnix;

use crate::app::{Command, LoadTarget, WindowEntry, Windows};
use crate::transport::{self, Inbox, Outbox, RendererSetup, WebKitLink};
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
    proxy: EventLoopProxy<Command>,
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
        let preload = prefs.preload.as_deref().map(read_preload).transpose()?;
        let id = NEXT_WINDOW_ID.fetch_add(1, Ordering::Relaxed);
        if !prefs.context_isolation {
            tracing::warn!(
                window = id,
                "context_isolation is off: page scripts can reach ipcRenderer"
            );
        }
        if !prefs.sandbox {
            tracing::warn!(
                window = id,
                "sandbox is off, which changes nothing: Voltaic renderers never get Node.js"
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
        let webview = wry::WebViewBuilder::new()
            .with_devtools(prefs.dev_tools)
            .build_gtk(container)
            .map_err(|e| Error::WebView(e.to_string()))?;
        let view = webview.webview();

        let open = Arc::new(AtomicBool::new(true));
        let proxy = app.proxy.clone();
        let link = Arc::new(WebKitLink {
            window: id,
            proxy: proxy.clone(),
            open: open.clone(),
        });
        let handle_open = open.clone();
        let connection = app.ipc_main().connect(id, link);
        let web_contents = connection.web_contents().clone();
        let inbox: Inbox = Rc::new(RefCell::new(Some(connection)));
        let setup = RendererSetup {
            context_isolation: prefs.context_isolation,
            max_message_bytes: app.ipc_main().limits().max_message_bytes,
            preload,
        };
        let outbox = Outbox::new(id, transport::preload_world(prefs.context_isolation));
        transport::install(&view, &setup, inbox.clone(), outbox.clone())?;
        windows.borrow_mut().insert(
            id,
            WindowEntry {
                native,
                webview,
                view,
                outbox,
                inbox,
                open,
            },
        );
        tracing::debug!(window = id, "window created");
        Ok(Self {
            id,
            web_contents,
            proxy,
            open: handle_open,
        })
    }

    /// The window's id, the same as its web contents' id.
    pub fn id(&self) -> u32 {
        self.id
    }

    /// The window's web contents, to `send` messages to its renderer.
    pub fn web_contents(&self) -> &WebContents {
        &self.web_contents
    }

    /// Loads an absolute URL (`https:`, `file:`, `data:`, …).
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

    /// Loads a local file, like Electron's `loadFile`. Relative paths are taken from
    /// the current directory; the file must exist.
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
        let url = Url::from_file_path(&absolute).map_err(|()| Error::LoadFile {
            path: path.to_owned(),
            reason: "cannot be expressed as a file: URL".into(),
        })?;
        self.command(Command::Load {
            window: self.id,
            target: LoadTarget::Url(url.into()),
        })
    }

    /// Loads an HTML string as the page.
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
        self.proxy
            .send_event(command)
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
