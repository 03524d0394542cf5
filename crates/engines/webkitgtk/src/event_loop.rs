//! The engine: GTK's main loop (through tao) on the main thread, and the table of
//! the windows it holds.

use std::cell::RefCell;
use std::collections::HashMap;
use std::path::PathBuf;
use std::rc::Rc;
use std::sync::atomic::Ordering;
use std::sync::Arc;

use tao::event::{Event, StartCause, WindowEvent};
use tao::event_loop::{ControlFlow, EventLoop, EventLoopBuilder, EventLoopWindowTarget};
use tao::platform::run_return::EventLoopExtRunReturn;
use tokio::sync::oneshot;
use voltaic_app::engine::{
    Command, Engine, EngineInfo, EngineProxy, OpenedWindow, WindowFactory, WindowOp, WindowSpec,
};
use voltaic_app::{Error, SandboxState};
use voltaic_desktop::LoopProxy;
use webkit2gtk::{SnapshotOptions, SnapshotRegion, WebViewExt};

use crate::ops::{LoopEvent, Op};
use crate::window::{self, WindowEntry};
use crate::{sandbox, transport};

pub(crate) type Windows = Rc<RefCell<HashMap<u32, WindowEntry>>>;

thread_local! {
    /// The app's menu, kept on the GTK thread, where muda's menus live.
    static MENU: RefCell<voltaic_desktop::AppMenu> = RefCell::default();
}

/// The WebKitGTK engine, on the thread that started GTK.
pub(crate) struct WebKitEngine {
    event_loop: EventLoop<LoopEvent>,
    windows: Windows,
    ops: async_channel::Sender<Op>,
    ops_queue: async_channel::Receiver<Op>,
    sandbox: SandboxState,
}

impl WebKitEngine {
    /// Starts GTK. Turns WebKit's web process sandbox on first where the platform
    /// allows, which must happen before any other thread starts.
    pub(crate) fn start() -> Result<Self, Error> {
        voltaic_app::engine::require_display()?;
        let sandbox = sandbox::enable();
        // Set now, while no other thread runs, so that an isolated window can
        // later turn it on by changing its value in place (see `loopback`).
        if std::env::var_os(crate::loopback::SHARED_ARRAY_BUFFER).is_none() {
            std::env::set_var(crate::loopback::SHARED_ARRAY_BUFFER, "0");
        }
        // tao panics when GTK cannot start; asking first turns that into an error.
        gtk::init().map_err(|e| Error::Gtk(e.to_string()))?;
        let event_loop = EventLoopBuilder::<LoopEvent>::with_user_event().build();
        let (ops, ops_queue) = async_channel::unbounded();
        Ok(Self {
            event_loop,
            windows: Rc::default(),
            ops,
            ops_queue,
            sandbox,
        })
    }
}

impl WindowFactory for WebKitEngine {
    fn open_window(&mut self, spec: WindowSpec) -> Result<OpenedWindow, Error> {
        let mut opener = Opener {
            target: &self.event_loop,
            windows: &self.windows,
            ops: &self.ops,
        };
        opener.open_window(spec)
    }
}

impl Engine for WebKitEngine {
    fn info(&self) -> EngineInfo {
        EngineInfo {
            name: "WebKitGTK",
            version: webkit_version(),
            versions_key: "webkitgtk",
            sandbox: self.sandbox.clone(),
            sandbox_detail: "the web process runs inside bubblewrap",
            dev_tools_can_be_off: true,
            isolation_detail: "its pages come from a loopback HTTP origin with a secret path (WebKitGTK isolates only what its network process loads), with COOP and COEP; JavaScriptCore's SharedArrayBuffer switch is on for every web process started after the first isolated window",
            isolation_app_wide: true,
            unsupported_changes: &[],
        }
    }

    fn proxy(&self) -> Arc<dyn EngineProxy> {
        Arc::new(Proxy {
            event_loop: LoopProxy::new(&self.event_loop),
            ops: self.ops.clone(),
        })
    }

