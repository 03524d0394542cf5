//! The hostile-renderer suite: a page treated as compromised attacks the main process
//! from real page JavaScript in a real WebKitGTK window. Every attack runs in its own
//! process with two windows:
//!
//! - the hostile window, granted only `safe:*`, with the secure defaults otherwise
//!   (strict CSP, app origin only). Its preload is deliberately over-broad, as real
//!   preloads too often are: the page may name any channel. It also exposes
//!   `compromised.*`, the raw transport with none of the preload's checks in front,
//!   which is what an attacker who took over the renderer process would have;
//! - a bystander window, which must keep answering the main process.
//!
//! Each attack asserts: refused with a clear error (in the page, and in the main
//! process's log where the preload was bypassed), no forbidden handler ran, the main
//! process alive, and the bystander unaffected.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use serde_json::{json, Value};
use tokio::sync::Notify;
use voltaic::{
    AllowedOrigins, Api, BrowserWindow, BrowserWindowOptions, ChannelGrants, ChannelSchema,
    CheckState, IpcError, IpcEvent, Limits, WebContents, WebPreferences,
};
use voltaic_e2e::{
    api_prefs, ensure, ensure_eq, poll_until, Driver, Harness, Probe, Scenario, REPORT_JS,
};

/// One attack: page JavaScript (the body of an async function whose result is
/// reported), what its result must contain, and what the main process must log.
struct Attack {
    name: &'static str,
    script: &'static str,
    expect: &'static [&'static str],
    logs: &'static [&'static str],
}

/// The flood attacks' rate limit, per second and at once: small enough that any
/// machine, however slow or busy, floods past it (see [`limits_for`]).
const FLOOD_RATE: u32 = 200;
const FLOOD_BURST: u32 = 400;
const RATE_ERROR: &str = "IPC rate limit exceeded: more than 200 messages a second";
const NOT_ALLOWED: &str = "channel 'secret:wipe' is not allowed for this window";

