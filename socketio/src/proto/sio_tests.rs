//! Test vectors for the Socket.IO packet layer: byte-exact encodings, every validity rule of
//! the reference parser (accept and reject), the conformance-suite shapes (S1–S14) and the
//! echo round trips.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

use super::*;
use serde::Deserialize;
use serde_bytes::ByteBuf;
use serde_json::json;

const PH0: &str = r#"{"_placeholder":true,"num":0}"#;
const PH1: &str = r#"{"_placeholder":true,"num":1}"#;

fn decode(text: &str) -> Result<Option<Packet>, DecodeError> {
    Decoder::new(10).feed_text(text)
}

fn decode_ok(text: &str) -> Packet {
    decode(text)
        .expect("valid packet")
        .expect("complete packet")
}

fn decode_err(text: &str) -> DecodeError {
    decode(text).expect_err("invalid packet")
}

/// Feed a text packet and its binary frames; the packet must complete on the last frame.
fn decode_binary(text: &str, frames: &[&[u8]]) -> Packet {
    let mut d = Decoder::new(10);
    assert_eq!(
        d.feed_text(text),
        Ok(None),
        "binary packet waits for attachments"
    );
    let (last, init) = frames.split_last().unwrap();
    for f in init {
        assert_eq!(d.feed_binary(Bytes::copy_from_slice(f)), Ok(None));
    }
    d.feed_binary(Bytes::copy_from_slice(last))
        .unwrap()
        .unwrap()
}

fn event(p: Packet) -> (String, String, Args, Option<u64>) {
    match p.kind {
        PacketKind::Event { name, args, id } => (p.nsp, name, args, id),
        other => panic!("not an event: {other:?}"),
    }
}

fn ack(p: Packet) -> (String, u64, Args) {
    match p.kind {
        PacketKind::Ack { id, args } => (p.nsp, id, args),
        other => panic!("not an ack: {other:?}"),
    }
}

fn text(e: &Encoded) -> &str {
    std::str::from_utf8(&e.text).unwrap()
}

fn raws(args: &Args) -> Vec<&str> {
    (0..args.len()).map(|i| args.raw(i).unwrap()).collect()
}

// ----- decoding: CONNECT / DISCONNECT (S1–S9 shapes) ------------------------------------------

#[test]
fn connect_main_namespace_without_auth() {
    let p = decode_ok("0");
    assert_eq!(p.nsp, "/");
    assert_eq!(p.kind, PacketKind::Connect { auth: None });
}

