//! Voltaic's preload runtime: the JavaScript that gives a preload script
//! `require('electron')` with `ipcRenderer` and `contextBridge`.
//!
//! The runtime is kept as real `.js` files under `js/` and embedded with
//! `include_str!`; this crate only assembles them into the scripts a backend injects:
//!
//! 1. [`runtime_script`] runs first in the preload's world (an isolated script world
//!    when context isolation is on). It wires `ipcRenderer` to the message handler
//!    named [`MESSAGE_HANDLER`]; [`page_world_script`] is the page-world half of
//!    `contextBridge`, a document-start script of the page's own world.
//! 2. [`preload_script`] wraps the user's preload so that it runs in that same world
//!    with what Electron gives a sandboxed preload (`require`, `process`, `Buffer`,
//!    `global`, `setImmediate`, `clearImmediate`, `module` and `exports`), keeping
//!    its own line numbers. It runs once the page-world half is there (the two
//!    document-start scripts run in no promised order), still before any page script.
//! 3. [`receive_call`] is what the main process evaluates in that world to deliver a
//!    message.
//!
//! `require` knows Electron's module map for sandboxed preloads, each module a file of
//! its own under `js/`: `electron` (`preload_world.js`: `contextBridge` and
//! `ipcRenderer`; `web_frame.js`: `webFrame` and `webUtils`), `events` (`events.js`),
//! `timers` (`timers.js`) and `url` (`url.js`); `process` is `process.js` and
//! `Buffer` is `buffer.js`. Both halves of `contextBridge` are made by `endpoint.js`.
//! `port_watch.js` gives MessagePorts Electron's `close` event in both worlds.

#![warn(missing_docs)]

use std::collections::BTreeMap;

use serde_json::json;

const BUFFER_JS: &str = include_str!("../js/buffer.js");
const ENDPOINT_JS: &str = include_str!("../js/endpoint.js");
const EVENTS_JS: &str = include_str!("../js/events.js");
const PAGE_WORLD_JS: &str = include_str!("../js/page_world.js");
const PORT_WATCH_JS: &str = include_str!("../js/port_watch.js");
const PRELOAD_WORLD_JS: &str = include_str!("../js/preload_world.js");
const PROCESS_JS: &str = include_str!("../js/process.js");
const SCHEMA_JS: &str = include_str!("../js/schema.js");
const TIMERS_JS: &str = include_str!("../js/timers.js");
const URL_JS: &str = include_str!("../js/url.js");
const VALUE_JS: &str = include_str!("../js/value.js");
const WEB_FRAME_JS: &str = include_str!("../js/web_frame.js");
const APIS_JS: &str = include_str!("../js/apis.js");

/// Name of the isolated script world preloads run in.
pub const ISOLATED_WORLD: &str = "voltaic";

/// Name of the WebKit script message handler the runtime posts to.
pub const MESSAGE_HANDLER: &str = "voltaic";

/// Name of the reply-capable script message handler invokes are posted to: its
/// `postMessage` returns a promise that the main process settles with the answer.
pub const INVOKE_HANDLER: &str = "voltaic-invoke";

/// Where, under the app's origin, the runtime uploads the bytes of a message before
/// posting it.
pub const UPLOAD_PATH: &str = "/__voltaic/upload";

/// Where, under the app's origin, the runtime fetches the bytes of a main →
/// renderer message, by parcel number.
pub const PARCEL_PATH: &str = "/__voltaic/parcel/";

/// Where, under the app's origin, `ipcRenderer.sendSync` posts, synchronously,
/// with the window's token.
pub const SYNC_PATH: &str = "/__voltaic/send-sync";

/// Where, under the app's origin, the preload sends `webFrame` requests (zoom,
/// inserted CSS, script in the page's world), which only the main process can carry
/// out.
pub const WEB_FRAME_PATH: &str = "/__voltaic/web-frame";

/// Global (in the preload's world only) through which the main process delivers messages.
pub const RECEIVER: &str = "__voltaicReceive";

/// What the runtime posts, verbatim, once the preload has run: from then on the
/// renderer can take messages. Compared as a string, so the transport needs no parse.
pub const READY_MESSAGE: &str = r#"{"t":"ready"}"#;

