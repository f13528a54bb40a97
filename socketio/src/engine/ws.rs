//! The WebSocket transport: one task per connection that selects over socket reads, the
//! outgoing queue and the heartbeat timer.

use std::collections::VecDeque;
use std::sync::Arc;

use axum::extract::ws::{CloseFrame, Message as WsMessage, Utf8Bytes};
use futures_util::future::Either;
use futures_util::task::AtomicWaker;
use futures_util::{FutureExt as _, Sink, SinkExt as _, Stream, StreamExt as _};
use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, Ordering};
use std::task::{Context, Poll, Wake, Waker};
use std::time::Duration;

use tokio::time::{Instant, Sleep, sleep_until, timeout, timeout_at};

use super::core::{EngineInner, Session};
use super::heartbeat::Beat;
use super::metrics::{self, Limit};
use super::{CloseReason, Frame, Message, Protocol, RequestInfo, Transport, v3};
use crate::proto::eio::{Packet, decode_text};

/// WebSocket close code for a message over `maxPayload`.
const MESSAGE_TOO_BIG: u16 = 1009;
const NORMAL: u16 = 1000;
/// Most messages read back to back (those already readable) before the replies they
/// produced are written: far below the outgoing queue bound, so a burst cannot fill it.
const READ_BATCH: usize = 32;

/// What the connection loop needs of a WebSocket: axum's (tungstenite) for every connection,
/// or [`super::deflate::DeflateSocket`] for those that negotiated permessage-deflate. The
/// loop is generic over it, so axum's path compiles to the same code as without deflate.
pub(crate) trait WsSocket:
    Stream<Item = Result<WsMessage, axum::Error>>
    + Sink<WsMessage, Error = axum::Error>
    + Unpin
    + Send
    + 'static
{
}

impl<T> WsSocket for T where
    T: Stream<Item = Result<WsMessage, axum::Error>>
        + Sink<WsMessage, Error = axum::Error>
        + Unpin
        + Send
        + 'static
{
}

/// A WebSocket opened without `sid`: handshake, then the connection loop.
///
/// Not an `async fn`: the future returned is the connection loop itself (or the refusal),
/// with no wrapper state around it, since this future is what every idle connection keeps.
/// The open packet is the first frame the loop writes, ahead of anything `on_open` queued.
pub(crate) fn run_fresh<H: crate::engine::EngineHandler, S: WsSocket>(
    engine: Arc<EngineInner<H>>,
    socket: S,
    request: RequestInfo,
    protocol: Protocol,
) -> impl Future<Output = ()> + Send + 'static {
    if engine.is_shutting_down() {
        super::metrics::handshake_refused(super::metrics::Refusal::ShuttingDown);
        return Either::Left(refuse(socket, engine.config.upgrade_timeout));
    }
    let sid = super::core::new_session_id();
    let open = Frame::Text(v3::open_packet(&engine, &sid, &[], protocol).into());
    let session = engine.open_with(sid, request, Transport::Websocket, protocol);
    session.conn.state().push_open(open);
    let span = session.conn.span().clone();
    Either::Right(super::in_span(&span, run_loop(engine, session, socket)))
}

/// A WebSocket opened with the sid of a polling session: `2probe`/`3probe`, `5`, then the
/// connection loop. Anything else, or `upgrade_timeout`, cancels the upgrade and leaves the
/// polling session as it was. Every write here (`3probe`, the cancelling close frame) has a
/// deadline too: a client that does not read cannot hold the upgrade open.
///
/// Not an `async fn`, for the size of what every upgraded connection keeps: the probe
/// exchange hands the socket on to the connection loop, and the two futures share one space
/// (`then`); an `async fn` awaiting the loop would hold the loop beside its own copy of the
/// socket.
pub(crate) fn run_upgrade<H: crate::engine::EngineHandler, S: WsSocket>(
    engine: Arc<EngineInner<H>>,
    session: Arc<Session<H>>,
    socket: S,
) -> impl Future<Output = ()> {
    probe(engine, session, socket).then(|upgraded| match upgraded {
        Some((engine, session, socket)) => {
            let span = session.conn.span().clone();
            Either::Left(super::in_span(&span, run_loop(engine, session, socket)))
        }
        None => Either::Right(std::future::ready(())),
    })
}

