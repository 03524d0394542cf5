//! The WebKitGTK transport. The preload runtime and the user's preload are user
//! scripts of an isolated script world, and the script message handler they post to
//! is registered in that world only: the page's world has no IPC primitive at all.
//! Main → renderer messages are evaluated in the same world.

use std::cell::{Cell, RefCell};
use std::collections::HashMap;
use std::rc::Rc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use voltaic_core::protocol::MainMessage;
use voltaic_core::{Bytes, Connection, IpcError, Packet, RendererLink, SenderFrame};
use voltaic_preload::{
    DOM_READY_MESSAGE, INVOKE_HANDLER, ISOLATED_WORLD, MESSAGE_HANDLER, READY_MESSAGE,
};
use webkit2gtk::glib::prelude::*;
use webkit2gtk::{
    LoadEvent, UserContentInjectedFrames, UserContentManagerExt, UserScript,
    UserScriptInjectionTime, WebViewExt,
};

use crate::jsc_packet;
use crate::ops::Op;
use crate::reply::{self, PendingReply};
use voltaic_app::engine::Waiting;
use voltaic_app::preload_routes::parcels::SharedParcels;
use voltaic_app::{Error, PageEvent, PagePolicy};

/// What a window's renderer gets injected.
pub(crate) struct RendererSetup {
    pub(crate) runtime: voltaic_preload::RuntimeConfig,
    /// The source of the user's preload, if any.
    pub(crate) preload: Option<String>,
}

/// The WebKit name of isolated world `id` (`WebPreferences::isolated_worlds`).
pub(crate) fn isolated_world_name(id: u32) -> String {
    format!("voltaic-world-{id}")
}

/// The JS world the preload lives in: `None` is the page's own world.
pub(crate) fn preload_world(context_isolation: bool) -> Option<&'static str> {
    context_isolation.then_some(ISOLATED_WORLD)
}

/// Where incoming messages go; emptied when the window closes.
pub(crate) type Inbox = Rc<RefCell<Option<Arc<Connection>>>>;

/// Invokes waiting for their answer, by invoke id, each with WebKit's reply.
pub(crate) type Replies = Rc<RefCell<HashMap<u64, PendingReply>>>;

/// Settles invoke `id` with `message` if its reply is still waiting, after the
/// messages sent before it; otherwise delivers `message` like any other (an answer
/// to an invoke that did not come through the reply handler).
pub(crate) fn answer(replies: &Replies, outbox: &SharedOutbox, id: u64, message: Packet) {
    let pending = replies.borrow_mut().remove(&id);
    let mut outbox = outbox.borrow_mut();
    match pending {
        Some(pending) => {
            outbox.flush();
            let parcel = (!message.buffers.is_empty()).then(|| outbox.park(message.buffers));
            pending.answer(&message.text, parcel);
        }
        None => outbox.deliver(message),
    }
}

/// The invoke the GTK thread is dispatching inline right now, if any.
struct Answering {
    window: u32,
    id: u64,
    replies: Replies,
    outbox: SharedOutbox,
}

thread_local! {
    /// Lets a handler that answers while it is being dispatched inline settle the
    /// page's promise at once, as a bare reply handler does, instead of one event
    /// loop iteration later through the command queue.
    static ANSWERING: RefCell<Option<Answering>> = const { RefCell::new(None) };
}

/// Answers invoke `id` of `window` right here when that is the invoke this thread is
/// dispatching inline and nothing sent before it still waits in the command queue
/// (else the answer would overtake it). Gives the message back otherwise.
fn answer_inline(window: u32, id: u64, message: Packet, queue_empty: bool) -> Result<(), Packet> {
    if !queue_empty {
        return Err(message);
    }
    ANSWERING.with(|answering| {
        let Ok(answering) = answering.try_borrow() else {
            return Err(message);
        };
        match answering.as_ref() {
            Some(a)
                if a.window == window
                    && a.id == id
                    && a.replies.try_borrow_mut().is_ok()
                    && a.outbox.try_borrow_mut().is_ok() =>
            {
                answer(&a.replies, &a.outbox, id, message);
                Ok(())
            }
            _ => Err(message),
        }
    })
}

/// Invokes that arrive closer together than this are a burst: their answers go
/// through the command queue, in batches. A renderer awaiting each answer sends the
/// next one a whole round trip (over 100 µs) later.
const BURST_GAP: Duration = Duration::from_micros(50);

/// Most invokes one window may have waiting; past that, new ones are refused at once.
const MAX_PENDING_INVOKES: usize = 100_000;

/// A batch is evaluated once it holds this much script, without waiting for idle.
const MAX_BATCH_BYTES: usize = 1 << 20;

