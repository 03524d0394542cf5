use std::time::Duration;

use serde_json::{json, Value as Json};

use super::*;
use crate::ipc_main::tests::{guarded_fixture, Fixture};
use crate::{ChannelGrants, IpcEvent, Limits, WindowPolicy};

/// A bound for what never comes, far above what a slow, busy machine takes.
const PATIENCE: Duration = Duration::from_secs(10);

/// The app's window 9, granted the quickstart's three channels, with the timeline
/// started with `options` if given.
fn fixture(options: Option<TimelineOptions>) -> Fixture {
    let policy = WindowPolicy {
        grants: ChannelGrants::new()
            .invoke("get-data")
            .send("message-channel")
            .receive("update-channel"),
        ..WindowPolicy::permissive()
    };
    let f = guarded_fixture(policy, Limits::default().max_message_bytes(4096));
    if let Some(options) = options {
        f.ipc.timeline().start(options);
    }
    f
}

/// Waits for `n` entries on `f`'s timeline, and fails saying what came instead.
async fn entries(f: &Fixture, n: usize) -> Vec<Entry> {
    let deadline = tokio::time::Instant::now() + PATIENCE;
    loop {
        let entries = f.ipc.timeline().entries();
        if entries.len() >= n {
            return entries;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "expected {n} timeline entries within {PATIENCE:?}, got {entries:#?}"
        );
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
}

#[tokio::test]
async fn off_by_default_it_keeps_nothing() {
    let f = fixture(None);
    f.ipc
        .handle("get-data", |_: IpcEvent| async { Ok::<_, String>(1) })
        .unwrap();
    f.send(r#"{"t":"invoke","id":1,"ch":"get-data","args":[]}"#);
    f.posted(1).await;
    assert!(f.ipc.timeline().entries().is_empty());
    assert!(!f.ipc.timeline().is_on());
}

#[tokio::test]
async fn it_records_each_kind_of_event_with_sizes_timings_and_reasons() {
    let f = fixture(Some(TimelineOptions::default().preview(12)));
    let nap = Duration::from_millis(20);
    f.ipc
        .handle("get-data", move |_: IpcEvent| async move {
            tokio::time::sleep(nap).await;
            Ok::<_, String>(json!({ "result": "Data from main process" }))
        })
        .unwrap();
    f.ipc.on("message-channel", |_: IpcEvent, _: String| {});
    f.send(r#"{"t":"invoke","id":1,"ch":"get-data","args":["a long argument"]}"#);
    entries(&f, 1).await;
    f.send(r#"{"t":"send","ch":"message-channel","args":["hi"]}"#);
    f.send(r#"{"t":"send","ch":"not-granted","args":[]}"#);
    f.send(r#"{"t":"console","level":"warn","source":"page","text":"careful"}"#);
    f.send("not json");
    f.send(&format!(
        r#"{{"t":"send","ch":"message-channel","args":["{}"]}}"#,
        "x".repeat(5000)
    ));
    f.conn
        .web_contents()
        .send("update-channel", ("Update",))
        .unwrap();
    let entries = entries(&f, 8).await;
    let kinds: Vec<Json> = entries
        .iter()
        .map(|entry| {
            let json = serde_json::to_value(entry).unwrap();
            json!([json["kind"], json.get("channel"), json.get("reason")])
        })
        .collect();
    assert_eq!(
        kinds,
        [
            json!(["invoke", "get-data", null]),
            json!(["send", "message-channel", null]),
            json!(["send", "not-granted", null]),
            json!(["refused", "not-granted", "grant"]),
            json!(["console", null, null]),
            json!(["refused", null, "malformed"]),
            json!(["refused", null, "size"]),
            json!(["push", "update-channel", null]),
        ]
    );
    let Event::Invoke {
        handler,
        size,
        preview,
        error,
        ..
    } = &entries[0].event
    else {
        panic!("not an invoke: {:?}", entries[0]);
    };
    assert!(
        *handler >= nap,
        "the handler slept {nap:?}, timed {handler:?}"
    );
    assert_eq!(*size, r#"["a long argument"]"#.len());
    assert_eq!(preview.as_deref(), Some(r#"["a long arg…"#));
    assert_eq!(*error, None);
    assert!(entries.iter().all(|entry| entry.window == 9));
}

#[tokio::test]
async fn a_failed_invoke_carries_its_error_and_an_unhandled_one_is_refused() {
    let f = fixture(Some(TimelineOptions::default()));
    f.ipc
        .handle("get-data", |_: IpcEvent| async { Err::<(), _>("no data") })
        .unwrap();
    f.send(r#"{"t":"invoke","id":1,"ch":"get-data","args":[]}"#);
    entries(&f, 1).await;
    f.ipc.remove_handler("get-data");
    f.send(r#"{"t":"invoke","id":2,"ch":"get-data","args":[]}"#);
    let entries = entries(&f, 2).await;
    assert!(
        matches!(&entries[0].event, Event::Invoke { error: Some(e), .. } if e.contains("no data")),
        "{entries:?}"
    );
    assert!(
        matches!(
            &entries[1].event,
            Event::Refused {
                reason: Refusal::NoHandler,
                ..
            }
        ),
        "{entries:?}"
    );
    let stats = f.ipc.timeline().channel_stats();
    assert_eq!(stats.len(), 1);
    assert_eq!((stats[0].invokes, stats[0].errors), (1, 1));
}

#[test]
fn the_ring_keeps_the_newest_and_counts_what_it_let_go() {
    let timeline = Timeline::default();
    timeline.lifecycle(1, "never kept");
    timeline.start(TimelineOptions::default().capacity(3));
    for n in 0..5 {
        timeline.lifecycle(1, format!("event {n}"));
    }
    let whats: Vec<String> = timeline
        .entries()
        .into_iter()
        .map(|entry| match entry.event {
            Event::Lifecycle { what } => what,
            other => panic!("{other:?}"),
        })
        .collect();
    assert_eq!(whats, ["event 2", "event 3", "event 4"]);
    assert_eq!(timeline.dropped(), 2);
    timeline.stop();
    timeline.lifecycle(1, "after the stop");
    assert_eq!(timeline.entries().len(), 3);
}

#[test]
fn previews_are_cut_short_and_pass_the_redactor() {
    let timeline = Timeline::default();
    timeline.start(
        TimelineOptions::default()
            .preview(7)
            .redact(|channel, preview| (channel != "secret").then(|| preview.replace('a', "*"))),
    );
    assert_eq!(
        timeline.preview("open", &["abc"]).as_deref(),
        Some(r#"["*bc"]"#)
    );
    assert_eq!(
        timeline.preview("open", &["abcdef"]).as_deref(),
        Some(r#"["*bcde…"#)
    );
    assert_eq!(timeline.preview("secret", &["abc"]), None);
    timeline.start(TimelineOptions::default());
    assert_eq!(timeline.preview("open", &["abc"]), None);
}

#[test]
fn a_subscriber_gets_the_kept_entries_then_each_new_one_once() {
    let timeline = Timeline::default();
    timeline.start(TimelineOptions::default());
    timeline.lifecycle(1, "one");
    timeline.lifecycle(2, "two");
    let (kept, mut live) = timeline.subscribe();
    timeline.lifecycle(1, "three");
    assert_eq!(kept.len(), 2);
    let next = live.try_recv().expect("the entry after subscribing");
    assert_eq!(
        next.event,
        Event::Lifecycle {
            what: "three".into()
        }
    );
    assert!(live.try_recv().is_err(), "an entry came twice");
    drop(live);
    timeline.lifecycle(1, "four");
    assert_eq!(
        timeline.state().watchers.len(),
        0,
        "a dropped subscriber stays fed"
    );
}

#[test]
fn the_export_is_a_chrome_trace_with_a_track_per_window_and_per_handler() {
    let dir = std::env::temp_dir().join(format!(
        "voltaic-trace-{}-{:?}",
        std::process::id(),
        std::thread::current().id()
    ));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("trace.json");
    let timeline = Timeline::default();
    timeline.start(TimelineOptions::default());
    timeline.lifecycle(1, "did-start-loading");
    let export = timeline.export_to(&path).unwrap();
    let invoke = |channel: &str| Event::Invoke {
        channel: channel.into(),
        size: 2,
        queued: Duration::from_micros(10),
        handler: Duration::from_micros(300),
        reply: Duration::from_micros(5),
        error: None,
        preview: None,
    };
    timeline.record(1, Instant::now(), || invoke("get-data"));
    timeline.record(2, Instant::now(), || invoke("get-data"));
    timeline.record(2, Instant::now(), || invoke("save"));
    timeline.lifecycle(2, "closed");
    export.finish().unwrap();
    let text = std::fs::read_to_string(&path).unwrap();
    let events: Vec<Json> = serde_json::from_str(&text).expect("a closed JSON array");
    for event in &events {
        for field in ["name", "ph", "pid", "tid"] {
            assert!(event.get(field).is_some(), "no {field} in {event}");
        }
        let ph = event["ph"].as_str().unwrap();
        assert!(["M", "X", "i"].contains(&ph), "{event}");
        if ph != "M" {
            assert!(event["ts"].is_number(), "{event}");
        }
        if ph == "X" {
            assert_eq!(event["dur"], json!(315.0), "{event}");
        }
    }
    let tracks: Vec<&str> = events
        .iter()
        .filter(|e| e["name"] == "thread_name")
        .filter_map(|e| e["args"]["name"].as_str())
        .collect();
    assert_eq!(
        tracks,
        ["window 1", "handler get-data", "handler save", "window 2"]
    );
    let slices = events.iter().filter(|e| e["ph"] == "X").count();
    assert_eq!(slices, 3);
    let _ = std::fs::remove_dir_all(dir);
}
