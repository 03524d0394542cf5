//! The app's origin on Chromium. Chromium sends no request for a custom scheme, so
//! the app's pages are served at a fixed `https` origin through the Fetch domain:
//! every request to it pauses (`Fetch.requestPaused`) and is fulfilled here, with
//! the same files, headers and Content-Security-Policy as WebKitGTK's `app://`.
//! The origin never changes, so a page's storage lasts across launches.
//!
//! Top-level documents from anywhere pause too, so that the page's own navigations
//! go through the window's navigation policy.

use base64::Engine as _;
use serde_json::{json, Value};

use crate::cdp::Cdp;
use crate::engine::text;
use crate::window::Window;

/// Where the app's own content is served on Chromium.
pub(crate) const ORIGIN: &str = "https://voltaic.localhost";

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

/// `url` with Chromium's stand-in for the app's origin put back to `app://localhost`,
/// so that allowed origins and sender frames read the same on every engine.
pub(crate) fn app_url(url: &str) -> String {
    match url.strip_prefix(ORIGIN) {
        Some(rest) if rest.is_empty() || rest.starts_with(['/', '?', '#']) => {
            format!("{APP_ORIGIN}{rest}")
        }
        _ => url.to_owned(),
    }
}

/// Decides and answers one paused request.
pub(crate) fn request_paused(window: &mut Window, cdp: &Cdp, params: &Value) {
    let session = Some(window.session.as_str());
    let id = text(params, "requestId").to_owned();
    let request = &params["request"];
    let url = text(request, "url");
    let document = text(params, "resourceType") == "Document";
    let top = params["frameId"].as_str() == Some(window.target.as_str());
    if document && !std::mem::take(&mut window.main_load) || document && !top {
        // The page's own navigation, or a frame's: as WebKitGTK's navigation
        // handler decides, with the app's origin under its engine-wide name.
        if !window.policy.allows_navigation(&app_url(url)) {
            cdp.post(
                session,
                "Fetch.failRequest",
                json!({ "requestId": id, "errorReason": "BlockedByClient" }),
            );
            return;
        }
    }
    if !url.starts_with(ORIGIN) {
        cdp.post(session, "Fetch.continueRequest", json!({ "requestId": id }));
        return;
    }
    let response = respond(window, request, url);
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
fn respond(window: &Window, request: &Value, url: &str) -> http::Response<Vec<u8>> {
    let method = text(request, "method");
    let path = url
        .strip_prefix(ORIGIN)
        .unwrap_or_default()
        .split(['?', '#'])
        .next()
        .unwrap_or_default();
    if let (Some(html), "/", "GET") = (&window.html, path, method) {
        // load_html's page, with no CSP header, as on WebKitGTK.
        return http::Response::builder()
            .header("Content-Type", "text/html; charset=utf-8")
            .body(html.clone().into_bytes())
            .unwrap_or_default();
    }
    let parsed = http::Request::builder()
        .method(method)
        .uri(url)
        .body(Vec::new());
    match parsed {
        Ok(parsed) => {
            let answer = window.content.respond(&parsed);
            let (parts, body) = answer.into_parts();
            http::Response::from_parts(parts, body.into_owned())
        }
        Err(_) => http::Response::builder()
            .status(400)
            .body(Vec::new())
            .unwrap_or_default(),
    }
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