/// Main → renderer messages of one window. They are delivered only while the current
/// document's preload has run; before that (first load, or any navigation) they wait
/// here, in order, so none is lost to a document that is not listening yet.
///
/// Messages taken off the command queue together are evaluated as one script (the
/// queue's drain flushes every outbox when it is empty): one script compile for a
/// burst instead of one per message.
pub(crate) struct Outbox {
    window: u32,
    world: Option<&'static str>,
    view: webkit2gtk::glib::WeakRef<webkit2gtk::WebView>,
    ready: bool,
    waiting: Waiting,
    batch: String,
    /// The bytes of messages both ways, until they are claimed.
    parcels: SharedParcels,
}

pub(crate) type SharedOutbox = Rc<RefCell<Outbox>>;

impl Outbox {
    pub(crate) fn new(
        window: u32,
        world: Option<&'static str>,
        view: &webkit2gtk::WebView,
        parcels: SharedParcels,
    ) -> SharedOutbox {
        Rc::new(RefCell::new(Self {
            window,
            world,
            view: view.downgrade(),
            ready: false,
            waiting: Waiting::new(window),
            batch: String::new(),
            parcels,
        }))
    }

    /// Delivers (in the next batch), or queues until the preload is ready.
    pub(crate) fn deliver(&mut self, message: Packet) {
        if self.ready {
            self.push(message);
        } else {
            self.waiting.push(message);
        }
    }

    /// A new document is on its way: what was sent before goes to the old one, what
    /// is sent from now on waits until the new one's preload has run.
    /// Returns whether a document with a running preload is being left, whose ports
    /// go with it (see [`leave_document`]).
    pub(crate) fn navigation_started(&mut self) -> bool {
        self.flush();
        let was_ready = std::mem::replace(&mut self.ready, false);
        // The old document's bytes go with it.
        self.parcels().clear();
        was_ready
    }

    fn parcels(&self) -> std::sync::MutexGuard<'_, voltaic_app::preload_routes::parcels::Parcels> {
        self.parcels
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Keeps `buffers` for the preload to fetch; returns their parcel number.
    pub(crate) fn park(&self, buffers: Vec<Bytes>) -> u64 {
        self.parcels().park(buffers)
    }

    fn claim(&self, parcel: u64) -> Option<Vec<Bytes>> {
        self.parcels().claim(parcel)
    }

    fn preload_ready(&mut self) {
        self.ready = true;
        while let Some(message) = self.waiting.pop() {
            self.push(message);
        }
        self.flush();
    }

    fn push(&mut self, message: Packet) {
        if message.buffers.is_empty() {
            self.batch
                .push_str(&voltaic_preload::receive_call(&message.text));
        } else {
            // Bytes cannot be written into a script: they wait for the preload.
            let parcel = self.park(message.buffers);
            self.batch
                .push_str(&voltaic_preload::receive_call_with_parcel(
                    &message.text,
                    parcel,
                ));
        }
        self.batch.push_str(";\n");
        if self.batch.len() >= MAX_BATCH_BYTES {
            self.flush();
        }
    }

    /// Evaluates the pending batch now, so that what comes next (an invoke's answer,
    /// a navigation) stays behind it.
    pub(crate) fn flush(&mut self) {
        if self.batch.is_empty() {
            return;
        }
        let script = std::mem::take(&mut self.batch);
        if let Some(view) = self.view.upgrade() {
            evaluate(&view, self.world, &script);
        }
    }
}

/// A navigation starts. Messages sent from now on wait for the new document's
/// preload; if the old document had one running, the ports it held are closed. Ports
/// sent while no preload was running are still waiting for the new document.
pub(crate) fn leave_document(outbox: &SharedOutbox, inbox: &Inbox) {
    if outbox.borrow_mut().navigation_started() {
        if let Some(connection) = inbox.borrow().as_ref() {
            connection.document_gone();
        }
    }
}

