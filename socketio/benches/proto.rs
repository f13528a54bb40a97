//! `cargo bench -p socketio --all-features --bench proto`: the sans-IO codecs on the hot path,
//! one operation per iteration. Engine.IO packets and polling payloads, Socket.IO packets of
//! each kind with the JSON and the msgpack parser, and python-socketio's message-queue
//! envelope (a cluster `emit`). The numbers of one run are in `docs/performance.md`
//! ("cargo bench").
//!
//! Inputs are built once, outside the timed closure, by the same encoders the server uses;
//! every decode is checked once before it is timed, so a bench cannot silently measure an
//! error path.
// A bench that hits an error must stop loudly, and its inputs are our own, not a peer's.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

use bytes::Bytes;
use divan::{Bencher, black_box};
use serde::Serialize;
use socketio::proto::eio::{self, PayloadFrame};
use socketio::proto::parser::{Decoder, Parser};
use socketio::proto::pubsub::{self, Envelope, Limits, OneOrMany, Operation, PackedArgs};
use socketio::proto::sio::{Args, Encoded, Packet, PacketKind};

fn main() {
    divan::main();
}

/// The arguments of a typical chat event: a string, a number and a small object.
#[derive(Serialize)]
struct Message<'a> {
    user: &'a str,
    text: &'a str,
    tags: [&'a str; 3],
    at: u64,
}

const MESSAGE: Message<'static> = Message {
    user: "ann",
    text: "hello, world: a message of a few dozen bytes",
    tags: ["chat", "lobby", "en"],
    at: 1_764_662_400_000,
};

/// One binary attachment of 1 KiB.
fn attachment() -> Bytes {
    Bytes::from(vec![0xa5_u8; 1024])
}

// ---------------------------------------------------------------- Engine.IO

mod eio_packets {
    use super::*;

    /// A WebSocket text frame: `4` + a Socket.IO EVENT.
    const TEXT: &str = r#"42["chat",{"user":"ann","text":"hello, world"}]"#;

    #[divan::bench]
    fn decode_text(b: Bencher) {
        assert!(matches!(
            eio::decode_text(TEXT),
            Ok(eio::Packet::Message(_))
        ));
        b.bench(|| eio::decode_text(black_box(TEXT)));
    }

    /// A polling binary packet: `b` + base64 of 1 KiB.
    #[divan::bench]
    fn decode_binary_base64(b: Bencher) {
        let data = attachment();
        let body = eio::encode_payload([PayloadFrame::Binary(&data)].into_iter());
        let s = std::str::from_utf8(&body).unwrap();
        assert!(matches!(
            eio::decode_payload_packet(s),
            Ok(eio::PayloadPacket::Binary(ref d)) if d.len() == 1024
        ));
        b.bench(|| eio::decode_payload_packet(black_box(s)));
    }

    /// A polling payload of 8 text packets and one binary packet of 1 KiB.
    fn payload_frames(data: &[u8]) -> Vec<PayloadFrame<'_>> {
        let mut frames = vec![PayloadFrame::Text(TEXT.as_bytes()); 8];
        frames.push(PayloadFrame::Binary(data));
        frames
    }

    #[divan::bench]
    fn decode_payload(b: Bencher) {
        let data = attachment();
        let body = eio::encode_payload(payload_frames(&data).into_iter());
        let count = eio::decode_payload(&body)
            .unwrap()
            .filter(|p| p.is_ok())
            .count();
        assert_eq!(count, 9);
        b.bench(|| {
            eio::decode_payload(black_box(&body))
                .unwrap()
                .map(|p| p.is_ok() as usize)
                .sum::<usize>()
        });
    }

    #[divan::bench]
    fn encode_payload(b: Bencher) {
        let data = attachment();
        let frames = payload_frames(&data);
        b.bench(|| eio::encode_payload(black_box(&frames).iter().copied()));
    }

    /// The handshake `open` packet.
    #[divan::bench]
    fn encode_open(b: Bencher) {
        let open = eio::OpenPacket {
            sid: "AAAAAAAAAAAAAAAAAAAA",
            upgrades: &["websocket"],
            ping_interval_ms: 25_000,
            ping_timeout_ms: 20_000,
            max_payload: 1_000_000,
        };
        b.bench(|| black_box(&open).encode());
    }
}

// ---------------------------------------------------------------- Socket.IO

/// Feed one encoded packet (as the server would send it) to a decoder: the text message
/// without its Engine.IO `4`, then each binary message.
fn feed(d: &mut Decoder, e: &Encoded) -> Option<Packet> {
    let mut out = None;
    if !e.text.is_empty() {
        let text = std::str::from_utf8(&e.text[1..]).unwrap();
        out = d.feed_text(text).unwrap();
    }
    for a in &e.attachments {
        out = d.feed_binary(a.clone()).unwrap();
    }
    out
}

/// A Socket.IO packet kind, with what each bench sends of it.
#[derive(Clone, Copy, Debug)]
enum Kind {
    Connect,
    Event,
    EventWithAckId,
    Ack,
    BinaryEvent,
    ConnectError,
    Disconnect,
}

impl std::fmt::Display for Kind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Kind::Connect => "CONNECT",
            Kind::Event => "EVENT",
            Kind::EventWithAckId => "EVENT+ack id",
            Kind::Ack => "ACK",
            Kind::BinaryEvent => "BINARY_EVENT 1 KiB",
            Kind::ConnectError => "CONNECT_ERROR",
            Kind::Disconnect => "DISCONNECT",
        })
    }
}

