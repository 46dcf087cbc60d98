//! check.rs's unit tests.

use super::*;

fn read(line: &str) -> Result<Message, String> {
    read_message(line.as_bytes()).map_err(|e| e.to_string())
}

#[test]
fn reads_a_message_in_any_key_order_and_whitespace() {
    let line = r#" { "body" : {"msg_id":3, "echo":{"a":[1,"x"]},"in_reply_to":12,"type":"echo_ok"} ,"dest":"c1","src":"n1","id":5 } "#;
    let m = read(line).expect("well-formed");
    let line = line.as_bytes();
    assert_eq!(m.body.type_of(line), Type::EchoOk);
    assert_eq!(m.body.check(line, Schema::EchoOk), Ok(()));
    assert_eq!(m.src.of(line), br#""n1""#);
    assert_eq!(m.dest.of(line), br#""c1""#);
    assert_eq!(
        m.body.echo.map(|s| s.of(line)),
        Some(&br#"{"a":[1,"x"]}"#[..])
    );
    assert_eq!(
        m.body.in_reply_to.map(|s| integer_u64(s.of(line))),
        Some(Some(12))
    );
    assert_eq!(m.body.msg_id.map(|s| s.of(line)), Some(&b"3"[..]));
}

#[test]
fn envelope_faults_are_named() {
    let cases = [
        (
            r#"{"src":"n1","dest":"c1","body":{"type":"echo_ok"},"x":1}"#,
            "unexpected top-level key \"x\"",
        ),
        (r#"{"dest":"c1","body":{}}"#, "no src"),
        (
            r#"{"src":"n1","dest":"c1","body":[]}"#,
            "body is not an object",
        ),
        (r#"{"src":1,"dest":"c1","body":{}}"#, "expected a string"),
        (
            r#"{"src":"n1","dest":"c1","body":{},"id":1.5}"#,
            "expected an integer",
        ),
        (
            r#"{"src":"n1","dest":"c1","body":{"echo":01}}"#,
            "invalid number (no leading zeros) at byte 41",
        ),
        ("garbage", "expected '{' at byte 1"),
        ("", "expected '{'"),
    ];
    for (line, fault) in cases {
        let got = read(line).expect_err(line);
        assert!(got.contains(fault), "{line}: {got}");
    }
}

#[test]
fn a_line_is_read_as_cheshire_reads_it() {
    // Control characters may stand unescaped in strings.
    let m = read("{\"src\":\"n1\",\"dest\":\"c1\",\"body\":{\"echo\":\"a\tb\u{1}\"}}")
        .expect("control characters in a string");
    assert!(m.body.echo.is_some());
    // What follows the message on its line is never looked at.
    assert!(read(r#"{"src":"n1","dest":"c1","body":{}} x"#).is_ok());
    assert!(read(r#"{"src":"n1","dest":"c1","body":{}}{"more":1}"#).is_ok());
    // A missing or null body is an empty one.
    for line in [
        r#"{"src":"n1","dest":"c1"}"#,
        r#"{"src":"n1","dest":"c1","body":null}"#,
    ] {
        let m = read(line).expect(line);
        assert_eq!((m.body, m.body_span), (Body::default(), None), "{line}");
    }
}

#[test]
fn reply_schemas_are_closed() {
    let cases = [
        (
            r#"{"type":"echo_ok","echo":1,"in_reply_to":1,"extra":2}"#,
            Schema::EchoOk,
            Err("unexpected key \"extra\" in an echo_ok body"),
        ),
        (
            r#"{"type":"init_ok","echo":1,"in_reply_to":1}"#,
            Schema::InitOk,
            Err("unexpected key \"echo\" in an init_ok body"),
        ),
        (
            r#"{"type":"echo_ok","in_reply_to":1}"#,
            Schema::EchoOk,
            Err("echo_ok without echo"),
        ),
        (
            r#"{"type":"echo_ok","echo":1}"#,
            Schema::EchoOk,
            Err("echo_ok without in_reply_to"),
        ),
        (
            r#"{"type":"echo_ok","echo":1,"in_reply_to":1,"msg_id":"a"}"#,
            Schema::EchoOk,
            Err("msg_id is not an integer"),
        ),
        (
            r#"{"type":"echo","echo":1,"in_reply_to":1}"#,
            Schema::EchoOk,
            Err("type is \"echo\", not echo_ok"),
        ),
        (
            r#"{"type":"\u0065cho_ok","echo":1,"in_reply_to":1,"msg_id":1}"#,
            Schema::EchoOk,
            Ok(()),
        ),
        (
            r#"{"type":"init_ok","in_reply_to":1}"#,
            Schema::InitOk,
            Ok(()),
        ),
    ];
    for (body, schema, expected) in cases {
        let line = format!(r#"{{"src":"n1","dest":"c1","body":{body}}}"#);
        let m = read(&line).expect(body);
        match (m.body.check(line.as_bytes(), schema), expected) {
            (Ok(()), Ok(())) => {}
            (Err(got), Err(fault)) => assert!(got.to_string().contains(fault), "{body}: {got}"),
            (got, _) => panic!("{body}: {got:?}"),
        }
    }
}

#[test]
fn error_replies_are_read() {
    let line = r#"{"src":"n1","dest":"c1","body":{"type":"error","code":13,"text":"boom","in_reply_to":4,"msg_id":0}}"#;
    let m = read(line).expect("error");
    assert_eq!(m.body.type_of(line.as_bytes()), Type::Error);
    assert_eq!(m.body.code.map(|s| s.of(line.as_bytes())), Some(&b"13"[..]));
}

#[test]
fn maelstrom_equality() {
    for (a, b, equal) in [
        ("1", "1", true),
        ("1", "1.0", false),
        ("1.0", "1.00", true),
        ("1e2", "100.0", true),
        ("100", "1e2", false),
        ("-0", "0", true),
        (
            "123456789012345678901234567890",
            "123456789012345678901234567890",
            true,
        ),
        (
            "123456789012345678901234567890",
            "123456789012345678901234567891",
            false,
        ),
        ("1e400", "2e400", true), // both read as Infinity by Jackson
        (r#""\u00e9""#, "\"\u{e9}\"", true),
        (
            r#"{"a":1,"b":[true,null]}"#,
            r#"{ "b" : [true,null], "a":1 }"#,
            true,
        ),
        (r#"{"a":1}"#, r#"{"a":1,"b":2}"#, false),
        ("[1,2]", "[2,1]", false),
        ("\"x\"", "\"y\"", false),
        // Maelstrom's reader takes a control character unescaped in a string.
        ("\"a\\tb\"", "\"a\tb\"", true),
        ("[\"a\\u0001\"]", "[\t\"a\u{1}\"]", true),
    ] {
        assert_eq!(same_value(a.as_bytes(), b.as_bytes()), equal, "{a} vs {b}");
    }
}
