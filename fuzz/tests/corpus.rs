//! Replays the fuzz corpus (`corpus/dispatch/`: the seeds, and what fuzzing found
//! worth keeping) through the harness on stable Rust, so that CI catches a decoder
//! that panics on any input the fuzzer has seen. Also checks that the seeds still
//! hold one message of every kind and every wire value form.

use std::path::PathBuf;

fn corpus() -> Vec<(String, Vec<u8>)> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("corpus/dispatch");
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|entry| entry.expect("a corpus entry").path())
        .filter(|path| path.is_file())
        .map(|path| {
            let name = path
                .file_name()
                .unwrap_or_default()
                .to_string_lossy()
                .into_owned();
            let data = std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
            (name, data)
        })
        .collect();
    files.sort();
    files
}

#[test]
fn every_corpus_input_runs_without_a_crash() {
    let corpus = corpus();
    assert!(!corpus.is_empty(), "the corpus is empty");
    for (name, data) in &corpus {
        let outcome = std::panic::catch_unwind(|| voltaic_fuzz::run(data));
        assert!(
            outcome.is_ok(),
            "corpus input {name} crashed the main process"
        );
    }
}

#[test]
fn the_seeds_cover_every_message_kind_and_wire_form() {
    let seeds: String = corpus()
        .into_iter()
        .filter(|(name, _)| name.starts_with("seed-"))
        .map(|(_, data)| String::from_utf8_lossy(&data).into_owned())
        .collect();
    let kinds = [
        "send",
        "invoke",
        "sendSync",
        "batch",
        "console",
        "port",
        "port-close",
        "exposed-ipc-renderer",
    ];
    let forms = [
        "undefined",
        "number",
        "bigint",
        "date",
        "regexp",
        "bytes",
        "typed",
        "sparse",
        "object",
        "map",
        "set",
        "error",
        "ref",
    ];
    let entries = ["dispatch", "invoke ", "sync"];
    let missing: Vec<String> = kinds
        .iter()
        .filter(|kind| !seeds.contains(&format!("\"t\":\"{kind}\"")))
        .map(|kind| format!("message kind {kind}"))
        .chain(
            forms
                .iter()
                .filter(|form| !seeds.contains(&format!("\"$\":\"{form}\"")))
                .map(|form| format!("wire form {form}")),
        )
        .chain(
            entries
                .iter()
                .filter(|entry| !seeds.lines().any(|l| l.starts_with(*entry)))
                .map(|entry| format!("entry point {}", entry.trim())),
        )
        .collect();
    assert!(missing.is_empty(), "no seed has: {missing:?}");
}
