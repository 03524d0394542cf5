//! Nothing posted to a port is lost: every message posted before a close arrives,
//! in order, exactly once, and then the other end hears `close` (Electron's
//! `MessagePort` and `MessagePortMain` references, and the message-ports tutorial's
//! shapes: reply streams, ports in the main world, ports inside port messages,
//! ports between two windows, ports sent to a document that is still loading).

use std::sync::{Arc, Mutex};

use serde_json::{json, Value};
use voltaic::{IpcEvent, MessageChannelMain, MessagePortMain};
use voltaic_e2e::{ensure_eq, Driver, Harness, Probe, REPORT_JS};

use crate::windows;

/// JavaScript that counts what arrives on a port: `watchPort(port, name)` reports
/// `name` once `close` comes, with the count, whether the messages were 0, 1, 2, ...
/// in order, and how many `close` events and `onclose` calls there were (and
/// anything that arrived after them).
const WATCH_JS: &str = "function watchPort(port, name) {\n\
   const got = []; let events = 0; let calls = 0; let late = 0;\n\
   port.onmessage = (e) => { if (events + calls > 0) late++; got.push(e.data); };\n\
   port.addEventListener('close', () => { events++; });\n\
   port.onclose = () => {\n\
     calls++;\n\
     setTimeout(() => report(name, { n: got.length, ordered: got.every((v, i) => v === i), events, calls, late }), 0);\n\
   };\n\
 }\n";

/// What `watchPort` reports for `n` messages that all arrived, then one close.
fn all_then_close(n: usize) -> Value {
    json!({ "n": n, "ordered": true, "events": 1, "calls": 1, "late": 0 })
}

/// Records what arrives on a main-process port: `<name> <count> <ordered>` on close.
fn watch_main(port: &MessagePortMain, probe: Probe, name: &'static str) {
    let got: Arc<Mutex<Vec<f64>>> = Arc::default();
    let sink = got.clone();
    port.on_message(move |message| {
        let value = message.data.deserialize_into::<f64>().unwrap_or(-1.0);
        sink.lock().unwrap_or_else(|e| e.into_inner()).push(value);
    });
    port.on_close(move || {
        let got = got.lock().unwrap_or_else(|e| e.into_inner());
        let ordered = got.iter().enumerate().all(|(i, v)| *v == i as f64);
        probe.record(format!("{name} {} {ordered}", got.len()));
    });
    port.start();
}

fn page(script: &str) -> String {
    format!(
        "<!DOCTYPE html><html><head><script>{REPORT_JS}{WATCH_JS}{script}</script></head><body>ports</body></html>"
    )
}

/// The reply stream the issue was found with, in the shape of Electron's
/// message-ports tutorial: the preload keeps `port1` and sends `port2`; the main
/// process posts `count` messages on it and closes it straight after.
fn stream_from_main(h: &Harness, count: usize) -> Result<Driver, String> {
    h.app()
        .ipc_main()
        .on("give-me-a-stream", |event: IpcEvent, request: Value| {
            let Some(port) = event.ports().first().cloned() else {
                return;
            };
            for i in 0..request["count"].as_u64().unwrap_or(0) {
                let _ = port.post_message(i);
            }
            port.close();
        });
    let preload = format!(
        "{REPORT_JS}{WATCH_JS}const {{ ipcRenderer }} = require('electron');\n\
         const {{ port1, port2 }} = new MessageChannel();\n\
         watchPort(port1, 'stream');\n\
         ipcRenderer.postMessage('give-me-a-stream', {{ element: 'list', count: {count} }}, [port2]);\n"
    );
    h.window("stream", Some(&preload), &page(""))?;
    let probe = h.probe();
    Ok(Box::pin(async move {
        ensure_eq!(probe.result("stream").await?, all_then_close(count));
        Ok(())
    }))
}

pub(crate) fn port_stream_of_1_from_main_then_close(h: &Harness) -> Result<Driver, String> {
    stream_from_main(h, 1)
}

pub(crate) fn port_stream_of_10_from_main_then_close(h: &Harness) -> Result<Driver, String> {
    stream_from_main(h, 10)
}

