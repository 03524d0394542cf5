use std::fmt;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Instant;

use bytes::Bytes;
use serde::Serialize;

use crate::policy::{Direction, WindowPolicy};
use crate::ports::{check_transfer, MessagePortMain, PortTable, Queued};
use crate::protocol::MainMessage;
use crate::schema::Schemas;
use crate::scope::IpcScope;
use crate::timeline::{Event, PortAction, Timeline};
use crate::wire::{self, Packet};
use crate::{IpcError, Value};

/// How the main process reaches one renderer's preload world. Implemented by each
/// platform backend (and by fakes in tests).
pub trait RendererLink: Send + Sync + 'static {
    /// Delivers one serialized [`MainMessage`] and the buffers its values point into.
    /// Called from any thread; must not block for long. Returns
    /// [`IpcError::WindowClosed`] once the window is gone.
    fn post(&self, message: Packet) -> Result<(), IpcError>;

    /// Delivers the answer (a [`MainMessage::Resolve`] or [`MainMessage::Reject`]) to
    /// invoke `id`. A transport whose invokes carry their own reply channel answers
    /// through it; by default the answer is posted like any other message.
    fn answer(&self, id: u64, message: Packet) -> Result<(), IpcError> {
        let _ = id;
        self.post(message)
    }
}

/// A handle to one window's web contents, usable from any thread (Electron's
/// `webContents`).
#[derive(Clone)]
pub struct WebContents {
    id: u32,
    link: Arc<dyn RendererLink>,
    policy: Arc<WindowPolicy>,
    schemas: Schemas,
    timeline: Timeline,
    ports: Arc<PortTable>,
    exposed_ipc_renderer: Arc<Mutex<Vec<String>>>,
    ipc: IpcScope,
    main_frame_ipc: IpcScope,
}

/// The id of a window's main frame, the only frame with a preload (Electron's
/// default: preloads do not run in sub-frames unless `nodeIntegrationInSubFrames`).
pub const MAIN_FRAME_ID: u32 = 1;

impl WebContents {
    /// Wraps a transport link with its window's policy and the registry's schemas.
    pub(crate) fn guarded(
        id: u32,
        link: Arc<dyn RendererLink>,
        policy: Arc<WindowPolicy>,
        schemas: Schemas,
        timeline: Timeline,
    ) -> Self {
        Self {
            id,
            link,
            policy,
            schemas,
            timeline,
            ports: Arc::default(),
            exposed_ipc_renderer: Arc::default(),
            ipc: IpcScope::default(),
            main_frame_ipc: IpcScope::default(),
        }
    }

    /// This window's own handlers and listeners (Electron's `webContents.ipc`): its
    /// messages reach them after its main frame's and before [`crate::IpcMain`]'s,
    /// and its invokes are answered here first (see [`IpcScope`]). They go when the
    /// window closes.
    ///
    /// ```
    /// # use std::sync::Arc;
    /// # use voltaic_core::{IpcError, IpcMain, Packet, RendererLink, WindowPolicy};
    /// # struct Page; // stands in for a renderer
    /// # impl RendererLink for Page { fn post(&self, _: Packet) -> Result<(), IpcError> { Ok(()) } }
    /// # let runtime = tokio::runtime::Runtime::new().unwrap();
    /// # let ipc_main = IpcMain::new(runtime.handle().clone());
    /// # let web_contents_window = ipc_main.connect(1, Arc::new(Page), WindowPolicy::permissive());
    /// # let web_contents = web_contents_window.web_contents();
    /// use voltaic_core::IpcEvent;
    ///
    /// web_contents.ipc().on("saved", |event: IpcEvent, path: String| {
    ///     println!("window {} saved {path}", event.sender().id());
    /// });
    /// # Ok::<(), IpcError>(())
    /// ```
    pub fn ipc(&self) -> &IpcScope {
        &self.ipc
    }

    /// The window's main frame (Electron's `webContents.mainFrame`), the one frame
    /// with a preload.
    pub fn main_frame(&self) -> WebFrameMain {
        WebFrameMain {
            web_contents: self.clone(),
        }
    }

