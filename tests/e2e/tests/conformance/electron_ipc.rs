//! Cases of Electron's IPC spec files (`spec/api-ipc-spec.ts`, `api-ipc-renderer-spec.ts`
//! and `api-ipc-main-spec.ts`) that no documented-behaviour scenario already covers,
//! ported with their renderer code run in the preload (Electron runs it with
//! `nodeIntegration` in the page, which Voltaic has no equivalent of). The README's
//! conformance table maps every case of those files.

use std::sync::{Arc, Mutex};

use serde_json::{json, Value as Json};
use voltaic::{IpcEvent, IpcScope, MessageChannelMain, Value, WebContents};
use voltaic_e2e::{ensure_eq, Driver, Harness, REPORT_JS};

use crate::api::HELPERS_JS;

/// Opens a window whose preload runs `body` (an async function body with
/// `ipcRenderer` and the helpers in scope) once the page has loaded, and reports
/// what it returns as `result`.
fn in_renderer(h: &Harness, body: &str) -> Result<WebContents, String> {
    let preload = format!(
        "{REPORT_JS}{HELPERS_JS}const {{ ipcRenderer }} = require('electron');\n\
         window.addEventListener('DOMContentLoaded', () => {{ (async () => {{\n{body}\n}})()\
           .then((r) => report('result', r), (e) => report('result', {{ threw: String(e && e.message) }})); }});\n"
    );
    let window = h.window("ipc", Some(&preload), "<!DOCTYPE html><p>ipc</p>")?;
    Ok(window.web_contents().clone())
}

/// Electron's "payloads across the shared-memory threshold": strings, typed arrays
/// and objects holding both, of sizes around Chromium's 64 KiB threshold and past
/// 3 MiB, round trip through invoke, sendSync and send with nothing changed.
pub(crate) fn payloads_across_the_shared_memory_threshold(h: &Harness) -> Result<Driver, String> {
    let ipc = h.app().ipc_main();
    let err = |e: voltaic::IpcError| e.to_string();
    ipc.handle("echo-large", |_: IpcEvent, v: Value| v)
        .map_err(err)?;
    ipc.on("echo-large-sync", |event: IpcEvent, v: Value| {
        let _ = event.set_return_value(v);
    });
    ipc.on("echo-large-send", |event: IpcEvent, v: Value| {
        let _ = event.sender().send_values("echo-large-reply", vec![v]);
    });
    in_renderer(
        h,
        r#"const sizes = [0, 1, 65535, 65536, 65537, 256 * 1024 + 3, 3 * 1024 * 1024 + 1];
           function digest(value) {
             if (typeof value === 'string') return { string: value.length, ends: value.slice(0, 4) + value.slice(-4) };
             if (value instanceof Uint8Array) return { u8: value.length, sum: value.reduce((a, b) => (a + b) % 65521, 0) };
             return { text: digest(value.text), bytes: digest(value.bytes), meta: value.meta };
           }
           function samples(n) {
             const text = `<${'x'.repeat(n)}>`;
             const bytes = new Uint8Array(n).map((_, i) => (i * 7) & 255);
             return [text, bytes, { text, bytes, meta: { n, list: [1, 'two', { three: true }] } }];
           }
           const wrong = [];
           for (const n of sizes) {
             for (const value of samples(n)) {
               const want = JSON.stringify(digest(value));
               const got = [
                 digest(await ipcRenderer.invoke('echo-large', value)),
                 digest(ipcRenderer.sendSync('echo-large-sync', value)),
                 digest(await new Promise((resolve) => {
                   ipcRenderer.once('echo-large-reply', (_e, v) => resolve(v));
                   ipcRenderer.send('echo-large-send', value);
                 })),
               ];
               got.forEach((d, i) => { if (JSON.stringify(d) !== want) wrong.push([n, ['invoke', 'sendSync', 'send'][i], d]); });
             }
           }
           return wrong;"#,
    )?;
    let probe = h.probe();
    Ok(Box::pin(async move {
        ensure_eq!(probe.result("result").await?, json!([]));
        Ok(())
    }))
}

