//! The help: what echo-load is, its usage lines, the list of its options made from
//! [`FLAGS`], Maelstrom's options it takes or refuses (named from [`FLAGS`] too), the
//! store, `doctor`, `serve`, its exit statuses and signals.

use std::fmt::Write as _;

use super::flags::{Does, FLAGS, NO_SSH};

/// What comes before the options.
const HEAD: &str = "\
echo-load: Maelstrom's echo workload, run natively against a Maelstrom echo node binary,
judged as Maelstrom would judge it. Its defaults are Maelstrom's: a command line of
`maelstrom test -w echo` runs the same test here, with `echo-load` in place of
`maelstrom`.

Usage: echo-load [test -w echo] --bin PATH [OPTIONS] [-- NODE_ARGS...]
       echo-load --bin PATH [--args WORDS] --bin PATH [--args WORDS]... [OPTIONS]
       echo-load --bin PATH --capacity [--p99-max MS] [OPTIONS]
       echo-load doctor --bin PATH [-- NODE_ARGS...]
       echo-load serve [--store DIR] [--port N] [--bind ADDR]

Options:
";

/// What comes after the paragraph on Maelstrom's options.
const TAIL: &str = "

The store: with no --out, a run is kept as Maelstrom keeps one, in store/echo/<time>/
under the current folder (UTC, to the millisecond), with store/current pointing at it
while it runs and store/latest once it ended: results.json, results.edn (Maelstrom's
shape), latency.svg, latency-quantiles.svg, throughput.svg, messages.svg, the history
files, each node's log (n1.log: its stderr) and index.html, a page of all of it. With
several --bin, --rounds or --capacity, the folder holds results.json, compare.svg or
capacity.svg and index.html, and each run's files in a folder of its own
(round-2-bin-1, step-3-run-1).

`echo-load doctor --bin PATH` checks a node, in a few seconds, as someone writing their
first one needs: whether it can be started, the course's sample (an init and an echo,
each reply beside the one expected, and why none came), and two short runs judged by
Maelstrom's rules; each finding says what to change. It exits 0 when the node is right,
1 when it is not.

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

/// The column where an option's help starts.
const HELP_COLUMN: usize = 28;

/// The longest line of the paragraph on Maelstrom's options.
const WIDTH: usize = 87;

/// The whole help, as `--help` prints it.
pub(super) fn usage() -> String {
    let mut s = String::from(HEAD);
    for flag in FLAGS.iter().filter(|f| !f.help.is_empty()) {
        let mut left = match flag.short {
            Some(c) => format!("  -{c}, --{}", flag.long),
            None => format!("      --{}", flag.long),
        };
        if let Some(value) = flag.value {
            let _ = write!(left, " <{value}>");
        }
        if left.len() + 2 <= HELP_COLUMN {
            let _ = write!(s, "{left:HELP_COLUMN$}");
        } else {
            let _ = write!(s, "{left}\n{:HELP_COLUMN$}", "");
        }
        for (k, line) in flag.help.lines().enumerate() {
            if k > 0 {
                let _ = write!(s, "\n{:HELP_COLUMN$}", "");
            }
            s.push_str(line);
        }
        s.push('\n');
    }
    s.push('\n');
    wrap(&mut s, &maelstroms());
    s.push_str(TAIL);
    s
}

/// The paragraph on Maelstrom's options: those taken with no effect here, Jepsen's SSH
/// options among them, and those refused.
fn maelstroms() -> String {
    let names = |keep: fn(&Does) -> bool| -> Vec<String> {
        FLAGS
            .iter()
            .filter(|f| keep(&f.does))
            .map(|f| format!("--{}", f.long))
            .collect()
    };
    let no_effect = names(|d| matches!(d, Does::NoEffect(why, _) if *why != NO_SSH));
    let ssh = names(|d| matches!(d, Does::NoEffect(why, _) if *why == NO_SSH));
    let refused = names(|d| matches!(d, Does::Refused(_)));
    format!(
        "Maelstrom's other options are taken as Maelstrom's `test` takes them; --test-count 1; \
         {} and Jepsen's SSH options ({}) have no effect on an echo run here (each is named \
         on stderr, with why, and a value Maelstrom refuses is refused); {} and a --test-count above 1 are refused, saying why. After \
         `test`, words that are no option's are the node's arguments, as Maelstrom has them.",
        no_effect.join(", "),
        ssh.join(", "),
        refused.join(", "),
    )
}

/// Appends `text` to `s`, wrapped at [`WIDTH`] columns, words kept whole.
fn wrap(s: &mut String, text: &str) {
    let mut line = 0;
    for (k, word) in text.split(' ').enumerate() {
        if k > 0 && line + 1 + word.len() <= WIDTH {
            s.push(' ');
            line += 1;
        } else if k > 0 {
            s.push('\n');
            line = 0;
        }
        s.push_str(word);
        line += word.len();
    }
}
