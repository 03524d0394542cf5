//! The engine: tao's event loop on the app's thread, one tao window with one wry
//! webview per Voltaic window, and each webview's page driven over its own
//! in-process DevTools connection by `voltaic_cdp::page`, the logic the Chromium
//! engine runs on Linux.

use std::sync::Arc;

use serde_json::json;
use tao::event_loop::{EventLoop, EventLoopBuilder, EventLoopWindowTarget};
use voltaic_app::engine::{
    Engine, EngineInfo, EngineProxy, OpenedWindow, WindowFactory, WindowSpec,
};
use voltaic_app::{Error, SandboxState};
use voltaic_cdp::page::{Page, PageInput, ToEngine, EVENTS, SETUP_LIMIT};
use voltaic_cdp::{serve, Cdp, Event};
use voltaic_desktop::{AppProxy, LoopHandler, LoopInput, LoopProxy, OpenWindow, Policies};
use wry::WebViewExtWindows;

use crate::transport::WebView2Transport;

/// The engine's own work on its event loop.
pub(crate) enum Work {
    /// A page's work from any thread: a message to deliver, an answer to give.
    Page(PageInput),
    /// An event of window `window`'s page.
    Cdp { window: u32, event: Event },
}

/// What the event loop takes, in order.
pub(crate) type Input = LoopInput<Work>;

/// One open window.
struct Window {
    native: tao::window::Window,
    /// Kept for the window's life: dropping it closes the webview.
    _webview: wry::WebView,
    cdp: Cdp,
    page: Page,
    watcher: voltaic_desktop::Watcher,
}

impl OpenWindow for Window {
    fn native(&self) -> &tao::window::Window {
        &self.native
    }

    fn close_requested(&self) -> bool {
        self.page.close_requested()
    }

    fn closed(self) {
        self.page.closed();
    }

    fn window_changed(&mut self) {
        for event in self.watcher.changed(&self.native) {
            self.page.policy().window_event(event);
        }
    }
}

type Windows = voltaic_desktop::Windows<Window>;

/// The WebView2 engine, on the thread that made the app.
pub(crate) struct WebView2Engine {
    event_loop: EventLoop<Input>,
    windows: Windows,
    version: String,
}

impl WebView2Engine {
    /// Starts the event loop; fails when no WebView2 runtime is installed.
    pub(crate) fn start() -> Result<Self, Error> {
        let version = wry::webview_version().map_err(|e| {
            Error::Engine(format!(
                "no WebView2 runtime ({e}); install Microsoft's Evergreen WebView2 Runtime"
            ))
        })?;
        Ok(Self {
            event_loop: EventLoopBuilder::<Input>::with_user_event().build(),
            windows: Windows::default(),
            version,
        })
    }
}

impl WindowFactory for WebView2Engine {
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

impl Engine for WebView2Engine {
    fn info(&self) -> EngineInfo {
        EngineInfo {
            name: "WebView2",
            version: self.version.clone(),
            versions_key: "webview2",
            // WebView2's renderers always run in Chromium's sandbox; there is no
            // switch to take it away.
            sandbox: SandboxState::Enabled,
            sandbox_detail: "the renderer runs inside WebView2's (Chromium's) sandbox",
            // wry sets AreDevToolsEnabled from `dev_tools`.
            dev_tools_can_be_off: true,
            isolation_detail: "its app pages are sent COOP same-origin and COEP require-corp",
            isolation_app_wide: false,
            unsupported_changes: voltaic_desktop::UNSUPPORTED_ELSEWHERE,
        }
    }

    fn proxy(&self) -> Arc<dyn EngineProxy> {
        Arc::new(AppProxy(LoopProxy::new(&self.event_loop)))
    }

    fn run(self: Box<Self>) -> i32 {
        let WebView2Engine {
            mut event_loop,
            windows,
            ..
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

    /// Each page's messages go in one evaluation.
    fn events_cleared(&mut self) {
        self.windows.each(|window| window.page.flush(&window.cdp));
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
        // The title is the native window's own, as on WebKitGTK: WebView2 is a
        // child of a native window of the app's.
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
                |entry, op| entry.page.execute(&entry.cdp, op),
            );
        }
        LoopInput::Engine(Work::Page(PageInput::Deliver { window, message })) => {
            windows.with(window, |entry| entry.page.deliver(message));
        }
        LoopInput::Engine(Work::Page(PageInput::Fulfill {
            window,
            session,
            id,
            response,
        })) => {
            windows.with(window, |entry| {
                serve::fulfill(&entry.cdp, session.as_deref(), &id, response);
            });
        }
        LoopInput::Engine(Work::Cdp { window, event }) => {
            windows.with(window, |entry| entry.page.event(&entry.cdp, &event));
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
        let (window, opened) = open(self.target, self.proxy, spec)?;
        self.windows.insert(id, window);
        Ok(opened)
    }
}

/// One window: its native window and webview, its DevTools connection, and its
/// page set up before anything loads (wry loads nothing when given no URL).
fn open(
    target: &EventLoopWindowTarget<Input>,
    proxy: &LoopProxy<Input>,
    spec: WindowSpec,
) -> Result<(Window, OpenedWindow), Error> {
    // Refused before: a parent is not on this engine's list.
    let native = voltaic_desktop::native_window(target, &spec.options, None)?;
    // The page logic applies the policies: navigations through Fetch, and
    // window.open through Page.windowOpen.
    let webview =
        voltaic_desktop::web_view(&spec, Policies::Engine, |builder| builder.build(&native))?;
    let transport = Arc::new(WebView2Transport::new(webview.webview()));
    let id = spec.id;
    let events = proxy.clone();
    let (cdp, inbound) = Cdp::with_sink(
        transport.clone(),
        Box::new(move |event| {
            let _ = events.send(LoopInput::Engine(Work::Cdp { window: id, event }));
        }),
    );
    transport
        .connect(inbound, EVENTS)
        .map_err(|e| Error::WebView(format!("DevTools events: {}", e.message())))?;
    let tree = cdp
        .call(None, "Page.getFrameTree", json!({}), SETUP_LIMIT)
        .map_err(|e| Error::WebView(format!("Page.getFrameTree: {e}")))?;
    let main_frame = tree["frameTree"]["frame"]["id"]
        .as_str()
        .ok_or_else(|| Error::WebView("Page.getFrameTree gave no main frame".into()))?
        .to_owned();
    let pages = proxy.clone();
    let to_engine: ToEngine = Arc::new(move |input| {
        let _ = pages.send(LoopInput::Engine(Work::Page(input)));
    });
    // The webview's own page is its connection's default session.
    let (page, opened) = Page::open(&cdp, None, main_frame, spec, to_engine, false)?;
    let mut watcher = voltaic_desktop::Watcher::default();
    watcher.changed(&native);
    let window = Window {
        native,
        _webview: webview,
        cdp,
        page,
        watcher,
    };
    Ok((window, opened))
}
