//! Debian's Chromium, started as Voltaic starts it, does what the engine is built
//! on: a preload world made before the page's first script, a binding only that
//! world sees, a page served at a fixed origin through Fetch, and its sandbox on
//! (as `nobody` when the tests run as root): headless, and as an `--app` window on
//! an Xvfb display the test starts.

use std::time::Duration;

use base64::Engine;
use serde_json::{json, Value};
use voltaic_chromium::{Cdp, Chromium, LaunchOptions};

/// Bound on every wait: for what never comes, far above what a busy machine takes.
const LIMIT: Duration = Duration::from_secs(30);

const WORLD: &str = "voltaic";

/// The preload world's script: it sets a global of its own and calls the binding.
const WORLD_JS: &str = "globalThis.voltaicWorldOnly = 1;\n\
voltaicPost(JSON.stringify({ binding: typeof voltaicPost, top: window === top, url: location.href }));";

/// The page: what it can see of the world's binding and global, and a same-process
/// iframe, whose document gets the world and its binding too.
const PAGE: &str = "<!DOCTYPE html><title>-</title>\
<script>document.title = typeof voltaicPost + ' ' + typeof voltaicWorldOnly;</script>\
<iframe srcdoc='<p>inner</p>'></iframe>";

fn call(cdp: &Cdp, session: &str, method: &str, params: Value) -> Result<Value, String> {
    cdp.call(Some(session), method, params, LIMIT)
        .map_err(|e| e.to_string())
}

/// Waits for a call of the world's binding whose payload holds `needle`.
fn binding_call(cdp: &Cdp, what: &str, needle: &str) -> Result<voltaic_chromium::Event, String> {
    cdp.wait_for(what, LIMIT, |e| {
        e.method == "Runtime.bindingCalled"
            && e.params["payload"]
                .as_str()
                .is_some_and(|p| p.contains(needle))
    })
    .map_err(|e| e.to_string())
}

/// Sets up the page as the engine will and checks what it stands on; returns the
/// page's session.
fn run(chromium: &Chromium) -> Result<String, String> {
    let cdp = chromium.cdp();
    let version = cdp
        .call(None, "Browser.getVersion", json!({}), LIMIT)
        .map_err(|e| e.to_string())?;
    let product = version["product"].as_str().unwrap_or_default();
    if !product.contains("Chrome/") {
        return Err(format!("not a Chromium: {version}"));
    }
    cdp.call(
        None,
        "Target.setAutoAttach",
        json!({ "autoAttach": true, "waitForDebuggerOnStart": false, "flatten": true }),
        LIMIT,
    )
    .map_err(|e| e.to_string())?;
    let attached = cdp
        .wait_for("the app window's page", LIMIT, |e| {
            e.method == "Target.attachedToTarget" && e.params["targetInfo"]["type"] == "page"
        })
        .map_err(|e| e.to_string())?;
    let session = attached.params["sessionId"]
        .as_str()
        .ok_or("an attached page without a session")?
        .to_owned();
    call(cdp, &session, "Page.enable", json!({}))?;
    call(cdp, &session, "Runtime.enable", json!({}))?;
    call(
        cdp,
        &session,
        "Runtime.addBinding",
        json!({ "name": "voltaicPost", "executionContextName": WORLD }),
    )?;
    call(
        cdp,
        &session,
        "Page.addScriptToEvaluateOnNewDocument",
        json!({ "source": WORLD_JS, "worldName": WORLD }),
    )?;
    call(
        cdp,
        &session,
        "Fetch.enable",
        json!({ "patterns": [{ "urlPattern": "https://voltaic.localhost/*" }] }),
    )?;
    // Page.navigate answers once the request has its response, which this thread
    // gives: it goes on a thread of its own.
    let navigated = std::thread::scope(|scope| -> Result<Value, String> {
        let navigation = scope.spawn(|| {
            call(
                cdp,
                &session,
                "Page.navigate",
                json!({ "url": "https://voltaic.localhost/index.html" }),
            )
        });
        let paused = cdp
            .wait_for("the page's request", LIMIT, |e| {
                e.method == "Fetch.requestPaused"
            })
            .map_err(|e| e.to_string())?;
        call(
            cdp,
            &session,
            "Fetch.fulfillRequest",
            json!({
                "requestId": paused.params["requestId"],
                "responseCode": 200,
                "responseHeaders": [{ "name": "Content-Type", "value": "text/html" }],
                "body": base64::engine::general_purpose::STANDARD.encode(PAGE),
            }),
        )?;
        navigation
            .join()
            .map_err(|_| "the navigation thread panicked")?
    })?;
    if navigated.get("errorText").is_some() {
        return Err(format!("the navigation failed: {navigated}"));
    }
    let called = binding_call(cdp, "the preload world's binding call", "voltaic.localhost")?;
    let payload: Value = serde_json::from_str(called.params["payload"].as_str().unwrap_or("null"))
        .map_err(|e| e.to_string())?;
    if payload
        != json!({ "binding": "function", "top": true, "url": "https://voltaic.localhost/index.html" })
    {
        return Err(format!("the world saw {payload}"));
    }
    cdp.wait_for("the page's load", LIMIT, |e| {
        e.method == "Page.loadEventFired"
    })
    .map_err(|e| e.to_string())?;
    let seen = call(
        cdp,
        &session,
        "Runtime.evaluate",
        json!({ "expression": "document.title", "returnByValue": true }),
    )?;
    if seen["result"]["value"] != "undefined undefined" {
        return Err(format!(
            "the page saw the world's binding or global: {seen}"
        ));
    }
    answer_into_the_world(cdp, &session, &navigated, &called)?;
    Ok(session)
}

