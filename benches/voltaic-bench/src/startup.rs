//! Startup and footprint, each app in a fresh process of its own: the time from
//! starting the process to the first invoke answered in its page, and the memory of
//! the whole app once it has settled after that (its own process and WebKit's web
//! and network processes, or Chromium's, summed as PSS). Voltaic (a preload
//! exposing `ping` through `contextBridge`) runs next to a bare app of the same
//! engine, alternately: a wry app (`window.ipc.postMessage` answered with
//! `evaluate_script`) on WebKitGTK, a Chromium page (a binding answered with
//! `Runtime.evaluate`) on Chromium.

use std::collections::HashMap;
use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::{json, Value};

/// What a child prints once its page got its first answer, then its PSS.
const ANSWERED: &str = "ANSWERED";

/// The bare app Voltaic is compared with: `wry`, or `chromium` when
/// `VOLTAIC_ENGINE` runs Voltaic on Chromium.
pub fn bare_side() -> &'static str {
    match std::env::var("VOLTAIC_ENGINE").as_deref() {
        Ok("chromium") => "chromium",
        _ => "wry",
    }
}

/// Runs each side `runs` times, alternately, and returns their medians with every
/// run: `{ voltaic: {startup_ms, pss_mb}, bare: {..}, bare_side, runs: [..] }`.
pub fn measure(runs: usize) -> Result<Value, String> {
    let exe = std::env::current_exe().map_err(|e| e.to_string())?;
    let mut samples: HashMap<&str, Vec<(f64, f64)>> = HashMap::new();
    let mut all = Vec::new();
    let bare = bare_side();
    for round in 0..runs {
        for side in [bare, "voltaic"] {
            let (startup_ms, pss_mb) = run_child(&exe, side)?;
            eprintln!(
                "startup round {} {side}: {startup_ms:.0} ms, {pss_mb:.1} MB",
                round + 1
            );
            samples.entry(side).or_default().push((startup_ms, pss_mb));
            all.push(json!({ "side": side, "startup_ms": startup_ms, "pss_mb": pss_mb }));
        }
    }
    let median = |side: &str, pick: fn(&(f64, f64)) -> f64| {
        let mut values: Vec<f64> = samples
            .get(side)
            .map_or_else(Vec::new, |s| s.iter().map(pick).collect());
        values.sort_by(f64::total_cmp);
        values.get(values.len() / 2).copied()
    };
    Ok(json!({
        "voltaic": { "startup_ms": median("voltaic", |s| s.0), "pss_mb": median("voltaic", |s| s.1) },
        "bare": { "startup_ms": median(bare, |s| s.0), "pss_mb": median(bare, |s| s.1) },
        "bare_side": bare,
        "runs": all,
    }))
}

/// Starts `exe --startup-child <side>` and times it to its answer line.
fn run_child(exe: &std::path::Path, side: &str) -> Result<(f64, f64), String> {
    let started = Instant::now();
    let mut child = Command::new(exe)
        .args(["--startup-child", side])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .map_err(|e| format!("could not start the {side} child: {e}"))?;
    let stdout = child.stdout.take().ok_or("no stdout")?;
    let mut startup_ms = None;
    let mut pss_mb = None;
    for line in BufReader::new(stdout).lines() {
        let line = line.map_err(|e| e.to_string())?;
        if line == ANSWERED {
            startup_ms = Some(started.elapsed().as_secs_f64() * 1000.0);
        } else if let Some(kb) = line.strip_prefix("PSS_KB ") {
            pss_mb = kb.trim().parse::<f64>().ok().map(|kb| kb / 1024.0);
        }
    }
    let status = child.wait().map_err(|e| e.to_string())?;
    match (startup_ms, pss_mb) {
        (Some(startup), Some(pss)) if status.success() => Ok((startup, pss)),
        _ => Err(format!(
            "the {side} child ended ({status}) without its answer and PSS"
        )),
    }
}