/// Electron's two "ordering" cases: 1000 messages, each a send, a sendSync or (in
/// the second) an invoke chosen at random, reach the main process in the order sent.
fn ordering(h: &Harness, kinds: u32) -> Result<Driver, String> {
    crate::api::fixture(h)?;
    let received = Arc::new(Mutex::new(Vec::<i64>::new()));
    let ipc = h.app().ipc_main();
    let err = |e: voltaic::IpcError| e.to_string();
    let log = received.clone();
    ipc.handle("test-invoke", move |_: IpcEvent, i: i64| {
        log.lock().map(|mut l| l.push(i)).is_ok()
    })
    .map_err(err)?;
    let log = received.clone();
    ipc.on("test-async", move |_: IpcEvent, i: i64| {
        if let Ok(mut l) = log.lock() {
            l.push(i);
        }
    });
    let log = received.clone();
    ipc.on("test-sync", move |event: IpcEvent, i: i64| {
        if let Ok(mut l) = log.lock() {
            l.push(i);
        }
        let _ = event.set_return_value(Json::Null);
    });
    in_renderer(
        h,
        &format!(
            "for (let i = 0; i < 1000; i++) {{\n\
               switch ((Math.random() * {kinds}) | 0) {{\n\
                 case 0: ipcRenderer.send('test-async', i); break;\n\
                 case 1: ipcRenderer.sendSync('test-sync', i); break;\n\
                 case 2: ipcRenderer.invoke('test-invoke', i); break;\n\
               }}\n\
             }}\n\
             // Sent after the others: when it is answered, they have all arrived.\n\
             await ipcRenderer.invoke('echo', 'done');\n\
             return 'sent';"
        ),
    )?;
    let probe = h.probe();
    Ok(Box::pin(async move {
        ensure_eq!(probe.result("result").await?, json!("sent"));
        let received = received.lock().map_err(|e| e.to_string())?.clone();
        ensure_eq!(received.len(), 1000);
        let mut sorted = received.clone();
        sorted.sort_unstable();
        ensure_eq!(received, sorted);
        Ok(())
    }))
}

/// Electron's "between send and sendSync is consistent".
pub(crate) fn ordering_between_send_and_send_sync(h: &Harness) -> Result<Driver, String> {
    ordering(h, 2)
}

/// Electron's "between send, sendSync, and invoke is consistent".
pub(crate) fn ordering_between_send_send_sync_and_invoke(h: &Harness) -> Result<Driver, String> {
    ordering(h, 3)
}

/// Electron's "should work when sending an object containing id property"
/// (`spec/api-ipc-renderer-spec.ts`): an `id` of the app's is not taken for the
/// message's own.
pub(crate) fn send_an_object_with_an_id_property(h: &Harness) -> Result<Driver, String> {
    let got = Arc::new(Mutex::new(None::<Json>));
    let slot = got.clone();
    h.app()
        .ipc_main()
        .on("message", move |_: IpcEvent, v: Json| {
            if let Ok(mut slot) = slot.lock() {
                slot.get_or_insert(v);
            }
        });
    in_renderer(
        h,
        "ipcRenderer.send('message', { id: 1, name: 'ly' });\nreturn 'sent';",
    )?;
    Ok(Box::pin(async move {
        voltaic_e2e::poll_until("the message", || {
            got.lock().map(|g| g.is_some()).unwrap_or(false)
        })
        .await?;
        let received = got.lock().map_err(|e| e.to_string())?.clone();
        ensure_eq!(received, Some(json!({ "id": 1, "name": "ly" })));
        Ok(())
    }))
}

/// Electron's "does not crash when reply is sent by multiple listeners"
/// (`spec/api-ipc-main-spec.ts`): both listeners run and the first value set is the
/// answer; the second is ignored.
pub(crate) fn send_sync_answered_by_several_listeners(h: &Harness) -> Result<Driver, String> {
    let second = Arc::new(Mutex::new(false));
    let ipc = h.app().ipc_main();
    ipc.on("send-sync-message", |event: IpcEvent| {
        let _ = event.set_return_value("first");
    });
    let ran = second.clone();
    ipc.on("send-sync-message", move |event: IpcEvent| {
        let _ = event.set_return_value("second");
        if let Ok(mut ran) = ran.lock() {
            *ran = true;
        }
    });
    in_renderer(h, "return ipcRenderer.sendSync('send-sync-message');")?;
    let probe = h.probe();
    Ok(Box::pin(async move {
        ensure_eq!(probe.result("result").await?, json!("first"));
        voltaic_e2e::poll_until("the second listener", || {
            second.lock().map(|ran| *ran).unwrap_or(false)
        })
        .await?;
        Ok(())
    }))
}

