//! What Voltaic's wry-based engines share (WebKitGTK, WebView2, WKWebView): a tao
//! window made from a window's options, a wry webview with the app's data
//! directory and the page policies, and tao's event loop driven for the seam
//! ([`run`], [`LoopProxy`], [`AppProxy`], [`Windows`]).

#![warn(missing_docs)]

use std::cell::{Cell, RefCell};
use std::collections::HashMap;
use std::rc::Rc;
use std::sync::{Mutex, PoisonError};

use tao::event::{Event, WindowEvent};
use tao::event_loop::{ControlFlow, EventLoop, EventLoopProxy, EventLoopWindowTarget};
use tao::platform::run_return::EventLoopExtRunReturn;
use tao::window::WindowId;
use voltaic_app::engine::{Command, DataDir, EngineProxy, WindowOp, WindowSpec};
use voltaic_app::Error;

mod native;

#[cfg(target_os = "linux")]
pub use native::watch;
pub use native::{
    apply, native_op, native_window, read_state, AppMenu, Watcher, UNSUPPORTED_ELSEWHERE,
};

/// Who applies a window's page policies to what its page does by itself.
pub enum Policies {
    /// wry's handlers: navigations the page starts go to the window's navigation
    /// policy (`main_load` says the next one is the main process's own load, which
    /// is not the page's to ask for), and `window.open` to its window-open policy.
    Wry {
        /// Set when the main process loads a page; taken by the next navigation.
        main_load: Rc<Cell<bool>>,
    },
    /// The engine applies them in its page logic (the DevTools engines do, from
    /// `Fetch` and `Page.windowOpen`); the webview only opens no window of its own.
    Engine,
}

/// A wry webview for window `spec`, with the app's data directory when the user
/// chose one (`VOLTAIC_DATA_DIR`; otherwise each webview keeps the default, the
/// program's own), dev tools as asked, and `policies`. `finish` adds what the
/// engine needs and builds it into the window.
pub fn web_view(
    spec: &WindowSpec,
    policies: Policies,
    finish: impl FnOnce(wry::WebViewBuilder<'_>) -> wry::Result<wry::WebView>,
) -> Result<wry::WebView, Error> {
    // The web context lives on with the webview once built. The one a WebDriver
    // drives must be the webview's own: its first webview is the session's.
    let automation = voltaic_app::automation::take_for_window(spec.id);
    let data = DataDir::of_this_program()
        .filter(|dir| dir.chosen)
        .map(|dir| dir.path);
    let mut context = (data.is_some() || automation).then(|| wry::WebContext::new(data));
    if let Some(context) = context.as_mut().filter(|_| automation) {
        context.set_allows_automation(true);
    }
    let builder = match context.as_mut() {
        Some(context) => wry::WebViewBuilder::new_with_web_context(context),
        None => wry::WebViewBuilder::new(),
    }
    .with_devtools(spec.options.web_preferences.dev_tools);
    let builder = match policies {
        Policies::Wry { main_load } => {
            let (navigation, opener) = (spec.policy.clone(), spec.policy.clone());
            builder
                .with_navigation_handler(move |url| {
                    main_load.replace(false) || navigation.allows_navigation(&url)
                })
                // As in Electron, `window.open` reaches the app's window-open
                // policy, which opens a window of the app's if it allows.
                .with_new_window_req_handler(move |url, _| {
                    opener.window_open(url);
                    wry::NewWindowResponse::Deny
                })
        }
        Policies::Engine => {
            builder.with_new_window_req_handler(|_, _| wry::NewWindowResponse::Deny)
        }
    };
    finish(builder).map_err(|e| Error::WebView(e.to_string()))
}

/// What an engine does with tao's event loop.
pub trait LoopHandler<I: 'static> {
    /// The engine's open window.
    type Window: OpenWindow;

    /// The engine's open windows.
    fn windows(&self) -> &Windows<Self::Window>;

    /// One of the engine's inputs; returns an exit code when the loop must stop.
    fn input(&mut self, input: I, target: &EventLoopWindowTarget<I>) -> Option<i32>;

    /// The user asked to close the native window `window`: it closes unless its
    /// `close` listeners keep it.
    fn close_requested(&mut self, window: WindowId) {
        self.windows().close_requested(window);
    }

    /// Native window `window` moved, was resized, or took or lost the focus: its
    /// window hears of it.
    fn window_changed(&mut self, window: WindowId) {
        self.windows().window_changed(window);
    }

    /// Everything waiting has been taken off the queue: the time to send what
    /// piled up, in one go per window.
    fn events_cleared(&mut self) {}
}

/// Runs tao's event loop with `handler` until it gives an exit code; returns it.
pub fn run<I: 'static>(event_loop: &mut EventLoop<I>, mut handler: impl LoopHandler<I>) -> i32 {
    event_loop.run_return(move |event, target, control_flow| {
        if !matches!(control_flow, ControlFlow::ExitWithCode(_)) {
            *control_flow = ControlFlow::Wait;
        }
        let exit = match event {
            Event::UserEvent(input) => handler.input(input, target),
            Event::WindowEvent {
                window_id,
                event: WindowEvent::CloseRequested,
                ..
            } => {
                handler.close_requested(window_id);
                None
            }
            Event::WindowEvent {
                window_id,
                event: WindowEvent::Moved(_) | WindowEvent::Resized(_) | WindowEvent::Focused(_),
                ..
            } => {
                handler.window_changed(window_id);
                None
            }
            Event::MainEventsCleared => {
                handler.events_cleared();
                None
            }
            _ => None,
        };
        if let Some(code) = exit {
            *control_flow = ControlFlow::ExitWithCode(code);
        }
    })
}

/// tao's proxy to the event loop, from any thread (tao's is `Send` but not
/// `Sync`).
pub struct LoopProxy<I: 'static>(Mutex<EventLoopProxy<I>>);

