//! Support for Voltaic's end-to-end tests.
//!
//! GTK must run on a process's main thread, once. So the test binary
//! (`harness = false`) is its own child: the parent lists the scenarios as tests
//! ([`libtest_mimic`]) and runs each one as `<this binary>` with
//! `VOLTAIC_E2E_SCENARIO=<name>`; the child opens real WebKitGTK windows, runs the
//! scenario's page JavaScript and exits 0 when every check passed.
//!
//! Every wait is bounded three times over: each [`Probe`] wait (30 s by default), a
//! watchdog in the child (120 s), and the parent's kill (180 s). The bounds are for
//! what never comes, not for what comes slowly: a scenario waits for events, never
//! for an amount of time, so a busy 2-core machine passes it too, only later. Each
//! failure says what did not arrive and what did.

#![warn(missing_docs)]

use std::future::Future;
use std::io::{BufRead, BufReader, Read, Seek};
use std::path::{Path, PathBuf};
use std::pin::Pin;
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use libtest_mimic::{Arguments, Failed, Trial};
use serde_json::Value;
use tokio::sync::Notify;
use voltaic::{
    App, BrowserWindow, BrowserWindowOptions, ChannelGrants, ConsoleSource, Limits, WebPreferences,
};

const SCENARIO_ENV: &str = "VOLTAIC_E2E_SCENARIO";
const DEFAULT_WAIT: Duration = Duration::from_secs(30);
const CHILD_WATCHDOG: Duration = Duration::from_secs(120);
const PARENT_KILL: Duration = Duration::from_secs(180);

/// What a scenario's setup returns: the checks to run while the app runs.
pub type Driver = Pin<Box<dyn Future<Output = Result<(), String>> + Send>>;

/// One end-to-end test.
pub struct Scenario {
    /// Test name.
    pub name: &'static str,
    /// Opens windows and registers handlers (on the main thread, before the loop
    /// runs), then returns the checks.
    pub setup: fn(&Harness) -> Result<Driver, String>,
}

/// Returns early with an error message unless the condition holds.
#[macro_export]
macro_rules! ensure {
    ($cond:expr, $($fmt:tt)+) => {
        if !$cond {
            return Err(format!($($fmt)+));
        }
    };
}

/// Returns early with both values shown unless they are equal.
#[macro_export]
macro_rules! ensure_eq {
    ($actual:expr, $expected:expr $(,)?) => {{
        let (actual, expected) = (&$actual, &$expected);
        if actual != expected {
            return Err(format!(
                "{} was {:?}, expected {:?}",
                stringify!($actual),
                actual,
                expected
            ));
        }
    }};
}

/// Entry point of the e2e test binary.
pub fn main(scenarios: &[Scenario]) {
    main_with_limits(scenarios, |_| Limits::default());
}

/// Like [`main`], with the app of each scenario started with `limits_for(name)`: a
/// scenario about a limit sets one small enough that any machine, however slow or
/// busy, goes past it.
pub fn main_with_limits(scenarios: &[Scenario], limits_for: fn(&str) -> Limits) {
    match std::env::var(SCENARIO_ENV) {
        Ok(name) => match scenarios.iter().find(|s| s.name == name) {
            Some(scenario) => run_child(scenarios, scenario.name, limits_for(scenario.name)),
            None => {
                eprintln!("E2E FAIL: no scenario named {name}");
                std::process::exit(2);
            }
        },
        Err(_) => run_parent(scenarios),
    }
}

// ---- parent side -------------------------------------------------------------------

fn run_parent(scenarios: &[Scenario]) {
    let args = Arguments::from_args();
    let display = match VirtualDisplay::ensure() {
        Ok(display) => display,
        Err(error) => {
            eprintln!("e2e: {error}");
            std::process::exit(1);
        }
    };
    let engine = std::env::var("VOLTAIC_ENGINE").unwrap_or_default();
    let trials = scenarios
        .iter()
        // Phases run only inside the scenario they belong to.
        .filter(|scenario| !scenario.name.starts_with(PHASE_PREFIX))
        .map(|scenario| {
            let name = scenario.name;
            let display = display.name.clone();
            let trial = Trial::test(name, move || spawn_scenario(name, &display));
            match engine_gap(&engine, name) {
                // Listed, with its reason, in the README's engine table.
                Some(reason) => trial.with_kind(reason).with_ignored_flag(true),
                None => trial,
            }
        })
        .collect();
    let conclusion = libtest_mimic::run(&args, trials);
    drop(display);
    conclusion.exit();
}

