//! message.rs's unit tests.

use super::*;

/// Parses `line` both ways the parser can (its echo lane, and the general way) and checks
/// that they agree; returns the message the general way read, and the padded line.
fn parse(line: &str) -> Result<(Message, Vec<u8>), ParseError> {
    let mut padded = line.as_bytes().to_vec();
    padded.extend_from_slice(&[b'#'; PADDING]);
    let general = Parser::new().parse_general(&mut padded, line.len());
    let start = padded.as_ptr();
    let parsed = Parser::new().parse(&mut padded, line.len());
    match (parsed, &general) {
        (Ok(Parsed::Echo(echo)), Ok(general)) => {
            let fast = Parsed::Echo(echo).into_message(start);
            assert_eq!(fast.kind, RequestType::Echo, "{line}");
            assert_eq!(
                fast,
                Message {
                    type_: fast.type_,
                    ..*general
                },
                "the echo lane and the general way differ on {line}"
            );
        }
        (Ok(Parsed::Echo(_)), Err(e)) => panic!("only the echo lane reads {line}: {e}"),
        (Ok(Parsed::Message(message)), Ok(general)) => assert_eq!(&message, general, "{line}"),
        (Err(a), Err(b)) => assert_eq!(a.to_string(), b.to_string(), "{line}"),
        (parsed, general) => panic!("{line}: {parsed:?} but {general:?}"),
    }
    let message = general?;
    assert_eq!(
        &padded[..line.len()],
        line.as_bytes(),
        "line left unchanged"
    );
    assert!(
        padded[line.len()..].iter().all(|&b| b == b'#'),
        "padding unchanged"
    );
    Ok((message, padded))
}

fn text(line: &[u8], span: Span) -> &str {
    std::str::from_utf8(span.of(line)).expect("spans cut at token boundaries")
}

