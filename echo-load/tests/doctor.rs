//! `echo-load doctor`, against the small nodes people write first, in Python and shell:
//! a right one passes (exit 0), and each common mistake is named with what to change
//! (exit 1).

#![forbid(unsafe_code)]

mod support;

use support::{RIGHT_PY, node, python, says};

use std::path::{Path, PathBuf};
use std::process::Command;

const BIN: &str = env!("CARGO_BIN_EXE_echo-load");

/// A new empty folder for a test.
fn folder(name: &str) -> PathBuf {
    support::empty_folder("doctor", name)
}

/// `echo-load doctor` of `node` in `dir`: its exit status and stdout. Python's output is
/// left as Python leaves it when not told otherwise: buffered, to a pipe.
fn doctor(dir: &Path, node: &Path) -> (Option<i32>, String) {
    let out = Command::new(BIN)
        .current_dir(dir)
        .args(["doctor", "--bin"])
        .arg(node)
        .env_remove("PYTHONUNBUFFERED")
        .output()
        .expect("run echo-load doctor");
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
    )
}

#[test]
fn a_right_node_is_right() {
    let dir = folder("right");
    for right in [node(&dir, "right.py", RIGHT_PY, true), support::demo_node()] {
        let (code, stdout) = doctor(&dir, &right);
        assert_eq!(code, Some(0), "{stdout}");
        for said in [
            "1. Can it be started?",
            "ok    started, and waits for its input",
            "ok    init_ok as expected",
            "ok    echo_ok as expected",
            "1 client, 200 requests a second for 1 s: valid",
            "10 clients, as fast as it answers, for 1 s: valid",
            "Right: ",
        ] {
            assert!(says(&stdout, said), "{said}: {stdout}");
        }
        assert!(!stdout.contains("FIX"), "{stdout}");
    }
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn each_common_mistake_is_named_with_what_to_change() {
    let dir = folder("mistakes");
    let init_ok = r#"{"src":"n1","dest":"c0","body":{"type":"init_ok","in_reply_to":1}}"#;
    // Each node, and what the doctor must say of it.
    let cases: Vec<(&str, String, bool, &[&str])> = vec![
        (
            "buffered.py",
            python(", flush=True)", ")"),
            true,
            &["answered once its input ended", "flush=True", "readlines()"],
        ),
        (
            "reads-all.py",
            python(
                "for line in sys.stdin:",
                "for line in sys.stdin.readlines():",
            ),
            true,
            &["answered once its input ended"],
        ),
        (
            "to-itself.py",
            python(r#""dest": msg["src"]"#, r#""dest": node"#),
            true,
            &[r#"dest is "n1", the node itself: a reply goes back to the request's src, "c0""#],
        ),
        (
            "logs.py",
            python(
                "for line in sys.stdin:",
                "print('starting', flush=True)\nfor line in sys.stdin:",
            ),
            true,
            &["got       starting", "Write logs to stderr"],
        ),
        (
            "changed.py",
            python(
                r#"reply["echo"] = body["echo"]"#,
                r#"reply["echo"] = body["echo"].upper()"#,
            ),
            true,
            &[
                r#"body.echo is "HELLO": echo_ok carries the request's echo back as it came, "hello""#,
            ],
        ),
        (
            "crashes.py",
            "#!/usr/bin/env python3\nraise SystemExit('no config file found')\n".to_owned(),
            true,
            &["exited with status 1", "no config file found"],
        ),
        (
            "windows.py",
            RIGHT_PY.replace('\n', "\r\n"),
            true,
            &["Windows line end"],
        ),
        (
            "not-executable.py",
            RIGHT_PY.to_owned(),
            false,
            &["is not executable: make it so with `chmod +x"],
        ),
        (
            "no-interpreter.py",
            RIGHT_PY.replace("#!/usr/bin/env python3", "#!/no/such/python3"),
            true,
            &["names /no/such/python3 as its interpreter, and there is none here"],
        ),
        (
            "unended.sh",
            format!("#!/bin/sh\nread line\nprintf '%s' '{init_ok}'\nsleep 30\n"),
            true,
            &["printed 66 bytes and never ended the line"],
        ),
        (
            "no-reply-to.sh",
            format!(
                "#!/bin/sh\nread line\necho '{}'\nsleep 30\n",
                init_ok.replace(r#","in_reply_to":1"#, "")
            ),
            true,
            &[
                "body has no in_reply_to: a reply names the request it answers by its msg_id, here 1",
            ],
        ),
        (
            "silent.sh",
            "#!/bin/sh\nexec sleep 30\n".to_owned(),
            true,
            &["answered nothing within 5 s, nor when its input ended"],
        ),
    ];
    std::thread::scope(|scope| {
        let dir = &dir;
        for (name, text, executable, expected) in &cases {
            scope.spawn(move || {
                let path = node(dir, name, text, *executable);
                let (code, stdout) = doctor(dir, &path);
                assert_eq!(code, Some(1), "{name}: {stdout}");
                for said in *expected {
                    assert!(says(&stdout, said), "{name}: {said}: {stdout}");
                }
                assert!(stdout.contains("Not right yet"), "{name}: {stdout}");
            });
        }
    });
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn a_node_that_breaks_only_under_load_is_caught_by_the_runs() {
    // Right for its first 1,000 messages, then it changes each echo: the sample and the
    // gentle run (200 requests) pass, the run at full speed does not.
    let dir = folder("load");
    let late = node(
        &dir,
        "late.py",
        &python(
            r#"reply["echo"] = body["echo"]"#,
            r#"reply["echo"] = body["echo"] if n < 1000 else body["echo"].upper()"#,
        ),
        true,
    );
    let (code, stdout) = doctor(&dir, &late);
    assert_eq!(code, Some(1), "{stdout}");
    for said in [
        "ok    echo_ok as expected",
        "1 client, 200 requests a second for 1 s: valid",
        "FIX   10 clients, as fast as it answers, for 1 s: not valid, as Maelstrom judges",
        "FIX   n1 sent back an echo other than the request's",
    ] {
        assert!(says(&stdout, said), "{said}: {stdout}");
    }
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn a_name_found_nowhere_is_said_to_be_nowhere() {
    let dir = folder("nowhere");
    let (code, stdout) = doctor(&dir, Path::new("no-such-node-anywhere"));
    assert_eq!(code, Some(1), "{stdout}");
    assert!(
        says(
            &stdout,
            "there is no file no-such-node-anywhere in this folder, and no program"
        ),
        "{stdout}"
    );
    let _ = std::fs::remove_dir_all(&dir);
}
