//! The engine: tao's event loop on the main thread, one tao window and one wry
//! webview per Voltaic window.

use std::sync::Arc;

use tao::event_loop::{EventLoop, EventLoopBuilder, EventLoopWindowTarget};
use voltaic_app::engine::{
    Engine, EngineInfo, EngineProxy, OpenedWindow, WindowFactory, WindowSpec,
};
use voltaic_app::{Error, SandboxState};
use voltaic_core::Packet;

use voltaic_desktop::{AppProxy, LoopHandler, LoopInput, LoopProxy};

use crate::window::{self, Window};

/// The engine's own work on its event loop, handed over from any thread.
pub(crate) enum Work {
    /// A main → renderer message for a window, from any thread.
    Deliver { window: u32, message: Packet },
    /// The answer to one of a window's invokes, from any thread.
    Answer {
        window: u32,
        id: u64,
        message: Packet,
    },
}

/// What the event loop takes, in order.
pub(crate) type Input = LoopInput<Work>;

type Windows = voltaic_desktop::Windows<Window>;

/// The WKWebView engine, on the main thread.
pub(crate) struct WkWebViewEngine {
    event_loop: EventLoop<Input>,
    windows: Windows,
}

impl WkWebViewEngine {
    /// Starts the event loop (on the main thread, as AppKit requires).
    pub(crate) fn start() -> Result<Self, Error> {
        if objc2::MainThreadMarker::new().is_none() {
            return Err(Error::Engine(
                "the WKWebView engine starts on the main thread only".into(),
            ));
        }
        Ok(Self {
            event_loop: EventLoopBuilder::<Input>::with_user_event().build(),
            windows: Windows::default(),
        })
    }
}

impl WindowFactory for WkWebViewEngine {
    fn open_window(&mut self, spec: WindowSpec) -> Result<OpenedWindow, Error> {
        let proxy = LoopProxy::new(&self.event_loop);
        Opener {
            target: &self.event_loop,
            windows: &self.windows,
            proxy: &proxy,
        }
        .open_window(spec)
    }
}

impl Engine for WkWebViewEngine {
    fn info(&self) -> EngineInfo {
        EngineInfo {
            name: "WKWebView",
            version: wry::webview_version().unwrap_or_else(|_| "unknown".into()),
            versions_key: "webkit",
            // WebKit's web content process always runs in macOS's sandbox.
            sandbox: SandboxState::Enabled,
            sandbox_detail: "the web content process runs inside macOS's WebKit sandbox",
            // `setInspectable:` follows `dev_tools`.
            dev_tools_can_be_off: true,
            isolation_detail: "its app pages are sent COOP same-origin and COEP require-corp (not run on macOS yet)",
            isolation_app_wide: false,
            unsupported_changes: voltaic_desktop::UNSUPPORTED_ELSEWHERE,
        }
    }

    fn proxy(&self) -> Arc<dyn EngineProxy> {
        Arc::new(AppProxy(LoopProxy::new(&self.event_loop)))
    }

    fn run(self: Box<Self>) -> i32 {
        let WkWebViewEngine {
            mut event_loop,
            windows,
        } = *self;
        let proxy = LoopProxy::new(&event_loop);
        voltaic_desktop::run(&mut event_loop, Loop { windows, proxy })
    }
}

/// The engine as the event loop drives it.
struct Loop {
    windows: Windows,
    proxy: LoopProxy<Input>,
}

impl LoopHandler<Input> for Loop {
    type Window = Window;

    fn windows(&self) -> &Windows {
        &self.windows
    }

    fn input(&mut self, input: Input, target: &EventLoopWindowTarget<Input>) -> Option<i32> {
        handle(input, target, &self.windows, &self.proxy)
    }

    /// Each window's messages go in one evaluation.
    fn events_cleared(&mut self) {
        self.windows
            .each(|window| window.shared.outbox.borrow_mut().flush());
    }
}

/// Carries out one input; returns an exit code when the loop must stop.
fn handle(
    input: Input,
    target: &EventLoopWindowTarget<Input>,
    windows: &Windows,
    proxy: &LoopProxy<Input>,
) -> Option<i32> {
    match input {
        LoopInput::App(command) => {
            return windows.command(
                command,
                |job| {
                    job.run(&mut Opener {
                        target,
                        windows,
                        proxy,
                    });
                },
                |entry, op| entry.execute(op),
            );
        }
        LoopInput::Engine(Work::Deliver { window, message }) => {
            windows.with(window, |entry| {
                entry.shared.outbox.borrow_mut().deliver(message)
            });
        }
        LoopInput::Engine(Work::Answer {
            window,
            id,
            message,
        }) => {
            windows.with(window, |entry| entry.shared.answer(id, message));
        }
    }
    None
}

/// Opens windows with the event loop's window target, before or while it runs.
struct Opener<'a> {
    target: &'a EventLoopWindowTarget<Input>,
    windows: &'a Windows,
    proxy: &'a LoopProxy<Input>,
}

impl WindowFactory for Opener<'_> {
    fn open_window(&mut self, spec: WindowSpec) -> Result<OpenedWindow, Error> {
        let id = spec.id;
        let (window, opened) = window::open(self.target, self.proxy, spec)?;
        self.windows.insert(id, window);
        Ok(opened)
    }
}