    pub(crate) fn main_frame_scope(&self) -> &IpcScope {
        &self.main_frame_ipc
    }

    /// Lets go of the window's handlers and listeners once it has closed.
    pub(crate) fn clear_scopes(&self) {
        self.ipc.clear();
        self.main_frame_ipc.clear();
    }

    /// The ports this window's renderer holds.
    pub(crate) fn ports(&self) -> &PortTable {
        &self.ports
    }

    /// Where the window's preload tried to expose `ipcRenderer` itself through
    /// `contextBridge` (e.g. `electron.ipcRenderer`), since the window opened. The
    /// page got an empty object each time, as in Electron ≥ 29; a preload that does
    /// this meant to hand the page every granted channel.
    pub fn exposed_ipc_renderer(&self) -> Vec<String> {
        self.exposed_ipc_renderer
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    pub(crate) fn note_exposed_ipc_renderer(&self, key: String) {
        let mut keys = self
            .exposed_ipc_renderer
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        // Bounded: the text comes from the renderer, and a reloading page says it
        // again each time.
        let key: String = key.chars().take(128).collect();
        if !keys.contains(&key) && keys.len() < 16 {
            keys.push(key);
        }
    }

    /// What this window is allowed: its channel grants and accepted origins.
    pub fn policy(&self) -> &WindowPolicy {
        &self.policy
    }

    /// The unique id of this window's web contents.
    pub fn id(&self) -> u32 {
        self.id
    }

    /// Sends a message to the renderer's `ipcRenderer.on(channel, ..)` listeners
    /// (`webContents.send`).
    ///
    /// `args` is the argument list: a tuple or array is spread into separate
    /// arguments, `()` sends none, any other value is sent as the only argument. To send
    /// one array as a single argument, wrap it: `(vec,)`.
    ///
    /// The channel must be granted to the window for receiving
    /// ([`crate::ChannelGrants::receive`]), and the arguments must match the channel's
    /// schema, if it has one; otherwise nothing is sent and the error says why.
    ///
    /// Messages are delivered in order. One sent while the window's document is still
    /// loading waits until that document's preload has run, rather than being dropped as
    /// in Electron.
    ///
    /// ```
    /// # use std::sync::Arc;
    /// # use voltaic_core::{IpcError, IpcMain, Packet, RendererLink, WindowPolicy};
    /// # struct Page; // stands in for a renderer
    /// # impl RendererLink for Page { fn post(&self, _: Packet) -> Result<(), IpcError> { Ok(()) } }
    /// # let runtime = tokio::runtime::Runtime::new().unwrap();
    /// # let ipc_main = IpcMain::new(runtime.handle().clone());
    /// # let web_contents_window = ipc_main.connect(1, Arc::new(Page), WindowPolicy::permissive());
    /// # let web_contents = web_contents_window.web_contents();
    /// web_contents.send("update-channel", ("Update from main process",))?;
    /// web_contents.send("progress", (3, 10))?; // listener gets (event, 3, 10)
    /// # Ok::<(), IpcError>(())
    /// ```
    pub fn send<T: Serialize + 'static>(&self, channel: &str, args: T) -> Result<(), IpcError> {
        self.send_values(channel, into_args(args)?)
    }

