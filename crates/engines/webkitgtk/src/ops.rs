//! What the GTK thread is asked to do from other threads. Window work and the
//! transport's packets share one queue, so a window's messages and loads are
//! carried out in the order they were sent.

use voltaic_app::engine::{MenuJob, OpenJob, WindowOp};
use voltaic_core::Packet;

/// Work taken in bursts off the queue on the GTK thread (see `event_loop`).
pub(crate) enum Op {
    /// An operation the app asked for.
    Window { window: u32, op: WindowOp },
    /// A main → renderer message.
    Deliver { window: u32, message: Packet },
    /// The answer to invoke `id`.
    Answer {
        window: u32,
        id: u64,
        message: Packet,
    },
    /// The app's menu, for every window.
    Menu(MenuJob),
    /// A request to a window's loopback origin, answered as `app://` would be.
    Serve {
        window: u32,
        request: Box<wry::http::Request<Vec<u8>>>,
        responder: crate::scheme_handler::Responder,
    },
}

/// Work that needs tao's event loop itself: opening a window needs its window
/// target, and stopping it its control flow.
pub(crate) enum LoopEvent {
    Open(OpenJob),
    Quit(i32),
}
