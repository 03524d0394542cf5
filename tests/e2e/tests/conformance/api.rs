//! The API references: `ipcRenderer`, `ipcMain`, `webContents`, `contextBridge`, one
//! scenario per documented behaviour. Each runs its checks as JavaScript in a real
//! window, against one set of main-process handlers ([`fixture`]); the page or
//! preload reports `pass`, or what did not hold.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde_json::json;
use voltaic::WebPreferences;
use voltaic::{Bytes, IpcEvent, Json, MessageChannelMain, Value};
use voltaic_e2e::{api_prefs, ensure_eq, Driver, Harness, REPORT_JS};

/// Helpers every case gets: `check(condition, what)`, `errorOf(fn)` (the message of
/// what `fn` throws or rejects with), `until(condition)` (waits for something that
/// arrives without an event to await), `next(channel)` (the next message on a
/// channel, or a rejection after 20 s naming it) and `sleep(ms)`. Every wait waits
/// for what it is about, bounded at 20 s for what never comes: a slow or busy machine
/// passes, only later.
pub(crate) const HELPERS_JS: &str = r#"
const check = (condition, what) => { if (!condition) throw new Error('expected ' + what); };
const errorOf = async (f) => { try { await f(); return 'no error'; } catch (e) { return String(e && e.message); } };
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
// Polls until `condition()` holds, for at most 20 s; the check after it says what
// was missing.
const until = async (condition) => {
  const start = Date.now();
  while (!condition() && Date.now() - start < 20000) await sleep(10);
};
// Allocates short-lived garbage until `done()`, for at most 20 s; the suite runs
// WebKit with every collection a full one (see main.rs), so this takes well under 1 s.
const collectUntil = async (done, what) => {
  const start = performance.now();
  while (!done()) {
    if (performance.now() - start > 20000) throw new Error(what() + ' after 20 s of allocation');
    // V8 (Chromium) runs with --expose-gc in these tests, as Electron's own spec
    // does: allocation alone may not reach its old generation in 20 s.
    if (typeof gc === 'function') gc();
    let junk = [];
    for (let i = 0; i < 20000; i++) junk.push({ i });
    junk = null;
    await sleep(1);
  }
};
"#;

/// `next(channel)` needs ipcRenderer, so it lives in the preload only.
const NEXT_JS: &str = r#"
const next = (channel) => new Promise((resolve, reject) => {
  const timer = setTimeout(() => reject(new Error('nothing arrived on ' + channel + ' within 20 s')), 20000);
  ipcRenderer.once(channel, (event, ...args) => { clearTimeout(timer); resolve({ event, args }); });
});
"#;

/// The main process every case talks to.
pub(crate) fn fixture(h: &Harness) -> Result<(), String> {
    let ipc = h.app().ipc_main();
    let err = |e: voltaic::IpcError| e.to_string();
    ipc.handle("echo", |_: IpcEvent, v: Value| v).map_err(err)?;
    ipc.handle("pair", |_: IpcEvent, a: Value, b: Value| {
        Value::Array(vec![a, b])
    })
    .map_err(err)?;
    ipc.handle("fail", |_: IpcEvent| Err::<(), _>("it broke"))
        .map_err(err)?;
    ipc.handle("slow", |_: IpcEvent| async {
        tokio::time::sleep(Duration::from_millis(50)).await;
        Ok::<_, String>("late")
    })
    .map_err(err)?;
    ipc.handle("slow-fail", |_: IpcEvent| async {
        tokio::time::sleep(Duration::from_millis(20)).await;
        Err::<(), _>("failed later")
    })
    .map_err(err)?;
    ipc.handle_once("only-once", |_: IpcEvent| "first")
        .map_err(err)?;
    ipc.handle("whoami", |event: IpcEvent| {
        json!({
            "id": event.sender().id(),
            "frame": event.sender_frame().frame_id(),
            "url": event.sender_frame().url(),
            "origin": event.sender_frame().origin(),
            "channel": event.channel(),
        })
    })
    .map_err(err)?;
    ipc.handle("doomed", |_: IpcEvent| 1).map_err(err)?;
    let registry = ipc.clone();
    ipc.handle("remove-doomed", move |_: IpcEvent| {
        registry.remove_handler("doomed")
    })
    .map_err(err)?;
    let registry = ipc.clone();
    ipc.handle("second-handler", move |_: IpcEvent| {
        registry
            .handle("echo", |_: IpcEvent| 0)
            .map_err(|e| e.to_string())
            .err()
    })
    .map_err(err)?;

    ipc.on("ping", |event: IpcEvent, v: Value| {
        let _ = event.reply("pong", (v,));
    });
    ipc.on("sync-add", |event: IpcEvent, a: f64, b: f64| {
        let _ = event.set_return_value(a + b);
    });
    ipc.on("sync-bytes", |event: IpcEvent, data: Bytes| {
        // Reversed, so that the answer is not the request coming back.
        let _ =
            event.set_return_value(Bytes::from(data.iter().rev().copied().collect::<Vec<u8>>()));
    });
    ipc.on("sync-later", |event: IpcEvent| {
        std::thread::spawn(move || {
            std::thread::sleep(Duration::from_millis(30));
            let _ = event.set_return_value("later");
        });
    });
    let log: Arc<Mutex<Vec<Value>>> = Arc::default();
    let sink = log.clone();
    ipc.on("record", move |_: IpcEvent, v: Value| {
        sink.lock().map(|mut l| l.push(v)).ok();
    });
    let sink = log.clone();
    ipc.once("record", move |_: IpcEvent, v: Value| {
        sink.lock()
            .map(|mut l| l.push(Value::String(format!("once {v:?}"))))
            .ok();
    });
    let sink = log.clone();
    ipc.handle("record-invoke", move |_: IpcEvent, v: Value| {
        sink.lock().map(|mut l| l.push(v.clone())).ok();
        v
    })
    .map_err(err)?;
    ipc.handle("recorded", move |_: IpcEvent| {
        Value::Array(
            log.lock()
                .map(|mut l| std::mem::take(&mut *l))
                .unwrap_or_default(),
        )
    })
    .map_err(err)?;
    let registry = ipc.clone();
    ipc.handle("listeners", move |_: IpcEvent, ch: String| {
        Json(registry.listener_count(&ch))
    })
    .map_err(err)?;
    let registry = ipc.clone();
    ipc.handle("drop-listeners", move |_: IpcEvent, ch: String| {
        registry.remove_all_listeners(Some(&ch));
    })
    .map_err(err)?;

    ipc.handle("push", |event: IpcEvent, ch: String, args: Value| {
        let args = match args {
            Value::Array(list) => list,
            one => vec![one],
        };
        event
            .sender()
            .send_values(&ch, args)
            .map_err(|e| e.to_string())
    })
    .map_err(err)?;
    ipc.handle("push-many", |event: IpcEvent, n: u32| {
        for i in 0..n {
            event
                .sender()
                .send("seq", (i,))
                .map_err(|e| e.to_string())?;
        }
        Ok::<_, String>(n)
    })
    .map_err(err)?;
    ipc.handle("to-frame", |event: IpcEvent, frame: u32| {
        event
            .sender()
            .send_to_frame(frame, "framed", ("hello frame",))
            .map_err(|e| e.to_string())
    })
    .map_err(err)?;
    let app = h.app().handle();
    ipc.handle("from-id", move |event: IpcEvent| {
        let found = app.web_contents_from_id(event.sender().id());
        let missing = app.web_contents_from_id(999_999);
        Json((found.as_ref() == Some(event.sender()), missing.is_none()))
    })
    .map_err(err)?;
    let app = h.app().handle();
    ipc.handle("window-ids", move |_: IpcEvent| {
        app.get_all_windows()
            .iter()
            .map(|w| w.id())
            .collect::<Vec<_>>()
    })
    .map_err(err)?;

    // Ports: an echo server on the main end of whatever port arrives on 'port-in';
    // 'port-out' sends the renderer a port whose main end answers "main:<data>".
    ipc.on("port-in", |event: IpcEvent, message: Value| {
        for port in event.ports() {
            let answer = port.clone();
            port.on_message(move |m| {
                let _ =
                    answer.post_message(Value::Array(vec![Value::String("echo".into()), m.data]));
            });
            port.start();
            let _ = port.post_message(Value::Array(vec![
                Value::String("welcome".into()),
                message.clone(),
            ]));
        }
    });
    ipc.handle("port-out", |event: IpcEvent| {
        let MessageChannelMain { port1, port2 } = MessageChannelMain::new();
        let answer = port1.clone();
        port1.on_message(move |m| {
            let text = format!("main:{}", m.data.as_str().unwrap_or("?"));
            let _ = answer.post_message(text);
        });
        port1.start();
        // Posted before the transfer: it must follow the port.
        port1
            .post_message("queued before transfer")
            .map_err(|e| e.to_string())?;
        event
            .sender()
            .post_message("port-out", "here is a port", vec![port2])
            .map_err(|e| e.to_string())
    })
    .map_err(err)?;
    Ok(())
}

