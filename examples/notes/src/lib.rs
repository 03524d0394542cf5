//! The notes app's IPC contract, declared once: `window.notes` in the page, with a
//! call, a send, an event and a live value. Its channels, grants, schemas, preload
//! and TypeScript declarations all come from [`declare`].

use std::sync::{Arc, Mutex};

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use voltaic::{
    Api, ApiEvent, App, BrowserWindow, BrowserWindowOptions, IpcError, IpcEvent, IpcMain,
    LiveValue, WebPreferences,
};

/// A note, as the page writes it and reads it back.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct Note {
    /// The note's heading; not empty.
    pub title: String,
    /// Its text, if it has one.
    pub body: Option<String>,
}

/// How many notes there are, which the page shows without asking.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct Stats {
    /// The number of notes.
    pub count: u32,
}

/// The main process's handles on the declared API.
pub struct Notes {
    /// The API, as added to the app.
    pub api: Api,
    /// `window.notes.onAdded(callback)` in the page.
    pub added: Arc<ApiEvent<Note>>,
    /// `window.notes.stats` in the page.
    pub stats: Arc<LiveValue<Stats>>,
}

/// Declares `window.notes` and adds it to `ipc_main`:
/// - `add(note)`: stores a note, resolves with the new count (a call);
/// - `list()`: the notes (a call);
/// - `log(line)`: a line for the main process's log (a send);
/// - `onAdded(callback)`: each note added, from any window (an event);
/// - `stats`: the count, read without a round trip (a live value).
pub fn declare(ipc_main: &IpcMain) -> Result<Notes, IpcError> {
    let api = Api::new("notes");
    api.doc("The notes, kept by the main process.");
    let added = Arc::new(api.event::<Note>("added"));
    api.doc("Each note added, from any window.");
    let stats = Arc::new(api.live("stats", Stats { count: 0 })?);
    api.doc("How many notes there are, kept current by the main process.");

    let store: Arc<Mutex<Vec<Note>>> = Arc::default();
    let (kept, announce, count) = (store.clone(), added.clone(), stats.clone());
    api.call("add", move |_: IpcEvent, note: Note| {
        if note.title.trim().is_empty() {
            return Err("a note needs a title".to_owned());
        }
        let total = {
            let mut notes = kept.lock().map_err(|_| "the store is unavailable")?;
            notes.push(note.clone());
            notes.len() as u32
        };
        // The count first: a page reading it when the event arrives sees it current.
        count
            .set(Stats { count: total })
            .map_err(|e| e.to_string())?;
        announce.emit_all(note).map_err(|e| e.to_string())?;
        Ok(total)
    })
    .doc("Stores a note; resolves with how many there are now.");
    api.call("list", move |_: IpcEvent| {
        let notes = store
            .lock()
            .map(|notes| notes.clone())
            .map_err(|_| "the store is unavailable".to_owned());
        async move { notes }
    })
    .doc("Every note, oldest first.");
    api.send("log", |event: IpcEvent, line: String| {
        println!("[window {}] {line}", event.sender().id());
    })
    .doc("Writes a line to the main process's log.");

    ipc_main.add_api(&api)?;
    Ok(Notes { api, added, stats })
}

/// Opens the app as `main` does: the API declared, then the window with the page.
/// The app's tests open it the same way (`tests/app.rs`).
pub fn open(app: &App) -> Result<(Notes, BrowserWindow), voltaic::Error> {
    // Declared before the window opens: the window's preload gets the schemas known
    // when it is created.
    let notes = declare(app.ipc_main())?;
    let window = BrowserWindow::new(
        app,
        BrowserWindowOptions {
            title: "Voltaic notes".into(),
            web_preferences: WebPreferences {
                apis: vec!["notes".into()],
                ..Default::default()
            },
            ..Default::default()
        },
    )?;
    window.load_file(std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("web/index.html"))?;
    Ok((notes, window))
}
