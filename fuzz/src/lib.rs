//! Fuzzing the main process's decoder: whatever a compromised renderer hands a
//! transport goes to [`voltaic_core::Connection`]'s three entry points
//! ([`dispatch`](Connection::dispatch), [`dispatch_invoke`](Connection::dispatch_invoke)
//! and [`dispatch_sync`](Connection::dispatch_sync)), with byte buffers attached, in
//! front of handlers of every argument kind.
//!
//! [`run`] is the whole harness. The libFuzzer target (`fuzz_targets/dispatch.rs`,
//! run by `./scripts/fuzz`) calls it with arbitrary bytes; the `corpus` test replays
//! every file of `corpus/dispatch/` through it on stable Rust, in CI.
//!
//! # Input format
//!
//! An input is text (invalid UTF-8 is replaced), read as pairs of lines: a header
//! saying which entry point takes the message, then the message itself. A last line
//! without a pair is a message for `dispatch`.
//!
//! ```text
//! invoke 7 +4 +16
//! {"t":"invoke","id":7,"ch":"bytes","args":[{"$":"bytes","i":0}]}
//! ```
//!
//! A header is `dispatch`, `invoke <id>` or `sync`, then optionally the sizes of the
//! buffers that travel with the message, each as `+<bytes>`. Any other header is
//! read as `dispatch`, so that every input reaches the parser. The messages of one
//! input go to one fresh window, in order, so that a port a message opens can be
//! used by the next.
//!
//! A crash is a panic that escapes the main process's code, or an answer from the
//! main process that is not one valid JSON message: handlers are the app's, and
//! their panics are caught and answered as errors, as in a real app.

#![warn(missing_docs)]

use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, Mutex, OnceLock, PoisonError};

use schemars::JsonSchema;
use serde::Deserialize;
use voltaic_core::bytes::Bytes;
use voltaic_core::{
    AllowedOrigins, ChannelGrants, ChannelSchema, Connection, IpcError, IpcEvent, IpcMain, Limits,
    MessageChannelMain, Packet, RendererLink, SenderFrame, Value, WindowPolicy,
};

/// At most this many messages are taken from one input.
pub const MAX_MESSAGES: usize = 16;
/// At most this many buffers travel with one message.
pub const MAX_BUFFERS: usize = 8;
/// A buffer's size is taken modulo this: the decoder cares about sizes (whole
/// elements of a typed array, indices in range), not bulk, and large buffers would
/// spend the fuzzer's time filling memory.
pub const MAX_BUFFER_BYTES: usize = 1 << 12;

/// Which entry point takes a message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Entry {
    /// [`Connection::dispatch`]: the plain channel (sends, invokes, batches, ports,
    /// console lines).
    Dispatch,
    /// [`Connection::dispatch_invoke`]: an invoke with its own reply channel, under
    /// this envelope id.
    Invoke(u64),
    /// [`Connection::dispatch_sync`]: the synchronous channel of `sendSync`.
    Sync,
}

/// One message of an input: where it goes, its text, and its buffers' sizes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Message {
    /// The entry point.
    pub entry: Entry,
    /// The message's text.
    pub text: String,
    /// The sizes of the buffers sent with it.
    pub buffers: Vec<usize>,
}

/// Reads an input (see the crate's docs); never fails.
pub fn parse(data: &[u8]) -> Vec<Message> {
    let text = String::from_utf8_lossy(data);
    let mut lines = text.split('\n');
    let mut messages = Vec::new();
    while messages.len() < MAX_MESSAGES {
        let Some(header) = lines.next() else { break };
        let Some(text) = lines.next() else {
            // A last line alone is a message of its own, so that every input, even
            // one line, reaches the parser.
            if !header.is_empty() {
                messages.push(Message {
                    entry: Entry::Dispatch,
                    text: header.to_owned(),
                    buffers: Vec::new(),
                });
            }
            break;
        };
        let mut words = header.split(' ');
        let entry = match words.next() {
            Some("invoke") => {
                Entry::Invoke(words.next().and_then(|id| id.parse().ok()).unwrap_or(0))
            }
            Some("sync") => Entry::Sync,
            _ => Entry::Dispatch,
        };
        let buffers = words
            .filter_map(|word| word.strip_prefix('+')?.parse::<usize>().ok())
            .map(|size| size % MAX_BUFFER_BYTES)
            .take(MAX_BUFFERS)
            .collect();
        messages.push(Message {
            entry,
            text: text.to_owned(),
            buffers,
        });
    }
    messages
}

