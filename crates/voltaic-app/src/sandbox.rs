//! Whether renderers run in a process sandbox: each engine finds out its own way
//! (bubblewrap for WebKitGTK, Chromium's own sandbox) and says so in the same terms.

/// Whether an engine's renderers run inside its process sandbox.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SandboxState {
    /// Every renderer process runs inside the sandbox.
    Enabled,
    /// The platform cannot sandbox: the reason (a tool missing, user namespaces
    /// unavailable, running as root where the engine refuses it).
    Unavailable(String),
    /// Switched off through the named environment variable.
    DisabledByEnvironment(&'static str),
}
