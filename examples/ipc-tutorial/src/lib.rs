//! Electron's IPC tutorial, ported to Voltaic: its three patterns in one window.
//!
//! 1. **Renderer to main, one way**: the page sends a title, and the handler sets
//!    it on the sender's window, found with `BrowserWindow::from_web_contents`.
//! 2. **Renderer to main and back**: the page invokes `dialog:openFile`, and an
//!    async handler answers with the path the user picked (`rfd`).
//! 3. **Main to renderer, and the answer**: the app's menu (`muda`) sends
//!    `update-counter`, and the page answers with the new value on
//!    `counter-value`.
//!
//! The app is a library so that the end-to-end tests run it as it is, with the
//! dialog replaced through [`FileDialog`]; `main.rs` gives it the system's.

use std::future::Future;
use std::path::{Path, PathBuf};
use std::pin::Pin;
use std::sync::Arc;

use muda::{Menu, MenuEvent, MenuItem, Submenu};
use voltaic::{
    App, AppHandle, BrowserWindow, BrowserWindowOptions, ChannelGrants, Error, IpcEvent,
    WebContents, WebPreferences,
};

/// The menu item that adds one to the page's counter.
pub const INCREMENT: &str = "increment";
/// The menu item that takes one from it.
pub const DECREMENT: &str = "decrement";

/// A future that gives the file the user picked, or `None` if they cancelled.
pub type Picked = Pin<Box<dyn Future<Output = Option<PathBuf>> + Send>>;

/// Asks the user for a file: the system's dialog in the app, a stand-in in tests.
pub trait FileDialog: Send + Sync + 'static {
    /// Shows the dialog.
    fn pick_file(&self) -> Picked;
}

/// The system's file dialog, through `rfd`.
pub struct SystemDialog;

impl FileDialog for SystemDialog {
    fn pick_file(&self) -> Picked {
        Box::pin(async {
            rfd::AsyncFileDialog::new()
                .pick_file()
                .await
                .map(|file| file.path().to_owned())
        })
    }
}

/// The tutorial's window.
pub struct Tutorial {
    /// The window.
    pub window: BrowserWindow,
}

/// Registers the tutorial's handlers, opens its window, and gives the app its
/// menu (where the engine has menus: on Chromium the menu's clicks can still be
/// given to [`menu_clicked`]).
pub fn open(app: &App, dialog: Arc<dyn FileDialog>) -> Result<Tutorial, Error> {
    let ipc_main = app.ipc_main();
    let handle = app.handle();
    // Pattern 1: the sender's window takes the title.
    let windows = handle.clone();
    ipc_main.on("set-title", move |event: IpcEvent, title: String| {
        set_title(&windows, &event, &title);
    });
    // Pattern 2: an async handler; what it returns resolves the page's invoke.
    ipc_main.handle("dialog:openFile", move |_: IpcEvent| {
        let picked = dialog.pick_file();
        async move { Ok::<_, String>(picked.await.map(|path| path.display().to_string())) }
    })?;
    // Pattern 3, the page's answer.
    ipc_main.on("counter-value", |_: IpcEvent, value: i64| {
        tracing::info!("counter-value: {value}");
    });

    let here = Path::new(env!("CARGO_MANIFEST_DIR"));
    let window = BrowserWindow::new(
        app,
        BrowserWindowOptions {
            title: "Voltaic IPC tutorial".into(),
            web_preferences: WebPreferences {
                preload: Some(here.join("preload.js")),
                grants: ChannelGrants::new()
                    .send("set-title")
                    .invoke("dialog:openFile")
                    .receive("update-counter")
                    .send("counter-value"),
                ..Default::default()
            },
            ..Default::default()
        },
    )?;
    window.load_file(here.join("index.html"))?;

    let contents = window.web_contents().clone();
    MenuEvent::set_event_handler(Some(move |event: MenuEvent| {
        menu_clicked(&contents, &event);
    }));
    match handle.set_application_menu(build_menu) {
        Ok(()) => {}
        Err(Error::Unsupported { engine, why, .. }) => {
            tracing::warn!("no menu on {engine}: {why}");
        }
        Err(error) => return Err(error),
    }
    Ok(Tutorial { window })
}

fn set_title(app: &AppHandle, event: &IpcEvent, title: &str) {
    match BrowserWindow::from_web_contents(app, event.sender()) {
        Some(window) => {
            if let Err(error) = window.set_title(title) {
                tracing::warn!("set-title: {error}");
            }
        }
        None => tracing::warn!("set-title from a window that is gone"),
    }
}

/// The app's menu: Increment and Decrement, under the app's name.
fn build_menu() -> Menu {
    let counter = Submenu::with_items(
        "Counter",
        true,
        &[
            &MenuItem::with_id(INCREMENT, "Increment", true, None),
            &MenuItem::with_id(DECREMENT, "Decrement", true, None),
        ],
    );
    let menu = Menu::new();
    if let Err(error) = counter.and_then(|counter| menu.append(&counter)) {
        tracing::warn!("the menu could not be built: {error}");
    }
    menu
}

/// What a click on the menu does: pattern 3's message to the renderer.
pub fn menu_clicked(web_contents: &WebContents, event: &MenuEvent) {
    let step: i64 = match event.id().as_ref() {
        INCREMENT => 1,
        DECREMENT => -1,
        _ => return,
    };
    if let Err(error) = web_contents.send("update-counter", (step,)) {
        tracing::warn!("update-counter: {error}");
    }
}
