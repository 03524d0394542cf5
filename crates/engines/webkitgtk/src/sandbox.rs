//! The web process sandbox. WebKitGTK 4.1 can run each web process inside
//! bubblewrap, but leaves that off unless asked before its first process starts, and
//! aborts if asked later. Voltaic asks at `App::new`, before any web context exists,
//! when bubblewrap can actually create its namespaces here; otherwise it says why not.

use std::process::{Command, Stdio};

use voltaic_app::SandboxState;

/// WebKit's own switches, read when its first web process starts.
const FORCE: &str = "WEBKIT_FORCE_SANDBOX";
const DISABLE: &str = "WEBKIT_DISABLE_SANDBOX_THIS_IS_DANGEROUS";

/// Turns the sandbox on when the platform allows. Must run before GTK or any other
/// thread starts, as it sets an environment variable.
pub(crate) fn enable() -> SandboxState {
    if std::env::var_os(DISABLE).is_some_and(|v| !v.is_empty()) {
        tracing::warn!("web process sandbox disabled by {DISABLE}");
        return SandboxState::DisabledByEnvironment(DISABLE);
    }
    match probe() {
        Ok(()) => {
            std::env::set_var(FORCE, "1");
            tracing::debug!("web processes run in the bubblewrap sandbox");
            SandboxState::Enabled
        }
        Err(reason) => {
            tracing::warn!("web process sandbox unavailable: {reason}");
            SandboxState::Unavailable(reason)
        }
    }
}

/// Checks that bubblewrap can make the namespaces WebKit's sandbox uses.
fn probe() -> Result<(), String> {
    let output = Command::new("bwrap")
        .args([
            "--ro-bind",
            "/",
            "/",
            "--unshare-all",
            "--die-with-parent",
            "true",
        ])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .output()
        .map_err(|e| {
            format!("bubblewrap (bwrap) cannot run: {e}; install the bubblewrap package")
        })?;
    if output.status.success() {
        Ok(())
    } else {
        Err(format!(
            "bubblewrap cannot create namespaces here: {}",
            String::from_utf8_lossy(&output.stderr).trim()
        ))
    }
}
