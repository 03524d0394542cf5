use std::sync::atomic::AtomicUsize;
use std::time::Duration;

use serde_json::{json, Value};

use super::*;
use crate::web_contents::tests::RecordingLink;

struct Fixture {
    ipc: IpcMain,
    conn: Connection,
    link: Arc<RecordingLink>,
}

fn fixture() -> Fixture {
    let ipc = IpcMain::with_limits(Handle::current(), Limits::default().max_message_bytes(4096));
    let link = Arc::new(RecordingLink::default());
    let conn = ipc.connect(7, link.clone());
    Fixture { ipc, conn, link }
}

impl Fixture {
    fn send(&self, raw: &str) {
        self.conn.dispatch(
            SenderFrame::from_url("file:///app/index.html"),
            raw.to_owned(),
        );
    }

    /// Waits (bounded) until `n` messages were posted to the renderer.
    async fn posted(&self, n: usize) -> Vec<Value> {
        for _ in 0..200 {
            let posted = self.link.posted.lock().unwrap().clone();
            if posted.len() >= n {
                return posted
                    .iter()
                    .map(|s| serde_json::from_str(s).unwrap())
                    .collect();
            }
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        panic!(
            "expected {n} messages to the renderer, got {:?}",
            self.link.posted.lock().unwrap()
        );
    }
}

#[tokio::test]
async fn invoke_resolves_with_the_handler_result() {
    let f = fixture();
    f.ipc
        .handle("get-data", |_: IpcEvent| async {
            Ok::<_, String>(json!({"result": "Data from main process"}))
        })
        .unwrap();
    f.send(r#"{"t":"invoke","id":1,"ch":"get-data","args":[]}"#);
    assert_eq!(
        f.posted(1).await,
        [json!({"t":"resolve","id":1,"value":{"result":"Data from main process"}})]
    );
}

#[tokio::test]
async fn invoke_without_handler_rejects_with_electrons_message() {
    let f = fixture();
    f.send(r#"{"t":"invoke","id":2,"ch":"nope","args":[]}"#);
    assert_eq!(
        f.posted(1).await,
        [json!({"t":"reject","id":2,
                "error":"Error invoking remote method 'nope': No handler registered for 'nope'"})]
    );
}

#[tokio::test]
async fn errors_panics_and_bad_arguments_reject_and_the_registry_keeps_working() {
    let f = fixture();
    f.ipc
        .handle("fail", |_: IpcEvent| Err::<(), _>("boom"))
        .unwrap();
    f.ipc
        .handle("panic", |_: IpcEvent| -> Value { panic!("kaboom") })
        .unwrap();
    f.ipc
        .handle("async-panic", |_: IpcEvent| async {
            tokio::task::yield_now().await;
            if true {
                panic!("later");
            }
        })
        .unwrap();
    f.ipc.handle("typed", |_: IpcEvent, n: u32| n * 2).unwrap();
    f.send(r#"{"t":"invoke","id":1,"ch":"fail"}"#);
    f.send(r#"{"t":"invoke","id":2,"ch":"panic"}"#);
    f.send(r#"{"t":"invoke","id":3,"ch":"async-panic"}"#);
    f.send(r#"{"t":"invoke","id":4,"ch":"typed","args":["x"]}"#);
    f.send(r#"{"t":"invoke","id":5,"ch":"typed","args":[21]}"#);
    let mut posted = f.posted(5).await;
    posted.sort_by_key(|m| m["id"].as_u64());
    let error = |i: usize| posted[i]["error"].as_str().unwrap_or("").to_owned();
    assert_eq!(error(0), "Error invoking remote method 'fail': boom");
    assert_eq!(
        error(1),
        "Error invoking remote method 'panic': handler panicked: kaboom"
    );
    assert_eq!(
        error(2),
        "Error invoking remote method 'async-panic': handler panicked: later"
    );
    assert!(
        error(3).starts_with(
            "Error invoking remote method 'typed': invalid argument 0 for channel 'typed': invalid type"
        ),
        "{}",
        error(3)
    );
    assert_eq!(posted[4], json!({"t":"resolve","id":5,"value":42}));
}

#[tokio::test]
async fn handle_once_and_remove_handler() {
    let f = fixture();
    f.ipc.handle_once("one", |_: IpcEvent| 1).unwrap();
    assert_eq!(
        f.ipc.handle("one", |_: IpcEvent| 2),
        Err(IpcError::HandlerAlreadyRegistered("one".into()))
    );
    f.send(r#"{"t":"invoke","id":1,"ch":"one"}"#);
    f.send(r#"{"t":"invoke","id":2,"ch":"one"}"#);
    let posted = f.posted(2).await;
    assert_eq!(posted[0], json!({"t":"resolve","id":1,"value":1}));
    assert_eq!(posted[1]["t"], "reject");
    assert!(!f.ipc.has_handler("one"));
    f.ipc.handle("two", |_: IpcEvent| 2).unwrap();
    assert!(f.ipc.remove_handler("two"));
    assert!(!f.ipc.remove_handler("two"));
}

#[tokio::test]
async fn listeners_run_in_order_with_event_and_arguments() {
    let f = fixture();
    let seen = Arc::new(Mutex::new(Vec::<String>::new()));
    let s = seen.clone();
    f.ipc.on("msg", move |e: IpcEvent, text: String, n: i64| {
        s.lock().unwrap().push(format!(
            "a:{text}:{n}:{}:{}:{}",
            e.sender().id(),
            e.channel(),
            e.sender_frame().origin()
        ));
    });
    let s = seen.clone();
    let once = f.ipc.once("msg", move |_: IpcEvent, text: String| {
        s.lock().unwrap().push(format!("once:{text}"));
    });
    assert_eq!(f.ipc.listener_count("msg"), 2);
    for i in 0..3 {
        f.send(&format!(r#"{{"t":"send","ch":"msg","args":["m{i}",{i}]}}"#));
    }
    f.ipc.on("msg", |e: IpcEvent| {
        e.reply("pong", ("hi",)).map_err(|e| e.to_string())
    });
    f.send(r#"{"t":"send","ch":"msg","args":["last",9]}"#);
    let posted = f.posted(1).await;
    assert_eq!(posted[0], json!({"t":"message","ch":"pong","args":["hi"]}));
    assert_eq!(
        *seen.lock().unwrap(),
        [
            "a:m0:0:7:msg:file://",
            "once:m0",
            "a:m1:1:7:msg:file://",
            "a:m2:2:7:msg:file://",
            "a:last:9:7:msg:file://"
        ]
    );
    assert!(
        !f.ipc.remove_listener("msg", once),
        "once listener already gone"
    );
}

#[tokio::test]
async fn remove_listener_and_remove_all_listeners() {
    let f = fixture();
    let count = Arc::new(AtomicUsize::new(0));
    let c = count.clone();
    let id = f.ipc.on("a", move |_: IpcEvent| {
        c.fetch_add(1, Ordering::SeqCst);
    });
    f.ipc.on("b", |_: IpcEvent| ());
    assert!(f.ipc.remove_listener("a", id));
    assert_eq!(f.ipc.listener_count("a"), 0);
    f.ipc.remove_all_listeners(Some("b"));
    assert_eq!(f.ipc.listener_count("b"), 0);
    f.ipc.on("c", |_: IpcEvent| ());
    f.ipc.on("d", |_: IpcEvent| ());
    f.ipc.remove_all_listeners(None);
    assert_eq!(f.ipc.listener_count("c") + f.ipc.listener_count("d"), 0);
    f.send(r#"{"t":"send","ch":"a","args":[]}"#);
    f.ipc.handle("sync", |_: IpcEvent| ()).unwrap();
    f.send(r#"{"t":"invoke","id":1,"ch":"sync"}"#);
    f.posted(1).await;
    assert_eq!(count.load(Ordering::SeqCst), 0);
}

#[tokio::test]
async fn async_handlers_run_concurrently() {
    let f = fixture();
    let gate = Arc::new(tokio::sync::Notify::new());
    let g = gate.clone();
    f.ipc
        .handle("slow", move |_: IpcEvent| {
            let g = g.clone();
            async move {
                g.notified().await;
                "slow"
            }
        })
        .unwrap();
    let g = gate.clone();
    f.ipc
        .handle("fast", move |_: IpcEvent| {
            g.notify_one();
            "fast"
        })
        .unwrap();
    f.send(r#"{"t":"invoke","id":1,"ch":"slow"}"#);
    f.send(r#"{"t":"invoke","id":2,"ch":"fast"}"#);
    let posted = f.posted(2).await;
    assert_eq!(posted[0]["id"], 2, "fast answered first");
    assert_eq!(posted[1]["id"], 1);
}

#[tokio::test]
async fn malformed_and_oversized_messages_are_refused_without_panicking() {
    let f = fixture();
    f.ipc.handle("ok", |_: IpcEvent| "still alive").unwrap();
    for raw in [
        "",
        "garbage",
        "[]",
        r#"{"t":"send","ch":1}"#,
        "{\"t\":\"invoke\"",
    ] {
        f.send(raw);
    }
    f.send(&format!(
        r#"{{"t":"send","ch":"x","args":["{}"]}}"#,
        "a".repeat(5000)
    ));
    f.send(r#"{"t":"invoke","id":9,"ch":["not a string"]}"#);
    f.send(r#"{"t":"invoke","id":10,"ch":"ok"}"#);
    let posted = f.posted(2).await;
    assert_eq!(posted[0]["id"], 9);
    assert_eq!(posted[0]["t"], "reject");
    assert_eq!(
        posted[1],
        json!({"t":"resolve","id":10,"value":"still alive"})
    );
}

#[tokio::test]
async fn console_messages_reach_hooks_with_the_window_id() {
    let f = fixture();
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
    f.ipc.on_console_message(move |m| {
        let _ = tx.send(m.clone());
    });
    f.send(r#"{"t":"console","level":"warn","source":"page","text":"careful"}"#);
    let message = tokio::time::timeout(Duration::from_secs(2), rx.recv())
        .await
        .expect("console message did not arrive")
        .unwrap();
    assert_eq!(
        message,
        ConsoleMessage {
            window_id: 7,
            level: ConsoleLevel::Warn,
            source: ConsoleSource::Page,
            text: "careful".into()
        }
    );
}
