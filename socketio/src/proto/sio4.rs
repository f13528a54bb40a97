//! The Socket.IO protocol v4 packets that differ from v5, for the clients of
//! [`EngineConfig::allow_eio3`](crate::engine::EngineConfig::allow_eio3) (socket.io-client
//! 2.x). Events, acks, binary events and acks with their placeholders, and DISCONNECT are
//! the same in both revisions ([`sio`](super::sio)); CONNECT and CONNECT_ERROR are not:
//!
//! * the client's CONNECT has no auth payload; it may carry the handshake query in the
//!   namespace (`0/chat?token=x,`), which the server strips;
//! * the server's CONNECT answer has no `{"sid":…}` (`40`, `40/chat,`);
//! * CONNECT_ERROR (type `4`, ERROR in v4) carries the error's data, or its message as a JSON
//!   string when it has none (`44/chat,"unauthorized"`), as Node's server does for v3
//!   clients.
//!
//! ```
//! use socketio::proto::sio4::{encode_connect, encode_connect_error};
//!
//! assert_eq!(&encode_connect("/").text[..], b"40");
//! assert_eq!(&encode_connect("/chat").text[..], b"40/chat,");
//! assert_eq!(&encode_connect_error("/chat", "no", None).text[..], br#"44/chat,"no""#);
//! ```

use bytes::Bytes;

use super::sio::Encoded;

fn push_nsp(buf: &mut Vec<u8>, nsp: &str) {
    if !nsp.is_empty() && nsp != "/" {
        buf.extend_from_slice(nsp.as_bytes());
        buf.push(b',');
    }
}

fn text(buf: Vec<u8>) -> Encoded {
    Encoded {
        text: Bytes::from(buf),
        attachments: Default::default(),
    }
}

/// The CONNECT answer: `40[/nsp,]`.
pub fn encode_connect(nsp: &str) -> Encoded {
    let mut buf = Vec::with_capacity(3 + nsp.len());
    buf.extend_from_slice(b"40");
    push_nsp(&mut buf, nsp);
    text(buf)
}

/// CONNECT_ERROR: `44[/nsp,]<data>` when `data` (JSON text) is given, `44[/nsp,]"<message>"`
/// otherwise.
pub fn encode_connect_error(nsp: &str, message: &str, data: Option<&str>) -> Encoded {
    let mut buf = Vec::with_capacity(8 + nsp.len() + message.len() + data.map_or(0, str::len));
    buf.extend_from_slice(b"44");
    push_nsp(&mut buf, nsp);
    match data {
        Some(d) => buf.extend_from_slice(d.as_bytes()),
        None => match serde_json::to_vec(message) {
            Ok(m) => buf.extend_from_slice(&m),
            Err(_) => buf.extend_from_slice(b"\"\""),
        },
    }
    text(buf)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn byte_exact() {
        assert_eq!(&encode_connect("").text[..], b"40");
        assert_eq!(&encode_connect("/custom").text[..], b"40/custom,");
        assert_eq!(
            &encode_connect_error("/", "Invalid \"ns\"", None).text[..],
            br#"44"Invalid \"ns\"""#
        );
        assert_eq!(
            &encode_connect_error("/chat", "unauthorized", Some(r#"{"reason":"bad token"}"#)).text
                [..],
            br#"44/chat,{"reason":"bad token"}"#
        );
    }
}