impl<I: 'static> LoopProxy<I> {
    /// A proxy to `event_loop`.
    pub fn new(event_loop: &EventLoop<I>) -> Self {
        Self(Mutex::new(event_loop.create_proxy()))
    }

    /// Queues `input`; gives it back when the loop has ended.
    pub fn send(&self, input: I) -> Result<(), I> {
        self.0
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .send_event(input)
            .map_err(|refused| refused.0)
    }
}

impl<I: 'static> Clone for LoopProxy<I> {
    fn clone(&self) -> Self {
        Self(Mutex::new(
            self.0
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .clone(),
        ))
    }
}

/// What an engine's event loop takes, in order: the app's commands, and the
/// engine's own work `W` (messages and answers handed over from other threads).
pub enum LoopInput<W> {
    /// The app's work.
    App(Command),
    /// The engine's own.
    Engine(W),
}

/// The app's way to an engine's event loop ([`EngineProxy`]), in order, from any
/// thread.
pub struct AppProxy<W: 'static>(pub LoopProxy<LoopInput<W>>);

impl<W: Send + 'static> EngineProxy for AppProxy<W> {
    fn send(&self, command: Command) -> Result<(), Command> {
        self.0
            .send(LoopInput::App(command))
            .map_err(|refused| match refused {
                LoopInput::App(command) => command,
                LoopInput::Engine(_) => Command::Quit { code: 1 },
            })
    }
}

/// An open window as the event loop keeps it.
pub trait OpenWindow {
    /// Its native window.
    fn native(&self) -> &tao::window::Window;
    /// The user asked to close it: whether it may close (its `close` listeners
    /// may keep it, [`voltaic_app::PagePolicy::close_requested`]).
    fn close_requested(&self) -> bool;
    /// It is gone: its sends fail from now on, and the app hears of it.
    fn closed(self);
    /// Its native window moved, was resized, or took or lost the focus.
    fn window_changed(&mut self) {}
}

/// The open windows of an engine, by the app's window id, on the event loop's
/// thread.
pub struct Windows<W>(Rc<RefCell<HashMap<u32, W>>>, Rc<RefCell<AppMenu>>);

impl<W> Default for Windows<W> {
    fn default() -> Self {
        Self(Rc::default(), Rc::default())
    }
}

impl<W> Clone for Windows<W> {
    fn clone(&self) -> Self {
        Self(self.0.clone(), self.1.clone())
    }
}

impl<W: OpenWindow> Windows<W> {
    /// Keeps window `id`, and gives it the app's menu.
    pub fn insert(&self, id: u32, window: W) {
        self.1.borrow().attach(window.native());
        self.0.borrow_mut().insert(id, window);
    }

    /// Builds the app's menu and gives it to every window.
    pub fn set_menu(&self, job: voltaic_app::engine::MenuJob) {
        let windows = self.0.borrow();
        self.1
            .borrow_mut()
            .set(job, windows.values().map(OpenWindow::native));
    }

    /// Runs `f` on window `id`, if it is open.
    pub fn with<R>(&self, id: u32, f: impl FnOnce(&mut W) -> R) -> Option<R> {
        self.0.borrow_mut().get_mut(&id).map(f)
    }

    /// Carries out one of the app's commands: quitting (gives the exit code),
    /// the menu, opening a window (`open` runs the job with the engine's
    /// factory), and a window's operations. Closing is done here; the native
    /// window's own operations go to [`native_op`], the rest to `run`; after a
    /// change, the window is read for its events. A window that is gone refuses
    /// what waits for an answer ([`WindowOp::refuse_closed`]).
    pub fn command(
        &self,
        command: Command,
        open: impl FnOnce(voltaic_app::engine::OpenJob),
        run: impl FnOnce(&mut W, WindowOp),
    ) -> Option<i32> {
        match command {
            Command::Quit { code } => return Some(code),
            Command::SetMenu(job) => self.set_menu(job),
            Command::Open(job) => open(job),
            Command::Window {
                window: id,
                op: WindowOp::Close,
            } => self.forget(id),
            Command::Window { window: id, op } => {
                let mut windows = self.0.borrow_mut();
                let Some(window) = windows.get_mut(&id) else {
                    op.refuse_closed(id);
                    return None;
                };
                let changes = matches!(op, WindowOp::Change(_));
                if let Some(op) = native_op(window.native(), op) {
                    run(window, op);
                }
                if changes {
                    window.window_changed();
                }
            }
        }
        None
    }

    /// Runs `f` on every open window.
    pub fn each(&self, mut f: impl FnMut(&mut W)) {
        for window in self.0.borrow_mut().values_mut() {
            f(window);
        }
    }

    /// Native window `native` changed: its window hears of it.
    pub fn window_changed(&self, native: WindowId) {
        for window in self.0.borrow_mut().values_mut() {
            if window.native().id() == native {
                window.window_changed();
            }
        }
    }

    /// The user asked to close native window `native`: it closes unless its
    /// `close` listeners keep it.
    pub fn close_requested(&self, native: WindowId) {
        let id = self
            .0
            .borrow()
            .iter()
            .find(|(_, window)| window.native().id() == native)
            .map(|(id, _)| *id);
        let allowed =
            id.filter(|id| self.with(*id, |window| window.close_requested()) == Some(true));
        if let Some(id) = allowed {
            self.forget(id);
        }
    }

    /// Closes and forgets window `id`. The app hears of it, and decides what its
    /// last window's going means (`window-all-closed`).
    pub fn forget(&self, id: u32) {
        let removed = self.0.borrow_mut().remove(&id);
        if let Some(window) = removed {
            self.1.borrow().detach(window.native());
            window.closed();
        }
    }
}
