//! Assertions on the app's IPC timeline ([`crate::Kit::traffic`]).

use std::time::Duration;

use voltaic::timeline::{Entry, Event, Refusal};
use voltaic::Timeline;

use crate::probe::DEFAULT_WAIT;

/// The app's IPC traffic as its timeline recorded it, with waits that fail saying
/// what was seen instead. [`Traffic::from_now`] narrows it to what comes next.
#[derive(Clone, Debug)]
pub struct Traffic {
    timeline: Timeline,
    since: Duration,
}

impl Traffic {
    pub(crate) fn new(timeline: Timeline) -> Self {
        Self {
            timeline,
            since: Duration::ZERO,
        }
    }

    /// The same traffic from this moment on: entries recorded before it (an invoke:
    /// received before it) are not seen.
    pub fn from_now(&self) -> Self {
        Self {
            timeline: self.timeline.clone(),
            since: self.timeline.elapsed(),
        }
    }

    /// Everything recorded so far (from [`Traffic::from_now`]'s moment, if that
    /// narrowed it).
    pub fn entries(&self) -> Vec<Entry> {
        let mut entries = self.timeline.entries();
        entries.retain(|entry| entry.at >= self.since);
        entries
    }

    /// Waits (at most 30 s) for an entry that `matches`; the error names `what`
    /// and lists what the timeline holds.
    pub async fn expect(
        &self,
        what: &str,
        matches: impl Fn(&Entry) -> bool,
    ) -> Result<Entry, String> {
        let seen = |entry: &Entry| entry.at >= self.since && matches(entry);
        let deadline = tokio::time::Instant::now() + DEFAULT_WAIT;
        let (kept, mut live) = self.timeline.subscribe();
        if let Some(entry) = kept.into_iter().find(|entry| seen(entry)) {
            return Ok(entry);
        }
        loop {
            match tokio::time::timeout_at(deadline, live.recv()).await {
                Ok(Some(entry)) if seen(&entry) => return Ok(entry),
                Ok(Some(_)) => {}
                Ok(None) | Err(_) => {
                    return Err(format!(
                        "no {what} on the IPC timeline within {DEFAULT_WAIT:?}; it holds:\n{}",
                        self.summary()
                    ));
                }
            }
        }
    }

    /// Waits for an invoke of `channel` that was answered (resolved or rejected).
    pub async fn expect_invoke(&self, channel: &str) -> Result<Entry, String> {
        self.expect(
            &format!("invoke of '{channel}'"),
            |entry| matches!(&entry.event, Event::Invoke { channel: c, .. } if c == channel),
        )
        .await
    }

    /// Waits for a send (or `sendSync`) from a page on `channel`.
    pub async fn expect_send(&self, channel: &str) -> Result<Entry, String> {
        self.expect(
            &format!("send on '{channel}'"),
            |entry| matches!(&entry.event, Event::Send { channel: c, .. } if c == channel),
        )
        .await
    }

    /// Waits for a message from the main process to a page on `channel`.
    pub async fn expect_push(&self, channel: &str) -> Result<Entry, String> {
        self.expect(
            &format!("push on '{channel}'"),
            |entry| matches!(&entry.event, Event::Push { channel: c, .. } if c == channel),
        )
        .await
    }

    /// Waits for a message on `channel` refused by `reason`.
    pub async fn expect_refused(&self, channel: &str, reason: Refusal) -> Result<Entry, String> {
        self.expect(&format!("refusal ({reason:?}) on '{channel}'"), |entry| {
            matches!(&entry.event, Event::Refused { channel: Some(c), reason: r, .. }
                if c == channel && *r == reason)
        })
        .await
    }

    /// Fails if anything on `channel` is on the timeline now.
    pub fn ensure_none(&self, channel: &str) -> Result<(), String> {
        match self
            .entries()
            .into_iter()
            .find(|entry| entry.event.channel() == Some(channel))
        {
            Some(entry) => Err(format!(
                "'{channel}' should have had no traffic, but: {entry:?}"
            )),
            None => Ok(()),
        }
    }

    /// One line per entry, the last 40.
    fn summary(&self) -> String {
        let entries = self.entries();
        entries[entries.len().saturating_sub(40)..]
            .iter()
            .map(|entry| serde_json::to_string(entry).unwrap_or_else(|_| format!("{entry:?}")))
            .collect::<Vec<_>>()
            .join("\n")
    }
}
