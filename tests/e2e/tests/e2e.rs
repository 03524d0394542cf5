//! End-to-end tests: each scenario opens real WebKitGTK windows (under Xvfb when there
//! is no display), runs real preload and page JavaScript, and checks both what the
//! Rust main process received and what the page received. See `voltaic_e2e` for how
//! scenarios run in their own processes.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use serde::Deserialize;
use serde_json::{json, Value};
use voltaic::{
    AllowedOrigins, BrowserWindow, BrowserWindowOptions, ChannelGrants, ChannelSchema, Error,
    IpcEvent, WebPreferences,
};
use voltaic_e2e::{api_prefs, ensure, ensure_eq, poll_until, Driver, Harness, Scenario, REPORT_JS};

#[path = "e2e/timeline.rs"]
mod timeline;

fn main() {
    voltaic_e2e::main(&[
        Scenario {
            name: "acceptance_scenario_runs_unchanged",
            setup: acceptance,
        },
        Scenario {
            name: "page_world_has_no_ipc_primitive",
            setup: isolation,
        },
        Scenario {
            name: "ipc_renderer_listener_api",
            setup: renderer_listeners,
        },
        Scenario {
            name: "ipc_main_api_and_errors",
            setup: main_api,
        },
        Scenario {
            name: "malformed_and_oversized_messages",
            setup: malformed,
        },
        Scenario {
            name: "context_bridge_semantics",
            setup: context_bridge,
        },
        Scenario {
            name: "console_forwarding_and_preload_errors",
            setup: console,
        },
        Scenario {
            name: "load_html_url_and_option_errors",
            setup: loading,
        },
        Scenario {
            name: "send_reaches_only_its_window",
            setup: two_windows,
        },
        Scenario {
            name: "closed_window_is_a_clear_error",
            setup: closed_window,
        },
        Scenario {
            name: "context_isolation_off",
            setup: no_isolation,
        },
        Scenario {
            name: "messages_wait_for_the_preload",
            setup: early_messages,
        },
        Scenario {
            name: "windows_and_web_contents_by_id",
            setup: windows_by_id,
        },
        Scenario {
            name: "messages_sent_before_an_answer_arrive_before_it",
            setup: ordered_answers,
        },
        Scenario {
            name: "inline_dispatch_runs_handlers_on_the_main_thread",
            setup: inline_dispatch,
        },
        Scenario {
            name: "send_sync_returns_what_a_listener_sets",
            setup: send_sync,
        },
        Scenario {
            name: "render_process_gone_then_reload",
            setup: render_process_gone,
        },
        Scenario {
            name: "window_opened_from_a_handler",
            setup: open_from_handler,
        },
        Scenario {
            name: "additional_arguments_reach_the_preloads_process_argv",
            setup: additional_arguments,
        },
        Scenario {
            name: "window_and_app_events_come_in_electrons_order",
            setup: lifecycle,
        },
        Scenario {
            name: "set_title_from_a_handler_as_in_electrons_ipc_tutorial",
            setup: set_title,
        },
        Scenario {
            name: "page_events_come_in_electrons_order",
            setup: page_events,
        },
        Scenario {
            name: "cross_origin_isolated_pages_share_memory_with_workers",
            setup: cross_origin_isolation,
        },
        Scenario {
            name: "page_storage_is_kept_across_launches",
            setup: storage_kept,
        },
        Scenario {
            name: "window_state_and_events_under_a_window_manager",
            setup: window_state,
        },
        Scenario {
            name: "per_window_console_failed_loads_and_gone_renderers",
            setup: per_window_events,
        },
        Scenario {
            name: "ipc_tutorial_example_runs_its_three_patterns",
            setup: ipc_tutorial_example,
        },
        Scenario {
            name: "ipc_timeline_records_what_a_window_does",
            setup: timeline::records_a_window,
        },
        Scenario {
            name: "voltaic_trace_writes_the_quickstarts_startup_as_a_chrome_trace",
            setup: timeline::traces_the_quickstart,
        },
        Scenario {
            name: "the_inspector_shows_another_windows_traffic_live",
            setup: timeline::inspector_shows_live_traffic,
        },
        Scenario {
            name: "the_inspector_key_opens_it_in_a_debug_build",
            setup: timeline::inspector_key,
        },
        Scenario {
            name: "_inspector_key",
            setup: timeline::inspector_key_phase,
        },
        Scenario {
            name: "single_instance_lock_hands_a_second_instance_over",
            setup: single_instance,
        },
        Scenario {
            name: "_single_first",
            setup: single_first,
        },
        Scenario {
            name: "_single_second",
            setup: single_second,
        },
        Scenario {
            name: "window_options_under_a_window_manager",
            setup: window_options,
        },
        Scenario {
            name: "_window_options",
            setup: window_options_phase,
        },
        Scenario {
            name: "_window_state",
            setup: window_state_phase,
        },
        Scenario {
            name: "_storage_store",
            setup: storage_store,
        },
        Scenario {
            name: "_storage_find",
            setup: storage_find,
        },
    ]);
}

fn err(e: impl std::fmt::Display) -> String {
    e.to_string()
}

fn with_report(js: &str) -> String {
    format!("{REPORT_JS}{js}")
}

fn page(head_script: &str) -> String {
    format!("<!DOCTYPE html><html><head><script>{REPORT_JS}{head_script}</script></head><body><p>e2e</p></body></html>")
}

/// The reference scenario of `shared/reference/ipc-model.md`, with the quickstart's
/// preload and page code byte for byte, under the quick-start's strict CSP.
fn acceptance(h: &Harness) -> Result<Driver, String> {
    h.file(
        "renderer.js",
        include_str!("../../../examples/quickstart/renderer.js"),
    )?;
    let html = r#"<!DOCTYPE html><html><head>
        <meta http-equiv="Content-Security-Policy" content="default-src 'self'; script-src 'self'">
        </head><body><script src="./renderer.js"></script></body></html>"#;
    let ipc = h.app().ipc_main();
    ipc.handle("get-data", |_: IpcEvent| async {
        Ok::<Value, String>(json!({ "result": "Data from main process" }))
    })
    .map_err(err)?;
    let probe = h.probe();
    ipc.on("message-channel", move |_: IpcEvent, message: String| {
        probe.record(format!("main:Message received: {message}"));
    });
    // The quickstart's secure defaults: exactly its three channels, each with a
    // schema, the default CSP header on app:// content, and the sandbox.
    ipc.set_schema("message-channel", ChannelSchema::new().args::<(String,)>())
        .map_err(err)?;
    ipc.set_schema("update-channel", ChannelSchema::new().args::<(String,)>())
        .map_err(err)?;
    ipc.set_schema(
        "get-data",
        ChannelSchema::new()
            .args::<()>()
            .result_json(json!({"type": "object", "required": ["result"]})),
    )
    .map_err(err)?;
    let preload = h.file(
        "acceptance-preload.js",
        include_str!("../../../examples/quickstart/preload.js"),
    )?;
    let window = h.window_with(
        "acceptance",
        WebPreferences {
            preload: Some(preload),
            grants: ChannelGrants::new()
                .invoke("get-data")
                .send("message-channel")
                .receive("update-channel"),
            ..Default::default()
        },
        html,
    )?;
    let report = h.app().security_report();
    ensure!(report.all_ok(), "weakened defaults:\n{report}");
    // The report names the engine that ran, with the version the machine has: the
    // WebKitGTK library, or the Chromium browser.
    let chromium = h.engine_version("chrome") != "undefined";
    let (name, loaded) = if chromium {
        let version = std::process::Command::new("chromium")
            .arg("--version")
            .output()
            .map(|o| String::from_utf8_lossy(&o.stdout).into_owned())
            .unwrap_or_default();
        // "Chromium 156.0.8078.114 built on Debian ..."
        let version = version.split_whitespace().nth(1).unwrap_or("").to_owned();
        ("Chromium", version)
    } else {
        let version = std::process::Command::new("pkg-config")
            .args(["--modversion", "webkit2gtk-4.1"])
            .output()
            .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_owned())
            .unwrap_or_default();
        ("WebKitGTK", version)
    };
    ensure!(
        !loaded.is_empty()
            && report.engine == format!("{name} {loaded}")
            && report
                .to_string()
                .starts_with(&format!("engine: {name} {loaded}\n")),
        "the report names {:?}, the machine has {name} {loaded:?}:\n{report}",
        report.engine
    );
    let (probe, app) = (h.probe(), h.app().handle());
    let screenshot = h.dir().join("acceptance.png");
    Ok(Box::pin(async move {
        let id = window.id();
        probe
            .expect("main:Message received: Hello from renderer")
            .await?;
        probe
            .expect(&format!(
                r#"console:{id}:page:Info:Data received: {{"result":"Data from main process"}}"#
            ))
            .await?;
        // The reference main sends after 3 s with setTimeout; same helper, shorter delay.
        let started = Instant::now();
        let contents = window.web_contents().clone();
        app.set_timeout(Duration::from_millis(400), move || {
            let _ = contents.send("update-channel", ("Update from main process",));
        });
        probe
            .expect(&format!(
                "console:{id}:page:Info:Update received: Update from main process"
            ))
            .await?;
        ensure!(
            started.elapsed() >= Duration::from_millis(400),
            "the update arrived before the timer's delay: {:?}",
            started.elapsed()
        );
        window.capture_page(&screenshot).await.map_err(err)?;
        let png = std::fs::read(&screenshot).map_err(err)?;
        ensure!(
            png.len() > 24 && png.starts_with(b"\x89PNG\r\n\x1a\n"),
            "capture_page did not write a PNG"
        );
        // IHDR holds width and height, big-endian, at bytes 16..24; the window is 640x480.
        let size = |at: usize| u32::from_be_bytes([png[at], png[at + 1], png[at + 2], png[at + 3]]);
        ensure_eq!((size(16), size(20)), (640, 480));
        Ok(())
    }))
}

fn isolation(h: &Harness) -> Result<Driver, String> {
    let preload = r#"const { contextBridge, ipcRenderer } = require('electron');
const preloadSecret = 'top secret';
var preloadVar = 'var in preload';
globalThis.preloadGlobal = 'global of the preload world';
contextBridge.exposeInMainWorld('api', {
  ping: () => 'pong',
  done: () => ipcRenderer.send('after-attack'),
});
"#;
    let script = r#"
const checks = {};
const seen = [];
for (const type of ['voltaic:to-page', 'voltaic:to-preload']) {
  window.addEventListener(type, () => seen.push(type), true);
  document.addEventListener(type, () => seen.push(type), true);
}
checks.apiBeforePageScripts = typeof window.api;
checks.ping = window.api.ping();
checks.webkit = typeof window.webkit;
checks.handler = typeof (window.webkit && window.webkit.messageHandlers && window.webkit.messageHandlers.voltaic);
checks.names = [typeof ipcRenderer, typeof require, typeof contextBridge, typeof module,
                typeof preloadSecret, typeof preloadVar, typeof preloadGlobal];
checks.voltaicGlobals = Object.getOwnPropertyNames(window).filter((n) => /voltaic/i.test(n));
checks.scripts = document.scripts.length;
checks.bridgeNodes = document.querySelectorAll('[data-voltaic-reply]').length;
try {
  window.webkit.messageHandlers.voltaic.postMessage(JSON.stringify({ t: 'send', ch: 'secret-channel', args: [] }));
  checks.transport = 'posted';
} catch (e) {
  checks.transport = e.constructor.name;
}
checks.frozen = Object.isFrozen(window.api);
checks.wrapperHidesPreloadSource = !String(window.api.ping).includes('pong');
checks.eventsSeenByPage = seen;
report('isolation', checks);
window.api.done();
"#;
    let probe = h.probe();
    let ipc = h.app().ipc_main();
    ipc.on("secret-channel", move |_: IpcEvent| {
        probe.record("main:secret-channel ran")
    });
    let probe = h.probe();
    ipc.on("after-attack", move |_: IpcEvent| {
        probe.record("main:after-attack")
    });
    h.window("isolation", Some(preload), &page(script))?;
    let probe = h.probe();
    Ok(Box::pin(async move {
        let checks = probe.result("isolation").await?;
        ensure_eq!(
            checks,
            json!({
                "apiBeforePageScripts": "object",
                "ping": "pong",
                "webkit": "undefined",
                "handler": "undefined",
                "names": vec!["undefined"; 7],
                "voltaicGlobals": [],
                "scripts": 1,
                "bridgeNodes": 0,
                "transport": "TypeError",
                "frozen": true,
                "wrapperHidesPreloadSource": true,
                "eventsSeenByPage": [],
            })
        );
        probe.expect("main:after-attack").await?;
        probe.ensure_none("the secret-channel listener", |l| {
            l == "main:secret-channel ran"
        })
    }))
}

