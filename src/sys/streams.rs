//! stdin and stdout as the node uses them, and [`standard_streams`], which opens all
//! three.

use std::fs::File;
use std::io::{self, Read, Write};
use std::os::fd::AsFd;

use rustix::event::{PollFd, PollFlags, poll};
use rustix::io::Errno;

use super::platform::{grow_pipe, same_destination, wait, write_waiting};
use super::signals::{STOP_SIGNALS, Signals, Stopped};
use super::stderr::Diagnostics;
use super::turn::Turn;

/// stdin, read in the node's large reads. See the module docs.
#[derive(Debug)]
pub struct Stdin {
    file: File,
    signals: Option<Signals>,
}

impl Stdin {
    /// stdin (a new descriptor for fd 0); with `signals`, a stop signal ends the wait.
    fn open(signals: Option<Signals>) -> io::Result<Stdin> {
        let file = File::from(io::stdin().as_fd().try_clone_to_owned()?);
        grow_pipe(&file);
        Ok(Stdin { file, signals })
    }
}

impl Read for Stdin {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        loop {
            if let Some(signals) = &self.signals {
                let [term, int] = signals.wake();
                let mut fds = [
                    PollFd::new(&self.file, PollFlags::IN),
                    PollFd::new(term, PollFlags::IN),
                    PollFd::new(int, PollFlags::IN),
                ];
                match poll(&mut fds, None) {
                    Ok(_) => {}
                    // A signal came during the wait: no `revents` were filled in, and its
                    // wake pipe is readable now. Poll again rather than read a stdin that
                    // may be empty.
                    Err(Errno::INTR) => continue,
                    Err(e) => return Err(e.into()),
                }
                for (fd, signal) in fds[1..].iter().zip(STOP_SIGNALS) {
                    if fd.revents().contains(PollFlags::IN) {
                        return Err(io::Error::other(Stopped(signal)));
                    }
                }
            }
            match self.file.read(buf) {
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => {
                    if self.signals.is_none() {
                        wait(&self.file, PollFlags::IN, None)?;
                    }
                }
                result => return result,
            }
        }
    }
}

/// stdout, written in whole replies or batches. See the module docs.
#[derive(Debug)]
pub struct Stdout {
    file: File,
    /// Shared with stderr's thread when both go to one destination: each whole
    /// `write_all` holds it.
    turn: Turn,
}

impl Stdout {
    /// stdout (a new descriptor for fd 1), unbuffered: the node does its own buffering.
    fn open() -> io::Result<Stdout> {
        let file = File::from(io::stdout().as_fd().try_clone_to_owned()?);
        grow_pipe(&file);
        Ok(Stdout {
            file,
            turn: Turn::default(),
        })
    }
}

impl Write for Stdout {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let _turn = self.turn.take();
        write_waiting(&self.file, buf)
    }

    /// Writes all of `buf` in one turn: nothing of stderr's lands inside it.
    fn write_all(&mut self, mut buf: &[u8]) -> io::Result<()> {
        let _turn = self.turn.take();
        while !buf.is_empty() {
            match write_waiting(&self.file, buf) {
                Ok(0) => return Err(io::ErrorKind::WriteZero.into()),
                Ok(n) => buf = &buf[n..],
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(e),
            }
        }
        Ok(())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

/// stdin, stdout and stderr as the node uses them (see the module docs); when stdout and
/// stderr are one destination, they share a [`Turn`].
pub fn standard_streams(signals: Option<Signals>) -> io::Result<(Stdin, Stdout, Diagnostics)> {
    let input = Stdin::open(signals)?;
    let mut output = Stdout::open()?;
    let stderr = File::from(io::stderr().as_fd().try_clone_to_owned()?);
    let turn = if same_destination(&output.file, &stderr) {
        Turn::shared()
    } else {
        Turn::default()
    };
    output.turn = turn.clone();
    let diagnostics = Diagnostics::new(stderr, turn);
    Ok((input, output, diagnostics))
}
