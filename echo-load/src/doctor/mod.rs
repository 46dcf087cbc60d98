//! `echo-load doctor`: a node checked as someone writing their first one needs, in a few
//! seconds, each finding in the node's terms with what to change:
//!
//! 1. whether it can be started at all (`program.rs`), and does not end at once;
//! 2. the course's sample transcript (`sample.rs`), each reply beside the one expected,
//!    and, when none comes, why: a line never ended, output held until the input ends
//!    (buffered, or all input read first), the node gone (its stderr);
//! 3. two short runs judged by Maelstrom's rules: a gentle one, then one at full speed,
//!    which catches what only breaks under load.
//!
//! The verdict is Maelstrom's: the node is right when nothing Maelstrom would refuse was
//! found. A difference from the sample that Maelstrom does not check (the node's own
//! `msg_id`) is a note.

mod sample;
mod session;

use std::io::{self, Write};
use std::path::Path;
use std::time::{Duration, Instant};

use crate::config::Config;
use crate::output::{END_EACH_LINE, HELD_UNTIL_INPUT_ENDS};
use crate::process::describe;
use crate::words::fill;
use sample::{Reading, SAMPLE, WAIT};
use session::{Next, Session};

/// How a finding reads.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Mark {
    /// As it should be.
    Ok,
    /// Worth knowing; Maelstrom would not mind.
    Note,
    /// To change: Maelstrom would refuse it.
    Fix,
}

/// One thing found, in words.
#[derive(Debug)]
struct Finding {
    mark: Mark,
    text: String,
}

impl Finding {
    fn ok(text: impl Into<String>) -> Self {
        Self {
            mark: Mark::Ok,
            text: text.into(),
        }
    }

    fn note(text: impl Into<String>) -> Self {
        Self {
            mark: Mark::Note,
            text: text.into(),
        }
    }

    fn fix(text: impl Into<String>) -> Self {
        Self {
            mark: Mark::Fix,
            text: text.into(),
        }
    }
}

/// The longest line of the node's shown whole; longer ones are cut, their length said.
const SHOWN: usize = 240;

/// How long a node is watched after it starts, for one that ends at once.
const SETTLE: Duration = Duration::from_millis(200);

/// How long output is waited for once the node's input has ended, for one that holds it
/// until then.
const AFTER_END: Duration = Duration::from_secs(2);

/// What the doctor writes, and whether what it found lets the node pass.
struct Account<'a> {
    out: &'a mut dyn Write,
    fixes: Vec<String>,
}

impl Account<'_> {
    fn heading(&mut self, text: &str) -> io::Result<()> {
        writeln!(self.out, "\n{text}")
    }

    fn say(&mut self, finding: Finding) -> io::Result<()> {
        let mark = match finding.mark {
            Mark::Ok => "ok  ",
            Mark::Note => "note",
            Mark::Fix => "FIX ",
        };
        if finding.mark == Mark::Fix {
            self.fixes.push(finding.text.clone());
        }
        let first = format!("  {mark}  ");
        writeln!(self.out, "{}", fill(&finding.text, &first, "        "))
    }

    fn line(&mut self, label: &str, bytes: &[u8]) -> io::Result<()> {
        let text = String::from_utf8_lossy(bytes);
        let cut: String = text.chars().take(SHOWN).collect();
        let more = if cut.len() < text.len() {
            format!(" ... ({} bytes in all)", bytes.len())
        } else {
            String::new()
        };
        writeln!(self.out, "  {label:<9} {cut}{more}")
    }

    fn stderr(&mut self, session: &Session) -> io::Result<()> {
        let tail = session.stderr_tail(10);
        if tail.is_empty() {
            return writeln!(self.out, "        (it wrote nothing on stderr)");
        }
        writeln!(self.out, "        its stderr, last lines:")?;
        for line in tail {
            writeln!(self.out, "          {line}")?;
        }
        Ok(())
    }
}

/// Checks the node `program` (started with `args`), writing what it finds to `out`: true
/// when the node is right by Maelstrom's rules.
pub fn doctor(program: &Path, args: &[String], out: &mut dyn Write) -> io::Result<bool> {
    let mut report = Account {
        out,
        fixes: Vec::new(),
    };
    let shown = match args {
        [] => String::new(),
        args => format!(" -- {}", shell_words::join(args)),
    };
    writeln!(report.out, "echo-load doctor {}{shown}", program.display())?;
    let done = steps(program, args, &mut report)?;
    let out = report.out;
    match report.fixes.first() {
        None if done => {
            writeln!(
                out,
                "\nRight: {} does what Maelstrom's echo workload asks.",
                program.display()
            )?;
            Ok(true)
        }
        None => Ok(false),
        Some(first) => {
            match report.fixes.len() {
                1 => writeln!(out, "\nNot right yet: one thing to fix, marked FIX above.")?,
                n => writeln!(
                    out,
                    "\n{}",
                    fill(
                        &format!(
                            "Not right yet: {n} things to fix, marked FIX above. The first: \
                             {first}."
                        ),
                        "",
                        ""
                    )
                )?,
            }
            Ok(false)
        }
    }
}