/// The upgrade's exchange: the socket back, with the session upgraded, or `None` (the upgrade
/// was cancelled and the socket closed). Not an `async fn` either: it would keep its arguments
/// twice.
#[allow(clippy::manual_async_fn, clippy::type_complexity)]
fn probe<H: crate::engine::EngineHandler, S: WsSocket>(
    engine: Arc<EngineInner<H>>,
    session: Arc<Session<H>>,
    mut socket: S,
) -> impl Future<Output = Option<(Arc<EngineInner<H>>, Arc<Session<H>>, S)>> {
    async move {
        let conn = &session.conn;
        let deadline = Instant::now() + engine.config.upgrade_timeout;
        let mut probed = false;
        let upgraded = loop {
            let msg = match timeout_at(deadline, socket.next()).await {
                Ok(Some(Ok(msg))) => msg,
                _ => break false,
            };
            if conn.is_closed() {
                break false;
            }
            match msg {
                WsMessage::Text(t) if t.as_str() == "2probe" => {
                    let probe = socket.send(WsMessage::Text(Utf8Bytes::from_static("3probe")));
                    if !matches!(timeout_at(deadline, probe).await, Ok(Ok(()))) {
                        break false;
                    }
                    probed = true;
                    conn.state().on_probe();
                    conn.shared().data_ready.notify_one();
                }
                WsMessage::Text(t) if t.as_str() == "5" && probed => {
                    let mut st = conn.state();
                    if !st.on_upgrade_done() {
                        break false;
                    }
                    conn.set_transport(&mut st, Transport::Websocket);
                    break true;
                }
                WsMessage::Ping(_) | WsMessage::Pong(_) => {
                    let _ = timeout_at(deadline, socket.flush()).await;
                }
                _ => break false,
            }
        };
        if !upgraded {
            conn.state().on_upgrade_cancelled();
            conn.shared().data_ready.notify_one();
            let limit = engine.config.upgrade_timeout;
            let _ = timeout(limit, socket.send(close_msg(NORMAL))).await;
            return None;
        }
        conn.wake_all();
        Some((engine, session, socket))
    }
}

/// Accept a WebSocket only to close it at once; the close frame's write may take at most
/// `limit`.
pub(crate) async fn refuse<S: WsSocket>(mut socket: S, limit: Duration) {
    let _ = timeout(limit, socket.send(close_msg(NORMAL))).await;
}

fn close_msg(code: u16) -> WsMessage {
    WsMessage::Close(Some(CloseFrame {
        code,
        reason: Utf8Bytes::from_static(""),
    }))
}

fn to_ws(frame: Frame, protocol: Protocol) -> Option<WsMessage> {
    match frame {
        Frame::Text(b) => Utf8Bytes::try_from(b).ok().map(WsMessage::Text),
        // Engine.IO v3 puts the message type byte in front of binary data.
        Frame::Binary(b) if protocol.is_v3() => {
            Some(WsMessage::Binary(crate::proto::eio3::ws_binary(&b)))
        }
        Frame::Binary(b) => Some(WsMessage::Binary(b)),
    }
}

enum Incoming {
    Continue,
    Close(CloseReason, u16),
}

fn is_too_long(e: axum::Error) -> bool {
    e.into_inner()
        .downcast::<tungstenite::Error>()
        .is_ok_and(|e| matches!(*e, tungstenite::Error::Capacity(_)))
}

// Shared by both socket types' loops: inlined into each, as it was into the one loop before.
#[inline(always)]
fn on_message<H: crate::engine::EngineHandler>(
    engine: &EngineInner<H>,
    session: &Session<H>,
    msg: Option<Result<WsMessage, axum::Error>>,
) -> Incoming {
    let max = engine.config.max_payload;
    let too_big = Incoming::Close(CloseReason::TransportError, MESSAGE_TOO_BIG);
    match msg {
        None | Some(Ok(WsMessage::Close(_))) => {
            Incoming::Close(CloseReason::TransportClose, NORMAL)
        }
        Some(Err(e)) => {
            if is_too_long(e) {
                metrics::limit_hit(Limit::MaxPayload);
                too_big
            } else {
                Incoming::Close(CloseReason::TransportError, NORMAL)
            }
        }
        Some(Ok(WsMessage::Binary(b))) => {
            if b.len() > max {
                metrics::limit_hit(Limit::MaxPayload);
                return too_big;
            }
            engine.metrics.received(Transport::Websocket, 1, b.len());
            let b = if session.conn.protocol().is_v3() {
                match crate::proto::eio3::ws_binary_data(&b) {
                    Some(data) => data,
                    None => return Incoming::Close(CloseReason::ParseError, NORMAL),
                }
            } else {
                b
            };
            engine.deliver(session, Message::Binary(b));
            Incoming::Continue
        }
        Some(Ok(WsMessage::Text(t))) => {
            if t.len() > max {
                metrics::limit_hit(Limit::MaxPayload);
                return too_big;
            }
            engine.metrics.received(Transport::Websocket, 1, t.len());
            match decode_text(t.as_str()) {
                Ok(Packet::Message(m)) => {
                    engine.deliver_text(session, m);
                    Incoming::Continue
                }
                Ok(Packet::Pong(_)) if !session.conn.protocol().is_v3() => {
                    session.conn.state().on_pong(Instant::now());
                    Incoming::Continue
                }
                // Engine.IO v3: the client pings, the server answers.
                Ok(Packet::Ping(data)) if session.conn.protocol().is_v3() => {
                    let queued = session.conn.state().on_ping(Instant::now(), data);
                    session.conn.after_push(queued).ok();
                    Incoming::Continue
                }
                Ok(Packet::Close) => Incoming::Close(CloseReason::TransportClose, NORMAL),
                Ok(Packet::Noop | Packet::Upgrade) => Incoming::Continue,
                Ok(Packet::Ping(_) | Packet::Pong(_) | Packet::Open(_)) => {
                    Incoming::Close(CloseReason::TransportError, NORMAL)
                }
                Err(_) => Incoming::Close(CloseReason::ParseError, NORMAL),
            }
        }
        Some(Ok(WsMessage::Ping(_) | WsMessage::Pong(_))) => Incoming::Continue,
    }
}

