//! The engine: one Chromium per app, one page target per window, and one thread
//! (the app's) that takes the app's commands and Chromium's events in the order
//! they come.

use std::collections::HashMap;
use std::sync::mpsc;
use std::sync::Arc;

use serde_json::json;
use voltaic_app::engine::{
    Command, Engine, EngineInfo, EngineProxy, OpenedWindow, WindowFactory, WindowSpec,
};
use voltaic_app::{Error, SandboxState};

use crate::launch::{Chromium, LaunchOptions};
use crate::window::{Window, WindowWork};
use voltaic_cdp::page::{PageInput, ToEngine, SETUP_LIMIT};
use voltaic_cdp::{serve, Cdp, Event};

/// What the engine's thread takes, in order.
pub(crate) enum Input {
    /// The app's work.
    App(Command),
    /// A window's page's work, from any thread: a message to deliver, an answer
    /// to give.
    Page(PageInput),
    /// An event from Chromium.
    Cdp(Event),
    /// What came back for a window from another thread.
    Window {
        /// The window.
        window: u32,
        /// What came back.
        work: WindowWork,
    },
}

/// The Chromium engine, on the thread that made the app.
pub(crate) struct ChromiumEngine {
    browser: Chromium,
    version: String,
    inputs: mpsc::Receiver<Input>,
    sender: mpsc::Sender<Input>,
    windows: HashMap<u32, Window>,
    /// The page Chromium opened with its first window, kept for the app's first
    /// window, so that no window is opened and closed in vain.
    spare: Option<String>,
    /// The share of a window its frame takes, as measured on the last window
    /// sized: a new window is made that much larger, so that it need not be
    /// resized just after it appears (Chromium can then still give it its first
    /// size after ours).
    frame: (i64, i64),
}

impl ChromiumEngine {
    /// Starts Chromium: one browser process, in the app's kept profile when it can
    /// have it (else a temporary one), with the DevTools protocol on a pipe.
    pub(crate) fn start() -> Result<Self, Error> {
        voltaic_app::engine::require_display()?;
        let (sender, inputs) = mpsc::channel();
        let events = sender.clone();
        let defaults = voltaic_app::BrowserWindowOptions::default();
        let options = LaunchOptions {
            // The first window's likely size, so that it need not be resized.
            args: vec![format!(
                "--window-size={},{}",
                defaults.width, defaults.height
            )],
            // Beside WebKitGTK's storage, in the app's data directory.
            kept_profile: voltaic_app::engine::DataDir::of_this_program()
                .map(|dir| dir.path.join("chromium")),
            ..LaunchOptions::default()
        };
        let browser = Chromium::launch_with_sink(
            &options,
            Box::new(move |event| {
                let _ = events.send(Input::Cdp(event));
            }),
        )
        .map_err(|e| Error::Engine(e.to_string()))?;
        let cdp = browser.cdp();
        let failed = |what: &str, error: voltaic_cdp::CdpError| {
            let output = browser.output().join("\n");
            Error::Engine(format!("{what}: {error}\nChromium said:\n{output}"))
        };
        let version = cdp
            .call(None, "Browser.getVersion", json!({}), SETUP_LIMIT)
            .map_err(|e| failed("Chromium did not answer", e))?;
        let version = version["product"]
            .as_str()
            .and_then(|product| product.split('/').nth(1))
            .unwrap_or("unknown")
            .to_owned();
        cdp.call(
            None,
            "Target.setDiscoverTargets",
            json!({ "discover": true }),
            SETUP_LIMIT,
        )
        .map_err(|e| failed("Target.setDiscoverTargets", e))?;
        // Every permission denied, with no prompt: CDP reports no permission
        // requests, so none can reach the app's handler (see the README).
        cdp.call(
            None,
            "Browser.grantPermissions",
            json!({ "permissions": [] }),
            SETUP_LIMIT,
        )
        .map_err(|e| failed("Browser.grantPermissions", e))?;
        let targets = cdp
            .call(None, "Target.getTargets", json!({}), SETUP_LIMIT)
            .map_err(|e| failed("Target.getTargets", e))?;
        let spare = targets["targetInfos"].as_array().and_then(|infos| {
            infos
                .iter()
                .find(|info| info["type"] == "page")
                .and_then(|info| info["targetId"].as_str())
                .map(str::to_owned)
        });
        Ok(Self {
            browser,
            version,
            inputs,
            sender,
            windows: HashMap::new(),
            spare,
            frame: (0, 0),
        })
    }

    /// Carries out one input; returns an exit code when the loop must stop.
    fn handle(&mut self, input: Input) -> Option<i32> {
        match input {
            Input::App(Command::Quit { code }) => return Some(code),
            Input::App(Command::Open(job)) => job.run(self),
            // Refused before it is sent: see window::UNSUPPORTED.
            Input::App(Command::SetMenu(_)) => {}
            Input::App(Command::Window { window, op }) => {
                let closing = matches!(op, voltaic_app::engine::WindowOp::Close);
                match self.windows.get_mut(&window) {
                    Some(entry) => entry.execute(self.browser.cdp(), op),
                    None => op.refuse_closed(window),
                }
                if closing {
                    self.forget(window);
                }
            }
            Input::Page(PageInput::Deliver { window, message }) => {
                if let Some(entry) = self.windows.get_mut(&window) {
                    entry.page.deliver(message);
                }
            }
            Input::Cdp(event) => return self.event(event),
            Input::Window { window, work } => {
                if let Some(entry) = self.windows.get_mut(&window) {
                    entry.work(self.browser.cdp(), work);
                }
            }
            Input::Page(PageInput::Fulfill {
                session,
                id,
                response,
                ..
            }) => serve::fulfill(self.browser.cdp(), session.as_deref(), &id, response),
        }
        None
    }

