//! quick.rs's unit tests.

use super::*;

/// `same` is `==` at every length its word loads cover and past them, for a
/// difference at each position and for lengths that differ.
#[test]
fn same_is_equality_of_bytes() {
    for n in 0..=40 {
        let a: Vec<u8> = (0..n as u8).map(|i| i.wrapping_mul(37)).collect();
        assert!(same(&a, &a.clone()), "{n}");
        for at in 0..n {
            let mut b = a.clone();
            b[at] ^= 0x20;
            assert!(!same(&a, &b), "{n} {at}");
        }
        assert!(!same(&a, &a[..n.saturating_sub(1)]) || n == 0, "{n}");
    }
}

/// `line` read by a client `c5` that waits for `payload`.
fn reply<'a>(line: &'a str, payload: &'static str) -> Option<Reply<'a>> {
    read(line.as_bytes(), |dest| {
        (dest == b"c5").then_some(payload.as_bytes())
    })
}

#[test]
fn any_key_order_and_whitespace() {
    let echo = r#""Please echo 7""#;
    for (line, echo_known) in [
        (
            r#"{"src":"n0","dest":"c5","body":{"type":"echo_ok","echo":"Please echo 7","in_reply_to":12,"msg_id":3}}"#,
            true,
        ),
        (
            r#"{"body":{"msg_id":3,"in_reply_to":12,"type":"echo_ok","echo":"Please echo 7"},"dest":"c5","src":"n0"}"#,
            false,
        ),
        (
            " { \"id\" : 4 ,\t\"src\" : \"n0\" , \"dest\":\"c5\",\r\n\"body\": { \"echo\" : \"Please echo 7\" , \"in_reply_to\" : 12 , \"type\" : \"echo_ok\", \"msg_id\":3 } } \r",
            true,
        ),
    ] {
        let want = Reply {
            src: b"n0",
            dest: b"c5",
            echo: echo.as_bytes(),
            echo_known,
            in_reply_to: 12,
            in_reply_to_digits: b"12",
            msg_id: Some(b"3"),
            id: line.contains("\"id\"").then_some(&b"4"[..]),
        };
        assert_eq!(reply(line, echo), Some(want), "{line}");
    }
    // An echo of any JSON value, read where `dest` comes after it.
    let late = r#"{"src":"n0","body":{"type":"echo_ok","echo":[1, {"a":"}"}] ,"in_reply_to":12},"dest":"c5"}"#;
    let got = reply(late, "").expect("read");
    assert_eq!(
        (got.echo, got.echo_known, got.msg_id),
        (&br#"[1, {"a":"}"}]"#[..], false, None)
    );
    // Compared where it stands: the payload's bytes, whitespace before them.
    let known =
        r#"{"src":"n0","dest":"c5","body":{"type":"echo_ok","echo": [1,2],"in_reply_to":1}}"#;
    assert_eq!(reply(known, "[1,2]").map(|r| r.echo), Some(&b"[1,2]"[..]));
}

#[test]
fn what_it_is_not_sure_of_is_the_full_readings() {
    for line in [
        // An escape outside the payload's own bytes.
        r#"{"src":"n0","body":{"type":"echo_ok","echo":"a\"b","in_reply_to":1},"dest":"c5"}"#,
        r#"{"src":"n\u0030","dest":"c5","body":{"type":"echo_ok","echo":"a","in_reply_to":1}}"#,
        // Not the payload, or the payload and more.
        r#"{"src":"n0","dest":"c5","body":{"type":"echo_ok","echo":"b","in_reply_to":1}}"#,
        r#"{"src":"n0","dest":"c5","body":{"type":"echo_ok","echo":"a"x,"in_reply_to":1}}"#,
        // For a client that waits for nothing.
        r#"{"src":"n0","dest":"c6","body":{"type":"echo_ok","echo":"a","in_reply_to":1}}"#,
        // A key twice, an unknown key, a missing one, another type.
        r#"{"src":"n0","src":"n1","dest":"c5","body":{"type":"echo_ok","echo":"a","in_reply_to":1}}"#,
        r#"{"src":"n0","dest":"c5","body":{"type":"echo_ok","echo":"a","in_reply_to":1,"in_reply_to":2}}"#,
        r#"{"src":"n0","dest":"c5","body":{"type":"echo_ok","type":"echo_ok","echo":"a","in_reply_to":1}}"#,
        r#"{"src":"n0","dest":"c5","x":1,"body":{"type":"echo_ok","echo":"a","in_reply_to":1}}"#,
        r#"{"src":"n0","dest":"c5","body":{"type":"echo_ok","echo":"a","in_reply_to":1,"code":1}}"#,
        r#"{"src":"n0","dest":"c5","body":{"type":"echo_ok","echo":"a"}}"#,
        r#"{"src":"n0","body":{"type":"echo_ok","echo":"a","in_reply_to":1}}"#,
        r#"{"src":"n0","dest":"c5","body":{"type":"error","echo":"a","in_reply_to":1}}"#,
        r#"{"src":"n0","dest":"c5","body":{"type":"echo_okay","echo":"a","in_reply_to":1}}"#,
        r#"{"src":"n0","dest":"c5","body":{"echo":"a","in_reply_to":1}}"#,
        r#"{"src":"n0","dest":"c5","body":{"typo":"echo_ok","echo":"a","in_reply_to":1}}"#,
        // Integers not as plain digits, or not integers.
        r#"{"src":"n0","dest":"c5","body":{"type":"echo_ok","echo":"a","in_reply_to":01}}"#,
        r#"{"src":"n0","dest":"c5","body":{"type":"echo_ok","echo":"a","in_reply_to":-1}}"#,
        r#"{"src":"n0","dest":"c5","body":{"type":"echo_ok","echo":"a","in_reply_to":1.0}}"#,
        r#"{"src":"n0","dest":"c5","body":{"type":"echo_ok","echo":"a","in_reply_to":99999999999999999999}}"#,
        r#"{"src":"n0","dest":"c5","body":{"type":"echo_ok","echo":"a","in_reply_to":1,"msg_id":"1"}}"#,
        r#"{"id":-1,"src":"n0","dest":"c5","body":{"type":"echo_ok","echo":"a","in_reply_to":1}}"#,
        // Anything after the object, or a cut line.
        r#"{"src":"n0","dest":"c5","body":{"type":"echo_ok","echo":"a","in_reply_to":1}}x"#,
        r#"{"src":"n0","dest":"c5","body":{"type":"echo_ok","echo":"a","in_reply_to":1}"#,
        r#"{"src":"n0","dest":"c5","body":{"type":"echo_ok","echo":"a"#,
        r#"{"src":"n0","dest":"c5","body":null}"#,
        r#"{}"#,
        "",
    ] {
        assert_eq!(reply(line, r#""a""#), None, "{line}");
    }
}

#[test]
fn a_layout_learnt_reads_the_next_reply_in_it() {
    let first = r#"{"body": {"msg_id": 3, "in_reply_to": 12, "type": "echo_ok", "echo": "Please echo 7"}, "dest": "c5", "id": 9, "src": "n0"}"#;
    let mut layout = Layout::default();
    assert_eq!(
        layout.read(first.as_bytes(), |_| None),
        None,
        "nothing learnt"
    );
    let got = reply(first, r#""Please echo 7""#).expect("read");
    layout.learn(first.as_bytes(), &got);
    // The same layout, other values (longer and shorter): read as `read` reads it.
    let next = r#"{"body": {"msg_id": 1234, "in_reply_to": 7, "type": "echo_ok", "echo": "Please echo 88"}, "dest": "c15", "id": 10, "src": "n12"}"#;
    let by_layout = layout
        .read(next.as_bytes(), |_| None)
        .expect("in the layout");
    assert_eq!(Some(&by_layout), read(next.as_bytes(), |_| None).as_ref());
    assert_eq!(
        (
            by_layout.src,
            by_layout.dest,
            by_layout.echo,
            by_layout.in_reply_to
        ),
        (&b"n12"[..], &b"c15"[..], &br#""Please echo 88""#[..], 7)
    );
    // Another layout, or a value of another kind, is not this one's.
    for other in [
        r#"{"body": {"msg_id": 1, "in_reply_to": 7, "type": "echo_ok", "echo": "a"}, "dest": "c15", "src": "n12"}"#,
        r#"{"body": {"msg_id": 1, "in_reply_to": 7, "type": "echo_ok", "echo": 5}, "dest": "c15", "id": 1, "src": "n12"}"#,
        r#"{"body": {"msg_id": 1, "in_reply_to": 07, "type": "echo_ok", "echo": "a"}, "dest": "c15", "id": 1, "src": "n12"}"#,
        r#"{"body": {"msg_id": 1, "in_reply_to": 7, "type": "echo_ok", "echo": "a\"b"}, "dest": "c15", "id": 1, "src": "n12"}"#,
        r#"{"body": {"msg_id": 1, "in_reply_to": 7, "type": "echo_ok", "echo": "a"}, "dest": "c\\u0031", "id": 1, "src": "n12"}"#,
        r#"{"body": {"msg_id": 1, "in_reply_to": 7, "type": "echo_ok", "echo": "a"}, "dest": "c15", "id": 1, "src": "n12"} "#,
    ] {
        assert_eq!(layout.read(other.as_bytes(), |_| None), None, "{other}");
    }
    // Where `dest` comes first, the echo is compared where it stands.
    let first = r#"{"src":"n0","dest":"c5","body":{"type":"echo_ok","echo":[1],"in_reply_to":1}}"#;
    let got = reply(first, "[1]").expect("read");
    layout.learn(first.as_bytes(), &got);
    let next = r#"{"src":"n0","dest":"c5","body":{"type":"echo_ok","echo":[12],"in_reply_to":2}}"#;
    assert!(
        layout
            .read(next.as_bytes(), |_| Some(b"[12]"))
            .is_some_and(|r| r.echo_known)
    );
    assert_eq!(layout.read(next.as_bytes(), |_| Some(b"[1]")), None);
    assert_eq!(layout.read(next.as_bytes(), |_| None), None);
}