pub(crate) fn port_stream_of_10000_from_main_then_close(h: &Harness) -> Result<Driver, String> {
    stream_from_main(h, 10_000)
}

/// The other direction: the preload posts `count` messages on the end it kept and
/// closes it at once; the main process gets all of them, then `close`.
fn stream_from_renderer(h: &Harness, count: usize) -> Result<Driver, String> {
    let probe = h.probe();
    h.app()
        .ipc_main()
        .on("take-my-stream", move |event: IpcEvent| {
            if let Some(port) = event.ports().first() {
                watch_main(port, probe.clone(), "main got");
            }
        });
    let preload = format!(
        "const {{ ipcRenderer }} = require('electron');\n\
         const {{ port1, port2 }} = new MessageChannel();\n\
         ipcRenderer.postMessage('take-my-stream', null, [port2]);\n\
         for (let i = 0; i < {count}; i++) port1.postMessage(i);\n\
         port1.close();\n"
    );
    h.window("stream", Some(&preload), &page(""))?;
    let probe = h.probe();
    Ok(Box::pin(async move {
        probe.expect(&format!("main got {count} true")).await
    }))
}

pub(crate) fn port_stream_of_1_from_the_renderer_then_close(h: &Harness) -> Result<Driver, String> {
    stream_from_renderer(h, 1)
}

pub(crate) fn port_stream_of_10_from_the_renderer_then_close(
    h: &Harness,
) -> Result<Driver, String> {
    stream_from_renderer(h, 10)
}

pub(crate) fn port_stream_of_10000_from_the_renderer_then_close(
    h: &Harness,
) -> Result<Driver, String> {
    stream_from_renderer(h, 10_000)
}

/// The preload of Electron's "communicating directly between the main process and
/// the main world of a context-isolated page", as the tutorial writes it.
const MAIN_WORLD_PRELOAD: &str = "const { ipcRenderer } = require('electron');\n\
const windowLoaded = new Promise((resolve) => { window.onload = resolve; });\n\
ipcRenderer.on('main-world-port', async (event) => {\n\
  await windowLoaded;\n\
  window.postMessage('main-world-port', '*', event.ports);\n\
});\n\
window.addEventListener('DOMContentLoaded', () => ipcRenderer.send('ready'));\n";

/// The page's side of that tutorial: the port arrives on `window.onmessage`.
fn main_world_page(then: &str) -> String {
    page(&format!(
        "window.onmessage = (event) => {{\n\
           if (event.source === window && event.data === 'main-world-port') {{\n\
             const [port] = event.ports;\n\
             {then}\n\
           }}\n\
         }};\n"
    ))
}

/// The main process streams to a port the preload handed to the page, and closes
/// it: the page gets every message, then `close`.
pub(crate) fn port_in_the_main_world_hears_main_close_after_its_messages(
    h: &Harness,
) -> Result<Driver, String> {
    h.app().ipc_main().on("ready", |event: IpcEvent| {
        let MessageChannelMain { port1, port2 } = MessageChannelMain::new();
        let _ = event
            .sender()
            .post_message("main-world-port", (), vec![port2]);
        for i in 0..100 {
            let _ = port1.post_message(i);
        }
        port1.close();
    });
    h.window(
        "main-world",
        Some(MAIN_WORLD_PRELOAD),
        &main_world_page("watchPort(port, 'page');"),
    )?;
    let probe = h.probe();
    Ok(Box::pin(async move {
        ensure_eq!(probe.result("page").await?, all_then_close(100));
        Ok(())
    }))
}

