//! Preloads in the shapes public Electron apps and templates ship, each run
//! unchanged (no line added before or after it) against a page that uses what it
//! exposes, in a real window, with the conformance handlers ([`api::fixture`]).

use serde_json::{json, Value};
use voltaic::IpcEvent;
use voltaic_e2e::{ensure_eq, Driver, Harness, REPORT_JS};

use crate::api;

/// Opens a window with `preload` as it is and a page running `page` (an async
/// function body with `report` in scope); the page must report `expected` as `shape`.
fn shape(
    h: &Harness,
    preload: &'static str,
    page: &str,
    expected: Value,
) -> Result<Driver, String> {
    api::fixture(h)?;
    h.app()
        .ipc_main()
        .handle("ping", |_: IpcEvent| "pong")
        .map_err(|e| e.to_string())?;
    let html = format!(
        "<!DOCTYPE html><html><head><script>{REPORT_JS}\n\
         window.addEventListener('DOMContentLoaded', () => {{ (async () => {{\n{page}\n}})()\
           .then((r) => report('shape', r), (e) => report('shape', {{ threw: String(e && e.message) }})); }});\n\
         </script></head><body><p id=\"info\"></p><span id=\"chrome-version\"></span>\
         <span id=\"node-version\"></span><span id=\"electron-version\"></span></body></html>"
    );
    h.window("shape", Some(preload), &html)?;
    let probe = h.probe();
    Ok(Box::pin(async move {
        ensure_eq!(probe.result("shape").await?, expected);
        Ok(())
    }))
}

/// The preload of the most used app template (electron-vite's, through
/// `@electron-toolkit/preload`, bundled): an object mirroring ipcRenderer, with
/// `on`/`once` returning an unsubscribe, plus `process` facts, exposed only when
/// context isolation is on.
const TEMPLATE_PRELOAD: &str = r#"'use strict';
const electron = require('electron');
const electronAPI = {
  ipcRenderer: {
    send(channel, ...args) { electron.ipcRenderer.send(channel, ...args); },
    sendSync(channel, ...args) { return electron.ipcRenderer.sendSync(channel, ...args); },
    postMessage(channel, message, transfer) { electron.ipcRenderer.postMessage(channel, message, transfer); },
    invoke(channel, ...args) { return electron.ipcRenderer.invoke(channel, ...args); },
    on(channel, listener) {
      electron.ipcRenderer.on(channel, listener);
      return () => { electron.ipcRenderer.removeListener(channel, listener); };
    },
    once(channel, listener) {
      electron.ipcRenderer.once(channel, listener);
      return () => { electron.ipcRenderer.removeListener(channel, listener); };
    },
    removeListener(channel, listener) { electron.ipcRenderer.removeListener(channel, listener); return this; },
    removeAllListeners(channel) { electron.ipcRenderer.removeAllListeners(channel); }
  },
  process: {
    get platform() { return process.platform; },
    get versions() { return process.versions; },
    get env() { return { ...process.env }; }
  }
};
const api = {};
if (process.contextIsolated) {
  try {
    electron.contextBridge.exposeInMainWorld('electron', electronAPI);
    electron.contextBridge.exposeInMainWorld('api', api);
  } catch (error) {
    console.error(error);
  }
} else {
  window.electron = electronAPI;
  window.api = api;
}
"#;

pub(crate) fn preload_shape_app_template(h: &Harness) -> Result<Driver, String> {
    shape(
        h,
        TEMPLATE_PRELOAD,
        "const { ipcRenderer, process } = window.electron;\n\
         const echoed = await ipcRenderer.invoke('echo', { hello: 'template' });\n\
         const sum = ipcRenderer.sendSync('sync-add', 2, 3);\n\
         const ticks = [];\n\
         const off = ipcRenderer.on('tick', (_event, n) => ticks.push(n));\n\
         await ipcRenderer.invoke('push', 'tick', 1);\n\
         off();\n\
         await ipcRenderer.invoke('push', 'tick', 2);\n\
         ipcRenderer.send('record', 'from the template');\n\
         const recorded = (await ipcRenderer.invoke('recorded'))[0];\n\
         return { echoed, sum, ticks, recorded, platform: process.platform,\n\
                  webkit: typeof process.versions.webkitgtk, path: typeof process.env.PATH, api: typeof window.api };",
        json!({
            "echoed": { "hello": "template" }, "sum": 5, "ticks": [1],
            "recorded": "from the template",
            "platform": "linux", "webkit": "string", "path": "string", "api": "object",
        }),
    )
}

/// The preload of Electron's getting-started tutorial: getters reading
/// `process.versions`, a `ping` over invoke, and a `DOMContentLoaded` hook filling
/// the page from `process.versions`.
const TUTORIAL_PRELOAD: &str = r#"const { contextBridge, ipcRenderer } = require('electron')

contextBridge.exposeInMainWorld('versions', {
  node: () => process.versions.node,
  chrome: () => process.versions.chrome,
  electron: () => process.versions.electron,
  ping: () => ipcRenderer.invoke('ping')
  // we can also expose variables, not just functions
})