const ATTACKS: &[Attack] = &[
    Attack {
        name: "page_world_has_no_transport",
        script: r#"
            const found = [typeof webkit, typeof window.webkit, typeof ipcRenderer, typeof require,
              typeof __voltaicReceive, typeof __voltaicPreload, typeof process,
              String(Object.getOwnPropertyNames(window).filter((k) => /voltaic/i.test(k) || k === 'webkit'))];
            return { found };"#,
        expect: &[r#""found":["undefined","undefined","undefined","undefined","undefined","undefined","undefined",""]"#],
        logs: &[],
    },
    Attack {
        name: "bridge_node_cannot_be_found",
        script: r#"
            return {
              marked: document.querySelectorAll('[data-voltaic-bridge]').length,
              tagged: document.getElementsByTagName('voltaic-bridge').length,
              scripts: document.scripts.length,
            };"#,
        expect: &[r#""marked":0"#, r#""tagged":0"#, r#""scripts":1"#],
        logs: &[],
    },
    Attack {
        // A page function the preload calls runs inside the bridge's own event
        // listener, when WebKit would set window.event to the bridge's event.
        name: "bridge_node_cannot_be_reached_through_window_event",
        script: r#"
            const outer = window.event;
            let inner, later;
            api.callBack(() => { inner = window.event; return 1; });
            await api.callBackLater(() => { later = window.event; return 1; });
            return { inner: inner === outer ? 'unchanged' : String(inner && inner.type),
              later: later === undefined ? 'none' : String(later && later.type) };"#,
        expect: &[r#""inner":"unchanged""#, r#""later":"none""#],
        logs: &[],
    },
    Attack {
        name: "forged_bridge_events_do_nothing",
        script: r#"
            const call = JSON.stringify({ op: 'call', fn: 1, args: [] });
            const expose = JSON.stringify({ op: 'expose', key: 'pwned', value: { o: {} } });
            for (const target of [document, window, document.documentElement]) {
              for (const type of ['voltaic:to-preload', 'voltaic:to-page']) {
                target.dispatchEvent(new CustomEvent(type, { detail: call }));
                target.dispatchEvent(new CustomEvent(type, { detail: expose }));
              }
            }
            await sleep(200);
            return { pwned: typeof window.pwned };"#,
        expect: &[r#""pwned":"undefined""#],
        logs: &[],
    },
    Attack {
        name: "invoke_of_a_channel_not_granted",
        script: r#"return { error: await errorOf(() => api.invoke('secret:wipe', 'all')) };"#,
        expect: &[NOT_ALLOWED],
        logs: &[],
    },
    Attack {
        name: "send_on_a_channel_not_granted",
        script: r#"return { error: await errorOf(() => api.send('secret:wipe', 'all')) };"#,
        expect: &[NOT_ALLOWED],
        logs: &[],
    },
    Attack {
        name: "granted_prefix_is_not_a_wildcard",
        script: r#"
            return { errors: [
              await errorOf(() => api.invoke('safe', 1)),
              await errorOf(() => api.invoke('Safe:echo', 1)),
              await errorOf(() => api.invoke(' safe:echo', 1)),
              await errorOf(() => api.invoke('admin:shutdown')),
            ] };"#,
        expect: &[
            "channel 'safe' is not allowed",
            "channel 'Safe:echo' is not allowed",
            "channel ' safe:echo' is not allowed",
            "channel 'admin:shutdown' is not allowed",
        ],
        logs: &[],
    },
    Attack {
        name: "unknown_channel_within_the_grant",
        script: r#"return { error: await errorOf(() => api.invoke('safe:nothing')) };"#,
        expect: &["Error invoking remote method 'safe:nothing': No handler registered for 'safe:nothing'"],
        logs: &[],
    },
    Attack {
        name: "invalid_channel_names",
        script: r#"
            return { errors: [
              await errorOf(() => api.invoke('')),
              await errorOf(() => api.invoke(42)),
              await errorOf(() => api.invoke({ toString: () => 'safe:echo' })),
              await errorOf(() => api.send('x'.repeat(300))),
            ] };"#,
        expect: &["Invalid IPC channel \\\"\\\"", "Invalid IPC channel number", "Invalid IPC channel object"],
        logs: &[],
    },
    Attack {
        name: "raw_invoke_of_a_channel_not_granted",
        script: r#"
            compromised.post(JSON.stringify({ t: 'invoke', id: 990001, ch: 'secret:wipe', args: ['all'] }));
            compromised.post(JSON.stringify({ t: 'send', ch: 'secret:wipe', args: ['all'] }));
            compromised.post(JSON.stringify({ t: 'invoke', id: 990002, ch: 'admin:shutdown', args: [] }));
            await sleep(300);
            return { posted: 3 };"#,
        expect: &[],
        logs: &[
            "refused renderer message on 'secret:wipe': channel 'secret:wipe' is not allowed for this window",
            "refused renderer message on 'admin:shutdown': channel 'admin:shutdown' is not allowed",
        ],
    },
    Attack {
        name: "raw_message_with_forged_sender_fields",
        script: r#"
            compromised.post(JSON.stringify({ t: 'send', ch: 'safe:greet', args: ['forged'],
              sender: { id: 1 }, origin: 'app://localhost', frame: 'top' }));
            compromised.post(JSON.stringify({ t: 'invoke', id: 990003, ch: 'secret:wipe', args: [],
              grants: ['*'] }));
            await sleep(300);
            return { posted: 2 };"#,
        expect: &[],
        logs: &["refused renderer message: malformed message: unknown field `sender`"],
    },
    Attack {
        name: "raw_malformed_envelopes",
        script: r#"
            const bad = ['', 'null', '42', '[]', '{', '{"t":"nope"}', '{"t":"invoke"}',
              '{"t":"invoke","id":"1","ch":"safe:echo"}', '{"t":"invoke","id":-1,"ch":"safe:echo"}',
              '{"t":"invoke","id":1e400,"ch":"safe:echo"}', '{"t":"send","ch":["safe:greet"]}',
              '{"t":"send","ch":"safe:greet","args":{"0":"x"}}', '\ud800', '{"t":"console","level":"alert"}'];
            for (const text of bad) compromised.post(text);
            compromised.post({ t: 'send', ch: 'safe:greet', args: ['not a string message'] });
            compromised.post(123);
            await sleep(300);
            return { posted: bad.length + 2 };"#,
        expect: &[],
        logs: &[
            "refused renderer message: malformed message",
            "ignored an IPC message that is neither text nor text and a parcel",
        ],
    },
    Attack {
        name: "raw_invokes_on_the_reply_handler",
        script: r#"
            const good = (id) => JSON.stringify({ t: 'invoke', id, ch: 'safe:echo', args: ['raw'] });
            const outcomes = [];
            for (const message of [
              ['77', good(77)], 42, null, [], 'x ' + good(1), '-1 ' + good(1), '1.5 ' + good(1),
              '99999999999999999 ' + good(1), '1' + good(1), '',
              '78 not json', '79 ' + JSON.stringify({ t: 'invoke', id: 79, ch: 'secret:wipe' }),
              '76 ' + good(75), '77 ' + good(77),
            ]) {
              outcomes.push(await compromised.invoke(message));
            }
            // The same id twice while the first is still being handled: the second is
            // refused, the first answered. safe:slow answers only once released, and
            // the release is sent after the second has been refused.
            const slow = JSON.stringify({ t: 'invoke', id: 80, ch: 'safe:slow', args: [] });
            const first = compromised.invoke('80 ' + slow);
            const second = await compromised.invoke('80 ' + slow);
            await api.invoke('safe:release');
            const twice = [await first, second];
            return { outcomes, twice, works: await api.echo('still fine') };"#,
        // The answers are JSON text inside the reported JSON, hence the escaped quotes.
        expect: &[
            "rejected Error: an invoke is posted as its id, a space and its JSON",
            "malformed message: expected ident",
            "channel 'secret:wipe' is not allowed for this window",
            "malformed message: not the invoke its envelope announced",
            r#"answer {\"t\":\"resolve\",\"id\":77,\"value\":\"raw\"}"#,
            r#"answer {\"t\":\"resolve\",\"id\":80,\"value\":\"slow\"}"#,
            "too many pending invokes, or a duplicate id",
            r#""works":"still fine""#,
        ],
        logs: &["ignored an invoke that is not its id, a space and its JSON"],
    },
    Attack {
        name: "payload_of_100_mb_through_the_api",
        script: r#"
            const big = 'x'.repeat(100 * 1024 * 1024);
            return { send: await errorOf(() => api.greet(big)), invoke: await errorOf(() => api.echo(big)) };"#,
        expect: &["exceeds the limit of 33554432 bytes"],
        logs: &[],
    },
    Attack {
        name: "payload_of_100_mb_raw",
        script: r#"
            compromised.postBig('{"t":"invoke","id":990004,"ch":"safe:echo","args":["', 100 * 1024 * 1024, '"]}');
            await sleep(300);
            return { posted: 1 };"#,
        expect: &[],
        logs: &["dropped a renderer message of 1048576"],
    },
    Attack {
        name: "nesting_10000_deep_through_the_api",
        script: r#"
            const nest = (levels) => { let v = 'bottom'; for (let i = 0; i < levels; i++) v = [v]; return v; };
            return { bridge: await errorOf(() => api.echo(nest(10000))), ipc: await errorOf(() => api.echo(nest(70))) };"#,
        expect: &[
            "Electron contextBridge recursion depth exceeded.  Nested objects deeper than 1000 are not supported.",
            "IPC message nested deeper than the limit of 64",
        ],
        logs: &[],
    },
    Attack {
        name: "nesting_deep_raw",
        script: r#"
            compromised.post('{"t":"invoke","id":990005,"ch":"safe:echo","args":[' + '['.repeat(10000) + ']'.repeat(10000) + ']}');
            compromised.post('{"t":"invoke","id":990006,"ch":"safe:echo","args":[' + '['.repeat(70) + ']'.repeat(70) + ']}');
            await sleep(300);
            return { posted: 2 };"#,
        expect: &[],
        logs: &[
            "recursion limit exceeded",
            "refused renderer message on 'safe:echo': IPC message nested deeper than the limit of 64",
        ],
    },
    Attack {
        name: "flood_of_sends_through_the_api",
        script: r#"
            // The loop runs in the preload (at its speed, not the bridge's), through
            // the same ipcRenderer.send as every call of the page.
            const outcome = api.sendMany('safe:count', 20000);
            await untilAdmitted();
            return outcome;"#,
        expect: &[RATE_ERROR],
        logs: &[],
    },
    Attack {
        name: "flood_of_invokes_through_the_api",
        script: r#"
            const outcome = await api.invokeMany('safe:echo', 2000);
            await untilAdmitted();
            return outcome;"#,
        expect: &[RATE_ERROR],
        logs: &[],
    },
    Attack {
        name: "flood_raw_past_the_preload",
        script: r#"
            compromised.flood('{"t":"send","ch":"safe:count","args":[1]}', 20000);
            compromised.flood('{"t":"invoke","id":990007,"ch":"safe:echo","args":[1]}', 100);
            await untilAdmitted();
            return { posted: 20100 };"#,
        expect: &[],
        logs: &["renderer message(s) over the rate limit of 200/s"],
    },
    Attack {
        name: "schema_violation_through_the_api",
        script: r#"
            return { errors: [
              await errorOf(() => api.greet(12345)),
              await errorOf(() => api.greet('x'.repeat(2000))),
              await errorOf(() => api.send('safe:greet')),
            ] };"#,
        expect: &[
            "invalid arguments for channel 'safe:greet' at /0: 12345 is not of type \\\"string\\\"",
            "invalid arguments for channel 'safe:greet' at /0: the string is longer than 1000 characters",
            "invalid arguments for channel 'safe:greet' at (root): has 0 items, fewer than 1",
        ],
        logs: &[],
    },
    Attack {
        name: "schema_violation_raw",
        script: r#"
            compromised.post(JSON.stringify({ t: 'send', ch: 'safe:greet', args: [12345] }));
            compromised.post(JSON.stringify({ t: 'send', ch: 'safe:greet', args: [{ toString: 'x' }] }));
            await sleep(300);
            return { posted: 2 };"#,
        expect: &[],
        logs: &["refused renderer message on 'safe:greet': invalid arguments for channel 'safe:greet' at /0"],
    },
    Attack {
        name: "prototype_poisoning_before_use",
        script: r#"
            poisonEverything();
            const echoed = await api.echo({ keep: 'me' });
            api.greet('hello from a poisoned page');
            await sleep(300);
            return { echoed };"#,
        expect: &[r#""echoed":{"keep":"me"}"#],
        logs: &[],
    },
    Attack {
        name: "prototype_poisoning_after_use",
        script: r#"
            const before = await api.echo('before');
            poisonEverything();
            const after = await api.echo(['after', 1]);
            api.greet('hello from a poisoned page');
            await sleep(300);
            return { before, after };"#,
        expect: &[r#""before":"before""#, r#""after":["after",1]"#],
        logs: &[],
    },
    Attack {
        name: "poisoned_to_json_and_getters",
        script: r#"
            Object.prototype.toJSON = function () { return { t: 'invoke', ch: 'secret:wipe' }; };
            const tricky = { a: 1 };
            Object.defineProperty(tricky, 'b', { enumerable: true, get() { return 'read once'; } });
            const echoed = await api.echo(tricky);
            delete Object.prototype.toJSON;
            return { echoed };"#,
        expect: &[r#""echoed":{"a":1,"b":"read once"}"#],
        logs: &[],
    },
    Attack {
        name: "exposed_api_cannot_be_replaced",
        script: r#"
            const attempts = [];
            try { window.api.invoke = () => 'mine'; } catch (e) { attempts.push('assign: ' + e.name); }
            try { delete window.api; } catch (e) { attempts.push('delete: ' + e.name); }
            try { Object.defineProperty(window, 'api', { value: {} }); } catch (e) { attempts.push('define: ' + e.name); }
            try { window.api = {}; } catch (e) { attempts.push('overwrite: ' + e.name); }
            const still = await api.echo('still mine');
            return { attempts, still, frozen: Object.isFrozen(window.api) };"#,
        expect: &[
            "assign: TypeError",
            "delete: TypeError",
            "define: TypeError",
            "overwrite: TypeError",
            r#""still":"still mine""#,
            r#""frozen":true"#,
        ],
        logs: &[],
    },
    Attack {
        name: "declared_api_schema_violation_through_the_api",
        script: r#"
            return { errors: [
              await errorOf(() => vault.store({ name: 12345 })),
              await errorOf(() => vault.store()),
            ], stored: await vault.count() };"#,
        expect: &[
            "invalid arguments for channel 'vault.store' at /0/name: 12345 is not of type \\\"string\\\"",
            "invalid arguments for channel 'vault.store' at (root): has 0 items, fewer than 1",
            r#""stored":0"#,
        ],
        logs: &[],
    },
    Attack {
        name: "declared_api_schema_violation_raw",
        script: r#"
            compromised.post(JSON.stringify({ t: 'invoke', id: 990101, ch: 'vault.store', args: [{ name: 12345 }] }));
            compromised.post(JSON.stringify({ t: 'send', ch: 'vault.$live', args: ['forged'] }));
            await sleep(300);
            return { stored: await vault.count() };"#,
        expect: &[r#""stored":0"#],
        logs: &[
            "refused renderer message on 'vault.store': invalid arguments for channel 'vault.store' at /0/name",
            "refused renderer message on 'vault.$live': invalid arguments for channel 'vault.$live'",
        ],
    },
    Attack {
        name: "declared_api_of_another_window_raw",
        script: r#"
            compromised.post(JSON.stringify({ t: 'invoke', id: 990102, ch: 'admin.wipe', args: [] }));
            compromised.post(JSON.stringify({ t: 'send', ch: 'admin.wipe', args: [] }));
            await sleep(300);
            return { admin: typeof window.admin };"#,
        expect: &[r#""admin":"undefined""#],
        logs: &["refused renderer message on 'admin.wipe': channel 'admin.wipe' is not allowed for this window"],
    },
    Attack {
        name: "declared_api_forged_sender_fields_raw",
        script: r#"
            compromised.post(JSON.stringify({ t: 'invoke', id: 990103, ch: 'vault.store',
              args: [{ name: 'forged' }], sender: { id: 1 }, grants: ['*'] }));
            await sleep(300);
            return { stored: await vault.count() };"#,
        expect: &[r#""stored":0"#],
        logs: &["refused renderer message: malformed message: unknown field `sender`"],
    },
    Attack {
        name: "declared_api_cannot_be_replaced",
        script: r#"
            const attempts = [];
            try { vault.store = () => 'mine'; } catch (e) { attempts.push('assign: ' + e.name); }
            try { Object.defineProperty(vault, 'level', { value: 99 }); } catch (e) { attempts.push('live: ' + e.name); }
            try { vault.level.n = 99; } catch (e) { attempts.push('live value: ' + e.name); }
            try { window.vault = {}; } catch (e) { attempts.push('overwrite: ' + e.name); }
            await vault.store({ name: 'kept' });
            return { attempts, stored: await vault.count(), level: vault.level.n };"#,
        expect: &[
            "assign: TypeError",
            "live: TypeError",
            "live value: TypeError",
            "overwrite: TypeError",
            r#""stored":1"#,
            r#""level":1"#,
        ],
        logs: &[],
    },
    Attack {
        name: "values_that_cannot_be_cloned",
        script: r#"
            return { errors: [
              await errorOf(() => api.echo(() => 1)),
              await errorOf(() => api.echo(Symbol('s'))),
              await errorOf(() => api.echo(document.body)),
              await errorOf(() => api.echo(10n)),
            ] };"#,
        expect: &[
            "functions cannot be sent over IPC",
            // Symbols cross the bridge, as in Electron; IPC refuses them.
            "symbols cannot be sent over IPC",
            "could not be cloned",
        ],
        logs: &[],
    },
    Attack {
        name: "iframes_get_no_bridge",
        script: r#"
            const frame = document.createElement('iframe');
            document.body.appendChild(frame);
            await sleep(100);
            const inner = frame.contentWindow;
            const remote = document.createElement('iframe');
            remote.src = 'https://example.invalid/';
            document.body.appendChild(remote);
            await sleep(300);
            let remoteReadable = 'blocked';
            try { remoteReadable = String(remote.contentWindow.location.href); } catch (e) { remoteReadable = e.name; }
            return { api: typeof inner.api, webkit: typeof inner.webkit, compromised: typeof inner.compromised,
                     receive: typeof inner.__voltaicReceive, remoteReadable };"#,
        expect: &[
            r#""api":"undefined""#,
            r#""webkit":"undefined""#,
            r#""compromised":"undefined""#,
            r#""receive":"undefined""#,
        ],
        logs: &[],
    },
    Attack {
        name: "window_open_is_denied",
        script: r#"
            const remote = window.open('https://example.invalid/');
            const local = window.open(location.origin + '/hostile.html');
            const blank = window.open('about:blank');
            await sleep(300);
            return { remote: remote === null, local: local === null, blank: blank === null };"#,
        expect: &[r#""remote":true"#, r#""local":true"#, r#""blank":true"#],
        logs: &["window.open denied"],
    },
    Attack {
        name: "navigation_to_a_remote_origin_is_denied",
        script: r#"
            const startedAt = location.href;
            location.href = 'https://example.invalid/phish';
            await sleep(500);
            const link = document.createElement('a');
            link.href = 'data:text/html,<script>alert(1)</script>';
            document.body.appendChild(link);
            link.click();
            await sleep(500);
            return { stillHere: location.href === startedAt ? location.pathname : location.href,
                     works: await api.echo('still connected') };"#,
        expect: &[r#""stillHere":"/hostile.html""#, r#""works":"still connected""#],
        logs: &["navigation denied: not an allowed origin"],
    },
    Attack {
        name: "csp_blocks_injected_and_eval_scripts",
        script: r#"
            let evaluated = 'blocked';
            try { evaluated = eval('"ran"'); } catch (e) { evaluated = e.name; }
            let constructed = 'blocked';
            try { constructed = new Function('return "ran"')(); } catch (e) { constructed = e.name; }
            const script = document.createElement('script');
            script.textContent = 'window.injected = true;';
            document.body.appendChild(script);
            await sleep(100);
            return { evaluated, constructed, injected: window.injected === true };"#,
        expect: &[r#""evaluated":"EvalError""#, r#""constructed":"EvalError""#, r#""injected":false"#],
        logs: &[],
    },
    Attack {
        name: "app_scheme_path_traversal",
        script: r#"
            const paths = ['/../voltaic-hostile-secret.txt', '/%2e%2e/voltaic-hostile-secret.txt',
              '/..%2fvoltaic-hostile-secret.txt', '/%2F..%2Fvoltaic-hostile-secret.txt'];
            const statuses = [];
            for (const path of paths) {
              try {
                const response = await fetch(location.origin + path);
                const text = await response.text();
                statuses.push(response.status + (text.includes('TOP SECRET') ? ' LEAKED' : ''));
              } catch (e) { statuses.push('refused'); }
            }
            const own = await fetch(location.origin + '/hostile.html');
            return { statuses, leaked: statuses.some((s) => s.includes('LEAKED')), own: own.status };"#,
        expect: &[r#""leaked":false"#, r#""own":200"#],
        logs: &[],
    },
    Attack {
        // WebKit crashes reading a Blob request body; the main process reads bodies
        // only of requests that carry the window's token, so the app survives.
        name: "blob_bodies_and_forged_transfers_to_the_app_scheme",
        script: r#"
            const statuses = [];
            for (const path of ['/hostile.html', '/__voltaic/upload', '/__voltaic/parcel/1', '/__voltaic/send-sync']) {
              const response = await fetch(location.origin + path, { method: 'POST', body: new Blob(['x'.repeat(100)]) });
              statuses.push(response.status);
            }
            const guessed = await fetch(location.origin + '/__voltaic/upload', {
              method: 'POST', headers: { 'X-Voltaic-Token': 'guess', 'X-Voltaic-Sizes': '1' }, body: new Uint8Array([1]) });
            statuses.push(guessed.status);
            return { statuses };"#,
        expect: &[r#""statuses":[405,403,403,403,403]"#],
        logs: &["refused a byte transfer without the window's token"],
    },
    Attack {
        name: "permission_requests_are_denied",
        script: r#"
            const geolocation = await new Promise((resolve) => {
              navigator.geolocation.getCurrentPosition(() => resolve('granted'), (e) => resolve('error ' + e.code));
              setTimeout(() => resolve('no answer after 20 s'), 20000);
            });
            const notifications = typeof Notification === 'undefined' ? 'absent' : await Notification.requestPermission();
            return { geolocation, notifications };"#,
        expect: &[r#""geolocation":"error 1""#, r#""notifications":"denied""#],
        // Chromium tells the app of no permission request: it denies them all.
        logs: &["webkitgtk:permission denied: Geolocation"],
    },
    Attack {
        name: "forging_the_bystanders_pong",
        script: r#"
            // safe:pong is within the grant: the main process must still know who sent it.
            await api.invoke('safe:pong', 1);
            return { sent: true };"#,
        expect: &[r#""sent":true"#],
        logs: &[],
    },
];

const HOSTILE_PRELOAD: &str = r#"
const { contextBridge, ipcRenderer } = require('electron');
// Deliberately over-broad, as preloads too often are: the page can name any channel.
contextBridge.exposeInMainWorld('api', {
  invoke: (channel, ...args) => ipcRenderer.invoke(channel, ...args),
  send: (channel, ...args) => ipcRenderer.send(channel, ...args),
  echo: (value) => ipcRenderer.invoke('safe:echo', value),
  greet: (text) => ipcRenderer.send('safe:greet', text),
  callBack: (callback) => callback(),
  callBackLater: (callback) => ipcRenderer.invoke('safe:echo', 1).then(() => callback()),
  // Floods, looped here rather than in the page so that the bridge's speed is not
  // what limits them.
  sendMany: (channel, count) => {
    let refused = 0, error = '';
    for (let i = 0; i < count; i++) {
      try { ipcRenderer.send(channel, i); } catch (e) { refused++; error = e.message; }
    }
    return { refused, error };
  },
  invokeMany: async (channel, count) => {
    const calls = [];
    for (let i = 0; i < count; i++) calls.push(ipcRenderer.invoke(channel, i).then(() => 'ok', (e) => e.message));
    const outcomes = await Promise.all(calls);
    const refused = outcomes.filter((o) => o !== 'ok');
    return { ok: outcomes.length - refused.length, refused: refused.length, error: refused[0] };
  },
});
// What taking over the renderer process would give an attacker: the raw transport,
// with none of the preload's checks in front of it.
const transport = window.webkit.messageHandlers.voltaic;
const invokeTransport = window.webkit.messageHandlers['voltaic-invoke'];
contextBridge.exposeInMainWorld('compromised', {
  // The reply-capable invoke handler: settles with the main process's answer text
  // (JSON text comes as the reply's error message, as the runtime reads it).
  invoke: (message) => invokeTransport.postMessage(message).then((answer) => 'answer ' + answer,
    (e) => String(e && e.message).startsWith('{') ? 'answer ' + e.message : 'rejected ' + e),
  post: (message) => { transport.postMessage(message); return true; },
  postBig: (head, size, tail) => { transport.postMessage(head + 'x'.repeat(size) + tail); return true; },
  flood: (message, count) => { for (let i = 0; i < count; i++) transport.postMessage(message); return count; },
});
"#;

/// Helpers every attack script can use. Strict mode, so that writes to frozen
/// objects throw; `report` keeps the real JSON.stringify for after the poisoning.
const ATTACK_PRELUDE: &str = r#"'use strict';
const realStringify = JSON.stringify;
const realThen = Promise.prototype.then;
const realApply = Reflect.apply;
const report = (name, value) => console.log('RESULT ' + name + ' ' + realStringify(value));
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
const errorOf = async (f) => {
  try { await f(); return 'no error'; } catch (e) { return String(e && e.message !== undefined ? e.message : e); }
};
// After a flood: echoes until the main process answers again, which it does only
// once it has handled the whole flood (it came first), then waits for the rate
// limit to refill enough for the report's console line (it spends a token too).
// Waits for the answer, not for an amount of time; gives up after 20 s.
const untilAdmitted = async () => {
  const start = Date.now();
  for (;;) {
    const error = await errorOf(() => api.echo('after the flood'));
    if (error === 'no error') break;
    if (!error.includes('rate limit')) throw new Error('after the flood: ' + error);
    if (Date.now() - start > 20000) throw new Error('still refused 20 s after the flood');
    await sleep(20);
  }
  await sleep(100);
};
// Replaces the built-ins an IPC layer might lean on, in this (the page's) world.
function poisonEverything() {
  const steal = () => { throw new Error('poisoned'); };
  for (const key of ['ch', 't', 'args', 'id', 'channel', 'then']) {
    Object.defineProperty(Object.prototype, key, { set: steal, get: () => 'secret:wipe', configurable: true });
  }
  Object.defineProperty(Array.prototype, '0', { set: steal, get: () => 'secret:wipe', configurable: true });
  Array.prototype.push = steal; Array.prototype.map = steal; Array.prototype.slice = steal;
  Array.prototype[Symbol.iterator] = function* () { yield 'secret:wipe'; };
  JSON.stringify = () => '{"t":"invoke","id":1,"ch":"secret:wipe","args":[]}';
  JSON.parse = () => ({ t: 'invoke', ch: 'secret:wipe' });
  Promise.prototype.then = steal;
  Function.prototype.call = steal; Function.prototype.apply = steal; Function.prototype.bind = steal;
  Reflect.apply = steal;
  Object.keys = () => ['ch']; Object.defineProperty = steal;
  EventTarget.prototype.dispatchEvent = steal; EventTarget.prototype.addEventListener = steal;
}
"#;

const BYSTANDER_PRELOAD: &str = r#"
const { ipcRenderer } = require('electron');
ipcRenderer.on('safe:ping', (_event, n) => { ipcRenderer.invoke('safe:pong', n); });
"#;

fn err(e: impl std::fmt::Display) -> String {
    e.to_string()
}

/// The hostile window's grants: `safe:*` in every direction, nothing else.
fn hostile_grants() -> ChannelGrants {
    ChannelGrants::new()
        .invoke("safe:*")
        .send("safe:*")
        .receive("safe:*")
}

/// Registers the main process's side: the handlers an attack may reach, the ones it
/// must never reach, and schemas.
fn register(h: &Harness, count: Arc<AtomicUsize>) -> Result<(), String> {
    let ipc = h.app().ipc_main();
    let probe = h.probe();
    let release = Arc::new(Notify::new());
    ipc.set_schema(
        "safe:greet",
        ChannelSchema::new().args_json(json!({
            "type": "array", "minItems": 1, "maxItems": 1,
            "prefixItems": [{ "type": "string", "maxLength": 1000 }]
        })),
    )
    .map_err(err)?;
    ipc.set_schema("safe:news", ChannelSchema::new().args::<(String,)>())
        .map_err(err)?;
    let record = probe.clone();
    ipc.handle("safe:echo", move |_: IpcEvent, value: Value| {
        let text = value.to_string();
        record.record(format!("echo:{}", &text[..text.len().min(200)]));
        value
    })
    .map_err(err)?;
    // Answers once safe:release is invoked (bounded, so it never hangs a scenario).
    let released = release.clone();
    ipc.handle("safe:slow", move |_: IpcEvent| {
        let released = released.clone();
        async move {
            match tokio::time::timeout(Duration::from_secs(20), released.notified()).await {
                Ok(()) => "slow",
                Err(_) => "never released",
            }
        }
    })
    .map_err(err)?;
    ipc.handle("safe:release", move |_: IpcEvent| release.notify_one())
        .map_err(err)?;
    let record = probe.clone();
    ipc.on("safe:greet", move |_: IpcEvent, text: String| {
        record.record(format!("greet:{text}"));
    });
    ipc.on("safe:count", move |_: IpcEvent| {
        count.fetch_add(1, Ordering::Relaxed);
    });
    let record = probe.clone();
    ipc.handle("safe:pong", move |e: IpcEvent, n: u64| {
        record.record(format!("pong:{}:{n}", e.sender().id()));
    })
    .map_err(err)?;
    // A declared API the hostile window takes, and one it does not.
    let vault = Api::new("vault");
    let level = Arc::new(vault.live("level", Level { n: 0 }).map_err(err)?);
    let stored = Arc::new(AtomicUsize::new(0));
    let (kept, raised) = (stored.clone(), level.clone());
    vault.call("store", move |_: IpcEvent, item: Item| {
        let n = kept.fetch_add(1, Ordering::Relaxed) + 1;
        raised.set(Level { n: n as u32 }).map_err(err)?;
        Ok::<_, String>(item.name)
    });
    vault.call("count", move |_: IpcEvent| {
        Ok::<_, String>(stored.load(Ordering::Relaxed) as u32)
    });
    ipc.add_api(&vault).map_err(err)?;
    let admin = Api::new("admin");
    let record = probe.clone();
    admin.call("wipe", move |_: IpcEvent| {
        record.record("RAN admin.wipe");
        Ok::<_, String>(())
    });
    ipc.add_api(&admin).map_err(err)?;
    for forbidden in ["secret:wipe", "admin:shutdown"] {
        let record = probe.clone();
        ipc.handle(forbidden, move |_: IpcEvent| {
            record.record(format!("RAN {forbidden}"));
        })
        .map_err(err)?;
        let record = probe.clone();
        ipc.on(forbidden, move |_: IpcEvent| {
            record.record(format!("RAN {forbidden}"));
        });
    }
    Ok(())
}

/// An item of the `vault` API.
#[derive(serde::Serialize, serde::Deserialize, schemars::JsonSchema)]
struct Item {
    name: String,
}

/// The `vault` API's live value.
#[derive(serde::Serialize, schemars::JsonSchema)]
struct Level {
    n: u32,
}

/// Opens a window with the secure defaults but for a preload and grants.
fn open_window(
    h: &Harness,
    title: &str,
    preload: Option<std::path::PathBuf>,
    grants: ChannelGrants,
) -> Result<BrowserWindow, String> {
    BrowserWindow::new(
        h.app(),
        BrowserWindowOptions {
            title: title.into(),
            web_preferences: WebPreferences {
                preload,
                grants,
                ..Default::default()
            },
            ..Default::default()
        },
    )
    .map_err(err)
}

/// Opens the bystander, which answers `safe:ping` with an invoke of `safe:pong`.
fn bystander(h: &Harness) -> Result<BrowserWindow, String> {
    let preload = h.file("bystander-preload.js", BYSTANDER_PRELOAD)?;
    let window = open_window(
        h,
        "bystander",
        Some(preload),
        ChannelGrants::new()
            .receive("safe:ping")
            .invoke("safe:pong"),
    )?;
    let page = h.file("bystander.html", "<!DOCTYPE html><p>bystander</p>")?;
    window.load_file(page).map_err(err)?;
    Ok(window)
}

/// Checks that the main process still answers the bystander.
async fn bystander_answers(probe: &Probe, bystander: &WebContents, n: u64) -> Result<(), String> {
    bystander.send("safe:ping", (n,)).map_err(err)?;
    probe.expect(&format!("pong:{}:{n}", bystander.id())).await
}

fn no_forbidden_handler_ran(probe: &Probe) -> Result<(), String> {
    probe.ensure_none("a handler the page was not granted", |l| {
        l.starts_with("RAN ")
    })
}

fn attack_setup(h: &Harness) -> Result<Driver, String> {
    let attack = ATTACKS
        .iter()
        .find(|a| a.name == h.name())
        .ok_or_else(|| format!("no attack named {}", h.name()))?;
    let count = Arc::new(AtomicUsize::new(0));
    register(h, count.clone())?;
    let bystander = bystander(h)?;
    // A file the app must never serve: next to (outside) the app's directory.
    let secret = h
        .dir()
        .parent()
        .ok_or("the scratch directory has no parent")?
        .join("voltaic-hostile-secret.txt");
    std::fs::write(&secret, "TOP SECRET").map_err(err)?;

    // Before the hostile window, and so its rate-limit buckets, exists: the flood
    // checks bound what was admitted by the time since.
    let started = Instant::now();
    let preload = h.file("hostile-preload.js", HOSTILE_PRELOAD)?;
    let script = format!(
        "{ATTACK_PRELUDE}\nconst attack = async () => {{ {body}\n}};\n\
         window.addEventListener('DOMContentLoaded', () => {{ realApply(realThen, attack(), [\
         (r) => report('attack', r === undefined ? null : r), \
         (e) => report('attack', {{ threw: String(e && e.message || e) }})]); }});\n",
        body = attack.script
    );
    h.file("attack.js", &script)?;
    let page = h.file(
        "hostile.html",
        "<!DOCTYPE html><html><head><script src=\"attack.js\"></script></head><body></body></html>",
    )?;
    let hostile = BrowserWindow::new(
        h.app(),
        BrowserWindowOptions {
            title: "hostile".into(),
            web_preferences: WebPreferences {
                preload: Some(preload),
                grants: hostile_grants(),
                apis: vec!["vault".into()],
                ..Default::default()
            },
            ..Default::default()
        },
    )
    .map_err(err)?;
    hostile.load_file(page).map_err(err)?;

    let probe = h.probe();
    let webkit = h.engine_version("webkitgtk") != "undefined";
    Ok(Box::pin(async move {
        let _ = std::fs::remove_file(&secret).ok();
        let result = probe
            .wait_for_within("the attack's result", Duration::from_secs(30), |l| {
                l.starts_with(&format!("console:{}:", hostile.id())) && l.contains("RESULT attack ")
            })
            .await?;
        for expected in attack.expect {
            ensure!(
                result.contains(expected),
                "the page's result lacks {expected:?}: {result}"
            );
        }
        for expected in attack.logs {
            let expected = match expected.strip_prefix("webkitgtk:") {
                Some(_) if !webkit => continue,
                Some(rest) => rest,
                None => expected,
            };
            probe
                .wait_for(&format!("main log {expected:?}"), |l| {
                    l.starts_with("log:") && l.contains(expected)
                })
                .await?;
        }
        no_forbidden_handler_ran(&probe)?;
        bystander_answers(&probe, bystander.web_contents(), 1).await?;
        // Whatever got through was within the grant and the schema.
        probe.ensure_none("a greeting that broke the schema", |l| {
            l.starts_with("greet:") && l.len() > 1006
        })?;
        probe.ensure_none("a forged pong", |l| {
            l.starts_with(&format!("pong:{}:", hostile.id()))
                && attack.name != "forging_the_bystanders_pong"
        })?;
        match attack.name {
            "prototype_poisoning_before_use" | "prototype_poisoning_after_use" => {
                probe.expect("greet:hello from a poisoned page").await?;
            }
            "forging_the_bystanders_pong" => {
                // The pong is attributed to the hostile window, not the bystander.
                probe.expect(&format!("pong:{}:1", hostile.id())).await?;
            }
            name if name.starts_with("flood") => {
                // Whatever reached a handler fits the burst plus the rate over the
                // time the window has existed: counts, whatever the machine's speed.
                let sends = count.load(Ordering::Relaxed);
                let invokes = probe
                    .lines()
                    .iter()
                    .filter(|l| l.starts_with("echo:"))
                    .count();
                let seconds = started.elapsed().as_secs_f64();
                let allowed = f64::from(FLOOD_BURST) + seconds * f64::from(FLOOD_RATE);
                ensure!(
                    (sends + invokes) as f64 <= allowed,
                    "{sends} sends and {invokes} invokes reached a handler in {seconds:.1} s; \
                     the limit of {FLOOD_RATE}/s after {FLOOD_BURST} admits at most {allowed:.0}"
                );
            }
            _ => {}
        }
        Ok(())
    }))
}

/// The main process loads a page of another origin into the window: the preload
/// still runs there, but every IPC message from it is refused.
fn other_origin_loaded_by_main(h: &Harness) -> Result<Driver, String> {
    register(h, Arc::default())?;
    let bystander = bystander(h)?;
    let preload = h.file("hostile-preload.js", HOSTILE_PRELOAD)?;
    let window = open_window(h, "window", Some(preload), hostile_grants())?;
    window
        .load_url(
            "data:text/html,<script>window.api.echo('from elsewhere').then(\
             (v)=>console.log('RESULT other '+JSON.stringify({ok:v})),\
             (e)=>console.log('RESULT other '+JSON.stringify({error:e.message})))</script>",
        )
        .map_err(err)?;
    let probe = h.probe();
    Ok(Box::pin(async move {
        let result = probe.result("other").await?;
        ensure_eq!(
            result,
            json!({"error": "Error invoking remote method 'safe:echo': IPC is not allowed from origin 'null'"})
        );
        probe
            .wait_for("the refusal in the main log", |l| {
                l.starts_with("log:") && l.contains("IPC is not allowed from origin 'null'")
            })
            .await?;
        probe.ensure_none("the echo handler", |l| l.starts_with("echo:"))?;
        no_forbidden_handler_ran(&probe)?;
        bystander_answers(&probe, bystander.web_contents(), 1).await
    }))
}

/// The main process may only send what the window may receive, matching its schema;
/// the preload checks again before any page listener sees a message.
fn main_to_renderer_checks(h: &Harness) -> Result<Driver, String> {
    register(h, Arc::default())?;
    let preload = h.file(
        "listener-preload.js",
        r#"
const { contextBridge, ipcRenderer } = require('electron');
contextBridge.exposeInMainWorld('api', {
  on: (channel, callback) => { ipcRenderer.on(channel, (_event, ...args) => callback(...args)); },
});
"#,
    )?;
    h.file(
        "listener.js",
        &format!(
            "{REPORT_JS}const got = [];\n\
             for (const ch of ['safe:news', 'secret:push']) api.on(ch, (...args) => {{\n\
               got.push([ch, ...args]);\n\
               if (args[0] === 'last') report('got', got);\n\
             }});\n\
             console.log('listening');\n"
        ),
    )?;
    let page = h.file(
        "listener.html",
        "<!DOCTYPE html><html><head><script src=\"listener.js\"></script></head></html>",
    )?;
    let window = open_window(
        h,
        "window",
        Some(preload),
        ChannelGrants::new().receive("safe:news"),
    )?;
    window.load_file(page).map_err(err)?;
    let probe = h.probe();
    let ipc = h.app().ipc_main().clone();
    Ok(Box::pin(async move {
        let id = window.id();
        probe
            .expect(&format!("console:{id}:page:Info:listening"))
            .await?;
        let contents = window.web_contents();
        let secret = contents.send("secret:push", ("leak",));
        ensure!(
            matches!(secret, Err(IpcError::ChannelNotAllowed { .. })),
            "send on a channel the window may not receive: {secret:?}"
        );
        let bad = contents.send("safe:news", (42,));
        ensure!(
            matches!(bad, Err(IpcError::Validation { .. })),
            "send that breaks the schema: {bad:?}"
        );
        ensure!(
            bad.as_ref().err().is_some_and(|e| e
                .to_string()
                .starts_with("invalid arguments for channel 'safe:news' at /0")),
            "unclear error: {bad:?}"
        );
        // With the schema gone from the main process, the preload's copy still
        // stops a bad message before any page listener sees it.
        ipc.remove_schema("safe:news");
        contents.send("safe:news", (42,)).map_err(err)?;
        probe
            .expect(&format!(
                "console:{id}:preload:Error:Refused a message from the main process: \
                 invalid arguments for channel 'safe:news' at /0: 42 is not of type \"string\""
            ))
            .await?;
        contents.send("safe:news", ("first",)).map_err(err)?;
        contents.send("safe:news", ("last",)).map_err(err)?;
        let got = probe.result("got").await?;
        ensure_eq!(got, json!([["safe:news", "first"], ["safe:news", "last"]]));
        Ok(())
    }))
}

/// What is denied by default can be allowed by the app's handlers: a permission and
/// a navigation, each asked of the handler with the window and what was requested.
fn hooks_allow(h: &Harness) -> Result<Driver, String> {
    let app = h.app().handle();
    let probe = h.probe();
    app.set_permission_handler(move |request| {
        probe.record(format!("permission:{}:{:?}", request.window, request.kind));
        request.kind == voltaic::PermissionKind::Geolocation
    });
    // Another origin to go to: a one-page HTTP server on loopback.
    let origin = serve_once(
        "<!DOCTYPE html><script>console.log('RESULT arrived ' + JSON.stringify(location.origin))</script>",
    )?;
    let probe = h.probe();
    let popups = origin.clone();
    app.set_window_open_handler(move |request| {
        probe.record(format!("open:{}:{}", request.window, request.url));
        if request.url.starts_with(&popups) {
            voltaic::WindowOpenAction::Allow(Box::new(BrowserWindowOptions {
                title: "popup".into(),
                ..Default::default()
            }))
        } else {
            voltaic::WindowOpenAction::Deny
        }
    });
    let probe = h.probe();
    let allowed = origin.clone();
    app.set_navigation_handler(move |request| {
        probe.record(format!("navigate:{}", request.url));
        request.url.starts_with(&allowed)
    });
    h.file(
        "hooks.js",
        &format!(
            "{REPORT_JS}window.addEventListener('DOMContentLoaded', async () => {{\n\
               const geolocation = await new Promise((resolve) => {{\n\
                 navigator.geolocation.getCurrentPosition(() => resolve('position'), (e) => resolve('error ' + e.code));\n\
                 setTimeout(() => resolve('no answer'), 3000);\n\
               }});\n\
               report('geolocation', geolocation);\n\
               window.open('{origin}/popup.html');\n\
               window.open('https://example.invalid/');\n\
               location.href = '{origin}/elsewhere.html';\n\
             }});\n"
        ),
    )?;
    let page = h.file(
        "hooks.html",
        "<!DOCTYPE html><html><head><script src=\"hooks.js\"></script></head></html>",
    )?;
    let window = open_window(h, "hooks", None, ChannelGrants::new())?;
    window.load_file(page).map_err(err)?;
    let probe = h.probe();
    Ok(Box::pin(async move {
        let id = window.id();
        let geolocation = probe.result("geolocation").await?;
        // Granted: WebKit goes on to look for a position (none here), not "denied" (1).
        ensure!(
            geolocation != json!("error 1"),
            "geolocation was denied although the handler granted it"
        );
        probe
            .expect(&format!("permission:{id}:Geolocation"))
            .await?;
        // The popup the handler allowed: a window of its own, which loaded the URL.
        let popup = probe
            .wait_for("the popup's page", |l| {
                l.contains("RESULT arrived") && !l.starts_with(&format!("console:{id}:"))
            })
            .await?;
        ensure!(popup.ends_with(&format!("\"{origin}\"")), "popup: {popup}");
        probe
            .expect(&format!("open:{id}:{origin}/popup.html"))
            .await?;
        probe
            .expect(&format!("open:{id}:https://example.invalid/"))
            .await?;
        // The navigation the other handler allowed.
        probe
            .wait_for("the page after its navigation", |l| {
                l.starts_with(&format!("console:{id}:")) && l.contains("RESULT arrived")
            })
            .await?;
        probe
            .expect(&format!("navigate:{origin}/elsewhere.html"))
            .await?;
        Ok(())
    }))
}

/// Default-deny: a window given no grants can use no channel at all, in any
/// direction, however its preload tries.
fn no_grants(h: &Harness) -> Result<Driver, String> {
    register(h, Arc::default())?;
    let preload = h.file("hostile-preload.js", HOSTILE_PRELOAD)?;
    h.file(
        "nogrants.js",
        &format!(
            "{ATTACK_PRELUDE}window.addEventListener('DOMContentLoaded', async () => {{\n\
               report('nogrants', [\n\
                 await errorOf(() => api.echo('x')),\n\
                 await errorOf(() => api.greet('x')),\n\
                 await errorOf(() => api.invoke('safe:pong', 1)),\n\
               ]);\n\
             }});\n"
        ),
    )?;
    let page = h.file(
        "nogrants.html",
        "<!DOCTYPE html><html><head><script src=\"nogrants.js\"></script></head></html>",
    )?;
    let window = open_window(h, "no grants", Some(preload), ChannelGrants::new())?;
    window.load_file(page).map_err(err)?;
    let probe = h.probe();
    Ok(Box::pin(async move {
        ensure_eq!(
            probe.result("nogrants").await?,
            json!([
                "channel 'safe:echo' is not allowed for this window",
                "channel 'safe:greet' is not allowed for this window",
                "channel 'safe:pong' is not allowed for this window",
            ])
        );
        let push = window.web_contents().send("safe:news", ("x",));
        ensure!(
            matches!(push, Err(IpcError::ChannelNotAllowed { .. })),
            "main → renderer without a grant: {push:?}"
        );
        probe.ensure_none("any handler", |l| {
            l.starts_with("echo:") || l.starts_with("greet:") || l.starts_with("pong:")
        })
    }))
}

/// Serves `html` to every request on a loopback port for as long as the scenario's
/// process lives; returns the origin, `http://127.0.0.1:<port>`.
fn serve_once(html: &'static str) -> Result<String, String> {
    use std::io::{Read, Write};
    let listener = std::net::TcpListener::bind("127.0.0.1:0").map_err(err)?;
    let origin = format!("http://{}", listener.local_addr().map_err(err)?);
    std::thread::spawn(move || {
        for mut stream in listener.incoming().flatten() {
            let _ = stream.set_read_timeout(Some(Duration::from_secs(5)));
            let mut request = [0u8; 4096];
            let _ = stream.read(&mut request);
            let _ = write!(
                stream,
                "HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Length: {}\r\n\
                 Connection: close\r\n\r\n{html}",
                html.len()
            );
        }
    });
    Ok(origin)
}

/// The security report: the secure defaults are all "ok"; a window that weakens
/// them gets each weakened rule flagged. The web process really runs in bubblewrap.
fn security_report(h: &Harness) -> Result<Driver, String> {
    let secure = open_window(h, "secure", None, ChannelGrants::new().invoke("safe:echo"))?;
    h.app()
        .ipc_main()
        .set_schema("safe:echo", ChannelSchema::new().args::<(String,)>())
        .map_err(err)?;
    let weak = BrowserWindow::new(
        h.app(),
        BrowserWindowOptions {
            title: "weak".into(),
            web_preferences: WebPreferences {
                context_isolation: false,
                allowed_origins: AllowedOrigins::any(),
                content_security_policy: String::new(),
                ..api_prefs()
            },
            ..Default::default()
        },
    )
    .map_err(err)?;
    secure.load_html("<p>secure</p>").map_err(err)?;
    weak.load_html("<p>weak</p>").map_err(err)?;
    let report = h.app().security_report();
    let app = h.app().handle();
    let webkit = h.engine_version("webkitgtk") != "undefined";
    Ok(Box::pin(async move {
        let text = report.to_string();
        let sandbox = app.sandbox().clone();
        let secure_window = report
            .windows
            .iter()
            .find(|w| w.window == secure.id())
            .ok_or_else(|| format!("no entry for the secure window:\n{text}"))?;
        if sandbox == voltaic::SandboxState::Enabled {
            ensure!(
                secure_window.weakened().next().is_none(),
                "the secure window has weakened rules:\n{text}"
            );
            if webkit {
                poll_until(
                    "a WebKitWebProcess under bwrap, as the report says it is sandboxed",
                    web_process_in_bubblewrap,
                )
                .await?;
            } else {
                poll_until(
                    "a Chromium renderer under seccomp-bpf, not as root, as the report says it is sandboxed",
                    chromium_renderer_sandboxed,
                )
                .await?;
            }
        } else {
            ensure_eq!(
                report
                    .check(secure.id(), "process sandbox")
                    .map(|c| c.state),
                Some(CheckState::Weakened)
            );
        }
        for rule in [
            "context isolation",
            "channel allowlist",
            "schema validation",
            "contextBridge only",
            "trusted origins",
            "content security policy",
        ] {
            ensure_eq!(
                report.check(weak.id(), rule).map(|c| c.state),
                Some(CheckState::Weakened)
            );
        }
        ensure!(
            text.contains("[WEAKENED] channel allowlist        '*' grants every channel"),
            "the table does not flag the wildcard grant:\n{text}"
        );
        Ok(())
    }))
}

/// Whether a child process of this one is a WebKitWebProcess run by bubblewrap.
/// Whether a Chromium renderer runs in Chromium's sandbox: under a seccomp-bpf
/// filter, in a PID namespace of its own, and not as root.
fn chromium_renderer_sandboxed() -> bool {
    let Ok(entries) = std::fs::read_dir("/proc") else {
        return false;
    };
    entries.flatten().any(|entry| {
        let dir = entry.path();
        let cmdline = std::fs::read(dir.join("cmdline")).unwrap_or_default();
        if !String::from_utf8_lossy(&cmdline).contains("--type=renderer") {
            return false;
        }
        let status = std::fs::read_to_string(dir.join("status")).unwrap_or_default();
        let field = |name: &str| {
            status
                .lines()
                .find_map(|l| l.strip_prefix(name))
                .map(|v| v.split_whitespace().collect::<Vec<_>>())
                .unwrap_or_default()
        };
        let seccomp = field("Seccomp:") == ["2"];
        // More than one pid: it sees itself under another in a namespace of its own.
        let own_pid_namespace = field("NSpid:").len() > 1;
        let not_root = field("Uid:").iter().all(|uid| *uid != "0");
        seccomp && own_pid_namespace && not_root
    })
}

fn web_process_in_bubblewrap() -> bool {
    let me = std::process::id().to_string();
    let Ok(entries) = std::fs::read_dir("/proc") else {
        return false;
    };
    let status =
        |pid: &str| std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    let field = |text: &str, name: &str| {
        text.lines()
            .find_map(|l| l.strip_prefix(name))
            .map(|v| v.trim().to_owned())
            .unwrap_or_default()
    };
    entries.flatten().any(|entry| {
        let pid = entry.file_name().to_string_lossy().into_owned();
        let text = status(&pid);
        if !field(&text, "Name:").starts_with("WebKitWebProces") {
            return false;
        }
        // Walk up: bwrap must sit between this process and the web process.
        let mut parent = field(&text, "PPid:");
        let mut through_bwrap = false;
        for _ in 0..8 {
            if parent == me {
                return through_bwrap;
            }
            let parent_status = status(&parent);
            through_bwrap |= field(&parent_status, "Name:") == "bwrap";
            parent = field(&parent_status, "PPid:");
        }
        false
    })
}

fn main() {
    let mut scenarios: Vec<Scenario> = ATTACKS
        .iter()
        .map(|attack| Scenario {
            name: attack.name,
            setup: attack_setup,
        })
        .collect();
    scenarios.extend([
        Scenario {
            name: "ipc_from_another_origin_loaded_by_main",
            setup: other_origin_loaded_by_main,
        },
        Scenario {
            name: "main_to_renderer_grants_and_schemas",
            setup: main_to_renderer_checks,
        },
        Scenario {
            name: "security_report_flags_weakened_rules",
            setup: security_report,
        },
        Scenario {
            name: "handlers_can_allow_what_is_denied_by_default",
            setup: hooks_allow,
        },
        Scenario {
            name: "a_window_without_grants_can_use_no_channel",
            setup: no_grants,
        },
    ]);
    voltaic_e2e::main_with_limits(&scenarios, limits_for);
}

/// The flood attacks run with a small rate limit, so that every machine floods past
/// it and the outcome depends on counts, not on how fast the page can post.
fn limits_for(name: &str) -> Limits {
    if name.starts_with("flood") {
        Limits::default().rate(FLOOD_RATE, FLOOD_BURST)
    } else {
        Limits::default()
    }
}