/// The window scope a case of Electron's "WebContents.ipc" or "WebFrameMain.ipc"
/// registers in.
#[derive(Clone, Copy)]
enum Scoped {
    /// `webContents.ipc`.
    Window,
    /// `webContents.mainFrame.ipc`.
    MainFrame,
}

impl Scoped {
    fn of(self, web_contents: &WebContents) -> IpcScope {
        match self {
            Scoped::Window => web_contents.ipc().clone(),
            Scoped::MainFrame => web_contents.main_frame().ipc().clone(),
        }
    }
}

/// "receives ipc messages sent from the WebContents" / "responds to ipc messages in
/// the main frame".
fn scope_receives_send(h: &Harness, scoped: Scoped) -> Result<Driver, String> {
    let web_contents = in_renderer(h, "ipcRenderer.send('test', 42); return 'sent';")?;
    let probe = h.probe();
    scoped
        .of(&web_contents)
        .on("test", move |_: IpcEvent, n: i64| {
            probe.record(format!("test:{n}"))
        });
    let probe = h.probe();
    Ok(Box::pin(async move { probe.expect("test:42").await }))
}

/// "receives sync-ipc messages sent from the WebContents" / "responds to sync ipc
/// messages in the main frame".
fn scope_answers_send_sync(h: &Harness, scoped: Scoped) -> Result<Driver, String> {
    let web_contents = in_renderer(h, "return ipcRenderer.sendSync('test', 42);")?;
    scoped
        .of(&web_contents)
        .on("test", |event: IpcEvent, n: i64| {
            let _ = event.set_return_value(n * 2);
        });
    let probe = h.probe();
    Ok(Box::pin(async move {
        ensure_eq!(probe.result("result").await?, json!(84));
        Ok(())
    }))
}

/// "receives postMessage messages sent from the WebContents, w/ MessagePorts", on
/// either scope.
fn scope_receives_ports(h: &Harness, scoped: Scoped) -> Result<Driver, String> {
    let web_contents = in_renderer(
        h,
        "ipcRenderer.postMessage('test', null, [new MessageChannel().port1]);\nreturn 'sent';",
    )?;
    let probe = h.probe();
    scoped.of(&web_contents).on("test", move |event: IpcEvent| {
        probe.record(format!("ports:{}", event.ports().len()))
    });
    let probe = h.probe();
    Ok(Box::pin(async move { probe.expect("ports:1").await }))
}

/// "handles invoke messages sent from the WebContents", on either scope.
fn scope_handles_invoke(h: &Harness, scoped: Scoped) -> Result<Driver, String> {
    let web_contents = in_renderer(h, "return await ipcRenderer.invoke('test', 42);")?;
    scoped
        .of(&web_contents)
        .handle("test", |_: IpcEvent, n: i64| n * 2)
        .map_err(|e| e.to_string())?;
    let probe = h.probe();
    Ok(Box::pin(async move {
        ensure_eq!(probe.result("result").await?, json!(84));
        Ok(())
    }))
}

/// "cascades to ipcMain" / "cascades to WebContents and ipcMain": a send reaches
/// every scope's listeners, the frame's first and `ipcMain`'s last.
fn scopes_cascade(h: &Harness, scopes: &[Scoped]) -> Result<Driver, String> {
    let web_contents = in_renderer(h, "ipcRenderer.send('test', 42); return 'sent';")?;
    let order = Arc::new(Mutex::new(Vec::<&str>::new()));
    let listen = |scope: &IpcScope, name: &'static str| {
        let order = order.clone();
        scope.on("test", move |_: IpcEvent| {
            if let Ok(mut order) = order.lock() {
                order.push(name);
            }
        });
    };
    // Registered widest first, so an order that followed registration would fail.
    listen(h.app().ipc_main().scope(), "ipcMain");
    let mut expected = vec!["ipcMain"];
    for &scoped in scopes.iter().rev() {
        let name = match scoped {
            Scoped::Window => "webContents",
            Scoped::MainFrame => "mainFrame",
        };
        listen(&scoped.of(&web_contents), name);
        expected.insert(0, name);
    }
    Ok(Box::pin(async move {
        voltaic_e2e::poll_until("'test' at every scope", || {
            order
                .lock()
                .map(|o| o.len() >= expected.len())
                .unwrap_or(false)
        })
        .await?;
        let order = order.lock().map_err(|e| e.to_string())?.clone();
        ensure_eq!(order, expected);
        Ok(())
    }))
}