fn renderer_listeners(h: &Harness) -> Result<Driver, String> {
    let preload = with_report(
        r#"const { ipcRenderer } = require('electron');
const log = [];
const a = (event, ...args) => log.push(['a', ...args]);
const never = () => log.push(['never']);
ipcRenderer.on('tick', a);
ipcRenderer.on('tick', never);
ipcRenderer.off('tick', never);
ipcRenderer.once('tick', (event, n) => log.push(['once', n]));
ipcRenderer.on('tick', (event, n) => {
  log.push(['b', n]);
  if (n === 2) ipcRenderer.removeListener('tick', a);
});
ipcRenderer.on('shape', (event, ...args) => log.push(['shape', typeof event.sender.send, event.senderId, Array.isArray(event.ports), args]));
ipcRenderer.on('done', () => {
  const before = ipcRenderer.listenerCount('tick');
  ipcRenderer.removeAllListeners('tick');
  report('listeners', { log, before, after: ipcRenderer.listenerCount('tick') });
});
ipcRenderer.send('ready');
"#,
    );
    h.app()
        .ipc_main()
        .on("ready", |e: IpcEvent| -> Result<(), voltaic::IpcError> {
            let to = e.sender();
            for n in 1..=3 {
                to.send("tick", (n,))?;
            }
            to.send(
                "shape",
                (
                    "text",
                    42,
                    json!({"nested": [1, {"deep": true}]}),
                    (),
                    true,
                    "ünïcødé ✓ 😀",
                ),
            )?;
            to.send("done", ())
        });
    h.window("listeners", Some(&preload), &page(""))?;
    let probe = h.probe();
    Ok(Box::pin(async move {
        let result = probe.result("listeners").await?;
        ensure_eq!(
            result,
            json!({
                "log": [
                    ["a", 1], ["once", 1], ["b", 1],
                    ["a", 2], ["b", 2],
                    ["b", 3],
                    ["shape", "function", 0, true,
                        ["text", 42, {"nested": [1, {"deep": true}]}, null, true, "ünïcødé ✓ 😀"]],
                ],
                "before": 1,
                "after": 0,
            })
        );
        Ok(())
    }))
}

#[derive(Deserialize)]
struct Person {
    name: String,
    age: u8,
}

fn main_api(h: &Harness) -> Result<Driver, String> {
    let ipc = h.app().ipc_main().clone();
    ipc.handle("add", |_: IpcEvent, a: f64, b: f64| a + b)
        .map_err(err)?;
    ensure!(
        ipc.handle("add", |_: IpcEvent| ()).is_err(),
        "a second handler for 'add' was accepted"
    );
    ipc.handle("slow-echo", |_: IpcEvent, s: String| async move {
        tokio::time::sleep(Duration::from_millis(50)).await;
        format!("echo:{s}")
    })
    .map_err(err)?;
    ipc.handle("person", |_: IpcEvent, p: Person| {
        format!("{} is {}", p.name, p.age)
    })
    .map_err(err)?;
    ipc.handle("fail", |_: IpcEvent| Err::<(), _>("boom"))
        .map_err(err)?;
    ipc.handle("panic", |_: IpcEvent| -> Value { panic!("kaboom") })
        .map_err(err)?;
    ipc.handle_once("once", |_: IpcEvent| "first")
        .map_err(err)?;
    ipc.handle("removable", |_: IpcEvent| "still here")
        .map_err(err)?;
    let registry = ipc.clone();
    ipc.handle("remove-it", move |_: IpcEvent| {
        registry.remove_handler("removable")
    })
    .map_err(err)?;
    ipc.handle("whoami", |e: IpcEvent| {
        json!({ "id": e.sender().id(), "url": e.sender_frame().url(), "origin": e.sender_frame().origin() })
    })
    .map_err(err)?;
    let counts: Arc<[AtomicUsize; 4]> = Arc::default();
    let c = counts.clone();
    ipc.on("count", move |_: IpcEvent| {
        c[0].fetch_add(1, Ordering::SeqCst) as u64
    });
    let c = counts.clone();
    ipc.on("count", move |_: IpcEvent| {
        let c = c.clone();
        async move { c[1].fetch_add(1, Ordering::SeqCst) as u64 }
    });
    let c = counts.clone();
    ipc.once("count", move |_: IpcEvent| {
        c[2].fetch_add(1, Ordering::SeqCst) as u64
    });
    let c = counts.clone();
    let removed = ipc.on("count", move |_: IpcEvent| {
        c[3].fetch_add(1, Ordering::SeqCst) as u64
    });
    ensure!(
        ipc.remove_listener("count", removed),
        "remove_listener found nothing"
    );
    let c = counts.clone();
    ipc.handle("counts", move |_: IpcEvent| {
        c.iter()
            .map(|n| n.load(Ordering::SeqCst))
            .collect::<Vec<_>>()
    })
    .map_err(err)?;
    let registry = ipc.clone();
    ipc.on("count-clear", move |_: IpcEvent| {
        registry.remove_all_listeners(Some("count"))
    });
    ipc.on("ping", |e: IpcEvent, n: u32| e.reply("pong", (n + 1,)));

    let preload = with_report(
        r#"const { ipcRenderer } = require('electron');
const settle = (p) => p.then((ok) => ({ ok }), (e) => ({ err: e.message }));
(async () => {
  const out = {};
  out.add = await settle(ipcRenderer.invoke('add', 2, 3));
  out.slowEcho = await settle(ipcRenderer.invoke('slow-echo', 'hi'));
  out.person = await settle(ipcRenderer.invoke('person', { name: 'Ada', age: 36 }));
  out.noHandler = await settle(ipcRenderer.invoke('missing'));
  out.error = await settle(ipcRenderer.invoke('fail'));
  out.panic = await settle(ipcRenderer.invoke('panic'));
  out.afterPanic = await settle(ipcRenderer.invoke('add', 1, 1));
  out.wrongType = await settle(ipcRenderer.invoke('add', 'two', 3));
  out.badStruct = await settle(ipcRenderer.invoke('person', { name: 'Ada', age: 300 }));
  out.once = [await settle(ipcRenderer.invoke('once')), await settle(ipcRenderer.invoke('once'))];
  out.removable = [await settle(ipcRenderer.invoke('removable')), await settle(ipcRenderer.invoke('remove-it')),
                   await settle(ipcRenderer.invoke('removable'))];
  out.whoami = await settle(ipcRenderer.invoke('whoami'));
  ipcRenderer.send('count'); ipcRenderer.send('count'); ipcRenderer.send('count');
  out.counts = await settle(ipcRenderer.invoke('counts'));
  ipcRenderer.send('count-clear'); ipcRenderer.send('count');
  out.countsAfterClear = await settle(ipcRenderer.invoke('counts'));
  const pong = new Promise((resolve) => ipcRenderer.once('pong', (event, n) => resolve(n)));
  ipcRenderer.send('ping', 41);
  out.pong = await pong;
  out.emptyChannel = await settle(ipcRenderer.invoke(''));
  try { ipcRenderer.send(42); out.sendNumberChannel = 'sent'; } catch (e) { out.sendNumberChannel = e.message; }
  out.notCloneable = await settle(ipcRenderer.invoke('add', () => 1));
  report('main-api', out);
})();
"#,
    );
    let window = h.window("main-api", Some(&preload), &page(""))?;
    let probe = h.probe();
    Ok(Box::pin(async move {
        let out = probe.result("main-api").await?;
        let remote = |ch: &str, reason: &str| json!({ "err": format!("Error invoking remote method '{ch}': {reason}") });
        ensure_eq!(out["add"], json!({"ok": 5}));
        ensure_eq!(out["slowEcho"], json!({"ok": "echo:hi"}));
        ensure_eq!(out["person"], json!({"ok": "Ada is 36"}));
        ensure_eq!(
            out["noHandler"],
            remote("missing", "No handler registered for 'missing'")
        );
        ensure_eq!(out["error"], remote("fail", "boom"));
        ensure_eq!(out["panic"], remote("panic", "handler panicked: kaboom"));
        ensure_eq!(out["afterPanic"], json!({"ok": 2}));
        ensure_eq!(
            out["wrongType"],
            remote(
                "add",
                "invalid argument 0 for channel 'add': invalid type: string \"two\", expected f64"
            )
        );
        let bad_struct = out["badStruct"]["err"].as_str().unwrap_or_default();
        ensure!(
            bad_struct.starts_with(
                "Error invoking remote method 'person': invalid argument 0 for channel 'person'"
            ) && bad_struct.contains("300"),
            "badStruct: {bad_struct}"
        );
        ensure_eq!(
            out["once"],
            json!([{"ok": "first"}, remote("once", "No handler registered for 'once'")])
        );
        ensure_eq!(
            out["removable"],
            json!([{"ok": "still here"}, {"ok": true}, remote("removable", "No handler registered for 'removable'")])
        );
        ensure_eq!(out["whoami"]["ok"]["id"], json!(window.id()));
        ensure_eq!(out["whoami"]["ok"]["origin"], json!("app://localhost"));
        ensure_eq!(
            out["whoami"]["ok"]["url"],
            json!("app://localhost/main-api.html")
        );
        ensure_eq!(out["counts"], json!({"ok": [3, 3, 1, 0]}));
        ensure_eq!(out["countsAfterClear"], json!({"ok": [3, 3, 1, 0]}));
        ensure_eq!(out["pong"], json!(42));
        let empty = out["emptyChannel"]["err"].as_str().unwrap_or_default();
        ensure!(
            empty.starts_with("Invalid IPC channel \"\""),
            "empty channel: {empty}"
        );
        let number = out["sendNumberChannel"].as_str().unwrap_or_default();
        ensure!(
            number.starts_with("Invalid IPC channel number"),
            "numeric channel: {number}"
        );
        ensure_eq!(
            out["notCloneable"],
            json!({"err": "An object could not be cloned: functions cannot be sent over IPC"})
        );
        Ok(())
    }))
}

