//! The suite: the test binary lists its tests ([`libtest_mimic`]) and runs each as
//! itself, in a process of its own, where the app runs on the main thread.

use std::future::Future;
use std::io::{Read, Seek};
use std::path::PathBuf;
use std::pin::Pin;
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use libtest_mimic::{Arguments, Failed, Trial};
use voltaic::{App, ConsoleSource, Limits};

use crate::display::{VirtualDisplay, WindowManager};
use crate::kit::{Kit, LogRecorder};
use crate::probe::Probe;

/// The variable that tells a test binary which test its process is to run.
pub const TEST_ENV: &str = "VOLTAIC_TEST_CASE";
/// What a test process prints once every check passed.
const PASS: &str = "VOLTAIC TEST PASS";
/// How long a test process may run before it stops itself.
const CHILD_WATCHDOG: Duration = Duration::from_secs(120);
/// How long the suite lets a test process run before it kills it.
const PARENT_KILL: Duration = Duration::from_secs(180);

/// What a test's setup returns: the checks, run while the app runs.
pub type Checks = Pin<Box<dyn Future<Output = Result<(), String>> + Send>>;

/// One test: an app of its own, in a process of its own.
pub struct Test {
    /// The test's name, as `cargo test <filter>` matches it.
    pub name: &'static str,
    /// Sets the app up as it would set itself up (its handlers, its windows), on
    /// the main thread before the loop runs; returns the checks.
    pub setup: fn(&Kit) -> Result<Checks, String>,
}

/// Why a test does not run on an engine: `(engine, test) -> Some(reason)`.
pub type Skip = fn(&str, &str) -> Option<&'static str>;

/// A test binary's tests and how to run them; [`crate::main`] runs them as they are.
///
/// ```no_run
/// use voltaic_test::{Checks, Kit, Suite, Test};
/// use voltaic::Limits;
///
/// fn floods(kit: &Kit) -> Result<Checks, String> {
///     Ok(Box::pin(async { Ok(()) }))
/// }
///
/// fn main() {
///     Suite::new(&[Test { name: "floods_are_refused", setup: floods }])
///         // Small enough for any machine to go past.
///         .limits(|_| Limits::default().rate(200, 400))
///         .run();
/// }
/// ```
pub struct Suite<'a> {
    tests: &'a [Test],
    limits: fn(&str) -> Limits,
    skip: Skip,
    env: Vec<(&'static str, String)>,
}

impl<'a> Suite<'a> {
    /// The suite of `tests`, each app with default limits.
    pub fn new(tests: &'a [Test]) -> Self {
        Self {
            tests,
            limits: |_| Limits::default(),
            skip: |_, _| None,
            env: Vec::new(),
        }
    }

    /// Starts each test's app with `limits(name)`.
    pub fn limits(mut self, limits: fn(&str) -> Limits) -> Self {
        self.limits = limits;
        self
    }

    /// Lists a test as ignored, with its reason, on an engine (the
    /// `VOLTAIC_ENGINE` it runs on) where `skip` gives one.
    pub fn skip(mut self, skip: Skip) -> Self {
        self.skip = skip;
        self
    }

    /// Sets `key` in every test process's environment.
    pub fn env(mut self, key: &'static str, value: impl Into<String>) -> Self {
        self.env.push((key, value.into()));
        self
    }

    /// Runs the suite: in the test binary, every test (as `cargo test` filters
    /// them); in a test's process, that test. Never returns.
    pub fn run(self) -> ! {
        match std::env::var(TEST_ENV) {
            Ok(name) => match self.tests.iter().find(|test| test.name == name) {
                Some(test) => run_child(test, (self.limits)(test.name)),
                None => {
                    eprintln!("VOLTAIC TEST FAIL: no test named {name}");
                    std::process::exit(2);
                }
            },
            Err(_) => self.run_parent(),
        }
    }

