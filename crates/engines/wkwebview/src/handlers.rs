//! The preload world's two script message handlers, as Objective-C objects:
//! one for posts, one reply-capable for invokes (`postMessage` returns a promise
//! that the main process settles). Both read the message's body and its frame,
//! and hand them to the window's state on the main thread, where WebKit calls them.

use std::rc::Rc;

use block2::DynBlock;
use objc2::rc::Retained;
use objc2::runtime::{AnyObject, NSObject};
use objc2::{define_class, msg_send, DefinedClass, MainThreadMarker, MainThreadOnly};
use objc2_foundation::{NSArray, NSNumber, NSObjectProtocol, NSString};
use objc2_web_kit::{
    WKScriptMessage, WKScriptMessageHandler, WKScriptMessageHandlerWithReply,
    WKUserContentController,
};
use voltaic_core::{Packet, SenderFrame};

use crate::message::{self, Body};
use crate::window::Shared;

/// What both handlers hold: the window's state.
pub(crate) struct Ivars {
    shared: Rc<Shared>,
}

define_class!(
    /// Takes the preload's posts.
    #[unsafe(super(NSObject))]
    #[thread_kind = MainThreadOnly]
    #[ivars = Ivars]
    pub(crate) struct PostHandler;

    unsafe impl NSObjectProtocol for PostHandler {}

    unsafe impl WKScriptMessageHandler for PostHandler {
        #[unsafe(method(userContentController:didReceiveScriptMessage:))]
        fn did_receive(&self, _controller: &WKUserContentController, message: &WKScriptMessage) {
            let shared = &self.ivars().shared;
            let (packet, sender) = read(shared, message);
            shared.posted(packet, sender);
        }
    }
);

define_class!(
    /// Takes the preload's invokes, each with the block that settles its promise.
    #[unsafe(super(NSObject))]
    #[thread_kind = MainThreadOnly]
    #[ivars = Ivars]
    pub(crate) struct ReplyHandler;

    unsafe impl NSObjectProtocol for ReplyHandler {}

    unsafe impl WKScriptMessageHandlerWithReply for ReplyHandler {
        #[unsafe(method(userContentController:didReceiveScriptMessage:replyHandler:))]
        fn did_receive(
            &self,
            _controller: &WKUserContentController,
            message: &WKScriptMessage,
            reply: &DynBlock<dyn Fn(*mut AnyObject, *mut NSString)>,
        ) {
            let shared = &self.ivars().shared;
            let (packet, sender) = read(shared, message);
            // Kept past this call: the answer comes later.
            shared.invoked(packet, sender, reply.copy());
        }
    }
);

impl PostHandler {
    pub(crate) fn new(mtm: MainThreadMarker, shared: Rc<Shared>) -> Retained<Self> {
        let this = Self::alloc(mtm).set_ivars(Ivars { shared });
        // SAFETY: NSObject's designated initializer.
        unsafe { msg_send![super(this), init] }
    }
}

impl ReplyHandler {
    pub(crate) fn new(mtm: MainThreadMarker, shared: Rc<Shared>) -> Retained<Self> {
        let this = Self::alloc(mtm).set_ivars(Ivars { shared });
        // SAFETY: NSObject's designated initializer.
        unsafe { msg_send![super(this), init] }
    }
}

/// A message's packet (its bytes claimed) and its sender: the frame WebKit says
/// it came from, never the message.
fn read(shared: &Shared, message: &WKScriptMessage) -> (Option<Packet>, Option<SenderFrame>) {
    // SAFETY: WebKit gives the message for the call's duration, on the main thread.
    let (body, frame) = unsafe { (message.body(), message.frameInfo()) };
    let packet = message::packet(body_of(&body), |parcel| {
        shared.outbox.borrow().claim(parcel)
    });
    // SAFETY: as above.
    let (is_main, url) = unsafe {
        let url = frame
            .request()
            .URL()
            .and_then(|url| url.absoluteString())
            .map(|url| url.to_string());
        (frame.isMainFrame(), url)
    };
    (packet, message::sender(is_main, url.as_deref()))
}

/// The shape of a posted body: a string, or `[string, number]`.
fn body_of(body: &AnyObject) -> Body {
    if let Some(text) = body.downcast_ref::<NSString>() {
        return Body::Text(text.to_string());
    }
    let Some(array) = body.downcast_ref::<NSArray>() else {
        return Body::Other;
    };
    if array.count() != 2 {
        return Body::Other;
    }
    let (first, second) = (array.objectAtIndex(0), array.objectAtIndex(1));
    match (
        first.downcast_ref::<NSString>(),
        second.downcast_ref::<NSNumber>(),
    ) {
        (Some(text), Some(number)) => Body::WithParcel(text.to_string(), number.as_f64()),
        _ => Body::Other,
    }
}