/// Opens a window whose preload runs `body` (an async function body with
/// `ipcRenderer`, `contextBridge` and the helpers in scope) after the page loaded.
fn in_preload(h: &Harness, body: &str) -> Result<Driver, String> {
    fixture(h)?;
    let preload = format!(
        "{REPORT_JS}{HELPERS_JS}const {{ ipcRenderer, contextBridge }} = require('electron');\n{NEXT_JS}\n\
         window.addEventListener('DOMContentLoaded', () => {{ (async () => {{\n{body}\n}})()\
           .then(() => report('verdict', 'pass'), (e) => report('verdict', String(e && e.message))); }});\n"
    );
    let html = format!(
        "<!DOCTYPE html><html><head><script>{REPORT_JS}</script></head><body>api</body></html>"
    );
    h.window("api", Some(&preload), &html)?;
    verdict(h)
}

/// Opens a window whose preload is `preload` and whose page runs `body` (an async
/// function body with the helpers in scope).
pub(crate) fn in_page(h: &Harness, preload: &str, body: &str) -> Result<Driver, String> {
    in_page_with(h, api_prefs(), preload, body)
}

/// [`in_page`] in a window with preferences `prefs` (its preload is set here).
pub(crate) fn in_page_with(
    h: &Harness,
    prefs: WebPreferences,
    preload: &str,
    body: &str,
) -> Result<Driver, String> {
    fixture(h)?;
    let preload = format!(
        "{REPORT_JS}{HELPERS_JS}const {{ ipcRenderer, contextBridge }} = require('electron');\n{NEXT_JS}\n{preload}\n"
    );
    let html = format!(
        "<!DOCTYPE html><html><head><script>{REPORT_JS}{HELPERS_JS}\n\
         window.addEventListener('DOMContentLoaded', () => {{ (async () => {{\n{body}\n}})()\
           .then(() => report('verdict', 'pass'), (e) => report('verdict', String(e && e.message))); }});\n\
         </script></head><body>api</body></html>"
    );
    let prefs = WebPreferences {
        preload: Some(h.file("api-preload.js", &preload)?),
        ..prefs
    };
    h.window_with("api", prefs, &html)?;
    verdict(h)
}

fn verdict(h: &Harness) -> Result<Driver, String> {
    let probe = h.probe();
    Ok(Box::pin(async move {
        ensure_eq!(probe.result("verdict").await?, json!("pass"));
        Ok(())
    }))
}

/// One scenario per documented behaviour: `preload_case!(name, "doc", "body")` runs
/// the body in the preload, `page_case!(name, "doc", "preload", "body")` in the page.
macro_rules! preload_case {
    ($name:ident, $doc:literal, $body:expr) => {
        #[doc = $doc]
        pub(crate) fn $name(h: &Harness) -> Result<Driver, String> {
            in_preload(h, $body)
        }
    };
}

macro_rules! page_case {
    ($name:ident, $doc:literal, $preload:expr, $body:expr) => {
        #[doc = $doc]
        pub(crate) fn $name(h: &Harness) -> Result<Driver, String> {
            in_page(h, $preload, $body)
        }
    };
}

// ---- ipcRenderer ---------------------------------------------------------------------

preload_case!(
    ipc_renderer_on_gets_event_then_args,
    "`ipcRenderer.on(channel, listener)`: the listener is called with `listener(event, ...args)`.",
    "const got = next('two');\n\
     await ipcRenderer.invoke('push', 'two', ['a', 2]);\n\
     const { event, args } = await got;\n\
     check(event.sender === ipcRenderer, 'event.sender to be ipcRenderer');\n\
     check(args.length === 2 && args[0] === 'a' && args[1] === 2, 'the two arguments, got ' + JSON.stringify(args));"
);

preload_case!(
    ipc_renderer_once_is_removed_after_one_message,
    "`ipcRenderer.once`: a one time listener, removed after it is invoked.",
    "let calls = 0;\n\
     ipcRenderer.once('tick', () => { calls += 1; });\n\
     check(ipcRenderer.listenerCount('tick') === 1, 'one listener before');\n\
     await ipcRenderer.invoke('push', 'tick', 1);\n\
     await ipcRenderer.invoke('push', 'tick', 2);\n\
     await sleep(50);\n\
     check(calls === 1, 'one call, got ' + calls);\n\
     check(ipcRenderer.listenerCount('tick') === 0, 'no listener after');"
);

preload_case!(
    ipc_renderer_remove_listener_and_off,
    "`ipcRenderer.removeListener` / `off`: the listener is no longer called.",
    "const calls = [];\n\
     const a = () => calls.push('a'); const b = () => calls.push('b');\n\
     ipcRenderer.on('tock', a).on('tock', b);\n\
     ipcRenderer.removeListener('tock', a);\n\
     await ipcRenderer.invoke('push', 'tock', 1);\n\
     ipcRenderer.off('tock', b);\n\
     await ipcRenderer.invoke('push', 'tock', 2);\n\
     await sleep(50);\n\
     check(calls.join() === 'b', 'only b, once; got ' + calls.join());"
);

preload_case!(
    ipc_renderer_remove_all_listeners,
    "`ipcRenderer.removeAllListeners([channel])`: of one channel, or of all.",
    "ipcRenderer.on('x1', () => {}).on('x1', () => {}).on('x2', () => {});\n\
     ipcRenderer.removeAllListeners('x1');\n\
     check(ipcRenderer.listenerCount('x1') === 0 && ipcRenderer.listenerCount('x2') === 1, 'x1 cleared, x2 kept');\n\
     ipcRenderer.removeAllListeners();\n\
     check(ipcRenderer.listenerCount('x2') === 0, 'everything cleared');"
);

preload_case!(
    ipc_renderer_send_reaches_listeners_in_order,
    "`ipcRenderer.send`: asynchronous, arguments serialized, messages in order.",
    "for (let i = 0; i < 50; i++) ipcRenderer.send('record', i);\n\
     const got = await ipcRenderer.invoke('recorded');\n\
     check(got.length === 51, '50 messages and the once listener, got ' + got.length);\n\
     check(got[0] === 0 && String(got[1]).startsWith('once'), 'the once listener on the first message only');\n\
     check(got.slice(2).every((v, i) => v === i + 1), 'the rest in order: ' + JSON.stringify(got));"
);

