//! Engine.IO v3 polling payloads (sans-IO), for the clients of
//! [`EngineConfig::allow_eio3`](crate::engine::EngineConfig::allow_eio3) (socket.io-client 2.x).
//!
//! Packets are those of v4 ([`eio::Packet`]); only the payload framing differs:
//!
//! * **text** (`text/plain`): every packet is `<length>:<packet>`, the length counted in UTF-16
//!   code units as JavaScript counts a string; a binary message is `b4<base64>`.
//! * **binary** (`application/octet-stream`): every packet is a kind byte (`0` text, `1`
//!   binary), the decimal digits of its length as bytes `0..=9`, the byte `255`, then the
//!   packet: a text packet as UTF-8 (length in bytes), a binary message as the type byte `4`
//!   followed by the data (the length counts the type byte).
//!
//! The decoders are lazy iterators that borrow the body; no function panics on input from a
//! peer, and a length is at most [`MAX_LENGTH_DIGITS`] digits.
//!
//! ```
//! use socketio::proto::eio::{Packet, PayloadPacket};
//! use socketio::proto::eio3::{decode_text_payload, encode_payload, Framing};
//! use socketio::proto::eio::PayloadFrame;
//!
//! let packets: Vec<_> = decode_text_payload("1:22:4€").collect();
//! assert_eq!(packets, [Ok(PayloadPacket::Text(Packet::Ping(""))), Ok(PayloadPacket::Text(Packet::Message("€")))]);
//!
//! let frames = [PayloadFrame::Text(b"40"), PayloadFrame::Binary(&[1, 2])];
//! assert_eq!(encode_payload(Framing::Text, frames.iter().copied()), b"2:406:b4AQI=");
//! ```

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use bytes::Bytes;

use super::eio::{self, Packet, PayloadFrame, PayloadPacket};

/// The most decimal digits a packet length may have (a length below 10^10 bytes, far above
/// any `max_payload`); a longer length is [`Eio3Error::BadLength`].
pub const MAX_LENGTH_DIGITS: usize = 10;

/// Why a v3 payload could not be decoded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Eio3Error {
    /// An empty payload (the reference parser rejects it too).
    Empty,
    /// A length that is missing, not decimal digits, or longer than [`MAX_LENGTH_DIGITS`].
    BadLength,
    /// A length that runs past the end of the payload, or ends inside a character.
    Truncated,
    /// A binary-framed packet whose kind byte is neither `0` nor `1`.
    BadKind(u8),
    /// A binary message whose type is not `4` (message).
    BadBinaryType,
    /// A packet that does not decode.
    Packet(eio::DecodeError),
}

impl std::fmt::Display for Eio3Error {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Empty => f.write_str("empty payload"),
            Self::BadLength => f.write_str("invalid packet length"),
            Self::Truncated => f.write_str("packet length runs past the payload"),
            Self::BadKind(b) => write!(f, "invalid binary payload packet kind {b}"),
            Self::BadBinaryType => f.write_str("binary packet that is not a message"),
            Self::Packet(e) => e.fmt(f),
        }
    }
}

impl std::error::Error for Eio3Error {}

/// The framing of a payload: which one a poll answer uses, or which one a POST body has.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Framing {
    /// `<length>:<packet>` text framing (binary messages in base64).
    Text,
    /// The binary framing (`application/octet-stream`).
    Binary,
}

fn decode_b64(s: &str) -> Result<PayloadPacket<'_>, Eio3Error> {
    // `b` then the type digit; only messages carry binary data.
    let rest = s.strip_prefix("b4").ok_or(Eio3Error::BadBinaryType)?;
    STANDARD
        .decode(rest)
        .map(|v| PayloadPacket::Binary(Bytes::from(v)))
        .map_err(|_| Eio3Error::Packet(eio::DecodeError::InvalidBase64))
}

fn decode_one_text(s: &str) -> Result<PayloadPacket<'_>, Eio3Error> {
    if s.starts_with('b') {
        return decode_b64(s);
    }
    eio::decode_text(s)
        .map(PayloadPacket::Text)
        .map_err(Eio3Error::Packet)
}

/// The packets of a text-framed payload, decoded lazily. After the first error the iterator
/// ends.
pub fn decode_text_payload(body: &str) -> TextPayload<'_> {
    TextPayload {
        rest: body,
        started: false,
        failed: false,
    }
}

