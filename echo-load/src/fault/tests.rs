//! The faults: counted by kind, said in words, and their table.

use super::*;

fn at() -> At {
    At {
        node: "n1".into(),
        line: 7,
    }
}

#[test]
fn faults_are_counted_by_kind_and_the_first_few_kept() {
    let mut faults = Faults::default();
    for msg_id in 1..=5 {
        faults.push(Fault::TimedOut {
            client: "c1".into(),
            node: "n1".into(),
            msg_id,
            sent_at: 0.5,
            note: None,
        });
    }
    faults.push(Fault::RepeatedMsgId {
        at: at(),
        msg_id: "3".into(),
    });
    assert_eq!(faults.count(Kind::TimedOut), 5);
    assert_eq!(faults.shown(Kind::TimedOut).count(), SHOWN);
    assert!(!faults.ended());
    assert!(faults.fail(false));
    let mut strict_only = Faults::default();
    strict_only.push(Fault::RepeatedMsgId {
        at: at(),
        msg_id: "3".into(),
    });
    assert!(!strict_only.fail(false) && strict_only.fail(true));
    strict_only.push(Fault::NoInit {
        nodes: vec!["n1".into()],
        seconds: 10,
    });
    assert!(strict_only.ended());
}

#[test]
fn faults_say_what_happened() {
    let cases = [
        (
            Fault::Skipped {
                at: at(),
                client: "c1".into(),
                why: Skip::Misdirected {
                    owner: "c6".into(),
                    in_reply_to: 4,
                },
            },
            "n1 stdout line 7: c1 skipped the reply to c6's request (msg_id 4)",
        ),
        (
            Fault::StoppedReading {
                node: "n2".into(),
                unsent: 0,
                waiting: 64 << 20,
            },
            "n2 read its stdin far slower than messages came for it: 64.0 MiB waited, \
             the most echo-load holds for one node; 0 requests unsent",
        ),
        (
            Fault::Silent {
                node: "n2".into(),
                seconds: 5.0,
                outstanding: 10,
                oldest_client: "c2".into(),
                oldest_msg_id: 41,
                oldest_sent_at: 0.25,
            },
            "n2 answered nothing for 5.0 s; 10 requests outstanding, oldest c2 msg_id 41 sent at 0.250 s",
        ),
    ];
    for (fault, text) in cases {
        assert_eq!(fault.to_string(), text);
    }
}

#[test]
fn each_kind_has_a_name_and_a_label_of_its_own() {
    for words in [Kind::name, Kind::label] {
        let mut all: Vec<_> = Kind::ALL.into_iter().map(words).collect();
        all.sort_unstable();
        all.dedup();
        assert_eq!(all.len(), Kind::ALL.len(), "{all:?}");
    }
    assert!(
        Kind::ALL.iter().all(|k| k
            .name()
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b == b'_')),
        "results.json's names are snake_case"
    );
}