/// "overrides ipcMain handlers", "overrides WebContents handlers" and "falls back
/// to ipcMain / WebContents handlers": `answering` handles `test` with `n * 2`, each
/// scope in `wider` with an error that must not be seen.
fn scope_handler_precedence(
    h: &Harness,
    answering: Option<Scoped>,
    wider: &[Scoped],
    app_wide: bool,
) -> Result<Driver, String> {
    let web_contents = in_renderer(h, "return await ipcRenderer.invoke('test', 42);")?;
    let err = |e: voltaic::IpcError| e.to_string();
    let refuse = |_: IpcEvent| Err::<i64, _>("should not be called");
    let double = |_: IpcEvent, n: i64| n * 2;
    for scoped in wider {
        scoped
            .of(&web_contents)
            .handle("test", refuse)
            .map_err(err)?;
    }
    match answering {
        Some(scoped) => scoped
            .of(&web_contents)
            .handle("test", double)
            .map_err(err)?,
        None => h.app().ipc_main().handle("test", double).map_err(err)?,
    }
    if app_wide {
        h.app().ipc_main().handle("test", refuse).map_err(err)?;
    }
    let probe = h.probe();
    Ok(Box::pin(async move {
        ensure_eq!(probe.result("result").await?, json!(84));
        Ok(())
    }))
}

/// Electron's "WebContents.ipc receives ipc messages sent from the WebContents".
pub(crate) fn web_contents_ipc_receives_send(h: &Harness) -> Result<Driver, String> {
    scope_receives_send(h, Scoped::Window)
}

/// Electron's "WebContents.ipc receives sync-ipc messages sent from the WebContents".
pub(crate) fn web_contents_ipc_answers_send_sync(h: &Harness) -> Result<Driver, String> {
    scope_answers_send_sync(h, Scoped::Window)
}

/// Electron's "WebContents.ipc receives postMessage messages sent from the
/// WebContents, w/ MessagePorts".
pub(crate) fn web_contents_ipc_receives_ports(h: &Harness) -> Result<Driver, String> {
    scope_receives_ports(h, Scoped::Window)
}

/// Electron's "WebContents.ipc handles invoke messages sent from the WebContents".
pub(crate) fn web_contents_ipc_handles_invoke(h: &Harness) -> Result<Driver, String> {
    scope_handles_invoke(h, Scoped::Window)
}

/// Electron's "WebContents.ipc cascades to ipcMain".
pub(crate) fn web_contents_ipc_cascades_to_ipc_main(h: &Harness) -> Result<Driver, String> {
    scopes_cascade(h, &[Scoped::Window])
}

/// Electron's "WebContents.ipc overrides ipcMain handlers".
pub(crate) fn web_contents_ipc_overrides_ipc_main(h: &Harness) -> Result<Driver, String> {
    scope_handler_precedence(h, Some(Scoped::Window), &[], true)
}

/// Electron's "WebContents.ipc falls back to ipcMain handlers".
pub(crate) fn web_contents_ipc_falls_back_to_ipc_main(h: &Harness) -> Result<Driver, String> {
    scope_handler_precedence(h, None, &[], false)
}

/// Electron's "WebFrameMain.ipc responds to ipc messages in the main frame".
pub(crate) fn main_frame_ipc_receives_send(h: &Harness) -> Result<Driver, String> {
    scope_receives_send(h, Scoped::MainFrame)
}

/// Electron's "WebFrameMain.ipc responds to sync ipc messages in the main frame".
pub(crate) fn main_frame_ipc_answers_send_sync(h: &Harness) -> Result<Driver, String> {
    scope_answers_send_sync(h, Scoped::MainFrame)
}

/// Electron's "WebFrameMain.ipc receives postMessage messages sent from the
/// WebContents, w/ MessagePorts".
pub(crate) fn main_frame_ipc_receives_ports(h: &Harness) -> Result<Driver, String> {
    scope_receives_ports(h, Scoped::MainFrame)
}

