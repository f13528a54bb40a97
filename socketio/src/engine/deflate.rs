//! permessage-deflate (RFC 7692) WebSockets, opt-in with
//! [`EngineConfig::ws_per_message_deflate`](super::EngineConfig::ws_per_message_deflate).
//!
//! tungstenite (axum's WebSocket) has no permessage-deflate, so a connection whose client
//! offers the extension while the option is on is upgraded by `yawc` instead, and its socket
//! is adapted here to the `Stream`/`Sink` of axum messages that the connection loop in
//! `ws.rs` is generic over. Every other connection takes axum's path exactly as before.
//!
//! Bounds: a frame, the fragments of a message and the inflated message are each refused at
//! `max_payload + 1` bytes (yawc's limits are exclusive, and bound the inflated size while
//! inflating, so a small frame that inflates past the limit costs at most the limit), which
//! the loop turns into close code 1009, as for an uncompressed message over the limit.

use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll, ready};

use axum::body::Body;
use axum::extract::FromRequestParts as _;
use axum::extract::ws::{CloseFrame, Message as WsMessage, Utf8Bytes};
use futures_util::{FutureExt as _, Sink, Stream};
use http::header::{HeaderMap, SEC_WEBSOCKET_EXTENSIONS};
use http::{Response, request::Parts};
use yawc::close::CloseCode;
use yawc::{DeflateOptions, Frame, HttpStream, IncomingUpgrade, OpCode, Options};

use super::core::{EngineInner, Session};
use super::metrics::{self, Refusal};
use super::{EngineHandler, Protocol, RequestInfo, admission, ws};

/// Whether the client offers permessage-deflate with parameters this server can accept: an
/// offer asking for a smaller server window (`server_max_window_bits`) is declined (the
/// connection then takes the plain path), since the compressor always uses zlib's default
/// 15-bit window. `client_max_window_bits` only allows the server to ask for a smaller
/// client window, which it never does.
pub(crate) fn offered(headers: &HeaderMap) -> bool {
    headers
        .get_all(SEC_WEBSOCKET_EXTENSIONS)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .any(|offer| {
            let mut params = offer.split(';').map(str::trim);
            params
                .next()
                .is_some_and(|name| name.eq_ignore_ascii_case("permessage-deflate"))
                && params.all(|p| {
                    let name = p.split('=').next().unwrap_or("").trim();
                    !name.eq_ignore_ascii_case("server_max_window_bits")
                })
        })
}

/// Upgrade to a deflate WebSocket: the same admission and upgrade rules as the plain path in
/// `request.rs`. `Err` if the request is no valid WebSocket upgrade (HTTP 400 there).
pub(crate) fn websocket<H: EngineHandler>(
    engine: &Arc<EngineInner<H>>,
    mut parts: Parts,
    session: Option<Arc<Session<H>>>,
    threshold: usize,
    protocol: Protocol,
    request: impl FnOnce(&mut Parts) -> RequestInfo,
) -> Result<Response<Body>, ()> {
    let upgrade = IncomingUpgrade::from_request_parts(&mut parts, &())
        .now_or_never()
        .and_then(Result::ok)
        .ok_or(())?;
    let config = &engine.config;
    let limit = config.max_payload.saturating_add(1);
    let options = Options {
        compression: Some(DeflateOptions {
            compression_threshold: threshold,
            ..DeflateOptions::default()
        }),
        read_buffer_capacity: Some(config.ws_read_buffer),
        write_buffer_capacity: Some(config.ws_write_buffer),
        max_backpressure_write_boundary: Some(config.ws_write_buffer),
        ..Options::default()
    }
    .with_limits(limit, limit);
    let engine = Arc::clone(engine);
    match session {
        None => {
            let Some(permit) = admission::admit(&engine.admission, config, &parts) else {
                metrics::handshake_refused(Refusal::MaxConnections);
                return Ok(admission::forbidden());
            };
            let request = request(&mut parts);
            let (resp, fut) = upgrade.upgrade(options).map_err(drop)?;
            tokio::spawn(async move {
                if let Ok(socket) = fut.await {
                    ws::run_fresh(engine, DeflateSocket::new(socket), request, protocol).await;
                }
                drop(permit);
            });
            Ok(resp.map(|_| Body::empty()))
        }
        Some(session) => {
            let (resp, fut) = upgrade.upgrade(options).map_err(drop)?;
            // Like the reference server, a WebSocket that may not upgrade this session
            // (already upgraded or upgrading, upgrades off) is accepted, then closed.
            let accepted = session
                .conn
                .state()
                .on_upgrade_request(config.allow_upgrades, session.conn.transport());
            if !accepted {
                let limit = config.upgrade_timeout;
                tokio::spawn(async move {
                    if let Ok(socket) = fut.await {
                        ws::refuse(DeflateSocket::new(socket), limit).await;
                    }
                });
            } else {
                tokio::spawn(async move {
                    match fut.await {
                        Ok(socket) => {
                            ws::run_upgrade(engine, session, DeflateSocket::new(socket)).await;
                        }
                        Err(_) => session.conn.state().on_upgrade_cancelled(),
                    }
                });
            }
            Ok(resp.map(|_| Body::empty()))
        }
    }
}

