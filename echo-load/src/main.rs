//! The `echo-load` command: parses the command line, runs the workload, prints the
//! report, and exits 0 only when the run is valid (1: invalid; 2: no run).

#![forbid(unsafe_code)]

use std::io::{self, Write};
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use echo_load::Config;

const USAGE: &str = "\
echo-load: Maelstrom's echo workload, run natively against a Maelstrom echo node binary,
judged as Maelstrom would judge it.

Usage: echo-load --bin PATH [OPTIONS] [-- NODE_ARGS...]

Options:
      --bin <PATH>          The node's executable (required); NODE_ARGS go to every node
      --node-count <N>      Node processes n1..nN, each sent Maelstrom's init [default: 1]
      --concurrency <C>     Clients, each with one request outstanding at a time: a number,
                            or Kn for K per node (Maelstrom's notation) [default: 1n]
      --rate <R>            Requests per second across all clients, open loop (latency is
                            measured from each request's scheduled time); without it,
                            closed loop, as fast as the clients go
      --time-limit <S>      Seconds of load, more than 0 [default: 10]
      --timeout <MS>        Milliseconds a request may wait for its reply once written to
                            its node, at least 1 [default: 5000]
      --payload <KIND>      maelstrom (\"Please echo N\", as Maelstrom sends), string:BYTES
                            (a string of that many bytes), or mixed (every kind of JSON
                            value, including ones most nodes cannot round-trip: 1e400,
                            integers beyond 64 bits, -0; Maelstrom's own demos fail it)
                            [default: maelstrom]
      --requests <N>        Stop sending after N requests (or at the time limit)
      --strict              Also fail the run for what Maelstrom lets pass: a msg_id a
                            node uses twice, duplicate or unsolicited replies, a reply
                            from another node than the one asked, a node that does not
                            exit cleanly when its stdin closes
      --out <DIR>           Write results.json, latency.svg, throughput.svg and one log
                            per node (its stderr) into DIR
      --seed <X>            Seed for the payload choice [default: 0]
      --quiet               No progress on stderr
  -h, --help                Print this help
  -V, --version             Print the version

Exit status: 0 when the run is valid, 1 when it is not, 2 when there was no run (a usage
error, or the nodes could not be started).
";

enum Command {
    Run(Config),
    Help,
    Version,
}

/// The value of option `name`, parsed as a `T`.
fn value<T: std::str::FromStr>(parser: &mut lexopt::Parser, name: &str) -> Result<T, String> {
    let raw = parser.value().map_err(|e| format!("{name}: {e}"))?;
    let text = raw.to_string_lossy();
    text.parse()
        .map_err(|_| format!("{name}: '{text}' is not a valid value"))
}

fn parse_args() -> Result<Command, String> {
    use lexopt::prelude::*;
    let mut config = Config::default();
    let mut bin = None;
    let mut concurrency = "1n".to_owned();
    let (mut help, mut version, mut quiet) = (false, false, false);
    let mut parser = lexopt::Parser::from_env();
    while let Some(arg) = parser.next().map_err(|e| e.to_string())? {
        match arg {
            Long("bin") => bin = Some(value::<PathBuf>(&mut parser, "--bin")?),
            Long("node-count") => config.node_count = value(&mut parser, "--node-count")?,
            Long("concurrency") => concurrency = value(&mut parser, "--concurrency")?,
            Long("rate") => {
                let rate: f64 = value(&mut parser, "--rate")?;
                if !(rate.is_finite() && rate > 0.0) {
                    return Err(format!("--rate: must be a positive number, not {rate}"));
                }
                config.rate = Some(rate);
            }
            Long("time-limit") => {
                let seconds: f64 = value(&mut parser, "--time-limit")?;
                config.time_limit = Duration::try_from_secs_f64(seconds)
                    .map_err(|_| format!("--time-limit: {seconds} is not a number of seconds"))?;
            }
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
            Long("quiet") => quiet = true,
            Short('h') | Long("help") => help = true,
            Short('V') | Long("version") => version = true,
            Value(value) => {
                // Everything after `--` (lexopt hands it over as values) goes to the nodes.
                config.node_args.push(value.to_string_lossy().into_owned());
                config.node_args.extend(
                    parser
                        .raw_args()
                        .map_err(|e| e.to_string())?
                        .map(|a| a.to_string_lossy().into_owned()),
                );
            }
            _ => return Err(arg.unexpected().to_string()),
        }
    }
    if help {
        return Ok(Command::Help);
    }
    if version {
        return Ok(Command::Version);
    }
    config.bin = bin.ok_or("--bin PATH is required")?;
    if config.node_count == 0 {
        return Err("--node-count: must be at least 1".into());
    }
    config.concurrency = match parse_concurrency(&concurrency, config.node_count) {
        Some(0) => return Err("--concurrency: must be at least 1".into()),
        Some(n) => n,
        None => {
            return Err(format!(
                "--concurrency: '{concurrency}' is neither a number nor Kn (K per node)"
            ));
        }
    };
    config.check()?;
    config.progress = !quiet;
    Ok(Command::Run(config))
}

/// `50` or `3n` (3 per node), as Jepsen writes it.
fn parse_concurrency(text: &str, nodes: usize) -> Option<usize> {
    let n = match text.strip_suffix('n') {
        Some(k) => k.parse::<usize>().ok()?.checked_mul(nodes)?,
        None => text.parse().ok()?,
    };
    Some(n)
}

fn main() -> ExitCode {
    let config = match parse_args() {
        Ok(Command::Run(config)) => config,
        Ok(Command::Help) => {
            let _ = io::stdout().write_all(USAGE.as_bytes());
            return ExitCode::SUCCESS;
        }
        Ok(Command::Version) => {
            let _ = writeln!(io::stdout(), "echo-load {}", env!("CARGO_PKG_VERSION"));
            return ExitCode::SUCCESS;
        }
        Err(e) => {
            let _ = writeln!(io::stderr(), "echo-load: {e}\nTry 'echo-load --help'.");
            return ExitCode::from(2);
        }
    };
    match echo_load::run(&config) {
        Ok(report) => {
            let _ = io::stdout().write_all(report.summary().as_bytes());
            if let Some(dir) = &config.out {
                let _ = writeln!(
                    io::stdout(),
                    "results, plots and node logs in {}",
                    dir.display()
                );
            }
            if report.valid() {
                ExitCode::SUCCESS
            } else {
                ExitCode::FAILURE
            }
        }
        Err(e) => {
            let _ = writeln!(io::stderr(), "echo-load: {e}");
            ExitCode::from(2)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::parse_concurrency;

    #[test]
    fn concurrency_takes_jepsens_notation() {
        assert_eq!(parse_concurrency("1n", 5), Some(5));
        assert_eq!(parse_concurrency("3n", 2), Some(6));
        assert_eq!(parse_concurrency("50", 5), Some(50));
        assert_eq!(parse_concurrency("0", 5), Some(0));
        assert_eq!(parse_concurrency("xn", 5), None);
    }
}
