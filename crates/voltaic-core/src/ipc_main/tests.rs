use std::sync::atomic::AtomicUsize;
use std::time::Duration;

use serde_json::{json, Value};

use super::*;
use crate::web_contents::tests::RecordingLink;
use crate::{AllowedOrigins, ChannelGrants, ChannelSchema};

/// A registry with one connected renderer, which records what it was sent.
pub(crate) struct Fixture {
    pub(crate) ipc: IpcMain,
    pub(crate) conn: Connection,
    pub(crate) link: Arc<RecordingLink>,
}

fn fixture() -> Fixture {
    let ipc = IpcMain::with_limits(Handle::current(), Limits::default().max_message_bytes(4096));
    let link = Arc::new(RecordingLink::default());
    let conn = ipc.connect(7, link.clone(), WindowPolicy::permissive());
    Fixture { ipc, conn, link }
}

impl Fixture {
    /// Dispatches `raw` as the renderer's, from the app's page.
    pub(crate) fn send(&self, raw: &str) {
        self.conn.dispatch(
            SenderFrame::from_url("file:///app/index.html"),
            raw.to_owned(),
        );
    }

    /// Waits until `n` messages were posted to the renderer (at most [`PATIENCE`]).
    pub(crate) async fn posted(&self, n: usize) -> Vec<Value> {
        let link = &self.link;
        eventually(|| link.posted.lock().unwrap().len() >= n).await;
        let posted = link.posted.lock().unwrap().clone();
        assert!(
            posted.len() >= n,
            "expected {n} messages to the renderer within {PATIENCE:?}, got {posted:?}"
        );
        posted
            .iter()
            .map(|s| serde_json::from_str(s).unwrap())
            .collect()
    }
}

/// How long a test waits for what it expects before failing: a bound for what never
/// comes, far above what a slow, busy machine takes.
const PATIENCE: Duration = Duration::from_secs(10);

/// Polls `done` until it holds or [`PATIENCE`] runs out; the caller's assertion says
/// what was missing.
async fn eventually(mut done: impl FnMut() -> bool) {
    let deadline = tokio::time::Instant::now() + PATIENCE;
    while !done() && tokio::time::Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(5)).await;
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
    let message = tokio::time::timeout(PATIENCE, rx.recv())
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

/// A fixture whose renderer (window 9) has `policy`, under `limits`.
pub(crate) fn guarded_fixture(policy: WindowPolicy, limits: Limits) -> Fixture {
    let ipc = IpcMain::with_limits(Handle::current(), limits);
    let link = Arc::new(RecordingLink::default());
    let conn = ipc.connect(9, link.clone(), policy);
    Fixture { ipc, conn, link }
}

/// Counts how often a handler or listener ran.
fn counter() -> (Arc<AtomicUsize>, impl Fn() + Clone + Send + Sync + 'static) {
    let count = Arc::new(AtomicUsize::new(0));
    let bump = count.clone();
    (count, move || {
        bump.fetch_add(1, Ordering::SeqCst);
    })
}

