//! The properties the fuzz targets check, one function per target, shared by the targets
//! (`fuzz_targets/<name>.rs`) and by the stable regression tests
//! (`tests/tests/fuzz_regressions.rs` of the workspace, which replay `regressions/<name>/` and `corpus/<name>/`).
//! Each function takes the raw fuzz input and panics when a property does not hold.
#![allow(
    dead_code,
    clippy::expect_used,
    clippy::unwrap_used,
    clippy::indexing_slicing
)]

use bytes::Bytes;
use socketio::proto::eio::{
    Packet as EioPacket, PayloadFrame, PayloadPacket, decode_payload, decode_text, encode_payload,
};
use socketio::proto::msgpack;
use socketio::proto::pubsub::{Limits, decode_with, encode};
use socketio::proto::sio::{Args, Decoder, Encoded, Packet, PacketKind, encode_ack, encode_event};
use socketio::proto::value::Value;

/// The wire text of an Engine.IO packet: type digit, then its data.
fn text_of(p: &EioPacket<'_>) -> String {
    let data = match *p {
        EioPacket::Open(d) | EioPacket::Ping(d) | EioPacket::Pong(d) | EioPacket::Message(d) => d,
        EioPacket::Close | EioPacket::Upgrade | EioPacket::Noop => "",
    };
    format!("{}{data}", p.packet_type().as_char())
}

// ----- eio_packet ----------------------------------------------------------------------
/// Engine.IO text packets (`proto::eio::decode_text`): never panics, and a decoded packet
/// encodes back to its input (types without data ignore what follows the type digit).
pub fn eio_packet(data: &[u8]) {
    let Ok(s) = std::str::from_utf8(data) else {
        return;
    };
    let Ok(p) = decode_text(s) else {
        return;
    };
    let text = text_of(&p);
    assert!(s.starts_with(&text), "{s:?} re-encoded as {text:?}");
    if matches!(
        p,
        EioPacket::Open(_) | EioPacket::Ping(_) | EioPacket::Pong(_) | EioPacket::Message(_)
    ) {
        assert_eq!(text, s);
    }
    assert_eq!(decode_text(&text), Ok(p));
}

// ----- eio_payload ---------------------------------------------------------------------
/// Engine.IO polling payloads (`proto::eio::decode_payload`): never panics, and a payload
/// whose packets all decode encodes back (`encode_payload`) to packets that decode equal.
pub fn eio_payload(data: &[u8]) {
    let Ok(packets) = decode_payload(data) else {
        return;
    };
    let Ok(packets) = packets.collect::<Result<Vec<_>, _>>() else {
        return;
    };
    let texts: Vec<Option<String>> = packets
        .iter()
        .map(|p| match p {
            PayloadPacket::Text(t) => Some(text_of(t)),
            PayloadPacket::Binary(_) => None,
        })
        .collect();
    let frames = packets.iter().zip(&texts).map(|(p, t)| match (p, t) {
        (_, Some(t)) => PayloadFrame::Text(t.as_bytes()),
        (PayloadPacket::Binary(b), None) => PayloadFrame::Binary(b),
        (PayloadPacket::Text(_), None) => PayloadFrame::Text(b""),
    });
    let encoded = encode_payload(frames);
    let again = decode_payload(&encoded)
        .expect("an encoded payload is UTF-8")
        .collect::<Result<Vec<_>, _>>()
        .expect("an encoded payload decodes");
    assert_eq!(again, packets);
}

// ----- sio_decoder ---------------------------------------------------------------------
fn values(args: &Args) -> Vec<Option<Value>> {
    (0..args.len()).map(|i| args.get::<Value>(i).ok()).collect()
}

