//! Voltaic's Chromium engine, driven over the Chrome DevTools Protocol (CDP).
//!
//! Work in progress (issue 22). What is here runs, and is tested against Debian's
//! `chromium` under Xvfb:
//!
//! - [`launch`]: starts Chromium with a private profile and `--remote-debugging-pipe`
//!   (no debugging port: only this process holds the pipe), with Chromium's own
//!   sandbox on. Chromium refuses its sandbox as root, so as root it runs as `nobody`.
//! - [`pipe`]: the pipe's framing (JSON, each message ended by a NUL byte, on the
//!   child's fds 3 and 4). No Rust crate speaks it.
//! - [`cdp`]: commands and their answers by id, events by session, parsed loosely
//!   (an unknown event or field never breaks a session), every wait bounded.
//!
//! Not here yet: the engine seam the user-facing `App` and `BrowserWindow` will sit
//! on, the preload world and its binding as an IPC transport, pages served at a fixed
//! origin, and the policies.

#![warn(missing_docs)]

pub mod cdp;
mod engine;
pub mod launch;
pub mod pipe;
mod serve;
mod window;

pub use cdp::{Cdp, CdpError, Event};
pub use launch::{Chromium, LaunchError, LaunchOptions};

/// Starts Chromium and returns the engine, for [`voltaic_app::App::with_engine`].
pub fn engine() -> Result<Box<dyn voltaic_app::engine::Engine>, voltaic_app::Error> {
    Ok(Box::new(engine::ChromiumEngine::start()?))
}
