//! What echo-load's integration tests share: the `demo_node` example, built; a run of
//! echo-load against it in a folder, and the folder it names; `echo-load serve`.

#![allow(dead_code)] // each test file uses its part

use std::io::BufRead;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

pub use echo_test_support::demo_node;

/// echo-load's command.
const BIN: &str = env!("CARGO_BIN_EXE_echo-load");

/// Runs echo-load in `cwd` with `args` against the demo node: its status and stdout.
pub fn run_in(cwd: &Path, args: &[&str]) -> (Option<i32>, String) {
    let node = demo_node();
    let out = Command::new(BIN)
        .current_dir(cwd)
        .arg("--bin")
        .arg(&node)
        .args(["--quiet"])
        .args(args)
        .output()
        .expect("run echo-load");
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
    )
}

/// The folder the last line of a run's stdout names.
pub fn named_folder(cwd: &Path, stdout: &str) -> PathBuf {
    let last = stdout.lines().last().expect("a last line");
    let (_, folder) = last.rsplit_once(" in ").expect("'... in FOLDER'");
    cwd.join(folder)
}

/// A child process, ended when dropped (a failed test leaves nothing running).
pub struct Ended(std::process::Child);

impl Ended {
    /// The child's process id.
    pub fn id(&self) -> u32 {
        self.0.id()
    }
}

impl Drop for Ended {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// `echo-load serve` on a free port of 127.0.0.1: the child, and its address.
pub fn serve(store: &Path) -> (Ended, String) {
    let mut child = Command::new(BIN)
        .args(["serve", "--port", "0", "--store"])
        .arg(store)
        .stdout(Stdio::piped())
        .spawn()
        .expect("echo-load serve");
    let mut line = String::new();
    std::io::BufReader::new(child.stdout.take().expect("stdout"))
        .read_line(&mut line)
        .expect("its first line");
    let url = line
        .split_whitespace()
        .find(|w| w.starts_with("http://"))
        .unwrap_or_else(|| panic!("no address in {line:?}"))
        .trim_end_matches('/')
        .to_owned();
    (Ended(child), url)
}

/// A capacity search that ends within seconds: steps of 0.3 s, one run each, from 20,000
/// requests a second, with a p99 bound no step misses for latency alone.
pub const QUICK_CAPACITY: &[&str] = &[
    "--capacity",
    "--time-limit",
    "0.3",
    "--rate",
    "20000",
    "--capacity-repeats",
    "1",
    "--p99-max",
    "1000",
];

/// Holds `now` to the pinned text in `tests/FILE` (`what` names it in a failure): equal,
/// or the test fails at the first line that differs. With `ECHO_LOAD_PIN=write` in the
/// environment, `now` is written there instead, and the diff is then the change.
pub fn pinned(file: &str, now: &str, what: &str) {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests")
        .join(file);
    if std::env::var("ECHO_LOAD_PIN").as_deref() == Ok("write") {
        std::fs::write(&path, now).expect("write the pinned text");
        return;
    }
    let expected = std::fs::read_to_string(&path).expect("the pinned text");
    if now != expected {
        let first = now
            .lines()
            .zip(expected.lines())
            .position(|(a, b)| a != b)
            .unwrap_or(now.lines().count().min(expected.lines().count()));
        panic!(
            "{what} changed, first at line {}:\n  now:      {:?}\n  expected: {:?}\n\nnow, whole:\n{now}",
            first + 1,
            now.lines().nth(first),
            expected.lines().nth(first),
        );
    }
}

/// A right node in Python: a reply to each request, flushed as it is printed.
pub const RIGHT_PY: &str = r#"#!/usr/bin/env python3
import json, sys
node, n = None, 0
for line in sys.stdin:
    msg = json.loads(line)
    body = msg["body"]
    reply = {"in_reply_to": body["msg_id"], "msg_id": n}
    n += 1
    if body["type"] == "init":
        node = body["node_id"]
        reply["type"] = "init_ok"
    else:
        reply["type"] = "echo_ok"
        reply["echo"] = body["echo"]
    print(json.dumps({"src": node, "dest": msg["src"], "body": reply}), flush=True)
"#;

/// Writes `text` as the node `name` in `dir`, executable unless `executable` is false.
pub fn node(dir: &Path, name: &str, text: &str, executable: bool) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, text).expect("write the node");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = if executable { 0o755 } else { 0o644 };
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(mode)).expect("chmod");
    }
    path
}

/// A node in Python: [`RIGHT_PY`] with `from` replaced by `to`.
pub fn python(from: &str, to: &str) -> String {
    assert!(RIGHT_PY.contains(from), "{from}");
    RIGHT_PY.replace(from, to)
}

/// `text` with each run of whitespace (a wrapped line's end and indent) one space.
fn flat(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Whether `stdout` says `said`, however its lines were wrapped.
pub fn says(stdout: &str, said: &str) -> bool {
    flat(stdout).contains(&flat(said))
}

/// A new empty folder for a test: `echo-load-FILE-NAME-PID` in the temporary folder.
pub fn empty_folder(file: &str, name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("echo-load-{file}-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("test folder");
    dir
}