/// The child's side: opens the app, and once its page has its first answer prints
/// [`ANSWERED`], then the PSS of itself and every process it started, and exits.
pub fn child(side: &str) -> Result<(), Box<dyn std::error::Error>> {
    // A child that never gets its answer must not hang the bench.
    std::thread::spawn(|| {
        std::thread::sleep(Duration::from_secs(60));
        std::process::exit(3);
    });
    match side {
        "voltaic" => voltaic_child(),
        "wry" => wry_child(),
        "chromium" => chromium_child(),
        other => Err(format!("unknown side {other}").into()),
    }
}

/// Prints the answer line, then the PSS once it has settled, and ends the process.
/// The PSS is sampled on a thread of its own, so that the app goes on drawing its
/// first frame meanwhile, as it would.
fn report_and_exit() {
    static REPORTED: std::sync::Once = std::sync::Once::new();
    REPORTED.call_once(|| {
        println!("{ANSWERED}");
        std::thread::spawn(|| {
            println!("PSS_KB {}", settled_pss_kb(std::process::id()));
            std::process::exit(0);
        });
    });
}

/// The PSS of process `root` and its descendants once it stops growing: sampled every
/// 100 ms until two samples agree within 1 MB, at most 30 times. At the first answer
/// both apps are still drawing their first frame: within the next 100 ms they grow
/// by 10 to 30 MB, and a sample taken at the answer itself lands anywhere in that.
fn settled_pss_kb(root: u32) -> u64 {
    let mut last = family_pss_kb(root);
    for _ in 0..30 {
        std::thread::sleep(Duration::from_millis(100));
        let now = family_pss_kb(root);
        if now.abs_diff(last) < 1024 {
            return now;
        }
        last = now;
    }
    last
}

fn voltaic_child() -> Result<(), Box<dyn std::error::Error>> {
    use voltaic::{
        App, BrowserWindow, BrowserWindowOptions, ChannelGrants, IpcEvent, WebPreferences,
    };
    let app = App::new()?;
    app.ipc_main().handle("ping", |_: IpcEvent| "pong")?;
    app.ipc_main()
        .on("answered", |_: IpcEvent| report_and_exit());
    let dir = std::env::temp_dir().join(format!("voltaic-startup-{}", std::process::id()));
    std::fs::create_dir_all(&dir)?;
    let preload = dir.join("preload.js");
    std::fs::write(
        &preload,
        "const { contextBridge, ipcRenderer } = require('electron');\n\
         contextBridge.exposeInMainWorld('api', {\n\
           ping: () => ipcRenderer.invoke('ping'),\n\
           answered: () => ipcRenderer.send('answered'),\n\
         });\n",
    )?;
    let window = BrowserWindow::new(
        &app,
        BrowserWindowOptions {
            web_preferences: WebPreferences {
                preload: Some(preload),
                grants: ChannelGrants::new().invoke("ping").send("answered"),
                ..Default::default()
            },
            ..Default::default()
        },
    )?;
    window.load_html(
        "<script>window.api.ping().then((answer) => { if (answer === 'pong') window.api.answered(); });</script>",
    )?;
    std::process::exit(app.run());
}

fn wry_child() -> Result<(), Box<dyn std::error::Error>> {
    use tao::event::Event;
    use tao::event_loop::{ControlFlow, EventLoopBuilder};
    use tao::platform::unix::WindowExtUnix;
    use wry::WebViewBuilderExtUnix;

    let event_loop = EventLoopBuilder::<String>::with_user_event().build();
    let window = tao::window::WindowBuilder::new().build(&event_loop)?;
    let proxy = event_loop.create_proxy();
    let vbox = window
        .default_vbox()
        .ok_or("the window has no GTK container")?;
    let webview = wry::WebViewBuilder::new()
        .with_html(
            "<script>window.pong = () => window.ipc.postMessage('answered');\n\
             window.ipc.postMessage('ping');</script>",
        )
        .with_ipc_handler(move |request| {
            let _ = proxy.send_event(request.body().clone());
        })
        .build_gtk(vbox)?;
    event_loop.run(move |event, _, control_flow| {
        *control_flow = ControlFlow::Wait;
        if let Event::UserEvent(message) = event {
            match message.as_str() {
                "ping" => {
                    let _ = webview.evaluate_script("window.pong()");
                }
                "answered" => report_and_exit(),
                _ => {}
            }
        }
    });
}

