//! The preload's private routes under the app's origin (`/__voltaic/...`): the
//! bytes of messages both ways and `ipcRenderer.sendSync`. Each engine serves its
//! app origin its own way (WebKitGTK's `app://` handler, Chromium's Fetch
//! interception) and hands these requests here.
//!
//! The page's world can reach these URLs too, so each window has a random token
//! that only its preload's world knows; a request without it is refused.

use std::io::Read;

pub mod parcels;
pub mod send_sync;

/// Header carrying the window's token.
pub const TOKEN_HEADER: &str = "x-voltaic-token";
/// Header listing the sizes of the buffers a body holds, in order.
pub const SIZES_HEADER: &str = "x-voltaic-sizes";

/// Whether `request` carries the window's `token` in [`TOKEN_HEADER`].
pub fn has_token<B>(request: &http::Request<B>, token: &str) -> bool {
    request
        .headers()
        .get(TOKEN_HEADER)
        .and_then(|v| v.to_str().ok())
        == Some(token)
}

/// A fresh random token for a window: 16 bytes from the system, in hex.
pub fn new_token() -> std::io::Result<String> {
    let mut bytes = [0u8; 16];
    std::fs::File::open("/dev/urandom")?.read_exact(&mut bytes)?;
    Ok(bytes.iter().map(|b| format!("{b:02x}")).collect())
}
