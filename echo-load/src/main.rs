//! The `echo-load` command: parses the command line, runs the workload, prints the
//! report, and exits 0 only when the run is valid (1: invalid; 2: no run).

#![forbid(unsafe_code)]

use std::ffi::OsString;
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Duration;

use echo_load::{Config, Output};

const USAGE: &str = "\
echo-load: Maelstrom's echo workload, run natively against a Maelstrom echo node binary,
judged as Maelstrom would judge it. Its defaults are Maelstrom's: a command line of
`maelstrom test -w echo` runs the same test here, with `echo-load` in place of
`maelstrom`.

Usage: echo-load [test -w echo] --bin PATH [OPTIONS] [-- NODE_ARGS...]
       echo-load --bin PATH [--args WORDS] --bin PATH [--args WORDS]... [OPTIONS]
       echo-load --bin PATH --capacity [--p99-max MS] [OPTIONS]
       echo-load serve [--store DIR] [--port N] [--bind ADDR]

Options:
      --bin <PATH>          The node's executable (required): a path, or a name looked up
                            on PATH; NODE_ARGS (after --) go to every node. Given more
                            than once, the nodes are compared: each runs the same
                            workload in alternating rounds (A B A B ...), and each is
                            given its verdict, the median and spread of its throughput
                            (--rate max) or latency (--rate R), and its ratio to the first
  -w, --workload <NAME>     Maelstrom's: echo, the only workload echo-load runs (after
                            `test`, as in Maelstrom, it must be given)
      --args <WORDS>        Arguments for the nodes of the --bin just before, split as a
                            shell splits words (quotes group), before NODE_ARGS
      --rounds <N>          Rounds of a comparison, each --time-limit long, 1 to 1000
                            [default: 5]; with one --bin, that node's rounds alone
      --capacity            Search the highest --rate the node sustains: from --rate
                            [default: 1000], doubling while steps pass (halving while
                            they fail), then narrowing to within 5%; a step passes when
                            its run is valid, every request is sent and p99 is within
                            --p99-max. At most 30 steps, each a run of --time-limit
      --p99-max <MS>        The p99 latency bound of --capacity, in milliseconds, 0.001
                            to 3600000 [default: 10]
      --capacity-repeats <N>
                            Runs a step of --capacity makes: it passes only when each
                            passes, 1 to 100 [default: 3]
      --node-count <N>      Node processes n0..n(N-1), each sent Maelstrom's init, 1 to
                            100000 [default: Jepsen's five nodes, n1..n5]
      --nodes <LIST>        Maelstrom's (Jepsen's): the nodes by name, n1,n2,... (or
                            n0,n1,...), in order; --node NAME names one at a time.
                            --node-count overrides them, as in Maelstrom
      --concurrency <C>     Clients, each with one request outstanding at a time: a number,
                            or Kn for K per node (Maelstrom's notation), 1 to 1000000 in
                            all [default: 1n]
      --rate <R>            Requests per second across all clients, open loop (latency is
                            measured from each request's scheduled time): 0 (no requests,
                            as Maelstrom's), or 0.001 to 100000000; max: closed loop, each
                            client sending its next request as soon as it is answered, as
                            fast as the node goes [default: 5, Maelstrom's]
      --time-limit <S>      Seconds of load, 0.001 to 1000000 [default: 60, Jepsen's]
      --timeout <MS>        Milliseconds a request may wait for its reply from when its
                            client sent it, 1 to 3600000 [default: 5000, Maelstrom's]
      --payload <KIND>      maelstrom (\"Please echo N\", as Maelstrom sends), string:BYTES
                            (a string of that many bytes, 0 to 67107840: what echo-load
                            reads back in a reply), or mixed (every kind of JSON
                            value, including ones most nodes cannot round-trip: 1e400,
                            integers beyond 64 bits, -0; Maelstrom's own demos fail it)
                            [default: maelstrom]
      --requests <N>        Stop sending after N requests (or at the time limit)
      --strict              Also fail the run for what Maelstrom lets pass: a msg_id a
                            node uses twice, duplicate or unsolicited replies, a reply
                            from another node than the one asked, a node that does not
                            exit cleanly when its stdin closes
      --out <DIR>           Keep the run in DIR, a new folder or one an earlier run wrote
                            (its files are replaced), not in the store (see below)
      --history             Write the history (history.jsonl, history.edn, history.txt,
                            timeline.html) whatever the run's size: a run of up to
                            100000 requests and 64 MiB of history writes it anyway; its
                            size is said before the run (about 185 bytes a request and
                            twice the payload), and a run whose history could pass
                            1 GiB is refused without --history-large
      --history-large       Let --history write more than 1 GiB
      --no-history          Write no history, whatever the run's size (a run measured
                            under callgrind, say)
      --latency <MS>        Maelstrom's: mean delay of each message between nodes, and of
                            each message to a service and of its reply, 0 to 60000;
                            messages to and from clients are never delayed [default: 0]
      --latency-dist <D>    Maelstrom's: constant, uniform (0 to twice the mean) or
                            exponential [default: constant]
      --log-stderr          Maelstrom's: show each node's stderr as it comes, on stderr,
                            each line after the node's id
      --seed <X>            Seed for the payload choice [default: 0]
      --quiet               No progress on stderr
  -h, --help                Print this help
  -V, --version             Print the version

Maelstrom's other options are taken as Maelstrom's `test` takes them; --test-count 1;
--availability, --consistency-models, --key-count, --max-txn-length,
--max-writes-per-key, --topology, --log-net-send, --log-net-recv, --nemesis-interval,
--logging-json and Jepsen's SSH options (--username, --password, --ssh-private-key,
--strict-host-key-checking, --no-ssh, --dummy-ssh) have no effect on an echo run here
(each is named on stderr, with why); --nemesis, --nodes-file, --leave-db-running and a
--test-count above 1 are refused, saying why. After `test`, words that are no option's
are the node's arguments, as Maelstrom has them.

The store: with no --out, a run is kept as Maelstrom keeps one, in store/echo/<time>/
under the current folder (UTC, to the millisecond), with store/current pointing at it
while it runs and store/latest once it ended: results.json, results.edn (Maelstrom's
shape), latency.svg, latency-quantiles.svg, throughput.svg, messages.svg, the history
files, each node's log (n1.log: its stderr) and index.html, a page of all of it. With
several --bin, --rounds or --capacity, the folder holds results.json, compare.svg or
capacity.svg and index.html, and each run's files in a folder of its own
(round-2-bin-1, step-3-run-1).

`echo-load serve` serves the store read-only at http://127.0.0.1:8080/: its front page
lists every run kept, newest first, coloured by verdict (blue valid, orange unknown,
pink invalid). --store DIR [default: store], --port N [default: 8080; 0: any free
port], --bind ADDR [default: 127.0.0.1; 0.0.0.0 serves every interface].

Exit status: 0 when the run is valid, 1 when it is not, 2 when there was no run (a usage
error, or the nodes could not be started), 3 when the run was judged (its summary and
verdict are printed) but an output in --out could not be written, 4 when Maelstrom
would stop the test with no verdict (a node not alive at the end, or a failed init),
128+N when signal N stopped it (130: Ctrl-C). A comparison exits as its worst node's
run would; a capacity search exits 0 when it found a capacity, 1 when every step failed.

Signals: SIGINT (Ctrl-C), SIGTERM or SIGHUP stops the load, gives outstanding requests
1 s, ends every node (with all it started), and prints the summary of what ran, marked
interrupted; a second one ends everything at once. A comparison or a capacity search
stops there too, and prints what the runs that finished measured.
";

enum Command {
    Run(Config),
    /// Several nodes (or one node several times), in alternating rounds.
    Compare(Vec<Config>, usize),
    /// The capacity search: the config, the starting rate, the p99 bound in ms, the runs
    /// a step.
    Capacity(Config, f64, f64, usize),
    /// `echo-load serve`: the store, and the address to serve it at.
    Serve(PathBuf, std::net::SocketAddr),
    Help,
    Version,
}

/// echo-load's options that take a value, as `--name VALUE` or `--name=VALUE`.
const VALUE_OPTIONS: &[&str] = &[
    "--bin",
    "--workload",
    "--node",
    "--nodes",
    "--test-count",
    "--node-count",
    "--concurrency",
    "--rate",
    "--time-limit",
    "--timeout",
    "--payload",
    "--requests",
    "--out",
    "--seed",
    "--latency",
    "--latency-dist",
    "--args",
    "--rounds",
    "--p99-max",
    "--capacity-repeats",
];

/// echo-node's options, which go to the nodes, after `--`.
const NODE_OPTIONS: &[&str] = &["flush", "max-line", "stats"];

/// Splits the words after the program's name at the `--` that ends echo-load's own
/// (the first one that is not an option's value): echo-load's words, and the nodes'.
fn split_at_separator(args: Vec<OsString>) -> (Vec<OsString>, Vec<OsString>) {
    let mut i = 0;
    while i < args.len() {
        if args[i] == "--" {
            let mut args = args;
            let node_args = args.split_off(i + 1);
            args.pop();
            return (args, node_args);
        }
        let takes_value = args[i].to_str().is_some_and(|a| {
            VALUE_OPTIONS.contains(&a)
                || matches!(a, "-w" | "-n")
                || FOREIGN
                    .iter()
                    .any(|(name, takes, _)| *takes && a.strip_prefix("--") == Some(name))
        });
        i += if takes_value { 2 } else { 1 };
    }
    (args, Vec::new())
}

/// The value of option `name`, parsed as a `T`.
fn value<T: std::str::FromStr>(parser: &mut lexopt::Parser, name: &str) -> Result<T, String> {
    let raw = parser
        .value()
        .map_err(|_| format!("{name}: missing its value"))?;
    let text = raw.to_string_lossy();
    text.parse()
        .map_err(|_| format!("{name}: '{text}' is not a valid value"))
}

/// What echo-load does with an option of Maelstrom's (or Jepsen's, which Maelstrom's
/// `test` takes) that is not one of its own.
enum Foreign {
    /// Taken, and said to have no effect on an echo run here, with why.
    NoEffect(&'static str),
    /// Refused: it would change the run in a way echo-load does not make.
    Refused(&'static str),
}

/// Maelstrom's and Jepsen's options that echo-load does not use as its own, one row
/// each: the name, whether it takes a value, and what becomes of it (core.clj's
/// `opt-spec`, jepsen's cli.clj `test-opt-spec`). `--test-count` is taken at 1 (see
/// [`parse_args`]).
const FOREIGN: &[(&str, bool, Foreign)] = &[
    (
        "availability",
        true,
        Foreign::NoEffect(
            "the echo checker already fails a run for any request that did not succeed",
        ),
    ),
    (
        "consistency-models",
        true,
        Foreign::NoEffect("the transactional workloads' checker's; echo has none"),
    ),
    (
        "key-count",
        true,
        Foreign::NoEffect("the append and kafka workloads'"),
    ),
    (
        "max-txn-length",
        true,
        Foreign::NoEffect("the transactional workloads'"),
    ),
    (
        "max-writes-per-key",
        true,
        Foreign::NoEffect("the append and kafka workloads'"),
    ),
    (
        "topology",
        true,
        Foreign::NoEffect("broadcast's; echo's nodes are sent none"),
    ),
    (
        "log-net-send",
        false,
        Foreign::NoEffect("echo-load logs no network messages (--history keeps every operation)"),
    ),
    (
        "log-net-recv",
        false,
        Foreign::NoEffect("echo-load logs no network messages (--history keeps every operation)"),
    ),
    (
        "nemesis-interval",
        true,
        Foreign::NoEffect("echo-load runs no nemesis"),
    ),
    (
        "username",
        true,
        Foreign::NoEffect("the nodes run on this machine, with no SSH"),
    ),
    (
        "password",
        true,
        Foreign::NoEffect("the nodes run on this machine, with no SSH"),
    ),
    (
        "ssh-private-key",
        true,
        Foreign::NoEffect("the nodes run on this machine, with no SSH"),
    ),
    (
        "strict-host-key-checking",
        false,
        Foreign::NoEffect("the nodes run on this machine, with no SSH"),
    ),
    (
        "no-ssh",
        false,
        Foreign::NoEffect("the nodes run on this machine, with no SSH"),
    ),
    (
        "dummy-ssh",
        false,
        Foreign::NoEffect("the nodes run on this machine, with no SSH"),
    ),
    (
        "logging-json",
        false,
        Foreign::NoEffect("echo-load's own output is its summary and --out"),
    ),
    (
        "nemesis",
        true,
        Foreign::Refused(
            "echo-load injects no faults: Maelstrom's partition nemesis is not run here",
        ),
    ),
    (
        "nodes-file",
        true,
        Foreign::Refused("name the nodes with --node-count N (n0..), or --nodes n1,n2,..."),
    ),
    (
        "leave-db-running",
        false,
        Foreign::Refused("echo-load ends every node with all it started at the end of a run"),
    ),
];

/// Maelstrom's workloads (core.clj, `workloads`), to name one that echo-load does not run.
const WORKLOADS: &[&str] = &[
    "broadcast",
    "echo",
    "g-counter",
    "g-set",
    "kafka",
    "lin-kv",
    "pn-counter",
    "txn-list-append",
    "txn-rw-register",
    "unique-ids",
];

/// The nodes that `--node`/`--nodes` name: `(count, first number)`, for names `nK`,
/// `nK+1`, ... in that order, which is how Maelstrom's runs name them.
fn named_nodes(names: &[String]) -> Result<(usize, usize), String> {
    let number = |name: &str| {
        let digits = name.strip_prefix('n')?;
        let ok = !digits.is_empty()
            && digits.bytes().all(|b| b.is_ascii_digit())
            && (digits == "0" || !digits.starts_with('0'));
        ok.then(|| digits.parse::<usize>().ok()).flatten()
    };
    let first = names.first().ok_or("--nodes: names no node")?;
    let first_number = number(first);
    for (k, name) in names.iter().enumerate() {
        let expected = first_number.and_then(|f| f.checked_add(k));
        if number(name).is_none() || number(name) != expected {
            return Err(format!(
                "--nodes: '{name}': echo-load names nodes as Maelstrom's runs do, n1,n2,... \
                 (or n0,n1,... as --node-count N names them), numbered in order from the \
                 first; give such names, or --node-count N"
            ));
        }
    }
    Ok((names.len(), first_number.unwrap_or(0)))
}

/// `--rate`'s value: `max` (closed loop) as `None`, or requests a second.
fn rate(parser: &mut lexopt::Parser) -> Result<Option<f64>, String> {
    let text: String = value(parser, "--rate")?;
    if text == "max" {
        return Ok(None);
    }
    text.parse()
        .map(Some)
        .map_err(|_| format!("--rate: '{text}' is neither a number of requests a second nor max"))
}

/// `echo-load serve [--store DIR] [--port N] [--bind ADDR]`.
fn parse_serve(words: &[OsString]) -> Result<Command, String> {
    use lexopt::prelude::*;
    let mut store = PathBuf::from(echo_load::store::STORE);
    let (mut port, mut bind): (u16, std::net::IpAddr) =
        (8080, std::net::Ipv4Addr::LOCALHOST.into());
    let mut parser = lexopt::Parser::from_args(words.iter().cloned());
    while let Some(arg) = parser.next().map_err(|e| e.to_string())? {
        match arg {
            Long("store") => store = value(&mut parser, "--store")?,
            Long("port") => port = value(&mut parser, "--port")?,
            Long("bind") => bind = value(&mut parser, "--bind")?,
            Short('h') | Long("help") => return Ok(Command::Help),
            other => return Err(format!("serve: {}", other.unexpected())),
        }
    }
    Ok(Command::Serve(store, std::net::SocketAddr::new(bind, port)))
}

#[cfg(test)]
fn parse_args(args: Vec<OsString>) -> Result<Command, String> {
    parse(args).map(|(command, _)| command)
}

/// The command, and a line for each option of Maelstrom's that was taken with no
/// effect (to be said on stderr).
fn parse(args: Vec<OsString>) -> Result<(Command, Vec<String>), String> {
    use lexopt::prelude::*;
    let (mut own, node_args) = split_at_separator(args);
    // `echo-load test -w echo ...`: Maelstrom's own command line, as typed.
    let maelstrom = own.first().is_some_and(|w| w == "test");
    if maelstrom {
        own.remove(0);
    } else if own.first().is_some_and(|w| w == "serve") {
        return parse_serve(&own[1..]).map(|c| (c, Vec::new()));
    } else if let Some(word) = own.first().and_then(|w| w.to_str())
        && ["demo", "doc", "test-all"].contains(&word)
    {
        return Err(format!(
            "'{word}' is a command of Maelstrom's that echo-load does not have: it runs \
             tests of the echo workload (echo-load test -w echo --bin PATH ..., or \
             echo-load --bin PATH ...)"
        ));
    }
    let mut config = Config::default();
    let mut extra_args: Vec<String> = Vec::new();
    let mut notes = Vec::new();
    // Each --bin, with the words of its --args.
    let mut bins: Vec<(PathBuf, Vec<String>)> = Vec::new();
    let mut rounds = None;
    let (mut capacity, mut p99_max, mut repeats) = (false, None, None);
    let mut concurrency = "1n".to_owned();
    let mut time_limit = config.time_limit.as_secs_f64();
    let mut rate_given: Option<Option<f64>> = None;
    let (mut node_count, mut nodes): (Option<usize>, Vec<String>) = (None, Vec::new());
    let mut workload: Option<String> = None;
    let (mut help, mut version, mut quiet) = (false, false, false);
    let mut parser = lexopt::Parser::from_args(own);
    while let Some(arg) = parser.next().map_err(|e| e.to_string())? {
        match arg {
            Long("bin") => bins.push((value::<PathBuf>(&mut parser, "--bin")?, Vec::new())),
            Long("args") => {
                let text: String = value(&mut parser, "--args")?;
                let words = shell_words::split(&text).map_err(|e| format!("--args: {e}"))?;
                let (_, args) = bins
                    .last_mut()
                    .ok_or("--args: gives the arguments of the --bin before it; there is none")?;
                args.extend(words);
            }
            Short('w') | Long("workload") => workload = Some(value(&mut parser, "--workload")?),
            Long("rounds") => rounds = Some(value::<usize>(&mut parser, "--rounds")?),
            Long("capacity") => capacity = true,
            Long("p99-max") => p99_max = Some(value::<f64>(&mut parser, "--p99-max")?),
            Long("capacity-repeats") => {
                repeats = Some(value::<usize>(&mut parser, "--capacity-repeats")?)
            }
            Long("node-count") => node_count = Some(value(&mut parser, "--node-count")?),
            Short('n') | Long("node") => nodes.push(value(&mut parser, "--node")?),
            Long("nodes") => {
                let list: String = value(&mut parser, "--nodes")?;
                nodes.extend(list.split(',').map(|n| n.trim().to_owned()));
            }
            Long("concurrency") => concurrency = value(&mut parser, "--concurrency")?,
            Long("rate") => rate_given = Some(rate(&mut parser)?),
            Long("time-limit") => time_limit = value(&mut parser, "--time-limit")?,
            Long("timeout") => {
                config.timeout = Duration::from_millis(value(&mut parser, "--timeout")?)
            }
            Long("payload") => {
                let text: String = value(&mut parser, "--payload")?;
                config.payload = text.parse().map_err(|e| format!("--payload: {e}"))?;
            }
            Long("requests") => config.requests = Some(value(&mut parser, "--requests")?),
            Long("out") => config.out = Some(value::<PathBuf>(&mut parser, "--out")?),
            Long("seed") => config.seed = value(&mut parser, "--seed")?,
            Long("strict") => config.strict = true,
            Long("history") => config.history = true,
            Long("history-large") => config.history_large = true,
            Long("no-history") => config.no_history = true,
            Long("latency") => config.latency_ms = value(&mut parser, "--latency")?,
            Long("latency-dist") => {
                let text: String = value(&mut parser, "--latency-dist")?;
                config.latency_dist = text.parse().map_err(|e| format!("--latency-dist: {e}"))?;
            }
            Long("log-stderr") => config.log_stderr = true,
            Long("quiet") => quiet = true,
            Short('h') | Long("help") => help = true,
            Short('V') | Long("version") => version = true,
            Long("test-count") => {
                let count: String = value(&mut parser, "--test-count")?;
                if count != "1" {
                    return Err(format!(
                        "--test-count: echo-load runs one test a command; for {count} runs of \
                         one node, give --rounds {count}"
                    ));
                }
            }
            Long(name) if NODE_OPTIONS.contains(&name) => {
                return Err(format!(
                    "'--{name}' is an option of the node, not of echo-load: node options go \
                     after '--' (echo-load --bin PATH -- --{name} ...)"
                ));
            }
            Long(name) if let Some((_, takes, what)) = FOREIGN.iter().find(|f| f.0 == name) => {
                let name = name.to_owned();
                if *takes {
                    let _: String = value(&mut parser, &format!("--{name}"))?;
                }
                match what {
                    Foreign::NoEffect(why) => notes.push(format!(
                        "--{name}, Maelstrom's, has no effect on an echo run here: {why}"
                    )),
                    Foreign::Refused(why) => return Err(format!("--{name}: {why}")),
                }
            }
            // Maelstrom's `test` takes its other words as the node's arguments
            // (core.clj, `add-args`).
            Value(word) if maelstrom => extra_args.push(word.to_string_lossy().into_owned()),
            Value(word) => {
                return Err(format!(
                    "unexpected word '{}': the node's arguments go after '--' \
                     (echo-load --bin PATH -- ARGS...)",
                    word.to_string_lossy()
                ));
            }
            _ => return Err(arg.unexpected().to_string()),
        }
    }
    if help {
        return Ok((Command::Help, notes));
    }
    if version {
        return Ok((Command::Version, notes));
    }
    match workload.as_deref() {
        Some("echo") => {}
        Some(other) if WORKLOADS.contains(&other) => {
            return Err(format!(
                "--workload {other}: echo-load runs Maelstrom's echo workload only (-w echo); \
                 {other} is run by Maelstrom itself"
            ));
        }
        Some(other) => {
            return Err(format!(
                "--workload {other}: no workload of Maelstrom's is called so; echo-load runs \
                 echo (-w echo)"
            ));
        }
        None if maelstrom => {
            return Err(
                "--workload: Maelstrom's test runs lin-kv when -w names no workload; echo-load \
                 runs echo only: give -w echo"
                    .into(),
            );
        }
        None => {}
    }
    if bins.is_empty() {
        return Err("--bin PATH is required".into());
    }
    // --node-count overrides --nodes, as in Maelstrom (core.clj, `parse-node-count`).
    if let Some(count) = node_count {
        (config.node_count, config.first_node) = (count, 0);
    } else if !nodes.is_empty() {
        (config.node_count, config.first_node) = named_nodes(&nodes)?;
    }
    if let Some(rate) = rate_given {
        config.rate = rate;
    }
    config.node_args = extra_args
        .into_iter()
        .chain(
            node_args
                .into_iter()
                .map(|a| a.to_string_lossy().into_owned()),
        )
        .collect();
    config.concurrency = parse_concurrency(&concurrency, config.node_count).ok_or_else(|| {
        format!("--concurrency: '{concurrency}' is neither a number nor Kn (K per node)")
    })?;
    config.time_limit = Duration::try_from_secs_f64(time_limit).map_err(|_| {
        format!(
            "--time-limit: {time_limit} is out of range: {}",
            echo_load::TIME_LIMIT_TEXT
        )
    })?;
    config.progress = !quiet;
    let mut configs = Vec::with_capacity(bins.len());
    for (bin, own_args) in bins {
        let node_args = own_args.into_iter().chain(config.node_args.iter().cloned());
        let one = Config {
            bin: find_program(&bin)?,
            node_args: node_args.collect(),
            ..config.clone()
        };
        one.check().map_err(|e| e.to_string())?;
        configs.push(one);
    }
    let session = configs.len() > 1 || rounds.is_some() || capacity;
    if session && config.history {
        return Err(
            "--history: it writes one run's operations; not with several --bin, --rounds \
             or --capacity"
                .into(),
        );
    }
    if capacity {
        if configs.len() > 1 || rounds.is_some() {
            return Err(
                "--capacity: it searches one node's capacity; give one --bin, and no --rounds"
                    .into(),
            );
        }
        let bound = echo_load::capacity::P99_MAX_RANGE;
        let p99_max = p99_max.unwrap_or(echo_load::capacity::P99_MAX_MS);
        if !bound.contains(&p99_max) {
            return Err(format!(
                "--p99-max: {p99_max} is out of range: {} to {} ms",
                bound.start(),
                bound.end()
            ));
        }
        let start = match rate_given {
            None => echo_load::capacity::START,
            Some(Some(rate)) if rate > 0.0 => rate,
            Some(_) => {
                return Err(
                    "--capacity: --rate gives the rate its search starts at, a number above 0"
                        .into(),
                );
            }
        };
        let repeats = within(
            "--capacity-repeats",
            repeats.unwrap_or(echo_load::capacity::REPEATS),
            echo_load::capacity::REPEATS_RANGE,
        )?;
        let mut one = configs.remove(0);
        one.rate = None;
        return Ok((Command::Capacity(one, start, p99_max, repeats), notes));
    }
    if p99_max.is_some() {
        return Err("--p99-max: it bounds --capacity's search; give --capacity".into());
    }
    if repeats.is_some() {
        return Err("--capacity-repeats: it sets --capacity's runs a step; give --capacity".into());
    }
    if session {
        let rounds = within(
            "--rounds",
            rounds.unwrap_or(echo_load::compare::ROUNDS),
            echo_load::compare::ROUNDS_RANGE,
        )?;
        return Ok((Command::Compare(configs, rounds), notes));
    }
    Ok((Command::Run(configs.remove(0)), notes))
}

/// `value` of `option`, if it is in `range`; else the usage error that says so.
fn within(
    option: &str,
    value: usize,
    range: std::ops::RangeInclusive<usize>,
) -> Result<usize, String> {
    if range.contains(&value) {
        Ok(value)
    } else {
        Err(format!(
            "{option}: {value} is out of range: {} to {}",
            range.start(),
            range.end()
        ))
    }
}

/// `--bin`'s program: a name with a `/` is a path as it is; a bare name is looked up on
/// `PATH`, as a shell would.
fn find_program(bin: &Path) -> Result<PathBuf, String> {
    if bin.as_os_str().as_encoded_bytes().contains(&b'/') {
        return Ok(bin.to_path_buf());
    }
    let path = std::env::var_os("PATH").unwrap_or_default();
    std::env::split_paths(&path)
        .map(|dir| dir.join(bin))
        .find(|candidate| {
            use std::os::unix::fs::PermissionsExt;
            candidate
                .metadata()
                .is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
        })
        .ok_or_else(|| {
            format!(
                "--bin {}: no such program on PATH (a path with a '/', such as ./{0}, is \
                 taken as it is)",
                bin.display()
            )
        })
}

/// `50` or `3n` (3 per node), as Jepsen writes it; `None` if it is neither (or overflows).
fn parse_concurrency(text: &str, nodes: usize) -> Option<usize> {
    let n = match text.strip_suffix('n') {
        Some(k) => k.parse::<usize>().ok()?.checked_mul(nodes)?,
        None => text.parse().ok()?,
    };
    Some(n)
}

fn main() -> ExitCode {
    // echo-load's only children are the nodes: what they start and leave behind is
    // adopted, and ended at the end of each run (Linux).
    echo_load::adopt_orphans();
    echo_load::survive_file_size_limit();
    let command = match parse(std::env::args_os().skip(1).collect()) {
        Ok((command, notes)) => {
            for note in notes {
                let _ = writeln!(io::stderr(), "echo-load: {note}");
            }
            Ok(command)
        }
        Err(e) => Err(e),
    };
    let command = match command {
        Ok(Command::Help) => {
            let _ = io::stdout().write_all(USAGE.as_bytes());
            return ExitCode::SUCCESS;
        }
        Ok(Command::Version) => {
            let _ = writeln!(io::stdout(), "echo-load {}", env!("CARGO_PKG_VERSION"));
            return ExitCode::SUCCESS;
        }
        Ok(command) => command,
        Err(e) => {
            let _ = writeln!(io::stderr(), "echo-load: {e}\nTry 'echo-load --help'.");
            return ExitCode::from(2);
        }
    };
    let mut command = command;
    if let Command::Serve(store, addr) = &command {
        let served = echo_load::serve::serve(store, *addr, |at| {
            let _ = writeln!(
                io::stdout(),
                "echo-load: serving {} at http://{at}/ (Ctrl-C ends it)",
                store.display()
            );
            let _ = io::stdout().flush();
        });
        return match served {
            Ok(()) => ExitCode::SUCCESS,
            Err(e) => {
                let _ = writeln!(io::stderr(), "echo-load: serve: {e}");
                ExitCode::from(2)
            }
        };
    }
    // With no --out, the run is kept in the store, as Maelstrom keeps it.
    let out_slot = match &mut command {
        Command::Run(config) | Command::Capacity(config, ..) => Some(&mut config.out),
        Command::Compare(configs, _) => configs.first_mut().map(|c| &mut c.out),
        Command::Serve(..) | Command::Help | Command::Version => None,
    };
    let store = Path::new(echo_load::store::STORE);
    let mut in_store = None;
    if let Some(slot) = out_slot
        && slot.is_none()
    {
        match echo_load::store::new_run(store) {
            Ok(run) => {
                *slot = Some(run.clone());
                in_store = Some(run);
            }
            Err(e) => {
                let _ = writeln!(io::stderr(), "echo-load: {}: {e}", store.display());
                return ExitCode::from(2);
            }
        }
    }
    // The --out folder is this command's until its outputs are written.
    let out = match &command {
        Command::Run(config) | Command::Capacity(config, ..) => config.out.as_deref(),
        Command::Compare(configs, _) => configs.first().and_then(|c| c.out.as_deref()),
        Command::Serve(..) | Command::Help | Command::Version => None,
    };
    let _lock = match out.map(echo_load::lock_out).transpose() {
        Ok(lock) => lock,
        Err(e) => {
            let _ = writeln!(io::stderr(), "echo-load: {e}");
            return ExitCode::from(2);
        }
    };
    // What ran, and what its folder holds; one path from there to its summary, its
    // files and its exit status.
    let done: Result<Option<Done>, echo_load::Error> = match &command {
        Command::Run(config) => {
            if config.history && config.progress {
                let (requests, bytes) = config.history_size();
                let _ = writeln!(
                    io::stderr(),
                    "echo-load: --history: up to about {} MB for up to {requests} requests",
                    bytes.div_ceil(1_000_000)
                );
            }
            let what = if config.keeps_history() {
                "results, history, pictures and node logs"
            } else {
                "results, pictures and node logs"
            };
            echo_load::run(config).map(|report| Some((Box::new(report) as Box<dyn Output>, what)))
        }
        Command::Compare(configs, rounds) => {
            let progress = configs.first().is_some_and(|c| c.progress);
            echo_load::compare(configs, *rounds, progress)
                .map(|comparison| Some((Box::new(comparison) as Box<dyn Output>, SESSION_HOLDS)))
        }
        Command::Capacity(config, start, p99_max, repeats) => {
            echo_load::capacity(config, *start, *p99_max, *repeats, config.progress)
                .map(|found| Some((Box::new(found) as Box<dyn Output>, SESSION_HOLDS)))
        }
        Command::Serve(..) | Command::Help | Command::Version => Ok(None),
    };
    let ran =
        done.map(|done| done.map_or(ExitCode::SUCCESS, |(done, what)| finish(&*done, out, what)));
    if let Some(run) = &in_store
        && let Err(e) = echo_load::store::ended(store, run)
    {
        let _ = writeln!(io::stderr(), "echo-load: {}/latest: {e}", store.display());
    }
    ran.unwrap_or_else(|e| {
        let _ = writeln!(io::stderr(), "echo-load: {e}");
        ExitCode::from(2)
    })
}

/// What ran, and what its folder holds, in words.
type Done = (Box<dyn Output>, &'static str);

/// What a comparison's or a capacity search's folder holds.
const SESSION_HOLDS: &str = "results, plots and runs";

/// Prints what ran's summary first (an output that cannot be written loses nothing of
/// it), then writes its folder, if it has one, and says where its outputs went (`what` in
/// the folder), or which could not be written (and the status is 3 then); else the status
/// its verdict means.
fn finish(done: &dyn Output, out: Option<&Path>, what: &str) -> ExitCode {
    let code = ExitCode::from(done.verdict().exit_status(done.interrupted()));
    let _ = io::stdout().write_all(done.summary().as_bytes());
    let _ = io::stdout().flush();
    let Some(dir) = out else {
        return code;
    };
    match echo_load::write(dir, done) {
        Ok(()) => {
            let _ = writeln!(io::stdout(), "{what} in {}", dir.display());
            code
        }
        Err(e) => {
            let _ = writeln!(io::stderr(), "echo-load: {e}");
            ExitCode::from(3)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn args(words: &[&str]) -> Vec<OsString> {
        words.iter().map(OsString::from).collect()
    }

    #[test]
    fn the_help_states_the_ranges_the_code_checks() {
        for range in [
            format!(
                "{} to {}",
                echo_load::NODE_COUNT.start(),
                echo_load::NODE_COUNT.end()
            ),
            format!("1 to {}", echo_load::CONCURRENCY.end()),
            format!("{} to", echo_load::RATE.start()),
            echo_load::TIME_LIMIT_TEXT
                .trim_end_matches(" seconds")
                .to_owned(),
            format!("1 to {}", echo_load::TIMEOUT.end().as_millis()),
            format!("0 to {}", echo_load::send::MAX_STRING_PAYLOAD),
        ] {
            assert!(USAGE.contains(&range), "--help says {range}");
        }
    }

    #[test]
    fn the_help_names_every_option() {
        let switches = [
            "--strict",
            "--history",
            "--history-large",
            "--no-history",
            "--log-stderr",
            "--capacity",
            "--quiet",
        ];
        for option in VALUE_OPTIONS.iter().chain(&switches) {
            assert!(
                USAGE.contains(&format!("      {option} "))
                    || USAGE.contains(&format!(", {option} "))
                    || USAGE.contains(&format!("; {option} ")),
                "--help lists {option}"
            );
        }
    }

    fn run_of(words: &[&str]) -> Config {
        match parse_args(args(words)) {
            Ok(Command::Run(config)) => config,
            Ok(_) => panic!("{words:?}: not a run"),
            Err(e) => panic!("{words:?}: {e}"),
        }
    }

    #[test]
    fn with_no_options_the_run_is_maelstroms() {
        // `maelstrom test -w echo --bin BIN`: Jepsen's nodes n1..n5, one client a node,
        // 5 requests a second, 60 s, 5 s timeouts.
        for words in [
            &["--bin", "/bin/sh"][..],
            &["test", "-w", "echo", "--bin", "/bin/sh"],
            &["test", "--workload=echo", "--bin", "/bin/sh"],
        ] {
            let c = run_of(words);
            assert_eq!((c.node_count, c.first_node, c.concurrency), (5, 1, 5));
            assert_eq!(c.rate, Some(5.0));
            assert_eq!(c.time_limit, Duration::from_secs(60));
            assert_eq!(c.timeout, Duration::from_millis(5000));
        }
        // The help says the same.
        for default in [
            "[default: Jepsen's five nodes, n1..n5]",
            "[default: 1n]",
            "[default: 5, Maelstrom's]",
            "[default: 60, Jepsen's]",
            "[default: 5000, Maelstrom's]",
        ] {
            assert!(USAGE.contains(default), "{default}");
        }
    }

    #[test]
    fn a_maelstrom_command_line_runs_as_maelstrom_would_run_it() {
        let c = run_of(&[
            "test",
            "-w",
            "echo",
            "--bin",
            "/bin/sh",
            "--node-count",
            "3",
            "--time-limit",
            "20",
            "--rate",
            "100",
            "--concurrency",
            "2n",
            "--log-net-send",
            "--availability",
            "total",
            "--test-count",
            "1",
            "word",
            "--",
            "after",
        ]);
        assert_eq!((c.node_count, c.first_node, c.concurrency), (3, 0, 6));
        assert_eq!(
            (c.rate, c.time_limit),
            (Some(100.0), Duration::from_secs(20))
        );
        // Maelstrom's `test` passes its other words to the node (core.clj, `add-args`).
        assert_eq!(c.node_args, ["word", "after"]);
        // The tutorial's --nodes n1, and Jepsen's --node, name the nodes.
        let c = run_of(&["test", "-w", "echo", "--bin", "/bin/sh", "--nodes", "n1"]);
        assert_eq!((c.node_count, c.first_node, c.concurrency), (1, 1, 1));
        let c = run_of(&["--bin", "/bin/sh", "-n", "n2", "--node", "n3"]);
        assert_eq!((c.node_count, c.first_node), (2, 2));
        // --node-count overrides them.
        let c = run_of(&["--bin", "/bin/sh", "--nodes", "n1,n2", "--node-count", "4"]);
        assert_eq!((c.node_count, c.first_node), (4, 0));
        // `--rate max` is the closed loop; `--rate 0` a run with no requests.
        assert_eq!(run_of(&["--bin", "/bin/sh", "--rate", "max"]).rate, None);
        assert_eq!(run_of(&["--bin", "/bin/sh", "--rate", "0"]).rate, Some(0.0));
    }

    #[test]
    fn maelstroms_options_that_do_not_apply_are_named_never_unknown() {
        for (name, takes, _) in FOREIGN {
            let mut words = vec!["--bin", "/bin/sh"];
            let option = format!("--{name}");
            words.push(&option);
            if *takes {
                words.push("x");
            }
            match parse(args(&words)) {
                Ok((_, notes)) => assert!(
                    notes.len() == 1
                        && notes[0].contains(&option)
                        && notes[0].contains("no effect"),
                    "{option}: {notes:?}"
                ),
                Err(e) => assert!(e.starts_with(&format!("{option}: ")), "{option}: {e}"),
            }
            assert!(USAGE.contains(&option), "--help names {option}");
        }
        // Without `test`, a stray word is still a mistake; Maelstrom's other commands
        // are named as such.
        let e = parse_args(args(&["demo"])).err().unwrap_or_default();
        assert!(e.contains("'demo' is a command of Maelstrom's"), "{e}");
        // `serve` is echo-load's too: the store over HTTP, on 127.0.0.1 unless told.
        match parse_args(args(&["serve", "--port", "0", "--store", "s"])) {
            Ok(Command::Serve(store, addr)) => {
                assert_eq!(store, PathBuf::from("s"));
                assert_eq!(addr.to_string(), "127.0.0.1:0");
            }
            _ => panic!("serve parses"),
        }
        assert!(parse_args(args(&["serve", "--bin", "x"])).is_err());
        let e = parse_args(args(&["test", "--bin", "/bin/sh"]))
            .err()
            .unwrap_or_default();
        assert!(e.contains("runs lin-kv when -w names no workload"), "{e}");
    }

    #[test]
    fn a_history_that_could_pass_a_gib_asks_for_history_large() {
        let words = [
            "--bin",
            "/bin/sh",
            "--history",
            "--out",
            "/tmp/x",
            "--rate",
            "max",
            "--time-limit",
            "10",
        ];
        let e = parse_args(args(&words)).err().unwrap_or_default();
        assert!(
            e.contains("--history: this run's would be about 3.0 GiB (15,000,000 requests")
                && e.contains("give --history-large"),
            "{e}"
        );
        let mut larger = words.to_vec();
        larger.push("--history-large");
        assert!(run_of(&larger).history_large);
        // Bounded by --requests, or a rate, it is small.
        let mut bounded = words.to_vec();
        bounded.extend(["--requests", "1000000"]);
        assert!(!run_of(&bounded).history_large);
        assert!(parse_args(args(&["--bin", "/bin/sh", "--history", "--out", "/tmp/x"])).is_ok());
    }

    #[test]
    fn concurrency_takes_jepsens_notation() {
        assert_eq!(parse_concurrency("1n", 5), Some(5));
        assert_eq!(parse_concurrency("3n", 2), Some(6));
        assert_eq!(parse_concurrency("50", 5), Some(50));
        assert_eq!(parse_concurrency("0", 5), Some(0));
        assert_eq!(parse_concurrency("xn", 5), None);
        assert_eq!(parse_concurrency("99999999999999999999n", 5), None);
    }

    #[test]
    fn the_node_arguments_start_after_the_first_separator_that_is_no_value() {
        let (own, node) =
            split_at_separator(args(&["--out", "--", "--bin", "x", "--", "-a", "--"]));
        assert_eq!(own, args(&["--out", "--", "--bin", "x"]));
        assert_eq!(node, args(&["-a", "--"]));
    }

    #[test]
    fn words_a_user_can_type_are_usage_errors_that_name_the_option() {
        for (words, says) in [
            (
                &["--time-limit", "1e19"][..],
                "--time-limit: 1e19 is out of range: 0.001 to 1000000 seconds",
            ),
            (&["--time-limit", "-1"], "--time-limit: -1 is out of range"),
            (
                &["--node-count", "9223372036854775808"],
                "--node-count: 9223372036854775808 is out of range: 1 to 100000",
            ),
            (
                &["--node-count", "200000"],
                "--node-count: 200000 is out of range: 1 to 100000",
            ),
            (
                &["--rate", "1e-300"],
                "--rate: 1e-300 is out of range: 0 (no requests), or 0.001 to 100000000 requests a second",
            ),
            (&["--rate", "fast"], "--rate: 'fast' is neither a number"),
            (
                &["-w", "lin-kv"],
                "echo-load runs Maelstrom's echo workload only",
            ),
            (
                &["--workload", "echoes"],
                "no workload of Maelstrom's is called so",
            ),
            (
                &["--nemesis", "partition"],
                "--nemesis: echo-load injects no faults",
            ),
            (&["--test-count", "3"], "give --rounds 3"),
            (
                &["--nodes", "n1,n3"],
                "--nodes: 'n3': echo-load names nodes",
            ),
            (&["--nodes", "a,b"], "--nodes: 'a'"),
            (
                &["--capacity", "--rate", "max"],
                "--capacity: --rate gives the rate",
            ),
            (&["--rate", "NaN"], "--rate: NaN is out of range"),
            (
                &["--concurrency", "1000000000"],
                "--concurrency: 1000000000 is out of range",
            ),
            (
                &["--payload", "string:10000000000"],
                "--payload: 'string:10000000000': a string of",
            ),
            (
                &["--timeout", "0"],
                "--timeout: 0 is out of range: 1 to 3600000 ms",
            ),
            (
                &["extra", "--quiet"],
                "unexpected word 'extra': the node's arguments go after '--'",
            ),
            (
                &["--flush", "batch"],
                "'--flush' is an option of the node, not of echo-load",
            ),
            (&["-V", "extra"], "unexpected word 'extra'"),
            (&["--help", "extra"], "unexpected word 'extra'"),
        ] {
            let mut all = args(&["--bin", "/bin/sh"]);
            all.extend(args(words));
            match parse_args(all) {
                Err(e) => assert!(e.contains(says), "{words:?}: {e}"),
                Ok(_) => panic!("{words:?} was taken"),
            }
        }
        match parse_args(args(&["--bin"])) {
            Err(e) => assert_eq!(e, "--bin: missing its value"),
            Ok(_) => panic!("--bin with no value was taken"),
        }
    }

    #[test]
    fn a_bare_name_is_found_on_path() {
        let found = find_program(Path::new("sh")).expect("sh is on PATH");
        assert!(
            found.is_absolute() && found.ends_with("sh"),
            "{}",
            found.display()
        );
        let missing = find_program(Path::new("no-such-program-here")).expect_err("not found");
        assert!(missing.contains("no such program on PATH"), "{missing}");
        assert_eq!(find_program(Path::new("./x")), Ok(PathBuf::from("./x")));
    }

    /// Words a user may type: options, numbers of every size and sign, and stray words.
    fn word() -> impl Strategy<Value = String> {
        prop_oneof![
            prop::sample::select(
                VALUE_OPTIONS
                    .iter()
                    .copied()
                    .chain([
                        "--strict",
                        "--quiet",
                        "--capacity",
                        "--bin",
                        "--help",
                        "-V",
                        "--",
                        "--flush",
                        "extra",
                        "3n",
                        "0n",
                        "string:",
                        "mixed",
                        "maelstrom",
                        "NaN",
                        "inf",
                        "-inf",
                        "-0",
                        "1e19",
                        "1e-300",
                        "1e308",
                        "18446744073709551616",
                        "9223372036854775808",
                        "string:99999999999",
                        "/bin/sh",
                    ])
                    .collect::<Vec<_>>()
            )
            .prop_map(str::to_owned),
            any::<u64>().prop_map(|n| n.to_string()),
            any::<f64>().prop_map(|x| x.to_string()),
            "[a-z0-9:.-]{0,12}",
        ]
    }

    /// A config that starts: every number fits what the run computes with it.
    fn check(config: &Config) -> Result<(), TestCaseError> {
        prop_assert!(config.check().is_ok());
        let later = config.time_limit + 2 * config.timeout + Duration::from_secs(60);
        prop_assert!(std::time::Instant::now().checked_add(later).is_some());
        // A rate of 0 sends nothing (the schedule never divides by it).
        if let Some(rate) = config.rate.filter(|r| *r > 0.0) {
            prop_assert!(Duration::try_from_secs_f64(1.0 / rate).is_ok());
        }
        prop_assert!(config.node_count.checked_mul(2).is_some());
        Ok(())
    }

    proptest! {
        /// Any command line is a usage error, help, the version, or a run whose every
        /// number fits what the run computes with it.
        #[test]
        fn a_command_line_is_a_usage_error_or_a_run_that_can_start(
            words in prop::collection::vec(word(), 0..10)
        ) {
            let mut all = args(&["--bin", "/bin/sh"]);
            all.extend(words.iter().map(OsString::from));
            match parse_args(all) {
                Err(e) => prop_assert!(!e.is_empty()),
                Ok(Command::Help | Command::Version) => {}
                // `serve` is a command only as the first word.
                Ok(Command::Serve(..)) => prop_assert!(false, "serve after --bin"),
                Ok(Command::Run(config)) => check(&config)?,
                Ok(Command::Compare(configs, rounds)) => {
                    prop_assert!(echo_load::compare::ROUNDS_RANGE.contains(&rounds));
                    for config in &configs {
                        check(config)?;
                    }
                }
                Ok(Command::Capacity(config, start, p99_max, repeats)) => {
                    check(&Config { rate: Some(start), ..config })?;
                    prop_assert!(echo_load::capacity::P99_MAX_RANGE.contains(&p99_max));
                    prop_assert!(echo_load::capacity::REPEATS_RANGE.contains(&repeats));
                }
            }
        }
    }
}
