//! Engine.IO v4 packets and HTTP long-polling payloads (sans-IO).
//!
//! Packet types `0`–`6`, text decoding, `\x1e`-separated polling payloads with `b<base64>`
//! binary messages, and the handshake JSON. Nothing here allocates more than the decoded
//! data, and no function panics on input from a peer.
//!
//! ```
//! use socketio::proto::eio::{decode_text, Packet};
//!
//! assert_eq!(decode_text("4hello"), Ok(Packet::Message("hello")));
//! assert_eq!(decode_text("2probe"), Ok(Packet::Ping("probe")));
//! ```

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use bytes::Bytes;

/// The record separator between the packets of a polling payload.
pub const SEPARATOR: u8 = 0x1e;

/// An Engine.IO v4 packet type.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PacketType {
    /// `0`: handshake (server to client).
    Open,
    /// `1`: close the session.
    Close,
    /// `2`: ping (server to client in v4, `2probe` from the client during an upgrade).
    Ping,
    /// `3`: pong.
    Pong,
    /// `4`: message.
    Message,
    /// `5`: complete the upgrade to WebSocket.
    Upgrade,
    /// `6`: no operation (ends a pending poll).
    Noop,
}

impl PacketType {
    /// The type digit on the wire.
    pub fn as_char(self) -> char {
        match self {
            Self::Open => '0',
            Self::Close => '1',
            Self::Ping => '2',
            Self::Pong => '3',
            Self::Message => '4',
            Self::Upgrade => '5',
            Self::Noop => '6',
        }
    }

    /// The packet type of a type digit, if it is one.
    pub fn from_byte(b: u8) -> Option<Self> {
        Some(match b {
            b'0' => Self::Open,
            b'1' => Self::Close,
            b'2' => Self::Ping,
            b'3' => Self::Pong,
            b'4' => Self::Message,
            b'5' => Self::Upgrade,
            b'6' => Self::Noop,
            _ => return None,
        })
    }
}

/// A decoded Engine.IO text packet, borrowing its data from the input.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Packet<'a> {
    /// `0<json>`.
    Open(&'a str),
    /// `1`.
    Close,
    /// `2[data]` (`2probe` has data `probe`).
    Ping(&'a str),
    /// `3[data]`.
    Pong(&'a str),
    /// `4<text>`.
    Message(&'a str),
    /// `5`.
    Upgrade,
    /// `6`.
    Noop,
}

impl Packet<'_> {
    /// The type of this packet.
    pub fn packet_type(&self) -> PacketType {
        match self {
            Self::Open(_) => PacketType::Open,
            Self::Close => PacketType::Close,
            Self::Ping(_) => PacketType::Ping,
            Self::Pong(_) => PacketType::Pong,
            Self::Message(_) => PacketType::Message,
            Self::Upgrade => PacketType::Upgrade,
            Self::Noop => PacketType::Noop,
        }
    }
}

/// One packet of a polling payload.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PayloadPacket<'a> {
    /// A text packet.
    Text(Packet<'a>),
    /// A binary message (`b<base64>`), decoded.
    Binary(Bytes),
}

/// Why some bytes are not a valid Engine.IO packet or payload.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum DecodeError {
    /// An empty packet.
    Empty,
    /// The first character is not a packet type digit.
    UnknownType(u8),
    /// A `b` packet whose data is not standard base64 with padding.
    InvalidBase64,
    /// A payload that is not UTF-8 text.
    InvalidUtf8,
}

impl std::fmt::Display for DecodeError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Empty => f.write_str("empty packet"),
            Self::UnknownType(b) => write!(f, "unknown packet type {:?}", char::from(*b)),
            Self::InvalidBase64 => f.write_str("invalid base64 in binary packet"),
            Self::InvalidUtf8 => f.write_str("payload is not valid UTF-8"),
        }
    }
}

impl std::error::Error for DecodeError {}

/// Decode one text packet (a WebSocket text frame, or one packet of a polling payload that
/// does not start with `b`).
pub fn decode_text(s: &str) -> Result<Packet<'_>, DecodeError> {
    let first = *s.as_bytes().first().ok_or(DecodeError::Empty)?;
    let ty = PacketType::from_byte(first).ok_or(DecodeError::UnknownType(first))?;
    // The first byte is an ASCII digit, so index 1 is a char boundary.
    let data = s.get(1..).unwrap_or("");
    Ok(match ty {
        PacketType::Open => Packet::Open(data),
        PacketType::Close => Packet::Close,
        PacketType::Ping => Packet::Ping(data),
        PacketType::Pong => Packet::Pong(data),
        PacketType::Message => Packet::Message(data),
        PacketType::Upgrade => Packet::Upgrade,
        PacketType::Noop => Packet::Noop,
    })
}

