//! The `echo-load` command: parses the command line, runs the workload, prints the
//! report, and exits 0 only when the run is valid (1: invalid; 2: no run).

#![forbid(unsafe_code)]

mod cli;

fn main() -> std::process::ExitCode {
    cli::main()
}