/// Iterator returned by [`decode_text_payload`].
#[derive(Debug, Clone)]
pub struct TextPayload<'a> {
    rest: &'a str,
    started: bool,
    failed: bool,
}

/// Parse `digits` (ASCII `0-9`, 1 to [`MAX_LENGTH_DIGITS`] of them) as a length.
fn parse_len(digits: impl ExactSizeIterator<Item = u8>) -> Result<usize, Eio3Error> {
    if digits.len() == 0 || digits.len() > MAX_LENGTH_DIGITS {
        return Err(Eio3Error::BadLength);
    }
    let mut n: usize = 0;
    for d in digits {
        if d > 9 {
            return Err(Eio3Error::BadLength);
        }
        n = n
            .checked_mul(10)
            .and_then(|n| n.checked_add(usize::from(d)))
            .ok_or(Eio3Error::BadLength)?;
    }
    Ok(n)
}

/// The byte index in `s` after `units` UTF-16 code units, if it is a char boundary in `s`.
fn utf16_prefix(s: &str, units: usize) -> Option<usize> {
    let mut counted = 0;
    for (i, c) in s.char_indices() {
        if counted == units {
            return Some(i);
        }
        counted += c.len_utf16();
        if counted > units {
            return None;
        }
    }
    (counted == units).then_some(s.len())
}

impl<'a> TextPayload<'a> {
    fn next_packet(&mut self) -> Result<PayloadPacket<'a>, Eio3Error> {
        let colon = self.rest.find(':').ok_or(Eio3Error::BadLength)?;
        let (digits, after) = self.rest.split_at(colon);
        let units = parse_len(digits.bytes().map(|b| b.wrapping_sub(b'0')))?;
        let after = after.get(1..).unwrap_or("");
        let end = utf16_prefix(after, units).ok_or(Eio3Error::Truncated)?;
        let (packet, rest) = after.split_at(end);
        self.rest = rest;
        decode_one_text(packet)
    }
}

impl<'a> Iterator for TextPayload<'a> {
    type Item = Result<PayloadPacket<'a>, Eio3Error>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.failed {
            return None;
        }
        if self.rest.is_empty() {
            if self.started {
                return None;
            }
            self.failed = true;
            return Some(Err(Eio3Error::Empty));
        }
        self.started = true;
        let r = self.next_packet();
        self.failed = r.is_err();
        Some(r)
    }
}

/// The packets of a binary-framed payload, decoded lazily; binary messages are slices of
/// `body` (no copy). After the first error the iterator ends.
pub fn decode_binary_payload(body: &Bytes) -> BinaryPayload<'_> {
    BinaryPayload {
        body,
        pos: 0,
        failed: false,
    }
}

/// Iterator returned by [`decode_binary_payload`].
#[derive(Debug, Clone)]
pub struct BinaryPayload<'a> {
    body: &'a Bytes,
    pos: usize,
    failed: bool,
}

impl<'a> BinaryPayload<'a> {
    fn next_packet(&mut self) -> Result<PayloadPacket<'a>, Eio3Error> {
        let body: &'a [u8] = self.body;
        let rest = body.get(self.pos..).unwrap_or(&[]);
        let (&kind, rest) = rest.split_first().ok_or(Eio3Error::Empty)?;
        let end = rest
            .iter()
            .take(MAX_LENGTH_DIGITS + 1)
            .position(|&b| b == 255)
            .ok_or(Eio3Error::BadLength)?;
        let digits = rest.get(..end).ok_or(Eio3Error::BadLength)?;
        let len = parse_len(digits.iter().copied())?;
        let start = self.pos + 1 + end + 1;
        let stop = start.checked_add(len).ok_or(Eio3Error::Truncated)?;
        let packet = body.get(start..stop).ok_or(Eio3Error::Truncated)?;
        self.pos = stop;
        match kind {
            0 => {
                let s = std::str::from_utf8(packet)
                    .map_err(|_| Eio3Error::Packet(eio::DecodeError::InvalidUtf8))?;
                decode_one_text(s)
            }
            1 => match packet.first() {
                Some(4) => Ok(PayloadPacket::Binary(self.body.slice(start + 1..stop))),
                _ => Err(Eio3Error::BadBinaryType),
            },
            k => Err(Eio3Error::BadKind(k)),
        }
    }
}

impl<'a> Iterator for BinaryPayload<'a> {
    type Item = Result<PayloadPacket<'a>, Eio3Error>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.failed || (self.pos > 0 && self.pos >= self.body.len()) {
            return None;
        }
        let r = self.next_packet();
        self.failed = r.is_err();
        Some(r)
    }
}