preload_case!(
    ipc_renderer_invokes_made_together_keep_order_and_answers,
    "`ipcRenderer.invoke` and `send` made in one turn reach the main process in the order they were made, and each invoke gets its own answer, bytes or not (Voltaic sends such invokes together).",
    "const calls = [];\n\
     for (let i = 0; i < 300; i++) {\n\
       ipcRenderer.send('record', 's' + i);\n\
       calls.push(ipcRenderer.invoke('record-invoke', i % 7 === 3 ? new Uint8Array([i & 255, 1]) : i));\n\
     }\n\
     const answers = await Promise.all(calls);\n\
     check(answers.every((a, i) => i % 7 === 3 ? a instanceof Uint8Array && a[0] === (i & 255) && a[1] === 1 : a === i),\n\
       'each invoke its own answer: ' + JSON.stringify(answers.slice(0, 12)));\n\
     const got = (await ipcRenderer.invoke('recorded')).filter((v) => !String(v).startsWith('once'));\n\
     check(got.length === 600, 'every send and invoke arrived, got ' + got.length);\n\
     check(got.every((v, k) => k % 2 === 0 ? v === 's' + k / 2 : (k - 1) / 2 % 7 === 3 ? v instanceof Uint8Array && v[0] === ((k - 1) / 2 & 255) : v === (k - 1) / 2),\n\
       'in the order they were made: ' + JSON.stringify(got.slice(0, 12)));"
);

preload_case!(
    ipc_renderer_send_copies_its_arguments,
    "`ipcRenderer.send`: arguments are copied when sent; changing them afterwards changes nothing.",
    "const value = { n: 1 };\n\
     ipcRenderer.send('record', value);\n\
     value.n = 2;\n\
     const got = await ipcRenderer.invoke('recorded');\n\
     check(got[0].n === 1, 'the value as it was when sent');"
);

preload_case!(
    ipc_renderer_invoke_resolves_with_the_handler_result,
    "`ipcRenderer.invoke`: resolves with the handler's result.",
    "const back = await ipcRenderer.invoke('pair', 'x', { y: [1] });\n\
     check(JSON.stringify(back) === '[\"x\",{\"y\":[1]}]', 'both arguments back, got ' + JSON.stringify(back));"
);

preload_case!(
    ipc_renderer_invoke_waits_for_async_handlers,
    "`ipcMain.handle`: if the listener returns a Promise, its eventual result is the reply.",
    "const t = Date.now();\n\
     check(await ipcRenderer.invoke('slow') === 'late', 'the async result');\n\
     check(Date.now() - t >= 40, 'it waited for the handler');"
);

preload_case!(
    ipc_renderer_invoke_rejects_with_the_handler_error,
    "`ipcMain.handle`: errors are not transparent; only the message reaches the renderer.",
    "const message = await errorOf(() => ipcRenderer.invoke('fail'));\n\
     check(message === \"Error invoking remote method 'fail': it broke\", 'Electron\\'s message, got ' + message);"
);

preload_case!(
    ipc_renderer_invoke_without_handler_rejects,
    "`ipcRenderer.invoke` on a channel nobody handles rejects, naming it.",
    "const message = await errorOf(() => ipcRenderer.invoke('nobody-home'));\n\
     check(message.includes(\"No handler registered for 'nobody-home'\"), 'no handler, got ' + message);"
);

preload_case!(
    ipc_renderer_invokes_settle_independently,
    "`ipcRenderer.invoke`: each call gets its own answer, whatever the order they finish in.",
    "const [slow, fast] = await Promise.all([ipcRenderer.invoke('slow'), ipcRenderer.invoke('echo', 'fast')]);\n\
     check(slow === 'late' && fast === 'fast', 'each its own answer');"
);

preload_case!(
    ipc_renderer_send_sync_returns_the_return_value,
    "`ipcRenderer.sendSync`: returns the value set by `event.returnValue` in the main process.",
    "check(ipcRenderer.sendSync('sync-add', 2, 3) === 5, '2 + 3');"
);

preload_case!(
    ipc_renderer_send_sync_carries_bytes_both_ways,
    "`ipcRenderer.sendSync` arguments and return values are structured-cloned too: bytes as bytes, every byte value.",
    "const data = new Uint8Array(300000);\n\
     for (let i = 0; i < data.length; i++) data[i] = (i * 7) & 255;\n\
     const back = ipcRenderer.sendSync('sync-bytes', data);\n\
     check(back instanceof ArrayBuffer && back.byteLength === data.length, 'an ArrayBuffer of the same size');\n\
     const view = new Uint8Array(back);\n\
     check(view.every((b, i) => b === data[data.length - 1 - i]), 'every byte, reversed');"
);

preload_case!(
    ipc_renderer_send_sync_waits_for_a_late_return_value,
    "`ipcRenderer.sendSync` blocks until the return value is set, even later.",
    "check(ipcRenderer.sendSync('sync-later') === 'later', 'the value set 30 ms later');"
);

preload_case!(
    ipc_renderer_listener_errors_do_not_stop_other_listeners,
    "Listeners are called in order; one that throws does not keep the next from running.",
    "const calls = [];\n\
     ipcRenderer.on('many', () => { calls.push(1); throw new Error('listener failure'); });\n\
     ipcRenderer.on('many', () => calls.push(2));\n\
     await ipcRenderer.invoke('push', 'many', 0);\n\
     await sleep(50);\n\
     check(calls.join() === '1,2', 'both listeners, got ' + calls.join());"
);

preload_case!(
    ipc_renderer_rejects_invalid_channels,
    "Channels are strings: anything else is refused at the sender.",
    "for (const bad of [undefined, 42, '', {}]) {\n\
       const message = await errorOf(() => ipcRenderer.invoke(bad));\n\
       check(message.includes('Invalid IPC channel'), 'a channel error for ' + String(bad) + ', got ' + message);\n\
     }"
);

preload_case!(
    ipc_renderer_invoke_copies_its_arguments,
    "`ipcRenderer.invoke`: arguments are serialized when sent, not when the handler reads them.",
    "const value = { n: 1 };\n\
     const answer = ipcRenderer.invoke('echo', value);\n\
     value.n = 2;\n\
     check((await answer).n === 1, 'the value as it was when sent');"
);

preload_case!(
    ipc_renderer_post_message_without_ports_is_a_message,
    "`ipcRenderer.postMessage(channel, message)` without ports reaches `ipcMain.on` listeners like `send`.",
    "ipcRenderer.postMessage('record', { via: 'postMessage' });\n\
     const got = await ipcRenderer.invoke('recorded');\n\
     check(got[0] && got[0].via === 'postMessage', 'the message, got ' + JSON.stringify(got));"
);

// ---- ipcMain ---------------------------------------------------------------------------

preload_case!(
    ipc_main_async_handler_errors_reject,
    "`ipcMain.handle`: a handler whose Promise rejects rejects the invoke, with the message.",
    "const message = await errorOf(() => ipcRenderer.invoke('slow-fail'));\n\
     check(message === \"Error invoking remote method 'slow-fail': failed later\", 'the message, got ' + message);"
);

preload_case!(
    ipc_main_once_listener_runs_for_the_first_message_only,
    "`ipcMain.once`: a one time listener, removed after the first message.",
    "ipcRenderer.send('record', 'a'); ipcRenderer.send('record', 'b');\n\
     const got = await ipcRenderer.invoke('recorded');\n\
     check(got.filter((v) => String(v).startsWith('once')).length === 1, 'one once call: ' + JSON.stringify(got));\n\
     check(await ipcRenderer.invoke('listeners', 'record') === 1, 'one listener left');"
);

preload_case!(
    ipc_main_remove_all_listeners,
    "`ipcMain.removeAllListeners(channel)`: the channel's listeners are gone.",
    "await ipcRenderer.invoke('drop-listeners', 'record');\n\
     check(await ipcRenderer.invoke('listeners', 'record') === 0, 'no listeners');\n\
     ipcRenderer.send('record', 1);\n\
     check((await ipcRenderer.invoke('recorded')).length === 0, 'nothing recorded');"
);

preload_case!(
    ipc_main_handle_once_answers_one_invoke,
    "`ipcMain.handleOnce`: handles a single invoke, then is removed.",
    "check(await ipcRenderer.invoke('only-once') === 'first', 'the first answer');\n\
     const message = await errorOf(() => ipcRenderer.invoke('only-once'));\n\
     check(message.includes('No handler registered'), 'then no handler, got ' + message);"
);

