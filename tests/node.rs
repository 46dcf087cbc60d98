//! Integration tests that run the built `echo-node` binary.

#![forbid(unsafe_code)]

mod common;

use std::collections::HashMap;
use std::io::{BufRead, BufReader, Write};
use std::process::Stdio;
use std::sync::mpsc;
use std::thread;

use common::{
    FLUSH_MODES, INIT, PATIENCE, check_reply_shape, echo_request, json, lines, node_command,
    run_node, spawn_node,
};

#[test]
fn one_request_at_a_time_gets_each_reply_before_the_next_is_sent() {
    for flush in FLUSH_MODES {
        let mut child = spawn_node(&["--flush", flush]);
        let mut stdin = child.stdin.take().expect("piped");
        let stdout = child.stdout.take().expect("piped");
        let (tx, rx) = mpsc::channel();
        let reader = thread::spawn(move || {
            for line in BufReader::new(stdout).split(b'\n') {
                if tx.send(line.expect("read reply")).is_err() {
                    break;
                }
            }
        });
        stdin.write_all(INIT.as_bytes()).expect("send init");
        stdin.flush().expect("flush");
        let reply = rx.recv_timeout(PATIENCE).expect("init_ok");
        assert_eq!(check_reply_shape(&reply)["body"]["type"], "init_ok");
        for i in 0..200 {
            let payload = format!("\"Please echo {i}\"");
            stdin
                .write_all(echo_request(i + 1, 1, i + 2, &payload).as_bytes())
                .expect("send");
            stdin.flush().expect("flush");
            let reply = rx.recv_timeout(PATIENCE).unwrap_or_else(|_| {
                panic!("[{flush}] no reply to request {i} within {PATIENCE:?}")
            });
            let v = check_reply_shape(&reply);
            assert_eq!(v["body"]["in_reply_to"], i + 2, "[{flush}]");
            assert_eq!(v["body"]["echo"], format!("Please echo {i}"), "[{flush}]");
            assert_eq!(v["body"]["msg_id"], i + 1, "[{flush}]");
        }
        drop(stdin);
        assert!(child.wait().expect("exit").success());
        reader.join().expect("reader");
    }
}

/// The payloads cycled through by the stream tests.
const PAYLOADS: [&str; 6] = [
    "\"Please echo 35\"",
    "\"esc\\\"aped \\u00e9\\n\"",
    "{\"k\":[1,2.50,-3e-7,true,null],\"s\":\"\u{65e5}\u{672c}\"}",
    "12345678901234567890123",
    "[]",
    "\"\"",
];

/// Streams `count` Maelstrom-shaped requests from `clients` clients through the node and
/// checks that every reply answers its request, in order, with the payload's exact bytes.
fn stream(flush: &str, count: u64, clients: u64) {
    let mut input = String::from(INIT.as_str());
    for i in 0..count {
        let client = 1 + i % clients;
        let msg_id = 1 + i / clients;
        input.push_str(&echo_request(
            i + 1,
            client,
            msg_id,
            PAYLOADS[(i % 6) as usize],
        ));
    }
    let output = run_node(&["--flush", flush, "--stats"], input.as_bytes());
    assert!(
        output.status.success(),
        "[{flush}] exit {:?}",
        output.status
    );
    let replies = lines(&output.stdout);
    assert_eq!(
        replies.len() as u64,
        count + 1,
        "[{flush}] one reply per request"
    );
    assert_eq!(
        replies[0],
        &b"{\"src\":\"n1\",\"dest\":\"c0\",\"body\":{\"type\":\"init_ok\",\"in_reply_to\":1,\"msg_id\":0}}"[..]
    );
    let mut next_msg_id: HashMap<u64, u64> = HashMap::new();
    for (i, reply) in replies[1..].iter().enumerate() {
        let i = i as u64;
        let client = 1 + i % clients;
        let payload = PAYLOADS[(i % 6) as usize];
        // Exact bytes: the reply is the fixed frame around the payload's own bytes.
        let expected = format!(
            "{{\"src\":\"n1\",\"dest\":\"c{client}\",\"body\":{{\"type\":\"echo_ok\",\"echo\":{payload},\"in_reply_to\":{},\"msg_id\":{}}}}}",
            1 + i / clients,
            i + 1
        );
        assert_eq!(*reply, expected.as_bytes(), "[{flush}] reply {i}");
        let id = next_msg_id.entry(client).or_insert(1);
        assert_eq!(1 + i / clients, *id);
        *id += 1;
    }
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains(&format!(
            "{} requests, 0 responses, {} replies",
            count + 1,
            count + 1
        )),
        "--stats: {stderr}"
    );
    let words: Vec<&str> = stderr.split_whitespace().collect();
    let writes: u64 = words
        .windows(2)
        .find_map(|w| (w[1].trim_end_matches(',') == "writes").then(|| w[0].parse().ok())?)
        .unwrap_or_else(|| panic!("--stats reports writes: {stderr}"));
    match flush {
        "message" => assert_eq!(writes, count + 1, "one write per reply"),
        _ => assert!(
            writes <= count / 4,
            "batch mode made {writes} writes for {count} replies"
        ),
    }
}