    /// Like [`WebContents::send`], with the arguments as [`Value`]s: for what serde
    /// types cannot say (`undefined`, `Date`, `Map`, `Set`, cycles, ...).
    ///
    /// ```
    /// # use std::sync::Arc;
    /// # use voltaic_core::{IpcError, IpcMain, Packet, RendererLink, WindowPolicy};
    /// # struct Page; // stands in for a renderer
    /// # impl RendererLink for Page { fn post(&self, _: Packet) -> Result<(), IpcError> { Ok(()) } }
    /// # let runtime = tokio::runtime::Runtime::new().unwrap();
    /// # let ipc_main = IpcMain::new(runtime.handle().clone());
    /// # let web_contents_window = ipc_main.connect(1, Arc::new(Page), WindowPolicy::permissive());
    /// # let web_contents = web_contents_window.web_contents();
    /// use voltaic_core::Value;
    ///
    /// web_contents.send_values("when", vec![Value::Date(0.0), Value::Undefined])?;
    /// # Ok::<(), IpcError>(())
    /// ```
    pub fn send_values(&self, channel: &str, args: Vec<Value>) -> Result<(), IpcError> {
        let (args, buffers) = self.outgoing(channel, &args)?;
        let preview = self.timeline.preview(channel, &args);
        let message = MainMessage::Message {
            ch: channel.to_owned(),
            args,
            ports: Vec::new(),
        };
        self.push(channel, packet(&message, buffers), 0, preview)
    }

    /// Posts a message for the page's listeners of `channel`, and puts it on the
    /// timeline.
    fn push(
        &self,
        channel: &str,
        packet: Packet,
        ports: usize,
        preview: Option<String>,
    ) -> Result<(), IpcError> {
        let size = packet.size();
        self.link.post(packet)?;
        self.timeline
            .record(self.id, Instant::now(), || Event::Push {
                channel: channel.to_owned(),
                size,
                ports,
                preview,
            });
        Ok(())
    }

    /// Checks a message for the renderer on `channel` (name, grant, schema) and
    /// returns its arguments in wire form with the buffers they point into.
    fn outgoing(
        &self,
        channel: &str,
        args: &[Value],
    ) -> Result<(Vec<serde_json::Value>, Vec<Bytes>), IpcError> {
        validate_channel(channel)?;
        self.policy.grants.check(Direction::Receive, channel)?;
        let mut buffers = Vec::new();
        let mut args = wire::encode_args(args, &mut buffers);
        self.schemas.check_args(channel, &mut args)?;
        Ok((args, buffers))
    }