preload_case!(
    ipc_main_remove_handler,
    "`ipcMain.removeHandler(channel)`: invokes of the channel are no longer handled.",
    "check(await ipcRenderer.invoke('doomed') === 1, 'handled before');\n\
     check(await ipcRenderer.invoke('remove-doomed') === true, 'removed');\n\
     check((await errorOf(() => ipcRenderer.invoke('doomed'))).includes('No handler'), 'not handled after');"
);

preload_case!(
    ipc_main_handle_twice_is_an_error,
    "`ipcMain.handle` on a channel that has a handler throws: one handler per channel.",
    "const error = await ipcRenderer.invoke('second-handler');\n\
     check(error === \"Attempted to register a second handler for 'echo'\", 'Electron\\'s error, got ' + error);"
);

preload_case!(
    ipc_main_event_reply_goes_to_the_sender,
    "`event.reply`: sends to the frame that sent the original message.",
    "const got = next('pong');\n\
     ipcRenderer.send('ping', { hello: 1 });\n\
     const { args } = await got;\n\
     check(args[0].hello === 1, 'the reply, got ' + JSON.stringify(args));"
);

preload_case!(
    ipc_main_event_sender_and_frame,
    "`event.sender`, `event.senderFrame`, `event.frameId`: the sending window and frame, from the webview.",
    "const me = await ipcRenderer.invoke('whoami');\n\
     const ids = await ipcRenderer.invoke('window-ids');\n\
     check(ids.includes(me.id), 'the sender is an open window');\n\
     check(me.frame === 1, 'the main frame id, got ' + me.frame);\n\
     // The app's origin reads app://localhost in the main process on every engine;\n\
     // Chromium serves it at https://voltaic.localhost (see the README).\n\
     check(me.url === location.href.replace(/^https:\\/\\/voltaic\\.localhost\\//, 'app://localhost/'), 'the frame URL ' + me.url);\n\
     check(me.origin === 'app://localhost', 'the app origin, got ' + me.origin);\n\
     check(me.channel === 'whoami', 'the channel');"
);

// ---- webContents / BrowserWindow --------------------------------------------------------

preload_case!(
    web_contents_send_delivers_in_order,
    "`webContents.send`: messages arrive in the order sent.",
    "const seen = [];\n\
     ipcRenderer.on('seq', (e, i) => seen.push(i));\n\
     await ipcRenderer.invoke('push-many', 200);\n\
     await sleep(50);\n\
     check(seen.length === 200 && seen.every((v, i) => v === i), 'all 200 in order, got ' + seen.length);"
);

preload_case!(
    web_contents_messages_before_the_answer_arrive_first,
    "Messages a handler sends before answering arrive before the answer.",
    "const seen = [];\n\
     ipcRenderer.on('seq', (e, i) => seen.push(i));\n\
     await ipcRenderer.invoke('push-many', 20);\n\
     check(seen.length === 20, 'all 20 before the answer, got ' + seen.length);"
);

preload_case!(
    web_contents_send_to_frame_reaches_the_main_frame,
    "`webContents.sendToFrame(frameId, ...)`: the main frame receives it like `send`.",
    "const got = next('framed');\n\
     check(await ipcRenderer.invoke('to-frame', 1) === undefined, 'sent, answered with undefined');\n\
     check((await got).args[0] === 'hello frame', 'received');"
);

preload_case!(
    web_contents_send_to_frame_refuses_unknown_frames,
    "`webContents.sendToFrame` to a frame without a preload is an error, not a silent drop.",
    "const message = await errorOf(() => ipcRenderer.invoke('to-frame', 7));\n\
     check(message.includes('frame 7 has no preload'), 'the frame error, got ' + message);"
);

preload_case!(
    web_contents_from_id_finds_the_window,
    "`webContents.fromId(id)`: the window's contents, or none for an unknown id.",
    "const [found, missing] = await ipcRenderer.invoke('from-id');\n\
     check(found && missing, 'found and missing: ' + found + ' ' + missing);"
);

// ---- MessagePorts ---------------------------------------------------------------------

preload_case!(
    ipc_renderer_post_message_transfers_a_port_to_main,
    "`ipcRenderer.postMessage(channel, message, [port])`: the main process gets the port in `event.ports`.",
    "const { port1, port2 } = new MessageChannel();\n\
     const got = [];\n\
     port2.onmessage = (e) => got.push(e.data);\n\
     ipcRenderer.postMessage('port-in', { hi: 1 }, [port1]);\n\
     port2.postMessage('ping');\n\
     await until(() => got.length >= 2);\n\
     check(JSON.stringify(got) === '[[\"welcome\",{\"hi\":1}],[\"echo\",\"ping\"]]', 'welcome and echo, got ' + JSON.stringify(got));"
);

preload_case!(
    ipc_renderer_post_message_transfers_several_ports_in_order,
    "`ipcRenderer.postMessage`'s transfer list: every port arrives, in `event.ports` order.",
    "const a = new MessageChannel(), b = new MessageChannel();\n\
     const got = [];\n\
     a.port2.onmessage = (e) => got.push('a:' + e.data[0]);\n\
     b.port2.onmessage = (e) => got.push('b:' + e.data[0]);\n\
     ipcRenderer.postMessage('port-in', 'two', [a.port1, b.port1]);\n\
     await until(() => got.length >= 2);\n\
     check(got.sort().join() === 'a:welcome,b:welcome', 'a welcome on each port, got ' + got.join());"
);

preload_case!(
    ipc_main_handler_without_result_answers_undefined,
    "`ipcMain.handle`: a handler that returns nothing resolves the invoke with `undefined`.",
    "const back = await ipcRenderer.invoke('drop-listeners', 'nothing');\n\
     check(back === undefined, 'undefined, got ' + JSON.stringify(back));"
);

preload_case!(
    ipc_renderer_post_message_neuters_the_transferred_port,
    "A transferred port can be transferred only once, and only ports can be.",
    "const { port1 } = new MessageChannel();\n\
     ipcRenderer.postMessage('port-in', null, [port1]);\n\
     check((await errorOf(() => ipcRenderer.postMessage('port-in', null, [port1]))).includes('only once'), 'a second transfer refused');\n\
     for (const transfer of [[{}], [new ArrayBuffer(8)], 'port']) {\n\
       const message = await errorOf(() => ipcRenderer.postMessage('port-in', null, transfer));\n\
       check(message === 'Invalid value for transfer', 'Electron\\'s error for a transfer of ' + String(transfer) + ', got ' + message);\n\
     }"
);

preload_case!(
    web_contents_post_message_gives_the_renderer_a_port,
    "`webContents.postMessage(channel, message, [port])`: the listener gets the port in `event.ports`, with what was posted before the transfer.",
    "const got = next('port-out');\n\
     await ipcRenderer.invoke('port-out');\n\
     const { event, args } = await got;\n\
     check(args[0] === 'here is a port', 'the message');\n\
     check(event.ports.length === 1 && event.ports[0] instanceof MessagePort, 'one MessagePort');\n\
     const port = event.ports[0];\n\
     const seen = [];\n\
     port.onmessage = (e) => seen.push(e.data);\n\
     port.postMessage('hi');\n\
     await until(() => seen.length >= 2);\n\
     check(JSON.stringify(seen) === '[\"queued before transfer\",\"main:hi\"]', 'queued message then echo, got ' + JSON.stringify(seen));"
);

preload_case!(
    message_ports_carry_structured_clone_values,
    "Port messages are structured-cloned like IPC arguments: bytes, Maps and Dates survive.",
    "const { port1, port2 } = new MessageChannel();\n\
     const got = [];\n\
     port2.onmessage = (e) => got.push(e.data);\n\
     ipcRenderer.postMessage('port-in', null, [port1]);\n\
     port2.postMessage({ bytes: new Uint8Array([1, 2, 3]), map: new Map([['k', new Date(5)]]) });\n\
     await until(() => got.length >= 2);\n\
     const echoed = got[1] && got[1][1];\n\
     check(echoed && echoed.bytes instanceof Uint8Array && echoed.bytes.join() === '1,2,3', 'bytes back');\n\
     check(echoed.map instanceof Map && echoed.map.get('k').getTime() === 5, 'a Map of Dates back');"
);

