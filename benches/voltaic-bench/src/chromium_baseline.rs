//! The no-framework Chromium baseline: a bare Chromium page driven over the
//! DevTools protocol's primitives directly (see `js/chromium_baseline.js`), in the
//! same process and run as Voltaic on Chromium: the raw limit of that engine.

use std::sync::mpsc;
use std::time::Duration;

use serde_json::json;
use voltaic_chromium::{Chromium, LaunchOptions};

const BENCH_JS: &str = include_str!("../js/bench.js");
const BASELINE_JS: &str = include_str!("../js/chromium_baseline.js");
const ORIGIN: &str = "https://bench.localhost";
const LIMIT: Duration = Duration::from_secs(30);

/// What the baseline's thread takes.
enum Input {
    Event(voltaic_chromium::Event),
    Again,
}

/// The running baseline: [`Baseline::run_again`] loads its page once more.
pub struct Baseline {
    inputs: mpsc::Sender<Input>,
}

impl Baseline {
    /// Runs the benchmark once more (a fresh page); its results go to `start`'s
    /// `done`.
    pub fn run_again(&self) {
        let _ = self.inputs.send(Input::Again);
    }
}

/// Starts a Chromium of its own and its first run; `done` gets the results of each
/// run as JSON text.
pub fn start(done: impl Fn(String) + Send + 'static) -> Result<Baseline, String> {
    let (inputs, taken) = mpsc::channel();
    let events = inputs.clone();
    let browser = Chromium::launch_with_sink(
        &LaunchOptions::default(),
        Box::new(move |event| {
            let _ = events.send(Input::Event(event));
        }),
    )
    .map_err(|e| e.to_string())?;
    let session = set_up(&browser).map_err(|e| format!("the Chromium baseline: {e}"))?;
    std::thread::Builder::new()
        .name("chromium-baseline".into())
        .spawn(move || serve(&browser, &session, &taken, &done))
        .map_err(|e| e.to_string())?;
    Ok(Baseline { inputs })
}

/// Attaches to the window's page and gives it the binding, the page's script and
/// the origin; then loads it.
fn set_up(browser: &Chromium) -> Result<String, voltaic_chromium::CdpError> {
    let cdp = browser.cdp();
    let (_, session) = browser.attach_first_page(LIMIT)?;
    let script = format!("{BENCH_JS}\n{BASELINE_JS}");
    for (method, params) in [
        ("Page.enable", json!({})),
        ("Runtime.enable", json!({})),
        ("Runtime.addBinding", json!({ "name": "benchBinding" })),
        (
            "Fetch.enable",
            json!({ "patterns": [{ "urlPattern": format!("{ORIGIN}/*") }] }),
        ),
        (
            "Page.addScriptToEvaluateOnNewDocument",
            json!({ "source": script }),
        ),
    ] {
        cdp.call(Some(&session), method, params, LIMIT)?;
    }
    cdp.post(
        Some(&session),
        "Page.navigate",
        json!({ "url": format!("{ORIGIN}/") }),
    );
    Ok(session)
}

/// Answers the page until the process ends.
fn serve(browser: &Chromium, session: &str, taken: &mpsc::Receiver<Input>, done: &dyn Fn(String)) {
    let cdp = browser.cdp();
    let mut sends = 0u64;
    let evaluate = |expression: String| {
        cdp.post(
            Some(session),
            "Runtime.evaluate",
            json!({ "expression": expression }),
        );
    };
    while let Ok(input) = taken.recv() {
        let event = match input {
            Input::Again => {
                sends = 0;
                let url = format!("{ORIGIN}/");
                cdp.post(Some(session), "Page.navigate", json!({ "url": url }));
                continue;
            }
            Input::Event(event) => event,
        };
        let params = &event.params;
        match event.method.as_str() {
            "Runtime.bindingCalled" => {
                let payload = params["payload"].as_str().unwrap_or_default();
                let (kind, rest) = payload.split_at(payload.len().min(1));
                match kind {
                    "s" => sends += 1,
                    "i" | "c" => {
                        let (id, value) = rest.split_once(' ').unwrap_or((rest, "null"));
                        let value = if kind == "c" {
                            sends.to_string()
                        } else {
                            value.to_owned()
                        };
                        evaluate(format!("__baselineAnswer({id},{value})"));
                    }
                    "p" => {
                        // One evaluation per event, as the WebKit baseline does.
                        for _ in 0..rest.parse::<u32>().unwrap_or(0) {
                            evaluate("__baselinePush()".to_owned());
                        }
                    }
                    "r" => done(rest.to_owned()),
                    _ => {}
                }
            }
            "Fetch.requestPaused" => {
                let request = &params["request"];
                let url = request["url"].as_str().unwrap_or_default();
                // The echo's body goes back as it came: the entries are base64
                // already, which is what a fulfilled body is.
                let body = if url.ends_with("/echo") {
                    let entries = request["postDataEntries"].as_array();
                    match entries.map(Vec::as_slice) {
                        Some([one]) => one["bytes"].as_str().unwrap_or_default().to_owned(),
                        _ => String::new(),
                    }
                } else {
                    base64_of(b"<!DOCTYPE html><p>baseline</p>")
                };
                let content_type = if url.ends_with("/echo") {
                    "application/octet-stream"
                } else {
                    "text/html"
                };
                cdp.post(
                    Some(session),
                    "Fetch.fulfillRequest",
                    json!({
                        "requestId": params["requestId"],
                        "responseCode": 200,
                        "responseHeaders": [{ "name": "Content-Type", "value": content_type }],
                        "body": body,
                    }),
                );
            }
            _ => {}
        }
    }
}

fn base64_of(bytes: &[u8]) -> String {
    use base64::Engine as _;
    base64::engine::general_purpose::STANDARD.encode(bytes)
}
