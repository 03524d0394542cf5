//! The IPC timeline in a real window: what a page does, as the timeline records it;
//! and `VOLTAIC_TRACE` on the quickstart example, run as it ships.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::{json, Value};
use voltaic::timeline::{Entry, Event, PortAction, Refusal};
use voltaic::{ChannelGrants, IpcEvent, TimelineOptions, WebPreferences};
use voltaic_e2e::{api_prefs, ensure, ensure_eq, Driver, Harness, REPORT_JS};

use super::err;

const PRELOAD: &str = r#"
const { contextBridge, ipcRenderer } = require('electron');
contextBridge.exposeInMainWorld('tl', {
  get: (n) => ipcRenderer.invoke('tl:get', n),
  nobody: () => ipcRenderer.invoke('tl:nobody'),
  note: (text) => ipcRenderer.send('tl:note', text),
  secret: (text) => ipcRenderer.send('tl:secret', text),
  onPush: (callback) => ipcRenderer.on('tl:push', (_event, value) => callback(value)),
});
// A port of the preload's own, handed to the main process, which answers on it.
const { port1, port2 } = new MessageChannel();
port2.onmessage = (event) => console.log('RESULT port ' + JSON.stringify(event.data));
ipcRenderer.postMessage('tl:port', 'ping', [port1]);
"#;

const PAGE: &str = r#"<script>
tl.onPush((value) => report('push', value));
tl.get(21).then(async (value) => {
  report('get', value);
  tl.note('hello');
  tl.secret('hunter2');
  console.warn('careful');
  report('nobody', await tl.nobody().then(() => 'answered', (e) => e.message));
});
</script>"#;

