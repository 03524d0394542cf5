//! The transport-agnostic IPC core of Voltaic.
//!
//! This crate holds everything about Electron-style IPC that does not depend on a
//! window system: the main-process registry ([`IpcMain`]), handlers written as plain
//! (async) functions ([`Handler`]), the event handed to them ([`IpcEvent`]), the
//! handle to a renderer ([`WebContents`]) and the wire protocol spoken with the
//! preload runtime ([`protocol`]).
//!
//! A platform backend connects a renderer by implementing [`RendererLink`] (how to
//! deliver a message to the renderer's preload world) and by feeding every raw
//! message it receives to [`IpcMain::dispatch`]. Everything arriving there is treated
//! as untrusted input: it is size-checked, parsed without panicking, and errors are
//! answered to the sender instead of reaching a handler.
//!
//! ```
//! use voltaic_core::{IpcEvent, IpcMain};
//! use serde_json::{json, Value};
//!
//! # let rt = tokio::runtime::Runtime::new().unwrap();
//! let ipc_main = IpcMain::new(rt.handle().clone());
//! ipc_main
//!     .handle("get-data", |_event: IpcEvent| async {
//!         Ok::<Value, String>(json!({ "result": "Data from main process" }))
//!     })
//!     .unwrap();
//! ipc_main.on("message-channel", |_event: IpcEvent, message: String| {
//!     println!("Message received: {message}");
//! });
//! ```

#![warn(missing_docs)]

mod console;
mod error;
mod event;
mod frame;
pub mod handler;
mod ipc_main;
mod policy;
pub mod protocol;
mod rate;
mod schema;
mod web_contents;

pub use console::{ConsoleLevel, ConsoleMessage, ConsoleSource};
pub use error::IpcError;
pub use event::IpcEvent;
pub use frame::SenderFrame;
pub use handler::{Handler, IntoReply, Json};
pub use ipc_main::{Connection, IpcMain, Limits, ListenerId};
pub use policy::{
    AllowedOrigins, ChannelGrants, ChannelPattern, Direction, WindowPolicy, APP_ORIGIN,
};
pub use schema::ChannelSchema;
pub use schemars;
pub use web_contents::{RendererLink, WebContents};