/// What the preload runtime posts once its document has been parsed
/// (`DOMContentLoaded`): the window's `dom-ready`.
pub const DOM_READY_MESSAGE: &str = r#"{"t":"dom-ready"}"#;

/// How the runtime is set up for one window. The limits, grants and schemas are the
/// main process's own, so that the preload refuses early what the main process would
/// refuse anyway, with the same message.
#[derive(Debug, Clone, PartialEq)]
pub struct RuntimeConfig {
    /// The origin the engine serves the app's content and the preload's routes at
    /// (`app://localhost` on WebKitGTK), with no slash at the end.
    pub app_origin: String,
    /// Whether the preload runs in an isolated world (Electron's `contextIsolation`).
    pub context_isolation: bool,
    /// Largest message the runtime will post, in bytes; it refuses larger ones itself.
    pub max_message_bytes: usize,
    /// Deepest nesting of arrays and objects the runtime will send.
    pub max_depth: usize,
    /// Messages per second the runtime will send, sustained.
    pub messages_per_second: u32,
    /// Messages the runtime will send at once.
    pub burst: u32,
    /// How the preload is named in error reports, usually its file name.
    pub preload_name: String,
    /// Channel patterns granted per direction (`name` or `prefix*`).
    pub grants: Grants,
    /// Channel schemas as `{channel: {"args": schema, "result": schema}}`.
    pub schemas: serde_json::Value,
    /// The window's secret for `ipcRenderer.sendSync` requests, known only to the
    /// preload's world.
    pub sync_token: String,
    /// What the preload's `process` reads.
    pub process: ProcessInfo,
    /// Whether exposed APIs stay writable and unfrozen in the page (see the backend's
    /// `WebPreferences::context_bridge_mutability`).
    pub context_bridge_mutability: bool,
    /// The isolated worlds the preload can expose APIs to, besides the page's.
    pub isolated_worlds: Vec<u32>,
    /// The APIs declared in Rust that the window takes, as their descriptors
    /// (`voltaic_core::Api::descriptor`), exposed before the window's own preload.
    pub apis: Vec<serde_json::Value>,
    /// Whether the IPC inspector's key (Ctrl+Alt+I) asks the main process for the
    /// inspector: debug builds only.
    pub inspector_key: bool,
}

/// What a preload's `process` object reads, from the main process (as Electron's
/// browser process hands a sandboxed renderer its `process` properties).
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ProcessInfo {
    /// `process.platform`: Node's name for the OS (`linux`).
    pub platform: String,
    /// `process.arch`: Node's name for the CPU (`x64`, `arm64`, ...).
    pub arch: String,
    /// `process.version`: empty, as there is no Node.js.
    pub version: String,
    /// `process.versions`: `voltaic`, `webkitgtk` and the like.
    pub versions: BTreeMap<String, String>,
    /// `process.env`: the main process's environment, as Electron copies it.
    pub env: BTreeMap<String, String>,
    /// `process.argv`: the main process's arguments.
    pub argv: Vec<String>,
    /// `process.execPath`: the app's executable.
    pub exec_path: String,
    /// `process.pid`: the main process's id (WebKit does not tell the web process's).
    pub pid: u32,
    /// `process.cwd()`: the main process's working directory.
    pub cwd: String,
    /// `process.getSystemVersion()`: the kernel's release.
    pub system_version: String,
    /// `process.sandboxed`: whether the web process runs in WebKit's sandbox.
    pub sandboxed: bool,
}

impl ProcessInfo {
    /// The facts of the running main process, with `versions` as given and
    /// `sandboxed` as the window's renderer is.
    pub fn current(versions: BTreeMap<String, String>, sandboxed: bool) -> Self {
        let text = |value: Option<std::path::PathBuf>| {
            value
                .map(|path| path.to_string_lossy().into_owned())
                .unwrap_or_default()
        };
        Self {
            platform: node_platform(std::env::consts::OS).into(),
            arch: node_arch(std::env::consts::ARCH).into(),
            version: String::new(),
            versions,
            env: std::env::vars_os()
                .map(|(k, v)| {
                    (
                        k.to_string_lossy().into_owned(),
                        v.to_string_lossy().into_owned(),
                    )
                })
                .collect(),
            argv: std::env::args_os()
                .map(|a| a.to_string_lossy().into_owned())
                .collect(),
            exec_path: text(std::env::current_exe().ok()),
            pid: std::process::id(),
            cwd: text(std::env::current_dir().ok()),
            system_version: std::fs::read_to_string("/proc/sys/kernel/osrelease")
                .map(|release| release.trim().to_owned())
                .unwrap_or_default(),
            sandboxed,
        }
    }
}

