//! Where the nodes are started from. A process is started with a copy of its starter's
//! descriptor table, and at `exec` closes each copied descriptor it does not keep: the
//! driver holds two a node, so starting nodes one after another from the driver costs
//! the square of their number. On Linux the nodes are started from threads of their own
//! (one a core, up to four, node `n` from thread `n` modulo their number), each of which
//! gives itself a descriptor table apart from the driver's (`unshare(CLONE_FILES)`)
//! while the driver holds only a few: each node it starts copies and closes that few, and
//! the driver's ends of each node's pipes reach the driver through a socket
//! (`SCM_RIGHTS`). The threads start nodes while the driver sends the ones before their
//! init. Elsewhere the driver starts each node itself.

use std::io;
use std::path::{Path, PathBuf};

use crate::process::{Launched, NodeProcess, launch};

/// One node to start: its name and the file for its stderr.
struct Job {
    name: String,
    log: PathBuf,
}

/// What the nodes are started as: the program, its arguments, whether their pipes grow.
#[derive(Clone)]
struct Program {
    bin: PathBuf,
    args: Vec<String>,
    grow_pipes: bool,
}

/// Starts nodes in order, each when asked for ([`Spawner::next`]).
pub struct Spawner {
    inner: Inner,
}

impl Spawner {
    /// Starts, in order, a node for each name, running `bin args`, its stderr into
    /// `logs/NAME.log`; `grow_pipes`: ask for 1 MiB pipes (Linux).
    pub fn new(
        bin: &Path,
        args: &[String],
        grow_pipes: bool,
        names: &[String],
        logs: &Path,
    ) -> Spawner {
        let program = Program {
            bin: bin.to_path_buf(),
            args: args.to_vec(),
            grow_pipes,
        };
        let jobs: Vec<Job> = names
            .iter()
            .map(|name| Job {
                name: name.clone(),
                log: logs.join(format!("{name}.log")),
            })
            .collect();
        Spawner {
            inner: Inner::new(program, jobs),
        }
    }

    /// The next node, started; `None` once every one has been, or after an error.
    pub fn next(&mut self) -> Option<io::Result<NodeProcess>> {
        self.inner.next()
    }

    /// Starts no more nodes, and returns the ones started and not yet taken, so that
    /// they are stopped with the rest.
    pub fn finish(self) -> Vec<NodeProcess> {
        self.inner.finish()
    }
}

/// Starts `job` as `program` says.
fn start(program: &Program, job: &Job) -> io::Result<Launched> {
    launch(&program.bin, &program.args, &job.log, program.grow_pipes)
}

#[cfg(not(any(target_os = "linux", target_os = "android")))]
use direct::Inner;
#[cfg(any(target_os = "linux", target_os = "android"))]
use thread::Inner;

/// Each node started by the driver itself, when asked for.
#[cfg(not(any(target_os = "linux", target_os = "android")))]
mod direct {
    use super::*;

    pub struct Inner {
        program: Program,
        jobs: std::vec::IntoIter<Job>,
        failed: bool,
    }

    impl Inner {
        pub fn new(program: Program, jobs: Vec<Job>) -> Inner {
            Inner {
                program,
                jobs: jobs.into_iter(),
                failed: false,
            }
        }

        pub fn next(&mut self) -> Option<io::Result<NodeProcess>> {
            if self.failed {
                return None;
            }
            let job = self.jobs.next()?;
            let started = start(&self.program, &job);
            self.failed = started.is_err();
            Some(started.map(|launched| NodeProcess::new(job.name, job.log, launched)))
        }

        pub fn finish(self) -> Vec<NodeProcess> {
            Vec::new()
        }
    }
}

/// The nodes started by a thread with a descriptor table of its own.
#[cfg(any(target_os = "linux", target_os = "android"))]
#[allow(unsafe_code)]
mod thread {
    use std::io::IoSliceMut;
    use std::os::fd::{AsFd, AsRawFd, FromRawFd, OwnedFd, RawFd};
    use std::os::unix::net::UnixStream;
    use std::process::Child;
    use std::sync::Arc;
    use std::sync::atomic::{AtomicBool, Ordering};
    use std::sync::mpsc::{Receiver, SyncSender, sync_channel};

    use rustix::net::{
        RecvAncillaryBuffer, RecvAncillaryMessage, RecvFlags, SendAncillaryBuffer,
        SendAncillaryMessage, SendFlags, recvmsg, sendmsg,
    };

    use super::*;

    /// How many started nodes may wait for the driver: the descriptors in flight on the
    /// socket stay few.
    const AHEAD: usize = 32;

    /// A node the thread started: what the channel carries. Its pipes' ends follow on
    /// the socket, in the same order.
    type Started = io::Result<(String, PathBuf, Child)>;

