//! Voltaic's Linux backend: tao windows holding wry/WebKitGTK webviews, with the
//! preload runtime in an isolated script world.
//!
//! Most users depend on the `voltaic` crate, which re-exports this one.
//!
//! Threads: GTK lives on the main thread, where [`App`] and [`BrowserWindow::new`]
//! must be called. IPC handlers' synchronous parts run on it too, as Electron's and
//! Tauri's do (see [`voltaic_core::IpcMain::set_inline_dispatch`]); async handlers go
//! on on a tokio runtime owned by the app. Everything
//! that reaches a window from elsewhere ([`voltaic_core::WebContents::send`], the
//! methods of [`BrowserWindow`]) is queued to the event loop.

#![warn(missing_docs)]

mod app;
mod app_scheme;
mod error;
mod hooks;
mod jsc_packet;
mod options;
mod parcels;
mod reply;
mod sandbox;
mod scheme_handler;
mod security;
mod sync_channel;
mod transport;
mod web_frame;
mod window;

pub use app::{App, AppHandle};
pub use error::Error;
pub use hooks::{
    NavigationRequest, PermissionKind, PermissionRequest, RenderProcessGone,
    RenderProcessGoneReason, WindowOpenAction, WindowOpenRequest,
};
pub use options::{BrowserWindowOptions, WebPreferences, DEFAULT_CSP};
pub use sandbox::SandboxState;
pub use security::{Check, CheckState, SecurityReport, WindowReport};
pub use voltaic_core::{AllowedOrigins, ChannelGrants, ChannelSchema};
pub use window::BrowserWindow;