/// Scenarios that cannot hold on an engine yet, each with its reason: what the
/// Chromium engine does not carry yet. Each is in the README's engine table.
const CHROMIUM_GAPS: &[(&str, &str)] = &[
    ("preload_shape_web_frame_zoom", "chromium: no webFrame zoom"),
    (
        "web_frame_zoom_factor_and_level",
        "chromium: no webFrame zoom",
    ),
    (
        "web_frame_insert_css_applies_unseen_and_removes",
        "chromium: no webFrame.insertCSS",
    ),
    (
        "main_frame_ipc_receives_from_an_unloading_page",
        "chromium: binding calls made while a document unloads are lost",
    ),
    (
        "raw_invokes_on_the_reply_handler",
        "chromium: attacks WebKit's reply handler; invokes travel as messages",
    ),
    (
        "handlers_can_allow_what_is_denied_by_default",
        "chromium: no permission requests reach the app; all are denied",
    ),
];

/// Why `scenario` does not run on `engine` (`VOLTAIC_ENGINE`), if it does not.
fn engine_gap(engine: &str, scenario: &str) -> Option<&'static str> {
    let gaps = match engine.trim().to_ascii_lowercase().as_str() {
        "chromium" | "chrome" => CHROMIUM_GAPS,
        _ => return None,
    };
    gaps.iter()
        .find(|(name, _)| *name == scenario)
        .map(|(_, reason)| *reason)
}

fn spawn_scenario(name: &str, display: &str) -> Result<(), Failed> {
    run_scenario_process(name, display, &[], PARENT_KILL).map_err(Failed::from)
}

/// A scenario's name that begins so is a phase of another scenario: it is not a
/// test of its own, and runs only through [`run_phase`].
pub const PHASE_PREFIX: &str = "_";

/// How long one phase may take: two fit in a scenario's own bound.
const PHASE_LIMIT: Duration = Duration::from_secs(50);

/// Runs the phase `name` (a scenario named with [`PHASE_PREFIX`]) as an app of its
/// own, in a process of its own with `env` added, and waits for it to pass: for
/// what must outlive an app, such as its pages' storage from one launch to the
/// next.
pub async fn run_phase(name: &'static str, env: Vec<(&'static str, String)>) -> Result<(), String> {
    let display = std::env::var("DISPLAY").unwrap_or_default();
    on_a_thread(name, move || {
        run_scenario_process(name, &display, &env, PHASE_LIMIT)
    })
    .await
}

/// Runs phase `name` with `run` on a thread of its own, and waits for it there.
async fn on_a_thread(
    name: &'static str,
    run: impl FnOnce() -> Result<(), String> + Send + 'static,
) -> Result<(), String> {
    let (done, result) = tokio::sync::oneshot::channel();
    std::thread::spawn(move || {
        let _ = done.send(run());
    });
    result
        .await
        .map_err(|_| format!("phase {name}: its runner went away"))?
        .map_err(|error| format!("phase {name} failed: {error}"))
}

/// Runs the phase `name` on an X display of its own with a window manager
/// (openbox), started for it and ended after it: for what only a window manager
/// carries out (maximizing, full screen, focus), without changing the display
/// every other scenario shares. Elsewhere than Linux it is [`run_phase`].
pub async fn run_phase_managed(name: &'static str) -> Result<(), String> {
    if cfg!(not(target_os = "linux")) {
        return run_phase(name, Vec::new()).await;
    }
    on_a_thread(name, move || {
        let display = VirtualDisplay::start()?;
        let _manager = WindowManager::start(&display.name)?;
        run_scenario_process(name, &display.name, &[], PHASE_LIMIT)
    })
    .await
}

/// Waits, within 15 s, for the first line of a child's `stdout` that `ready`
/// takes (trimmed), and gives it; or what the child said instead, if it ended.
/// The stream is read on to its end, so the child never writes to a closed pipe.
fn ready_line(
    stdout: std::process::ChildStdout,
    ready: impl Fn(&str) -> bool + Send + 'static,
) -> Result<String, String> {
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let mut said = String::new();
        let mut waiting = true;
        for line in BufReader::new(stdout).lines() {
            let Ok(line) = line else { break };
            let line = line.trim();
            if waiting && ready(line) {
                waiting = false;
                let _ = tx.send(Ok(line.to_owned()));
            } else if waiting {
                said.push_str(line);
                said.push('\n');
            }
        }
        let _ = tx.send(Err(format!("it ended, having said: {said:?}")));
    });
    rx.recv_timeout(Duration::from_secs(15))
        .map_err(|_| "nothing within 15 s".to_owned())?
}

