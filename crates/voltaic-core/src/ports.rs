//! Message ports (Electron's `MessageChannelMain` / `MessagePortMain`): two entangled
//! ends, each in the main process or transferred to a renderer.
//!
//! An end in a renderer is a DOM `MessagePort` held by that window's preload runtime,
//! known to the main process by a key in the window's [`PortTable`]. Whatever is
//! posted on one end is delivered to the other wherever it is: to its listeners in the
//! main process, or to its renderer. A port between two windows is relayed by the
//! main process; neither window learns anything about the other.
//!
//! A port is a capability: once a window holds one (through a channel it was granted),
//! its messages are not checked against channel grants. They are still counted by the
//! window's rate limit and bounded by its size and depth limits.

use std::collections::{HashMap, VecDeque};
use std::fmt;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use serde::Serialize;

use crate::ipc_main::lock;
use crate::{IpcError, Value, WebContents};

/// Most messages kept for an end in the main process that has not been started.
const MAX_QUEUED: usize = 100_000;

/// Most ports one window may hold.
pub(crate) const MAX_PORTS_PER_WINDOW: usize = 4096;

static NEXT_CHANNEL: AtomicU64 = AtomicU64::new(1);

/// A pair of entangled ports (Electron's `new MessageChannelMain()`): what is posted
/// on one arrives at the other. Keep one in the main process and send the other to a
/// renderer with [`WebContents::post_message`], or send one to each of two windows to
/// let them talk directly.
///
/// ```
/// use voltaic_core::MessageChannelMain;
///
/// let MessageChannelMain { port1, port2 } = MessageChannelMain::new();
/// port2.on_message(|message| println!("port2 got {:?}", message.data));
/// port2.start();
/// port1.post_message("hello").unwrap();
/// ```
#[derive(Debug)]
pub struct MessageChannelMain {
    /// One end.
    pub port1: MessagePortMain,
    /// The other end.
    pub port2: MessagePortMain,
}

impl MessageChannelMain {
    /// Creates two entangled ports, both in the main process.
    pub fn new() -> Self {
        let channel = Channel::new();
        Self {
            port1: MessagePortMain::new(channel.clone(), 0),
            port2: MessagePortMain::new(channel, 1),
        }
    }
}

impl Default for MessageChannelMain {
    fn default() -> Self {
        Self::new()
    }
}

/// A message that arrived on a [`MessagePortMain`] (Electron's `MessageEvent`).
#[derive(Debug, Clone, PartialEq)]
pub struct PortMessage {
    /// What was posted.
    pub data: Value,
    /// The ports transferred with it (`event.ports`), now this process's to use.
    pub ports: Vec<MessagePortMain>,
}

impl PortMessage {
    /// The data as a Rust type (see [`Value::deserialize_into`]).
    pub fn deserialize<T: serde::de::DeserializeOwned>(&self) -> Result<T, IpcError> {
        self.data
            .clone()
            .deserialize_into()
            .map_err(|e| IpcError::Handler(format!("unexpected port message: {e}")))
    }
}

type MessageListener = Arc<dyn Fn(PortMessage) + Send + Sync>;
type CloseListener = Arc<dyn Fn() + Send + Sync>;

/// One end of a [`MessageChannelMain`], or the main-process end of a port a renderer
/// sent with `ipcRenderer.postMessage` (`event.ports()`). Cheap to clone; clones are
/// the same end.
///
/// As in Electron, messages wait until [`MessagePortMain::start`] is called, then go
/// to every `on_message` listener in order. `on_close` listeners run once, when either
/// end is closed or the window holding the other end goes away, and always after
/// every message that arrived before the close: an end closed from the other side
/// before it was started keeps what it received, and runs its close listeners once
/// [`MessagePortMain::start`] has delivered it.
#[derive(Clone)]
pub struct MessagePortMain {
    channel: Arc<Channel>,
    side: usize,
    /// Which holder of the end this handle belongs to: a transfer gives the end a new
    /// holder, so handles kept by the sender are neutered, as a transferred
    /// `MessagePort` is.
    holder: u64,
}

