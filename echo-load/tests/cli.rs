//! The `echo-load` command line, against nodes written for these tests: one in `sed`
//! (it answers Maelstrom's own requests correctly: echo-load drives any binary), and one
//! that prints garbage. echo-node itself is driven in the node's tests/load.rs.

#![forbid(unsafe_code)]

mod support;

use std::path::PathBuf;
use std::process::Command;

const BIN: &str = env!("CARGO_BIN_EXE_echo-load");

/// Writes `script` as an executable node into a temporary directory.
fn node(name: &str, script: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("echo-load-cli-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let path = dir.join(name);
    std::fs::write(&path, format!("#!/bin/sh\n{script}\n")).expect("script");
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).expect("chmod");
    path
}

/// sed's switch for line-at-a-time output: GNU's `-u`, or the BSDs' and macOS's `-l`.
fn sed_unbuffered() -> &'static str {
    let gnu = Command::new("sed")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success());
    if gnu { "-u" } else { "-l" }
}

/// An echo node in sed (POSIX expressions): init -> init_ok, echo -> echo_ok, for
/// Maelstrom's key order.
fn sed_node() -> String {
    format!(
        r#"exec sed {} \
  -e 's/^{{"id":[0-9]*,"src":"\([^"]*\)","dest":"\([^"]*\)","body":{{"type":"init",.*"msg_id":\([0-9]*\)}}}}$/{{"src":"\2","dest":"\1","body":{{"type":"init_ok","in_reply_to":\3}}}}/' \
  -e 's/^{{"id":[0-9]*,"src":"\([^"]*\)","dest":"\([^"]*\)","body":{{"echo":\(.*\),"type":"echo","msg_id":\([0-9]*\)}}}}$/{{"src":"\2","dest":"\1","body":{{"type":"echo_ok","echo":\3,"in_reply_to":\4}}}}/'"#,
        sed_unbuffered()
    )
}

#[test]
fn a_valid_run_exits_0_and_prints_the_summary() {
    let bin = node("sed-node", &sed_node());
    let out = echo_load_command()
        .args(["--bin", bin.to_str().expect("utf-8 path")])
        .args([
            "--node-count",
            "2",
            "--concurrency",
            "3n",
            "--rate",
            "max",
            "--time-limit",
            "1",
            "--payload",
            "mixed",
            "--quiet",
        ])
        .output()
        .expect("run");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        stdout.contains("2 nodes (")
            && stdout
                .contains("), 6 clients, closed loop, mixed payload, 1 s; Maelstrom's verdict"),
        "{stdout}"
    );
    assert!(stdout.contains("timed out 0"), "{stdout}");
    assert!(verdict_then_store(&stdout, "valid? true"), "{stdout}");
    assert!(
        out.stderr.is_empty(),
        "--quiet: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn an_invalid_run_exits_1_with_the_reason() {
    // It answers init, then prints a line Maelstrom cannot read: Maelstrom reads no more
    // of it, and its requests time out.
    let bin = node(
        "garbage-node",
        r#"read line; printf '{"src":"n0","dest":"c0","body":{"type":"init_ok","in_reply_to":1}}\n'; echo "not JSON"; cat > /dev/null"#,
    );
    let out = echo_load_command()
        .args([
            "--bin",
            bin.to_str().expect("utf-8 path"),
            "--node-count",
            "1",
            "--rate",
            "max",
            "--time-limit",
            "1",
            "--timeout",
            "300",
            "--quiet",
        ])
        .output()
        .expect("run");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{stdout}");
    assert!(
        stdout.contains(
            "n0 stdout line 2: not a Maelstrom message: expected '{' at byte 1: not JSON"
        ),
        "{stdout}"
    );
    assert!(verdict_then_store(&stdout, "valid? false"), "{stdout}");
}

#[test]
fn progress_goes_to_stderr_as_plain_lines_when_it_is_not_a_terminal() {
    let bin = node("sed-node-2", &sed_node());
    let out = echo_load_command()
        .args([
            "--bin",
            bin.to_str().expect("utf-8 path"),
            "--time-limit",
            "2.5",
        ])
        .output()
        .expect("run");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success());
    let lines: Vec<&str> = stderr.lines().collect();
    assert!(lines.len() >= 2, "about one line a second: {stderr}");
    assert!(
        lines
            .iter()
            .all(|l| l.starts_with("echo-load: ") && l.contains(" requests, ")),
        "{stderr}"
    );
}

