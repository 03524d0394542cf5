//! The IPC timeline: every IPC event of every window as it happens, kept in a ring
//! of bounded size, watched live, and exported in Chrome's trace event format.
//!
//! Off by default, and then it costs one atomic load per event. Once
//! [`Timeline::start`]ed it records, from every window:
//! - sends and sync sends from the page, and pushes to it;
//! - invokes, with the time each waited in its window's queue, the handler's time,
//!   and the time to hand the answer to the renderer;
//! - port messages both ways, ports arriving in a window, and closes;
//! - refusals (grant, origin, schema, rate, size, malformed), each with its reason;
//! - console lines, and what the app adds ([`Timeline::lifecycle`]: windows and
//!   their documents).
//!
//! ```
//! use voltaic_core::{IpcMain, TimelineOptions};
//!
//! # let runtime = tokio::runtime::Runtime::new().unwrap();
//! let ipc_main = IpcMain::new(runtime.handle().clone());
//! let timeline = ipc_main.timeline();
//! timeline.start(TimelineOptions::default().capacity(10_000).preview(80));
//! timeline.lifecycle(1, "did-finish-load");
//! assert_eq!(timeline.entries().len(), 1);
//! ```

use std::collections::{BTreeMap, VecDeque};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError, RwLock};
use std::time::{Duration, Instant};

use serde::Serialize;
use tokio::sync::mpsc;

use crate::{ConsoleLevel, IpcError};

mod trace;

pub use trace::TraceExport;

/// Turns a preview into what may be shown: given the channel and the preview, it
/// returns the text to keep (`None` keeps no preview).
pub type Redactor = Arc<dyn Fn(&str, &str) -> Option<String> + Send + Sync>;

/// What the timeline keeps, for [`Timeline::start`].
#[derive(Clone)]
#[non_exhaustive]
pub struct TimelineOptions {
    /// The most entries kept; the oldest go first. Default 100,000.
    pub capacity: usize,
    /// Characters of each message's arguments kept as a preview, in JSON; 0 (the
    /// default) keeps none. Sizes are always kept.
    pub preview: usize,
    /// Called on each preview before it is kept, to take secrets out.
    pub redact: Option<Redactor>,
}

impl Default for TimelineOptions {
    fn default() -> Self {
        Self {
            capacity: 100_000,
            preview: 0,
            redact: None,
        }
    }
}

impl TimelineOptions {
    /// Sets [`TimelineOptions::capacity`] (at least 1).
    pub fn capacity(mut self, entries: usize) -> Self {
        self.capacity = entries.max(1);
        self
    }

    /// Sets [`TimelineOptions::preview`].
    pub fn preview(mut self, chars: usize) -> Self {
        self.preview = chars;
        self
    }

    /// Sets [`TimelineOptions::redact`].
    ///
    /// ```
    /// use voltaic_core::TimelineOptions;
    ///
    /// let options = TimelineOptions::default().preview(200).redact(|channel, preview| {
    ///     (channel != "auth:login").then(|| preview.to_owned())
    /// });
    /// ```
    pub fn redact(
        mut self,
        redact: impl Fn(&str, &str) -> Option<String> + Send + Sync + 'static,
    ) -> Self {
        self.redact = Some(Arc::new(redact));
        self
    }
}

impl std::fmt::Debug for TimelineOptions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TimelineOptions")
            .field("capacity", &self.capacity)
            .field("preview", &self.preview)
            .field("redact", &self.redact.is_some())
            .finish()
    }
}

/// One event on the timeline.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Entry {
    /// When it began, from the timeline's start (an invoke: when it arrived), in
    /// microseconds in JSON.
    #[serde(rename = "at_us", serialize_with = "micros")]
    pub at: Duration,
    /// The window it belongs to (0 for the app itself).
    pub window: u32,
    /// What happened.
    #[serde(flatten)]
    pub event: Event,
}

