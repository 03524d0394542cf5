//! The notes page's own unit tests (`web/app.test.mjs`), run with Node's test
//! runner: the page's code against the mock Voltaic generates from the Rust
//! declarations (`web/voltaic-mock.js`, checked current by `tests/typescript.rs`),
//! in jsdom, without the app.

use std::path::Path;
use std::process::Command;

#[test]
fn the_page_passes_its_unit_tests_on_the_generated_mock() {
    let web = Path::new(env!("CARGO_MANIFEST_DIR")).join("web");
    let jsdom = web.join("../../../tests/typescript/node_modules/jsdom");
    assert!(
        jsdom.exists(),
        "no jsdom at {}: run ./scripts/test, which installs it from npm",
        jsdom.display()
    );
    let output = Command::new("node")
        .arg("--test")
        .arg(web.join("app.test.mjs"))
        .output()
        .expect("node runs (is Node.js installed?)");
    let said = String::from_utf8_lossy(&output.stdout).into_owned()
        + &String::from_utf8_lossy(&output.stderr);
    assert!(
        output.status.success(),
        "the page's unit tests failed:\n{said}"
    );
    assert!(
        said.contains("# pass 4"),
        "not the four tests passing:\n{said}"
    );
}