async fn write_all<S: WsSocket>(
    socket: &mut S,
    frames: &mut VecDeque<Frame>,
    m: metrics::EngineMetrics,
    protocol: Protocol,
) -> Result<(), ()> {
    m.sent(Transport::Websocket, frames.iter());
    for frame in frames.drain(..) {
        if let Some(msg) = to_ws(frame, protocol) {
            socket.feed(msg).await.map_err(drop)?;
        }
    }
    socket.flush().await.map_err(drop)
}

/// The connection loop. Not an `async fn`: an `async fn` keeps each argument twice in its
/// state (the argument, and the local it is moved into), and this future is what every
/// idle connection keeps; the `async move` block uses its captures in place (368 bytes
/// less per connection with axum's `WebSocket`).
#[allow(clippy::manual_async_fn)] // see above: the `async fn` form is the larger one
fn run_loop<H: crate::engine::EngineHandler, S: WsSocket>(
    engine: Arc<EngineInner<H>>,
    session: Arc<Session<H>>,
    mut socket: S,
) -> impl Future<Output = ()> {
    async move {
        let conn = &session.conn;
        let write_timeout = engine.config.ping_interval + engine.config.ping_timeout;
        let mut batch = VecDeque::new();
        let mut code = NORMAL;
        let sleep = sleep_until(conn.state().timer_deadline());
        tokio::pin!(sleep);
        let gate = ReadGate::new();
        // tungstenite queued an automatic pong that the next write must flush.
        let mut flush = false;
        // A write that could not complete: the socket is dropped without a close frame, which
        // could only block the same way.
        let mut abandoned = false;
        let reason = loop {
            let woken = conn.shared().data_ready.notified();
            let (closing, deadline) = {
                let mut st = conn.state();
                (st.take_all(&mut batch), st.timer_deadline())
            };
            if !batch.is_empty() || std::mem::take(&mut flush) {
                // A client that stops reading blocks the write: a close requested meanwhile
                // (send buffer full, server close) must not wait for the write timeout.
                let write = write_all(&mut socket, &mut batch, engine.metrics, conn.protocol());
                let written = tokio::select! {
                    biased;
                    w = with_deadline(write, sleep.as_mut(), write_timeout) => w,
                    r = close_requested(conn), if closing.is_none() => {
                        abandoned = true;
                        break r;
                    }
                };
                batch.clear();
                if !matches!(written, Some(Ok(()))) {
                    abandoned = true;
                    break closing.unwrap_or(CloseReason::TransportError);
                }
            }
            if batch.capacity() > 64 {
                batch = VecDeque::new();
            }
            if let Some(reason) = closing {
                break reason;
            }
            if sleep.deadline() != deadline {
                sleep.as_mut().reset(deadline);
            }
            tokio::select! {
                biased;
                msg = std::future::poll_fn(|cx| gate.poll_next(&mut socket, cx)) => {
                    // Handle this message and those already readable, so that their replies
                    // leave in one write (one syscall) instead of one each.
                    let mut msg = msg;
                    let mut budget = READ_BATCH;
                    loop {
                        if let Some(Ok(WsMessage::Ping(_))) = &msg {
                            flush = true;
                        }
                        if let Incoming::Close(reason, c) = on_message(&engine, &session, msg) {
                            code = c;
                            conn.close(reason);
                            break;
                        }
                        budget -= 1;
                        if budget == 0 || conn.is_closed() {
                            break;
                        }
                        match gate.try_next(&mut socket) {
                            Poll::Ready(m) => msg = m,
                            Poll::Pending => break,
                        }
                    }
                }
                _ = woken => {}
                _ = &mut sleep => {
                    // A connection that went quiet keeps one queue buffer, not two: the
                    // queue has one (`take_all`), this one is spare until the next burst.
                    batch = VecDeque::new();
                    let beat = conn.state().poll_timer(Instant::now());
                    match beat {
                        Beat::SendPing => conn.shared().data_ready.notify_one(),
                        Beat::TimedOut => conn.wake_all(),
                        Beat::Wait => {}
                    }
                }
            }
        };
        engine.finish(&session, reason);
        if !abandoned {
            let _ =
                with_deadline(socket.send(close_msg(code)), sleep.as_mut(), write_timeout).await;
        }
    }
}

