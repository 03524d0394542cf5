//! The synchronous channel behind `ipcRenderer.sendSync`: a synchronous
//! `XMLHttpRequest` from the preload to `<app origin>/__voltaic/send-sync`. The
//! renderer waits on it; the main process answers when a listener sets
//! `event.set_return_value`, without blocking its own thread meanwhile.

use std::borrow::Cow;
use std::sync::Arc;

use http::{header, Request, Response, StatusCode};
use serde_json::json;
use voltaic_core::{Connection, SenderFrame};

use super::parcels::SharedParcels;

/// Path of the synchronous channel under the app's origin.
pub const PATH: &str = "/__voltaic/send-sync";

/// Names the parcel holding a request's bytes, uploaded just before it.
const PARCEL_HEADER: &str = "x-voltaic-parcel";

/// A response to a request of the preload's routes, given once, from any thread.
pub type Respond = Box<dyn FnOnce(Response<Cow<'static, [u8]>>) + Send>;

/// Answers one request to [`PATH`] of the window whose token is `token`, with the
/// window's `connection` (`None` once it is closed) and the sender frame of its
/// current document, which the engine knows (never the request). Bytes go both ways
/// through `parcels`: the request names the parcel it uploaded, and an answer with
/// bytes names the parcel they wait in.
pub fn handle(
    token: &str,
    connection: Option<Arc<Connection>>,
    frame: impl FnOnce() -> SenderFrame,
    request: Request<Vec<u8>>,
    parcels: &SharedParcels,
    respond: Respond,
) {
    if request.method() != "POST" {
        return respond(status(StatusCode::METHOD_NOT_ALLOWED));
    }
    if !super::has_token(&request, token) {
        tracing::warn!("refused a sendSync request without the window's token");
        return respond(status(StatusCode::FORBIDDEN));
    }
    let Some(connection) = connection else {
        return respond(answer(Err("the window is closed".into()), parcels));
    };
    let parcel = request.headers().get(PARCEL_HEADER).map(|v| {
        v.to_str()
            .ok()
            .and_then(|n| n.parse::<u64>().ok())
            .and_then(|n| lock(parcels).claim(n))
    });
    let buffers = match parcel {
        None => Vec::new(),
        Some(Some(buffers)) => buffers,
        Some(None) => {
            return respond(answer(
                Err("the message's bytes are missing".into()),
                parcels,
            ))
        }
    };
    let Ok(text) = String::from_utf8(request.into_body()) else {
        return respond(answer(Err("the message is not UTF-8".into()), parcels));
    };
    let parcels = parcels.clone();
    connection.dispatch_sync(
        frame(),
        voltaic_core::Packet { text, buffers },
        Box::new(move |outcome| respond(answer(outcome, &parcels))),
    );
}

fn lock(parcels: &SharedParcels) -> std::sync::MutexGuard<'_, super::parcels::Parcels> {
    parcels
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

fn answer(
    outcome: Result<voltaic_core::Value, String>,
    parcels: &SharedParcels,
) -> Response<Cow<'static, [u8]>> {
    let mut buffers = Vec::new();
    let body = match outcome.map(|value| voltaic_core::wire::encode(&value, &mut buffers)) {
        Ok(value) if !buffers.is_empty() => {
            json!({ "ok": value, "parcel": lock(parcels).park(buffers) })
        }
        Ok(value) => json!({ "ok": value }),
        Err(error) => json!({ "err": error }),
    };
    json_response(&body)
}

/// `body` as an `application/json` response: the answers of the token channels.
pub fn json_response(body: &serde_json::Value) -> Response<Cow<'static, [u8]>> {
    let mut response = Response::new(Cow::Owned(body.to_string().into_bytes()));
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        header::HeaderValue::from_static("application/json"),
    );
    response
}

/// An empty response with `code`.
pub fn status(code: StatusCode) -> Response<Cow<'static, [u8]>> {
    let mut response = Response::new(Cow::Borrowed(&[][..]));
    *response.status_mut() = code;
    response
}