/// Decode one packet of a polling payload: `b<base64>` is a binary message, anything else a
/// text packet.
pub fn decode_payload_packet(s: &str) -> Result<PayloadPacket<'_>, DecodeError> {
    match s.strip_prefix('b') {
        Some(b64) => STANDARD
            .decode(b64)
            .map(|v| PayloadPacket::Binary(Bytes::from(v)))
            .map_err(|_| DecodeError::InvalidBase64),
        None => decode_text(s).map(PayloadPacket::Text),
    }
}

/// Split a polling payload into its packets, decoding each one lazily.
///
/// An empty body is one empty (invalid) packet, as in the reference parser.
pub fn decode_payload(
    body: &[u8],
) -> Result<impl Iterator<Item = Result<PayloadPacket<'_>, DecodeError>>, DecodeError> {
    let s = std::str::from_utf8(body).map_err(|_| DecodeError::InvalidUtf8)?;
    Ok(s.split('\x1e').map(decode_payload_packet))
}

/// A frame to write in a polling payload: text packets as is, binary messages as
/// `b<base64>`.
#[derive(Debug, Clone, Copy)]
pub enum PayloadFrame<'a> {
    /// A complete text packet, type digit first.
    Text(&'a [u8]),
    /// The data of a binary message.
    Binary(&'a [u8]),
}

/// Encode frames into one polling payload, joined with `\x1e`.
pub fn encode_payload<'a>(frames: impl Iterator<Item = PayloadFrame<'a>> + Clone) -> Vec<u8> {
    let len: usize = frames
        .clone()
        .map(|f| match f {
            PayloadFrame::Text(t) => t.len() + 1,
            PayloadFrame::Binary(b) => base64::encoded_len(b.len(), true).unwrap_or(0) + 2,
        })
        .sum();
    let mut out = Vec::with_capacity(len);
    for (i, f) in frames.enumerate() {
        if i > 0 {
            out.push(SEPARATOR);
        }
        match f {
            PayloadFrame::Text(t) => out.extend_from_slice(t),
            PayloadFrame::Binary(b) => {
                out.push(b'b');
                let start = out.len();
                out.resize(start + base64::encoded_len(b.len(), true).unwrap_or(0), 0);
                if let Some(dst) = out.get_mut(start..) {
                    // The destination was sized with `encoded_len`, so this cannot fail.
                    let _ = STANDARD.encode_slice(b, dst);
                }
            }
        }
    }
    out
}

/// The `open` packet sent to a new client (the Engine.IO handshake; the Socket.IO one is
/// `server::Handshake`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OpenPacket<'a> {
    /// The session id.
    pub sid: &'a str,
    /// Transports the client may upgrade to (`["websocket"]` on polling, `[]` on WebSocket).
    pub upgrades: &'a [&'a str],
    /// `pingInterval` in milliseconds.
    pub ping_interval_ms: u64,
    /// `pingTimeout` in milliseconds.
    pub ping_timeout_ms: u64,
    /// `maxPayload` in bytes.
    pub max_payload: usize,
}

impl OpenPacket<'_> {
    /// The whole `open` packet: `0{"sid":…,"upgrades":[…],"pingInterval":…,"pingTimeout":…,
    /// "maxPayload":…}`, keys in that order.
    pub fn encode(&self) -> String {
        use std::fmt::Write as _;
        let mut s = String::with_capacity(128);
        s.push_str("0{\"sid\":");
        push_json_str(&mut s, self.sid);
        s.push_str(",\"upgrades\":[");
        for (i, u) in self.upgrades.iter().enumerate() {
            if i > 0 {
                s.push(',');
            }
            push_json_str(&mut s, u);
        }
        let _ = write!(
            s,
            "],\"pingInterval\":{},\"pingTimeout\":{},\"maxPayload\":{}}}",
            self.ping_interval_ms, self.ping_timeout_ms, self.max_payload
        );
        s
    }
}