/// The call came from the main frame's world context, which the host can answer
/// into by its `uniqueId`; a same-process iframe's document gets a world of the same
/// name, with the binding, so the host must tell them apart by frame.
fn answer_into_the_world(
    cdp: &Cdp,
    session: &str,
    navigated: &Value,
    called: &voltaic_chromium::Event,
) -> Result<(), String> {
    let main_frame = navigated["frameId"]
        .as_str()
        .ok_or("no frameId")?
        .to_owned();
    let world = cdp
        .wait_for("the main frame's world context", LIMIT, |e| {
            e.method == "Runtime.executionContextCreated"
                && e.params["context"]["name"] == WORLD
                && e.params["context"]["auxData"]["frameId"] == main_frame.as_str()
                && e.params["context"]["auxData"]["type"] == "isolated"
        })
        .map_err(|e| e.to_string())?;
    let context = &world.params["context"];
    if called.params["executionContextId"] != context["id"] {
        return Err(format!(
            "the call came from {called:?}, not the world {context}"
        ));
    }
    let unique = context["uniqueId"].as_str().ok_or("no uniqueId")?;
    call(
        cdp,
        session,
        "Runtime.callFunctionOn",
        json!({
            "functionDeclaration": "function (answer) { globalThis.voltaicAnswered = answer; }",
            "uniqueContextId": unique,
            "arguments": [{ "value": "pong" }],
        }),
    )?;
    let in_world = call(
        cdp,
        session,
        "Runtime.evaluate",
        json!({ "expression": "globalThis.voltaicAnswered", "uniqueContextId": unique, "returnByValue": true }),
    )?;
    let in_page = call(
        cdp,
        session,
        "Runtime.evaluate",
        json!({ "expression": "typeof globalThis.voltaicAnswered", "returnByValue": true }),
    )?;
    if in_world["result"]["value"] != "pong" || in_page["result"]["value"] != "undefined" {
        return Err(format!(
            "the answer reached the world as {in_world}, the page as {in_page}"
        ));
    }
    let inner = binding_call(cdp, "the iframe's call", "\"top\":false")?;
    if inner.params["executionContextId"] == context["id"] {
        return Err("the iframe's call came from the main frame's context".into());
    }
    Ok(())
}

/// Starts Chromium as `options` say, runs the checks, and returns it with the
/// page's session; panics with Chromium's last output on a failure.
fn launch_and_run(options: &LaunchOptions) -> (Chromium, String) {
    let chromium = Chromium::launch(options).unwrap_or_else(|e| panic!("{e}"));
    let session = run(&chromium).unwrap_or_else(|error| {
        panic!(
            "{error}\nChromium's last output:\n{}",
            chromium.output().join("\n")
        )
    });
    // As root, Chromium ran as nobody, with its sandbox on: it refuses to start
    // otherwise ("Running as root without --no-sandbox is not supported").
    let status =
        std::fs::read_to_string(format!("/proc/{}/status", chromium.pid())).unwrap_or_default();
    let uid = status
        .lines()
        .find(|l| l.starts_with("Uid:"))
        .and_then(|l| l.split_whitespace().nth(2))
        .unwrap_or("?");
    match chromium.runs_as() {
        Some(user) => assert_eq!((user, uid), ("nobody", "65534"), "{status}"),
        None => assert_ne!(uid, "0", "Chromium ran as root"),
    }
    (chromium, session)
}

#[test]
fn the_preload_world_and_its_binding_are_the_worlds_alone() {
    launch_and_run(&LaunchOptions {
        headless: true,
        ..Default::default()
    });
}

/// An Xvfb display of the test's own, ended with it.
struct Display {
    server: std::process::Child,
    name: String,
}

impl Display {
    fn start() -> Self {
        use std::io::BufRead;
        // -displayfd: Xvfb picks a free display and prints its number when ready.
        let mut server = std::process::Command::new("Xvfb")
            .args([
                "-displayfd",
                "1",
                "-screen",
                "0",
                "1024x768x24",
                "-nolisten",
                "tcp",
                "-noreset",
            ])
            .stdin(std::process::Stdio::null())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap_or_else(|e| panic!("Xvfb could not start ({e}); install xvfb"));
        let stdout = server.stdout.take().expect("Xvfb's stdout");
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            let mut line = String::new();
            let _ = std::io::BufReader::new(stdout).read_line(&mut line);
            let _ = tx.send(line);
        });
        match rx.recv_timeout(LIMIT) {
            Ok(line) if !line.trim().is_empty() => Self {
                server,
                name: format!(":{}", line.trim()),
            },
            _ => {
                let _ = server.kill();
                panic!("Xvfb did not report a display within {LIMIT:?}");
            }
        }
    }
}

impl Drop for Display {
    fn drop(&mut self) {
        let _ = self.server.kill();
        let _ = self.server.wait();
    }
}

/// The window the engine will use: `--app` on an X display (an Xvfb started
/// without `-auth` lets `nobody` in), and its screenshot.
#[test]
fn the_app_window_runs_on_a_display_and_can_be_captured() {
    let display = Display::start();
    let (chromium, session) = launch_and_run(&LaunchOptions {
        display: Some(display.name.clone()),
        ..Default::default()
    });
    let shot = chromium
        .cdp()
        .call(
            Some(&session),
            "Page.captureScreenshot",
            json!({ "format": "png" }),
            LIMIT,
        )
        .unwrap_or_else(|e| panic!("no screenshot: {e}"));
    let png = base64::engine::general_purpose::STANDARD
        .decode(shot["data"].as_str().unwrap_or_default())
        .unwrap_or_default();
    assert!(
        png.len() > 100 && png.starts_with(b"\x89PNG"),
        "not a PNG: {} bytes",
        png.len()
    );
    drop(chromium);
    drop(display);
}
