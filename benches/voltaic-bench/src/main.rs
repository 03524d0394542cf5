//! `voltaic-bench`: Voltaic's IPC, through its public API, against a no-framework
//! WebKitGTK baseline, in one process and one run. Prints a table with the ratio
//! Voltaic/baseline for each measure and the target, and writes the numbers
//! as JSON (`artifacts/bench.json`, or the path in `VOLTAIC_BENCH_JSON`).
//!
//! Run it with `./scripts/bench` (release build; under Xvfb when there is no display).

mod baseline;
mod chromium_baseline;
mod startup;

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde_json::{json, Map, Value};
use voltaic::{
    App, BrowserWindow, BrowserWindowOptions, ChannelGrants, IpcEvent, Limits, WebPreferences,
};

const BENCH_JS: &str = include_str!("../js/bench.js");
const PRELOAD_JS: &str = include_str!("../js/voltaic_preload.js");
const BRIDGE_PAGE_JS: &str = include_str!("../js/bridge_page.js");
const SINGLE_CALLS_JS: &str = include_str!("../js/single_calls.js");

/// One row of the table: the measure, the baseline's measure it is compared with,
/// whether higher is better, and the target ratio.
struct Row {
    key: &'static str,
    /// The figure it is compared with: the baseline's, or with `same_side`,
    /// another of Voltaic's.
    baseline_key: &'static str,
    same_side: bool,
    label: &'static str,
    higher_is_better: bool,
    target: Option<f64>,
}

const fn row(
    key: &'static str,
    label: &'static str,
    higher_is_better: bool,
    target: Option<f64>,
) -> Row {
    Row {
        key,
        baseline_key: key,
        same_side: false,
        label,
        higher_is_better,
        target,
    }
}

/// A row's target on this engine. Chromium's invoke and bytes targets are within
/// 1.2× of its raw limit rather than 1.1×: that limit is itself a DevTools round
/// trip, which the engine's own work is measured against.
fn target(row: &Row, chromium: bool) -> Option<f64> {
    let page_path = row.key.starts_with("invoke_") || row.key.starts_with("binary_");
    match row.target {
        Some(_) if chromium && page_path => Some(1.2),
        other => other,
    }
}

/// The same workload run inside the preload's world, against the same baseline
/// figure: the breakdown of the page path's headline figures.
const fn preload_row(key: &'static str, baseline_key: &'static str, label: &'static str) -> Row {
    Row {
        key,
        baseline_key,
        same_side: false,
        label,
        higher_is_better: false,
        target: None,
    }
}

