//! Starting many nodes: a stop signal while they start leaves none of them running.

#![forbid(unsafe_code)]

mod support;

use std::process::{Command, Stdio};
use std::time::Duration;

use support::{demo_node, empty_folder, node};

#[test]
fn a_stop_signal_while_nodes_start_leaves_none_running() {
    // 1,000 nodes, each a shell that notes its process id and becomes the demo node;
    // SIGINT comes 1 s in, while they start. echo-load ends with 130 and every node that
    // was started, whether or not it had been sent its init, is gone.
    if !std::path::Path::new("/proc/self/stat").exists() {
        return; // /proc says which processes are left
    }
    let dir = empty_folder("start", "interrupted");
    let pids = dir.join("pids");
    let script = format!(
        "#!/bin/sh\necho $$ >> {}\nexec {}\n",
        pids.display(),
        demo_node().display()
    );
    let bin = node(&dir, "noted-node", &script, true);
    let child = Command::new(env!("CARGO_BIN_EXE_echo-load"))
        .current_dir(&dir)
        .args(["--bin", bin.to_str().expect("utf-8 path")])
        .args([
            "--node-count",
            "1000",
            "--concurrency",
            "1n",
            "--rate",
            "100",
        ])
        .args(["--time-limit", "30", "--quiet", "--out"])
        .arg(dir.join("out"))
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run echo-load");
    std::thread::sleep(Duration::from_secs(1));
    let _ = Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status();
    let out = child.wait_with_output().expect("echo-load ends");
    let said =
        String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(130), "{said}");
    let started: Vec<u32> = std::fs::read_to_string(&pids)
        .unwrap_or_default()
        .lines()
        .filter_map(|line| line.trim().parse().ok())
        .collect();
    assert!(!started.is_empty(), "no node started: {said}");
    let left: Vec<u32> = started
        .into_iter()
        .filter(|pid| {
            // Still there, and still the demo node (not a process that took its id).
            std::fs::read_to_string(format!("/proc/{pid}/stat"))
                .is_ok_and(|stat| stat.contains("(demo_node)") || stat.contains("(noted-node)"))
        })
        .collect();
    let _ = std::fs::remove_dir_all(&dir);
    assert!(left.is_empty(), "still running: {left:?}\n{said}");
}