    /// Sends a message to a frame of this window (`webContents.sendToFrame`). Only
    /// the main frame ([`MAIN_FRAME_ID`], also [`crate::SenderFrame::frame_id`]) has a
    /// preload to receive it; any other id is [`IpcError::NoSuchFrame`].
    pub fn send_to_frame<T: Serialize + 'static>(
        &self,
        frame_id: u32,
        channel: &str,
        args: T,
    ) -> Result<(), IpcError> {
        if frame_id != MAIN_FRAME_ID {
            return Err(IpcError::NoSuchFrame(frame_id));
        }
        self.send(channel, args)
    }

    /// Sends one message and transfers ports with it (`webContents.postMessage`): the
    /// renderer's `ipcRenderer.on(channel)` listeners get `message` as their argument
    /// and a `MessagePort` for each transferred port in `event.ports`. Messages posted
    /// to a port before it was transferred follow it.
    ///
    /// The channel must be granted for receiving, as for [`WebContents::send`].
    /// Transferred ports can no longer be used here; their other ends talk to the
    /// renderer. Send the two ends of one channel to two windows to connect them.
    ///
    /// ```
    /// # use std::sync::Arc;
    /// # use voltaic_core::{IpcError, IpcMain, Packet, RendererLink, WindowPolicy};
    /// # struct Page; // stands in for a renderer
    /// # impl RendererLink for Page { fn post(&self, _: Packet) -> Result<(), IpcError> { Ok(()) } }
    /// # let runtime = tokio::runtime::Runtime::new().unwrap();
    /// # let ipc_main = IpcMain::new(runtime.handle().clone());
    /// # let a_window = ipc_main.connect(1, Arc::new(Page), WindowPolicy::permissive());
    /// # let a = a_window.web_contents();
    /// # let b_window = ipc_main.connect(2, Arc::new(Page), WindowPolicy::permissive());
    /// # let b = b_window.web_contents();
    /// use voltaic_core::MessageChannelMain;
    ///
    /// let MessageChannelMain { port1, port2 } = MessageChannelMain::new();
    /// a.post_message("port", "to b", vec![port1])?;
    /// b.post_message("port", "to a", vec![port2])?;
    /// # Ok::<(), IpcError>(())
    /// ```
    pub fn post_message<T: Serialize + 'static>(
        &self,
        channel: &str,
        message: T,
        transfer: Vec<MessagePortMain>,
    ) -> Result<(), IpcError> {
        let (args, buffers) = self.outgoing(channel, &[crate::value::into_value(message)?])?;
        check_transfer(&transfer, None)?;
        let (keys, waiting) = self.transfer(&transfer)?;
        let preview = self.timeline.preview(channel, &args);
        let carried = keys.len();
        let message = MainMessage::Message {
            ch: channel.to_owned(),
            args,
            ports: keys,
        };
        self.push(channel, packet(&message, buffers), carried, preview)?;
        self.post_waiting(waiting)
    }

    /// Moves `ports` into this renderer: their keys, and the messages that were
    /// waiting for them, to be posted after the message that carries them. If one
    /// cannot be moved, all of them are closed: the message will not go.
    fn transfer(&self, ports: &[MessagePortMain]) -> Result<(Vec<String>, Waiting), IpcError> {
        let mut keys = Vec::with_capacity(ports.len());
        let mut waiting = Vec::new();
        for port in ports {
            match port.transfer_to(self, &self.ports) {
                Ok((key, queued)) => {
                    self.port_event(&key, PortAction::Open, || 0);
                    waiting.extend(queued.into_iter().map(|message| (key.clone(), message)));
                    keys.push(key);
                }
                Err(error) => {
                    ports.iter().for_each(MessagePortMain::close);
                    return Err(error);
                }
            }
        }
        Ok((keys, waiting))
    }

    fn post_waiting(&self, waiting: Waiting) -> Result<(), IpcError> {
        for (key, message) in waiting {
            self.post_port(&key, message)?;
        }
        Ok(())
    }

    /// Delivers a message, and the ports it carries, to the renderer's port `key`.
    pub(crate) fn post_port(&self, key: &str, message: Queued) -> Result<(), IpcError> {
        let (keys, waiting) = self.transfer(&message.ports)?;
        let mut buffers = Vec::new();
        let wire = MainMessage::Port {
            port: key.to_owned(),
            data: wire::encode(&message.data, &mut buffers),
            ports: keys,
        };
        let packet = packet(&wire, buffers);
        let size = packet.size();
        self.link.post(packet)?;
        self.port_event(key, PortAction::ToPage, || size);
        self.post_waiting(waiting)
    }

    /// Tells the renderer its port `key` is closed.
    pub(crate) fn close_port(&self, key: &str) -> Result<(), IpcError> {
        let message = MainMessage::PortClose {
            port: key.to_owned(),
        };
        self.link.post(Packet::text(message.to_json()))?;
        self.port_event(key, PortAction::Close, || 0);
        Ok(())
    }

    /// Puts what port `key` did on the timeline, of `size()` bytes (counted only
    /// when the timeline is on).
    pub(crate) fn port_event(&self, key: &str, action: PortAction, size: impl FnOnce() -> usize) {
        self.timeline
            .record(self.id, Instant::now(), || Event::Port {
                port: crate::timeline::cut(key, crate::timeline::CHANNEL_CHARS),
                action,
                size: size(),
            });
    }

    /// Answers invoke `id` (see [`RendererLink::answer`]).
    pub(crate) fn answer(&self, id: u64, message: &MainMessage) -> Result<(), IpcError> {
        self.answer_with(id, message, Vec::new())
    }

    /// Answers invoke `id` with a message whose values point into `buffers`.
    pub(crate) fn answer_with(
        &self,
        id: u64,
        message: &MainMessage,
        buffers: Vec<Bytes>,
    ) -> Result<(), IpcError> {
        self.link.answer(id, packet(message, buffers))
    }
}

/// A window's main frame (Electron's `WebFrameMain` for `webContents.mainFrame`).
/// Only the main frame has a preload, so it is the only frame that sends or
/// receives IPC. Cheap to clone.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct WebFrameMain {
    web_contents: WebContents,
}

