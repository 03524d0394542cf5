//! A DevTools protocol session: commands answered by id, events routed by session
//! (flat sessions: `Target.setAutoAttach {flatten: true}`), parsed loosely. Every
//! wait is bounded, and a failure says what did not arrive.

use std::collections::{HashMap, VecDeque};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc::{self, RecvTimeoutError};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::transport::{Command, Transport};

/// What a DevTools call or wait can end with, besides its answer.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum CdpError {
    /// Chromium answered the command with an error.
    #[error("{method} failed: {message} (code {code})")]
    Protocol {
        /// The command.
        method: String,
        /// The protocol's error code.
        code: i64,
        /// Chromium's message.
        message: String,
    },
    /// Nothing came within the bound.
    #[error("timed out after {after:?} waiting for {what}")]
    Timeout {
        /// What was awaited.
        what: String,
        /// How long.
        after: Duration,
    },
    /// The connection closed: the browser exited, or closed it.
    #[error("the DevTools connection closed ({0})")]
    Closed(String),
}

/// An event from Chromium.
#[derive(Debug, Clone, PartialEq)]
pub struct Event {
    /// The session it belongs to; `None` for the browser's own.
    pub session: Option<String>,
    /// Its name, such as `Runtime.bindingCalled`.
    pub method: String,
    /// Its parameters, as sent.
    pub params: Value,
}

/// The answer to a call: its result, or why there is none.
pub type Answer = Result<Value, CdpError>;

/// What is done with an answer when it comes.
enum Waiter {
    /// A caller blocked in [`Cdp::call`] takes it.
    Blocked(mpsc::Sender<Answer>),
    /// Handed to a function, on the reader's thread ([`Cdp::call_then`]).
    Then(Box<dyn FnOnce(Answer) + Send>),
}

impl Waiter {
    fn give(self, answer: Answer) {
        match self {
            Self::Blocked(sender) => {
                let _ = sender.send(answer);
            }
            Self::Then(then) => then(answer),
        }
    }
}

/// Calls waiting for their answers, and why the connection closed once it has.
#[derive(Default)]
struct Pending {
    waiters: HashMap<u64, Waiter>,
    closed: Option<String>,
}

/// Where events go when the session does not keep them for [`Cdp::wait_for`].
pub type EventSink = Box<dyn Fn(Event) + Send + Sync>;

/// One DevTools connection to a browser, over a [`Transport`].
pub struct Cdp {
    transport: Box<dyn Transport>,
    next_id: AtomicU64,
    pending: Arc<Mutex<Pending>>,
    events: Mutex<Events>,
}

/// Where a transport hands in what the browser says: answers, events, and the end
/// of the connection. Cheap to clone, usable from any thread.
#[derive(Clone)]
pub struct Inbound {
    pending: Arc<Mutex<Pending>>,
    events: Arc<EventSink>,
}

impl Inbound {
    /// One message as the protocol's JSON text: an answer (`id`) or an event
    /// (`method`). Anything else is logged and dropped: a session never breaks on
    /// it.
    pub fn message(&self, text: &str) {
        route(text, self);
    }

    /// The answer to command `id`.
    pub fn answer(&self, id: u64, answer: Answer) {
        let waiter = lock(&self.pending).waiters.remove(&id);
        if let Some(waiter) = waiter {
            waiter.give(answer);
        }
    }

    /// An event.
    pub fn event(&self, event: Event) {
        (self.events)(event);
    }

    /// The connection closed: whoever still waits, or calls later, hears `why`.
    pub fn closed(&self, why: &str) {
        tracing::debug!("DevTools connection closed: {why}");
        let waiters: Vec<Waiter> = {
            let mut pending = lock(&self.pending);
            pending.closed = Some(why.to_owned());
            pending.waiters.drain().map(|(_, waiter)| waiter).collect()
        };
        for waiter in waiters {
            waiter.give(Err(CdpError::Closed(why.to_owned())));
        }
    }
}

struct Events {
    incoming: mpsc::Receiver<Event>,
    /// Events read while waiting for another one, in order.
    backlog: VecDeque<Event>,
}

impl Cdp {
    /// A session over `transport`, keeping events for [`Cdp::wait_for`]. The
    /// transport hands what the browser says to the [`Inbound`] returned.
    pub fn new(transport: impl Transport) -> (Self, Inbound) {
        let (events, incoming) = mpsc::channel();
        Self::start(
            Box::new(transport),
            Box::new(move |event| {
                let _ = events.send(event);
            }),
            incoming,
        )
    }

    /// Like [`Cdp::new`], with every event handed to `sink` on the transport's
    /// thread instead of kept for [`Cdp::wait_for`] (which then waits in vain).
    pub fn with_sink(transport: impl Transport, sink: EventSink) -> (Self, Inbound) {
        Self::start(Box::new(transport), sink, mpsc::channel().1)
    }

