//! The system's calls the streams share: waiting on a descriptor, a write that waits out
//! EAGAIN, whether two descriptors are one destination, and a pipe's capacity.

use std::fs::File;
use std::io::{self, Write};
use std::os::fd::AsFd;
use std::time::Duration;

use rustix::event::{PollFd, PollFlags, Timespec, poll};
use rustix::io::Errno;

/// Waits until `fd` is ready for `events`, or `timeout` passes (`None`: no limit);
/// true if it is ready. A descriptor in error or hung up counts as ready: the read or
/// write that follows reports it.
pub(super) fn wait(
    fd: impl AsFd,
    events: PollFlags,
    timeout: Option<Duration>,
) -> io::Result<bool> {
    let timeout = timeout.map(|t| Timespec {
        tv_sec: t.as_secs().try_into().unwrap_or(i64::MAX),
        tv_nsec: t.subsec_nanos().into(),
    });
    let mut fds = [PollFd::new(&fd, events)];
    loop {
        match poll(&mut fds, timeout.as_ref()) {
            Ok(n) => return Ok(n > 0),
            Err(Errno::INTR) => continue,
            Err(e) => return Err(e.into()),
        }
    }
}

/// One write to `file`, waiting out EAGAIN (an inherited `O_NONBLOCK` descriptor).
pub(super) fn write_waiting(mut file: &File, buf: &[u8]) -> io::Result<usize> {
    loop {
        match file.write(buf) {
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => {
                wait(file, PollFlags::OUT, None)?;
            }
            result => return result,
        }
    }
}

/// Whether `a` and `b` are one destination: the same file, pipe or socket (device and
/// inode), or the same terminal or other device (device number). Unknown counts as not.
pub(super) fn same_destination(a: &File, b: &File) -> bool {
    use std::os::unix::fs::{FileTypeExt, MetadataExt};
    let (Ok(a), Ok(b)) = (a.metadata(), b.metadata()) else {
        return false;
    };
    let device = |m: &std::fs::Metadata| m.file_type().is_char_device() && m.rdev() != 0;
    (a.dev() == b.dev() && a.ino() == b.ino()) || (device(&a) && device(&b) && a.rdev() == b.rdev())
}

/// The capacity asked for on stdin's and stdout's pipes (Linux's default is 64 KiB):
/// replies then go out without waiting for a slow reader, and Maelstrom's writes to us
/// block less (`benches/end_to_end.rs` runs the node behind pipes).
#[cfg(any(target_os = "linux", target_os = "android"))]
const PIPE_SIZE: usize = 1 << 20;

/// Grows `fd`'s pipe to [`PIPE_SIZE`], if it is a pipe. Best effort: a file or a
/// terminal, or a limit in /proc/sys/fs/pipe-max-size, leaves it as it is.
#[cfg(any(target_os = "linux", target_os = "android"))]
pub(super) fn grow_pipe(fd: impl AsFd) {
    let _ = rustix::pipe::fcntl_setpipe_size(fd, PIPE_SIZE);
}

/// Other systems size their pipes themselves.
#[cfg(not(any(target_os = "linux", target_os = "android")))]
pub(super) fn grow_pipe(_fd: impl AsFd) {}