fn push_json_str(out: &mut String, s: &str) {
    match serde_json::to_string(s) {
        Ok(j) => out.push_str(&j),
        Err(_) => out.push_str("\"\""),
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn decodes_every_type() {
        assert_eq!(decode_text("0{}"), Ok(Packet::Open("{}")));
        assert_eq!(decode_text("1"), Ok(Packet::Close));
        assert_eq!(decode_text("2"), Ok(Packet::Ping("")));
        assert_eq!(decode_text("2probe"), Ok(Packet::Ping("probe")));
        assert_eq!(decode_text("3probe"), Ok(Packet::Pong("probe")));
        assert_eq!(decode_text("4hello €"), Ok(Packet::Message("hello €")));
        assert_eq!(decode_text("4"), Ok(Packet::Message("")));
        assert_eq!(decode_text("5"), Ok(Packet::Upgrade));
        assert_eq!(decode_text("6"), Ok(Packet::Noop));
    }

    #[test]
    fn rejects_bad_packets() {
        assert_eq!(decode_text(""), Err(DecodeError::Empty));
        assert_eq!(decode_text("abc"), Err(DecodeError::UnknownType(b'a')));
        assert_eq!(decode_text("7"), Err(DecodeError::UnknownType(b'7')));
        assert_eq!(decode_text("€"), Err(DecodeError::UnknownType(0xe2)));
        assert_eq!(
            decode_payload_packet("b!!"),
            Err(DecodeError::InvalidBase64)
        );
        assert_eq!(
            decode_payload_packet("bAQIDBA"),
            Err(DecodeError::InvalidBase64)
        );
        assert!(decode_payload(&[0xff]).is_err());
    }

    #[test]
    fn decodes_payload() {
        let body = b"4hello\x1ebAQIDBA==\x1e3\x1e1";
        let packets: Vec<_> = decode_payload(body)
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap();
        assert_eq!(
            packets,
            vec![
                PayloadPacket::Text(Packet::Message("hello")),
                PayloadPacket::Binary(Bytes::from_static(&[1, 2, 3, 4])),
                PayloadPacket::Text(Packet::Pong("")),
                PayloadPacket::Text(Packet::Close),
            ]
        );
        let empty: Vec<_> = decode_payload(b"").unwrap().collect();
        assert_eq!(empty, vec![Err(DecodeError::Empty)]);
    }

    #[test]
    fn encodes_payload_byte_exact() {
        let frames = [
            PayloadFrame::Text(b"4test1"),
            PayloadFrame::Text(b"4test2"),
            PayloadFrame::Binary(&[1, 2, 3, 4]),
            PayloadFrame::Binary(&[]),
        ];
        assert_eq!(
            encode_payload(frames.iter().copied()),
            b"4test1\x1e4test2\x1ebAQIDBA==\x1eb"
        );
        assert_eq!(
            encode_payload([PayloadFrame::Text(b"2")].iter().copied()),
            b"2"
        );
        assert_eq!(encode_payload([].iter().copied()), b"");
    }

    #[test]
    fn open_packet_byte_exact() {
        let h = OpenPacket {
            sid: "abc_-1",
            upgrades: &["websocket"],
            ping_interval_ms: 300,
            ping_timeout_ms: 200,
            max_payload: 1_000_000,
        };
        assert_eq!(
            h.encode(),
            r#"0{"sid":"abc_-1","upgrades":["websocket"],"pingInterval":300,"pingTimeout":200,"maxPayload":1000000}"#
        );
        let h = OpenPacket { upgrades: &[], ..h };
        assert_eq!(
            h.encode(),
            r#"0{"sid":"abc_-1","upgrades":[],"pingInterval":300,"pingTimeout":200,"maxPayload":1000000}"#
        );
    }

    mod prop {
        use super::super::*;
        use proptest::prelude::*;

        proptest! {
            #[test]
            fn never_panics(body in proptest::collection::vec(any::<u8>(), 0..256)) {
                if let Ok(it) = decode_payload(&body) {
                    for p in it { let _ = p; }
                }
                if let Ok(s) = std::str::from_utf8(&body) {
                    let _ = decode_text(s);
                }
            }

            #[test]
            fn binary_round_trips(data in proptest::collection::vec(any::<u8>(), 0..64)) {
                let enc = encode_payload([PayloadFrame::Binary(&data)].iter().copied());
                let dec: Vec<_> = decode_payload(&enc).unwrap().collect();
                prop_assert_eq!(dec, vec![Ok(PayloadPacket::Binary(Bytes::from(data)))]);
            }
        }
    }
}