#[test]
fn a_million_requests_from_ten_clients_all_answered_in_order() {
    stream("message", 1_000_000, 10);
}

#[test]
fn a_stream_in_batch_mode_is_answered_with_few_writes() {
    stream("batch", 200_000, 7);
}

#[test]
fn replies_parse_as_the_request_payload() {
    // Every reply, parsed, carries the same JSON value as its request.
    let mut input = String::from(INIT.as_str());
    for (i, p) in PAYLOADS.iter().enumerate() {
        input.push_str(&echo_request(i as u64, 1, i as u64 + 2, p));
    }
    let output = run_node(&[], input.as_bytes());
    for (reply, payload) in lines(&output.stdout)[1..].iter().zip(PAYLOADS) {
        assert_eq!(
            check_reply_shape(reply)["body"]["echo"],
            json(payload.as_bytes())
        );
    }
}

#[test]
fn bad_lines_interleaved_with_good_ones_cost_nothing() {
    let bad: [&[u8]; 8] = [
        b"garbage",
        b"{\"src\":\"c1\"",
        b"\xff\xfe\xfd",
        b"{\"src\":\"c1\",\"dest\":\"n1\",\"body\":{\"type\":\"echo\",\"echo\":\"\xc3\x28\",\"msg_id\":1}}",
        b"[]",
        b"{\"src\":\"c1\",\"dest\":\"n1\",\"body\":{\"type\":\"echo\",\"echo\":tru,\"msg_id\":1}}",
        b"\x00\x00\x00",
        b"}{",
    ];
    for flush in FLUSH_MODES {
        let mut input = INIT.as_bytes().to_vec();
        let mut good = 0u64;
        let mut bad_lines = Vec::new();
        for i in 0..1000u64 {
            if i % 3 == 1 {
                input.extend_from_slice(bad[(i % 8) as usize]);
                input.push(b'\n');
                bad_lines.push(i + 2); // line numbers: init is line 1
            } else {
                good += 1;
                input.extend_from_slice(echo_request(i, 1, good, "\"ok\"").as_bytes());
            }
        }
        let output = run_node(&["--flush", flush], &input);
        assert!(output.status.success());
        let replies = lines(&output.stdout);
        assert_eq!(replies.len() as u64, good + 1, "[{flush}]");
        for (n, reply) in replies[1..].iter().enumerate() {
            assert_eq!(
                check_reply_shape(reply)["body"]["in_reply_to"],
                n as u64 + 1
            );
        }
        let stderr = String::from_utf8_lossy(&output.stderr);
        let reported: Vec<u64> = stderr
            .lines()
            .map(|l| {
                let rest = l
                    .strip_prefix("echo-node: line ")
                    .expect("diagnostic format");
                rest[..rest.find(':').expect("colon")]
                    .parse()
                    .expect("line number")
            })
            .collect();
        assert_eq!(
            reported, bad_lines,
            "[{flush}] each bad line reported once, by number"
        );
    }
}

#[test]
fn stdout_closed_by_the_reader_ends_the_node_quietly() {
    let mut child = spawn_node(&[]);
    drop(child.stdout.take()); // the reader goes away
    let mut stdin = child.stdin.take().expect("piped");
    let writer = thread::spawn(move || {
        let line = echo_request(1, 1, 1, "\"x\"");
        for _ in 0..100_000 {
            if stdin.write_all(line.as_bytes()).is_err() {
                return; // the node has exited
            }
        }
    });
    let output = child.wait_with_output().expect("exits");
    writer.join().expect("writer");
    assert!(output.status.success(), "exit {:?}", output.status);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(stderr, "echo-node: stdout was closed; exiting\n");
}