/// The headline figures, from page JavaScript calling what the preload exposed,
/// with the targets of the page-path issue; then the breakdown.
const ROWS: &[Row] = &[
    row("invoke_mean_us", "invoke mean (µs)", false, Some(1.10)),
    row("invoke_p50_us", "invoke p50 (µs)", false, Some(1.10)),
    row("invoke_p99_us", "invoke p99 (µs)", false, None),
    row(
        "invoke_single_p50_us",
        "invoke p50, single calls (µs) [isolated]",
        false,
        None,
    ),
    row(
        "invoke_single_p99_us",
        "invoke p99, single calls (µs) [isolated]",
        false,
        None,
    ),
    Row {
        key: "traced_single_p50_us",
        baseline_key: "invoke_single_p50_us",
        same_side: true,
        label: "invoke p50, timeline on (µs) [vs off]",
        higher_is_better: false,
        target: Some(1.10),
    },
    Row {
        key: "traced_single_p99_us",
        baseline_key: "invoke_single_p99_us",
        same_side: true,
        label: "invoke p99, timeline on (µs) [vs off]",
        higher_is_better: false,
        target: None,
    },
    row(
        "concurrent_invokes_per_s",
        "concurrent invokes/s",
        true,
        Some(0.9),
    ),
    row("sends_per_s", "send/s", true, Some(1.0)),
    row("pushes_per_s", "web_contents.send/s", true, Some(0.9)),
    row(
        "binary_1mb_ms",
        "bytes 1 MB round trip (ms)",
        false,
        Some(1.1),
    ),
    row(
        "binary_10mb_ms",
        "bytes 10 MB round trip (ms)",
        false,
        Some(1.1),
    ),
    row(
        "binary_50mb_ms",
        "bytes 50 MB round trip (ms)",
        false,
        Some(1.1),
    ),
    row("bridge_call_us", "contextBridge call (µs)", false, None),
    row(
        "bridge_promise_us",
        "contextBridge promise call (µs)",
        false,
        None,
    ),
    Row {
        key: "declared_call_us",
        baseline_key: "hand_written_call_us",
        same_side: true,
        label: "declared API call (µs) [vs by hand]",
        higher_is_better: false,
        target: Some(1.05),
    },
    Row {
        key: "live_read_ns",
        baseline_key: "plain_read_ns",
        same_side: true,
        label: "live value read (ns) [vs a plain property]",
        higher_is_better: false,
        target: None,
    },
    preload_row(
        "preload_invoke_mean_us",
        "invoke_mean_us",
        "  in preload: invoke mean (µs)",
    ),
    preload_row(
        "preload_invoke_p50_us",
        "invoke_p50_us",
        "  in preload: invoke p50 (µs)",
    ),
    Row {
        higher_is_better: true,
        ..preload_row(
            "preload_concurrent_invokes_per_s",
            "concurrent_invokes_per_s",
            "  in preload: concurrent/s",
        )
    },
    Row {
        higher_is_better: true,
        ..preload_row("preload_sends_per_s", "sends_per_s", "  in preload: send/s")
    },
    Row {
        higher_is_better: true,
        ..preload_row(
            "preload_pushes_per_s",
            "pushes_per_s",
            "  in preload: pushes/s",
        )
    },
    preload_row(
        "preload_binary_1mb_ms",
        "binary_1mb_ms",
        "  in preload: bytes 1 MB (ms)",
    ),
    preload_row(
        "preload_binary_10mb_ms",
        "binary_10mb_ms",
        "  in preload: bytes 10 MB (ms)",
    ),
    preload_row(
        "preload_binary_50mb_ms",
        "binary_50mb_ms",
        "  in preload: bytes 50 MB (ms)",
    ),
];

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if let Some(at) = args.iter().position(|a| a == "--startup-child") {
        let side = args.get(at + 1).map_or("", String::as_str);
        if let Err(error) = startup::child(side) {
            eprintln!("voltaic-bench startup child: {error}");
            std::process::exit(1);
        }
        return;
    }
    if let Err(error) = run() {
        eprintln!("voltaic-bench: {error}");
        std::process::exit(1);
    }
}

