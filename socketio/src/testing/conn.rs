//! The client's connection: one task per client that owns the WebSocket, answers the
//! server's pings, decodes Socket.IO packets into the [`Inbox`] and writes what the
//! [`TestClient`](super::TestClient) queues.
//!
//! In memory, the server side is the application's `Router` served by hyper's HTTP/1
//! connection (with upgrades) over a [`tokio::io::duplex`] pipe; over loopback it is whatever
//! listens at the address.

use std::collections::{HashMap, VecDeque};
use std::net::SocketAddr;
use std::pin::pin;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use axum::extract::ConnectInfo;
use futures_util::{SinkExt as _, StreamExt as _};
use hyper::body::Incoming;
use hyper_util::rt::TokioIo;
use tokio::io::{AsyncRead, AsyncWrite, DuplexStream};
use tokio::sync::{Notify, mpsc};
use tokio::time::{Instant, sleep_until};
use tokio_tungstenite::WebSocketStream;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::protocol::CloseFrame;
use tower::ServiceExt as _;

use super::error::{Disconnect, TestError};
use crate::proto::eio::{self, Packet as EioPacket};
use crate::proto::sio::{Args, Decoder, Encoded, PacketKind};

/// Attachments accepted in one packet from the server.
const MAX_ATTACHMENTS: usize = 1024;

/// Size of each direction's buffer of the in-memory pipe.
const PIPE_BUFFER: usize = 64 * 1024;

/// Outgoing packets queued by the client before the queue makes `emit` wait.
pub(crate) const OUTGOING_QUEUE: usize = 64;

/// An event received for the client's namespace.
#[derive(Debug)]
pub(crate) struct Received {
    pub(crate) name: String,
    pub(crate) args: Args,
    pub(crate) id: Option<u64>,
}

/// What the connection's task received, for the client to take.
#[derive(Debug)]
pub(crate) struct Inbox {
    /// The namespace CONNECT answer: the socket's sid, or the refusal.
    pub(crate) connected: Option<Result<String, TestError>>,
    /// Events not read yet, in arrival order (at most `limit`).
    pub(crate) events: VecDeque<Received>,
    /// Acks by id, until the `emit_with_ack` that waits for each takes it.
    pub(crate) acks: HashMap<u64, Args>,
    /// Ack ids some `emit_with_ack` still waits for (others are dropped on arrival).
    pub(crate) awaited: std::collections::HashSet<u64>,
    /// How the connection ended, once it did.
    pub(crate) closed: Option<Disconnect>,
    /// True once an event was dropped because `events` was full.
    pub(crate) overflowed: bool,
    pub(crate) limit: usize,
}

/// The inbox and the signal that it changed.
#[derive(Debug)]
pub(crate) struct Shared {
    inbox: Mutex<Inbox>,
    changed: Notify,
}

impl Shared {
    pub(crate) fn new(limit: usize) -> Arc<Self> {
        Arc::new(Self {
            inbox: Mutex::new(Inbox {
                connected: None,
                events: VecDeque::new(),
                acks: HashMap::new(),
                awaited: Default::default(),
                closed: None,
                overflowed: false,
                limit,
            }),
            changed: Notify::new(),
        })
    }

    pub(crate) fn lock(&self) -> MutexGuard<'_, Inbox> {
        // A panic while holding the lock leaves a consistent inbox (every update is one step).
        self.inbox.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn update(&self, f: impl FnOnce(&mut Inbox)) {
        f(&mut self.lock());
        self.changed.notify_waiters();
    }

    fn close(&self, reason: Disconnect) {
        self.update(|inbox| {
            inbox.closed.get_or_insert(reason);
        });
    }

    /// Wait until `f` finds what it looks for in the inbox (it returns `Some`), at most
    /// `timeout`; `waiting_for` names it in the timeout error.
    pub(crate) async fn wait<R>(
        &self,
        timeout: Duration,
        waiting_for: impl FnOnce() -> String,
        mut f: impl FnMut(&mut Inbox) -> Option<Result<R, TestError>>,
    ) -> Result<R, TestError> {
        let search = async {
            loop {
                let mut changed = pin!(self.changed.notified());
                // Registered before looking, so a change made meanwhile is not missed.
                changed.as_mut().enable();
                if let Some(r) = f(&mut self.lock()) {
                    return r;
                }
                changed.await;
            }
        };
        match tokio::time::timeout(timeout, search).await {
            Ok(r) => r,
            Err(_) => Err(TestError::Timeout {
                waiting_for: waiting_for(),
                after: timeout,
            }),
        }
    }
}

/// What the client asks its connection's task to do.
#[derive(Debug)]
pub(crate) enum Outgoing {
    /// Write a packet: its text frame, then its attachments, with nothing in between.
    Packet(Encoded),
    /// Send a close frame and stop.
    Close,
}

