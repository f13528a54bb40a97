#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

//! Test vectors: the hex strings marked JS were produced once by socket.io-msgpack-parser
//! 3.0.2 (notepack.io 2.2.0, Node 20): `Buffer.from(new Encoder().encode(packet)[0])
//! .toString("hex")`, with packets shaped as socket.io-client 4.8 builds them (`options`
//! key, `data: undefined` for a CONNECT without auth). Those marked PY were produced by
//! python-socketio 5.18.1's `MsgPackPacket(type, data=..., namespace=..., id=...).encode()
//! .hex()` (msgpack 1.2.4).

use bytes::Bytes;
use serde::Serialize;

use super::*;
use crate::proto::sio::{self, PacketKind};
use crate::proto::value::Value;

fn unhex(s: &str) -> Bytes {
    assert!(s.len() % 2 == 0);
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
        .collect::<Vec<u8>>()
        .into()
}

fn dec(hex: &str) -> Result<Packet, DecodeError> {
    Decoder::new(10).feed_binary(unhex(hex)).map(Option::unwrap)
}

fn raws(args: &Args) -> Vec<&str> {
    (0..args.len()).map(|i| args.raw(i).unwrap()).collect()
}

// JS, {type: 0, data: undefined, nsp: "/"}
const JS_CONNECT_NO_AUTH: &str = "83a47479706500a464617461d40000a36e7370a12f";
// JS, {type: 0, data: {token: "secret"}, nsp: "/chat"}; PY, the same packet.
const CONNECT_AUTH: &str =
    "83a47479706500a46461746181a5746f6b656ea6736563726574a36e7370a52f63686174";
// JS, {type: 2, data: ["echo", 1, -1, 1.5, "é", true, null, {a: [1, 2]},
// Buffer.from([1, 2, 3]), 300, -200, 70000, 2 ** 40, -(2 ** 40)],
// options: {compress: true}, id: 0, nsp: "/"}
const JS_EVENT_ACK: &str = "85a47479706502a4646174619ea46563686f01ffcb3ff8000000000000a2c3a9c3c081a161920102c403010203cd012cd1ff38ce00011170cf0000010000000000d3ffffff0000000000a76f7074696f6e7381a8636f6d7072657373c3a2696400a36e7370a12f";
// JS, the answer to JS_EVENT_ACK: {type: 3, data: [the same arguments], nsp: "/", id: 0}
const JS_ECHO_ACK: &str = "84a47479706503a4646174619d01ffcb3ff8000000000000a2c3a9c3c081a161920102c403010203cd012cd1ff38ce00011170cf0000010000000000d3ffffff0000000000a36e7370a12fa2696400";
// JS, {type: 2, data: ["bin", new Uint8Array([4, 5])], options: {compress: true},
// nsp: "/custom"}
const JS_TYPED_ARRAY: &str = "84a47479706502a46461746192a362696ec702000405a76f7074696f6e7381a8636f6d7072657373c3a36e7370a72f637573746f6d";
// JS, {type: 2, data: ["d", new Date(1700000000123), undefined, {u: undefined, v: 1}],
// options: {compress: true}, nsp: "/"}
const JS_DATE_UNDEFINED: &str = "84a47479706502a46461746194a164d7000000018bcfe5687bd4000082a175d40000a17601a76f7074696f6e7381a8636f6d7072657373c3a36e7370a12f";
// JS, {type: 3, id: 7, data: ["ok", {x: Buffer.from("ab")}], nsp: "/"}
const JS_ACK: &str = "84a47479706503a2696407a46461746192a26f6b81a178c4026162a36e7370a12f";
// JS, {type: 1, nsp: "/"}
const JS_DISCONNECT: &str = "82a47479706501a36e7370a12f";
// JS, {type: 2, data: ["ev", "a", 1, Buffer.from([1])], nsp: "/custom"}
const JS_SERVER_EVENT: &str =
    "83a47479706502a46461746194a26576a16101c40101a36e7370a72f637573746f6d";