fn malformed(h: &Harness) -> Result<Driver, String> {
    let preload = with_report(
        r#"const { ipcRenderer } = require('electron');
const raw = window.webkit.messageHandlers.voltaic;
const huge = 'x'.repeat(40 * 1024 * 1024);
const attempts = [
  () => raw.postMessage(42),
  () => raw.postMessage({ t: 'send', ch: 'forged', args: [] }),
  () => raw.postMessage('garbage'),
  () => raw.postMessage('{"t":"send"}'),
  () => raw.postMessage('{"t":"send","ch":"forged","args":[],"sender":99}'),
  () => raw.postMessage('{"t":"send","ch":"forged","args":' + '['.repeat(10000) + ']'.repeat(10000) + '}'),
  () => raw.postMessage('{"t":"send","ch":"forged","args":["' + huge + '"]}'),
  () => raw.postMessage('{"t":"invoke","id":1,"ch":"forged"'),
  () => raw.postMessage('{"t":"console","level":"shout","source":"page","text":"x"}'),
];
let thrown = 0;
for (const attempt of attempts) {
  try { attempt(); } catch (e) { thrown++; }
}
const settle = (p) => p.then((ok) => ({ ok }), (e) => ({ err: e.message }));
(async () => {
  let bigSend = null;
  try { ipcRenderer.send('forged', huge); } catch (e) { bigSend = e.message; }
  const bigInvoke = await settle(ipcRenderer.invoke('forged', huge));
  const alive = await settle(ipcRenderer.invoke('alive'));
  report('malformed', { thrown, bigSend, bigInvoke, alive });
})();
"#,
    );
    let probe = h.probe();
    h.app()
        .ipc_main()
        .on("forged", move |_: IpcEvent| probe.record("main:forged ran"));
    h.app()
        .ipc_main()
        .handle("alive", |_: IpcEvent| "yes")
        .map_err(err)?;
    h.window("malformed", Some(&preload), &page(""))?;
    let probe = h.probe();
    Ok(Box::pin(async move {
        let out = probe.result("malformed").await?;
        let limit = "exceeds the limit of 33554432 bytes";
        ensure_eq!(out["thrown"], json!(0));
        let big_send = out["bigSend"].as_str().unwrap_or_default();
        ensure!(big_send.contains(limit), "oversized send: {big_send}");
        let big_invoke = out["bigInvoke"]["err"].as_str().unwrap_or_default();
        ensure!(big_invoke.contains(limit), "oversized invoke: {big_invoke}");
        ensure_eq!(out["alive"], json!({"ok": "yes"}));
        probe.ensure_none("a handler for a malformed message", |l| {
            l == "main:forged ran"
        })
    }))
}

fn context_bridge(h: &Harness) -> Result<Driver, String> {
    let preload = r#"const { contextBridge, ipcRenderer } = require('electron');
const state = { count: 0, items: ['a'] };
let callbacks = [];
contextBridge.exposeInMainWorld('bridge', {
  version: 3, name: 'voltaic', flags: { nested: { deep: [1, 2, { x: null }] } }, nothing: null,
  notANumber: NaN, negZero: -0, when: new Date(0),
  getState: () => state,
  mutateArg: (obj) => { obj.changed = true; return obj; },
  add: (a, b) => a + b,
  resolveLater: (v) => new Promise((resolve) => setTimeout(() => resolve({ got: v }), 10)),
  rejectLater: () => Promise.reject(new Error('nope from preload')),
  throws: () => { throw new TypeError('thrown in preload'); },
  onTick: (cb) => { callbacks.push(cb); return () => { callbacks = callbacks.filter((c) => c !== cb); }; },
  fire: (n) => callbacks.map((cb) => cb(n)),
  callWith: (cb) => cb({ from: 'preload' }),
  passPromise: (p) => p.then((v) => 'preload saw ' + v),
  getFn: () => (x) => x * 2,
});
const errors = {};
try { contextBridge.exposeInMainWorld('bridge', {}); } catch (e) { errors.again = e.message; }
try { contextBridge.exposeInMainWorld('location', {}); } catch (e) { errors.existing = e.message; }
try { contextBridge.exposeInMainWorld('bad', { s: Object(Symbol('x')) }); } catch (e) { errors.boxedSymbol = e.message; }
console.log('RESULT bridge-preload ' + JSON.stringify(errors));
ipcRenderer.on('tick', (event, n) => callbacks.forEach((cb) => cb(n)));
ipcRenderer.on('flush', () => console.log('FLUSHED'));
ipcRenderer.send('ready');
"#;
    let script = r#"
(async () => {
  const b = window.bridge;
  const out = {};
  out.values = [b.version, b.name, b.flags, b.nothing, Number.isNaN(b.notANumber), Object.is(b.negZero, -0),
                b.when instanceof Date && b.when.getTime()];
  const s = b.getState();
  s.count = 99; s.items.push('page');
  out.stateCopied = b.getState();
  out.pagePrototype = Object.getPrototypeOf(s) === Object.prototype;
  const mine = { a: 1 };
  const back = b.mutateArg(mine);
  out.argCopied = [mine.changed === undefined, back.changed === true, back !== mine];
  out.add = b.add(2, 40);
  out.resolved = await b.resolveLater('x');
  out.rejected = await b.rejectLater().then(() => 'resolved?!', (e) => [e instanceof Error, e.message]);
  try { b.throws(); out.thrown = 'no throw'; } catch (e) { out.thrown = [e instanceof Error, e.name, e.message]; }
  const off = b.onTick((n) => {
    console.log('TICK ' + n);
    if (n === 7) off();
    return n * 10;
  });
  out.fire = b.fire(5);
  out.callWith = b.callWith((arg) => 'page got ' + arg.from);
  out.passPromise = await b.passPromise(Promise.resolve('p'));
  out.fn = b.getFn()(21);
  out.frozen = [Object.isFrozen(b), Object.isFrozen(b.flags)];
  report('bridge', out);
})();
"#;
    h.app().ipc_main().on("ready", |e: IpcEvent| {
        // Runs once the preload is set up; the page's script runs right after it.
        let _ = e;
    });
    let window = h.window("bridge", Some(preload), &page(script))?;
    let probe = h.probe();
    Ok(Box::pin(async move {
        let errors = probe.result("bridge-preload").await?;
        ensure_eq!(
            errors,
            json!({
                "again": "Cannot bind an API on top of an existing property on the window object",
                "existing": "Cannot bind an API on top of an existing property on the window object",
                "boxedSymbol": "An object could not be cloned.",
            })
        );
        let out = probe.result("bridge").await?;
        ensure_eq!(
            out,
            json!({
                "values": [3, "voltaic", {"nested": {"deep": [1, 2, {"x": null}]}}, null, true, true, 0],
                "stateCopied": {"count": 0, "items": ["a"]},
                "pagePrototype": true,
                "argCopied": [true, true, true],
                "add": 42,
                "resolved": {"got": "x"},
                "rejected": [true, "nope from preload"],
                "thrown": [true, "Error", "thrown in preload"],
                "fire": [50],
                "callWith": "page got preload",
                "passPromise": "preload saw p",
                "fn": 42,
                "frozen": [true, true],
            })
        );
        let id = window.id();
        probe
            .expect(&format!("console:{id}:page:Info:TICK 5"))
            .await?;
        // A callback kept by the preload and called later, from a main-process message.
        window.web_contents().send("tick", (7,)).map_err(err)?;
        probe
            .expect(&format!("console:{id}:page:Info:TICK 7"))
            .await?;
        // The page unsubscribed in TICK 7: the next tick must not reach it.
        window.web_contents().send("tick", (8,)).map_err(err)?;
        window.web_contents().send("flush", ()).map_err(err)?;
        probe
            .expect(&format!("console:{id}:preload:Info:FLUSHED"))
            .await?;
        probe.ensure_none("a tick after unsubscribing", |l| l.ends_with("TICK 8"))
    }))
}

