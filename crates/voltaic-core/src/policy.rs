//! What one window's renderer may do over IPC: which channels it may use in each
//! direction, and from which origins its messages are accepted. The main process is
//! the authority: these checks run on every message, whatever the preload did.

use std::fmt;

use crate::IpcError;

/// A channel name, or every channel sharing a prefix: `"get-data"`, `"settings:*"`.
/// A lone `"*"` matches every channel.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ChannelPattern {
    text: String,
    prefix: Option<usize>,
}

impl ChannelPattern {
    /// Parses a pattern: an exact name, or a prefix followed by one trailing `*`.
    pub fn new(pattern: impl Into<String>) -> Result<Self, IpcError> {
        let text = pattern.into();
        let star = text.find('*');
        let prefix = match star {
            None => None,
            Some(at) if at == text.len() - 1 => Some(at),
            Some(_) => return Err(IpcError::InvalidPattern(text)),
        };
        if text.is_empty() || text.len() > crate::web_contents::MAX_CHANNEL_LEN {
            return Err(IpcError::InvalidPattern(text));
        }
        Ok(Self { text, prefix })
    }

    /// Whether `channel` is covered.
    pub fn matches(&self, channel: &str) -> bool {
        match self.prefix {
            Some(len) => channel.starts_with(&self.text[..len]),
            None => channel == self.text,
        }
    }

    /// The pattern as written.
    pub fn as_str(&self) -> &str {
        &self.text
    }

    /// Whether this is `*`, which grants every channel.
    pub fn is_wildcard(&self) -> bool {
        self.prefix == Some(0)
    }
}

impl fmt::Display for ChannelPattern {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

/// The three directions a channel can be granted for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Direction {
    /// `ipcRenderer.send` → `ipc_main.on`.
    Send,
    /// `ipcRenderer.invoke` → `ipc_main.handle`.
    Invoke,
    /// `web_contents.send` → `ipcRenderer.on`.
    Receive,
}

impl Direction {
    /// The word used in errors and reports: `send`, `invoke` or `receive`.
    pub fn as_str(self) -> &'static str {
        match self {
            Direction::Send => "send",
            Direction::Invoke => "invoke",
            Direction::Receive => "receive",
        }
    }
}

/// The channels one window may use. Default-deny: [`ChannelGrants::default`] grants
/// nothing, so a window that was given no grants can use no channel.
///
/// ```
/// use voltaic_core::{ChannelGrants, Direction};
///
/// let grants = ChannelGrants::new()
///     .invoke("get-data")
///     .send("message-channel")
///     .receive("update-channel")
///     .invoke("settings:*");
/// assert!(grants.allows(Direction::Invoke, "settings:theme"));
/// assert!(!grants.allows(Direction::Send, "get-data"));
/// ```
///
/// The builder methods panic on a malformed pattern (a `*` anywhere but at the end),
/// as they take literals written by the app's author; use [`ChannelGrants::try_grant`]
/// for patterns that come from elsewhere.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ChannelGrants {
    send: Vec<ChannelPattern>,
    invoke: Vec<ChannelPattern>,
    receive: Vec<ChannelPattern>,
}

impl ChannelGrants {
    /// No channel at all (the default).
    pub fn new() -> Self {
        Self::default()
    }

    /// Every channel in every direction. This switches the allowlist off; the
    /// security report flags windows that use it.
    pub fn all() -> Self {
        Self::new().send("*").invoke("*").receive("*")
    }

    /// Lets the renderer `ipcRenderer.send` on channels matching `pattern`.
    pub fn send(self, pattern: &str) -> Self {
        self.literal(Direction::Send, pattern)
    }

    /// Lets the renderer `ipcRenderer.invoke` channels matching `pattern`.
    pub fn invoke(self, pattern: &str) -> Self {
        self.literal(Direction::Invoke, pattern)
    }

    /// Lets the main process `web_contents.send` to the renderer on channels matching
    /// `pattern`.
    pub fn receive(self, pattern: &str) -> Self {
        self.literal(Direction::Receive, pattern)
    }

    fn literal(mut self, direction: Direction, pattern: &str) -> Self {
        match self.try_grant(direction, pattern) {
            Ok(()) => self,
            Err(error) => panic!("{error}"),
        }
    }

    /// Grants `pattern` for `direction`, or says why the pattern is malformed.
    pub fn try_grant(&mut self, direction: Direction, pattern: &str) -> Result<(), IpcError> {
        let pattern = ChannelPattern::new(pattern)?;
        self.list_mut(direction).push(pattern);
        Ok(())
    }

    /// Whether `channel` may be used in `direction`.
    pub fn allows(&self, direction: Direction, channel: &str) -> bool {
        self.list(direction).iter().any(|p| p.matches(channel))
    }

    /// The patterns granted for `direction`.
    pub fn list(&self, direction: Direction) -> &[ChannelPattern] {
        match direction {
            Direction::Send => &self.send,
            Direction::Invoke => &self.invoke,
            Direction::Receive => &self.receive,
        }
    }