/// Serve `router` over an in-memory pipe, as `serve` would serve one TCP connection from
/// `remote`; returns the client's end.
pub(crate) fn in_memory(router: axum::Router, remote: SocketAddr) -> DuplexStream {
    let (client, server) = tokio::io::duplex(PIPE_BUFFER);
    let service = hyper::service::service_fn(move |req: http::Request<Incoming>| {
        let mut req = req.map(axum::body::Body::new);
        req.extensions_mut().insert(ConnectInfo(remote));
        router.clone().oneshot(req)
    });
    tokio::spawn(async move {
        // Ends when the client's end is dropped, or after handing the pipe to the WebSocket.
        let _ = hyper::server::conn::http1::Builder::new()
            .serve_connection(TokioIo::new(server), service)
            .with_upgrades()
            .await;
    });
    client
}

/// The Engine.IO handshake's values the client needs.
#[derive(serde::Deserialize)]
#[serde(rename_all = "camelCase")]
struct Open {
    ping_interval: u64,
    ping_timeout: u64,
}

/// Run the connection: wait for the Engine.IO handshake, send `connect` (the namespace
/// CONNECT packet), then relay packets both ways until the connection ends.
pub(crate) async fn run<S>(
    mut ws: WebSocketStream<S>,
    nsp: String,
    connect: Encoded,
    shared: Arc<Shared>,
    mut outgoing: mpsc::Receiver<Outgoing>,
    close_timeout: Duration,
) where
    S: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    let reason = relay(
        &mut ws,
        &nsp,
        connect,
        &shared,
        &mut outgoing,
        close_timeout,
    )
    .await;
    let polite = !matches!(
        reason,
        Disconnect::TransportClose { .. } | Disconnect::TransportError(_)
    );
    shared.close(reason);
    if polite {
        let _ = tokio::time::timeout(close_timeout, ws.close(None)).await;
    }
}

async fn relay<S>(
    ws: &mut WebSocketStream<S>,
    nsp: &str,
    connect: Encoded,
    shared: &Shared,
    outgoing: &mut mpsc::Receiver<Outgoing>,
    open_timeout: Duration,
) -> Disconnect
where
    S: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    // The first message is the Engine.IO handshake (a server that never sends one does not
    // keep this task alive: the client has given up on it by then).
    let open = match tokio::time::timeout(open_timeout, ws.next()).await {
        Ok(Some(Ok(Message::Text(text)))) => match eio::decode_text(&text) {
            Ok(EioPacket::Open(json)) => serde_json::from_str::<Open>(json).ok(),
            _ => None,
        },
        Ok(other) => return ended(other),
        Err(_) => return Disconnect::TransportError("no Engine.IO handshake".into()),
    };
    let Some(open) = open else {
        return Disconnect::ParseError("the first message is not an Engine.IO handshake".into());
    };
    let silence = Duration::from_millis(open.ping_interval.saturating_add(open.ping_timeout));
    if let Err(e) = write(ws, connect).await {
        return Disconnect::TransportError(e.to_string());
    }
    let mut decoder = Decoder::new(MAX_ATTACHMENTS);
    let mut deadline = pin!(sleep_until(Instant::now() + silence));
    loop {
        tokio::select! {
            msg = ws.next() => {
                let packet = match msg {
                    Some(Ok(Message::Text(text))) => match eio::decode_text(&text) {
                        Ok(EioPacket::Ping(data)) => {
                            deadline.as_mut().reset(Instant::now() + silence);
                            let pong = Message::text(format!("3{data}"));
                            if let Err(e) = ws.send(pong).await {
                                return Disconnect::TransportError(e.to_string());
                            }
                            continue;
                        }
                        Ok(EioPacket::Message(text)) => decoder.feed_text(text),
                        Ok(EioPacket::Close) => return Disconnect::TransportClose { code: None },
                        Ok(EioPacket::Noop | EioPacket::Pong(_)) => continue,
                        Ok(other) => {
                            return Disconnect::ParseError(format!(
                                "unexpected Engine.IO packet {}",
                                other.packet_type().as_char()
                            ));
                        }
                        Err(e) => return Disconnect::ParseError(e.to_string()),
                    },
                    Some(Ok(Message::Binary(data))) => decoder.feed_binary(data),
                    Some(Ok(Message::Ping(_) | Message::Pong(_) | Message::Frame(_))) => continue,
                    other => return ended(other),
                };
                match packet {
                    Ok(Some(packet)) if packet.nsp == nsp => {
                        if let Some(reason) = deliver(shared, packet.kind) {
                            return reason;
                        }
                    }
                    // Other namespaces, and packets still waiting for their attachments.
                    Ok(_) => {}
                    Err(e) => return Disconnect::ParseError(e.to_string()),
                }
            }
            out = outgoing.recv() => match out {
                Some(Outgoing::Packet(packet)) => {
                    if let Err(e) = write(ws, packet).await {
                        return Disconnect::TransportError(e.to_string());
                    }
                }
                // `disconnect()`, or the client was dropped.
                Some(Outgoing::Close) | None => return Disconnect::ClientDisconnect,
            },
            () = &mut deadline => return Disconnect::PingTimeout,
        }
    }
}

