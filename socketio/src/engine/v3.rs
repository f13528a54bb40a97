//! Engine.IO v3 sessions ([`EngineConfig::allow_eio3`](super::EngineConfig::allow_eio3)): what
//! the transports do differently for them. The protocol is fixed at the handshake and stored
//! on the session, so a transport branches once per request or frame, never per byte; a v4
//! session never runs anything in this file.

use bytes::Bytes;

use super::core::EngineInner;
use super::session::PollAnswer;
use super::{Frame, Protocol};
use crate::proto::eio::{PayloadFrame, PayloadPacket};
use crate::proto::eio3::{self, Eio3Error, Framing};

/// The open packet of a new session in `protocol`.
pub(crate) fn open_packet<H: super::EngineHandler>(
    engine: &EngineInner<H>,
    sid: &str,
    upgrades: &[&str],
    protocol: Protocol,
) -> String {
    match protocol {
        Protocol::V4 => super::core::open_packet(engine, sid, upgrades),
        Protocol::V3 => {
            let c = &engine.config;
            eio3::open_packet(
                sid,
                upgrades,
                u64::try_from(c.ping_interval.as_millis()).unwrap_or(u64::MAX),
                u64::try_from(c.ping_timeout.as_millis()).unwrap_or(u64::MAX),
            )
        }
    }
}

/// The body of the polling handshake answer: v3 frames the open packet as a payload.
pub(crate) fn handshake_body(open: String, protocol: Protocol) -> String {
    match protocol {
        Protocol::V4 => open,
        Protocol::V3 => eio3::frame_text(&open),
    }
}

/// The body of a poll answered without queued frames.
pub(crate) fn poll_answer(answer: PollAnswer) -> &'static str {
    match answer {
        PollAnswer::Noop => "1:6",
        PollAnswer::Close => "1:1",
        PollAnswer::Error => "",
    }
}

/// The content type of a text-framed poll answer.
pub(crate) const TEXT: &str = "text/plain; charset=UTF-8";
/// The content type of a binary-framed poll answer or POST body.
pub(crate) const BINARY: &str = "application/octet-stream";

/// A poll answer carrying `frames`: binary framing when one of them is binary and the
/// client did not ask for base64 (`b64`), text framing otherwise; with its content type.
pub(crate) fn encode_poll(frames: &[Frame], b64: bool) -> (Vec<u8>, &'static str) {
    let binary = !b64 && frames.iter().any(|f| matches!(f, Frame::Binary(_)));
    let (framing, content_type) = if binary {
        (Framing::Binary, BINARY)
    } else {
        (Framing::Text, TEXT)
    };
    let payload = eio3::encode_payload(
        framing,
        frames.iter().map(|f| match f {
            Frame::Text(t) => PayloadFrame::Text(t),
            Frame::Binary(b) => PayloadFrame::Binary(b),
        }),
    );
    (payload, content_type)
}

/// The packets of a POST body: binary framing when its content type says
/// `application/octet-stream`, text framing otherwise.
pub(crate) fn decode_post(body: &Bytes, binary: bool) -> Result<Vec<PayloadPacket<'_>>, Eio3Error> {
    if binary {
        return eio3::decode_binary_payload(body).collect();
    }
    let text = std::str::from_utf8(body)
        .map_err(|_| Eio3Error::Packet(crate::proto::eio::DecodeError::InvalidUtf8))?;
    eio3::decode_text_payload(text).collect()
}
