//! Ports under random interleavings: posts from both sides, closes from both sides,
//! transfers into renderers and inside port messages, ports a renderer makes, starts,
//! and navigations, against stand-in renderers connected through real
//! [`Connection`]s. The property: every message posted on an open channel arrives at
//! the other end, in order, exactly once, followed by its close, unless the end
//! that should receive it went with its document (then what arrived is a prefix).
//!
//! Each run is a seed; a failure prints it, and `VOLTAIC_PORT_SEED=<seed>` replays it.

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex};

use serde_json::Value as Json;

use super::{lock, MessageChannelMain, MessagePortMain};
use crate::web_contents::tests::RecordingLink;
use crate::{Connection, IpcEvent, IpcMain, SenderFrame, Value, WindowPolicy};

/// An end: its channel's id and its side.
type End = (u64, usize);

const CLOSE: &str = "close";

fn end_of(port: &MessagePortMain) -> End {
    (port.channel.id, port.side)
}

fn partner((id, side): End) -> End {
    (id, 1 - side)
}

/// Where an end is, as the model knows it.
#[derive(Clone, Copy, PartialEq, Debug)]
enum Holder {
    Main,
    Renderer(usize),
    /// Went with its renderer's document.
    Gone,
}

#[derive(Default)]
struct Log {
    /// What arrived at each end, in order, and `close` when it was told.
    arrived: HashMap<End, Vec<String>>,
    /// Ports that reached a main-process listener.
    landed: Vec<MessagePortMain>,
}

/// A stand-in for a renderer's preload: holds ports by key, as the runtime does.
struct Renderer {
    conn: Connection,
    link: Arc<RecordingLink>,
    read: usize,
    keys: HashMap<String, End>,
    next_key: u64,
}

impl Renderer {
    fn dispatch(&self, message: Json) {
        self.conn.dispatch(
            SenderFrame::from_url("app://localhost/index.html"),
            message.to_string(),
        );
    }

    /// Takes in what the main process posted since the last pump.
    fn pump(&mut self, log: &Mutex<Log>) {
        let posted: Vec<String> = lock(&self.link.posted)[self.read..].to_vec();
        self.read += posted.len();
        for text in posted {
            let message: Json = serde_json::from_str(&text).expect("the main process posts JSON");
            let carried = message["ports"].as_array().cloned().unwrap_or_default();
            for key in carried.iter().filter_map(Json::as_str) {
                let n: u64 = key[1..].parse().expect("an m key");
                self.keys.insert(key.to_owned(), (n / 2, (n % 2) as usize));
            }
            let key = message["port"].as_str().unwrap_or_default();
            match message["t"].as_str() {
                Some("port") => {
                    if let Some(end) = self.keys.get(key) {
                        let data = message["data"].as_str().expect("a tag").to_owned();
                        lock(log).arrived.entry(*end).or_default().push(data);
                    }
                }
                Some("port-close") => {
                    if let Some(end) = self.keys.remove(key) {
                        lock(log).arrived.entry(end).or_default().push(CLOSE.into());
                    }
                }
                _ => {}
            }
        }
    }
}

struct Model {
    rng: fastrand::Rng,
    ipc: IpcMain,
    renderers: Vec<Renderer>,
    log: Arc<Mutex<Log>>,
    holders: HashMap<End, Holder>,
    handles: HashMap<End, MessagePortMain>,
    started: HashSet<End>,
    closed: HashSet<u64>,
    /// Ends their renderer closed: told nothing after that.
    closed_by_renderer: HashSet<End>,
    expected: HashMap<End, Vec<String>>,
    seq: u64,
    /// What was done, for a failure's message.
    trace: Vec<String>,
}