// JS, {type: 2, data: ["l", [0, ..., 19], "x".repeat(40), Buffer.alloc(300, 7)], nsp: "/"}:
// array 16, str 8 and bin 16 forms.
fn js_long() -> String {
    format!(
        "83a47479706502a46461746194a16cdc0014{}d928{}c5012c{}a36e7370a12f",
        (0..20u8).map(|i| format!("{i:02x}")).collect::<String>(),
        "78".repeat(40),
        "07".repeat(300)
    )
}
// PY and JS, {type: 0, data: {sid: "abc"}, nsp: "/"}
const SERVER_CONNECT: &str = "83a47479706500a46461746181a3736964a3616263a36e7370a12f";
// PY, MsgPackPacket(CONNECT, data=None, namespace='/')
const PY_CONNECT_NO_AUTH: &str = "83a47479706500a464617461c0a36e7370a12f";
// PY, MsgPackPacket(EVENT, data=['echo', 1, 2.0, 1.5, -3, 'x', b'\x00\xff', None, True,
// {'k': [1, 2]}, 2**64 - 1, -2**63], namespace='/', id=1)
const PY_EVENT_ACK: &str = "84a47479706502a4646174619ca46563686f01cb4000000000000000cb3ff8000000000000fda178c40200ffc0c381a16b920102cfffffffffffffffffd38000000000000000a36e7370a12fa2696401";
// PY, MsgPackPacket(ACK, data=[the same arguments], namespace='/', id=1)
const PY_ECHO_ACK: &str = "84a47479706503a4646174619b01cb4000000000000000cb3ff8000000000000fda178c40200ffc0c381a16b920102cfffffffffffffffffd38000000000000000a36e7370a12fa2696401";
// PY, MsgPackPacket(ACK, data=['a', b'bin'], namespace='/', id=3)
const PY_ACK: &str = "84a47479706503a46461746192a161c40362696ea36e7370a12fa2696403";
// PY, MsgPackPacket(DISCONNECT, namespace='/custom') (python sends `data: nil`)
const PY_DISCONNECT: &str = "83a47479706501a464617461c0a36e7370a72f637573746f6d";
// PY, MsgPackPacket(EVENT, data=['ev', 'a', 1, 2.5, b'\x01'], namespace='/custom')
const PY_SERVER_EVENT: &str =
    "83a47479706502a46461746195a26576a16101cb4004000000000000c40101a36e7370a72f637573746f6d";
// PY, MsgPackPacket(EVENT, data=['ask', {'n': -129}], namespace='/', id=300)
const PY_SERVER_EVENT_ID: &str =
    "84a47479706502a46461746192a361736b81a16ed1ff7fa36e7370a12fa26964cd012c";
// PY, MsgPackPacket(ACK, data=[[1, 2], 'b', None], namespace='/chat', id=12)
const PY_SERVER_ACK: &str = "84a47479706503a46461746193920102a162c0a36e7370a52f63686174a269640c";
// PY, MsgPackPacket(CONNECT_ERROR, data={'message': 'unauthorized', 'data': {'reason':
// 'bad token'}}, namespace='/chat')
const PY_SERVER_CONNECT_ERROR: &str = "83a47479706504a46461746182a76d657373616765ac756e617574686f72697a6564a46461746181a6726561736f6ea962616420746f6b656ea36e7370a52f63686174";