/// A yawc WebSocket as a `Stream`/`Sink` of axum messages, with axum's error for the loop.
pub(crate) struct DeflateSocket {
    inner: yawc::WebSocket<HttpStream>,
    /// The stream ended (an error or a close): yawc's stream must not be polled again.
    done: bool,
}

impl DeflateSocket {
    fn new(inner: yawc::WebSocket<HttpStream>) -> Self {
        Self { inner, done: false }
    }
}

/// A message over `max_payload` reads as tungstenite's capacity error, the one the loop
/// answers with close code 1009.
fn too_big() -> axum::Error {
    axum::Error::new(tungstenite::Error::Capacity(
        tungstenite::error::CapacityError::MessageTooLong {
            size: 0,
            max_size: 0,
        },
    ))
}

fn from_frame(frame: Frame) -> Result<WsMessage, axum::Error> {
    let (opcode, _fin, payload) = frame.into_parts();
    Ok(match opcode {
        OpCode::Text => WsMessage::Text(Utf8Bytes::try_from(payload).map_err(axum::Error::new)?),
        OpCode::Binary => WsMessage::Binary(payload),
        OpCode::Ping => WsMessage::Ping(payload),
        OpCode::Pong => WsMessage::Pong(payload),
        OpCode::Close => WsMessage::Close(close_frame(&payload)),
        // yawc assembles fragments: a continuation never reaches here.
        OpCode::Continuation => {
            return Err(axum::Error::new(yawc::WebSocketError::InvalidFragment));
        }
    })
}

fn close_frame(payload: &[u8]) -> Option<CloseFrame> {
    let (code, reason) = payload.split_first_chunk::<2>()?;
    Some(CloseFrame {
        code: u16::from_be_bytes(*code),
        reason: std::str::from_utf8(reason)
            .map(Utf8Bytes::from)
            .unwrap_or_default(),
    })
}

fn to_frame(msg: WsMessage) -> Frame {
    match msg {
        WsMessage::Text(t) => Frame::text(bytes::Bytes::from(t)),
        WsMessage::Binary(b) => Frame::binary(b),
        WsMessage::Ping(b) => Frame::ping(b),
        WsMessage::Pong(b) => Frame::pong(b),
        WsMessage::Close(Some(c)) => Frame::close(CloseCode::from(c.code), c.reason.as_bytes()),
        WsMessage::Close(None) => Frame::close(CloseCode::Normal, b""),
    }
}

impl Stream for DeflateSocket {
    type Item = Result<WsMessage, axum::Error>;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let this = self.get_mut();
        if this.done {
            return Poll::Ready(None);
        }
        match ready!(this.inner.poll_next_frame(cx)) {
            Ok(frame) => {
                let msg = from_frame(frame);
                this.done = matches!(msg, Err(_) | Ok(WsMessage::Close(_)));
                Poll::Ready(Some(msg))
            }
            Err(e) => {
                this.done = true;
                Poll::Ready(Some(Err(match e {
                    yawc::WebSocketError::FrameTooLarge => too_big(),
                    e => axum::Error::new(e),
                })))
            }
        }
    }
}

impl Sink<WsMessage> for DeflateSocket {
    type Error = axum::Error;

    fn poll_ready(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        Pin::new(&mut self.get_mut().inner)
            .poll_ready(cx)
            .map_err(axum::Error::new)
    }

    fn start_send(self: Pin<&mut Self>, item: WsMessage) -> Result<(), Self::Error> {
        Pin::new(&mut self.get_mut().inner)
            .start_send(to_frame(item))
            .map_err(axum::Error::new)
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        Pin::new(&mut self.get_mut().inner)
            .poll_flush(cx)
            .map_err(axum::Error::new)
    }

    fn poll_close(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        Pin::new(&mut self.get_mut().inner)
            .poll_close(cx)
            .map_err(axum::Error::new)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(values: &[&str]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for v in values {
            h.append(
                SEC_WEBSOCKET_EXTENSIONS,
                http::HeaderValue::from_str(v).unwrap_or_else(|_| unreachable!()),
            );
        }
        h
    }

    #[test]
    fn offers_are_read_like_rfc_7692() {
        assert!(offered(&headers(&[
            "permessage-deflate; client_max_window_bits"
        ])));
        assert!(offered(&headers(&["x-foo, Permessage-Deflate"])));
        assert!(offered(&headers(&["x-foo", "permessage-deflate"])));
        assert!(!offered(&headers(&[])));
        assert!(!offered(&headers(&["x-webkit-deflate-frame"])));
        // A smaller server window cannot be honoured: declined.
        assert!(!offered(&headers(&[
            "permessage-deflate; server_max_window_bits=10"
        ])));
        // ... but a later acceptable offer in the list is taken.
        assert!(offered(&headers(&[
            "permessage-deflate; server_max_window_bits=10, permessage-deflate"
        ])));
    }

    #[test]
    fn close_payloads_convert() {
        assert!(close_frame(b"").is_none());
        assert!(close_frame(b"\x03").is_none());
        let c = close_frame(b"\x03\xf1bye").unwrap_or_else(|| unreachable!());
        assert_eq!((c.code, c.reason.as_str()), (1009, "bye"));
    }
}
