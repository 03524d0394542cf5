//! Voltaic's macOS engine: WKWebView (macOS 11 and later), through wry and tao.
//!
//! A straight port of the WebKitGTK engine, since it is the same WebKit under
//! other names: the preload and its runtime are `WKUserScript`s of a
//! `WKContentWorld` of their own at document start, main frame only; the message
//! handlers (`addScriptMessageHandler…:contentWorld:name:`, one reply-capable for
//! invokes) exist in that world only, so the page's world has no IPC primitive;
//! messages to the renderer are evaluated in that world
//! (`evaluateJavaScript:inFrame:inContentWorld:`); a message's sender is its
//! `WKScriptMessage.frameInfo`; and the app's files and the preload's routes are
//! served on `app://` through wry's scheme handler.
//!
//! **Compiled and linted for `aarch64-apple-darwin`, never run yet**: the
//! project's machines run Linux. The README's platform table says what to check
//! first on a Mac. What needs no macOS (the scripts and their worlds, the messages'
//! shapes, the sender rule) is unit-tested everywhere.

#![warn(missing_docs)]

// Used by the macOS engine; tested on every system.
#[cfg_attr(not(target_os = "macos"), allow(dead_code))]
mod message;
#[cfg_attr(not(target_os = "macos"), allow(dead_code))]
mod scripts;

#[cfg(target_os = "macos")]
mod engine;
#[cfg(target_os = "macos")]
mod handlers;
#[cfg(target_os = "macos")]
mod window;

/// Starts the engine, for [`voltaic_app::App::with_engine`].
#[cfg(target_os = "macos")]
pub fn engine() -> Result<Box<dyn voltaic_app::engine::Engine>, voltaic_app::Error> {
    Ok(Box::new(engine::WkWebViewEngine::start()?))
}
