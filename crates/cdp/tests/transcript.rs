//! The session layer against a recorded conversation with Chromium 156: the smoke
//! test of the Chromium engine (a `voltaic` world and its binding, a page served
//! through Fetch, an iframe), recorded with `VOLTAIC_CDP_TRANSCRIPT`. Every command
//! gets its own answer although they come out of order, events keep their
//! sessions, and the frame facts the engines build on hold in real messages.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use serde_json::Value;
use voltaic_cdp::{Cdp, Command, Event, Inbound, Transport};

const TRANSCRIPT: &str = include_str!("transcripts/chromium-156-world-and-iframe.txt");

/// One recorded message: `>` sent, `<` received.
fn lines() -> Vec<(char, Value)> {
    TRANSCRIPT
        .lines()
        .filter(|line| !line.trim().is_empty())
        .map(|line| {
            let (direction, text) = line.split_at(1);
            let message = serde_json::from_str(text.trim()).expect("a recorded message is JSON");
            (direction.chars().next().unwrap(), message)
        })
        .collect()
}

/// Plays the browser's side: each command must be the next one recorded, and is
/// followed by what the browser said after it, with recorded ids mapped to live ones.
struct Replay {
    lines: Vec<(char, Value)>,
    at: Mutex<usize>,
    ids: Mutex<HashMap<u64, u64>>,
    inbound: Mutex<Option<Inbound>>,
}

impl Transport for Replay {
    fn send(&self, command: &Command<'_>) -> std::io::Result<()> {
        let mut at = self.at.lock().unwrap();
        let Some((_, recorded)) = self.lines[*at..].iter().find(|(d, _)| *d == '>') else {
            return Err(std::io::Error::other("nothing more was recorded"));
        };
        assert_eq!(command.method, recorded["method"], "commands out of order");
        assert_eq!(command.session, recorded["sessionId"].as_str());
        assert_eq!(*command.params, recorded["params"]);
        let recorded_id = recorded["id"].as_u64().unwrap();
        self.ids.lock().unwrap().insert(recorded_id, command.id);
        *at += self.lines[*at..]
            .iter()
            .position(|(d, _)| *d == '>')
            .unwrap()
            + 1;
        let inbound = self.inbound.lock().unwrap().clone().unwrap();
        while let Some((direction, message)) = self.lines.get(*at) {
            if *direction == '>' {
                break;
            }
            let mut message = message.clone();
            if let Some(id) = message["id"].as_u64() {
                message["id"] = self.ids.lock().unwrap()[&id].into();
            }
            inbound.message(&message.to_string());
            *at += 1;
        }
        Ok(())
    }
}

#[test]
fn a_recorded_conversation_routes_every_answer_and_event() {
    let lines = lines();
    let replay = Arc::new(Replay {
        lines: lines.clone(),
        at: Mutex::new(0),
        ids: Mutex::default(),
        inbound: Mutex::new(None),
    });
    let events: Arc<Mutex<Vec<Event>>> = Arc::default();
    let sink = events.clone();
    let (cdp, inbound) = Cdp::with_sink(
        replay.clone(),
        Box::new(move |event| sink.lock().unwrap().push(event)),
    );
    *replay.inbound.lock().unwrap() = Some(inbound);

    // Each command without waiting (Page.navigate is answered only after the
    // Fetch.fulfillRequest sent later), its answer kept by its recorded id.
    let answers: Arc<Mutex<HashMap<u64, Value>>> = Arc::default();
    for (_, command) in lines.iter().filter(|(d, _)| *d == '>') {
        let answers = answers.clone();
        let id = command["id"].as_u64().unwrap();
        cdp.call_then(
            command["sessionId"].as_str(),
            command["method"].as_str().unwrap(),
            command["params"].clone(),
            move |answer| {
                answers
                    .lock()
                    .unwrap()
                    .insert(id, answer.expect("an answer, not an error"));
            },
        );
    }
    let answers = answers.lock().unwrap();
    for (_, recorded) in lines
        .iter()
        .filter(|(d, m)| *d == '<' && m.get("id").is_some())
    {
        let id = recorded["id"].as_u64().unwrap();
        assert_eq!(answers.get(&id), Some(&recorded["result"]), "answer {id}");
    }
    assert_eq!(
        answers.len(),
        lines.iter().filter(|(d, _)| *d == '>').count()
    );

    // Every event, in order, with the session it came on.
    let events = events.lock().unwrap();
    let recorded: Vec<&Value> = lines
        .iter()
        .filter(|(d, m)| *d == '<' && m.get("method").is_some())
        .map(|(_, m)| m)
        .collect();
    assert_eq!(events.len(), recorded.len());
    for (event, recorded) in events.iter().zip(recorded) {
        assert_eq!(event.method, recorded["method"]);
        assert_eq!(event.session.as_deref(), recorded["sessionId"].as_str());
        assert_eq!(event.params, recorded["params"]);
    }

    // The frame facts the engines' trust rule stands on: the page target's id is
    // its main frame's id; each frame gets a `voltaic` world context of its own;
    // a binding call names the context it came from, so one from the iframe's
    // world can be told from the main frame's.
    let page = events
        .iter()
        .find(|e| e.method == "Target.attachedToTarget" && e.params["targetInfo"]["type"] == "page")
        .expect("the page attached");
    let target = page.params["targetInfo"]["targetId"].as_str().unwrap();
    let session = page.params["sessionId"].as_str().unwrap();
    let worlds: Vec<&Value> = events
        .iter()
        .filter(|e| {
            e.method == "Runtime.executionContextCreated"
                && e.params["context"]["name"] == "voltaic"
        })
        .map(|e| &e.params["context"])
        .collect();
    assert_eq!(worlds.len(), 2, "one world in the page, one in its iframe");
    let main = worlds
        .iter()
        .find(|c| c["auxData"]["frameId"] == target)
        .expect("the main frame's world");
    let inner = worlds
        .iter()
        .find(|c| c["auxData"]["frameId"] != target)
        .expect("the iframe's world");
    let calls: Vec<&Event> = events
        .iter()
        .filter(|e| e.method == "Runtime.bindingCalled")
        .collect();
    assert_eq!(calls.len(), 2);
    for call in calls {
        assert_eq!(call.session.as_deref(), Some(session));
        let payload: Value =
            serde_json::from_str(call.params["payload"].as_str().unwrap()).unwrap();
        let context = &call.params["executionContextId"];
        if *context == main["id"] {
            assert_eq!(payload["top"], true);
        } else {
            assert_eq!(*context, inner["id"]);
            assert_eq!(payload["top"], false);
        }
    }
}