impl MessagePortMain {
    fn new(channel: Arc<Channel>, side: usize) -> Self {
        Self {
            channel,
            side,
            holder: 0,
        }
    }

    /// Posts a message to the other end (`port.postMessage`): any serde type, or a
    /// [`Value`]. Fails when this end was transferred away. On a closed channel the
    /// message is dropped, as in Electron.
    pub fn post_message<T: Serialize + 'static>(&self, message: T) -> Result<(), IpcError> {
        self.post_message_with(message, Vec::new())
    }

    /// Posts a message and transfers ports with it (`port.postMessage(message,
    /// [ports])`): the other end's listeners get them in [`PortMessage::ports`], or,
    /// when it is in a renderer, its `event.ports`. The handles given here, and their
    /// clones, are neutered.
    ///
    /// Refused, with Electron's texts, when `transfer` holds this port or its other
    /// end, the same port twice, or a port that is closed or already transferred.
    ///
    /// ```
    /// use voltaic_core::MessageChannelMain;
    ///
    /// let outer = MessageChannelMain::new();
    /// let inner = MessageChannelMain::new();
    /// outer.port2.on_message(|message| {
    ///     let carried = &message.ports[0];
    ///     carried.on_message(|inner| println!("through the carried port: {:?}", inner.data));
    ///     carried.start();
    /// });
    /// outer.port2.start();
    /// outer.port1.post_message_with((), vec![inner.port2])?;
    /// inner.port1.post_message("hello")?;
    /// # Ok::<(), voltaic_core::IpcError>(())
    /// ```
    pub fn post_message_with<T: Serialize + 'static>(
        &self,
        message: T,
        transfer: Vec<MessagePortMain>,
    ) -> Result<(), IpcError> {
        let value = crate::value::into_value(message)?;
        check_transfer(&transfer, Some(self))?;
        match self.state() {
            Held::Here => {}
            Held::Closed => {
                tracing::debug!("a message posted on a closed port was dropped");
                return Ok(());
            }
            Held::Elsewhere => return Err(neutered(None)),
        }
        let moved = transfer.iter().map(MessagePortMain::take).collect();
        self.channel.deliver(1 - self.side, value, moved);
        Ok(())
    }

    /// Where this handle's end is, for this handle.
    fn state(&self) -> Held {
        let end = lock(&self.channel.ends[self.side]);
        match end.location {
            Location::Closed => Held::Closed,
            _ if self.holds(&end) => Held::Here,
            _ => Held::Elsewhere,
        }
    }

    /// Whether `end` (this handle's, locked) is in the main process and held by this
    /// handle rather than transferred away.
    fn holds(&self, end: &End) -> bool {
        matches!(end.location, Location::Main) && end.holder == self.holder
    }

    /// Moves this end to a new holder: the handle returned works, this one and its
    /// clones are neutered. Called on ports [`check_transfer`] accepted.
    fn take(&self) -> MessagePortMain {
        let mut end = lock(&self.channel.ends[self.side]);
        end.holder += 1;
        MessagePortMain {
            channel: self.channel.clone(),
            side: self.side,
            holder: end.holder,
        }
    }

    /// Adds a listener for messages arriving at this end (`port.on('message')`).
    pub fn on_message(&self, listener: impl Fn(PortMessage) + Send + Sync + 'static) {
        lock(&self.channel.ends[self.side])
            .on_message
            .push(Arc::new(listener));
    }

    /// Adds a listener for the closing of the channel (`port.on('close')`).
    pub fn on_close(&self, listener: impl Fn() + Send + Sync + 'static) {
        lock(&self.channel.ends[self.side])
            .on_close
            .push(Arc::new(listener));
    }

    /// Starts delivery (`port.start()`): messages that arrived before are delivered
    /// now, in order, and if the other end closed meanwhile, the close listeners
    /// run after them.
    pub fn start(&self) {
        let (queued, listeners, closers) = {
            let mut end = lock(&self.channel.ends[self.side]);
            let closed_unread = end.closed_unread && end.holder == self.holder;
            if !self.holds(&end) && !closed_unread {
                return;
            }
            end.started = true;
            let queued = std::mem::take(&mut end.queue);
            let listeners = end.on_message.clone();
            let closers = if closed_unread {
                end.closed_unread = false;
                end.on_message.clear();
                std::mem::take(&mut end.on_close)
            } else {
                Vec::new()
            };
            (queued, listeners, closers)
        };
        for message in queued {
            notify(&listeners, &message.data, &message.ports);
        }
        closers.iter().for_each(|listener| listener());
    }

    /// Closes the channel (`port.close()`): both ends stop delivering, and the other
    /// end's close listeners run (or its renderer's port is closed).
    pub fn close(&self) {
        self.channel.close(self.side);
    }

    /// Whether the channel has been closed, from either end.
    pub fn is_closed(&self) -> bool {
        matches!(
            lock(&self.channel.ends[self.side]).location,
            Location::Closed
        )
    }

    /// Moves this end into `contents`' renderer under `key`; messages that were
    /// waiting for it follow it there, after the message that carries it.
    pub(crate) fn transfer_to(
        &self,
        contents: &WebContents,
        table: &PortTable,
    ) -> Result<(String, Vec<Queued>), IpcError> {
        let key = format!("m{}", self.channel.id * 2 + self.side as u64);
        let mut end = lock(&self.channel.ends[self.side]);
        if !self.holds(&end) {
            return Err(neutered(None));
        }
        table.insert(key.clone(), self.channel.clone(), self.side)?;
        end.location = Location::Renderer {
            contents: contents.clone(),
            key: key.clone(),
        };
        Ok((key, std::mem::take(&mut end.queue).into()))
    }
}