#[test]
fn maelstrom_echo_request() {
    let line = r#"{"id":7,"src":"c2","dest":"n1","body":{"echo":"Please echo 35","type":"echo","msg_id":3}}"#;
    let (m, buf) = parse(line).expect("valid");
    assert_eq!(text(&buf, m.src), r#""c2""#);
    assert_eq!(text(&buf, m.dest), r#""n1""#);
    assert_eq!(m.kind, RequestType::Echo);
    assert_eq!(text(&buf, m.type_), r#""echo""#);
    assert!(matches!(m.msg_id, MsgId::Integer(s) if text(&buf, s) == "3"));
    assert_eq!(text(&buf, m.echo.expect("echo")), r#""Please echo 35""#);
}

/// Which way the parser reads `line`: true for its echo lane.
fn read_by_echo_lane(line: &str) -> bool {
    let mut padded = line.as_bytes().to_vec();
    padded.extend_from_slice(&[b' '; PADDING]);
    matches!(
        Parser::new().parse(&mut padded, line.len()),
        Ok(Parsed::Echo(_))
    )
}

#[test]
fn the_echo_lane_takes_maelstroms_layout_and_nothing_else() {
    let body = |members: [&str; 3]| format!("{{{}}}", members.join(","));
    let (echo, type_, msg_id) = (
        r#""echo":"Please echo 35""#,
        r#""type":"echo""#,
        r#""msg_id":3"#,
    );
    let mut lane = Vec::new();
    for members in [
        [echo, type_, msg_id],
        [echo, msg_id, type_],
        [type_, echo, msg_id],
        [type_, msg_id, echo],
        [msg_id, echo, type_],
        [msg_id, type_, echo],
    ] {
        let body = body(members);
        lane.push(format!(
            r#"{{"id":7,"src":"c2","dest":"n1","body":{body}}}"#
        ));
        lane.push(format!(r#"{{"src":"c2","dest":"n1","body":{body}}}"#));
    }
    lane.extend([
        r#"{ "id" : 7 , "src" : "c2" , "dest" : "n1" , "body" : { "echo" : 1.5e3 , "type" : "echo" , "msg_id" : 3 } } "#.to_string(),
        "{\"id\":7,\"src\":\"c2\"\t,\"dest\":\"n1\"\r\n,\"body\":{\"echo\":null\n,\"type\":\"echo\",\"msg_id\":-3 }}".to_string(),
        r#"{"id":7,"src":"c\"2","dest":"n1","body":{"\u0065cho":"\u00e9","type":"ech\u006f","msg_id":3}}"#.to_string(),
        r#"{"id":7,"src":"c2","dest":"n1","body":{"echo":"","type":"echo","msg_id":18446744073709551615}}"#.to_string(),
    ]);
    for line in &lane {
        assert!(read_by_echo_lane(line), "not read by the echo lane: {line}");
        let (m, buf) = parse(line).unwrap_or_else(|e| panic!("{line}: {e}"));
        assert_eq!((m.kind, m.response), (RequestType::Echo, false), "{line}");
        assert!(matches!(m.msg_id, MsgId::Integer(_)), "{line}");
        assert!(text(&buf, m.src).starts_with('"'), "{line}");
    }
    let general = [
        // Another top-level order, key or kind.
        r#"{"src":"c2","id":7,"dest":"n1","body":{"echo":1,"type":"echo","msg_id":3}}"#,
        r#"{"id":"7","src":"c2","dest":"n1","body":{"echo":1,"type":"echo","msg_id":3}}"#,
        r#"{"id":7,"src":"c2","dest":"n1","extra":0,"body":{"echo":1,"type":"echo","msg_id":3}}"#,
        r#"{"id":7,"src":2,"dest":"n1","body":{"echo":1,"type":"echo","msg_id":3}}"#,
        // A payload that is an object or array, empty or not.
        r#"{"id":7,"src":"c2","dest":"n1","body":{"echo":{},"type":"echo","msg_id":3}}"#,
        r#"{"id":7,"src":"c2","dest":"n1","body":{"echo":[],"type":"echo","msg_id":3}}"#,
        r#"{"id":7,"src":"c2","dest":"n1","body":{"echo":[1],"type":"echo","msg_id":3}}"#,
        // Another type, a msg_id that is not an integer, a key twice, a fourth key.
        r#"{"id":7,"src":"c2","dest":"n1","body":{"echo":1,"type":"init","msg_id":3}}"#,
        r#"{"id":7,"src":"c2","dest":"n1","body":{"echo":1,"type":"Echo","msg_id":3}}"#,
        r#"{"id":7,"src":"c2","dest":"n1","body":{"echo":1,"type":"echo","msg_id":3.0}}"#,
        r#"{"id":7,"src":"c2","dest":"n1","body":{"echo":1,"type":"echo","msg_id":"3"}}"#,
        r#"{"id":7,"src":"c2","dest":"n1","body":{"echo":1,"type":"echo","msg_id":1e400}}"#,
        r#"{"id":7,"src":"c2","dest":"n1","body":{"echo":1,"type":"echo","msg_id":99999999999999999999999}}"#,
        r#"{"id":7,"src":"c2","dest":"n1","body":{"echo":1,"echo":2,"msg_id":3}}"#,
        r#"{"id":7,"src":"c2","dest":"n1","body":{"echo":1,"type":"echo","in_reply_to":3}}"#,
        r#"{"id":7,"src":"c2","dest":"n1","body":{"echo":1,"type":"echo","msg_id":3,"x":0}}"#,
        // A number the parser must make readable first.
        r#"{"id":7,"src":"c2","dest":"n1","body":{"echo":1e400,"type":"echo","msg_id":3}}"#,
    ];
    for line in general {
        assert!(!read_by_echo_lane(line), "read by the echo lane: {line}");
        let _ = parse(line); // a message or not, as the general way says, checked there
    }
}

#[test]
fn maelstrom_init_request() {
    let line = r#"{"id":0,"src":"c0","dest":"n1","body":{"type":"init","node_id":"n1","node_ids":["n1","n2"],"msg_id":1}}"#;
    let (m, buf) = parse(line).expect("valid");
    assert_eq!(m.kind, RequestType::Init);
    assert_eq!(text(&buf, m.node_id.expect("node_id")), r#""n1""#);
    assert_eq!(text(&buf, m.node_ids.expect("node_ids")), r#"["n1","n2"]"#);
}

#[test]
fn payload_bytes_are_exact_whatever_the_spacing_and_escapes() {
    let payloads = [
        r#""tab\there \u00e9 \ud83d\ude00 \" \\ \/""#,
        "1.0",
        "-0",
        "123456789012345678901234567890",
        "1E+2",
        "null",
        "true",
        r#"{ "a" : [ 1 , { "b" : null } , "x\n" ] , "c" : { } }"#,
        "[ ]",
        r#"[[[[["deep"]]]]]"#,
    ];
    for payload in payloads {
        for line in [
            format!(
                r#"{{"src":"c1","dest":"n1","body":{{"type":"echo","msg_id":1,"echo":{payload}}}}}"#
            ),
            format!(
                " {{ \"body\" : {{ \"echo\" :\t{payload} \r\n, \"type\":\"echo\" }} , \"src\":\"c1\",\"dest\":\"n1\" }} "
            ),
        ] {
            let (m, buf) = parse(&line).unwrap_or_else(|e| panic!("{line}: {e}"));
            assert_eq!(text(&buf, m.echo.expect("echo")), payload, "{line}");
        }
    }
}

#[test]
fn escaped_keys_and_type_are_understood() {
    let line = r#"{"\u0073rc":"c\"1","dest":"n1","bo\u0064y":{"t\u0079pe":"ech\u006f","msg_id":5,"\u0065cho":"\u0041"}}"#;
    let (m, buf) = parse(line).expect("valid");
    assert_eq!(m.kind, RequestType::Echo);
    assert_eq!(text(&buf, m.src), r#""c\"1""#);
    assert_eq!(text(&buf, m.echo.expect("echo")), r#""\u0041""#);
}

#[test]
fn msg_id_kinds() {
    let with = |id: &str| {
        let line = format!(r#"{{"src":"a","dest":"b","body":{{"type":"echo","msg_id":{id} }}}}"#);
        parse(&line).expect("valid").0.msg_id
    };
    assert!(matches!(with("0"), MsgId::Integer(_)));
    assert!(matches!(with("-12"), MsgId::Integer(_)));
    assert!(matches!(with("99999999999999999999999"), MsgId::Integer(s) if s.end - s.start == 23));
    for bad in ["1.5", "1e3", "\"7\"", "null", "[1]", "{}"] {
        assert!(matches!(with(bad), MsgId::NotInteger(_)), "{bad}");
    }
    let line = r#"{"src":"a","dest":"b","body":{"type":"echo"}}"#;
    assert_eq!(parse(line).expect("valid").0.msg_id, MsgId::Absent);
}

#[test]
fn rejects_what_is_not_a_message() {
    let cases = [
        ("", "not valid JSON"),
        ("{", "not valid JSON"),
        (r#"{"src":"a"} x"#, "not valid JSON"),
        ("[1,2]", "not a JSON object"),
        ("\"str\"", "not a JSON object"),
        ("{\"src\":\"\u{1}\"}", "not valid JSON"),
        (r#"{"dest":"b","body":{"type":"echo"}}"#, "no `src` field"),
        (r#"{"src":"a","body":{"type":"echo"}}"#, "no `dest` field"),
        (r#"{"src":"a","dest":"b"}"#, "no `body` field"),
        (r#"{"src":"a","dest":"b","body":{}}"#, "no `type` field"),
        (
            r#"{"src":1,"dest":"b","body":{"type":"echo"}}"#,
            "`src` is not a string",
        ),
        (
            r#"{"src":"a","dest":"b","body":[]}"#,
            "`body` is not an object",
        ),
        (
            r#"{"src":"a","dest":"b","body":{"type":7}}"#,
            "`type` is not a string",
        ),
    ];
    for (line, expected) in cases {
        let err = parse(line).expect_err(line).to_string();
        assert!(err.starts_with(expected), "{line}: {err}");
    }
}

#[test]
fn invalid_utf8_is_rejected() {
    let mut line = br#"{"src":"a","dest":"b","body":{"type":"echo","echo":"X"}}"#.to_vec();
    let len = line.len();
    line[len - 4] = 0xff;
    line.extend_from_slice(&[0; PADDING]);
    assert!(matches!(
        Parser::new().parse(&mut line, len),
        Err(ParseError::Invalid(_))
    ));
}

#[test]
fn short_padding_is_an_error_not_a_panic() {
    let mut line = br#"{"src":"a","dest":"b","body":{"type":"echo"}}"#.to_vec();
    let len = line.len();
    assert!(Parser::new().parse(&mut line, len).is_err());
    assert!(Parser::new().parse(&mut line, len + 5).is_err());
}

#[test]
fn extent_counts_nested_separators() {
    let line =
        r#"{"src":"a","dest":"b","body":{"type":"x","echo":[{"a":[1,2],"b":{}},[],3],"k":0}}"#;
    let (m, buf) = parse(line).expect("valid");
    assert_eq!(
        text(&buf, m.echo.expect("echo")),
        r#"[{"a":[1,2],"b":{}},[],3]"#
    );
}

#[test]
fn a_later_duplicate_replaces_an_earlier_value_of_the_wrong_kind() {
    // Found by the fuzzer: serde_json (and Maelstrom's Jackson) keep the last value.
    let line =
        r#"{"src":"c1","dest":0,"dest":"n1","body":[],"body":{"type":1,"type":"echo","msg_id":1}}"#;
    let (m, buf) = parse(line).expect("valid");
    assert_eq!(text(&buf, m.dest), r#""n1""#);
    assert_eq!(m.kind, RequestType::Echo);
    let line = r#"{"src":"c1","dest":"n1","dest":0,"body":{"type":"echo"}}"#;
    assert_eq!(
        parse(line).expect_err("last dest wins").to_string(),
        "`dest` is not a string"
    );
}

#[test]
fn later_duplicate_keys_win() {
    let line = r#"{"src":"a","src":"c","dest":"b","body":{"type":"echo","echo":1,"echo":2}}"#;
    let (m, buf) = parse(line).expect("valid");
    assert_eq!(text(&buf, m.src), r#""c""#);
    assert_eq!(text(&buf, m.echo.expect("echo")), "2");
}

#[test]
fn a_body_with_in_reply_to_is_a_response_whatever_its_type() {
    for body in [
        r#"{"type":"echo_ok","echo":"x","in_reply_to":5,"msg_id":9}"#,
        r#"{"type":"error","code":10,"in_reply_to":null,"msg_id":9}"#,
        r#"{"type":"echo","msg_id":1,"echo":1,"\u0069n_reply_to":1}"#,
    ] {
        let line = format!(r#"{{"src":"n2","dest":"n1","body":{body}}}"#);
        assert!(parse(&line).expect("valid").0.response, "{line}");
    }
    let line =
        r#"{"src":"c","dest":"n1","body":{"type":"echo","msg_id":1,"echo":{"in_reply_to":1}}}"#;
    assert!(
        !parse(line).expect("valid").0.response,
        "only the body's own key counts"
    );
    // A later body replaces an earlier one, in_reply_to and all.
    let line = r#"{"src":"c","dest":"n1","body":{"type":"x","in_reply_to":1},"body":{"type":"echo","msg_id":1}}"#;
    assert!(!parse(line).expect("valid").0.response);
}

#[test]
fn numbers_beyond_a_double_are_read_as_the_bytes_they_are() {
    let huge = "9".repeat(400);
    for (payload, msg_id) in [
        ("1e400", "1"),
        ("-1e400", "2"),
        ("1e-400", "3"),
        (&huge[..], "4"),
        (
            "[123456789012345678901234567890.5e999999,\"\\u00e9 1e400\"]",
            "5",
        ),
        ("{\"a\":-0.0E+999999 ,\"b\":1e400}", &huge[..]),
    ] {
        let line = format!(
            r#"{{"src":"c1","dest":"n1","body":{{"type":"echo","msg_id":{msg_id},"echo":{payload} }},"x":1e999}}"#
        );
        let (m, buf) = parse(&line).unwrap_or_else(|e| panic!("{line}: {e}"));
        assert_eq!(text(&buf, m.echo.expect("echo")), payload);
        assert!(matches!(m.msg_id, MsgId::Integer(s) if text(&buf, s) == msg_id));
        assert_eq!(
            &buf[..line.len()],
            line.as_bytes(),
            "the line is left as it was"
        );
    }
    let line = r#"{"src":"c1","dest":"n1","body":{"type":"echo","msg_id":1e400,"echo":1}}"#;
    assert!(matches!(
        parse(line).expect("valid").0.msg_id,
        MsgId::NotInteger(_)
    ));
}

#[test]
fn invalid_numbers_are_still_rejected_in_words() {
    for (number, what) in [
        ("01e400", "invalid number (no leading zeros)"),
        ("1e", "invalid number (the exponent needs digits)"),
        ("-", "invalid number (a digit must follow '-')"),
        ("1.e400", "invalid number (a digit must follow '.')"),
    ] {
        let line = format!(
            r#"{{"src":"c1","dest":"n1","body":{{"type":"echo","msg_id":1,"echo":{number}}}}}"#
        );
        match parse(&line) {
            Err(ParseError::Invalid(fault)) => assert_eq!(fault.what, what, "{line}"),
            other => panic!("{line}: {other:?}"),
        }
    }
}

#[test]
fn parses_with_this_cpus_simd_code() {
    let implementation = simd_json::Deserializer::algorithm();
    // Every aarch64 CPU has NEON, and simd-json has code for it: these tests, run on
    // aarch64 (natively or under qemu), run that code and no fallback.
    #[cfg(target_arch = "aarch64")]
    assert_eq!(implementation, simd_json::Implementation::NEON);
    // On x86_64, runtime detection picks the best code this CPU runs (it fails if the
    // `runtime-detection` feature is lost and the baseline build is used instead).
    #[cfg(target_arch = "x86_64")]
    if std::is_x86_feature_detected!("avx2") && std::is_x86_feature_detected!("pclmulqdq") {
        assert_eq!(implementation, simd_json::Implementation::AVX2);
    } else if std::is_x86_feature_detected!("sse4.2") {
        assert_eq!(implementation, simd_json::Implementation::SSE42);
    }
}