/// How the stream ended when it yielded `msg` where a data message was expected.
fn ended(msg: Option<Result<Message, tokio_tungstenite::tungstenite::Error>>) -> Disconnect {
    match msg {
        Some(Ok(Message::Close(frame))) => Disconnect::TransportClose {
            code: frame.map(|f: CloseFrame| u16::from(f.code)),
        },
        Some(Ok(_)) => Disconnect::ParseError("unexpected WebSocket message".into()),
        Some(Err(e)) => Disconnect::TransportError(e.to_string()),
        None => Disconnect::TransportClose { code: None },
    }
}

/// File a packet of the client's namespace; `Some` when it ends the connection.
fn deliver(shared: &Shared, kind: PacketKind) -> Option<Disconnect> {
    match kind {
        PacketKind::Event { name, args, id } => shared.update(|inbox| {
            if inbox.events.len() >= inbox.limit {
                inbox.overflowed = true;
            } else {
                inbox.events.push_back(Received { name, args, id });
            }
        }),
        PacketKind::Ack { id, args } => shared.update(|inbox| {
            if inbox.awaited.contains(&id) {
                inbox.acks.insert(id, args);
            }
        }),
        PacketKind::Connect { auth } => {
            let sid = auth
                .and_then(|json| serde_json::from_str::<ConnectAnswer>(&json).ok())
                .map(|a| a.sid);
            let Some(sid) = sid else {
                return Some(Disconnect::ParseError(
                    "CONNECT answer without a sid".into(),
                ));
            };
            shared.update(|inbox| {
                inbox.connected.get_or_insert(Ok(sid));
            });
        }
        PacketKind::ConnectError { data } => {
            let refusal = refusal(&data);
            shared.update(|inbox| {
                inbox
                    .connected
                    .get_or_insert(Err(TestError::ConnectRefused(refusal)));
            });
            return Some(Disconnect::ServerDisconnect);
        }
        PacketKind::Disconnect => return Some(Disconnect::ServerDisconnect),
    }
    None
}

#[derive(serde::Deserialize)]
struct ConnectAnswer {
    sid: String,
}

/// A CONNECT_ERROR payload, `{"message": .., "data": ..}` (or, from old servers, a string).
fn refusal(json: &str) -> crate::ConnectError {
    #[derive(serde::Deserialize)]
    struct Refusal {
        #[serde(default)]
        message: String,
        data: Option<serde_json::Value>,
    }
    if let Ok(message) = serde_json::from_str::<String>(json) {
        return crate::ConnectError::new(message);
    }
    match serde_json::from_str::<Refusal>(json) {
        Ok(Refusal {
            message,
            data: Some(data),
        }) => crate::ConnectError::new(message).with_data(data),
        Ok(Refusal {
            message,
            data: None,
        }) => crate::ConnectError::new(message),
        Err(_) => crate::ConnectError::new(json),
    }
}

/// Write a packet's text frame and its attachments (Engine.IO v4 binary messages are the
/// attachment's bytes as they are).
async fn write<S>(
    ws: &mut WebSocketStream<S>,
    packet: Encoded,
) -> Result<(), tokio_tungstenite::tungstenite::Error>
where
    S: AsyncRead + AsyncWrite + Unpin,
{
    let text = tokio_tungstenite::tungstenite::Utf8Bytes::try_from(packet.text)
        .map_err(|_| tokio_tungstenite::tungstenite::Error::Utf8(String::new()))?;
    ws.feed(Message::Text(text)).await?;
    for attachment in packet.attachments {
        ws.feed(Message::Binary(attachment)).await?;
    }
    ws.flush().await
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn refusal_payloads() {
        let r = refusal(r#"{"message":"no","data":{"why":1}}"#);
        assert_eq!(
            r,
            crate::ConnectError::new("no").with_data(serde_json::json!({"why": 1}))
        );
        assert_eq!(
            refusal(r#"{"message":"no"}"#),
            crate::ConnectError::new("no")
        );
        assert_eq!(
            refusal(r#""old style""#),
            crate::ConnectError::new("old style")
        );
        assert_eq!(refusal("{}"), crate::ConnectError::new(""));
    }
}
