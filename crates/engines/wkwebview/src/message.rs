//! Messages between the preload runtime and the main process, as WKWebView's
//! script message handlers carry them: the same shapes as on WebKitGTK, whose
//! `jsc_packet` and `reply` these mirror.
//!
//! - A post is its JSON text, or, when it has bytes, the array `[text, parcel]`:
//!   the bytes travel through the app's scheme (see `parcels`).
//! - An invoke is `<id> <json>` (or `[that, parcel]`) on the reply-capable
//!   handler; its answer settles the promise `postMessage` returned.

use voltaic_core::protocol::MainMessage;
use voltaic_core::{Bytes, Packet, SenderFrame};

/// A posted body, as read from the Objective-C object WebKit gives.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Body {
    /// A string.
    Text(String),
    /// A two-element array of a string and a number.
    WithParcel(String, f64),
    /// Anything else.
    Other,
}

/// The packet a post carries, its bytes claimed with `claim`; `None` for another
/// shape or a parcel that is not there.
pub(crate) fn packet(body: Body, claim: impl FnOnce(u64) -> Option<Vec<Bytes>>) -> Option<Packet> {
    match body {
        Body::Text(text) => Some(Packet::text(&text)),
        Body::WithParcel(text, parcel) => Some(Packet {
            text,
            buffers: claim(voltaic_preload::parcel_number(parcel)?)?,
        }),
        Body::Other => None,
    }
}

/// How an answer goes back through the reply handler.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Reply {
    /// Text alone, as the reply's error message: the runtime takes a message that
    /// starts with `{` for the answer. WebKit passes the string as it is, where a
    /// value is first serialized (as on WebKitGTK, where that was a quarter of the
    /// main thread's time per invoke).
    Text(String),
    /// A value, the array `[text, parcel]`, for an answer with bytes.
    WithParcel(String, u64),
    /// A refusal: the promise rejects with this message (never starting with `{`).
    Refused(String),
}

/// The reply for an answer's text and the parcel its bytes wait in.
pub(crate) fn reply(text: &str, parcel: Option<u64>) -> Reply {
    match parcel {
        Some(parcel) => Reply::WithParcel(text.to_owned(), parcel),
        None => Reply::Text(text.to_owned()),
    }
}

/// The answer that refuses invoke `id` for `reason`, as the page's promise sees it.
pub(crate) fn refusal(id: u64, reason: &str) -> String {
    MainMessage::Reject {
        id,
        error: format!("Error invoking remote method: {reason}"),
    }
    .to_json()
}

/// The sender of a message from a frame: only the main frame's preload talks to
/// the main process (its scripts are the main frame's only); its URL, as WebKit
/// reports the frame's request, names it.
pub(crate) fn sender(is_main_frame: bool, url: Option<&str>) -> Option<SenderFrame> {
    is_main_frame.then(|| SenderFrame::from_url(url.unwrap_or("about:blank")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn posts_read_as_on_webkitgtk() {
        let none = |_| None;
        assert_eq!(
            packet(Body::Text("[\"ch\"]".into()), none),
            Some(Packet::text("[\"ch\"]"))
        );
        let bytes = vec![Bytes::from(vec![1u8, 2, 3])];
        let claimed = packet(Body::WithParcel("[\"ch\"]".into(), 4.0), |parcel| {
            (parcel == 4).then(|| bytes.clone())
        });
        assert_eq!(claimed.map(|p| p.buffers), Some(bytes.clone()));
        // A parcel that is not a whole positive number, or is not there, is no
        // message.
        assert_eq!(
            packet(Body::WithParcel("x".into(), 4.5), |_| Some(bytes.clone())),
            None
        );
        assert_eq!(packet(Body::WithParcel("x".into(), 5.0), none), None);
        assert_eq!(packet(Body::Other, none), None);
    }

    #[test]
    fn answers_go_back_as_text_unless_they_have_bytes() {
        assert_eq!(
            reply("{\"t\":\"r\"}", None),
            Reply::Text("{\"t\":\"r\"}".into())
        );
        assert_eq!(
            reply("{\"t\":\"r\"}", Some(9)),
            Reply::WithParcel("{\"t\":\"r\"}".into(), 9)
        );
        let refused = refusal(3, "too many pending invokes");
        assert!(
            refused.starts_with('{'),
            "a refusal is an answer: {refused}"
        );
        assert!(refused.contains("too many pending invokes"));
    }

    #[test]
    fn only_the_main_frame_is_a_sender() {
        assert_eq!(sender(false, Some("app://localhost/index.html")), None);
        let frame = sender(true, Some("app://localhost/index.html")).unwrap();
        assert_eq!(frame.url(), "app://localhost/index.html");
        assert_eq!(sender(true, None).unwrap().url(), "about:blank");
    }
}
