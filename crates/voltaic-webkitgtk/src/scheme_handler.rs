//! The `app://` scheme's handler, registered on the window's own WebKit context
//! rather than through wry, to control one thing: when a request's body is read.
//!
//! WebKit 2.50's `webkit_uri_scheme_request_get_http_body` crashes the main process
//! (SIGSEGV) for a request whose body is a `Blob`, and any page can send one
//! (`fetch('app://localhost/x', { method: 'POST', body: new Blob(['a']) })`). wry
//! reads every body, so a page could take the app down with one line. Here a body is
//! read only for a request carrying the window's token, which only its preload knows
//! and whose requests never have Blob bodies; every other request gets an empty body.

use std::borrow::Cow;

use webkit2gtk::gio::prelude::InputStreamExtManual;
use webkit2gtk::glib::thread_guard::ThreadGuard;
use webkit2gtk::glib::MainContext;
use webkit2gtk::{
    SecurityManagerExt, URISchemeRequest, URISchemeRequestExt, URISchemeResponse,
    URISchemeResponseExt, WebContextExt, WebViewExt,
};
use wry::http::{header, HeaderName, HeaderValue, Request, Response};

use crate::Error;

/// Header carrying the window's token.
pub(crate) const TOKEN_HEADER: &str = "x-voltaic-token";

/// Answers one request, once, from any thread.
pub(crate) struct Responder(ThreadGuard<URISchemeRequest>);

impl Responder {
    /// Sends `response` (the work is done on the GTK thread).
    pub(crate) fn respond(self, response: Response<Cow<'static, [u8]>>) {
        let guard = self.0;
        MainContext::default().invoke(move || finish(guard.get_ref(), response));
    }
}

/// Registers `scheme` on `view`'s context (wry gives each webview its own), as a
/// secure scheme, with `route` answering its requests.
pub(crate) fn register(
    view: &webkit2gtk::WebView,
    scheme: &str,
    token: String,
    route: impl Fn(Request<Vec<u8>>, Responder) + 'static,
) -> Result<(), Error> {
    let context = view
        .context()
        .ok_or_else(|| Error::WebView("the webview has no context".into()))?;
    context
        .security_manager()
        .ok_or_else(|| Error::WebView("the webview has no security manager".into()))?
        .register_uri_scheme_as_secure(scheme);
    context.register_uri_scheme(scheme, move |request| {
        let Some(uri) = request.uri() else {
            return;
        };
        let mut builder = Request::builder()
            .uri(uri.as_str())
            .method(request.http_method().as_deref().unwrap_or("GET"));
        let mut trusted = false;
        if let (Some(headers), Some(map)) = (request.http_headers(), builder.headers_mut()) {
            headers.foreach(|name, value| {
                if let (Ok(name), Ok(value)) = (
                    HeaderName::from_bytes(name.as_bytes()),
                    HeaderValue::from_bytes(value.as_bytes()),
                ) {
                    trusted |=
                        name.as_str() == TOKEN_HEADER && value.as_bytes() == token.as_bytes();
                    map.insert(name, value);
                }
            });
        }
        let body = if trusted {
            read_body(request)
        } else {
            Vec::new()
        };
        match builder.body(body) {
            Ok(http_request) => route(http_request, Responder(ThreadGuard::new(request.clone()))),
            Err(_) => finish(
                request,
                Response::builder()
                    .status(400)
                    .body(Cow::Borrowed(&[][..]))
                    .unwrap_or_default(),
            ),
        }
    });
    Ok(())
}

fn read_body(request: &URISchemeRequest) -> Vec<u8> {
    let Some(stream) = request.http_body() else {
        return Vec::new();
    };
    let mut body = Vec::new();
    let mut chunk = vec![0u8; 1 << 16];
    while let Ok(count) = stream.read(&mut chunk[..], None::<&webkit2gtk::gio::Cancellable>) {
        if count == 0 {
            break;
        }
        body.extend_from_slice(&chunk[..count]);
    }
    body
}

fn finish(request: &URISchemeRequest, response: Response<Cow<'static, [u8]>>) {
    let (parts, body) = response.into_parts();
    // Owned bodies (parcels can be megabytes) are handed over without a copy.
    let body = match body {
        Cow::Owned(bytes) => webkit2gtk::glib::Bytes::from_owned(bytes),
        Cow::Borrowed(bytes) => webkit2gtk::glib::Bytes::from_static(bytes),
    };
    let size = body.len() as i64;
    let input = webkit2gtk::gio::MemoryInputStream::from_bytes(&body);
    let answer = URISchemeResponse::new(&input, size);
    answer.set_status(u32::from(parts.status.as_u16()), None);
    if let Some(content_type) = parts
        .headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
    {
        answer.set_content_type(content_type);
    }
    let headers = soup::MessageHeaders::new(soup::MessageHeadersType::Response);
    for (name, value) in &parts.headers {
        if let Ok(value) = value.to_str() {
            headers.append(name.as_str(), value);
        }
    }
    answer.set_http_headers(headers);
    request.finish_with_response(&answer);
}
