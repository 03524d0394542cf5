//! One window on Chromium: a page target of its own, attached as a flat session,
//! with its page set up by `voltaic_cdp::page` and the window sized to its content.

use std::sync::mpsc;
use std::sync::{Arc, Mutex, PoisonError};

use serde_json::{json, Value};
use voltaic_app::engine::{OpenedWindow, WindowOp, WindowSpec};
use voltaic_app::{Error, Rectangle, StateEvents, WindowChange, WindowState};
use voltaic_cdp::page::{Page, ToEngine, SETUP_LIMIT};
use voltaic_cdp::{Cdp, Event};

use crate::engine::Input;

/// What a Chromium `--app` window cannot do: the DevTools protocol moves, sizes
/// and changes the state of browser windows, and no more.
pub(crate) const UNSUPPORTED: &[(&str, &str)] = &[
    ("hide", "the DevTools protocol cannot hide a browser window"),
    (
        "blur",
        "the DevTools protocol can bring a window to the front, not send it back",
    ),
    (
        "setAlwaysOnTop",
        "the DevTools protocol has no always-on-top",
    ),
    ("setMinimumSize", "the DevTools protocol has no size limits"),
    ("setMaximumSize", "the DevTools protocol has no size limits"),
    (
        "setResizable",
        "the DevTools protocol cannot fix a window's size",
    ),
    (
        "setIcon",
        "an --app window shows its page's icon (<link rel=icon>)",
    ),
    ("frame", "an --app window always has the system's frame"),
    (
        "parent",
        "the DevTools protocol cannot make a window another's child",
    ),
    (
        "setApplicationMenu",
        "an --app window has no menu bar, and Chromium's windows are not the app's to add one",
    ),
];

/// What the engine's thread keeps of an open window.
pub(crate) struct Window {
    pub(crate) page: Page,
    pub(crate) target: String,
    /// The share of the window its frame takes (width, height), once measured.
    pub(crate) window_frame: Option<(i64, i64)>,
    /// The browser window's id, for `Browser.*Window*`.
    window_id: Option<i64>,
    /// Turns readings of the window into Electron's window events.
    readings: StateEvents,
    /// The engine's thread, for readings that come back from other threads.
    inputs: mpsc::Sender<Input>,
}

/// What comes back to a window on the engine's thread: readings of the page are
/// asked for without waiting, as the page may itself be waiting for this thread
/// (a request the engine serves).
pub(crate) enum WindowWork {
    /// A reading of the window, for its events.
    Read(Result<WindowState, Error>),
    /// The screen's available area, `[left, top, width, height]`, to center on.
    Screen(Value),
}

impl Window {
    /// Attaches to `target`, sets up its page, and sizes the window.
    pub(crate) fn open(
        cdp: &Cdp,
        target: String,
        spec: WindowSpec,
        to_engine: ToEngine,
        inputs: mpsc::Sender<Input>,
    ) -> Result<(Self, OpenedWindow), Error> {
        let attached = cdp
            .call(
                None,
                "Target.attachToTarget",
                json!({ "targetId": target, "flatten": true }),
                SETUP_LIMIT,
            )
            .map_err(|e| Error::WebView(format!("Target.attachToTarget: {e}")))?;
        let session = attached["sessionId"]
            .as_str()
            .ok_or_else(|| Error::WebView("Target.attachToTarget gave no session".into()))?
            .to_owned();
        let options = spec.options.clone();
        let id = spec.id;
        // A page target's main frame has the target's id.
        let (page, opened) = Page::open(
            cdp,
            Some(session.clone()),
            target.clone(),
            spec,
            to_engine,
            true,
        )?;
        let window_id = cdp
            .call(
                None,
                "Browser.getWindowForTarget",
                json!({ "targetId": target }),
                SETUP_LIMIT,
            )
            .map_err(|e| e.to_string())
            .and_then(|found| {
                found["windowId"]
                    .as_i64()
                    .ok_or_else(|| "Browser.getWindowForTarget gave no window id".to_owned())
            });
        let sized = window_id
            .clone()
            .and_then(|window_id| size_window(cdp, window_id, &session, &options));
        let window_frame = match sized {
            Ok(frame) => Some(frame),
            Err(error) => {
                tracing::warn!(window = id, "could not size the window: {error}");
                None
            }
        };
        let window_id = window_id.ok();
        let mut window = Self {
            page,
            target,
            window_frame,
            window_id,
            readings: StateEvents::default(),
            inputs,
        };
        if let Some((x, y)) = options.x.zip(options.y) {
            window.change(cdp, WindowChange::Position(x, y));
        }
        if options.center {
            window.change(cdp, WindowChange::Center);
        }
        if options.full_screen {
            window.change(cdp, WindowChange::FullScreen(true));
        }
        window.window_changed(cdp);
        Ok((window, opened))
    }

