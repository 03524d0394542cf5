//! The DevTools protocol in-process: commands through
//! `ICoreWebView2::CallDevToolsProtocolMethod` (and `…ForSession` for child
//! sessions), events through one `GetDevToolsProtocolEventReceiver` per name.
//!
//! WebView2 calls back on the thread that made the webview, from its message loop;
//! so commands are sent only from that thread, and a caller waiting for an answer
//! runs the loop meanwhile, within the bound it was given. Microsoft documents
//! that calls may be processed out of order: each answer is matched to its command
//! by the session layer, and setup commands are awaited one by one.

use std::io;
use std::sync::mpsc::{Receiver, RecvTimeoutError, TryRecvError};
use std::sync::OnceLock;
use std::thread::ThreadId;
use std::time::{Duration, Instant};

use voltaic_cdp::{Answer, Command, Inbound, Transport};
use webview2_com::Microsoft::Web::WebView2::Win32::{
    ICoreWebView2, ICoreWebView2DevToolsProtocolEventReceivedEventArgs2, ICoreWebView2_11,
};
use webview2_com::{
    take_pwstr, CallDevToolsProtocolMethodCompletedHandler,
    DevToolsProtocolEventReceivedEventHandler,
};
use windows::Win32::UI::WindowsAndMessaging::{
    DispatchMessageW, MsgWaitForMultipleObjectsEx, PeekMessageW, TranslateMessage, MSG,
    MWMO_INPUTAVAILABLE, PM_REMOVE, QS_ALLINPUT,
};
use windows_core::{Interface, HSTRING, PWSTR};

use crate::completion;

/// One webview's DevTools connection.
pub(crate) struct WebView2Transport {
    core: ICoreWebView2,
    thread: ThreadId,
    inbound: OnceLock<Inbound>,
}

// SAFETY: the COM interface is used only on the thread that made the webview
// (`thread`): `send` refuses every other thread, and the session layer's other
// threads only hand answers in through `Inbound`, which is `Send + Sync`.
unsafe impl Send for WebView2Transport {}
// SAFETY: as above.
unsafe impl Sync for WebView2Transport {}

impl WebView2Transport {
    /// The connection of `core`, made on its thread.
    pub(crate) fn new(core: ICoreWebView2) -> Self {
        Self {
            core,
            thread: std::thread::current().id(),
            inbound: OnceLock::new(),
        }
    }

    /// Hands answers and `events` (by name) to `inbound` from now on.
    pub(crate) fn connect(&self, inbound: Inbound, events: &[&str]) -> windows_core::Result<()> {
        for &name in events {
            // SAFETY: a COM call on the webview's thread (`connect` runs there, as
            // the engine makes the window).
            let receiver = unsafe {
                self.core
                    .GetDevToolsProtocolEventReceiver(&HSTRING::from(name))?
            };
            let (method, inbound) = (name.to_owned(), inbound.clone());
            let handler =
                DevToolsProtocolEventReceivedEventHandler::create(Box::new(move |_, args| {
                    let Some(args) = args else {
                        return Ok(());
                    };
                    let mut params = PWSTR::null();
                    // SAFETY: WebView2 gives the args for the call's duration; the
                    // string it allocates is freed by `take_pwstr`.
                    unsafe { args.ParameterObjectAsJson(&mut params)? };
                    let params = take_pwstr(params);
                    let session = args
                        .cast::<ICoreWebView2DevToolsProtocolEventReceivedEventArgs2>()
                        .ok()
                        .and_then(|args| {
                            let mut session = PWSTR::null();
                            // SAFETY: as above.
                            unsafe { args.SessionId(&mut session) }.ok()?;
                            Some(take_pwstr(session))
                        });
                    inbound.event(completion::event(&method, session, &params));
                    Ok(())
                }));
            let mut token = 0i64;
            // SAFETY: as above; the receiver keeps the handler for the webview's
            // life.
            unsafe { receiver.add_DevToolsProtocolEventReceived(&handler, &mut token)? };
        }
        let _ = self.inbound.set(inbound);
        Ok(())
    }

    fn on_its_thread(&self) -> io::Result<()> {
        if std::thread::current().id() == self.thread {
            Ok(())
        } else {
            Err(io::Error::other(
                "WebView2 takes DevTools commands only on its window's thread",
            ))
        }
    }
}

impl Transport for WebView2Transport {
    fn send(&self, command: &Command<'_>) -> io::Result<()> {
        self.on_its_thread()?;
        let inbound = self
            .inbound
            .get()
            .cloned()
            .ok_or_else(|| io::Error::other("the DevTools connection is not set up yet"))?;
        let id = command.id;
        let handler =
            CallDevToolsProtocolMethodCompletedHandler::create(Box::new(move |outcome, text| {
                let outcome = match &outcome {
                    Ok(()) => Ok(text.clone()),
                    Err(error) => Err(error.message()),
                };
                inbound.answer(id, completion::answer(outcome, &text));
                Ok(())
            }));
        let method = HSTRING::from(command.method);
        let params = HSTRING::from(command.params.to_string());
        // SAFETY: COM calls on the webview's thread (checked above).
        let sent = unsafe {
            match command.session {
                None => self
                    .core
                    .CallDevToolsProtocolMethod(&method, &params, &handler),
                Some(session) => self.core.cast::<ICoreWebView2_11>().and_then(|core| {
                    core.CallDevToolsProtocolMethodForSession(
                        &HSTRING::from(session),
                        &method,
                        &params,
                        &handler,
                    )
                }),
            }
        };
        sent.map_err(|error| io::Error::other(error.message()))
    }

    fn wait(
        &self,
        answered: &Receiver<Answer>,
        limit: Duration,
    ) -> Result<Answer, RecvTimeoutError> {
        if std::thread::current().id() != self.thread {
            return answered.recv_timeout(limit);
        }
        pump_until(answered, limit)
    }
}

/// Runs this thread's message loop until `answered` has the answer, within
/// `limit`. Window messages that come meanwhile are dispatched as the event loop
/// would; tao queues what it cannot take while its handler runs.
fn pump_until(answered: &Receiver<Answer>, limit: Duration) -> Result<Answer, RecvTimeoutError> {
    let deadline = Instant::now() + limit;
    loop {
        match answered.try_recv() {
            Ok(answer) => return Ok(answer),
            Err(TryRecvError::Disconnected) => return Err(RecvTimeoutError::Disconnected),
            Err(TryRecvError::Empty) => {}
        }
        let mut message = MSG::default();
        // SAFETY: plain Win32 message loop calls on this thread's own queue.
        while unsafe { PeekMessageW(&mut message, None, 0, 0, PM_REMOVE) }.as_bool() {
            unsafe {
                let _ = TranslateMessage(&message);
                DispatchMessageW(&message);
            }
            if let Ok(answer) = answered.try_recv() {
                return Ok(answer);
            }
        }
        let Some(left) = deadline.checked_duration_since(Instant::now()) else {
            return Err(RecvTimeoutError::Timeout);
        };
        let millis = u32::try_from(left.as_millis()).unwrap_or(u32::MAX);
        // SAFETY: waits on this thread's queue only (no handles).
        unsafe { MsgWaitForMultipleObjectsEx(None, millis, QS_ALLINPUT, MWMO_INPUTAVAILABLE) };
    }
}
