//! What a run, a comparison and a capacity search print and write, pinned: the exit
//! status, the summary's lines, the names of the files in the folder, the keys of every
//! `results.json` with the words they hold, the lines of `results.edn`, and each page's
//! headings and links. What the machine's pace decides is masked, so that only what the
//! code decides is compared: each number is `#` (a run of them one `#`, and lines that
//! differ only in them one line), runs of spaces are one, warnings and notes about the
//! pace are left out, as are whether the driver lagged and a comparison's drift. A
//! capacity search's steps depend on the pace all through: of it, the summary's first and
//! last lines, the names of its files, the keys of its own `results.json` and its
//! verdict, and its page are compared.
//!
//! The expected shapes are in `tests/outputs/`. After a change meant to alter them,
//! `ECHO_LOAD_PIN=write cargo test -p echo-load --test outputs` writes them anew; the
//! diff is then the change.

mod support;

use std::collections::BTreeSet;
use std::fmt::Write as _;
use std::path::Path;

use serde_json::Value;
use support::{QUICK_CAPACITY, demo_node, run_in};

#[test]
fn a_run_prints_and_writes_what_it_did() {
    pinned(
        "run",
        Whole::Yes,
        &["--node-count", "1", "--time-limit", "0.5", "--rate", "100"],
    );
}

#[test]
fn a_comparison_prints_and_writes_what_it_did() {
    let node = demo_node();
    let node = node.to_str().expect("utf-8 path");
    pinned(
        "compare",
        Whole::Yes,
        &[
            "--bin",
            node,
            "--rounds",
            "2",
            "--node-count",
            "1",
            "--time-limit",
            "1",
            "--rate",
            "max",
        ],
    );
}

#[test]
fn a_capacity_search_prints_and_writes_what_it_did() {
    let mut args = QUICK_CAPACITY.to_vec();
    args.extend(["--node-count", "1"]);
    pinned("capacity", Whole::No, &args);
}

/// Whether the whole of a session's output is pinned, or only what its pace cannot move.
#[derive(Clone, Copy, PartialEq)]
enum Whole {
    Yes,
    No,
}

/// Keys whose values the machine's pace decides.
const PACED: [&str; 2] = ["driver_lagged", "drift"];

/// Runs echo-load with `args` into a folder of its own, and holds the shape of what it
/// printed and wrote to `tests/outputs/NAME.txt`.
fn pinned(name: &str, whole: Whole, args: &[&str]) {
    let cwd = std::env::temp_dir().join(format!("echo-load-pin-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&cwd);
    std::fs::create_dir_all(&cwd).expect("a folder");
    let mut all = args.to_vec();
    all.extend(["--out", "out"]);
    let (status, stdout) = run_in(&cwd, &all);
    let shape = shape(status, &stdout, &cwd.join("out"), whole);
    let _ = std::fs::remove_dir_all(&cwd);
    support::pinned(
        &format!("outputs/{name}.txt"),
        &shape,
        &format!("{name}: what it printed or wrote"),
    );
}

/// The shape of a session: its status, its summary, its files and what they hold.
fn shape(status: Option<i32>, stdout: &str, out: &Path, whole: Whole) -> String {
    let node = demo_node();
    let node = node.to_str().expect("utf-8 path");
    let mut s = format!("exit {status:?}\n\n# stdout\n");
    let stdout = stdout.replace(node, "NODE");
    let lines: Vec<&str> = stdout
        .lines()
        .filter(|l| !l.starts_with("warning:") && !l.starts_with("note:"))
        .collect();
    let lines = match whole {
        Whole::Yes => lines,
        Whole::No => [lines.first(), lines.last()]
            .into_iter()
            .flatten()
            .copied()
            .collect(),
    };
    push_lines(&mut s, lines.into_iter().map(mask));
    let mut files = BTreeSet::new();
    walk(out, out, &mut files);
    s.push_str("\n# files\n");
    push_lines(&mut s, files.iter().cloned());
    for file in &files {
        // A capacity search's steps are as its pace made them: its own files alone.
        if whole == Whole::No && file.contains('/') {
            continue;
        }
        let path = out.join(file.replace('#', "1"));
        let Ok(text) = std::fs::read_to_string(&path) else {
            continue;
        };
        let mut text = text.replace(node, "NODE");
        for key in PACED {
            for value in ["true", "false", "nil"] {
                text = text.replace(&format!(":{key} {value}"), &format!(":{key} PACED"));
            }
        }
        if file.ends_with("results.json") {
            let json: Value = serde_json::from_str(&text).expect("results.json is JSON");
            let mut keys = BTreeSet::new();
            keys_of(&json, String::new(), whole, &mut keys);
            let _ = writeln!(s, "\n# {file}");
            push_lines(&mut s, keys.into_iter());
        } else if file.ends_with("results.edn") {
            let _ = writeln!(s, "\n# {file}");
            push_lines(&mut s, text.lines().map(mask));
        } else if file.ends_with("index.html") {
            let _ = writeln!(s, "\n# {file}");
            push_lines(&mut s, page(&text).into_iter());
        }
    }
    s
}

/// Appends `lines`, each once where the same line comes again at once.
fn push_lines(s: &mut String, lines: impl Iterator<Item = String>) {
    let mut last = None;
    for line in lines {
        if last.as_ref() != Some(&line) {
            s.push_str(&line);
            s.push('\n');
            last = Some(line);
        }
    }
}

/// `line` with every number `#`, a run of numbers one `#`, and a run of spaces one.
fn mask(line: impl AsRef<str>) -> String {
    let mut out = String::new();
    let mut chars = line.as_ref().chars().peekable();
    while let Some(c) = chars.next() {
        if c.is_ascii_digit() {
            while chars
                .peek()
                .is_some_and(|c| c.is_ascii_digit() || matches!(c, '.' | ','))
            {
                chars.next();
            }
            out.push('#');
        } else if c == ' ' {
            while chars.peek() == Some(&' ') {
                chars.next();
            }
            out.push(c);
        } else {
            out.push(c);
        }
    }
    // A run of numbers (a vector, a row of figures) is one.
    for sep in [" ", ", ", " ± "] {
        let run = format!("#{sep}#");
        while out.contains(&run) {
            out = out.replace(&run, "#");
        }
    }
    out
}

/// The files under `dir`, as paths from `base`, numbers masked.
fn walk(base: &Path, dir: &Path, files: &mut BTreeSet<String>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            walk(base, &path, files);
        } else if let Ok(rel) = path.strip_prefix(base) {
            files.insert(mask(rel.to_string_lossy()));
        }
    }
}

