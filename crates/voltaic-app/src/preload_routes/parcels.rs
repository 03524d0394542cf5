//! The bytes of IPC messages. The engines' message channels carry strings well
//! (WebKit's script message handlers hand ArrayBuffers over as empty objects; a
//! DevTools binding takes one string), so bytes take the app's origin instead, as
//! raw request and response bodies:
//!
//! - renderer → main: the preload POSTs a message's buffers to
//!   `<app origin>/__voltaic/upload` and then posts the message itself, through the
//!   usual channel, with the parcel number it got back;
//! - main → renderer: the message is delivered with a parcel number, and the preload
//!   GETs `<app origin>/__voltaic/parcel/<n>` before handing the message on.
//!
//! Either way the message keeps its place in its window's order, and a parcel is
//! handed out once. Requests need the window's token (as `sendSync` does), which only
//! the preload's world knows.

use std::borrow::Cow;
use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};

use http::{header, HeaderValue, Request, Response, StatusCode};
use voltaic_core::Bytes;

use super::SIZES_HEADER;

/// Path prefix of the preload's routes under the app's origin.
pub const PREFIX: &str = "/__voltaic/";
const UPLOAD: &str = "/__voltaic/upload";
const DOWNLOAD: &str = "/__voltaic/parcel/";
/// Most buffers one message may carry.
const MAX_BUFFERS: usize = 4096;

/// One window's parcels, both ways.
pub type SharedParcels = Arc<Mutex<Parcels>>;

/// Bytes waiting to be claimed, by parcel number.
pub struct Parcels {
    uploaded: HashMap<u64, Vec<Bytes>>,
    uploaded_bytes: usize,
    outgoing: HashMap<u64, Vec<Bytes>>,
    next: u64,
    /// Largest upload, and most bytes uploaded but not yet claimed.
    max_upload: usize,
}

impl Parcels {
    /// A store whose uploads may not exceed `max_upload` bytes each (the message size
    /// limit); twice that may wait unclaimed.
    pub fn new(max_upload: usize) -> SharedParcels {
        Arc::new(Mutex::new(Self {
            uploaded: HashMap::new(),
            uploaded_bytes: 0,
            outgoing: HashMap::new(),
            next: 1,
            max_upload,
        }))
    }

    /// Keeps `buffers` for the renderer to fetch; returns their parcel number.
    pub fn park(&mut self, buffers: Vec<Bytes>) -> u64 {
        let parcel = self.next;
        self.next += 1;
        self.outgoing.insert(parcel, buffers);
        parcel
    }

    /// The buffers the renderer uploaded as `parcel`, once.
    pub fn claim(&mut self, parcel: u64) -> Option<Vec<Bytes>> {
        let buffers = self.uploaded.remove(&parcel)?;
        self.uploaded_bytes -= buffers.iter().map(Bytes::len).sum::<usize>();
        Some(buffers)
    }

    /// A new document: the old one's bytes, both ways, are dropped.
    pub fn clear(&mut self) {
        self.uploaded.clear();
        self.uploaded_bytes = 0;
        self.outgoing.clear();
    }
}

/// Answers a request under [`PREFIX`] other than the sendSync channel's.
pub fn handle(
    parcels: &SharedParcels,
    token: &str,
    request: Request<Vec<u8>>,
) -> Response<Cow<'static, [u8]>> {
    if !super::has_token(&request, token) {
        tracing::warn!("refused a byte transfer without the window's token");
        return status(StatusCode::FORBIDDEN, "");
    }
    let path = request.uri().path();
    let mut parcels = parcels.lock().unwrap_or_else(PoisonError::into_inner);
    if path == UPLOAD && request.method() == "POST" {
        return parcels.upload(request);
    }
    if let Some(number) = path.strip_prefix(DOWNLOAD) {
        let parcel = number.parse::<u64>().ok();
        return match parcel.and_then(|p| parcels.outgoing.remove(&p)) {
            Some(buffers) => body_of(buffers),
            None => status(
                StatusCode::NOT_FOUND,
                "no bytes wait under that parcel number",
            ),
        };
    }
    status(StatusCode::NOT_FOUND, "")
}

impl Parcels {
    fn upload(&mut self, request: Request<Vec<u8>>) -> Response<Cow<'static, [u8]>> {
        let (parts, body) = request.into_parts();
        if body.len() > self.max_upload {
            return status(
                StatusCode::PAYLOAD_TOO_LARGE,
                "the bytes exceed the message size limit",
            );
        }
        if self.uploaded_bytes + body.len() > 2 * self.max_upload {
            return status(
                StatusCode::TOO_MANY_REQUESTS,
                "too many bytes wait unclaimed",
            );
        }
        let Some(sizes) = parts
            .headers
            .get(SIZES_HEADER)
            .and_then(|v| v.to_str().ok())
            .and_then(parse_sizes)
            .filter(|sizes| sizes.iter().sum::<usize>() == body.len())
        else {
            return status(StatusCode::BAD_REQUEST, "the sizes do not match the body");
        };
        // The request's own buffer, taken over rather than copied (25 ms for 50 MB);
        // each buffer is a view of it.
        let whole = Bytes::from(body);
        let mut at = 0;
        let buffers = sizes
            .into_iter()
            .map(|size| {
                let buffer = whole.slice(at..at + size);
                at += size;
                buffer
            })
            .collect();
        let parcel = self.next;
        self.next += 1;
        self.uploaded_bytes += whole.len();
        self.uploaded.insert(parcel, buffers);
        status(StatusCode::OK, &parcel.to_string())
    }
}