fn redecode(e: &Encoded, max: usize) -> Packet {
    let text = std::str::from_utf8(&e.text).expect("encoded text is UTF-8");
    let text = text
        .strip_prefix('4')
        .expect("a Socket.IO packet is an Engine.IO message");
    let mut d = Decoder::new(max);
    let mut out = d.feed_text(text).expect("a re-encoded packet decodes");
    for a in &e.attachments {
        assert!(out.is_none(), "attachment after the packet completed");
        out = d
            .feed_binary(a.clone())
            .expect("a re-encoded attachment decodes");
    }
    out.expect("a re-encoded packet completes")
}

fn check(p: &Packet, max: usize) {
    let (args, encoded) = match &p.kind {
        PacketKind::Event { name, args, id } => (args, encode_event(&p.nsp, name, *id, args)),
        PacketKind::Ack { id, args } => (args, encode_ack(&p.nsp, *id, args)),
        _ => return,
    };
    assert!(args.attachments().len() <= max);
    // Arguments that cannot be read as a `Value` (a number out of range, ...) cannot be
    // re-encoded either; that is the handler's decode error, not the decoder's.
    let before = values(args);
    let Ok(encoded) = encoded else {
        assert!(
            before.iter().any(Option::is_none),
            "{p:?} does not re-encode"
        );
        return;
    };
    let sent: usize = args.attachments().iter().map(Bytes::len).sum();
    let echoed: usize = encoded.attachments.iter().map(Bytes::len).sum();
    assert_eq!(encoded.attachments.len(), args.attachments().len(), "{p:?}");
    assert_eq!(echoed, sent, "{p:?}: attachment bytes re-encoded");
    let q = redecode(&encoded, max);
    assert_eq!(q.nsp, p.nsp);
    let after = match (&p.kind, &q.kind) {
        (
            PacketKind::Event { name, id, .. },
            PacketKind::Event {
                name: n2,
                args,
                id: i2,
            },
        ) => {
            assert_eq!((name, id), (n2, i2));
            values(args)
        }
        (PacketKind::Ack { id, .. }, PacketKind::Ack { id: i2, args }) => {
            assert_eq!(id, i2);
            values(args)
        }
        (a, b) => panic!("{a:?} re-decoded as {b:?}"),
    };
    assert_eq!(before, after);
}

/// Socket.IO packets with attachments (`proto::sio::Decoder`), driven like a connection.
///
/// Input: one byte for the attachment limit (0 to 15), then Engine.IO messages separated by
/// `\x1e`; a message starting with `\0` is a binary frame (the rest of it), any other a
/// text message (skipped when not UTF-8). Properties: never panics; an event or ack
/// re-encodes (what an echo does) into a packet that decodes to equal arguments and carries
/// exactly the attachments it arrived with (same count, same bytes: each attachment is named
/// by exactly one placeholder, so an echo cannot amplify).
pub fn sio_decoder(data: &[u8]) {
    let Some((&limit, rest)) = data.split_first() else {
        return;
    };
    let max = usize::from(limit % 16);
    let mut d = Decoder::new(max);
    for msg in rest.split(|&b| b == 0x1e) {
        let r = match msg.split_first() {
            Some((0, bin)) => d.feed_binary(Bytes::copy_from_slice(bin)),
            _ => match std::str::from_utf8(msg) {
                Ok(t) => d.feed_text(t),
                Err(_) => continue,
            },
        };
        match r {
            Ok(Some(p)) => check(&p, max),
            Ok(None) => {}
            // A connection is closed on the first error; a fresh decoder goes on.
            Err(_) => d = Decoder::new(max),
        }
    }
}

// ----- msgpack_decoder -----------------------------------------------------------------

