//! Behaviours that need more than one window, or a window that goes away: ports
//! between windows (the message-ports tutorial), `MessagePortMain`'s `close` event,
//! windows addressed independently, answers that stay with the document that asked,
//! and preload errors in the main log.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use serde_json::json;
use voltaic::{ChannelGrants, IpcEvent, MessageChannelMain, WebPreferences};
use voltaic_e2e::{api_prefs, ensure, ensure_eq, Driver, Harness, REPORT_JS};

fn page() -> String {
    format!("<!DOCTYPE html><html><head><script>{REPORT_JS}</script></head><body>w</body></html>")
}

/// A preload that says `ready` with its name, keeps the port it gets on `port`,
/// reports what arrives on it as `<name>-got`, and posts `hello from <name>` on it.
fn port_holder(name: &str) -> String {
    format!(
        "{REPORT_JS}const {{ ipcRenderer }} = require('electron');\n\
         const got = [];\n\
         ipcRenderer.on('port', (event, greeting) => {{\n\
           const port = event.ports[0];\n\
           port.onmessage = (e) => {{ got.push(e.data); report('{name}-got', [greeting, got]); }};\n\
           port.postMessage('hello from {name}');\n\
           report('{name}-has-port', true);\n\
         }});\n\
         window.addEventListener('DOMContentLoaded', () => ipcRenderer.send('ready', '{name}'));\n"
    )
}

/// Records `ready <name>` for each window whose preload is listening.
pub(crate) fn record_ready(h: &Harness) {
    let probe = h.probe();
    h.app()
        .ipc_main()
        .on("ready", move |_: IpcEvent, name: String| {
            probe.record(format!("ready {name}"));
        });
}

/// The message-ports tutorial's "communicating directly between two renderers": the
/// main process sends one end of a `MessageChannelMain` to each window.
pub(crate) fn message_port_between_two_windows(h: &Harness) -> Result<Driver, String> {
    record_ready(h);
    let a = h.window("a", Some(&port_holder("a")), &page())?;
    let b = h.window("b", Some(&port_holder("b")), &page())?;
    let probe = h.probe();
    Ok(Box::pin(async move {
        probe.expect("ready a").await?;
        probe.expect("ready b").await?;
        let MessageChannelMain { port1, port2 } = MessageChannelMain::new();
        a.web_contents()
            .post_message("port", "to a", vec![port1])
            .map_err(|e| e.to_string())?;
        b.web_contents()
            .post_message("port", "to b", vec![port2])
            .map_err(|e| e.to_string())?;
        ensure_eq!(
            probe.result("a-got").await?,
            json!(["to a", ["hello from b"]])
        );
        ensure_eq!(
            probe.result("b-got").await?,
            json!(["to b", ["hello from a"]])
        );
        Ok(())
    }))
}

/// `MessagePortMain`'s `close` event: emitted when the remote end is gone, here
/// because the window holding it closed.
pub(crate) fn message_port_main_closes_with_the_window(h: &Harness) -> Result<Driver, String> {
    record_ready(h);
    let window = h.window("holder", Some(&port_holder("holder")), &page())?;
    // Closing the last window quits the app, which would end the scenario before the
    // close event could be checked; this one keeps it running.
    let _bystander = h.window("bystander", None, &page())?;
    let probe = h.probe();
    Ok(Box::pin(async move {
        probe.expect("ready holder").await?;
        let MessageChannelMain { port1, port2 } = MessageChannelMain::new();
        let record = probe.clone();
        port1.on_message(move |m| record.record(format!("main got {:?}", m.data.as_str())));
        let record = probe.clone();
        port1.on_close(move || record.record("main port closed"));
        port1.start();
        window
            .web_contents()
            .post_message("port", "keep it", vec![port2])
            .map_err(|e| e.to_string())?;
        probe.expect("main got Some(\"hello from holder\")").await?;
        ensure!(
            !port1.is_closed(),
            "the port closed while the window was open"
        );
        window.close().map_err(|e| e.to_string())?;
        probe.expect("main port closed").await?;
        ensure!(port1.is_closed(), "the port is not closed after its window");
        // As in Electron, a message to a closed port is dropped, not an error.
        ensure_eq!(port1.post_message("anyone?"), Ok(()));
        Ok(())
    }))
}

