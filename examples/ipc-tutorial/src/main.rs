//! Electron's IPC tutorial, ported: see the library for the three patterns.
//! `cargo run -p ipc-tutorial`.

use std::io::IsTerminal;
use std::sync::Arc;

use tracing_subscriber::EnvFilter;
use voltaic::App;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    tracing_subscriber::fmt()
        .with_ansi(std::io::stdout().is_terminal())
        .with_env_filter(
            EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info")),
        )
        .init();
    let app = App::new()?;
    ipc_tutorial::open(&app, Arc::new(ipc_tutorial::SystemDialog))?;
    std::process::exit(app.run());
}
