//! The synchronous channel behind `ipcRenderer.sendSync`: a synchronous
//! `XMLHttpRequest` from the preload to `app://localhost/__voltaic/send-sync`. The web
//! process waits on it; the main process answers when a listener sets
//! `event.set_return_value`, without blocking its own thread meanwhile.
//!
//! The page's world can reach that URL too, so each window has a random token that
//! only its preload's world knows; a request without it is refused.

use std::borrow::Cow;
use std::io::Read;
use std::sync::{Arc, OnceLock, Weak};

use serde_json::json;
use voltaic_core::{Connection, SenderFrame};
use webkit2gtk::glib::object::ObjectExt;
use webkit2gtk::glib::SendWeakRef;
use wry::http::{header, Request, Response, StatusCode};

use crate::parcels::SharedParcels;
use crate::scheme_handler::{Responder, TOKEN_HEADER};
use crate::transport;

/// Path of the synchronous channel under `app://localhost`.
pub(crate) const PATH: &str = "/__voltaic/send-sync";

/// Names the parcel holding a request's bytes, uploaded just before it.
const PARCEL_HEADER: &str = "x-voltaic-parcel";

/// One window's synchronous channel.
pub(crate) struct SyncChannel {
    token: String,
    target: OnceLock<(Weak<Connection>, SendWeakRef<webkit2gtk::WebView>)>,
}

impl SyncChannel {
    /// A channel with a fresh random token.
    pub(crate) fn new() -> std::io::Result<Self> {
        let mut bytes = [0u8; 16];
        std::fs::File::open("/dev/urandom")?.read_exact(&mut bytes)?;
        Ok(Self {
            token: bytes.iter().map(|b| format!("{b:02x}")).collect(),
            target: OnceLock::new(),
        })
    }

    /// The token the window's preload sends with each request.
    pub(crate) fn token(&self) -> &str {
        &self.token
    }

    /// Where requests go, once the window's connection and webview exist.
    pub(crate) fn connect(&self, connection: &Arc<Connection>, view: &webkit2gtk::WebView) {
        let _ = self
            .target
            .set((Arc::downgrade(connection), view.downgrade().into()));
    }

    /// Answers one request to [`PATH`]. Called on the GTK thread. Bytes go both ways
    /// through `parcels`: the request names the parcel it uploaded, and an answer
    /// with bytes names the parcel they wait in.
    pub(crate) fn handle(
        &self,
        request: Request<Vec<u8>>,
        parcels: &SharedParcels,
        responder: Responder,
    ) {
        if request.method() != "POST" {
            return responder.respond(status(StatusCode::METHOD_NOT_ALLOWED));
        }
        let token = request
            .headers()
            .get(TOKEN_HEADER)
            .and_then(|v| v.to_str().ok());
        if token != Some(self.token.as_str()) {
            tracing::warn!("refused a sendSync request without the window's token");
            return responder.respond(status(StatusCode::FORBIDDEN));
        }
        let Some((connection, view)) = self
            .target
            .get()
            .and_then(|(connection, view)| Some((connection.upgrade()?, view.upgrade()?)))
        else {
            return responder.respond(answer(Err("the window is closed".into()), parcels));
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
                return responder.respond(answer(
                    Err("the message's bytes are missing".into()),
                    parcels,
                ))
            }
        };
        let Ok(text) = String::from_utf8(request.into_body()) else {
            return responder.respond(answer(Err("the message is not UTF-8".into()), parcels));
        };
        // The sender's identity comes from the webview, never from the request.
        let frame = SenderFrame::from_url(&transport::document_url(&view));
        let parcels = parcels.clone();
        connection.dispatch_sync(
            frame,
            voltaic_core::Packet { text, buffers },
            Box::new(move |outcome| responder.respond(answer(outcome, &parcels))),
        );
    }
}

fn lock(parcels: &SharedParcels) -> std::sync::MutexGuard<'_, crate::parcels::Parcels> {
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
pub(crate) fn json_response(body: &serde_json::Value) -> Response<Cow<'static, [u8]>> {
    let mut response = Response::new(Cow::Owned(body.to_string().into_bytes()));
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        header::HeaderValue::from_static("application/json"),
    );
    response
}

pub(crate) fn status(code: StatusCode) -> Response<Cow<'static, [u8]>> {
    let mut response = Response::new(Cow::Borrowed(&[][..]));
    *response.status_mut() = code;
    response
}
