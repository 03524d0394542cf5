//! The IPC inspector: a window of the app showing its IPC timeline live, a
//! filterable list of messages and a latency table per channel. It is itself a
//! Voltaic page, on a declared API (`window.voltaicInspector`): a `watch` call that
//! gives the entries kept, an `entries` event with each new batch, and a `stats`
//! live value with the table.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError, Weak};
use std::time::Duration;

use serde_json::{json, Value as Json};
use tokio::sync::mpsc::UnboundedReceiver;
use voltaic_core::timeline::{Entry, Event};
use voltaic_core::{Api, ApiEvent, IpcEvent, LiveValue, Timeline, TimelineOptions, WebContents};

use crate::{App, AppHandle, BrowserWindow, BrowserWindowOptions, Error, WebPreferences};

/// The name of the inspector's API, and the prefix of its channels.
pub(crate) const API: &str = "voltaicInspector";

const HTML: &str = include_str!("inspector/inspector.html");
const JS: &str = include_str!("inspector/inspector.js");

/// How long new entries are gathered before the page hears of them: at most ten
/// updates a second, however busy the app.
const GATHER: Duration = Duration::from_millis(100);

/// How often, at most, the latency table is worked out again.
const STATS_EVERY: Duration = Duration::from_secs(1);

/// The inspector's API and what its windows share, declared once per app.
pub(crate) struct Inspector {
    entries: ApiEvent<Json>,
    stats: LiveValue<Json>,
    timeline: Timeline,
    /// The inspector windows: the only ones whose `watch` is answered.
    windows: Mutex<Vec<u32>>,
    /// The latest `watch` of each inspector window: a page reloaded watches again,
    /// and its earlier feed ends.
    watches: Mutex<HashMap<u32, u64>>,
}

impl Inspector {
    fn declare(app: &AppHandle) -> Result<Arc<Self>, Error> {
        let api = Api::new(API);
        api.doc("Voltaic's IPC inspector: the app's IPC timeline, live.");
        let entries = api.event::<Json>("entries");
        let stats = api.live("stats", json!([]))?;
        let shared = Arc::new(Self {
            entries,
            stats,
            timeline: app.ipc_main().timeline().clone(),
            windows: Mutex::default(),
            watches: Mutex::default(),
        });
        // Weak: the API, which the registry keeps, must not keep what it serves.
        let watching = Arc::downgrade(&shared);
        api.call("watch", move |event: IpcEvent| {
            let shared = Self::asked_by(&watching, &event);
            async move { Ok::<Json, String>(shared?.watch(event.sender().clone())) }
        })
        .doc("The entries kept; later ones come as `entries` events.");
        let clearing = Arc::downgrade(&shared);
        api.call("clear", move |event: IpcEvent| {
            Self::asked_by(&clearing, &event)?.timeline.clear();
            Ok::<(), String>(())
        })
        .doc("Forgets the entries kept.");
        app.ipc_main().add_api(&api)?;
        Ok(shared)
    }

    /// The inspector, if `event` came from one of its windows. A window granted
    /// every channel has the inspector's too: only the inspector's own windows see
    /// the app's traffic, or clear it.
    fn asked_by(inspector: &Weak<Self>, event: &IpcEvent) -> Result<Arc<Self>, String> {
        let inspector = inspector.upgrade().ok_or("the inspector is gone")?;
        if lock(&inspector.windows).contains(&event.sender().id()) {
            Ok(inspector)
        } else {
            Err("only the inspector's windows use its API".to_owned())
        }
    }

    /// The entries kept for `window`'s page, and a feed of the later ones to it.
    fn watch(self: Arc<Self>, window: WebContents) -> Json {
        let (kept, live) = self.timeline.subscribe();
        let generation = {
            let mut watches = lock(&self.watches);
            let generation = watches.entry(window.id()).or_default();
            *generation += 1;
            *generation
        };
        let me = window.id();
        let kept: Vec<&Entry> = kept.iter().filter(|entry| entry.window != me).collect();
        // The table of what came before: set before the answer goes, so the page
        // has it when it shows the entries kept.
        self.set_stats();
        let answer = serde_json::to_value(kept).unwrap_or(Json::Null);
        tokio::spawn(self.forward(window, live, generation));
        answer
    }

    /// Works the latency table out again, from every entry kept.
    fn set_stats(&self) {
        let stats = serde_json::to_value(self.timeline.channel_stats()).unwrap_or_default();
        let _ = self.stats.set(stats);
    }