/// What happened, in an [`Entry`].
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
#[non_exhaustive]
pub enum Event {
    /// The page sent on `channel` (`ipcRenderer.send`, or `sendSync` when `sync`).
    Send {
        /// The channel.
        channel: String,
        /// Bytes of its arguments.
        size: usize,
        /// Whether it was `sendSync`.
        sync: bool,
        /// Ports it carried into the main process.
        ports: usize,
        /// Its arguments in JSON, cut short, when previews are on.
        #[serde(skip_serializing_if = "Option::is_none")]
        preview: Option<String>,
    },
    /// The main process sent to the page on `channel` (`webContents.send`,
    /// `postMessage`).
    Push {
        /// The channel.
        channel: String,
        /// Bytes of the message.
        size: usize,
        /// Ports it carried to the page.
        ports: usize,
        /// Its arguments in JSON, cut short, when previews are on.
        #[serde(skip_serializing_if = "Option::is_none")]
        preview: Option<String>,
    },
    /// The page invoked `channel`, and was answered.
    Invoke {
        /// The channel.
        channel: String,
        /// Bytes of its arguments.
        size: usize,
        /// Time in the window's queue, from arrival to its handler.
        #[serde(rename = "queued_us", serialize_with = "micros")]
        queued: Duration,
        /// The handler's time, to its value or error.
        #[serde(rename = "handler_us", serialize_with = "micros")]
        handler: Duration,
        /// Time to check and encode the answer and hand it to the renderer.
        #[serde(rename = "reply_us", serialize_with = "micros")]
        reply: Duration,
        /// Why it failed, if it did (the page's promise rejected).
        #[serde(skip_serializing_if = "Option::is_none")]
        error: Option<String>,
        /// Its arguments in JSON, cut short, when previews are on.
        #[serde(skip_serializing_if = "Option::is_none")]
        preview: Option<String>,
    },
    /// A message port's traffic.
    Port {
        /// The port's key in its window.
        port: String,
        /// What it did.
        action: PortAction,
        /// Bytes of the message (0 for an open or a close).
        size: usize,
    },
    /// A message the main process did not take, and why.
    Refused {
        /// Its channel, when it got far enough to have one.
        #[serde(skip_serializing_if = "Option::is_none")]
        channel: Option<String>,
        /// The rule that refused it.
        reason: Refusal,
        /// What was wrong, as the log says it.
        detail: String,
    },
    /// A line of the page's or the preload's console.
    Console {
        /// Its level.
        level: ConsoleLevel,
        /// Its text.
        text: String,
    },
    /// A window's or its document's lifecycle, as the app reports it
    /// (`did-start-loading`, `ready-to-show`, `closed`).
    Lifecycle {
        /// Electron's name for it.
        what: String,
    },
}

impl Event {
    /// The channel it was on, if any.
    pub fn channel(&self) -> Option<&str> {
        match self {
            Self::Send { channel, .. } | Self::Push { channel, .. } => Some(channel),
            Self::Invoke { channel, .. } => Some(channel),
            Self::Refused { channel, .. } => channel.as_deref(),
            _ => None,
        }
    }
}

/// What a port did, in [`Event::Port`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
#[non_exhaustive]
pub enum PortAction {
    /// It arrived in the window, carried by a message from either side.
    Open,
    /// The page posted on it to the main process.
    ToMain,
    /// The main process posted on it to the page.
    ToPage,
    /// It closed.
    Close,
}

/// The rule that refused a message, in [`Event::Refused`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
#[non_exhaustive]
pub enum Refusal {
    /// The window was not granted the channel.
    Grant,
    /// The sending document's origin is not one the window accepts.
    Origin,
    /// The arguments did not match the channel's schema, or did not decode.
    Schema,
    /// The window sent over its rate limit.
    Rate,
    /// The message was over the size or nesting limit.
    Size,
    /// The message was not one the protocol knows, or a bad channel name.
    Malformed,
    /// An invoke of a channel nobody handles.
    NoHandler,
}

