//! The HTTP side of the engine: request validation with the reference server's error
//! contract, polling GET/POST, handshakes, cookies and compression.

use std::collections::VecDeque;
use std::io::Write as _;
use std::net::SocketAddr;
use std::sync::Arc;

use axum::body::Body;
use axum::extract::ws::WebSocketUpgrade;
use axum::extract::{ConnectInfo, FromRequestParts, Request};
use bytes::Bytes;
use http::header::{self, HeaderMap, HeaderValue};
use http::{Method, Response, StatusCode};
use http_body_util::{BodyExt, LengthLimitError, Limited};

use super::core::{EngineInner, Session, drive_polling};
use super::{
    CloseReason, Engine, EngineConn, EngineHandler, Frame, Message, PollAnswer, RequestInfo,
    Transport, UpgradeState, admission, cors, form_pairs, lock, ws,
};
use crate::proto::eio::{self, Handshake, Packet, PayloadFrame, PayloadPacket};
use futures_util::FutureExt as _;

/// The reference server's error codes (`{"code":n,"message":…}`, status 400).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum EioError {
    UnknownTransport = 0,
    UnknownSid = 1,
    BadHandshakeMethod = 2,
    BadRequest = 3,
    UnsupportedProtocolVersion = 5,
}

impl EioError {
    fn message(self) -> &'static str {
        match self {
            Self::UnknownTransport => "Transport unknown",
            Self::UnknownSid => "Session ID unknown",
            Self::BadHandshakeMethod => "Bad handshake method",
            Self::BadRequest => "Bad request",
            Self::UnsupportedProtocolVersion => "Unsupported protocol version",
        }
    }

    fn response(self) -> Response<Body> {
        let body = format!(
            "{{\"code\":{},\"message\":\"{}\"}}",
            self as u8,
            self.message()
        );
        response(
            StatusCode::BAD_REQUEST,
            "application/json",
            Body::from(body),
        )
    }
}

fn response(status: StatusCode, content_type: &'static str, body: Body) -> Response<Body> {
    let mut resp = Response::new(body);
    *resp.status_mut() = status;
    resp.headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    resp
}

fn text(body: impl Into<Body>) -> Response<Body> {
    response(StatusCode::OK, "text/plain; charset=UTF-8", body.into())
}

#[derive(Default)]
struct Query {
    eio: Option<String>,
    transport: Option<String>,
    sid: Option<String>,
}

impl Query {
    fn parse(q: Option<&str>) -> Self {
        let mut out = Self::default();
        for (k, v) in q.map(form_pairs).into_iter().flatten() {
            match k.as_str() {
                "EIO" => out.eio = Some(v),
                "transport" => out.transport = Some(v),
                "sid" => out.sid = Some(v),
                _ => {}
            }
        }
        out
    }
}

impl<H: EngineHandler> Engine<H> {
    /// Handle one HTTP request addressed to the engine's path (polling, WebSocket
    /// handshake or upgrade, CORS preflight). Usable as an axum handler body:
    /// `any(move |req| async move { engine.handle(req).await })`.
    pub async fn handle(&self, req: Request) -> Response<Body> {
        let inner = &self.inner;
        let config = &inner.config;
        let origin = match cors::check(config, req.headers()) {
            Ok(origin) => origin,
            Err(bad) => return bad.response(),
        };
        let preflight = req.method() == Method::OPTIONS;
        let request_headers = req
            .headers()
            .get(header::ACCESS_CONTROL_REQUEST_HEADERS)
            .cloned();
        let mut resp = if preflight {
            response(StatusCode::OK, "text/plain", Body::empty())
        } else {
            route(inner, req).await
        };
        cors::apply(
            config,
            &origin,
            preflight,
            request_headers.as_ref(),
            &mut resp,
        );
        resp
    }
}

/// What a connection keeps of its opening request. The URI and header values are copied
/// into one small buffer: hyper's are slices of the connection's whole read buffer (8 to
/// 16 KiB), which a plain clone would keep alive for as long as the connection lives.
fn request_info(req: &http::request::Parts) -> RequestInfo {
    RequestInfo {
        uri: compact_uri(&req.uri),
        headers: compact_headers(&req.headers),
        remote_addr: req.extensions.get::<ConnectInfo<SocketAddr>>().map(|c| c.0),
    }
}