#[test]
fn usage() {
    let help = echo_load_command().arg("--help").output().expect("run");
    assert!(help.status.success());
    let text = String::from_utf8_lossy(&help.stdout);
    assert!(
        text.contains("Exit status: 0 when the run is valid"),
        "--help lists the exit statuses"
    );
    // Every option is in the help: its list of options is made from the table of flags.
    for flag in ["--bin", "--capacity", "--quiet"] {
        assert!(text.contains(flag), "--help mentions {flag}");
    }
    let sed = node("usage-node", &sed_node());
    let sed = sed.to_str().expect("utf-8 path");
    let not_executable = sed.replace("usage-node", "not-executable");
    std::fs::write(&not_executable, "#!/bin/sh\n").expect("write");
    for (bad, says) in [
        (&[][..], "--bin PATH is required"),
        (
            &["--bin", sed, "--concurrency", "0"],
            "--concurrency: 0 is out of range: 1 to 1000000",
        ),
        (
            &["--bin", sed, "--concurrency", "0n"],
            "--concurrency: 0 is out of range",
        ),
        (
            &["--bin", sed, "--concurrency", "1000000000"],
            "--concurrency: 1000000000 is out of range",
        ),
        (
            &["--bin", sed, "--concurrency", "x"],
            "--concurrency: 'x' is neither",
        ),
        (
            &["--bin", sed, "--rate", "-1"],
            "--rate: -1 is out of range",
        ),
        (
            &["--bin", sed, "--rate", "1e-300"],
            "--rate: 1e-300 is out of range",
        ),
        (
            &["--bin", sed, "--rate", "abc"],
            "--rate: 'abc' is neither a number of requests a second nor max",
        ),
        (
            &["--bin", sed, "--time-limit", "0"],
            "--time-limit: 0 is out of range: 0.001 to 1000000 seconds",
        ),
        (
            &["--bin", sed, "--time-limit", "1e19"],
            "--time-limit: 1e19 is out of range",
        ),
        (
            &["--bin", sed, "--timeout", "0"],
            "--timeout: 0 is out of range: 1 to 3600000 ms",
        ),
        (
            &["--bin", sed, "--payload", "huge"],
            "--payload: 'huge' is not a payload",
        ),
        (
            &["--bin", sed, "--payload", "string:10000000000"],
            "string:BYTES takes 0 to 67107840",
        ),
        (
            &["--bin", sed, "--node-count", "0"],
            "--node-count: 0 is out of range: 1 to 100000",
        ),
        (
            &["--bin", sed, "--node-count", "9223372036854775808"],
            "--node-count: 9223372036854775808 is out of range",
        ),
        (
            &["--bin", sed, "extra", "--quiet", "--time-limit", "1"],
            "unexpected word 'extra': the node's arguments go after '--'",
        ),
        (&["--bin", sed, "-V", "extra"], "unexpected word 'extra'"),
        (
            &["--bin", sed, "--flush", "batch"],
            "'--flush' is an option of the node, not of echo-load: node options go after '--'",
        ),
        (&["--bin"], "--bin: missing its value"),
        (
            &["--bin", "no-such-node-anywhere"],
            "--bin no-such-node-anywhere: no file of that name in the current folder, and no such program on PATH",
        ),
        (
            &["--bin", "/nonexistent/node"],
            "--bin /nonexistent/node: No such file",
        ),
        (&["--bin", "/"], "--bin /: not a file"),
        (&["--bin", &not_executable], "not executable"),
        (&["--nope"], "invalid option '--nope'"),
    ] {
        let out = echo_load_command().args(bad).output().expect("run");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{bad:?}: {stderr}");
        assert!(
            stderr.contains(says) && stderr.contains("Try 'echo-load --help'."),
            "{bad:?}: {stderr}"
        );
    }
    // An --out that cannot be made is found when the run starts: no run, no usage hint.
    let out = echo_load_command()
        .args(["--bin", sed, "--quiet", "--out", "/dev/null/x"])
        .output()
        .expect("run");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("--out /dev/null/x: cannot create it"),
        "{stderr}"
    );
    let help = String::from_utf8_lossy(&help.stdout).into_owned();
    assert!(help.contains("--strict"), "{help}");
    assert!(help.contains("1e400"), "{help}");
    assert!(help.contains("2 when there was no run"), "{help}");
}

#[test]
fn a_run_that_cannot_fit_in_the_descriptor_limit_says_so_before_starting() {
    let sed = node("fit-node", &sed_node());
    // The hard limit is the most the soft one can be raised to.
    let out = Command::new("sh")
        .current_dir(std::env::temp_dir())
        .arg("-c")
        .arg(format!(
            "ulimit -n 256 && exec {BIN} --bin {} --node-count 500 --quiet",
            sed.display()
        ))
        .output()
        .expect("run");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(
        stderr
            .contains("500 nodes need about 1,032 file descriptors; the limit is 256 (ulimit -n)"),
        "{stderr}"
    );
}

/// Runs the sed node for a short while with `args`; returns exit code, stdout, stderr.
fn short_run(args: &[&str]) -> (Option<i32>, String, String) {
    quick_run(&node("short-node", &sed_node()), args)
}

/// Runs `bin` for 0.3 s, one node (`n0`), closed loop, quiet, with `extra` after: the
/// exit code, stdout and stderr.
fn quick_run(bin: &std::path::Path, extra: &[&str]) -> (Option<i32>, String, String) {
    let mut all = vec!["--bin", bin.to_str().expect("utf-8 path")];
    all.extend([
        "--node-count",
        "1",
        "--rate",
        "max",
        "--time-limit",
        "0.3",
        "--quiet",
    ]);
    all.extend(extra);
    echo_load(&all)
}

/// echo-load's command, run in a folder of the tests' own: a run with no `--out` keeps
/// itself in `store/` there, not in the source tree.
fn echo_load_command() -> Command {
    let cwd = std::env::temp_dir().join(format!("echo-load-cli-cwd-{}", std::process::id()));
    let _ = std::fs::create_dir_all(&cwd);
    let mut command = Command::new(BIN);
    command.current_dir(cwd);
    command
}

