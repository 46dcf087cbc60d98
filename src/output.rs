//! Stage 4 of a message's path: write the replies out.
//!
//! [`Output`] owns the one output buffer that replies are built in, and decides when it
//! goes to the sink, by the [`Flush`] policy. Whatever the policy, the node calls
//! [`Output::flush`] before it waits for input, so no reply ever sits in the buffer
//! while its client waits for it.

use std::io::{self, Write};

/// When replies are written.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Flush {
    /// One write per reply, before the next request is read.
    #[default]
    Message,
    /// One write for the replies to every complete request already buffered, made before
    /// the node reads again (or once `BATCH_LIMIT` bytes are waiting).
    Batch,
}

/// In batch mode, replies are written early once this many bytes are waiting (a Linux
/// pipe's default capacity), so the reader sees replies while a long batch is handled.
pub const BATCH_LIMIT: usize = 64 * 1024;

/// The output buffer's capacity: a full batch and room for the reply that completes it.
const CAPACITY: usize = BATCH_LIMIT + 16 * 1024;

/// The output buffer and where it goes.
#[derive(Debug)]
pub struct Output<W: Write> {
    /// Replies not yet written. Cleared by every flush; its capacity is kept.
    buf: Vec<u8>,
    sink: W,
    policy: Flush,
    /// Number of write calls made on the sink (a batch that the sink takes in pieces
    /// counts once).
    writes: u64,
    /// Replies in `buf`.
    queued: u64,
    /// Replies in writes that succeeded.
    written: u64,
}

impl<W: Write> Output<W> {
    /// An empty output writing to `sink`.
    pub fn new(sink: W, policy: Flush) -> Self {
        Self {
            // Room for a full batch from the start: growing by doubling would leave the
            // outgrown buffers with the allocator, resident.
            buf: Vec::with_capacity(CAPACITY),
            sink,
            policy,
            writes: 0,
            queued: 0,
            written: 0,
        }
    }

    /// The buffer to append replies to.
    pub fn buffer(&mut self) -> &mut Vec<u8> {
        &mut self.buf
    }

    /// Called after each input line, `replied` if it appended a reply: writes now if the
    /// policy says so.
    pub fn message_done(&mut self, replied: bool) -> io::Result<()> {
        self.queued += u64::from(replied);
        let due = match self.policy {
            Flush::Message => !self.buf.is_empty(),
            Flush::Batch => self.buf.len() >= BATCH_LIMIT,
        };
        if due { self.flush() } else { Ok(()) }
    }

    /// Writes everything buffered to the sink and flushes it. If the write fails, the
    /// replies in it count as not written, and are dropped.
    pub fn flush(&mut self) -> io::Result<()> {
        if !self.buf.is_empty() {
            self.writes += 1;
            let result = self.sink.write_all(&self.buf);
            self.buf.clear();
            let queued = std::mem::take(&mut self.queued);
            result?;
            self.written += queued;
        }
        self.sink.flush()
    }

    /// Returns the buffer to its starting capacity if a reply far larger than usual grew
    /// it (call it when the buffer is empty, after a flush); true if it did.
    pub fn shrink(&mut self) -> bool {
        if self.buf.is_empty() && self.buf.capacity() > CAPACITY {
            self.buf = Vec::with_capacity(CAPACITY);
            true
        } else {
            false
        }
    }

    /// How many writes went to the sink.
    pub fn writes(&self) -> u64 {
        self.writes
    }

    /// How many replies were in writes that succeeded.
    pub fn replies_written(&self) -> u64 {
        self.written
    }

    /// The sink, for tests.
    #[cfg(test)]
    pub fn sink(&self) -> &W {
        &self.sink
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A sink that records each write call.
    #[derive(Default)]
    struct Calls(Vec<Vec<u8>>);

    impl Write for Calls {
        fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
            self.0.push(buf.to_vec());
            Ok(buf.len())
        }
        fn flush(&mut self) -> io::Result<()> {
            Ok(())
        }
    }

    #[test]
    fn message_policy_writes_each_reply() {
        let mut out = Output::new(Calls::default(), Flush::Message);
        for reply in [&b"a\n"[..], b"b\n"] {
            out.buffer().extend_from_slice(reply);
            out.message_done(true).expect("in memory");
        }
        out.message_done(false).expect("nothing to write");
        assert_eq!(out.sink().0, vec![b"a\n".to_vec(), b"b\n".to_vec()]);
        assert_eq!(out.writes(), 2);
        assert_eq!(out.replies_written(), 2);
    }

    #[test]
    fn batch_policy_waits_for_flush_or_limit() {
        let mut out = Output::new(Calls::default(), Flush::Batch);
        out.buffer().extend_from_slice(b"a\n");
        out.message_done(true).expect("in memory");
        out.buffer().extend_from_slice(b"b\n");
        out.message_done(true).expect("in memory");
        assert!(out.sink().0.is_empty());
        out.flush().expect("in memory");
        assert_eq!(out.sink().0, vec![b"a\nb\n".to_vec()]);
        out.buffer().resize(BATCH_LIMIT, b'x');
        out.message_done(true).expect("in memory");
        assert_eq!(out.sink().0.len(), 2);
        assert!(out.buffer().is_empty());
    }

    #[test]
    fn write_errors_are_returned_and_the_buffer_emptied() {
        struct Broken;
        impl Write for Broken {
            fn write(&mut self, _: &[u8]) -> io::Result<usize> {
                Err(io::ErrorKind::BrokenPipe.into())
            }
            fn flush(&mut self) -> io::Result<()> {
                Ok(())
            }
        }
        let mut out = Output::new(Broken, Flush::Message);
        out.buffer().extend_from_slice(b"x\n");
        let err = out.message_done(true).expect_err("broken pipe");
        assert_eq!(err.kind(), io::ErrorKind::BrokenPipe);
        assert!(out.buffer().is_empty());
        assert_eq!(out.replies_written(), 0, "a failed write writes no reply");
    }
}
