//! The timeline in Chrome's trace event format, which Perfetto and
//! `chrome://tracing` open: one track per window for what happens in it (process 1,
//! "windows"), and one per handler for its invokes (process 2, "handlers"), each a
//! slice as long as the invoke took. Track ids stay small: Perfetto reads them as
//! 32-bit numbers.

use std::collections::HashMap;
use std::fs::File;
use std::io::{self, BufWriter, Write};
use std::path::Path;
use std::thread::JoinHandle;

use serde_json::{json, Value as Json};
use tokio::sync::mpsc;

use super::{Entry, Event, Timeline};

/// The trace's process of window tracks.
const WINDOWS: u32 = 1;
/// The trace's process of handler tracks.
const HANDLERS: u32 = 2;

/// A trace being written as the timeline records ([`Timeline::export_to`]). The
/// file is a JSON array of trace events, the format's form meant for this: a
/// reader takes it even if the app ends before [`TraceExport::finish`] writes the
/// closing bracket. Entries go to a writer thread, never waiting on the file, so
/// none is lost however large the trace grows; it is flushed whenever the writer
/// catches up.
pub struct TraceExport {
    timeline: Timeline,
    /// The writer's own feed, taken off the timeline to end it.
    feed: Option<mpsc::UnboundedSender<Entry>>,
    writer: Option<JoinHandle<io::Result<()>>>,
    path: std::path::PathBuf,
}

impl TraceExport {
    pub(super) fn start(timeline: &Timeline, path: &Path) -> io::Result<Self> {
        let file = File::create(path)?;
        let (feed, mut live) = mpsc::unbounded_channel();
        let kept = timeline.watch(feed.clone());
        let writer = std::thread::Builder::new()
            .name("voltaic-trace".into())
            .spawn(move || {
                let mut out = Writer::new(BufWriter::new(file))?;
                for entry in &kept {
                    out.entry(entry)?;
                }
                out.flush()?;
                while let Some(entry) = live.blocking_recv() {
                    out.entry(&entry)?;
                    if live.is_empty() {
                        out.flush()?;
                    }
                }
                out.finish()
            })?;
        Ok(Self {
            timeline: timeline.clone(),
            feed: Some(feed),
            writer: Some(writer),
            path: path.to_owned(),
        })
    }

    /// Where the trace goes.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Writes what is left and closes the trace.
    pub fn finish(mut self) -> io::Result<()> {
        self.end()
    }

    fn end(&mut self) -> io::Result<()> {
        let Some(writer) = self.writer.take() else {
            return Ok(());
        };
        // The writer's feed ends once no sender is left: the timeline's, and ours.
        if let Some(feed) = self.feed.take() {
            self.timeline.unwatch(&feed);
        }
        writer
            .join()
            .unwrap_or_else(|_| Err(io::Error::other("the trace writer panicked")))
    }
}

impl Drop for TraceExport {
    fn drop(&mut self) {
        if let Err(error) = self.end() {
            tracing::warn!(
                "the IPC trace {} is incomplete: {error}",
                self.path.display()
            );
        }
    }
}

impl std::fmt::Debug for TraceExport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TraceExport")
            .field("path", &self.path)
            .finish_non_exhaustive()
    }
}

/// Writes trace events one by one, naming each track when it first appears.
struct Writer<W: Write> {
    out: W,
    first: bool,
    windows: HashMap<u32, ()>,
    handlers: HashMap<String, u32>,
}

impl<W: Write> Writer<W> {
    fn new(out: W) -> io::Result<Self> {
        let mut writer = Self {
            out,
            first: true,
            windows: HashMap::new(),
            handlers: HashMap::new(),
        };
        writer.out.write_all(b"[")?;
        for (pid, name) in [(WINDOWS, "Voltaic windows"), (HANDLERS, "Voltaic handlers")] {
            writer.event(&json!({
                "name": "process_name", "ph": "M", "pid": pid, "tid": 0,
                "args": { "name": name },
            }))?;
        }
        Ok(writer)
    }

    fn entry(&mut self, entry: &Entry) -> io::Result<()> {
        let ts = entry.at.as_secs_f64() * 1e6;
        let mut args = serde_json::to_value(entry).unwrap_or(Json::Null);
        if let Json::Object(fields) = &mut args {
            for key in ["at_us", "kind"] {
                fields.remove(key);
            }
        }
        let event = match &entry.event {
            Event::Invoke {
                channel,
                queued,
                handler,
                reply,
                ..
            } => {
                let tid = self.handler_track(channel)?;
                json!({
                    "name": channel, "cat": "invoke", "ph": "X", "ts": ts,
                    "dur": (*queued + *handler + *reply).as_secs_f64() * 1e6,
                    "pid": HANDLERS, "tid": tid, "args": args,
                })
            }
            other => {
                let tid = self.window_track(entry.window)?;
                let (cat, name) = describe(other);
                json!({
                    "name": name, "cat": cat, "ph": "i", "s": "t", "ts": ts,
                    "pid": WINDOWS, "tid": tid, "args": args,
                })
            }
        };
        self.event(&event)
    }

    fn window_track(&mut self, window: u32) -> io::Result<u32> {
        if self.windows.insert(window, ()).is_none() {
            let name = match window {
                0 => "app".to_owned(),
                id => format!("window {id}"),
            };
            self.name_track(WINDOWS, window, &name)?;
        }
        Ok(window)
    }

    fn handler_track(&mut self, channel: &str) -> io::Result<u32> {
        if let Some(tid) = self.handlers.get(channel) {
            return Ok(*tid);
        }
        let tid = u32::try_from(self.handlers.len() + 1).unwrap_or(u32::MAX);
        self.handlers.insert(channel.to_owned(), tid);
        self.name_track(HANDLERS, tid, &format!("handler {channel}"))?;
        Ok(tid)
    }

    /// Names track `tid` of process `pid`, and keeps the tracks in that order.
    fn name_track(&mut self, pid: u32, tid: u32, name: &str) -> io::Result<()> {
        self.event(&json!({
            "name": "thread_name", "ph": "M", "pid": pid, "tid": tid,
            "args": { "name": name },
        }))?;
        self.event(&json!({
            "name": "thread_sort_index", "ph": "M", "pid": pid, "tid": tid,
            "args": { "sort_index": tid },
        }))
    }

    fn event(&mut self, event: &Json) -> io::Result<()> {
        if !self.first {
            self.out.write_all(b",\n")?;
        }
        self.first = false;
        serde_json::to_writer(&mut self.out, event).map_err(io::Error::from)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.out.flush()
    }

    fn finish(mut self) -> io::Result<()> {
        self.out.write_all(b"]\n")?;
        self.out.flush()
    }
}

/// The category and name of an event shown on its window's track.
fn describe(event: &Event) -> (&'static str, String) {
    match event {
        Event::Send {
            channel,
            sync: true,
            ..
        } => ("send", format!("sendSync {channel}")),
        Event::Send { channel, .. } => ("send", format!("send {channel}")),
        Event::Push { channel, .. } => ("push", format!("push {channel}")),
        Event::Invoke { channel, .. } => ("invoke", channel.clone()),
        Event::Port { action, .. } => ("port", format!("port {action:?}")),
        Event::Refused {
            channel, reason, ..
        } => (
            "refused",
            match channel {
                Some(channel) => format!("refused {reason:?} {channel}"),
                None => format!("refused {reason:?}"),
            },
        ),
        Event::Console { level, .. } => ("console", format!("console {level:?}")),
        Event::Lifecycle { what } => ("lifecycle", what.clone()),
    }
}