fn console(h: &Harness) -> Result<Driver, String> {
    let preload = "console.log('preload says', { a: 1 });\nconsole.warn('preload warns');\n";
    let script = r#"
console.log('page log', 42, { k: 'v' }, [1, 2]);
console.info('page info');
console.warn('page warn');
console.error('page error', new Error('bad thing'));
console.debug('page debug');
setTimeout(() => { throw new Error('uncaught boom'); }, 0);
Promise.reject(new Error('rejected boom'));
"#;
    let a = h.window("console-a", Some(preload), &page(script))?;
    let broken =
        "// a preload that fails on line 3\nconst x = 1;\nthrow new Error('preload exploded');\n";
    let b = h.window("console-b", Some(broken), &page(""))?;
    let probe = h.probe();
    Ok(Box::pin(async move {
        let (a, b) = (a.id(), b.id());
        for line in [
            format!(r#"console:{a}:preload:Info:preload says {{"a":1}}"#),
            format!("console:{a}:preload:Warn:preload warns"),
            format!(r#"console:{a}:page:Info:page log 42 {{"k":"v"}} [1,2]"#),
            format!("console:{a}:page:Info:page info"),
            format!("console:{a}:page:Warn:page warn"),
            format!("console:{a}:page:Error:page error Error: bad thing"),
            format!("console:{a}:page:Debug:page debug"),
            format!("console:{a}:page:Error:Uncaught (in promise) Error: rejected boom"),
        ] {
            probe.expect(&line).await?;
        }
        // WebKit sanitizes uncaught-error events of pages with an opaque origin (file:,
        // about:blank) to "Script error."; the error must still be forwarded.
        probe
            .wait_for("the uncaught exception", |l| {
                l.starts_with(&format!("console:{a}:page:Error:Uncaught "))
                    && (l.contains("uncaught boom") || l.contains("Script error."))
                    && !l.contains("in promise")
            })
            .await?;
        probe
            .wait_for("the preload error with file and line", |l| {
                l.starts_with(&format!(
                    "console:{b}:preload:Error:Unable to load preload script console-b-preload.js:3:"
                )) && l.ends_with("Error: preload exploded")
            })
            .await?;
        Ok(())
    }))
}

const WHOAMI_PRELOAD: &str = r#"const { contextBridge, ipcRenderer } = require('electron');
contextBridge.exposeInMainWorld('api', { whoami: () => ipcRenderer.invoke('whoami') });
"#;

fn loading(h: &Harness) -> Result<Driver, String> {
    h.app()
        .ipc_main()
        .handle("whoami", |e: IpcEvent| {
            json!({ "id": e.sender().id(), "url": e.sender_frame().url(), "origin": e.sender_frame().origin() })
        })
        .map_err(err)?;
    let preload = h.file("whoami.js", WHOAMI_PRELOAD)?;
    let prefs = WebPreferences {
        preload: Some(preload.clone()),
        ..api_prefs()
    };
    let open = |prefs: WebPreferences| {
        BrowserWindow::new(
            h.app(),
            BrowserWindowOptions {
                web_preferences: prefs,
                ..Default::default()
            },
        )
    };
    let html_window = BrowserWindow::new(
        h.app(),
        BrowserWindowOptions {
            width: 530,
            height: 310,
            title: "Sized".into(),
            web_preferences: prefs.clone(),
            ..Default::default()
        },
    )
    .map_err(err)?;
    html_window
        .load_html(&page(
            "window.api.whoami().then((r) => report('html', { ...r, size: [innerWidth, innerHeight] }));",
        ))
        .map_err(err)?;
    // data: documents have an opaque origin, which IPC must be allowed from explicitly.
    let url_window = open(WebPreferences {
        allowed_origins: AllowedOrigins::default().with("null"),
        ..prefs.clone()
    })
    .map_err(err)?;
    url_window
        .load_url("data:text/html,<script>window.api.whoami().then((r)=>console.log('RESULT%20url%20'+JSON.stringify(r)))</script>")
        .map_err(err)?;
    let missing = url_window.load_file(h.dir().join("does-not-exist.html"));
    ensure!(
        matches!(missing, Err(Error::LoadFile { .. })),
        "load_file of a missing file: {missing:?}"
    );
    let bad_url = url_window.load_url("not a url");
    ensure!(
        matches!(bad_url, Err(Error::InvalidUrl { .. })),
        "load_url(\"not a url\"): {bad_url:?}"
    );
    let node = open(WebPreferences {
        node_integration: true,
        ..prefs.clone()
    });
    ensure!(
        matches!(node, Err(Error::NodeIntegrationUnsupported)),
        "node_integration: true was not refused: {node:?}"
    );
    let message = Error::NodeIntegrationUnsupported.to_string();
    ensure!(
        message.contains("contextBridge"),
        "unhelpful message: {message}"
    );
    let no_preload = open(WebPreferences {
        preload: Some(h.dir().join("missing-preload.js")),
        ..api_prefs()
    });
    ensure!(
        matches!(no_preload, Err(Error::Preload { .. })),
        "missing preload: {no_preload:?}"
    );
    let probe = h.probe();
    Ok(Box::pin(async move {
        let html = probe.result("html").await?;
        ensure_eq!(html["id"], json!(html_window.id()));
        ensure_eq!(html["origin"], json!("app://localhost"));
        ensure_eq!(html["url"], json!("app://localhost/"));
        ensure_eq!(html["size"], json!([530, 310]));
        ensure_eq!(html_window.get_title().await.map_err(err)?, "Sized");
        let url = probe.result("url").await?;
        ensure_eq!(url["id"], json!(url_window.id()));
        ensure!(
            url["url"]
                .as_str()
                .is_some_and(|u| u.starts_with("data:text/html,")),
            "data url: {url}"
        );
        ensure_eq!(url["origin"], json!("null"));
        Ok(())
    }))
}

fn two_windows(h: &Harness) -> Result<Driver, String> {
    let preload = with_report(
        r#"const { ipcRenderer } = require('electron');
const got = [];
ipcRenderer.on('hello', (event, who) => got.push(who));
ipcRenderer.on('report', (event, tag) => report(tag, got));
ipcRenderer.send('ready');
"#,
    );
    let probe = h.probe();
    h.app().ipc_main().on("ready", move |e: IpcEvent| {
        probe.record(format!("main:ready:{}", e.sender().id()))
    });
    let one = h.window("one", Some(&preload), &page(""))?;
    let two = h.window("two", Some(&preload), &page(""))?;
    let probe = h.probe();
    Ok(Box::pin(async move {
        probe.expect(&format!("main:ready:{}", one.id())).await?;
        probe.expect(&format!("main:ready:{}", two.id())).await?;
        ensure!(one.id() != two.id(), "two windows share id {}", one.id());
        two.web_contents()
            .send("hello", ("for two",))
            .map_err(err)?;
        two.web_contents().send("report", ("two",)).map_err(err)?;
        ensure_eq!(probe.result("two").await?, json!(["for two"]));
        one.web_contents().send("report", ("one",)).map_err(err)?;
        ensure_eq!(probe.result("one").await?, json!([]));
        Ok(())
    }))
}

fn closed_window(h: &Harness) -> Result<Driver, String> {
    let preload = "require('electron').ipcRenderer.send('ready');\n";
    let probe = h.probe();
    h.app().ipc_main().on("ready", move |e: IpcEvent| {
        probe.record(format!("main:ready:{}", e.sender().id()))
    });
    let keep = h.window("keep", Some(preload), &page(""))?;
    let doomed = h.window("doomed", Some(preload), &page(""))?;
    let probe = h.probe();
    Ok(Box::pin(async move {
        probe.expect(&format!("main:ready:{}", doomed.id())).await?;
        let contents = doomed.web_contents().clone();
        ensure!(
            contents.send("x", ()).is_ok(),
            "send to an open window failed"
        );
        doomed.close().map_err(err)?;
        poll_until("the closed window to report itself closed", || {
            !doomed.is_open()
        })
        .await?;
        ensure_eq!(
            contents.send("x", ()),
            Err(voltaic::IpcError::WindowClosed(doomed.id()))
        );
        let load = doomed.load_html("<p>gone</p>");
        ensure!(
            matches!(load, Err(Error::WindowClosed(_))),
            "load_html on a closed window: {load:?}"
        );
        // The app and the other window go on.
        probe.expect(&format!("main:ready:{}", keep.id())).await?;
        ensure!(
            keep.web_contents().send("x", ()).is_ok(),
            "the other window stopped working"
        );
        Ok(())
    }))
}

fn no_isolation(h: &Harness) -> Result<Driver, String> {
    let preload = h.file(
        "shared-world.js",
        &with_report(
            r#"const { contextBridge, ipcRenderer } = require('electron');
let bridgeError = null;
try { contextBridge.exposeInMainWorld('api', {}); } catch (e) { bridgeError = e.message; }
ipcRenderer.invoke('echo', 'same world').then((value) => report('no-isolation', {
  bridgeError, value, pageSeesHandler: typeof window.webkit.messageHandlers.voltaic,
}));
"#,
        ),
    )?;
    h.app()
        .ipc_main()
        .handle("echo", |_: IpcEvent, s: String| s)
        .map_err(err)?;
    h.window_with(
        "no-isolation",
        WebPreferences {
            preload: Some(preload),
            context_isolation: false,
            ..api_prefs()
        },
        &page(""),
    )?;
    let probe = h.probe();
    Ok(Box::pin(async move {
        ensure_eq!(
            probe.result("no-isolation").await?,
            json!({
                "bridgeError": "contextBridge API can only be used when contextIsolation is enabled",
                "value": "same world",
                "pageSeesHandler": "object",
            })
        );
        Ok(())
    }))
}

fn early_messages(h: &Harness) -> Result<Driver, String> {
    let preload = with_report(
        r#"const { ipcRenderer } = require('electron');
const got = [];
ipcRenderer.on('early', (event, n) => got.push(n));
ipcRenderer.on('report', (event, tag) => report(tag, got));
"#,
    );
    let window = h.window("early", Some(&preload), &page(""))?;
    // Sent before the event loop runs: the page has not even started loading.
    for n in 0..5 {
        window.web_contents().send("early", (n,)).map_err(err)?;
    }
    window
        .web_contents()
        .send("report", ("first-load",))
        .map_err(err)?;
    let probe = h.probe();
    Ok(Box::pin(async move {
        ensure_eq!(probe.result("first-load").await?, json!([0, 1, 2, 3, 4]));
        // Messages sent right behind a navigation belong to the next document.
        window.load_html(&page("")).map_err(err)?;
        window.web_contents().send("early", (99,)).map_err(err)?;
        window
            .web_contents()
            .send("report", ("after-navigation",))
            .map_err(err)?;
        ensure_eq!(probe.result("after-navigation").await?, json!([99]));
        Ok(())
    }))
}

fn open_from_handler(h: &Harness) -> Result<Driver, String> {
    let child_preload = h.file(
        "child-preload.js",
        &with_report(
            r#"const { ipcRenderer } = require('electron');
ipcRenderer.on('hello', (event, text) => report('child-hello', text));
ipcRenderer.send('child-ready');
"#,
        ),
    )?;
    let child_page = h.file("child.html", &page(""))?;
    let probe = h.probe();
    h.app().ipc_main().on("child-ready", move |e: IpcEvent| {
        probe.record(format!("main:child-ready:{}", e.sender().id()))
    });
    let opened: Arc<Mutex<Option<BrowserWindow>>> = Arc::default();
    let (app, keep) = (h.app().handle(), opened.clone());
    h.app()
        .ipc_main()
        .handle("open-child", move |_: IpcEvent| {
            let (app, keep) = (app.clone(), keep.clone());
            let (preload, page) = (child_preload.clone(), child_page.clone());
            async move {
                let options = BrowserWindowOptions {
                    title: "child".into(),
                    web_preferences: WebPreferences {
                        preload: Some(preload),
                        ..api_prefs()
                    },
                    ..Default::default()
                };
                let child = app.create_window(options).await.map_err(err)?;
                child.load_file(&page).map_err(err)?;
                let id = child.id();
                *keep.lock().unwrap_or_else(PoisonError::into_inner) = Some(child);
                Ok::<u32, String>(id)
            }
        })
        .map_err(err)?;
    let parent_preload = with_report(
        "require('electron').ipcRenderer.invoke('open-child')\n  .then((id) => report('opened', id), (e) => report('opened', e.message));\n",
    );
    let parent = h.window("parent", Some(&parent_preload), &page(""))?;
    let probe = h.probe();
    Ok(Box::pin(async move {
        let opened_id = probe.result("opened").await?;
        let id = opened_id.as_u64().ok_or(format!(
            "open-child did not return a window id: {opened_id}"
        ))?;
        ensure!(
            id != u64::from(parent.id()),
            "the child got the parent's id {id}"
        );
        probe.expect(&format!("main:child-ready:{id}")).await?;
        let child = opened
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
            .ok_or("the handler kept no child window")?;
        child
            .web_contents()
            .send("hello", ("from main",))
            .map_err(err)?;
        ensure_eq!(probe.result("child-hello").await?, json!("from main"));
        Ok(())
    }))
}

/// A renderer process that goes away is reported (Electron's `render-process-gone`);
/// what the main process sends meanwhile waits, and reaches the preload of the
/// renderer that `reload` brings.
fn render_process_gone(h: &Harness) -> Result<Driver, String> {
    let preload = with_report(
        r#"const { ipcRenderer } = require('electron');
ipcRenderer.on('hello', (event, tag) => report(tag, location.href));
"#,
    );
    let window = h.window("gone", Some(&preload), &page(""))?;
    let probe = h.probe();
    h.app()
        .handle()
        .set_render_process_gone_handler(move |gone| {
            probe.record(format!("gone:{}:{:?}", gone.window, gone.reason));
        });
    window
        .web_contents()
        .send("hello", ("before",))
        .map_err(err)?;
    let probe = h.probe();
    Ok(Box::pin(async move {
        let url = probe.result("before").await?;
        window.force_crash_renderer().map_err(err)?;
        probe
            .expect(&format!("gone:{}:Killed", window.id()))
            .await?;
        // Sent while there is no renderer at all: kept for the next one.
        window
            .web_contents()
            .send("hello", ("after",))
            .map_err(err)?;
        window.reload().map_err(err)?;
        ensure_eq!(probe.result("after").await?, url);
        Ok(())
    }))
}

/// `get_all_windows`, `window_from_id` (also `fromWebContents`, as the ids are the
/// same) and `web_contents_from_id`, from a handler, before and after a close.
fn windows_by_id(h: &Harness) -> Result<Driver, String> {
    let app = h.app().handle();
    h.app()
        .ipc_main()
        .handle("who", move |e: IpcEvent| {
            let app = app.clone();
            async move {
                let me = app
                    .window_from_id(e.sender().id())
                    .ok_or("the sender has no window")?;
                let title = me.get_title().await.map_err(|e| e.to_string())?;
                let mut all: Vec<u32> = app.get_all_windows().iter().map(|w| w.id()).collect();
                all.sort_unstable();
                // Poke every other window through its web contents, found by id.
                for id in all.iter().filter(|id| **id != me.id()) {
                    let contents = app.web_contents_from_id(*id).ok_or("no web contents")?;
                    contents
                        .send("poke", (me.id(),))
                        .map_err(|e| e.to_string())?;
                }
                Ok::<_, String>(json!({ "title": title, "all": all }))
            }
        })
        .map_err(err)?;
    let preload = with_report(
        r#"const { ipcRenderer } = require('electron');
ipcRenderer.on('poke', (event, from) => report('poked', from));
ipcRenderer.on('ask', async () => report('who', await ipcRenderer.invoke('who')));
"#,
    );
    let first = h.window("first", Some(&preload), &page(""))?;
    let second = h.window("second", Some(&preload), &page(""))?;
    first.web_contents().send("ask", ()).map_err(err)?;
    let probe = h.probe();
    let app = h.app().handle();
    Ok(Box::pin(async move {
        let mut ids = [first.id(), second.id()];
        ids.sort_unstable();
        ensure_eq!(
            probe.result("who").await?,
            json!({ "title": "test first", "all": ids })
        );
        ensure_eq!(probe.result("poked").await?, json!(first.id()));
        second.close().map_err(err)?;
        poll_until("the closed window to leave the window list", || {
            app.window_from_id(second.id()).is_none()
        })
        .await?;
        ensure_eq!(
            app.get_all_windows()
                .iter()
                .map(|w| w.id())
                .collect::<Vec<_>>(),
            vec![first.id()]
        );
        ensure!(
            app.web_contents_from_id(second.id()).is_none(),
            "web contents of a closed window"
        );
        Ok(())
    }))
}

/// Both directions batch and invokes take a shorter path, yet order holds: what a
/// handler sends before it returns arrives before its answer, and what the page
/// sends before an invoke reaches the main process before the invoke.
fn ordered_answers(h: &Harness) -> Result<Driver, String> {
    // A slow navigation handler holds the main loop, so that the messages and the
    // answer below all wait for the same turn of it: the case where an answer could
    // overtake messages still waiting in the outbox.
    h.app().handle().set_navigation_handler(|_| {
        std::thread::sleep(Duration::from_millis(400));
        false
    });
    // Renderer → main: sends are batched per turn of the page's event loop, and an
    // invoke must not overtake the sends posted before it.
    let marks = Arc::new(Mutex::new(Vec::<u32>::new()));
    let record = marks.clone();
    h.app().ipc_main().on("mark", move |_: IpcEvent, n: u32| {
        record
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .push(n);
    });
    h.app()
        .ipc_main()
        .handle("marks", move |_: IpcEvent| {
            marks.lock().unwrap_or_else(PoisonError::into_inner).clone()
        })
        .map_err(err)?;
    h.app()
        .ipc_main()
        .handle("work", |e: IpcEvent, steps: u32, hold: bool| async move {
            if hold {
                e.sender().send("hold", ()).map_err(|e| e.to_string())?;
                tokio::time::sleep(Duration::from_millis(150)).await;
            }
            for step in 0..steps {
                e.sender()
                    .send("progress", (step,))
                    .map_err(|e| e.to_string())?;
            }
            Ok::<_, String>(steps)
        })
        .map_err(err)?;
    let preload = with_report(
        r#"const { ipcRenderer } = require('electron');
const seen = [];
ipcRenderer.on('progress', (event, step) => seen.push(step));
ipcRenderer.on('hold', () => { location.href = 'https://example.invalid/'; });
window.addEventListener('DOMContentLoaded', async () => {
  ipcRenderer.send('mark', 1);
  const firstMarks = await ipcRenderer.invoke('marks');
  ipcRenderer.send('mark', 2);
  ipcRenderer.send('mark', 3);
  const allMarks = await ipcRenderer.invoke('marks');
  report('marks', [firstMarks, allMarks]);
  const runs = [];
  for (const [steps, hold] of [[1, false], [5, false], [300, false], [300, true]]) {
    seen.length = 0;
    const answer = await ipcRenderer.invoke('work', steps, hold);
    runs.push({ answer, seen: seen.length, inOrder: seen.every((s, i) => s === i) });
  }
  report('ordered', runs);
});
"#,
    );
    h.window("ordered", Some(&preload), &page(""))?;
    let probe = h.probe();
    Ok(Box::pin(async move {
        ensure_eq!(probe.result("marks").await?, json!([[1], [1, 2, 3]]));
        ensure_eq!(
            probe.result("ordered").await?,
            json!([
                { "answer": 1, "seen": 1, "inOrder": true },
                { "answer": 5, "seen": 5, "inOrder": true },
                { "answer": 300, "seen": 300, "inOrder": true },
                { "answer": 300, "seen": 300, "inOrder": true },
            ])
        );
        Ok(())
    }))
}

/// With inline dispatch, a handler's synchronous part runs on the GTK (main) thread,
/// and what an async handler does after its first await on the handler runtime.
fn inline_dispatch(h: &Harness) -> Result<Driver, String> {
    let ipc = h.app().ipc_main();
    ipc.set_inline_dispatch(true);
    let thread = || std::thread::current().name().unwrap_or("?").to_owned();
    ipc.handle("sync", move |_: IpcEvent| thread())
        .map_err(err)?;
    ipc.handle("async", move |_: IpcEvent| async move {
        let first = thread();
        tokio::time::sleep(Duration::from_millis(10)).await;
        vec![first, thread()]
    })
    .map_err(err)?;
    let preload = with_report(
        r#"const { ipcRenderer } = require('electron');
window.addEventListener('DOMContentLoaded', async () => {
  report('threads', { sync: await ipcRenderer.invoke('sync'), async: await ipcRenderer.invoke('async') });
});
"#,
    );
    h.window("inline", Some(&preload), &page(""))?;
    let probe = h.probe();
    Ok(Box::pin(async move {
        ensure_eq!(
            probe.result("threads").await?,
            json!({ "sync": "main", "async": ["main", "voltaic-ipc"] })
        );
        Ok(())
    }))
}

/// `ipcRenderer.sendSync` blocks the preload until a listener sets
/// `event.return_value`, now or after an await; without one it throws. The page's
/// own world, which lacks the window's token, cannot use the synchronous channel.
fn send_sync(h: &Harness) -> Result<Driver, String> {
    let ipc = h.app().ipc_main();
    ipc.on("sync-add", |e: IpcEvent, a: i64, b: i64| {
        let _ = e.set_return_value(a + b);
    });
    ipc.on("sync-later", |e: IpcEvent| async move {
        tokio::time::sleep(Duration::from_millis(50)).await;
        let _ = e.set_return_value(json!({ "later": true }));
    });
    ipc.on("sync-silent", |_: IpcEvent| {});
    let probe = h.probe();
    ipc.on("sync-record", move |e: IpcEvent| {
        probe.record("RAN sync-record");
        let _ = e.set_return_value("ran");
    });
    let preload = with_report(
        r#"const { ipcRenderer } = require('electron');
window.addEventListener('DOMContentLoaded', () => {
  const out = {};
  out.sum = ipcRenderer.sendSync('sync-add', 2, 3);
  out.later = ipcRenderer.sendSync('sync-later');
  for (const channel of ['sync-silent', 'sync-nobody']) {
    try { ipcRenderer.sendSync(channel); out[channel] = 'no error'; } catch (e) { out[channel] = e.message; }
  }
  report('sync', out);
});
"#,
    );
    let forge = r#"window.addEventListener('DOMContentLoaded', () => {
  const statuses = [];
  for (const token of [null, 'guess']) {
    const request = new XMLHttpRequest();
    request.open('POST', '/__voltaic/send-sync', false);
    if (token) request.setRequestHeader('X-Voltaic-Token', token);
    request.send(JSON.stringify({ t: 'sendSync', ch: 'sync-record', args: [] }));
    statuses.push(request.status);
  }
  report('forged', statuses);
});"#;
    h.window("sync", Some(&preload), &page(forge))?;
    let probe = h.probe();
    Ok(Box::pin(async move {
        ensure_eq!(
            probe.result("sync").await?,
            json!({
                "sum": 5,
                "later": { "later": true },
                "sync-silent": "no listener of 'sync-silent' set event.return_value",
                "sync-nobody": "No listener for 'sync-nobody'",
            })
        );
        ensure_eq!(probe.result("forged").await?, json!([403, 403]));
        probe.ensure_none("a listener run by the page's forged request", |l| {
            l == "RAN sync-record"
        })
    }))
}

