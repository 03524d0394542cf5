//! The app's answers to what one window's page asks for beyond IPC: navigating,
//! opening windows, permissions; and what the app hears of the window's renderer
//! and its end. Engines ask these instead of deciding themselves, so the rules are
//! the same on every engine.

use std::sync::atomic::Ordering;
use std::sync::Arc;

use voltaic_core::{AllowedOrigins, SenderFrame};

use crate::hooks::{
    Hooks, NavigationRequest, PermissionKind, PermissionRequest, RenderProcessGone,
    RenderProcessGoneReason, WindowOpenAction, WindowOpenRequest,
};
use crate::lifecycle::EmitAllowed;
use crate::lifecycle::{PageEvent, Preventable, WindowEvents};
use crate::AppHandle;
use crate::WindowEvent;

/// The page policies of one window.
pub struct PagePolicy {
    window: u32,
    origins: AllowedOrigins,
    hooks: Arc<Hooks>,
    app: AppHandle,
    events: Arc<WindowEvents>,
}

impl PagePolicy {
    pub(crate) fn new(
        window: u32,
        origins: AllowedOrigins,
        app: &AppHandle,
        events: Arc<WindowEvents>,
    ) -> Self {
        Self {
            window,
            origins,
            hooks: app.hooks.clone(),
            app: app.clone(),
            events,
        }
    }

    /// Puts `what` happened to the window on the app's IPC timeline.
    fn lifecycle(&self, what: impl Into<String>) {
        self.app.ipc_main().timeline().lifecycle(self.window, what);
    }

    /// The window's page did something its listeners hear of
    /// ([`crate::BrowserWindow::on_page_event`]). Engines call this on their thread,
    /// in the order it happened.
    pub fn page_event(&self, event: PageEvent) {
        tracing::trace!(window = self.window, "{event:?}");
        if self.app.ipc_main().timeline().is_on() {
            self.lifecycle(match &event {
                PageEvent::DidNavigate { url } => format!("did-navigate {url}"),
                PageEvent::DidFailLoad { url, description } => {
                    format!("did-fail-load {url}: {description}")
                }
                other => other.name().to_owned(),
            });
        }
        self.events.page.emit(&event);
        // Once the first load has ended, loaded or failed: a window made hidden is
        // then shown without a flash, and is not left hidden by a failed load.
        if event == PageEvent::DidStopLoading
            && !self.events.shown_ready.swap(true, Ordering::AcqRel)
        {
            self.window_event(WindowEvent::ReadyToShow);
        }
    }

    /// The native window changed ([`crate::BrowserWindow::on_window_event`]).
    /// Engines call this on their thread, in the order it happened.
    pub fn window_event(&self, event: WindowEvent) {
        tracing::trace!(window = self.window, "window {}", event.name());
        self.lifecycle(event.name());
        match event {
            WindowEvent::Focus => self.app.set_focused(self.window, true),
            WindowEvent::Blur => self.app.set_focused(self.window, false),
            _ => {}
        }
        self.events.window.emit(&event);
    }

    /// The page's title became `title` (Electron's `page-title-updated`): whether
    /// the native window's title may follow it, which a listener may prevent.
    pub fn title_updated(&self, title: &str) -> bool {
        let event = (Preventable::default(), title.to_owned());
        self.events.title.emit(&event);
        !event.0.is_default_prevented()
    }

    /// The user asked to close the window: its `close` listeners run, and it
    /// closes unless one of them prevents it. Engines call this where the user's
    /// request can still be refused.
    pub fn close_requested(&self) -> bool {
        let allowed = self.events.close.emit_allowed();
        if !allowed {
            tracing::debug!(window = self.window, "close prevented");
        }
        allowed
    }

    /// Whether the page may navigate to `url` by itself (Electron's
    /// `will-navigate`): `about:` pages and the window's allowed origins may, and
    /// anything the app's navigation handler allows. Loads the main process asks
    /// for are not the page's: engines let those go without asking.
    pub fn allows_navigation(&self, url: &str) -> bool {
        // about:blank and about:srcdoc bring no content from anywhere.
        if url.starts_with("about:") {
            return true;
        }
        let url = &*crate::content::app_url(url);
        let origin = SenderFrame::from_url(url);
        if origin.origin() != "null" && self.origins.allows(origin.origin()) {
            return true;
        }
        let request = NavigationRequest {
            window: self.window,
            url: url.to_owned(),
        };
        if self.hooks.allow_navigation(&request) {
            tracing::info!(window = self.window, url, "navigation allowed by the app");
            return true;
        }
        tracing::warn!(
            window = self.window,
            url,
            "navigation denied: not an allowed origin"
        );
        false
    }

    /// The page asked to open `url` in a new window (`window.open`, a
    /// `target="_blank"` link). The engine opens nothing itself: if the app's
    /// handler allows, the app opens a window of its own and loads the URL there.
    pub fn window_open(&self, url: String) {
        let url = crate::content::app_url(&url).into_owned();
        let window = self.window;
        let request = WindowOpenRequest { window, url };
        match self.hooks.window_open(&request) {
            WindowOpenAction::Deny => {
                tracing::warn!(window, url = request.url, "window.open denied");
            }
            WindowOpenAction::Allow(options) => {
                tracing::info!(window, url = request.url, "window.open allowed by the app");
                let handle = self.app.clone();
                self.app.spawn(async move {
                    let opened = match handle.create_window(*options).await {
                        Ok(child) => child.load_url(&request.url),
                        Err(error) => Err(error),
                    };
                    if let Err(error) = opened {
                        tracing::error!(window, "window.open of {} failed: {error}", request.url);
                    }
                });
            }
        }
    }

    /// Whether the page gets a permission: denied unless the app's handler allows.
    pub fn allows_permission(&self, kind: PermissionKind) -> bool {
        let asked = PermissionRequest {
            window: self.window,
            kind,
        };
        if self.hooks.allow_permission(&asked) {
            tracing::info!(
                window = self.window,
                "permission granted by the app: {:?}",
                asked.kind
            );
            true
        } else {
            tracing::warn!(window = self.window, "permission denied: {:?}", asked.kind);
            false
        }
    }

    /// The window's renderer process is gone: logged, and the app's handler called.
    pub fn render_process_gone(&self, reason: RenderProcessGoneReason) {
        tracing::error!(window = self.window, "renderer process gone: {reason:?}");
        self.lifecycle(format!("render-process-gone {reason:?}"));
        self.hooks.render_process_gone(&RenderProcessGone {
            window: self.window,
            reason,
        });
        self.events.gone.emit(&reason);
    }

    /// The window is gone: the app forgets it, its `closed` listeners run, and if
    /// it was the last, the app's `window-all-closed` ones, or else the app quits
    /// (Electron's default); an IPC inspector left open does not count. Engines
    /// call this once per window, on their thread.
    pub fn closed(&self) {
        self.app.set_focused(self.window, false);
        self.app.forget_window(self.window);
        tracing::debug!(window = self.window, "window closed");
        self.lifecycle("closed");
        self.events.closed.emit(&());
        let left = self.app.get_all_windows();
        if self.app.leaves_no_window(self.window, &left) {
            self.app.all_windows_closed();
        }
    }
}