/// The page posts on the port the preload handed it and closes it at once: the main
/// process gets every message, then `close`.
pub(crate) fn port_closed_in_the_main_world_reaches_main_after_its_messages(
    h: &Harness,
) -> Result<Driver, String> {
    let probe = h.probe();
    h.app().ipc_main().on("ready", move |event: IpcEvent| {
        let MessageChannelMain { port1, port2 } = MessageChannelMain::new();
        watch_main(&port1, probe.clone(), "main got");
        let _ = event
            .sender()
            .post_message("main-world-port", (), vec![port2]);
    });
    h.window(
        "main-world",
        Some(MAIN_WORLD_PRELOAD),
        &main_world_page(
            "port.start(); for (let i = 0; i < 100; i++) port.postMessage(i); port.close();",
        ),
    )?;
    let probe = h.probe();
    Ok(Box::pin(
        async move { probe.expect("main got 100 true").await },
    ))
}

/// Ports inside port messages, both ways: the main process posts a port on a port
/// it sent, streams on it and closes it; the preload posts a port of its own back
/// the same way, streams on the end it kept and closes it.
pub(crate) fn port_inside_a_port_message_closes_after_its_messages(
    h: &Harness,
) -> Result<Driver, String> {
    let probe = h.probe();
    h.app().ipc_main().on("ready", move |event: IpcEvent| {
        let carrier = MessageChannelMain::new();
        let inner = MessageChannelMain::new();
        let probe = probe.clone();
        carrier.port1.on_message(move |message| {
            if let Some(port) = message.ports.first() {
                watch_main(port, probe.clone(), "main got");
            }
        });
        carrier.port1.start();
        let _ = event
            .sender()
            .post_message("carrier", (), vec![carrier.port2]);
        let _ = carrier.port1.post_message_with("inner", vec![inner.port2]);
        for i in 0..50 {
            let _ = inner.port1.post_message(i);
        }
        inner.port1.close();
    });
    let preload = format!(
        "{REPORT_JS}{WATCH_JS}const {{ ipcRenderer }} = require('electron');\n\
         ipcRenderer.on('carrier', (event) => {{\n\
           const [carrier] = event.ports;\n\
           carrier.onmessage = (e) => {{\n\
             watchPort(e.ports[0], 'inner');\n\
             const {{ port1, port2 }} = new MessageChannel();\n\
             carrier.postMessage('mine', [port2]);\n\
             for (let i = 0; i < 50; i++) port1.postMessage(i);\n\
             port1.close();\n\
           }};\n\
         }});\n\
         window.addEventListener('DOMContentLoaded', () => ipcRenderer.send('ready'));\n"
    );
    h.window("carried", Some(&preload), &page(""))?;
    let probe = h.probe();
    Ok(Box::pin(async move {
        ensure_eq!(probe.result("inner").await?, all_then_close(50));
        probe.expect("main got 50 true").await
    }))
}

/// Renderer to renderer through the main process: window a streams on its end and
/// closes it; window b gets every message, then `close`.
pub(crate) fn port_between_two_windows_closes_after_its_messages(
    h: &Harness,
) -> Result<Driver, String> {
    windows::record_ready(h);
    // A preload that says `ready <name>` and runs `then` on the port it gets.
    let holder = |name: &str, then: &str| {
        format!(
            "{REPORT_JS}{WATCH_JS}const {{ ipcRenderer }} = require('electron');\n\
             ipcRenderer.on('port', (event) => {{ const [port] = event.ports; {then} }});\n\
             window.addEventListener('DOMContentLoaded', () => ipcRenderer.send('ready', '{name}'));\n"
        )
    };
    let a = h.window(
        "a",
        Some(&holder(
            "a",
            "for (let i = 0; i < 100; i++) port.postMessage(i); port.close();",
        )),
        &page(""),
    )?;
    let b = h.window("b", Some(&holder("b", "watchPort(port, 'b');")), &page(""))?;
    let probe = h.probe();
    Ok(Box::pin(async move {
        probe.expect("ready a").await?;
        probe.expect("ready b").await?;
        let MessageChannelMain { port1, port2 } = MessageChannelMain::new();
        b.web_contents()
            .post_message("port", (), vec![port2])
            .map_err(|e| e.to_string())?;
        a.web_contents()
            .post_message("port", (), vec![port1])
            .map_err(|e| e.to_string())?;
        ensure_eq!(probe.result("b").await?, all_then_close(100));
        Ok(())
    }))
}

