//! Letting a WebDriver drive the app (WebKitGTK's `WebKitWebDriver`): never on by
//! default, on in a debug build when `VOLTAIC_AUTOMATION=1`, and in a release build
//! only if the app also allows it.

use std::sync::atomic::{AtomicBool, Ordering};

/// The variable that asks for automation: `VOLTAIC_AUTOMATION=1`, which the
/// WebDriver server's environment passes to the app it launches.
pub const AUTOMATION_ENV: &str = "VOLTAIC_AUTOMATION";

static IN_RELEASE: AtomicBool = AtomicBool::new(false);
static GIVEN: AtomicBool = AtomicBool::new(false);
static REFUSED: AtomicBool = AtomicBool::new(false);

/// Lets [`AUTOMATION_ENV`] turn automation on in a release build too. An app
/// calls it, before its first window, only for builds meant to be driven.
pub fn allow_in_release(allow: bool) {
    IN_RELEASE.store(allow, Ordering::Release);
}

/// Whether this run lets a WebDriver drive the app: asked for with
/// [`AUTOMATION_ENV`], in a debug build or with [`allow_in_release`].
pub fn requested() -> bool {
    if std::env::var_os(AUTOMATION_ENV).is_none_or(|value| value != "1") {
        return false;
    }
    if cfg!(debug_assertions) || IN_RELEASE.load(Ordering::Acquire) {
        return true;
    }
    if !REFUSED.swap(true, Ordering::AcqRel) {
        tracing::warn!(
            "{AUTOMATION_ENV}=1 ignored: a release build lets a WebDriver in only if the app \
             calls voltaic::automation::allow_in_release(true)"
        );
    }
    false
}

/// Whether the window being made is the one a WebDriver session drives: the first
/// window of a run that asked for automation (the engine allows one).
pub fn take_for_window(window: u32) -> bool {
    if GIVEN.load(Ordering::Acquire) || !requested() || GIVEN.swap(true, Ordering::AcqRel) {
        return false;
    }
    tracing::warn!(
        window,
        "automation is on: a WebDriver session can drive this window"
    );
    true
}
