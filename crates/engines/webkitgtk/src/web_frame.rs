//! `webFrame` for a window's preload: the zoom factor, inserted CSS and script run in
//! the page's world. WebKitGTK lets only the main process do these (the zoom is the
//! web view's, a user style sheet is invisible to the page's DOM, and script the main
//! process evaluates is not subject to the page's Content-Security-Policy), so the
//! preload asks for them with an `XMLHttpRequest` to [`PATH`], carrying the window's
//! token as for `sendSync`: the page cannot make these requests.
//!
//! Zoom and CSS requests are synchronous on the preload's side (Electron's are) and
//! answered here at once, without waiting on the web process. `executeJavaScript`
//! requests are asynchronous: the web process must stay free to run the script.

use std::borrow::Cow;
use std::cell::RefCell;
use std::collections::HashMap;
use std::rc::Rc;

use serde::Deserialize;
use serde_json::json;
use webkit2gtk::glib::WeakRef;
use webkit2gtk::{
    LoadEvent, UserContentInjectedFrames, UserContentManagerExt, UserStyleLevel, UserStyleSheet,
    WebViewExt,
};
use wry::http::{Request, Response, StatusCode};

use crate::scheme_handler::Responder;
use crate::sync_channel::{json_response, status};
use crate::transport::isolated_world_name;
use voltaic_app::preload_routes::has_token;

/// Path of the `webFrame` requests under `app://localhost`.
pub(crate) const PATH: &str = "/__voltaic/web-frame";

/// Chromium's limits for the zoom factor, which Electron's `setZoomFactor` is
/// clamped to.
const MIN_ZOOM: f64 = 0.25;
const MAX_ZOOM: f64 = 5.0;

/// At most this many inserted style sheets per document: each is the preload's
/// doing, but a loop should not grow the main process without bound.
const MAX_SHEETS: usize = 1024;

/// One request, as the preload sends it.
#[derive(Debug, Deserialize)]
#[serde(tag = "op", rename_all = "kebab-case", deny_unknown_fields)]
enum FrameRequest {
    /// `webFrame.getZoomFactor()`.
    GetZoom,
    /// `webFrame.setZoomFactor(factor)`.
    SetZoom { factor: f64 },
    /// `webFrame.insertCSS(css, { cssOrigin })`, under the key the preload made.
    InsertCss {
        key: String,
        css: String,
        user: bool,
    },
    /// `webFrame.removeInsertedCSS(key)`.
    RemoveCss { key: String },
    /// `webFrame.executeJavaScript(code)`, or `executeJavaScriptInIsolatedWorld`
    /// with the world's id (0 is the page's world).
    Execute {
        code: String,
        #[serde(default)]
        world: u32,
    },
}

/// One window's `webFrame` state, on the GTK thread.
pub(crate) struct WebFrame {
    token: String,
    view: WeakRef<webkit2gtk::WebView>,
    /// The isolated worlds the window names, where script may be run.
    worlds: Vec<u32>,
    /// The style sheets the current document's preload inserted, by key.
    sheets: Rc<RefCell<HashMap<String, UserStyleSheet>>>,
}

impl WebFrame {
    /// The `webFrame` of `view`, whose preload sends `token`. Inserted CSS belongs
    /// to a document, as in Electron: it goes when the view navigates.
    pub(crate) fn new(view: &webkit2gtk::WebView, token: String, worlds: Vec<u32>) -> Self {
        let sheets: Rc<RefCell<HashMap<String, UserStyleSheet>>> = Rc::default();
        let leaving = sheets.clone();
        view.connect_load_changed(move |view, event| {
            if event == LoadEvent::Started {
                if let Some(manager) = view.user_content_manager() {
                    for sheet in leaving.borrow_mut().drain().map(|(_, sheet)| sheet) {
                        manager.remove_style_sheet(&sheet);
                    }
                }
            }
        });
        let weak = WeakRef::new();
        weak.set(Some(view));
        Self {
            token,
            view: weak,
            worlds,
            sheets,
        }
    }

    /// Answers one request to [`PATH`]. Called on the GTK thread.
    pub(crate) fn handle(&self, request: Request<Vec<u8>>, responder: Responder) {
        if request.method() != "POST" || !has_token(&request, &self.token) {
            tracing::warn!("refused a webFrame request without the window's token");
            return responder.respond(status(StatusCode::FORBIDDEN));
        }
        let Some(view) = self.view.upgrade() else {
            return responder.respond(answer(Err("the window is closed".into())));
        };
        let parsed: Result<FrameRequest, _> = serde_json::from_slice(request.body());
        match parsed {
            Err(error) => responder.respond(answer(Err(format!("malformed request: {error}")))),
            Ok(FrameRequest::Execute { code, world: 0 }) => {
                execute(&view, &code, None, move |outcome| {
                    responder.respond(answer(outcome));
                });
            }
            Ok(FrameRequest::Execute { code, world }) if self.worlds.contains(&world) => {
                execute(
                    &view,
                    &code,
                    Some(isolated_world_name(world)),
                    move |outcome| {
                        responder.respond(answer(outcome));
                    },
                );
            }
            Ok(FrameRequest::Execute { world, .. }) => responder.respond(answer(Err(format!(
                "world {world} is not one of this window's isolated worlds; \
                 name it in WebPreferences::isolated_worlds"
            )))),
            Ok(request) => responder.respond(answer(self.now(&view, request))),
        }
    }