fn compact_uri(uri: &http::Uri) -> http::Uri {
    http::Uri::from_maybe_shared(Bytes::from(uri.to_string())).unwrap_or_else(|_| uri.clone())
}

fn compact_headers(headers: &HeaderMap) -> HeaderMap {
    let total: usize = headers.iter().map(|(_, v)| v.len()).sum();
    let mut buf = Vec::with_capacity(total);
    for (_, v) in headers {
        buf.extend_from_slice(v.as_bytes());
    }
    let buf = Bytes::from(buf);
    let mut out = HeaderMap::with_capacity(headers.len());
    let mut pos = 0;
    for (name, v) in headers {
        let end = pos + v.len();
        let value = match HeaderValue::from_maybe_shared(buf.slice(pos..end)) {
            Ok(mut value) => {
                value.set_sensitive(v.is_sensitive());
                value
            }
            Err(_) => v.clone(),
        };
        pos = end;
        out.append(name.clone(), value);
    }
    // A clone has no spare entries: this map lives as long as the connection.
    out.clone()
}

fn is_websocket_request(headers: &HeaderMap) -> bool {
    headers
        .get(header::UPGRADE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.eq_ignore_ascii_case("websocket"))
}

async fn route<H: EngineHandler>(engine: &Arc<EngineInner<H>>, req: Request) -> Response<Body> {
    let config = &engine.config;
    let query = Query::parse(req.uri().query());
    let transport = match query.transport.as_deref() {
        Some("polling") if config.polling => Transport::Polling,
        Some("websocket") if config.websocket => Transport::Websocket,
        _ => return EioError::UnknownTransport.response(),
    };
    if query.eio.as_deref() != Some("4") {
        return EioError::UnsupportedProtocolVersion.response();
    }
    let Some(sid) = query.sid else {
        if req.method() != Method::GET {
            return EioError::BadHandshakeMethod.response();
        }
        if engine.is_shutting_down() {
            return response(StatusCode::SERVICE_UNAVAILABLE, "text/plain", Body::empty());
        }
        return match transport {
            Transport::Polling => polling_handshake(engine, req),
            Transport::Websocket => websocket(engine, req, None).await,
        };
    };
    let Some(session) = engine.get(&sid) else {
        return EioError::UnknownSid.response();
    };
    if session.conn.is_closed() {
        // After a client close (`1`) that found no poll pending, the poll the client had
        // in flight is still owed its `6`, even if it arrives second.
        let owed = transport == Transport::Polling && req.method() == Method::GET && {
            let ob = session.conn.outbox();
            ob.poll_answer.is_some() && !ob.get_active
        };
        if !owed {
            return EioError::UnknownSid.response();
        }
    } else if lock(&session.hb).expired(tokio::time::Instant::now()) {
        // The timer task may not have run yet; the deadline is exact all the same.
        session.conn.close(CloseReason::PingTimeout);
        return EioError::UnknownSid.response();
    }
    match transport {
        Transport::Polling => {
            if session.conn.transport() != Transport::Polling {
                return EioError::BadRequest.response();
            }
            match *req.method() {
                Method::GET => poll_get(engine, &session, req.headers()).await,
                Method::POST => poll_post(engine, &session, req).await,
                _ => EioError::BadRequest.response(),
            }
        }
        Transport::Websocket => websocket(engine, req, Some(session)).await,
    }
}

fn set_cookie<H: EngineHandler>(engine: &EngineInner<H>, sid: &str, resp: &mut Response<Body>) {
    let Some(c) = &engine.config.cookie else {
        return;
    };
    let mut v = format!("{}={}; Path={}", c.name, sid, c.path);
    if c.http_only {
        v.push_str("; HttpOnly");
    }
    if let Some(s) = &c.same_site {
        v.push_str("; SameSite=");
        v.push_str(s);
    }
    if let Ok(v) = HeaderValue::from_str(&v) {
        resp.headers_mut().append(header::SET_COOKIE, v);
    }
}