impl WebFrameMain {
    /// The frame's handlers and listeners (`webFrameMain.ipc`): the first a message
    /// from this frame reaches, before [`WebContents::ipc`] and [`crate::IpcMain`]'s
    /// (see [`IpcScope`]).
    pub fn ipc(&self) -> &IpcScope {
        self.web_contents.main_frame_scope()
    }

    /// The frame's id, [`MAIN_FRAME_ID`] (`webFrameMain.routingId`).
    pub fn frame_id(&self) -> u32 {
        MAIN_FRAME_ID
    }

    /// The window the frame belongs to.
    pub fn web_contents(&self) -> &WebContents {
        &self.web_contents
    }

    /// Sends a message to the frame's `ipcRenderer.on(channel, ..)` listeners
    /// (`webFrameMain.send`), as [`WebContents::send`] does.
    pub fn send<T: Serialize + 'static>(&self, channel: &str, args: T) -> Result<(), IpcError> {
        self.web_contents.send(channel, args)
    }

    /// Sends one message and transfers ports with it (`webFrameMain.postMessage`), as
    /// [`WebContents::post_message`] does.
    pub fn post_message<T: Serialize + 'static>(
        &self,
        channel: &str,
        message: T,
        transfer: Vec<MessagePortMain>,
    ) -> Result<(), IpcError> {
        self.web_contents.post_message(channel, message, transfer)
    }
}

/// Messages that follow transferred ports into a renderer, by the port's key there.
type Waiting = Vec<(String, Queued)>;

/// A message for the renderer with the buffers its values point into.
fn packet(message: &MainMessage, buffers: Vec<Bytes>) -> Packet {
    Packet {
        text: message.to_json(),
        buffers,
    }
}

impl fmt::Debug for WebContents {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("WebContents").field("id", &self.id).finish()
    }
}

impl PartialEq for WebContents {
    fn eq(&self, other: &Self) -> bool {
        self.id == other.id
    }
}

impl Eq for WebContents {}

/// Longest channel name accepted, in bytes.
pub(crate) const MAX_CHANNEL_LEN: usize = 256;

pub(crate) fn validate_channel(channel: &str) -> Result<(), IpcError> {
    if channel.is_empty() || channel.len() > MAX_CHANNEL_LEN {
        return Err(IpcError::InvalidChannel(
            channel.chars().take(64).collect::<String>(),
        ));
    }
    Ok(())
}