#[test]
fn decodes_js_connect_and_disconnect() {
    let p = dec(JS_CONNECT_NO_AUTH).unwrap();
    assert_eq!(p.nsp, "/");
    assert_eq!(p.kind, PacketKind::Connect { auth: None });
    let p = dec(CONNECT_AUTH).unwrap();
    assert_eq!(p.nsp, "/chat");
    assert_eq!(
        p.kind,
        PacketKind::Connect {
            auth: Some(r#"{"token":"secret"}"#.into())
        }
    );
    assert_eq!(dec(JS_DISCONNECT).unwrap().kind, PacketKind::Disconnect);
}

#[test]
fn decodes_python_connect_and_disconnect_with_nil_data() {
    assert_eq!(
        dec(PY_CONNECT_NO_AUTH).unwrap().kind,
        PacketKind::Connect { auth: None }
    );
    let p = dec(PY_DISCONNECT).unwrap();
    assert_eq!(
        (p.nsp.as_str(), p.kind),
        ("/custom", PacketKind::Disconnect)
    );
}

#[test]
fn decodes_js_event_with_every_kind_of_value() {
    let p = dec(JS_EVENT_ACK).unwrap();
    let PacketKind::Event { name, args, id } = p.kind else {
        panic!("{p:?}")
    };
    assert_eq!((name.as_str(), id), ("echo", Some(0)));
    assert_eq!(
        raws(&args),
        [
            "1",
            "-1",
            "1.5",
            "\"é\"",
            "true",
            "null",
            r#"{"a":[1,2]}"#,
            r#"{"_placeholder":true,"num":0}"#,
            "300",
            "-200",
            "70000",
            "1099511627776",
            "-1099511627776"
        ]
    );
    assert_eq!(args.get::<Bytes>(7).unwrap(), &[1u8, 2, 3][..]);
    assert_eq!(args.attachments().len(), 1);
    assert_eq!(args.get::<i64>(12).unwrap(), -(1 << 40));
}

#[test]
fn decodes_python_event_ints_floats_and_bytes() {
    let p = dec(PY_EVENT_ACK).unwrap();
    let PacketKind::Event { name, args, id } = p.kind else {
        panic!("{p:?}")
    };
    assert_eq!((name.as_str(), id), ("echo", Some(1)));
    assert_eq!(
        raws(&args),
        [
            "1",
            "2.0",
            "1.5",
            "-3",
            "\"x\"",
            r#"{"_placeholder":true,"num":0}"#,
            "null",
            "true",
            r#"{"k":[1,2]}"#,
            "18446744073709551615",
            "-9223372036854775808"
        ]
    );
    assert_eq!(args.get::<Bytes>(5).unwrap(), &[0u8, 0xff][..]);
    assert_eq!(args.get::<f64>(1).unwrap(), 2.0);
}

#[test]
fn decodes_js_typed_array_date_and_undefined() {
    let p = dec(JS_TYPED_ARRAY).unwrap();
    assert_eq!(p.nsp, "/custom");
    let PacketKind::Event { args, .. } = p.kind else {
        panic!()
    };
    assert_eq!(args.get::<Bytes>(0).unwrap(), &[4u8, 5][..]);

    let PacketKind::Event { args, .. } = dec(JS_DATE_UNDEFINED).unwrap().kind else {
        panic!()
    };
    // What `JSON.stringify` gives for the same values.
    assert_eq!(
        raws(&args),
        ["\"2023-11-14T22:13:20.123Z\"", "null", r#"{"v":1}"#]
    );
}

#[test]
fn decodes_acks() {
    let PacketKind::Ack { id, args } = dec(JS_ACK).unwrap().kind else {
        panic!()
    };
    assert_eq!(id, 7);
    assert_eq!(args.get::<String>(0).unwrap(), "ok");
    let v: Value = args.get(1).unwrap();
    assert_eq!(v.get("x").and_then(Value::as_bytes).unwrap(), &b"ab"[..]);

    let PacketKind::Ack { id, args } = dec(PY_ACK).unwrap().kind else {
        panic!()
    };
    assert_eq!(id, 3);
    assert_eq!(args.get::<Bytes>(1).unwrap(), &b"bin"[..]);
}

#[test]
fn decodes_long_forms() {
    let PacketKind::Event { name, args, .. } = dec(&js_long()).unwrap().kind else {
        panic!()
    };
    assert_eq!(name, "l");
    assert_eq!(
        args.get::<Vec<u8>>(0).unwrap(),
        (0..20).collect::<Vec<u8>>()
    );
    assert_eq!(args.get::<String>(1).unwrap(), "x".repeat(40));
    assert_eq!(args.get::<Bytes>(2).unwrap(), vec![7u8; 300]);
}

#[test]
fn encodes_like_python_socketio() {
    assert_eq!(encode_connect("/", "abc"), unhex(SERVER_CONNECT));
    let e = encode_event(
        "/custom",
        "ev",
        None,
        &("a", 1, 2.5, serde_bytes::Bytes::new(&[1])),
    )
    .unwrap();
    assert_eq!(e, unhex(PY_SERVER_EVENT));
    let e = encode_event("/", "ask", Some(300), &serde_json::json!({"n": -129})).unwrap();
    assert_eq!(e, unhex(PY_SERVER_EVENT_ID));
    let e = encode_ack("/chat", 12, &(vec![1, 2], "b", None::<u8>)).unwrap();
    assert_eq!(e, unhex(PY_SERVER_ACK));
    let e =
        encode_connect_error("/chat", "unauthorized", Some(r#"{"reason":"bad token"}"#)).unwrap();
    assert_eq!(e, unhex(PY_SERVER_CONNECT_ERROR));
}

#[test]
fn encodes_like_socket_io_msgpack_parser() {
    let e = encode_event(
        "/custom",
        "ev",
        None,
        &("a", 1, Value::Bytes(Bytes::from_static(&[1]))),
    )
    .unwrap();
    assert_eq!(e, unhex(JS_SERVER_EVENT));
    let long = (
        (0..20).collect::<Vec<u8>>(),
        "x".repeat(40),
        serde_bytes::ByteBuf::from(vec![7; 300]),
    );
    assert_eq!(
        encode_event("/", "l", None, &long).unwrap(),
        unhex(&js_long())
    );
    // Both decoders accept a DISCONNECT without `data`.
    assert_eq!(encode_disconnect("/"), unhex(JS_DISCONNECT));
}

/// An echo handler acks with the `Args` it received: the bytes are what the reference
/// encoders write for the same values (JS numbers that are integers stay integers, python's
/// `2.0` stays a float).
#[test]
fn echo_of_received_args_is_byte_identical_to_the_reference_encoders() {
    for (event, ack) in [(JS_EVENT_ACK, JS_ECHO_ACK), (PY_EVENT_ACK, PY_ECHO_ACK)] {
        let PacketKind::Event { args, id, .. } = dec(event).unwrap().kind else {
            panic!()
        };
        let e = encode_ack("/", id.unwrap(), &args).unwrap();
        assert_eq!(e, unhex(ack), "{event}");
    }
}

/// Arguments received from a JSON-parser client (placeholders and attachments) encode as
/// msgpack with their bytes as `bin`.
#[test]
fn args_from_the_json_decoder_encode_as_msgpack() {
    let mut d = sio::Decoder::new(10);
    assert!(
        d.feed_text(r#"51-["e",{"b":{"_placeholder":true,"num":0}},[1.5,"s"]]"#)
            .unwrap()
            .is_none()
    );
    let p = d.feed_binary(Bytes::from_static(b"\x09")).unwrap().unwrap();
    let PacketKind::Event { args, .. } = p.kind else {
        panic!()
    };
    let e = encode_ack("/", 1, &args).unwrap();
    let PacketKind::Ack { args: back, .. } = Decoder::new(10).feed_binary(e).unwrap().unwrap().kind
    else {
        panic!()
    };
    assert_eq!(back.get::<Value>(0).unwrap(), args.get::<Value>(0).unwrap());
    assert_eq!(raws(&back)[1], r#"[1.5,"s"]"#);
    // Text-only arguments are transcoded from their JSON text.
    let args = Args::from_json_array(r#"[{"a":[]},-7,1e300,"\u00e9"]"#.into(), vec![]).unwrap();
    let e = encode_event("/", "x", None, &args).unwrap();
    let PacketKind::Event { args: back, .. } = dec_bytes(e).kind else {
        panic!()
    };
    assert_eq!(raws(&back), [r#"{"a":[]}"#, "-7", "1e+300", "\"é\""]);
}

fn dec_bytes(b: Bytes) -> Packet {
    Decoder::new(10).feed_binary(b).unwrap().unwrap()
}

#[test]
fn typed_values_serialize_as_with_serde_json() {
    #[derive(Serialize)]
    struct S<'a> {
        name: &'a str,
        #[serde(skip_serializing_if = "Option::is_none")]
        skipped: Option<u8>,
        unit: (),
        e: Vec<E>,
        f: f32,
        nan: f64,
        map: std::collections::BTreeMap<u32, bool>,
        #[serde(flatten)]
        extra: std::collections::BTreeMap<String, i8>,
    }
    #[derive(Serialize)]
    enum E {
        A,
        B(u8),
        C(u8, u8),
        D { x: u8 },
    }
    let v = S {
        name: "n",
        skipped: None,
        unit: (),
        e: vec![E::A, E::B(1), E::C(1, 2), E::D { x: 3 }],
        f: 0.1,
        nan: f64::NAN,
        map: [(1, true)].into(),
        extra: [("z".to_owned(), -1)].into(),
    };
    let e = encode_event("/", "t", None, &v).unwrap();
    let PacketKind::Event { args, .. } = dec_bytes(e).kind else {
        panic!()
    };
    // NaN is `null` and 0.1f32 is 0.1, as in JSON; a flattened struct (a map of unknown
    // length) gets the smallest header once its length is known.
    assert_eq!(args.raw(0).unwrap(), serde_json::to_string(&v).unwrap());
    let raw = serde_json::value::RawValue::from_string(r#"{"r":[true]}"#.into()).unwrap();
    let e = encode_event("/", "t", None, &(&raw, Some(5u8), 'c')).unwrap();
    let PacketKind::Event { args, .. } = dec_bytes(e).kind else {
        panic!()
    };
    assert_eq!(raws(&args), [r#"{"r":[true]}"#, "5", "\"c\""]);
}

#[test]
fn argument_rule_and_unknown_lengths() {
    // `()` is no argument, a tuple several, anything else one.
    let e = encode_event("/", "n", None, &()).unwrap();
    assert_eq!(&e[..], b"\x83\xa4type\x02\xa4data\x91\xa1n\xa3nsp\xa1/");
    let e = encode_ack("/", 1, &vec![1, 2]).unwrap();
    assert_eq!(
        &e[..],
        b"\x84\xa4type\x03\xa4data\x91\x92\x01\x02\xa3nsp\xa1/\xa2id\x01"
    );
    // Sequences whose length is known only at the end, of every header size.
    struct Unsized(usize);
    impl Serialize for Unsized {
        fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
            s.collect_seq((0..self.0).filter(|_| true))
        }
    }
    for n in [0, 15, 16, 65535, 65536] {
        let e = encode_ack("/", 1, &(Unsized(n), Unsized(1))).unwrap();
        let mut known = Writer::with_capacity(0);
        known.head(4, 3);
        known.array_len(2).unwrap();
        known.array_len(n).unwrap();
        let prefix = known.finish().unwrap();
        assert!(e.starts_with(&prefix), "{n}");
        let PacketKind::Ack { args, .. } = dec_bytes(e).kind else {
            panic!()
        };
        assert_eq!(args.get::<Vec<usize>>(0).unwrap().len(), n);
        assert_eq!(args.raw(1), Some("[0]"));
    }
}

#[test]
fn integer_and_float_forms() {
    let cases: [(i64, &[u8]); 10] = [
        (0, b"\x00"),
        (127, b"\x7f"),
        (128, b"\xcc\x80"),
        (256, b"\xcd\x01\x00"),
        (65536, b"\xce\x00\x01\x00\x00"),
        (1 << 32, b"\xcf\x00\x00\x00\x01\x00\x00\x00\x00"),
        (-32, b"\xe0"),
        (-33, b"\xd0\xdf"),
        (-32769, b"\xd2\xff\xff\x7f\xff"),
        (i64::MIN, b"\xd3\x80\x00\x00\x00\x00\x00\x00\x00"),
    ];
    for (v, form) in cases {
        let mut w = Writer::with_capacity(0);
        w.int(v);
        assert_eq!(w.buf, form, "{v}");
        let mut w = Writer::with_capacity(0);
        transcode_json(&mut w, &v.to_string()).unwrap();
        assert_eq!(w.buf, form, "{v} from JSON");
    }
    let mut w = Writer::with_capacity(0);
    transcode_json(&mut w, "[1.0,-0.5]").unwrap();
    assert_eq!(
        w.finish().unwrap()[..],
        *b"\x92\xcb\x3f\xf0\0\0\0\0\0\0\xcb\xbf\xe0\0\0\0\0\0\0"
    );
}

#[test]
fn float32_and_non_finite_floats_read_as_json_would() {
    // {type: 2, nsp: "/", data: ["f", float32 0.5, float64 NaN, float64 1e400 (inf)]}
    let mut f = b"\x83\xa4type\x02\xa3nsp\xa1/\xa4data\x94\xa1f\xca\x3f\x00\x00\x00\xcb".to_vec();
    f.extend_from_slice(&f64::NAN.to_be_bytes());
    f.push(0xcb);
    f.extend_from_slice(&f64::INFINITY.to_be_bytes());
    let PacketKind::Event { args, .. } = dec_bytes(f.into()).kind else {
        panic!()
    };
    assert_eq!(raws(&args), ["0.5", "null", "null"]);
}

#[test]
fn dates_read_as_json_stringify_writes_them() {
    for (ms, iso) in [
        (0, "\"1970-01-01T00:00:00.000Z\""),
        (-1, "\"1969-12-31T23:59:59.999Z\""),
        (951_782_400_000, "\"2000-02-29T00:00:00.000Z\""),
        (253_402_300_800_000, "\"+010000-01-01T00:00:00.000Z\""),
        (-62_198_755_200_000, "\"-000001-01-01T00:00:00.000Z\""),
        (8_640_000_000_000_001, "null"),
    ] {
        let mut out = Vec::new();
        push_date(&mut out, ms);
        assert_eq!(String::from_utf8(out).unwrap(), iso, "{ms}");
    }
}

#[test]
fn keys_in_any_order_and_unknown_keys_skipped() {
    // {nsp: "/x", data: ["e", 1], extra: {deep: [1, {}]}, id: 9, type: 2}
    let f = b"\x85\xa3nsp\xa2/x\xa4data\x92\xa1e\x01\xa5extra\x81\xa4deep\x92\x01\x80\xa2id\x09\xa4type\x02";
    let p = dec_bytes(Bytes::from_static(f));
    assert_eq!(p.nsp, "/x");
    let PacketKind::Event { name, args, id } = p.kind else {
        panic!()
    };
    assert_eq!((name.as_str(), id, raws(&args)), ("e", Some(9), vec!["1"]));
    // A numeric event name is kept as its text, as in the JSON decoder.
    let f = b"\x83\xa4type\x02\xa4data\x92\x07\xa1a\xa3nsp\xa1/";
    let PacketKind::Event { name, .. } = dec_bytes(Bytes::from_static(f)).kind else {
        panic!()
    };
    assert_eq!(name, "7");
    // Integer map keys are their decimal text.
    let f = b"\x84\xa4type\x03\xa4data\x91\x82\x01\xa1a\xff\xc3\xa3nsp\xa1/\xa2id\x00";
    let PacketKind::Ack { args, .. } = dec_bytes(Bytes::from_static(f)).kind else {
        panic!()
    };
    assert_eq!(raws(&args), [r#"{"1":"a","-1":true}"#]);
}

#[test]
fn connect_error_round_trip_and_string_form() {
    let p = dec(PY_SERVER_CONNECT_ERROR).unwrap();
    assert_eq!(
        p.kind,
        PacketKind::ConnectError {
            data: r#"{"message":"unauthorized","data":{"reason":"bad token"}}"#.into()
        }
    );
    let f = b"\x83\xa4type\x04\xa4data\xa2no\xa3nsp\xa1/";
    assert_eq!(
        dec_bytes(Bytes::from_static(f)).kind,
        PacketKind::ConnectError {
            data: "\"no\"".into()
        }
    );
    assert!(encode_connect_error("/", "m", Some("{")).is_err());
}

fn head(ty: u8) -> Vec<u8> {
    let mut v = b"\x83\xa3nsp\xa1/\xa4type".to_vec();
    v.push(ty);
    v.extend_from_slice(b"\xa4data");
    v
}

fn refused(frame: &[u8]) -> DecodeError {
    Decoder::new(2)
        .feed_binary(Bytes::copy_from_slice(frame))
        .expect_err(&format!("{frame:02x?} decoded"))
}

#[test]
fn refuses_malformed_packets() {
    use DecodeError::*;
    let ev = |data: &[u8]| [&head(2)[..], data].concat();
    let cases: Vec<(Vec<u8>, DecodeError)> = vec![
        (vec![], Empty),
        (b"\x92\x01\x02".to_vec(), BadPayload),
        // Types 5 and 6 do not exist in this encoding; a string type is not a type.
        (head(5).into_iter().chain([0x90]).collect(), UnknownType),
        (b"\x82\xa4type\xa12\xa3nsp\xa1/".to_vec(), UnknownType),
        (b"\x81\xa3nsp\xa1/".to_vec(), UnknownType),
        // No namespace, a namespace that is not a string.
        (b"\x81\xa4type\x01".to_vec(), BadPayload),
        (b"\x82\xa4type\x01\xa3nsp\x01".to_vec(), BadPayload),
        // A namespace the JSON encoding could not carry: no leading `/`, or a comma.
        (b"\x82\xa4type\x01\xa3nsp\xa1\x00".to_vec(), BadPayload),
        (b"\x82\xa4type\x01\xa3nsp\xa3/a,".to_vec(), BadPayload),
        // Bytes after the packet, a duplicated key.
        (b"\x82\xa4type\x01\xa3nsp\xa1/\x00".to_vec(), BadPayload),
        (
            b"\x83\xa4type\x01\xa3nsp\xa1/\xa4type\x01".to_vec(),
            BadPayload,
        ),
        // DISCONNECT with data; CONNECT with an array or binary auth.
        ([&head(1)[..], b"\x90"].concat(), BadPayload),
        ([&head(0)[..], b"\x90"].concat(), BadPayload),
        ([&head(0)[..], b"\x81\xa1k\xc4\x00"].concat(), BadPayload),
        // EVENT without a name, with a reserved name, with a name that is not one.
        (ev(b"\x90"), BadPayload),
        (ev(b"\x91\xa7connect"), BadPayload),
        (ev(b"\x91\xc0"), BadPayload),
        (ev(b"\x91\xcb\x7f\xf8\0\0\0\0\0\0"), BadPayload),
        (ev(b"\x81\xa1a\x01"), BadPayload),
        // ACK without an id, with a negative id, with a string id.
        ([&head(3)[..], b"\x90"].concat(), BadAckId),
        (
            b"\x84\xa4type\x03\xa4data\x90\xa3nsp\xa1/\xa2id\xff".to_vec(),
            BadAckId,
        ),
        (
            b"\x84\xa4type\x03\xa4data\x90\xa3nsp\xa1/\xa2id\xa11".to_vec(),
            BadAckId,
        ),
        // More binary values than the limit (2).
        (ev(b"\x94\xa1e\xc4\x00\xc4\x00\xc4\x00"), TooManyAttachments),
        // A map key that is not a string or an integer; a string that is not UTF-8.
        (ev(b"\x92\xa1e\x81\xc3\x01"), BadPayload),
        (ev(b"\x92\xa1e\xa1\xff"), BadPayload),
        // An extension type other than notepack's; the unused marker.
        (ev(b"\x92\xa1e\xc7\x01\x05\x00"), BadPayload),
        (ev(b"\x92\xa1e\xd5\x00\x00\x00"), BadPayload),
        (ev(b"\x92\xa1e\xc1"), BadPayload),
        // Lengths larger than what is left.
        (ev(b"\xdd\xff\xff\xff\xff"), BadPayload),
        (ev(b"\x92\xa1e\xdf\x00\x00\x10\x00"), BadPayload),
        (ev(b"\x92\xa1e\xc6\xff\xff\xff\xff"), BadPayload),
        // A literal placeholder object beside a binary value.
        (
            ev(b"\x93\xa1e\x82\xac_placeholder\xc3\xa3num\x00\xc4\x01\x07"),
            BadPayload,
        ),
    ];
    for (frame, want) in cases {
        assert_eq!(refused(&frame), want, "{frame:02x?}");
    }
    assert_eq!(Decoder::new(2).feed_text("2[\"e\"]"), Err(UnexpectedText));
    // Without binary values, a `_placeholder` key is just a key.
    let f = ev(b"\x92\xa1e\x82\xac_placeholder\xc3\xa3num\x00");
    assert!(Decoder::new(2).feed_binary(f.into()).is_ok());
}

#[test]
fn nesting_is_bounded_like_json() {
    let nested = |depth: usize| {
        let mut f = head(2);
        // The data array is level 1, then `depth - 1` more arrays.
        f.extend_from_slice(b"\x92\xa1e");
        f.extend(std::iter::repeat_n(0x91, depth - 2));
        f.push(0x90);
        f
    };
    assert!(
        Decoder::new(2)
            .feed_binary(nested(MAX_JSON_DEPTH).into())
            .is_ok()
    );
    assert_eq!(
        refused(&nested(MAX_JSON_DEPTH + 1)),
        DecodeError::BadPayload
    );
    // Skipped values are bounded too.
    let mut f = b"\x83\xa3nsp\xa1/\xa4type\x01\xa1x".to_vec();
    f.extend(std::iter::repeat_n(0x91, 10_000));
    f.push(0x90);
    assert_eq!(refused(&f), DecodeError::BadPayload);
}

/// Every strict prefix of a valid packet is refused (and nothing panics).
#[test]
fn truncated_packets_are_refused() {
    for hex in [
        JS_EVENT_ACK,
        PY_EVENT_ACK,
        JS_DATE_UNDEFINED,
        JS_TYPED_ARRAY,
        CONNECT_AUTH,
    ] {
        let full = unhex(hex);
        for n in 0..full.len() {
            assert!(
                Decoder::new(10).feed_binary(full.slice(..n)).is_err(),
                "{hex} at {n}"
            );
        }
    }
}

#[test]
fn binary_values_are_slices_of_the_frame() {
    let frame = unhex(PY_ACK);
    let PacketKind::Ack { args, .. } = Decoder::new(1)
        .feed_binary(frame.clone())
        .unwrap()
        .unwrap()
        .kind
    else {
        panic!()
    };
    let b = &args.attachments()[0];
    let range = frame.as_ptr() as usize..frame.as_ptr() as usize + frame.len();
    assert!(range.contains(&(b.as_ptr() as usize)));
}

/// The one-pass transcoding of a cluster message's JSON arguments gives the bytes of the
/// path through `Args` (parse, then encode), with and without an ack id, and refuses text
/// that is not JSON.
#[test]
fn json_elements_transcode_like_args() {
    for elements in [
        "",
        "1",
        r#""a",-7,1.5,true,null"#,
        r#"{"k":[1,{"x":"é"}],"e":{}},[],"s""#,
        r#"18446744073709551615,-9223372036854775808,1e300"#,
    ] {
        let args = Args::from_json_array(format!("[{elements}]"), Vec::new()).unwrap();
        for id in [None, Some(3)] {
            let via_args = encode_event("/chat", "ev", id, &args).unwrap();
            let direct = encode_event_from_json("/chat", "ev", id, elements).unwrap();
            assert_eq!(direct, via_args, "{elements} id {id:?}");
        }
    }
    for bad in ["1,", "{", "1],[2", "]", "1 2", r#""\ud800""#] {
        assert!(
            encode_event_from_json("/", "ev", None, bad).is_err(),
            "{bad} refused"
        );
    }
}

/// Nesting deeper than serde_json's recursion limit is refused, not a stack overflow.
#[test]
fn json_elements_transcode_refuses_deep_nesting() {
    let deep = format!("{}{}", "[".repeat(100_000), "]".repeat(100_000));
    assert!(encode_event_from_json("/", "ev", None, &deep).is_err());
}

/// A cluster message's arguments as msgpack: transcoded in one pass without attachments,
/// through `Args` with them (placeholders become binary values); both as the `Args` path.
#[test]
fn packed_args_encode_as_msgpack() {
    use crate::proto::pubsub::PackedArgs;
    let plain = PackedArgs::json(r#"["a", {"b": [1, 2]}]"#);
    let args = plain.to_args().unwrap();
    assert_eq!(
        plain.encode_event_msgpack("/", "ev", None).unwrap(),
        encode_event("/", "ev", None, &args).unwrap()
    );
    let bin = PackedArgs::with_attachments(
        r#"[{"_placeholder":true,"num":0},"x"]"#,
        vec![Bytes::from_static(b"\x01\x02")],
    );
    let frame = bin.encode_event_msgpack("/", "ev", None).unwrap();
    assert_eq!(
        &frame[..],
        b"\x83\xa4type\x02\xa4data\x93\xa2ev\xc4\x02\x01\x02\xa1x\xa3nsp\xa1/"
    );
    assert!(
        PackedArgs::json("[1,")
            .encode_event_msgpack("/", "ev", None)
            .is_err()
    );
}