/// Electron's "WebFrameMain.ipc handles invoke messages sent from the WebContents".
pub(crate) fn main_frame_ipc_handles_invoke(h: &Harness) -> Result<Driver, String> {
    scope_handles_invoke(h, Scoped::MainFrame)
}

/// Electron's "WebFrameMain.ipc cascades to WebContents and ipcMain".
pub(crate) fn main_frame_ipc_cascades(h: &Harness) -> Result<Driver, String> {
    scopes_cascade(h, &[Scoped::MainFrame, Scoped::Window])
}

/// Electron's "WebFrameMain.ipc overrides ipcMain handlers".
pub(crate) fn main_frame_ipc_overrides_ipc_main(h: &Harness) -> Result<Driver, String> {
    scope_handler_precedence(h, Some(Scoped::MainFrame), &[], true)
}

/// Electron's "WebFrameMain.ipc overrides WebContents handlers".
pub(crate) fn main_frame_ipc_overrides_web_contents(h: &Harness) -> Result<Driver, String> {
    scope_handler_precedence(h, Some(Scoped::MainFrame), &[Scoped::Window], true)
}

/// Electron's "WebFrameMain.ipc falls back to WebContents handlers".
pub(crate) fn main_frame_ipc_falls_back_to_web_contents(h: &Harness) -> Result<Driver, String> {
    scope_handler_precedence(h, Some(Scoped::Window), &[], false)
}

/// Electron's "WebFrameMain.ipc receives ipcs from unloading frames in the main
/// frame": a message sent from `unload`, as the page navigates away, still arrives,
/// from the document that sent it.
pub(crate) fn main_frame_ipc_receives_from_an_unloading_page(
    h: &Harness,
) -> Result<Driver, String> {
    h.file("arrived.html", "<!DOCTYPE html><p>arrived</p>")?;
    let preload = "const { ipcRenderer } = require('electron');\n\
        if (location.pathname.endsWith('/leaving.html')) {\n\
          window.addEventListener('unload', () => ipcRenderer.send('unload', location.pathname));\n\
          window.addEventListener('DOMContentLoaded', () => { location.href = 'arrived.html'; });\n\
        }\n";
    let window = h.window("leaving", Some(preload), "<!DOCTYPE html><p>leaving</p>")?;
    let probe = h.probe();
    window
        .web_contents()
        .main_frame()
        .ipc()
        .on("unload", move |event: IpcEvent, path: String| {
            let from = event.sender_frame().url().rsplit('/').next().unwrap_or("");
            probe.record(format!(
                "unload:{}:{from}",
                path.rsplit('/').next().unwrap_or("")
            ))
        });
    let probe = h.probe();
    Ok(Box::pin(async move {
        probe.expect("unload:leaving.html:leaving.html").await
    }))
}

