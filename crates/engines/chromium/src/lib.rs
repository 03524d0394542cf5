//! Voltaic's Chromium engine, driven over the Chrome DevTools Protocol (CDP).
//!
//! Most users reach it through the `voltaic` crate: `VOLTAIC_ENGINE=chromium` runs
//! any Voltaic app on it. To use it directly, give [`engine()`] to
//! [`voltaic_app::App::with_engine`].
//!
//! - [`launch`]: starts Chromium with the app's own profile (kept, or temporary) and `--remote-debugging-pipe`
//!   (no debugging port: only this process holds the pipe), with Chromium's own
//!   sandbox on. Chromium refuses its sandbox as root, so as root it runs as `nobody`.
//! - `voltaic_cdp`: the DevTools session (commands and their answers by id,
//!   events by session, parsed loosely, every wait bounded) and the pipe's framing,
//!   shared with the WebView2 engine.
//! - The engine: one browser per app and one page target per window, the preload's
//!   world and its binding set up before anything loads, messages both ways over
//!   them, the app's origin served through the Fetch domain, and the page policies.
//!   `DESIGN.md` says what was verified and how.

#![warn(missing_docs)]

mod engine;
pub mod launch;
mod window;

pub use launch::{Chromium, LaunchError, LaunchOptions};
pub use voltaic_cdp::{Cdp, CdpError, Event};

/// Starts Chromium and returns the engine, for [`voltaic_app::App::with_engine`].
pub fn engine() -> Result<Box<dyn voltaic_app::engine::Engine>, voltaic_app::Error> {
    Ok(Box::new(engine::ChromiumEngine::start()?))
}