/// Injects the runtime and the preload and connects the message handler. Must run
/// before the first load so that the very first document gets them.
pub(crate) fn install(
    view: &webkit2gtk::WebView,
    setup: &RendererSetup,
    inbox: Inbox,
    outbox: SharedOutbox,
    replies: Replies,
    policy: Arc<PagePolicy>,
) -> Result<(), Error> {
    let manager = view
        .user_content_manager()
        .ok_or_else(|| Error::WebView("the webview has no user content manager".into()))?;
    let world = preload_world(setup.runtime.context_isolation);
    let script = |source: &str| match world {
        // Only the top frame: sub-frames (iframes) get no bridge.
        Some(world) => UserScript::for_world(
            source,
            UserContentInjectedFrames::TopFrame,
            UserScriptInjectionTime::Start,
            world,
            &[],
            &[],
        ),
        None => UserScript::new(
            source,
            UserContentInjectedFrames::TopFrame,
            UserScriptInjectionTime::Start,
            &[],
            &[],
        ),
    };
    if setup.runtime.context_isolation {
        // The page half of contextBridge: a user script, so the page's CSP cannot
        // block it; top frame only, like the preload.
        manager.add_script(&UserScript::new(
            &voltaic_preload::page_world_script(),
            UserContentInjectedFrames::TopFrame,
            UserScriptInjectionTime::Start,
            &[],
            &[],
        ));
        // The same half in each isolated world the window names.
        for &id in &setup.runtime.isolated_worlds {
            manager.add_script(&UserScript::for_world(
                &voltaic_preload::isolated_world_script(id),
                UserContentInjectedFrames::TopFrame,
                UserScriptInjectionTime::Start,
                &isolated_world_name(id),
                &[],
                &[],
            ));
        }
    }
    manager.add_script(&script(&voltaic_preload::runtime_script(&setup.runtime)));
    // Added even without a preload: the wrapper is what reports the renderer ready.
    let source = setup.preload.as_deref().unwrap_or("");
    manager.add_script(&script(&voltaic_preload::preload_script(source)));

    let navigating = outbox.clone();
    let abandoned = replies.clone();
    let leaving = inbox.clone();
    view.connect_load_changed(move |_, event| {
        // Covers navigations the page starts itself; App's own loads mark it sooner.
        if event == LoadEvent::Started {
            leave_document(&navigating, &leaving);
            // The old document's promises are gone with it.
            abandoned.borrow_mut().clear();
        }
    });
    let frames = Frames::default();
    register_invoke_handler(
        view,
        &manager,
        world,
        inbox.clone(),
        replies,
        frames.clone(),
        outbox.clone(),
    )?;

    let weak_view = view.downgrade();
    let window = outbox.borrow().window;
    // Connect before registering, as WebKit's documentation asks.
    manager.connect_script_message_received(Some(MESSAGE_HANDLER), move |_, result| {
        let Some(view) = weak_view.upgrade() else {
            return;
        };
        let Some(value) = result.js_value() else {
            return;
        };
        // One copy out of JavaScriptCore per message: it can be megabytes.
        let claimed = jsc_packet::read(&value, |parcel| outbox.borrow().claim(parcel));
        let Some(packet) = claimed else {
            tracing::warn!(
                window,
                "ignored an IPC message that is neither text nor text and a parcel"
            );
            return;
        };
        if packet.buffers.is_empty() && packet.text == READY_MESSAGE {
            outbox.borrow_mut().preload_ready();
            return;
        }
        if packet.buffers.is_empty() && packet.text == DOM_READY_MESSAGE {
            policy.page_event(PageEvent::DomReady);
            return;
        }
        let inbox = inbox.borrow();
        let Some(connection) = inbox.as_ref() else {
            return;
        };
        // The sender's identity comes from the webview, never from the message.
        connection.dispatch(frames.current(&view), packet);
    });
    let registered = match world {
        Some(world) => manager.register_script_message_handler_in_world(MESSAGE_HANDLER, world),
        None => manager.register_script_message_handler(MESSAGE_HANDLER),
    };
    if !registered {
        return Err(Error::WebView(format!(
            "could not register the script message handler '{MESSAGE_HANDLER}'"
        )));
    }
    Ok(())
}

