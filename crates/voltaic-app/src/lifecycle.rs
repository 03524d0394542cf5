//! Window and app events under Electron's names: a window's `close` (preventable)
//! and `closed`; the app's `window-all-closed`, `before-quit` and `will-quit`
//! (both preventable) and `quit`. Listeners run on the thread the event happens
//! on: the engine's for what the user does, the caller's for what the app asks.

use std::sync::atomic::{AtomicBool, Ordering};

/// An event its listeners may prevent, as Electron's `event.preventDefault()`.
#[derive(Debug, Default)]
pub struct Preventable {
    prevented: AtomicBool,
}

impl Preventable {
    /// Stops what the event announces (the window's closing, the app's quitting).
    pub fn prevent_default(&self) {
        self.prevented.store(true, Ordering::Release);
    }

    /// Whether a listener prevented it.
    pub fn is_default_prevented(&self) -> bool {
        self.prevented.load(Ordering::Acquire)
    }
}

pub(crate) use voltaic_core::Listeners;

/// What the app asks of a preventable event's listeners.
pub(crate) trait EmitAllowed {
    /// Emits a fresh preventable event; returns whether it went unprevented.
    fn emit_allowed(&self) -> bool;
}

impl EmitAllowed for Listeners<Preventable> {
    fn emit_allowed(&self) -> bool {
        let event = Preventable::default();
        self.emit(&event);
        !event.is_default_prevented()
    }
}

/// What a window's page does as it loads, under Electron's `webContents` event
/// names, in Electron's order for one load: `did-start-loading`, `did-navigate`,
/// `dom-ready`, `did-finish-load`, `did-stop-loading`.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum PageEvent {
    /// `did-start-loading`: the main frame began loading.
    DidStartLoading,
    /// `did-navigate`: the main frame committed a navigation to `url` (the app's
    /// origin named `app://localhost` on every engine).
    DidNavigate {
        /// The new document's URL.
        url: String,
    },
    /// `dom-ready`: the main frame's document has been parsed (`DOMContentLoaded`).
    DomReady,
    /// `did-finish-load`: the main frame's `load` event has fired.
    DidFinishLoad,
    /// `did-stop-loading`: the main frame stopped loading.
    DidStopLoading,
    /// `did-fail-load`: the main frame's document could not be loaded; it comes
    /// between `did-start-loading` and `did-stop-loading`, in place of
    /// `did-navigate` and `did-finish-load`.
    DidFailLoad {
        /// The URL that failed (Electron's `validatedURL`).
        url: String,
        /// What the engine says went wrong.
        description: String,
    },
}

impl PageEvent {
    /// Electron's name for it: `did-start-loading`, `dom-ready`.
    pub fn name(&self) -> &'static str {
        match self {
            Self::DidStartLoading => "did-start-loading",
            Self::DidNavigate { .. } => "did-navigate",
            Self::DomReady => "dom-ready",
            Self::DidFinishLoad => "did-finish-load",
            Self::DidStopLoading => "did-stop-loading",
            Self::DidFailLoad { .. } => "did-fail-load",
        }
    }
}

/// A window's events.
#[derive(Default)]
pub(crate) struct WindowEvents {
    pub(crate) close: Listeners<Preventable>,
    pub(crate) closed: Listeners<()>,
    pub(crate) page: Listeners<PageEvent>,
    pub(crate) window: Listeners<crate::WindowEvent>,
    /// `page-title-updated`: preventable, with the new title.
    pub(crate) title: Listeners<(Preventable, String)>,
    /// Set once `ready-to-show` has been said.
    pub(crate) shown_ready: AtomicBool,
    /// `console-message` of this window's renderer.
    pub(crate) console: Listeners<voltaic_core::ConsoleMessage>,
    /// `render-process-gone`.
    pub(crate) gone: Listeners<crate::RenderProcessGoneReason>,
}

/// The app's events.
#[derive(Default)]
pub(crate) struct AppEvents {
    /// Set once the app is on its way out (a quit that went ahead, or an exit):
    /// the windows that close then do not ask again.
    pub(crate) stopping: AtomicBool,
    pub(crate) window_all_closed: Listeners<()>,
    pub(crate) before_quit: Listeners<Preventable>,
    pub(crate) will_quit: Listeners<Preventable>,
    pub(crate) quit: Listeners<i32>,
    /// Set once [`crate::App::run`] has started the event loop.
    pub(crate) ready: AtomicBool,
    pub(crate) ready_changed: tokio::sync::Notify,
    /// `second-instance`.
    pub(crate) second_instance: Listeners<crate::SecondInstance>,
    /// The window holding the keyboard focus, as its events said.
    pub(crate) focused: std::sync::Mutex<Option<u32>>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::{Arc, Mutex};

    #[test]
    fn listeners_run_in_order_and_any_may_prevent() {
        let events = WindowEvents::default();
        let seen = Arc::new(Mutex::new(Vec::new()));
        let (a, b) = (seen.clone(), seen.clone());
        events.close.add(move |_| a.lock().unwrap().push("first"));
        assert!(events.close.emit_allowed());
        events.close.add(move |event| {
            b.lock().unwrap().push("second");
            event.prevent_default();
        });
        assert!(!events.close.emit_allowed());
        assert_eq!(*seen.lock().unwrap(), ["first", "first", "second"]);
        assert!(events.closed.is_empty());
    }
}
