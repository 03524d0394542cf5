//! The app's answers to what a page asks for beyond IPC: navigating away, opening
//! windows, and permissions. Each is denied unless the app installs a handler that
//! allows it, as Electron's security checklist recommends.

use std::sync::{Arc, PoisonError, RwLock};

use crate::BrowserWindowOptions;

/// A page is about to navigate somewhere the window's allowed origins do not cover.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NavigationRequest {
    /// The window.
    pub window: u32,
    /// Where the page wants to go.
    pub url: String,
}

/// A page called `window.open` (or followed a `target="_blank"` link).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WindowOpenRequest {
    /// The window that asked.
    pub window: u32,
    /// The URL it wants to open.
    pub url: String,
}

/// What to do with a [`WindowOpenRequest`] (Electron's `setWindowOpenHandler`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum WindowOpenAction {
    /// Open nothing (the default).
    Deny,
    /// Open a new window with these options and load the URL in it. The new
    /// window has its own grants and allowed origins, default-deny as always.
    Allow(Box<BrowserWindowOptions>),
}

/// A permission a page can ask for.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum PermissionKind {
    /// `getUserMedia` and friends.
    Media {
        /// A microphone is asked for.
        audio: bool,
        /// A camera is asked for.
        video: bool,
    },
    /// `navigator.geolocation`.
    Geolocation,
    /// `Notification.requestPermission`.
    Notifications,
    /// Anything else, by the engine's name for it.
    Other(String),
}

/// A page asked for a permission.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PermissionRequest {
    /// The window.
    pub window: u32,
    /// What it asked for.
    pub kind: PermissionKind,
}

/// Why a window's renderer process went away (Electron's `render-process-gone`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum RenderProcessGoneReason {
    /// The web process crashed.
    Crashed,
    /// It went over the engine's memory limit.
    Oom,
    /// It was ended on purpose ([`crate::BrowserWindow::force_crash_renderer`]).
    Killed,
}

/// A window's renderer process is gone. The window stays open, blank; messages sent
/// to it wait until [`crate::BrowserWindow::reload`] (or another load) brings a new
/// renderer and its preload has run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RenderProcessGone {
    /// The window.
    pub window: u32,
    /// Why.
    pub reason: RenderProcessGoneReason,
}

type Hook<Q, A> = Arc<dyn Fn(&Q) -> A + Send + Sync>;

/// The handlers installed on an app.
#[derive(Default)]
pub(crate) struct Hooks {
    navigation: RwLock<Option<Hook<NavigationRequest, bool>>>,
    window_open: RwLock<Option<Hook<WindowOpenRequest, WindowOpenAction>>>,
    permission: RwLock<Option<Hook<PermissionRequest, bool>>>,
    render_process_gone: RwLock<Option<Hook<RenderProcessGone, ()>>>,
}

fn get<T: Clone>(slot: &RwLock<Option<T>>) -> Option<T> {
    slot.read().unwrap_or_else(PoisonError::into_inner).clone()
}

fn set<T>(slot: &RwLock<Option<T>>, value: T) {
    *slot.write().unwrap_or_else(PoisonError::into_inner) = Some(value);
}

impl Hooks {
    pub(crate) fn set_navigation(&self, hook: Hook<NavigationRequest, bool>) {
        set(&self.navigation, hook);
    }

    pub(crate) fn set_window_open(&self, hook: Hook<WindowOpenRequest, WindowOpenAction>) {
        set(&self.window_open, hook);
    }

    pub(crate) fn set_permission(&self, hook: Hook<PermissionRequest, bool>) {
        set(&self.permission, hook);
    }

    pub(crate) fn set_render_process_gone(&self, hook: Hook<RenderProcessGone, ()>) {
        set(&self.render_process_gone, hook);
    }

    pub(crate) fn render_process_gone(&self, event: &RenderProcessGone) {
        if let Some(hook) = get(&self.render_process_gone) {
            hook(event);
        }
    }

    /// Whether a navigation the default policy refuses is allowed after all.
    pub(crate) fn allow_navigation(&self, request: &NavigationRequest) -> bool {
        get(&self.navigation).is_some_and(|hook| hook(request))
    }

    pub(crate) fn window_open(&self, request: &WindowOpenRequest) -> WindowOpenAction {
        get(&self.window_open).map_or(WindowOpenAction::Deny, |hook| hook(request))
    }

    pub(crate) fn allow_permission(&self, request: &PermissionRequest) -> bool {
        get(&self.permission).is_some_and(|hook| hook(request))
    }

    /// Which handlers are installed: navigation, window.open, permissions.
    pub(crate) fn installed(&self) -> [bool; 3] {
        [
            get(&self.navigation).is_some(),
            get(&self.window_open).is_some(),
            get(&self.permission).is_some(),
        ]
    }
}
