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

use voltaic_app::Error;

pub(crate) use voltaic_app::preload_routes::{SIZES_HEADER, TOKEN_HEADER};
/// Largest body read into a buffer sized in advance.
const MAX_PRESIZED: usize = 1 << 30;

/// Answers one request, once, from any thread.
pub(crate) enum Responder {
    /// A request of the `app://` scheme.
    Scheme(ThreadGuard<URISchemeRequest>),
    /// A request to the window's loopback server (see `loopback`).
    Http(std::sync::mpsc::Sender<Response<Cow<'static, [u8]>>>),
}

impl Responder {
    /// Sends `response` (a scheme request's on the GTK thread).
    pub(crate) fn respond(self, response: Response<Cow<'static, [u8]>>) {
        match self {
            Self::Scheme(guard) => {
                MainContext::default().invoke(move || finish(guard.get_ref(), response));
            }
            Self::Http(answer) => {
                let _ = answer.send(response);
            }
        }
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
            let expected = builder.headers_ref().and_then(expected_length);
            read_body(request, expected)
        } else {
            Vec::new()
        };
        match builder.body(body) {
            Ok(http_request) => route(
                http_request,
                Responder::Scheme(ThreadGuard::new(request.clone())),
            ),
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

/// The body's length as the preload announced it: the sum of its buffers' sizes
/// (`X-Voltaic-Sizes`), else `Content-Length`.
fn expected_length(headers: &wry::http::HeaderMap) -> Option<usize> {
    let text = |name: &str| headers.get(name).and_then(|v| v.to_str().ok());
    match text(SIZES_HEADER) {
        Some(sizes) => sizes
            .split(',')
            .try_fold(0usize, |sum, size| sum.checked_add(size.parse().ok()?)),
        None => text("content-length")?.parse().ok(),
    }
}

/// Reads the whole body (see [`read_all`]).
fn read_body(request: &URISchemeRequest, expected: Option<usize>) -> Vec<u8> {
    let Some(stream) = request.http_body() else {
        return Vec::new();
    };
    read_all(
        |into| {
            stream
                .read(into, None::<&webkit2gtk::gio::Cancellable>)
                .unwrap_or(0)
        },
        expected,
    )
}

/// Reads from `read` (which returns 0 at the end, or on an error) until the end. With
/// the length known, the bytes are read straight into a buffer of that size, each
/// copied once rather than through a chunk (5 ms less for 50 MB).
fn read_all(mut read: impl FnMut(&mut [u8]) -> usize, expected: Option<usize>) -> Vec<u8> {
    // The length comes from the preload, which holds the token, yet it does not get
    // to make an allocation without bound.
    let mut body = vec![0u8; expected.unwrap_or(0).min(MAX_PRESIZED)];
    let mut filled = 0;
    while filled < body.len() {
        match read(&mut body[filled..]) {
            0 => break,
            count => filled += count,
        }
    }
    body.truncate(filled);
    // What the announced length left out: nothing, normally, or all of it.
    let mut chunk = vec![0u8; 1 << 16];
    loop {
        match read(&mut chunk) {
            0 => break,
            count => body.extend_from_slice(&chunk[..count]),
        }
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

#[cfg(test)]
mod tests {
    use super::*;

    /// A stream giving `data` at most `step` bytes a read.
    fn reader(data: &[u8], step: usize) -> impl FnMut(&mut [u8]) -> usize + '_ {
        let mut at = 0;
        move |into: &mut [u8]| {
            let count = into.len().min(step).min(data.len() - at);
            into[..count].copy_from_slice(&data[at..at + count]);
            at += count;
            count
        }
    }

    #[test]
    fn a_body_is_read_whole_whatever_length_was_announced() {
        let data: Vec<u8> = (0..200_000u32).map(|i| (i % 251) as u8).collect();
        for expected in [Some(200_000), Some(150_000), Some(300_000), Some(0), None] {
            for step in [1 << 20, 4096, 7] {
                let body = read_all(reader(&data, step), expected);
                assert!(
                    body == data,
                    "announced {expected:?}, read {step} at a time"
                );
            }
        }
    }

    #[test]
    fn the_announced_length_is_the_sum_of_the_sizes_else_content_length() {
        let headers = |pairs: &[(&'static str, &'static str)]| {
            let mut map = wry::http::HeaderMap::new();
            for (name, value) in pairs {
                map.insert(*name, HeaderValue::from_static(value));
            }
            map
        };
        let length = |pairs| expected_length(&headers(pairs));
        assert_eq!(
            length(&[(SIZES_HEADER, "2,3"), ("content-length", "9")]),
            Some(5)
        );
        assert_eq!(length(&[("content-length", "9")]), Some(9));
        assert_eq!(length(&[(SIZES_HEADER, "")]), None);
        assert_eq!(length(&[(SIZES_HEADER, "1,x")]), None);
        assert_eq!(length(&[(SIZES_HEADER, "18446744073709551615,1")]), None);
        assert_eq!(length(&[]), None);
    }
}
