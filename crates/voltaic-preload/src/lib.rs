//! Voltaic's preload runtime: the JavaScript that gives a preload script
//! `require('electron')` with `ipcRenderer` and `contextBridge`.
//!
//! The runtime is kept as real `.js` files under `js/` and embedded with
//! `include_str!`; this crate only assembles them into the scripts a backend injects:
//!
//! 1. [`runtime_script`] runs first in the preload's world (an isolated script world
//!    when context isolation is on). It wires `ipcRenderer` to the message handler
//!    named [`MESSAGE_HANDLER`] and plants the page-world half of `contextBridge`.
//! 2. [`preload_script`] wraps the user's preload so that it runs in that same world
//!    with `require`, `module` and `exports`, keeping its own line numbers.
//! 3. [`receive_call`] is what the main process evaluates in that world to deliver a
//!    message.

#![warn(missing_docs)]

use serde_json::json;

const ENDPOINT_JS: &str = include_str!("../js/endpoint.js");
const PAGE_WORLD_JS: &str = include_str!("../js/page_world.js");
const PRELOAD_WORLD_JS: &str = include_str!("../js/preload_world.js");

/// Name of the isolated script world preloads run in.
pub const ISOLATED_WORLD: &str = "voltaic";

/// Name of the WebKit script message handler the runtime posts to.
pub const MESSAGE_HANDLER: &str = "voltaic";

/// Global (in the preload's world only) through which the main process delivers messages.
pub const RECEIVER: &str = "__voltaicReceive";

/// What the runtime posts, verbatim, once the preload has run: from then on the
/// renderer can take messages. Compared as a string, so the transport needs no parse.
pub const READY_MESSAGE: &str = r#"{"t":"ready"}"#;

/// How the runtime is set up for one window.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RuntimeConfig {
    /// Whether the preload runs in an isolated world (Electron's `contextIsolation`).
    pub context_isolation: bool,
    /// Largest message the runtime will post, in bytes; it refuses larger ones itself.
    pub max_message_bytes: usize,
    /// How the preload is named in error reports, usually its file name.
    pub preload_name: String,
}

/// The runtime, to be injected at document start in the preload's world, before
/// [`preload_script`].
pub fn runtime_script(config: &RuntimeConfig) -> String {
    let page_world = format!(
        "(function () {{\n{ENDPOINT_JS}\n{PAGE_WORLD_JS}\n\
         voltaicPageWorld(voltaicBridgeEndpoint, voltaicFormatConsole, document.currentScript);\n}})();"
    );
    let settings = json!({
        "handler": MESSAGE_HANDLER,
        "receiver": RECEIVER,
        "contextIsolation": config.context_isolation,
        "maxMessageBytes": config.max_message_bytes,
        "preloadName": config.preload_name,
        "readyMessage": READY_MESSAGE,
    });
    format!(
        "(function () {{\n{ENDPOINT_JS}\n{PRELOAD_WORLD_JS}\n\
         voltaicPreloadWorld({settings}, {page_world}, voltaicBridgeEndpoint, voltaicFormatConsole);\n}})();",
        page_world = json!(page_world),
    )
}

/// Wraps a user's preload source (empty when there is none) so that it runs with
/// `require('electron')` and is followed by [`READY_MESSAGE`]. The source starts on the
/// wrapper's first line, so error line numbers match the file.
pub fn preload_script(source: &str) -> String {
    format!(
        "(function (__voltaic) {{ delete globalThis.__voltaicPreload; try {{ \
         (function (require, module, exports, __filename) {{{source}\n}})\
         .call(__voltaic.module.exports, __voltaic.require, __voltaic.module, \
         __voltaic.module.exports, __voltaic.filename); }} \
         catch (error) {{ __voltaic.reportError(error); }} __voltaic.ready(); }})(globalThis.__voltaicPreload);"
    )
}

/// The expression that delivers one serialized main → renderer message.
pub fn receive_call(message_json: &str) -> String {
    format!("{RECEIVER}({message_json})")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config() -> RuntimeConfig {
        RuntimeConfig {
            context_isolation: true,
            max_message_bytes: 1024,
            preload_name: "preload.js".into(),
        }
    }

    #[test]
    fn runtime_embeds_both_worlds_and_the_settings() {
        let script = runtime_script(&config());
        assert!(script.contains("function voltaicPreloadWorld("));
        assert!(script.contains(r#""maxMessageBytes":1024"#));
        // The page half travels as a string literal, to be inserted as a <script>.
        assert!(script.contains(r#""(function () {\n// One end of the synchronous bridge"#));
    }

    #[test]
    fn preload_keeps_its_first_line_on_the_first_line() {
        let wrapped = preload_script("const a = 1;\nthrow new Error('x');");
        assert_eq!(wrapped.lines().count(), 3);
        assert!(wrapped.lines().next().unwrap().ends_with("{const a = 1;"));
    }

    #[test]
    fn scripts_are_valid_javascript_when_node_is_available() {
        // The e2e suite runs these in WebKit; this only catches syntax slips early.
        let Ok(output) = std::process::Command::new("node")
            .arg("--check")
            .arg("-")
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .and_then(|mut child| {
                use std::io::Write;
                let mut stdin = child.stdin.take().expect("piped stdin");
                stdin.write_all(runtime_script(&config()).as_bytes())?;
                stdin.write_all(preload_script("require('electron');").as_bytes())?;
                drop(stdin);
                child.wait_with_output()
            })
        else {
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