    /// Sends `window` the entries of every other window, in batches, until it is
    /// closed or watches again. Its own are not recorded (see
    /// [`Inspector::show_in`]), so these updates do not feed themselves.
    async fn forward(
        self: Arc<Self>,
        window: WebContents,
        mut live: UnboundedReceiver<Entry>,
        generation: u64,
    ) {
        let me = window.id();
        let mut stats_at: Option<tokio::time::Instant> = None;
        // Invokes came since the table was last worked out.
        let mut stale = false;
        loop {
            // While the table is behind, it is brought up to date once a second
            // even if nothing else comes.
            let next = if stale {
                match tokio::time::timeout(STATS_EVERY, live.recv()).await {
                    Ok(next) => next.map(Some),
                    Err(_) => Some(None),
                }
            } else {
                live.recv().await.map(Some)
            };
            let Some(first) = next else {
                return;
            };
            let mut batch = Vec::new();
            if let Some(first) = first {
                tokio::time::sleep(GATHER).await;
                batch.push(first);
                while let Ok(entry) = live.try_recv() {
                    batch.push(entry);
                }
            }
            let current = lock(&self.watches).get(&me).copied();
            if current != Some(generation) {
                return;
            }
            // The table scans every entry kept: worked out again after invokes
            // came, at most once a second.
            stale |= batch
                .iter()
                .any(|entry| matches!(entry.event, Event::Invoke { .. }));
            let due = stats_at.is_none_or(|at| at.elapsed() >= STATS_EVERY);
            let table = stale && due;
            if table {
                stale = false;
                stats_at = Some(tokio::time::Instant::now());
                self.set_stats();
            }
            if batch.is_empty() && !table {
                continue;
            }
            // An empty batch still has the page show the new table.
            let batch = serde_json::to_value(batch).unwrap_or_default();
            if self.entries.emit(&window, batch).is_err() {
                lock(&self.watches).remove(&me);
                return;
            }
        }
    }
}

impl App {
    /// Opens the IPC inspector: a window with the app's IPC timeline, live (every
    /// window's messages, refusals, console lines and lifecycle), filterable, and a
    /// table of invoke latencies per channel. Starts the timeline if it is off (with
    /// previews of 120 characters), so it shows what comes from now on, or from the
    /// start with `VOLTAIC_TRACE`. The inspector is a window of the app like any
    /// other, except that, like DevTools, it keeps no app running: when the app's
    /// last other window closes, the app quits or hears `window-all-closed` as it
    /// would without it (an app that stays keeps its inspector open, and hears
    /// `window-all-closed` again when that closes). It sees the other windows,
    /// never they it. In a debug build, Ctrl+Alt+I in any window opens it too (or
    /// focuses the one open).
    pub fn open_inspector(&self) -> Result<BrowserWindow, Error> {
        let inspector = self.handle().inspector()?;
        let window = BrowserWindow::new(self, inspector.options())?;
        inspector.show_in(&window)?;
        Ok(window)
    }
}

impl Inspector {
    /// The inspector window's options; the timeline started if it was off.
    fn options(&self) -> BrowserWindowOptions {
        if !self.timeline.is_on() {
            self.timeline.start(TimelineOptions::default().preview(120));
        }
        BrowserWindowOptions {
            title: "Voltaic IPC inspector".into(),
            width: 1100,
            height: 700,
            web_preferences: WebPreferences {
                apis: vec![API.into()],
                // Its one document is written here, script and style inline; it
                // loads nothing else.
                content_security_policy: "default-src 'self'; script-src 'unsafe-inline'; \
                                          style-src 'unsafe-inline'"
                    .into(),
                ..Default::default()
            },
            ..Default::default()
        }
    }

    /// Makes `window` an inspector, and loads its page.
    fn show_in(&self, window: &BrowserWindow) -> Result<(), Error> {
        lock(&self.windows).push(window.id());
        // Its own updates would fill the ring with themselves.
        self.timeline.ignore_window(window.id());
        window.load_html(&page())
    }
}

impl AppHandle {
    /// Like [`App::open_inspector`], from a running app: focuses the inspector if
    /// one is open, or opens one.
    pub async fn open_inspector(&self) -> Result<BrowserWindow, Error> {
        let inspector = self.inspector()?;
        let open = lock(&inspector.windows).clone();
        let windows = self.get_all_windows();
        if let Some(window) = windows.into_iter().find(|w| open.contains(&w.id())) {
            window.focus()?;
            return Ok(window);
        }
        let window = self.create_window(inspector.options()).await?;
        inspector.show_in(&window)?;
        Ok(window)
    }

    /// Whether `closed`'s going leaves the app without a window of its own, `left`
    /// being those still open: none at all, or, when `closed` was not an inspector,
    /// inspectors only. An inspector, like DevTools, keeps no app running.
    pub(crate) fn leaves_no_window(&self, closed: u32, left: &[BrowserWindow]) -> bool {
        let Some(inspector) = lock(&self.inspector).clone() else {
            return left.is_empty();
        };
        let mut inspectors = lock(&inspector.windows);
        let was_inspector = inspectors.contains(&closed);
        inspectors.retain(|id| *id != closed);
        left.is_empty()
            || (!was_inspector && left.iter().all(|window| inspectors.contains(&window.id())))
    }

    /// The inspector's API, declared on first use.
    fn inspector(&self) -> Result<Arc<Inspector>, Error> {
        let mut slot = lock(&self.inspector);
        if let Some(inspector) = slot.as_ref() {
            return Ok(inspector.clone());
        }
        let inspector = Inspector::declare(self)?;
        *slot = Some(inspector.clone());
        Ok(inspector)
    }
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    // Nothing here panics while holding these locks.
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

/// The inspector's document, its script in place.
fn page() -> String {
    HTML.replace("<!-- script -->", &format!("<script>\n{JS}</script>"))
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_page_carries_its_script() {
        let page = super::page();
        assert!(page.contains("<script>\n// The inspector's page"));
        assert!(!page.contains("<!-- script -->"));
    }
}