/// A port sent to a window whose document is still loading, with a stream posted
/// and closed behind it before the preload has run: all of it waits for the
/// document, and arrives in order, then `close`.
pub(crate) fn port_sent_to_a_loading_document_keeps_its_messages(
    h: &Harness,
) -> Result<Driver, String> {
    let preload = format!(
        "{REPORT_JS}{WATCH_JS}const {{ ipcRenderer }} = require('electron');\n\
         ipcRenderer.on('early', (event) => watchPort(event.ports[0], 'early'));\n"
    );
    let window = h.window("early", Some(&preload), &page(""))?;
    let MessageChannelMain { port1, port2 } = MessageChannelMain::new();
    window
        .web_contents()
        .post_message("early", (), vec![port2])
        .map_err(|e| e.to_string())?;
    for i in 0..1000 {
        port1.post_message(i).map_err(|e| e.to_string())?;
    }
    port1.close();
    let probe = h.probe();
    Ok(Box::pin(async move {
        ensure_eq!(probe.result("early").await?, all_then_close(1000));
        Ok(())
    }))
}

/// How one channel of [`ports_under_a_random_interleaving`] goes.
#[derive(Clone, Copy, Debug, serde::Serialize)]
struct Plan {
    /// Sent inside a message on channel 0 rather than on its own.
    carried: bool,
    /// Handed on to the page by the preload.
    page: bool,
    /// Who closes it: "main", "renderer", or "none" (the navigation at the end).
    closer: &'static str,
    /// Messages the main process posts before it sends the port.
    early: u32,
    /// Messages the main process posts in all.
    main: u32,
    /// Messages the renderer posts.
    renderer: u32,
}

/// What arrived at a main-process end, as the scenario checks it.
#[derive(Default)]
struct Arrived {
    values: Vec<f64>,
    closed: bool,
}

/// The preload and page halves of the random scenario: each port is counted where
/// it lands; the renderer posts its share in turns of its own, closes if the plan
/// says so, and reports `rand-<c>` when its side is done.
const RANDOM_JS: &str = "function randomSide(plans, seed) {\n\
   return (c, port) => {\n\
     const plan = plans[c]; let s = (seed + c * 7919) >>> 0;\n\
     const next = () => { s = (s + 0x6D2B79F5) >>> 0; let t = s; t = Math.imul(t ^ (t >>> 15), t | 1); t ^= t + Math.imul(t ^ (t >>> 7), t | 61); return ((t ^ (t >>> 14)) >>> 0) / 4294967296; };\n\
     const got = []; let closeEvent = false; let posted = 0; let done = false;\n\
     const finish = () => { if (!done) { done = true; report('rand-' + c, { got: got.length, ordered: got.every((v, i) => v === i), closeEvent, posted }); } };\n\
     const check = () => {\n\
       if (posted < plan.renderer) return;\n\
       if (plan.closer === 'main' && closeEvent) finish();\n\
       if (plan.closer === 'none' && got.length >= plan.main) finish();\n\
     };\n\
     port.onmessage = (e) => { if (e.ports.length === 0) { got.push(e.data); check(); } };\n\
     port.onclose = () => { closeEvent = true; check(); };\n\
     const turn = () => {\n\
       const burst = Math.floor(next() * 20);\n\
       for (let i = 0; i < burst && posted < plan.renderer && !closeEvent; i++) port.postMessage(posted++);\n\
       if (posted < plan.renderer && !closeEvent) { setTimeout(turn, 0); return; }\n\
       posted = plan.renderer;\n\
       if (plan.closer === 'renderer') { port.close(); finish(); } else { check(); }\n\
     };\n\
     setTimeout(turn, 0);\n\
   };\n\
 }\n";