/// Resolves when a close of `conn` is requested.
async fn close_requested(conn: &crate::engine::EngineConn) -> CloseReason {
    loop {
        let woken = conn.shared().data_ready.notified();
        if let Some(reason) = conn.state().close_reason() {
            return reason;
        }
        woken.await;
    }
}

/// Polls the read half of a WebSocket only when it may have something: when its own waker
/// fired, or when the last read returned a message (more may be buffered). tungstenite
/// zero-fills its whole read buffer on every read attempt, so polling it on every wake of
/// the connection task (each broadcast, each queued frame) would cost a `memset` of the
/// read buffer per frame sent.
struct ReadGate {
    flag: Arc<ReadFlag>,
    waker: Waker,
}

struct ReadFlag {
    /// The read half may make progress.
    ready: AtomicBool,
    /// The connection task, woken with the flag set.
    task: AtomicWaker,
}

impl Wake for ReadFlag {
    fn wake(self: Arc<Self>) {
        self.wake_by_ref();
    }

    fn wake_by_ref(self: &Arc<Self>) {
        self.ready.store(true, Ordering::Release);
        self.task.wake();
    }
}

impl ReadGate {
    fn new() -> Self {
        let flag = Arc::new(ReadFlag {
            ready: AtomicBool::new(true),
            task: AtomicWaker::new(),
        });
        let waker = Waker::from(Arc::clone(&flag));
        Self { flag, waker }
    }

    /// The next message, waking the task in `cx` when it may be readable.
    fn poll_next<S: WsSocket>(
        &self,
        socket: &mut S,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<WsMessage, axum::Error>>> {
        self.flag.task.register(cx.waker());
        self.try_next(socket)
    }

    /// The next message if one is readable now; otherwise the read half is left armed to
    /// set the flag (and wake the registered task) when it becomes readable.
    fn try_next<S: WsSocket>(
        &self,
        socket: &mut S,
    ) -> Poll<Option<Result<WsMessage, axum::Error>>> {
        if !self.flag.ready.swap(false, Ordering::AcqRel) {
            return Poll::Pending;
        }
        let polled = socket.poll_next_unpin(&mut Context::from_waker(&self.waker));
        if polled.is_ready() {
            self.flag.ready.store(true, Ordering::Release);
        }
        polled
    }
}

/// Await `fut` for at most `limit`, `None` on timeout. The connection's one timer is
/// borrowed (and re-armed) only when `fut` does not complete on its first poll, so a write
/// that does not block costs no timer operation, and a connection task carries one timer
/// instead of one per await.
///
/// A hand-written future rather than an `async fn`: an `async fn` would keep `fut` twice in
/// its state (the argument and the pinned local), and this future sits inside the state of
/// every connection task (256 bytes per connection for the write path).
fn with_deadline<F: Future>(
    fut: F,
    sleep: Pin<&mut Sleep>,
    limit: Duration,
) -> WithDeadline<'_, F> {
    WithDeadline {
        fut,
        sleep,
        limit,
        armed: false,
    }
}

pin_project_lite::pin_project! {
    /// The future of [`with_deadline`].
    struct WithDeadline<'a, F> {
        #[pin]
        fut: F,
        sleep: Pin<&'a mut Sleep>,
        limit: Duration,
        // The timer was re-armed for this future.
        armed: bool,
    }
}

impl<F: Future> Future for WithDeadline<'_, F> {
    type Output = Option<F::Output>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.project();
        if let Poll::Ready(out) = this.fut.poll(cx) {
            return Poll::Ready(Some(out));
        }
        if !*this.armed {
            *this.armed = true;
            this.sleep.as_mut().reset(Instant::now() + *this.limit);
        }
        this.sleep.as_mut().poll(cx).map(|()| None)
    }
}