/// Everything a page does, on the timeline of its window: the window's creation
/// and load before its first message, the invoke with its arguments' preview
/// and its handler's time, sends (one with its preview redacted), a port opened,
/// posted on both ways, an invoke nobody handles refused, a console line, and a
/// push; and the per-channel invoke table.
pub(crate) fn records_a_window(h: &Harness) -> Result<Driver, String> {
    let timeline = h.app().timeline().clone();
    timeline.start(
        TimelineOptions::default()
            .preview(40)
            .redact(|channel, preview| (channel != "tl:secret").then(|| preview.to_owned())),
    );
    let ipc = h.app().ipc_main();
    let nap = Duration::from_millis(15);
    ipc.handle("tl:get", move |_: IpcEvent, n: u32| async move {
        tokio::time::sleep(nap).await;
        Ok::<_, String>(n * 2)
    })
    .map_err(err)?;
    ipc.on("tl:note", |_: IpcEvent, _: String| {});
    ipc.on("tl:secret", |_: IpcEvent, _: String| {});
    ipc.on("tl:port", |event: IpcEvent, _: String| {
        if let Some(port) = event.ports().first() {
            port.start();
            let _ = port.post_message("pong");
        }
    });
    let prefs = WebPreferences {
        grants: ChannelGrants::new()
            .invoke("tl:get")
            .invoke("tl:nobody")
            .send("tl:note")
            .send("tl:secret")
            .send("tl:port")
            .receive("tl:push"),
        ..api_prefs()
    };
    let prefs = WebPreferences {
        preload: Some(h.file("timeline-preload.js", PRELOAD)?),
        ..prefs
    };
    let window = h.window_with(
        "timeline",
        prefs,
        &format!("<script>{REPORT_JS}</script>{PAGE}"),
    )?;
    let probe = h.probe();
    Ok(Box::pin(async move {
        ensure_eq!(probe.result("get").await?, json!(42));
        ensure_eq!(probe.result("port").await?, json!("pong"));
        let nobody = probe.result("nobody").await?;
        ensure!(
            nobody
                .as_str()
                .is_some_and(|e| e.contains("No handler registered for 'tl:nobody'")),
            "the invoke nobody handles was answered with {nobody}"
        );
        window
            .web_contents()
            .send("tl:push", ("pushed",))
            .map_err(err)?;
        ensure_eq!(probe.result("push").await?, json!("pushed"));
        let mine: Vec<Entry> = timeline
            .entries()
            .into_iter()
            .filter(|entry| entry.window == window.id())
            .collect();
        let find = |what: &str, matches: &dyn Fn(&Event) -> bool| {
            mine.iter()
                .position(|entry| matches(&entry.event))
                .ok_or_else(|| format!("no {what} on the timeline: {mine:#?}"))
        };
        let lifecycle = |name: &'static str| move |event: &Event| matches!(event, Event::Lifecycle { what } if what == name);
        let created = find("window creation", &lifecycle("created"))?;
        let first_ipc = find("IPC", &|event| !matches!(event, Event::Lifecycle { .. }))?;
        ensure!(
            created < first_ipc,
            "the window's creation came after its first message"
        );
        find("did-start-loading", &lifecycle("did-start-loading"))?;
        find("dom-ready", &lifecycle("dom-ready"))?;
        let invoke = &mine[find(
            "the invoke of tl:get",
            &|event| matches!(event, Event::Invoke { channel, .. } if channel == "tl:get"),
        )?];
        let Event::Invoke {
            handler,
            preview,
            error,
            size,
            ..
        } = &invoke.event
        else {
            return Err(format!("not an invoke: {invoke:?}"));
        };
        ensure!(
            *handler >= nap,
            "the handler slept {nap:?}, but was timed {handler:?}"
        );
        ensure_eq!(preview.as_deref(), Some("[21]"));
        ensure_eq!(*error, None);
        ensure_eq!(*size, 4);
        find("the send with its preview", &|event| {
            matches!(event, Event::Send { channel, preview: Some(p), sync: false, .. }
                if channel == "tl:note" && p == r#"["hello"]"#)
        })?;
        find(
            "the redacted send",
            &|event| matches!(event, Event::Send { channel, preview: None, .. } if channel == "tl:secret"),
        )?;
        find(
            "the port send",
            &|event| matches!(event, Event::Send { channel, ports: 1, .. } if channel == "tl:port"),
        )?;
        find("the port arriving", &|event| {
            matches!(
                event,
                Event::Port {
                    action: PortAction::Open,
                    ..
                }
            )
        })?;
        find(
            "the port's answer",
            &|event| matches!(event, Event::Port { action: PortAction::ToPage, size, .. } if *size > 0),
        )?;
        find("the refused invoke", &|event| {
            matches!(event, Event::Refused { reason: Refusal::NoHandler, channel: Some(c), .. }
                if c == "tl:nobody")
        })?;
        find(
            "the console line",
            &|event| matches!(event, Event::Console { text, .. } if text == "careful"),
        )?;
        find(
            "the push",
            &|event| matches!(event, Event::Push { channel, .. } if channel == "tl:push"),
        )?;
        let stats = timeline.channel_stats();
        let get = stats
            .iter()
            .find(|stats| stats.channel == "tl:get")
            .ok_or_else(|| format!("no tl:get in the channel table: {stats:?}"))?;
        ensure_eq!((get.invokes, get.errors), (1, 0));
        ensure!(get.max >= nap, "tl:get's slowest was {:?}", get.max);
        Ok(())
    }))
}

/// `VOLTAIC_TRACE=t.json` on the quickstart example, run as it ships: the trace is a
/// JSON array of Chrome trace events holding its startup traffic (its window's
/// creation and load, the page's `get-data` invoke as a slice on that handler's
/// track, and its `message-channel` send), and it is closed when the app quits on
/// SIGTERM, as Electron apps do.
pub(crate) fn traces_the_quickstart(h: &Harness) -> Result<Driver, String> {
    let dir = h.dir().to_owned();
    Ok(Box::pin(async move {
        tokio::task::spawn_blocking(move || trace_quickstart(&dir))
            .await
            .map_err(err)?
    }))
}

fn trace_quickstart(dir: &Path) -> Result<(), String> {
    let exe = build_quickstart()?;
    let trace = dir.join("quickstart-trace.json");
    let log = std::fs::File::create(dir.join("quickstart.log")).map_err(err)?;
    let mut child = Command::new(&exe)
        .env("VOLTAIC_TRACE", &trace)
        .env(voltaic::engine::DATA_DIR_ENV, dir.join("quickstart-data"))
        .env("RUST_LOG", "warn")
        .stdout(log.try_clone().map_err(err)?)
        .stderr(log)
        .spawn()
        .map_err(|e| format!("{}: {e}", exe.display()))?;
    let said = || std::fs::read_to_string(dir.join("quickstart.log")).unwrap_or_default();
    // The trace is flushed whenever its writer catches up: wait for the traffic.
    let wanted = [
        r#""name":"created""#,
        r#""name":"did-start-loading""#,
        r#""cat":"invoke","ph":"X""#,
        r#""name":"send message-channel""#,
    ];
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let text = std::fs::read_to_string(&trace).unwrap_or_default();
        let missing: Vec<&str> = wanted
            .iter()
            .copied()
            .filter(|w| !text.contains(w))
            .collect();
        if missing.is_empty() {
            break;
        }
        if Instant::now() > deadline || child.try_wait().map_err(err)?.is_some() {
            let _ = child.kill();
            return Err(format!(
                "the quickstart's trace never had {missing:?}; it has:\n{text}\nthe app said:\n{}",
                said()
            ));
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    terminate(&mut child, &said)?;
    let text = std::fs::read_to_string(&trace).map_err(err)?;
    // Without SIGTERM the app is ended unasked, and the trace left open, as the
    // format allows: closed here.
    #[cfg(not(unix))]
    let text = format!("{}]", text.trim_end());
    let events: Vec<Value> = serde_json::from_str(&text)
        .map_err(|e| format!("the trace is not a closed JSON array ({e}):\n{text}"))?;
    check_trace_events(&events)?;
    let slice = events
        .iter()
        .find(|e| e["ph"] == "X" && e["name"] == "get-data")
        .ok_or("no get-data slice")?;
    let track = events
        .iter()
        .find(|e| {
            e["name"] == "thread_name" && e["pid"] == slice["pid"] && e["tid"] == slice["tid"]
        })
        .ok_or("the get-data slice's track has no name")?;
    ensure_eq!(track["args"]["name"], json!("handler get-data"));
    ensure!(
        cfg!(not(unix)) || events.iter().any(|e| e["name"] == "quit"),
        "the trace does not end with the app's quit"
    );
    Ok(())
}

/// Ends the app: Windows has no signal asking a program to quit.
#[cfg(not(unix))]
fn terminate(child: &mut Child, _said: &dyn Fn() -> String) -> Result<(), String> {
    child.kill().map_err(err)?;
    child.wait().map(drop).map_err(err)
}

/// Asks the app to quit as a terminal or a service manager does, and waits for
/// it to end by itself.
#[cfg(unix)]
fn terminate(child: &mut Child, said: &dyn Fn() -> String) -> Result<(), String> {
    let pid = i32::try_from(child.id()).map_err(err)?;
    // SAFETY: a signal to our own child, which has not been waited for.
    if unsafe { libc::kill(pid, libc::SIGTERM) } != 0 {
        return Err(format!("SIGTERM: {}", std::io::Error::last_os_error()));
    }
    match voltaic_e2e::wait_bounded(child, Duration::from_secs(30)) {
        Some(status) => {
            ensure!(
                status.success(),
                "the quickstart ended with {status} on SIGTERM:\n{}",
                said()
            );
            Ok(())
        }
        None => Err(format!(
            "the quickstart did not quit within 30 s of SIGTERM:\n{}",
            said()
        )),
    }
}

/// What every event of a trace in Chrome's format has: a name, a phase this
/// exporter writes (`M`etadata, complete `X`, instant `i`), a process and a track,
/// and, but for metadata, a timestamp; slices a duration.
fn check_trace_events(events: &[Value]) -> Result<(), String> {
    ensure!(!events.is_empty(), "the trace is empty");
    for event in events {
        ensure!(event["name"].is_string(), "no name: {event}");
        // Perfetto reads them as 32-bit numbers.
        let small = |key: &str| {
            event[key]
                .as_u64()
                .is_some_and(|id| id <= u64::from(u32::MAX))
        };
        ensure!(
            small("pid") && small("tid"),
            "no pid or tid, or too large: {event}"
        );
        match event["ph"].as_str() {
            Some("M") => ensure!(event["args"].is_object(), "metadata without args: {event}"),
            Some("X") => ensure!(
                event["ts"].is_number() && event["dur"].as_f64().is_some_and(|d| d >= 0.0),
                "a slice without ts or dur: {event}"
            ),
            Some("i") => ensure!(
                event["ts"].is_number() && event["s"] == "t",
                "an instant without ts or scope: {event}"
            ),
            _ => return Err(format!("an unknown phase: {event}")),
        }
    }
    Ok(())
}

/// The quickstart's binary, as `cargo` builds it (at once when it was built before,
/// as `./scripts/test` does).
fn build_quickstart() -> Result<PathBuf, String> {
    let mut build = Command::new(env!("CARGO"))
        .args([
            "build",
            "--quiet",
            "-p",
            "quickstart",
            "--message-format=json",
        ])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .map_err(|e| format!("cargo build -p quickstart: {e}"))?;
    let stdout = build.stdout.take().ok_or("cargo gave no output")?;
    // Read on a thread, so the build is bounded even if cargo hangs.
    let reader = std::thread::spawn(move || std::io::read_to_string(stdout));
    // Within the test process's own bound: the test command builds it first, so
    // this is cargo finding it current.
    let status = voltaic_e2e::wait_bounded(&mut build, Duration::from_secs(60)).ok_or(
        "cargo build -p quickstart took over 60 s: build it first \
         (`cargo build -p quickstart`; ./scripts/test does)",
    )?;
    let output = reader
        .join()
        .map_err(|_| "the reader panicked")?
        .map_err(err)?;
    ensure!(
        status.success(),
        "cargo build -p quickstart failed: {status}"
    );
    output
        .lines()
        .filter_map(|line| serde_json::from_str::<Value>(line).ok())
        .filter_map(|message| message["executable"].as_str().map(PathBuf::from))
        .find(|exe| exe.file_stem().is_some_and(|stem| stem == "quickstart"))
        .ok_or_else(|| "cargo built no quickstart executable".to_owned())
}

/// The inspector, opened on a running app, shows another window's traffic live:
/// its invokes and sends in the list, its invoke channel in the latency table,
/// none of its own traffic; its filter narrows the list; and, like DevTools, it
/// keeps no app running.
pub(crate) fn inspector_shows_live_traffic(h: &Harness) -> Result<Driver, String> {
    let ipc = h.app().ipc_main();
    ipc.handle("insp:get", |_: IpcEvent, n: u32| Ok::<_, String>(n + 1))
        .map_err(err)?;
    ipc.on("insp:note", |_: IpcEvent, _: String| {});
    let inspector = h.app().open_inspector().map_err(err)?;
    let page = h.window(
        "inspected",
        Some(
            "const { contextBridge, ipcRenderer } = require('electron');\n\
             contextBridge.exposeInMainWorld('app', {\n\
               get: (n) => ipcRenderer.invoke('insp:get', n),\n\
               note: (text) => ipcRenderer.send('insp:note', text),\n\
             });",
        ),
        &format!(
            "<script>{REPORT_JS}\
             (async () => {{ for (let i = 0; i < 5; i++) await app.get(i);\n\
               app.note('seen by the inspector'); report('done', true); }})();</script>"
        ),
    )?;
    let probe = h.probe();
    let record = probe.clone();
    inspector.on_closed(move || record.record("inspector:closed"));
    let (record, app) = (probe.clone(), h.app().handle());
    app.on_window_all_closed(move || record.record("app:window-all-closed"));
    let shot = h.dir().join("inspector.png");
    Ok(Box::pin(async move {
        ensure_eq!(probe.result("done").await?, json!(true));
        // What came before the inspector's page watched arrives in its answer,
        // what came after in batches: whichever the page's five invokes were (the
        // inspector's page may load before the other or after it), the table counts
        // them; then one more, surely after, must show as well.
        let shown = inspector_shows(
            &inspector,
            &["insp:get", "seen by the inspector"],
            "insp:get5",
        )
        .await?;
        page.execute_javascript("app.get(9); true")
            .await
            .map_err(err)?;
        inspector_shows(&inspector, &["[9]"], "insp:get6").await?;
        let text = shown.to_string();
        ensure!(
            !text.contains("voltaicInspector."),
            "the inspector shows its own traffic: {text}"
        );
        inspector.capture_page(&shot).await.map_err(err)?;
        ensure!(shot.exists(), "no screenshot of the inspector");
        // How the README's picture is made: VOLTAIC_INSPECTOR_SHOT=docs/inspector.png.
        if let Some(keep) = std::env::var_os("VOLTAIC_INSPECTOR_SHOT") {
            std::fs::copy(&shot, &keep).map_err(|e| format!("{keep:?}: {e}"))?;
        }
        let filtered = inspector
            .execute_javascript(
                "const f = document.getElementById('filter'); f.value = 'insp:note'; \
                 f.dispatchEvent(new Event('input')); \
                 JSON.stringify([...document.querySelectorAll('#entries tr')].map((tr) => tr.textContent))",
            )
            .await
            .map_err(err)?;
        let rows: Vec<String> =
            serde_json::from_str(filtered.as_str().unwrap_or("[]")).map_err(err)?;
        ensure!(
            !rows.is_empty() && rows.iter().all(|row| row.contains("insp:note")),
            "the filter 'insp:note' left {rows:?}"
        );
        // The inspected window's going is the app's last window's: the app hears
        // it (and, as it listens, stays), and the inspector stays open with it.
        let at = probe.lines().len();
        page.close().map_err(err)?;
        let at = probe.expect_after(at, "app:window-all-closed").await?;
        ensure!(
            inspector.is_open(),
            "the inspector closed, although the app stays"
        );
        // Its own going, with no window left, is heard too.
        inspector.close().map_err(err)?;
        let at = probe.expect_after(at, "inspector:closed").await?;
        probe.expect_after(at, "app:window-all-closed").await?;
        ensure!(
            app.get_all_windows().is_empty(),
            "windows left open after the last one closed"
        );
        Ok(())
    }))
}

/// Runs `_inspector_key` on a display of its own with a window manager, which gives
/// the window the keyboard focus the key is typed into.
pub(crate) fn inspector_key(_: &Harness) -> Result<Driver, String> {
    Ok(Box::pin(voltaic_e2e::run_phase_managed("_inspector_key")))
}

/// In a debug build, Ctrl+Alt+I typed into a window (a real key, through the X
/// server's XTEST, by `xdotool`) opens the IPC inspector; the same key dispatched
/// by the page's own script does not.
pub(crate) fn inspector_key_phase(h: &Harness) -> Result<Driver, String> {
    let probe = h.probe();
    let heard = probe.clone();
    h.app()
        .ipc_main()
        .on_inspector_key(move |window| heard.record(format!("inspector-key:{window}")));
    let after = probe.clone();
    h.app()
        .ipc_main()
        .handle("key:after-synthetic", move |_: IpcEvent| {
            after.record("after-synthetic");
            Ok::<_, String>(())
        })
        .map_err(err)?;
    let window = h.window(
        "keyed",
        Some(
            "const { contextBridge, ipcRenderer } = require('electron');\n\
             contextBridge.exposeInMainWorld('key', {\n\
               afterSynthetic: () => ipcRenderer.invoke('key:after-synthetic'),\n\
             });",
        ),
        &format!(
            "<script>{REPORT_JS}\
             window.addEventListener('DOMContentLoaded', async () => {{\n\
               const forged = {{ key: 'i', code: 'KeyI', ctrlKey: true, altKey: true, bubbles: true }};\n\
               document.body.dispatchEvent(new KeyboardEvent('keydown', forged));\n\
               window.dispatchEvent(new KeyboardEvent('keydown', forged));\n\
               await key.afterSynthetic();\n\
               report('ready', true);\n\
             }});</script><p>press the key</p>"
        ),
    )?;
    let app = h.app().handle();
    Ok(Box::pin(async move {
        ensure_eq!(probe.result("ready").await?, json!(true));
        probe.expect("after-synthetic").await?;
        probe.ensure_none("a key the page forged opening the inspector", |line| {
            line.starts_with("inspector-key:")
        })?;
        window.focus().map_err(err)?;
        super::poll_state(&window, "the focus", |state| state.focused).await?;
        let display = std::env::var("DISPLAY").unwrap_or_default();
        let typed = tokio::task::spawn_blocking(move || {
            Command::new("xdotool")
                .args(["key", "--clearmodifiers", "ctrl+alt+i"])
                .env("DISPLAY", display)
                .output()
        })
        .await
        .map_err(err)?
        .map_err(|e| format!("xdotool could not run ({e}); install xdotool"))?;
        ensure!(
            typed.status.success(),
            "xdotool failed: {}",
            String::from_utf8_lossy(&typed.stderr)
        );
        probe
            .expect(&format!("inspector-key:{}", window.id()))
            .await?;
        voltaic_e2e::poll_until("the inspector's window", || {
            app.get_all_windows().len() == 2
        })
        .await?;
        let inspector = app
            .get_all_windows()
            .into_iter()
            .find(|w| w.id() != window.id())
            .ok_or("no inspector window")?;
        let title = inspector.get_title().await.map_err(err)?;
        ensure!(
            title.contains("Voltaic IPC"),
            "the window the key opened is titled {title:?}"
        );
        Ok(())
    }))
}

/// Waits until the inspector's list has rows with each of `rows`, and its latency
/// table a row with `stat`; gives what it showed.
async fn inspector_shows(
    inspector: &voltaic::BrowserWindow,
    rows: &[&str],
    stat: &str,
) -> Result<Value, String> {
    let read = "JSON.stringify({ \
         rows: [...document.querySelectorAll('#entries tr')].map((tr) => tr.textContent), \
         stats: [...document.querySelectorAll('#stats tr')].map((tr) => tr.textContent) })";
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let shown: Value = inspector
            .execute_javascript(read)
            .await
            .ok()
            .and_then(|value| serde_json::from_str(value.as_str()?).ok())
            .unwrap_or_default();
        let has = |list: &str, text: &str| {
            shown[list].as_array().is_some_and(|items| {
                items
                    .iter()
                    .any(|item| item.as_str().is_some_and(|i| i.contains(text)))
            })
        };
        if rows.iter().all(|row| has("rows", row)) && has("stats", stat) {
            return Ok(shown);
        }
        if Instant::now() > deadline {
            return Err(format!(
                "the inspector never showed rows with {rows:?} and {stat:?} in its table: {shown}"
            ));
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}