impl Model {
    fn new(seed: u64, ipc: IpcMain) -> Self {
        let log: Arc<Mutex<Log>> = Arc::default();
        let landed = log.clone();
        ipc.on("take", move |event: IpcEvent| {
            lock(&landed).landed.extend(event.ports().iter().cloned());
        });
        let renderers = (0..2)
            .map(|i| {
                let link = Arc::new(RecordingLink::default());
                let conn = ipc.connect(i + 1, link.clone(), WindowPolicy::permissive());
                Renderer {
                    conn,
                    link,
                    read: 0,
                    keys: HashMap::new(),
                    next_key: 1,
                }
            })
            .collect();
        Self {
            rng: fastrand::Rng::with_seed(seed),
            ipc,
            renderers,
            log,
            holders: HashMap::new(),
            handles: HashMap::new(),
            started: HashSet::new(),
            closed: HashSet::new(),
            closed_by_renderer: HashSet::new(),
            expected: HashMap::new(),
            seq: 0,
            trace: Vec::new(),
        }
    }

    fn tag(&mut self, (id, side): End) -> String {
        self.seq += 1;
        format!("{id}.{side}#{}", self.seq)
    }

    /// The tag of a message about to be posted on `end`: expected at the other end
    /// while the channel is open.
    fn posting(&mut self, end: End) -> String {
        let tag = self.tag(end);
        if !self.closed.contains(&end.0) {
            self.expected
                .entry(partner(end))
                .or_default()
                .push(tag.clone());
        }
        tag
    }

    /// A main-process end the model now holds: recorded from its creation on.
    fn hold(&mut self, port: MessagePortMain) {
        let end = end_of(&port);
        if !self.handles.contains_key(&end) && self.holders.get(&end) != Some(&Holder::Main) {
            let (arrived, landed) = (self.log.clone(), self.log.clone());
            port.on_message(move |message| {
                let mut log = lock(&arrived);
                let Value::String(tag) = message.data else {
                    panic!("a port message that is not a tag");
                };
                log.arrived.entry(end).or_default().push(tag);
                log.landed.extend(message.ports);
            });
            port.on_close(move || {
                lock(&landed)
                    .arrived
                    .entry(end)
                    .or_default()
                    .push(CLOSE.into());
            });
        }
        self.holders.insert(end, Holder::Main);
        self.handles.insert(end, port);
    }

    /// Takes ports that reached main-process listeners.
    fn settle(&mut self) {
        let landed = std::mem::take(&mut lock(&self.log).landed);
        for port in landed {
            self.hold(port);
        }
    }

    fn pick<T: Clone>(&mut self, items: &[T]) -> Option<T> {
        (!items.is_empty()).then(|| items[self.rng.usize(..items.len())].clone())
    }

    fn main_ends(&self) -> Vec<End> {
        let mut ends: Vec<End> = self.handles.keys().copied().collect();
        ends.sort_unstable();
        ends
    }

    fn renderer_ends(&self, window: usize) -> Vec<(String, End)> {
        let mut keys: Vec<(String, End)> = self.renderers[window]
            .keys
            .iter()
            .map(|(key, end)| (key.clone(), *end))
            .collect();
        keys.sort_unstable();
        keys
    }

    /// Closing an end throws away what it has not read yet: from then on, what it
    /// should get is what it got.
    fn closing(&mut self, end: End) {
        let arrived = lock(&self.log)
            .arrived
            .get(&end)
            .cloned()
            .unwrap_or_default();
        let messages = arrived.into_iter().filter(|tag| tag != CLOSE).collect();
        self.expected.insert(end, messages);
        self.closed.insert(end.0);
    }

    fn note(&mut self, what: String) {
        self.trace.push(what);
    }