/// What the storage phases store and look for, from the scenario that runs them.
const STORAGE_TOKEN: &str = "VOLTAIC_E2E_STORAGE_TOKEN";

/// A page's storage (local storage and IndexedDB) outlives its app, in the app's
/// data directory: one launch stores a value no earlier run can have stored, and
/// the next launch, a process of its own, finds it.
fn storage_kept(h: &Harness) -> Result<Driver, String> {
    let data = h.dir().join("data").display().to_string();
    let token = format!("{:016x}", fastrand::u64(..));
    let env = vec![
        (voltaic::engine::DATA_DIR_ENV, data),
        (STORAGE_TOKEN, token),
    ];
    Ok(Box::pin(async move {
        voltaic_e2e::run_phase("_storage_store", env.clone()).await?;
        voltaic_e2e::run_phase("_storage_find", env).await
    }))
}

const STORAGE_PRELOAD: &str = r#"const { contextBridge, ipcRenderer } = require('electron');
contextBridge.exposeInMainWorld('storage', {
  report: (what, value) => ipcRenderer.send('storage', what, value),
});"#;

/// Opens a page that runs `script` (with `token` and a `kept` IndexedDB opened),
/// reporting on the `storage` channel into the probe.
fn storage_page(h: &Harness, tag: &str, script: &str) -> Result<String, String> {
    let token = std::env::var(STORAGE_TOKEN).map_err(|_| format!("{STORAGE_TOKEN} is not set"))?;
    let probe = h.probe();
    h.app().ipc_main().on(
        "storage",
        move |_: IpcEvent, what: String, value: String| {
            probe.record(format!("storage:{what}:{value}"));
        },
    );
    let html = format!(
        r#"<!DOCTYPE html><script>
const token = '{token}';
const open = indexedDB.open('kept', 1);
open.onupgradeneeded = () => open.result.createObjectStore('values');
open.onerror = () => storage.report('error', String(open.error));
open.onsuccess = () => {{ const db = open.result; {script} }};
</script>"#
    );
    h.window(tag, Some(STORAGE_PRELOAD), &html)?;
    Ok(token)
}

/// The first launch: stores the token in both, and says so once IndexedDB has
/// committed it.
fn storage_store(h: &Harness) -> Result<Driver, String> {
    let token = storage_page(
        h,
        "store",
        "localStorage.setItem('kept', token);
         const tx = db.transaction('values', 'readwrite');
         tx.objectStore('values').put(token, 'kept');
         tx.oncomplete = () => storage.report('stored', localStorage.getItem('kept'));",
    )?;
    let probe = h.probe();
    Ok(Box::pin(async move {
        probe.expect(&format!("storage:stored:{token}")).await
    }))
}

/// The next launch: finds the token in both.
fn storage_find(h: &Harness) -> Result<Driver, String> {
    let token = storage_page(
        h,
        "find",
        "storage.report('local', String(localStorage.getItem('kept')));
         const get = db.transaction('values').objectStore('values').get('kept');
         get.onsuccess = () => storage.report('indexeddb', String(get.result));",
    )?;
    let probe = h.probe();
    Ok(Box::pin(async move {
        for store in ["local", "indexeddb"] {
            let prefix = format!("storage:{store}:");
            let found = probe
                .wait_for(&format!("what {store} storage holds"), |l| {
                    l.starts_with(&prefix) || l.starts_with("storage:error:")
                })
                .await?;
            ensure_eq!(found, format!("{prefix}{token}"));
        }
        Ok(())
    }))
}