/// Each key path of `value` with what it holds: its JSON type, or the word a string
/// holds when it has no digit and no `/` (a verdict, a mode, a unit), or `true`, `false`
/// and `null`; with `Whole::No`, the paths alone (an array's items unread) but for the
/// overall verdict. A value the pace decides ([`PACED`]) is `paced`.
fn keys_of(value: &Value, at: String, whole: Whole, keys: &mut BTreeSet<String>) {
    let paced = PACED.iter().any(|k| at.ends_with(&format!(".{k}")));
    if paced {
        keys.insert(format!("{at}: paced"));
        return;
    }
    if whole == Whole::No && at != ".outcome" {
        match value {
            Value::Object(map) => {
                for (k, v) in map {
                    keys_of(v, format!("{at}.{k}"), whole, keys);
                }
            }
            Value::Array(_) => {
                keys.insert(format!("{at}[]"));
            }
            _ => {
                keys.insert(at);
            }
        }
        return;
    }
    match value {
        Value::Object(map) => {
            for (k, v) in map {
                keys_of(v, format!("{at}.{k}"), whole, keys);
            }
        }
        Value::Array(items) => {
            if items.is_empty() {
                keys.insert(format!("{at}[]: empty"));
            }
            for item in items {
                keys_of(item, format!("{at}[]"), whole, keys);
            }
        }
        Value::String(text) if !text.contains(|c: char| c.is_ascii_digit() || c == '/') => {
            keys.insert(format!("{at}: {text:?}"));
        }
        Value::String(_) => {
            keys.insert(format!("{at}: string"));
        }
        Value::Number(_) => {
            keys.insert(format!("{at}: number"));
        }
        Value::Bool(b) => {
            keys.insert(format!("{at}: {b}"));
        }
        Value::Null => {
            keys.insert(format!("{at}: null"));
        }
    }
}

/// A page's title, headings, verdict and links, numbers masked.
fn page(html: &str) -> Vec<String> {
    let mut found = Vec::new();
    for (open, close) in [
        ("<title>", "</title>"),
        ("<h1>", "</h1>"),
        ("<h2>", "</h2>"),
        ("class=\"verdict\"", "<"),
        ("href=\"", "\""),
        ("src=\"", "\""),
    ] {
        let mut rest = html;
        while let Some(i) = rest.find(open) {
            let after = &rest[i + open.len()..];
            let end = after.find(close).unwrap_or(after.len());
            found.push(format!("{open} {}", mask(&after[..end])));
            rest = &after[end..];
        }
    }
    found
}
