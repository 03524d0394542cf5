//! Support for Voltaic's end-to-end tests: the test kit apps use
//! ([`voltaic_test`]), under the names these suites know it by, with the suites'
//! own settings: the Chromium engine's known gaps, and V8's `gc()` in every test
//! process.
//!
//! GTK must run on a process's main thread, once. So each test binary
//! (`harness = false`) is its own child: it lists the scenarios as tests and runs
//! each one as itself, in a process of its own (see [`voltaic_test::Suite`]).

#![warn(missing_docs)]

use voltaic::Limits;
pub use voltaic_test::{
    api_prefs, ensure, ensure_eq, poll_until, run_phase, run_phase_managed, wait_bounded,
    Checks as Driver, Kit as Harness, Probe, Test as Scenario, PHASE_PREFIX, REPORT_JS,
};

/// Entry point of an e2e test binary.
pub fn main(scenarios: &[Scenario]) {
    main_with_limits(scenarios, |_| Limits::default());
}

/// Like [`main`], with the app of each scenario started with `limits_for(name)`: a
/// scenario about a limit sets one small enough that any machine, however slow or
/// busy, goes past it.
pub fn main_with_limits(scenarios: &[Scenario], limits_for: fn(&str) -> Limits) {
    voltaic_test::Suite::new(scenarios)
        .limits(limits_for)
        .skip(engine_gap)
        // Chromium's V8 gets gc(), as in Electron's own spec runs, for the cases
        // that wait for garbage collection; WebKitGTK does not read this.
        .env("VOLTAIC_CHROMIUM_FLAGS", "--js-flags=--expose-gc")
        .run()
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