    /// Carries out one of the app's operations.
    pub(crate) fn execute(&mut self, cdp: &Cdp, op: WindowOp) {
        match op {
            WindowOp::Close => self.close_target(cdp),
            WindowOp::Change(change) => {
                self.change(cdp, change);
                self.window_changed(cdp);
            }
            WindowOp::State { done } => self.read_then(cdp, move |state| {
                let _ = done.send(state);
            }),
            op => self.page.execute(cdp, op),
        }
    }

    /// Handles an event of this window's session.
    pub(crate) fn event(&mut self, cdp: &Cdp, event: &Event) {
        self.page.event(cdp, event);
        if self.page.take_window_signal() {
            self.window_changed(cdp);
        }
        if let Some(title) = self.page.take_title_signal() {
            self.title_changed(&title);
        }
    }

    /// The page's title changed: `page-title-updated`. The `--app` window shows
    /// its page's title whatever the listeners say.
    fn title_changed(&mut self, title: &str) {
        if title.is_empty() {
            return;
        }
        self.page.title_shown(title);
        if !self.page.policy().title_updated(title) {
            tracing::debug!(
                window = self.page.id(),
                "page-title-updated prevented, but an --app window shows its page's title"
            );
        }
    }

    /// Reads the window; its listeners hear what changed ([`Window::work`]).
    fn window_changed(&self, cdp: &Cdp) {
        let (inputs, window) = (self.inputs.clone(), self.page.id());
        self.read_then(cdp, move |state| {
            let _ = inputs.send(Input::Window {
                window,
                work: WindowWork::Read(state),
            });
        });
    }

    /// What came back for this window.
    pub(crate) fn work(&mut self, cdp: &Cdp, work: WindowWork) {
        match work {
            WindowWork::Read(Ok(state)) => {
                for event in self.readings.update(&state) {
                    self.page.policy().window_event(event);
                }
            }
            WindowWork::Read(Err(error)) => {
                tracing::debug!(window = self.page.id(), "window not read: {error}");
            }
            WindowWork::Screen(screen) => self.center(cdp, &screen),
        }
    }

    /// Moves the window to the middle of `screen`'s available area.
    fn center(&self, cdp: &Cdp, screen: &Value) {
        let Some(window_id) = self.window_id else {
            return;
        };
        // The browser answers this one itself: no wait on the page.
        let Ok(found) = cdp.call(
            None,
            "Browser.getWindowBounds",
            json!({ "windowId": window_id }),
            SETUP_LIMIT,
        ) else {
            return;
        };
        let number = |i: usize| screen[i].as_i64().unwrap_or(0);
        let width = found["bounds"]["width"].as_i64().unwrap_or(0);
        let height = found["bounds"]["height"].as_i64().unwrap_or(0);
        cdp.post(
            None,
            "Browser.setWindowBounds",
            json!({ "windowId": window_id, "bounds": {
                "left": number(0) + (number(2) - width).max(0) / 2,
                "top": number(1) + (number(3) - height).max(0) / 2,
            }}),
        );
    }

