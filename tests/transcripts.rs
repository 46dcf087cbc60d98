//! Transcript regression tests: every `tests/transcripts/NAME.in` goes through the node in
//! both flush modes, and its stdout must equal `NAME.out` as JSON values, line by line.

#![forbid(unsafe_code)]

mod common;

use std::fs;
use std::path::{Path, PathBuf};

use common::{FLUSH_MODES, check_reply_shape, json, lines, run_node};

fn transcripts() -> Vec<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/transcripts");
    let mut inputs: Vec<PathBuf> = fs::read_dir(&dir)
        .expect("tests/transcripts exists")
        .map(|e| e.expect("directory entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == "in"))
        .collect();
    inputs.sort();
    inputs
}

fn check(input_path: &Path, flush: &str) -> Result<(), String> {
    let name = input_path
        .file_stem()
        .and_then(|s| s.to_str())
        .unwrap_or("?");
    let input = fs::read(input_path).map_err(|e| e.to_string())?;
    let expected =
        fs::read(input_path.with_extension("out")).map_err(|e| format!("{name}.out: {e}"))?;
    let extra = fs::read_to_string(input_path.with_extension("args")).unwrap_or_default();
    let mut args = vec!["--flush", flush];
    args.extend(extra.split_whitespace());
    let output = run_node(&args, &input);
    if !output.status.success() {
        return Err(format!("{name} [{flush}]: exit {:?}", output.status));
    }
    let got = lines(&output.stdout);
    let want = lines(&expected);
    if got.len() != want.len() {
        return Err(format!(
            "{name} [{flush}]: {} replies, expected {}:\n{}",
            got.len(),
            want.len(),
            String::from_utf8_lossy(&output.stdout)
        ));
    }
    for (i, (g, w)) in got.iter().zip(&want).enumerate() {
        let g = check_reply_shape(g);
        let w = json(w);
        if g != w {
            return Err(format!(
                "{name} [{flush}] reply {}:\n got  {g}\n want {w}",
                i + 1
            ));
        }
    }
    if let Ok(expected_err) = fs::read_to_string(input_path.with_extension("err")) {
        let stderr = String::from_utf8_lossy(&output.stderr);
        let got: Vec<&str> = stderr.lines().collect();
        let want: Vec<&str> = expected_err.lines().collect();
        let matched = got.len() == want.len() && got.iter().zip(&want).all(|(g, w)| g.contains(w));
        if !matched {
            return Err(format!(
                "{name} [{flush}] stderr:\n{stderr}\nexpected lines containing:\n{expected_err}"
            ));
        }
    }
    Ok(())
}

#[test]
fn every_transcript_in_both_flush_modes() {
    let inputs = transcripts();
    assert!(inputs.len() >= 16, "transcripts missing: {}", inputs.len());
    let failures: Vec<String> = inputs
        .iter()
        .flat_map(|p| FLUSH_MODES.iter().map(move |f| (p, f)))
        .filter_map(|(p, f)| check(p, f).err())
        .collect();
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}

#[test]
fn the_reference_sample_is_byte_for_byte_the_expected_messages() {
    // The shared sample: same values, and our output is compact JSON in the same key order.
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/transcripts");
    let output = run_node(&[], &fs::read(dir.join("echo-sample.in")).expect("sample"));
    assert_eq!(
        String::from_utf8_lossy(&output.stdout),
        "{\"src\":\"n1\",\"dest\":\"c0\",\"body\":{\"type\":\"init_ok\",\"in_reply_to\":1,\"msg_id\":0}}\n\
         {\"src\":\"n1\",\"dest\":\"c1\",\"body\":{\"type\":\"echo_ok\",\"echo\":\"hello\",\"in_reply_to\":2,\"msg_id\":1}}\n"
    );
}