page_case!(
    message_ports_reach_the_main_world_through_window_post_message,
    "The message-ports tutorial: the preload hands a port to the isolated page with `window.postMessage(data, '*', [port])`.",
    "ipcRenderer.on('port-out', (event) => { window.postMessage('main-world-port', '*', event.ports); });\n\
     window.addEventListener('DOMContentLoaded', () => ipcRenderer.invoke('port-out'));",
    "const port = await new Promise((resolve, reject) => {\n\
       setTimeout(() => reject(new Error('no port within 20 s')), 20000);\n\
       window.addEventListener('message', (e) => { if (e.data === 'main-world-port') resolve(e.ports[0]); });\n\
     });\n\
     const seen = [];\n\
     port.onmessage = (e) => seen.push(e.data);\n\
     port.postMessage('from the page');\n\
     await until(() => seen.length >= 2);\n\
     check(seen[1] === 'main:from the page', 'the main process answered the page, got ' + JSON.stringify(seen));"
);

// ---- contextBridge ---------------------------------------------------------------------

preload_case!(
    context_bridge_isolated_worlds_must_be_named,
    "`contextBridge.exposeInIsolatedWorld` and `webFrame.executeJavaScriptInIsolatedWorld` on a world the window does not name fail, saying where to name it; world 0 is the page's.",
    "const { webFrame } = require('electron');\n\
     const exposed = await errorOf(() => contextBridge.exposeInIsolatedWorld(1004, 'example', 1));\n\
     check(exposed.includes('world 1004') && exposed.includes('WebPreferences::isolated_worlds'), 'expose refused, got ' + exposed);\n\
     const ran = await errorOf(() => webFrame.executeJavaScriptInIsolatedWorld(1004, [{ code: '1' }]));\n\
     check(ran.includes('world 1004') && ran.includes('WebPreferences::isolated_worlds'), 'script refused, got ' + ran);\n\
     contextBridge.exposeInIsolatedWorld(0, 'inPage', 7);\n\
     const seen = await webFrame.executeJavaScriptInIsolatedWorld(0, [{ code: 'window.inPage' }]);\n\
     check(seen === 7, 'world 0 is the page, got ' + seen);"
);

page_case!(
    context_bridge_exposes_the_api_on_window,
    "`contextBridge.exposeInMainWorld(apiKey, api)`: the page sees `window[apiKey]`.",
    "contextBridge.exposeInMainWorld('api', { hello: () => 'hi', version: 3 });",
    "check(window.api.hello() === 'hi' && window.api.version === 3, 'the API');"
);

page_case!(
    context_bridge_calls_nest_both_ways,
    "A bridged call made while another is being handled, in either direction and many levels deep, gets its own answer (Voltaic reuses one message event per level).",
    "contextBridge.exposeInMainWorld('api', {\n\
       nest: (depth, back) => depth === 0 ? 'bottom' : back(depth) + '<' + depth,\n\
       twice: (f) => f('a') + f('b'),\n\
     });",
    "const back = (d) => window.api.nest(d - 1, back);\n\
     const deep = window.api.nest(12, back);\n\
     check(deep === 'bottom' + Array.from({ length: 12 }, (_, i) => '<' + (i + 1)).join(''), 'each level its own answer, got ' + deep);\n\
     check(window.api.twice((x) => window.api.twice((y) => x + y)) === 'aaabbabb', 'calls in a row inside a call');"
);

page_case!(
    context_bridge_plain_values_keep_their_exact_value,
    "Strings, numbers and booleans cross the bridge as themselves, including the ones JSON cannot write (-0, NaN, infinities) and strings of any size or content.",
    "contextBridge.exposeInMainWorld('api', { same: (...args) => args, one: (v) => v, later: (v) => Promise.resolve(v) });",
    "const values = [0, -0, 1.5, -7, 2 ** 53, NaN, Infinity, -Infinity, true, false, null, '', 'x'.repeat(5000), '\\u2028\\ud800\\\"\\n', 'é'];\n\
     const back = window.api.same(...values);\n\
     check(back.length === values.length && back.every((v, i) => Object.is(v, values[i])), 'the arguments, exactly; these differ: ' + values.map((v, i) => Object.is(back[i], v) ? '' : i).filter(String).join());\n\
     for (let i = 0; i < values.length; i++) {\n\
       check(Object.is(window.api.one(values[i]), values[i]), 'value ' + i + ' returned exactly');\n\
       check(Object.is(await window.api.later(values[i]), values[i]), 'value ' + i + ' settled exactly');\n\
     }\n\
     check(window.api.one(undefined) === undefined && window.api.same(undefined, 1)[0] === undefined, 'undefined too');"
);

page_case!(
    context_bridge_exposed_objects_are_frozen,
    "Exposed objects are frozen: the page cannot change or extend them.",
    "contextBridge.exposeInMainWorld('api', { hello: () => 'hi', nested: { a: 1 } });",
    "check(Object.isFrozen(window.api) && Object.isFrozen(window.api.nested), 'frozen');\n\
     try { window.api.hello = () => 'pwned'; } catch (_) {}\n\
     check(window.api.hello() === 'hi', 'unchanged');"
);

page_case!(
    context_bridge_bytes_are_copied,
    "Bytes crossing the bridge are copies, whole-buffer views included: neither side sees the other's later writes.",
    "let kept = null;\n\
     contextBridge.exposeInMainWorld('bytes', {\n\
       keep: (u8) => { kept = u8; u8[0] = 9; return u8; },\n\
       first: () => kept[0],\n\
     });",
    "const mine = new Uint8Array([1, 2, 3]);\n\
     const back = window.bytes.keep(mine);\n\
     check(mine[0] === 1, 'the page\\'s array untouched by the preload, got ' + mine[0]);\n\
     check(back[0] === 9 && back !== mine, 'the preload\\'s copy came back as a copy');\n\
     mine[0] = 7; back[0] = 8;\n\
     check(window.bytes.first() === 9, 'the preload\\'s copy untouched by the page, got ' + window.bytes.first());"
);

page_case!(
    context_bridge_values_are_copied,
    "Values crossing the bridge are copies: changing one side's object leaves the other alone.",
    "const state = { list: [1] };\n\
     contextBridge.exposeInMainWorld('api', { get: () => state, put: (v) => { v.list.push(99); return state.list.length; } });",
    "const got = window.api.get(); got.list.push(2);\n\
     check(window.api.get().list.length === 1, 'the preload object untouched');\n\
     const mine = { list: [] };\n\
     window.api.put(mine);\n\
     check(mine.list.length === 0, 'the page object untouched');"
);

page_case!(
    context_bridge_prototypes_are_stripped,
    "Prototypes are dropped: class instances arrive as plain objects.",
    "class Point { constructor() { this.x = 1; } norm() { return 1; } }\n\
     contextBridge.exposeInMainWorld('api', { point: () => new Point() });",
    "const p = window.api.point();\n\
     check(p.x === 1 && Object.getPrototypeOf(p) === Object.prototype && p.norm === undefined, 'a plain object');"
);

page_case!(
    context_bridge_page_callbacks_can_be_called_later,
    "Functions passed from the page are proxied: the preload may call them later.",
    "let saved = null;\n\
     contextBridge.exposeInMainWorld('api', { subscribe: (f) => { saved = f; }, fire: (v) => setTimeout(() => saved(v), 10) });",
    "const got = await new Promise((resolve) => { window.api.subscribe(resolve); window.api.fire('later'); });\n\
     check(got === 'later', 'the callback ran later');"
);

page_case!(
    context_bridge_returned_functions_are_callable,
    "Functions returned by the preload are callable from the page.",
    "contextBridge.exposeInMainWorld('api', { counter: () => { let n = 0; return () => ++n; } });",
    "const count = window.api.counter();\n\
     count(); count();\n\
     check(count() === 3, 'the closure state kept');"
);