/// An openbox managing one display, ended when dropped.
struct WindowManager(Child);

impl WindowManager {
    /// Starts openbox on `display`, and waits (within a bound) until it manages
    /// it: its startup command runs once it does.
    fn start(display: &str) -> Result<Self, String> {
        let mut manager = Command::new("openbox")
            .args(["--sm-disable", "--startup", "echo managing"])
            .env("DISPLAY", display)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .map_err(|e| format!("openbox could not start ({e}); install openbox"))?;
        let stdout = manager.stdout.take().ok_or("openbox has no stdout")?;
        // Its own messages come first on the same stream (a missing menu file).
        match ready_line(stdout, |line| line == "managing") {
            Ok(_) => Ok(Self(manager)),
            outcome => {
                let _ = manager.kill();
                let status = manager.wait();
                Err(format!(
                    "openbox did not start managing display {display} within 15 s: {outcome:?}, {status:?}"
                ))
            }
        }
    }
}

impl Drop for WindowManager {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn run_scenario_process(
    name: &str,
    display: &str,
    env: &[(&str, String)],
    limit: Duration,
) -> Result<(), String> {
    let exe = std::env::current_exe().map_err(|e| format!("current_exe: {e}"))?;
    let mut log = tempfile().map_err(|e| format!("temp file: {e}"))?;
    let mut child = Command::new(exe)
        .envs(env.iter().map(|(key, value)| (key, value)))
        .env(SCENARIO_ENV, name)
        .env("DISPLAY", display)
        .env("NO_AT_BRIDGE", "1")
        // Chromium's V8 gets gc(), as in Electron's own spec runs, for the cases
        // that wait for garbage collection; WebKitGTK does not read this.
        .env("VOLTAIC_CHROMIUM_FLAGS", "--js-flags=--expose-gc")
        .env(
            "RUST_LOG",
            std::env::var("RUST_LOG").unwrap_or_else(|_| "info,voltaic=debug".into()),
        )
        .stdin(Stdio::null())
        .stdout(log.try_clone().map_err(|e| e.to_string())?)
        .stderr(log.try_clone().map_err(|e| e.to_string())?)
        .spawn()
        .map_err(|e| format!("could not start the scenario process: {e}"))?;
    let status = wait_bounded(&mut child, limit);
    let mut output = String::new();
    let _ = log.rewind();
    let _ = log.read_to_string(&mut output);
    match status {
        Some(status) if status.success() && output.contains("E2E PASS") => Ok(()),
        Some(status) => Err(format!(
            "scenario process exited with {status}\n{}",
            tail(&output, 80)
        )),
        None => Err(format!(
            "scenario process killed after {limit:?} without finishing\n{}",
            tail(&output, 80)
        )),
    }
}

fn wait_bounded(child: &mut Child, limit: Duration) -> Option<std::process::ExitStatus> {
    let deadline = Instant::now() + limit;
    while Instant::now() < deadline {
        match child.try_wait() {
            Ok(Some(status)) => return Some(status),
            Ok(None) => std::thread::sleep(Duration::from_millis(20)),
            Err(_) => break,
        }
    }
    let _ = child.kill();
    let _ = child.wait();
    None
}

fn tempfile() -> std::io::Result<std::fs::File> {
    let path = std::env::temp_dir().join(format!(
        "voltaic-e2e-log-{}-{:?}",
        std::process::id(),
        std::thread::current().id()
    ));
    let file = std::fs::OpenOptions::new()
        .create(true)
        .truncate(true)
        .read(true)
        .write(true)
        .open(&path)?;
    let _ = std::fs::remove_file(&path);
    Ok(file)
}

fn tail(text: &str, lines: usize) -> String {
    let all: Vec<&str> = text.lines().collect();
    all[all.len().saturating_sub(lines)..].join("\n")
}

/// The X display the scenarios use: the caller's, or an Xvfb started for the run.
struct VirtualDisplay {
    name: String,
    server: Option<Child>,
}

impl VirtualDisplay {
    fn ensure() -> Result<Self, String> {
        if let Some(display) = std::env::var_os("DISPLAY").filter(|d| !d.is_empty()) {
            return Ok(Self {
                name: display.to_string_lossy().into_owned(),
                server: None,
            });
        }
        if cfg!(not(target_os = "linux")) {
            // Windows and macOS windows go on the desktop the tests run on.
            return Ok(Self {
                name: String::new(),
                server: None,
            });
        }
        Self::start()
    }