/// Feeds one input to a fresh window of the fuzzed main process. Panics on a crash
/// (see the crate's docs).
pub fn run(data: &[u8]) {
    let target = target();
    let link = Arc::new(CheckingLink::default());
    let window = target.next_window.fetch_add(1, Ordering::Relaxed);
    let connection = target
        .ipc
        .connect(window, link.clone(), target.policy.clone());
    for message in parse(data) {
        feed(&connection, message);
    }
    drop(connection);
    link.assert_clean();
}

fn feed(connection: &Connection, message: Message) {
    let buffers = message
        .buffers
        .iter()
        .map(|&size| Bytes::from((0..size).map(|i| i as u8).collect::<Vec<u8>>()))
        .collect();
    let packet = Packet {
        text: message.text,
        buffers,
    };
    let frame = SenderFrame::from_url("app://localhost/index.html");
    match message.entry {
        Entry::Dispatch => {
            connection.dispatch(frame, packet);
        }
        Entry::Invoke(id) => {
            connection.dispatch_invoke(frame, id, packet);
        }
        Entry::Sync => connection.dispatch_sync(frame, packet, Box::new(|_| {})),
    }
}

/// The main process under test: one registry for every input, as in an app (each
/// input gets a window of its own).
struct Target {
    ipc: IpcMain,
    policy: WindowPolicy,
    next_window: AtomicU32,
}

fn target() -> &'static Target {
    static TARGET: OnceLock<Target> = OnceLock::new();
    TARGET.get_or_init(|| {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_time()
            .build()
            .expect("a tokio runtime for the fuzzed main process");
        let handle = runtime.handle().clone();
        // The runtime lives as long as the process.
        std::mem::forget(runtime);
        // Rate-limited messages are refused before they are parsed: the limit is
        // raised so that every input reaches the parser.
        let ipc = IpcMain::with_limits(handle, Limits::default().rate(u32::MAX, u32::MAX));
        // Handlers run where the message arrives, so that a panic in the decoder
        // reaches the fuzzer instead of ending a tokio task.
        ipc.set_inline_dispatch(true);
        register(&ipc).expect("the fuzzed handlers register");
        Target {
            ipc,
            policy: WindowPolicy {
                grants: ChannelGrants::new()
                    .invoke("value")
                    .invoke("numbers")
                    .invoke("bytes")
                    .invoke("shape")
                    .invoke("schema")
                    .invoke("async")
                    .invoke("fail")
                    .send("value")
                    .send("port")
                    .send("sync")
                    .send("reply")
                    .receive("back")
                    .receive("port-back"),
                origins: AllowedOrigins::app_only(),
            },
            next_window: AtomicU32::new(1),
        }
    })
}

/// A struct with the shapes serde handles differently: options, vectors, maps and a
/// tagged enum. Its channel has a schema derived from it.
#[derive(Debug, Deserialize, JsonSchema)]
#[allow(dead_code)] // Read only by serde: decoding it is what is fuzzed.
struct Shape {
    name: String,
    size: Option<u32>,
    tags: Vec<String>,
    extra: std::collections::BTreeMap<String, f64>,
    kind: Kind,
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(tag = "type", rename_all = "lowercase")]
#[allow(dead_code)]
enum Kind {
    Circle { radius: f64 },
    Square { side: f64 },
}

