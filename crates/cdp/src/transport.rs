//! What carries a session's commands to a browser: Chromium's pipe (`pipe`) or, on
//! Windows, WebView2's in-process calls. Answers and events come back through the
//! session's [`crate::Inbound`], from whatever thread the transport reads on.

use std::io;
use std::sync::mpsc::{Receiver, RecvTimeoutError};
use std::time::Duration;

use serde_json::{json, Value};

use crate::Answer;

/// One command on its way to the browser.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Command<'a> {
    /// The number its answer will carry.
    pub id: u64,
    /// The session it is for; `None` for the connection's own (on a pipe, the
    /// browser's; on WebView2, the window's page).
    pub session: Option<&'a str>,
    /// Its name, such as `Runtime.evaluate`.
    pub method: &'a str,
    /// Its parameters.
    pub params: &'a Value,
}

impl Command<'_> {
    /// The command as the protocol's JSON text.
    pub fn to_json(&self) -> String {
        let mut message = json!({ "id": self.id, "method": self.method, "params": self.params });
        if let Some(session) = self.session {
            message["sessionId"] = Value::String(session.to_owned());
        }
        message.to_string()
    }
}

/// How a session's commands reach a browser.
pub trait Transport: Send + Sync + 'static {
    /// Sends one command. An error means it was not sent, and its answer will not
    /// come.
    fn send(&self, command: &Command<'_>) -> io::Result<()>;

    /// Waits, at most `limit`, for the answer a caller blocks on. A transport whose
    /// answers arrive through the waiting thread's own message loop (WebView2's)
    /// runs that loop meanwhile; others just wait.
    fn wait(
        &self,
        answered: &Receiver<Answer>,
        limit: Duration,
    ) -> Result<Answer, RecvTimeoutError> {
        answered.recv_timeout(limit)
    }
}

impl<T: Transport> Transport for std::sync::Arc<T> {
    fn send(&self, command: &Command<'_>) -> io::Result<()> {
        (**self).send(command)
    }

    fn wait(
        &self,
        answered: &Receiver<Answer>,
        limit: Duration,
    ) -> Result<Answer, RecvTimeoutError> {
        (**self).wait(answered, limit)
    }
}
