//! A WebDriver server for an app (`WebKitWebDriver`, Debian's `webkit2gtk-driver`),
//! on a display of its own when there is none: a standard WebDriver client then
//! drives the app's first window.

use std::net::{Ipv4Addr, TcpListener, TcpStream};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::{json, Map, Value as Json};

use crate::display::VirtualDisplay;

/// A running `WebKitWebDriver`, ended when dropped. Each session it opens launches
/// the app with `VOLTAIC_AUTOMATION=1` and a data directory of the server's own;
/// a debug build of the app lets it in (see `voltaic::automation`).
pub struct WebDriver {
    server: Child,
    port: u16,
    data: std::path::PathBuf,
    _display: VirtualDisplay,
}

impl WebDriver {
    /// Starts the server and waits (at most 15 s) until it listens.
    pub fn start() -> Result<Self, String> {
        let display = VirtualDisplay::ensure()?;
        let port = TcpListener::bind((Ipv4Addr::LOCALHOST, 0))
            .and_then(|listener| listener.local_addr())
            .map_err(|e| format!("no free port: {e}"))?
            .port();
        let data =
            std::env::temp_dir().join(format!("voltaic-webdriver-{}-{port}", std::process::id()));
        let mut server = Command::new("WebKitWebDriver")
            .arg(format!("--port={port}"))
            .env("DISPLAY", &display.name)
            .env(voltaic::automation::AUTOMATION_ENV, "1")
            .env(voltaic::engine::DATA_DIR_ENV, &data)
            .env("NO_AT_BRIDGE", "1")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .map_err(|e| {
                format!("WebKitWebDriver could not start ({e}); install webkit2gtk-driver")
            })?;
        let deadline = Instant::now() + Duration::from_secs(15);
        while TcpStream::connect((Ipv4Addr::LOCALHOST, port)).is_err() {
            if Instant::now() > deadline || server.try_wait().ok().flatten().is_some() {
                let _ = server.kill();
                return Err(format!(
                    "WebKitWebDriver did not listen on port {port} within 15 s"
                ));
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        Ok(Self {
            server,
            port,
            data,
            _display: display,
        })
    }

    /// The server's address, for a WebDriver client.
    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// The capabilities of a session that launches `binary` with `args`.
    pub fn capabilities(binary: &Path, args: &[&str]) -> Map<String, Json> {
        let mut capabilities = Map::new();
        capabilities.insert(
            "webkitgtk:browserOptions".into(),
            json!({ "binary": binary, "args": args }),
        );
        capabilities
    }
}

impl Drop for WebDriver {
    fn drop(&mut self) {
        let _ = self.server.kill();
        let _ = self.server.wait();
        let _ = std::fs::remove_dir_all(&self.data);
    }
}

impl std::fmt::Debug for WebDriver {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WebDriver")
            .field("url", &self.url())
            .finish()
    }
}
