//! The notes contract, checked on the page's side with the real TypeScript compiler
//! (`tests/typescript`, installed from npm by `scripts/deps.sh`): the committed
//! `web/voltaic.d.ts` and the page's mock (`web/voltaic-mock.js`, `.d.ts`) are what
//! the declaration generates, a test using the mock is typed by it, a TypeScript page using the
//! API and a preload typed by channel compile, the example's own page (JavaScript
//! with `// @ts-check`) checks, and a page passing a wrong type does not compile.

use std::path::{Path, PathBuf};
use std::process::Command;

use voltaic::IpcMain;

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn declared() -> (tokio::runtime::Runtime, IpcMain) {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .build()
        .expect("a runtime");
    let ipc_main = IpcMain::new(runtime.handle().clone());
    notes::declare(&ipc_main).expect("the API declares");
    (runtime, ipc_main)
}

/// Runs `tsc` on `files` in a scratch directory holding the generated declarations;
/// returns whether it passed, and what it printed.
fn tsc(name: &str, files: &[(&str, PathBuf)], check_js: bool) -> (bool, String) {
    let tsc = repo().join("tests/typescript/node_modules/.bin/tsc");
    assert!(
        tsc.exists(),
        "no TypeScript compiler at {}: run ./scripts/test, which installs it from npm",
        tsc.display()
    );
    let dir = std::env::temp_dir().join(format!("voltaic-ts-{name}-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("a scratch directory");
    let (_runtime, ipc_main) = declared();
    ipc_main
        .write_page_files(&dir)
        .expect("the declarations and the mock");
    let mut names = vec!["voltaic.d.ts".to_owned(), "voltaic-mock.d.ts".to_owned()];
    for (file, source) in files {
        std::fs::copy(source, dir.join(file)).expect("a sample");
        names.push((*file).to_owned());
    }
    let base = repo().join("tests/typescript/tsconfig.json");
    let config = serde_json::json!({
        "extends": base.canonicalize().expect("the base tsconfig"),
        "compilerOptions": { "allowJs": check_js, "checkJs": check_js },
        "files": names,
    });
    std::fs::write(dir.join("tsconfig.json"), config.to_string()).expect("a tsconfig");
    let output = Command::new(&tsc)
        .arg("-p")
        .arg(&dir)
        .output()
        .expect("tsc runs (is Node.js installed?)");
    let _ = std::fs::remove_dir_all(&dir);
    let text = String::from_utf8_lossy(&output.stdout).into_owned()
        + &String::from_utf8_lossy(&output.stderr);
    (output.status.success(), text)
}

#[test]
fn the_committed_declarations_and_mock_are_current() {
    let (_runtime, ipc_main) = declared();
    for (name, generated) in [
        ("voltaic.d.ts", ipc_main.typescript()),
        ("voltaic-mock.js", ipc_main.page_mock()),
        ("voltaic-mock.d.ts", ipc_main.page_mock_types()),
    ] {
        let committed = std::fs::read_to_string(repo().join("examples/notes/web").join(name))
            .unwrap_or_else(|e| panic!("web/{name}: {e}"));
        assert!(
            committed == generated,
            "web/{name} is out of date: run `cargo run -p notes -- --write-types examples/notes/web/voltaic.d.ts`"
        );
    }
}

#[test]
fn the_page_mock_is_typed_by_the_declarations() {
    let samples = repo().join("tests/typescript");
    let (passed, output) = tsc("mock", &[("mock.ts", samples.join("mock.ts"))], false);
    assert!(
        passed,
        "tsc refused a test using the mock rightly:\n{output}"
    );
    let (passed, output) = tsc(
        "bad-mock",
        &[("bad-mock.ts", samples.join("bad-mock.ts"))],
        false,
    );
    assert!(!passed, "tsc accepted a mock of the wrong type:\n{output}");
    assert!(
        output.contains("bad-mock.ts(6,") && output.contains("TS2322"),
        "tsc refused it, but not for the wrong result of `add`:\n{output}"
    );
}

#[test]
fn a_typescript_page_and_a_preload_typed_by_channel_compile() {
    let samples = repo().join("tests/typescript");
    let (passed, output) = tsc("good", &[("good.ts", samples.join("good.ts"))], false);
    assert!(passed, "tsc refused the good sample:\n{output}");
}

#[test]
fn the_example_page_checks() {
    let page = repo().join("examples/notes/web/app.js");
    let (passed, output) = tsc("page", &[("app.js", page)], true);
    assert!(passed, "tsc refused the example's page:\n{output}");
}

#[test]
fn a_page_passing_a_wrong_type_does_not_compile() {
    let samples = repo().join("tests/typescript");
    let (passed, output) = tsc("bad", &[("bad.ts", samples.join("bad.ts"))], false);
    assert!(!passed, "tsc accepted the bad sample:\n{output}");
    assert!(
        output.contains("bad.ts(4,") && output.contains("TS2322"),
        "tsc refused it, but not for the wrong type of `title`:\n{output}"
    );
}
