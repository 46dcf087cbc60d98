//! What the command line's words gave, as the flags set it, and the command made of it
//! once every word is read: the checks that need more than one flag, and the runs'
//! configurations.

use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::time::Duration;

use echo_load::Config;

/// What the command line asks for.
pub(super) enum Command {
    Run(Config),
    /// Several nodes (or one node several times), in alternating rounds.
    Compare(Vec<Config>, usize),
    /// The capacity search: the config, the starting rate, the p99 bound in ms, the runs
    /// a step.
    Capacity(Config, f64, f64, usize),
    /// `echo-load serve`: the store, and the address to serve it at.
    Serve(PathBuf, std::net::SocketAddr),
    /// `echo-load doctor`: the node, and its arguments.
    Doctor(PathBuf, Vec<String>),
    Help,
    Version,
}

/// What the words gave: each flag sets its part as it comes ([`super::flags::FLAGS`]).
pub(super) struct Given {
    /// What goes straight into every run's configuration.
    pub(super) config: Config,
    /// Each --bin, with the words of its --args.
    pub(super) bins: Vec<(PathBuf, Vec<String>)>,
    pub(super) rounds: Option<usize>,
    pub(super) capacity: bool,
    pub(super) p99_max: Option<f64>,
    pub(super) repeats: Option<usize>,
    /// --concurrency as given: `Kn` needs the node count, known at the end.
    pub(super) concurrency: String,
    /// --time-limit in seconds, checked at the end.
    pub(super) time_limit: f64,
    /// --rate, if given: `None` is `max`.
    pub(super) rate: Option<Option<f64>>,
    pub(super) node_count: Option<usize>,
    /// The nodes --node and --nodes name, in order.
    pub(super) nodes: Vec<String>,
    pub(super) workload: Option<String>,
    pub(super) help: bool,
    pub(super) version: bool,
    pub(super) quiet: bool,
}

impl Default for Given {
    fn default() -> Self {
        let config = Config::default();
        Given {
            time_limit: config.time_limit.as_secs_f64(),
            config,
            bins: Vec::new(),
            rounds: None,
            capacity: false,
            p99_max: None,
            repeats: None,
            concurrency: "1n".to_owned(),
            rate: None,
            node_count: None,
            nodes: Vec::new(),
            workload: None,
            help: false,
            version: false,
            quiet: false,
        }
    }
}

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

impl Given {
    /// The command the words ask for, with `extra_args` (words after `test` that are no
    /// option's) and `node_args` (after `--`) going to every node; `maelstrom`: the
    /// command line was Maelstrom's (`test ...`).
    pub(super) fn command(
        mut self,
        maelstrom: bool,
        extra_args: Vec<String>,
        node_args: Vec<OsString>,
    ) -> Result<Command, String> {
        if self.help {
            return Ok(Command::Help);
        }
        if self.version {
            return Ok(Command::Version);
        }
        workload(self.workload.as_deref(), maelstrom)?;
        if self.bins.is_empty() {
            return Err("--bin PATH is required".into());
        }
        let mut configs = self.configs(extra_args, node_args)?;
        let session = configs.len() > 1 || self.rounds.is_some() || self.capacity;
        if session && self.config.history {
            return Err(
                "--history: it writes one run's operations; not with several --bin, --rounds \
                 or --capacity"
                    .into(),
            );
        }
        if self.capacity {
            return self.capacity_search(configs);
        }
        if self.p99_max.is_some() {
            return Err("--p99-max: it bounds --capacity's search; give --capacity".into());
        }
        if self.repeats.is_some() {
            return Err(
                "--capacity-repeats: it sets --capacity's runs a step; give --capacity".into(),
            );
        }
        if session {
            let rounds = within(
                "--rounds",
                self.rounds.unwrap_or(echo_load::compare::ROUNDS),
                echo_load::compare::ROUNDS_RANGE,
            )?;
            return Ok(Command::Compare(configs, rounds));
        }
        Ok(Command::Run(configs.remove(0)))
    }