/// The msgpack packet decoder (`proto::msgpack::Decoder`), one frame per input.
///
/// Input: one byte for the limit of binary values (0 to 15), then the frame. Properties:
/// never panics; an event or ack has at most that many binary values and re-encodes (what an
/// echo does) into a frame that decodes to equal arguments with no other binary values, and
/// whose own re-encoding is the same bytes; the same arguments sent with the JSON parser
/// decode equal too; CONNECT auth and CONNECT_ERROR data are JSON.
pub fn msgpack_decoder(data: &[u8]) {
    let Some((&limit, frame)) = data.split_first() else {
        return;
    };
    let max = usize::from(limit % 16);
    let Ok(Some(p)) = msgpack::Decoder::new(max).feed_binary(Bytes::copy_from_slice(frame)) else {
        return;
    };
    let (args, encoded) = match &p.kind {
        PacketKind::Event { name, args, id } => {
            (args, msgpack::encode_event(&p.nsp, name, *id, args))
        }
        PacketKind::Ack { id, args } => (args, msgpack::encode_ack(&p.nsp, *id, args)),
        PacketKind::Connect { auth: Some(json) } | PacketKind::ConnectError { data: json } => {
            serde_json::from_str::<Value>(json).expect("decoded JSON text parses");
            return;
        }
        _ => return,
    };
    assert!(args.attachments().len() <= max);
    let before = values(args);
    let Ok(encoded) = encoded else {
        assert!(
            before.iter().any(Option::is_none),
            "{p:?} does not re-encode"
        );
        return;
    };
    let q = msgpack::Decoder::new(max)
        .feed_binary(encoded.clone())
        .expect("a re-encoded packet decodes")
        .expect("a msgpack frame is a whole packet");
    assert_eq!(q.nsp, p.nsp);
    let (again, args2) = match (&p.kind, &q.kind) {
        (
            PacketKind::Event { name, id, .. },
            PacketKind::Event {
                name: n2,
                args,
                id: i2,
            },
        ) => {
            assert_eq!((name, id), (n2, i2));
            (msgpack::encode_event(&q.nsp, n2, *i2, args), args)
        }
        (PacketKind::Ack { id, .. }, PacketKind::Ack { id: i2, args }) => {
            assert_eq!(id, i2);
            (msgpack::encode_ack(&q.nsp, *i2, args), args)
        }
        (a, b) => panic!("{a:?} re-decoded as {b:?}"),
    };
    assert_eq!(values(args2), before);
    // A repeated map key keeps its last value (as `JSON.parse`), so an echo may carry fewer
    // binary values than arrived, never more, and only ones that arrived.
    assert!(args2.attachments().len() <= args.attachments().len());
    assert!(
        args2
            .attachments()
            .iter()
            .all(|a| args.attachments().contains(a))
    );
    assert_eq!(again.expect("a re-decoded packet re-encodes"), encoded);
    // The JSON parser carries the same arguments.
    if let PacketKind::Event { name, id, .. } = &p.kind
        && let Ok(e) = encode_event(&p.nsp, name, *id, args)
    {
        let r = redecode(&e, max);
        let PacketKind::Event { args: a3, .. } = &r.kind else {
            panic!("{r:?}")
        };
        assert_eq!(values(a3), before);
    }
}

// ----- json_args -----------------------------------------------------------------------

/// JSON arguments and placeholders outside a connection: `Args::from_json_array` (what the
/// cluster layer and acks use; it runs the depth/surrogate scan and the placeholder check),
/// [`Value`] decoding, and the agreement between the placeholder check and placeholder
/// resolution.
///
/// Input: one byte for the number of attachments (0 to 7), then the JSON text. Properties:
/// never panics; a `Value` serializes to JSON that parses back equal; when the check accepts
/// the arguments and the whole text reads as a `Value`, every argument resolves and the
/// arguments re-encode with no more attachments than were given.
pub fn json_args(data: &[u8]) {
    let Some((&n, rest)) = data.split_first() else {
        return;
    };
    let Ok(text) = std::str::from_utf8(rest) else {
        return;
    };
    let whole = serde_json::from_str::<Value>(text).ok();
    if let Some(v) = &whole {
        let json = serde_json::to_string(v).expect("a Value without bytes serializes");
        let back: Value = serde_json::from_str(&json).expect("serialized JSON parses");
        assert_eq!(&back, v, "{text:?} -> {json:?}");
    }
    let attachments: Vec<Bytes> = (0..n % 8).map(|i| Bytes::from(vec![i; 3])).collect();
    let Ok(args) = Args::from_json_array(text.to_owned(), attachments.clone()) else {
        return;
    };
    if whole.is_none() {
        return;
    }
    for i in 0..args.len() {
        args.get::<Value>(i).expect("an accepted argument resolves");
    }
    let e = encode_event("/", "e", None, &args).expect("accepted arguments re-encode");
    assert!(e.attachments.len() <= attachments.len(), "{text:?}");
}