    /// How many threads start nodes at most: each waits for a node's `exec` before it
    /// starts the next, so one a core keeps the cores busy.
    const THREADS: usize = 4;

    pub struct Inner {
        /// The threads; node `n` comes from `workers[n % workers.len()]`.
        workers: Vec<Worker>,
        /// Whose turn it is to give the next node.
        turn: usize,
        /// Set to have the threads start no more nodes.
        stop: Arc<AtomicBool>,
        /// An error ended the starting, or every node was started.
        done: bool,
    }

    impl Inner {
        pub fn new(program: Program, jobs: Vec<Job>) -> Inner {
            let stop = Arc::new(AtomicBool::new(false));
            let threads = std::thread::available_parallelism()
                .map_or(1, |n| n.get())
                .clamp(1, THREADS)
                .min(jobs.len().max(1));
            let mut shares: Vec<Vec<Job>> = (0..threads).map(|_| Vec::new()).collect();
            for (n, job) in jobs.into_iter().enumerate() {
                shares[n % threads].push(job);
            }
            let workers = shares
                .into_iter()
                .map(|jobs| Worker::new(program.clone(), jobs, Arc::clone(&stop)))
                .collect();
            Inner {
                workers,
                turn: 0,
                stop,
                done: false,
            }
        }

        pub fn next(&mut self) -> Option<io::Result<NodeProcess>> {
            if self.done {
                return None;
            }
            let count = self.workers.len();
            let next = self.workers[self.turn % count].next();
            self.turn += 1;
            if !matches!(next, Some(Ok(_))) {
                self.done = true;
                self.stop.store(true, Ordering::Relaxed);
            }
            next
        }

        pub fn finish(mut self) -> Vec<NodeProcess> {
            self.stop.store(true, Ordering::Relaxed);
            let mut left = Vec::new();
            for worker in &mut self.workers {
                while let Some(started) = worker.next() {
                    left.extend(started.ok());
                }
            }
            left
        }
    }

    /// One thread that starts nodes, and the driver's ends of what it hands over.
    struct Worker {
        /// The nodes started, in order; closed once the thread has ended.
        started: Receiver<Started>,
        /// The driver's end of the socket the pipes' ends come through (none if the
        /// thread could not be started).
        socket: Option<UnixStream>,
        /// Set to have the thread start no more nodes.
        stop: Arc<AtomicBool>,
        /// An error ended the starting, or the thread ended.
        done: bool,
    }

    impl Worker {
        fn new(program: Program, jobs: Vec<Job>, stop: Arc<AtomicBool>) -> Worker {
            let (started_tx, started) = sync_channel(AHEAD);
            let failed = |e: io::Error| {
                // Nothing started: the first `next` says why.
                let (tx, started) = sync_channel(1);
                let _ = tx.send(Err(e));
                Worker {
                    started,
                    socket: None,
                    stop: Arc::clone(&stop),
                    done: false,
                }
            };
            let (ours, theirs) = match UnixStream::pair() {
                Ok(pair) => pair,
                Err(e) => return failed(e),
            };
            let theirs_raw = theirs.as_raw_fd();
            let (unshared_tx, unshared) = sync_channel(1);
            let thread_stop = Arc::clone(&stop);
            let spawned = std::thread::Builder::new()
                .name("spawner".into())
                .spawn(move || serve(program, jobs, theirs, started_tx, thread_stop, unshared_tx));
            if let Err(e) = spawned {
                return failed(e);
            }
            // The thread's end is closed in this table once the thread has a table of its
            // own (if it could not make one, the two share this one, and it stays open).
            if unshared.recv() == Ok(true) {
                close_copy(theirs_raw);
            }
            Worker {
                started,
                socket: Some(ours),
                stop,
                done: false,
            }
        }

        fn next(&mut self) -> Option<io::Result<NodeProcess>> {
            if self.done {
                return None;
            }
            let Ok(started) = self.started.recv() else {
                self.done = true;
                return None;
            };
            let (name, log, child) = match started {
                Ok(started) => started,
                Err(e) => {
                    self.done = true;
                    return Some(Err(e));
                }
            };
            let received = match &self.socket {
                Some(socket) => receive_pipes(socket),
                None => Err(io::ErrorKind::NotConnected.into()),
            };
            match received {
                Ok((stdin, stdout)) => Some(Ok(NodeProcess::new(
                    name,
                    log,
                    Launched {
                        child,
                        stdin,
                        stdout,
                    },
                ))),
                Err(e) => {
                    // Its pipes are lost: the node cannot be driven, and is ended.
                    let mut child = child;
                    let _ = child.kill();
                    let _ = child.wait();
                    self.done = true;
                    self.stop.store(true, Ordering::Relaxed);
                    Some(Err(io::Error::new(
                        e.kind(),
                        format!("receiving node {name}'s pipes: {e}"),
                    )))
                }
            }
        }
    }

