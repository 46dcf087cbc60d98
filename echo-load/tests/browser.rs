//! The web view in a real browser: headless Chromium (Debian's `chromium`; `.ci/run`
//! installs it), driven over the DevTools protocol, opens a run's page from the file
//! system, and the store's front page, a run's, a comparison's and a capacity search's
//! pages as `echo-load serve` serves them, and checks what a person would see: the
//! verdict, every picture loaded with a size, and no error in the console.
//!
//! With no Chromium on the machine the test says so on stderr and passes, unless `CI` is
//! set: there it fails. `ECHO_LOAD_SCREENSHOTS=DIR` saves the run's page and the front
//! page as PNG files in DIR (echo-load's doc/ holds the ones its README shows:
//! `ECHO_LOAD_SCREENSHOTS=$PWD/echo-load/doc cargo test -p echo-load --test browser`).

mod support;

use support::serve;

use std::io::{BufRead, Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use base64::Engine as _;
use serde_json::{Value, json};

/// Chromium's executable: `$CHROMIUM`, the first of Debian's and others' names on PATH,
/// or Google Chrome where macOS installs it.
fn chromium() -> Option<PathBuf> {
    if let Some(path) = std::env::var_os("CHROMIUM") {
        return Some(PathBuf::from(path));
    }
    let path = std::env::var_os("PATH").unwrap_or_default();
    ["chromium", "chromium-browser", "google-chrome"]
        .iter()
        .flat_map(|name| std::env::split_paths(&path).map(move |dir| dir.join(name)))
        .chain([PathBuf::from(
            "/Applications/Google Chrome.app/Contents/MacOS/Google Chrome",
        )])
        .find(|p| p.is_file())
}

/// A headless Chromium, ended when dropped.
struct Browser {
    child: Child,
    /// Its DevTools port.
    port: u16,
    profile: PathBuf,
}

impl Browser {
    fn launch(chromium: &Path) -> Browser {
        let profile =
            std::env::temp_dir().join(format!("echo-load-chromium-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&profile);
        let mut child = Command::new(chromium)
            .args([
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--disable-quic",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--hide-scrollbars",
                "--remote-debugging-port=0",
                "--window-size=1100,900",
            ])
            .arg(format!("--user-data-dir={}", profile.display()))
            .arg("about:blank")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("start chromium");
        // It says where its DevTools listen: "DevTools listening on ws://127.0.0.1:PORT/...".
        let stderr = child.stderr.take().expect("stderr");
        let mut lines = std::io::BufReader::new(stderr).lines();
        let port = loop {
            let line = lines
                .next()
                .expect("chromium said where its DevTools listen")
                .expect("chromium's stderr");
            if let Some(rest) = line.split("ws://127.0.0.1:").nth(1) {
                break rest.split('/').next().unwrap().parse().expect("a port");
            }
        };
        // The rest of its stderr is drained, so that it never blocks on a full pipe.
        std::thread::spawn(move || for _ in lines {});
        Browser {
            child,
            port,
            profile,
        }
    }

    /// A new tab.
    fn tab(&self) -> Tab {
        let mut stream = TcpStream::connect(("127.0.0.1", self.port)).expect("devtools");
        write!(
            stream,
            "PUT /json/new?about:blank HTTP/1.1\r\nHost: 127.0.0.1:{}\r\nConnection: close\r\n\r\n",
            self.port
        )
        .expect("ask for a tab");
        // Its answer: headers, then a body of Content-Length bytes (the connection may
        // stay open).
        let mut reader = std::io::BufReader::new(stream);
        let mut length = 0usize;
        loop {
            let mut header = String::new();
            reader.read_line(&mut header).expect("a header");
            let header = header.trim_end();
            if header.is_empty() {
                break;
            }
            if let Some((name, value)) = header.split_once(':')
                && name.eq_ignore_ascii_case("content-length")
            {
                length = value.trim().parse().expect("a length");
            }
        }
        let mut body = vec![0; length];
        reader.read_exact(&mut body).expect("the body");
        let body = String::from_utf8(body).expect("UTF-8");
        let target: Value = serde_json::from_str(&body).expect("a target");
        let ws = target["webSocketDebuggerUrl"].as_str().expect("its socket");
        let (socket, _) = tungstenite::connect(ws).expect("connect to the tab");
        // Reads give up after a while, so that an event that never comes is a retry or
        // a clear failure, never a test that hangs.
        if let tungstenite::stream::MaybeTlsStream::Plain(stream) = socket.get_ref() {
            stream
                .set_read_timeout(Some(Duration::from_millis(500)))
                .expect("a read timeout");
        }
        let mut tab = Tab {
            socket,
            next: 1,
            events: Vec::new(),
        };
        for domain in ["Page.enable", "Runtime.enable", "Log.enable"] {
            tab.call(domain, json!({}));
        }
        tab
    }
}

impl Drop for Browser {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.profile);
    }
}

/// A tab, over its DevTools socket.
struct Tab {
    socket: tungstenite::WebSocket<tungstenite::stream::MaybeTlsStream<TcpStream>>,
    next: u64,
    /// Events not yet looked at.
    events: Vec<Value>,
}

/// What a person would see of a page.
#[derive(Debug)]
struct Seen {
    /// The verdict element's text.
    verdict: Option<String>,
    /// Each image: its source, whether it loaded, and its natural size.
    images: Vec<(String, bool, u64, u64)>,
    /// The page's text.
    text: String,
    /// Errors on the console, and resources that failed.
    errors: Vec<String>,
}

impl Tab {
    fn read(&mut self) -> Value {
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            match self.try_read() {
                Some(message) => return message,
                None => assert!(Instant::now() < deadline, "DevTools said nothing for 60 s"),
            }
        }
    }

    /// The next DevTools message, or `None` if none came within the socket's timeout.
    fn try_read(&mut self) -> Option<Value> {
        loop {
            match self.socket.read() {
                Ok(tungstenite::Message::Text(text)) => {
                    return Some(serde_json::from_str(&text).expect("JSON"));
                }
                Ok(_) => {}
                Err(tungstenite::Error::Io(e))
                    if matches!(
                        e.kind(),
                        std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
                    ) =>
                {
                    return None;
                }
                Err(e) => panic!("a DevTools message: {e}"),
            }
        }
    }

    /// Calls `method`: its result.
    fn call(&mut self, method: &str, params: Value) -> Value {
        let id = self.next;
        self.next += 1;
        let message = json!({"id": id, "method": method, "params": params}).to_string();
        self.socket
            .send(tungstenite::Message::Text(message))
            .expect("send");
        loop {
            let message = self.read();
            if message["id"] == id {
                assert!(message.get("error").is_none(), "{method}: {message}");
                return message["result"].clone();
            }
            self.events.push(message);
        }
    }

    /// Waits up to `limit` for event `name`: whether it came.
    fn wait_for(&mut self, name: &str, limit: Duration) -> bool {
        if let Some(i) = self.events.iter().position(|e| e["method"] == name) {
            self.events.remove(i);
            return true;
        }
        let deadline = Instant::now() + limit;
        while Instant::now() < deadline {
            let Some(message) = self.try_read() else {
                continue;
            };
            if message["method"] == name {
                return true;
            }
            self.events.push(message);
        }
        false
    }

    /// Opens `url` and looks at it once loaded.
    fn visit(&mut self, url: &str) -> Seen {
        // A load event Chromium now and then never sends (seen once in many runs) costs
        // a second navigation, not a hung test.
        let loaded = (0..3).any(|_| {
            self.events.clear();
            self.call("Page.navigate", json!({ "url": url }));
            self.wait_for("Page.loadEventFired", Duration::from_secs(20))
        });
        assert!(loaded, "{url} never loaded");
        let script = "JSON.stringify({\
            verdict: document.getElementById('verdict') ? \
                document.getElementById('verdict').textContent : null,\
            images: Array.from(document.images).map(i => \
                [i.src, i.complete, i.naturalWidth, i.naturalHeight]),\
            text: document.body ? document.body.innerText : ''})";
        let result = self.call("Runtime.evaluate", json!({ "expression": script }));
        let seen: Value = serde_json::from_str(result["result"]["value"].as_str().expect("text"))
            .expect("what the page shows");
        // Anything said on the console by now: exceptions, console.error, failed loads.
        let errors = self
            .events
            .iter()
            .filter_map(|e| match e["method"].as_str()? {
                "Runtime.exceptionThrown" => Some(e["params"].to_string()),
                "Runtime.consoleAPICalled" if e["params"]["type"] == "error" => {
                    Some(e["params"].to_string())
                }
                "Log.entryAdded" if e["params"]["entry"]["level"] == "error" => {
                    Some(e["params"]["entry"].to_string())
                }
                _ => None,
            })
            .collect();
        Seen {
            verdict: seen["verdict"].as_str().map(str::to_owned),
            images: seen["images"]
                .as_array()
                .expect("images")
                .iter()
                .map(|i| {
                    (
                        i[0].as_str().unwrap_or("").to_owned(),
                        i[1].as_bool().unwrap_or(false),
                        i[2].as_u64().unwrap_or(0),
                        i[3].as_u64().unwrap_or(0),
                    )
                })
                .collect(),
            text: seen["text"].as_str().unwrap_or("").to_owned(),
            errors,
        }
    }

    /// What the window shows of the page, as a PNG.
    fn screenshot(&mut self) -> Vec<u8> {
        let shot = self.call("Page.captureScreenshot", json!({"format": "png"}));
        base64::engine::general_purpose::STANDARD
            .decode(shot["data"].as_str().expect("data"))
            .expect("base64")
    }
}

