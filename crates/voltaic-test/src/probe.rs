//! What a test saw, recorded as lines it can wait for: console lines, Voltaic's
//! own warnings, and whatever handlers record.

use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use serde_json::Value;
use tokio::sync::Notify;

/// How long a wait lasts before it fails, unless a test says otherwise: a bound for
/// what never comes, far above what a slow, busy machine takes.
pub const DEFAULT_WAIT: Duration = Duration::from_secs(30);

/// Collects what happens during a test, and waits for it with a deadline.
#[derive(Clone, Default)]
pub struct Probe {
    inner: Arc<ProbeInner>,
}

#[derive(Default)]
struct ProbeInner {
    lines: Mutex<Vec<String>>,
    changed: Notify,
}

impl Probe {
    /// Records one event.
    pub fn record(&self, line: impl Into<String>) {
        self.inner
            .lines
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .push(line.into());
        self.inner.changed.notify_waiters();
    }

    /// Everything recorded so far.
    pub fn lines(&self) -> Vec<String> {
        self.inner
            .lines
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    /// The last `n` events, one a line.
    pub fn recent(&self, n: usize) -> String {
        let lines = self.lines();
        lines[lines.len().saturating_sub(n)..].join("\n")
    }

    /// Waits (at most 30 s) for an event matching `matches`; the error names `what`.
    pub async fn wait_for(
        &self,
        what: &str,
        matches: impl Fn(&str) -> bool,
    ) -> Result<String, String> {
        self.wait_for_within(what, DEFAULT_WAIT, matches).await
    }

    /// Waits for `line` recorded at index `from` or later; returns its index, so
    /// that a sequence can be waited for one step after another.
    pub async fn expect_after(&self, from: usize, line: &str) -> Result<usize, String> {
        let deadline = tokio::time::Instant::now() + DEFAULT_WAIT;
        loop {
            let notified = self.inner.changed.notified();
            if let Some(at) = self
                .lines()
                .iter()
                .skip(from)
                .position(|l| l == line)
                .map(|at| at + from)
            {
                return Ok(at);
            }
            if tokio::time::timeout_at(deadline, notified).await.is_err() {
                return Err(format!(
                    "timed out after {DEFAULT_WAIT:?} waiting for {line:?} (after line {from}); recorded so far:\n{}",
                    self.recent(30)
                ));
            }
        }
    }

    /// Like [`Probe::wait_for`] with an explicit limit.
    pub async fn wait_for_within(
        &self,
        what: &str,
        limit: Duration,
        matches: impl Fn(&str) -> bool,
    ) -> Result<String, String> {
        let deadline = tokio::time::Instant::now() + limit;
        loop {
            let notified = self.inner.changed.notified();
            if let Some(line) = self.lines().into_iter().find(|line| matches(line)) {
                return Ok(line);
            }
            if tokio::time::timeout_at(deadline, notified).await.is_err() {
                return Err(format!(
                    "timed out after {limit:?} waiting for {what}; recorded so far:\n{}",
                    self.recent(30)
                ));
            }
        }
    }

    /// Waits for an exact line.
    pub async fn expect(&self, line: &str) -> Result<(), String> {
        self.wait_for(&format!("{line:?}"), |l| l == line)
            .await
            .map(drop)
    }

    /// Waits for the page or preload to report `RESULT <name> <json>` on the console
    /// (see [`crate::REPORT_JS`]) and returns the JSON.
    pub async fn result(&self, name: &str) -> Result<Value, String> {
        let marker = format!("RESULT {name} ");
        let line = self
            .wait_for(&format!("the {name} result"), |l| {
                l.starts_with("console:") && l.contains(&marker)
            })
            .await?;
        let json = line
            .split_once(&marker)
            .map(|(_, json)| json)
            .unwrap_or_default();
        serde_json::from_str(json).map_err(|e| format!("result {name} is not JSON ({e}): {json}"))
    }

    /// Asserts that no event matching `matches` was recorded.
    pub fn ensure_none(&self, what: &str, matches: impl Fn(&str) -> bool) -> Result<(), String> {
        match self.lines().into_iter().find(|line| matches(line)) {
            Some(line) => Err(format!("{what} should not have happened, but: {line}")),
            None => Ok(()),
        }
    }
}

/// Polls `done` until it holds, for at most 30 s: for what the app changes without
/// recording an event (a window closing, a process starting). The error names `what`.
pub async fn poll_until(what: &str, mut done: impl FnMut() -> bool) -> Result<(), String> {
    let deadline = tokio::time::Instant::now() + DEFAULT_WAIT;
    while !done() {
        if tokio::time::Instant::now() >= deadline {
            return Err(format!(
                "timed out after {DEFAULT_WAIT:?} waiting for {what}"
            ));
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    Ok(())
}
