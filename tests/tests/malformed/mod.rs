//! The malformed inputs of `testbed.md` ("Limits and robustness"), shared by `robustness.rs`
//! (against the in-process debug test bed) and `hostile.rs` (against the release build).
//!
//! Included with `mod malformed;`.

#![allow(dead_code)]

use socketio_tests::Frame;

fn t(s: &str) -> Frame {
    Frame::Text(s.to_string())
}

fn ph(n: &str) -> String {
    format!(r#"{{"_placeholder":true,"num":{n}}}"#)
}

/// Garbage and invalid Engine.IO packets, each sent on a connection joined to `/`.
pub fn garbage_engine_io_packets() -> Vec<(&'static str, Vec<Frame>)> {
    vec![
        ("empty", vec![t("")]),
        ("type 9", vec![t("9")]),
        ("letters", vec![t("xyz")]),
        ("nul", vec![t("\0\0")]),
        ("lone message", vec![t("4")]),
        ("client ping", vec![t("2")]),
        ("upgrade after open", vec![t("5")]),
        ("stray binary", vec![Frame::Binary(vec![0xff, 0, 1])]),
        ("open from client", vec![t("0{}")]),
    ]
}

/// Invalid Socket.IO packets: types, JSON, payload shapes, ack ids, namespaces, nesting,
/// lone surrogates.
pub fn invalid_socketio_packets() -> Vec<(&'static str, Vec<Frame>)> {
    let deep = format!(
        r#"42["echo",{}{}]"#,
        "[".repeat(100_000),
        "]".repeat(100_000)
    );
    let deep_obj = format!(
        r#"42["echo",{}1{}]"#,
        r#"{"a":"#.repeat(50_000),
        "}".repeat(50_000)
    );
    vec![
        ("type 7", vec![t("47")]),
        ("type 9", vec![t("49[]")]),
        ("bad json", vec![t(r#"42["echo","#)]),
        ("bad json 2", vec![t("42[}")]),
        ("huge number", vec![t(r#"42["echo",1e999999]"#)]),
        ("object payload", vec![t("42{}")]),
        ("string payload", vec![t(r#"42"echo""#)]),
        ("null payload", vec![t("42null")]),
        ("empty array", vec![t("42[]")]),
        ("number event", vec![t("42[1]")]),
        ("null event", vec![t("42[null]")]),
        ("object event", vec![t(r#"42[{"a":1}]"#)]),
        (
            "enormous ack id",
            vec![t(r#"4299999999999999999999999999["echo"]"#)],
        ),
        (
            "u64 overflow ack id",
            vec![t(r#"4218446744073709551616["echo"]"#)],
        ),
        ("negative ack id", vec![t(r#"42-1["echo"]"#)]),
        ("ack id letters", vec![t(r#"42abc["echo"]"#)]),
        ("unknown namespace event", vec![t(r#"42/nope,["echo",1]"#)]),
        ("namespace not joined", vec![t(r#"42/custom,1["echo",1]"#)]),
        ("namespace without slash", vec![t(r#"40nope,"#)]),
        ("connect non-object", vec![t(r#"40"str""#)]),
        ("connect array", vec![t("40[1]")]),
        ("duplicate connect", vec![t("40")]),
        ("disconnect payload", vec![t(r#"41{"x":1}"#)]),
        ("ack for nothing", vec![t("4312345[1]")]),
        ("deep arrays", vec![t(&deep)]),
        ("deep objects", vec![t(&deep_obj)]),
        ("lone surrogate", vec![t(r#"42["echo","\ud800"]"#)]),
        ("lone low surrogate", vec![t(r#"42["echo","\udc00x"]"#)]),
    ]
}

/// Missing, out-of-range and mistyped binary attachments.
pub fn invalid_binary_attachments() -> Vec<(&'static str, Vec<Frame>)> {
    vec![
        (
            "placeholder out of range",
            vec![
                t(&format!(r#"451-["echo",{}]"#, ph("5"))),
                Frame::Binary(vec![1]),
            ],
        ),
        (
            "negative placeholder",
            vec![
                t(&format!(r#"451-["echo",{}]"#, ph("-1"))),
                Frame::Binary(vec![1]),
            ],
        ),
        (
            "placeholder not a number",
            vec![
                t(&format!(r#"451-["echo",{}]"#, ph(r#""0""#))),
                Frame::Binary(vec![1]),
            ],
        ),
        (
            "enormous attachment count",
            vec![t(r#"45999999999-["echo"]"#)],
        ),
        ("attachment count not a number", vec![t(r#"45x-["echo"]"#)]),
        (
            "missing attachments",
            vec![t(&format!(r#"452-["echo",{}]"#, ph("0")))],
        ),
        (
            "text while waiting for attachments",
            vec![
                t(&format!(r#"452-["echo",{},{}]"#, ph("0"), ph("1"))),
                Frame::Binary(vec![1]),
                t(r#"42["echo"]"#),
            ],
        ),
        (
            "binary ack for nothing",
            vec![
                t(&format!(r#"461-77[{}]"#, ph("0"))),
                Frame::Binary(vec![9]),
            ],
        ),
    ]
}

/// Every WebSocket input above.
pub fn websocket_cases() -> Vec<(&'static str, Vec<Frame>)> {
    let mut v = garbage_engine_io_packets();
    v.extend(invalid_socketio_packets());
    v.extend(invalid_binary_attachments());
    v
}

/// Garbage polling POST bodies, each on a fresh session.
pub const POLLING_BODIES: [&[u8]; 9] = [
    b"",
    b"\x1e\x1e",
    b"b!!!notbase64",
    b"4hello\x1e",
    b"\xff\xfe\x00garbage",
    b"40\x1e4abc",
    b"42{}",
    b"bAAA=",
    b"9",
];

/// Bad query strings, tried with GET, POST, DELETE and OPTIONS.
pub const HTTP_PATHS: [&str; 6] = [
    "/socket.io/?EIO=4&transport=polling&sid=",
    "/socket.io/?EIO=4&transport=polling&sid=%ff%00",
    "/socket.io/?EIO=4&EIO=4&transport=polling&transport=websocket",
    "/socket.io/?EIO=4&transport=websocket",
    "/socket.io/?%%%",
    "/engine.io/?EIO=99999999999999999999&transport=polling",
];

/// Requests that are not HTTP/1.1 at all.
pub const RAW_REQUESTS: [&[u8]; 3] = [
    b"GARBAGE\r\n\r\n",
    b"GET / HTTP/9.9\r\n\r\n",
    b"\x16\x03\x01\x00",
];
