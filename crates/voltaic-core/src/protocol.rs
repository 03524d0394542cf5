//! The wire protocol between the main process and a renderer's preload runtime.
//!
//! Messages are JSON text. Renderer → main messages are parsed by
//! [`RendererMessage::parse`], which bounds their size before parsing and relies on
//! serde_json's recursion limit for nesting, so hostile input yields an error value.
//! Main → renderer messages are produced by [`MainMessage::to_json`].

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::console::{ConsoleLevel, ConsoleSource};

/// A message from a renderer's preload world to the main process.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(tag = "t", rename_all = "lowercase", deny_unknown_fields)]
pub enum RendererMessage {
    /// `ipcRenderer.send(ch, ...args)`, or `ipcRenderer.postMessage(ch, message,
    /// ports)` (one argument, and the keys of the ports it transfers).
    Send {
        /// Channel name.
        ch: String,
        /// Arguments, in order.
        #[serde(default)]
        args: Vec<Value>,
        /// Keys of the `MessagePort`s transferred with the message: new keys of the
        /// renderer's own form, `r` and digits.
        #[serde(default)]
        ports: Vec<String>,
    },
    /// A message posted on a port the renderer holds (by key), for the other end.
    Port {
        /// The port's key.
        port: String,
        /// The message, in its wire form.
        data: Value,
        /// Keys of the `MessagePort`s transferred with the message, as for
        /// [`RendererMessage::Send`].
        #[serde(default)]
        ports: Vec<String>,
    },
    /// The renderer closed a port it holds.
    #[serde(rename = "port-close")]
    PortClose {
        /// The port's key.
        port: String,
    },
    /// `ipcRenderer.invoke(ch, ...args)`; answered with [`MainMessage::Resolve`] or
    /// [`MainMessage::Reject`] carrying the same `id`.
    Invoke {
        /// Request id chosen by the renderer, echoed in the answer.
        id: u64,
        /// Channel name.
        ch: String,
        /// Arguments, in order.
        #[serde(default)]
        args: Vec<Value>,
    },
    /// `ipcRenderer.sendSync(ch, ...args)`: like `send`, but the renderer waits for a
    /// listener's `event.set_return_value`. Only accepted through a transport's
    /// synchronous channel ([`crate::Connection::dispatch_sync`]).
    #[serde(rename = "sendSync")]
    SendSync {
        /// Channel name.
        ch: String,
        /// Arguments, in order.
        #[serde(default)]
        args: Vec<Value>,
    },
    /// Several messages posted in one turn of the renderer's event loop, in order
    /// (the preload batches `send`s and console lines). Each one counts against the
    /// rate limit; batches do not nest.
    Batch {
        /// The messages, in the order they were posted.
        m: Vec<RendererMessage>,
    },
    /// The preload gave `contextBridge.exposeInMainWorld` `ipcRenderer` itself (at
    /// the top of the API or one level down). The page got an empty object, as in
    /// Electron, but the intent is worth flagging: see
    /// [`crate::WebContents::exposed_ipc_renderer`].
    #[serde(rename = "exposed-ipc-renderer")]
    ExposedIpcRenderer {
        /// Where it was exposed, e.g. `electron.ipcRenderer`.
        key: String,
    },
    /// The user pressed the IPC inspector's key in the window (debug builds; see
    /// [`crate::IpcMain::on_inspector_key`]).
    Inspector {},
    /// A forwarded `console.*` call, an uncaught error, or a preload exception.
    Console {
        /// Severity.
        level: ConsoleLevel,
        /// World that logged it.
        source: ConsoleSource,
        /// Formatted text.
        text: String,
    },
}

/// Why a raw renderer message was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ProtocolError {
    /// Larger than [`crate::Limits::max_message_bytes`]; not parsed at all.
    #[error("message of {size} bytes exceeds the limit of {limit} bytes")]
    TooLarge {
        /// Size of the message.
        size: usize,
        /// The configured limit.
        limit: usize,
    },
    /// Not JSON, not one of the known shapes, or nested too deeply.
    #[error("malformed message: {0}")]
    Malformed(String),
}

impl RendererMessage {
    /// Parses one raw message, refusing it unparsed when it is larger than `max_bytes`.
    pub fn parse(raw: &str, max_bytes: usize) -> Result<Self, ProtocolError> {
        if raw.len() > max_bytes {
            return Err(ProtocolError::TooLarge {
                size: raw.len(),
                limit: max_bytes,
            });
        }
        serde_json::from_str(raw).map_err(|e| ProtocolError::Malformed(e.to_string()))
    }

    /// The `id` of an invoke, when one can be recovered from a message that failed to
    /// parse as a whole, so that the renderer's promise can still be rejected.
    pub fn salvage_invoke_id(raw: &str, max_bytes: usize) -> Option<u64> {
        if raw.len() > max_bytes {
            return None;
        }
        #[derive(Deserialize)]
        struct Probe {
            t: String,
            id: u64,
        }
        let probe: Probe = serde_json::from_str(raw).ok()?;
        (probe.t == "invoke").then_some(probe.id)
    }
}