/// Ports under a random interleaving, in a real window: eight channels, each sent
/// on its own or inside a message on channel 0, held by the preload or handed to
/// the page, closed by the main process, by the renderer, or by a navigation; both
/// sides post, the main process partly before the port is sent and partly while
/// the renderer posts. Whatever was posted before a close arrives, in order, once;
/// the end that did not close hears `close` after it. The seed is printed and in
/// every failure (`VOLTAIC_PORT_SEED=<seed>` replays it).
pub(crate) fn ports_under_a_random_interleaving(h: &Harness) -> Result<Driver, String> {
    let seed = std::env::var("VOLTAIC_PORT_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| {
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map(|d| d.as_nanos() as u64 & 0xffff_ffff)
                .unwrap_or(1)
        });
    eprintln!(
        "ports_under_a_random_interleaving: seed {seed} (VOLTAIC_PORT_SEED={seed} replays it)"
    );
    let mut rng = fastrand::Rng::with_seed(seed);
    let plans: Vec<Plan> = (0..8)
        .map(|c| {
            let main = rng.u32(0..=300);
            Plan {
                carried: c > 0 && rng.bool(),
                // Channel 0 carries the others, so the preload keeps it.
                page: c > 0 && rng.bool(),
                closer: if c == 0 {
                    "none"
                } else {
                    ["main", "renderer", "none"][rng.usize(..3)]
                },
                early: rng.u32(0..=main),
                main,
                renderer: rng.u32(0..=300),
            }
        })
        .collect();
    let channels: Vec<MessageChannelMain> = (0..8).map(|_| MessageChannelMain::new()).collect();
    let arrived: Vec<Arc<Mutex<Arrived>>> = (0..8).map(|_| Arc::default()).collect();
    let probe = h.probe();
    for (c, channel) in channels.iter().enumerate() {
        let (into, closing) = (arrived[c].clone(), arrived[c].clone());
        let (seen, told) = (probe.clone(), probe.clone());
        channel.port1.on_message(move |message| {
            let value = message.data.deserialize_into::<f64>().unwrap_or(-1.0);
            let mut arrived = into.lock().unwrap_or_else(|e| e.into_inner());
            arrived.values.push(value);
            seen.record(format!("rand-main {c} {}", arrived.values.len()));
        });
        channel.port1.on_close(move || {
            closing.lock().unwrap_or_else(|e| e.into_inner()).closed = true;
            told.record(format!("rand-main-closed {c}"));
        });
        channel.port1.start();
    }
    let mains: Vec<MessagePortMain> = channels.iter().map(|c| c.port1.clone()).collect();
    let mut renderer_ends: Vec<Option<MessagePortMain>> =
        channels.into_iter().map(|c| Some(c.port2)).collect();
    let sent: Arc<Mutex<Vec<u32>>> = Arc::new(Mutex::new(vec![0; 8]));
    // Phase 1, when the preload is listening: early posts, then the ports go.
    let (phase1_mains, phase1_sent, order) = (mains.clone(), sent.clone(), plans.clone());
    let gone = Mutex::new(std::mem::take(&mut renderer_ends));
    h.app().ipc_main().on("rand-ready", move |event: IpcEvent| {
        let mut ends = gone.lock().unwrap_or_else(|e| e.into_inner());
        let mut sent = phase1_sent.lock().unwrap_or_else(|e| e.into_inner());
        for (c, plan) in order.iter().enumerate() {
            for _ in 0..plan.early {
                let _ = phase1_mains[c].post_message(sent[c]);
                sent[c] += 1;
            }
            let Some(end) = ends[c].take() else { continue };
            let _ = if plan.carried {
                phase1_mains[0].post_message_with(json!({ "carry": c }), vec![end])
            } else {
                event.sender().post_message("rand-port", c, vec![end])
            };
        }
    });
    // Phase 2, once every port has landed: the rest of the main process's posts,
    // in random order across channels, and its closes, while the renderer posts.
    let (phase2_plans, phase2_sent) = (plans.clone(), sent.clone());
    let phase2_rng = Mutex::new(fastrand::Rng::with_seed(seed ^ 0x9e37_79b9));
    h.app().ipc_main().on("rand-landed", move |_: IpcEvent| {
        let mut sent = phase2_sent.lock().unwrap_or_else(|e| e.into_inner());
        let mut phase2_rng = phase2_rng.lock().unwrap_or_else(|e| e.into_inner());
        let mut open: Vec<usize> = (0..8).collect();
        while !open.is_empty() {
            let at = phase2_rng.usize(..open.len());
            let c = open[at];
            if sent[c] < phase2_plans[c].main {
                let _ = mains[c].post_message(sent[c]);
                sent[c] += 1;
            } else {
                if phase2_plans[c].closer == "main" {
                    mains[c].close();
                }
                open.swap_remove(at);
            }
        }
    });
    let plans_json = serde_json::to_string(&plans).map_err(|e| e.to_string())?;
    let preload = format!(
        "{REPORT_JS}{RANDOM_JS}const {{ ipcRenderer }} = require('electron');\n\
         const plans = {plans_json};\n\
         const side = randomSide(plans, {seed});\n\
         let landed = 0;\n\
         const land = (c, port) => {{\n\
           if (plans[c].page) window.postMessage({{ c }}, '*', [port]); else side(c, port);\n\
           if (++landed === plans.length) ipcRenderer.send('rand-landed');\n\
         }};\n\
         ipcRenderer.on('rand-port', (event, c) => {{\n\
           const port = event.ports[0];\n\
           if (c === 0) port.addEventListener('message', (e) => {{ if (e.ports.length > 0) land(e.data.carry, e.ports[0]); }});\n\
           land(c, port);\n\
         }});\n\
         window.addEventListener('DOMContentLoaded', () => ipcRenderer.send('rand-ready'));\n"
    );
    let page_js = format!(
        "{RANDOM_JS}const plans = {plans_json};\n\
         const side = randomSide(plans, {seed});\n\
         window.addEventListener('message', (e) => {{ if (e.source === window && e.ports.length > 0) side(e.data.c, e.ports[0]); }});\n"
    );
    let window = h.window("random", Some(&preload), &page(&page_js))?;
    let probe = h.probe();
    Ok(Box::pin(async move {
        let fail = |what: String| {
            format!("seed {seed} (VOLTAIC_PORT_SEED={seed} replays it), plans {plans_json}: {what}")
        };
        for (c, plan) in plans.iter().enumerate() {
            let side = probe.result(&format!("rand-{c}")).await.map_err(&fail)?;
            let got = side["got"].as_u64().unwrap_or(u64::MAX);
            let ordered = side["ordered"] == json!(true);
            let complete = plan.closer != "renderer";
            let expected_close = plan.closer == "main";
            if !ordered || (complete && got != u64::from(plan.main)) || got > u64::from(plan.main) {
                return Err(fail(format!(
                    "channel {c} ({plan:?}): the renderer got {side}"
                )));
            }
            if side["closeEvent"] != json!(expected_close) {
                return Err(fail(format!("channel {c} ({plan:?}): close event {side}")));
            }
            if plan.closer != "main" {
                let line = format!("rand-main {c} {}", plan.renderer);
                if plan.renderer > 0 {
                    probe.expect(&line).await.map_err(&fail)?;
                }
            }
            if plan.closer != "none" {
                probe
                    .expect(&format!("rand-main-closed {c}"))
                    .await
                    .map_err(&fail)?;
            }
        }
        // The navigation closes what is left, after everything posted before it.
        window.load_html(&page("")).map_err(|e| e.to_string())?;
        for (c, plan) in plans.iter().enumerate() {
            if plan.closer == "none" {
                probe
                    .expect(&format!("rand-main-closed {c}"))
                    .await
                    .map_err(&fail)?;
            }
            let arrived = arrived[c].lock().unwrap_or_else(|e| e.into_inner());
            let ordered = arrived
                .values
                .iter()
                .enumerate()
                .all(|(i, v)| *v == i as f64);
            let complete = plan.closer != "main";
            let n = arrived.values.len() as u32;
            if !ordered || n > plan.renderer || (complete && n != plan.renderer) || !arrived.closed
            {
                return Err(fail(format!(
                    "channel {c} ({plan:?}): main got {n} values, ordered {ordered}, closed {}",
                    arrived.closed
                )));
            }
        }
        Ok(())
    }))
}
