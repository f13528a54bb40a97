//! The HTTP side of the engine: request validation with the reference server's error
//! contract, polling GET/POST, handshakes, cookies and compression.

use crate::sync::lock;
use std::io::Write as _;
use std::sync::Arc;

use axum::body::Body;
use axum::extract::ws::WebSocketUpgrade;
use axum::extract::{FromRequestParts, Request};
use bytes::Bytes;
use http::header::{self, HeaderMap, HeaderValue};
use http::{Method, Response, StatusCode};
use http_body_util::{BodyExt, LengthLimitError, Limited};

use super::core::{EngineInner, Session, drive_polling};
use super::metrics::{self, Limit, Refusal};
use super::session::{GetAnswer, PollAnswer, PollLimits};
use super::{
    CloseReason, Engine, EngineConn, EngineHandler, Frame, Message, Protocol, RequestInfo,
    Transport, admission, cors, form_pairs, v3, ws,
};
use crate::proto::eio::{self, Packet, PayloadFrame, PayloadPacket};
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

const TEXT_PLAIN: &str = "text/plain; charset=UTF-8";

fn text(body: impl Into<Body>) -> Response<Body> {
    response(StatusCode::OK, TEXT_PLAIN, body.into())
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
        let Some(q) = q else {
            return out;
        };
        for (k, v) in form_pairs(q) {
            match &*k {
                "EIO" => out.eio = Some(v.into_owned()),
                "transport" => out.transport = Some(v.into_owned()),
                "sid" => out.sid = Some(v.into_owned()),
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
    let Some(protocol) = query
        .eio
        .as_deref()
        .and_then(|v| Protocol::from_eio(v, config.allow_eio3))
    else {
        return EioError::UnsupportedProtocolVersion.response();
    };
    let Some(sid) = query.sid else {
        if req.method() != Method::GET {
            return EioError::BadHandshakeMethod.response();
        }
        if engine.is_shutting_down() {
            metrics::handshake_refused(Refusal::ShuttingDown);
            return response(StatusCode::SERVICE_UNAVAILABLE, "text/plain", Body::empty());
        }
        return match transport {
            Transport::Polling => polling_handshake(engine, req, protocol),
            Transport::Websocket => websocket(engine, req, None, protocol).await,
        };
    };
    let Some(session) = engine.get(&sid) else {
        return EioError::UnknownSid.response();
    };
    if session.conn.is_closed() {
        // After a client close (`1`) that found no poll pending, the poll the client had
        // in flight is still owed its `6`, even if it arrives second; after a server close,
        // the frames queued before it are still owed to the polls that follow.
        let owed = transport == Transport::Polling
            && req.method() == Method::GET
            && session.conn.state().owes_poll_answer();
        if !owed {
            return EioError::UnknownSid.response();
        }
    } else if session
        .conn
        .state()
        .heartbeat_expired(tokio::time::Instant::now())
    {
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
        Transport::Websocket => {
            let protocol = session.conn.protocol();
            websocket(engine, req, Some(session), protocol).await
        }
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

fn polling_handshake<H: EngineHandler>(
    engine: &Arc<EngineInner<H>>,
    req: Request,
    protocol: Protocol,
) -> Response<Body> {
    let (mut parts, _body) = req.into_parts();
    let Some(permit) = admission::admit(&engine.admission, &engine.config, &parts) else {
        metrics::handshake_refused(Refusal::MaxConnections);
        return admission::forbidden();
    };
    let session = engine.open_with(
        super::core::new_session_id(),
        RequestInfo::new(&mut parts),
        Transport::Polling,
        protocol,
    );
    *lock(&session.permit) = Some(permit);
    tokio::spawn(drive_polling(Arc::clone(engine), Arc::clone(&session)));
    let upgrades: &[&str] = if engine.config.allow_upgrades && engine.config.websocket {
        &["websocket"]
    } else {
        &[]
    };
    let open = v3::open_packet(engine, session.conn.sid(), upgrades, protocol);
    let mut resp = text(v3::handshake_body(open, protocol));
    set_cookie(engine, session.conn.sid(), &mut resp);
    resp
}

async fn websocket<H: EngineHandler>(
    engine: &Arc<EngineInner<H>>,
    req: Request,
    session: Option<Arc<Session<H>>>,
    protocol: Protocol,
) -> Response<Body> {
    if !is_websocket_request(req.headers()) {
        return EioError::BadRequest.response();
    }
    let (mut parts, _body) = req.into_parts();
    if let Some(threshold) = engine.config.ws_per_message_deflate {
        if super::deflate::offered(&parts.headers) {
            return super::deflate::websocket(
                engine,
                parts,
                session,
                threshold,
                protocol,
                RequestInfo::new,
            )
            .unwrap_or_else(|()| EioError::BadRequest.response());
        }
    }
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
                metrics::handshake_refused(Refusal::MaxConnections);
                return admission::forbidden();
            };
            // Boxed: axum's upgrade future keeps the space of this callback's captures for
            // as long as the connection lives, after the callback has run; a box there is 8
            // bytes instead of the whole `RequestInfo` (about 220).
            let request = Box::new(RequestInfo::new(&mut parts));
            upgrade.on_upgrade(move |socket| {
                ws::run_fresh(engine, socket, *request, protocol).map(move |()| drop(permit))
            })
        }
        Some(session) => {
            // Like the reference server, a WebSocket that may not upgrade this session
            // (already upgraded or upgrading, upgrades off) is accepted, then closed.
            let accepted = session
                .conn
                .state()
                .on_upgrade_request(config.allow_upgrades, session.conn.transport());
            if !accepted {
                let limit = config.upgrade_timeout;
                return upgrade.on_upgrade(move |socket| ws::refuse(socket, limit));
            }
            let failed = Arc::clone(&session);
            upgrade
                .on_failed_upgrade(move |_| failed.conn.state().on_upgrade_cancelled())
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
        let mut st = self.conn.state();
        if self.post {
            st.on_post_end();
        } else {
            st.on_get_end();
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
    if conn.state().on_get().is_err() {
        conn.wake_all();
        return EioError::BadRequest.response();
    }
    let _active = Active { conn, post: false };
    let limits = PollLimits {
        max_packets: engine.config.max_poll_packets,
        max_bytes: engine.config.max_poll_bytes,
    };
    let mut frames = Vec::new();
    loop {
        let woken = conn.shared().data_ready.notified();
        let (answer, deadline) = {
            let mut st = conn.state();
            let answer = st.poll_get(
                tokio::time::Instant::now(),
                conn.transport(),
                limits,
                &mut frames,
            );
            (answer, st.get_deadline())
        };
        match answer {
            GetAnswer::Wait => match deadline {
                Some(t) => {
                    tokio::select! {
                        _ = woken => {}
                        _ = tokio::time::sleep_until(t) => {}
                    }
                }
                None => woken.await,
            },
            GetAnswer::Data => {
                if conn.is_closed() {
                    // `finish_polling` waits for the rest of the queue to be taken.
                    conn.shared().driver.notify_one();
                }
                break;
            }
            GetAnswer::Answer(a) => {
                conn.shared().driver.notify_one();
                if conn.protocol().is_v3() && a != PollAnswer::Error {
                    return text(v3::poll_answer(a));
                }
                return match a {
                    PollAnswer::Noop => text("6"),
                    PollAnswer::Close => text("1"),
                    PollAnswer::Error => EioError::BadRequest.response(),
                };
            }
        }
    }
    engine.metrics.sent(Transport::Polling, frames.iter());
    let (payload, content_type) = if conn.protocol().is_v3() {
        let b64 = conn.request().query("b64").is_some();
        v3::encode_poll(&frames, b64)
    } else {
        let payload = eio::encode_payload(frames.iter().map(|f| match f {
            Frame::Text(t) => PayloadFrame::Text(t),
            Frame::Binary(b) => PayloadFrame::Binary(b),
        }));
        (payload, TEXT_PLAIN)
    };
    drop(frames);
    compress(engine, headers, payload, content_type).await
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

/// Payloads at least this large are compressed on the blocking pool, not on the async
/// worker, so one client's large polls cannot stall the other connections of that worker.
const INLINE_COMPRESSION_LIMIT: usize = 64 * 1024;

#[derive(Debug, Clone, Copy)]
enum Coding {
    Gzip,
    Deflate,
}

impl Coding {
    fn name(self) -> &'static str {
        match self {
            Self::Gzip => "gzip",
            Self::Deflate => "deflate",
        }
    }

    fn encode(self, payload: &[u8]) -> Option<Vec<u8>> {
        let level = flate2::Compression::default();
        let out = Vec::with_capacity(payload.len() / 4);
        match self {
            Self::Gzip => {
                let mut e = flate2::write::GzEncoder::new(out, level);
                e.write_all(payload).and_then(|_| e.finish()).ok()
            }
            Self::Deflate => {
                let mut e = flate2::write::ZlibEncoder::new(out, level);
                e.write_all(payload).and_then(|_| e.finish()).ok()
            }
        }
    }
}

async fn compress<H: EngineHandler>(
    engine: &EngineInner<H>,
    headers: &HeaderMap,
    payload: Vec<u8>,
    content_type: &'static str,
) -> Response<Body> {
    let text = |body: Vec<u8>| response(StatusCode::OK, content_type, Body::from(body));
    let big = engine
        .config
        .compression_threshold
        .is_some_and(|t| payload.len() >= t);
    let coding = if !big {
        None
    } else if accepts(headers, "gzip") {
        Some(Coding::Gzip)
    } else if accepts(headers, "deflate") {
        Some(Coding::Deflate)
    } else {
        None
    };
    let Some(coding) = coding else {
        return text(payload);
    };
    let (payload, encoded) = if payload.len() < INLINE_COMPRESSION_LIMIT {
        let encoded = coding.encode(&payload);
        (payload, encoded)
    } else {
        match tokio::task::spawn_blocking(move || {
            let encoded = coding.encode(&payload);
            (payload, encoded)
        })
        .await
        {
            Ok(done) => done,
            Err(_) => {
                return response(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "text/plain",
                    Body::empty(),
                );
            }
        }
    };
    match encoded {
        Some(body) => {
            let mut resp = text(body);
            resp.headers_mut().insert(
                header::CONTENT_ENCODING,
                HeaderValue::from_static(coding.name()),
            );
            resp
        }
        None => text(payload),
    }
}

async fn poll_post<H: EngineHandler>(
    engine: &EngineInner<H>,
    session: &Session<H>,
    req: Request,
) -> Response<Body> {
    let conn = &session.conn;
    let now = tokio::time::Instant::now();
    let deadline = match conn
        .state()
        .on_post(now, engine.config.request_body_timeout)
    {
        Ok(deadline) => deadline,
        Err(_) => {
            conn.wake_all();
            return EioError::BadRequest.response();
        }
    };
    let _active = Active { conn, post: true };
    let max = engine.config.max_payload;
    let too_large = || response(StatusCode::PAYLOAD_TOO_LARGE, "text/plain", Body::empty());
    let headers = req.headers();
    let v3 = conn.protocol().is_v3();
    let octet_stream = headers
        .get(header::CONTENT_TYPE)
        .is_some_and(|v| v.as_bytes() == v3::BINARY.as_bytes());
    if octet_stream && !v3 {
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
        metrics::limit_hit(Limit::MaxPayload);
        return fail(conn, CloseReason::TransportError, too_large());
    }
    // A body that is already here (the common case) costs no timer.
    let mut collect = std::pin::pin!(Limited::new(req.into_body(), max).collect());
    let collected = match collect.as_mut().now_or_never() {
        Some(done) => Ok(done),
        None => tokio::time::timeout_at(deadline, collect).await,
    };
    let Ok(collected) = collected else {
        metrics::limit_hit(Limit::RequestBodyTimeout);
        let timed_out = response(StatusCode::REQUEST_TIMEOUT, "text/plain", Body::empty());
        return fail(conn, CloseReason::TransportError, timed_out);
    };
    let body: Bytes = match collected {
        Ok(b) => b.to_bytes(),
        Err(e) if e.is::<LengthLimitError>() => {
            metrics::limit_hit(Limit::MaxPayload);
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
    let packets: Result<Vec<PayloadPacket<'_>>, ()> = if v3 {
        v3::decode_post(&body, octet_stream).map_err(drop)
    } else {
        eio::decode_payload(&body)
            .and_then(|it| it.collect())
            .map_err(drop)
    };
    let Ok(packets) = packets else {
        return fail(
            conn,
            CloseReason::ParseError,
            EioError::BadRequest.response(),
        );
    };
    engine
        .metrics
        .received(Transport::Polling, packets.len(), body.len());
    // What the handler does with these messages belongs to this connection's span.
    let _span = conn.span().enter();
    for p in packets {
        if conn.is_closed() {
            break;
        }
        match p {
            PayloadPacket::Text(Packet::Message(m)) => {
                engine.deliver_text(session, m);
            }
            PayloadPacket::Binary(b) => engine.deliver(session, Message::Binary(b)),
            PayloadPacket::Text(Packet::Pong(_)) if !v3 => {
                conn.state().on_pong(tokio::time::Instant::now());
            }
            // Engine.IO v3: the client pings, the server answers.
            PayloadPacket::Text(Packet::Ping(data)) if v3 => {
                let queued = conn.state().on_ping(tokio::time::Instant::now(), data);
                conn.after_push(queued).ok();
            }
            PayloadPacket::Text(Packet::Noop) => {}
            PayloadPacket::Text(Packet::Close) => {
                conn.state().on_client_close();
                conn.wake_all();
                break;
            }
            // A ping from the client is the wrong heartbeat direction in v4 (a pong in v3);
            // open and upgrade make no sense over polling.
            PayloadPacket::Text(
                Packet::Ping(_) | Packet::Pong(_) | Packet::Open(_) | Packet::Upgrade,
            ) => {
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