// ----- pubsub --------------------------------------------------------------------------

/// The cluster broker message codec (`proto::pubsub::decode_with`): never panics, and a
/// decoded message encodes (`encode`) to one that decodes equal.
pub fn pubsub(data: &[u8]) {
    let limits = Limits::default();
    let Ok(env) = decode_with(data, &limits) else {
        return;
    };
    let bytes = encode(&env);
    let again = decode_with(&bytes, &Limits::default()).unwrap_or_else(|e| {
        panic!(
            "{env:?} encodes as {:?}: {e}",
            String::from_utf8_lossy(&bytes)
        )
    });
    assert_eq!(again, env);
}

// ----- eio3_payload --------------------------------------------------------------------
/// Engine.IO v3 polling payloads (`proto::eio3`): the first input byte picks the framing
/// (even: text, odd: binary), the rest is the body. Never panics, and a payload whose packets
/// all decode encodes back, in either framing, to packets that decode equal.
pub fn eio3_payload(data: &[u8]) {
    use socketio::proto::eio3::{self, Framing};
    let Some((&pick, body)) = data.split_first() else {
        return;
    };
    let body = Bytes::copy_from_slice(body);
    let packets: Vec<PayloadPacket<'_>> = if pick % 2 == 0 {
        let Ok(s) = std::str::from_utf8(&body) else {
            return;
        };
        match eio3::decode_text_payload(s).collect::<Result<_, _>>() {
            Ok(p) => p,
            Err(_) => return,
        }
    } else {
        match eio3::decode_binary_payload(&body).collect::<Result<_, _>>() {
            Ok(p) => p,
            Err(_) => return,
        }
    };
    let texts: Vec<Option<String>> = packets
        .iter()
        .map(|p| match p {
            PayloadPacket::Text(t) => Some(text_of(t)),
            PayloadPacket::Binary(_) => None,
        })
        .collect();
    let frames = packets.iter().zip(&texts).map(|(p, t)| match (p, t) {
        (_, Some(t)) => PayloadFrame::Text(t.as_bytes()),
        (PayloadPacket::Binary(b), None) => PayloadFrame::Binary(b),
        (PayloadPacket::Text(_), None) => PayloadFrame::Text(b""),
    });
    let text = eio3::encode_payload(Framing::Text, frames.clone());
    let text = std::str::from_utf8(&text).expect("a text payload is UTF-8");
    let again: Vec<_> = eio3::decode_text_payload(text)
        .collect::<Result<_, _>>()
        .expect("an encoded text payload decodes");
    assert_eq!(again, packets);
    let bin = Bytes::from(eio3::encode_payload(Framing::Binary, frames));
    let again: Vec<_> = eio3::decode_binary_payload(&bin)
        .collect::<Result<_, _>>()
        .expect("an encoded binary payload decodes");
    assert_eq!(again, packets);
}

// ----- json_array ----------------------------------------------------------------------

/// The one-pass array splitter of the EVENT/ACK decoder accepts exactly what serde_json's raw
/// values plus the depth and surrogate scan accepted, with the same element spans.
pub fn json_array(data: &[u8]) {
    use socketio::proto::json_array::split_for_fuzzing;
    use socketio::proto::sio::reference_split;
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    assert_eq!(
        split_for_fuzzing(text),
        reference_split(text),
        "splitter and reference disagree on {text:?}"
    );
}
