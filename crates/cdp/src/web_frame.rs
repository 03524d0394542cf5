//! `webFrame` for a window's preload on Chromium. As on WebKitGTK, the preload asks
//! the main process with an `XMLHttpRequest` carrying the window's token (see
//! `voltaic-webkitgtk`'s `web_frame`, whose requests these are).
//!
//! Script runs through `Runtime.evaluate` in the main frame's context of the world
//! asked for (the page's, or an isolated world the window names), awaiting a
//! promise it gives, as Electron does. The zoom factor and inserted CSS have no
//! DevTools command that keeps them out of the page's reach, and are refused with a
//! message that says so (see the README's engine table).

use serde::Deserialize;
use serde_json::{json, Value};
use voltaic_app::preload_routes::has_token;
use voltaic_app::preload_routes::send_sync::{json_response, status};

use crate::page::{Page, PageInput};
use crate::serve::{fulfill, Response};
use crate::Cdp;

/// One request, as the preload sends it.
#[derive(Debug, Deserialize)]
#[serde(tag = "op", rename_all = "kebab-case")]
enum FrameRequest {
    /// `webFrame.executeJavaScript(code)`, or `executeJavaScriptInIsolatedWorld`
    /// with the world's id (0 is the page's world).
    Execute {
        code: String,
        #[serde(default)]
        world: u32,
    },
    /// Zoom and CSS: not on Chromium yet.
    #[serde(other)]
    Other,
}

/// Answers one `webFrame` request of `window`'s preload.
pub(crate) fn handle(window: &Page, cdp: &Cdp, id: String, request: http::Request<Vec<u8>>) {
    if request.method() != "POST" || !has_token(&request, &window.token) {
        tracing::warn!("refused a webFrame request without the window's token");
        return fulfill(
            cdp,
            window.session.as_deref(),
            &id,
            status(http::StatusCode::FORBIDDEN),
        );
    }
    let parsed: Result<FrameRequest, _> = serde_json::from_slice(request.body());
    let (code, world) = match parsed {
        Err(error) => {
            let refused = answer(Err(format!("malformed request: {error}")));
            return fulfill(cdp, window.session.as_deref(), &id, refused);
        }
        Ok(FrameRequest::Other) => {
            let refused = answer(Err(
                "webFrame's zoom and insertCSS are not available on the Chromium engine yet".into(),
            ));
            return fulfill(cdp, window.session.as_deref(), &id, refused);
        }
        Ok(FrameRequest::Execute { code, world }) => (code, world),
    };
    let name = match world {
        0 => String::new(),
        world if window.worlds.contains(&world) => format!("voltaic-world-{world}"),
        world => {
            let refused = answer(Err(format!(
                "world {world} is not one of this window's isolated worlds; \
                 name it in WebPreferences::isolated_worlds"
            )));
            return fulfill(cdp, window.session.as_deref(), &id, refused);
        }
    };
    let (to_engine, session, window_id) =
        (window.to_engine.clone(), window.session.clone(), window.id);
    evaluate(window, cdp, &code, &name, move |outcome| {
        to_engine(PageInput::Fulfill {
            window: window_id,
            session,
            id,
            response: answer(outcome),
        });
    });
}

/// Runs `code` in the main frame's context of world `world` (`""`: the page's),
/// awaiting a promise it gives; its result as JSON goes to `done`, on another
/// thread.
pub(crate) fn evaluate(
    window: &Page,
    cdp: &Cdp,
    code: &str,
    world: &str,
    done: impl FnOnce(Result<Value, String>) + Send + 'static,
) {
    let Some((_, context)) = window.contexts.get(world) else {
        return done(Err("the page has no document to run script in".into()));
    };
    cdp.call_then(
        window.session.as_deref(),
        "Runtime.evaluate",
        json!({
            "expression": code,
            "uniqueContextId": context,
            "awaitPromise": true,
            "returnByValue": true,
        }),
        move |evaluated| {
            done(
                evaluated
                    .map_err(|e| e.to_string())
                    .and_then(|result| script_result(&result)),
            );
        },
    );
}

/// A script's result as JSON: `undefined` as `null`, an exception as its message.
fn script_result(evaluated: &Value) -> Result<Value, String> {
    if let Some(details) = evaluated.get("exceptionDetails") {
        let exception = &details["exception"];
        let message = exception["description"]
            .as_str()
            .and_then(|d| d.lines().next())
            .or_else(|| details["text"].as_str())
            .unwrap_or("the script threw");
        // V8 names the error before its message ("Error: boom"), as WebKit's does not.
        let message = message
            .split_once(": ")
            .filter(|(name, _)| name.ends_with("Error"))
            .map_or(message, |(_, rest)| rest);
        return Err(message.to_owned());
    }
    let result = &evaluated["result"];
    if result["type"] == "undefined" {
        return Ok(Value::Null);
    }
    result
        .get("value")
        .cloned()
        .ok_or_else(|| "the script's result cannot be copied as JSON".to_owned())
}

fn answer(outcome: Result<Value, String>) -> Response {
    json_response(&match outcome {
        Ok(value) => json!({ "ok": value }),
        Err(error) => json!({ "err": error }),
    })
}