    /// Starts an Xvfb of its own.
    fn start() -> Result<Self, String> {
        // -displayfd makes Xvfb pick a free display and print its number when ready.
        let mut server = Command::new("Xvfb")
            .args([
                "-displayfd",
                "1",
                "-screen",
                "0",
                "1280x1024x24",
                "-nolisten",
                "tcp",
                // Without it Xvfb resets whenever its last client leaves, and a
                // scenario connecting during the reset fails to start GTK.
                "-noreset",
            ])
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .map_err(|e| format!("no DISPLAY and Xvfb could not start ({e}); install xvfb"))?;
        let stdout = server.stdout.take().ok_or("Xvfb has no stdout")?;
        match ready_line(stdout, |line| !line.is_empty()) {
            Ok(display) => Ok(Self {
                name: format!(":{display}"),
                server: Some(server),
            }),
            _ => {
                let _ = server.kill();
                Err("Xvfb did not report a display within 15 s".into())
            }
        }
    }
}

impl Drop for VirtualDisplay {
    fn drop(&mut self) {
        if let Some(server) = &mut self.server {
            let _ = server.kill();
            let _ = server.wait();
        }
    }
}

// ---- child side --------------------------------------------------------------------

fn run_child(scenarios: &[Scenario], name: &'static str, limits: Limits) {
    use tracing_subscriber::prelude::*;
    let probe = Probe::default();
    tracing_subscriber::registry()
        .with(
            tracing_subscriber::fmt::layer()
                .with_ansi(false)
                .with_filter(tracing_subscriber::EnvFilter::from_default_env()),
        )
        .with(LogRecorder {
            probe: probe.clone(),
        })
        .init();
    let Some(scenario) = scenarios.iter().find(|s| s.name == name) else {
        eprintln!("E2E FAIL: no scenario named {name}");
        std::process::exit(2);
    };
    let app = match App::with_limits(limits) {
        Ok(app) => app,
        Err(error) => {
            eprintln!("E2E FAIL: could not start the app: {error}");
            std::process::exit(2);
        }
    };
    // The whole suite can also run with every handler on the tokio runtime.
    if std::env::var("VOLTAIC_E2E_DISPATCH").is_ok_and(|v| v == "runtime") {
        app.ipc_main().set_inline_dispatch(false);
    }
    let recorder = probe.clone();
    app.ipc_main().on_console_message(move |m| {
        let source = match m.source {
            ConsoleSource::Page => "page",
            ConsoleSource::Preload => "preload",
        };
        recorder.record(format!(
            "console:{}:{source}:{:?}:{}",
            m.window_id, m.level, m.text
        ));
    });
    let dir = std::env::temp_dir().join(format!("voltaic-e2e-{}-{name}", std::process::id()));
    if let Err(error) = std::fs::create_dir_all(&dir) {
        eprintln!("E2E FAIL: temp dir {}: {error}", dir.display());
        std::process::exit(2);
    }
    let harness = Harness {
        app,
        probe: probe.clone(),
        dir: dir.clone(),
        name,
    };
    let driver = match (scenario.setup)(&harness) {
        Ok(driver) => driver,
        Err(error) => {
            eprintln!("E2E FAIL: setup: {error}");
            std::process::exit(1);
        }
    };
    let watchdog_probe = probe.clone();
    std::thread::spawn(move || {
        std::thread::sleep(CHILD_WATCHDOG);
        eprintln!(
            "E2E FAIL: watchdog: scenario still running after {CHILD_WATCHDOG:?}; \
             last events:\n{}",
            watchdog_probe.recent(30)
        );
        std::process::exit(3);
    });
    let handle = harness.app.handle();
    let report = probe.clone();
    let concluded = Arc::new(AtomicBool::new(false));
    let verdict = concluded.clone();
    harness.app.spawn(async move {
        let code = match driver.await {
            Ok(()) => {
                println!("E2E PASS");
                0
            }
            Err(error) => {
                eprintln!("E2E FAIL: {error}\nlast events:\n{}", report.recent(30));
                1
            }
        };
        verdict.store(true, Ordering::Release);
        handle.exit(code);
    });
    let Harness { app, .. } = harness;
    let mut code = app.run();
    if !concluded.load(Ordering::Acquire) {
        // The app stops on its own when its last window closes.
        eprintln!(
            "E2E FAIL: the app quit (exit code {code}) before the scenario finished; \
             did its last window close? last events:\n{}",
            probe.recent(30)
        );
        code = 1;
    }
    let _ = std::fs::remove_dir_all(&dir);
    std::process::exit(code);
}

/// Preferences for scenarios about the IPC API rather than its security: every
/// channel granted, and inline scripts allowed so that a test page fits in one
/// string. The security scenarios start from `WebPreferences::default()` instead.
pub fn api_prefs() -> WebPreferences {
    WebPreferences {
        grants: ChannelGrants::all(),
        content_security_policy: "default-src 'self'; script-src 'self' 'unsafe-inline'".into(),
        ..Default::default()
    }
}

/// Records Voltaic's own warnings and errors (refusals, denials) in the probe as
/// `log:<LEVEL>:<message> <fields>`, so that scenarios can check what the main
/// process said about an attack.
struct LogRecorder {
    probe: Probe,
}

impl<S: tracing::Subscriber> tracing_subscriber::Layer<S> for LogRecorder {
    fn on_event(&self, event: &tracing::Event<'_>, _: tracing_subscriber::layer::Context<'_, S>) {
        let meta = event.metadata();
        if *meta.level() > tracing::Level::WARN || !meta.target().starts_with("voltaic") {
            return;
        }
        struct Fields(String);
        impl tracing::field::Visit for Fields {
            fn record_debug(&mut self, field: &tracing::field::Field, value: &dyn std::fmt::Debug) {
                if field.name() == "message" {
                    self.0.insert_str(0, &format!("{value:?}"));
                } else {
                    self.0.push_str(&format!(" {}={value:?}", field.name()));
                }
            }
        }
        let mut fields = Fields(String::new());
        event.record(&mut fields);
        self.probe
            .record(format!("log:{}:{}", meta.level(), fields.0));
    }
}

/// What a scenario's setup gets: the app, a probe, and a scratch directory.
pub struct Harness {
    app: App,
    probe: Probe,
    dir: PathBuf,
    name: &'static str,
}

impl Harness {
    /// The running scenario's name, for setups shared by several scenarios.
    pub fn name(&self) -> &'static str {
        self.name
    }