    /// Routes an event to its window; the browser's own are about targets.
    fn event(&mut self, event: Event) -> Option<i32> {
        let cdp = self.browser.cdp();
        match (&event.session, event.method.as_str()) {
            (None, "Target.targetDestroyed") => {
                let target = event.params["targetId"].as_str().unwrap_or_default();
                let gone = self
                    .windows
                    .iter()
                    .find(|(_, w)| w.target == target)
                    .map(|(id, _)| *id);
                if let Some(id) = gone {
                    // The user closed it: Chromium has closed it already, so its
                    // `close` listeners hear of it but cannot keep it.
                    if let Some(window) = self.windows.get(&id) {
                        if !window.page.close_requested() {
                            tracing::debug!(
                                window = id,
                                "a close Chromium already made cannot be prevented"
                            );
                        }
                    }
                    self.forget(id);
                }
            }
            (None, "Target.targetCreated") => {
                let info = &event.params["targetInfo"];
                let target = info["targetId"].as_str().unwrap_or_default();
                let ours = self.windows.values().any(|w| w.target == target)
                    || self.spare.as_deref() == Some(target);
                // A page no window asked for is a popup (window.open, a
                // target=_blank link): the opener's window.open policy decided
                // already, from Page.windowOpen, and opened its own window if
                // allowed.
                if info["type"] == "page" && !ours && info["openerId"].is_string() {
                    cdp.post(None, "Target.closeTarget", json!({ "targetId": target }));
                }
            }
            (Some(session), _) => {
                if let Some(window) = self
                    .windows
                    .values_mut()
                    .find(|w| w.page.session() == Some(session.as_str()))
                {
                    window.event(cdp, &event);
                }
            }
            _ => {}
        }
        None
    }

    /// Forgets a closed window; the app hears of it (and decides what its last
    /// window's going means).
    fn forget(&mut self, id: u32) {
        if let Some(window) = self.windows.remove(&id) {
            window.closed(self.browser.cdp());
        }
    }
}

impl WindowFactory for ChromiumEngine {
    fn open_window(&mut self, spec: WindowSpec) -> Result<OpenedWindow, Error> {
        let id = spec.id;
        let cdp = self.browser.cdp();
        let target = match self.spare.take() {
            Some(target) => target,
            None => new_target(cdp, &spec, self.frame)?,
        };
        let inputs = self.sender.clone();
        let to_engine: ToEngine = Arc::new(move |input| {
            let _ = inputs.send(Input::Page(input));
        });
        let (window, opened) = Window::open(cdp, target, spec, to_engine, self.sender.clone())?;
        if let Some(frame) = window.window_frame {
            self.frame = frame;
        }
        self.windows.insert(id, window);
        Ok(opened)
    }
}

/// A new page target in a window of its own.
fn new_target(cdp: &Cdp, spec: &WindowSpec, frame: (i64, i64)) -> Result<String, Error> {
    let created = cdp
        .call(
            None,
            "Target.createTarget",
            json!({
                "url": "about:blank",
                "newWindow": true,
                "width": i64::from(spec.options.width) + frame.0,
                "height": i64::from(spec.options.height) + frame.1,
            }),
            SETUP_LIMIT,
        )
        .map_err(|e| Error::Window(e.to_string()))?;
    created["targetId"]
        .as_str()
        .map(str::to_owned)
        .ok_or_else(|| Error::Window("Target.createTarget gave no target id".into()))
}

impl Engine for ChromiumEngine {
    fn info(&self) -> EngineInfo {
        EngineInfo {
            name: "Chromium",
            version: self.version.clone(),
            versions_key: "chrome",
            // Chromium starts with its sandbox on or not at all: it is never given
            // --no-sandbox, and as root it runs as `nobody` so that it can be on.
            sandbox: SandboxState::Enabled,
            sandbox_detail: "the renderer runs inside Chromium's sandbox",
            // No command-line switch takes DevTools away; only a machine-wide policy.
            dev_tools_can_be_off: false,
            isolation_detail: "its app pages are sent COOP same-origin and COEP require-corp",
            isolation_app_wide: false,
            unsupported_changes: crate::window::UNSUPPORTED,
        }
    }

    fn proxy(&self) -> Arc<dyn EngineProxy> {
        Arc::new(Proxy {
            inputs: self.sender.clone(),
        })
    }

    fn run(mut self: Box<Self>) -> i32 {
        loop {
            let Ok(first) = self.inputs.recv() else {
                return 0;
            };
            let mut next = Some(first);
            // Everything waiting is taken at once, then each window's messages go in
            // one evaluation.
            while let Some(input) = next {
                if let Some(code) = self.handle(input) {
                    return code;
                }
                next = self.inputs.try_recv().ok();
            }
            let cdp = self.browser.cdp();
            for window in self.windows.values_mut() {
                window.page.flush(cdp);
            }
        }
    }
}

/// The app's way to the engine's thread.
struct Proxy {
    inputs: mpsc::Sender<Input>,
}

impl EngineProxy for Proxy {
    fn send(&self, command: Command) -> Result<(), Command> {
        self.inputs
            .send(Input::App(command))
            .map_err(|refused| match refused.0 {
                Input::App(command) => command,
                _ => Command::Quit { code: 1 },
            })
    }
}
