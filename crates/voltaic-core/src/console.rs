use serde::{Deserialize, Serialize};

/// Severity of a forwarded `console.*` call.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ConsoleLevel {
    /// `console.debug`
    Debug,
    /// `console.log` and `console.info`
    #[serde(alias = "log")]
    Info,
    /// `console.warn`
    Warn,
    /// `console.error`, uncaught exceptions and unhandled rejections
    Error,
}

/// Which JS world wrote the message.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ConsoleSource {
    /// The web page.
    Page,
    /// The preload script (or Voltaic's preload runtime).
    Preload,
}

/// A console message forwarded from a renderer (Electron's `console-message` event).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConsoleMessage {
    /// The window whose renderer logged it.
    pub window_id: u32,
    /// Its severity.
    pub level: ConsoleLevel,
    /// The world that logged it.
    pub source: ConsoleSource,
    /// The arguments, formatted and joined with spaces as the console shows them.
    pub text: String,
}