fn run() -> Result<(), Box<dyn std::error::Error>> {
    // First, before this process starts GTK: each app in processes of its own.
    let startup = startup::measure(startup_runs())?;
    // The default limits (10,000 messages/s, 32 MiB) would be what is measured, and
    // the RSS phase sends a million messages.
    let app = App::with_limits(
        Limits::default()
            .rate(10_000_000, 10_000_000)
            .max_message_bytes(128 << 20),
    )?;
    // The default configuration (handlers' sync parts on the GTK thread);
    // VOLTAIC_BENCH_DISPATCH=runtime measures every handler on the tokio runtime.
    let inline = std::env::var("VOLTAIC_BENCH_DISPATCH").map_or(true, |v| v != "runtime");
    app.ipc_main().set_inline_dispatch(inline);
    eprintln!("inline dispatch: {inline}");
    let results: Arc<Mutex<Map<String, Value>>> = Arc::default();
    register_handlers(&app);

    let dir = std::env::temp_dir().join(format!("voltaic-bench-{}", std::process::id()));
    std::fs::create_dir_all(&dir)?;
    let preload = dir.join("preload.js");
    std::fs::write(&preload, format!("{BENCH_JS}\n{PRELOAD_JS}"))?;
    let window = BrowserWindow::new(
        &app,
        BrowserWindowOptions {
            title: "voltaic".into(),
            web_preferences: WebPreferences {
                preload: Some(preload),
                grants: ChannelGrants::new()
                    .invoke("echo")
                    .invoke("bytes")
                    .invoke("sink-count")
                    .invoke("rss")
                    .invoke("echo-typed")
                    .send("sink")
                    .send("start-pushes")
                    .receive("push"),
                apis: vec!["declared".into()],
                ..Default::default()
            },
            ..Default::default()
        },
    )?;

    // Rounds alternate, baseline then Voltaic, so that neither side always runs on a
    // colder or warmer machine; each measure is the median over the rounds.
    let total = rounds();
    let baseline_results = results.clone();
    let voltaic_window = window.clone();
    let baseline_done = move |json: String| {
        let round = push_round(&baseline_results, "baseline", parse(&json));
        eprintln!("baseline round {round} of {total} done");
        let last = round == total;
        let page = format!(
            "<!DOCTYPE html><p>voltaic</p><script>window.benchLastRound = {last};\n\
             {BENCH_JS}\n{BRIDGE_PAGE_JS}</script>"
        );
        if let Err(error) = voltaic_window.load_html(&page) {
            eprintln!("could not load the Voltaic page: {error}");
        }
    };
    // The baseline is the engine's own raw limit: a bare WebKitGTK webview, or a
    // bare Chromium page over the DevTools protocol.
    let chromium = app.handle().engine_info().name == "Chromium";
    let (_webkit_baseline, chromium_baseline) = if chromium {
        (
            None,
            Some(Arc::new(chromium_baseline::start(baseline_done)?)),
        )
    } else {
        (Some(baseline::start(baseline_done)), None)
    };

    // After the rounds, single invokes timed one by one on an isolated page, whose
    // clock allows it; the baseline's pages are not isolated, so it has no such row.
    let isolated = BrowserWindow::new(
        &app,
        BrowserWindowOptions {
            title: "voltaic isolated".into(),
            web_preferences: WebPreferences {
                preload: Some(dir.join("preload.js")),
                grants: ChannelGrants::new().invoke("echo").invoke("bench-timeline"),
                apis: vec!["declared".into()],
                cross_origin_isolation: true,
                ..Default::default()
            },
            ..Default::default()
        },
    )?;
    let handle = app.handle();
    let voltaic_results = results.clone();
    app.ipc_main().on_console_message(move |message| {
        if let Some(json) = message.text.strip_prefix("RESULT single ") {
            if let Ok(mut results) = voltaic_results.lock() {
                results.insert("single".into(), parse(json));
            }
            eprintln!("single calls done");
            handle.quit();
        } else if let Some(json) = message.text.strip_prefix("RESULT voltaic ") {
            let round = push_round(&voltaic_results, "voltaic", parse(json));
            eprintln!("voltaic round {round} of {total} done");
            if round >= total {
                let page =
                    format!("<!DOCTYPE html><p>single calls</p><script>{SINGLE_CALLS_JS}</script>");
                if let Err(error) = isolated.load_html(&page) {
                    eprintln!("could not load the isolated page: {error}");
                    handle.quit();
                }
            } else if let Some(baseline) = &chromium_baseline {
                baseline.run_again();
            } else {
                gtk::glib::MainContext::default().invoke(baseline::run_again);
            }
        }
    });
    let watchdog = app.handle();
    // Chromium's rounds take longer (its last one sends a million messages over the
    // DevTools pipe).
    let per_round = if chromium { 300 } else { 120 };
    let limit = Duration::from_secs(per_round * total as u64);
    app.set_timeout(limit, move || {
        eprintln!("voltaic-bench: gave up after {} s", limit.as_secs());
        watchdog.exit(2);
    });
    let code = app.run();
    let _ = std::fs::remove_dir_all(&dir);
    if code != 0 {
        return Err(format!("the run stopped with code {code}").into());
    }
    let results = results.lock().map_err(|_| "poisoned results")?.clone();
    report(&results, &startup, chromium)
}

/// How many times each app is started: `VOLTAIC_BENCH_STARTUP_RUNS`, 9 by default
/// (startup times vary by tens of milliseconds from run to run, and even a settled
/// footprint by several MB, on both sides).
fn startup_runs() -> usize {
    count_from_env("VOLTAIC_BENCH_STARTUP_RUNS", 9)
}

/// How many rounds to run: `VOLTAIC_BENCH_ROUNDS`, 3 by default.
fn rounds() -> usize {
    count_from_env("VOLTAIC_BENCH_ROUNDS", 3)
}

/// A positive count from environment variable `name`, else `default`.
fn count_from_env(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .filter(|&n| n > 0)
        .unwrap_or(default)
}

/// Adds one round's results to `side`'s list; returns how many rounds it has now.
fn push_round(results: &Mutex<Map<String, Value>>, side: &str, round: Value) -> usize {
    let Ok(mut results) = results.lock() else {
        return 0;
    };
    let list = results
        .entry(format!("{side}_rounds"))
        .or_insert_with(|| Value::Array(Vec::new()));
    match list.as_array_mut() {
        Some(list) => {
            list.push(round);
            list.len()
        }
        None => 0,
    }
}

/// One side's results: the first error of any round, else the median of each
/// measure over the rounds that have it.
fn summarize(rounds: &[Value]) -> Value {
    if let Some(error) = rounds.iter().find_map(|r| r.get("error")) {
        return json!({ "error": error });
    }
    let keys: Vec<&String> = rounds
        .iter()
        .filter_map(Value::as_object)
        .flat_map(|o| o.keys())
        .collect();
    let mut out = Map::new();
    for key in keys {
        if out.contains_key(key) {
            continue;
        }
        let mut values: Vec<f64> = rounds.iter().filter_map(|r| r.get(key)?.as_f64()).collect();
        values.sort_by(f64::total_cmp);
        if let Some(&median) = values.get(values.len() / 2) {
            out.insert(key.clone(), json!(median));
        }
    }
    Value::Object(out)
}