/// Node's `process.platform` for Rust's OS name.
fn node_platform(os: &str) -> &str {
    match os {
        "macos" => "darwin",
        "windows" => "win32",
        other => other,
    }
}

/// Node's `process.arch` for Rust's architecture name.
fn node_arch(arch: &str) -> &str {
    match arch {
        "x86_64" => "x64",
        "x86" => "ia32",
        "aarch64" => "arm64",
        "powerpc64" => "ppc64",
        other => other,
    }
}

/// The channel patterns a window was granted, for the runtime's early checks.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct Grants {
    /// Channels `ipcRenderer.send` may use.
    pub send: Vec<String>,
    /// Channels `ipcRenderer.invoke` may use.
    pub invoke: Vec<String>,
    /// Channels the main process may send to the renderer.
    pub receive: Vec<String>,
}

/// The runtime, to be injected at document start in the preload's world, before
/// [`preload_script`].
pub fn runtime_script(config: &RuntimeConfig) -> String {
    let settings = json!({
        "handler": MESSAGE_HANDLER,
        "invokeHandler": INVOKE_HANDLER,
        "uploadUrl": format!("{}{UPLOAD_PATH}", config.app_origin),
        "parcelUrl": format!("{}{PARCEL_PATH}", config.app_origin),
        "receiver": RECEIVER,
        "contextIsolation": config.context_isolation,
        "maxMessageBytes": config.max_message_bytes,
        "maxDepth": config.max_depth,
        "messagesPerSecond": config.messages_per_second,
        "burst": config.burst,
        "grants": config.grants,
        "schemas": config.schemas,
        "syncToken": config.sync_token,
        "syncUrl": format!("{}{SYNC_PATH}", config.app_origin),
        "webFrameUrl": format!("{}{WEB_FRAME_PATH}", config.app_origin),
        "preloadName": config.preload_name,
        "readyMessage": READY_MESSAGE,
        "domReadyMessage": DOM_READY_MESSAGE,
        "process": config.process,
        "contextBridgeMutability": config.context_bridge_mutability,
        "isolatedWorlds": config.isolated_worlds,
        "apis": config.apis,
        "inspectorKey": config.inspector_key,
    });
    format!(
        "(function () {{\n{ENDPOINT_JS}\n{SCHEMA_JS}\n{VALUE_JS}\n{EVENTS_JS}\n{BUFFER_JS}\n\
         {TIMERS_JS}\n{URL_JS}\n{PROCESS_JS}\n{WEB_FRAME_JS}\n{APIS_JS}\n{PORT_WATCH_JS}\n{PRELOAD_WORLD_JS}\n\
         const settings = {settings};\n\
         const node = {{ EventEmitter: voltaicEvents((...args) => console.warn(...args)), \
         Buffer: voltaicBuffer(), timers: voltaicTimers(), url: voltaicUrl(), createProcess: voltaicProcess, \
         frame: voltaicWebFrame(settings), apis: voltaicApis }};\n\
         voltaicPreloadWorld(settings, voltaicTakeBridgeNode, voltaicBridgeEndpoint, \
         voltaicFormatConsole(), voltaicSchemaChecker(), voltaicValueCodec(settings.maxDepth), node, voltaicPortWatch());\n}})();"
    )
}

/// The page-world half of `contextBridge`, to be injected at document start in the
/// page's own world (top frame only) when context isolation is on.
pub fn page_world_script() -> String {
    far_world_script("")
}

/// The same half for isolated world `world_id` (`contextBridge.exposeInIsolatedWorld`),
/// to be injected at document start in that world.
pub fn isolated_world_script(world_id: u32) -> String {
    far_world_script(&world_id.to_string())
}

fn far_world_script(world: &str) -> String {
    format!(
        "(function () {{\n{ENDPOINT_JS}\n{PORT_WATCH_JS}\n{PAGE_WORLD_JS}\n\
         voltaicPageWorld(voltaicBridgeEndpoint, voltaicFormatConsole(), voltaicTakeBridgeNode('{world}'), \
         voltaicPortWatch());\n}})();"
    )
}

