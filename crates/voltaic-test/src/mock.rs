//! Handler mocks by channel ([`crate::Kit::mock`]).

use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex, PoisonError};

use serde_json::Value as Json;
use tokio::sync::Notify;
use voltaic::handler::IntoReply;
use voltaic::{Handler, IpcError, IpcEvent, Value};

use crate::probe::DEFAULT_WAIT;

/// A channel's stand-in: it records every call with its arguments and answers
/// invokes as told. Cheap to clone; clones share the record.
#[derive(Clone)]
pub struct Mock {
    inner: Arc<Inner>,
}

struct Inner {
    channel: String,
    calls: Mutex<Vec<Json>>,
    reply: Mutex<Result<Json, String>>,
    called: Notify,
}

impl Mock {
    pub(crate) fn new(channel: &str) -> Self {
        Self {
            inner: Arc::new(Inner {
                channel: channel.to_owned(),
                calls: Mutex::default(),
                reply: Mutex::new(Ok(Json::Null)),
                called: Notify::new(),
            }),
        }
    }

    pub(crate) fn recorder(&self) -> Recorder {
        Recorder(self.inner.clone())
    }

    /// Invokes resolve with `value` from now on.
    pub fn returns(&self, value: Json) -> &Self {
        *self.reply() = Ok(value);
        self
    }

    /// Invokes reject with `message` from now on (the page sees Electron's
    /// `Error invoking remote method '<channel>': <message>`).
    pub fn fails(&self, message: impl Into<String>) -> &Self {
        *self.reply() = Err(message.into());
        self
    }

    /// The arguments of each call so far, in order, each a JSON array.
    pub fn calls(&self) -> Vec<Json> {
        self.inner
            .calls
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    /// Waits (at most 30 s) until the channel was called `count` times, and gives
    /// the calls; the error says how many came.
    pub async fn wait_for_calls(&self, count: usize) -> Result<Vec<Json>, String> {
        let deadline = tokio::time::Instant::now() + DEFAULT_WAIT;
        loop {
            let called = self.inner.called.notified();
            let calls = self.calls();
            if calls.len() >= count {
                return Ok(calls);
            }
            if tokio::time::timeout_at(deadline, called).await.is_err() {
                return Err(format!(
                    "the mock of '{}' was called {} time(s) in {DEFAULT_WAIT:?}, not {count}: {calls:?}",
                    self.inner.channel,
                    calls.len()
                ));
            }
        }
    }

    fn reply(&self) -> std::sync::MutexGuard<'_, Result<Json, String>> {
        self.inner
            .reply
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
    }
}

impl std::fmt::Debug for Mock {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Mock")
            .field("channel", &self.inner.channel)
            .field("calls", &self.calls().len())
            .finish()
    }
}

/// The handler and listener a [`Mock`] puts on its channel.
pub(crate) struct Recorder(Arc<Inner>);

/// Marks [`Recorder`]'s way of being a handler: all arguments at once.
pub enum RecordAll {}

type Reply = Pin<Box<dyn Future<Output = Result<Value, IpcError>> + Send>>;

impl Handler<RecordAll> for Recorder {
    fn call(&self, _event: IpcEvent, args: Vec<Value>) -> Reply {
        let args = serde_json::to_value(&args).unwrap_or(Json::Null);
        self.0
            .calls
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .push(args);
        self.0.called.notify_waiters();
        let reply = self
            .0
            .reply
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone();
        let reply = match reply {
            Ok(value) => voltaic::handler::Json(value).into_reply(),
            Err(message) => Err::<(), String>(message).into_reply(),
        };
        Box::pin(std::future::ready(reply))
    }
}