#[tokio::test]
async fn channels_not_granted_are_refused_before_any_handler_runs() {
    let policy = WindowPolicy {
        grants: ChannelGrants::new()
            .invoke("ok")
            .send("note")
            .receive("push:*"),
        origins: AllowedOrigins::any(),
    };
    let f = guarded_fixture(policy, Limits::default());
    let (ran, bump) = counter();
    for channel in ["ok", "secret"] {
        let bump = bump.clone();
        f.ipc
            .handle(channel, move |_: IpcEvent| {
                bump();
                1
            })
            .unwrap();
    }
    let bump_listener = bump.clone();
    f.ipc.on("secret", move |_: IpcEvent| bump_listener());
    f.send(r#"{"t":"invoke","id":1,"ch":"secret"}"#);
    f.send(r#"{"t":"send","ch":"secret","args":[]}"#);
    f.send(r#"{"t":"invoke","id":2,"ch":"note"}"#);
    f.send(r#"{"t":"invoke","id":3,"ch":"ok"}"#);
    let posted = f.posted(3).await;
    assert_eq!(
        posted[0]["error"],
        "Error invoking remote method 'secret': channel 'secret' is not allowed for this window"
    );
    // Granted for send only: invoking it is refused too.
    assert_eq!(
        posted[1]["error"],
        "Error invoking remote method 'note': channel 'note' is not allowed for this window"
    );
    assert_eq!(posted[2], json!({"t":"resolve","id":3,"value":1}));
    assert_eq!(ran.load(Ordering::SeqCst), 1, "only 'ok' may have run");

    let contents = f.conn.web_contents();
    assert!(contents.send("push:progress", (1,)).is_ok());
    assert!(matches!(
        contents.send("other", ()),
        Err(IpcError::ChannelNotAllowed {
            direction: Direction::Receive,
            ..
        })
    ));
}

#[tokio::test]
async fn messages_from_origins_not_allowed_are_refused() {
    let policy = WindowPolicy {
        grants: ChannelGrants::all(),
        origins: AllowedOrigins::default(),
    };
    let f = guarded_fixture(policy, Limits::default());
    let (ran, bump) = counter();
    f.ipc
        .handle("x", move |_: IpcEvent| {
            bump();
        })
        .unwrap();
    // The fixture's frame is file:///app/index.html, which the default refuses.
    f.send(r#"{"t":"invoke","id":1,"ch":"x"}"#);
    f.conn.dispatch(
        SenderFrame::from_url("app://localhost/index.html"),
        r#"{"t":"invoke","id":2,"ch":"x"}"#,
    );
    let posted = f.posted(2).await;
    assert_eq!(
        posted[0]["error"],
        "Error invoking remote method 'x': IPC is not allowed from origin 'file://'"
    );
    assert_eq!(
        posted[1],
        json!({"t":"resolve","id":2,"value":{"$":"undefined"}})
    );
    assert_eq!(ran.load(Ordering::SeqCst), 1);
}

#[tokio::test]
async fn schemas_check_arguments_results_and_main_to_renderer_messages() {
    let f = guarded_fixture(WindowPolicy::permissive(), Limits::default());
    let (ran, bump) = counter();
    f.ipc
        .set_schema(
            "add",
            ChannelSchema::new()
                .args::<(i32, i32)>()
                .result_json(json!({"type": "integer", "maximum": 100})),
        )
        .unwrap();
    f.ipc
        .handle("add", move |_: IpcEvent, a: i32, b: i32| {
            bump();
            a + b
        })
        .unwrap();
    f.send(r#"{"t":"invoke","id":1,"ch":"add","args":[1,"2"]}"#);
    f.send(r#"{"t":"invoke","id":2,"ch":"add","args":[1,2]}"#);
    f.send(r#"{"t":"invoke","id":3,"ch":"add","args":[100,2]}"#);
    let posted = f.posted(3).await;
    let first = posted[0]["error"].as_str().unwrap();
    assert!(
        first.starts_with(
            "Error invoking remote method 'add': invalid arguments for channel 'add' at /1:"
        ),
        "{first}"
    );
    assert_eq!(posted[1], json!({"t":"resolve","id":2,"value":3}));
    let third = posted[2]["error"].as_str().unwrap();
    assert!(
        third.contains("invalid result for channel 'add' at (root)"),
        "{third}"
    );
    assert_eq!(ran.load(Ordering::SeqCst), 2, "the bad call never ran");

    f.ipc
        .set_schema("push", ChannelSchema::new().args::<(String,)>())
        .unwrap();
    let contents = f.conn.web_contents();
    assert!(contents.send("push", ("ok",)).is_ok());
    assert!(matches!(
        contents.send("push", (5,)),
        Err(IpcError::Validation { .. })
    ));
}

#[tokio::test]
async fn deep_nesting_and_floods_are_refused_with_errors() {
    // A rate of 0 never refills: what is refused cannot depend on the test's speed.
    let limits = Limits::default().max_depth(8).rate(0, 3);
    let f = guarded_fixture(WindowPolicy::permissive(), limits);
    f.ipc.handle("x", |_: IpcEvent| 1).unwrap();
    let deep = format!("{}{}", "[".repeat(9), "]".repeat(9));
    f.send(&format!(
        r#"{{"t":"invoke","id":1,"ch":"x","args":[{deep}]}}"#
    ));
    f.send(r#"{"t":"invoke","id":2,"ch":"x","args":[[[[1]]]]}"#);
    f.send(r#"{"t":"invoke","id":3,"ch":"x"}"#);
    // The burst of 3 is spent: these are refused by the rate limit.
    f.send(r#"{"t":"invoke","id":4,"ch":"x"}"#);
    f.send(r#"{"t":"send","ch":"x","args":[]}"#);
    f.send(r#"{"t":"invoke","id":5,"ch":"x"}"#);
    let posted = f.posted(5).await;
    assert_eq!(
        posted[0]["error"],
        "Error invoking remote method 'x': IPC message nested deeper than the limit of 8"
    );
    assert_eq!(posted[1]["t"], "resolve");
    assert_eq!(posted[2]["t"], "resolve");
    for refused in &posted[3..] {
        assert_eq!(
            refused["error"],
            "Error invoking remote method '<rate limited>': IPC rate limit exceeded: more than 0 messages a second"
        );
    }
}

#[tokio::test]
async fn an_enveloped_invoke_is_always_answered_under_its_envelope_id() {
    let f = fixture();
    f.ipc.handle("x", |_: IpcEvent| 1).unwrap();
    let frame = || SenderFrame::from_url("file:///app/index.html");
    assert!(f.conn.dispatch_invoke(frame(), 5, "not json"));
    assert!(f
        .conn
        .dispatch_invoke(frame(), 6, r#"{"t":"invoke","id":7,"ch":"x"}"#));
    assert!(f
        .conn
        .dispatch_invoke(frame(), 8, r#"{"t":"send","ch":"x","args":[]}"#));
    assert!(f
        .conn
        .dispatch_invoke(frame(), 9, r#"{"t":"invoke","id":9,"ch":"x"}"#));
    let posted = f.posted(4).await;
    let ids: Vec<u64> = posted.iter().filter_map(|m| m["id"].as_u64()).collect();
    assert_eq!(ids, [5, 6, 8, 9]);
    for refused in &posted[..3] {
        assert_eq!(refused["t"], "reject");
    }
    assert_eq!(
        posted[1]["error"],
        "Error invoking remote method '<malformed>': malformed message: not the invoke its envelope announced"
    );
    assert_eq!(posted[3], json!({"t":"resolve","id":9,"value":1}));
}

#[tokio::test]
async fn inline_dispatch_runs_the_sync_part_on_the_receiving_thread() {
    let f = fixture();
    f.ipc.set_inline_dispatch(true);
    let here = std::thread::current().id();
    let ran_on = Arc::new(Mutex::new(None));
    let record = ran_on.clone();
    f.ipc
        .handle("where", move |_: IpcEvent| {
            *record.lock().unwrap() = Some(std::thread::current().id());
            "here"
        })
        .unwrap();
    f.ipc
        .handle("later", |_: IpcEvent| async {
            tokio::time::sleep(Duration::from_millis(20)).await;
            "later"
        })
        .unwrap();
    f.send(r#"{"t":"invoke","id":1,"ch":"later"}"#);
    f.send(r#"{"t":"invoke","id":2,"ch":"where"}"#);
    // The sync handler has run and answered before dispatch returned.
    assert_eq!(*ran_on.lock().unwrap(), Some(here));
    assert_eq!(
        serde_json::from_str::<Value>(&f.link.posted.lock().unwrap()[0]).unwrap(),
        json!({"t":"resolve","id":2,"value":"here"})
    );
    // The async one went on on the runtime and answers later.
    assert_eq!(
        f.posted(2).await[1],
        json!({"t":"resolve","id":1,"value":"later"})
    );
}

#[tokio::test]
async fn send_sync_answers_with_the_return_value_or_why_there_is_none() {
    let f = fixture();
    f.ipc.on("add", |e: IpcEvent, a: i64, b: i64| {
        let _ = e.set_return_value(a + b);
    });
    f.ipc.on("later", |e: IpcEvent| async move {
        tokio::time::sleep(Duration::from_millis(10)).await;
        let _ = e.set_return_value("later");
    });
    f.ipc.on("silent", |_: IpcEvent| {});
    let plain_outcomes = Arc::new(Mutex::new(Vec::new()));
    let record = plain_outcomes.clone();
    f.ipc.on("plain", move |e: IpcEvent| {
        record.lock().unwrap().push(e.set_return_value(1).is_ok());
    });
    let ask = |raw: &str| {
        let (tx, rx) = tokio::sync::oneshot::channel();
        f.conn.dispatch_sync(
            SenderFrame::from_url("file:///app/index.html"),
            raw.to_owned(),
            Box::new(move |outcome| {
                let _ = tx.send(outcome);
            }),
        );
        rx
    };
    let wait = |rx: tokio::sync::oneshot::Receiver<Result<crate::Value, String>>| async move {
        tokio::time::timeout(PATIENCE, rx)
            .await
            .expect("an answer within PATIENCE")
            .expect("the responder was called")
    };
    assert_eq!(
        wait(ask(r#"{"t":"sendSync","ch":"add","args":[2,3]}"#)).await,
        Ok(crate::Value::Number(5.0))
    );
    assert_eq!(
        wait(ask(r#"{"t":"sendSync","ch":"later"}"#)).await,
        Ok(crate::Value::from("later"))
    );
    assert_eq!(
        wait(ask(r#"{"t":"sendSync","ch":"silent"}"#)).await,
        Err("no listener of 'silent' set event.return_value".into())
    );
    assert_eq!(
        wait(ask(r#"{"t":"sendSync","ch":"nobody"}"#)).await,
        Err("No listener for 'nobody'".into())
    );
    assert!(wait(ask(r#"{"t":"send","ch":"add","args":[1,2]}"#))
        .await
        .is_err_and(|e| e.contains("only sendSync")));
    assert!(wait(ask("not json")).await.is_err());
    // sendSync outside the synchronous channel is refused, not run.
    f.send(r#"{"t":"sendSync","ch":"plain"}"#);
    f.send(r#"{"t":"send","ch":"plain"}"#);
    eventually(|| !plain_outcomes.lock().unwrap().is_empty()).await;
    // Only the plain send ran, and it has nobody waiting for a return value.
    assert_eq!(*plain_outcomes.lock().unwrap(), [false]);
}

#[tokio::test]
async fn batches_run_in_order_and_count_each_message_against_the_rate_limit() {
    // A rate of 0 never refills: what is refused cannot depend on the test's speed.
    let f = guarded_fixture(WindowPolicy::permissive(), Limits::default().rate(0, 3));
    let seen = Arc::new(Mutex::new(Vec::new()));
    let record = seen.clone();
    f.ipc.on("n", move |_: IpcEvent, n: u32| {
        record.lock().unwrap().push(n)
    });
    f.ipc.handle("x", |_: IpcEvent| 1).unwrap();
    // One token for the batch, one more for each further message: with a burst of
    // 3, the first three messages run and the rest are refused.
    f.send(
        r#"{"t":"batch","m":[
            {"t":"send","ch":"n","args":[1]},
            {"t":"send","ch":"n","args":[2]},
            {"t":"invoke","id":1,"ch":"x"},
            {"t":"send","ch":"n","args":[3]},
            {"t":"invoke","id":2,"ch":"x"}
        ]}"#,
    );
    let posted = f.posted(2).await;
    assert_eq!(posted[0], json!({"t":"resolve","id":1,"value":1}));
    assert_eq!(posted[1]["t"], "reject");
    assert_eq!(*seen.lock().unwrap(), [1, 2]);

    let f = fixture();
    let seen = Arc::new(Mutex::new(Vec::new()));
    let record = seen.clone();
    f.ipc.on("n", move |_: IpcEvent, n: u32| {
        record.lock().unwrap().push(n)
    });
    f.ipc.handle("done", |_: IpcEvent| 1).unwrap();
    f.send(r#"{"t":"batch","m":[{"t":"batch","m":[{"t":"send","ch":"n","args":[9]}]},{"t":"send","ch":"n","args":[1]}]}"#);
    f.send(r#"{"t":"invoke","id":3,"ch":"done"}"#);
    f.posted(1).await;
    // The nested batch is refused; the rest of the outer one runs.
    assert_eq!(*seen.lock().unwrap(), [1]);
}

#[tokio::test]
async fn a_windows_own_scopes_answer_first_and_messages_cascade_out_to_ipc_main() {
    let f = fixture();
    let web_contents = f.conn.web_contents().clone();
    let order = Arc::new(Mutex::new(Vec::new()));
    for (name, scope) in [
        ("ipc_main", f.ipc.scope().clone()),
        ("web_contents", web_contents.ipc().clone()),
        ("main_frame", web_contents.main_frame().ipc().clone()),
    ] {
        let order = order.clone();
        scope.on("note", move |_: IpcEvent, n: u32| {
            order.lock().unwrap().push(format!("{name}:{n}"))
        });
        scope
            .handle("who", move |_: IpcEvent| name.to_owned())
            .unwrap();
    }
    f.send(r#"{"t":"send","ch":"note","args":[1]}"#);
    f.send(r#"{"t":"invoke","id":1,"ch":"who","args":[]}"#);
    eventually(|| order.lock().unwrap().len() == 3).await;
    assert_eq!(
        *order.lock().unwrap(),
        ["main_frame:1", "web_contents:1", "ipc_main:1"],
        "a send reaches every scope, narrowest first"
    );
    assert_eq!(
        f.posted(1).await,
        [json!({"t":"resolve","id":1,"value":"main_frame"})]
    );
    // Without the frame's handler the window's answers; without both, the app's.
    assert!(web_contents.main_frame().ipc().remove_handler("who"));
    f.send(r#"{"t":"invoke","id":2,"ch":"who","args":[]}"#);
    assert!(web_contents.ipc().remove_handler("who"));
    f.send(r#"{"t":"invoke","id":3,"ch":"who","args":[]}"#);
    let posted = f.posted(3).await;
    assert_eq!(
        posted[1],
        json!({"t":"resolve","id":2,"value":"web_contents"})
    );
    assert_eq!(posted[2], json!({"t":"resolve","id":3,"value":"ipc_main"}));
}

#[tokio::test]
async fn a_listener_id_from_one_scope_removes_nothing_in_another() {
    let f = fixture();
    let window = f.conn.web_contents().ipc().on("x", |_: IpcEvent| ());
    let app = f.ipc.on("x", |_: IpcEvent| ());
    assert_ne!(window, app);
    assert!(!f.ipc.remove_listener("x", window));
    assert_eq!(f.ipc.listener_count("x"), 1);
    assert!(f.conn.web_contents().ipc().remove_listener("x", window));
}

#[tokio::test]
async fn a_closed_windows_scopes_let_go_of_their_handlers() {
    let f = fixture();
    let web_contents = f.conn.web_contents().clone();
    // The handler holds the window's own handle: without the clearing, a cycle.
    let held = web_contents.clone();
    web_contents
        .ipc()
        .handle("id", move |_: IpcEvent| held.id())
        .unwrap();
    assert!(web_contents.ipc().has_handler("id"));
    drop(f.conn);
    assert!(!web_contents.ipc().has_handler("id"));
}

#[derive(serde::Serialize, serde::Deserialize, schemars::JsonSchema)]
struct ApiNote {
    title: String,
}

/// Adds a `notes` API with a call, a send, an event and a live value.
fn notes_api(f: &Fixture) -> (crate::ApiEvent<ApiNote>, crate::LiveValue<u32>) {
    let notes = crate::Api::new("notes");
    notes.call("add", |_: IpcEvent, note: ApiNote| {
        Ok::<_, String>(note.title.len() as u32)
    });
    notes.send("log", |_: IpcEvent, _line: String| {});
    let added = notes.event::<ApiNote>("added");
    let total = notes.live("total", 0u32).unwrap();
    f.ipc.add_api(&notes).unwrap();
    notes.attach(f.conn.web_contents());
    (added, total)
}

#[tokio::test]
async fn a_declared_api_registers_its_channels_and_the_main_process_checks_them() {
    let f = fixture();
    let (added, total) = notes_api(&f);
    let api = f.ipc.api("notes").expect("the API is kept");
    assert_eq!(
        api.channels(),
        vec![
            (Direction::Invoke, "notes.add".to_owned()),
            (Direction::Send, "notes.log".to_owned()),
            (Direction::Receive, "notes.added".to_owned()),
            (Direction::Receive, "notes.total".to_owned()),
            (Direction::Send, "notes.$live".to_owned()),
        ]
    );
    // A renderer past its preload's checks: the main process refuses, naming the field.
    f.send(r#"{"t":"invoke","id":1,"ch":"notes.add","args":[{"title":42}]}"#);
    f.send(r#"{"t":"invoke","id":2,"ch":"notes.add","args":[{"title":"four"}]}"#);
    let posted = f.posted(2).await;
    let refusal = posted[0]["error"].as_str().unwrap_or_default();
    assert!(
        refusal.contains("notes.add") && refusal.contains("title"),
        "{refusal}"
    );
    assert_eq!(posted[1], json!({"t":"resolve","id":2,"value":4}));
    // Events and live values reach the windows that took the API.
    added.emit_all(ApiNote { title: "x".into() }).unwrap();
    total.set(7).unwrap();
    let posted = f.posted(4).await;
    assert_eq!(
        posted[2],
        json!({"t":"message","ch":"notes.added","args":[{"title":"x"}]})
    );
    assert_eq!(
        posted[3],
        json!({"t":"message","ch":"notes.total","args":[7]})
    );
    assert_eq!(
        api.descriptor()["live"],
        json!([["total", "notes.total"]]),
        "the preload runtime is told the live value's channel"
    );
}

#[tokio::test]
async fn apis_are_refused_when_their_names_cannot_be_written_in_javascript() {
    let f = fixture();
    for name in ["", "9lives", "has space", "a.b"] {
        assert!(
            matches!(
                f.ipc.add_api(&crate::Api::new(name)),
                Err(IpcError::InvalidApi(_))
            ),
            "{name:?}"
        );
    }
    let twice = crate::Api::new("twice");
    twice.send("x", |_: IpcEvent| {});
    twice.send("x", |_: IpcEvent| {});
    assert!(matches!(
        f.ipc.add_api(&twice),
        Err(IpcError::InvalidApi(_))
    ));
    // A channel already handled refuses the whole API: none of its members stay.
    f.ipc.handle("clash.b", |_: IpcEvent| ()).unwrap();
    let clash = crate::Api::new("clash");
    clash.call("a", |_: IpcEvent| Ok::<u32, String>(1));
    clash.call("b", |_: IpcEvent| Ok::<u32, String>(2));
    assert!(matches!(
        f.ipc.add_api(&clash),
        Err(IpcError::HandlerAlreadyRegistered(_))
    ));
    assert!(!f.ipc.has_handler("clash.a") && f.ipc.api("clash").is_none());
    let ok = crate::Api::new("ok");
    f.ipc.add_api(&ok).unwrap();
    assert!(matches!(
        f.ipc.add_api(&crate::Api::new("ok")),
        Err(IpcError::InvalidApi(_))
    ));
}

/// Electron's "is emitted when the other end of a port is sent to nowhere": ports a
/// renderer sends on a channel nobody listens to are closed, and its ends are told.
#[tokio::test]
async fn ports_sent_to_nowhere_are_closed() {
    let f = fixture();
    f.send(r#"{"t":"send","ch":"nobody-listening","args":[null],"ports":["r5"]}"#);
    assert_eq!(
        f.posted(1).await,
        [json!({"t": "port-close", "port": "r5"})]
    );
    // Heard by a listener, a port stays open (dispatch is inline: handled by now).
    f.ipc.on("somebody", |_: IpcEvent| {});
    f.send(r#"{"t":"send","ch":"somebody","args":[null],"ports":["r6"]}"#);
    assert_eq!(f.link.posted.lock().unwrap().len(), 1);
}
