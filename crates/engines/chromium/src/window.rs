//! One window on Chromium: a page target of its own, attached as a flat session,
//! with its page set up by `voltaic_cdp::page` and the window sized to its content.

use serde_json::{json, Value};
use voltaic_app::engine::{OpenedWindow, WindowOp, WindowSpec};
use voltaic_app::Error;
use voltaic_cdp::page::{Page, ToEngine, SETUP_LIMIT};
use voltaic_cdp::{Cdp, Event};

/// What the engine's thread keeps of an open window.
pub(crate) struct Window {
    pub(crate) page: Page,
    pub(crate) target: String,
    /// The share of the window its frame takes (width, height), once measured.
    pub(crate) window_frame: Option<(i64, i64)>,
}

impl Window {
    /// Attaches to `target`, sets up its page, and sizes the window.
    pub(crate) fn open(
        cdp: &Cdp,
        target: String,
        spec: WindowSpec,
        to_engine: ToEngine,
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
        let (page, opened) =
            Page::open(cdp, Some(session.clone()), target.clone(), spec, to_engine)?;
        let window_frame = match size_window(cdp, &target, &session, &options) {
            Ok(frame) => Some(frame),
            Err(error) => {
                tracing::warn!(window = id, "could not size the window: {error}");
                None
            }
        };
        let window = Self {
            page,
            target,
            window_frame,
        };
        Ok((window, opened))
    }

    /// Carries out one of the app's operations.
    pub(crate) fn execute(&mut self, cdp: &Cdp, op: WindowOp) {
        match op {
            WindowOp::Close => self.close_target(cdp),
            op => self.page.execute(cdp, op),
        }
    }

    /// Handles an event of this window's session.
    pub(crate) fn event(&mut self, cdp: &Cdp, event: &Event) {
        self.page.event(cdp, event);
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

/// Gives the window's page the options' size (the size of the content, as on
/// WebKitGTK): Chromium sizes whole windows, so the frame's share is measured and
/// added. Each resize is waited for, as the page sees it, within a bound. Returns
/// the frame's share.
fn size_window(
    cdp: &Cdp,
    target: &str,
    session: &str,
    options: &voltaic_app::BrowserWindowOptions,
) -> Result<(i64, i64), String> {
    let window = cdp
        .call(
            None,
            "Browser.getWindowForTarget",
            json!({ "targetId": target }),
            SETUP_LIMIT,
        )
        .map_err(|e| e.to_string())?;
    // Chromium sizes the window around the contents (`Browser.setContentsSize`),
    // which leaves the frame's share to it.
    let set = |width: i64, height: i64| {
        cdp.call(
            None,
            "Browser.setContentsSize",
            json!({ "windowId": window["windowId"], "width": width, "height": height }),
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