impl fmt::Debug for MessagePortMain {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MessagePortMain")
            .field("channel", &self.channel.id)
            .field("side", &self.side)
            .finish()
    }
}

impl PartialEq for MessagePortMain {
    /// The same end of the same channel, whoever holds it.
    fn eq(&self, other: &Self) -> bool {
        Arc::ptr_eq(&self.channel, &other.channel) && self.side == other.side
    }
}

/// Where an end is, as seen by one handle to it.
enum Held {
    Here,
    Elsewhere,
    Closed,
}

fn neutered(index: Option<usize>) -> IpcError {
    IpcError::Port(match index {
        Some(i) => format!("Port at index {i} is already neutered."),
        None => "the port was transferred and is neutered".into(),
    })
}

/// The checks on a transfer list that Electron makes (its texts), before anything
/// is moved: no port twice, none closed or already transferred, and neither end of
/// the port it is posted on.
pub(crate) fn check_transfer(
    transfer: &[MessagePortMain],
    source: Option<&MessagePortMain>,
) -> Result<(), IpcError> {
    for (i, port) in transfer.iter().enumerate() {
        if let Some(source) = source {
            if Arc::ptr_eq(&port.channel, &source.channel) {
                return Err(IpcError::Port(if port.side == source.side {
                    format!("Port at index {i} contains the source port.")
                } else {
                    format!("Port at index {i} is the other end of the source port.")
                }));
            }
        }
        if transfer[..i].contains(port) {
            return Err(IpcError::Port(format!("Port at index {i} is a duplicate.")));
        }
        if !matches!(port.state(), Held::Here) {
            return Err(neutered(Some(i)));
        }
    }
    Ok(())
}

fn notify(listeners: &[MessageListener], data: &Value, ports: &[MessagePortMain]) {
    for listener in listeners {
        listener(PortMessage {
            data: data.clone(),
            ports: ports.to_vec(),
        });
    }
}

/// A message waiting for an end that has not started, or following a port on its way
/// to a renderer.
pub(crate) struct Queued {
    pub(crate) data: Value,
    pub(crate) ports: Vec<MessagePortMain>,
}

/// Where one end of a channel is.
enum Location {
    Main,
    /// The window's port table holds the channel until the window goes, so this
    /// reference cycle is broken by [`PortTable::close_all`] at the latest.
    Renderer {
        contents: WebContents,
        key: String,
    },
    Closed,
}

