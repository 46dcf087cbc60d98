//! A file of the store as an HTTP body: read a slice at a time, as the client takes it,
//! its length known up front (hyper sends it as `Content-Length`).

use std::io;
use std::path::Path;
use std::pin::Pin;
use std::task::{Context, Poll};

use bytes::Bytes;
use futures_core::Stream;
use hyper::body::{Body, Frame, SizeHint};
use tokio::io::{AsyncReadExt, Take};
use tokio_util::io::ReaderStream;

/// How much of a file is read at a time.
const SLICE: usize = 64 * 1024;

/// A file's bytes, as many as it had when opened.
pub(super) struct FileBody {
    /// The file, cut at the length it had when opened: one that grows while it is sent
    /// (a run's history, written as the run goes) is sent as it was.
    slices: ReaderStream<Take<tokio::fs::File>>,
    /// The bytes still to send: the length it had when opened, less what was read.
    left: u64,
}

impl FileBody {
    /// The file at `path`, opened now.
    pub(super) async fn open(path: &Path) -> io::Result<Self> {
        let file = tokio::fs::File::open(path).await?;
        let length = file.metadata().await?.len();
        Ok(Self {
            slices: ReaderStream::with_capacity(file.take(length), SLICE),
            left: length,
        })
    }
}

impl Body for FileBody {
    type Data = Bytes;
    type Error = io::Error;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, io::Error>>> {
        let body = self.get_mut();
        Pin::new(&mut body.slices).poll_next(cx).map(|slice| {
            slice.map(|read| {
                read.map(|bytes| {
                    body.left = body.left.saturating_sub(bytes.len() as u64);
                    Frame::data(bytes)
                })
            })
        })
    }

    fn size_hint(&self) -> SizeHint {
        SizeHint::with_exact(self.left)
    }
}