const KINDS: [Kind; 7] = [
    Kind::Connect,
    Kind::Event,
    Kind::EventWithAckId,
    Kind::Ack,
    Kind::BinaryEvent,
    Kind::ConnectError,
    Kind::Disconnect,
];

/// The wire form of a packet of `kind` (`data` is the attachment of a BINARY_EVENT).
fn encode(p: &Parser, kind: Kind, data: &Bytes) -> Encoded {
    match kind {
        Kind::Connect => p.encode_connect("/chat", "AAAAAAAAAAAAAAAAAAAA"),
        Kind::Event => p
            .encode_event("/chat", "message", None, &("lobby", 42, &MESSAGE))
            .unwrap(),
        Kind::EventWithAckId => p
            .encode_event("/chat", "message", Some(7), &("lobby", 42, &MESSAGE))
            .unwrap(),
        Kind::Ack => p.encode_ack("/chat", 7, &("ok", &MESSAGE)).unwrap(),
        Kind::BinaryEvent => p
            .encode_event("/chat", "upload", None, &("file.bin", data))
            .unwrap(),
        Kind::ConnectError => {
            p.encode_connect_error("/chat", "not authorized", Some(r#"{"code":4}"#))
        }
        Kind::Disconnect => p.encode_disconnect("/chat"),
    }
}

/// Whether `packet` is what `encode` wrote for `kind`.
fn is_kind(packet: &Packet, kind: Kind) -> bool {
    packet.nsp == "/chat"
        && match (kind, &packet.kind) {
            (Kind::Connect, PacketKind::Connect { .. }) => true,
            (Kind::Event, PacketKind::Event { id: None, args, .. }) => args.len() == 3,
            (Kind::EventWithAckId, PacketKind::Event { id: Some(7), .. }) => true,
            (Kind::Ack, PacketKind::Ack { id: 7, .. }) => true,
            (Kind::BinaryEvent, PacketKind::Event { args, .. }) => {
                args.attachments().len() == 1 && args.attachments()[0].len() == 1024
            }
            (Kind::ConnectError, PacketKind::ConnectError { .. }) => true,
            (Kind::Disconnect, PacketKind::Disconnect) => true,
            _ => false,
        }
}

fn bench_encode(b: Bencher, p: &Parser, kind: Kind) {
    let data = attachment();
    b.bench(|| encode(p, black_box(kind), &data));
}

fn bench_decode(b: Bencher, p: &Parser, kind: Kind) {
    let wire = encode(p, kind, &attachment());
    let mut d = p.decoder(10);
    let packet = feed(&mut d, &wire).expect("one complete packet");
    assert!(is_kind(&packet, kind), "{kind}: decoded {packet:?}");
    b.bench_local(|| feed(&mut d, black_box(&wire)));
}

/// Socket.IO packets with the JSON parser (`socket.io-parser`): encode.
#[divan::bench(args = KINDS)]
fn sio_json_encode(b: Bencher, kind: Kind) {
    bench_encode(b, &Parser::json(), kind);
}

/// Socket.IO packets with the JSON parser: decode (text message, then attachments).
#[divan::bench(args = KINDS)]
fn sio_json_decode(b: Bencher, kind: Kind) {
    bench_decode(b, &Parser::json(), kind);
}

/// Socket.IO packets with the msgpack parser (`socket.io-msgpack-parser`): encode.
#[divan::bench(args = KINDS)]
fn sio_msgpack_encode(b: Bencher, kind: Kind) {
    bench_encode(b, &Parser::msgpack(), kind);
}

/// Socket.IO packets with the msgpack parser: decode (one binary message).
#[divan::bench(args = KINDS)]
fn sio_msgpack_decode(b: Bencher, kind: Kind) {
    bench_decode(b, &Parser::msgpack(), kind);
}

// ---------------------------------------------------------------- cluster envelope

/// python-socketio's message-queue `emit` (what a cluster publishes for `io.to("lobby").emit`).
mod pubsub_emit {
    use super::*;

    fn envelope() -> Envelope {
        let args = Args::from_serialize(&("lobby", 42, &MESSAGE)).unwrap();
        Envelope {
            host_id: "0123456789abcdef0123456789abcdef".into(),
            operation: Operation::Emit {
                event: "message".into(),
                args: PackedArgs::from_args(&args),
                namespace: "/chat".into(),
                room: Some(OneOrMany::One("lobby".into())),
                skip_sid: None,
                callback: None,
            },
        }
    }

    #[divan::bench]
    fn encode(b: Bencher) {
        let env = envelope();
        b.bench(|| pubsub::encode(black_box(&env)));
    }

    #[divan::bench]
    fn decode(b: Bencher) {
        let env = envelope();
        let bytes = pubsub::encode(&env);
        let limits = Limits::default();
        assert_eq!(pubsub::decode_with(&bytes, &limits).unwrap(), env);
        b.bench(|| pubsub::decode_with(black_box(&bytes), &limits).unwrap());
    }

    /// The same with a 1 KiB attachment (base64 in the JSON, python's `binary: true`).
    #[divan::bench]
    fn decode_binary(b: Bencher) {
        let args = Args::from_serialize(&("file.bin", attachment())).unwrap();
        let mut env = envelope();
        if let Operation::Emit { args: a, .. } = &mut env.operation {
            *a = PackedArgs::from_args(&args);
        }
        let bytes = pubsub::encode(&env);
        let limits = Limits::default();
        assert_eq!(pubsub::decode_with(&bytes, &limits).unwrap(), env);
        b.bench(|| pubsub::decode_with(black_box(&bytes), &limits).unwrap());
    }
}