    /// The requests answered at once.
    fn now(&self, view: &webkit2gtk::WebView, request: FrameRequest) -> Result<Value, String> {
        match request {
            FrameRequest::GetZoom => Ok(json!(view.zoom_level())),
            FrameRequest::SetZoom { factor } => {
                if !factor.is_finite() || factor <= 0.0 {
                    return Err("'zoomFactor' must be a double greater than 0.0".into());
                }
                view.set_zoom_level(factor.clamp(MIN_ZOOM, MAX_ZOOM));
                Ok(Value::Null)
            }
            FrameRequest::InsertCss { key, css, user } => {
                let manager = view
                    .user_content_manager()
                    .ok_or("the web view has no user content manager")?;
                let mut sheets = self.sheets.borrow_mut();
                if sheets.len() >= MAX_SHEETS {
                    return Err(format!(
                        "at most {MAX_SHEETS} style sheets can be inserted in one document"
                    ));
                }
                let level = if user {
                    UserStyleLevel::User
                } else {
                    UserStyleLevel::Author
                };
                // The window's top frame only: webFrame is the preload's frame.
                let sheet =
                    UserStyleSheet::new(&css, UserContentInjectedFrames::TopFrame, level, &[], &[]);
                manager.add_style_sheet(&sheet);
                if let Some(old) = sheets.insert(key, sheet) {
                    manager.remove_style_sheet(&old);
                }
                Ok(Value::Null)
            }
            FrameRequest::RemoveCss { key } => {
                if let (Some(sheet), Some(manager)) = (
                    self.sheets.borrow_mut().remove(&key),
                    view.user_content_manager(),
                ) {
                    manager.remove_style_sheet(&sheet);
                }
                Ok(Value::Null)
            }
            FrameRequest::Execute { .. } => Err("executeJavaScript is answered later".into()),
        }
    }
}

type Value = serde_json::Value;

/// Runs `code` in the page's world, or in the isolated world named `world`, and
/// answers with its result as JSON. An expression is run as an async function's
/// return value, so that a promise it gives is awaited, as Electron does; code that
/// is not an expression (statements) is run as a script and answers with its
/// completion value.
///
/// Which of the two it is, is asked first without running anything: a function
/// whose body mentions the code as an arrow function's is compiled by `new
/// Function` and never called. Trying the code as an expression and falling back
/// on a SyntaxError would run it twice when it throws a SyntaxError of its own
/// (`JSON.parse('{')`). `new Function` runs in Voltaic's isolated world, which the
/// page's CSP does not hold to, and its SyntaxError is caught there: a function
/// body that fails to compile where WebKit runs it is reported to the page as an
/// uncaught error, which its `error` listeners and the console would hear of on
/// every run of statements.
pub(crate) fn execute<D>(view: &webkit2gtk::WebView, code: &str, world: Option<String>, done: D)
where
    D: FnOnce(Result<Value, String>) + 'static,
{
    let body = format!("return typeof (async () => (\n{code}\n));");
    let literal = Value::String(body.clone()).to_string();
    let probe = format!(
        "try {{ new Function({literal}); return true; }} \
         catch (e) {{ if (e instanceof SyntaxError) return false; throw e; }}"
    );
    let (runner, code) = (view.clone(), code.to_owned());
    view.call_async_javascript_function(
        &probe,
        None,
        Some(voltaic_preload::ISOLATED_WORLD),
        None,
        None::<&webkit2gtk::gio::Cancellable>,
        move |answer| {
            use javascriptcore::ValueExt;
            match answer {
                Ok(expression) if expression.is_boolean() => {
                    run(&runner, &code, world, expression.to_boolean(), done);
                }
                // No answer: a WebKit holding its isolated worlds to the page's
                // CSP (an EvalError, which the page may also see reported as a
                // violation), or a preload that replaced `Function`. The body is
                // then compiled where the code will run, and a SyntaxError of it
                // reaches the page as before.
                _ => {
                    let (compiler, target) = (runner.clone(), world.clone());
                    compiler.call_async_javascript_function(
                        &body,
                        None,
                        target.as_deref(),
                        None,
                        None::<&webkit2gtk::gio::Cancellable>,
                        move |compiled| run(&runner, &code, world, compiled.is_ok(), done),
                    );
                }
            }
        },
    );
}

/// Runs `code`, an expression or statements, in `world`.
fn run<D>(view: &webkit2gtk::WebView, code: &str, world: Option<String>, expression: bool, done: D)
where
    D: FnOnce(Result<Value, String>) + 'static,
{
    let done = move |result| done(script_result(result));
    if expression {
        view.call_async_javascript_function(
            &format!("return (\n{code}\n);"),
            None,
            world.as_deref(),
            None,
            None::<&webkit2gtk::gio::Cancellable>,
            done,
        );
    } else {
        view.evaluate_javascript(
            code,
            world.as_deref(),
            None,
            None::<&webkit2gtk::gio::Cancellable>,
            done,
        );
    }
}

/// A script's result as JSON: `undefined` as `null`, anything JSON cannot hold as
/// an error naming it, an exception as its message.
fn script_result(
    result: Result<javascriptcore::Value, webkit2gtk::glib::Error>,
) -> Result<Value, String> {
    use javascriptcore::ValueExt;
    let value = result.map_err(|e| e.message().to_owned())?;
    if value.is_undefined() {
        return Ok(Value::Null);
    }
    let text = value
        .to_json(0)
        .ok_or("the script's result cannot be copied as JSON")?;
    serde_json::from_str(&text).map_err(|e| format!("the script's result is not JSON: {e}"))
}

fn answer(outcome: Result<Value, String>) -> Response<Cow<'static, [u8]>> {
    json_response(&match outcome {
        Ok(value) => json!({ "ok": value }),
        Err(error) => json!({ "err": error }),
    })
}