/// A message from the main process to a renderer's preload world.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "t", rename_all = "lowercase")]
pub enum MainMessage {
    /// `webContents.send(ch, ...args)`, `event.reply(ch, ...args)` or
    /// `webContents.postMessage(ch, message, ports)`.
    Message {
        /// Channel name.
        ch: String,
        /// Arguments, in order.
        args: Vec<Value>,
        /// Keys of the ports transferred with the message (`event.ports`).
        #[serde(skip_serializing_if = "Vec::is_empty")]
        ports: Vec<String>,
    },
    /// A message for the renderer's port `port`, from the other end.
    Port {
        /// The port's key.
        port: String,
        /// The message, in its wire form.
        data: Value,
        /// Keys of the ports transferred with it (`event.ports`).
        #[serde(skip_serializing_if = "Vec::is_empty")]
        ports: Vec<String>,
    },
    /// The other end of the renderer's port `port` was closed, or went away.
    #[serde(rename = "port-close")]
    PortClose {
        /// The port's key.
        port: String,
    },
    /// The handler of invoke `id` returned `value`.
    Resolve {
        /// The invoke's id.
        id: u64,
        /// The handler's result.
        value: Value,
    },
    /// Invoke `id` failed; `error` is the full message the promise rejects with.
    Reject {
        /// The invoke's id.
        id: u64,
        /// Error text, `Error invoking remote method '<channel>': <reason>`.
        error: String,
    },
}

impl MainMessage {
    /// Serializes the message. Infallible: every variant holds JSON-safe data.
    pub fn to_json(&self) -> String {
        // serde_json only fails on non-string map keys or failing Serialize impls;
        // MainMessage holds neither, so the fallback is unreachable in practice.
        serde_json::to_string(self).unwrap_or_else(|_| "{}".to_owned())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn parses_each_renderer_message() {
        assert_eq!(
            RendererMessage::parse(r#"{"t":"send","ch":"a","args":[1,"x"]}"#, 1024).unwrap(),
            RendererMessage::Send {
                ch: "a".into(),
                args: vec![json!(1), json!("x")],
                ports: vec![]
            }
        );
        assert_eq!(
            RendererMessage::parse(r#"{"t":"invoke","id":7,"ch":"b"}"#, 1024).unwrap(),
            RendererMessage::Invoke {
                id: 7,
                ch: "b".into(),
                args: vec![]
            }
        );
        assert!(matches!(
            RendererMessage::parse(
                r#"{"t":"console","level":"log","source":"page","text":"hi"}"#,
                1024
            ),
            Ok(RendererMessage::Console {
                level: ConsoleLevel::Info,
                ..
            })
        ));
    }

    #[test]
    fn refuses_bad_input_without_panicking() {
        for raw in [
            "",
            "null",
            "42",
            "\"send\"",
            "{",
            r#"{"t":"nope"}"#,
            r#"{"t":"send"}"#,
            r#"{"t":"send","ch":5}"#,
            r#"{"t":"invoke","ch":"x","args":[]}"#,
            r#"{"t":"invoke","id":-1,"ch":"x"}"#,
            r#"{"t":"send","ch":"x","args":[],"sender":"forged"}"#,
        ] {
            assert!(
                matches!(
                    RendererMessage::parse(raw, 1024),
                    Err(ProtocolError::Malformed(_))
                ),
                "accepted {raw:?}"
            );
        }
    }

    #[test]
    fn refuses_oversized_and_deeply_nested_messages() {
        let big = format!(r#"{{"t":"send","ch":"x","args":["{}"]}}"#, "a".repeat(2000));
        assert_eq!(
            RendererMessage::parse(&big, 1000),
            Err(ProtocolError::TooLarge {
                size: big.len(),
                limit: 1000
            })
        );
        let deep = format!(
            r#"{{"t":"send","ch":"x","args":[{}{}]}}"#,
            "[".repeat(100_000),
            "]".repeat(100_000)
        );
        assert!(matches!(
            RendererMessage::parse(&deep, usize::MAX),
            Err(ProtocolError::Malformed(_))
        ));
    }

    #[test]
    fn salvages_the_id_of_a_broken_invoke() {
        assert_eq!(
            RendererMessage::salvage_invoke_id(r#"{"t":"invoke","id":3,"ch":7}"#, 1024),
            Some(3)
        );
        assert_eq!(
            RendererMessage::salvage_invoke_id(r#"{"t":"send","id":3}"#, 1024),
            None
        );
    }

    #[test]
    fn main_messages_serialize_with_a_tag() {
        let m = MainMessage::Reject {
            id: 1,
            error: "boom".into(),
        };
        assert_eq!(m.to_json(), r#"{"t":"reject","id":1,"error":"boom"}"#);
    }
}