    /// The app under test.
    pub fn app(&self) -> &App {
        &self.app
    }

    /// The running engine's version if its `process.versions` key is `key`
    /// (`webkitgtk`, `chrome`), else `"undefined"`: what a preload reading
    /// `process.versions[key]` prints.
    pub fn engine_version(&self, key: &str) -> String {
        let engine = self.app.handle().engine_info().clone();
        if engine.versions_key == key {
            engine.version
        } else {
            "undefined".to_owned()
        }
    }

    /// The probe recording console lines and whatever handlers record.
    pub fn probe(&self) -> Probe {
        self.probe.clone()
    }

    /// Writes a file into the scenario's scratch directory.
    pub fn file(&self, name: &str, contents: &str) -> Result<PathBuf, String> {
        let path = self.dir.join(name);
        std::fs::write(&path, contents).map_err(|e| format!("{}: {e}", path.display()))?;
        Ok(path)
    }

    /// Opens a window with `preload` (source) and loads `html` from a file.
    pub fn window(
        &self,
        tag: &str,
        preload: Option<&str>,
        html: &str,
    ) -> Result<BrowserWindow, String> {
        let prefs = WebPreferences {
            preload: preload
                .map(|source| self.file(&format!("{tag}-preload.js"), source))
                .transpose()?,
            ..api_prefs()
        };
        self.window_with(tag, prefs, html)
    }

    /// Like [`Harness::window`] with explicit preferences.
    pub fn window_with(
        &self,
        tag: &str,
        prefs: WebPreferences,
        html: &str,
    ) -> Result<BrowserWindow, String> {
        let window = BrowserWindow::new(
            &self.app,
            BrowserWindowOptions {
                title: format!("e2e {tag}"),
                width: 640,
                height: 480,
                web_preferences: prefs,
                ..Default::default()
            },
        )
        .map_err(|e| format!("window {tag}: {e}"))?;
        let page = self.file(&format!("{tag}.html"), html)?;
        window
            .load_file(&page)
            .map_err(|e| format!("load {tag}: {e}"))?;
        Ok(window)
    }

    /// The scratch directory.
    pub fn dir(&self) -> &Path {
        &self.dir
    }
}

/// Collects what happens during a scenario, and waits for it with a deadline.
#[derive(Clone, Default)]
pub struct Probe {
    inner: Arc<ProbeInner>,
}

