//! A failed run says what to fix first: for each common mistake of a first node (in
//! Python and shell), the summary opens with it, in the node's terms, before any figure
//! (and figures that measured nothing are left out); `results.json` carries it as
//! `diagnosis`, and the run's page shows it first. A valid run has none.

mod support;

use support::{RIGHT_PY, node, python, says};

use std::path::{Path, PathBuf};
use std::process::Command;

const BIN: &str = env!("CARGO_BIN_EXE_echo-load");

/// A new empty folder for a test.
fn folder(name: &str) -> PathBuf {
    support::empty_folder("diagnosis", name)
}

/// A short run of `node` with its outputs in `out`: exit status, stdout and stderr.
/// Python's output is buffered, as it is when not told otherwise.
fn run(dir: &Path, node: &Path, out: &Path) -> (Option<i32>, String, String) {
    let output = Command::new(BIN)
        .current_dir(dir)
        .arg("--bin")
        .arg(node)
        .args([
            "--node-count",
            "1",
            "--rate",
            "20",
            "--time-limit",
            "1",
            "--quiet",
        ])
        .arg("--out")
        .arg(out)
        .env_remove("PYTHONUNBUFFERED")
        .output()
        .expect("run echo-load");
    (
        output.status.code(),
        String::from_utf8_lossy(&output.stdout).into_owned(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

#[test]
fn a_failed_run_opens_with_what_to_fix() {
    let dir = folder("mistakes");
    let init_ok = r#"{"src":"n0","dest":"c0","body":{"type":"init_ok","in_reply_to":1}}"#;
    // Each node, and what its run's summary must open with.
    let cases: Vec<(&str, String, &[&str])> = vec![
        (
            "buffered.py",
            python(", flush=True)", ")"),
            &[
                "n0 answered nothing during the run, and printed",
                "once its stdin was closed at the end",
                "flush=True",
            ],
        ),
        (
            "to-itself.py",
            python(r#""dest": msg["src"]"#, r#""dest": node"#),
            &["n0 sent a reply (a message with in_reply_to) to n0, itself"],
        ),
        (
            "logs.py",
            python(
                "for line in sys.stdin:",
                "print('starting', flush=True)\nfor line in sys.stdin:",
            ),
            &["n0 printed `starting` on stdout", "write logs to stderr"],
        ),
        (
            "windows.py",
            RIGHT_PY.replace('\n', "\r\n"),
            &["first line ends with a Windows line end"],
        ),
        (
            "crashes.py",
            "#!/usr/bin/env python3\nraise SystemExit('no config file found')\n".to_owned(),
            &["n0 exited with status 1 during the run; its stderr ends `no config file found`"],
        ),
        (
            "changed.py",
            python(
                r#"reply["echo"] = body["echo"]"#,
                r#"reply["echo"] = body["echo"].upper()"#,
            ),
            &["n0 sent back an echo other than the request's"],
        ),
        (
            "no-reply-to.py",
            python(r#"reply = {"in_reply_to": body["msg_id"], "msg_id": n}"#, r#"reply = {"msg_id": n} if body["type"] == "echo" else {"in_reply_to": body["msg_id"]}"#),
            &["n0's reply answered no request (c1 skipped a message with no in_reply_to", "a reply's in_reply_to is the msg_id of the request it answers"],
        ),
        (
            "unknown-dest.py",
            python(r#""dest": msg["src"]"#, r#""dest": "client""#),
            &[r#"n0 sent a message whose dest is "client", which is no node and no client"#],
        ),
        (
            "no-echo.py",
            python(r#"reply["echo"] = body["echo"]"#, "pass"),
            &["n0's reply to an echo is not Maelstrom's echo_ok (echo_ok without echo)"],
        ),
        (
            "init-no-reply-to.sh",
            "#!/bin/sh\nread line\necho '{\"src\":\"n0\",\"dest\":\"c0\",\"body\":{\"type\":\"init_ok\"}}'\nsleep 30\n".to_owned(),
            &["n0 did not answer init within 10 s (a message it sent init's client answered no init"],
        ),
        (
            "unended.sh",
            format!("#!/bin/sh\nread line\nprintf '%s' '{init_ok}'\nsleep 30\n"),
            &["n0 printed 66 bytes that no line end followed"],
        ),
    ];
    std::thread::scope(|scope| {
        let dir = &dir;
        for (name, text, expected) in &cases {
            scope.spawn(move || {
                let path = node(dir, name, text, true);
                let out = dir.join(format!("out-{name}"));
                let (code, stdout, stderr) = run(dir, &path, &out);
                assert!(matches!(code, Some(1 | 4)), "{name}: {stdout}{stderr}");
                let mut lines = stdout.lines();
                let _run = lines.next();
                assert_eq!(lines.next(), Some("what to fix:"), "{name}: {stdout}");
                let fix: String = stdout.split("\nok ").next().unwrap_or("").to_owned();
                for said in *expected {
                    assert!(says(&fix, said), "{name}: {said}: {stdout}");
                }
                if stdout.contains("requests: due 0  sent 0 ") {
                    // Nothing was sent: no rate, latency or CPU figures of nothing.
                    for absent in ["rates:", "latency from", "service time", "cpu per request"] {
                        assert!(!stdout.contains(absent), "{name}: {absent}: {stdout}");
                    }
                }
                let json: serde_json::Value = serde_json::from_str(
                    &std::fs::read_to_string(out.join("results.json")).expect("results.json"),
                )
                .expect("results.json is JSON");
                let diagnosis = json["diagnosis"].as_array().expect("diagnosis");
                assert!(
                    diagnosis
                        .iter()
                        .any(|d| says(d.as_str().unwrap_or(""), expected[0])),
                    "{name}: {diagnosis:?}"
                );
                let page = std::fs::read_to_string(out.join("index.html")).expect("index.html");
                let (shown, summary) = (page.find("id=\"diagnosis\""), page.find("id=\"summary\""));
                assert!(
                    shown.is_some() && shown < summary,
                    "{name}: the diagnosis first on the page"
                );
            });
        }
    });
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn a_valid_run_has_nothing_to_fix_and_a_node_that_cannot_start_says_why() {
    let dir = folder("valid");
    let right = node(&dir, "right.py", RIGHT_PY, true);
    let out = dir.join("out");
    let (code, stdout, stderr) = run(&dir, &right, &out);
    assert_eq!(code, Some(0), "{stdout}{stderr}");
    assert!(!stdout.contains("what to fix"), "{stdout}");
    let page = std::fs::read_to_string(out.join("index.html")).expect("index.html");
    assert!(!page.contains("id=\"diagnosis\""));
    // The doctor's command, as a run that answered nothing gives it: the node's
    // arguments too.
    let crashes = node(
        &dir,
        "crashes.py",
        "#!/usr/bin/env python3\nraise SystemExit('no config file found')\n",
        true,
    );
    let output = Command::new(BIN)
        .current_dir(&dir)
        .arg("--bin")
        .arg(&crashes)
        .args(["--node-count", "1", "--time-limit", "1", "--quiet", "--out"])
        .arg(dir.join("out3"))
        .args(["--", "--config", "a b"])
        .output()
        .expect("run echo-load");
    let stdout = String::from_utf8_lossy(&output.stdout);
    let command = format!(
        "`echo-load doctor --bin {} -- --config 'a b'`",
        crashes.display()
    );
    assert!(says(&stdout, &command), "{command}: {stdout}");
    // A node whose interpreter is not here: the file's own terms, not only the system's.
    let missing = node(
        &dir,
        "missing.py",
        &RIGHT_PY.replace("#!/usr/bin/env python3", "#!/no/such/python3"),
        true,
    );
    let (code, stdout, stderr) = run(&dir, &missing, &dir.join("out2"));
    assert_eq!(code, Some(2), "{stdout}{stderr}");
    assert!(
        says(
            &stderr,
            "names /no/such/python3 as its interpreter, and there is none here"
        ),
        "{stderr}"
    );
    let _ = std::fs::remove_dir_all(&dir);
}