impl Refusal {
    /// The rule behind `error`.
    pub(crate) fn of(error: &IpcError) -> Self {
        match error {
            IpcError::ChannelNotAllowed { .. } => Self::Grant,
            IpcError::OriginNotAllowed(_) => Self::Origin,
            IpcError::Validation { .. }
            | IpcError::InvalidValue { .. }
            | IpcError::InvalidArgument { .. } => Self::Schema,
            IpcError::RateLimited(_) => Self::Rate,
            IpcError::TooDeep(_) => Self::Size,
            IpcError::NoHandler(_) => Self::NoHandler,
            _ => Self::Malformed,
        }
    }
}

/// Invoke timings of one channel, from the entries kept ([`Timeline::channel_stats`]).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ChannelStats {
    /// The channel.
    pub channel: String,
    /// Invokes answered.
    pub invokes: u64,
    /// Of those, the ones that failed.
    pub errors: u64,
    /// Median time from arrival to answer, in microseconds in JSON.
    #[serde(rename = "p50_us", serialize_with = "micros")]
    pub p50: Duration,
    /// 99th percentile of the same.
    #[serde(rename = "p99_us", serialize_with = "micros")]
    pub p99: Duration,
    /// The longest.
    #[serde(rename = "max_us", serialize_with = "micros")]
    pub max: Duration,
    /// Mean time in the handler alone.
    #[serde(rename = "mean_handler_us", serialize_with = "micros")]
    pub mean_handler: Duration,
}

fn micros<S: serde::Serializer>(duration: &Duration, to: S) -> Result<S::Ok, S::Error> {
    to.serialize_u64(u64::try_from(duration.as_micros()).unwrap_or(u64::MAX))
}

/// The app's IPC timeline, from [`crate::IpcMain::timeline`]. Cheap to clone; all
/// clones share one.
#[derive(Clone)]
pub struct Timeline {
    inner: Arc<Inner>,
}

struct Inner {
    on: AtomicBool,
    epoch: Instant,
    state: Mutex<State>,
    /// Windows whose traffic is not recorded (see [`Timeline::ignore_window`]).
    ignored: RwLock<Vec<u32>>,
}

#[derive(Default)]
struct State {
    options: TimelineOptions,
    ring: VecDeque<Entry>,
    dropped: u64,
    watchers: Vec<mpsc::UnboundedSender<Entry>>,
}

impl State {
    /// Lets the oldest entries go until `more` fit within the capacity.
    fn make_room(&mut self, more: usize) {
        let keep = self.options.capacity.max(1).saturating_sub(more);
        while self.ring.len() > keep {
            self.ring.pop_front();
            self.dropped += 1;
        }
    }
}

impl Default for Timeline {
    fn default() -> Self {
        Self {
            inner: Arc::new(Inner {
                on: AtomicBool::new(false),
                epoch: Instant::now(),
                state: Mutex::default(),
                ignored: RwLock::default(),
            }),
        }
    }
}

impl Timeline {
    /// Starts recording, with `options`; entries already kept stay (a ring shrunk
    /// below them loses the oldest).
    pub fn start(&self, options: TimelineOptions) {
        let mut state = self.state();
        state.options = options;
        state.make_room(0);
        self.inner.on.store(true, Ordering::Release);
    }

    /// Stops recording; what was kept stays.
    pub fn stop(&self) {
        self.inner.on.store(false, Ordering::Release);
    }

    /// Whether it records.
    #[inline]
    pub fn is_on(&self) -> bool {
        self.inner.on.load(Ordering::Relaxed)
    }

    /// The timeline's clock: the `at` of an entry made now.
    pub fn elapsed(&self) -> Duration {
        self.inner.epoch.elapsed()
    }

    /// The entries kept, oldest first.
    pub fn entries(&self) -> Vec<Entry> {
        self.state().ring.iter().cloned().collect()
    }