#[test]
fn connect_with_auth_keeps_raw_object_text() {
    let p = decode_ok(r#"0{"token":"123"}"#);
    assert_eq!(p.nsp, "/");
    assert_eq!(
        p.kind,
        PacketKind::Connect {
            auth: Some(r#"{"token":"123"}"#.into())
        }
    );
}

#[test]
fn connect_custom_namespace_with_comma() {
    let p = decode_ok("0/custom,");
    assert_eq!(p.nsp, "/custom");
    assert_eq!(p.kind, PacketKind::Connect { auth: None });
}

#[test]
fn connect_custom_namespace_with_auth() {
    let p = decode_ok(r#"0/custom,{"token":"abc"}"#);
    assert_eq!(p.nsp, "/custom");
    assert_eq!(
        p.kind,
        PacketKind::Connect {
            auth: Some(r#"{"token":"abc"}"#.into())
        }
    );
}

#[test]
fn namespace_without_comma_runs_to_end() {
    let p = decode_ok("0/random");
    assert_eq!(p.nsp, "/random");
    assert_eq!(p.kind, PacketKind::Connect { auth: None });
    let p = decode_ok("1/custom");
    assert_eq!(p.nsp, "/custom");
    assert_eq!(p.kind, PacketKind::Disconnect);
}

#[test]
fn disconnect_main_and_custom() {
    assert_eq!(
        decode_ok("1"),
        Packet {
            nsp: "/".into(),
            kind: PacketKind::Disconnect
        }
    );
    assert_eq!(decode_ok("1/custom,").nsp, "/custom");
}

#[test]
fn connect_payload_must_be_an_object() {
    for bad in [
        r#"0[]"#,
        r#"0"x""#,
        "01",
        "0null",
        "0/custom,[1]",
        "0 ",
        "0{",
        "0{}x",
    ] {
        assert_eq!(decode_err(bad), DecodeError::BadPayload, "{bad}");
    }
}

#[test]
fn disconnect_must_have_no_payload() {
    for bad in ["1{}", "1/custom,{}", "1[]", "15"] {
        assert_eq!(decode_err(bad), DecodeError::BadPayload, "{bad}");
    }
}

#[test]
fn connect_error_is_object_or_string() {
    let p = decode_ok(r#"4/random,{"message":"Invalid namespace"}"#);
    assert_eq!(p.nsp, "/random");
    assert_eq!(
        p.kind,
        PacketKind::ConnectError {
            data: r#"{"message":"Invalid namespace"}"#.into()
        }
    );
    assert_eq!(
        decode_ok(r#"4"nope""#).kind,
        PacketKind::ConnectError {
            data: r#""nope""#.into()
        }
    );
    assert_eq!(decode_err("4[]"), DecodeError::BadPayload);
    assert_eq!(decode_err("4"), DecodeError::BadPayload);
}

// ----- decoding: type, attachments, ack id ---------------------------------------------------

#[test]
fn empty_and_unknown_types() {
    assert_eq!(decode_err(""), DecodeError::Empty);
    assert_eq!(decode_err("abc"), DecodeError::UnknownType);
    assert_eq!(decode_err("7"), DecodeError::UnknownType);
    assert_eq!(decode_err("/"), DecodeError::UnknownType);
    assert_eq!(decode_err("é"), DecodeError::UnknownType);
}

#[test]
fn binary_types_need_a_positive_attachment_count_and_dash() {
    for bad in [
        r#"5["a"]"#,
        r#"5-["a"]"#,
        r#"50-["a"]"#,
        r#"51["a"]"#,
        "51",
        "5",
        r#"6x-1[]"#,
    ] {
        assert_eq!(decode_err(bad), DecodeError::BadAttachments, "{bad}");
    }
}

#[test]
fn attachment_limit_accepts_limit_and_rejects_limit_plus_one() {
    let mut d = Decoder::new(2);
    assert_eq!(d.max_attachments(), 2);
    assert_eq!(d.feed_text(&format!(r#"52-["a",{PH0},{PH1}]"#)), Ok(None));
    let mut d = Decoder::new(2);
    assert_eq!(
        d.feed_text(r#"53-["a"]"#),
        Err(DecodeError::TooManyAttachments)
    );
    let mut d = Decoder::new(10);
    assert_eq!(
        d.feed_text(r#"5999999999999999999999999999-["a"]"#),
        Err(DecodeError::TooManyAttachments)
    );
}

#[test]
fn event_with_namespace_and_ack_id() {
    let (nsp, name, args, id) = event(decode_ok(r#"2/admin,1["tellme"]"#));
    assert_eq!(
        (nsp.as_str(), name.as_str(), id),
        ("/admin", "tellme", Some(1))
    );
    assert!(args.is_empty());
}

#[test]
fn ack_id_fits_u64_or_is_rejected() {
    let (_, _, _, id) = event(decode_ok(r#"218446744073709551615["a"]"#));
    assert_eq!(id, Some(u64::MAX));
    assert_eq!(
        decode_err(r#"218446744073709551616["a"]"#),
        DecodeError::BadAckId
    );
    assert_eq!(
        decode_err(r#"318446744073709551616[]"#),
        DecodeError::BadAckId
    );
}

#[test]
fn ack_requires_an_id_and_an_array() {
    assert_eq!(decode_err("3[1]"), DecodeError::BadAckId);
    assert_eq!(decode_err("3/custom,[1]"), DecodeError::BadAckId);
    assert_eq!(decode_err("3456{}"), DecodeError::BadPayload);
    assert_eq!(decode_err("3456"), DecodeError::BadPayload);
    let (nsp, id, args) = ack(decode_ok("3/custom,456[]"));
    assert_eq!((nsp.as_str(), id, args.len()), ("/custom", 456, 0));
}

#[test]
fn non_digit_where_id_or_payload_starts_is_rejected() {
    assert_eq!(decode_err(r#"2abc["a"]"#), DecodeError::BadPayload);
    assert_eq!(decode_err("2abc[]"), DecodeError::BadPayload);
    assert_eq!(decode_err(r#"21x["a"]"#), DecodeError::BadPayload);
}

// ----- decoding: EVENT payload rules ----------------------------------------------------------

#[test]
fn event_text_s10_shape() {
    let (nsp, name, args, id) = event(decode_ok(r#"2["message",1,"2",{"3":[true]}]"#));
    assert_eq!((nsp.as_str(), name.as_str(), id), ("/", "message", None));
    assert_eq!(raws(&args), ["1", r#""2""#, r#"{"3":[true]}"#]);
    assert_eq!(args.get::<u8>(0).unwrap(), 1);
    assert_eq!(args.get::<String>(1).unwrap(), "2");
    assert_eq!(
        args.get::<serde_json::Value>(2).unwrap(),
        json!({"3": [true]})
    );
    assert!(args.attachments().is_empty());
}

#[test]
fn event_with_ack_s12_shape() {
    let (_, name, args, id) = event(decode_ok(r#"2456["message-with-ack",1,"2",{"3":[false]}]"#));
    assert_eq!((name.as_str(), id), ("message-with-ack", Some(456)));
    assert_eq!(raws(&args), ["1", r#""2""#, r#"{"3":[false]}"#]);
}

#[test]
fn event_payload_must_be_a_non_empty_array_led_by_name() {
    for bad in [
        "2{}",
        "2[]",
        "2[null]",
        "2[true]",
        "2[[1]]",
        r#"2[{"a":1}]"#,
        "2",
        r#"2"a""#,
    ] {
        assert_eq!(decode_err(bad), DecodeError::BadPayload, "{bad}");
    }
}

#[test]
fn invalid_json_is_bad_payload() {
    for bad in [
        r#"2["a""#,
        r#"2["a"]x"#,
        r#"2["a",]"#,
        r#"2["a",01]"#,
        r#"2["a",'b']"#,
        "2[\"a\u{1}\"]",
    ] {
        assert_eq!(decode_err(bad), DecodeError::BadPayload, "{bad:?}");
    }
}

#[test]
fn numeric_event_name_is_kept_as_decimal_text() {
    let (_, name, args, _) = event(decode_ok(r#"2[42,"x"]"#));
    assert_eq!(name, "42");
    assert_eq!(raws(&args), [r#""x""#]);
    assert_eq!(event(decode_ok("2[-1.5]")).1, "-1.5");
}

#[test]
fn reserved_event_names_are_rejected() {
    for name in RESERVED_EVENTS {
        assert_eq!(
            decode_err(&format!(r#"2["{name}",1]"#)),
            DecodeError::BadPayload,
            "{name}"
        );
    }
    // Escaped spelling of a reserved name is still that name.
    assert_eq!(decode_err(r#"2["\u0063onnect"]"#), DecodeError::BadPayload);
    // Close but not reserved.
    assert_eq!(event(decode_ok(r#"2["connected"]"#)).1, "connected");
}

#[test]
fn escaped_event_name_is_unescaped() {
    assert_eq!(event(decode_ok(r#"2["a\"b\u00e9"]"#)).1, "a\"bé");
}

#[test]
fn plain_event_name_is_its_text() {
    // Without a backslash the name is taken from the text as it is (no second parse).
    assert_eq!(event(decode_ok(r#"2["",1]"#)).1, "");
    assert_eq!(event(decode_ok(r#"2["é ü",1]"#)).1, "é ü");
    // A raw control character is not valid JSON, with or without the shortcut.
    assert_eq!(decode_err("2[\"a\u{1}b\"]"), DecodeError::BadPayload);
}

#[test]
fn deep_nesting_is_an_error_not_a_crash() {
    let deep = format!(r#"2["a",{}{}]"#, "[".repeat(10_000), "]".repeat(10_000));
    assert_eq!(decode_err(&deep), DecodeError::BadPayload);
    let deep = format!("0{}{}", r#"{"a":"#.repeat(10_000), "}".repeat(10_000));
    assert_eq!(decode_err(&deep), DecodeError::BadPayload);
    let deep = format!("3456{}{}", "[".repeat(100_000), "]".repeat(100_000));
    assert_eq!(decode_err(&deep), DecodeError::BadPayload);
}

#[test]
fn nesting_limit_accepts_limit_and_rejects_limit_plus_one() {
    // The event array itself is one level.
    let inner = MAX_JSON_DEPTH - 1;
    let ok = format!(r#"2["a",{}{}]"#, "[".repeat(inner), "]".repeat(inner));
    let (_, _, args, _) = event(decode_ok(&ok));
    // Everything accepted can be deserialized as a whole.
    args.get::<serde_json::Value>(0).unwrap();
    args.get::<Value>(0).unwrap();
    let bad = format!(
        r#"2["a",{}{}]"#,
        "[".repeat(inner + 1),
        "]".repeat(inner + 1)
    );
    assert_eq!(decode_err(&bad), DecodeError::BadPayload);
    // Brackets inside strings do not count.
    let strings = format!(r#"2["a","{}"]"#, "[{".repeat(1000));
    assert_eq!(event(decode_ok(&strings)).2.len(), 1);
}

#[test]
fn lone_surrogates_are_rejected() {
    for bad in [
        r#"2["a","\ud800"]"#,
        r#"2["a","\udc00"]"#,
        r#"2["a","\ud800x"]"#,
        r#"2["a","\ud800\n"]"#,
        r#"2["a","\ud800\ud800"]"#,
        r#"2["a",{"\udfff":1}]"#,
        r#"0{"t":"\uD800"}"#,
    ] {
        assert_eq!(decode_err(bad), DecodeError::BadPayload, "{bad}");
    }
    let (_, _, args, _) = event(decode_ok(r#"2["a","\ud83d\ude00","\u00e9\\u"]"#));
    assert_eq!(args.get::<String>(0).unwrap(), "😀");
    assert_eq!(args.get::<String>(1).unwrap(), "é\\u");
}

#[test]
fn depth_scan_skips_escaped_quotes_inside_strings() {
    // An escaped quote does not end the string: the brackets after it are still text.
    let deep = "[".repeat(MAX_JSON_DEPTH + 10);
    let ok = format!(r#"2["a","\"{deep}\\","x\\"]"#);
    let (_, _, args, _) = event(decode_ok(&ok));
    assert_eq!(args.get::<String>(0).unwrap(), format!("\"{deep}\\"));
    assert_eq!(args.get::<String>(1).unwrap(), "x\\");
    // A high surrogate followed by an escaped quote is still lone.
    assert_eq!(decode_err(r#"2["a","\ud800\""]"#), DecodeError::BadPayload);
}

// ----- decoding: binary packets (S11, S13 shapes) ---------------------------------------------

#[test]
fn binary_event_s11_shape() {
    let p = decode_binary(
        &format!(r#"52-["message",{PH0},{PH1}]"#),
        &[&[1, 2, 3], &[4, 5, 6]],
    );
    let (nsp, name, args, id) = event(p);
    assert_eq!((nsp.as_str(), name.as_str(), id), ("/", "message", None));
    assert_eq!(
        args.attachments(),
        &[
            Bytes::from_static(&[1, 2, 3]),
            Bytes::from_static(&[4, 5, 6])
        ]
    );
    assert_eq!(raws(&args), [PH0, PH1]);
    assert_eq!(args.get::<ByteBuf>(0).unwrap().into_vec(), vec![1, 2, 3]);
    assert_eq!(&args.get::<Bytes>(1).unwrap()[..], &[4, 5, 6]);
    assert_eq!(
        args.get::<Value>(1).unwrap(),
        Value::Bytes(Bytes::from_static(&[4, 5, 6]))
    );
    assert_eq!(args.get::<Vec<u8>>(0).unwrap(), vec![1, 2, 3]);
}

#[test]
fn binary_event_with_ack_s13_shape() {
    let p = decode_binary(
        &format!(r#"52-789["message-with-ack",{PH0},{PH1}]"#),
        &[&[1, 2, 3], &[4, 5, 6]],
    );
    let (_, name, args, id) = event(p);
    assert_eq!((name.as_str(), id), ("message-with-ack", Some(789)));
    assert_eq!(args.len(), 2);
}

#[test]
fn binary_ack_with_namespace() {
    let p = decode_binary(&format!("61-/admin,1[{PH0}]"), &[&[9]]);
    let (nsp, id, args) = ack(p);
    assert_eq!((nsp.as_str(), id), ("/admin", 1));
    assert_eq!(args.get::<ByteBuf>(0).unwrap().into_vec(), vec![9]);
}

#[test]
fn placeholders_nested_in_structures() {
    #[derive(Deserialize, Debug, PartialEq)]
    struct File {
        name: String,
        data: ByteBuf,
        parts: Vec<Bytes>,
    }
    let p = decode_binary(
        &format!(r#"52-["upload",{{"name":"f","data":{PH1},"parts":[{PH0}]}}]"#),
        &[b"zero", b"one"],
    );
    let (_, _, args, _) = event(p);
    let f: File = args.get(0).unwrap();
    assert_eq!(f.name, "f");
    assert_eq!(f.data.as_slice(), b"one");
    assert_eq!(f.parts, vec![Bytes::from_static(b"zero")]);
}

#[test]
fn placeholder_out_of_range_is_rejected_when_the_packet_completes() {
    let mut d = Decoder::new(10);
    assert_eq!(d.feed_text(&format!(r#"51-["a",{PH1}]"#)), Ok(None));
    assert_eq!(
        d.feed_binary(Bytes::from_static(b"x")),
        Err(DecodeError::BadPlaceholder)
    );
    for bad_num in [r#""0""#, "-1", "0.5", "null", "1"] {
        let mut d = Decoder::new(10);
        let t = format!(r#"51-["a",[{{"_placeholder":true,"num":{bad_num}}}]]"#);
        assert_eq!(d.feed_text(&t), Ok(None));
        assert_eq!(
            d.feed_binary(Bytes::from_static(b"x")),
            Err(DecodeError::BadPlaceholder),
            "{t}"
        );
    }
    // `_placeholder` not `true`: an ordinary object.
    let p = decode_binary(
        &format!(r#"51-["a",{{"_placeholder":false,"num":7}},{PH0}]"#),
        &[b"x"],
    );
    let v: serde_json::Value = event(p).2.get(0).unwrap();
    assert_eq!(v, json!({"_placeholder": false, "num": 7}));
    // A missing `num` is invalid too.
    let mut d = Decoder::new(10);
    assert_eq!(d.feed_text(r#"51-["a",{"_placeholder":true}]"#), Ok(None));
    assert_eq!(
        d.feed_binary(Bytes::new()),
        Err(DecodeError::BadPlaceholder)
    );
}

#[test]
fn text_packet_while_attachments_pending_is_rejected() {
    let mut d = Decoder::new(10);
    assert_eq!(d.feed_text(&format!(r#"52-["a",{PH0},{PH1}]"#)), Ok(None));
    assert_eq!(d.feed_binary(Bytes::from_static(b"1")), Ok(None));
    assert_eq!(
        d.feed_text(r#"2["b"]"#),
        Err(DecodeError::MissingAttachments)
    );
}

#[test]
fn binary_frame_without_pending_packet_is_rejected() {
    let mut d = Decoder::new(10);
    assert_eq!(
        d.feed_binary(Bytes::from_static(b"x")),
        Err(DecodeError::UnexpectedBinary)
    );
    assert_eq!(event(d.feed_text(r#"2["a"]"#).unwrap().unwrap()).1, "a");
    assert_eq!(
        d.feed_binary(Bytes::from_static(b"x")),
        Err(DecodeError::UnexpectedBinary)
    );
}

#[test]
fn decoder_is_reusable_after_a_binary_packet() {
    let mut d = Decoder::new(10);
    assert_eq!(d.feed_text(&format!(r#"51-["a",{PH0}]"#)), Ok(None));
    assert!(d.feed_binary(Bytes::from_static(b"x")).unwrap().is_some());
    assert_eq!(event(d.feed_text(r#"2["b"]"#).unwrap().unwrap()).1, "b");
}

#[test]
fn placeholders_in_a_text_packet_stay_plain_objects() {
    let (_, _, args, _) = event(decode_ok(&format!(r#"2["a",{PH0}]"#)));
    let v: serde_json::Value = args.get(0).unwrap();
    assert_eq!(v, json!({"_placeholder": true, "num": 0}));
    assert_eq!(
        text(&encode_event("/", "a", None, &args).unwrap()),
        format!(r#"42["a",{PH0}]"#)
    );
}

// ----- encoding ----------------------------------------------------------------------------

#[test]
fn encode_byte_exact_vectors() {
    assert_eq!(
        text(&encode_event("/", "a", None, &1).unwrap()),
        r#"42["a",1]"#
    );
    assert_eq!(
        text(&encode_event("/admin", "tellme", Some(1), &()).unwrap()),
        r#"42/admin,1["tellme"]"#
    );
    assert_eq!(text(&encode_connect("/", "x")), r#"40{"sid":"x"}"#);
    assert_eq!(
        text(&encode_connect("/custom", "x")),
        r#"40/custom,{"sid":"x"}"#
    );
    assert_eq!(
        text(&encode_connect_error("/random", "Invalid namespace", None)),
        r#"44/random,{"message":"Invalid namespace"}"#
    );
    assert_eq!(
        text(&encode_connect_error("/", "no", Some(r#"{"a":[1]}"#))),
        r#"44{"message":"no","data":{"a":[1]}}"#
    );
    assert_eq!(text(&encode_disconnect("/custom")), "41/custom,");
    assert_eq!(text(&encode_disconnect("/")), "41");
    assert_eq!(
        text(&encode_ack("/", 456, &(1, "2", json!({"3": [false]}))).unwrap()),
        r#"43456[1,"2",{"3":[false]}]"#
    );
    for e in [
        encode_connect("/", "x"),
        encode_disconnect("/"),
        encode_event("/", "a", None, &1).unwrap(),
    ] {
        assert!(e.attachments.is_empty());
    }
}

#[test]
fn encode_binary_event_and_ack() {
    let e = encode_event("/", "baz", None, &ByteBuf::from(vec![1, 2])).unwrap();
    assert_eq!(text(&e), format!(r#"451-["baz",{PH0}]"#));
    assert_eq!(e.attachments.as_slice(), &[Bytes::from_static(&[1, 2])]);
    let e = encode_ack("/admin", 1, &ByteBuf::from(vec![3])).unwrap();
    assert_eq!(text(&e), format!("461-/admin,1[{PH0}]"));
    assert_eq!(e.attachments.as_slice(), &[Bytes::from_static(&[3])]);
    // Ids above 9 and more than 9 attachments keep their full digits.
    let many: Vec<ByteBuf> = (0..12u8).map(|i| ByteBuf::from(vec![i])).collect();
    let e = encode_event("/", "m", Some(1234), &many).unwrap();
    assert!(
        text(&e).starts_with(r#"4512-1234["m",[{"_placeholder":true,"num":0},"#),
        "{}",
        text(&e)
    );
    assert!(text(&e).ends_with(r#"{"_placeholder":true,"num":11}]]"#));
    assert_eq!(e.attachments.len(), 12);
    assert_eq!(&e.attachments[11][..], &[11]);
}

#[test]
fn top_level_argument_rule() {
    #[derive(Serialize)]
    struct S {
        a: u8,
    }
    #[derive(Serialize)]
    struct T(u8, u8);
    #[derive(Serialize)]
    struct U;
    #[derive(Serialize)]
    struct N((u8, u8));
    macro_rules! ev {
        ($v:expr) => {
            text(&encode_event("/", "ev", None, $v).unwrap()).to_owned()
        };
    }
    macro_rules! ack {
        ($v:expr) => {
            text(&encode_ack("/", 1, $v).unwrap()).to_owned()
        };
    }
    assert_eq!(ev!(&("a", 1)), r#"42["ev","a",1]"#);
    assert_eq!(ev!(&vec![1, 2]), r#"42["ev",[1,2]]"#);
    assert_eq!(ev!(&()), r#"42["ev"]"#);
    assert_eq!(ev!(&(1,)), r#"42["ev",1]"#);
    assert_eq!(ev!(&((1, 2),)), r#"42["ev",[1,2]]"#);
    assert_eq!(ev!(&Some(1)), r#"42["ev",1]"#);
    assert_eq!(ev!(&None::<u8>), r#"42["ev",null]"#);
    assert_eq!(ev!(&S { a: 1 }), r#"42["ev",{"a":1}]"#);
    assert_eq!(ev!(&T(1, 2)), r#"42["ev",[1,2]]"#);
    assert_eq!(ev!(&U), r#"42["ev",null]"#);
    assert_eq!(ev!(&N((1, 2))), r#"42["ev",[1,2]]"#);
    assert_eq!(ev!(&"s"), r#"42["ev","s"]"#);
    assert_eq!(ev!(&Value::Null), r#"42["ev",null]"#);
    // serde_json's `Value::Null` serializes as unit, so by the rule it is no argument; our
    // `Value::Null` (and `None`) is one `null` argument.
    assert_eq!(ev!(&json!(null)), r#"42["ev"]"#);
    // Fixed-size arrays serialize with `serialize_tuple`, so they spread like tuples; a slice
    // or `Vec` is one argument.
    assert_eq!(ev!(&[1, 2]), r#"42["ev",1,2]"#);
    assert_eq!(ev!(&[1, 2][..]), r#"42["ev",[1,2]]"#);
    assert_eq!(ack!(&()), "431[]");
    assert_eq!(ack!(&(1, "2")), r#"431[1,"2"]"#);
    assert_eq!(ack!(&vec![1]), "431[[1]]");
}

#[test]
fn bytes_anywhere_numbered_in_document_order() {
    #[derive(Serialize)]
    struct Msg {
        first: ByteBuf,
        list: Vec<ByteBuf>,
        opt: Option<Bytes>,
        map: std::collections::BTreeMap<String, ByteBuf>,
        e: E,
    }
    #[derive(Serialize)]
    enum E {
        V(ByteBuf),
    }
    let msg = Msg {
        first: ByteBuf::from(b"a".to_vec()),
        list: vec![ByteBuf::from(b"b".to_vec()), ByteBuf::from(b"c".to_vec())],
        opt: Some(Bytes::from_static(b"d")),
        map: [("k".to_owned(), ByteBuf::from(b"e".to_vec()))].into(),
        e: E::V(ByteBuf::from(b"f".to_vec())),
    };
    let e = encode_event("/", "m", None, &(1, msg)).unwrap();
    let ph = |n: u8| format!(r#"{{"_placeholder":true,"num":{n}}}"#);
    assert_eq!(
        text(&e),
        format!(
            r#"456-["m",1,{{"first":{},"list":[{},{}],"opt":{},"map":{{"k":{}}},"e":{{"V":{}}}}}]"#,
            ph(0),
            ph(1),
            ph(2),
            ph(3),
            ph(4),
            ph(5)
        )
    );
    let got: Vec<&[u8]> = e.attachments.iter().map(|b| &b[..]).collect();
    assert_eq!(got, [b"a", b"b", b"c", b"d", b"e", b"f"]);
}

#[test]
fn raw_value_passes_through_verbatim() {
    let raw = serde_json::value::RawValue::from_string(r#"{"b":1, "a":[2 ,3]}"#.into()).unwrap();
    let e = encode_event("/", "r", None, &(&raw, 1)).unwrap();
    assert_eq!(text(&e), r#"42["r",{"b":1, "a":[2 ,3]},1]"#);
    let e = encode_event("/", "r", None, &raw).unwrap();
    assert_eq!(text(&e), r#"42["r",{"b":1, "a":[2 ,3]}]"#);
}

#[test]
fn strings_are_escaped_like_json_stringify() {
    let name = "q\"b\\s/n\nr\rt\tb\u{8}f\u{c}c\u{1}\u{1f}é😀\u{7f}\u{2028}";
    let e = encode_event("/", name, None, &name).unwrap();
    let expected = serde_json::to_string(name).unwrap();
    assert_eq!(text(&e), format!("42[{expected},{expected}]"));
    assert!(
        expected.contains("\\u0001") && expected.contains("\\u001f") && expected.contains("\\b")
    );
    assert_eq!(text(&encode_connect("/", "a\"b")), r#"40{"sid":"a\"b"}"#);
    // Round trip through the decoder.
    let (_, got, args, _) = event(decode_ok(&text(&e)[1..]));
    assert_eq!(got, name);
    assert_eq!(args.get::<String>(0).unwrap(), name);
}

// ----- round trips (conformance echo) ----------------------------------------------------------

#[test]
fn text_event_echo_s10() {
    let (_, _, args, _) = event(decode_ok(r#"2["message",1,"2",{"3":[true]}]"#));
    let e = encode_event("/", "message-back", None, &args).unwrap();
    assert_eq!(text(&e), r#"42["message-back",1,"2",{"3":[true]}]"#);
    assert!(e.attachments.is_empty());
}

#[test]
fn text_ack_echo_s12() {
    let (_, _, args, id) = event(decode_ok(r#"2456["message-with-ack",1,"2",{"3":[false]}]"#));
    let e = encode_ack("/", id.unwrap(), &args).unwrap();
    assert_eq!(text(&e), r#"43456[1,"2",{"3":[false]}]"#);
}

#[test]
fn binary_event_echo_s11() {
    let frames: [&[u8]; 2] = [&[1, 2, 3], &[4, 5, 6]];
    let (_, _, args, _) = event(decode_binary(
        &format!(r#"52-["message-back",{PH0},{PH1}]"#),
        &frames,
    ));
    let e = encode_event("/", "message-back", None, &args).unwrap();
    assert_eq!(text(&e), format!(r#"452-["message-back",{PH0},{PH1}]"#));
    let got: Vec<&[u8]> = e.attachments.iter().map(|b| &b[..]).collect();
    assert_eq!(got, frames);
}

#[test]
fn binary_ack_echo_s13() {
    let frames: [&[u8]; 2] = [&[1, 2, 3], &[4, 5, 6]];
    let (_, _, args, id) = event(decode_binary(
        &format!(r#"52-789["message-with-ack",{PH0},{PH1}]"#),
        &frames,
    ));
    let e = encode_ack("/", id.unwrap(), &args).unwrap();
    assert_eq!(text(&e), format!("462-789[{PH0},{PH1}]"));
    let got: Vec<&[u8]> = e.attachments.iter().map(|b| &b[..]).collect();
    assert_eq!(got, frames);
}

#[test]
fn text_args_are_re_encoded_without_change() {
    // Odd but valid formatting is kept byte for byte (the raw text is copied, not re-parsed).
    let payload =
        r#"["e", 1.0 ,1e5,-0,"\u00e9\n",{"z":1,"a":{"_placeholder":true,"num":3}}, [ ] ,null]"#;
    let (_, _, args, _) = event(decode_ok(&format!("2{payload}")));
    assert_eq!(args.len(), 7);
    let e = encode_event("/", "e", None, &args).unwrap();
    assert_eq!(
        text(&e),
        r#"42["e",1.0,1e5,-0,"\u00e9\n",{"z":1,"a":{"_placeholder":true,"num":3}},[ ],null]"#
    );
    let a = Args::from_serialize(&args).unwrap();
    assert_eq!(raws(&a), raws(&args));
}

#[test]
fn binary_args_rest_renumbers_placeholders() {
    let p = decode_binary(&format!(r#"52-["a",{PH0},"x",{PH1}]"#), &[b"zero", b"one"]);
    let (_, _, args, _) = event(p);
    let rest = args.rest(1);
    assert_eq!(raws(&rest), [r#""x""#, PH1]);
    assert_eq!(&rest.get::<Bytes>(1).unwrap()[..], b"one");
    let e = encode_event("/", "b", None, &rest).unwrap();
    assert_eq!(text(&e), format!(r#"451-["b","x",{PH0}]"#));
    assert_eq!(e.attachments.as_slice(), &[Bytes::from_static(b"one")]);
    assert!(args.rest(4).is_empty());
    assert!(args.rest(100).is_empty());
}

// ----- Args API ------------------------------------------------------------------------------

#[test]
fn missing_argument_is_null() {
    let (_, _, args, _) = event(decode_ok(r#"2["a",1]"#));
    assert_eq!(args.get::<Option<u8>>(1).unwrap(), None);
    assert_eq!(args.get::<Option<u8>>(0).unwrap(), Some(1));
    assert!(args.get::<u8>(1).is_err());
    assert!(args.get::<String>(0).is_err());
    assert_eq!(args.raw(1), None);
}

#[test]
fn from_serialize_records_spans_and_attachments() {
    let a = Args::from_serialize(&("x", ByteBuf::from(vec![7]), [1, 2])).unwrap();
    assert_eq!(raws(&a), [r#""x""#, PH0, "[1,2]"]);
    assert_eq!(a.attachments(), &[Bytes::from_static(&[7])]);
    assert_eq!(a.get::<ByteBuf>(1).unwrap().into_vec(), vec![7]);
    assert_eq!(a.to_json_array(), format!(r#"["x",{PH0},[1,2]]"#));
    assert!(Args::from_serialize(&()).unwrap().is_empty());
    assert_eq!(Args::from_serialize(&()).unwrap().to_json_array(), "[]");
}

#[test]
fn json_array_round_trip_for_the_cluster_layer() {
    let a = Args::from_json_array(
        format!(r#"[1,{PH0},{{"k":[{PH1}]}}]"#),
        vec![Bytes::from_static(b"a"), Bytes::from_static(b"b")],
    )
    .unwrap();
    assert_eq!(a.len(), 3);
    assert_eq!(a.to_json_array(), format!(r#"[1,{PH0},{{"k":[{PH1}]}}]"#));
    let v: Value = a.get(2).unwrap();
    assert_eq!(
        v.get("k")
            .and_then(|k| k.get_index(0))
            .and_then(Value::as_bytes)
            .map(|b| &b[..]),
        Some(&b"b"[..])
    );
    let b = Args::from_json_array(a.to_json_array(), a.attachments().to_vec()).unwrap();
    assert_eq!(b, a);
    assert_eq!(
        Args::from_json_array("{}".into(), vec![]),
        Err(DecodeError::BadPayload)
    );
    assert_eq!(
        Args::from_json_array("[1".into(), vec![]),
        Err(DecodeError::BadPayload)
    );
    assert_eq!(
        Args::from_json_array(format!("[{PH1}]"), vec![Bytes::new()]),
        Err(DecodeError::BadPlaceholder)
    );
    let deep = format!("{}{}", "[".repeat(200), "]".repeat(200));
    assert_eq!(
        Args::from_json_array(deep, vec![]),
        Err(DecodeError::BadPayload)
    );
}

#[test]
fn args_serialize_into_plain_serde_json() {
    let (_, _, args, _) = event(decode_ok(r#"2["a",1,{"x":[true]}]"#));
    assert_eq!(serde_json::to_string(&args).unwrap(), r#"[1,{"x":[true]}]"#);
}

/// Micro-check: a text-only value is serialized once, straight into serde_json's streaming
/// writer (wrapped by the placeholder serializer), never into a `serde_json::Value`.
#[test]
fn encode_event_streams_without_intermediate_values() {
    use std::cell::RefCell;
    struct Probe(RefCell<Vec<&'static str>>);
    impl Serialize for Probe {
        fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
            self.0.borrow_mut().push(std::any::type_name::<S>());
            s.serialize_str("p")
        }
    }
    let probe = Probe(RefCell::new(Vec::new()));
    let e = encode_event("/", "x", None, &probe).unwrap();
    assert_eq!(text(&e), r#"42["x","p"]"#);
    let seen = probe.0.into_inner();
    // One look at the top-level shape, then one real pass.
    assert_eq!(seen.len(), 2, "{seen:?}");
    assert!(seen[0].contains("TopLevel"), "{seen:?}");
    assert!(seen[1].contains("PlaceholderSer") && seen[1].contains("serde_json::ser::Serializer"));
    assert!(
        seen.iter().all(|s| !s.contains("serde_json::value")),
        "{seen:?}"
    );
}

#[test]
fn decode_error_messages() {
    assert_eq!(
        DecodeError::BadPlaceholder.to_string(),
        "placeholder without attachment"
    );
    assert_eq!(
        DecodeError::TooManyAttachments.to_string(),
        "too many attachments"
    );
}

#[test]
fn escaped_placeholder_key_is_still_a_placeholder() {
    let p = decode_binary(r#"51-["a",{"\u005fplaceholder":true,"num":0}]"#, &[b"x"]);
    let (_, _, args, _) = event(p);
    assert_eq!(&args.get::<Bytes>(0).unwrap()[..], b"x");
    let e = encode_event("/", "a", None, &args).unwrap();
    assert_eq!(text(&e), format!(r#"451-["a",{PH0}]"#));
    let mut d = Decoder::new(10);
    assert_eq!(
        d.feed_text(r#"51-["a",{"\u005fplaceholder":true,"num":1}]"#),
        Ok(None)
    );
    assert_eq!(
        d.feed_binary(Bytes::new()),
        Err(DecodeError::BadPlaceholder)
    );
}

// ----- one placeholder per attachment (issue 8: amplification) -------------------------------

#[test]
fn two_placeholders_to_two_attachments_are_accepted() {
    let p = decode_binary(&format!(r#"52-["a",{PH0},{PH1}]"#), &[b"zero", b"one"]);
    let (_, _, args, _) = event(p);
    assert_eq!(&args.get::<Bytes>(0).unwrap()[..], b"zero");
    assert_eq!(&args.get::<Bytes>(1).unwrap()[..], b"one");
    // The same holds for a BINARY_ACK.
    let p = decode_binary(&format!(r#"62-7[{PH1},{PH0}]"#), &[b"zero", b"one"]);
    assert_eq!(ack(p).2.len(), 2);
}

#[test]
fn two_placeholders_to_one_attachment_are_rejected() {
    for text in [
        format!(r#"51-["a",{PH0},{PH0}]"#),
        format!(r#"51-["a",[{PH0},{{"x":{PH0}}}]]"#),
        format!(r#"61-7[{PH0},{PH0}]"#),
    ] {
        let mut d = Decoder::new(10);
        assert_eq!(d.feed_text(&text), Ok(None), "{text}");
        assert_eq!(
            d.feed_binary(Bytes::from_static(b"x")),
            Err(DecodeError::ReusedAttachment),
            "{text}"
        );
    }
    // Two attachments announced, one of them named twice: still refused.
    let mut d = Decoder::new(10);
    assert_eq!(d.feed_text(&format!(r#"52-["a",{PH1},{PH1}]"#)), Ok(None));
    assert_eq!(d.feed_binary(Bytes::from_static(b"0")), Ok(None));
    assert_eq!(
        d.feed_binary(Bytes::from_static(b"1")),
        Err(DecodeError::ReusedAttachment)
    );
}

#[test]
fn a_placeholder_spelled_differently_is_still_the_same_number() {
    // `1.0`, `1e0` and an escaped key all name attachment 1: reused.
    for second in [
        r#"{"_placeholder":true,"num":1.0}"#,
        r#"{"_placeholder":true,"num":1e0}"#,
        r#"{"\u005fplaceholder":true,"num":1}"#,
        r#"{"num":1,"_placeholder":true}"#,
    ] {
        let mut d = Decoder::new(10);
        let t = format!(r#"52-["a",{PH0},{PH1},{second}]"#);
        assert_eq!(d.feed_text(&t), Ok(None));
        assert_eq!(d.feed_binary(Bytes::new()), Ok(None));
        assert_eq!(
            d.feed_binary(Bytes::new()),
            Err(DecodeError::ReusedAttachment),
            "{t}"
        );
    }
}

#[test]
fn an_unreferenced_attachment_is_rejected() {
    let mut d = Decoder::new(10);
    assert_eq!(d.feed_text(&format!(r#"52-["a",{PH0}]"#)), Ok(None));
    assert_eq!(d.feed_binary(Bytes::from_static(b"0")), Ok(None));
    assert_eq!(
        d.feed_binary(Bytes::from_static(b"1")),
        Err(DecodeError::UnreferencedAttachment)
    );
    // No placeholder at all.
    let mut d = Decoder::new(10);
    assert_eq!(d.feed_text(r#"51-["a",1]"#), Ok(None));
    assert_eq!(
        d.feed_binary(Bytes::from_static(b"0")),
        Err(DecodeError::UnreferencedAttachment)
    );
}

#[test]
fn placeholders_inside_a_placeholder_object_do_not_count() {
    // The outer object becomes attachment 0 whole, so the inner reference to 1 is not one:
    // attachment 1 is left unreferenced.
    let inner = format!(r#"{{"_placeholder":true,"num":0,"x":{PH1}}}"#);
    let mut d = Decoder::new(10);
    assert_eq!(d.feed_text(&format!(r#"52-["a",{inner}]"#)), Ok(None));
    assert_eq!(d.feed_binary(Bytes::from_static(b"0")), Ok(None));
    assert_eq!(
        d.feed_binary(Bytes::from_static(b"1")),
        Err(DecodeError::UnreferencedAttachment)
    );
    // ... and naming 1 again later is then its only reference.
    let p = decode_binary(&format!(r#"52-["a",{inner},{PH1}]"#), &[b"0", b"1"]);
    let (_, _, args, _) = event(p);
    assert_eq!(&args.get::<Bytes>(0).unwrap()[..], b"0");
    assert_eq!(&args.get::<Bytes>(1).unwrap()[..], b"1");
}

#[test]
fn from_json_array_rejects_reuse_but_keeps_unreferenced_attachments() {
    let one = vec![Bytes::from_static(b"x")];
    assert_eq!(
        Args::from_json_array(format!("[{PH0},{PH0}]"), one.clone()),
        Err(DecodeError::ReusedAttachment)
    );
    assert!(Args::from_json_array(format!("[{PH0}]"), one.clone()).is_ok());
    // `rest` keeps every attachment, so a tail without the placeholder of attachment 0 must
    // still travel (through the cluster) and decode.
    let two = vec![Bytes::from_static(b"x"), Bytes::from_static(b"y")];
    let a = Args::from_json_array(format!("[{PH1}]"), two).unwrap();
    assert_eq!(&a.get::<Bytes>(0).unwrap()[..], b"y");
}

#[test]
fn reusing_one_bytes_value_encodes_one_attachment_per_occurrence() {
    // The application's own data: the same bytes twice are two attachments (no sharing of
    // placeholders on the way out, so what we send always decodes under the rule above).
    let b = Bytes::from_static(b"same");
    let e = encode_event("/", "e", None, &(b.clone(), vec![b.clone()])).unwrap();
    assert_eq!(text(&e), format!(r#"452-["e",{PH0},[{PH1}]]"#));
    assert_eq!(e.attachments.as_slice(), &[b.clone(), b]);
    let mut d = Decoder::new(10);
    let body = std::str::from_utf8(&e.text[1..]).unwrap();
    assert_eq!(d.feed_text(body), Ok(None));
    assert_eq!(d.feed_binary(e.attachments[0].clone()), Ok(None));
    assert!(d.feed_binary(e.attachments[1].clone()).unwrap().is_some());
}

fn same(json: &str) {
    assert_eq!(
        crate::proto::json_array::split_for_fuzzing(json),
        super::reference_split(json),
        "disagreement on {json:?}"
    );
}

#[test]
fn agrees_with_serde_json_and_the_depth_scan() {
    let deep_ok = format!(
        "{}{}",
        "[".repeat(super::MAX_JSON_DEPTH),
        "]".repeat(super::MAX_JSON_DEPTH)
    );
    let too_deep = format!(
        "[{}{}]",
        "[".repeat(super::MAX_JSON_DEPTH),
        "]".repeat(super::MAX_JSON_DEPTH)
    );
    let cases = [
        r#"["echo","hi"]"#,
        r#" [ "a" , 1 , -2.5e+3 , true , false , null , {"k" : [ {} , [] ] } ] "#,
        "[]",
        " [ ] ",
        r#"["a\"b\\c\/d\b\f\n\r\t\u00e9\uD83D\uDE00"]"#,
        r#"["\uD83D"]"#,
        r#"["\uDE00"]"#,
        r#"["\uD83Dx"]"#,
        r#"["\uD83D\n"]"#,
        r#"["\uD83D\uD83D"]"#,
        r#"["\x"]"#,
        r#"["\u12G4"]"#,
        r#"["\u12"]"#,
        "[\"a\u{1}b\"]",
        "[\"tab\there\"]",
        "[\"é😀\"]",
        "[1,]",
        "[,1]",
        "[1 2]",
        "[01]",
        "[-0]",
        "[-]",
        "[1.]",
        "[.5]",
        "[1e]",
        "[1e+]",
        "[0.5E-07]",
        "[1]x",
        "{}",
        r#""a""#,
        "[tru]",
        "[nulll]",
        r#"[{"a"}]"#,
        r#"[{"a":}]"#,
        r#"[{1:2}]"#,
        r#"[{"a":1,}]"#,
        "[\"unterminated]",
        "[\"a\\",
        "",
        "   ",
        "[",
        "\u{a0}[]",
        &deep_ok,
        &too_deep,
    ];
    for c in cases {
        same(c);
    }
}
