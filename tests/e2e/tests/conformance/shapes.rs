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
                  engine: typeof (process.versions.webkitgtk || process.versions.chrome), path: typeof process.env.PATH, api: typeof window.api };",
        json!({
            "echoed": { "hello": "template" }, "sum": 5, "ticks": [1],
            "recorded": "from the template",
            "platform": "linux", "engine": "string", "path": "string", "api": "object",
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
        // What there is no version of reads as undefined (see the README): Chrome's
        // is there on Chromium only.
        json!({ "response": "pong", "info": true, "filled": h.engine_version("chrome") }),
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

/// electron-react-boilerplate's preload: a typed `electronHandler` whose `on`
/// subscribes a wrapper that drops the event, returning the unsubscribe.
const BOILERPLATE_PRELOAD: &str = r#"// Disable no-unused-vars, broken for spread args
/* eslint no-unused-vars: off */
const { contextBridge, ipcRenderer } = require('electron');

const electronHandler = {
  ipcRenderer: {
    sendMessage(channel, ...args) {
      ipcRenderer.send(channel, ...args);
    },
    on(channel, func) {
      const subscription = (_event, ...args) => func(...args);
      ipcRenderer.on(channel, subscription);

      return () => {
        ipcRenderer.removeListener(channel, subscription);
      };
    },
    once(channel, func) {
      ipcRenderer.once(channel, (_event, ...args) => func(...args));
    },
  },
};

contextBridge.exposeInMainWorld('electron', electronHandler);
"#;

pub(crate) fn preload_shape_react_boilerplate(h: &Harness) -> Result<Driver, String> {
    // The boilerplate's main process answers on the channel it was sent on.
    h.app()
        .ipc_main()
        .on("ipc-example", |event: IpcEvent, _: Value| {
            let _ = event.reply("ipc-example", ("pong",));
        });
    shape(
        h,
        BOILERPLATE_PRELOAD,
        "const { ipcRenderer } = window.electron;\n\
         const got = [];\n\
         const off = ipcRenderer.on('ipc-example', (arg) => got.push(arg));\n\
         const once = new Promise((resolve) => ipcRenderer.once('ipc-example', resolve));\n\
         ipcRenderer.sendMessage('ipc-example', 'ping');\n\
         const first = await once;\n\
         off();\n\
         return { first, got };",
        json!({ "first": "pong", "got": ["pong"] }),
    )
}

/// The allowlist shape of many older apps and secure templates: the preload checks
/// each channel against its own list before it forwards.
const ALLOWLIST_PRELOAD: &str = r#"const { contextBridge, ipcRenderer } = require('electron');

const validChannels = {
  send: ['record'],
  invoke: ['echo'],
  receive: ['tick'],
};

contextBridge.exposeInMainWorld('api', {
  send: (channel, data) => {
    if (validChannels.send.includes(channel)) {
      ipcRenderer.send(channel, data);
    }
  },
  invoke: (channel, data) => {
    if (validChannels.invoke.includes(channel)) {
      return ipcRenderer.invoke(channel, data);
    }
    return Promise.reject(new Error(`Blocked channel: ${channel}`));
  },
  receive: (channel, func) => {
    if (validChannels.receive.includes(channel)) {
      ipcRenderer.on(channel, (event, ...args) => func(...args));
    }
  },
});
"#;

pub(crate) fn preload_shape_channel_allowlist(h: &Harness) -> Result<Driver, String> {
    shape(
        h,
        ALLOWLIST_PRELOAD,
        "const echoed = await window.api.invoke('echo', 'allowed');\n\
         let blocked = 'no error';\n\
         try { await window.api.invoke('fail'); } catch (e) { blocked = e.message; }\n\
         return { echoed, blocked };",
        json!({ "echoed": "allowed", "blocked": "Blocked channel: fail" }),
    )
}

/// A preload that reads its configuration synchronously at load, as older apps do,
/// and hands the page a frozen copy.
const SYNC_CONFIG_PRELOAD: &str = r#"const { contextBridge, ipcRenderer } = require('electron');

const config = ipcRenderer.sendSync('sync-add', 40, 2);

contextBridge.exposeInMainWorld('config', { answer: config, platform: process.platform });
"#;

pub(crate) fn preload_shape_sync_config_at_load(h: &Harness) -> Result<Driver, String> {
    shape(
        h,
        SYNC_CONFIG_PRELOAD,
        "return { answer: window.config.answer, platform: window.config.platform, frozen: Object.isFrozen(window.config) };",
        json!({ "answer": 42, "platform": "linux", "frozen": true }),
    )
}

/// Zoom controls, as apps without a menu expose them: `webFrame`'s level and factor.
const ZOOM_PRELOAD: &str = r#"const { contextBridge, webFrame } = require('electron');

contextBridge.exposeInMainWorld('zoom', {
  in: () => webFrame.setZoomLevel(webFrame.getZoomLevel() + 1),
  out: () => webFrame.setZoomLevel(webFrame.getZoomLevel() - 1),
  reset: () => webFrame.setZoomLevel(0),
  factor: () => webFrame.getZoomFactor(),
});
"#;

pub(crate) fn preload_shape_web_frame_zoom(h: &Harness) -> Result<Driver, String> {
    shape(
        h,
        ZOOM_PRELOAD,
        "const width = window.innerWidth;\n\
         window.zoom.in();\n\
         window.zoom.in();\n\
         const zoomed = Math.round(window.zoom.factor() * 100);\n\
         const start = Date.now();\n\
         while (window.innerWidth === width && Date.now() - start < 20000) await new Promise((r) => setTimeout(r, 10));\n\
         const narrower = window.innerWidth < width;\n\
         window.zoom.out();\n\
         const back = Math.round(window.zoom.factor() * 100);\n\
         window.zoom.reset();\n\
         return { zoomed, narrower, back, reset: window.zoom.factor() };",
        json!({ "zoomed": 144, "narrower": true, "back": 120, "reset": 1 }),
    )
}

/// A preload that throws halfway: what it exposed before the throw is there, and
/// the error is reported with the preload's file and line.
const THROWING_PRELOAD: &str = r#"const { contextBridge } = require('electron');

contextBridge.exposeInMainWorld('before', { ok: () => true });

const settings = JSON.parse('{ not json');

contextBridge.exposeInMainWorld('after', { settings });
"#;

pub(crate) fn preload_shape_that_throws(h: &Harness) -> Result<Driver, String> {
    let driver = shape(
        h,
        THROWING_PRELOAD,
        "return { before: window.before.ok(), after: typeof window.after };",
        json!({ "before": true, "after": "undefined" }),
    )?;
    let probe = h.probe();
    Ok(Box::pin(async move {
        driver.await?;
        probe
            .wait_for("the preload's error with its file and line", |l| {
                l.contains("Unable to load preload script shape-preload.js:5:")
                    && l.contains("SyntaxError")
            })
            .await?;
        Ok(())
    }))
}