struct End {
    location: Location,
    holder: u64,
    started: bool,
    /// Closed from the other side before it was started, with messages it has not
    /// delivered yet: [`MessagePortMain::start`] delivers them, then closes.
    closed_unread: bool,
    queue: VecDeque<Queued>,
    on_message: Vec<MessageListener>,
    on_close: Vec<CloseListener>,
}

struct Channel {
    id: u64,
    ends: [Mutex<End>; 2],
}

impl Channel {
    fn new() -> Arc<Self> {
        let end = || {
            Mutex::new(End {
                location: Location::Main,
                holder: 0,
                started: false,
                closed_unread: false,
                queue: VecDeque::new(),
                on_message: Vec::new(),
                on_close: Vec::new(),
            })
        };
        Arc::new(Self {
            id: NEXT_CHANNEL.fetch_add(1, Ordering::Relaxed),
            ends: [end(), end()],
        })
    }

    /// Delivers `data`, and the ports moved with it, to end `side`, wherever it is.
    /// Ports of a message that cannot be delivered are closed.
    fn deliver(&self, side: usize, data: Value, ports: Vec<MessagePortMain>) {
        let mut end = lock(&self.ends[side]);
        match &end.location {
            Location::Main if end.started => {
                let listeners = end.on_message.clone();
                drop(end);
                notify(&listeners, &data, &ports);
            }
            Location::Main if end.queue.len() < MAX_QUEUED => {
                end.queue.push_back(Queued { data, ports });
            }
            Location::Main => {
                drop(end);
                tracing::warn!(
                    "dropped a port message: {MAX_QUEUED} wait for a port nobody started"
                );
                ports.iter().for_each(MessagePortMain::close);
            }
            Location::Renderer { contents, key } => {
                let (contents, key) = (contents.clone(), key.clone());
                drop(end);
                match contents.post_port(&key, Queued { data, ports }) {
                    Ok(()) => {}
                    Err(IpcError::WindowClosed(_)) => self.close(side),
                    Err(error) => tracing::debug!("port message not delivered: {error}"),
                }
            }
            Location::Closed => {
                drop(end);
                ports.iter().for_each(MessagePortMain::close);
            }
        }
    }

    /// Closes both ends; `from` is the end that asked, whose own renderer (if any)
    /// already knows. What the other end received before the close stays its own:
    /// an unstarted end in the main process keeps its queue for `start`, and a
    /// renderer is told after the messages already on their way to it.
    fn close(&self, from: usize) {
        for side in [from, 1 - from] {
            let (location, listeners, queued, unread) = {
                let mut end = lock(&self.ends[side]);
                let location = std::mem::replace(&mut end.location, Location::Closed);
                if side != from {
                    if matches!(location, Location::Main) && !end.started && !end.queue.is_empty() {
                        end.closed_unread = true;
                        continue;
                    }
                    if matches!(location, Location::Closed) {
                        continue;
                    }
                }
                // An end closed by its own holder before reading what it kept: the
                // rest is thrown away, and its close listeners run now.
                let unread = side == from && std::mem::take(&mut end.closed_unread);
                end.on_message.clear();
                let queued = std::mem::take(&mut end.queue);
                (location, std::mem::take(&mut end.on_close), queued, unread)
            };
            // Ports waiting in a closed end's queue can never be taken out.
            for message in queued {
                message.ports.iter().for_each(MessagePortMain::close);
            }
            match location {
                Location::Main => listeners.iter().for_each(|listener| listener()),
                Location::Closed if unread => listeners.iter().for_each(|listener| listener()),
                Location::Renderer { contents, key } => {
                    contents.ports().remove(&key);
                    if side != from {
                        let _ = contents.close_port(&key);
                    }
                }
                Location::Closed => {}
            }
        }
    }
}

/// The ports one window's renderer holds, by key: `r<n>` for ports the renderer
/// created and sent, `m<n>` for ports the main process transferred to it.
#[derive(Default)]
pub(crate) struct PortTable(Mutex<HashMap<String, (Arc<Channel>, usize)>>);