/// Turns a Rust value into an argument list (see [`WebContents::send`]).
pub(crate) fn into_args<T: Serialize + 'static>(args: T) -> Result<Vec<Value>, IpcError> {
    match crate::value::into_value(args)? {
        Value::Array(list) => Ok(list),
        Value::Null | Value::Undefined => Ok(Vec::new()),
        single => Ok(vec![single]),
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use std::sync::Mutex;

    /// Records what the main process posts, standing in for a renderer.
    #[derive(Default)]
    pub(crate) struct RecordingLink {
        pub(crate) posted: Mutex<Vec<String>>,
        pub(crate) buffers: Mutex<Vec<Vec<Bytes>>>,
        pub(crate) closed: std::sync::atomic::AtomicBool,
    }

    impl RendererLink for RecordingLink {
        fn post(&self, message: Packet) -> Result<(), IpcError> {
            if self.closed.load(std::sync::atomic::Ordering::SeqCst) {
                return Err(IpcError::WindowClosed(1));
            }
            self.posted
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner)
                .push(message.text);
            self.buffers
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner)
                .push(message.buffers);
            Ok(())
        }
    }

    pub(crate) fn test_contents() -> (WebContents, Arc<RecordingLink>) {
        let link = Arc::new(RecordingLink::default());
        let policy = Arc::new(WindowPolicy::permissive());
        let contents = WebContents::guarded(
            1,
            link.clone(),
            policy,
            Schemas::default(),
            Timeline::default(),
        );
        (contents, link)
    }

    #[test]
    fn send_spreads_tuples_and_wraps_single_values() {
        let (wc, link) = test_contents();
        wc.send("a", ("x", 2)).unwrap();
        wc.send("b", ()).unwrap();
        wc.send("c", "only").unwrap();
        wc.send("d", (vec![1, 2],)).unwrap();
        let posted = link.posted.lock().unwrap().clone();
        assert_eq!(
            posted,
            vec![
                r#"{"t":"message","ch":"a","args":["x",2]}"#,
                r#"{"t":"message","ch":"b","args":[]}"#,
                r#"{"t":"message","ch":"c","args":["only"]}"#,
                r#"{"t":"message","ch":"d","args":[[1,2]]}"#,
            ]
        );
    }

    #[test]
    fn send_carries_bytes_beside_the_text() {
        let (wc, link) = test_contents();
        let blob = Bytes::from(vec![1u8; 1000]);
        wc.send("blob", (blob.clone(), "name")).unwrap();
        wc.send_values("when", vec![Value::Date(0.0), Value::Undefined])
            .unwrap();
        let posted = link.posted.lock().unwrap().clone();
        assert_eq!(
            posted,
            vec![
                r#"{"t":"message","ch":"blob","args":[{"$":"bytes","i":0},"name"]}"#,
                r#"{"t":"message","ch":"when","args":[{"$":"date","v":0.0},{"$":"undefined"}]}"#,
            ]
        );
        assert_eq!(link.buffers.lock().unwrap()[0], vec![blob]);
    }

    /// Electron's "WebContents.postMessage / WebFrameMain.postMessage error handling"
    /// cases that Rust's types leave possible, with Electron's texts for ports.
    #[test]
    fn post_message_refuses_what_electron_refuses() {
        let (wc, link) = test_contents();
        let frame = wc.main_frame();
        for post in [
            |wc: &WebContents, ch: &str, v: Value, t| wc.post_message(ch, v, t),
            |wc: &WebContents, ch: &str, v: Value, t| wc.main_frame().post_message(ch, v, t),
        ] {
            // "throws on invalid channel"
            assert!(matches!(
                post(&wc, "", Value::Null, Vec::new()),
                Err(IpcError::InvalidChannel(_))
            ));
            // "throws when passing duplicate ports"
            let crate::MessageChannelMain { port1, .. } = crate::MessageChannelMain::new();
            assert_eq!(
                post(&wc, "foo", Value::Null, vec![port1.clone(), port1.clone()]),
                Err(IpcError::Port("Port at index 1 is a duplicate.".into()))
            );
            // "throws when passing ports that have already been neutered"
            post(&wc, "foo", Value::Null, vec![port1.clone()]).unwrap();
            assert_eq!(
                post(&wc, "foo", Value::Null, vec![port1]),
                Err(IpcError::Port(
                    "Port at index 0 is already neutered.".into()
                ))
            );
        }
        // "throws on non-serializable message": a value whose serializer refuses.
        struct Refuses;
        impl Serialize for Refuses {
            fn serialize<S: serde::Serializer>(&self, _: S) -> Result<S::Ok, S::Error> {
                Err(serde::ser::Error::custom("An object could not be cloned."))
            }
        }
        assert!(frame.post_message("foo", Refuses, Vec::new()).is_err());
        assert_eq!(
            lock_posted(&link).len(),
            2,
            "only the two good messages went"
        );
    }

    fn lock_posted(link: &RecordingLink) -> Vec<String> {
        link.posted
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .clone()
    }

    #[test]
    fn send_refuses_bad_channels_and_closed_windows() {
        let (wc, link) = test_contents();
        assert!(matches!(wc.send("", ()), Err(IpcError::InvalidChannel(_))));
        assert!(matches!(
            wc.send(&"x".repeat(300), ()),
            Err(IpcError::InvalidChannel(_))
        ));
        link.closed.store(true, std::sync::atomic::Ordering::SeqCst);
        assert_eq!(wc.send("a", ()), Err(IpcError::WindowClosed(1)));
    }
}
