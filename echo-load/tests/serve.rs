//! `echo-load serve`, as a browser and a hostile client use it: the store and nothing
//! outside it, only to requests for this server, and every client answered whatever the
//! others do.

mod support;

use support::{named_folder, run_in, serve};

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::PathBuf;

/// A new empty folder for a test.
fn folder(name: &str) -> PathBuf {
    support::empty_folder("serve", name)
}

/// A raw HTTP exchange with `url`'s server: what it answered.
fn raw(url: &str, request: &[u8]) -> String {
    let addr = url.trim_start_matches("http://");
    let mut stream = std::net::TcpStream::connect(addr).expect("connect");
    stream.write_all(request).expect("send");
    stream
        .set_read_timeout(Some(std::time::Duration::from_secs(10)))
        .expect("timeout");
    let mut answer = Vec::new();
    let _ = stream.read_to_end(&mut answer);
    String::from_utf8_lossy(&answer).into_owned()
}

#[test]
fn serve_shows_the_store_and_nothing_outside_it() {
    let cwd = folder("serve");
    let (status, stdout) = run_in(&cwd, &["--time-limit", "0.3", "--rate", "20"]);
    assert_eq!(status, Some(0), "{stdout}");
    let run = named_folder(&cwd, &stdout);
    let name = run.file_name().unwrap().to_str().unwrap().to_owned();
    std::fs::write(cwd.join("secret.txt"), "secret").unwrap();
    let (server, url) = serve(&cwd.join("store"));
    assert!(url.starts_with("http://127.0.0.1:"), "{url}");
    let host = url.trim_start_matches("http://").to_owned();
    let get_from = |host: &str, path: &str| {
        raw(
            &url,
            format!("GET {path} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n").as_bytes(),
        )
    };
    let get = |path: &str| get_from(&host, path);
    let front = get("/");
    assert!(front.starts_with("HTTP/1.1 200"), "{front}");
    assert!(
        front.contains(&format!("/echo/{name}/index.html")),
        "{front}"
    );
    assert!(front.contains("data-verdict=\"valid\""), "{front}");
    let page = get(&format!("/echo/{name}/index.html"));
    assert!(
        page.starts_with("HTTP/1.1 200") && page.contains("results.edn"),
        "{page}"
    );
    let edn = get("/latest/results.edn");
    assert!(
        edn.starts_with("HTTP/1.1 200") && edn.contains(":valid? true"),
        "{edn}"
    );
    for outside in [
        "/../secret.txt",
        "/%2e%2e/secret.txt",
        "/echo/%2E%2E/%2E%2E/secret.txt",
    ] {
        let answer = get(outside);
        assert!(answer.starts_with("HTTP/1.1 404"), "{outside}: {answer}");
        assert!(
            !answer.contains("secret\n") && !answer.ends_with("secret"),
            "{answer}"
        );
    }
    let post = raw(
        &url,
        format!(
            "POST / HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n"
        )
        .as_bytes(),
    );
    assert!(post.starts_with("HTTP/1.1 405"), "{post}");
    // A page elsewhere whose name was made to resolve here (DNS rebinding) is not
    // served the store; localhost is.
    let rebound = get_from("evil.example:8080", "/latest/results.edn");
    assert!(rebound.starts_with("HTTP/1.1 421"), "{rebound}");
    assert!(!rebound.contains(":valid?"), "{rebound}");
    let port = host.rsplit_once(':').map_or("", |(_, p)| p);
    let local = get_from(&format!("localhost:{port}"), "/latest/results.edn");
    assert!(local.starts_with("HTTP/1.1 200"), "{local}");
    let garbage = raw(&url, b"\x00\x01 not http at all\r\n\r\n");
    assert!(garbage.starts_with("HTTP/1.1 400"), "{garbage}");
    // And it still serves after all of that.
    assert!(get("/").starts_with("HTTP/1.1 200"));
    drop(server);
    let _ = std::fs::remove_dir_all(&cwd);
}

/// The threads of process `pid`, where the system says (Linux's /proc).
fn threads(pid: u32) -> Option<usize> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let line = status.lines().find(|l| l.starts_with("Threads:"))?;
    line["Threads:".len()..].trim().parse().ok()
}

#[test]
fn no_client_holds_up_another() {
    let cwd = folder("slow");
    let (status, stdout) = run_in(&cwd, &["--time-limit", "0.3", "--rate", "20"]);
    assert_eq!(status, Some(0), "{stdout}");
    let run = named_folder(&cwd, &stdout);
    let name = run.file_name().unwrap().to_str().unwrap().to_owned();
    // A file far larger than the socket's buffers: 32 MiB, as a long run's history.
    let line = "{\"type\":\"invoke\",\"f\":\"echo\",\"value\":\"Please echo 1\"}\n";
    let big = line.repeat(32 * 1024 * 1024 / line.len());
    std::fs::write(run.join("big.jsonl"), &big).unwrap();
    let (server, url) = serve(&cwd.join("store"));
    let addr = url.trim_start_matches("http://").to_owned();
    let get = format!("GET /echo/{name}/big.jsonl HTTP/1.1\r\nHost: {addr}\r\n\r\n");
    // Clients that ask for the large file and take none of it.
    let stalled: Vec<TcpStream> = (0..4)
        .map(|_| {
            let mut s = TcpStream::connect(&addr).expect("connect");
            s.write_all(get.as_bytes()).expect("send");
            s
        })
        .collect();
    // Clients that connect and say nothing, and one that sends half a request.
    let idle: Vec<TcpStream> = (0..300)
        .map(|_| TcpStream::connect(&addr).expect("connect"))
        .collect();
    let mut half = TcpStream::connect(&addr).expect("connect");
    half.write_all(b"GET / HTTP/1.1\r\nHost: loc")
        .expect("send");
    // Every other client is answered all the same, in full.
    for _ in 0..20 {
        let front = raw(
            &url,
            format!("GET / HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n").as_bytes(),
        );
        assert!(
            front.starts_with("HTTP/1.1 200") && front.contains(&name),
            "{front}"
        );
    }
    // None of those clients costs a thread of its own.
    if let Some(threads) = threads(server.id()) {
        assert!(
            threads <= 16,
            "{threads} threads for {} clients",
            idle.len() + 6
        );
    }
    // A stalled client that takes its answer at last gets all of it, as it was.
    let mut reader = BufReader::new(stalled.into_iter().next().expect("a client"));
    let mut length = None;
    loop {
        let mut header = String::new();
        reader.read_line(&mut header).expect("a header");
        if header == "\r\n" {
            break;
        }
        if let Some(n) = header.to_ascii_lowercase().strip_prefix("content-length:") {
            length = n.trim().parse::<usize>().ok();
        }
    }
    assert_eq!(length, Some(big.len()));
    let mut body = vec![0; big.len()];
    reader.read_exact(&mut body).expect("the whole file");
    assert!(body == big.as_bytes(), "the file as it is");
    drop((idle, half, server));
    let _ = std::fs::remove_dir_all(&cwd);
}