pub(crate) fn handshake<H: EngineHandler>(
    engine: &EngineInner<H>,
    sid: &str,
    upgrades: &[&str],
) -> String {
    let c = &engine.config;
    Handshake {
        sid,
        upgrades,
        ping_interval_ms: u64::try_from(c.ping_interval.as_millis()).unwrap_or(u64::MAX),
        ping_timeout_ms: u64::try_from(c.ping_timeout.as_millis()).unwrap_or(u64::MAX),
        max_payload: c.max_payload,
    }
    .encode()
}

fn polling_handshake<H: EngineHandler>(
    engine: &Arc<EngineInner<H>>,
    req: Request,
) -> Response<Body> {
    let (parts, _body) = req.into_parts();
    let Some(permit) = admission::admit(&engine.admission, &engine.config, &parts) else {
        return admission::forbidden();
    };
    let session = engine.open(request_info(&parts), Transport::Polling);
    *lock(&session.permit) = Some(permit);
    tokio::spawn(drive_polling(Arc::clone(engine), Arc::clone(&session)));
    let upgrades: &[&str] = if engine.config.allow_upgrades && engine.config.websocket {
        &["websocket"]
    } else {
        &[]
    };
    let mut resp = text(handshake(engine, session.conn.sid(), upgrades));
    set_cookie(engine, session.conn.sid(), &mut resp);
    resp
}

async fn websocket<H: EngineHandler>(
    engine: &Arc<EngineInner<H>>,
    req: Request,
    session: Option<Arc<Session<H>>>,
) -> Response<Body> {
    if !is_websocket_request(req.headers()) {
        return EioError::BadRequest.response();
    }
    let (mut parts, _body) = req.into_parts();
    let Ok(upgrade) = WebSocketUpgrade::from_request_parts(&mut parts, &()).await else {
        return EioError::BadRequest.response();
    };
    let config = &engine.config;
    let limit = config.max_payload.saturating_add(1);
    let upgrade = upgrade
        .read_buffer_size(config.ws_read_buffer)
        .write_buffer_size(config.ws_write_buffer)
        .max_message_size(limit)
        .max_frame_size(limit);
    let engine = Arc::clone(engine);
    match session {
        None => {
            let Some(permit) = admission::admit(&engine.admission, config, &parts) else {
                return admission::forbidden();
            };
            let request = request_info(&parts);
            upgrade.on_upgrade(move |socket| {
                ws::run_fresh(engine, socket, request).map(move |()| drop(permit))
            })
        }
        Some(session) => {
            // Like the reference server, a WebSocket that may not upgrade this session
            // (already upgraded or upgrading, upgrades off) is accepted, then closed.
            let refused = {
                let mut ob = session.conn.outbox();
                let refused = !config.allow_upgrades
                    || session.conn.transport() != Transport::Polling
                    || ob.upgrade != UpgradeState::None
                    || ob.close.is_some();
                if !refused {
                    ob.upgrade = UpgradeState::Pending;
                }
                refused
            };
            if refused {
                return upgrade.on_upgrade(ws::refuse);
            }
            let failed = Arc::clone(&session);
            upgrade
                .on_failed_upgrade(move |_| failed.conn.outbox().upgrade = UpgradeState::None)
                .on_upgrade(move |socket| ws::run_upgrade(engine, session, socket))
        }
    }
}

/// Resets the "request in progress" flag when the request ends, even if it is cancelled.
struct Active<'a> {
    conn: &'a EngineConn,
    post: bool,
}

impl Drop for Active<'_> {
    fn drop(&mut self) {
        let mut ob = self.conn.outbox();
        if self.post {
            ob.post_active = false;
        } else {
            ob.get_active = false;
        }
    }
}

/// Close the session because of what the client did, and answer with `resp`.
fn fail(conn: &EngineConn, reason: CloseReason, resp: Response<Body>) -> Response<Body> {
    conn.close(reason);
    resp
}