    /// How many entries the ring let go of to stay within its capacity.
    pub fn dropped(&self) -> u64 {
        self.state().dropped
    }

    /// Forgets the entries kept.
    pub fn clear(&self) {
        let mut state = self.state();
        state.ring.clear();
        state.dropped = 0;
    }

    /// The entries kept, oldest first, and every later one as it is recorded: the
    /// two meet exactly, none missing and none twice. The receiver may be dropped
    /// at any time.
    pub fn subscribe(&self) -> (Vec<Entry>, mpsc::UnboundedReceiver<Entry>) {
        let (tx, rx) = mpsc::unbounded_channel();
        (self.watch(tx), rx)
    }

    /// Feeds every later entry to `feed`, and gives the ones kept.
    fn watch(&self, feed: mpsc::UnboundedSender<Entry>) -> Vec<Entry> {
        let mut state = self.state();
        state.watchers.push(feed);
        state.ring.iter().cloned().collect()
    }

    /// Stops feeding `feed`.
    fn unwatch(&self, feed: &mpsc::UnboundedSender<Entry>) {
        self.state()
            .watchers
            .retain(|watcher| !watcher.same_channel(feed));
    }

    /// Leaves `window`'s traffic off the timeline: a tool's own window, such as the
    /// inspector, whose updates would otherwise fill the ring with themselves.
    pub fn ignore_window(&self, window: u32) {
        let mut ignored = self
            .inner
            .ignored
            .write()
            .unwrap_or_else(PoisonError::into_inner);
        if !ignored.contains(&window) {
            ignored.push(window);
        }
    }

    /// Records a window's or its document's lifecycle event under Electron's name
    /// (`did-finish-load`, `closed`); the app calls this for every window.
    pub fn lifecycle(&self, window: u32, what: impl Into<String>) {
        self.record(window, Instant::now(), || Event::Lifecycle {
            what: what.into(),
        });
    }

    /// Invoke timings per channel, from the entries kept, by channel name.
    pub fn channel_stats(&self) -> Vec<ChannelStats> {
        let mut by_channel: BTreeMap<String, Vec<(Duration, Duration, bool)>> = BTreeMap::new();
        for entry in self.state().ring.iter() {
            if let Event::Invoke {
                channel,
                queued,
                handler,
                reply,
                error,
                ..
            } = &entry.event
            {
                by_channel.entry(channel.clone()).or_default().push((
                    *queued + *handler + *reply,
                    *handler,
                    error.is_some(),
                ));
            }
        }
        by_channel
            .into_iter()
            .map(|(channel, mut calls)| {
                calls.sort_by_key(|call| call.0);
                let at = |fraction: f64| {
                    let last = calls.len().saturating_sub(1);
                    // Nearest rank: a fraction of at most a million calls is exact.
                    let index = ((last as f64) * fraction).round() as usize;
                    calls.get(index.min(last)).map_or(Duration::ZERO, |c| c.0)
                };
                let count = u32::try_from(calls.len()).unwrap_or(u32::MAX).max(1);
                ChannelStats {
                    invokes: calls.len() as u64,
                    errors: calls.iter().filter(|c| c.2).count() as u64,
                    p50: at(0.5),
                    p99: at(0.99),
                    max: calls.last().map_or(Duration::ZERO, |c| c.0),
                    mean_handler: calls.iter().map(|c| c.1).sum::<Duration>() / count,
                    channel,
                }
            })
            .collect()
    }

    /// Writes every entry, from the ones kept on, to `path` in Chrome's trace event
    /// format as they come, until the returned export is finished or dropped.
    /// See [`TraceExport`].
    pub fn export_to(&self, path: impl AsRef<std::path::Path>) -> std::io::Result<TraceExport> {
        TraceExport::start(self, path.as_ref())
    }

