//! Voltaic's Linux backend: tao windows holding wry/WebKitGTK webviews, with the
//! preload runtime in an isolated script world.
//!
//! Most users depend on the `voltaic` crate, which re-exports this one.
//!
//! Threads: GTK lives on the main thread, where [`App`] and [`BrowserWindow::new`]
//! must be called. IPC handlers run on a tokio runtime owned by the app. Everything
//! that reaches a window from elsewhere ([`voltaic_core::WebContents::send`], the
//! methods of [`BrowserWindow`]) is queued to the event loop.

#![warn(missing_docs)]

mod app;
mod error;
mod options;
mod transport;
mod window;

pub use app::{App, AppHandle};
pub use error::Error;
pub use options::{BrowserWindowOptions, WebPreferences};
pub use window::BrowserWindow;
