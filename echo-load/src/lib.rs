//! echo-load: Maelstrom's echo workload, run natively against any Maelstrom echo node
//! binary, and judged as Maelstrom would judge it.
//!
//! One thread drives every node through non-blocking pipes and `poll(2)`, so it keeps up
//! with a node that answers millions of requests a second. A run's path, one file a
//! stage:
//!
//! 1. [`schedule`]: when each request falls due (closed loop, or open loop at `--rate`).
//! 2. [`send`]: the payloads, and each request in Maelstrom's own bytes.
//! 3. [`receive`]: each node's stdout cut into lines, its stderr drained into its log.
//! 4. [`check`]: each line read under Maelstrom's closed schemas, routed to the client
//!    that asked, its echo compared with Maelstrom's equality.
//! 5. [`report`]: counts, latency percentiles, throughput, CPU, `results.json`, plots.
//!
//! [`node`] starts and stops the node processes; [`run`] is the loop that wires it all.

pub mod check;
pub mod node;
pub mod receive;
pub mod report;
pub mod schedule;
pub mod send;

use std::collections::VecDeque;
use std::fs::File;
use std::io;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use rustix::event::{PollFd, PollFlags, Timespec, poll};

use check::{Kind, decode_string, integer_u64, parse_reply, same_value};
use node::{Node, describe};
use receive::Got;
use report::{Progress, Recorder, Report};
use schedule::Schedule;
use send::{PayloadKind, Payloads, Rng, encode, encode_init};

/// How long a node has to answer `init`, as in Maelstrom.
pub const INIT_TIMEOUT: Duration = Duration::from_secs(10);

/// How long a node has to exit once its stdin is closed at the end of a run.
pub const EXIT_GRACE: Duration = Duration::from_secs(2);

/// What to run.
#[derive(Clone, Debug)]
pub struct Config {
    /// The node's executable.
    pub bin: PathBuf,
    /// Arguments for every node process.
    pub node_args: Vec<String>,
    /// Node processes n1..nN.
    pub node_count: usize,
    /// Logical clients c1..cC, spread over the nodes (client k talks to node k mod N).
    pub concurrency: usize,
    /// Requests per second across all clients (open loop); `None`: closed loop.
    pub rate: Option<f64>,
    /// How long requests are sent.
    pub time_limit: Duration,
    /// How long a request may wait for its reply.
    pub timeout: Duration,
    pub payload: PayloadKind,
    /// Where results.json, the plots and the node logs go.
    pub out: Option<PathBuf>,
    /// Seeds the payload choice.
    pub seed: u64,
    /// Stop after this many requests (before the time limit, if it comes first).
    pub requests: Option<u64>,
    /// Show progress on stderr.
    pub progress: bool,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            bin: PathBuf::new(),
            node_args: Vec::new(),
            node_count: 1,
            concurrency: 1,
            rate: None,
            time_limit: Duration::from_secs(10),
            timeout: Duration::from_millis(5000),
            payload: PayloadKind::Maelstrom,
            out: None,
            seed: 0,
            requests: None,
            progress: false,
        }
    }
}

impl Config {
    /// One line saying what is run.
    pub fn describe(&self) -> String {
        let mode = match self.rate {
            Some(rate) => format!("open loop at {rate} requests/s"),
            None => "closed loop".to_owned(),
        };
        let command = std::iter::once(self.bin.display().to_string())
            .chain(self.node_args.iter().cloned())
            .collect::<Vec<_>>()
            .join(" ");
        let nodes = match self.node_count {
            1 => "1 node".to_owned(),
            n => format!("{n} nodes"),
        };
        format!(
            "{nodes} ({command}), {} clients, {mode}, {} payload, {} s",
            self.concurrency,
            self.payload,
            self.time_limit.as_secs_f64()
        )
    }
}

/// A logical client: synchronous, one request outstanding at a time.
#[derive(Debug)]
struct Client {
    /// `c1`, `c2`, ...
    name: Vec<u8>,
    /// Index of the node it talks to.
    node: usize,
    /// Its next `msg_id`.
    next_msg_id: u64,
    /// Its outstanding request, if any.
    waiting: Option<Waiting>,
    /// `msg_id`s of its requests that timed out: a reply to one is late, not wrong.
    timed_out: Vec<u64>,
}