    /// Records what `make` says happened in `window` at `at`, if the timeline is on.
    pub(crate) fn record(&self, window: u32, at: Instant, make: impl FnOnce() -> Event) {
        if !self.is_on() {
            return;
        }
        let ignored = self
            .inner
            .ignored
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .contains(&window);
        if ignored {
            return;
        }
        // Made before the lock is taken: making it may ask for a preview, which
        // takes the lock too.
        let entry = Entry {
            at: at.saturating_duration_since(self.inner.epoch),
            window,
            event: make(),
        };
        let mut state = self.state();
        state.make_room(1);
        // Sent under the lock, so that `subscribe` sees each entry exactly once.
        state
            .watchers
            .retain(|watcher| watcher.send(entry.clone()).is_ok());
        state.ring.push_back(entry);
    }

    /// A preview of `args` for `channel`, if previews are on: JSON, cut short, and
    /// past the redactor.
    pub(crate) fn preview<T: Serialize + ?Sized>(&self, channel: &str, args: &T) -> Option<String> {
        if !self.is_on() {
            return None;
        }
        let (limit, redact) = {
            let state = self.state();
            (state.options.preview, state.options.redact.clone())
        };
        if limit == 0 {
            return None;
        }
        let cut = cut(&serde_json::to_string(args).ok()?, limit);
        match redact {
            Some(redact) => redact(channel, &cut),
            None => Some(cut),
        }
    }

    /// When now is, if the timeline is on: for the start of something timed.
    #[inline]
    pub(crate) fn now(&self) -> Option<Instant> {
        self.is_on().then(Instant::now)
    }

    fn state(&self) -> MutexGuard<'_, State> {
        // No user code runs under this lock.
        self.inner
            .state
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
    }
}

impl std::fmt::Debug for Timeline {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Timeline")
            .field("on", &self.is_on())
            .finish_non_exhaustive()
    }
}

/// What the timeline keeps of a text a renderer chose (a channel, a port's key, a
/// console line): at most `max` characters, so that a page cannot fill the main
/// process's memory through the ring.
pub(crate) fn cut(text: &str, max: usize) -> String {
    match text.char_indices().nth(max) {
        Some((end, _)) => format!("{}…", &text[..end]),
        None => text.to_owned(),
    }
}

/// The longest channel name kept (the longest one allowed).
pub(crate) const CHANNEL_CHARS: usize = 256;
/// The longest port key, refusal reason or console line kept.
pub(crate) const TEXT_CHARS: usize = 4096;

/// Bytes of arguments in wire form: their JSON, and the buffers they point into
/// (`{"$":"bytes","i":n}`, `{"$":"typed",..,"i":n}`).
pub(crate) fn wire_size(args: &[serde_json::Value], buffers: &[bytes::Bytes]) -> usize {
    let mut size = json_size(args);
    let mut stack: Vec<&serde_json::Value> = args.iter().collect();
    while let Some(value) = stack.pop() {
        match value {
            serde_json::Value::Array(items) => stack.extend(items),
            serde_json::Value::Object(map) => {
                let buffer = map.get("$").and_then(|kind| kind.as_str());
                if matches!(buffer, Some("bytes" | "typed")) {
                    let index = map.get("i").and_then(serde_json::Value::as_u64);
                    let found = index.and_then(|i| buffers.get(usize::try_from(i).ok()?));
                    size += found.map_or(0, bytes::Bytes::len);
                }
                stack.extend(map.values());
            }
            _ => {}
        }
    }
    size
}

/// Bytes of `value` in JSON, counted without keeping the text.
pub(crate) fn json_size<T: Serialize + ?Sized>(value: &T) -> usize {
    struct Count(usize);
    impl std::io::Write for Count {
        fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
            self.0 += bytes.len();
            Ok(bytes.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }
    let mut count = Count(0);
    let _ = serde_json::to_writer(&mut count, value);
    count.0
}

#[cfg(test)]
mod tests;
