//! The app's origin on Chromium. Chromium sends no request for a custom scheme, so
//! the app's pages are served at a fixed `https` origin through the Fetch domain:
//! every request to it pauses (`Fetch.requestPaused`) and is fulfilled here, with
//! the same files, headers and Content-Security-Policy as WebKitGTK's `app://`.
//! The origin never changes, so a page's storage lasts across launches.
//!
//! Top-level documents from anywhere pause too, so that the page's own navigations
//! go through the window's navigation policy.

use std::borrow::Cow;

use base64::Engine as _;
use serde_json::{json, Value};
use voltaic_app::preload_routes::{parcels, send_sync};

use crate::page::{text, Page, PageInput};
use crate::Cdp;

/// A response for the app's origin.
pub type Response = http::Response<Cow<'static, [u8]>>;

/// Where the app's own content is served on Chromium.
pub const ORIGIN: &str = "https://voltaic.localhost";

/// The app's origin as every engine names it to the main process.
const APP_ORIGIN: &str = voltaic_core::APP_ORIGIN;

/// `Fetch.enable`'s parameters: the app's origin, and every document.
pub(crate) fn patterns() -> Value {
    json!({
        "patterns": [
            { "urlPattern": format!("{ORIGIN}/*"), "requestStage": "Request" },
            { "urlPattern": "*", "resourceType": "Document", "requestStage": "Request" },
        ]
    })
}

/// What follows the app's origin in `url` (its path, query and fragment), when
/// `url` is on the app's origin.
fn on_app_origin(url: &str) -> Option<&str> {
    url.strip_prefix(ORIGIN)
        .filter(|rest| rest.is_empty() || rest.starts_with(['/', '?', '#']))
}

/// `url` with Chromium's stand-in for the app's origin put back to `app://localhost`,
/// so that allowed origins and sender frames read the same on every engine.
pub(crate) fn app_url(url: &str) -> String {
    match on_app_origin(url) {
        Some(rest) => format!("{APP_ORIGIN}{rest}"),
        None => url.to_owned(),
    }
}

/// Decides and answers one paused request.
pub(crate) fn request_paused(window: &mut Page, cdp: &Cdp, params: &Value) {
    let session = window.session.as_deref();
    let id = text(params, "requestId").to_owned();
    let request = &params["request"];
    let url = text(request, "url");
    let document = text(params, "resourceType") == "Document";
    let top = params["frameId"].as_str() == Some(window.main_frame.as_str());
    // The main process's own load of the top frame goes; the page's navigations,
    // and every frame's, are the window's navigation policy's to decide, as
    // WebKitGTK's navigation handler does, with the app's origin under its
    // engine-wide name.
    let app_load = document && top && std::mem::take(&mut window.main_load);
    if document && !app_load && !window.policy.allows_navigation(&app_url(url)) {
        // Aborted, not blocked: a blocked navigation would replace the page with
        // an error page, where WebKitGTK's denied one leaves it be.
        cdp.post(
            session,
            "Fetch.failRequest",
            json!({ "requestId": id, "errorReason": "Aborted" }),
        );
        return;
    }
    let Some(rest) = on_app_origin(url) else {
        cdp.post(session, "Fetch.continueRequest", json!({ "requestId": id }));
        return;
    };
    let path = rest.split(['?', '#']).next().unwrap_or_default();
    if path.starts_with(parcels::PREFIX) {
        return preload_route(window, cdp, id, path, request, url);
    }
    let response = respond(window, request, url);
    fulfill(cdp, window.session.as_deref(), &id, response);
}

/// Answers paused request `id` with `response`.
pub fn fulfill(cdp: &Cdp, session: Option<&str>, id: &str, response: Response) {
    let headers: Vec<Value> = response
        .headers()
        .iter()
        .map(|(name, value)| {
            json!({ "name": name.as_str(), "value": value.to_str().unwrap_or_default() })
        })
        .collect();
    cdp.post(
        session,
        "Fetch.fulfillRequest",
        json!({
            "requestId": id,
            "responseCode": response.status().as_u16(),
            "responseHeaders": headers,
            "body": base64::engine::general_purpose::STANDARD.encode(response.body()),
        }),
    );
}

/// The app's answer to a request for its origin.
fn respond(window: &Page, request: &Value, url: &str) -> Response {
    let method = text(request, "method");
    match http::Request::builder()
        .method(method)
        .uri(url)
        .body(Vec::new())
    {
        Ok(parsed) => window.content.respond(&parsed),
        Err(_) => send_sync::status(http::StatusCode::BAD_REQUEST),
    }
}

/// The preload's own routes: the bytes of messages and `sendSync`, each needing
/// the window's token.
fn preload_route(window: &mut Page, cdp: &Cdp, id: String, path: &str, request: &Value, url: &str) {
    let Some(parsed) = with_body(request, url) else {
        fulfill(
            cdp,
            window.session.as_deref(),
            &id,
            send_sync::status(http::StatusCode::BAD_REQUEST),
        );
        return;
    };
    if path == send_sync::PATH {
        // The binding's messages travel apart from this request: it waits until
        // every message the preload posted before it is in.
        let posted = parsed
            .headers()
            .get("x-voltaic-posted")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.parse::<u64>().ok())
            .unwrap_or(0);
        window.send_sync_after(posted, id, parsed);
    } else if path == voltaic_preload::WEB_FRAME_PATH {
        crate::web_frame::handle(window, cdp, id, parsed);
    } else {
        let response = parcels::handle(&window.outbox.parcels, &window.token, parsed);
        fulfill(cdp, window.session.as_deref(), &id, response);
    }
}

/// Hands a `sendSync` request of `window`'s preload to the app; the answer is
/// fulfilled from whichever thread the main process answers on.
pub(crate) fn send_sync(window: &mut Page, id: String, request: http::Request<Vec<u8>>) {
    let (to_engine, session, window_id) =
        (window.to_engine.clone(), window.session.clone(), window.id);
    let frame = window.sender_frame();
    send_sync::handle(
        &window.token,
        window.connection.clone(),
        || frame,
        request,
        &window.outbox.parcels,
        Box::new(move |response| {
            to_engine(PageInput::Fulfill {
                window: window_id,
                session,
                id,
                response,
            });
        }),
    );
}

/// The paused request as an HTTP request, with its headers and body.
fn with_body(request: &Value, url: &str) -> Option<http::Request<Vec<u8>>> {
    let mut body = Vec::new();
    if let Some(entries) = request["postDataEntries"].as_array() {
        for entry in entries {
            let bytes = base64::engine::general_purpose::STANDARD
                .decode(text(entry, "bytes"))
                .ok()?;
            body.extend_from_slice(&bytes);
        }
    } else if let Some(data) = request["postData"].as_str() {
        body.extend_from_slice(data.as_bytes());
    }
    let mut builder = http::Request::builder()
        .method(text(request, "method"))
        .uri(url);
    if let Some(headers) = request["headers"].as_object() {
        for (name, value) in headers {
            if let Some(value) = value.as_str() {
                builder = builder.header(name.as_str(), value);
            }
        }
    }
    builder.body(body).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_app_origin_reads_as_on_every_engine() {
        assert_eq!(
            app_url("https://voltaic.localhost/index.html?x#y"),
            "app://localhost/index.html?x#y"
        );
        assert_eq!(app_url("https://voltaic.localhost"), "app://localhost");
        assert_eq!(
            app_url("https://voltaic.localhost.evil.example/"),
            "https://voltaic.localhost.evil.example/"
        );
        assert_eq!(app_url("about:blank"), "about:blank");
    }
}