    fn list_mut(&mut self, direction: Direction) -> &mut Vec<ChannelPattern> {
        match direction {
            Direction::Send => &mut self.send,
            Direction::Invoke => &mut self.invoke,
            Direction::Receive => &mut self.receive,
        }
    }

    /// Whether a `*` grant makes one direction wide open.
    pub fn has_wildcard(&self) -> bool {
        [&self.send, &self.invoke, &self.receive]
            .iter()
            .any(|list| list.iter().any(ChannelPattern::is_wildcard))
    }

    /// Checks one use of a channel, with the error the renderer gets when it is not
    /// granted.
    pub fn check(&self, direction: Direction, channel: &str) -> Result<(), IpcError> {
        if self.allows(direction, channel) {
            Ok(())
        } else {
            Err(IpcError::ChannelNotAllowed {
                channel: channel.chars().take(256).collect(),
                direction,
            })
        }
    }
}

/// The origins a window's messages are accepted from, compared with the origin the
/// webview reports for the sending document (see [`crate::SenderFrame::origin`]).
///
/// The default is the app's own content only: `app://localhost`, where Voltaic serves
/// `load_file` and `load_html`. A window that navigates anywhere else keeps its
/// preload, as in Electron, but every message it sends is refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AllowedOrigins {
    origins: Vec<String>,
    any: bool,
}

/// The origin Voltaic serves the app's own content from.
pub const APP_ORIGIN: &str = "app://localhost";

impl Default for AllowedOrigins {
    fn default() -> Self {
        Self {
            origins: vec![APP_ORIGIN.to_owned()],
            any: false,
        }
    }
}

impl AllowedOrigins {
    /// Only the app's own content (the default).
    pub fn app_only() -> Self {
        Self::default()
    }

    /// Also accepts messages from `origin` (`"https://example.com"`, `"file://"` for
    /// local files loaded with a `file:` URL, `"null"` for opaque origins such as
    /// `data:`).
    pub fn with(mut self, origin: impl Into<String>) -> Self {
        self.origins.push(origin.into());
        self
    }

    /// Accepts messages from any origin, remote pages included. This switches the
    /// check off; the security report flags windows that use it.
    pub fn any() -> Self {
        Self {
            origins: Vec::new(),
            any: true,
        }
    }

    /// Whether messages from `origin` are accepted.
    pub fn allows(&self, origin: &str) -> bool {
        self.any || self.origins.iter().any(|o| o == origin)
    }

    /// Whether every origin is accepted.
    pub fn is_any(&self) -> bool {
        self.any
    }

    /// The accepted origins (empty when [`AllowedOrigins::is_any`]).
    pub fn list(&self) -> &[String] {
        &self.origins
    }
}

/// Everything the main process enforces for one window.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct WindowPolicy {
    /// The channels the window may use.
    pub grants: ChannelGrants,
    /// The origins its messages are accepted from.
    pub origins: AllowedOrigins,
}

impl WindowPolicy {
    /// Every channel from any origin: for tests and tools, never the default.
    pub fn permissive() -> Self {
        Self {
            grants: ChannelGrants::all(),
            origins: AllowedOrigins::any(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn patterns_match_exact_names_and_prefixes() {
        let exact = ChannelPattern::new("get-data").unwrap();
        assert!(exact.matches("get-data"));
        assert!(!exact.matches("get-data2"));
        let prefix = ChannelPattern::new("settings:*").unwrap();
        assert!(prefix.matches("settings:theme"));
        assert!(prefix.matches("settings:"));
        assert!(!prefix.matches("setting"));
        assert!(ChannelPattern::new("*").unwrap().matches("anything"));
        for bad in ["", "a*b", "**", "*a"] {
            assert!(ChannelPattern::new(bad).is_err(), "accepted {bad:?}");
        }
    }

    #[test]
    fn grants_are_default_deny_and_per_direction() {
        let none = ChannelGrants::default();
        for direction in [Direction::Send, Direction::Invoke, Direction::Receive] {
            assert!(!none.allows(direction, "x"));
        }
        let grants = ChannelGrants::new().send("a").invoke("b:*");
        assert!(grants.allows(Direction::Send, "a"));
        assert!(!grants.allows(Direction::Invoke, "a"));
        assert!(grants.allows(Direction::Invoke, "b:c"));
        assert_eq!(
            grants
                .check(Direction::Receive, "a")
                .unwrap_err()
                .to_string(),
            "channel 'a' is not allowed for this window"
        );
        assert!(!grants.has_wildcard());
        assert!(ChannelGrants::all().has_wildcard());
    }

    #[test]
    fn origins_default_to_the_app_only() {
        let origins = AllowedOrigins::default();
        assert!(origins.allows("app://localhost"));
        assert!(!origins.allows("https://example.com"));
        assert!(!origins.allows("null"));
        assert!(!origins.allows("file://"));
        assert!(origins.clone().with("file://").allows("file://"));
        assert!(AllowedOrigins::any().allows("https://evil.example"));
    }
}