    fn start(
        transport: Box<dyn Transport>,
        events: EventSink,
        incoming: mpsc::Receiver<Event>,
    ) -> (Self, Inbound) {
        let pending: Arc<Mutex<Pending>> = Arc::default();
        let inbound = Inbound {
            pending: pending.clone(),
            events: Arc::new(events),
        };
        let cdp = Self {
            transport,
            next_id: AtomicU64::new(1),
            pending,
            events: Mutex::new(Events {
                incoming,
                backlog: VecDeque::new(),
            }),
        };
        (cdp, inbound)
    }

    /// Sends `method` with `params` to `session` (`None`: the browser) and waits, at
    /// most `limit`, for its answer.
    pub fn call(
        &self,
        session: Option<&str>,
        method: &str,
        params: Value,
        limit: Duration,
    ) -> Result<Value, CdpError> {
        let (answer, answered) = mpsc::channel();
        let id = self.send(session, method, params, Some(Waiter::Blocked(answer)))?;
        match self.transport.wait(&answered, limit) {
            Ok(Ok(result)) => Ok(result),
            Ok(Err(CdpError::Protocol { code, message, .. })) => Err(CdpError::Protocol {
                method: method.to_owned(),
                code,
                message,
            }),
            Ok(Err(error)) => Err(error),
            Err(RecvTimeoutError::Timeout) => {
                lock(&self.pending).waiters.remove(&id);
                Err(CdpError::Timeout {
                    what: format!("the answer to {method}"),
                    after: limit,
                })
            }
            Err(RecvTimeoutError::Disconnected) => {
                Err(CdpError::Closed("the reader stopped".into()))
            }
        }
    }

    /// Sends `method` without waiting: `then` gets the answer on the transport's
    /// thread, or the error if the connection is closed already or closes first.
    pub fn call_then(
        &self,
        session: Option<&str>,
        method: &str,
        params: Value,
        then: impl FnOnce(Answer) + Send + 'static,
    ) {
        let then: Box<dyn FnOnce(Answer) + Send> = Box::new(then);
        let named = method.to_owned();
        let then = Box::new(move |answer: Answer| {
            then(answer.map_err(|error| match error {
                CdpError::Protocol { code, message, .. } => CdpError::Protocol {
                    method: named,
                    code,
                    message,
                },
                other => other,
            }))
        });
        if let Err(error) = self.send(session, method, params, Some(Waiter::Then(then))) {
            tracing::debug!("{method} not sent: {error}");
        }
    }

    /// Sends `method` and forgets it: its answer is dropped. For commands whose
    /// effect shows in events, or that may fail harmlessly (the document went).
    pub fn post(&self, session: Option<&str>, method: &str, params: Value) {
        if let Err(error) = self.send(session, method, params, None) {
            tracing::debug!("{method} not sent: {error}");
        }
    }

    fn send(
        &self,
        session: Option<&str>,
        method: &str,
        params: Value,
        waiter: Option<Waiter>,
    ) -> Result<u64, CdpError> {
        let id = self.next_id.fetch_add(1, Ordering::Relaxed);
        {
            let mut pending = lock(&self.pending);
            if let Some(why) = &pending.closed {
                return Err(CdpError::Closed(why.clone()));
            }
            if let Some(waiter) = waiter {
                pending.waiters.insert(id, waiter);
            }
        }
        let command = Command {
            id,
            session,
            method,
            params: &params,
        };
        if let Err(error) = self.transport.send(&command) {
            let waiter = lock(&self.pending).waiters.remove(&id);
            let error = CdpError::Closed(error.to_string());
            if let Some(waiter) = waiter {
                waiter.give(Err(error.clone()));
            }
            return Err(error);
        }
        Ok(id)
    }

    /// Waits, at most `limit`, for an event that `matches`; events that come first
    /// are kept for later waits. `what` names it in the error.
    pub fn wait_for(
        &self,
        what: &str,
        limit: Duration,
        matches: impl Fn(&Event) -> bool,
    ) -> Result<Event, CdpError> {
        let mut events = lock(&self.events);
        if let Some(at) = events.backlog.iter().position(&matches) {
            return Ok(events.backlog.remove(at).expect("the position just found"));
        }
        let deadline = Instant::now() + limit;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match events.incoming.recv_timeout(left) {
                Ok(event) if matches(&event) => return Ok(event),
                Ok(event) => events.backlog.push_back(event),
                Err(RecvTimeoutError::Timeout) => {
                    let seen: Vec<&str> =
                        events.backlog.iter().map(|e| e.method.as_str()).collect();
                    return Err(CdpError::Timeout {
                        what: format!("{what} (events so far: {seen:?})"),
                        after: limit,
                    });
                }
                Err(RecvTimeoutError::Disconnected) => {
                    return Err(CdpError::Closed(format!("while waiting for {what}")))
                }
            }
        }
    }
}