fn register(ipc: &IpcMain) -> Result<(), IpcError> {
    ipc.handle("value", |_: IpcEvent, value: Value| value)?;
    ipc.handle(
        "numbers",
        |_: IpcEvent, a: f64, b: i64, c: u8, d: Option<u64>| {
            a + b as f64 + f64::from(c) + d.unwrap_or(0) as f64
        },
    )?;
    ipc.handle("bytes", |_: IpcEvent, bytes: Bytes, more: Option<Bytes>| {
        let mut out = bytes.to_vec();
        out.extend_from_slice(more.as_deref().unwrap_or_default());
        Bytes::from(out)
    })?;
    ipc.set_schema("shape", ChannelSchema::new().args::<(Shape,)>())?;
    ipc.handle("shape", |_: IpcEvent, shape: Shape| format!("{shape:?}"))?;
    ipc.set_schema(
        "schema",
        ChannelSchema::new().args_json(serde_json::json!({
            "type": "array", "minItems": 1, "maxItems": 2,
            "prefixItems": [{ "type": "string", "maxLength": 64 }, { "type": "object" }]
        })),
    )?;
    ipc.handle("schema", |_: IpcEvent, text: String, rest: Value| {
        Value::Array(vec![Value::from(text.as_str()), rest])
    })?;
    ipc.handle("async", |_: IpcEvent, value: Value| async move {
        tokio::task::yield_now().await;
        value
    })?;
    ipc.handle("fail", |_: IpcEvent| Err::<(), _>("refused on purpose"))?;
    ipc.on("value", |_: IpcEvent, _: Value| {});
    ipc.on("sync", |event: IpcEvent, value: Value| {
        let _ = event.set_return_value(value);
    });
    ipc.on("reply", |event: IpcEvent, value: Value| {
        let _ = event.reply("back", (value,));
    });
    // Ports the renderer transfers: echoed, closed, and a port handed back.
    ipc.on("port", |event: IpcEvent, value: Value| {
        for port in event.ports() {
            let echo = port.clone();
            port.on_message(move |message| {
                let _ = echo.post_message(message.data);
            });
            port.start();
        }
        if let Some(port) = event.ports().first() {
            let _ = port.post_message(value.clone());
        }
        if event.ports().len() > 1 {
            event.ports()[1].close();
        }
        let MessageChannelMain { port1, port2 } = MessageChannelMain::new();
        port1.start();
        let _ = event.sender().post_message("port-back", value, vec![port2]);
    });
    Ok(())
}

/// Stands in for the renderer: checks that everything the main process posts is one
/// valid JSON message, and keeps what was not.
#[derive(Default)]
struct CheckingLink {
    broken: Mutex<Vec<String>>,
}

impl CheckingLink {
    fn check(&self, packet: &Packet) {
        if let Err(error) = serde_json::from_str::<serde_json::Value>(&packet.text) {
            self.broken
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .push(format!("{error}: {}", packet.text));
        }
    }

    fn assert_clean(&self) {
        let broken = self.broken.lock().unwrap_or_else(PoisonError::into_inner);
        assert!(
            broken.is_empty(),
            "the main process posted what is not JSON: {broken:?}"
        );
    }
}

impl RendererLink for CheckingLink {
    fn post(&self, message: Packet) -> Result<(), IpcError> {
        self.check(&message);
        Ok(())
    }

    fn answer(&self, _id: u64, message: Packet) -> Result<(), IpcError> {
        self.check(&message);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn headers_choose_the_entry_point_and_buffers() {
        let input = b"invoke 7 +4 +70000\n{\"t\":\"invoke\"}\nsync\n{}\nanything\nx\ndispatch";
        assert_eq!(
            parse(input),
            [
                Message {
                    entry: Entry::Invoke(7),
                    text: "{\"t\":\"invoke\"}".into(),
                    buffers: vec![4, 70000 % MAX_BUFFER_BYTES],
                },
                Message {
                    entry: Entry::Sync,
                    text: "{}".into(),
                    buffers: vec![],
                },
                Message {
                    entry: Entry::Dispatch,
                    text: "x".into(),
                    buffers: vec![],
                },
                Message {
                    entry: Entry::Dispatch,
                    text: "dispatch".into(),
                    buffers: vec![],
                },
            ]
        );
    }

    #[test]
    fn bad_headers_still_reach_the_parser() {
        assert_eq!(parse(b"invoke x +y +-1\n{}")[0].entry, Entry::Invoke(0));
        assert_eq!(parse(b"{\"t\":\"send\"}")[0].text, "{\"t\":\"send\"}");
        assert!(parse(b"").is_empty());
        assert_eq!(parse(b"\xff\xfe")[0].entry, Entry::Dispatch);
        assert_eq!(parse(&b"dispatch\n{}\n".repeat(100)).len(), MAX_MESSAGES);
    }
}