fn chromium_child() -> Result<(), Box<dyn std::error::Error>> {
    use serde_json::json;
    use voltaic_chromium::{Chromium, LaunchOptions};
    let limit = Duration::from_secs(30);
    let (sender, events) = std::sync::mpsc::channel();
    let browser = Chromium::launch_with_sink(
        &LaunchOptions::default(),
        Box::new(move |event| {
            let _ = sender.send(event);
        }),
    )?;
    let cdp = browser.cdp();
    let (_, session) = browser.attach_first_page(limit)?;
    for (method, params) in [
        ("Runtime.enable", json!({})),
        ("Runtime.addBinding", json!({ "name": "bench" })),
        (
            "Fetch.enable",
            json!({ "patterns": [{ "urlPattern": "https://bench.localhost/*" }] }),
        ),
    ] {
        cdp.call(Some(&session), method, params, limit)?;
    }
    cdp.post(
        Some(&session),
        "Page.navigate",
        json!({ "url": "https://bench.localhost/" }),
    );
    let page = "<script>window.pong = () => window.bench('answered');
                window.bench('ping');</script>";
    while let Ok(event) = events.recv() {
        match event.method.as_str() {
            "Fetch.requestPaused" => {
                use base64::Engine as _;
                cdp.post(
                    Some(&session),
                    "Fetch.fulfillRequest",
                    json!({
                        "requestId": event.params["requestId"],
                        "responseCode": 200,
                        "responseHeaders": [{ "name": "Content-Type", "value": "text/html" }],
                        "body": base64::engine::general_purpose::STANDARD.encode(page),
                    }),
                );
            }
            "Runtime.bindingCalled" => match event.params["payload"].as_str() {
                Some("ping") => cdp.post(
                    Some(&session),
                    "Runtime.evaluate",
                    json!({ "expression": "window.pong()" }),
                ),
                Some("answered") => report_and_exit(),
                _ => {}
            },
            _ => {}
        }
    }
    Err("Chromium went away before the page was answered".into())
}

/// The PSS, in KiB, of process `root` and all its descendants (WebKit's web and
/// network processes, and the sandbox's helpers), from /proc.
fn family_pss_kb(root: u32) -> u64 {
    let mut parents: HashMap<u32, u32> = HashMap::new();
    if let Ok(entries) = std::fs::read_dir("/proc") {
        for entry in entries.flatten() {
            let Some(pid) = entry
                .file_name()
                .to_str()
                .and_then(|s| s.parse::<u32>().ok())
            else {
                continue;
            };
            if let Some(parent) = parent_of(pid) {
                parents.insert(pid, parent);
            }
        }
    }
    let in_family = |mut pid: u32| loop {
        if pid == root {
            return true;
        }
        match parents.get(&pid) {
            Some(&parent) if parent != pid && parent != 0 => pid = parent,
            _ => return false,
        }
    };
    parents
        .keys()
        .copied()
        .chain(std::iter::once(root))
        .filter(|&pid| in_family(pid))
        .collect::<std::collections::BTreeSet<u32>>()
        .into_iter()
        .map(pss_kb)
        .sum()
}

fn parent_of(pid: u32) -> Option<u32> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // The command name may hold spaces and parentheses: the fields after it start
    // after the last ')'.
    let rest = &stat[stat.rfind(')')? + 1..];
    rest.split_whitespace().nth(1)?.parse().ok()
}

fn pss_kb(pid: u32) -> u64 {
    std::fs::read_to_string(format!("/proc/{pid}/smaps_rollup"))
        .ok()
        .and_then(|text| {
            text.lines()
                .find_map(|l| l.strip_prefix("Pss:"))
                .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        })
        .unwrap_or(0)
}
