//! libFuzzer target: arbitrary bytes through the main process's three transport
//! entry points (see `voltaic_fuzz`). Run it with `./scripts/fuzz [seconds]`.

#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| voltaic_fuzz::run(data));
