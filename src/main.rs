//! The `echo-node` command: parses the command line and runs the node on stdin/stdout.

use std::io::{self, Write};
use std::process::ExitCode;
use std::time::Instant;

use echo_node::Flush;
use echo_node::sys::{self, Signals, Stopped};
use echo_node::{Config, Error, MAX_LINE_RANGE, Stats};

#[cfg(feature = "mimalloc")]
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

const USAGE: &str = "\
echo-node: a Maelstrom echo node. Reads Maelstrom messages on stdin, one per line, and
writes replies on stdout; diagnostics go to stderr.

Usage: echo-node [OPTIONS]

Options:
      --flush <WHEN>     When replies are written [default: message]
                           message: one write per reply, before the next request is read
                           batch:   one write for all buffered requests, before reading more
      --max-line <SIZE>  Longest input line accepted, not counting its line end; longer
                         lines are reported on stderr and skipped without being held.
                         Bytes, or with a K, M or G suffix (or KiB, MiB, GiB: powers of
                         1024), from 64 to 4095M [default: 64M]
      --stats            At exit, print counts, the request rate and peak memory on stderr
      --quiet            Do not report bad input lines on stderr
  -h, --help             Print this help
  -V, --version          Print the version, and which SIMD code simd-json runs here

Memory: at most about 12 MiB plus 28 bytes per byte of --max-line, whatever the input
(under 2 GiB at the default). Over-long lines are skipped as they arrive, never held
whole.

Signals: on SIGTERM or SIGINT the node writes every reply it has produced, prints --stats
if asked, and dies by that signal; a second one ends it at once.

Exit status: 0 at the end of input (every reply written) or once stdout's reader has
closed it; 1 on any other read or write error; 2 on a usage error; killed by the signal
on SIGTERM or SIGINT.

Run it under Maelstrom:
  maelstrom test -w echo --bin PATH/TO/echo-node --node-count 1 --time-limit 10
";

/// What the command line asks for.
enum Command {
    Run { config: Config, stats: bool },
    Help,
    Version,
}

fn parse_args() -> Result<Command, lexopt::Error> {
    use lexopt::prelude::*;
    let mut config = Config::default();
    let (mut stats, mut help, mut version) = (false, false, false);
    let mut parser = lexopt::Parser::from_env();
    while let Some(arg) = parser.next()? {
        match arg {
            Long("flush") => {
                config.flush = match parser.value()?.string()?.as_str() {
                    "message" => Flush::Message,
                    "batch" => Flush::Batch,
                    other => {
                        return Err(format!(
                            "invalid value '{other}' for '--flush': expected message or batch"
                        )
                        .into());
                    }
                }
            }
            Long("max-line") => {
                let value = parser.value()?.string()?;
                config.max_line = parse_size(&value).map_err(|why| {
                    format!(
                        "invalid size '{value}' for '--max-line': {why}; expected bytes, or a \
                         number with K, M or G (or KiB, MiB, GiB; powers of 1024), from {} to {}",
                        MAX_LINE_RANGE.start(),
                        "4095M"
                    )
                })?;
            }
            Long("stats") => stats = true,
            Long("quiet") => config.quiet = true,
            Short('h') | Long("help") => help = true,
            Short('V') | Long("version") => version = true,
            _ => return Err(arg.unexpected()),
        }
    }
    Ok(if help {
        Command::Help
    } else if version {
        Command::Version
    } else {
        Command::Run { config, stats }
    })
}

/// `1234`, `64K`, `256M`, `1G` (powers of 1024; `KiB`, `MiB`, `GiB` also accepted),
/// within [`MAX_LINE_RANGE`].
fn parse_size(text: &str) -> Result<usize, &'static str> {
    let split = text
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(text.len());
    let (digits, unit) = text.split_at(split);
    if text.starts_with('-') {
        return Err("must be positive");
    }
    if unit.starts_with(['.', ',']) && !digits.is_empty() {
        return Err("must be a whole number");
    }
    let shift = match unit {
        "" => 0,
        "K" | "k" | "KiB" => 10,
        "M" | "m" | "MiB" => 20,
        "G" | "g" | "GiB" => 30,
        _ => return Err("unknown unit"),
    };
    if digits.is_empty() {
        return Err("no number");
    }
    let size = digits
        .parse::<usize>()
        .ok()
        .and_then(|n| n.checked_mul(1 << shift))
        .ok_or("too large")?;
    if size < *MAX_LINE_RANGE.start() {
        return Err("too small for any message");
    }
    if size > *MAX_LINE_RANGE.end() {
        return Err("too large");
    }
    Ok(size)
}