    /// Makes `change` through the DevTools protocol. What it cannot make was
    /// refused before it came here (see [`UNSUPPORTED`]).
    fn change(&mut self, cdp: &Cdp, change: WindowChange) {
        let Some(window_id) = self.window_id else {
            tracing::warn!(window = self.page.id(), "the browser window is unknown");
            return;
        };
        let bounds = |bounds: Value| {
            if let Err(error) = cdp.call(
                None,
                "Browser.setWindowBounds",
                json!({ "windowId": window_id, "bounds": bounds }),
                SETUP_LIMIT,
            ) {
                tracing::warn!(window_id, "Browser.setWindowBounds: {error}");
            }
        };
        let session = self.page.session().map(str::to_owned);
        let to_front = || {
            cdp.post(session.as_deref(), "Page.bringToFront", json!({}));
        };
        match change {
            WindowChange::Show | WindowChange::Focus => to_front(),
            WindowChange::Restore => {
                bounds(json!({ "windowState": "normal" }));
                to_front();
            }
            WindowChange::Minimize => bounds(json!({ "windowState": "minimized" })),
            WindowChange::Maximize => bounds(json!({ "windowState": "maximized" })),
            WindowChange::FullScreen(true) => bounds(json!({ "windowState": "fullscreen" })),
            WindowChange::Unmaximize | WindowChange::FullScreen(false) => {
                bounds(json!({ "windowState": "normal" }));
            }
            // Moves and sizes apply to a window in its normal state only.
            WindowChange::Bounds(to) => {
                bounds(json!({ "windowState": "normal" }));
                bounds(json!({
                    "left": to.x, "top": to.y, "width": to.width, "height": to.height,
                }));
            }
            WindowChange::Position(x, y) => {
                bounds(json!({ "windowState": "normal" }));
                bounds(json!({ "left": x, "top": y }));
            }
            WindowChange::ContentSize(width, height) => {
                if let Err(error) = cdp.call(
                    None,
                    "Browser.setContentsSize",
                    json!({ "windowId": window_id, "width": width, "height": height }),
                    SETUP_LIMIT,
                ) {
                    tracing::warn!(window_id, "Browser.setContentsSize: {error}");
                }
            }
            WindowChange::Center => {
                let (inputs, window) = (self.inputs.clone(), self.page.id());
                self.evaluate_then(
                    cdp,
                    "[screen.availLeft, screen.availTop, screen.availWidth, screen.availHeight]",
                    move |screen| {
                        if let Ok(screen) = screen {
                            let work = WindowWork::Screen(screen);
                            let _ = inputs.send(Input::Window { window, work });
                        }
                    },
                );
            }
            other => tracing::warn!(window_id, "{} is not made on Chromium", other.name()),
        }
    }

    /// Reads what the window is now, and gives it to `then` on another thread:
    /// the browser's bounds and state, and what the preload's world reads of the
    /// page's size, focus and visibility, asked for together.
    fn read_then(&self, cdp: &Cdp, then: impl FnOnce(Result<WindowState, Error>) + Send + 'static) {
        let Some(window_id) = self.window_id else {
            then(Err(Error::Window("the browser window is unknown".into())));
            return;
        };
        let joined = Arc::new(Mutex::new(Reading {
            bounds: None,
            page: None,
            then: Some(Box::new(then)),
        }));
        let bounds = joined.clone();
        cdp.call_then(
            None,
            "Browser.getWindowBounds",
            json!({ "windowId": window_id }),
            move |answer| {
                let answer = answer
                    .map(|found| found["bounds"].clone())
                    .map_err(|e| Error::Window(format!("Browser.getWindowBounds: {e}")));
                Reading::arrived(&bounds, |r| r.bounds = Some(answer));
            },
        );
        self.evaluate_then(
            cdp,
            "[innerWidth, innerHeight, document.hasFocus()]",
            move |answer| Reading::arrived(&joined, |r| r.page = Some(answer)),
        );
    }

    /// Evaluates `expression` in the preload's world, where the page's own
    /// globals (which it may have replaced) are not seen, and gives its value to
    /// `then` on another thread.
    fn evaluate_then(
        &self,
        cdp: &Cdp,
        expression: &str,
        then: impl FnOnce(Result<Value, Error>) + Send + 'static,
    ) {
        let mut params = json!({ "expression": expression, "returnByValue": true });
        if let Some(context) = self.page.world_context() {
            params["uniqueContextId"] = json!(context);
        }
        cdp.call_then(
            self.page.session(),
            "Runtime.evaluate",
            params,
            move |answer| {
                then(
                    answer
                        .map(|answer| answer["result"]["value"].clone())
                        .map_err(|e| Error::Window(format!("Runtime.evaluate: {e}"))),
                );
            },
        );
    }

    /// The window is gone: its sends fail from now on, and its target is closed.
    pub(crate) fn closed(self, cdp: &Cdp) {
        self.close_target(cdp);
        self.page.closed();
    }

    fn close_target(&self, cdp: &Cdp) {
        cdp.post(
            None,
            "Target.closeTarget",
            json!({ "targetId": self.target }),
        );
    }
}

type ReadThen = Box<dyn FnOnce(Result<WindowState, Error>) + Send>;

/// The two halves of a window's reading, as they arrive.
struct Reading {
    bounds: Option<Result<Value, Error>>,
    page: Option<Result<Value, Error>>,
    then: Option<ReadThen>,
}

