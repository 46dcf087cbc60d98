//! Fuzz target: arbitrary bytes through the line buffer and the whole node, checked
//! against the serde_json oracle. Run with `cargo +nightly fuzz run node`.

#![no_main]
#![forbid(unsafe_code)]

#[path = "../../tests/common/oracle.rs"]
mod oracle;

#[path = "../../tests/common/fuzz_check.rs"]
mod fuzz_check;

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    fuzz_check::check(data);
});
