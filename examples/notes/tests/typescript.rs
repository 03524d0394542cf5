//! The notes contract, checked on the page's side with the real TypeScript compiler
//! (`tests/typescript`, installed from npm by `scripts/deps.sh`): the committed
//! `web/voltaic.d.ts` is what the declaration generates, a TypeScript page using the
//! API and a preload typed by channel compile, the example's own page (JavaScript
//! with `// @ts-check`) checks, and a page passing a wrong type does not compile.

use std::path::{Path, PathBuf};
use std::process::Command;

use voltaic::IpcMain;

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn generated() -> String {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .build()
        .expect("a runtime");
    let ipc_main = IpcMain::new(runtime.handle().clone());
    notes::declare(&ipc_main).expect("the API declares");
    ipc_main.typescript()
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
    std::fs::write(dir.join("voltaic.d.ts"), generated()).expect("the declarations");
    let mut names = vec!["voltaic.d.ts".to_owned()];
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
fn the_committed_declarations_are_current() {
    let committed = std::fs::read_to_string(repo().join("examples/notes/web/voltaic.d.ts"))
        .expect("web/voltaic.d.ts");
    assert!(
        committed == generated(),
        "web/voltaic.d.ts is out of date: run `cargo run -p notes -- --write-types examples/notes/web/voltaic.d.ts`"
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
