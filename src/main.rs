//! The `echo-node` command: parses the command line and runs the node on stdin/stdout.

use std::io::{self, Write};
use std::os::fd::AsFd;
use std::process::ExitCode;
use std::time::Instant;

use echo_node::output::Flush;
use echo_node::{Config, Error, Stats};

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
      --max-line <SIZE>  Longest input line accepted; longer lines are reported on stderr
                         and skipped. Bytes, or with a K, M or G suffix (powers of 1024)
                         [default: 256M]
      --stats            Print counts and the request rate on stderr at exit
      --quiet            Do not report bad input lines on stderr
  -h, --help             Print this help
  -V, --version          Print the version

Run it under Maelstrom:
  maelstrom test -w echo --bin PATH/TO/echo-node --node-count 1 --time-limit 10
";

/// The capacity asked for on stdin's and stdout's pipes (Linux's default is 64 KiB):
/// replies then go out without waiting for a slow reader, and Maelstrom's writes to us
/// block less. Measured on the 1M-request stream in batch mode with a Python reader:
/// medians of 0.53 and 0.56 s with 64 KiB pipes, 0.32 and 0.33 s with 1 MiB.
const PIPE_SIZE: usize = 1 << 20;

/// Grows `fd`'s pipe to [`PIPE_SIZE`], if it is a pipe. Best effort: a file or a
/// terminal, or a limit in /proc/sys/fs/pipe-max-size, leaves it as it is.
fn grow_pipe(fd: impl AsFd) {
    let _ = rustix::pipe::fcntl_setpipe_size(fd, PIPE_SIZE);
}

/// What the command line asks for.
struct Args {
    config: Config,
    stats: bool,
}

fn parse_args() -> Result<Option<Args>, lexopt::Error> {
    use lexopt::prelude::*;
    let mut args = Args {
        config: Config::default(),
        stats: false,
    };
    let mut parser = lexopt::Parser::from_env();
    while let Some(arg) = parser.next()? {
        match arg {
            Long("flush") => {
                args.config.flush = match parser.value()?.string()?.as_str() {
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
                args.config.max_line = parse_size(&value)
                    .ok_or_else(|| format!("invalid size '{value}' for '--max-line'"))?;
            }
            Long("stats") => args.stats = true,
            Long("quiet") => args.config.quiet = true,
            Short('h') | Long("help") => {
                print!("{USAGE}");
                return Ok(None);
            }
            Short('V') | Long("version") => {
                println!("echo-node {}", env!("CARGO_PKG_VERSION"));
                return Ok(None);
            }
            _ => return Err(arg.unexpected()),
        }
    }
    Ok(Some(args))
}

/// `1234`, `64K`, `256M`, `1G` (powers of 1024; `KiB`, `MiB`, `GiB` also accepted).
fn parse_size(text: &str) -> Option<usize> {
    let split = text
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(text.len());
    let (digits, unit) = text.split_at(split);
    let shift = match unit {
        "" => 0,
        "K" | "k" | "KiB" => 10,
        "M" | "m" | "MiB" => 20,
        "G" | "g" | "GiB" => 30,
        _ => return None,
    };
    let n: usize = digits.parse().ok()?;
    n.checked_mul(1 << shift)
}

fn main() -> ExitCode {
    let args = match parse_args() {
        Ok(Some(args)) => args,
        Ok(None) => return ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("echo-node: {e}\nTry 'echo-node --help'.");
            return ExitCode::from(2);
        }
    };
    // Unbuffered handles on fds 0 and 1: the node does its own buffering, and Rust's
    // line-buffered stdout would turn a batch into a write per line.
    let (input, output) = match (
        io::stdin().as_fd().try_clone_to_owned(),
        io::stdout().as_fd().try_clone_to_owned(),
    ) {
        (Ok(input), Ok(output)) => (std::fs::File::from(input), std::fs::File::from(output)),
        (Err(e), _) | (_, Err(e)) => {
            eprintln!("echo-node: cannot open stdin/stdout: {e}");
            return ExitCode::FAILURE;
        }
    };
    grow_pipe(&input);
    grow_pipe(&output);
    let started = Instant::now();
    let mut stats = Stats::default();
    let result = echo_node::run(&args.config, input, output, io::stderr(), &mut stats);
    if args.stats {
        let seconds = started.elapsed().as_secs_f64();
        let rate = stats.requests as f64 / seconds.max(1e-9);
        let _ = writeln!(
            io::stderr(),
            "echo-node: {stats} in {seconds:.3} s ({rate:.0} requests/s)"
        );
    }
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(Error::Write(e)) if e.kind() == io::ErrorKind::BrokenPipe => {
            let _ = writeln!(io::stderr(), "echo-node: stdout was closed; exiting");
            ExitCode::SUCCESS
        }
        Err(e) => {
            let _ = writeln!(io::stderr(), "echo-node: {e}");
            ExitCode::FAILURE
        }
    }
}

#[cfg(test)]
mod tests {
    use super::parse_size;

    #[test]
    fn sizes() {
        assert_eq!(parse_size("0"), Some(0));
        assert_eq!(parse_size("1234"), Some(1234));
        assert_eq!(parse_size("64K"), Some(64 << 10));
        assert_eq!(parse_size("256M"), Some(256 << 20));
        assert_eq!(parse_size("2GiB"), Some(2 << 30));
        for bad in ["", "M", "12X", "-1", "1.5M", "99999999999999999999G"] {
            assert_eq!(parse_size(bad), None, "{bad}");
        }
    }
}