/// Invokes arrive as `[id, json]` on the reply-capable handler; the reply waits in
/// `replies` until the main process answers (see `Op::Answer`).
fn register_invoke_handler(
    view: &webkit2gtk::WebView,
    manager: &webkit2gtk::UserContentManager,
    world: Option<&str>,
    inbox: Inbox,
    replies: Replies,
    frames: Frames,
    outbox: SharedOutbox,
) -> Result<(), Error> {
    let weak_view = view.downgrade();
    let last_arrival = Cell::new(None::<Instant>);
    let registered = reply::register(manager, INVOKE_HANDLER, world, move |value, pending| {
        let Some(view) = weak_view.upgrade() else {
            return;
        };
        // "<id> <json>", the id in decimal digits; with bytes, in an array before them.
        let claimed = jsc_packet::read(&value, |parcel| outbox.borrow().claim(parcel));
        let mut packet = claimed.unwrap_or_default();
        let Some(id) = voltaic_preload::invoke_id(&packet.text) else {
            tracing::warn!("ignored an invoke that is not its id, a space and its JSON");
            pending.refuse("an invoke is posted as its id, a space and its JSON");
            return;
        };
        {
            let mut waiting = replies.borrow_mut();
            if waiting.contains_key(&id) || waiting.len() >= MAX_PENDING_INVOKES {
                drop(waiting);
                pending.answer(
                    &refusal(id, "too many pending invokes, or a duplicate id"),
                    None,
                );
                return;
            }
            waiting.insert(id, pending);
        }
        // Drop the "<id> " prefix in place: the text can be megabytes.
        let prefix = packet.text.find(' ').map_or(0, |at| at + 1);
        packet.text.drain(..prefix);
        // No borrow of `replies` is held while the message is handled: with inline
        // dispatch, handlers run right here.
        // A renderer that awaits each answer is served at once; one that floods is
        // answered in batches from the command queue, which measures faster then.
        let now = Instant::now();
        let burst = last_arrival
            .replace(Some(now))
            .is_some_and(|last| now.duration_since(last) < BURST_GAP);
        let window = outbox.borrow().window;
        let previous = ANSWERING.with(|answering| {
            answering.replace((!burst).then(|| Answering {
                window,
                id,
                replies: replies.clone(),
                outbox: outbox.clone(),
            }))
        });
        let dispatched = inbox.borrow().as_ref().is_some_and(|connection| {
            connection.dispatch_invoke(frames.current(&view), id, packet)
        });
        ANSWERING.with(|answering| answering.replace(previous));
        if !dispatched {
            let refused = replies.borrow_mut().remove(&id);
            if let Some(pending) = refused {
                pending.answer(
                    &refusal(id, "the message was refused (size or rate limit)"),
                    None,
                );
            }
        }
    });
    if registered {
        Ok(())
    } else {
        Err(Error::WebView(format!(
            "could not register the script message handler '{INVOKE_HANDLER}'"
        )))
    }
}

/// The sender frame of the window's current document, built once per URL: the
/// webview's URL is read for every message (it is the only trusted source), but
/// parsed only when it changes.
#[derive(Clone, Default)]
struct Frames(Rc<RefCell<Option<SenderFrame>>>);

/// The URL of the view's current document, the one trusted source of a sender's
/// identity, as the app names it (a cross-origin-isolated window's loopback
/// origin is `app://localhost`); `about:blank` while there is none.
pub(crate) fn document_url(view: &webkit2gtk::WebView) -> String {
    match view.uri() {
        Some(uri) => voltaic_app::content::app_url(uri.as_str()).into_owned(),
        None => "about:blank".to_owned(),
    }
}

impl Frames {
    fn current(&self, view: &webkit2gtk::WebView) -> SenderFrame {
        let uri = document_url(view);
        let url = uri.as_str();
        let mut cached = self.0.borrow_mut();
        match cached.as_ref() {
            Some(frame) if frame.url() == url => frame.clone(),
            _ => {
                let frame = SenderFrame::from_url(url);
                *cached = Some(frame.clone());
                frame
            }
        }
    }
}

/// The answer to an invoke the transport refused before the main process saw it.
fn refusal(id: u64, reason: &str) -> String {
    MainMessage::Reject {
        id,
        error: format!("Error invoking remote method: {reason}"),
    }
    .to_json()
}

/// Runs a batch of deliveries in the renderer's preload world.
fn evaluate(view: &webkit2gtk::WebView, world: Option<&str>, script: &str) {
    view.evaluate_javascript(
        script,
        world,
        None,
        None::<&webkit2gtk::gio::Cancellable>,
        |result| {
            if let Err(error) = result {
                // The document went away between queueing and evaluation.
                tracing::debug!("message not delivered to the renderer: {error}");
            }
        },
    );
}

/// [`RendererLink`] of a WebKitGTK window: hops to the GTK thread through the event loop.
pub(crate) struct WebKitLink {
    pub(crate) window: u32,
    pub(crate) ops: async_channel::Sender<Op>,
    pub(crate) open: Arc<AtomicBool>,
}

impl WebKitLink {
    fn send(&self, command: Op) -> Result<(), IpcError> {
        if !self.open.load(Ordering::Acquire) {
            return Err(IpcError::WindowClosed(self.window));
        }
        self.ops
            .try_send(command)
            .map_err(|_| IpcError::WindowClosed(self.window))
    }
}

impl RendererLink for WebKitLink {
    fn post(&self, message: Packet) -> Result<(), IpcError> {
        self.send(Op::Deliver {
            window: self.window,
            message,
        })
    }

    fn answer(&self, id: u64, message: Packet) -> Result<(), IpcError> {
        if !self.open.load(Ordering::Acquire) {
            return Err(IpcError::WindowClosed(self.window));
        }
        let Err(message) = answer_inline(self.window, id, message, self.ops.is_empty()) else {
            return Ok(());
        };
        self.send(Op::Answer {
            window: self.window,
            id,
            message,
        })
    }
}