impl Reading {
    /// Takes one half; once both are in, gives the reading.
    fn arrived(joined: &Mutex<Reading>, set: impl FnOnce(&mut Reading)) {
        let mut reading = joined.lock().unwrap_or_else(PoisonError::into_inner);
        set(&mut reading);
        let (Some(bounds), Some(page)) = (&reading.bounds, &reading.page) else {
            return;
        };
        let state = match (bounds, page) {
            (Ok(bounds), Ok(page)) => Ok(state_of(bounds, page)),
            (Err(error), _) | (_, Err(error)) => Err(Error::Window(error.to_string())),
        };
        if let Some(then) = reading.then.take() {
            drop(reading);
            then(state);
        }
    }
}

/// A window's state from the browser's `bounds` and the page's
/// `[innerWidth, innerHeight, hasFocus]`.
fn state_of(bounds: &Value, page: &Value) -> WindowState {
    let number = |key: &str| bounds[key].as_i64().unwrap_or(0);
    let size = |key: &str| u32::try_from(number(key)).unwrap_or(0);
    let inner = |i: usize| {
        page[i]
            .as_u64()
            .and_then(|n| u32::try_from(n).ok())
            .unwrap_or(0)
    };
    let mut state = WindowState::default();
    state.bounds = Rectangle {
        x: i32::try_from(number("left")).unwrap_or(0),
        y: i32::try_from(number("top")).unwrap_or(0),
        width: size("width"),
        height: size("height"),
    };
    state.content_size = (inner(0), inner(1));
    state.focused = page[2].as_bool().unwrap_or(false);
    let window_state = bounds["windowState"].as_str().unwrap_or("normal");
    state.minimized = window_state == "minimized";
    state.maximized = window_state == "maximized";
    state.full_screen = window_state == "fullscreen";
    // An --app window is never hidden; the page's visibilityState also says
    // hidden when other windows cover it, which Electron's `hide` does not mean.
    state.visible = true;
    state.resizable = true;
    state
}

/// Gives the window's page the options' size (the size of the content, as on
/// WebKitGTK): Chromium sizes whole windows, so the frame's share is measured and
/// added. Each resize is waited for, as the page sees it, within a bound. Returns
/// the frame's share.
fn size_window(
    cdp: &Cdp,
    window_id: i64,
    session: &str,
    options: &voltaic_app::BrowserWindowOptions,
) -> Result<(i64, i64), String> {
    // Chromium sizes the window around the contents (`Browser.setContentsSize`),
    // which leaves the frame's share to it.
    let set = |width: i64, height: i64| {
        cdp.call(
            None,
            "Browser.setContentsSize",
            json!({ "windowId": window_id, "width": width, "height": height }),
            SETUP_LIMIT,
        )
        .map_err(|e| e.to_string())
    };
    // [innerWidth, innerHeight, outerWidth, outerHeight], once `done` says so.
    let wait = |what: &str,
                limit: std::time::Duration,
                done: &dyn Fn(&[i64]) -> bool|
     -> Result<Vec<i64>, String> {
        let deadline = std::time::Instant::now() + limit;
        loop {
            let sizes = cdp
                .call(
                    Some(session),
                    "Runtime.evaluate",
                    json!({
                        "expression": "[innerWidth, innerHeight, outerWidth, outerHeight]",
                        "returnByValue": true,
                    }),
                    SETUP_LIMIT,
                )
                .map_err(|e| e.to_string())?;
            let sizes: Vec<i64> = sizes["result"]["value"]
                .as_array()
                .map(|v| v.iter().filter_map(Value::as_i64).collect())
                .unwrap_or_default();
            if sizes.len() == 4 && done(&sizes) {
                return Ok(sizes);
            }
            if std::time::Instant::now() > deadline {
                return Err(format!("{what} did not happen within {limit:?}: {sizes:?}"));
            }
            std::thread::sleep(std::time::Duration::from_millis(20));
        }
    };
    let (width, height) = (i64::from(options.width), i64::from(options.height));
    let sizes = wait("the page's size", SETUP_LIMIT, &|_| true)?;
    let frame = |s: &[i64]| (s[2] - s[0], s[3] - s[1]);
    if sizes[0] == width && sizes[1] == height {
        return Ok(frame(&sizes));
    }
    // Asked again each second until the page has the size, within the bound: a
    // window Chromium has just made can still take its first size after ours.
    let deadline = std::time::Instant::now() + SETUP_LIMIT;
    loop {
        set(width, height)?;
        let sized = |s: &[i64]| s[0] == width && s[1] == height;
        match wait(
            "the page's resize",
            std::time::Duration::from_secs(1),
            &sized,
        ) {
            Ok(sizes) => return Ok(frame(&sizes)),
            Err(error) if std::time::Instant::now() > deadline => return Err(error),
            Err(_) => {}
        }
    }
}