/// A packet as its Engine.IO v3 WebSocket message: binary messages are sent, and received,
/// with the type byte `4` in front.
pub fn ws_binary(data: &[u8]) -> Bytes {
    let mut out = Vec::with_capacity(data.len() + 1);
    out.push(4);
    out.extend_from_slice(data);
    Bytes::from(out)
}

/// The data of a v3 binary WebSocket message (type byte `4` first), or `None` when it is
/// not a message.
pub fn ws_binary_data(msg: &Bytes) -> Option<Bytes> {
    (msg.first() == Some(&4)).then(|| msg.slice(1..))
}

fn push_digits(out: &mut Vec<u8>, n: usize, ascii: bool) {
    let mut buf = [0u8; 20];
    let mut i = buf.len();
    let mut n = n;
    loop {
        i -= 1;
        if let Some(d) = buf.get_mut(i) {
            // `n % 10 < 10`: the cast cannot truncate.
            *d = (n % 10) as u8 + if ascii { b'0' } else { 0 };
        }
        n /= 10;
        if n == 0 || i == 0 {
            break;
        }
    }
    out.extend_from_slice(buf.get(i..).unwrap_or(&[]));
}

fn push_base64(out: &mut Vec<u8>, b: &[u8]) {
    let start = out.len();
    out.resize(start + base64::encoded_len(b.len(), true).unwrap_or(0), 0);
    if let Some(dst) = out.get_mut(start..) {
        // The destination was sized with `encoded_len`, so this cannot fail.
        let _ = STANDARD.encode_slice(b, dst);
    }
}

/// Encode frames into one v3 payload with the given framing. Text frames must be UTF-8 (as
/// [`crate::engine::Frame::Text`] always is); one that is not counts its bytes as its length.
pub fn encode_payload<'a>(
    framing: Framing,
    frames: impl Iterator<Item = PayloadFrame<'a>> + Clone,
) -> Vec<u8> {
    let len: usize = frames
        .clone()
        .map(|f| match f {
            PayloadFrame::Text(t) => t.len() + 12,
            PayloadFrame::Binary(b) => base64::encoded_len(b.len(), true).unwrap_or(0) + 14,
        })
        .sum();
    let mut out = Vec::with_capacity(len);
    for f in frames {
        match (framing, f) {
            (Framing::Text, PayloadFrame::Text(t)) => {
                let units = std::str::from_utf8(t)
                    .map(|s| s.encode_utf16().count())
                    .unwrap_or(t.len());
                push_digits(&mut out, units, true);
                out.push(b':');
                out.extend_from_slice(t);
            }
            (Framing::Text, PayloadFrame::Binary(b)) => {
                let n = 2 + base64::encoded_len(b.len(), true).unwrap_or(0);
                push_digits(&mut out, n, true);
                out.extend_from_slice(b":b4");
                push_base64(&mut out, b);
            }
            (Framing::Binary, PayloadFrame::Text(t)) => {
                out.push(0);
                push_digits(&mut out, t.len(), false);
                out.push(255);
                out.extend_from_slice(t);
            }
            (Framing::Binary, PayloadFrame::Binary(b)) => {
                out.push(1);
                push_digits(&mut out, b.len() + 1, false);
                out.push(255);
                out.push(4);
                out.extend_from_slice(b);
            }
        }
    }
    out
}

/// One text packet alone as a text-framed payload (`6` is `1:6`), as a poll answers `noop`
/// or `close`, or the handshake answers with the open packet.
pub fn frame_text(packet: &str) -> String {
    format!("{}:{packet}", packet.encode_utf16().count())
}

/// The v3 `open` packet: `0{"sid":…,"upgrades":[…],"pingInterval":…,"pingTimeout":…}` (no
/// `maxPayload`, which v3 clients do not know).
pub fn open_packet(
    sid: &str,
    upgrades: &[&str],
    ping_interval_ms: u64,
    ping_timeout_ms: u64,
) -> String {
    let str_json = |s: &str| serde_json::to_string(s).unwrap_or_else(|_| "\"\"".into());
    let upgrades: Vec<String> = upgrades.iter().map(|u| str_json(u)).collect();
    format!(
        "0{{\"sid\":{},\"upgrades\":[{}],\"pingInterval\":{ping_interval_ms},\"pingTimeout\":{ping_timeout_ms}}}",
        str_json(sid),
        upgrades.join(","),
    )
}

