//! A cross-origin-isolated window's pages, served from a loopback HTTP origin.
//!
//! WebKitGTK puts a page in a cross-origin-isolated process only when its network
//! process loaded it: a page from a URI scheme handler such as `app://` never is,
//! whatever its COOP and COEP headers say. So an isolated window's app origin is
//! `http://127.0.0.1:<port>/<secret>`: the same files, headers and preload routes as
//! `app://localhost`, answered by the same code on the GTK thread. The secret path,
//! random for each window, keeps other local processes (and pages in browsers)
//! from reading through it; the app names the origin `app://localhost` everywhere
//! ([`voltaic_app::content::app_url`]).

use std::borrow::Cow;
use std::io::Read;
use std::sync::mpsc;
use std::time::Duration;

use voltaic_app::Error;
use wry::http::{Request, Response};

use crate::ops::Op;
use crate::scheme_handler::Responder;

/// Longest a request waits for its answer: a `sendSync` waits for the app's
/// listener, which may take its time; past this the page gets a 504.
const ANSWER_LIMIT: Duration = Duration::from_secs(120);

/// The environment switch that turns JavaScriptCore's `SharedArrayBuffer` on in
/// the web processes started after it is set.
pub(crate) const SHARED_ARRAY_BUFFER: &str = "JSC_useSharedArrayBuffer";

/// One window's loopback origin; its server stops when this is dropped, with
/// the window.
pub(crate) struct Loopback {
    /// `http://127.0.0.1:<port>/<secret>`, with no trailing `/`.
    pub(crate) base: String,
    server: std::sync::Arc<tiny_http::Server>,
}

impl Drop for Loopback {
    fn drop(&mut self) {
        self.server.unblock();
        voltaic_app::content::forget_app_origin(&self.base);
    }
}

impl Loopback {
    /// Starts the window's server on a port of its own, handing each request to
    /// the GTK thread through `ops`, with `body_limit` as the largest body read.
    pub(crate) fn start(
        window: u32,
        ops: async_channel::Sender<Op>,
        body_limit: usize,
    ) -> Result<Self, Error> {
        let server = tiny_http::Server::http("127.0.0.1:0")
            .map_err(|e| Error::WebView(format!("the loopback server did not start: {e}")))?;
        let port = server
            .server_addr()
            .to_ip()
            .map(|address| address.port())
            .ok_or_else(|| Error::WebView("the loopback server has no port".into()))?;
        let secret = voltaic_app::preload_routes::new_token()
            .map_err(|e| Error::WebView(format!("no randomness for the window's origin: {e}")))?;
        let prefix = format!("/{secret}");
        let server = std::sync::Arc::new(server);
        let accepting = server.clone();
        let spawned = std::thread::Builder::new()
            .name(format!("voltaic-loopback-{window}"))
            .spawn(move || {
                // Ends when the window drops its `Loopback` (`unblock`).
                for request in accepting.incoming_requests() {
                    if !under(&prefix, request.url()) {
                        let _ = request.respond(tiny_http::Response::empty(404));
                        continue;
                    }
                    let (ops, prefix) = (ops.clone(), prefix.clone());
                    // Each on its own thread: a sendSync waits for its answer.
                    let answering = std::thread::Builder::new()
                        .spawn(move || serve(window, &ops, &prefix, body_limit, request));
                    if let Err(error) = answering {
                        tracing::warn!(window, "a loopback request was dropped: {error}");
                    }
                }
            });
        spawned.map_err(|e| Error::WebView(format!("the loopback server did not start: {e}")))?;
        Ok(Self {
            base: format!("http://127.0.0.1:{port}/{secret}"),
            server,
        })
    }
}

/// Answers one request: under the secret path, as the `app://` scheme would;
/// anything else is not found.
fn serve(
    window: u32,
    ops: &async_channel::Sender<Op>,
    prefix: &str,
    body_limit: usize,
    mut request: tiny_http::Request,
) {
    let url = request.url().to_owned();
    let rest = url.strip_prefix(prefix).filter(|_| under(prefix, &url));
    let response = match rest {
        Some(rest) => match app_request(&mut request, rest, body_limit) {
            Some(app_request) => answer(window, ops, app_request),
            None => status(400),
        },
        None => status(404),
    };
    let (parts, body) = response.into_parts();
    let mut reply =
        tiny_http::Response::from_data(body.into_owned()).with_status_code(parts.status.as_u16());
    for (name, value) in &parts.headers {
        if let Ok(header) = tiny_http::Header::from_bytes(name.as_str(), value.as_bytes()) {
            reply.add_header(header);
        }
    }
    let _ = request.respond(reply);
}

/// Whether `url` (a request target) is under the secret path `prefix`.
fn under(prefix: &str, url: &str) -> bool {
    url.strip_prefix(prefix)
        .is_some_and(|rest| rest.is_empty() || rest.starts_with(['/', '?']))
}

/// The request as the `app://` scheme gets it: `app://localhost<rest>`.
fn app_request(
    request: &mut tiny_http::Request,
    rest: &str,
    body_limit: usize,
) -> Option<Request<Vec<u8>>> {
    let path = if rest.is_empty() || rest.starts_with('?') {
        format!("/{rest}")
    } else {
        rest.to_owned()
    };
    let mut builder = Request::builder()
        .uri(format!("app://localhost{path}"))
        .method(request.method().as_str());
    for header in request.headers() {
        builder = builder.header(header.field.as_str().as_str(), header.value.as_str());
    }
    let mut body = Vec::new();
    // One byte over the limit is read, so that a body over it is refused whole.
    let limit = u64::try_from(body_limit)
        .unwrap_or(u64::MAX)
        .saturating_add(1);
    request
        .as_reader()
        .take(limit)
        .read_to_end(&mut body)
        .ok()?;
    if body.len() > body_limit {
        return None;
    }
    builder.body(body).ok()
}

/// Hands `request` to the GTK thread and waits, within a bound, for the answer.
fn answer(
    window: u32,
    ops: &async_channel::Sender<Op>,
    request: Request<Vec<u8>>,
) -> Response<Cow<'static, [u8]>> {
    let (reply, answered) = mpsc::channel();
    let responder = Responder::Http(reply);
    if ops
        .try_send(Op::Serve {
            window,
            request: Box::new(request),
            responder,
        })
        .is_err()
    {
        return status(503);
    }
    answered
        .recv_timeout(ANSWER_LIMIT)
        .unwrap_or_else(|_| status(504))
}

fn status(code: u16) -> Response<Cow<'static, [u8]>> {
    Response::builder()
        .status(code)
        .body(Cow::Borrowed(&[][..]))
        .unwrap_or_default()
}