/// Runs echo-load with `args`: its exit status, stdout and stderr.
fn echo_load(args: &[&str]) -> (Option<i32>, String, String) {
    let out = echo_load_command().args(args).output().expect("run");
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// Whether `stdout` ends with the summary's `verdict` line and then the line naming the
/// folder in the store that keeps the run (a run with no `--out`).
fn verdict_then_store(stdout: &str, verdict: &str) -> bool {
    let mut lines = stdout.lines().rev();
    let store = lines.next().unwrap_or("");
    lines.next() == Some(verdict) && store.contains(" in store/echo/") && stdout.ends_with('\n')
}

/// A new folder for a test's `--out`, and its path as text.
fn out_dir(name: &str) -> (PathBuf, String) {
    let dir = std::env::temp_dir().join(format!("echo-load-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let text = dir.to_str().expect("utf-8 path").to_owned();
    (dir, text)
}

/// `results.json` in `dir`, read.
fn results(dir: &std::path::Path) -> serde_json::Value {
    let text = std::fs::read_to_string(dir.join("results.json")).expect("results.json");
    serde_json::from_str(&text).expect("JSON")
}

#[test]
fn an_output_that_cannot_be_written_loses_no_verdict() {
    let dir = std::env::temp_dir().join(format!("echo-load-unwritable-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(dir.join("results.json")).expect("a folder where results.json goes");
    let (code, stdout, stderr) = short_run(&["--out", dir.to_str().expect("utf-8")]);
    let plots = ["latency.svg", "throughput.svg"].map(|p| dir.join(p).is_file());
    let _ = std::fs::remove_dir_all(&dir);
    assert!(
        stdout.ends_with("valid? true\n"),
        "the summary and verdict: {stdout}"
    );
    assert_eq!(code, Some(3), "{stderr}");
    assert!(
        stderr.contains("cannot write ") && stderr.contains("results.json: Is a directory"),
        "{stderr}"
    );
    assert_eq!(plots, [true, true], "the outputs that can be written are");
    // Two that cannot be written: each is named.
    std::fs::create_dir_all(dir.join("results.json")).expect("a folder");
    std::fs::create_dir_all(dir.join("latency.svg")).expect("a folder");
    let (code, _, stderr) = short_run(&["--out", dir.to_str().expect("utf-8")]);
    let _ = std::fs::remove_dir_all(&dir);
    assert_eq!(code, Some(3), "{stderr}");
    assert!(
        stderr.contains("results.json: Is a directory")
            && stderr.contains("latency.svg: Is a directory"),
        "{stderr}"
    );
}

#[test]
fn a_file_size_limit_is_a_write_error_with_the_summary_printed_and_no_file_cut() {
    // Under `ulimit -f` (512-byte blocks), results.json and the history cannot be
    // written whole: echo-load says so (exit 3) with its summary and verdict printed,
    // instead of SIGXFSZ ending it (exit 153), and leaves no file cut short.
    let sed = node("fsize-node", &sed_node());
    let (dir, out) = out_dir("fsize");
    let command = format!(
        "ulimit -f 2 && exec '{BIN}' --bin '{}' --node-count 1 --rate max --time-limit 0.3 \
         --quiet --history --out '{out}'",
        sed.display()
    );
    let done = Command::new("sh")
        .current_dir(std::env::temp_dir())
        .args(["-c", &command])
        .output()
        .expect("run");
    let (stdout, stderr) = (
        String::from_utf8_lossy(&done.stdout),
        String::from_utf8_lossy(&done.stderr),
    );
    let left: Vec<String> = std::fs::read_dir(&dir)
        .expect("out")
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    let _ = std::fs::remove_dir_all(&dir);
    assert_eq!(done.status.code(), Some(3), "{stdout}{stderr}");
    assert!(stdout.ends_with("valid? true\n"), "{stdout}");
    assert!(
        stderr.contains("history.jsonl: File too large")
            && stderr.contains("results.json: File too large"),
        "{stderr}"
    );
    assert!(
        !left
            .iter()
            .any(|f| f.ends_with(".tmp") || f == "history.jsonl" || f == "results.json"),
        "{left:?}"
    );
}

#[test]
fn two_commands_given_the_same_out_at_once_are_not_both_run() {
    // The first holds the folder for its whole run; the second is refused, exit 2.
    let sed = node("locked-node", &sed_node());
    let (dir, out) = out_dir("locked");
    let sed = sed.to_str().expect("utf-8 path");
    let first = echo_load_command()
        .args(["--bin", sed, "--node-count", "1", "--rate", "max"])
        .args(["--time-limit", "2", "--quiet", "--out", &out])
        .stdout(std::process::Stdio::null())
        .spawn()
        .expect("run");
    // Until the first has the folder (its lock file exists and is held).
    let lock = dir.join(".echo-load.lock");
    let started = std::time::Instant::now();
    // (A bound only a run that never takes its folder reaches.)
    while !lock.exists() {
        assert!(
            started.elapsed() < std::time::Duration::from_secs(120),
            "the first run takes its folder"
        );
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    std::thread::sleep(std::time::Duration::from_millis(200));
    let (code, _, stderr) = echo_load(&[
        "--bin",
        sed,
        "--time-limit",
        "0.2",
        "--quiet",
        "--out",
        &out,
    ]);
    let first = first.wait_with_output().expect("first");
    let json = results(&dir);
    let _ = std::fs::remove_dir_all(&dir);
    assert_eq!(code, Some(2), "{stderr}");
    assert!(
        stderr.contains("another echo-load command is writing there"),
        "{stderr}"
    );
    assert_eq!(first.status.code(), Some(0));
    assert_eq!(
        json["settings"]["time_limit_s"], 2.0,
        "the first's results, whole"
    );
}

#[test]
fn a_rerun_into_the_same_folder_leaves_only_its_own_files() {
    let dir = std::env::temp_dir().join(format!("echo-load-rerun-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let out = dir.to_str().expect("utf-8");
    let (code, _, stderr) = short_run(&["--out", out, "--node-count", "3"]);
    assert_eq!(code, Some(0), "{stderr}");
    let (code, _, stderr) = short_run(&["--out", out, "--node-count", "1"]);
    assert_eq!(code, Some(0), "{stderr}");
    let mut files: Vec<String> = std::fs::read_dir(&dir)
        .expect("out")
        .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
        .collect();
    files.sort();
    // The lock that held the folder for each run stays (removing it could let two runs
    // lock two files of one name).
    assert_eq!(
        files,
        [
            ".echo-load.lock",
            "index.html",
            "latency-quantiles.svg",
            "latency.svg",
            "messages.svg",
            "n0.log",
            "results.edn",
            "results.json",
            "throughput.svg"
        ]
    );
    // A folder that holds anything else is refused as it is.
    std::fs::write(dir.join("notes.txt"), "mine").expect("a file of the user's");
    let (code, _, stderr) = short_run(&["--out", out]);
    let kept = dir.join("notes.txt").is_file() && dir.join("n0.log").is_file();
    let _ = std::fs::remove_dir_all(&dir);
    assert_eq!(code, Some(2), "{stderr}");
    assert!(
        stderr.contains("it holds 'notes.txt', which is not an output of echo-load"),
        "{stderr}"
    );
    assert!(kept, "nothing is removed from a refused folder");
}

/// A node that answers as the sed node does, ignores SIGTERM, SIGINT and SIGHUP, starts a
/// child that outlives it, and keeps running once its stdin ends; each writes its process
/// id into `pids`.
fn stubborn_node(pids: &std::path::Path, k: &str) -> PathBuf {
    let script = format!(
        "trap '' TERM INT HUP\nsleep 300 &\necho $! >> {pids}\necho $$ >> {pids}\n{}\nsleep 300\n",
        sed_node().trim_start_matches("exec "),
        pids = pids.display()
    );
    node(&format!("stubborn-node-{k}"), &script)
}

/// Whether process `pid` is still there (a zombie not yet reaped by init counts as gone).
fn alive(pid: i32) -> bool {
    if std::path::Path::new("/proc/self/stat").exists() {
        return std::fs::read_to_string(format!("/proc/{pid}/stat"))
            .is_ok_and(|text| !text.contains(") Z "));
    }
    // No /proc: ask the kernel (a zombie counts as alive there).
    Command::new("kill")
        .args(["-0", &pid.to_string()])
        .stderr(std::process::Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

/// Starts echo-load on two stubborn nodes for 30 s, sends it `signals` SIGINTs once the
/// load runs, and returns its exit code, stdout, how long it took to end after the
/// first signal, and the node processes (and their children) still alive after.
fn interrupted(signals: usize) -> (Option<i32>, String, std::time::Duration, Vec<i32>, u32) {
    interrupted_by("-INT", signals)
}

/// [`interrupted`], with `signal` (as `kill` takes it: `-TERM`).
fn interrupted_by(
    signal: &str,
    signals: usize,
) -> (Option<i32>, String, std::time::Duration, Vec<i32>, u32) {
    use std::time::{Duration, Instant};
    let pids =
        std::env::temp_dir().join(format!("echo-load-pids-{}-{signals}", std::process::id()));
    let _ = std::fs::remove_file(&pids);
    let bin = stubborn_node(&pids, &format!("{signals}{signal}"));
    let child = echo_load_command()
        .args(["--bin", bin.to_str().expect("utf-8 path")])
        .args(["--node-count", "2", "--time-limit", "30", "--quiet"])
        .stdout(std::process::Stdio::piped())
        .spawn()
        .expect("run");
    // Both nodes and their children have started once four ids are written.
    let started = Instant::now();
    while std::fs::read_to_string(&pids).map_or(0, |t| t.lines().count()) < 4 {
        assert!(
            started.elapsed() < Duration::from_secs(120),
            "the nodes start"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    std::thread::sleep(Duration::from_millis(700));
    let signalled = Instant::now();
    for _ in 0..signals {
        Command::new("kill")
            .args([signal, &child.id().to_string()])
            .status()
            .expect("kill");
        std::thread::sleep(Duration::from_millis(50));
    }
    let pid = child.id();
    let out = child.wait_with_output().expect("exit");
    let took = signalled.elapsed();
    let ids: Vec<i32> = std::fs::read_to_string(&pids)
        .expect("pids")
        .lines()
        .filter_map(|l| l.trim().parse().ok())
        .collect();
    let _ = std::fs::remove_file(&pids);
    std::thread::sleep(Duration::from_millis(100));
    let left = ids.into_iter().filter(|&p| alive(p)).collect();
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        took,
        left,
        pid,
    )
}

#[test]
fn ctrl_c_stops_the_load_ends_every_node_and_reports_what_ran() {
    let (code, stdout, took, left, pid) = interrupted(1);
    assert_eq!(code, Some(130), "{stdout}");
    assert!(
        stdout.contains("interrupted by SIGINT after ") && stdout.contains("s of load"),
        "{stdout}"
    );
    assert!(stdout.contains("ok "), "{stdout}");
    assert!(
        verdict_then_store(&stdout, "valid? true (of what ran before SIGINT)"),
        "{stdout}"
    );
    // A second of grace for the requests, then two for the nodes to exit, which these
    // never do: they and their children are killed.
    assert!(took.as_secs_f64() < 6.0, "it took {took:?}");
    assert!(left.is_empty(), "processes left running: {left:?}");
    // Its scratch folder for the node logs, under /dev/shm or the temporary folder.
    let name = format!("echo-load-{pid}-0");
    for base in [std::path::PathBuf::from("/dev/shm"), std::env::temp_dir()] {
        assert!(!base.join(&name).exists(), "{name} is removed");
    }
}

#[test]
fn a_second_ctrl_c_ends_everything_at_once() {
    let (code, stdout, took, left, _) = interrupted(2);
    assert_eq!(code, Some(130), "{stdout}");
    assert!(stdout.contains("interrupted by SIGINT"), "{stdout}");
    assert!(took.as_secs_f64() < 1.5, "it took {took:?}");
    assert!(left.is_empty(), "processes left running: {left:?}");
}

#[test]
fn a_node_flooded_by_another_is_failed_with_the_drivers_memory_bounded() {
    // n0 answers init, then sends n1 messages of 1 KB as fast as `yes` prints them; n1
    // answers init and never reads again.
    let pad = "x".repeat(1000);
    let flood = node(
        "flood-node",
        &format!(
            r#"read -r line
case "$line" in *'"node_id":"n0"'*) me=n0 ;; *) me=n1 ;; esac
printf '{{"src":"%s","dest":"c%s","body":{{"type":"init_ok","in_reply_to":1}}}}\n' "$me" "${{me#n}}"
if [ "$me" = n0 ]; then exec yes '{{"src":"n0","dest":"n1","body":{{"type":"gossip","pad":"{pad}"}}}}'; fi
exec sleep 300"#
        ),
    );
    let started = std::time::Instant::now();
    let out = echo_load_command()
        .args(["--bin", flood.to_str().expect("utf-8 path")])
        .args(["--node-count", "2", "--time-limit", "30", "--quiet"])
        .output()
        .expect("run");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{stdout}");
    assert!(
        stdout.contains("n1 read its stdin far slower than messages came for it: 64.0 MiB waited"),
        "{stdout}"
    );
    assert!(started.elapsed().as_secs() < 20, "it ended early: {stdout}");
    let peak_mib: f64 = stdout
        .split("peak memory ")
        .nth(1)
        .and_then(|rest| rest.split_whitespace().next()?.parse().ok())
        .expect("the driver's peak memory");
    assert!(peak_mib < 300.0, "the driver peaked at {peak_mib} MiB");
}

#[test]
fn plots_keep_every_series_visible_and_sane_axes_with_nothing_answered() {
    let dir = std::env::temp_dir().join(format!("echo-load-plots-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let out = dir.to_str().expect("utf-8");
    // The sed node keeps the rate: throughput and --rate lines lie on each other.
    let (code, _, stderr) = short_run(&["--out", out, "--rate", "200", "--time-limit", "1.5"]);
    assert_eq!(code, Some(0), "{stderr}");
    let svg = std::fs::read_to_string(dir.join("throughput.svg")).expect("throughput.svg");
    let answered = svg.find("stroke=\"#0000FF\"").expect("the throughput line");
    let rate = svg.find("stroke=\"#FF0000\"").expect("the rate line");
    let dashes = svg.matches("stroke=\"#FF0000\"").count();
    assert!(
        rate > answered && dashes > 10,
        "the rate is drawn over the throughput, dashed ({dashes} dashes)"
    );
    // Nothing answered: a node that answers init, then nothing.
    let silent = node(
        "silent-node",
        "read -r line\nprintf '{\"src\":\"n0\",\"dest\":\"c0\",\"body\":{\"type\":\"init_ok\",\"in_reply_to\":1}}\\n'\nexec sleep 30",
    );
    let status = echo_load_command()
        .args(["--bin", silent.to_str().expect("utf-8 path")])
        .args([
            "--node-count",
            "1",
            "--rate",
            "max",
            "--time-limit",
            "0.2",
            "--timeout",
            "100",
            "--quiet",
            "--out",
            out,
        ])
        .output()
        .expect("run")
        .status;
    let latency = std::fs::read_to_string(dir.join("latency.svg")).expect("latency.svg");
    let _ = std::fs::remove_dir_all(&dir);
    assert_eq!(status.code(), Some(1));
    assert!(latency.contains("\n0.8\n"), "a second's time axis");
}

#[test]
fn history_has_an_invoke_and_a_completion_for_every_request() {
    let dir = std::env::temp_dir().join(format!("echo-load-history-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let out = dir.to_str().expect("utf-8");
    // With no --out, the history is kept with the rest of the run, in the store.
    let (code, stdout, stderr) = short_run(&["--history", "--concurrency", "3"]);
    assert_eq!(code, Some(0), "{stderr}");
    let cwd = std::env::temp_dir().join(format!("echo-load-cli-cwd-{}", std::process::id()));
    let kept = stdout
        .lines()
        .last()
        .and_then(|l| l.rsplit_once(" in "))
        .map(|(_, f)| cwd.join(f));
    assert!(
        kept.is_some_and(|f| [
            "history.jsonl",
            "history.edn",
            "history.txt",
            "timeline.html"
        ]
        .iter()
        .all(|h| f.join(h).is_file())),
        "{stdout}"
    );
    let (code, _, stderr) = short_run(&["--history", "--out", out, "--concurrency", "3"]);
    assert_eq!(code, Some(0), "{stderr}");
    let text = std::fs::read_to_string(dir.join("history.jsonl")).expect("history.jsonl");
    let results: serde_json::Value =
        serde_json::from_slice(&std::fs::read(dir.join("results.json")).expect("results"))
            .expect("JSON");
    let _ = std::fs::remove_dir_all(&dir);
    let mut open = std::collections::BTreeMap::new();
    let (mut invokes, mut oks, mut last_time) = (0u64, 0u64, 0u64);
    for line in text.lines() {
        let op: serde_json::Value = serde_json::from_str(line).expect("a JSON line");
        let key = (
            op["process"].to_string(),
            op["msg_id"].as_u64().expect("msg_id"),
        );
        let time = op["time"].as_u64().expect("time in ns");
        assert!(time >= last_time, "in time order: {line}");
        last_time = time;
        match op["type"].as_str() {
            Some("invoke") => {
                invokes += 1;
                assert!(open.insert(key, op["value"].clone()).is_none(), "{line}");
            }
            Some("ok") => {
                oks += 1;
                let value = open.remove(&key).expect("an ok completes an invoke");
                assert_eq!(value, op["value"], "the echo is the value sent: {line}");
            }
            other => panic!("a correct node gets no {other:?}: {line}"),
        }
    }
    assert!(open.is_empty(), "every invoke completed: {open:?}");
    assert_eq!(oks, results["ok"].as_u64().expect("ok"));
    assert_eq!(invokes, results["requests"]["sent"].as_u64().expect("sent"));
}

#[test]
fn a_stdout_line_longer_than_echo_load_reads_is_named_as_one() {
    // Here, not in verdict.rs: the 64 MiB it reads would count in the peak memory those
    // tests measure in their process.
    let long = node(
        "long-line",
        "read -r line\nprintf '{\"src\":\"n0\",\"dest\":\"c0\",\"body\":{\"type\":\"init_ok\",\"in_reply_to\":1}}\\n'\nhead -c 70000000 /dev/zero | tr '\\0' x\nexec sleep 30",
    );
    let out = echo_load_command()
        .args(["--bin", long.to_str().expect("utf-8 path")])
        .args(["--node-count", "1", "--time-limit", "5", "--quiet"])
        .output()
        .expect("run");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{stdout}");
    assert!(
        stdout
            .contains("n0: it printed a stdout line longer than 64 MiB, more than echo-load reads"),
        "{stdout}"
    );
}

#[test]
fn sigterm_and_sighup_stop_a_run_as_ctrl_c_does_with_their_own_status() {
    for (signal, name, code) in [("-TERM", "SIGTERM", 143), ("-HUP", "SIGHUP", 129)] {
        let (status, stdout, _, left, _) = interrupted_by(signal, 1);
        assert_eq!(status, Some(code), "{stdout}");
        assert!(
            stdout.contains(&format!("interrupted by {name}")),
            "{stdout}"
        );
        assert!(left.is_empty(), "processes left running: {left:?}");
    }
}

#[test]
fn a_run_of_no_requests_is_valid_as_maelstrom_finds_an_empty_history() {
    // --requests 0, closed loop or open; and Maelstrom's --rate 0, a run that only
    // waits out its time limit (core.clj: `gen/sleep`).
    for args in [
        &["--requests", "0"][..],
        &["--requests", "0", "--rate", "100"],
        &["--rate", "0"],
    ] {
        let started = std::time::Instant::now();
        let (code, stdout, stderr) = short_run(args);
        assert_eq!(code, Some(0), "{args:?}: {stdout}{stderr}");
        assert!(
            stdout.contains("requests: due 0  sent 0  never sent 0"),
            "{args:?}: {stdout}"
        );
        assert!(!stdout.contains("warning"), "{args:?}: {stdout}");
        assert!(verdict_then_store(&stdout, "valid? true"), "{stdout}");
        if args == ["--rate", "0"] {
            assert!(stdout.contains("no requests (--rate 0)"), "{stdout}");
            assert!(started.elapsed() >= std::time::Duration::from_millis(300));
        }
    }
}

#[test]
fn log_stderr_shows_each_nodes_stderr_after_its_id() {
    let chatty = node(
        "chatty-node",
        &format!("echo 'hello from a node' >&2\n{}", sed_node()),
    );
    let out = echo_load_command()
        .args(["--bin", chatty.to_str().expect("utf-8 path")])
        .args([
            "--node-count",
            "2",
            "--time-limit",
            "0.3",
            "--quiet",
            "--log-stderr",
        ])
        .output()
        .expect("run");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    for node in ["n0", "n1"] {
        assert!(
            stderr
                .lines()
                .any(|l| l == format!("{node}: hello from a node")),
            "{stderr}"
        );
    }
}

#[test]
fn two_bins_are_compared_in_rounds_with_results_and_a_plot() {
    let sed = node("compare-node", &sed_node());
    let sed = sed.to_str().expect("utf-8 path");
    let (dir, out) = out_dir("compare");
    let (code, stdout, _) = echo_load(&[
        "--bin",
        sed,
        "--bin",
        sed,
        "--args",
        "'one word' two",
        "--rounds",
        "2",
        "--node-count",
        "1",
        "--concurrency",
        "1",
        "--rate",
        "max",
        "--time-limit",
        "1",
        "--quiet",
        "--out",
        &out,
    ]);
    assert_eq!(code, Some(0), "{stdout}");
    assert!(
        stdout.contains("compared 2 commands over 2 rounds of 1 node each, 1 client, closed loop")
            && stdout.contains("compare-node one word two: ")
            && stdout.contains(" times compare-node's throughput"),
        "{stdout}"
    );
    let json = results(&dir);
    assert_eq!(
        json["compare"][1]["node_args"],
        serde_json::json!(["one word", "two"])
    );
    assert_eq!(json["compare"][0]["rounds"], 2);
    let svg = std::fs::read_to_string(dir.join("compare.svg")).expect("compare.svg");
    assert!(svg.contains("compare-node one word two"));
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn a_capacity_search_prints_its_steps_and_exits_0_with_a_capacity() {
    let node = support::demo_node();
    let (dir, out) = out_dir("capacity");
    let (code, stdout, _) = echo_load(&[
        "--bin",
        node.to_str().expect("utf-8 path"),
        "--capacity",
        "--rate",
        "400",
        "--p99-max",
        "50",
        "--node-count",
        "1",
        "--time-limit",
        "0.3",
        "--concurrency",
        "10",
        "--quiet",
        "--out",
        &out,
        "--",
        "--max-rate",
        "500",
    ]);
    assert_eq!(code, Some(0), "{stdout}");
    assert!(
        stdout.contains("capacity of 1 node (")
            && stdout
                .contains("demo_node --max-rate 500), 10 clients, maelstrom payload, 0.3 s a step")
            && stdout.contains("offered/s   throughput/s")
            && stdout.contains("           400 ")
            && stdout.contains("capacity: "),
        "{stdout}"
    );
    assert!(dir.join("capacity.svg").is_file());
    let rate = results(&dir)["capacity"]["rate"].as_f64();
    // At most the node's pace (and margin): a busy machine can lower what passes, never
    // raise it past what the node answers.
    assert!(rate.is_some_and(|r| r <= 600.0), "{rate:?}");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn a_capacity_search_that_finds_none_says_so_and_exits_1() {
    let sed = node("capacity-none", &sed_node());
    // A bound no answer keeps: every step fails, down to rates that send nothing.
    let (code, stdout, _) = echo_load(&[
        "--bin",
        sed.to_str().expect("utf-8 path"),
        "--capacity",
        "--rate",
        "1000",
        "--p99-max",
        "0.001",
        "--time-limit",
        "0.1",
        "--quiet",
    ]);
    assert_eq!(code, Some(1), "{stdout}");
    assert!(
        stdout.contains("p99 over 0.001 ms")
            && stdout.contains("        0.001 ")
            && stdout.contains("capacity: not found: every step failed"),
        "{stdout}"
    );
}

#[test]
fn session_options_that_cannot_go_together_are_usage_errors() {
    for (words, says) in [
        (
            &["--args", "x", "--bin", "/bin/sh"][..],
            "--args: gives the arguments of the --bin before it",
        ),
        (
            &["--bin", "/bin/sh", "--bin", "/bin/sh", "--capacity"],
            "--capacity: it searches one node's capacity",
        ),
        (
            &["--bin", "/bin/sh", "--p99-max", "5"],
            "--p99-max: it bounds --capacity's search",
        ),
        (
            &["--bin", "/bin/sh", "--capacity", "--p99-max", "0"],
            "--p99-max: 0 is out of range",
        ),
        (
            &["--bin", "/bin/sh", "--rounds", "0"],
            "--rounds: 0 is out of range: 1 to 1000",
        ),
        (
            &[
                "--bin",
                "/bin/sh",
                "--bin",
                "/bin/sh",
                "--history",
                "--out",
                "/tmp/x",
            ],
            "--history: it writes one run's operations",
        ),
        (&["--bin", "/bin/sh", "--args", "'unclosed"], "--args: "),
    ] {
        let (code, _, stderr) = echo_load(words);
        assert_eq!(code, Some(2), "{words:?}: {stderr}");
        assert!(stderr.contains(says), "{words:?}: {stderr}");
    }
}

/// Starts `command`, sends it SIGINT after `wait`, and waits for it: its exit code, its
/// stdout, and how long it took to end after the signal.
fn sigint_after(
    mut command: Command,
    wait: std::time::Duration,
) -> (Option<i32>, String, std::time::Duration) {
    let child = command
        .stdout(std::process::Stdio::piped())
        .spawn()
        .expect("run");
    std::thread::sleep(wait);
    let signalled = std::time::Instant::now();
    Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .expect("kill");
    let out = child.wait_with_output().expect("exit");
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    (out.status.code(), stdout, signalled.elapsed())
}

#[test]
fn ctrl_c_ends_a_comparison_with_the_rounds_that_finished() {
    use std::time::Duration;
    let sed = node("compare-interrupted", &sed_node());
    let sed = sed.to_str().expect("utf-8 path");
    let mut child = echo_load_command();
    child
        .args([
            "--bin",
            sed,
            "--bin",
            sed,
            "--rounds",
            "100",
            "--node-count",
            "1",
            "--rate",
            "max",
            "--time-limit",
            "1",
        ])
        .arg("--quiet");
    let (code, stdout, ended) = sigint_after(child, Duration::from_millis(3000));
    assert_eq!(code, Some(130), "{stdout}");
    // Promptly, not after its 100 rounds (a bound no busy machine reaches).
    assert!(ended < Duration::from_secs(15));
    assert!(
        stdout.contains("interrupted by SIGINT: the rounds that finished are below")
            && stdout.contains("valid ")
            && stdout.contains("requests/s ("),
        "{stdout}"
    );
}

#[test]
fn a_comparison_stopped_before_a_node_ran_says_it_did_not_run() {
    // Stopped 1 s into the first 5 s round (once echo-load surely catches the signal):
    // no node finished one. Each is "not run", never valid, and has no ratio;
    // results.json says the same.
    use std::time::Duration;
    let sed = node("compare-not-run", &sed_node());
    let sed = sed.to_str().expect("utf-8 path");
    let (dir, out) = out_dir("compare-not-run");
    let mut child = echo_load_command();
    child
        .args([
            "--bin",
            sed,
            "--bin",
            sed,
            "--node-count",
            "1",
            "--rate",
            "max",
        ])
        .args(["--time-limit", "5", "--quiet", "--out", &out]);
    let (code, stdout, _) = sigint_after(child, Duration::from_millis(1000));
    assert_eq!(code, Some(130), "{stdout}");
    assert!(
        stdout.contains("not run  (stopped before its first round)")
            && stdout.contains("no ratio, compare-not-run (#1) did not run")
            && !stdout.contains("valid "),
        "{stdout}"
    );
    let json = results(&dir);
    let _ = std::fs::remove_dir_all(&dir);
    assert_eq!(json["outcome"], "not run");
    for entry in json["compare"].as_array().expect("compare") {
        assert_eq!(
            (&entry["valid"], &entry["outcome"]),
            (&serde_json::json!(false), &serde_json::json!("not run"))
        );
    }
}

#[test]
fn a_capacity_search_stops_at_a_step_maelstrom_would_abort() {
    // A node that exits at its 3rd init (a file counts them), and one that never
    // answers init: neither is a rate failure. The search stops at the aborted step,
    // exits 4, and gives no capacity.
    let count = std::env::temp_dir().join(format!("echo-load-inits-{}", std::process::id()));
    let _ = std::fs::remove_file(&count);
    let crashes = node(
        "capacity-crash",
        &format!(
            "echo x >> '{}'\nif [ \"$(wc -l < '{}')\" -ge 3 ]; then exit 3; fi\n{}",
            count.display(),
            count.display(),
            sed_node()
        ),
    );
    let mute = node("capacity-mute", "exec cat > /dev/null");
    for (bin, steps) in [(&crashes, 3), (&mute, 1)] {
        let started = std::time::Instant::now();
        let (code, stdout, _) = echo_load(&[
            "--bin",
            bin.to_str().expect("utf-8 path"),
            "--capacity",
            "--capacity-repeats",
            "1",
            "--rate",
            "100",
            "--node-count",
            "1",
            "--time-limit",
            "0.2",
            "--quiet",
        ]);
        assert_eq!(code, Some(4), "{stdout}");
        assert!(
            stdout.contains(
                "was aborted (Maelstrom would stop that test), so the search stopped there"
            ) && !stdout.contains("capacity: 1")
                && stdout.matches(" aborted").count() >= 1,
            "{stdout}"
        );
        // The table's rows: one a step run.
        let table = stdout
            .lines()
            .filter(|l| {
                l.starts_with("  ") && l.trim_start().starts_with(|c: char| c.is_ascii_digit())
            })
            .count();
        assert_eq!(table, steps, "{stdout}");
        // One init wait at most, not one a halving.
        assert!(
            started.elapsed() < std::time::Duration::from_secs(40),
            "{stdout}"
        );
    }
    let _ = std::fs::remove_file(&count);
}

#[test]
fn nothing_a_node_started_outlives_echo_load_or_is_left_a_zombie() {
    // The node starts a child in a session of its own (setsid: out of its process group)
    // and one in its group; both run for 300 s. Linux: echo-load adopts what its nodes
    // leave behind, so neither is left running, nor left a zombie for init to reap.
    if !std::path::Path::new("/proc/self/stat").exists()
        || !std::path::Path::new("/usr/bin/setsid").exists()
            && !std::path::Path::new("/bin/setsid").exists()
    {
        return; // Linux's subreaper, and util-linux's setsid, are what this is about
    }
    let pids = std::env::temp_dir().join(format!("echo-load-orphans-{}", std::process::id()));
    let _ = std::fs::remove_file(&pids);
    let script = format!(
        "setsid sleep 300 </dev/null >/dev/null 2>&1 &\necho $! >> {p}\nsleep 300 </dev/null >/dev/null 2>&1 &\necho $! >> {p}\n{}",
        sed_node(),
        p = pids.display()
    );
    let bin = node("orphan-node", &script);
    let (code, stdout, _) = echo_load(&[
        "--bin",
        bin.to_str().expect("utf-8 path"),
        "--node-count",
        "2",
        "--rate",
        "max",
        "--time-limit",
        "0.3",
        "--quiet",
    ]);
    assert_eq!(code, Some(0), "{stdout}");
    let started: Vec<i32> = std::fs::read_to_string(&pids)
        .expect("pids")
        .lines()
        .filter_map(|l| l.trim().parse().ok())
        .collect();
    let _ = std::fs::remove_file(&pids);
    assert_eq!(started.len(), 4, "{started:?}");
    for pid in started {
        let stat = std::fs::read_to_string(format!("/proc/{pid}/stat"));
        assert!(stat.is_err(), "{pid} is still there: {stat:?}");
    }
}

#[test]
fn a_node_that_writes_on_after_its_stdin_closes_is_drained_not_blamed() {
    // After its stdin closes, the node writes 3 MB of lines (more than a pipe holds) and
    // exits 0. echo-load reads on until it exits: --strict finds nothing to blame.
    let script = format!(
        "{}\nyes 'a line written after the run, to be drained' | head -n 70000\nexit 0",
        sed_node().trim_start_matches("exec ")
    );
    let bin = node("chatty-after-node", &script);
    let (code, stdout, _) = quick_run(&bin, &["--strict"]);
    assert_eq!(code, Some(0), "{stdout}");
    assert!(!stdout.contains("did not exit"), "{stdout}");
}

#[test]
fn a_nodes_control_bytes_reach_the_terminal_escaped() {
    // The node writes a screen-clearing escape, a colour, a \r and a NUL on stderr, and
    // a stdout line Maelstrom cannot read with an escape and a bell (a \r would end it):
    // the summary quotes both, and --log-stderr shows its stderr, every such byte escaped.
    let bin = node(
        "control-bytes-node",
        "read -r line\nprintf 'clear \\033[2J red \\033[31m cr \\r nul \\000 end\\n' >&2\nprintf '{\"src\":\"n0\",\"dest\":\"c0\",\"body\":{\"type\":\"init_ok\",\"in_reply_to\":1}}\\n'\nprintf 'garbage \\033[2J \\007 here\\n'\nexec cat > /dev/null",
    );
    let (code, stdout, stderr) = quick_run(&bin, &["--timeout", "200", "--log-stderr"]);
    assert_eq!(code, Some(1), "{stdout}");
    for (what, text) in [("stdout", &stdout), ("stderr", &stderr)] {
        assert!(
            !text.contains(['\u{1b}', '\r', '\0', '\u{7}']),
            "{what} holds a raw control byte: {text:?}"
        );
    }
    assert!(stdout.contains(r"garbage \u{1b}[2J \u{7} here"), "{stdout}");
    assert!(
        stdout.contains(r"clear \u{1b}[2J red \u{1b}[31m cr \r nul \0 end"),
        "{stdout}"
    );
    assert!(stderr.contains(r"n0: clear \u{1b}[2J"), "{stderr}");
}

#[test]
fn results_json_records_every_option_that_changes_a_run() {
    // Each option --help lists either has its key in results.json's settings, with the
    // value given, or is named here with why it changes no run.
    const NOT_A_RUN: &[(&str, &str)] = &[
        ("help", "prints the help"),
        ("version", "prints the version"),
        ("quiet", "progress only"),
        ("out", "where the outputs go"),
        (
            "history-large",
            "lets the history be large; the run is the same",
        ),
        ("rounds", "a comparison's, in its results' compare"),
        ("capacity", "a search's, in its results' capacity"),
        ("p99-max", "a search's, in its results' capacity"),
        ("capacity-repeats", "a search's, in its results' capacity"),
    ];
    let settings_key = |option: &str| match option {
        "args" => "node_args",
        "node-count" | "nodes" => "nodes",
        "time-limit" => "time_limit_s",
        "timeout" => "timeout_ms",
        "latency" => "latency_ms",
        other => Box::leak(other.replace('-', "_").into_boxed_str()),
    };
    let (_, help, _) = echo_load(&["--help"]);
    let options: Vec<&str> = help
        .lines()
        // Option lines are indented; the prose under them is not.
        .filter(|l| l.starts_with("  "))
        .filter_map(|l| l.trim_start().strip_prefix("-h, ").or(Some(l.trim_start())))
        .filter_map(|l| l.strip_prefix("-w, ").or(Some(l)))
        .filter_map(|l| l.strip_prefix("--"))
        .filter_map(|l| l.split([' ', '=']).next())
        .filter(|o| {
            !o.is_empty()
                && o.bytes()
                    .all(|b| b.is_ascii_lowercase() || b == b'-' || b.is_ascii_digit())
        })
        .collect();
    assert!(options.len() >= 20, "{options:?}");
    let sed = node("settings-node", &sed_node());
    let (dir, out) = out_dir("settings");
    let (code, stdout, stderr) = echo_load(&[
        "test",
        "-w",
        "echo",
        "--bin",
        sed.to_str().expect("utf-8 path"),
        "--nodes",
        "n1,n2",
        "--concurrency",
        "3",
        "--rate",
        "40",
        "--time-limit",
        "0.3",
        "--timeout",
        "900",
        "--payload",
        "string:3",
        "--requests",
        "7",
        "--strict",
        "--history",
        "--latency",
        "2",
        "--latency-dist",
        "uniform",
        "--log-stderr",
        "--seed",
        "9",
        "--availability",
        "1/2",
        "--quiet",
        "--out",
        &out,
        "--args",
        "x",
    ]);
    assert_eq!(code, Some(0), "{stdout}{stderr}");
    let json = results(&dir);
    let _ = std::fs::remove_dir_all(&dir);
    let settings = json["settings"].as_object().expect("settings");
    for option in options {
        if NOT_A_RUN.iter().any(|(o, _)| *o == option) {
            continue;
        }
        let key = settings_key(option);
        assert!(
            settings.contains_key(key),
            "--{option}: no '{key}' in {settings:?}"
        );
    }
    for (key, value) in [
        ("nodes", serde_json::json!(2)),
        ("first_node", serde_json::json!("n1")),
        ("concurrency", serde_json::json!(3)),
        ("rate", serde_json::json!(40.0)),
        ("closed_loop", serde_json::json!(false)),
        ("timeout_ms", serde_json::json!(900)),
        ("payload", serde_json::json!("string:3")),
        ("requests", serde_json::json!(7)),
        ("strict", serde_json::json!(true)),
        ("history", serde_json::json!(true)),
        ("latency_ms", serde_json::json!(2)),
        ("latency_dist", serde_json::json!("uniform")),
        ("log_stderr", serde_json::json!(true)),
        ("seed", serde_json::json!(9)),
        ("availability", serde_json::json!("0.5")),
        ("node_args", serde_json::json!(["x"])),
        ("workload", serde_json::json!("echo")),
    ] {
        assert_eq!(settings[key], value, "{key}");
    }
    // The summary's first line names them too.
    let run = json["run"].as_str().expect("run");
    for said in [
        "--timeout 900",
        "--requests 7",
        "--latency 2 (uniform)",
        "--seed 9",
        "--log-stderr",
        "--history",
    ] {
        assert!(run.contains(said), "{said}: {run}");
    }
}

#[test]
fn the_history_reads_whatever_control_characters_a_node_writes() {
    // The node answers with a raw TAB in its echo, which Maelstrom's reader takes (and
    // finds wrong); every line of history.jsonl still parses as strict JSON, and every
    // line of history.edn as EDN.
    let tab = node(
        "tab-node",
        &format!(
            "{} -e 's/\"echo\":\"Please echo/\"echo\":\"Please\techo/'",
            sed_node()
        ),
    );
    let (dir, out) = out_dir("control-history");
    let (code, stdout, stderr) = quick_run(&tab, &["--history", "--out", &out]);
    assert_eq!(code, Some(1), "wrong echoes: {stdout}{stderr}");
    let text = std::fs::read_to_string(dir.join("history.jsonl")).expect("history.jsonl");
    let edn = std::fs::read_to_string(dir.join("history.edn")).expect("history.edn");
    let _ = std::fs::remove_dir_all(&dir);
    let mut tabs = 0;
    for line in text.lines() {
        let op: serde_json::Value = serde_json::from_str(line).expect("a strict JSON line");
        tabs += usize::from(op["value"].as_str().is_some_and(|v| v.contains('\t')));
    }
    assert!(tabs > 0, "the echoes with their TAB are kept: {text}");
    // history.edn, read by an EDN reader: each of those :ok operations' :value is the
    // reply's body, as Maelstrom records it, its echo holding the TAB.
    use edn_format::{Keyword, Value};
    let key = |name| Value::Keyword(Keyword::from_name(name));
    let mut bodies = 0;
    for line in edn.lines() {
        let Value::Map(op) = edn_format::parse_str(line).expect("an EDN operation") else {
            panic!("not a map: {line}");
        };
        if let Some(Value::Map(body)) = op.get(&key("value"))
            && let Some(Value::String(echo)) = body.get(&key("echo"))
        {
            bodies += usize::from(echo.contains('\t'));
        }
    }
    assert_eq!(bodies, tabs, "every reply's body, as a map: {edn}");
}