page_case!(
    context_bridge_promises_are_proxied,
    "Promises are proxied: resolved and rejected values cross.",
    "contextBridge.exposeInMainWorld('api', { ok: () => Promise.resolve({ v: 1 }), bad: () => Promise.reject(new Error('nope')) });",
    "check((await window.api.ok()).v === 1, 'resolved');\n\
     check((await errorOf(() => window.api.bad())) === 'nope', 'rejected with the message');"
);

page_case!(
    context_bridge_errors_keep_their_message,
    "Errors thrown in the preload reach the page with their message.",
    "contextBridge.exposeInMainWorld('api', { boom: () => { throw new TypeError('bad input'); } });",
    "check((await errorOf(() => window.api.boom())) === 'bad input', 'the message');"
);

page_case!(
    context_bridge_refuses_an_existing_key,
    "`exposeInMainWorld` refuses a key the page's window already has.",
    "let message = 'no error';\n\
     try { contextBridge.exposeInMainWorld('location', {}); } catch (e) { message = e.message; }\n\
     contextBridge.exposeInMainWorld('api', { message: () => message });",
    "check(window.api.message().includes('Cannot bind an API on top of an existing property'), 'Electron\\'s error, got ' + window.api.message());"
);

page_case!(
    context_bridge_page_reaches_ipc_only_through_the_api,
    "Context isolation: the page has no `ipcRenderer`, `require` or transport; only what was exposed.",
    "contextBridge.exposeInMainWorld('api', { invoke: (v) => ipcRenderer.invoke('echo', v) });",
    "check(typeof require === 'undefined' && typeof ipcRenderer === 'undefined', 'no preload globals');\n\
     check(!(window.webkit && window.webkit.messageHandlers && Object.keys(window.webkit.messageHandlers).length), 'no transport');\n\
     check((await window.api.invoke('through')) === 'through', 'IPC through the API');"
);

page_case!(
    context_bridge_exposes_a_function_directly,
    "`exposeInMainWorld(apiKey, api)`: the API may be a function, not only an object.",
    "contextBridge.exposeInMainWorld('ping', (v) => 'pong ' + v);",
    "check(window.ping('x') === 'pong x', 'the exposed function');"
);

page_case!(
    context_bridge_functions_inside_values_are_proxied,
    "Functions nested in objects and arrays passed from the page are proxied too.",
    "contextBridge.exposeInMainWorld('api', { run: (options) => options.handlers[0](options.value) + options.done() });",
    "check(window.api.run({ value: 2, handlers: [(v) => v * 10], done: () => 1 }) === 21, 'both nested callbacks ran');"
);

page_case!(
    context_bridge_page_callback_errors_reach_the_preload,
    "Errors thrown by a page function called from the preload reach the preload with their message.",
    "contextBridge.exposeInMainWorld('api', { call: (f) => { try { f(); return 'no error'; } catch (e) { return e.message; } } });",
    "check(window.api.call(() => { throw new Error('page failure'); }) === 'page failure', 'the message, got ' + window.api.call(() => { throw new Error('page failure'); }));"
);

page_case!(
    context_bridge_lets_go_of_functions_the_page_dropped,
    "A function the preload returned is released once the page's proxy of it is garbage collected; one the page keeps still works.",
    "let collected = 0;\n\
     const registry = new FinalizationRegistry(() => { collected += 1; });\n\
     contextBridge.exposeInMainWorld('api', {\n\
       make: () => { const f = () => 1; registry.register(f, 0); return f; },\n\
       collected: () => collected,\n\
     });",
    "const kept = window.api.make();\n\
     for (let i = 0; i < 500; i++) window.api.make()();\n\
     await collectUntil(() => window.api.collected() > 400, () => 'the preload let go of only ' + window.api.collected() + ' of 500 dropped functions');\n\
     check(kept() === 1, 'the kept function to still work');"
);

page_case!(
    context_bridge_lets_go_of_callbacks_the_preload_dropped,
    "A page callback passed to the preload is released once the preload's proxy of it is garbage collected; one the preload keeps still works.",
    "let kept = null;\n\
     contextBridge.exposeInMainWorld('api', { call: (f) => f(), keep: (f) => { kept = f; }, callKept: () => kept() });",
    "let collected = 0;\n\
     const registry = new FinalizationRegistry(() => { collected += 1; });\n\
     window.api.keep(() => 'still here');\n\
     for (let i = 0; i < 500; i++) { const f = () => i; registry.register(f, 0); window.api.call(f); }\n\
     // Named in the condition so that the registry itself stays alive to report.\n\
     await collectUntil(() => registry && collected > 400, () => 'the bridge let go of only ' + collected + ' of 500 page callbacks');\n\
     check(window.api.callKept() === 'still here', 'the kept callback to still work');"
);

// ---- The sandboxed preload environment ("Process Sandboxing", `process`) ---------------

preload_case!(
    sandboxed_preload_has_process_buffer_global_and_immediates,
    "A sandboxed preload gets `process`, `Buffer`, `global`, `setImmediate` and `clearImmediate`.",
    "check(typeof process === 'object' && typeof Buffer === 'function' && global === globalThis, 'the globals');\n\
     check(process.type === 'renderer', 'process.type renderer, got ' + process.type);\n\
     check(process.platform === 'linux', 'process.platform linux, got ' + process.platform);\n\
     check(['x64', 'arm64', 'ia32', 'arm', 'riscv64', 'ppc64', 's390x', 'loongarch64'].includes(process.arch), 'a Node arch, got ' + process.arch);\n\
     check(process.contextIsolated === true, 'contextIsolated');\n\
     check(typeof process.sandboxed === 'boolean', 'sandboxed is a boolean');\n\
     check([process.versions.webkitgtk, process.versions.chrome].filter((v) => /^\\d+(\\.\\d+){2,3}$/.test(v)).length === 1, 'the engine\\'s version (webkitgtk or chrome), got ' + JSON.stringify(process.versions));\n\
     check(typeof process.versions.voltaic === 'string', 'versions.voltaic');\n\
     check(process.versions.electron === undefined && process.versions.node === undefined, 'no electron or node version');\n\
     check(typeof process.env.PATH === 'string' && process.env.VOLTAIC_TEST_CASE === 'sandboxed_preload_has_process_buffer_global_and_immediates', 'the main process environment');\n\
     check(Array.isArray(process.argv) && process.argv.length > 0, 'argv');\n\
     check(typeof process.execPath === 'string' && process.execPath.includes('conformance'), 'execPath of the app, got ' + process.execPath);\n\
     check(Number.isInteger(process.pid) && process.pid > 0, 'a pid');\n\
     check(process.cwd().startsWith('/'), 'an absolute cwd');\n\
     check(process.getSystemVersion().length > 0, 'a system version');\n\
     const t = process.hrtime(); check(t.length === 2 && typeof process.hrtime.bigint() === 'bigint', 'hrtime');\n\
     let heard = null; process.once('custom', (v) => { heard = v; }); process.emit('custom', 7);\n\
     check(heard === 7, 'process is an EventEmitter');\n\
     const order = [];\n\
     await new Promise((resolve) => { setImmediate((v) => { order.push(v); resolve(); }, 'immediate'); clearImmediate(setImmediate(() => order.push('cleared'))); });\n\
     check(order.join() === 'immediate', 'setImmediate ran, clearImmediate cleared: ' + order.join());"
);