/// Several windows with different preloads and grants, each addressed on its own:
/// `BrowserWindow.getAllWindows()` lists both, and a message for one never reaches
/// the other.
pub(crate) fn browser_windows_are_addressed_independently(h: &Harness) -> Result<Driver, String> {
    record_ready(h);
    let listener = |name: &str| {
        format!(
            "{REPORT_JS}const {{ ipcRenderer }} = require('electron');\n\
             const got = [];\n\
             ipcRenderer.on('note', (e, v) => got.push(v));\n\
             ipcRenderer.on('done', () => report('{name}-notes', got));\n\
             window.addEventListener('DOMContentLoaded', () => ipcRenderer.send('ready', '{name}'));\n"
        )
    };
    let left = h.window("left", Some(&listener("left")), &page())?;
    let right_prefs = WebPreferences {
        preload: Some(h.file("right-preload.js", &listener("right"))?),
        grants: ChannelGrants::new()
            .send("ready")
            .receive("note")
            .receive("done"),
        ..api_prefs()
    };
    let right = h.window_with("right", right_prefs, &page())?;
    let app = h.app().handle();
    let probe = h.probe();
    Ok(Box::pin(async move {
        probe.expect("ready left").await?;
        probe.expect("ready right").await?;
        let mut ids: Vec<u32> = app.get_all_windows().iter().map(|w| w.id()).collect();
        ids.sort_unstable();
        let mut expected = vec![left.id(), right.id()];
        expected.sort_unstable();
        ensure_eq!(ids, expected);
        let send = |w: &voltaic::BrowserWindow, ch: &str, v: &str| {
            w.web_contents()
                .send(ch, (v.to_owned(),))
                .map_err(|e| e.to_string())
        };
        send(&left, "note", "for left")?;
        send(&right, "note", "for right")?;
        send(&left, "note", "left again")?;
        // The right window's grants are its own: nothing outside them is sent.
        ensure!(
            right.web_contents().send("other", ()).is_err(),
            "a channel outside the right window's grants was sent"
        );
        send(&left, "done", "")?;
        send(&right, "done", "")?;
        ensure_eq!(
            probe.result("left-notes").await?,
            json!(["for left", "left again"])
        );
        ensure_eq!(probe.result("right-notes").await?, json!(["for right"]));
        Ok(())
    }))
}

/// A port sent to a document stops with it: navigating away closes the main end.
pub(crate) fn message_port_main_closes_when_the_page_navigates(
    h: &Harness,
) -> Result<Driver, String> {
    record_ready(h);
    let window = h.window("nav", Some(&port_holder("nav")), &page())?;
    let probe = h.probe();
    Ok(Box::pin(async move {
        probe.expect("ready nav").await?;
        let MessageChannelMain { port1, port2 } = MessageChannelMain::new();
        let record = probe.clone();
        port1.on_close(move || record.record("main port closed"));
        // Started, as its sibling above: an unstarted end hears `close` only after
        // start() has delivered what it kept (the page's hello may come first).
        port1.start();
        window
            .web_contents()
            .post_message("port", "short-lived", vec![port2])
            .map_err(|e| e.to_string())?;
        ensure_eq!(probe.result("nav-has-port").await?, json!(true));
        window.load_html(&page()).map_err(|e| e.to_string())?;
        probe.expect("main port closed").await
    }))
}

/// An invoke's answer belongs to the document that made it: answers the main process
/// gives after the page navigated never settle the next document's invokes, even
/// though each document numbers its invokes afresh. Each document makes two invokes
/// in one turn (the second rides the batch); the old ones are answered only once the
/// new ones are waiting.
pub(crate) fn invoke_answers_stay_with_their_document(h: &Harness) -> Result<Driver, String> {
    type Gates = Arc<Mutex<HashMap<String, tokio::sync::oneshot::Sender<()>>>>;
    let gates: Gates = Arc::default();
    let waiting = gates.clone();
    let probe = h.probe();
    h.app()
        .ipc_main()
        .handle("held", move |_: IpcEvent, label: String| {
            let (open, opened) = tokio::sync::oneshot::channel();
            if let Ok(mut gates) = waiting.lock() {
                gates.insert(label.clone(), open);
            }
            probe.record(format!("held {label}"));
            let answered = probe.clone();
            async move {
                let _ = opened.await;
                answered.record(format!("answered {label}"));
                Ok::<_, String>(label)
            }
        })
        .map_err(|e| e.to_string())?;
    let document = |n: u32| {
        format!(
            "<!DOCTYPE html><html><head><script>{REPORT_JS}</script></head><body data-doc=\"{n}\">doc {n}</body></html>"
        )
    };
    let preload = format!(
        "{REPORT_JS}const {{ ipcRenderer }} = require('electron');\n\
         window.addEventListener('DOMContentLoaded', () => {{\n\
           const doc = document.body.dataset.doc;\n\
           Promise.all([ipcRenderer.invoke('held', doc + '-a'), ipcRenderer.invoke('held', doc + '-b')])\n\
             .then((got) => report('answers-' + doc, got), (e) => report('answers-' + doc, String(e)));\n\
         }});\n"
    );
    let window = h.window("navigating", Some(&preload), &document(1))?;
    let second = h.file("second.html", &document(2))?;
    let probe = h.probe();
    Ok(Box::pin(async move {
        probe.expect("held 1-a").await?;
        probe.expect("held 1-b").await?;
        window.load_file(&second).map_err(|e| e.to_string())?;
        probe.expect("held 2-a").await?;
        probe.expect("held 2-b").await?;
        let open = |label: &str| {
            gates
                .lock()
                .ok()
                .and_then(|mut gates| gates.remove(label))
                .map(|gate| gate.send(()))
        };
        open("1-a");
        open("1-b");
        probe.expect("answered 1-a").await?;
        probe.expect("answered 1-b").await?;
        open("2-a");
        open("2-b");
        ensure_eq!(probe.result("answers-2").await?, json!(["2-a", "2-b"]));
        Ok(())
    }))
}