async fn poll_get<H: EngineHandler>(
    engine: &EngineInner<H>,
    session: &Session<H>,
    headers: &HeaderMap,
) -> Response<Body> {
    let conn = &session.conn;
    {
        let mut ob = conn.outbox();
        if ob.get_active {
            ob.poll_answer = Some(PollAnswer::Close);
            conn.request_close_locked(&mut ob, CloseReason::TransportError);
            drop(ob);
            conn.wake_all();
            return EioError::BadRequest.response();
        }
        ob.get_active = true;
    }
    let _active = Active { conn, post: false };
    let mut frames = VecDeque::new();
    loop {
        let woken = conn.shared().data_ready.notified();
        let answer = {
            let mut ob = conn.outbox();
            if let Some(a) = ob.poll_answer.take() {
                conn.shared().driver.notify_one();
                Some(Some(a))
            } else if conn.transport() == Transport::Websocket {
                Some(Some(PollAnswer::Noop))
            } else if !ob.frames.is_empty() {
                std::mem::swap(&mut ob.frames, &mut frames);
                Some(None)
            } else if let Some(reason) = ob.close {
                // A deliberate close is announced with a close packet; a session that ended on
                // an error (payload too large, parse error, ...) fails the poll, so clients
                // report a transport error rather than a server disconnect.
                Some(Some(if closes_gracefully(reason) {
                    PollAnswer::Close
                } else {
                    PollAnswer::Error
                }))
            } else if ob.upgrade == UpgradeState::Probed {
                Some(Some(PollAnswer::Noop))
            } else {
                None
            }
        };
        match answer {
            None => woken.await,
            Some(Some(a)) => {
                return match a {
                    PollAnswer::Noop => text("6"),
                    PollAnswer::Close => text("1"),
                    PollAnswer::Error => EioError::BadRequest.response(),
                };
            }
            Some(None) => break,
        }
    }
    let payload = eio::encode_payload(frames.iter().map(|f| match f {
        Frame::Text(t) => PayloadFrame::Text(t),
        Frame::Binary(b) => PayloadFrame::Binary(b),
    }));
    compress(engine, headers, payload)
}

/// Whether a session closed for `reason` announces it to a pending poll with a close packet.
fn closes_gracefully(reason: CloseReason) -> bool {
    matches!(
        reason,
        CloseReason::TransportClose | CloseReason::ForcedClose | CloseReason::ServerShuttingDown
    )
}

fn accepts(headers: &HeaderMap, coding: &str) -> bool {
    headers
        .get_all(header::ACCEPT_ENCODING)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .any(|v| {
            v.split(',').any(|item| {
                let mut parts = item.split(';');
                let name = parts.next().unwrap_or("").trim();
                let zero_q = parts.any(|p| {
                    p.trim()
                        .strip_prefix("q=")
                        .and_then(|q| q.parse::<f32>().ok())
                        == Some(0.0)
                });
                name.eq_ignore_ascii_case(coding) && !zero_q
            })
        })
}

fn compress<H: EngineHandler>(
    engine: &EngineInner<H>,
    headers: &HeaderMap,
    payload: Vec<u8>,
) -> Response<Body> {
    let big = engine
        .config
        .compression_threshold
        .is_some_and(|t| payload.len() >= t);
    if big {
        let level = flate2::Compression::default();
        let encoded = if accepts(headers, "gzip") {
            let mut e = flate2::write::GzEncoder::new(Vec::new(), level);
            e.write_all(&payload)
                .and_then(|_| e.finish())
                .ok()
                .map(|b| (b, "gzip"))
        } else if accepts(headers, "deflate") {
            let mut e = flate2::write::ZlibEncoder::new(Vec::new(), level);
            e.write_all(&payload)
                .and_then(|_| e.finish())
                .ok()
                .map(|b| (b, "deflate"))
        } else {
            None
        };
        if let Some((body, coding)) = encoded {
            let mut resp = text(body);
            resp.headers_mut()
                .insert(header::CONTENT_ENCODING, HeaderValue::from_static(coding));
            return resp;
        }
    }
    text(payload)
}