preload_case!(
    sandboxed_preload_require_has_electrons_module_map,
    "A sandboxed preload's `require` gives `electron`, `events`, `timers` and `url` (with `node:` names); anything else throws `module not found`.",
    "check(require('electron/renderer') === require('electron') && require('electron/common') === require('electron'), 'electron aliases');\n\
     const EventEmitter = require('events');\n\
     check(typeof EventEmitter === 'function' && EventEmitter.EventEmitter === EventEmitter && require('node:events') === EventEmitter, 'events is EventEmitter');\n\
     const timers = require('timers');\n\
     check(require('node:timers') === timers && typeof timers.setImmediate === 'function' && typeof timers.setTimeout === 'function', 'timers');\n\
     const t = timers.setTimeout(() => {}, 1000); check(typeof t.unref === 'function' && t.unref() === t, 'Node-style Timeout'); timers.clearTimeout(t);\n\
     const url = require('url');\n\
     check(require('node:url') === url && url.URL === URL, 'url.URL');\n\
     check(url.fileURLToPath('file:///tmp/a%20b') === '/tmp/a b', 'fileURLToPath');\n\
     check(url.pathToFileURL('/tmp/a b#c').href === 'file:///tmp/a%20b%23c', 'pathToFileURL, got ' + url.pathToFileURL('/tmp/a b#c').href);\n\
     for (const name of ['fs', 'path', 'child_process', 'buffer', './local.js']) {\n\
       const message = await errorOf(() => require(name));\n\
       check(message === 'module not found: ' + name, 'Electron\\'s error for ' + name + ', got ' + message);\n\
     }"
);

preload_case!(
    sandboxed_preload_buffer_encodes_as_node_does,
    "`Buffer` in a sandboxed preload: utf8, hex, base64 and latin1, and it crosses IPC as bytes.",
    "const b = Buffer.from('héllo ✓', 'utf8');\n\
     check(b instanceof Uint8Array && Buffer.isBuffer(b) && b.length === 10, 'utf8 bytes');\n\
     check(b.toString('hex') === '68c3a96c6c6f20e29c93', 'hex, got ' + b.toString('hex'));\n\
     check(b.toString('base64') === 'aMOpbGxvIOKckw==', 'base64, got ' + b.toString('base64'));\n\
     check(Buffer.from('aMOpbGxvIOKckw==', 'base64').toString() === 'héllo ✓', 'base64 back');\n\
     check(Buffer.from('68c3a9', 'hex').toString('utf8') === 'hé', 'hex back');\n\
     check(Buffer.from('é', 'latin1')[0] === 0xe9 && Buffer.from([0xe9]).toString('latin1') === 'é', 'latin1');\n\
     check(Buffer.concat([Buffer.from('a'), Buffer.from('b')]).toString() === 'ab', 'concat');\n\
     const n = Buffer.alloc(4); n.writeUInt32BE(0x01020304); check(n.readUInt16LE(2) === 0x0403, 'numbers');\n\
     const back = await ipcRenderer.invoke('echo', Buffer.from('bytes'));\n\
     check(back instanceof Uint8Array && new TextDecoder().decode(back) === 'bytes', 'a Buffer crosses IPC as bytes');"
);

preload_case!(
    ipc_renderer_is_an_event_emitter,
    "`ipcRenderer` is an EventEmitter: Node's methods, and none of Voltaic's own traffic among its events.",
    "const EventEmitter = require('events');\n\
     check(ipcRenderer instanceof EventEmitter, 'an EventEmitter');\n\
     await ipcRenderer.invoke('echo', 1);\n\
     check(ipcRenderer.eventNames().length === 0, 'no events of its own, got ' + JSON.stringify(ipcRenderer.eventNames()));\n\
     const calls = [];\n\
     const a = () => calls.push('a'), b = () => calls.push('b'), c = () => calls.push('c');\n\
     ipcRenderer.addListener('order', a).prependListener('order', b).prependOnceListener('order', c);\n\
     check(ipcRenderer.listeners('order').join() === [c, b, a].join() && ipcRenderer.rawListeners('order').length === 3, 'listeners in order');\n\
     await ipcRenderer.invoke('push', 'order', 1);\n\
     await ipcRenderer.invoke('push', 'order', 2);\n\
     check(calls.join() === 'c,b,a,b,a', 'prepended first, once only once, got ' + calls.join());\n\
     check(JSON.stringify(ipcRenderer.eventNames()) === '[\"order\"]', 'eventNames, got ' + JSON.stringify(ipcRenderer.eventNames()));\n\
     check(ipcRenderer.getMaxListeners() === 10 && ipcRenderer.setMaxListeners(20) === ipcRenderer && ipcRenderer.getMaxListeners() === 20, 'max listeners');\n\
     check(ipcRenderer.emit('order') === true && calls.length === 7, 'emit calls the listeners');\n\
     const on = ipcRenderer.on, invoke = ipcRenderer.invoke;\n\
     on('unbound', a); check(ipcRenderer.listenerCount('unbound') === 1, 'an unbound on');\n\
     check(await invoke('echo', 'unbound') === 'unbound', 'an unbound invoke');\n\
     ipcRenderer.removeAllListeners();\n\
     check(ipcRenderer.eventNames().length === 0, 'all removed');\n\
     check(Object.keys(ipcRenderer).length === 0, 'no enumerable own properties');"
);

page_case!(
    context_bridge_typed_arrays_are_copied_not_frozen,
    "Electron's contextBridge spec: an exposed object holding a typed array is exposed, the object frozen and the typed array a writable copy.",
    "const bytes = new Uint8Array([1, 2, 3]);\n\
     contextBridge.exposeInMainWorld('holder', { bytes, view: new DataView(new ArrayBuffer(4)), nested: { floats: new Float64Array([0.5]) } });",
    "check(Object.isFrozen(window.holder), 'the object frozen');\n\
     check(window.holder.bytes instanceof Uint8Array && window.holder.bytes.join() === '1,2,3', 'the bytes');\n\
     window.holder.bytes[0] = 9;\n\
     check(window.holder.bytes[0] === 9, 'a writable copy');\n\
     check(window.holder.view instanceof DataView && window.holder.nested.floats[0] === 0.5, 'DataView and nested Float64Array');"
);

/// Exposing `ipcRenderer` itself gives the page an empty object, as in Electron 29
/// and later; the main process logs a warning naming the risk and `security_report()`
/// flags the window, naming where it was exposed (at the top or one level down).
pub(crate) fn context_bridge_exposing_ipc_renderer_gives_an_empty_object(
    h: &Harness,
) -> Result<Driver, String> {
    let verdict = in_page(
        h,
        "contextBridge.exposeInMainWorld('ipcRenderer', ipcRenderer);\n\
         contextBridge.exposeInMainWorld('electron', { ipcRenderer, ok: () => 1 });",
        "check(typeof window.ipcRenderer === 'object', 'an object');\n\
         check(Object.keys(window.ipcRenderer).length === 0, 'empty, got ' + Object.keys(window.ipcRenderer).join());\n\
         check(window.ipcRenderer.send === undefined && window.ipcRenderer.on === undefined, 'no send, no on');\n\
         check(Object.keys(window.electron.ipcRenderer).length === 0 && window.electron.ok() === 1, 'nested: empty too');",
    )?;
    let probe = h.probe();
    let app = h.app().handle();
    Ok(Box::pin(async move {
        verdict.await?;
        probe
            .wait_for("the warning about exposing ipcRenderer", |l| {
                l.starts_with("log:WARN:")
                    && l.contains("exposed ipcRenderer itself as window.electron.ipcRenderer")
            })
            .await?;
        let report = app.security_report();
        let window = report
            .windows
            .first()
            .ok_or("no window in the report")?
            .window;
        let check = report
            .check(window, "ipcRenderer exposure")
            .ok_or("no ipcRenderer exposure check")?;
        ensure_eq!(check.state, voltaic::CheckState::Weakened);
        ensure_eq!(
            check
                .detail
                .contains("window.ipcRenderer, window.electron.ipcRenderer"),
            true
        );
        Ok(())
    }))
}

// Ported from Electron's spec/api-context-bridge-spec.ts.

page_case!(
    context_bridge_functions_come_back_as_themselves,
    "Electron's \"should not double-proxy functions when they are returned to their origin side of the bridge\", both ways.",
    "const mine = () => 'preload';\n\
     contextBridge.exposeInMainWorld('example', { echo: (fn) => fn, get: () => mine, isMine: (fn) => fn === mine });",
    "const fn = () => null;\n\
     check(window.example.echo(fn) === fn, 'the page function back as itself');\n\
     check(window.example.isMine(window.example.get()), 'the preload function back as itself');\n\
     check(window.example.get()() === 'preload', 'still callable');"
);

