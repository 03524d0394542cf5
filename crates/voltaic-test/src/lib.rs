//! A test kit for apps built on Voltaic: each test is the app, set up as it sets
//! itself up (its real handlers, its real windows), in real windows of the engine
//! it runs on, driven from Rust.
//!
//! Add it as a dev-dependency and a test target without libtest's harness (GTK
//! wants the main thread, which libtest's tests do not get):
//!
//! ```toml
//! [dev-dependencies]
//! voltaic-test = "0.1"
//!
//! [[test]]
//! name = "app"
//! harness = false
//! ```
//!
//! ```no_run
//! use voltaic::{BrowserWindow, BrowserWindowOptions, ChannelGrants, IpcEvent, WebPreferences};
//! use voltaic_test::{ensure_eq, Checks, Kit, Page, Test};
//!
//! // The app's own setup, shared with its main.rs: its preload exposes
//! // `api.save(text)` (`ipcRenderer.invoke('notes:save', text)`), and its page's
//! // button saves a draft and shows what went wrong.
//! fn open(app: &voltaic::App) -> Result<BrowserWindow, voltaic::Error> {
//!     app.ipc_main().handle("notes:save", |_: IpcEvent, _text: String| Ok::<_, String>(()))?;
//!     let window = BrowserWindow::new(
//!         app,
//!         BrowserWindowOptions {
//!             web_preferences: WebPreferences {
//!                 preload: Some("preload.js".into()),
//!                 grants: ChannelGrants::new().invoke("notes:save"),
//!                 ..Default::default()
//!             },
//!             ..Default::default()
//!         },
//!     )?;
//!     window.load_file("index.html")?;
//!     Ok(window)
//! }
//!
//! fn saving_is_refused_politely(kit: &Kit) -> Result<Checks, String> {
//!     let window = open(kit.app()).map_err(|e| e.to_string())?;
//!     let save = kit.mock("notes:save")?; // this channel only; `add` stays real
//!     save.fails("disk full");
//!     let page = Page::of(&window);
//!     let traffic = kit.traffic();
//!     Ok(Box::pin(async move {
//!         page.click("#go").await?;
//!         let calls = save.wait_for_calls(1).await?;
//!         ensure_eq!(calls[0], serde_json::json!(["draft"]));
//!         traffic.expect_invoke("notes:save").await?;
//!         page.wait_for_text("#out", "disk full").await
//!     }))
//! }
//!
//! fn main() {
//!     voltaic_test::main(&[Test {
//!         name: "saving_is_refused_politely",
//!         setup: saving_is_refused_politely,
//!     }]);
//! }
//! ```
//!
//! `cargo test` runs the binary, which lists its tests as libtest does (filters,
//! `--list`, `--ignored`) and runs each as itself, in a process of its own: its own
//! app, its own data directory (storage, profile and single-instance lock apart
//! from every other test's and from the app's real one), its own scratch
//! directory. With no `DISPLAY` it starts an Xvfb of its own for the run. Tests in
//! parallel, in one binary or several, do not meet.
//!
//! Every wait is bounded three times over: each wait of the kit (30 s), a watchdog
//! in the test's process (120 s), and the suite's kill (180 s). The bounds are for
//! what never comes, not for what comes slowly: a test waits for events, never for
//! an amount of time, so a busy 2-core machine passes it too, only later. Each
//! failure says what did not arrive and what did.
//!
//! What the kit gives a test ([`Kit`]): the app; [`Kit::mock`], a channel's handler
//! replaced by a [`Mock`] that records its calls; [`Kit::traffic`], the app's IPC
//! timeline with waits for an invoke, a send, a push or a refusal; a [`Probe`] of
//! console lines and Voltaic's own warnings; and [`Page`], to evaluate, wait for a
//! selector or a condition, click, type and take screenshots.
//!
//! Beside these, [`WebDriver`] runs a WebDriver server (WebKitGTK's
//! `WebKitWebDriver`) that launches the app's binary for a standard WebDriver
//! client, for tests written against WebDriver. The app lets it in only in a debug
//! build (or when it allows it in release, `voltaic::automation::allow_in_release`),
//! and only when the server asks (`VOLTAIC_AUTOMATION=1`).

#![warn(missing_docs)]

mod display;
mod kit;
mod mock;
mod page;
mod probe;
mod suite;
mod traffic;
mod webdriver;

pub use kit::{api_prefs, Kit};
pub use mock::{Mock, RecordAll};
pub use page::Page;
pub use probe::{poll_until, Probe, DEFAULT_WAIT};
pub use suite::{
    run_phase, run_phase_managed, wait_bounded, Checks, Skip, Suite, Test, PHASE_PREFIX, TEST_ENV,
};
pub use traffic::Traffic;
pub use webdriver::WebDriver;

/// Runs `tests`, each in a process of its own (see [`Suite`] for more settings).
pub fn main(tests: &[Test]) -> ! {
    Suite::new(tests).run()
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

/// JavaScript for pages and preloads: `report(name, value)` logs a `RESULT` line that
/// [`Probe::result`] picks up through console forwarding.
pub const REPORT_JS: &str =
    "const report = (name, value) => console.log('RESULT ' + name + ' ' + JSON.stringify(value));\n";
