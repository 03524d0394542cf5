//! Voltaic's engine-independent app: [`App`], [`BrowserWindow`],
//! [`WebPreferences`], the page policies and the security report.
//!
//! None of it knows which web engine renders the windows. An engine crate
//! (`voltaic-webkitgtk`, `voltaic-chromium`) implements the [`engine`] seam, and the
//! `voltaic` crate, which most users depend on, picks one.
//!
//! Threads: an engine's windows live on the thread that created the [`App`] (GTK's
//! main thread on WebKitGTK), where [`App`] and [`BrowserWindow::new`] must be
//! called. IPC handlers' synchronous parts run on it too, as Electron's and Tauri's
//! do (see [`voltaic_core::IpcMain::set_inline_dispatch`]); async handlers go on on
//! a tokio runtime owned by the app. Everything that reaches a window from
//! elsewhere ([`voltaic_core::WebContents::send`], the methods of
//! [`BrowserWindow`]) is queued to the engine's thread.

#![warn(missing_docs)]

mod app;
pub mod automation;
pub mod content;
pub mod engine;
mod error;
mod hooks;
mod inspector;
mod lifecycle;
mod native;
mod options;
mod page_policy;
pub mod preload_routes;
mod sandbox;
mod security;
mod single_instance;
mod window;
mod window_setup;

pub use app::{App, AppHandle};
pub use error::Error;
pub use hooks::{
    NavigationRequest, PermissionKind, PermissionRequest, RenderProcessGone,
    RenderProcessGoneReason, WindowOpenAction, WindowOpenRequest,
};
pub use lifecycle::{PageEvent, Preventable};
pub use native::{Icon, Rectangle, StateEvents, WindowChange, WindowEvent, WindowState};
pub use options::{BrowserWindowOptions, WebPreferences, DEFAULT_CSP};
pub use page_policy::PagePolicy;
pub use sandbox::SandboxState;
pub use security::{Check, CheckState, SecurityReport, WindowReport};
pub use single_instance::SecondInstance;
pub use voltaic_core::{AllowedOrigins, ChannelGrants, ChannelSchema};
pub use window::BrowserWindow;