    /// The thread: gives itself a descriptor table of its own, says whether it could,
    /// then starts each job in order until told to stop or one fails, handing each node
    /// to the driver: its pipes' ends through `socket`, then the process on `started`.
    fn serve(
        program: Program,
        jobs: Vec<Job>,
        socket: UnixStream,
        started: SyncSender<Started>,
        stop: Arc<AtomicBool>,
        unshared: SyncSender<bool>,
    ) {
        // SAFETY: `unshare_unsafe`'s condition is that no thread uses a descriptor of a
        // table it does not share. From here this thread's table is a copy of the
        // process's: this thread uses only `socket` (moved here before the copy, so its
        // number is open in both tables, and the driver closes its copy when told, never
        // using it), and the descriptors it opens itself (each node's log file and pipes,
        // closed here once the node has them and the driver has been sent its ends). It
        // uses no descriptor another thread opens later, and no other thread uses one it
        // opens.
        let copied = unsafe { rustix::thread::unshare_unsafe(rustix::thread::UnshareFlags::FILES) };
        let _ = unshared.send(copied.is_ok());
        for job in jobs {
            if stop.load(Ordering::Relaxed) {
                return;
            }
            match start(&program, &job) {
                Ok(launched) => {
                    if let Err(e) = send_pipes(&socket, &launched.stdin, &launched.stdout) {
                        let mut child = launched.child;
                        let _ = child.kill();
                        let _ = child.wait();
                        let _ = started.send(Err(io::Error::new(
                            e.kind(),
                            format!("passing node {}'s pipes: {e}", job.name),
                        )));
                        return;
                    }
                    // The pipes' ends are the driver's now: this table's copies close.
                    let Launched { child, .. } = launched;
                    if started.send(Ok((job.name, job.log, child))).is_err() {
                        return; // the driver is gone; it ends what it started
                    }
                }
                Err(e) => {
                    let _ = started.send(Err(e));
                    return;
                }
            }
        }
    }

    /// Sends one byte with `stdin` and `stdout` attached.
    fn send_pipes(socket: &UnixStream, stdin: &OwnedFd, stdout: &OwnedFd) -> io::Result<()> {
        let fds = [stdin.as_fd(), stdout.as_fd()];
        let mut space = [std::mem::MaybeUninit::uninit(); rustix::cmsg_space!(ScmRights(2))];
        let mut control = SendAncillaryBuffer::new(&mut space);
        if !control.push(SendAncillaryMessage::ScmRights(&fds)) {
            return Err(io::Error::other("no room for two descriptors"));
        }
        let sent = sendmsg(
            socket,
            &[io::IoSlice::new(&[1])],
            &mut control,
            SendFlags::empty(),
        )?;
        if sent != 1 {
            return Err(io::ErrorKind::WriteZero.into());
        }
        Ok(())
    }

    /// Receives the byte [`send_pipes`] sent and the two descriptors that came with it.
    fn receive_pipes(socket: &UnixStream) -> io::Result<(OwnedFd, OwnedFd)> {
        let mut byte = [0u8; 1];
        let mut space = [std::mem::MaybeUninit::uninit(); rustix::cmsg_space!(ScmRights(2))];
        let mut control = RecvAncillaryBuffer::new(&mut space);
        let received = recvmsg(
            socket,
            &mut [IoSliceMut::new(&mut byte)],
            &mut control,
            RecvFlags::CMSG_CLOEXEC,
        )?;
        if received.bytes != 1 {
            return Err(io::ErrorKind::UnexpectedEof.into());
        }
        let mut fds = Vec::with_capacity(2);
        for message in control.drain() {
            if let RecvAncillaryMessage::ScmRights(rights) = message {
                fds.extend(rights);
            }
        }
        let mut fds = fds.into_iter();
        match (fds.next(), fds.next(), fds.next()) {
            (Some(stdin), Some(stdout), None) => Ok((stdin, stdout)),
            _ => Err(io::Error::other("not two descriptors")),
        }
    }

    /// Closes this table's copy of `raw`, the thread's end of the socket, once the thread
    /// has a table of its own.
    fn close_copy(raw: RawFd) {
        // SAFETY: `raw` is the number of the socket end that was moved into the thread
        // before it copied the table. In this table that number is still open (nothing
        // here closed it: the thread's `UnixStream` owns the number in the thread's own
        // table now) and owned by nothing in this table, so taking ownership of it here,
        // once, and closing it, closes no descriptor anything else owns.
        drop(unsafe { OwnedFd::from_raw_fd(raw) });
    }
}