window.addEventListener('DOMContentLoaded', () => {
  const replaceText = (selector, text) => {
    const element = document.getElementById(selector)
    if (element) element.innerText = text
  }

  for (const type of ['chrome', 'node', 'electron']) {
    replaceText(`${type}-version`, process.versions[type])
  }
})
"#;

pub(crate) fn preload_shape_getting_started_tutorial(h: &Harness) -> Result<Driver, String> {
    shape(
        h,
        TUTORIAL_PRELOAD,
        "const information = document.getElementById('info');\n\
         information.innerText = `This app is using Chrome (v${versions.chrome()}), Node.js (v${versions.node()}), and Electron (v${versions.electron()})`;\n\
         const response = await window.versions.ping();\n\
         return { response, info: information.innerText.length > 0,\n\
                  filled: document.getElementById('chrome-version').innerText };",
        // What there is no version of reads as undefined (see the README).
        json!({ "response": "pong", "info": true, "filled": "undefined" }),
    )
}

/// electron-vite-react's preload: ipcRenderer's methods passed through by hand,
/// spread arguments and all, `on` forwarding the event object.
const PASS_THROUGH_PRELOAD: &str = r#"const { ipcRenderer, contextBridge } = require('electron')

contextBridge.exposeInMainWorld('ipcRenderer', {
  on(...args) {
    const [channel, listener] = args
    return ipcRenderer.on(channel, (event, ...args) => listener(event, ...args))
  },
  off(...args) {
    const [channel, ...omit] = args
    return ipcRenderer.off(channel, ...omit)
  },
  send(...args) {
    const [channel, ...omit] = args
    return ipcRenderer.send(channel, ...omit)
  },
  invoke(...args) {
    const [channel, ...omit] = args
    return ipcRenderer.invoke(channel, ...omit)
  },
})
"#;

pub(crate) fn preload_shape_ipc_renderer_passed_through(h: &Harness) -> Result<Driver, String> {
    shape(
        h,
        PASS_THROUGH_PRELOAD,
        "const got = [];\n\
         window.ipcRenderer.on('main-process-message', (event, message) => got.push([typeof event, message]));\n\
         await window.ipcRenderer.invoke('push', 'main-process-message', 'hi');\n\
         window.ipcRenderer.send('record', 1);\n\
         return { got, recorded: (await window.ipcRenderer.invoke('recorded'))[0], pair: await window.ipcRenderer.invoke('pair', 'a', 'b') };",
        json!({ "got": [["object", "hi"]], "recorded": 1, "pair": ["a", "b"] }),
    )
}

/// Methods handed over unbound, and a listener that forwards Electron's event object
/// to the page as it is.
const UNBOUND_PRELOAD: &str = r#"const { contextBridge, ipcRenderer } = require('electron');

contextBridge.exposeInMainWorld('bridge', {
  invoke: ipcRenderer.invoke,
  send: ipcRenderer.send,
  onMessage: (callback) => ipcRenderer.on('message', callback),
});
"#;

pub(crate) fn preload_shape_unbound_methods_and_forwarded_events(
    h: &Harness,
) -> Result<Driver, String> {
    shape(
        h,
        UNBOUND_PRELOAD,
        "const got = [];\n\
         window.bridge.onMessage((event, ...args) => got.push({ keys: Object.keys(event).sort(), args }));\n\
         await window.bridge.invoke('push', 'message', ['one', 2]);\n\
         window.bridge.send('record', 'unbound');\n\
         return { got, recorded: (await window.bridge.invoke('recorded'))[0] };",
        json!({
            "got": [{ "keys": ["ports", "sender", "senderId"], "args": ["one", 2] }],
            "recorded": "unbound",
        }),
    )
}

/// Subscriptions that return their own unsubscribe closure, over an emitter of the
/// preload's own (`require('events')`), with `Buffer` for encodings.
const EVENTS_PRELOAD: &str = r#"const { contextBridge, ipcRenderer } = require('electron');
const { EventEmitter } = require('events');

const bus = new EventEmitter();
ipcRenderer.on('tick', (_event, n) => bus.emit('tick', n));

contextBridge.exposeInMainWorld('app', {
  onTick(callback) {
    const listener = (n) => callback(n);
    bus.on('tick', listener);
    return () => bus.off('tick', listener);
  },
  subscribers: () => bus.listenerCount('tick'),
  toBase64: (text) => Buffer.from(text, 'utf8').toString('base64'),
  fromHex: (hex) => Buffer.from(hex, 'hex').toString('utf8'),
  ticks: (n) => ipcRenderer.invoke('push', 'tick', n),
});
"#;

pub(crate) fn preload_shape_unsubscribe_closures_events_and_buffer(
    h: &Harness,
) -> Result<Driver, String> {
    shape(
        h,
        EVENTS_PRELOAD,
        "const seen = [];\n\
         const stop = window.app.onTick((n) => seen.push(n));\n\
         await window.app.ticks(1);\n\
         const before = window.app.subscribers();\n\
         stop();\n\
         await window.app.ticks(2);\n\
         return { seen, before, after: window.app.subscribers(),\n\
                  base64: window.app.toBase64('héllo'), text: window.app.fromHex('68c3a96c6c6f') };",
        json!({ "seen": [1], "before": 1, "after": 0, "base64": "aMOpbGxv", "text": "héllo" }),
    )
}