#[test]
fn write_errors_are_reported_with_a_failing_exit() {
    // A stdout that fails every write and is not a closed pipe: a file opened for reading
    // only (write(2) fails with EBADF on every Unix; Linux's /dev/full is not everywhere).
    let path = std::env::temp_dir().join(format!("echo-node-read-only-{}", std::process::id()));
    std::fs::write(&path, b"").expect("temp file");
    let read_only = std::fs::File::open(&path).expect("open for reading");
    let _ = std::fs::remove_file(&path);
    let mut child = node_command()
        .stdin(Stdio::piped())
        .stdout(read_only)
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn");
    child
        .stdin
        .take()
        .expect("piped")
        .write_all(INIT.as_bytes())
        .expect("send");
    let output = child.wait_with_output().expect("exits");
    assert_eq!(output.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.starts_with("echo-node: writing stdout: "),
        "{stderr}"
    );
}

#[test]
fn read_errors_are_reported_with_a_failing_exit() {
    let dir = std::fs::File::open("/").expect("open a directory");
    let output = node_command().stdin(dir).output().expect("run");
    assert_eq!(output.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.starts_with("echo-node: reading stdin: "), "{stderr}");
}

#[test]
fn command_line() {
    let help = node_command().arg("--help").output().expect("run");
    assert!(help.status.success());
    let text = String::from_utf8_lossy(&help.stdout);
    assert!(
        text.contains("Exit status: 0 ") && text.contains("2 on a usage error"),
        "--help lists the exit statuses"
    );
    for flag in ["--flush", "--max-line", "--stats", "--quiet", "--version"] {
        assert!(text.contains(flag), "--help mentions {flag}");
    }
    let version = node_command().arg("-V").output().expect("run");
    assert_eq!(
        String::from_utf8_lossy(&version.stdout),
        format!(
            "echo-node {} (simd-json: {})\n",
            env!("CARGO_PKG_VERSION"),
            simd_json::Deserializer::algorithm()
        )
    );
    for (bad, says) in [
        (&["--flush", "sometimes"][..], "expected message or batch"),
        (
            &["--max-line", "lots"],
            "'lots' for '--max-line': unknown unit",
        ),
        (
            &["--max-line", "-1"],
            "'-1' for '--max-line': must be positive",
        ),
        (
            &["--max-line", "2.5M"],
            "'2.5M' for '--max-line': must be a whole number",
        ),
        (&["--max-line", "0"], "too small for any message"),
        (&["--max-line", "63"], "too small for any message"),
        (
            &["--max-line", "1KB"],
            "unknown unit; expected bytes, or a number with K, M or G",
        ),
        (&["--max-line", "99999999999999999999"], "too large"),
        (&["--max-line", "4G"], "from 64 to 4095M"),
        (&["--nope"], "--nope"),
        (&["extra"], "extra"),
        (&["--version", "extra"], "extra"),
        (&["--help", "--nope"], "--nope"),
    ] {
        let out = node_command().args(bad).output().expect("run");
        assert_eq!(out.status.code(), Some(2), "{bad:?}");
        assert!(out.stdout.is_empty(), "usage errors go to stderr");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(stderr.contains(says), "{bad:?}: {stderr}");
        assert!(stderr.ends_with("Try 'echo-node --help'.\n"), "{stderr}");
    }
    for good in [
        &["--max-line", "64"][..],
        &["--max-line", "1k"],
        &["--max-line", "1KiB"],
        &["--max-line", "4095M"],
    ] {
        let out = node_command()
            .args(good)
            .stdin(Stdio::null())
            .output()
            .expect("run");
        assert!(
            out.status.success(),
            "{good:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
}

#[test]
fn quiet_silences_diagnostics_but_not_replies() {
    let input = format!("{}not json\n{}", *INIT, echo_request(2, 1, 2, "1"));
    let loud = run_node(&[], input.as_bytes());
    let quiet = run_node(&["--quiet"], input.as_bytes());
    assert!(!loud.stderr.is_empty());
    assert!(quiet.stderr.is_empty());
    assert_eq!(loud.stdout, quiet.stdout);
    assert_eq!(lines(&quiet.stdout).len(), 2);
}

#[test]
fn empty_input_exits_cleanly_with_no_output() {
    let output = run_node(&[], b"");
    assert!(output.status.success());
    assert!(output.stdout.is_empty());
    assert!(output.stderr.is_empty());
}
