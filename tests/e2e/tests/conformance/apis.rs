//! APIs declared once in Rust (`voltaic::Api`): the page gets `window.<name>` with
//! its calls, sends, events and live values, and the window exactly its channels.

use std::sync::{Arc, Mutex};

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use voltaic::{Api, Binary, CheckState, IpcEvent, WebPreferences};
use voltaic_e2e::{api_prefs, ensure, Driver, Harness};

use crate::api;

/// A note of the sample API.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
struct Note {
    title: String,
    body: Option<String>,
}

/// Its live value.
#[derive(Debug, Clone, Serialize, JsonSchema)]
struct Stats {
    count: u32,
}

/// Adds `notes`: `add(note)` stores a note, emits `added` and updates the live
/// `stats`; `list()` answers the notes; `log(line)` is recorded in the probe.
fn notes_api(h: &Harness) -> Result<(), String> {
    let notes = Api::new("notes");
    let added = notes.event::<Note>("added");
    let stats = notes
        .live("stats", Stats { count: 0 })
        .map_err(|e| e.to_string())?;
    let store: Arc<Mutex<Vec<Note>>> = Arc::default();
    let kept = store.clone();
    notes.call("add", move |_: IpcEvent, note: Note| {
        let count = {
            let mut kept = kept.lock().map_err(|e| e.to_string())?;
            kept.push(note.clone());
            kept.len() as u32
        };
        added.emit_all(note).map_err(|e| e.to_string())?;
        stats.set(Stats { count }).map_err(|e| e.to_string())?;
        Ok::<u32, String>(count)
    });
    notes.call("list", move |_: IpcEvent| {
        let notes = store
            .lock()
            .map(|notes| notes.clone())
            .map_err(|e| e.to_string());
        async move { notes }
    });
    let probe = h.probe();
    notes.send("log", move |_: IpcEvent, line: String| {
        probe.record(format!("log:{line}"))
    });
    h.app()
        .ipc_main()
        .add_api(&notes)
        .map_err(|e| e.to_string())
}

/// The window takes `notes` and is granted nothing else: default-deny, with the
/// scenario page's inline scripts allowed.
fn notes_window() -> WebPreferences {
    WebPreferences {
        apis: vec!["notes".into()],
        content_security_policy: api_prefs().content_security_policy,
        ..WebPreferences::default()
    }
}

/// Calls, a send, an event with its unsubscribe, and a live value, from the page;
/// a wrong argument is refused naming the field, and the window can use no channel
/// but the API's.
pub(crate) fn declared_api_from_the_page(h: &Harness) -> Result<Driver, String> {
    notes_api(h)?;
    let driver = api::in_page_with(
        h,
        notes_window(),
        "contextBridge.exposeInMainWorld('other', { echo: () => ipcRenderer.invoke('echo', 1) });",
        "const notes = window.notes;\n\
         check(notes.stats.count === 0, 'the live value as the page starts, got ' + JSON.stringify(notes.stats));\n\
         check(typeof Object.getOwnPropertyDescriptor(notes, 'stats').get === 'function', 'a live value is a getter');\n\
         check(Object.isFrozen(notes.stats), 'a live value is frozen');\n\
         const seen = [];\n\
         const off = notes.onAdded((note) => seen.push(note.title));\n\
         check(typeof off === 'function', 'onAdded returns the unsubscribe function');\n\
         check(await notes.add({ title: 'first', body: null }) === 1, 'add resolves with its result');\n\
         await until(() => seen.length === 1 && notes.stats.count === 1);\n\
         off();\n\
         check(await notes.add({ title: 'second', body: 'text' }) === 2, 'the second add');\n\
         await until(() => notes.stats.count === 2);\n\
         check(seen.join() === 'first', 'no event after unsubscribing, got ' + seen.join());\n\
         const list = await notes.list();\n\
         check(list.map((n) => n.title).join() === 'first,second', 'list, got ' + JSON.stringify(list));\n\
         notes.log('from the page');\n\
         const wrong = await errorOf(() => notes.add({ title: 42 }));\n\
         check(wrong.includes('title'), 'a wrong argument is refused naming the field, got ' + wrong);\n\
         check((await notes.list()).length === 2, 'the refused call did not run');\n\
         const other = await errorOf(() => window.other.echo());\n\
         check(other.includes('not allowed'), 'a channel outside the API is refused, got ' + other);",
    )?;
    let probe = h.probe();
    let app = h.app().handle();
    Ok(Box::pin(async move {
        driver.await?;
        probe.expect("log:from the page").await?;
        // security_report() shows the API's channels, each with its schema, and
        // that the window has no other.
        let report = app.security_report();
        let window = report.windows.first().ok_or("no window in the report")?;
        let check = |rule: &str| {
            window
                .checks
                .iter()
                .find(|c| c.rule == rule)
                .map(|c| (c.state, c.detail.clone()))
                .ok_or(format!("no '{rule}' check"))
        };
        let (state, detail) = check("declared APIs")?;
        ensure!(
            state == CheckState::Ok
                && detail.contains(
                    "window.notes: notes.added notes.stats notes.add notes.list notes.log notes.$live"
                )
                && detail.contains("schema"),
            "declared APIs: {state:?} {detail}"
        );
        let (state, detail) = check("schema validation")?;
        ensure!(
            state == CheckState::Ok,
            "schema validation: {state:?} {detail}"
        );
        let (_, detail) = check("channel allowlist")?;
        ensure!(
            detail == "send: notes.log notes.$live | invoke: notes.add notes.list | receive: notes.added notes.stats",
            "exactly the API's channels, got {detail}"
        );
        Ok(())
    }))
}

/// A file of the `files` API: bytes inside a type.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
struct Attachment {
    name: String,
    data: Binary,
}

/// Bytes through a declared API: a `Uint8Array` reaches a `Binary` argument (also
/// inside a struct), a `Binary` result arrives as an `ArrayBuffer`, and what is not
/// bytes is refused.
pub(crate) fn declared_api_carries_bytes(h: &Harness) -> Result<Driver, String> {
    let files = Api::new("files");
    files.call("reverse", |_: IpcEvent, data: Binary| {
        let mut bytes = data.to_vec();
        bytes.reverse();
        Ok::<_, String>(Binary::from(bytes))
    });
    files.call("size", |_: IpcEvent, file: Attachment| {
        Ok::<_, String>(format!("{}:{}", file.name, file.data.len()))
    });
    h.app()
        .ipc_main()
        .add_api(&files)
        .map_err(|e| e.to_string())?;
    api::in_page_with(
        h,
        WebPreferences {
            apis: vec!["files".into()],
            ..notes_window()
        },
        "",
        "const back = await files.reverse(new Uint8Array([1, 2, 3]));\n\
         check(back instanceof ArrayBuffer && new Uint8Array(back).join() === '3,2,1', 'reversed bytes back, got ' + back);\n\
         check(await files.size({ name: 'a.bin', data: new Uint8Array(5) }) === 'a.bin:5', 'bytes inside a struct');\n\
         const wrong = await errorOf(() => files.reverse('text'));\n\
         check(wrong.includes('files.reverse'), 'a string is not bytes, got ' + wrong);",
    )
}
