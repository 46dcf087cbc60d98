//! `echo-load serve`: the store, read-only, over HTTP (as `maelstrom serve` shows its
//! own): the front page lists every run kept, newest first, coloured by verdict; a
//! folder shows its `index.html`; a file is sent as it is. Nothing outside the store is
//! served: a path with a `.` or `..` segment (encoded or not) and one whose real place
//! (symbolic links followed) is outside the store are answered 404, as is anything
//! absent; a method other than GET or HEAD 405; a request that cannot be read as HTTP
//! 400. A request whose `Host` names another server than this one (a page elsewhere
//! that had its name resolve here, to read the store) is answered 421: only `localhost`
//! and this server's address are served (any address of the machine's when it listens
//! on all of them).
//!
//! No client can hold up another. The server is hyper's HTTP/1 on one thread of
//! tokio's: each connection is a task, and an answer goes out as fast as its client
//! takes it, a slice at a time, never blocking the thread. The store is read on a few
//! threads of their own ([`READERS`]). A connection that has not sent a request's head
//! within [`HEAD_WITHIN`], or has left an answer untaken for [`STALLED_AFTER`], is
//! closed; at most [`CONNECTIONS`] are open at once, and more wait to be accepted
//! until one ends.

mod answer;
mod body;

use std::convert::Infallible;
use std::io;
use std::net::SocketAddr;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use http_body_util::{Either, Full};
use hyper::header::{CONTENT_TYPE, HOST, HeaderValue, LOCATION};
use hyper::{Method, Request, Response, StatusCode};
use hyper_util::rt::{TokioIo, TokioTimer};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::Semaphore;
use tokio_io_timeout::TimeoutStream;

use answer::{Answer, names_this_server, resolve};
use body::FileBody;

/// Connections open at once; more wait, unaccepted, until one ends.
const CONNECTIONS: usize = 1024;
/// How long a client has to send a request's head, from when it connects or its last
/// answer went out, before its connection is closed.
const HEAD_WITHIN: Duration = Duration::from_secs(30);
/// How long an answer may wait for its client to take more of it before the
/// connection is closed.
const STALLED_AFTER: Duration = Duration::from_secs(30);
/// Threads that read the store (tokio's blocking pool): the answer to a request is
/// worked out, and a file read, on one of them, never on the thread that serves.
const READERS: usize = 4;

/// Serves `store` at `addr` until the process ends; `ready` is told the address it
/// listens on first (the port, when `addr`'s is 0).
pub fn serve(store: &Path, addr: SocketAddr, ready: impl FnOnce(SocketAddr)) -> io::Result<()> {
    let root: Arc<Path> = std::fs::canonicalize(store)
        .map_err(|e| io::Error::new(e.kind(), format!("--store {}: {e}", store.display())))?
        .into();
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_io()
        .enable_time()
        .max_blocking_threads(READERS)
        .build()?;
    runtime.block_on(async move {
        let listener = TcpListener::bind(addr)
            .await
            .map_err(|e| io::Error::new(e.kind(), format!("{addr}: {e}")))?;
        let bound = listener.local_addr()?;
        ready(bound);
        let open = Arc::new(Semaphore::new(CONNECTIONS));
        loop {
            let Ok(slot) = Arc::clone(&open).acquire_owned().await else {
                // The semaphore is never closed.
                return Ok(());
            };
            let stream = match listener.accept().await {
                Ok((stream, _)) => stream,
                // A connection gone before it was taken, or no descriptor left for it
                // now: the next one, after a moment (the latter passes as others end).
                Err(_) => {
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            };
            let root = Arc::clone(&root);
            tokio::spawn(async move {
                connection(stream, root, bound).await;
                drop(slot);
            });
        }
    })
}

/// Serves one connection's requests until it closes, breaks or stalls.
async fn connection(stream: TcpStream, root: Arc<Path>, bound: SocketAddr) {
    let mut stream = TimeoutStream::new(stream);
    stream.set_write_timeout(Some(STALLED_AFTER));
    let io = TokioIo::new(Box::pin(stream));
    let service = hyper::service::service_fn(move |request| {
        let root = Arc::clone(&root);
        async move { Ok::<_, Infallible>(respond(answer(request, root, bound).await).await) }
    });
    // A client gone, stalled or speaking something else is its own affair: hyper has
    // answered what could be answered (400 to what is not HTTP), and the others go on.
    let _ = hyper::server::conn::http1::Builder::new()
        .timer(TokioTimer::new())
        .header_read_timeout(HEAD_WITHIN)
        .serve_connection(io, service)
        .await;
}

/// What `request` is answered with, from the store at `root`.
async fn answer<B>(request: Request<B>, root: Arc<Path>, bound: SocketAddr) -> Answer {
    let host = request.headers().get(HOST).map(HeaderValue::to_str);
    if !host.is_none_or(|h| h.is_ok_and(|h| names_this_server(h, bound))) {
        return Answer::OtherHost;
    }
    if !matches!(*request.method(), Method::GET | Method::HEAD) {
        return Answer::NotAllowed;
    }
    let target = request
        .uri()
        .path_and_query()
        .map_or_else(|| "/".to_owned(), |p| p.as_str().to_owned());
    tokio::task::spawn_blocking(move || resolve(&root, &target))
        .await
        .unwrap_or(Answer::NotFound)
}

/// A page, a file's contents as they are read, or nothing.
type Body = Either<Full<Bytes>, FileBody>;

/// The response that says `answer`.
async fn respond(answer: Answer) -> Response<Body> {
    let html = "text/html; charset=utf-8";
    match answer {
        Answer::Page(page) => with(StatusCode::OK, page, &[(CONTENT_TYPE, html)]),
        Answer::File(path, kind) => match FileBody::open(&path).await {
            Ok(file) => {
                let mut response = Response::new(Either::Right(file));
                response
                    .headers_mut()
                    .insert(CONTENT_TYPE, HeaderValue::from_static(kind));
                response
            }
            Err(_) => status(StatusCode::NOT_FOUND, "not found", None),
        },
        Answer::Moved(to) => status(StatusCode::MOVED_PERMANENTLY, "moved", Some(to)),
        Answer::NotFound => status(StatusCode::NOT_FOUND, "not found", None),
        Answer::NotAllowed => status(StatusCode::METHOD_NOT_ALLOWED, "only GET and HEAD", None),
        Answer::OtherHost => status(
            StatusCode::MISDIRECTED_REQUEST,
            "this server serves the store at its own address and as localhost only",
            None,
        ),
    }
}

/// A status and a line saying it (and where to go, for a redirect).
fn status(code: StatusCode, text: &str, location: Option<String>) -> Response<Body> {
    let line = format!("{} {text}\n", code.as_u16());
    let plain = "text/plain; charset=utf-8";
    let mut response = with(code, line, &[(CONTENT_TYPE, plain)]);
    if let Some(value) = location.and_then(|to| HeaderValue::try_from(to).ok()) {
        response.headers_mut().insert(LOCATION, value);
    }
    response
}

/// A response of `code` whose body is `text`, with `headers`.
fn with(
    code: StatusCode,
    text: String,
    headers: &[(hyper::header::HeaderName, &'static str)],
) -> Response<Body> {
    let mut response = Response::new(Either::Left(Full::new(Bytes::from(text))));
    *response.status_mut() = code;
    for (name, value) in headers {
        response
            .headers_mut()
            .insert(name.clone(), HeaderValue::from_static(value));
    }
    response
}