    fn run_parent(self) -> ! {
        let args = Arguments::from_args();
        let display = match VirtualDisplay::ensure() {
            Ok(display) => display,
            Err(error) => {
                eprintln!("voltaic-test: {error}");
                std::process::exit(1);
            }
        };
        let engine = std::env::var("VOLTAIC_ENGINE").unwrap_or_default();
        let env = Arc::new(self.env);
        let trials = self
            .tests
            .iter()
            // Phases run only inside the test they belong to.
            .filter(|test| !test.name.starts_with(PHASE_PREFIX))
            .map(|test| {
                let name = test.name;
                let display = display.name.clone();
                let env = env.clone();
                let trial = Trial::test(name, move || {
                    run_test(name, &display, &env).map_err(Failed::from)
                });
                match (self.skip)(&engine, name) {
                    Some(reason) => trial.with_kind(reason).with_ignored_flag(true),
                    None => trial,
                }
            })
            .collect();
        let conclusion = libtest_mimic::run(&args, trials);
        drop(display);
        conclusion.exit();
    }
}

/// Runs test `name` in a process of its own, with data of its own: tests running
/// side by side share no storage, profile or single-instance lock, unless the
/// suite's environment names a data directory.
fn run_test(name: &str, display: &str, env: &[(&'static str, String)]) -> Result<(), String> {
    let own = std::env::temp_dir().join(format!("voltaic-test-{}-{name}", std::process::id()));
    let mut env = env.to_vec();
    if std::env::var_os(voltaic::engine::DATA_DIR_ENV).is_none() {
        env.push((
            voltaic::engine::DATA_DIR_ENV,
            own.join("data").display().to_string(),
        ));
    }
    let outcome = run_test_process(name, display, &env, PARENT_KILL);
    let _ = std::fs::remove_dir_all(&own);
    outcome
}

/// A test's name that begins so is a phase of another test: it is not a test of
/// its own, and runs only through [`run_phase`].
pub const PHASE_PREFIX: &str = "_";

/// How long one phase may take: two fit in a test's own bound.
const PHASE_LIMIT: Duration = Duration::from_secs(50);

/// Runs the phase `name` (a test named with [`PHASE_PREFIX`]) as an app of its
/// own, in a process of its own with `env` added, and waits for it to pass: for
/// what must outlive an app, such as its pages' storage from one launch to the
/// next.
pub async fn run_phase(name: &'static str, env: Vec<(&'static str, String)>) -> Result<(), String> {
    let display = std::env::var("DISPLAY").unwrap_or_default();
    on_a_thread(name, move || {
        run_test_process(name, &display, &env, PHASE_LIMIT)
    })
    .await
}

/// Runs the phase `name` on an X display of its own with a window manager
/// (openbox), started for it and ended after it: for what only a window manager
/// carries out (maximizing, full screen, focus), without changing the display
/// every other test shares. Elsewhere than Linux it is [`run_phase`].
pub async fn run_phase_managed(name: &'static str) -> Result<(), String> {
    if cfg!(not(target_os = "linux")) {
        return run_phase(name, Vec::new()).await;
    }
    on_a_thread(name, move || {
        let display = VirtualDisplay::start()?;
        let _manager = WindowManager::start(&display.name)?;
        run_test_process(name, &display.name, &[], PHASE_LIMIT)
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

fn run_test_process(
    name: &str,
    display: &str,
    env: &[(&str, String)],
    limit: Duration,
) -> Result<(), String> {
    let exe = std::env::current_exe().map_err(|e| format!("current_exe: {e}"))?;
    let mut log = tempfile().map_err(|e| format!("temp file: {e}"))?;
    let mut child = Command::new(exe)
        .envs(env.iter().map(|(key, value)| (key, value)))
        .env(TEST_ENV, name)
        .env("DISPLAY", display)
        .env("NO_AT_BRIDGE", "1")
        .env(
            "RUST_LOG",
            std::env::var("RUST_LOG").unwrap_or_else(|_| "info,voltaic=debug".into()),
        )
        .stdin(Stdio::null())
        .stdout(log.try_clone().map_err(|e| e.to_string())?)
        .stderr(log.try_clone().map_err(|e| e.to_string())?)
        .spawn()
        .map_err(|e| format!("could not start the test's process: {e}"))?;
    let status = wait_bounded(&mut child, limit);
    let mut output = String::new();
    let _ = log.rewind();
    let _ = log.read_to_string(&mut output);
    match status {
        Some(status) if status.success() && output.contains(PASS) => Ok(()),
        Some(status) => Err(format!(
            "the test's process exited with {status}\n{}",
            tail(&output, 80)
        )),
        None => Err(format!(
            "the test's process was killed after {limit:?} without finishing\n{}",
            tail(&output, 80)
        )),
    }
}

/// Waits at most `limit` for `child` to end, and gives how it ended; `None` if it
/// did not, once it has been killed (and reaped). For a test that runs a program.
pub fn wait_bounded(child: &mut Child, limit: Duration) -> Option<std::process::ExitStatus> {
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

/// A file for a test process's output, gone from the directory as soon as open.
fn tempfile() -> std::io::Result<std::fs::File> {
    let path = std::env::temp_dir().join(format!(
        "voltaic-test-log-{}-{:?}",
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

// ---- in the test's process -----------------------------------------------------------

fn run_child(test: &Test, limits: Limits) -> ! {
    use tracing_subscriber::prelude::*;
    let name = test.name;
    let probe = Probe::default();
    tracing_subscriber::registry()
        .with(
            tracing_subscriber::fmt::layer()
                .with_ansi(false)
                .with_filter(tracing_subscriber::EnvFilter::from_default_env()),
        )
        .with(LogRecorder::new(probe.clone()))
        .init();
    let app = match App::with_limits(limits) {
        Ok(app) => app,
        Err(error) => {
            eprintln!("VOLTAIC TEST FAIL: could not start the app: {error}");
            std::process::exit(2);
        }
    };
    // A suite can also run with every handler on the tokio runtime.
    if std::env::var("VOLTAIC_TEST_DISPATCH").is_ok_and(|v| v == "runtime") {
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
    let dir: PathBuf =
        std::env::temp_dir().join(format!("voltaic-test-{}-{name}-files", std::process::id()));
    if let Err(error) = std::fs::create_dir_all(&dir) {
        eprintln!("VOLTAIC TEST FAIL: temp dir {}: {error}", dir.display());
        std::process::exit(2);
    }
    let kit = Kit::new(app, probe.clone(), dir.clone(), name);
    let checks = match (test.setup)(&kit) {
        Ok(checks) => checks,
        Err(error) => {
            eprintln!("VOLTAIC TEST FAIL: setup: {error}");
            std::process::exit(1);
        }
    };
    let watchdog_probe = probe.clone();
    std::thread::spawn(move || {
        std::thread::sleep(CHILD_WATCHDOG);
        eprintln!(
            "VOLTAIC TEST FAIL: watchdog: the test still runs after {CHILD_WATCHDOG:?}; \
             last events:\n{}",
            watchdog_probe.recent(30)
        );
        std::process::exit(3);
    });
    let handle = kit.app().handle();
    let report = probe.clone();
    let concluded = Arc::new(AtomicBool::new(false));
    let verdict = concluded.clone();
    kit.app().spawn(async move {
        let code = match checks.await {
            Ok(()) => {
                println!("{PASS}");
                0
            }
            Err(error) => {
                eprintln!(
                    "VOLTAIC TEST FAIL: {error}\nlast events:\n{}",
                    report.recent(30)
                );
                1
            }
        };
        verdict.store(true, Ordering::Release);
        handle.exit(code);
    });
    let mut code = kit.into_app().run();
    if !concluded.load(Ordering::Acquire) {
        // The app stops on its own when its last window closes.
        eprintln!(
            "VOLTAIC TEST FAIL: the app quit (exit code {code}) before the test finished; \
             did its last window close? last events:\n{}",
            probe.recent(30)
        );
        code = 1;
    }
    let _ = std::fs::remove_dir_all(&dir);
    std::process::exit(code);
}