fn register_handlers(app: &App) {
    let ipc = app.ipc_main();
    let received = Arc::new(AtomicU64::new(0));
    let _ = ipc.handle("echo", |_: IpcEvent, value: voltaic::Value| value);
    // A call declared in Rust, and its twin written by hand with the same schema.
    let declared = voltaic::Api::new("declared");
    declared.call("echo", |_: IpcEvent, text: String| Ok::<_, String>(text));
    let _ = declared.live("level", 1u32);
    if let Err(error) = ipc.add_api(&declared) {
        eprintln!("could not add the declared API: {error}");
    }
    let _ = ipc.set_schema(
        "echo-typed",
        voltaic::ChannelSchema::new()
            .args::<(String,)>()
            .result::<String>(),
    );
    let _ = ipc.handle("echo-typed", |_: IpcEvent, text: String| {
        Ok::<_, String>(text)
    });
    let _ = ipc.handle("bytes", |_: IpcEvent, data: voltaic::Bytes| data);
    let count = received.clone();
    ipc.on("sink", move |_: IpcEvent| {
        count.fetch_add(1, Ordering::Relaxed);
    });
    let count = received.clone();
    let _ = ipc.handle("sink-count", move |_: IpcEvent| {
        count.load(Ordering::Relaxed)
    });
    let _ = ipc.handle("rss", |_: IpcEvent| rss_kb());
    // The timeline's cost: on for some blocks of single calls, off for the others.
    let timeline = app.timeline().clone();
    let _ = ipc.handle("bench-timeline", move |_: IpcEvent, on: bool| {
        if on {
            timeline.start(voltaic::TimelineOptions::default());
        } else {
            timeline.stop();
        }
    });
    ipc.on("start-pushes", |event: IpcEvent, n: u32| {
        for i in 0..n {
            if event.sender().send("push", (i,)).is_err() {
                break;
            }
        }
    });
}

/// This process's resident set size in KiB, from /proc.
fn rss_kb() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|status| {
            status
                .lines()
                .find_map(|l| l.strip_prefix("VmRSS:"))
                .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        })
        .unwrap_or(0)
}

fn parse(json: &str) -> Value {
    serde_json::from_str(json).unwrap_or_else(|_| json!({ "error": json }))
}