/// Electron's "MessagePort close event in renderer: is emitted when the main process
/// closes its end of the port". A message posted just before the close arrives
/// first.
pub(crate) fn port_close_event_when_main_closes_its_end(h: &Harness) -> Result<Driver, String> {
    let ipc = h.app().ipc_main();
    ipc.on("ready", |event: IpcEvent| {
        let MessageChannelMain { port1, port2 } = MessageChannelMain::new();
        let sent = event.sender().post_message("port", (), vec![port2]);
        let posted = port1.post_message("last");
        port1.close();
        sent.and(posted).map_err(|e| e.to_string())
    });
    let probe = h.probe();
    ipc.on("closed", move |_: IpcEvent, seen: Json| {
        probe.record(format!("closed after {seen}"))
    });
    in_renderer(
        h,
        "ipcRenderer.on('port', (e) => {\n\
           const [port] = e.ports;\n\
           const seen = [];\n\
           port.addEventListener('message', (m) => seen.push(m.data));\n\
           port.start();\n\
           port.onclose = () => { ipcRenderer.send('closed', seen); };\n\
         });\n\
         ipcRenderer.send('ready');\n\
         return 'listening';",
    )?;
    let probe = h.probe();
    Ok(Box::pin(async move {
        probe.expect(r#"closed after ["last"]"#).await
    }))
}

/// Electron's "MessagePort close event in renderer: is emitted when the other end of
/// a port is sent to nowhere": the preload sends `port1` on a channel nobody
/// listens to, and the `port2` it kept gets `close`.
pub(crate) fn port_close_event_when_the_other_end_is_sent_to_nowhere(
    h: &Harness,
) -> Result<Driver, String> {
    in_renderer(
        h,
        "const { port1, port2 } = new MessageChannel();\n\
         await new Promise((resolve, reject) => {\n\
           setTimeout(() => reject(new Error('no close within 20 s')), 20000);\n\
           port2.start();\n\
           port2.onclose = resolve;\n\
           ipcRenderer.postMessage('nobody-listening', null, [port1]);\n\
         });\n\
         return 'closed';",
    )?;
    let probe = h.probe();
    Ok(Box::pin(async move {
        ensure_eq!(probe.result("result").await?, json!("closed"));
        Ok(())
    }))
}

/// Electron's "MessagePort: can receive a port from a renderer over a MessagePort
/// connection": a port the page posts on a port it sent arrives in Rust, usable.
pub(crate) fn port_received_over_a_port_from_the_renderer(h: &Harness) -> Result<Driver, String> {
    let probe = h.probe();
    h.app().ipc_main().on("port", move |event: IpcEvent| {
        let Some(port1) = event.ports().first().cloned() else {
            return probe.record("no port");
        };
        let probe = probe.clone();
        port1.on_message(move |message| {
            let Some(port2) = message.ports.first().cloned() else {
                return probe.record("no port in the port message");
            };
            let probe = probe.clone();
            port2.on_message(move |inner| probe.record(format!("inner:{:?}", inner.data)));
            port2.start();
        });
        port1.start();
    });
    in_renderer(
        h,
        "const channel1 = new MessageChannel();\n\
         const channel2 = new MessageChannel();\n\
         channel1.port2.postMessage('', [channel2.port1]);\n\
         channel2.port2.postMessage('matryoshka');\n\
         ipcRenderer.postMessage('port', '', [channel1.port1]);\n\
         return 'sent';",
    )?;
    let probe = h.probe();
    Ok(Box::pin(async move {
        probe.expect(r#"inner:String("matryoshka")"#).await
    }))
}

/// Electron's "MessageChannelMain: can be passed over another channel": a port the
/// main process posts on a port reaches the renderer, with the message that waited
/// for it.
pub(crate) fn message_channel_main_passed_over_another_channel(
    h: &Harness,
) -> Result<Driver, String> {
    let ipc = h.app().ipc_main();
    ipc.on("ready", |event: IpcEvent| {
        let MessageChannelMain { port1, port2 } = MessageChannelMain::new();
        let MessageChannelMain {
            port1: port3,
            port2: port4,
        } = MessageChannelMain::new();
        port1
            .post_message_with(Json::Null, vec![port4])
            .and_then(|()| port3.post_message("hello"))
            .and_then(|()| event.sender().post_message("port", Json::Null, vec![port2]))
            .map_err(|e| e.to_string())
    });
    let probe = h.probe();
    ipc.on("done", move |_: IpcEvent, message: String| {
        probe.record(format!("done:{message}"))
    });
    in_renderer(
        h,
        "ipcRenderer.on('port', (e1) => {\n\
           e1.ports[0].onmessage = (e2) => {\n\
             e2.ports[0].onmessage = (e3) => { ipcRenderer.send('done', e3.data); };\n\
           };\n\
         });\n\
         ipcRenderer.send('ready');\n\
         return 'listening';",
    )?;
    let probe = h.probe();
    Ok(Box::pin(async move { probe.expect("done:hello").await }))
}

/// Electron's "WebFrameMain.postMessage sends a message".
pub(crate) fn main_frame_post_message_sends_a_message(h: &Harness) -> Result<Driver, String> {
    let ipc = h.app().ipc_main();
    ipc.on("ready", |event: IpcEvent| {
        event
            .sender()
            .main_frame()
            .post_message("foo", json!({ "some": "message" }), Vec::new())
            .map_err(|e| e.to_string())
    });
    let probe = h.probe();
    ipc.on("bar", move |_: IpcEvent, message: Json| {
        probe.record(format!("bar:{message}"))
    });
    in_renderer(
        h,
        "ipcRenderer.on('foo', (_e, msg) => { ipcRenderer.send('bar', msg); });\n\
         ipcRenderer.send('ready');\n\
         return 'listening';",
    )?;
    let probe = h.probe();
    Ok(Box::pin(async move {
        probe.expect(r#"bar:{"some":"message"}"#).await
    }))
}
