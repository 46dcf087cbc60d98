//! What a request for the store is answered with: the file or page a path names, if it
//! lies inside the store, and whether a request's `Host` names this server. Nothing here
//! speaks HTTP; the server (`mod.rs`) does.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

/// What a request is answered with.
#[derive(Debug, PartialEq, Eq)]
pub(super) enum Answer {
    /// A page made here.
    Page(String),
    /// A file, and its content type.
    File(PathBuf, &'static str),
    /// Go to this path (a folder asked without its `/`).
    Moved(String),
    /// Not in the store.
    NotFound,
    /// Not a GET or a HEAD.
    NotAllowed,
    /// Asked of another server by name.
    OtherHost,
}

/// Whether `host`, a request's `Host` (`name` or `name:port`), names the server bound to
/// `bound`: `localhost`, or an address: this one, a loopback one, or, when it listens
/// on every address, any. A name that merely resolves here (DNS rebinding) does not.
pub(super) fn names_this_server(host: &str, bound: SocketAddr) -> bool {
    let name = match host.strip_prefix('[') {
        Some(v6) => v6.split_once(']').map_or(v6, |(address, _)| address),
        None => host.rsplit_once(':').map_or(host, |(name, _)| name),
    };
    if name.eq_ignore_ascii_case("localhost") {
        return true;
    }
    match name.parse::<std::net::IpAddr>() {
        Ok(ip) => ip.is_loopback() || ip == bound.ip() || bound.ip().is_unspecified(),
        Err(_) => false,
    }
}

/// The answer to a GET of `url` from the store at `root`.
pub(super) fn resolve(root: &Path, url: &str) -> Answer {
    let path = url.split(['?', '#']).next().unwrap_or("");
    let Ok(decoded) = percent_encoding::percent_decode_str(path).decode_utf8() else {
        return Answer::NotFound;
    };
    if !decoded.starts_with('/') || decoded.contains(['\\', '\0']) {
        return Answer::NotFound;
    }
    let segments: Vec<&str> = decoded.split('/').filter(|s| !s.is_empty()).collect();
    if segments.iter().any(|s| *s == "." || *s == "..") {
        return Answer::NotFound;
    }
    if segments.is_empty() {
        return Answer::Page(crate::output::pages::front(&crate::store::list(root)));
    }
    let asked: PathBuf = segments.iter().fold(root.to_path_buf(), |p, s| p.join(s));
    // The real place, links followed: it must be inside the store.
    let Ok(real) = std::fs::canonicalize(&asked) else {
        return Answer::NotFound;
    };
    if !real.starts_with(root) {
        return Answer::NotFound;
    }
    if real.is_dir() {
        if !decoded.ends_with('/') {
            // The path asked, with no empty segment: `//latest` goes to `/latest/`, on
            // this server, never to a host named `latest`.
            let raw: Vec<&str> = path.split('/').filter(|s| !s.is_empty()).collect();
            return Answer::Moved(format!("/{}/", raw.join("/")));
        }
        // The page a folder opens, links followed: inside the store too.
        return match std::fs::canonicalize(real.join("index.html")) {
            Ok(index) if index.starts_with(root) && index.is_file() => {
                Answer::File(index, "text/html; charset=utf-8")
            }
            _ => Answer::NotFound,
        };
    }
    if !real.is_file() {
        return Answer::NotFound;
    }
    let kind = match real.extension().and_then(|e| e.to_str()) {
        Some("html") => "text/html; charset=utf-8",
        Some("svg") => "image/svg+xml",
        Some("json") => "application/json",
        Some("png") => "image/png",
        _ => "text/plain; charset=utf-8",
    };
    Answer::File(real, kind)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nothing_outside_the_store_is_served() {
        let base = std::env::temp_dir().join(format!("echo-load-serve-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&base);
        let store = base.join("store");
        let run = store.join("echo").join("20261203T000000.000Z");
        std::fs::create_dir_all(&run).unwrap();
        std::fs::write(run.join("index.html"), "<p>run</p>").unwrap();
        std::fs::write(run.join("results.edn"), "{:valid? true}").unwrap();
        std::fs::write(base.join("secret.txt"), "secret").unwrap();
        #[cfg(unix)]
        {
            std::os::unix::fs::symlink(base.join("secret.txt"), run.join("leak.txt")).unwrap();
            std::os::unix::fs::symlink("echo/20261203T000000.000Z", store.join("latest")).unwrap();
            // A folder whose page is a link to a file outside the store.
            let planted = store.join("echo").join("planted");
            std::fs::create_dir_all(&planted).unwrap();
            std::os::unix::fs::symlink(base.join("secret.txt"), planted.join("index.html"))
                .unwrap();
        }
        let root = std::fs::canonicalize(&store).unwrap();
        for outside in [
            "/../secret.txt",
            "/%2e%2e/secret.txt",
            "/%2E%2E%2Fsecret.txt",
            "/echo/../../secret.txt",
            "/echo/20261203T000000.000Z/leak.txt",
            "/echo/planted/",
            "/echo/%00",
            "/echo\\..\\secret.txt",
            "/absent",
            "no-slash",
            "/%ff",
        ] {
            assert_eq!(resolve(&root, outside), Answer::NotFound, "{outside}");
        }
        let real = std::fs::canonicalize(&run).unwrap();
        assert_eq!(
            resolve(&root, "/echo/20261203T000000.000Z/results.edn?x=1"),
            Answer::File(real.join("results.edn"), "text/plain; charset=utf-8")
        );
        assert_eq!(
            resolve(&root, "/echo/20261203T000000.000Z"),
            Answer::Moved("/echo/20261203T000000.000Z/".into())
        );
        // A redirect stays on this server: `//latest` is not a host.
        #[cfg(unix)]
        assert_eq!(resolve(&root, "//latest"), Answer::Moved("/latest/".into()));
        #[cfg(unix)]
        assert_eq!(
            resolve(&root, "/latest/"),
            Answer::File(real.join("index.html"), "text/html; charset=utf-8")
        );
        assert!(
            matches!(resolve(&root, "/"), Answer::Page(p) if p.contains("20261203T000000.000Z"))
        );
        let local: SocketAddr = "127.0.0.1:8080".parse().unwrap();
        let all: SocketAddr = "0.0.0.0:8080".parse().unwrap();
        for (host, bound, served) in [
            ("127.0.0.1:8080", local, true),
            ("localhost:8080", local, true),
            ("LOCALHOST", local, true),
            ("[::1]:8080", local, true),
            ("127.0.0.2", local, true),
            ("192.168.1.5:8080", local, false),
            ("192.168.1.5:8080", all, true),
            ("evil.example:8080", local, false),
            ("evil.example", all, false),
            ("localhost.evil.example", local, false),
        ] {
            assert_eq!(names_this_server(host, bound), served, "{host} at {bound}");
        }
        let _ = std::fs::remove_dir_all(&base);
    }
}
