//! `ipcRenderer.sendSync` on WebKitGTK: requests to the window's `app://` scheme
//! are handed to the app's engine-independent handler (see
//! `voltaic_app::preload_routes::send_sync`) with the sender frame read from the
//! webview.

use std::sync::{Arc, OnceLock, Weak};

use voltaic_app::preload_routes::parcels::SharedParcels;
use voltaic_app::preload_routes::{new_token, send_sync};
use voltaic_core::{Connection, SenderFrame};
use webkit2gtk::glib::object::ObjectExt;
use webkit2gtk::glib::SendWeakRef;
use wry::http::Request;

use crate::scheme_handler::Responder;
use crate::transport;

pub(crate) use send_sync::{json_response, status, PATH};

/// One window's synchronous channel.
pub(crate) struct SyncChannel {
    token: String,
    target: OnceLock<(Weak<Connection>, SendWeakRef<webkit2gtk::WebView>)>,
}

impl SyncChannel {
    /// A channel with a fresh random token.
    pub(crate) fn new() -> std::io::Result<Self> {
        Ok(Self {
            token: new_token()?,
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

    /// Answers one request to [`PATH`]. Called on the GTK thread.
    pub(crate) fn handle(
        &self,
        request: Request<Vec<u8>>,
        parcels: &SharedParcels,
        responder: Responder,
    ) {
        let target = self
            .target
            .get()
            .and_then(|(connection, view)| Some((connection.upgrade()?, view.upgrade()?)));
        let (connection, view) = target.unzip();
        send_sync::handle(
            &self.token,
            connection,
            // The sender's identity comes from the webview, never from the request.
            || match view {
                Some(view) => SenderFrame::from_url(&transport::document_url(&view)),
                None => SenderFrame::from_url("about:blank"),
            },
            request,
            parcels,
            Box::new(move |response| responder.respond(response)),
        );
    }
}
