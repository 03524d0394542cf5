//! Voltaic's Windows engine: Microsoft Edge WebView2, through wry and tao.
//!
//! WebView2 has no isolated-world API of its own (WebView2Feedback#554), but it
//! carries the Chrome DevTools Protocol in-process. So this engine runs the page
//! logic the Chromium engine runs on Linux (`voltaic_cdp::page`: the preload's
//! world and binding, messages both ways, the app's origin through the Fetch
//! domain, the page policies) over a transport of WebView2's calls
//! (`ICoreWebView2::CallDevToolsProtocolMethod`, one event receiver per event).
//!
//! **Compiled and linted for `x86_64-pc-windows-msvc`, never run yet**: the
//! project's machines run Linux. The README's platform table says what to check
//! first on a Windows machine. The parts that need no Windows (reading WebView2's
//! answers and events) are unit-tested everywhere.

#![warn(missing_docs)]

// Used by the Windows transport; tested on every system.
#[cfg_attr(not(windows), allow(dead_code))]
mod completion;
#[cfg(windows)]
mod engine;
#[cfg(windows)]
mod transport;

/// Starts the engine, for [`voltaic_app::App::with_engine`]. Fails when no
/// WebView2 runtime is installed.
#[cfg(windows)]
pub fn engine() -> Result<Box<dyn voltaic_app::engine::Engine>, voltaic_app::Error> {
    Ok(Box::new(engine::WebView2Engine::start()?))
}