    fn run(self: Box<Self>) -> i32 {
        let WebKitEngine {
            mut event_loop,
            windows,
            ops,
            ops_queue,
            ..
        } = *self;
        let loop_windows = windows.clone();
        let mut ops_queue = Some(ops_queue);
        let code = event_loop.run_return(move |event, target, control_flow| {
            if !matches!(control_flow, ControlFlow::ExitWithCode(_)) {
                *control_flow = ControlFlow::Wait;
            }
            let exit = match event {
                // Started here, where tao holds the main context, as spawn_local needs.
                Event::NewEvents(StartCause::Init) => {
                    if let Some(queue) = ops_queue.take() {
                        webkit2gtk::glib::MainContext::default()
                            .spawn_local(drain_ops(loop_windows.clone(), queue));
                    }
                    None
                }
                Event::UserEvent(LoopEvent::Open(job)) => {
                    let mut opener = Opener {
                        target,
                        windows: &loop_windows,
                        ops: &ops,
                    };
                    job.run(&mut opener);
                    None
                }
                Event::UserEvent(LoopEvent::Quit(code)) => Some(code),
                Event::WindowEvent {
                    window_id,
                    event: WindowEvent::CloseRequested,
                    ..
                } => {
                    let asked = loop_windows
                        .borrow()
                        .iter()
                        .find(|(_, entry)| entry.native.id() == window_id)
                        .map(|(id, entry)| (*id, entry.policy.clone()));
                    // The window's `close` listeners may keep it; the app decides
                    // what its last window's going means.
                    if let Some((id, policy)) = asked {
                        if policy.close_requested() {
                            close(&loop_windows, id);
                        }
                    }
                    None
                }
                _ => None,
            };
            if let Some(code) = exit {
                *control_flow = ControlFlow::ExitWithCode(code);
            }
        });
        let ids: Vec<u32> = windows.borrow().keys().copied().collect();
        for id in ids {
            close(&windows, id);
        }
        code
    }
}

/// Opens windows with the event loop's window target, before or while it runs.
struct Opener<'a> {
    target: &'a EventLoopWindowTarget<LoopEvent>,
    windows: &'a Windows,
    ops: &'a async_channel::Sender<Op>,
}

impl WindowFactory for Opener<'_> {
    fn open_window(&mut self, spec: WindowSpec) -> Result<OpenedWindow, Error> {
        let id = spec.id;
        let windows = self.windows.borrow();
        let parent = spec
            .options
            .parent
            .and_then(|parent| windows.get(&parent))
            .map(|entry| &entry.native);
        let (entry, opened) = window::open(self.target, self.ops.clone(), spec, parent)?;
        drop(windows);
        MENU.with(|menu| menu.borrow().attach(&entry.native));
        self.windows.borrow_mut().insert(id, entry);
        Ok(opened)
    }
}

/// The app's way to the GTK thread.
struct Proxy {
    event_loop: LoopProxy<LoopEvent>,
    /// Window work, taken in bursts (see [`drain_ops`]).
    ops: async_channel::Sender<Op>,
}

impl EngineProxy for Proxy {
    fn send(&self, command: Command) -> Result<(), Command> {
        match command {
            Command::Window { window, op } => {
                self.ops
                    .try_send(Op::Window { window, op })
                    .map_err(|refused| match refused.into_inner() {
                        Op::Window { window, op } => Command::Window { window, op },
                        // Only a window op was sent.
                        _ => Command::Quit { code: 1 },
                    })
            }
            Command::Open(job) => self.to_loop(LoopEvent::Open(job)),
            Command::SetMenu(job) => {
                self.ops
                    .try_send(Op::Menu(job))
                    .map_err(|refused| match refused.into_inner() {
                        Op::Menu(job) => Command::SetMenu(job),
                        _ => Command::Quit { code: 1 },
                    })
            }
            Command::Quit { code } => self.to_loop(LoopEvent::Quit(code)),
        }
    }
}

impl Proxy {
    fn to_loop(&self, event: LoopEvent) -> Result<(), Command> {
        self.event_loop
            .send(event)
            .map_err(|refused| match refused {
                LoopEvent::Open(job) => Command::Open(job),
                LoopEvent::Quit(code) => Command::Quit { code },
            })
    }
}

