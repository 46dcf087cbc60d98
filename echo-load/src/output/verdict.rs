//! What a run, a comparison or a capacity search came to, and what that means: the exit
//! status, the word in `results.json` and on the pages, the colour on a page, and the
//! worst of several.

use std::fmt;

use super::pages::Shade;

/// What a run, a comparison or a capacity search came to, from the best to the worst
/// (the order [`Verdict::worst`] takes).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Verdict {
    /// Maelstrom's verdict is valid (and the stricter one's, under `--strict`).
    Valid,
    /// Nothing ran: a comparison stopped before a node's first round.
    NotRun,
    /// Maelstrom's verdict is invalid.
    Invalid,
    /// Maelstrom would stop the test with no verdict (a node crashed, an init failed).
    Aborted,
}

impl Verdict {
    /// Its word in `results.json`, in summaries and on pages.
    pub fn word(self) -> &'static str {
        match self {
            Verdict::Valid => "valid",
            Verdict::NotRun => "not run",
            Verdict::Invalid => "invalid",
            Verdict::Aborted => "aborted",
        }
    }

    /// The verdict whose [`word`](Verdict::word) this is (what a kept `results.json`
    /// says); `None` for any other text.
    pub fn from_word(word: &str) -> Option<Verdict> {
        [
            Verdict::Valid,
            Verdict::NotRun,
            Verdict::Invalid,
            Verdict::Aborted,
        ]
        .into_iter()
        .find(|v| v.word() == word)
    }

    /// Its colour on a page, as Maelstrom's web view gives it: valid, invalid, or
    /// unknown (no verdict: aborted, or not run).
    pub fn shade(self) -> Shade {
        match self {
            Verdict::Valid => Shade::Valid,
            Verdict::Invalid => Shade::Invalid,
            Verdict::NotRun | Verdict::Aborted => Shade::Unknown,
        }
    }

    /// The exit status of a command that came to it: 128+N when signal N stopped it (130
    /// for Ctrl-C, as shells give), else 0 when valid, 4 when aborted, 1 otherwise.
    pub fn exit_status(self, interrupted: Option<i32>) -> u8 {
        match (interrupted, self) {
            (Some(signal), _) => 128u8.saturating_add(u8::try_from(signal).unwrap_or(u8::MAX)),
            (None, Verdict::Valid) => 0,
            (None, Verdict::Aborted) => 4,
            (None, Verdict::Invalid | Verdict::NotRun) => 1,
        }
    }

    /// The worst of `verdicts` (aborted, then invalid, then not run); valid when there
    /// are none.
    pub fn worst(verdicts: impl IntoIterator<Item = Verdict>) -> Verdict {
        verdicts.into_iter().max().unwrap_or(Verdict::Valid)
    }
}

impl fmt::Display for Verdict {
    /// Its [`word`](Verdict::word).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad(self.word())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_verdict_reads_back_from_its_word() {
        for v in [
            Verdict::Valid,
            Verdict::NotRun,
            Verdict::Invalid,
            Verdict::Aborted,
        ] {
            assert_eq!(Verdict::from_word(v.word()), Some(v));
            assert_eq!(v.to_string(), v.word());
        }
        assert_eq!(Verdict::from_word("unknown"), None);
    }

    #[test]
    fn the_worst_and_the_exit_status_are_as_the_command_line_says() {
        use Verdict::*;
        assert_eq!(Verdict::worst([]), Valid);
        assert_eq!(Verdict::worst([Valid, NotRun, Valid]), NotRun);
        assert_eq!(Verdict::worst([NotRun, Invalid]), Invalid);
        assert_eq!(Verdict::worst([Invalid, Aborted, Valid]), Aborted);
        let statuses: Vec<u8> = [Valid, Invalid, NotRun, Aborted]
            .into_iter()
            .map(|v| v.exit_status(None))
            .collect();
        assert_eq!(statuses, [0, 1, 1, 4]);
        assert_eq!(Aborted.exit_status(Some(2)), 130);
        assert_eq!(Valid.exit_status(Some(15)), 143);
        assert_eq!(
            [Valid, Invalid, Aborted, NotRun].map(Verdict::shade),
            [Shade::Valid, Shade::Invalid, Shade::Unknown, Shade::Unknown]
        );
    }
}
