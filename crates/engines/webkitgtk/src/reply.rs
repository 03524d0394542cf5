//! WebKit's reply-capable script message handler (`postMessage` returns a Promise
//! that the UI process settles), whose signal the webkit2gtk bindings do not cover.
//! Invokes travel through it: the answer goes straight back to the waiting promise,
//! with no script to compile and evaluate per answer.

use std::ffi::{c_void, CString};

use webkit2gtk::glib::object::ObjectType;

use crate::jsc_packet;
use webkit2gtk::glib::translate::{from_glib_none, ToGlibPtr};

/// A pending reply: answer it once, or drop it (WebKit then rejects the promise).
pub(crate) struct PendingReply {
    reply: *mut webkit2gtk::ffi::WebKitScriptMessageReply,
    context: javascriptcore::Context,
}

impl PendingReply {
    /// Settles the page's promise with a message's text, and the parcel its bytes
    /// wait in, if it has any.
    ///
    /// Text alone goes back as the reply's error message, which the preload takes
    /// for the answer because it is JSON (it starts with `{`, which no refusal
    /// does): WebKit sends that string as it is, where a value is first serialized
    /// through JavaScriptCore on this thread. That serialization was a quarter of
    /// the main thread's time per invoke (21 → 15 µs for the reply).
    pub(crate) fn answer(self, text: &str, parcel: Option<u64>) {
        if parcel.is_none() {
            if let Ok(text) = CString::new(text) {
                // SAFETY: as below; WebKit copies the string before returning.
                unsafe {
                    webkit2gtk::ffi::webkit_script_message_reply_return_error_message(
                        self.reply,
                        text.as_ptr(),
                    );
                }
                return;
            }
        }
        let value = jsc_packet::write(&self.context, text, parcel);
        // SAFETY: `reply` holds the reference taken in `on_message`; Drop releases it.
        unsafe {
            webkit2gtk::ffi::webkit_script_message_reply_return_value(
                self.reply,
                value.to_glib_none().0,
            );
        }
    }
}

impl PendingReply {
    /// Rejects the page's promise with `message`, which must not start with `{`
    /// (see [`PendingReply::answer`]).
    pub(crate) fn refuse(self, message: &str) {
        let text = CString::new(message).unwrap_or_default();
        // SAFETY: as in `answer`.
        unsafe {
            webkit2gtk::ffi::webkit_script_message_reply_return_error_message(
                self.reply,
                text.as_ptr(),
            );
        }
    }
}

impl Drop for PendingReply {
    fn drop(&mut self) {
        // SAFETY: releases the reference taken in `on_message`, exactly once.
        unsafe { webkit2gtk::ffi::webkit_script_message_reply_unref(self.reply) }
    }
}

type Callback = Box<dyn Fn(javascriptcore::Value, PendingReply)>;

/// Registers `name` as a reply-capable handler in `world` (`None`: the page's world)
/// and calls `callback` with each message and its pending reply. Returns whether
/// WebKit accepted the name.
pub(crate) fn register(
    manager: &webkit2gtk::UserContentManager,
    name: &str,
    world: Option<&str>,
    callback: impl Fn(javascriptcore::Value, PendingReply) + 'static,
) -> bool {
    let (Ok(signal), Ok(c_name)) = (
        CString::new(format!("script-message-with-reply-received::{name}")),
        CString::new(name),
    ) else {
        return false;
    };
    let c_world = world.and_then(|w| CString::new(w).ok());
    let data: *mut Callback = Box::into_raw(Box::new(Box::new(callback)));
    // SAFETY: `on_message` has the signal's C signature; `data` is freed by
    // `free_callback` when the handler is disconnected with the manager.
    unsafe {
        webkit2gtk::glib::gobject_ffi::g_signal_connect_data(
            manager.as_ptr() as *mut _,
            signal.as_ptr(),
            Some(std::mem::transmute::<*const (), unsafe extern "C" fn()>(
                on_message as *const (),
            )),
            data as *mut c_void,
            Some(free_callback),
            0,
        );
        webkit2gtk::ffi::webkit_user_content_manager_register_script_message_handler_with_reply(
            manager.as_ptr() as *mut _,
            c_name.as_ptr(),
            c_world.as_ref().map_or(std::ptr::null(), |w| w.as_ptr()),
        ) != 0
    }
}

unsafe extern "C" fn on_message(
    _manager: *mut webkit2gtk::ffi::WebKitUserContentManager,
    value: *mut javascriptcore_sys::JSCValue,
    reply: *mut webkit2gtk::ffi::WebKitScriptMessageReply,
    data: *mut c_void,
) -> webkit2gtk::glib::ffi::gboolean {
    let callback = &*(data as *const Callback);
    let value: javascriptcore::Value = from_glib_none(value);
    let Some(context) = javascriptcore::ValueExt::context(&value) else {
        return webkit2gtk::glib::ffi::GFALSE;
    };
    webkit2gtk::ffi::webkit_script_message_reply_ref(reply);
    callback(value, PendingReply { reply, context });
    webkit2gtk::glib::ffi::GTRUE
}

unsafe extern "C" fn free_callback(
    data: *mut c_void,
    _closure: *mut webkit2gtk::glib::gobject_ffi::GClosure,
) {
    drop(Box::from_raw(data as *mut Callback));
}