impl PortTable {
    fn insert(&self, key: String, channel: Arc<Channel>, side: usize) -> Result<(), IpcError> {
        let mut table = lock(&self.0);
        if table.len() >= MAX_PORTS_PER_WINDOW {
            return Err(IpcError::Port(format!(
                "a window may hold at most {MAX_PORTS_PER_WINDOW} ports"
            )));
        }
        if table.contains_key(&key) {
            return Err(IpcError::Port(format!("port '{key}' already exists")));
        }
        table.insert(key, (channel, side));
        Ok(())
    }

    fn remove(&self, key: &str) {
        lock(&self.0).remove(key);
    }

    /// Takes in ports the renderer sent with a message (`ipcRenderer.postMessage`):
    /// each key must be new and of the renderer's own form (`r` and digits). Returns
    /// the main-process ends, in order.
    pub(crate) fn adopt(
        &self,
        contents: &WebContents,
        keys: &[String],
    ) -> Result<Vec<MessagePortMain>, IpcError> {
        let well_formed = |key: &String| {
            key.len() >= 2
                && key.len() <= 17
                && key.starts_with('r')
                && key[1..].bytes().all(|b| b.is_ascii_digit())
        };
        if let Some(bad) = keys.iter().find(|key| !well_formed(key)) {
            return Err(IpcError::Port(format!(
                "invalid port key {:?}",
                bad.chars().take(32).collect::<String>()
            )));
        }
        let mut ports = Vec::with_capacity(keys.len());
        for key in keys {
            let channel = Channel::new();
            lock(&channel.ends[0]).location = Location::Renderer {
                contents: contents.clone(),
                key: key.clone(),
            };
            if let Err(error) = self.insert(key.clone(), channel.clone(), 0) {
                // The ports taken in so far go with the refused message.
                for port in &ports {
                    MessagePortMain::close(port);
                }
                return Err(error);
            }
            ports.push(MessagePortMain::new(channel, 1));
        }
        Ok(ports)
    }

    /// A message the renderer posted on its port `key`, with the ports it carried
    /// (already adopted): delivered to the other end. Unknown keys (a port closed
    /// meanwhile, or a forged key) are dropped, and the ports with them closed.
    pub(crate) fn post_from_renderer(
        &self,
        key: &str,
        data: Value,
        ports: Vec<MessagePortMain>,
    ) -> bool {
        let entry = lock(&self.0).get(key).cloned();
        match entry {
            Some((channel, side)) => {
                channel.deliver(1 - side, data, ports);
                true
            }
            None => {
                ports.iter().for_each(MessagePortMain::close);
                false
            }
        }
    }

    /// The renderer closed its port `key`.
    pub(crate) fn close_from_renderer(&self, key: &str) -> bool {
        let entry = lock(&self.0).remove(key);
        match entry {
            Some((channel, side)) => {
                channel.close(side);
                true
            }
            None => false,
        }
    }

    /// The window is gone: every channel with an end in it is closed.
    pub(crate) fn close_all(&self) {
        let entries: Vec<_> = lock(&self.0).drain().collect();
        for (_, (channel, side)) in entries {
            channel.close(side);
        }
    }

    #[cfg(test)]
    pub(crate) fn len(&self) -> usize {
        lock(&self.0).len()
    }
}

#[cfg(test)]
mod random;

#[cfg(test)]
mod tests {
    use super::*;
    use crate::web_contents::tests::test_contents;
    use std::sync::atomic::AtomicUsize;

    fn recorder(port: &MessagePortMain) -> Arc<Mutex<Vec<Value>>> {
        let seen: Arc<Mutex<Vec<Value>>> = Arc::default();
        let sink = seen.clone();
        port.on_message(move |m| lock(&sink).push(m.data));
        seen
    }

    #[test]
    fn messages_wait_for_start_then_arrive_in_order() {
        let MessageChannelMain { port1, port2 } = MessageChannelMain::new();
        let seen = recorder(&port2);
        port1.post_message(1).unwrap();
        port1.post_message("two").unwrap();
        assert!(lock(&seen).is_empty(), "delivered before start()");
        port2.start();
        port1.post_message(3).unwrap();
        assert_eq!(
            *lock(&seen),
            vec![
                Value::Number(1.0),
                Value::String("two".into()),
                Value::Number(3.0)
            ]
        );
    }

