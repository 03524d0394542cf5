//! Voltaic's WebKitGTK engine: tao windows holding wry/WebKitGTK webviews, with the
//! preload runtime in an isolated script world and its message handler registered
//! in that world only.
//!
//! Most users depend on the `voltaic` crate, which picks this engine by default on
//! Linux. To use it directly:
//!
//! ```
//! use voltaic_app::{App, BrowserWindow, BrowserWindowOptions};
//!
//! let app = App::with_engine(voltaic_webkitgtk::engine()?, Default::default())?;
//! let window = BrowserWindow::new(&app, BrowserWindowOptions::default())?;
//! window.load_html("<h1>Hello</h1>")?;
//! # let quit = app.handle();
//! # app.set_timeout(std::time::Duration::from_millis(500), move || quit.quit());
//! std::process::exit(app.run());
//! # Ok::<(), voltaic_app::Error>(())
//! ```
//!
//! Threads: GTK lives on the main thread, where the engine, the [`voltaic_app::App`]
//! and its windows are made. Everything that reaches a window from elsewhere is
//! queued to GTK's main loop.

#![warn(missing_docs)]

mod event_loop;
mod jsc_packet;
mod loopback;
mod ops;
mod reply;
mod sandbox;
mod scheme_handler;
mod sync_channel;
mod transport;
mod web_frame;
mod window;

use voltaic_app::engine::Engine;
use voltaic_app::Error;

/// Starts GTK on this thread and returns the engine, for
/// [`voltaic_app::App::with_engine`]. Call it first thing in `main`, before starting
/// threads of your own: it turns on WebKit's web process sandbox where the platform
/// allows, through an environment variable its first web process reads.
pub fn engine() -> Result<Box<dyn Engine>, Error> {
    Ok(Box::new(event_loop::WebKitEngine::start()?))
}