fn parse_sizes(text: &str) -> Option<Vec<usize>> {
    if text.is_empty() {
        return Some(Vec::new());
    }
    let sizes: Vec<usize> = text
        .split(',')
        .map(|s| s.parse().ok())
        .collect::<Option<_>>()?;
    (sizes.len() <= MAX_BUFFERS).then_some(sizes)
}

fn body_of(buffers: Vec<Bytes>) -> Response<Cow<'static, [u8]>> {
    let sizes: Vec<String> = buffers.iter().map(|b| b.len().to_string()).collect();
    let body = match <[Bytes; 1]>::try_from(buffers) {
        // The common case, one buffer: no concatenation.
        Ok([one]) => Vec::from(one),
        Err(buffers) => buffers.concat(),
    };
    let mut response = Response::new(Cow::Owned(body));
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/octet-stream"),
    );
    if let Ok(value) = HeaderValue::from_str(&sizes.join(",")) {
        headers.insert(SIZES_HEADER, value);
    }
    response
}

fn status(code: StatusCode, text: &str) -> Response<Cow<'static, [u8]>> {
    let mut response = Response::new(Cow::Owned(text.as_bytes().to_vec()));
    *response.status_mut() = code;
    response
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::preload_routes::TOKEN_HEADER;

    fn request(
        method: &str,
        path: &str,
        token: &str,
        sizes: &str,
        body: &[u8],
    ) -> Request<Vec<u8>> {
        Request::builder()
            .method(method)
            .uri(format!("app://localhost{path}"))
            .header(TOKEN_HEADER, token)
            .header(SIZES_HEADER, sizes)
            .body(body.to_vec())
            .unwrap()
    }

    #[test]
    fn uploads_are_claimed_once_and_downloads_fetched_once() {
        let parcels = Parcels::new(100);
        let up = handle(&parcels, "t", request("POST", UPLOAD, "t", "2,3", b"abcde"));
        assert_eq!(up.status(), StatusCode::OK);
        let parcel: u64 = std::str::from_utf8(up.body()).unwrap().parse().unwrap();
        let claimed = parcels.lock().unwrap().claim(parcel).unwrap();
        assert_eq!(
            claimed,
            vec![Bytes::from_static(b"ab"), Bytes::from_static(b"cde")]
        );
        assert!(parcels.lock().unwrap().claim(parcel).is_none());

        let parked = parcels
            .lock()
            .unwrap()
            .park(vec![Bytes::from_static(b"xy")]);
        let path = format!("{DOWNLOAD}{parked}");
        let down = handle(&parcels, "t", request("GET", &path, "t", "", b""));
        assert_eq!(down.body().as_ref(), b"xy");
        assert_eq!(down.headers()[SIZES_HEADER], "2");
        let again = handle(&parcels, "t", request("GET", &path, "t", "", b""));
        assert_eq!(again.status(), StatusCode::NOT_FOUND);
    }

    #[test]
    fn bad_uploads_are_refused() {
        let parcels = Parcels::new(10);
        let cases = [
            (
                request("POST", UPLOAD, "wrong", "1", b"a"),
                StatusCode::FORBIDDEN,
            ),
            (
                request("POST", UPLOAD, "t", "2", b"a"),
                StatusCode::BAD_REQUEST,
            ),
            (
                request("POST", UPLOAD, "t", "x", b"a"),
                StatusCode::BAD_REQUEST,
            ),
            (
                request("POST", UPLOAD, "t", "11", &[0; 11]),
                StatusCode::PAYLOAD_TOO_LARGE,
            ),
            (
                request("GET", "/__voltaic/parcel/99", "t", "", b""),
                StatusCode::NOT_FOUND,
            ),
        ];
        for (request, expected) in cases {
            assert_eq!(handle(&parcels, "t", request).status(), expected);
        }
        for _ in 0..2 {
            let ok = handle(&parcels, "t", request("POST", UPLOAD, "t", "10", &[0; 10]));
            assert_eq!(ok.status(), StatusCode::OK);
        }
        let full = handle(&parcels, "t", request("POST", UPLOAD, "t", "1", b"a"));
        assert_eq!(full.status(), StatusCode::TOO_MANY_REQUESTS);
    }
}
