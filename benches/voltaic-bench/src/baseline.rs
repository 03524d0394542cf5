//! The no-framework baseline: a bare WebKitGTK webview in a GTK window, using
//! WebKit's primitives directly, in the same process and run as Voltaic.

use std::cell::Cell;
use std::rc::Rc;

use gtk::prelude::*;
use javascriptcore::ValueExt;
use webkit2gtk::{
    URISchemeRequestExt, UserContentInjectedFrames, UserContentManagerExt, UserScript,
    UserScriptInjectionTime, WebContextExt, WebViewExt,
};

const BENCH_JS: &str = include_str!("../js/bench.js");
const BASELINE_JS: &str = include_str!("../js/baseline.js");

thread_local! {
    /// The baseline's webview, for [`run_again`].
    static VIEW: std::cell::RefCell<Option<webkit2gtk::WebView>> = const { std::cell::RefCell::new(None) };
}

const PAGE: &str = "<!DOCTYPE html><p>baseline</p>";
const BASE_URI: &str = "bench://host/";

/// Runs the baseline once more (a fresh page); its results go to `start`'s `done`.
/// Call on the GTK thread.
pub fn run_again() {
    VIEW.with(|view| {
        if let Some(view) = view.borrow().as_ref() {
            view.load_html(PAGE, Some(BASE_URI));
        }
    });
}

/// Opens the baseline window and starts its first run; `done` gets the results of
/// each run as JSON text. Call on the GTK thread.
pub fn start(done: impl Fn(String) + 'static) -> gtk::Window {
    let context = webkit2gtk::WebContext::new();
    context.register_uri_scheme("bench", echo_bytes);
    let manager = webkit2gtk::UserContentManager::new();
    manager.add_script(&UserScript::new(
        &format!("{BENCH_JS}\n{BASELINE_JS}"),
        UserContentInjectedFrames::TopFrame,
        UserScriptInjectionTime::Start,
        &[],
        &[],
    ));
    let view = webkit2gtk::WebView::builder()
        .web_context(&context)
        .user_content_manager(&manager)
        .build();

    let received = Rc::new(Cell::new(0u64));
    let count = received.clone();
    let weak = view.downgrade();
    manager.connect_script_message_received(Some("benchSink"), move |_, result| {
        let Some(value) = result.js_value() else {
            return;
        };
        if value.is_number() {
            count.set(count.get() + 1);
        } else if value.object_has_property("push") {
            let n = value
                .object_get_property("push")
                .map_or(0, |v| v.to_int32());
            if let Some(view) = weak.upgrade() {
                for _ in 0..n {
                    view.evaluate_javascript(
                        "__baselinePush()",
                        None,
                        None,
                        None::<&webkit2gtk::gio::Cancellable>,
                        |_| {},
                    );
                }
            }
        } else if let Some(result) = value.object_get_property("result") {
            done(result.to_str().to_string());
        }
    });
    manager.register_script_message_handler("benchSink");
    replies::connect(&manager, "benchReply", received);

    let window = gtk::Window::new(gtk::WindowType::Toplevel);
    window.set_default_size(800, 600);
    window.set_title("baseline");
    window.add(&view);
    window.show_all();
    view.load_html(PAGE, Some(BASE_URI));
    VIEW.with(|slot| slot.replace(Some(view)));
    window
}

/// `bench://host/echo`: answers a POST with its own body, bytes as bytes.
fn echo_bytes(request: &webkit2gtk::URISchemeRequest) {
    let mut body = Vec::new();
    if let Some(stream) = request.http_body() {
        let mut chunk = vec![0u8; 1 << 20];
        while let Ok(read) = stream.read(&mut chunk[..], None::<&webkit2gtk::gio::Cancellable>) {
            if read == 0 {
                break;
            }
            body.extend_from_slice(&chunk[..read]);
        }
    }
    let length = body.len() as i64;
    let bytes = webkit2gtk::glib::Bytes::from_owned(body);
    let stream = webkit2gtk::gio::MemoryInputStream::from_bytes(&bytes);
    let response = webkit2gtk::URISchemeResponse::new(&stream, length);
    webkit2gtk::URISchemeResponseExt::set_content_type(&response, "application/octet-stream");
    request.finish_with_response(&response);
}

/// The reply-capable message handler, whose signal the bindings do not cover.
mod replies {
    use std::cell::Cell;
    use std::ffi::c_void;
    use std::rc::Rc;

    use javascriptcore::ValueExt;
    use webkit2gtk::glib::object::ObjectType;
    use webkit2gtk::glib::translate::{from_glib_none, ToGlibPtr};

    struct State {
        received: Rc<Cell<u64>>,
    }

    /// Answers each message with itself, or with the number of sends received when it
    /// asks `{count: true}`.
    pub fn connect(manager: &webkit2gtk::UserContentManager, name: &str, received: Rc<Cell<u64>>) {
        let signal = format!("script-message-with-reply-received::{name}\0");
        let state = Box::into_raw(Box::new(State { received }));
        // SAFETY: the handler matches the signal's C signature; the state lives as long
        // as the process (the benchmark's one window), so it is never freed.
        unsafe {
            webkit2gtk::glib::signal::connect_raw(
                manager.as_ptr() as *mut _,
                signal.as_ptr() as *const _,
                Some(std::mem::transmute::<*const (), unsafe extern "C" fn()>(
                    on_message as *const (),
                )),
                state as *mut c_void,
            );
            // The binding takes a world name; NULL (the page's world) needs the C call.
            let name = std::ffi::CString::new(name).unwrap_or_default();
            webkit2gtk::ffi::webkit_user_content_manager_register_script_message_handler_with_reply(
                manager.as_ptr() as *mut _,
                name.as_ptr(),
                std::ptr::null(),
            );
        }
    }

    unsafe extern "C" fn on_message(
        _manager: *mut webkit2gtk::ffi::WebKitUserContentManager,
        value: *mut javascriptcore_sys::JSCValue,
        reply: *mut webkit2gtk::ffi::WebKitScriptMessageReply,
        state: *mut c_void,
    ) -> webkit2gtk::glib::ffi::gboolean {
        let state = &*(state as *const State);
        let value: javascriptcore::Value = from_glib_none(value);
        let answer = if value.is_object() && value.object_has_property("count") {
            let context = value.context();
            match context {
                Some(context) => {
                    javascriptcore::Value::new_number(&context, state.received.get() as f64)
                }
                None => value,
            }
        } else {
            value
        };
        webkit2gtk::ffi::webkit_script_message_reply_return_value(reply, answer.to_glib_none().0);
        webkit2gtk::glib::ffi::GTRUE
    }
}
