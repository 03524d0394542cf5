//! The Electron quick-start IPC app, ported to Voltaic: `preload.js` and the page code
//! in `renderer.js` are Electron's, unchanged.
//!
//! Secure by default: the window is granted exactly the three channels the app uses,
//! each channel has a schema checked on both ends, and the app prints its security
//! report at start.
//!
//! Set `VOLTAIC_SCREENSHOT=out.png` to save a screenshot after the update arrived and
//! quit (the demo script does this when there is no display).

use std::io::IsTerminal;
use std::path::Path;
use std::time::Duration;

use schemars::JsonSchema;
use serde::Serialize;
use tracing_subscriber::EnvFilter;
use voltaic::{
    App, BrowserWindow, BrowserWindowOptions, ChannelGrants, ChannelSchema, IpcEvent,
    WebPreferences,
};

/// What `get-data` answers.
#[derive(Serialize, JsonSchema)]
struct Data {
    result: String,
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    tracing_subscriber::fmt()
        .with_ansi(std::io::stdout().is_terminal())
        .with_env_filter(
            EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info")),
        )
        .init();
    let here = Path::new(env!("CARGO_MANIFEST_DIR"));

    let app = App::new()?;
    let ipc_main = app.ipc_main();
    // Schemas first: a window's preload gets the schemas known when it is created.
    ipc_main.set_schema(
        "get-data",
        ChannelSchema::new().args::<()>().result::<Data>(),
    )?;
    ipc_main.set_schema("message-channel", ChannelSchema::new().args::<(String,)>())?;
    ipc_main.set_schema("update-channel", ChannelSchema::new().args::<(String,)>())?;

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
                grants: ChannelGrants::new()
                    .invoke("get-data")
                    .send("message-channel")
                    .receive("update-channel"),
                ..Default::default()
            },
            ..Default::default()
        },
    )?;

    ipc_main.handle("get-data", |_: IpcEvent| async {
        Ok::<Data, String>(Data {
            result: "Data from main process".into(),
        })
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
    println!("Security report:\n{}", app.security_report());

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