fn report(
    results: &Map<String, Value>,
    startup: &Value,
    chromium: bool,
) -> Result<(), Box<dyn std::error::Error>> {
    let (engine, how, clock) = if chromium {
        (
            "Chromium",
            "a main-world binding answered with Runtime.evaluate, bytes through a \
             Fetch-fulfilled request",
            "Page clock: performance.now() is coarsened in pages that are not \
             cross-origin isolated (100 µs in Chromium), so latencies are means over \
             batches of 200 calls; p50/p99 are over the batches. The [isolated] rows \
             time single calls on a cross-origin-isolated page (5 µs clock).",
        )
    } else {
        (
            "WebKitGTK",
            "a reply-capable script message handler, evaluate_javascript, a custom \
             URI scheme",
            "Page clock: performance.now() is clamped to 1 ms (WebKitGTK 2.50 does not \
             make custom-scheme pages cross-origin isolated), so latencies are means \
             over batches of 200 calls; p50/p99 are over the batches. The [isolated] \
             rows time single calls on a cross-origin-isolated page (served from a \
             loopback origin, 20 µs clock).",
        )
    };
    let bare = startup["bare_side"].as_str().unwrap_or("app");
    let side = |name: &str| {
        results
            .get(&format!("{name}_rounds"))
            .and_then(Value::as_array)
            .map_or(Value::Null, |rounds| summarize(rounds))
    };
    let mut voltaic = side("voltaic");
    let baseline = side("baseline");
    match results.get("single") {
        Some(Value::Object(single)) if single.get("isolated") == Some(&json!(true)) => {
            if let Value::Object(ours) = &mut voltaic {
                ours.extend(single.clone());
            }
        }
        other => eprintln!("no single-call figures: {other:?}"),
    }
    for (name, side) in [("voltaic", &voltaic), ("baseline", &baseline)] {
        if let Some(error) = side.get("error") {
            return Err(format!("the {name} run failed: {error}").into());
        }
    }
    println!(
        "Engine: {engine}.\n\
         Voltaic: page JavaScript calling the API its preload exposed (contextBridge → \
         ipcRenderer → main), then the same workload inside the preload (\"in preload\").\n\
         Baseline: the same page-side workload on a bare {engine} page ({how}).\n\
         {clock}\n"
    );
    println!(
        "{:<44} {:>12} {:>12} {:>8} {:>8}  ",
        "measure", "voltaic", "baseline", "ratio", "target"
    );
    let mut rows = Vec::new();
    for row in ROWS {
        let ours = voltaic.get(row.key).and_then(Value::as_f64);
        let other = if row.same_side { &voltaic } else { &baseline };
        let theirs = other.get(row.baseline_key).and_then(Value::as_f64);
        let ratio = ours.zip(theirs).map(|(a, b)| a / b);
        let row_target = target(row, chromium);
        let verdict = match (ratio, row_target) {
            (Some(r), Some(t)) if row.higher_is_better => {
                if r >= t {
                    "held"
                } else {
                    "missed"
                }
            }
            (Some(r), Some(t)) => {
                if r <= t {
                    "held"
                } else {
                    "missed"
                }
            }
            (None, Some(_)) => "n/a",
            _ => "",
        };
        let show = |v: Option<f64>| v.map_or_else(|| "n/a".to_owned(), |v| format!("{v:.1}"));
        let target = row_target.map_or_else(String::new, |t| {
            format!("{}{t}x", if row.higher_is_better { ">=" } else { "<=" })
        });
        println!(
            "{:<44} {:>12} {:>12} {:>8} {:>8}  {verdict}",
            row.label,
            show(ours),
            show(theirs),
            ratio.map_or_else(|| "n/a".to_owned(), |r| format!("{r:.2}x")),
            target,
        );
        rows.push(json!({
            "measure": row.key, "voltaic": ours, "baseline": theirs, "ratio": ratio,
            "target": row_target, "higher_is_better": row.higher_is_better, "verdict": verdict,
        }));
    }
    let before = voltaic.get("rss_before_kb").and_then(Value::as_f64);
    let after = voltaic.get("rss_after_kb").and_then(Value::as_f64);
    let growth_mb = before.zip(after).map(|(b, a)| (a - b) / 1024.0);
    println!(
        "{:<44} {:>12} {:>12} {:>8} {:>8}  {}",
        "RSS growth, 1M messages (MB)",
        growth_mb.map_or_else(|| "n/a".to_owned(), |g| format!("{g:.1}")),
        "",
        "",
        "<10 MB",
        match growth_mb {
            Some(g) if g < 10.0 => "held",
            Some(_) => "missed",
            None => "n/a",
        }
    );
    // Startup and footprint: against a bare app of the same engine, with an
    // allowance in ms and MB.
    for (key, label, unit, allowance) in [
        ("startup_ms", "startup to first answer", "ms", 20.0),
        ("pss_mb", "footprint after load, PSS", "MB", 5.0),
    ] {
        let ours = startup["voltaic"][key].as_f64();
        let theirs = startup["bare"][key].as_f64();
        let verdict = match ours.zip(theirs) {
            Some((a, b)) if a <= b + allowance => "held",
            Some(_) => "missed",
            None => "n/a",
        };
        let show = |v: Option<f64>| v.map_or_else(|| "n/a".to_owned(), |v| format!("{v:.1}"));
        println!(
            "{:<44} {:>12} {:>12} {:>8} {:>8}  {verdict}",
            format!("{label} ({unit}) [vs bare {bare}]"),
            show(ours),
            show(theirs),
            ours.zip(theirs)
                .map_or_else(|| "n/a".to_owned(), |(a, b)| format!("{:+.1}", a - b)),
            format!("<=+{allowance}"),
        );
    }
    let path = std::env::var_os("VOLTAIC_BENCH_JSON")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|| "artifacts/bench.json".into());
    if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
        std::fs::create_dir_all(parent)?;
    }
    let document = json!({
        "engine": engine,
        "rows": rows,
        "rss": { "before_kb": before, "after_kb": after, "growth_mb": growth_mb, "messages": 1_000_000 },
        "startup": startup,
        "voltaic": voltaic,
        "baseline": baseline,
        "rounds": { "voltaic": results.get("voltaic_rounds"), "baseline": results.get("baseline_rounds") },
    });
    std::fs::write(&path, serde_json::to_string_pretty(&document)?)?;
    println!("JSON written to {}", path.display());
    Ok(())
}