    /// Each --bin's run's configuration, every node given `extra_args` and `node_args`
    /// after its own --args, each checked; the bins are taken.
    fn configs(
        &mut self,
        extra_args: Vec<String>,
        node_args: Vec<OsString>,
    ) -> Result<Vec<Config>, String> {
        let config = &mut self.config;
        // --node-count overrides --nodes, as in Maelstrom (core.clj, `parse-node-count`).
        if let Some(count) = self.node_count {
            (config.node_count, config.first_node) = (count, 0);
        } else if !self.nodes.is_empty() {
            (config.node_count, config.first_node) = named_nodes(&self.nodes)?;
        }
        if let Some(rate) = self.rate {
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
        let concurrency = &self.concurrency;
        config.concurrency =
            parse_concurrency(concurrency, config.node_count).ok_or_else(|| {
                format!("--concurrency: '{concurrency}' is neither a number nor Kn (K per node)")
            })?;
        let time_limit = self.time_limit;
        config.time_limit = Duration::try_from_secs_f64(time_limit).map_err(|_| {
            format!(
                "--time-limit: {time_limit} is out of range: {}",
                echo_load::TIME_LIMIT_TEXT
            )
        })?;
        config.progress = !self.quiet;
        let mut configs = Vec::with_capacity(self.bins.len());
        for (bin, own_args) in std::mem::take(&mut self.bins) {
            let node_args = own_args.into_iter().chain(config.node_args.iter().cloned());
            let one = Config {
                bin: find_program(&bin)?,
                node_args: node_args.collect(),
                ..config.clone()
            };
            one.check().map_err(|e| e.to_string())?;
            configs.push(one);
        }
        Ok(configs)
    }

    /// The capacity search of the one run in `configs`.
    fn capacity_search(&self, mut configs: Vec<Config>) -> Result<Command, String> {
        if configs.len() > 1 || self.rounds.is_some() {
            return Err(
                "--capacity: it searches one node's capacity; give one --bin, and no --rounds"
                    .into(),
            );
        }
        let bound = echo_load::capacity::P99_MAX_RANGE;
        let p99_max = self.p99_max.unwrap_or(echo_load::capacity::P99_MAX_MS);
        if !bound.contains(&p99_max) {
            return Err(format!(
                "--p99-max: {p99_max} is out of range: {} to {} ms",
                bound.start(),
                bound.end()
            ));
        }
        let start = match self.rate {
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
            self.repeats.unwrap_or(echo_load::capacity::REPEATS),
            echo_load::capacity::REPEATS_RANGE,
        )?;
        let mut one = configs.remove(0);
        one.rate = None;
        Ok(Command::Capacity(one, start, p99_max, repeats))
    }
}

/// `--workload`'s value, if any, is echo; after `test` (`maelstrom`), it must be given.
fn workload(workload: Option<&str>, maelstrom: bool) -> Result<(), String> {
    match workload {
        Some("echo") => Ok(()),
        Some(other) if WORKLOADS.contains(&other) => Err(format!(
            "--workload {other}: echo-load runs Maelstrom's echo workload only (-w echo); \
             {other} is run by Maelstrom itself"
        )),
        Some(other) => Err(format!(
            "--workload {other}: no workload of Maelstrom's is called so; echo-load runs \
             echo (-w echo)"
        )),
        None if maelstrom => Err(
            "--workload: Maelstrom's test runs lin-kv when -w names no workload; echo-load \
             runs echo only: give -w echo"
                .into(),
        ),
        None => Ok(()),
    }
}

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

/// `--bin`'s program: a name with a `/` is a path as it is; a bare name is the file of
/// that name in the current folder when there is one, as Maelstrom takes `--bin` (a path
/// from the current folder), and otherwise a program looked up on `PATH`, as a shell
/// would.
pub(super) fn find_program(bin: &Path) -> Result<PathBuf, String> {
    if bin.as_os_str().as_encoded_bytes().contains(&b'/') {
        return Ok(bin.to_path_buf());
    }
    if bin.is_file() {
        return Ok(Path::new(".").join(bin));
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
                "--bin {}: no file of that name in the current folder, and no such program \
                 on PATH",
                bin.display()
            )
        })
}

/// `50` or `3n` (3 per node), as Jepsen writes it; `None` if it is neither (or overflows).
pub(super) fn parse_concurrency(text: &str, nodes: usize) -> Option<usize> {
    let n = match text.strip_suffix('n') {
        Some(k) => k.parse::<usize>().ok()?.checked_mul(nodes)?,
        None => text.parse().ok()?,
    };
    Some(n)
}