#[derive(Clone, Copy, Debug)]
struct Waiting {
    msg_id: u64,
    payload: usize,
    /// When it fell due: latency counts from here.
    due: Instant,
}

/// Everything the loop tracks.
struct Run<'c> {
    config: &'c Config,
    nodes: Vec<Node>,
    clients: Vec<Client>,
    idle: VecDeque<usize>,
    payloads: Payloads,
    rng: Rng,
    next_id: u64,
    sent: u64,
    in_flight: usize,
    recorder: Recorder,
    failed: u64,
    timeouts: u64,
    late: u64,
    failure: Option<String>,
}

/// Starts the nodes, initialises them, runs the workload, stops them and reports. An
/// `Err` is a run that could not start (the binary could not be executed, the output
/// directory could not be written); everything the nodes do wrong is in the report.
pub fn run(config: &Config) -> io::Result<Report> {
    if config.node_count == 0 || config.concurrency == 0 {
        return Err(io::Error::other(
            "--node-count and --concurrency must be at least 1",
        ));
    }
    if let Some(dir) = &config.out {
        std::fs::create_dir_all(dir)?;
    }
    let names: Vec<String> = (1..=config.node_count).map(|i| format!("n{i}")).collect();
    let mut nodes = Vec::with_capacity(names.len());
    for name in &names {
        let log = match &config.out {
            Some(dir) => Some(File::create(dir.join(format!("{name}.log")))?),
            None => None,
        };
        nodes.push(Node::spawn(
            &config.bin,
            &config.node_args,
            name.clone(),
            log,
        )?);
    }
    let clients = (0..config.concurrency)
        .map(|k| Client {
            name: format!("c{}", k + 1).into_bytes(),
            node: k % config.node_count,
            next_msg_id: 1,
            waiting: None,
            timed_out: Vec::new(),
        })
        .collect();
    let children_before = cpu_children();
    let now = Instant::now();
    let mut run = Run {
        config,
        nodes,
        clients,
        idle: (0..config.concurrency).collect(),
        payloads: Payloads::new(&config.payload, config.seed),
        rng: Rng::new(config.seed),
        next_id: 0,
        sent: 0,
        in_flight: 0,
        recorder: Recorder::new(now, config.seed),
        failed: 0,
        timeouts: 0,
        late: 0,
        failure: None,
    };
    for (i, name) in names.iter().enumerate() {
        encode_init(&mut run.nodes[i].out, run.next_id, name, &names);
        run.next_id += 1;
    }
    run.init();
    let cpu_before = cpu_self();
    let start = Instant::now();
    let seconds = if run.failure.is_none() {
        run.load(start)
    } else {
        0.0
    };
    let driver_cpu = cpu_self().saturating_sub(cpu_before);
    for node in &mut run.nodes {
        let ended = node.stop(EXIT_GRACE);
        if run.failure.is_none() && ended.contains("killed") {
            run.failure = Some(format!("{} {ended}", node.name));
        }
    }
    let report = Report {
        what: config.describe(),
        ok: run.recorder.count(),
        failed: run.failed,
        timeouts: run.timeouts,
        late: run.late,
        seconds,
        failure: run.failure,
        driver_cpu,
        // The nodes have all been waited for: their CPU time is in the children's total.
        nodes_cpu: cpu_children().saturating_sub(children_before),
        recorder: run.recorder,
    };
    if let Some(dir) = &config.out {
        report.write(dir)?;
    }
    Ok(report)
}