/// Wraps a user's preload source (empty when there is none) so that it runs with
/// `require('electron')` and is followed by [`READY_MESSAGE`]. The source starts on the
/// wrapper's first line, so error line numbers match the file.
pub fn preload_script(source: &str) -> String {
    format!(
        "(function (__voltaic) {{ delete globalThis.__voltaicPreload; __voltaic.run(function () {{ try {{ \
         (function (require, process, Buffer, global, setImmediate, clearImmediate, exports, module, \
         __filename) {{{source}\n}})\
         .call(__voltaic.module.exports, __voltaic.require, __voltaic.process, __voltaic.Buffer, \
         globalThis, __voltaic.setImmediate, __voltaic.clearImmediate, __voltaic.module.exports, \
         __voltaic.module, __voltaic.filename); }} \
         catch (error) {{ __voltaic.reportError(error); }} __voltaic.ready(); }}); }})(globalThis.__voltaicPreload);"
    )
}

/// The id of an invoke as the runtime posts it: `<id> <json>`, the id in at most 16
/// decimal digits; `None` for anything else (renderer input, never trusted).
pub fn invoke_id(text: &str) -> Option<u64> {
    let (id, _) = text.split_once(' ')?;
    let digits = !id.is_empty() && id.len() <= 16 && id.bytes().all(|b| b.is_ascii_digit());
    digits.then(|| id.parse().ok()).flatten()
}

/// The number of a parcel as the runtime posts it beside a message's text: a whole
/// number from 1 below 2^53 (a JavaScript number); `None` for anything else.
pub fn parcel_number(number: f64) -> Option<u64> {
    (number >= 1.0 && number.fract() == 0.0 && number < 9.0e15).then_some(number as u64)
}

/// The expression that delivers one serialized main → renderer message.
pub fn receive_call(message_json: &str) -> String {
    format!("{RECEIVER}({message_json})")
}

/// The expression that delivers a main → renderer message whose bytes wait in parcel
/// `parcel`, to be fetched from [`PARCEL_PATH`] before it is delivered.
pub fn receive_call_with_parcel(message_json: &str, parcel: u64) -> String {
    format!("{RECEIVER}({message_json},{parcel})")
}

#[cfg(test)]
mod tests {
    #[test]
    fn an_invoke_is_its_id_a_space_and_its_json() {
        assert_eq!(super::invoke_id("12 [\"ch\"]"), Some(12));
        assert_eq!(super::invoke_id("12"), None);
        assert_eq!(super::invoke_id(" 12 []"), None);
        assert_eq!(super::invoke_id("-1 []"), None);
        assert_eq!(super::invoke_id("+1 []"), None);
        assert_eq!(super::invoke_id("12345678901234567 []"), None);
        assert_eq!(
            super::invoke_id("9999999999999999 []"),
            Some(9_999_999_999_999_999)
        );
    }

    #[test]
    fn a_parcel_is_a_whole_positive_javascript_number() {
        assert_eq!(super::parcel_number(3.0), Some(3));
        for refused in [0.0, -1.0, 1.5, f64::NAN, f64::INFINITY, 1e16] {
            assert_eq!(super::parcel_number(refused), None, "{refused}");
        }
    }

    use super::*;

    fn config() -> RuntimeConfig {
        RuntimeConfig {
            app_origin: "app://localhost".into(),
            context_isolation: true,
            max_message_bytes: 1024,
            max_depth: 64,
            messages_per_second: 100,
            burst: 200,
            preload_name: "preload.js".into(),
            grants: Grants {
                send: vec!["a".into()],
                invoke: vec!["b:*".into()],
                receive: vec![],
            },
            schemas: json!({}),
            sync_token: "0123".into(),
            process: ProcessInfo::current(BTreeMap::new(), true),
            context_bridge_mutability: false,
            isolated_worlds: vec![1004],
            apis: Vec::new(),
            inspector_key: false,
        }
    }