page_case!(
    context_bridge_one_crossing_keeps_shared_objects,
    "Electron's \"should proxy function arguments only once\": within one crossing, an object met twice is one object.",
    "const shared = { n: 1 };\n\
     contextBridge.exposeInMainWorld('example', { same: (a, b) => a === b, pair: () => ({ x: shared, y: shared }), both: { x: shared, y: shared } });",
    "const obj = { foo: 1 };\n\
     check(window.example.same(obj, obj) === true, 'the same object twice in one call');\n\
     check(window.example.same(obj, { foo: 1 }) === false, 'two objects stay two');\n\
     const pair = window.example.pair();\n\
     check(pair.x === pair.y, 'shared in a return value');\n\
     check(window.example.both.x === window.example.both.y, 'shared in an exposed value');"
);

page_case!(
    context_bridge_keeps_cycles,
    "Electron's \"should handle recursive objects\", and a cycle from the page through the bridge to invoke and back.",
    "const o = { value: 135 };\n\
     o.o = o;\n\
     contextBridge.exposeInMainWorld('example', { o, echo: (v) => ipcRenderer.invoke('echo', v) });",
    "check([window.example.o.value, window.example.o.o.value, window.example.o.o.o.value].join() === '135,135,135', 'the exposed cycle');\n\
     const c = { name: 'c', list: [] };\n\
     c.self = c;\n\
     c.list.push(c);\n\
     const back = await window.example.echo(c);\n\
     check(back.name === 'c' && back.self === back && back.list[0] === back, 'the cycle through the bridge and IPC, got ' + Object.keys(back));"
);

page_case!(
    context_bridge_nesting_999_crosses_1000_does_not,
    "Electron's \"should throw an error when recursion depth is exceeded\": 999 levels cross, 1000 throw Electron's TypeError.",
    "contextBridge.exposeInMainWorld('example', { doThing: (a) => Array.isArray(a) });",
    "const nest = (levels) => { let a = []; for (let i = 0; i < levels; i++) a = [a]; return a; };\n\
     check(window.example.doThing(nest(999)) === true, '999 levels cross');\n\
     let error = null;\n\
     try { window.example.doThing(nest(1000)); } catch (e) { error = e; }\n\
     check(error instanceof TypeError, 'a TypeError, got ' + error);\n\
     check(error.message === 'Electron contextBridge recursion depth exceeded.  Nested objects deeper than 1000 are not supported.', 'Electron\\'s text, got ' + error.message);"
);

// ---- webFrame and webUtils ------------------------------------------------------------

page_case!(
    web_frame_zoom_factor_and_level,
    "`webFrame.setZoomFactor`/`getZoomFactor` and `setZoomLevel`/`getZoomLevel` (each level scales by 1.2) zoom the window's page: its viewport in CSS pixels shrinks.",
    "const { webFrame } = require('electron');\n\
     contextBridge.exposeInMainWorld('zoom', {\n\
       set: (f) => webFrame.setZoomFactor(f), get: () => webFrame.getZoomFactor(),\n\
       setLevel: (l) => webFrame.setZoomLevel(l), level: () => webFrame.getZoomLevel(),\n\
       bad: () => errorOf(() => webFrame.setZoomFactor(0)),\n\
     });",
    "const before = window.innerWidth;\n\
     check(window.zoom.get() === 1, 'factor 1 at first, got ' + window.zoom.get());\n\
     window.zoom.set(2);\n\
     check(window.zoom.get() === 2, 'factor 2, got ' + window.zoom.get());\n\
     await until(() => window.innerWidth <= before / 2 + 1);\n\
     check(window.innerWidth <= before / 2 + 1, 'the viewport halved: ' + before + ' -> ' + window.innerWidth);\n\
     window.zoom.setLevel(1);\n\
     check(Math.abs(window.zoom.get() - 1.2) < 1e-9 && Math.abs(window.zoom.level() - 1) < 1e-9, 'level 1 is 1.2, got ' + window.zoom.get());\n\
     check((await window.zoom.bad()) === \"'zoomFactor' must be a double greater than 0.0\", 'Electron\\'s error for 0');\n\
     window.zoom.setLevel(0);\n\
     await until(() => window.innerWidth === before);\n\
     check(window.innerWidth === before, 'back to 100 %');"
);

page_case!(
    web_frame_insert_css_applies_unseen_and_removes,
    "`webFrame.insertCSS(css)` styles the document without a sheet the page's DOM can see, returns a key, and `removeInsertedCSS(key)` takes it away.",
    "const { webFrame } = require('electron');\n\
     contextBridge.exposeInMainWorld('css', { insert: (css) => webFrame.insertCSS(css), remove: (key) => webFrame.removeInsertedCSS(key) });",
    "const color = () => getComputedStyle(document.body).backgroundColor;\n\
     const sheets = document.styleSheets.length;\n\
     const key = window.css.insert('body { background-color: rgb(1, 2, 3) !important; }');\n\
     check(typeof key === 'string' && key.length > 0, 'a key');\n\
     await until(() => color() === 'rgb(1, 2, 3)');\n\
     check(color() === 'rgb(1, 2, 3)', 'the inserted rule applies, got ' + color());\n\
     check(document.styleSheets.length === sheets && document.querySelectorAll('style').length === 0, 'no sheet in the page\\'s DOM');\n\
     window.css.remove(key);\n\
     await until(() => color() !== 'rgb(1, 2, 3)');\n\
     check(color() !== 'rgb(1, 2, 3)', 'removed');"
);

page_case!(
    web_frame_execute_java_script_runs_in_the_page_world,
    "`webFrame.executeJavaScript(code)` runs in the page's world (past its Content-Security-Policy, which forbids eval here): the promise settles with the result, awaits a promise, and rejects with an exception; statements that run well raise no error event in the page.",
    "const { webFrame } = require('electron');\n\
     contextBridge.exposeInMainWorld('js', { run: (code) => webFrame.executeJavaScript(code), preloadSees: () => typeof window.pageValue });",
    "window.pageValue = 42;\n\
     let pageErrors = 0;\n\
     window.addEventListener('error', () => { pageErrors += 1; }, true);\n\
     window.onerror = () => { pageErrors += 1; };\n\
     check(window.js.preloadSees() === 'undefined', 'the preload world does not see page globals');\n\
     check((await window.js.run('window.pageValue')) === 42, 'the page world\\'s value');\n\
     check((await window.js.run('Promise.resolve(7)')) === 7, 'a promise awaited');\n\
     check((await window.js.run('let a = 2; a * 3')) === 6, 'statements give their completion value');\n\
     check(pageErrors === 0, 'running statements gave the page ' + pageErrors + ' error events');\n\
     check(JSON.stringify(await window.js.run('({ a: [1, \"x\"] })')) === '{\"a\":[1,\"x\"]}', 'an object copied');\n\
     check((await errorOf(() => window.js.run('throw new Error(\"boom\")'))).includes('boom'), 'the exception');\n\
     check((await errorOf(() => window.js.run('(window.runs = (window.runs || 0) + 1, JSON.parse(\"{\"))'))).includes('JSON'), 'a SyntaxError thrown when run');\n\
     check(window.runs === 1, 'code that throws a SyntaxError when run is run once, got ' + window.runs);\n\
     check((await errorOf(() => eval('1'))) !== 'no error', 'eval is forbidden to the page itself');"
);

preload_case!(
    web_utils_get_path_for_file_says_why_it_cannot,
    "`webUtils.getPathForFile(file)`: WebKitGTK keeps a File's path in the web process, so it throws a clear error; a non-File is a TypeError.",
    "const { webUtils } = require('electron');\n\
     const file = new File(['x'], 'x.txt');\n\
     check((await errorOf(() => webUtils.getPathForFile(file))).startsWith('webUtils.getPathForFile: WebKitGTK keeps a File\\'s path in the web process'), 'the reason');\n\
     check((await errorOf(() => webUtils.getPathForFile({ name: 'x' }))) === 'webUtils.getPathForFile: the argument must be a File', 'TypeError for a non-File');"
);