impl Run<'_> {
    /// Waits for every node's `init_ok`, at most [`INIT_TIMEOUT`].
    fn init(&mut self) {
        let deadline = Instant::now() + INIT_TIMEOUT;
        let mut ready = vec![false; self.nodes.len()];
        while self.failure.is_none() && !ready.iter().all(|r| *r) {
            let now = Instant::now();
            if now >= deadline {
                let late: Vec<&str> = self
                    .nodes
                    .iter()
                    .zip(&ready)
                    .filter(|(_, r)| !**r)
                    .map(|(n, _)| n.name.as_str())
                    .collect();
                self.failure = Some(format!(
                    "{} did not answer init with init_ok within {} s",
                    late.join(", "),
                    INIT_TIMEOUT.as_secs()
                ));
                return;
            }
            self.pump(deadline, |run, n, number, line| {
                let node = &run.nodes[n];
                let fault = match parse_reply(line) {
                    Err(fault) => Some(fault),
                    Ok(r) if r.kind != Kind::InitOk => Some("expected init_ok".to_owned()),
                    Ok(r) if r.src.of(line) != node.token => {
                        Some("src is not the node's id".into())
                    }
                    Ok(r) if r.dest.of(line) != b"\"c0\"" => Some("dest is not c0".into()),
                    Ok(r) if integer_u64(r.in_reply_to.of(line)) != Some(1) => {
                        Some("in_reply_to is not init's msg_id (1)".into())
                    }
                    Ok(_) => None,
                };
                match fault {
                    Some(fault) => run.fail_line(n, number, &fault, line),
                    None => ready[n] = true,
                }
            });
        }
    }

    /// Runs the workload from `start`; returns the seconds of load.
    fn load(&mut self, start: Instant) -> f64 {
        let config = self.config;
        let deadline = start + config.time_limit;
        let mut schedule = Schedule::new(config.rate, start);
        let mut progress = Progress::new(config.time_limit, config.progress);
        let mut next_timeout_check = start;
        let mut sending = true;
        let mut ended = start;
        loop {
            let now = Instant::now();
            if sending && (now >= deadline || config.requests.is_some_and(|r| self.sent >= r)) {
                sending = false;
                ended = now.min(deadline);
            }
            if sending {
                while let Some(&client) = self.idle.front() {
                    if config.requests.is_some_and(|r| self.sent >= r) {
                        break;
                    }
                    let Some(due) = schedule.take_due(now) else {
                        break;
                    };
                    self.idle.pop_front();
                    self.send(client, due);
                }
            }
            if now >= next_timeout_check {
                self.expire(now);
                next_timeout_check = now + Duration::from_millis(20);
            }
            if self.failure.is_some() || (!sending && self.in_flight == 0) {
                break;
            }
            if !sending && now >= ended + config.timeout + Duration::from_millis(100) {
                break; // every request still out has timed out by now
            }
            progress.tick(now - start, self.recorder.count(), now);
            let mut wake = next_timeout_check.min(now + Duration::from_millis(100));
            if sending {
                wake = wake.min(deadline);
                if !self.idle.is_empty()
                    && let Some(due) = schedule.next_due()
                {
                    wake = wake.min(due);
                }
            }
            self.pump(wake, |run, n, number, line| run.reply(n, number, line));
        }
        progress.finish();
        if ended == start {
            ended = Instant::now();
        }
        // Throughput counts until the last reply (or the time limit, if that came later).
        (ended.max(self.recorder.last_answer()) - start).as_secs_f64()
    }

    /// Sends `client`'s next request, which fell due at `due`.
    fn send(&mut self, client: usize, due: Instant) {
        let payload = (self.rng.next_u64() % self.payloads.len() as u64) as usize;
        let c = &mut self.clients[client];
        let msg_id = c.next_msg_id;
        c.next_msg_id += 1;
        c.waiting = Some(Waiting {
            msg_id,
            payload,
            due,
        });
        let node = &mut self.nodes[c.node];
        encode(
            &mut node.out,
            self.next_id,
            &c.name,
            &node.token[1..node.token.len() - 1],
            self.payloads.get(payload),
            msg_id,
        );
        self.next_id += 1;
        self.sent += 1;
        self.in_flight += 1;
    }

    /// Times out every request that has waited longer than the timeout.
    fn expire(&mut self, now: Instant) {
        for (k, c) in self.clients.iter_mut().enumerate() {
            if let Some(w) = c.waiting
                && now.saturating_duration_since(w.due) >= self.config.timeout
            {
                c.waiting = None;
                c.timed_out.push(w.msg_id);
                self.timeouts += 1;
                self.in_flight -= 1;
                self.idle.push_back(k);
            }
        }
    }

    /// Handles one stdout line of node `n` during the load.
    fn reply(&mut self, n: usize, number: u64, line: &[u8]) {
        let r = match parse_reply(line) {
            Ok(r) => r,
            Err(fault) => return self.fail_line(n, number, &fault, line),
        };
        let node = &self.nodes[n];
        if r.kind == Kind::InitOk {
            return self.fail_line(n, number, "init_ok to no init", line);
        }
        if r.src.of(line) != node.token
            && !decode_string(r.src.of(line))
                .is_ok_and(|s| s.as_bytes() == &node.token[1..node.token.len() - 1])
        {
            return self.fail_line(n, number, &format!("src is not {}", node.name), line);
        }
        let dest = decode_string(r.dest.of(line)).unwrap_or_default();
        let client = dest
            .strip_prefix('c')
            .and_then(|k| k.parse::<usize>().ok())
            .filter(|k| (1..=self.clients.len()).contains(k) && self.clients[k - 1].node == n)
            .map(|k| k - 1);
        let Some(client) = client else {
            return self.fail_line(
                n,
                number,
                &format!("dest {dest:?} is none of {}'s clients", node.name),
                line,
            );
        };
        let in_reply_to = integer_u64(r.in_reply_to.of(line));
        let c = &mut self.clients[client];
        let waiting = match c.waiting {
            Some(w) if Some(w.msg_id) == in_reply_to => w,
            _ if in_reply_to.is_some_and(|id| c.timed_out.contains(&id)) => {
                self.late += 1;
                return;
            }
            _ => {
                let what = match c.waiting {
                    Some(w) => format!(
                        "in_reply_to is not {dest}'s outstanding msg_id {}",
                        w.msg_id
                    ),
                    None => format!("{dest} has no request outstanding"),
                };
                return self.fail_line(n, number, &what, line);
            }
        };
        if let Some(id) = r.msg_id
            && !self.nodes[n].msg_ids.insert(id.of(line))
        {
            let what = format!(
                "msg_id {} used twice by {}",
                String::from_utf8_lossy(id.of(line)),
                self.nodes[n].name
            );
            return self.fail_line(n, number, &what, line);
        }
        let c = &mut self.clients[client];
        c.waiting = None;
        self.in_flight -= 1;
        self.idle.push_back(client);
        match r.kind {
            Kind::Error => self.failed += 1,
            _ => {
                let sent = self.payloads.get(waiting.payload);
                let echo = r.echo.map(|s| s.of(line)).unwrap_or_default();
                if !same_value(sent, echo) {
                    let what = format!(
                        "echo differs from what {dest} sent ({})",
                        String::from_utf8_lossy(&sent[..sent.len().min(80)])
                    );
                    return self.fail_line(n, number, &what, line);
                }
                self.recorder.answered(waiting.due, Instant::now());
            }
        }
    }

    /// Fails the run because of line `number` of node `n`.
    fn fail_line(&mut self, n: usize, number: u64, what: &str, line: &[u8]) {
        if self.failure.is_none() {
            let text = String::from_utf8_lossy(&line[..line.len().min(200)]);
            let more = if line.len() > 200 { "..." } else { "" };
            self.failure = Some(format!(
                "{} stdout line {number}: {what}: {text}{more}",
                self.nodes[n].name
            ));
        }
    }

    /// Writes what waits for the nodes, waits (until `until` at the latest) for any of
    /// them to have output, and hands each complete stdout line to `line`. A node whose
    /// stdout ends fails the run.
    fn pump(&mut self, until: Instant, mut line: impl FnMut(&mut Self, usize, u64, &[u8])) {
        for n in 0..self.nodes.len() {
            match self.nodes[n].write_out() {
                // It closed its stdin: if it ended, its stdout's end says so below.
                Err(e) if e.kind() == io::ErrorKind::BrokenPipe => self.nodes[n].close_stdin(),
                Err(e) => self.node_ended(n, &format!("its stdin failed ({e})")),
                Ok(()) => {}
            }
        }
        let wait = until.saturating_duration_since(Instant::now());
        let timeout = Timespec {
            tv_sec: wait.as_secs() as i64,
            tv_nsec: i64::from(wait.subsec_nanos()),
        };
        let ready = {
            let mut fds = Vec::with_capacity(3 * self.nodes.len());
            for node in &self.nodes {
                if !node.stdout_closed {
                    fds.push(PollFd::new(&node.stdout, PollFlags::IN));
                }
                if !node.stderr_closed {
                    fds.push(PollFd::new(&node.stderr, PollFlags::IN));
                }
                if let Some(stdin) = node.stdin()
                    && !node.out.is_empty()
                {
                    fds.push(PollFd::new(stdin, PollFlags::OUT));
                }
            }
            if fds.is_empty() {
                std::thread::sleep(wait);
                return;
            }
            poll(&mut fds, Some(&timeout)).unwrap_or(1)
        };
        if ready == 0 {
            return;
        }
        for n in 0..self.nodes.len() {
            if let Err(e) = self.nodes[n].drain_stderr() {
                self.node_ended(n, &format!("its stderr failed ({e})"));
            }
            if self.nodes[n].stdout_closed {
                continue;
            }
            let node = &mut self.nodes[n];
            let got = node.lines.fill(&mut node.stdout);
            // The reader is moved out while its lines are handled (handlers may touch any
            // other part of the run), and back after: no line is copied.
            let mut lines = std::mem::take(&mut self.nodes[n].lines);
            loop {
                let number = lines.number + 1;
                let Some(bytes) = lines.next_line() else {
                    break;
                };
                line(self, n, number, bytes);
            }
            self.nodes[n].lines = lines;
            match got {
                Ok(Got::Data) => {}
                Ok(Got::Closed) => {
                    let node = &mut self.nodes[n];
                    node.stdout_closed = true;
                    let what = match node.lines.unfinished() {
                        0 => "its stdout closed".to_owned(),
                        bytes => {
                            format!("its stdout closed in the middle of a line ({bytes} bytes)")
                        }
                    };
                    self.node_ended(n, &what);
                }
                Err(e) => self.node_ended(n, &format!("its stdout failed ({e})")),
            }
        }
    }

    /// Fails the run because node `n` went away mid-run.
    fn node_ended(&mut self, n: usize, what: &str) {
        if self.failure.is_some() {
            return;
        }
        let node = &mut self.nodes[n];
        // Give a crashing process a moment to be reaped, to say how it ended.
        let mut status = None;
        for _ in 0..50 {
            status = node.exited();
            if status.is_some() {
                break;
            }
            std::thread::sleep(Duration::from_millis(2));
        }
        let _ = node.drain_stderr();
        let how = status.map_or_else(|| "still running".to_owned(), describe);
        let tail = node.log.tail();
        let tail = if tail.is_empty() {
            String::new()
        } else {
            format!("; its last stderr:\n{tail}")
        };
        self.failure = Some(format!("{}: {what}; {how}{tail}", node.name));
    }
}

/// CPU time (user + system) this process has used.
fn cpu_self() -> Duration {
    cpu(nix::sys::resource::UsageWho::RUSAGE_SELF)
}

/// CPU time (user + system) of this process's children that have been waited for, in
/// all (a run takes the difference; runs in parallel threads of one process would blur it).
fn cpu_children() -> Duration {
    cpu(nix::sys::resource::UsageWho::RUSAGE_CHILDREN)
}

fn cpu(who: nix::sys::resource::UsageWho) -> Duration {
    nix::sys::resource::getrusage(who).map_or(Duration::ZERO, |u| {
        let t = |tv: nix::sys::time::TimeVal| {
            Duration::new(
                tv.tv_sec().max(0) as u64,
                (tv.tv_usec().max(0) as u32) * 1000,
            )
        };
        t(u.user_time()) + t(u.system_time())
    })
}