/// `WebPreferences::additional_arguments` end `process.argv` in that window's
/// preload, as Electron's `additionalArguments` do; another window's preload does
/// not get them, and the page has no `process` to read them from.
fn additional_arguments(h: &Harness) -> Result<Driver, String> {
    let probe = h.probe();
    let recorder = probe.clone();
    h.app()
        .ipc_main()
        .on("argv", move |_: IpcEvent, tag: String, tail: Value| {
            recorder.record(format!("argv:{tag}:{tail}"));
        });
    let preload = r#"const { contextBridge, ipcRenderer } = require('electron');
const tail = process.argv.slice(-2);
contextBridge.exposeInMainWorld('argvTest', {
  report: (what) => ipcRenderer.send('argv', 'page-' + document.title, what),
});
window.addEventListener('DOMContentLoaded', () => ipcRenderer.send('argv', document.title, tail));"#;
    let page = |title: &str| {
        format!("<title>{title}</title><script>argvTest.report(typeof process)</script>")
    };
    let configured = WebPreferences {
        preload: Some(h.file("argv-preload.js", preload)?),
        additional_arguments: vec!["--window-config=7".into(), "with space".into()],
        ..api_prefs()
    };
    h.window_with("configured", configured, &page("configured"))?;
    let plain = WebPreferences {
        preload: Some(h.file("argv-preload.js", preload)?),
        ..api_prefs()
    };
    h.window_with("plain", plain, &page("plain"))?;
    Ok(Box::pin(async move {
        probe
            .expect(r#"argv:configured:["--window-config=7","with space"]"#)
            .await?;
        let plain = probe
            .wait_for("the plain window's argv", |l| l.starts_with("argv:plain:"))
            .await?;
        ensure!(
            !plain.contains("--window-config=7"),
            "a window without additional arguments got another's: {plain}"
        );
        // The page reads nothing of them: it has no `process`.
        probe.expect("argv:page-configured:\"undefined\"").await
    }))
}

/// A window's `close` listeners can keep it, `closed` follows an allowed close,
/// `destroy` skips `close`; the last window's going reaches `window-all-closed`
/// (so the app, which listens, stays); and `before-quit` and `will-quit` can each
/// keep the app running. Electron's order throughout.
fn lifecycle(h: &Harness) -> Result<Driver, String> {
    let probe = h.probe();
    let first = h.window("first", None, "<title>first</title>")?;
    let second = h.window("second", None, "<title>second</title>")?;
    let keep = Arc::new(AtomicUsize::new(1));
    let (record, kept) = (probe.clone(), keep.clone());
    first.on_close(move |event| {
        if kept.fetch_sub(1, Ordering::SeqCst) > 0 {
            event.prevent_default();
            record.record("first:close:prevented");
        } else {
            record.record("first:close");
        }
    });
    let record = probe.clone();
    first.on_closed(move || record.record("first:closed"));
    let record = probe.clone();
    second.on_close(move |_| record.record("second:close"));
    let record = probe.clone();
    second.on_closed(move || record.record("second:closed"));
    let app = h.app().handle();
    let record = probe.clone();
    app.on_window_all_closed(move || record.record("app:window-all-closed"));
    let (record, quits) = (probe.clone(), Arc::new(AtomicUsize::new(0)));
    app.on_before_quit(move |event| {
        // The first quit is kept here; the second goes on to will-quit.
        if quits.fetch_add(1, Ordering::SeqCst) == 0 {
            event.prevent_default();
            record.record("app:before-quit:prevented");
        } else {
            record.record("app:before-quit");
        }
    });
    let record = probe.clone();
    app.on_will_quit(move |event| {
        event.prevent_default();
        record.record("app:will-quit:prevented");
    });
    Ok(Box::pin(async move {
        let order = |lines: Vec<String>| -> Vec<String> {
            lines
                .into_iter()
                .filter(|l| {
                    l.starts_with("first:") || l.starts_with("second:") || l.starts_with("app:")
                })
                .collect()
        };
        first.close().map_err(err)?;
        probe.expect("first:close:prevented").await?;
        ensure!(
            first.is_open(),
            "a close its listener prevented closed the window"
        );
        first.close().map_err(err)?;
        probe.expect("first:closed").await?;
        ensure!(
            !first.is_open(),
            "the window still counts as open after closed"
        );
        // destroy: no `close`, straight to `closed`; the last window's going is the
        // app's to decide, and it listens.
        second.destroy().map_err(err)?;
        probe.expect("app:window-all-closed").await?;
        app.quit();
        app.quit();
        ensure_eq!(
            order(probe.lines()),
            [
                "first:close:prevented",
                "first:close",
                "first:closed",
                "second:closed",
                "app:window-all-closed",
                "app:before-quit:prevented",
                "app:before-quit",
                "app:will-quit:prevented",
            ]
        );
        // Still running: a window opens and loads.
        let again = app
            .create_window(voltaic::BrowserWindowOptions::default())
            .await
            .map_err(err)?;
        again.load_html("<title>again</title>").map_err(err)?;
        ensure!(
            again.is_open(),
            "the app stopped although quitting was prevented"
        );
        Ok(())
    }))
}

/// Electron's IPC tutorial, pattern 1 (renderer to main): the page sends a title,
/// the handler finds the sender's window with `from_web_contents` and sets it.
fn set_title(h: &Harness) -> Result<Driver, String> {
    let handle = h.app().handle();
    let probe = h.probe();
    let (record, app) = (probe.clone(), handle.clone());
    h.app()
        .ipc_main()
        .on("set-title", move |event: IpcEvent, title: String| {
            match BrowserWindow::from_web_contents(&app, event.sender()) {
                Some(window) => match window.set_title(&title) {
                    Ok(()) => record.record(format!("set-title:{title}")),
                    Err(error) => record.record(format!("set-title failed: {error}")),
                },
                None => record.record("set-title: no window for the sender"),
            }
        });
    let preload = r#"const { contextBridge, ipcRenderer } = require('electron');
contextBridge.exposeInMainWorld('electronAPI', {
  setTitle: (title) => ipcRenderer.send('set-title', title),
  onClick: (callback) => ipcRenderer.on('click', () => callback()),
  onRetitle: (callback) => ipcRenderer.on('retitle', () => callback()),
});"#;
    // The page's own title comes first (the window follows it), then the user's
    // click sets another, as in the tutorial.
    let window = h.window(
        "title",
        Some(preload),
        "<title>before</title><script>electronAPI.onClick(() => electronAPI.setTitle('My window'));
electronAPI.onRetitle(() => { document.title = 'kept out'; })</script>",
    )?;
    let record = probe.clone();
    window.on_page_title_updated(move |event, title| {
        record.record(format!("page-title:{title}"));
        if title == "kept out" {
            event.prevent_default();
        }
    });
    let chromium = h.app().handle().engine_info().name == "Chromium";
    Ok(Box::pin(async move {
        probe.expect("page-title:before").await?;
        ensure_eq!(window.get_title().await.map_err(err)?, "before");
        window.web_contents().send("click", ()).map_err(err)?;
        probe.expect("set-title:My window").await?;
        // Applied on the engine's thread, after the op; asked there in turn.
        let title = window.get_title().await.map_err(err)?;
        ensure_eq!(title, "My window");
        // A prevented page-title-updated keeps the native title, except in
        // Chromium's --app window, which shows its page's title regardless.
        window.web_contents().send("retitle", ()).map_err(err)?;
        probe.expect("page-title:kept out").await?;
        let title = window.get_title().await.map_err(err)?;
        ensure_eq!(title, if chromium { "kept out" } else { "My window" });
        Ok(())
    }))
}

/// A load's page events, in Electron's order: `did-start-loading`,
/// `did-navigate` (with the app's origin named `app://localhost`), `dom-ready`,
/// `did-finish-load`, `did-stop-loading`, for a load the main process asks for.
fn page_events(h: &Harness) -> Result<Driver, String> {
    let probe = h.probe();
    let window = h.window("events-first", None, "<title>first</title>")?;
    let record = probe.clone();
    window.on_page_event(move |event| {
        let line = match event {
            voltaic::PageEvent::DidStartLoading => "page:did-start-loading".to_owned(),
            voltaic::PageEvent::DidNavigate { url } => {
                // The scratch directory's name differs from run to run.
                let page = url.rsplit('/').next().unwrap_or_default();
                format!(
                    "page:did-navigate:{}:{page}",
                    url.split('/').take(3).collect::<Vec<_>>().join("/")
                )
            }
            voltaic::PageEvent::DomReady => "page:dom-ready".to_owned(),
            voltaic::PageEvent::DidFinishLoad => "page:did-finish-load".to_owned(),
            voltaic::PageEvent::DidStopLoading => "page:did-stop-loading".to_owned(),
            other => format!("page:{other:?}"),
        };
        record.record(line);
    });
    let second = h.file("events-second.html", "<title>second</title><p>second</p>")?;
    Ok(Box::pin(async move {
        // The first page's load, whose start may have come before the listener.
        probe.expect("page:did-stop-loading").await?;
        let before = probe.lines().len();
        window.load_file(&second).map_err(err)?;
        poll_until("the second load's events", || {
            probe.lines()[before..]
                .iter()
                .any(|l| l == "page:did-stop-loading")
        })
        .await?;
        let events: Vec<String> = probe.lines()[before..]
            .iter()
            .filter(|l| l.starts_with("page:"))
            .cloned()
            .collect();
        ensure_eq!(
            events,
            [
                "page:did-start-loading",
                "page:did-navigate:app://localhost:events-second.html",
                "page:dom-ready",
                "page:did-finish-load",
                "page:did-stop-loading",
            ]
        );
        Ok(())
    }))
}

/// `WebPreferences::cross_origin_isolation`: the window's `app://` pages are
/// `crossOriginIsolated`, share a `SharedArrayBuffer` with a worker (which writes
/// into it), and read a clock finer than the 1 ms an unisolated WebKit page gets.
/// A window that does not opt in stays as it was, and the security report says
/// which is which.
fn cross_origin_isolation(h: &Harness) -> Result<Driver, String> {
    let probe = h.probe();
    h.file(
        "coi-worker.js",
        "onmessage = (e) => { Atomics.store(new Int32Array(e.data), 0, 42); postMessage('stored'); };",
    )?;
    // The smallest step the clock takes, over a bounded number of reads: a step is
    // the clock's resolution however slow the machine is.
    let script = |tag: &str| {
        format!(
            r#"let step = Infinity, last = performance.now();
for (let i = 0; i < 2000000 && step === Infinity || i < 20000; i++) {{
  const now = performance.now();
  if (now > last) {{ step = Math.min(step, now - last); last = now; }}
}}
const out = {{ isolated: self.crossOriginIsolated, sab: typeof SharedArrayBuffer, fine: step < 0.5 }};
if (typeof SharedArrayBuffer === 'function') {{
  const memory = new SharedArrayBuffer(4);
  const worker = new Worker('coi-worker.js');
  worker.onmessage = () => {{ out.shared = Atomics.load(new Int32Array(memory), 0); report('{tag}', out); }};
  worker.onerror = (e) => report('{tag}', {{ ...out, workerError: String(e.message) }});
  worker.postMessage(memory);
}} else {{
  report('{tag}', out);
}}"#
        )
    };
    // The isolated page's IPC, bytes and sendSync included, is the app's own.
    let record = probe.clone();
    h.app()
        .ipc_main()
        .on("coi-send", move |event: IpcEvent, bytes: voltaic::Bytes| {
            record.record(format!(
                "coi-send:{}:{}",
                event.sender_frame().origin(),
                bytes.len()
            ));
        });
    h.app()
        .ipc_main()
        .handle("coi-invoke", |event: IpcEvent| async move {
            Ok::<_, String>(event.sender_frame().origin().to_owned())
        })
        .map_err(err)?;
    h.app().ipc_main().on("coi-sync", |event: IpcEvent| {
        event.set_return_value("synced")
    });
    let preload = r#"const { contextBridge, ipcRenderer } = require('electron');
contextBridge.exposeInMainWorld('coi', {
  send: () => ipcRenderer.send('coi-send', new Uint8Array(70000)),
  invoke: () => ipcRenderer.invoke('coi-invoke'),
  sync: () => ipcRenderer.sendSync('coi-sync'),
});"#;
    let isolated = WebPreferences {
        cross_origin_isolation: true,
        preload: Some(h.file("coi-preload.js", preload)?),
        ..api_prefs()
    };
    let ipc = "coi.send(); coi.invoke().then((origin) => report('ipc', [origin, coi.sync()]));";
    let engine = h.app().handle().engine_info().name;
    let opened = h.window_with(
        "isolated",
        isolated,
        &page(&format!("{}\n{ipc}", script("isolated"))),
    );
    h.window_with("plain", api_prefs(), &page(&script("plain")))?;
    let report = h.app().security_report().to_string();
    Ok(Box::pin(async move {
        opened?;
        let isolated = probe.result("isolated").await?;
        ensure_eq!(
            isolated,
            json!({ "isolated": true, "sab": "function", "fine": true, "shared": 42 })
        );
        ensure_eq!(
            probe.result("ipc").await?,
            json!(["app://localhost", "synced"])
        );
        probe.expect("coi-send:app://localhost:70000").await?;
        let plain = probe.result("plain").await?;
        ensure_eq!(plain["isolated"], json!(false));
        // WebKitGTK's SharedArrayBuffer switch is for the whole app: a window
        // opened after an isolated one has it too, and the report says so.
        let app_wide = engine == "WebKitGTK";
        ensure_eq!(
            plain["sab"],
            json!(if app_wide { "function" } else { "undefined" })
        );
        ensure!(
            report.contains("[WEAKENED] cross-origin isolation") == app_wide,
            "the report does not say whether isolation is app-wide:\n{report}"
        );
        ensure!(
            report.contains("cross-origin isolation   on:")
                && report.contains("cross-origin isolation   off"),
            "the security report does not show each window's isolation:\n{report}"
        );
        Ok(())
    }))
}

/// Runs `_window_state` on a display of its own with a window manager, which
/// maximizing, full screen and focus need.
fn window_state(_: &Harness) -> Result<Driver, String> {
    Ok(Box::pin(voltaic_e2e::run_phase_managed("_window_state")))
}

/// The `BrowserWindow` methods and events under Electron's names, each change
/// answered by its event and read back with `state()`: ready-to-show (and show,
/// for a window made hidden), focus and blur between two windows, `blur()`,
/// maximize and
/// unmaximize, full screen, content size, position, minimize and restore; and
/// page-title-updated, whose prevention keeps the native title where the engine
/// lets it.
fn window_state_phase(h: &Harness) -> Result<Driver, String> {
    let probe = h.probe();
    let chromium = h.app().handle().engine_info().name == "Chromium";
    let record = |tag: &'static str, window: &BrowserWindow| {
        let probe = probe.clone();
        window.on_window_event(move |event| probe.record(format!("{tag}:{}", event.name())));
    };
    let prefs = api_prefs();
    let options = |title: &str, show: bool| BrowserWindowOptions {
        title: title.into(),
        // Above the smallest window Chromium makes under a window manager.
        width: 560,
        height: 400,
        show,
        web_preferences: prefs.clone(),
        ..Default::default()
    };
    // A hidden window, shown once ready, as Electron advises; Chromium's --app
    // windows cannot be hidden, and say so.
    let first = BrowserWindow::new(h.app(), options("first", chromium)).map_err(err)?;
    record("first", &first);
    let shower = first.clone();
    first.on_window_event(move |event| {
        if *event == voltaic::WindowEvent::ReadyToShow {
            let _ = shower.show();
        }
    });
    let titles = probe.clone();
    first.on_page_title_updated(move |event, title| {
        titles.record(format!("first:page-title-updated:{title}"));
        if title == "kept out" {
            event.prevent_default();
        }
    });
    first
        .load_file(h.file("state-first.html", "<title>first page</title><p>first</p>")?)
        .map_err(err)?;
    let second = BrowserWindow::new(h.app(), options("second", true)).map_err(err)?;
    record("second", &second);
    second
        .load_file(h.file("state-second.html", "<p>second</p>")?)
        .map_err(err)?;
    let hidden = if chromium {
        Some(BrowserWindow::new(h.app(), options("hidden", false)).map(|_| ()))
    } else {
        None
    };
    let app = h.app().handle();
    Ok(Box::pin(async move {
        if let Some(refused) = hidden {
            let error = refused.err().map(|e| e.to_string()).unwrap_or_default();
            ensure!(
                error.contains("Chromium windows do not support `hide`"),
                "a hidden window on Chromium was not refused clearly: {error:?}"
            );
        }
        let shown = probe.expect_after(0, "first:ready-to-show").await?;
        if !chromium {
            probe.expect_after(shown, "first:show").await?;
        }
        probe.expect_after(0, "second:ready-to-show").await?;
        let state = |window: &BrowserWindow| window.state();
        // Focus moves from one window to the other, and back: one window's blur
        // and the other's focus, in whichever order the two windows hear of it.
        // It starts on the first, wherever the window manager put it.
        first.focus().map_err(err)?;
        poll_state(&first, "the focus", |s| s.focused).await?;
        let mut at = probe.lines().len();
        second.focus().map_err(err)?;
        let focused = probe.expect_after(at, "second:focus").await?;
        at = focused.max(probe.expect_after(at, "first:blur").await?);
        first.focus().map_err(err)?;
        let focused = probe.expect_after(at, "first:focus").await?;
        at = focused.max(probe.expect_after(at, "second:blur").await?);
        ensure!(
            state(&first).await.map_err(err)?.focused,
            "focus() did not focus"
        );
        ensure_eq!(app.get_focused_window().map(|w| w.id()), Some(first.id()));
        // blur(), as Electron's on X11: not focused until focused again.
        match first.blur() {
            Ok(()) => {
                ensure!(!chromium, "Chromium took a blur it cannot carry out");
                at = probe.expect_after(at, "first:blur").await?;
                ensure!(
                    !state(&first).await.map_err(err)?.focused,
                    "blur() left it focused"
                );
                ensure_eq!(app.get_focused_window().map(|w| w.id()), None);
                first.focus().map_err(err)?;
                at = probe.expect_after(at, "first:focus").await?;
                ensure!(
                    state(&first).await.map_err(err)?.focused,
                    "focus() after blur() did not focus"
                );
            }
            Err(error) => ensure!(
                chromium && error.to_string().contains("do not support `blur`"),
                "blur() was refused: {error}"
            ),
        }
        first.maximize().map_err(err)?;
        at = probe.expect_after(at, "first:maximize").await?;
        ensure!(state(&first).await.map_err(err)?.maximized, "not maximized");
        first.unmaximize().map_err(err)?;
        at = probe.expect_after(at, "first:unmaximize").await?;
        first.set_full_screen(true).map_err(err)?;
        at = probe.expect_after(at, "first:enter-full-screen").await?;
        ensure!(
            state(&first).await.map_err(err)?.full_screen,
            "not in full screen"
        );
        first.set_full_screen(false).map_err(err)?;
        at = probe.expect_after(at, "first:leave-full-screen").await?;
        first.set_content_size(620, 450).map_err(err)?;
        at = probe.expect_after(at, "first:resize").await?;
        poll_state(&first, "the content size 620x450", |s| {
            s.content_size == (620, 450)
        })
        .await?;
        first.set_position(40, 60).map_err(err)?;
        probe.expect_after(at, "first:move").await?;
        poll_state(&first, "the position 40,60", |s| {
            (s.bounds.x, s.bounds.y) == (40, 60)
        })
        .await?;
        first.minimize().map_err(err)?;
        at = probe.expect_after(at, "first:minimize").await?;
        first.restore().map_err(err)?;
        at = probe.expect_after(at, "first:restore").await?;
        let bounds = voltaic::Rectangle {
            x: 80,
            y: 90,
            width: 700,
            height: 560,
        };
        first.set_bounds(bounds).map_err(err)?;
        poll_state(&first, "the bounds asked for", |s| s.bounds == bounds).await?;
        // The middle of the screen (Xvfb's is 1280x1024), less what panels take.
        first.center().map_err(err)?;
        poll_state(&first, "a centred position", |s| {
            let middle = |start: i32, size: u32, screen: i32| {
                (start + i32::try_from(size).unwrap_or(0) / 2 - screen / 2).abs() <= 40
            };
            middle(s.bounds.x, s.bounds.width, 1280) && middle(s.bounds.y, s.bounds.height, 1024)
        })
        .await?;
        if !chromium {
            first.hide().map_err(err)?;
            at = probe.expect_after(at, "first:hide").await?;
            ensure!(
                !state(&first).await.map_err(err)?.visible,
                "hide() left it visible"
            );
            first.show().map_err(err)?;
            probe.expect_after(at, "first:show").await?;
        }
        // The page's title: the native title follows it, unless prevented (which
        // Chromium's --app window cannot honour: it shows its page's title).
        probe
            .expect_after(0, "first:page-title-updated:first page")
            .await?;
        ensure_eq!(first.get_title().await.map_err(err)?, "first page");
        Ok(())
    }))
}

