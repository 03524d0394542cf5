//! The displays tests run on: an Xvfb of the suite's own when there is no display,
//! and, for what only a window manager carries out, an Xvfb with openbox.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

/// Waits, within 15 s, for the first line of a child's `stdout` that `ready`
/// takes (trimmed), and gives it; or what the child said instead, if it ended.
/// The stream is read on to its end, so the child never writes to a closed pipe.
fn ready_line(
    stdout: std::process::ChildStdout,
    ready: impl Fn(&str) -> bool + Send + 'static,
) -> Result<String, String> {
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let mut said = String::new();
        let mut waiting = true;
        for line in BufReader::new(stdout).lines() {
            let Ok(line) = line else { break };
            let line = line.trim();
            if waiting && ready(line) {
                waiting = false;
                let _ = tx.send(Ok(line.to_owned()));
            } else if waiting {
                said.push_str(line);
                said.push('\n');
            }
        }
        let _ = tx.send(Err(format!("it ended, having said: {said:?}")));
    });
    rx.recv_timeout(Duration::from_secs(15))
        .map_err(|_| "nothing within 15 s".to_owned())?
}

/// An openbox managing one display, ended when dropped.
pub(crate) struct WindowManager(Child);

impl WindowManager {
    /// Starts openbox on `display`, and waits (within a bound) until it manages
    /// it: its startup command runs once it does.
    pub(crate) fn start(display: &str) -> Result<Self, String> {
        let mut manager = Command::new("openbox")
            .args(["--sm-disable", "--startup", "echo managing"])
            .env("DISPLAY", display)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .map_err(|e| format!("openbox could not start ({e}); install openbox"))?;
        let stdout = manager.stdout.take().ok_or("openbox has no stdout")?;
        // Its own messages come first on the same stream (a missing menu file).
        match ready_line(stdout, |line| line == "managing") {
            Ok(_) => Ok(Self(manager)),
            outcome => {
                let _ = manager.kill();
                let status = manager.wait();
                Err(format!(
                    "openbox did not start managing display {display} within 15 s: {outcome:?}, {status:?}"
                ))
            }
        }
    }
}

impl Drop for WindowManager {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// The X display the tests use: the caller's, or an Xvfb started for the run.
pub(crate) struct VirtualDisplay {
    pub(crate) name: String,
    server: Option<Child>,
}

impl VirtualDisplay {
    pub(crate) fn ensure() -> Result<Self, String> {
        if let Some(display) = std::env::var_os("DISPLAY").filter(|d| !d.is_empty()) {
            return Ok(Self {
                name: display.to_string_lossy().into_owned(),
                server: None,
            });
        }
        if cfg!(not(target_os = "linux")) {
            // Windows and macOS windows go on the desktop the tests run on.
            return Ok(Self {
                name: String::new(),
                server: None,
            });
        }
        Self::start()
    }

    /// Starts an Xvfb of its own.
    pub(crate) fn start() -> Result<Self, String> {
        // -displayfd makes Xvfb pick a free display and print its number when ready.
        let mut server = Command::new("Xvfb")
            .args([
                "-displayfd",
                "1",
                "-screen",
                "0",
                "1280x1024x24",
                "-nolisten",
                "tcp",
                // Without it Xvfb resets whenever its last client leaves, and a
                // test connecting during the reset fails to start GTK.
                "-noreset",
            ])
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .map_err(|e| format!("no DISPLAY and Xvfb could not start ({e}); install xvfb"))?;
        let stdout = server.stdout.take().ok_or("Xvfb has no stdout")?;
        match ready_line(stdout, |line| !line.is_empty()) {
            Ok(display) => Ok(Self {
                name: format!(":{display}"),
                server: Some(server),
            }),
            _ => {
                let _ = server.kill();
                Err("Xvfb did not report a display within 15 s".into())
            }
        }
    }
}

impl Drop for VirtualDisplay {
    fn drop(&mut self) {
        if let Some(server) = &mut self.server {
            let _ = server.kill();
            let _ = server.wait();
        }
    }
}