    fn step(&mut self) {
        let window = self.rng.usize(..self.renderers.len());
        match self.rng.u32(..100) {
            0..=9 => {
                let MessageChannelMain { port1, port2 } = MessageChannelMain::new();
                for port in [port1, port2] {
                    let started = self.rng.bool();
                    if started {
                        port.start();
                        self.started.insert(end_of(&port));
                    }
                    self.note(format!("new {:?} started {started}", end_of(&port)));
                    self.hold(port);
                }
            }
            10..=29 => {
                if let Some(end) = self.pick(&self.main_ends()) {
                    let tag = self.posting(end);
                    let port = self.handles[&end].clone();
                    self.note(format!("main posts {tag} on {end:?}"));
                    assert_eq!(port.post_message(tag), Ok(()));
                }
            }
            30..=44 => {
                if let Some((key, end)) = self.pick(&self.renderer_ends(window)) {
                    let tag = self.posting(end);
                    self.note(format!("renderer {window} posts {tag} on {end:?} ({key})"));
                    self.renderers[window]
                        .dispatch(serde_json::json!({"t": "port", "port": key, "data": tag}));
                }
            }
            45..=49 => {
                if let Some(end) = self.pick(&self.main_ends()) {
                    let unread = !self.started.contains(&end);
                    if unread {
                        self.closing(end);
                    }
                    self.closed.insert(end.0);
                    self.note(format!("main closes {end:?}"));
                    self.handles[&end].close();
                }
            }
            50..=54 => {
                if let Some((key, end)) = self.pick(&self.renderer_ends(window)) {
                    self.closing(end);
                    self.closed_by_renderer.insert(end);
                    self.note(format!("renderer {window} closes {end:?} ({key})"));
                    let renderer = &mut self.renderers[window];
                    renderer.keys.remove(&key);
                    renderer.dispatch(serde_json::json!({"t": "port-close", "port": key}));
                }
            }
            55..=64 => {
                if let Some(end) = self.pick(&self.main_ends()) {
                    let port = self.handles[&end].clone();
                    let contents = self.renderers[window].conn.web_contents().clone();
                    let moved = contents.post_message("take", (), vec![port]).is_ok();
                    self.note(format!("main sends {end:?} to renderer {window}: {moved}"));
                    if moved {
                        self.handles.remove(&end);
                        self.holders.insert(end, Holder::Renderer(window));
                    }
                }
            }
            65..=72 => self.carry(),
            73..=80 => {
                let renderer = &mut self.renderers[window];
                let key = format!("r{}", renderer.next_key);
                renderer.next_key += 1;
                renderer.dispatch(
                    serde_json::json!({"t": "send", "ch": "take", "args": [null], "ports": [key]}),
                );
                let port = lock(&self.log).landed.pop().expect("the renderer's port");
                let end = end_of(&port);
                self.note(format!(
                    "renderer {window} makes {:?} ({key}), main holds {end:?}",
                    partner(end)
                ));
                self.renderers[window].keys.insert(key, partner(end));
                self.holders.insert(partner(end), Holder::Renderer(window));
                self.hold(port);
            }
            81..=86 => {
                if let Some(end) = self.pick(&self.main_ends()) {
                    self.handles[&end].start();
                    self.started.insert(end);
                    self.note(format!("main starts {end:?}"));
                }
            }
            87..=89 => self.navigate(window),
            _ => {
                self.note(format!("renderer {window} pumps"));
                self.renderers[window].pump(&self.log);
            }
        }
        self.settle();
    }

    /// Posts a main-process end inside a message on another end whose other end
    /// will take it at once: a renderer, or a started end in the main process.
    fn carry(&mut self) {
        let ends = self.main_ends();
        let (Some(carrier), Some(carried)) = (self.pick(&ends), self.pick(&ends)) else {
            return;
        };
        let to = partner(carrier);
        let taker = match self.holders.get(&to) {
            Some(Holder::Renderer(window)) => Some(Holder::Renderer(*window)),
            Some(Holder::Main) if self.started.contains(&to) => None,
            _ => return,
        };
        if carrier.0 == carried.0 {
            return;
        }
        let tag = self.tag(carrier);
        let port = self.handles[&carried].clone();
        let result = self.handles[&carrier].post_message_with(tag.clone(), vec![port]);
        self.note(format!(
            "main posts {tag} on {carrier:?} carrying {carried:?}: {}",
            result.is_ok()
        ));
        if self.closed.contains(&carried.0) {
            assert!(result.is_err(), "a closed port was transferred");
            return;
        }
        assert_eq!(result, Ok(()));
        if self.closed.contains(&carrier.0) {
            // Dropped, as a message on a closed port is, before anything moved.
            return;
        }
        self.expected.entry(to).or_default().push(tag);
        self.handles.remove(&carried);
        if let Some(holder) = taker {
            self.holders.insert(carried, holder);
        }
    }

