//! # Voltaic
//!
//! Electron's process and IPC model for desktop programs whose main process is Rust
//! and whose UI is web content in the system webview (WebKitGTK on Linux).
//!
//! - The **main process** is your program: it owns windows ([`BrowserWindow`]) and
//!   registers IPC handlers on [`IpcMain`].
//! - Each window's **renderer** is a separate WebKit web process showing the page.
//! - A **preload script** runs before the page, in its own isolated JavaScript world,
//!   with `require('electron')` giving `ipcRenderer` and `contextBridge`. Electron
//!   preloads run unchanged.
//!
//! The page's API is declared once, in Rust; the window that names it is granted
//! exactly its channels (everything else is refused), both ends check the arguments
//! against the Rust types, and the page calls it as `window.greeter.greet(name)`:
//!
//! ```
//! use voltaic::{Api, App, BrowserWindow, BrowserWindowOptions, IpcEvent, WebPreferences};
//!
//! fn main() -> Result<(), Box<dyn std::error::Error>> {
//!     let app = App::new()?;
//!
//!     let greeter = Api::new("greeter");
//!     greeter.call("greet", |_: IpcEvent, name: String| {
//!         Ok::<_, String>(format!("Hello, {name}!"))
//!     });
//!     greeter.send("log", |_: IpcEvent, line: String| println!("page: {line}"));
//!     app.ipc_main().add_api(&greeter)?;
//!
//!     let window = BrowserWindow::new(&app, BrowserWindowOptions {
//!         web_preferences: WebPreferences {
//!             apis: vec!["greeter".into()],
//!             ..Default::default()
//!         },
//!         ..Default::default()
//!     })?;
//!     window.load_html(
//!         "<p id=out></p><script>
//!            window.greeter.greet('Voltaic').then((text) => {
//!              document.getElementById('out').textContent = text;
//!              window.greeter.log(text);
//!            });
//!          </script>",
//!     )?;
//! #   // As a test: done when the page has logged the greeting, failed after 30 s.
//! #   let done = app.handle();
//! #   app.ipc_main().on("greeter.log", move |_: IpcEvent, line: String| {
//! #       if line == "Hello, Voltaic!" { done.quit() } else { done.exit(1) }
//! #   });
//! #   let stuck = app.handle();
//! #   app.set_timeout(std::time::Duration::from_secs(30), move || stuck.exit(1));
//!     std::process::exit(app.run());
//! }
//! ```
//!
//! Electron's own shape works too: a preload script with `contextBridge` and
//! `ipcRenderer`, handlers on [`IpcMain`] (`ipc_main.handle("get-data", ..)`), and
//! the channels the preload uses granted to the window ([`ChannelGrants`]); see the
//! quickstart example.

#![warn(missing_docs)]

pub use serde_json::json;
pub use voltaic_app::{
    automation, engine, AppHandle, BrowserWindow, BrowserWindowOptions, Check, CheckState, Error,
    Icon, NavigationRequest, PageEvent, PermissionKind, PermissionRequest, Preventable, Rectangle,
    RenderProcessGone, RenderProcessGoneReason, SandboxState, SecondInstance, SecurityReport,
    WebPreferences, WindowChange, WindowEvent, WindowOpenAction, WindowOpenRequest, WindowReport,
    WindowState, DEFAULT_CSP,
};
/// The IPC timeline's entries and its trace export (see [`Timeline`]).
pub use voltaic_core::timeline;
pub use voltaic_core::{
    bytes, handler, protocol, schemars, wire, AllowedOrigins, Api, ApiEvent, Binary, Bytes,
    CallHandler, ChannelGrants, ChannelPattern, ChannelSchema, ConsoleLevel, ConsoleMessage,
    ConsoleSource, Direction, Handler, IntoReply, IpcError, IpcEvent, IpcMain, IpcScope, Json,
    Limits, ListenerId, LiveValue, MessageChannelMain, MessagePortMain, Packet, PortMessage,
    RendererLink, SendHandler, SenderFrame, Timeline, TimelineOptions, TypedArrayKind, Value,
    WebContents, WebFrameMain, WindowPolicy, APP_ORIGIN, MAIN_FRAME_ID,
};

mod choose;

pub use choose::{App, EngineKind};
