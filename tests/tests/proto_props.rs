//! Property tests for the sans-IO Socket.IO packet layer:
//! - arbitrary text and binary frames, interleaved, never make the decoder panic;
//! - `decode(encode(p)) == p` for generated packets (namespaces, ack ids, nested values with
//!   binary data in them), and re-encoding what was decoded gives the same bytes.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

use bytes::Bytes;
use proptest::prelude::*;
use serde::ser::{Serialize, SerializeTuple, Serializer};
use socketio::proto::sio::{Args, Decoder, Encoded, Packet, PacketKind, encode_ack, encode_event};
use socketio::proto::value::{Map, Value};

/// Several arguments (serialized as a tuple, so each element is one argument).
struct Spread<'a>(&'a [Value]);

impl Serialize for Spread<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut t = s.serialize_tuple(self.0.len())?;
        for v in self.0 {
            t.serialize_element(v)?;
        }
        t.end()
    }
}

fn leaf() -> impl Strategy<Value = Value> {
    prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        any::<u64>().prop_map(Value::from),
        // Floats that print and parse back exactly.
        any::<i32>().prop_map(|i| Value::from(f64::from(i) / 8.0)),
        any::<String>().prop_map(Value::String),
        proptest::collection::vec(any::<u8>(), 0..16).prop_map(|b| Value::Bytes(Bytes::from(b))),
    ]
}

fn value() -> impl Strategy<Value = Value> {
    leaf().prop_recursive(4, 48, 6, |inner| {
        prop_oneof![
            proptest::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
            proptest::collection::vec(("[a-z]{0,6}", inner), 0..6)
                .prop_map(|kv| Value::Object(kv.into_iter().collect::<Map>())),
        ]
    })
}

fn namespace() -> impl Strategy<Value = String> {
    prop_oneof![Just("/".to_owned()), "/[a-zA-Z0-9_-]{1,10}"]
}

fn event_name() -> impl Strategy<Value = String> {
    any::<String>().prop_filter("reserved", |s| {
        !socketio::proto::sio::RESERVED_EVENTS.contains(&s.as_str())
    })
}

/// Feed an encoded packet to a fresh decoder, the way a transport would.
fn decode(e: &Encoded) -> Packet {
    let text = std::str::from_utf8(&e.text).unwrap();
    let text = text.strip_prefix('4').expect("Engine.IO message prefix");
    let mut d = Decoder::new(usize::MAX);
    let mut out = d.feed_text(text).unwrap();
    for a in &e.attachments {
        assert!(out.is_none(), "packet completed before its attachments");
        out = d.feed_binary(a.clone()).unwrap();
    }
    out.expect("packet complete after its attachments")
}

fn args_values(args: &Args) -> Vec<Value> {
    (0..args.len())
        .map(|i| args.get::<Value>(i).unwrap())
        .collect()
}

/// Objects compare order-insensitively in `IndexMap`; compare serialized forms too.
fn same(a: &[Value], b: &[Value]) -> bool {
    a == b && serde_json::to_string(a).unwrap() == serde_json::to_string(b).unwrap()
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn event_round_trip(
        nsp in namespace(),
        name in event_name(),
        id in proptest::option::of(any::<u64>()),
        args in proptest::collection::vec(value(), 0..5),
    ) {
        let e = encode_event(&nsp, &name, id, &Spread(&args)).unwrap();
        let p = decode(&e);
        prop_assert_eq!(&p.nsp, &nsp);
        let PacketKind::Event { name: got_name, args: got, id: got_id } = p.kind else {
            panic!("not an event");
        };
        prop_assert_eq!(got_name, name.clone());
        prop_assert_eq!(got_id, id);
        prop_assert!(same(&args_values(&got), &args));
        // Re-encoding what was received gives the same frames.
        prop_assert_eq!(encode_event(&nsp, &name, id, &got).unwrap(), e);
    }

    #[test]
    fn ack_round_trip(
        nsp in namespace(),
        id in any::<u64>(),
        args in proptest::collection::vec(value(), 0..5),
    ) {
        let e = encode_ack(&nsp, id, &Spread(&args)).unwrap();
        let p = decode(&e);
        prop_assert_eq!(&p.nsp, &nsp);
        let PacketKind::Ack { id: got_id, args: got } = p.kind else { panic!("not an ack") };
        prop_assert_eq!(got_id, id);
        prop_assert!(same(&args_values(&got), &args));
        prop_assert_eq!(encode_ack(&nsp, id, &got).unwrap(), e.clone());
        // The cluster form round-trips too.
        let again = Args::from_json_array(got.to_json_array(), got.attachments().to_vec()).unwrap();
        prop_assert_eq!(encode_ack(&nsp, id, &again).unwrap(), e);
    }

    #[test]
    fn arbitrary_frames_never_panic(
        frames in proptest::collection::vec(
            prop_oneof![
                any::<String>().prop_map(Ok),
                "[0-6][0-9]{0,2}-?(/[a-z,]{0,4})?[0-9]{0,3}[\\[\\]{}\"a-z0-9,:_\\\\ .-]{0,40}".prop_map(Ok),
                proptest::collection::vec(any::<u8>(), 0..8).prop_map(Err),
            ],
            0..12,
        ),
        max in 0usize..4,
    ) {
        let mut d = Decoder::new(max);
        for f in frames {
            let out = match f {
                Ok(text) => d.feed_text(&text),
                Err(bin) => d.feed_binary(Bytes::from(bin)),
            };
            if let Ok(Some(p)) = out {
                exercise(&p);
            }
        }
    }

    #[test]
    fn mutated_valid_packets_never_panic(
        args in proptest::collection::vec(value(), 0..4),
        cut in any::<prop::sample::Index>(),
        at in any::<prop::sample::Index>(),
        byte in any::<u8>(),
    ) {
        let e = encode_event("/n", "ev", Some(7), &Spread(&args)).unwrap();
        let mut text = e.text[1..].to_vec();
        let i = at.index(text.len());
        text[i] = byte;
        text.truncate(cut.index(text.len() + 1));
        let text = String::from_utf8_lossy(&text).into_owned();
        let mut d = Decoder::new(16);
        let mut out = d.feed_text(&text);
        for a in &e.attachments {
            if !matches!(out, Ok(None)) {
                break;
            }
            out = d.feed_binary(a.clone());
        }
        if let Ok(Some(p)) = out {
            exercise(&p);
        }
    }
}

/// Use a decoded packet the way the server would: read every argument, re-encode it.
fn exercise(p: &Packet) {
    match &p.kind {
        PacketKind::Event { name, args, id } => {
            let _ = args_values_lossy(args);
            encode_event(&p.nsp, name, *id, args).unwrap();
        }
        PacketKind::Ack { id, args } => {
            let _ = args_values_lossy(args);
            encode_ack(&p.nsp, *id, args).unwrap();
        }
        _ => {}
    }
}

fn args_values_lossy(args: &Args) -> Vec<Option<Value>> {
    (0..=args.len())
        .map(|i| args.get::<Value>(i).ok())
        .collect()
}
