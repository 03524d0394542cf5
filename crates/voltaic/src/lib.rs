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
//! ```no_run
//! use std::time::Duration;
//! use voltaic::{json, App, BrowserWindow, BrowserWindowOptions, IpcEvent, WebPreferences};
//!
//! fn main() -> Result<(), Box<dyn std::error::Error>> {
//!     let app = App::new()?;
//!     let window = BrowserWindow::new(&app, BrowserWindowOptions {
//!         web_preferences: WebPreferences {
//!             preload: Some("preload.js".into()),
//!             ..Default::default()
//!         },
//!         ..Default::default()
//!     })?;
//!
//!     let ipc_main = app.ipc_main();
//!     ipc_main.handle("get-data", |_: IpcEvent| async {
//!         Ok::<_, String>(json!({ "result": "Data from main process" }))
//!     })?;
//!     ipc_main.on("message-channel", |_: IpcEvent, message: String| {
//!         println!("Message received: {message}");
//!     });
//!
//!     let contents = window.web_contents().clone();
//!     app.set_timeout(Duration::from_secs(3), move || {
//!         let _ = contents.send("update-channel", ("Update from main process",));
//!     });
//!
//!     window.load_file("index.html")?;
//!     std::process::exit(app.run());
//! }
//! ```

#![warn(missing_docs)]

pub use serde_json::json;
pub use voltaic_core::{
    bytes, handler, protocol, schemars, wire, AllowedOrigins, Api, ApiEvent, Bytes, CallHandler,
    ChannelGrants, ChannelPattern, ChannelSchema, ConsoleLevel, ConsoleMessage, ConsoleSource,
    Direction, Handler, IntoReply, IpcError, IpcEvent, IpcMain, IpcScope, Json, Limits, ListenerId,
    LiveValue, MessageChannelMain, MessagePortMain, Packet, PortMessage, RendererLink, SendHandler,
    SenderFrame, TypedArrayKind, Value, WebContents, WebFrameMain, WindowPolicy, APP_ORIGIN,
    MAIN_FRAME_ID,
};
pub use voltaic_webkitgtk::{
    App, AppHandle, BrowserWindow, BrowserWindowOptions, Check, CheckState, Error,
    NavigationRequest, PermissionKind, PermissionRequest, RenderProcessGone,
    RenderProcessGoneReason, SandboxState, SecurityReport, WebPreferences, WindowOpenAction,
    WindowOpenRequest, WindowReport, DEFAULT_CSP,
};
