//! Every input in tests/fuzz_regressions/ (inputs with which the fuzzer found a bug)
//! and every transcript input, run through the fuzz target's own check.

#![forbid(unsafe_code)]

mod common;

use std::fs;
use std::path::Path;

#[test]
fn fuzz_regressions_and_transcripts_pass_the_fuzz_check() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut count = 0;
    for dir in ["tests/fuzz_regressions", "tests/transcripts"] {
        for entry in fs::read_dir(root.join(dir)).expect("directory") {
            let path = entry.expect("entry").path();
            let name = path
                .file_name()
                .and_then(|n| n.to_str())
                .unwrap_or_default();
            if name.ends_with(".md") || (dir == "tests/transcripts" && !name.ends_with(".in")) {
                continue;
            }
            let data = fs::read(&path).expect("read");
            if dir == "tests/transcripts" {
                // Each transcript under several configurations.
                for config in [0x80u8, 0x81, 0x7e, 0x10] {
                    for sizes in [0u8, 0x47, 0xff] {
                        let mut input = vec![config, sizes];
                        input.extend_from_slice(&data);
                        common::fuzz_check::check(&input);
                    }
                }
            } else {
                common::fuzz_check::check(&data);
            }
            count += 1;
        }
    }
    assert!(count >= 18, "inputs found: {count}");
}