/// Whether a text packet is one the v3 heartbeat answers: a client ping `2[data]` gets the
/// pong `3[data]`.
pub fn pong_for(packet: &Packet<'_>) -> Option<String> {
    match packet {
        Packet::Ping(data) => Some(format!("3{data}")),
        _ => None,
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn text(body: &str) -> Vec<Result<PayloadPacket<'_>, Eio3Error>> {
        decode_text_payload(body).collect()
    }

    fn binary(b: &Bytes) -> Vec<Result<PayloadPacket<'_>, Eio3Error>> {
        decode_binary_payload(b).collect()
    }

    fn bs(b: &[u8]) -> Bytes {
        Bytes::copy_from_slice(b)
    }

    #[test]
    fn text_payload_lengths_are_utf16_units() {
        // "€" is one UTF-16 unit (3 UTF-8 bytes); "😀" is two units (4 bytes).
        assert_eq!(
            text("2:4€3:4😀1:6"),
            [
                Ok(PayloadPacket::Text(Packet::Message("€"))),
                Ok(PayloadPacket::Text(Packet::Message("😀"))),
                Ok(PayloadPacket::Text(Packet::Noop)),
            ]
        );
        // A length that ends inside a surrogate pair.
        assert_eq!(text("2:4😀"), [Err(Eio3Error::Truncated)]);
        assert_eq!(text("4:4€"), [Err(Eio3Error::Truncated)]);
    }

    #[test]
    fn text_payload_errors() {
        assert_eq!(text(""), [Err(Eio3Error::Empty)]);
        assert_eq!(text("4"), [Err(Eio3Error::BadLength)]);
        assert_eq!(text(":4"), [Err(Eio3Error::BadLength)]);
        assert_eq!(text("x:4"), [Err(Eio3Error::BadLength)]);
        assert_eq!(text("-1:4"), [Err(Eio3Error::BadLength)]);
        assert_eq!(text("12345678901:4"), [Err(Eio3Error::BadLength)]);
        assert_eq!(
            text("1:9"),
            [Err(Eio3Error::Packet(eio::DecodeError::UnknownType(b'9')))]
        );
        assert_eq!(
            text("0:"),
            [Err(Eio3Error::Packet(eio::DecodeError::Empty))]
        );
        // The iterator stops at the first error.
        assert_eq!(
            text("1:61:x1:6"),
            [
                Ok(PayloadPacket::Text(Packet::Noop)),
                Err(Eio3Error::Packet(eio::DecodeError::UnknownType(b'x')))
            ]
        );
        assert_eq!(text("3:b3A"), [Err(Eio3Error::BadBinaryType)]);
    }

    #[test]
    fn text_payload_base64_binary() {
        assert_eq!(
            text("10:b4AQIDBA==1:2"),
            [
                Ok(PayloadPacket::Binary(Bytes::from_static(&[1, 2, 3, 4]))),
                Ok(PayloadPacket::Text(Packet::Ping(""))),
            ]
        );
    }

    #[test]
    fn binary_payload_as_the_reference_parser_writes_it() {
        // encodePayloadAsBinary([{message "hi €"}, {message <01 02 03>}]) from
        // engine.io-parser 2.2: the string length is its UTF-8 byte count.
        let body = [
            0, 7, 255, b'4', b'h', b'i', b' ', 0xe2, 0x82, 0xac, 1, 4, 255, 4, 1, 2, 3,
        ];
        assert_eq!(
            binary(&bs(&body)),
            [
                Ok(PayloadPacket::Text(Packet::Message("hi €"))),
                Ok(PayloadPacket::Binary(Bytes::from_static(&[1, 2, 3]))),
            ]
        );
        let frames = [
            PayloadFrame::Text("4hi €".as_bytes()),
            PayloadFrame::Binary(&[1, 2, 3]),
        ];
        assert_eq!(
            encode_payload(Framing::Binary, frames.iter().copied()),
            body
        );
    }

    #[test]
    fn binary_payload_errors() {
        assert_eq!(binary(&bs(&[])), [Err(Eio3Error::Empty)]);
        assert_eq!(
            binary(&bs(&[2, 1, 255, b'6'])),
            [Err(Eio3Error::BadKind(2))]
        );
        assert_eq!(binary(&bs(&[0, 1, 2])), [Err(Eio3Error::BadLength)]);
        assert_eq!(binary(&bs(&[0, 255, b'6'])), [Err(Eio3Error::BadLength)]);
        assert_eq!(
            binary(&bs(&[0, 10, 255, b'6'])),
            [Err(Eio3Error::BadLength)]
        );
        assert_eq!(binary(&bs(&[0, 2, 255, b'6'])), [Err(Eio3Error::Truncated)]);
        assert_eq!(
            binary(&bs(&[1, 1, 255, 3])),
            [Err(Eio3Error::BadBinaryType)]
        );
        assert_eq!(binary(&bs(&[1, 0, 255])), [Err(Eio3Error::BadBinaryType)]);
        let mut long = vec![0];
        long.extend([9; MAX_LENGTH_DIGITS + 1]);
        long.push(255);
        assert_eq!(binary(&bs(&long)), [Err(Eio3Error::BadLength)]);
        assert_eq!(
            binary(&bs(&[0, 1, 255, 0xff])),
            [Err(Eio3Error::Packet(eio::DecodeError::InvalidUtf8))]
        );
    }

    #[test]
    fn text_encoding_byte_exact() {
        let frames = [
            PayloadFrame::Text(b"0{\"sid\":\"x\"}"),
            PayloadFrame::Text("42[\"a\",\"😀\"]".as_bytes()),
            PayloadFrame::Binary(&[1, 2, 3, 4]),
            PayloadFrame::Binary(&[]),
        ];
        assert_eq!(
            encode_payload(Framing::Text, frames.iter().copied()),
            "12:0{\"sid\":\"x\"}12:42[\"a\",\"😀\"]10:b4AQIDBA==2:b4".as_bytes()
        );
        assert_eq!(frame_text("6"), "1:6");
        assert_eq!(
            encode_payload(
                Framing::Binary,
                [PayloadFrame::Text(&[b'4'; 12])].iter().copied()
            )
            .get(..4),
            Some(&[0, 1, 2, 255][..])
        );
    }

    #[test]
    fn open_packet_has_no_max_payload() {
        assert_eq!(
            open_packet("abc", &["websocket"], 25000, 20000),
            r#"0{"sid":"abc","upgrades":["websocket"],"pingInterval":25000,"pingTimeout":20000}"#
        );
    }

    #[test]
    fn websocket_binary_has_the_type_byte() {
        let m = ws_binary(&[9, 8]);
        assert_eq!(&m[..], &[4, 9, 8]);
        assert_eq!(ws_binary_data(&m), Some(Bytes::from_static(&[9, 8])));
        assert_eq!(ws_binary_data(&Bytes::from_static(&[3, 1])), None);
        assert_eq!(ws_binary_data(&Bytes::new()), None);
        assert_eq!(pong_for(&Packet::Ping("probe")).as_deref(), Some("3probe"));
        assert_eq!(pong_for(&Packet::Noop), None);
    }

    mod prop {
        use super::super::*;
        use proptest::prelude::*;

        proptest! {
            #[test]
            fn never_panics(body in proptest::collection::vec(any::<u8>(), 0..256)) {
                let b = Bytes::from(body);
                for p in decode_binary_payload(&b) { let _ = p; }
                if let Ok(s) = std::str::from_utf8(&b) {
                    for p in decode_text_payload(s) { let _ = p; }
                }
            }

            #[test]
            fn round_trips(texts in proptest::collection::vec("4\\PC{0,8}", 1..4),
                           data in proptest::collection::vec(any::<u8>(), 0..32)) {
                let mut frames: Vec<PayloadFrame<'_>> =
                    texts.iter().map(|t| PayloadFrame::Text(t.as_bytes())).collect();
                frames.push(PayloadFrame::Binary(&data));
                let want: Vec<PayloadPacket<'_>> = texts
                    .iter()
                    .map(|t| PayloadPacket::Text(Packet::Message(t.get(1..).unwrap_or(""))))
                    .chain([PayloadPacket::Binary(Bytes::from(data.clone()))])
                    .collect();
                let enc = encode_payload(Framing::Text, frames.iter().copied());
                let s = std::str::from_utf8(&enc).unwrap();
                let dec: Result<Vec<_>, _> = decode_text_payload(s).collect();
                prop_assert_eq!(dec.unwrap(), want.clone());
                let enc = Bytes::from(encode_payload(Framing::Binary, frames.iter().copied()));
                let dec: Result<Vec<_>, _> = decode_binary_payload(&enc).collect();
                prop_assert_eq!(dec.unwrap(), want);
            }
        }
    }
}
