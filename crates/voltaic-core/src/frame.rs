use std::sync::Arc;

use url::Url;

/// The frame a message came from, as the main process knows it from the webview,
/// never as the page claims it (Electron's `event.senderFrame`). Cheap to clone: a
/// transport builds one per document and hands a clone with each message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SenderFrame(Arc<Frame>);

#[derive(Debug, PartialEq, Eq)]
struct Frame {
    url: String,
    origin: String,
}

impl SenderFrame {
    /// Builds the frame description from the URL the webview reports for the sender.
    pub fn from_url(url: &str) -> Self {
        Self(Arc::new(Frame {
            url: url.to_owned(),
            origin: origin_of(url),
        }))
    }

    /// The frame's id (`event.frameId`): always the main frame's,
    /// [`crate::MAIN_FRAME_ID`], as only the main frame has a preload.
    pub fn frame_id(&self) -> u32 {
        crate::MAIN_FRAME_ID
    }

    /// The frame's URL when the message arrived.
    pub fn url(&self) -> &str {
        &self.0.url
    }

    /// The frame's origin: `scheme://host[:port]`, `file://` for local files, `null`
    /// for opaque origins (`data:`, `about:blank`, unparsable URLs).
    pub fn origin(&self) -> &str {
        &self.0.origin
    }
}

fn origin_of(url: &str) -> String {
    match Url::parse(url) {
        // The URL standard makes file: origins opaque; Electron reports them as `file://`,
        // which is what a user checking `origin` expects to compare against.
        Ok(parsed) if parsed.scheme() == "file" => "file://".to_owned(),
        // The URL standard also makes custom schemes opaque, but WebKit gives a
        // custom-scheme document the tuple origin `scheme://host[:port]`, and so does
        // Voltaic's own `app://` content.
        Ok(parsed) if !parsed.origin().is_tuple() => match parsed.host_str() {
            Some(host) if !host.is_empty() => match parsed.port() {
                Some(port) => format!("{}://{host}:{port}", parsed.scheme()),
                None => format!("{}://{host}", parsed.scheme()),
            },
            _ => "null".to_owned(),
        },
        Ok(parsed) => parsed.origin().ascii_serialization(),
        Err(_) => "null".to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn origins_follow_the_url_standard_with_electrons_file_rule() {
        assert_eq!(
            SenderFrame::from_url("https://example.com:8443/a?b").origin(),
            "https://example.com:8443"
        );
        assert_eq!(
            SenderFrame::from_url("file:///tmp/index.html").origin(),
            "file://"
        );
        assert_eq!(SenderFrame::from_url("data:text/html,hi").origin(), "null");
        assert_eq!(
            SenderFrame::from_url("app://localhost/index.html").origin(),
            "app://localhost"
        );
        assert_eq!(SenderFrame::from_url("about:blank").origin(), "null");
        assert_eq!(SenderFrame::from_url("not a url").origin(), "null");
    }
}
