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
pub mod launch;
pub mod pipe;

pub use cdp::{Cdp, CdpError, Event};
pub use launch::{Chromium, LaunchError, LaunchOptions};
