//! The DevTools protocol as Voltaic's Chromium-based engines speak it (Chromium on
//! Linux, WebView2 on Windows).
//!
//! - [`Cdp`], the session layer: commands answered by id, events routed by session
//!   (flat sessions), parsed loosely (an unknown event or field never breaks a
//!   session), every wait bounded.
//! - [`page::Page`], a window's page: the preload's world (a
//!   `Page.addScriptToEvaluateOnNewDocument {worldName}` script, top frame only),
//!   its one channel (a binding for that world only, counted only from the main
//!   frame's context), messages to the renderer evaluated in that context, the
//!   app's origin served through the Fetch domain ([`serve`]), `webFrame`, and the
//!   page policies. The engine owns the window around it.
//!
//! The session layer is separate from how messages travel:
//! - [`pipe`]: Chromium's `--remote-debugging-pipe` (JSON, each message ended by a
//!   NUL byte, on the child's fds 3 and 4). No Rust crate speaks it.
//! - On Windows, WebView2 carries the same commands in-process
//!   (`CallDevToolsProtocolMethod`), through its own [`Transport`].
//!
//! ```
//! use std::time::Duration;
//! use serde_json::json;
//! use voltaic_cdp::{Cdp, Command, Transport};
//!
//! /// A browser that answers every command at once with an empty result.
//! struct Echo(std::sync::Mutex<Option<voltaic_cdp::Inbound>>);
//!
//! impl Transport for Echo {
//!     fn send(&self, command: &Command<'_>) -> std::io::Result<()> {
//!         if let Some(inbound) = &*self.0.lock().unwrap() {
//!             inbound.answer(command.id, Ok(json!({})));
//!         }
//!         Ok(())
//!     }
//! }
//!
//! let transport = std::sync::Arc::new(Echo(Default::default()));
//! let (cdp, inbound) = Cdp::new(transport.clone());
//! *transport.0.lock().unwrap() = Some(inbound);
//! let answer = cdp.call(None, "Browser.getVersion", json!({}), Duration::from_secs(5));
//! assert_eq!(answer, Ok(json!({})));
//! ```

#![warn(missing_docs)]

pub mod page;
pub mod pipe;
pub mod serve;
mod session;
mod transport;
mod web_frame;

pub use session::{Answer, Cdp, CdpError, Event, EventSink, Inbound};
pub use transport::{Command, Transport};