    #[test]
    fn closing_one_end_closes_both_and_tells_the_other() {
        let MessageChannelMain { port1, port2 } = MessageChannelMain::new();
        let closed = Arc::new(AtomicUsize::new(0));
        let count = closed.clone();
        port2.on_close(move || {
            count.fetch_add(1, Ordering::SeqCst);
        });
        port1.close();
        port1.close();
        assert_eq!(closed.load(Ordering::SeqCst), 1);
        assert!(port2.is_closed());
    }

    /// What reached an end before the other end closed is not thrown away: the
    /// end delivers it on `start`, and only then hears the close.
    #[test]
    fn a_close_from_the_other_end_waits_for_start() {
        let (contents, _link) = test_contents();
        let ports = contents
            .ports()
            .adopt(&contents, &["r1".to_owned()])
            .unwrap();
        let events: Arc<Mutex<Vec<String>>> = Arc::default();
        let (seen, closed) = (events.clone(), events.clone());
        ports[0].on_message(move |m| lock(&seen).push(format!("{:?}", m.data)));
        ports[0].on_close(move || lock(&closed).push("close".into()));
        for i in 0..3 {
            assert!(contents.ports().post_from_renderer(
                "r1",
                Value::Number(f64::from(i)),
                Vec::new()
            ));
        }
        assert!(contents.ports().close_from_renderer("r1"));
        assert!(ports[0].is_closed());
        assert!(lock(&events).is_empty(), "told before start()");
        ports[0].start();
        assert_eq!(
            *lock(&events),
            ["Number(0.0)", "Number(1.0)", "Number(2.0)", "close"]
        );
        // Its own close, before start, throws the rest away and still tells.
        let (contents, _link) = test_contents();
        let ports = contents
            .ports()
            .adopt(&contents, &["r2".to_owned()])
            .unwrap();
        let closes = Arc::new(AtomicUsize::new(0));
        let count = closes.clone();
        ports[0].on_close(move || {
            count.fetch_add(1, Ordering::SeqCst);
        });
        contents
            .ports()
            .post_from_renderer("r2", Value::Null, Vec::new());
        contents.ports().close_from_renderer("r2");
        ports[0].close();
        assert_eq!(closes.load(Ordering::SeqCst), 1);
    }

    /// Electron's "can send messages to a closed port" and "... to a port whose
    /// remote end is closed": no error, and nothing arrives.
    #[test]
    fn messages_to_a_closed_port_are_dropped_without_error() {
        for close_first in [true, false] {
            let MessageChannelMain { port1, port2 } = MessageChannelMain::new();
            port2.start();
            let seen = recorder(&port2);
            if close_first {
                port1.close();
            } else {
                port2.close();
            }
            assert_eq!(port1.post_message("hello"), Ok(()));
            assert!(lock(&seen).is_empty());
        }
    }

    /// Electron's transfer-list cases of `MessageChannelMain` ("throws when
    /// postMessage transferables contains the source port", "... passing duplicate
    /// ports", "... ports that have already been neutered", "... passing itself"),
    /// with its texts.
    #[test]
    fn transfer_lists_are_checked_with_electrons_texts() {
        let MessageChannelMain { port1, port2 } = MessageChannelMain::new();
        let other = MessageChannelMain::new();
        let refused = |result: Result<(), IpcError>| match result {
            Err(IpcError::Port(text)) => text,
            other => panic!("expected a port error, got {other:?}"),
        };
        assert_eq!(
            refused(port1.post_message_with((), vec![port1.clone()])),
            "Port at index 0 contains the source port."
        );
        assert_eq!(
            refused(port1.post_message_with((), vec![port2.clone()])),
            "Port at index 0 is the other end of the source port."
        );
        assert_eq!(
            refused(port1.post_message_with((), vec![other.port1.clone(), other.port1.clone()])),
            "Port at index 1 is a duplicate."
        );
        port1
            .post_message_with((), vec![other.port1.clone()])
            .unwrap();
        assert_eq!(
            refused(port1.post_message_with((), vec![other.port1.clone()])),
            "Port at index 0 is already neutered."
        );
        // A neutered handle cannot post either; a refused list moved nothing.
        assert!(other.port1.post_message(1).is_err());
        let (contents, _link) = test_contents();
        let third = MessageChannelMain::new();
        assert!(contents
            .post_message("p", (), vec![third.port1.clone(), third.port1.clone()])
            .is_err());
        assert!(third.port1.post_message(1).is_ok());
    }

