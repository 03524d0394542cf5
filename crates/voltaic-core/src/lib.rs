//! The transport-agnostic IPC core of Voltaic.
//!
//! This crate holds everything about Electron-style IPC that does not depend on a
//! window system: the main-process registry ([`IpcMain`]), handlers written as plain
//! (async) functions ([`Handler`]), the event handed to them ([`IpcEvent`]), the
//! handle to a renderer ([`WebContents`]), the wire protocol spoken with the
//! preload runtime ([`protocol`]), and what each window is allowed: channel grants
//! and trusted origins ([`WindowPolicy`]), channel schemas ([`ChannelSchema`]) and
//! [`Limits`].
//!
//! A platform backend connects a renderer with [`IpcMain::connect`], giving a
//! [`RendererLink`] (how to deliver a message to the renderer's preload world) and the
//! window's policy, and feeds every raw message it receives to
//! [`Connection::dispatch`] with the sender frame it saw. Everything arriving there is
//! treated as untrusted input: rate- and size-limited, parsed without panicking,
//! checked against the window's grants and origins and the channel's schema, and
//! refused with an error to the sender instead of reaching a handler.
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

mod api;
mod binary;
mod console;
mod error;
mod event;
mod frame;
pub mod handler;
mod ipc_main;
mod listeners;
mod page_mock;
mod policy;
mod ports;
pub mod protocol;
mod rate;
mod schema;
mod scope;
pub mod timeline;
mod typescript;
mod value;
mod web_contents;
pub mod wire;

pub use api::{Api, ApiEvent, CallHandler, LiveValue, SendHandler};
pub use binary::Binary;
pub use bytes::{self, Bytes};
pub use console::{ConsoleLevel, ConsoleMessage, ConsoleSource};
pub use error::IpcError;
pub use event::IpcEvent;
pub use frame::SenderFrame;
pub use handler::{Handler, IntoReply, Json};
pub use ipc_main::{Connection, IpcMain, Limits, SyncResponder};
pub use listeners::Listeners;
pub use policy::{
    AllowedOrigins, ChannelGrants, ChannelPattern, Direction, WindowPolicy, APP_ORIGIN,
};
pub use ports::{MessageChannelMain, MessagePortMain, PortMessage};
pub use schema::ChannelSchema;
pub use schemars;
pub use scope::{IpcScope, ListenerId};
pub use timeline::{Timeline, TimelineOptions};
pub use value::{TypedArrayKind, Value};
pub use web_contents::{RendererLink, WebContents, WebFrameMain, MAIN_FRAME_ID};
pub use wire::Packet;