#[derive(Default)]
struct ProbeInner {
    lines: Mutex<Vec<String>>,
    changed: Notify,
}

impl Probe {
    /// Records one event.
    pub fn record(&self, line: impl Into<String>) {
        self.inner
            .lines
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .push(line.into());
        self.inner.changed.notify_waiters();
    }

    /// Everything recorded so far.
    pub fn lines(&self) -> Vec<String> {
        self.inner
            .lines
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    /// The last `n` events, one a line.
    pub fn recent(&self, n: usize) -> String {
        let lines = self.lines();
        lines[lines.len().saturating_sub(n)..].join("\n")
    }

    /// Waits (at most 30 s) for an event matching `matches`; the error names `what`.
    pub async fn wait_for(
        &self,
        what: &str,
        matches: impl Fn(&str) -> bool,
    ) -> Result<String, String> {
        self.wait_for_within(what, DEFAULT_WAIT, matches).await
    }

    /// Waits for `line` recorded at index `from` or later; returns its index, so
    /// that a sequence can be waited for one step after another.
    pub async fn expect_after(&self, from: usize, line: &str) -> Result<usize, String> {
        let deadline = tokio::time::Instant::now() + DEFAULT_WAIT;
        loop {
            let notified = self.inner.changed.notified();
            if let Some(at) = self
                .lines()
                .iter()
                .skip(from)
                .position(|l| l == line)
                .map(|at| at + from)
            {
                return Ok(at);
            }
            if tokio::time::timeout_at(deadline, notified).await.is_err() {
                return Err(format!(
                    "timed out after {DEFAULT_WAIT:?} waiting for {line:?} (after line {from}); recorded so far:\n{}",
                    self.recent(30)
                ));
            }
        }
    }

    /// Like [`Probe::wait_for`] with an explicit limit.
    pub async fn wait_for_within(
        &self,
        what: &str,
        limit: Duration,
        matches: impl Fn(&str) -> bool,
    ) -> Result<String, String> {
        let deadline = tokio::time::Instant::now() + limit;
        loop {
            let notified = self.inner.changed.notified();
            if let Some(line) = self.lines().into_iter().find(|line| matches(line)) {
                return Ok(line);
            }
            if tokio::time::timeout_at(deadline, notified).await.is_err() {
                return Err(format!(
                    "timed out after {limit:?} waiting for {what}; recorded so far:\n{}",
                    self.recent(30)
                ));
            }
        }
    }

    /// Waits for an exact line.
    pub async fn expect(&self, line: &str) -> Result<(), String> {
        self.wait_for(&format!("{line:?}"), |l| l == line)
            .await
            .map(drop)
    }

    /// Waits for the page or preload to report `RESULT <name> <json>` on the console
    /// (see [`REPORT_JS`]) and returns the JSON.
    pub async fn result(&self, name: &str) -> Result<Value, String> {
        let marker = format!("RESULT {name} ");
        let line = self
            .wait_for(&format!("the {name} result"), |l| {
                l.starts_with("console:") && l.contains(&marker)
            })
            .await?;
        let json = line
            .split_once(&marker)
            .map(|(_, json)| json)
            .unwrap_or_default();
        serde_json::from_str(json).map_err(|e| format!("result {name} is not JSON ({e}): {json}"))
    }

    /// Asserts that no event matching `matches` was recorded.
    pub fn ensure_none(&self, what: &str, matches: impl Fn(&str) -> bool) -> Result<(), String> {
        match self.lines().into_iter().find(|line| matches(line)) {
            Some(line) => Err(format!("{what} should not have happened, but: {line}")),
            None => Ok(()),
        }
    }
}

/// Polls `done` until it holds, for at most 30 s: for what the app changes without
/// recording an event (a window closing, a process starting). The error names `what`.
pub async fn poll_until(what: &str, mut done: impl FnMut() -> bool) -> Result<(), String> {
    let deadline = tokio::time::Instant::now() + DEFAULT_WAIT;
    while !done() {
        if tokio::time::Instant::now() >= deadline {
            return Err(format!(
                "timed out after {DEFAULT_WAIT:?} waiting for {what}"
            ));
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    Ok(())
}

/// JavaScript for pages and preloads: `report(name, value)` logs a `RESULT` line that
/// [`Probe::result`] picks up through console forwarding.
pub const REPORT_JS: &str =
    "const report = (name, value) => console.log('RESULT ' + name + ' ' + JSON.stringify(value));\n";