    #[test]
    fn each_world_gets_its_half_and_the_settings() {
        let script = runtime_script(&config());
        assert!(script.contains("function voltaicPreloadWorld("));
        assert!(!script.contains("function voltaicPageWorld("));
        assert!(script.contains(r#""maxMessageBytes":1024"#));
        assert!(script.contains(r#""invoke":["b:*"]"#));
        let page = page_world_script();
        assert!(page.contains("function voltaicPageWorld("));
        assert!(!page.contains("function voltaicPreloadWorld("));
    }

    #[test]
    fn preload_keeps_its_first_line_on_the_first_line() {
        let wrapped = preload_script("const a = 1;\nthrow new Error('x');");
        assert_eq!(wrapped.lines().count(), 3);
        assert!(wrapped.lines().next().unwrap().ends_with("{const a = 1;"));
    }

    /// Runs `script` with node and `args`; `None` when node is not installed.
    fn node(args: &[&str], script: &str) -> Option<std::process::Output> {
        let mut child = std::process::Command::new("node")
            .args(args)
            .arg("-")
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .ok()?;
        use std::io::Write;
        let mut stdin = child.stdin.take().expect("piped stdin");
        stdin.write_all(script.as_bytes()).ok()?;
        drop(stdin);
        child.wait_with_output().ok()
    }

    #[test]
    fn the_preload_schema_checker_agrees_with_the_main_process_on_common_schemas() {
        // Schemas shaped as schemars derives them: a tuple of a struct and a string.
        let cases = r##"
const validate = voltaicSchemaChecker();
const schema = {
  "$schema": "https://json-schema.org/draft/2020-12/schema",
  "type": "array", "minItems": 2, "maxItems": 2,
  "prefixItems": [{ "$ref": "#/$defs/Point" }, { "type": "string", "maxLength": 3 }],
  "$defs": { "Point": { "type": "object", "required": ["x", "y"], "additionalProperties": false,
    "properties": { "x": { "type": "integer", "format": "int32" }, "y": { "type": ["integer", "null"], "minimum": 0 } } } }
};
const results = [
  validate('move', 'arguments', schema, [{ x: 1, y: 2 }, 'ab']),
  validate('move', 'arguments', schema, [{ x: 1.5, y: 2 }, 'ab']),
  validate('move', 'arguments', schema, [{ x: 1, y: -1 }, 'ab']),
  validate('move', 'arguments', schema, [{ x: 1, y: null, z: 0 }, 'ab']),
  validate('move', 'arguments', schema, [{ x: 1, y: 2 }, 'abcd']),
  validate('move', 'arguments', schema, [{ x: 1, y: 2 }]),
  validate('pick', 'arguments', { "type": "array", "items": { "enum": ["a", "b"] } }, ['a', 'c']),
  validate('one', 'arguments', { "oneOf": [{ "type": "string" }, { "const": 1 }] }, 1),
];
process.stdout.write(JSON.stringify(results));
"##;
        let Some(output) = node(
            &[],
            &format!(
                "{SCHEMA_JS}
{cases}"
            ),
        ) else {
            eprintln!("node not found: skipping the schema checker test");
            return;
        };
        assert!(
            output.status.success(),
            "{}",
            String::from_utf8_lossy(&output.stderr)
        );
        let results: Vec<Option<String>> =
            serde_json::from_slice(&output.stdout).expect("a JSON array of results");
        let expected = [
            None,
            Some("invalid arguments for channel 'move' at /0/x: 1.5 is not of type \"integer\""),
            Some("invalid arguments for channel 'move' at /0/y: -1 is less than the minimum of 0"),
            Some("invalid arguments for channel 'move' at /0: additional property \"z\" is not allowed"),
            Some("invalid arguments for channel 'move' at /1: the string is longer than 3 characters"),
            Some("invalid arguments for channel 'move' at (root): has 1 items, fewer than 2"),
            Some("invalid arguments for channel 'pick' at /1: \"c\" is not one of [\"a\",\"b\"]"),
            None,
        ];
        for (got, want) in results.iter().zip(expected) {
            assert_eq!(got.as_deref(), want);
        }
    }

    #[test]
    fn scripts_are_valid_javascript_when_node_is_available() {
        // The e2e suite runs these in WebKit; this only catches syntax slips early.
        let scripts = [
            runtime_script(&config()),
            page_world_script(),
            preload_script("require('electron');"),
        ]
        .concat();
        let Some(output) = node(&["--check"], &scripts) else {
            eprintln!("node not found: skipping the syntax check");
            return;
        };
        assert!(
            output.status.success(),
            "{}",
            String::from_utf8_lossy(&output.stderr)
        );
    }
}
