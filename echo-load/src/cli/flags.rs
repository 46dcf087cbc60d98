//! echo-load's flags, one row each: its long and short name, whether it takes a value,
//! its line in the help, and what it does. The parse ([`super::parse`]) looks each word
//! up here, and the help's list of options ([`super::usage`]) is made from here.

use std::path::PathBuf;
use std::time::Duration;

use super::given::Given;
use super::maelstrom;

/// One flag.
pub(super) struct Flag {
    /// Its long name, without `--`.
    pub(super) long: &'static str,
    /// Its short name, if it has one.
    pub(super) short: Option<char>,
    /// The name its value has in the help, if it takes one.
    pub(super) value: Option<&'static str>,
    /// What the help says of it, wrapped as the help's column wraps it; empty for a flag
    /// the help's list of options leaves out (the paragraph after it names Maelstrom's).
    pub(super) help: &'static str,
    /// What it does.
    pub(super) does: Does,
}

/// What a flag does.
pub(super) enum Does {
    /// Its value, as text, sets what the command line gave (the flag's name, `--long`,
    /// to name it in an error).
    Set(fn(&mut Given, &str, &str) -> Result<(), String>),
    /// It is a switch.
    Switch(fn(&mut Given)),
    /// Maelstrom's (or Jepsen's, which Maelstrom's `test` takes): taken, and said to have
    /// no effect on an echo run here, with why (core.clj's `opt-spec`, jepsen's cli.clj
    /// `test-opt-spec`); its value, if Maelstrom checks it, checked as Maelstrom does.
    NoEffect(&'static str, Option<Check>),
    /// Maelstrom's, refused: it would change the run in a way echo-load does not make.
    Refused(&'static str),
    /// echo-node's, which goes to the nodes after `--`.
    Node,
}

/// A check of a flag's value (the flag's name, `--long`, to name it in an error).
pub(super) type Check = fn(&str, &str) -> Result<(), String>;

/// Why Jepsen's SSH options have no effect: the help names them together by it.
pub(super) const NO_SSH: &str = "the nodes run on this machine, with no SSH";

/// Why Maelstrom's network logs have no effect.
const NO_NET_LOG: &str = "echo-load logs no network messages (--history keeps every operation)";

/// Every flag: the help's list of options in its order, then those it leaves out.
pub(super) const FLAGS: &[Flag] = &[
    Flag {
        long: "bin",
        short: None,
        value: Some("PATH"),
        help: "The node's executable (required): a path (a name with no '/'\n\
               is the file in the current folder, as in Maelstrom, or else\n\
               a program on PATH); NODE_ARGS (after --) go to every node.\n\
               Given more than once, the nodes are compared: each runs the\n\
               same workload in alternating rounds (A B A B ...), and each is\n\
               given its verdict, the median and spread of its throughput\n\
               (--rate max) or latency (--rate R), and its ratio to the first",
        does: Does::Set(|g, _, text| {
            g.bins.push((PathBuf::from(text), Vec::new()));
            Ok(())
        }),
    },
    Flag {
        long: "workload",
        short: Some('w'),
        value: Some("NAME"),
        help: "Maelstrom's: echo, the only workload echo-load runs (after\n\
               `test`, as in Maelstrom, it must be given)",
        does: Does::Set(|g, _, text| {
            g.workload = Some(text.to_owned());
            Ok(())
        }),
    },
    Flag {
        long: "args",
        short: None,
        value: Some("WORDS"),
        help: "Arguments for the nodes of the --bin just before, split as a\n\
               shell splits words (quotes group), before NODE_ARGS",
        does: Does::Set(|g, _, text| {
            let words = shell_words::split(text).map_err(|e| format!("--args: {e}"))?;
            let (_, args) = g
                .bins
                .last_mut()
                .ok_or("--args: gives the arguments of the --bin before it; there is none")?;
            args.extend(words);
            Ok(())
        }),
    },
    Flag {
        long: "rounds",
        short: None,
        value: Some("N"),
        help: "Rounds of a comparison, each --time-limit long, 1 to 1000\n\
               [default: 5]; with one --bin, that node's rounds alone",
        does: Does::Set(|g, name, text| {
            g.rounds = Some(parsed(name, text)?);
            Ok(())
        }),
    },
    Flag {
        long: "capacity",
        short: None,
        value: None,
        help: "Search the highest --rate the node sustains: from --rate\n\
               [default: 1000], doubling while steps pass (halving while\n\
               they fail), then narrowing to within 5%; a step passes when\n\
               its run is valid, every request is sent and p99 is within\n\
               --p99-max. At most 30 steps, each a run of --time-limit",
        does: Does::Switch(|g| g.capacity = true),
    },
    Flag {
        long: "p99-max",
        short: None,
        value: Some("MS"),
        help: "The p99 latency bound of --capacity, in milliseconds, 0.001\n\
               to 3600000 [default: 10]",
        does: Does::Set(|g, name, text| {
            g.p99_max = Some(parsed(name, text)?);
            Ok(())
        }),
    },
    Flag {
        long: "capacity-repeats",
        short: None,
        value: Some("N"),
        help: "Runs a step of --capacity makes: it passes only when each\n\
               passes, 1 to 100 [default: 3]",
        does: Does::Set(|g, name, text| {
            g.repeats = Some(parsed(name, text)?);
            Ok(())
        }),
    },
    Flag {
        long: "node-count",
        short: None,
        value: Some("N"),
        help: "Node processes n0..n(N-1), each sent Maelstrom's init, 1 to\n\
               100000 [default: Jepsen's five nodes, n1..n5]",
        does: Does::Set(|g, name, text| {
            g.node_count = Some(parsed(name, text)?);
            Ok(())
        }),
    },
    Flag {
        long: "nodes",
        short: None,
        value: Some("LIST"),
        help: "Maelstrom's (Jepsen's): the nodes by name, n1,n2,... (or\n\
               n0,n1,...), in order; --node NAME names one at a time.\n\
               --node-count overrides them, as in Maelstrom",
        does: Does::Set(|g, _, text| {
            g.nodes.extend(text.split(',').map(|n| n.trim().to_owned()));
            Ok(())
        }),
    },
    Flag {
        long: "concurrency",
        short: None,
        value: Some("C"),
        help: "Clients, each with one request outstanding at a time: a number,\n\
               or Kn for K per node (Maelstrom's notation), 1 to 1000000 in\n\
               all [default: 1n]",
        does: Does::Set(|g, _, text| {
            g.concurrency = text.to_owned();
            Ok(())
        }),
    },
    Flag {
        long: "rate",
        short: None,
        value: Some("R"),
        help: "Requests per second across all clients, open loop (latency is\n\
               measured from each request's scheduled time): 0 (no requests,\n\
               as Maelstrom's), or 0.001 to 100000000; max: closed loop, each\n\
               client sending its next request as soon as it is answered, as\n\
               fast as the node goes [default: 5, Maelstrom's]",
        does: Does::Set(|g, _, text| {
            g.rate = Some(rate(text)?);
            Ok(())
        }),
    },
    Flag {
        long: "time-limit",
        short: None,
        value: Some("S"),
        help: "Seconds of load, 0.001 to 1000000 [default: 60, Jepsen's]",
        does: Does::Set(|g, name, text| {
            g.time_limit = parsed(name, text)?;
            Ok(())
        }),
    },
    Flag {
        long: "timeout",
        short: None,
        value: Some("MS"),
        help: "Milliseconds a request may wait for its reply from when its\n\
               client sent it, 1 to 3600000 [default: 5000, Maelstrom's]",
        does: Does::Set(|g, name, text| {
            g.config.timeout = Duration::from_millis(parsed(name, text)?);
            Ok(())
        }),
    },
    Flag {
        long: "payload",
        short: None,
        value: Some("KIND"),
        help: "maelstrom (\"Please echo N\", as Maelstrom sends), string:BYTES\n\
               (a string of that many bytes, 0 to 67107840: what echo-load\n\
               reads back in a reply), or mixed (every kind of JSON\n\
               value, including ones most nodes cannot round-trip: 1e400,\n\
               integers beyond 64 bits, -0; Maelstrom's own demos fail it)\n\
               [default: maelstrom]",
        does: Does::Set(|g, _, text| {
            g.config.payload = text.parse().map_err(|e| format!("--payload: {e}"))?;
            Ok(())
        }),
    },
    Flag {
        long: "requests",
        short: None,
        value: Some("N"),
        help: "Stop sending after N requests (or at the time limit)",
        does: Does::Set(|g, name, text| {
            g.config.requests = Some(parsed(name, text)?);
            Ok(())
        }),
    },
    Flag {
        long: "strict",
        short: None,
        value: None,
        help: "Also fail the run for what Maelstrom lets pass: a msg_id a\n\
               node uses twice, duplicate or unsolicited replies, a reply\n\
               from another node than the one asked, a node that does not\n\
               exit cleanly when its stdin closes",
        does: Does::Switch(|g| g.config.strict = true),
    },
    Flag {
        long: "availability",
        short: None,
        value: Some("A"),
        help: "Maelstrom's: the least fraction of requests that must\n\
               succeed, total or 0 to 1, in results.edn's :availability and\n\
               the verdict (echo's checker already fails a run for any\n\
               request that did not succeed) [default: none]",
        does: Does::Set(|g, name, text| {
            g.config.availability = Some(maelstrom::availability(name, text)?);
            Ok(())
        }),
    },
    Flag {
        long: "out",
        short: None,
        value: Some("DIR"),
        help: "Keep the run in DIR, a new folder or one an earlier run wrote\n\
               (its files are replaced), not in the store (see below)",
        does: Does::Set(|g, _, text| {
            g.config.out = Some(PathBuf::from(text));
            Ok(())
        }),
    },
    Flag {
        long: "history",
        short: None,
        value: None,
        help: "Write the history (history.jsonl, history.edn, history.txt,\n\
               timeline.html) whatever the run's size: a run of up to\n\
               100000 requests and 64 MiB of history writes it anyway; its\n\
               size is said before the run (about 185 bytes a request and\n\
               twice the payload), and a run whose history could pass\n\
               1 GiB is refused without --history-large",
        does: Does::Switch(|g| g.config.history = true),
    },
    Flag {
        long: "history-large",
        short: None,
        value: None,
        help: "Let --history write more than 1 GiB",
        does: Does::Switch(|g| g.config.history_large = true),
    },
    Flag {
        long: "no-history",
        short: None,
        value: None,
        help: "Write no history, whatever the run's size (a run measured\n\
               under callgrind, say)",
        does: Does::Switch(|g| g.config.no_history = true),
    },
    Flag {
        long: "latency",
        short: None,
        value: Some("MS"),
        help: "Maelstrom's: mean delay of each message between nodes, and of\n\
               each message to a service and of its reply, 0 to 60000;\n\
               messages to and from clients are never delayed [default: 0]",
        does: Does::Set(|g, name, text| {
            g.config.latency_ms = parsed(name, text)?;
            Ok(())
        }),
    },
    Flag {
        long: "latency-dist",
        short: None,
        value: Some("D"),
        help: "Maelstrom's: constant, uniform (0 to twice the mean) or\n\
               exponential [default: constant]",
        does: Does::Set(|g, _, text| {
            g.config.latency_dist = text.parse().map_err(|e| format!("--latency-dist: {e}"))?;
            Ok(())
        }),
    },
    Flag {
        long: "log-stderr",
        short: None,
        value: None,
        help: "Maelstrom's: show each node's stderr as it comes, on stderr,\n\
               each line after the node's id",
        does: Does::Switch(|g| g.config.log_stderr = true),
    },
    Flag {
        long: "seed",
        short: None,
        value: Some("X"),
        help: "Seed for the payload choice [default: 0]",
        does: Does::Set(|g, name, text| {
            g.config.seed = parsed(name, text)?;
            Ok(())
        }),
    },
    Flag {
        long: "quiet",
        short: None,
        value: None,
        help: "No progress on stderr",
        does: Does::Switch(|g| g.quiet = true),
    },
    Flag {
        long: "help",
        short: Some('h'),
        value: None,
        help: "Print this help",
        does: Does::Switch(|g| g.help = true),
    },
    Flag {
        long: "version",
        short: Some('V'),
        value: None,
        help: "Print the version",
        does: Does::Switch(|g| g.version = true),
    },
    Flag {
        long: "node",
        short: Some('n'),
        value: Some("NAME"),
        help: "",
        does: Does::Set(|g, _, text| {
            g.nodes.push(text.to_owned());
            Ok(())
        }),
    },
    Flag {
        long: "test-count",
        short: None,
        value: Some("N"),
        help: "",
        does: Does::Set(|_, _, count| {
            if count == "1" {
                return Ok(());
            }
            Err(format!(
                "--test-count: echo-load runs one test a command; for {count} runs of one \
                 node, give --rounds {count}"
            ))
        }),
    },
    Flag {
        long: "consistency-models",
        short: None,
        value: Some("VALUE"),
        help: "",
        does: Does::NoEffect(
            "the transactional workloads' checker's; echo has none",
            None,
        ),
    },
    Flag {
        long: "key-count",
        short: None,
        value: Some("VALUE"),
        help: "",
        does: Does::NoEffect(
            "the append and kafka workloads'",
            Some(maelstrom::positive_integer),
        ),
    },
    Flag {
        long: "max-txn-length",
        short: None,
        value: Some("VALUE"),
        help: "",
        does: Does::NoEffect(
            "the transactional workloads'",
            Some(maelstrom::positive_integer),
        ),
    },
    Flag {
        long: "max-writes-per-key",
        short: None,
        value: Some("VALUE"),
        help: "",
        does: Does::NoEffect(
            "the append and kafka workloads'",
            Some(maelstrom::positive_integer),
        ),
    },
    Flag {
        long: "topology",
        short: None,
        value: Some("VALUE"),
        help: "",
        does: Does::NoEffect(
            "broadcast's; echo's nodes are sent none",
            Some(maelstrom::topology),
        ),
    },
    Flag {
        long: "log-net-send",
        short: None,
        value: None,
        help: "",
        does: Does::NoEffect(NO_NET_LOG, None),
    },
    Flag {
        long: "log-net-recv",
        short: None,
        value: None,
        help: "",
        does: Does::NoEffect(NO_NET_LOG, None),
    },
    Flag {
        long: "nemesis-interval",
        short: None,
        value: Some("VALUE"),
        help: "",
        does: Does::NoEffect(
            "echo-load runs no nemesis",
            Some(maelstrom::positive_number),
        ),
    },
    Flag {
        long: "logging-json",
        short: None,
        value: None,
        help: "",
        does: Does::NoEffect("echo-load's own output is its summary and --out", None),
    },
    Flag {
        long: "username",
        short: None,
        value: Some("VALUE"),
        help: "",
        does: Does::NoEffect(NO_SSH, None),
    },
    Flag {
        long: "password",
        short: None,
        value: Some("VALUE"),
        help: "",
        does: Does::NoEffect(NO_SSH, None),
    },
    Flag {
        long: "ssh-private-key",
        short: None,
        value: Some("VALUE"),
        help: "",
        does: Does::NoEffect(NO_SSH, None),
    },
    Flag {
        long: "strict-host-key-checking",
        short: None,
        value: None,
        help: "",
        does: Does::NoEffect(NO_SSH, None),
    },
    Flag {
        long: "no-ssh",
        short: None,
        value: None,
        help: "",
        does: Does::NoEffect(NO_SSH, None),
    },
    Flag {
        long: "dummy-ssh",
        short: None,
        value: None,
        help: "",
        does: Does::NoEffect(NO_SSH, None),
    },
    Flag {
        long: "nemesis",
        short: None,
        value: Some("VALUE"),
        help: "",
        does: Does::Refused(
            "echo-load injects no faults: Maelstrom's partition nemesis is not run here",
        ),
    },
    Flag {
        long: "nodes-file",
        short: None,
        value: Some("VALUE"),
        help: "",
        does: Does::Refused("name the nodes with --node-count N (n0..), or --nodes n1,n2,..."),
    },
    Flag {
        long: "leave-db-running",
        short: None,
        value: None,
        help: "",
        does: Does::Refused("echo-load ends every node with all it started at the end of a run"),
    },
    Flag {
        long: "flush",
        short: None,
        value: None,
        help: "",
        does: Does::Node,
    },
    Flag {
        long: "max-line",
        short: None,
        value: None,
        help: "",
        does: Does::Node,
    },
    Flag {
        long: "stats",
        short: None,
        value: None,
        help: "",
        does: Does::Node,
    },
];

/// The flag named `--long`.
pub(super) fn long(long: &str) -> Option<&'static Flag> {
    FLAGS.iter().find(|f| f.long == long)
}

/// The flag named `-short`.
pub(super) fn short(short: char) -> Option<&'static Flag> {
    FLAGS.iter().find(|f| f.short == Some(short))
}

/// Whether `word` is a flag that takes its value as the next word (`--bin`, `-w`; not
/// `--bin=PATH`).
pub(super) fn takes_next_word(word: &str) -> bool {
    let flag = match (word.strip_prefix("--"), word.strip_prefix('-')) {
        (Some(name), _) => long(name),
        (None, Some(name)) => {
            let mut chars = name.chars();
            match (chars.next(), chars.next()) {
                (Some(c), None) => short(c),
                _ => None,
            }
        }
        (None, None) => None,
    };
    flag.is_some_and(|f| f.value.is_some())
}

/// `text`, the value of flag `name`, parsed as a `T`.
pub(super) fn parsed<T: std::str::FromStr>(name: &str, text: &str) -> Result<T, String> {
    text.parse()
        .map_err(|_| format!("{name}: '{text}' is not a valid value"))
}

/// `--rate`'s value: `max` (closed loop) as `None`, or requests a second.
fn rate(text: &str) -> Result<Option<f64>, String> {
    if text == "max" {
        return Ok(None);
    }
    text.parse()
        .map(Some)
        .map_err(|_| format!("--rate: '{text}' is neither a number of requests a second nor max"))
}
