//! The Electron quick-start IPC app, ported to Voltaic: `preload.js` and the page code
//! in `renderer.js` are Electron's, unchanged.
//!
//! Set `VOLTAIC_SCREENSHOT=out.png` to save a screenshot after the update arrived and
//! quit (the demo script does this when there is no display).

use std::io::IsTerminal;
use std::path::Path;
use std::time::Duration;

use tracing_subscriber::EnvFilter;
use voltaic::{json, App, BrowserWindow, BrowserWindowOptions, IpcEvent, Value, WebPreferences};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    tracing_subscriber::fmt()
        .with_ansi(std::io::stdout().is_terminal())
        .with_env_filter(
            EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info")),
        )
        .init();
    let here = Path::new(env!("CARGO_MANIFEST_DIR"));

    let app = App::new()?;
    let main_window = BrowserWindow::new(
        &app,
        BrowserWindowOptions {
            width: 800,
            height: 600,
            title: "Voltaic quickstart".into(),
            web_preferences: WebPreferences {
                preload: Some(here.join("preload.js")),
                context_isolation: true,
                node_integration: false,
                ..Default::default()
            },
            ..Default::default()
        },
    )?;

    let ipc_main = app.ipc_main();
    ipc_main.handle("get-data", |_: IpcEvent| async {
        Ok::<Value, String>(json!({ "result": "Data from main process" }))
    })?;
    ipc_main.on("message-channel", |_: IpcEvent, message: String| {
        println!("Message received: {message}");
    });

    let contents = main_window.web_contents().clone();
    app.set_timeout(Duration::from_secs(3), move || {
        if let Err(error) = contents.send("update-channel", ("Update from main process",)) {
            eprintln!("could not send the update: {error}");
        }
    });

    main_window.load_file(here.join("index.html"))?;

    if let Some(path) = std::env::var_os("VOLTAIC_SCREENSHOT") {
        let (window, handle) = (main_window.clone(), app.handle());
        app.set_timeout(Duration::from_millis(4500), move || {
            let quit = handle.clone();
            handle.spawn(async move {
                match window.capture_page(path.clone()).await {
                    Ok(()) => println!("Screenshot saved to {}", Path::new(&path).display()),
                    Err(error) => eprintln!("Screenshot failed: {error}"),
                }
                quit.quit();
            });
        });
    }

    std::process::exit(app.run());
}
