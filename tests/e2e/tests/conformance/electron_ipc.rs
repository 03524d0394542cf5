//! Cases of Electron's IPC spec files (`spec/api-ipc-spec.ts`, `api-ipc-renderer-spec.ts`
//! and `api-ipc-main-spec.ts`) that no documented-behaviour scenario already covers,
//! ported with their renderer code run in the preload (Electron runs it with
//! `nodeIntegration` in the page, which Voltaic has no equivalent of). The README's
//! conformance table maps every case of those files.

use std::sync::{Arc, Mutex};

use serde_json::{json, Value as Json};
use voltaic::{IpcEvent, Value};
use voltaic_e2e::{ensure_eq, Driver, Harness, REPORT_JS};

use crate::api::HELPERS_JS;

/// Opens a window whose preload runs `body` (an async function body with
/// `ipcRenderer` and the helpers in scope) once the page has loaded, and reports
/// what it returns as `result`.
fn in_renderer(h: &Harness, body: &str) -> Result<(), String> {
    let preload = format!(
        "{REPORT_JS}{HELPERS_JS}const {{ ipcRenderer }} = require('electron');\n\
         window.addEventListener('DOMContentLoaded', () => {{ (async () => {{\n{body}\n}})()\
           .then((r) => report('result', r), (e) => report('result', {{ threw: String(e && e.message) }})); }});\n"
    );
    h.window("ipc", Some(&preload), "<!DOCTYPE html><p>ipc</p>")?;
    Ok(())
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