    /// The renderer's document goes, and every port in it.
    fn navigate(&mut self, window: usize) {
        self.note(format!("renderer {window} navigates; its ends (0, ...) go"));
        self.renderers[window].conn.document_gone();
        let renderer = &mut self.renderers[window];
        renderer.keys.clear();
        renderer.read = lock(&renderer.link.posted).len();
        for (end, holder) in self.holders.iter_mut() {
            if *holder == Holder::Renderer(window) {
                *holder = Holder::Gone;
                self.closed.insert(end.0);
            }
        }
    }

    /// Starts every end and takes in everything, then checks each end.
    fn check(&mut self, seed: u64) {
        loop {
            for end in self.main_ends() {
                if self.started.insert(end) {
                    self.handles[&end].start();
                }
            }
            for renderer in &mut self.renderers {
                renderer.pump(&self.log);
            }
            let before = self.handles.len();
            self.settle();
            if self.handles.len() == before
                && self.main_ends().iter().all(|e| self.started.contains(e))
            {
                break;
            }
        }
        let arrived = lock(&self.log).arrived.clone();
        let mut ends: Vec<&End> = self.holders.keys().collect();
        ends.sort_unstable();
        for end in ends {
            let got = arrived.get(end).cloned().unwrap_or_default();
            let expected = self.expected.get(end).cloned().unwrap_or_default();
            let (messages, closes): (Vec<&String>, Vec<&String>) =
                got.iter().partition(|tag| *tag != CLOSE);
            let context = || {
                format!(
                    "seed {seed} (replay with VOLTAIC_PORT_SEED={seed}), end {end:?} held by {:?}:\n  \
                     expected {expected:?}\n  arrived  {got:?}\nsteps on channel {}:\n{}",
                    self.holders[end],
                    end.0,
                    self.trace
                        .iter()
                        .filter(|line| line.contains(&format!("({}, ", end.0)))
                        .cloned()
                        .collect::<Vec<_>>()
                        .join("\n")
                )
            };
            assert!(closes.len() <= 1, "closed twice: {}", context());
            if !closes.is_empty() {
                assert_eq!(
                    got.last().map(String::as_str),
                    Some(CLOSE),
                    "a message after the close: {}",
                    context()
                );
            }
            if self.holders[end] == Holder::Gone {
                assert!(
                    messages.len() <= expected.len()
                        && messages.iter().zip(&expected).all(|(a, b)| *a == b),
                    "not a prefix of what was posted: {}",
                    context()
                );
                continue;
            }
            let messages: Vec<String> = messages.into_iter().cloned().collect();
            assert_eq!(
                messages,
                expected,
                "lost, duplicated or reordered: {}",
                context()
            );
            let told = !closes.is_empty();
            let should = self.closed.contains(&end.0) && !self.closed_by_renderer.contains(end);
            assert_eq!(
                told,
                should,
                "close {} told: {}",
                if should { "not" } else { "wrongly" },
                context()
            );
        }
    }
}

#[test]
fn every_message_posted_before_a_close_arrives_in_order_once() {
    let runtime = tokio::runtime::Runtime::new().expect("a runtime");
    let _entered = runtime.enter();
    let seeds: Vec<u64> = match std::env::var("VOLTAIC_PORT_SEED") {
        Ok(seed) => vec![seed.parse().expect("VOLTAIC_PORT_SEED is a number")],
        Err(_) => (0..300).map(|i| 0x5eed_0000 + i).collect(),
    };
    for seed in seeds {
        let ipc = IpcMain::new(runtime.handle().clone());
        let mut model = Model::new(seed, ipc);
        for _ in 0..200 {
            model.step();
        }
        model.check(seed);
        drop(model.ipc);
    }
}