/// Hands one message from the browser to whoever waits for it. Anything that is not
/// an answer or an event is logged and dropped: a session never breaks on it.
fn route(text: &str, inbound: &Inbound) {
    let Ok(message) = serde_json::from_str::<Value>(text) else {
        tracing::warn!("ignored a DevTools message that is not JSON");
        return;
    };
    if let Some(id) = message.get("id").and_then(Value::as_u64) {
        let answer = match message.get("error") {
            Some(error) => Err(CdpError::Protocol {
                method: String::new(),
                code: error.get("code").and_then(Value::as_i64).unwrap_or(0),
                message: error
                    .get("message")
                    .and_then(Value::as_str)
                    .unwrap_or("no message")
                    .to_owned(),
            }),
            None => Ok(message.get("result").cloned().unwrap_or(Value::Null)),
        };
        inbound.answer(id, answer);
    } else if let Some(method) = message.get("method").and_then(Value::as_str) {
        inbound.event(Event {
            session: message
                .get("sessionId")
                .and_then(Value::as_str)
                .map(str::to_owned),
            method: method.to_owned(),
            params: message.get("params").cloned().unwrap_or(Value::Null),
        });
    } else {
        tracing::debug!("ignored a DevTools message with neither id nor method");
    }
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

#[cfg(test)]
mod tests {
    use super::*;

    use crate::pipe::{connect, read_messages, PipeWriter};
    use serde_json::json;

    /// A stand-in browser: answers every command from a script of replies.
    fn connection(reply: impl Fn(&Value) -> Vec<Value> + Send + 'static) -> Cdp {
        let (from_browser, browser_out) = os_pipe::pipe().unwrap();
        let (browser_in, to_browser) = os_pipe::pipe().unwrap();
        std::thread::spawn(move || {
            let mut out = browser_out;
            let _ = read_messages(browser_in, |text| {
                let command: Value = serde_json::from_str(&text).unwrap();
                for message in reply(&command) {
                    use std::io::Write;
                    let _ = out.write_all(message.to_string().as_bytes());
                    let _ = out.write_all(&[0]);
                }
            });
        });
        connect(PipeWriter::new(to_browser), from_browser, None).unwrap()
    }

    #[test]
    fn answers_errors_and_events_find_their_waiters() {
        let cdp = connection(|command| {
            let id = command["id"].clone();
            match command["method"].as_str() {
                Some("Good.call") => vec![
                    json!({"method": "Some.event", "sessionId": "s1", "params": {"n": 1}}),
                    json!({"unknown": "shape"}),
                    json!({"id": id, "result": {"ok": true}}),
                ],
                _ => vec![
                    json!({"id": id, "error": {"code": -32601, "message": "'Bad.call' wasn't found"}}),
                ],
            }
        });
        let limit = Duration::from_secs(10);
        assert_eq!(
            cdp.call(None, "Good.call", json!({}), limit),
            Ok(json!({"ok": true}))
        );
        assert_eq!(
            cdp.call(Some("s1"), "Bad.call", json!({}), limit),
            Err(CdpError::Protocol {
                method: "Bad.call".into(),
                code: -32601,
                message: "'Bad.call' wasn't found".into()
            })
        );
        let event = cdp
            .wait_for("Some.event", limit, |e| e.method == "Some.event")
            .unwrap();
        assert_eq!(event.session.as_deref(), Some("s1"));
        assert_eq!(event.params, json!({"n": 1}));
        let missing = cdp.wait_for("Never.sent", Duration::from_millis(50), |e| {
            e.method == "Never.sent"
        });
        assert!(
            matches!(missing, Err(CdpError::Timeout { .. })),
            "{missing:?}"
        );
    }

    #[test]
    fn a_closed_pipe_fails_the_waiters() {
        let cdp = connection(|_| Vec::new());
        // The stand-in never answers; its end of the pipe is still open, so this is
        // a time-out, not a close.
        let answer = cdp.call(None, "Silent.call", json!({}), Duration::from_millis(50));
        assert!(
            matches!(answer, Err(CdpError::Timeout { .. })),
            "{answer:?}"
        );
        let (from_browser, browser_out) = os_pipe::pipe().unwrap();
        let (_browser_in, to_browser) = os_pipe::pipe().unwrap();
        let cdp = connect(PipeWriter::new(to_browser), from_browser, None).unwrap();
        drop(browser_out);
        let answer = cdp.call(None, "Any.call", json!({}), Duration::from_secs(10));
        assert!(matches!(answer, Err(CdpError::Closed(_))), "{answer:?}");
    }
}