fn main() -> ExitCode {
    let (config, print_stats) = match parse_args() {
        Ok(Command::Run { config, stats }) => (config, stats),
        Ok(Command::Help) => return say(io::stdout(), format_args!("{USAGE}"), 0),
        Ok(Command::Version) => {
            let version = env!("CARGO_PKG_VERSION");
            let simd = simd_json::Deserializer::algorithm();
            let text = format_args!("echo-node {version} (simd-json: {simd})\n");
            return say(io::stdout(), text, 0);
        }
        Err(e) => {
            let usage = format_args!("echo-node: {e}\nTry 'echo-node --help'.\n");
            return say(io::stderr(), usage, 2);
        }
    };
    let signals = match Signals::install() {
        Ok(signals) => Some(signals),
        Err(e) => {
            let _ = writeln!(io::stderr(), "echo-node: cannot catch SIGTERM/SIGINT: {e}");
            None
        }
    };
    let (input, output, diagnostics) = match sys::standard_streams(signals.clone()) {
        Ok(streams) => streams,
        Err(e) => {
            let _ = writeln!(
                io::stderr(),
                "echo-node: cannot open stdin/stdout/stderr: {e}"
            );
            return ExitCode::FAILURE;
        }
    };
    let started = Instant::now();
    let mut stats = Stats::default();
    let result = echo_node::run(&config, input, output, diagnostics.clone(), &mut stats);
    // From here no reply waits on stderr: what is left of it (the diagnostics it holds,
    // the --stats line, the last words) may take up to EXIT_PATIENCE in all; what stderr
    // has not taken by then is lost.
    let deadline = Instant::now() + sys::EXIT_PATIENCE;
    let mut stderr = diagnostics;
    stderr.set_deadline(deadline);
    if print_stats {
        let unwritten = stderr.settle(deadline);
        stats.diagnostics_dropped += stderr.dropped() + unwritten;
        let seconds = started.elapsed().as_secs_f64();
        let rate = stats.requests as f64 / seconds.max(1e-9);
        let peak = sys::peak_rss_bytes().map_or(0.0, |b| b as f64 / (1 << 20) as f64);
        let _ = writeln!(
            stderr,
            "echo-node: {stats} in {seconds:.3} s ({rate:.0} requests/s), peak RSS {peak:.1} MiB"
        );
    }
    let (code, stopped) = match result {
        Ok(()) => (ExitCode::SUCCESS, None),
        Err(Error::Read(e)) if let Some(stopped) = Stopped::of(&e) => {
            (ExitCode::FAILURE, Some(stopped))
        }
        Err(Error::Write(e)) if e.kind() == io::ErrorKind::BrokenPipe => {
            let _ = writeln!(stderr, "echo-node: stdout was closed; exiting");
            (ExitCode::SUCCESS, None)
        }
        Err(e) => {
            let _ = writeln!(stderr, "echo-node: {e}");
            (ExitCode::FAILURE, None)
        }
    };
    stderr.settle(deadline);
    // A stop signal ends the node by that signal, also one that came after the input
    // ended (while the last replies or the last words were being written).
    if let Some(stopped) = stopped.or_else(|| signals.as_ref().and_then(Signals::received)) {
        let _ = stopped.exit(); // ends the process; reached only if it could not
    }
    code
}

/// Writes `text` for a person (help, version, usage errors) and exits with `code`; a
/// closed pipe loses the text, nothing more (`--help | head -1` exits cleanly).
fn say(mut out: impl Write, text: std::fmt::Arguments<'_>, code: u8) -> ExitCode {
    let _ = out.write_fmt(text);
    let _ = out.flush();
    ExitCode::from(code)
}

#[cfg(test)]
mod tests {
    use super::parse_size;

    #[test]
    fn sizes() {
        assert_eq!(parse_size("64"), Ok(64));
        assert_eq!(parse_size("1234"), Ok(1234));
        assert_eq!(parse_size("64K"), Ok(64 << 10));
        assert_eq!(parse_size("1k"), Ok(1 << 10));
        assert_eq!(parse_size("1KiB"), Ok(1 << 10));
        assert_eq!(parse_size("256M"), Ok(256 << 20));
        assert_eq!(parse_size("2GiB"), Ok(2 << 30));
        assert_eq!(parse_size("4095M"), Ok(4095 << 20));
        for (bad, why) in [
            ("", "no number"),
            ("M", "no number"),
            ("12X", "unknown unit"),
            ("1KB", "unknown unit"),
            ("-1", "must be positive"),
            ("-64K", "must be positive"),
            ("1.5M", "must be a whole number"),
            ("1,5M", "must be a whole number"),
            ("0", "too small for any message"),
            ("63", "too small for any message"),
            ("4G", "too large"),
            ("99999999999999999999", "too large"),
            ("99999999999999999999G", "too large"),
        ] {
            assert_eq!(parse_size(bad), Err(why), "{bad}");
        }
    }
}
