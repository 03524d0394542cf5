//! The notes page's own unit tests (`web/app.test.mjs`), run with Node's test
//! runner: the page's code against the mock Voltaic generates from the Rust
//! declarations (`web/voltaic-mock.js`, checked current by `tests/typescript.rs`),
//! in jsdom, without the app.

use std::io::Read;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Duration;

#[test]
fn the_page_passes_its_unit_tests_on_the_generated_mock() {
    let web = Path::new(env!("CARGO_MANIFEST_DIR")).join("web");
    let jsdom = web.join("../../../tests/typescript/node_modules/jsdom");
    assert!(
        jsdom.exists(),
        "no jsdom at {}: run ./scripts/test, which installs it from npm",
        jsdom.display()
    );
    let mut node = Command::new("node")
        .arg("--test")
        .arg(web.join("app.test.mjs"))
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("node runs (is Node.js installed?)");
    // Read on threads, so that the wait below is bounded whatever node does.
    let out = read_all(node.stdout.take());
    let err = read_all(node.stderr.take());
    let status = voltaic_test::wait_bounded(&mut node, Duration::from_secs(120))
        .expect("the page's unit tests did not finish within 120 s");
    let said = out.join().unwrap_or_default() + &err.join().unwrap_or_default();
    assert!(status.success(), "the page's unit tests failed:\n{said}");
    let count = |key: &str| {
        said.lines()
            .find_map(|line| line.strip_prefix(key)?.trim().parse::<u32>().ok())
    };
    assert_eq!(count("# fail "), Some(0), "{said}");
    assert!(
        count("# pass ").is_some_and(|passed| passed >= 4),
        "the page's tests did not run:\n{said}"
    );
}

/// Reads `stream` to its end on a thread of its own.
fn read_all(stream: Option<impl Read + Send + 'static>) -> std::thread::JoinHandle<String> {
    std::thread::spawn(move || {
        let mut text = String::new();
        if let Some(mut stream) = stream {
            let _ = stream.read_to_string(&mut text);
        }
        text
    })
}