async fn poll_post<H: EngineHandler>(
    engine: &EngineInner<H>,
    session: &Session<H>,
    req: Request,
) -> Response<Body> {
    let conn = &session.conn;
    {
        let mut ob = conn.outbox();
        if ob.post_active {
            conn.request_close_locked(&mut ob, CloseReason::TransportError);
            drop(ob);
            conn.wake_all();
            return EioError::BadRequest.response();
        }
        ob.post_active = true;
    }
    let _active = Active { conn, post: true };
    let max = engine.config.max_payload;
    let too_large = || response(StatusCode::PAYLOAD_TOO_LARGE, "text/plain", Body::empty());
    let headers = req.headers();
    if headers
        .get(header::CONTENT_TYPE)
        .is_some_and(|v| v.as_bytes() == b"application/octet-stream")
    {
        return fail(
            conn,
            CloseReason::ParseError,
            EioError::BadRequest.response(),
        );
    }
    let declared = headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|n| n > max as u64) {
        return fail(conn, CloseReason::TransportError, too_large());
    }
    let body: Bytes = match Limited::new(req.into_body(), max).collect().await {
        Ok(b) => b.to_bytes(),
        Err(e) if e.is::<LengthLimitError>() => {
            return fail(conn, CloseReason::TransportError, too_large());
        }
        Err(_) => {
            return fail(
                conn,
                CloseReason::TransportError,
                EioError::BadRequest.response(),
            );
        }
    };
    let packets: Result<Vec<PayloadPacket<'_>>, _> =
        eio::decode_payload(&body).and_then(|it| it.collect());
    let Ok(packets) = packets else {
        return fail(
            conn,
            CloseReason::ParseError,
            EioError::BadRequest.response(),
        );
    };
    for p in packets {
        if conn.is_closed() {
            break;
        }
        match p {
            PayloadPacket::Text(Packet::Message(m)) => {
                engine.deliver(session, Message::Text(m.to_owned()));
            }
            PayloadPacket::Binary(b) => engine.deliver(session, Message::Binary(b)),
            PayloadPacket::Text(Packet::Pong(_)) => {
                lock(&session.hb).on_pong(tokio::time::Instant::now());
            }
            PayloadPacket::Text(Packet::Noop) => {}
            PayloadPacket::Text(Packet::Close) => {
                let mut ob = conn.outbox();
                ob.poll_answer = Some(PollAnswer::Noop);
                conn.request_close_locked(&mut ob, CloseReason::TransportClose);
                drop(ob);
                conn.wake_all();
                break;
            }
            // A ping from the client is the wrong heartbeat direction in v4; open and
            // upgrade make no sense over polling.
            PayloadPacket::Text(Packet::Ping(_) | Packet::Open(_) | Packet::Upgrade) => {
                return fail(
                    conn,
                    CloseReason::TransportError,
                    EioError::BadRequest.response(),
                );
            }
        }
    }
    response(
        StatusCode::OK,
        "text/html",
        Body::from(Bytes::from_static(b"ok")),
    )
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing)]
mod tests {
    use super::*;

    #[test]
    fn request_info_copies_uri_and_headers_out_of_the_read_buffer() {
        // Like hyper: the URI and header values are slices of one read buffer.
        let read_buf = Bytes::from_static(b"/socket.io/?EIO=4&transport=websocket|a|b|secret");
        let mut req = http::Request::builder()
            .uri(http::Uri::from_maybe_shared(read_buf.slice(0..37)).unwrap())
            .body(())
            .unwrap();
        let h = req.headers_mut();
        h.append(
            "x-multi",
            HeaderValue::from_maybe_shared(read_buf.slice(38..39)).unwrap(),
        );
        h.append(
            "x-multi",
            HeaderValue::from_maybe_shared(read_buf.slice(40..41)).unwrap(),
        );
        let mut secret = HeaderValue::from_maybe_shared(read_buf.slice(42..48)).unwrap();
        secret.set_sensitive(true);
        h.insert(header::AUTHORIZATION, secret);
        let (parts, ()) = req.into_parts();

        let info = request_info(&parts);
        assert_eq!(info.uri, parts.uri);
        assert_eq!(info.uri.query(), Some("EIO=4&transport=websocket"));
        assert_eq!(info.headers, parts.headers);
        let multi: Vec<_> = info.headers.get_all("x-multi").iter().collect();
        assert_eq!(multi, ["a", "b"]);
        assert!(info.headers[header::AUTHORIZATION].is_sensitive());
        let inside = |p: *const u8| read_buf.as_ptr_range().contains(&p);
        assert!(
            info.headers
                .values()
                .all(|v| !inside(v.as_bytes().as_ptr()))
        );
        assert!(!inside(info.uri.path().as_ptr()));
    }
}