/// Takes window work off its queue on the GTK thread: everything that is waiting
/// at once, then the outboxes are flushed, so a burst of messages becomes one script
/// per window. (tao's own user events are taken one per main-loop iteration, which
/// costs a whole iteration per message.)
async fn drain_ops(windows: Windows, ops: async_channel::Receiver<Op>) {
    while let Ok(first) = ops.recv().await {
        let mut next = Some(first);
        while let Some(op) = next {
            execute(&windows, op);
            next = ops.try_recv().ok();
        }
        for entry in windows.borrow().values() {
            entry.outbox.borrow_mut().flush();
        }
    }
}

/// Carries out one piece of window work on the GTK thread.
fn execute(windows: &Windows, op: Op) {
    let (window, op) = match op {
        Op::Deliver { window, message } => {
            if let Some(entry) = windows.borrow().get(&window) {
                entry.outbox.borrow_mut().deliver(message);
            }
            return;
        }
        Op::Answer {
            window,
            id,
            message,
        } => {
            if let Some(entry) = windows.borrow().get(&window) {
                transport::answer(&entry.replies, &entry.outbox, id, message);
            }
            return;
        }
        Op::Serve {
            window,
            request,
            responder,
        } => {
            let route = windows
                .borrow()
                .get(&window)
                .map(|entry| entry.route.clone());
            match route {
                Some(route) => route(*request, responder),
                None => responder.respond(voltaic_app::preload_routes::send_sync::status(
                    wry::http::StatusCode::NOT_FOUND,
                )),
            }
            return;
        }
        Op::Menu(job) => {
            let windows = windows.borrow();
            MENU.with(|menu| {
                menu.borrow_mut()
                    .set(job, windows.values().map(|entry| &entry.native));
            });
            return;
        }
        Op::Window { window, op } => (window, op),
    };
    if let WindowOp::Close = op {
        return close(windows, window);
    }
    let windows = windows.borrow();
    let Some(entry) = windows.get(&window) else {
        op.refuse_closed(window);
        return;
    };
    match op {
        WindowOp::Load(target) => entry.load(target),
        WindowOp::Reload => {
            entry.leave_document();
            entry.main_load.set(true);
            entry.view.reload();
        }
        WindowOp::CrashRenderer => entry.view.terminate_web_process(),
        WindowOp::Capture { path, done } => capture(&entry.view, path, done),
        WindowOp::ExecuteJavaScript { code, done } => {
            crate::web_frame::execute(&entry.view, &code, None, move |outcome| {
                let _ = done.send(outcome.map_err(Error::Script));
            });
        }
        op => {
            if let Some(op) = voltaic_desktop::native_op(&entry.native, op) {
                tracing::debug!(window, "not an operation of this engine: {op:?}");
            }
        }
    }
}

/// Closes a window; returns whether it was the last one (the app then quits).
fn close(windows: &Windows, id: u32) {
    let entry = windows.borrow_mut().remove(&id);
    if let Some(entry) = entry {
        MENU.with(|menu| menu.borrow().detach(&entry.native));
        entry.open.store(false, Ordering::Release);
        entry.inbox.borrow_mut().take();
        entry.policy.closed();
        drop(entry);
    }
}

fn capture(view: &webkit2gtk::WebView, path: PathBuf, done: oneshot::Sender<Result<(), Error>>) {
    view.snapshot(
        SnapshotRegion::Visible,
        SnapshotOptions::NONE,
        None::<&webkit2gtk::gio::Cancellable>,
        move |result| {
            let outcome = result
                .map_err(|e| Error::Capture(e.to_string()))
                .and_then(|surface| {
                    let image = cairo::ImageSurface::try_from(surface)
                        .map_err(|_| Error::Capture("the snapshot is not an image".into()))?;
                    let mut file = std::fs::File::create(&path)
                        .map_err(|e| Error::Capture(format!("{}: {e}", path.display())))?;
                    image
                        .write_to_png(&mut file)
                        .map_err(|e| Error::Capture(e.to_string()))
                });
            let _ = done.send(outcome);
        },
    );
}

/// The running WebKitGTK's version (`2.50.6`): the library loaded, not the one built
/// against.
pub(crate) fn webkit_version() -> String {
    // SAFETY: plain getters of constants of the loaded library, callable any time.
    unsafe {
        format!(
            "{}.{}.{}",
            webkit2gtk::ffi::webkit_get_major_version(),
            webkit2gtk::ffi::webkit_get_minor_version(),
            webkit2gtk::ffi::webkit_get_micro_version()
        )
    }
}
