//! The notes app: `window.notes`, declared once in Rust (see the library), used by a
//! page that type-checks against the generated `web/voltaic.d.ts`.
//!
//! - `cargo run -p notes` opens the app.
//! - `cargo run -p notes -- --write-types web/voltaic.d.ts` writes the TypeScript
//!   declarations of the contract, and beside them the page's mock for its unit
//!   tests (`voltaic-mock.js`, `voltaic-mock.d.ts`), and exits without opening a
//!   window: the command for a build script.
//!
//! Set `VOLTAIC_SCREENSHOT=out.png` to save a screenshot once the page has added its
//! first note, and quit.

use std::path::Path;
use std::time::Duration;

use voltaic::{App, IpcMain};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().collect();
    if let Some(at) = args.iter().position(|a| a == "--write-types") {
        let path = args.get(at + 1).ok_or("--write-types needs a path")?;
        return write_types(Path::new(path));
    }

    tracing_subscriber::fmt().init();
    let app = App::new()?;
    let (_notes, window) = notes::open(&app)?;

    if let Some(path) = std::env::var_os("VOLTAIC_SCREENSHOT") {
        let (shot, handle) = (window.clone(), app.handle());
        app.set_timeout(Duration::from_secs(2), move || {
            let capture = shot.capture_page(std::path::PathBuf::from(path));
            handle.clone().spawn(async move {
                if let Err(error) = capture.await {
                    eprintln!("no screenshot: {error}");
                }
                handle.quit();
            });
        });
    }
    std::process::exit(app.run());
}

/// Writes the contract's TypeScript declarations to `path`, and the page's mock
/// beside them.
fn write_types(path: &Path) -> Result<(), Box<dyn std::error::Error>> {
    let runtime = tokio::runtime::Builder::new_current_thread().build()?;
    let ipc_main = IpcMain::new(runtime.handle().clone());
    notes::declare(&ipc_main)?;
    let dir = path.parent().unwrap_or(Path::new("."));
    if path.file_name() != Some("voltaic.d.ts".as_ref()) {
        return Err("--write-types takes the path of voltaic.d.ts".into());
    }
    if ipc_main.write_page_files(dir)? {
        println!("wrote {}", dir.display());
    } else {
        println!("{} is up to date", dir.display());
    }
    Ok(())
}