/// Waits until `window`'s state satisfies `done`: the window manager applies a
/// change after the event that announces it, in its own time.
async fn poll_state(
    window: &BrowserWindow,
    what: &str,
    done: impl Fn(&voltaic::WindowState) -> bool,
) -> Result<(), String> {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        // A reading can fail while the page changes documents: read again.
        let state = window.state().await;
        if state.as_ref().is_ok_and(&done) {
            return Ok(());
        }
        if Instant::now() > deadline {
            return Err(format!("the window never had {what}: {state:?}"));
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// What one window's `webContents` says, heard on that window only:
/// `console-message`, `did-fail-load` (between `did-start-loading` and
/// `did-stop-loading`, with no `did-navigate` or `did-finish-load`), and
/// `render-process-gone`; and `when_ready`, which resolves once the app runs.
fn per_window_events(h: &Harness) -> Result<Driver, String> {
    let probe = h.probe();
    let app = h.app().handle();
    let ready = probe.clone();
    let waiting = app.when_ready();
    h.app().spawn(async move {
        waiting.await;
        ready.record("app:ready");
    });
    let first = h.window("first", None, "<script>console.log('from first')</script>")?;
    let second = h.window(
        "second",
        None,
        "<script>console.log('from second')</script>",
    )?;
    for (tag, window) in [("first", &first), ("second", &second)] {
        let record = probe.clone();
        window.on_console_message(move |message| {
            record.record(format!("{tag}-console:{}", message.text));
        });
        let record = probe.clone();
        window
            .on_render_process_gone(move |reason| record.record(format!("{tag}-gone:{reason:?}")));
    }
    let record = probe.clone();
    first.on_page_event(move |event| {
        let line = match event {
            voltaic::PageEvent::DidFailLoad { url, description } => {
                format!("first-page:did-fail-load:{url}:{}", !description.is_empty())
            }
            other => format!("first-page:{other:?}"),
        };
        record.record(line);
    });
    Ok(Box::pin(async move {
        probe.expect("app:ready").await?;
        ensure!(
            app.is_ready(),
            "when_ready resolved before the app was ready"
        );
        probe.expect("first-console:from first").await?;
        probe.expect("second-console:from second").await?;
        probe.ensure_none("a window hearing another's console", |l| {
            l == "first-console:from second" || l == "second-console:from first"
        })?;
        // A loopback port just let go of: nothing listens there, and the
        // connection is refused (the low ports browsers block would not be tried).
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|listener| listener.local_addr())
            .map_err(err)?
            .port();
        let nothing = format!("http://127.0.0.1:{port}/nothing");
        probe.expect("first-page:DidStopLoading").await?;
        let from = probe.lines().len();
        first.load_url(&nothing).map_err(err)?;
        let stopped = probe
            .expect_after(from, "first-page:DidStopLoading")
            .await?;
        let events: Vec<String> = probe.lines()[from..=stopped]
            .iter()
            .filter(|l| l.starts_with("first-page:"))
            .cloned()
            .collect();
        ensure_eq!(
            events,
            [
                "first-page:DidStartLoading",
                &format!("first-page:did-fail-load:{nothing}:true"),
                "first-page:DidStopLoading",
            ]
        );
        second.force_crash_renderer().map_err(err)?;
        probe.expect("second-gone:Killed").await?;
        probe.ensure_none("a window hearing another's renderer go", |l| {
            l.starts_with("first-gone:")
        })?;
        Ok(())
    }))
}

/// The IPC tutorial example (`examples/ipc-tutorial`) as it ships, with its file
/// dialog replaced through its seam, driven through its page's own buttons:
/// set-title (renderer to main), the dialog's path back to the page (renderer to
/// main and back), and the menu's clicks counted by the page, which answers (main
/// to renderer and back). The menu's clicks go to the same function muda's
/// handler calls.
fn ipc_tutorial_example(h: &Harness) -> Result<Driver, String> {
    struct Picked(voltaic_e2e::Probe);
    impl ipc_tutorial::FileDialog for Picked {
        fn pick_file(&self) -> ipc_tutorial::Picked {
            self.0.record("dialog:shown");
            Box::pin(async { Some(std::path::PathBuf::from("/tmp/picked.txt")) })
        }
    }
    let probe = h.probe();
    let record = probe.clone();
    h.app()
        .ipc_main()
        .on("counter-value", move |_: IpcEvent, value: i64| {
            record.record(format!("counter-value:{value}"));
        });
    let tutorial = ipc_tutorial::open(h.app(), Arc::new(Picked(probe.clone()))).map_err(err)?;
    let window = tutorial.window;
    // The app's menu: shown where the engine has menu bars, refused on Chromium.
    let menu = h.app().handle().set_application_menu(muda::Menu::new);
    let chromium = h.app().handle().engine_info().name == "Chromium";
    ensure!(
        menu.is_ok() != chromium,
        "set_application_menu on {}: {menu:?}",
        h.app().handle().engine_info().name
    );
    Ok(Box::pin(async move {
        let run = |code: &'static str| window.execute_javascript(code);
        poll_script(
            &window,
            "document.getElementById('counter') !== null",
            json!(true),
        )
        .await?;
        // 1. The page's button sends the title; the handler sets it.
        run(
            "document.getElementById('title').value = 'Tutorial title'; \
             document.getElementById('set-title').click()",
        )
        .await
        .map_err(err)?;
        let deadline = Instant::now() + Duration::from_secs(20);
        while window.get_title().await.map_err(err)? != "Tutorial title" {
            ensure!(
                Instant::now() < deadline,
                "set-title never reached the window's title"
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        // 2. The dialog (replaced) answers the page's invoke.
        run("document.getElementById('open-file').click()")
            .await
            .map_err(err)?;
        probe.expect("dialog:shown").await?;
        poll_script(
            &window,
            "document.getElementById('file-path').innerText",
            json!("/tmp/picked.txt"),
        )
        .await?;
        // 3. The menu: up, up, down; the page answers each with its count.
        let contents = window.web_contents().clone();
        let at = probe.lines().len();
        for id in [
            ipc_tutorial::INCREMENT,
            ipc_tutorial::INCREMENT,
            ipc_tutorial::DECREMENT,
        ] {
            let click = muda::MenuEvent {
                id: muda::MenuId::new(id),
            };
            ipc_tutorial::menu_clicked(&contents, &click);
        }
        let at = probe.expect_after(at, "counter-value:1").await?;
        let at = probe.expect_after(at, "counter-value:2").await?;
        probe.expect_after(at, "counter-value:1").await?;
        ensure_eq!(
            run("document.getElementById('counter').innerText")
                .await
                .map_err(err)?,
            json!("1")
        );
        // A script that throws is an error with its message.
        let thrown = run("throw new Error('on purpose')").await;
        ensure!(
            matches!(&thrown, Err(Error::Script(message)) if message.contains("on purpose")),
            "a throwing script gave {thrown:?}"
        );
        Ok(())
    }))
}

/// Waits until `code` run in `window`'s page gives `expected`.
async fn poll_script(window: &BrowserWindow, code: &str, expected: Value) -> Result<(), String> {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let got = window.execute_javascript(code).await;
        if got.as_ref().ok() == Some(&expected) {
            return Ok(());
        }
        if Instant::now() > deadline {
            return Err(format!("`{code}` never gave {expected}: last {got:?}"));
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

const SINGLE_TOKEN: &str = "VOLTAIC_E2E_SINGLE_TOKEN";

/// Two launches of one app (one data directory): the first takes the
/// single-instance lock and hears the second, with its command line, working
/// directory and data; the second is told to quit.
fn single_instance(h: &Harness) -> Result<Driver, String> {
    let env = vec![
        (
            voltaic::engine::DATA_DIR_ENV,
            h.dir().join("single").display().to_string(),
        ),
        (SINGLE_TOKEN, format!("{:016x}", fastrand::u64(..))),
    ];
    Ok(Box::pin(voltaic_e2e::run_phase("_single_first", env)))
}

fn single_first(h: &Harness) -> Result<Driver, String> {
    let token = std::env::var(SINGLE_TOKEN).map_err(|_| format!("{SINGLE_TOKEN} is not set"))?;
    let probe = h.probe();
    let app = h.app().handle();
    let record = probe.clone();
    app.on_second_instance(move |second| {
        record.record(format!(
            "second-instance:{}:{}:{}",
            second.additional_data,
            second.argv.len(),
            second.working_directory.is_absolute()
        ));
    });
    let held = app
        .request_single_instance_lock(json!("first"))
        .map_err(err)?;
    ensure!(held, "the first instance did not get the lock");
    let env = vec![
        (
            voltaic::engine::DATA_DIR_ENV,
            std::env::var(voltaic::engine::DATA_DIR_ENV).map_err(err)?,
        ),
        (SINGLE_TOKEN, token.clone()),
    ];
    h.window("single", None, "<title>single</title>")?;
    Ok(Box::pin(async move {
        voltaic_e2e::run_phase("_single_second", env).await?;
        probe
            .expect(&format!("second-instance:\"{token}\":1:true"))
            .await
    }))
}

fn single_second(h: &Harness) -> Result<Driver, String> {
    let token = std::env::var(SINGLE_TOKEN).map_err(|_| format!("{SINGLE_TOKEN} is not set"))?;
    let held = h
        .app()
        .handle()
        .request_single_instance_lock(json!(token))
        .map_err(err)?;
    ensure!(!held, "a second instance got the lock the first holds");
    h.window("second", None, "<title>second</title>")?;
    Ok(Box::pin(async { Ok(()) }))
}

fn window_options(_: &Harness) -> Result<Driver, String> {
    Ok(Box::pin(voltaic_e2e::run_phase_managed("_window_options")))
}

/// The window options, read back from the window manager's windows: a position,
/// a frameless window (its bounds are its content) beside a framed one, a
/// minimum size that a smaller size asked for does not go below, a window the
/// user cannot resize, and a parent that must be open. What an engine cannot
/// give is refused, naming the option.
fn window_options_phase(h: &Harness) -> Result<Driver, String> {
    let chromium = h.app().handle().engine_info().name == "Chromium";
    let options = |title: &str| BrowserWindowOptions {
        title: title.into(),
        width: 560,
        height: 400,
        web_preferences: api_prefs(),
        ..Default::default()
    };
    let open = |options: BrowserWindowOptions| -> Result<BrowserWindow, Error> {
        let window = BrowserWindow::new(h.app(), options)?;
        window.load_html("<p>options</p>")?;
        Ok(window)
    };
    let placed = open(BrowserWindowOptions {
        x: Some(30),
        y: Some(50),
        ..options("placed")
    })
    .map_err(err)?;
    let refused_parent = open(BrowserWindowOptions {
        parent: Some(9999),
        ..options("orphan")
    })
    .err()
    .map(|e| e.to_string())
    .unwrap_or_default();
    ensure!(
        refused_parent.contains("parent window 9999 is not open"),
        "a parent that is not open was not refused: {refused_parent:?}"
    );
    let frameless = open(BrowserWindowOptions {
        frame: false,
        ..options("frameless")
    });
    let small = open(BrowserWindowOptions {
        min_size: Some((500, 350)),
        ..options("small")
    });
    let fixed = open(BrowserWindowOptions {
        resizable: false,
        ..options("fixed")
    });
    let child = open(BrowserWindowOptions {
        parent: Some(placed.id()),
        ..options("child")
    });
    Ok(Box::pin(async move {
        poll_state(&placed, "the position 30,50", |s| {
            (s.bounds.x, s.bounds.y) == (30, 50)
        })
        .await?;
        if chromium {
            for (refused, what) in [
                (frameless.err(), "frame"),
                (small.err(), "setMinimumSize"),
                (fixed.err(), "setResizable"),
                (child.err(), "parent"),
            ] {
                let message = refused.map(|e| e.to_string()).unwrap_or_default();
                ensure!(
                    message.contains(&format!("Chromium windows do not support `{what}`")),
                    "{what} was not refused clearly on Chromium: {message:?}"
                );
            }
            return Ok(());
        }
        let (frameless, small, fixed, _child) = (
            frameless.map_err(err)?,
            small.map_err(err)?,
            fixed.map_err(err)?,
            child.map_err(err)?,
        );
        // The window manager frames the one and not the other.
        poll_state(&placed, "a frame", |s| s.bounds.height > s.content_size.1).await?;
        poll_state(&frameless, "no frame", |s| {
            s.visible && (s.bounds.width, s.bounds.height) == s.content_size
        })
        .await?;
        small.set_content_size(200, 150).map_err(err)?;
        poll_state(&small, "its minimum size", |s| s.content_size == (500, 350)).await?;
        ensure!(
            !fixed.state().await.map_err(err)?.resizable,
            "resizable: false was not kept"
        );
        Ok(())
    }))
}