/// The steps in turn, each only when the one before found nothing to fix: whether they
/// all ran.
fn steps(program: &Path, args: &[String], report: &mut Account<'_>) -> io::Result<bool> {
    report.heading("1. Can it be started?")?;
    match crate::program::check(program) {
        Ok(crate::program::Runs::Script(by)) => {
            report.say(Finding::ok(format!("a script, run by {by}")))?;
        }
        Ok(crate::program::Runs::Program) => report.say(Finding::ok("a program"))?,
        Ok(crate::program::Runs::Unknown) => {}
        Err(why) => {
            report.say(Finding::fix(why))?;
            return Ok(false);
        }
    }
    let mut session = match Session::start(program, args) {
        Ok(session) => session,
        Err(e) => {
            report.say(Finding::fix(format!(
                "it could not be started: {e}{}",
                match e.raw_os_error() {
                    Some(8) => " (not a program this system runs: built for another?)",
                    Some(2) => " (the file is there: what it needs to run is not)",
                    _ => "",
                }
            )))?;
            return Ok(false);
        }
    };
    std::thread::sleep(SETTLE);
    if let Some(status) = session.exited() {
        report.say(Finding::fix(format!(
            "it {} at once, before it was sent anything: a node runs until its input ends",
            describe(status)
        )))?;
        report.stderr(&session)?;
        return Ok(false);
    }
    report.say(Finding::ok("started, and waits for its input"))?;
    report.heading(&format!(
        "2. The course's sample: an init, then an echo, each reply waited for {} s",
        WAIT.as_secs()
    ))?;
    for (request, expected) in SAMPLE {
        if !exchange(&mut session, request, expected, report)? {
            return Ok(false);
        }
    }
    drop(session);
    if !report.fixes.is_empty() {
        return Ok(true);
    }
    runs(program, args, report)?;
    Ok(true)
}

/// Sends `request` and reads the reply, against `expected`: false when nothing more can
/// be asked of the node.
fn exchange(
    session: &mut Session,
    request: &str,
    expected: &str,
    report: &mut Account<'_>,
) -> io::Result<bool> {
    report.line("sent", request.as_bytes())?;
    report.line("expected", expected.as_bytes())?;
    if session.send(request).is_err() {
        report.say(Finding::fix(
            "it had closed its input before it was sent this: a node reads stdin until it ends",
        ))?;
        report.stderr(session)?;
        return Ok(false);
    }
    let deadline = Instant::now() + WAIT;
    loop {
        match session.next(deadline) {
            Next::Line(line) => {
                report.line("got", &line)?;
                match sample::read(request, expected, &line) {
                    Reading::Message(found) => {
                        for finding in found {
                            report.say(finding)?;
                        }
                        return Ok(true);
                    }
                    // Maelstrom would not take it; the reply may still come.
                    Reading::NotMessage(finding) => report.say(finding)?,
                }
            }
            Next::Unended(bytes) => {
                report.line("got", &bytes)?;
                report.say(Finding::fix(format!(
                    "it printed {} bytes and never ended the line: {END_EACH_LINE}",
                    bytes.len()
                )))?;
                return Ok(false);
            }
            Next::Closed => {
                let how = session
                    .exit_by(Instant::now() + AFTER_END)
                    .map_or_else(|| "closed its stdout".to_owned(), describe);
                report.say(Finding::fix(format!("it {how} before it replied")))?;
                report.stderr(session)?;
                return Ok(false);
            }
            Next::Nothing => {
                silent(session, report)?;
                return Ok(false);
            }
        }
    }
}

/// Says why a node that answered nothing in time did not: its input is ended, and what
/// comes then tells.
fn silent(session: &mut Session, report: &mut Account<'_>) -> io::Result<()> {
    session.close_stdin();
    let after = session.next(Instant::now() + AFTER_END);
    match after {
        Next::Line(line) | Next::Unended(line) => {
            report.line("then got", &line)?;
            report.say(Finding::fix(format!(
                "it answered nothing within {} s, and answered once its input ended: \
                 {HELD_UNTIL_INPUT_ENDS}",
                WAIT.as_secs()
            )))
        }
        Next::Closed | Next::Nothing => {
            let how = session.exit_by(Instant::now() + SETTLE).map(describe);
            report.say(Finding::fix(format!(
                "it answered nothing within {} s, nor when its input ended{}: does it read \
                 its messages from stdin, a line at a time, and write its replies to stdout?",
                WAIT.as_secs(),
                how.map_or(String::new(), |how| format!(" (then it {how})"))
            )))?;
            report.stderr(session)
        }
    }
}

/// The runs of step 3, each judged by Maelstrom's rules.
fn runs(program: &Path, args: &[String], report: &mut Account<'_>) -> io::Result<()> {
    report.heading("3. Short runs, judged as Maelstrom judges: gently, then at full speed")?;
    let gentle = Config {
        bin: program.to_path_buf(),
        node_args: args.to_vec(),
        node_count: 1,
        concurrency: 1,
        rate: Some(200.0),
        time_limit: Duration::from_secs(1),
        no_history: true,
        ..Config::default()
    };
    let full = Config {
        concurrency: 10,
        rate: None,
        ..gentle.clone()
    };
    for (what, config) in [
        ("1 client, 200 requests a second for 1 s", gentle),
        ("10 clients, as fast as it answers, for 1 s", full),
    ] {
        match crate::run::run(&config) {
            Ok(run) if run.valid() => {
                report.say(Finding::ok(format!(
                    "{what}: valid, {} requests answered right",
                    crate::words::thousands(run.ok_ops())
                )))?;
            }
            Ok(run) => {
                report.say(Finding::fix(format!(
                    "{what}: not valid, as Maelstrom judges"
                )))?;
                for mistake in run.mistakes() {
                    report.say(Finding::fix(mistake))?;
                }
                for line in run.findings_text().lines() {
                    writeln!(report.out, "        {line}")?;
                }
                return Ok(());
            }
            Err(e) => {
                report.say(Finding::fix(format!("{what}: could not run: {e}")))?;
                return Ok(());
            }
        }
    }
    Ok(())
}