/// Every picture loaded, with a size, and at least `least` of them.
fn pictures_loaded(page: &str, seen: &Seen, least: usize) {
    assert!(seen.images.len() >= least, "{page}: {:?}", seen.images);
    for (src, complete, w, h) in &seen.images {
        assert!(*complete && *w > 0 && *h > 0, "{page}: {src} did not load");
    }
    assert!(seen.errors.is_empty(), "{page}: {:?}", seen.errors);
}

#[test]
fn the_web_view_shows_every_run_picture_and_verdict_in_chromium() {
    let Some(chromium) = chromium() else {
        assert!(
            std::env::var_os("CI").is_none(),
            "CI: no Chromium (install Debian's chromium, or set CHROMIUM)"
        );
        eprintln!("skipped: no Chromium on this machine (set CHROMIUM to its path)");
        return;
    };
    let cwd = std::env::temp_dir().join(format!("echo-load-browser-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&cwd);
    std::fs::create_dir_all(&cwd).expect("folder");
    let node = support::demo_node();
    let node = node.to_str().expect("utf-8 path");
    let compare = kept(
        &cwd,
        &[
            "--bin",
            node,
            "--rounds",
            "1",
            "--time-limit",
            "0.3",
            "--rate",
            "30",
        ],
    );
    let capacity = kept(&cwd, support::QUICK_CAPACITY);
    let invalid = kept(
        &cwd,
        &[
            "--time-limit",
            "0.3",
            "--rate",
            "40",
            "--timeout",
            "100",
            "--",
            "--silent-after",
            "2",
        ],
    );
    let run = kept(&cwd, &["--time-limit", "1", "--rate", "40"]);
    let store = cwd.join("store");
    let (server, url) = serve(&store);
    let browser = Browser::launch(&chromium);
    let mut tab = browser.tab();
    let started = Instant::now();

    // The run's own page, opened from the file system.
    let file = format!("file://{}", run.join("index.html").display());
    let seen = tab.visit(&file);
    assert_eq!(seen.verdict.as_deref(), Some("valid"), "{file}");
    pictures_loaded(&file, &seen, 4);
    assert!(seen.text.contains("valid? true"), "{}", seen.text);
    let shots = std::env::var_os("ECHO_LOAD_SCREENSHOTS").map(PathBuf::from);
    if let Some(dir) = &shots {
        std::fs::write(dir.join("run.png"), tab.screenshot()).expect("run.png");
    }
    let png = tab.screenshot();
    assert!(png.starts_with(b"\x89PNG") && png.len() > 10_000);

    // The store's front page as served: each of the four, newest first.
    let seen = tab.visit(&format!("{url}/"));
    assert!(seen.errors.is_empty(), "{:?}", seen.errors);
    let names: Vec<String> = [&run, &invalid, &capacity, &compare]
        .iter()
        .map(|p| p.file_name().unwrap().to_string_lossy().into_owned())
        .collect();
    let at: Vec<usize> = names
        .iter()
        .map(|n| {
            seen.text
                .find(n.as_str())
                .unwrap_or_else(|| panic!("{n} in {}", seen.text))
        })
        .collect();
    assert!(
        at.windows(2).all(|w| w[0] < w[1]),
        "newest first: {}",
        seen.text
    );
    assert_eq!(seen.text.matches("(invalid)").count(), 1, "{}", seen.text);
    assert!(seen.text.contains("comparison") && seen.text.contains("capacity search"));
    if let Some(dir) = &shots {
        std::fs::write(dir.join("front.png"), tab.screenshot()).expect("front.png");
    }

    // Each page as served: the run's (by store/latest), the comparison's, the capacity
    // search's, and a run of the comparison's.
    for (page, least) in [
        (format!("{url}/latest/"), 4),
        (format!("{url}/echo/{}/index.html", names[3]), 1),
        (
            format!("{url}/echo/{}/round-1-bin-2/index.html", names[3]),
            4,
        ),
        (format!("{url}/echo/{}/index.html", names[2]), 1),
    ] {
        let seen = tab.visit(&page);
        assert_eq!(seen.verdict.as_deref(), Some("valid"), "{page}");
        pictures_loaded(&page, &seen, least);
    }
    let page = format!("{url}/echo/{}/", names[1]);
    let seen = tab.visit(&page);
    assert_eq!(seen.verdict.as_deref(), Some("invalid"), "{page}");
    pictures_loaded(&page, &seen, 4);
    // The timeline, a page of its own.
    let page = format!("{url}/latest/timeline.html");
    let seen = tab.visit(&page);
    assert!(
        seen.errors.is_empty() && seen.text.contains("Timeline"),
        "{page}"
    );
    eprintln!("pages checked in {:.1} s", started.elapsed().as_secs_f64());
    drop(browser);
    drop(server);
    let _ = std::fs::remove_dir_all(&cwd);
}

/// Runs echo-load in `cwd` with `args` against the demo node: the folder it names.
fn kept(cwd: &Path, args: &[&str]) -> PathBuf {
    let (_, stdout) = support::run_in(cwd, args);
    support::named_folder(cwd, &stdout)
}