    /// Electron's "can be passed over another channel": a port carried by a message
    /// arrives usable, with the messages that were waiting for it, and the sender's
    /// handle is neutered.
    #[test]
    fn a_port_carried_in_a_port_message_arrives_usable() {
        let outer = MessageChannelMain::new();
        let inner = MessageChannelMain::new();
        let carried: Arc<Mutex<Vec<MessagePortMain>>> = Arc::default();
        let sink = carried.clone();
        outer.port2.on_message(move |m| lock(&sink).extend(m.ports));
        outer.port2.start();
        inner.port1.post_message("waiting").unwrap();
        outer
            .port1
            .post_message_with((), vec![inner.port2.clone()])
            .unwrap();
        let port = lock(&carried).pop().expect("the carried port");
        let seen = recorder(&port);
        port.start();
        inner.port1.post_message("after").unwrap();
        assert_eq!(
            *lock(&seen),
            vec![
                Value::String("waiting".into()),
                Value::String("after".into())
            ]
        );
        assert!(
            inner.port2.post_message(1).is_err(),
            "the sender's handle is neutered"
        );
    }

    /// A port carried to a renderer goes there under its own key, after the message
    /// that carries it; one carried from a renderer is adopted.
    #[test]
    fn ports_carried_to_and_from_a_renderer() {
        let (contents, link) = test_contents();
        let outer = MessageChannelMain::new();
        let inner = MessageChannelMain::new();
        contents
            .post_message("port", (), vec![outer.port2])
            .unwrap();
        inner.port1.post_message("queued").unwrap();
        outer
            .port1
            .post_message_with("carrier", vec![inner.port2.clone()])
            .unwrap();
        let outer_key = format!("m{}", outer.port1.channel.id * 2 + 1);
        let inner_key = format!("m{}", inner.port1.channel.id * 2 + 1);
        assert_eq!(
            lock(&link.posted)[1..].to_vec(),
            vec![
                format!(
                    r#"{{"t":"port","port":"{outer_key}","data":"carrier","ports":["{inner_key}"]}}"#
                ),
                format!(r#"{{"t":"port","port":"{inner_key}","data":"queued"}}"#),
            ]
        );
        // Back from the renderer, carrying a port of its own.
        let carried: Arc<Mutex<Vec<MessagePortMain>>> = Arc::default();
        let sink = carried.clone();
        outer.port1.on_message(move |m| lock(&sink).extend(m.ports));
        outer.port1.start();
        let adopted = contents
            .ports()
            .adopt(&contents, &["r7".to_owned()])
            .unwrap();
        assert!(contents
            .ports()
            .post_from_renderer(&outer_key, Value::Null, adopted));
        let port = lock(&carried).pop().expect("the renderer's port");
        port.post_message("to r7").unwrap();
        assert_eq!(
            lock(&link.posted).last().cloned(),
            Some(r#"{"t":"port","port":"r7","data":"to r7"}"#.to_owned())
        );
    }

    #[test]
    fn a_transferred_port_is_relayed_to_its_renderer() {
        let (contents, link) = test_contents();
        let MessageChannelMain { port1, port2 } = MessageChannelMain::new();
        port1.post_message("early").unwrap();
        contents
            .post_message("port", "hi", vec![port2.clone()])
            .unwrap();
        port1.post_message(2).unwrap();
        let key = format!("m{}", port2.channel.id * 2 + 1);
        assert_eq!(
            *lock(&link.posted),
            vec![
                format!(r#"{{"t":"message","ch":"port","args":["hi"],"ports":["{key}"]}}"#),
                format!(r#"{{"t":"port","port":"{key}","data":"early"}}"#),
                format!(r#"{{"t":"port","port":"{key}","data":2}}"#),
            ]
        );
        assert!(matches!(port2.post_message(1), Err(IpcError::Port(_))));
        assert!(contents.post_message("port", (), vec![port2]).is_err());

        let seen = recorder(&port1);
        port1.start();
        assert!(contents
            .ports()
            .post_from_renderer(&key, Value::Bool(true), Vec::new()));
        assert!(!contents
            .ports()
            .post_from_renderer("m999999", Value::Null, Vec::new()));
        assert_eq!(*lock(&seen), vec![Value::Bool(true)]);

        let closed = Arc::new(AtomicUsize::new(0));
        let count = closed.clone();
        port1.on_close(move || {
            count.fetch_add(1, Ordering::SeqCst);
        });
        contents.ports().close_all();
        assert_eq!(closed.load(Ordering::SeqCst), 1);
        assert_eq!(contents.ports().len(), 0);
    }

    #[test]
    fn closing_in_main_closes_the_renderers_port() {
        let (contents, link) = test_contents();
        let MessageChannelMain { port1, port2 } = MessageChannelMain::new();
        contents.post_message("port", (), vec![port2]).unwrap();
        port1.close();
        let posted = lock(&link.posted).clone();
        assert!(
            posted[1].starts_with(r#"{"t":"port-close","port":"m"#),
            "{posted:?}"
        );
        assert_eq!(contents.ports().len(), 0);
    }

    #[test]
    fn ports_from_a_renderer_are_checked() {
        let (contents, link) = test_contents();
        let table = contents.ports();
        for bad in ["", "r", "m1", "x1", "r1a", "r12345678901234567"] {
            assert!(
                table.adopt(&contents, &[bad.to_owned()]).is_err(),
                "{bad:?}"
            );
        }
        let ports = table.adopt(&contents, &["r1".to_owned()]).unwrap();
        assert!(table.adopt(&contents, &["r1".to_owned()]).is_err());
        // A refused message takes none of its ports.
        assert!(table
            .adopt(&contents, &["r2".to_owned(), "r2".to_owned()])
            .is_err());
        assert_eq!(table.len(), 1);
        ports[0].post_message("back").unwrap();
        assert_eq!(
            lock(&link.posted).last().cloned(),
            Some(r#"{"t":"port","port":"r1","data":"back"}"#.to_owned())
        );
        assert!(table.close_from_renderer("r1"));
        assert!(ports[0].is_closed());
    }

    #[test]
    fn a_port_between_two_windows_relays_both_ways() {
        let (a, link_a) = test_contents();
        let (b, link_b) = test_contents();
        let MessageChannelMain { port1, port2 } = MessageChannelMain::new();
        a.post_message("port", (), vec![port1]).unwrap();
        b.post_message("port", (), vec![port2]).unwrap();
        let key = |link: &crate::web_contents::tests::RecordingLink| {
            let first: serde_json::Value = serde_json::from_str(&lock(&link.posted)[0]).unwrap();
            first["ports"][0].as_str().unwrap().to_owned()
        };
        let (ka, kb) = (key(&link_a), key(&link_b));
        assert!(a
            .ports()
            .post_from_renderer(&ka, Value::String("to b".into()), Vec::new()));
        assert!(b
            .ports()
            .post_from_renderer(&kb, Value::String("to a".into()), Vec::new()));
        assert_eq!(
            lock(&link_b.posted).last().cloned(),
            Some(format!(r#"{{"t":"port","port":"{kb}","data":"to b"}}"#))
        );
        assert_eq!(
            lock(&link_a.posted).last().cloned(),
            Some(format!(r#"{{"t":"port","port":"{ka}","data":"to a"}}"#))
        );
        // Window a goes away: b's port is closed.
        a.ports().close_all();
        assert_eq!(
            lock(&link_b.posted).last().cloned(),
            Some(format!(r#"{{"t":"port-close","port":"{kb}"}}"#))
        );
        assert_eq!(b.ports().len(), 0);
    }
}
