//! Engine.IO limits and deadlines over real sockets: outgoing queues bounded in bytes,
//! polling responses drained in batches, the polling POST body deadline, compression of
//! large polls.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    missing_docs
)]

use std::io::Read as _;
use std::net::SocketAddr;
use std::time::{Duration, Instant};

use axum::Router;
use bytes::Bytes;
use futures_util::StreamExt as _;
use socketio::engine::{
    CloseReason, Engine, EngineConfig, EngineConn, EngineHandler, Frame, Message, SendError,
};
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpStream;
use tokio::net::tcp::{OwnedReadHalf, OwnedWriteHalf};
use tokio::sync::mpsc::{UnboundedReceiver, UnboundedSender, unbounded_channel};

// ---------------------------------------------------------------- engine under test

struct Handler {
    opened: UnboundedSender<EngineConn>,
    closed: UnboundedSender<(String, CloseReason)>,
}

impl EngineHandler for Handler {
    type State = ();

    fn on_open(&self, conn: &EngineConn) {
        let _ = self.opened.send(conn.clone());
    }

    fn on_message(&self, _: &mut (), conn: &EngineConn, msg: Message) {
        let _ = match msg {
            Message::Text(t) => conn.send(Frame::Text(Bytes::from(format!("4{t}")))),
            Message::Binary(b) => conn.send(Frame::Binary(b)),
        };
    }

    fn on_close(&self, _: &mut (), conn: &EngineConn, reason: CloseReason) {
        let _ = self.closed.send((conn.sid().to_owned(), reason));
    }
}

struct Bed {
    addr: SocketAddr,
    opened: UnboundedReceiver<EngineConn>,
    closed: UnboundedReceiver<(String, CloseReason)>,
}

async fn bed(config: EngineConfig) -> Bed {
    let (otx, opened) = unbounded_channel();
    let (ctx, closed) = unbounded_channel();
    let engine = Engine::new(
        config,
        Handler {
            opened: otx,
            closed: ctx,
        },
    );
    let app = socketio::router::mount(Router::new(), "/engine.io/", engine);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await });
    Bed {
        addr,
        opened,
        closed,
    }
}

impl Bed {
    async fn next_open(&mut self) -> EngineConn {
        tokio::time::timeout(Duration::from_secs(5), self.opened.recv())
            .await
            .unwrap()
            .unwrap()
    }

    async fn next_close(&mut self) -> (String, CloseReason) {
        tokio::time::timeout(Duration::from_secs(5), self.closed.recv())
            .await
            .unwrap()
            .unwrap()
    }

    /// A polling handshake on a new keep-alive connection: the client, its sid and the
    /// server's handle.
    async fn polling(&mut self) -> (Http, String, EngineConn) {
        let mut http = Http::connect(self.addr).await;
        let r = http.get("/engine.io/?EIO=4&transport=polling").await;
        assert_eq!(r.status, 200);
        let v: serde_json::Value = serde_json::from_slice(&r.body[1..]).unwrap();
        let sid = v["sid"].as_str().unwrap().to_owned();
        let conn = self.next_open().await;
        assert_eq!(conn.sid(), sid);
        (http, sid, conn)
    }
}

fn poll_uri(sid: &str) -> String {
    format!("/engine.io/?EIO=4&transport=polling&sid={sid}")
}

// ---------------------------------------------------------------- a minimal HTTP/1.1 client

struct Http {
    reader: BufReader<OwnedReadHalf>,
    writer: Option<OwnedWriteHalf>,
}

#[derive(Debug)]
struct Resp {
    status: u16,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

impl Resp {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

impl Http {
    async fn connect(addr: SocketAddr) -> Self {
        let stream = TcpStream::connect(addr).await.unwrap();
        stream.set_nodelay(true).unwrap();
        let (r, w) = stream.into_split();
        Self {
            reader: BufReader::new(r),
            writer: Some(w),
        }
    }

    async fn write_head(&mut self, method: &str, path: &str, extra: &str) {
        let head = format!("{method} {path} HTTP/1.1\r\nhost: localhost\r\n{extra}\r\n");
        self.write(head.as_bytes()).await;
    }

    async fn write(&mut self, bytes: &[u8]) {
        let w = self.writer.as_mut().expect("the writer is lent out");
        w.write_all(bytes).await.unwrap();
    }

    async fn read_response(&mut self) -> Resp {
        let mut line = String::new();
        self.reader.read_line(&mut line).await.unwrap();
        let status: u16 = line.split(' ').nth(1).unwrap().parse().unwrap();
        let mut headers = Vec::new();
        loop {
            line.clear();
            self.reader.read_line(&mut line).await.unwrap();
            let l = line.trim_end();
            if l.is_empty() {
                break;
            }
            let (k, v) = l.split_once(':').unwrap();
            headers.push((k.trim().to_owned(), v.trim().to_owned()));
        }
        let mut resp = Resp {
            status,
            headers,
            body: Vec::new(),
        };
        let len: usize = resp
            .header("content-length")
            .expect("a full body has a content-length")
            .parse()
            .unwrap();
        resp.body = vec![0; len];
        self.reader.read_exact(&mut resp.body).await.unwrap();
        resp
    }

    async fn get(&mut self, path: &str) -> Resp {
        self.get_with(path, "").await
    }

    async fn get_with(&mut self, path: &str, extra: &str) -> Resp {
        self.write_head("GET", path, extra).await;
        tokio::time::timeout(Duration::from_secs(10), self.read_response())
            .await
            .unwrap()
    }

    async fn post(&mut self, path: &str, body: &[u8]) -> Resp {
        self.write_head("POST", path, &format!("content-length: {}\r\n", body.len()))
            .await;
        self.write(body).await;
        tokio::time::timeout(Duration::from_secs(10), self.read_response())
            .await
            .unwrap()
    }
}

/// The packets of a polling payload.
fn packets(body: &[u8]) -> Vec<&[u8]> {
    body.split(|&b| b == 0x1e).collect()
}

// ---------------------------------------------------------------- queues and batches

/// 3,000 events with three binary attachments each (12,000 frames; the old 1,024-frame
/// queue cap died at 256 events) reach a client that keeps polling, all of them, in order,
/// in responses of at most 16 packets.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_polling_client_that_keeps_polling_survives_a_burst_and_gets_everything_in_order() {
    const EVENTS: usize = 3_000;
    const ATTACHMENTS: usize = 3;
    let mut b = bed(EngineConfig::default()).await;
    let (mut http, sid, conn) = b.polling().await;

    let sender = tokio::spawn(async move {
        for i in 0..EVENTS {
            let mut frames = vec![Frame::Text(Bytes::from(format!(
                "45{ATTACHMENTS}-[\"burst\",{i}]"
            )))];
            frames.extend((0..ATTACHMENTS).map(|a| Frame::Binary(Bytes::from(vec![a as u8]))));
            conn.send_many(&frames)
                .unwrap_or_else(|e| panic!("event {i} refused: {e}"));
            if i % 500 == 0 {
                tokio::task::yield_now().await;
            }
        }
        conn
    });

    let mut got: Vec<Vec<u8>> = Vec::new();
    let mut responses = 0;
    let deadline = Instant::now() + Duration::from_secs(60);
    while got.len() < EVENTS * (1 + ATTACHMENTS) {
        assert!(Instant::now() < deadline, "got {} packets", got.len());
        let r = http.get(&poll_uri(&sid)).await;
        assert_eq!(r.status, 200, "{:?}", String::from_utf8_lossy(&r.body));
        let ps = packets(&r.body);
        assert!(ps.len() <= 16, "{} packets in one response", ps.len());
        assert!(r.body.len() <= 1_000_000);
        responses += 1;
        got.extend(ps.into_iter().map(<[u8]>::to_vec));
    }
    let conn = sender.await.unwrap();
    assert!(!conn.is_closed());
    assert!(responses >= EVENTS * (1 + ATTACHMENTS) / 16);
    for (i, event) in got.chunks(1 + ATTACHMENTS).enumerate() {
        assert_eq!(
            event[0],
            format!("45{ATTACHMENTS}-[\"burst\",{i}]").as_bytes()
        );
        for (a, att) in event[1..].iter().enumerate() {
            // `b` + base64 of one byte.
            let expected = match a {
                0 => "bAA==",
                1 => "bAQ==",
                _ => "bAg==",
            };
            assert_eq!(att.as_slice(), expected.as_bytes(), "event {i}");
        }
    }
    // Still open and usable.
    assert_eq!(http.post(&poll_uri(&sid), b"4after").await.body, b"ok");
    assert_eq!(http.get(&poll_uri(&sid)).await.body, b"4after");
    assert!(b.closed.try_recv().is_err());
}

/// A client that never polls: its queue fills to `max_buffered_bytes` exactly and stays
/// open; one byte more closes it with `SendBufferFull`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_client_that_never_reads_is_closed_at_the_byte_limit_plus_one() {
    // Every frame costs its length + 32: nine of 68 bytes and one of 68 fill 1,000.
    let mut config = EngineConfig::default();
    config.max_buffered_bytes = 1_000;
    let frame = |n: usize| Frame::Text(Bytes::from(format!("4{}", "x".repeat(n - 1))));
    let mut b = bed(config).await;

    let (mut at_limit, at_sid, at_conn) = b.polling().await;
    let (mut over, over_sid, over_conn) = b.polling().await;
    for _ in 0..9 {
        at_conn.send(frame(68)).unwrap();
        over_conn.send(frame(68)).unwrap();
    }
    assert_eq!(at_conn.send(frame(68)), Ok(()), "1,000 bytes: at the limit");
    assert_eq!(
        over_conn.send(frame(69)),
        Err(SendError::Full),
        "1,001 bytes: limit + 1"
    );
    assert_eq!(
        b.next_close().await,
        (over_sid.clone(), CloseReason::SendBufferFull)
    );
    assert!(over_conn.is_closed());
    assert_eq!(over_conn.send(frame(2)), Err(SendError::Closed));
    // The closed client's next poll fails; the one at the limit gets its queue.
    assert_eq!(over.get(&poll_uri(&over_sid)).await.status, 400);
    assert!(!at_conn.is_closed());
    let r = at_limit.get(&poll_uri(&at_sid)).await;
    assert_eq!(packets(&r.body).len(), 10);
    // Drained: the budget is free again.
    for _ in 0..10 {
        at_conn.send(frame(68)).unwrap();
    }
    assert!(!at_conn.is_closed());
}

/// `max_poll_bytes`: a response stops before the packet that would pass it; a packet larger
/// than the limit goes alone.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn poll_responses_are_bounded_in_bytes() {
    let mut config = EngineConfig::default();
    config.max_poll_bytes = 100;
    config.compression_threshold = None;
    let mut b = bed(config).await;
    let (mut http, sid, conn) = b.polling().await;
    // 10 packets of 20 bytes (21 with the separator): 4 per response.
    for _ in 0..10 {
        conn.send(Frame::Text(Bytes::from(format!("4{}", "y".repeat(19)))))
            .unwrap();
    }
    conn.send(Frame::Text(Bytes::from(format!("4{}", "z".repeat(299)))))
        .unwrap();
    let mut sizes = Vec::new();
    for _ in 0..4 {
        let r = http.get(&poll_uri(&sid)).await;
        sizes.push((packets(&r.body).len(), r.body.len()));
    }
    assert_eq!(sizes, [(4, 83), (4, 83), (2, 41), (1, 300)]);
}

/// A server close (`ForcedClose`, Socket.IO's `disconnect`) with 40 frames queued: the
/// polls that follow still get them all, 16 at a time, then the session is gone.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_server_close_still_delivers_the_queue_in_batches() {
    let mut b = bed(EngineConfig::default()).await;
    let (mut http, sid, conn) = b.polling().await;
    for i in 0..40 {
        conn.send(Frame::Text(Bytes::from(format!("4m{i}"))))
            .unwrap();
    }
    conn.close(CloseReason::ForcedClose);
    assert_eq!(
        b.next_close().await,
        (sid.clone(), CloseReason::ForcedClose)
    );
    let mut got = Vec::new();
    for expected in [16, 16, 8] {
        let r = http.get(&poll_uri(&sid)).await;
        assert_eq!(r.status, 200);
        let ps = packets(&r.body);
        assert_eq!(ps.len(), expected);
        got.extend(ps.into_iter().map(<[u8]>::to_vec));
    }
    let want: Vec<Vec<u8>> = (0..40).map(|i| format!("4m{i}").into_bytes()).collect();
    assert_eq!(got, want);
    assert_eq!(http.get(&poll_uri(&sid)).await.status, 400);
}

type WsClient =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

async fn next(ws: &mut WsClient) -> tokio_tungstenite::tungstenite::Message {
    tokio::time::timeout(Duration::from_secs(10), ws.next())
        .await
        .unwrap()
        .unwrap()
        .unwrap()
}

/// The same burst, sent without yielding (as one handler broadcasting in a loop), to a
/// WebSocket client: it gets everything in order (the old frame cap closed it too).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_websocket_client_survives_a_burst() {
    const EVENTS: usize = 3_000;
    let mut b = bed(EngineConfig::default()).await;
    let url = format!("ws://{}/engine.io/?EIO=4&transport=websocket", b.addr);
    let (mut ws, _) = tokio_tungstenite::connect_async(url).await.unwrap();
    let conn = b.next_open().await;
    for i in 0..EVENTS {
        let frames = [
            Frame::Text(Bytes::from(format!("451-[\"burst\",{i}]"))),
            Frame::Binary(Bytes::from(vec![1u8])),
            Frame::Binary(Bytes::from(vec![2u8])),
            Frame::Binary(Bytes::from(vec![3u8])),
        ];
        conn.send_many(&frames).unwrap();
    }
    assert!(next(&mut ws).await.into_text().unwrap().starts_with('0'));
    for i in 0..EVENTS {
        let text = next(&mut ws).await.into_text().unwrap();
        assert_eq!(text.as_str(), format!("451-[\"burst\",{i}]"));
        for a in 1..=3u8 {
            assert_eq!(next(&mut ws).await.into_data().as_ref(), [a]);
        }
    }
    assert!(!conn.is_closed());
}

/// A WebSocket client that never reads: once the kernel buffers are full, the queue grows
/// to `max_buffered_bytes` and the connection closes with `SendBufferFull`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_websocket_client_that_never_reads_is_closed_at_the_byte_limit() {
    let mut config = EngineConfig::default();
    config.max_buffered_bytes = 1 << 20;
    let mut b = bed(config).await;
    let url = format!("ws://{}/engine.io/?EIO=4&transport=websocket", b.addr);
    let (_ws, _) = tokio_tungstenite::connect_async(url).await.unwrap();
    let conn = b.next_open().await;
    let big = Frame::Binary(Bytes::from(vec![0u8; 64 * 1024]));
    let mut refused = None;
    for i in 0..100_000 {
        if let Err(e) = conn.send(big.clone()) {
            refused = Some((i, e));
            break;
        }
        if i % 8 == 0 {
            tokio::task::yield_now().await;
        }
    }
    let (i, e) = refused.expect("the queue never filled");
    assert_eq!(e, SendError::Full);
    // 15 frames of 64 KiB + 32 fit in 1 MiB, a 16th does not; what the writer moved to the
    // kernel meanwhile no longer counts.
    assert!(i >= 15, "refused after {i} frames");
    assert_eq!(b.next_close().await.1, CloseReason::SendBufferFull);
}

/// A WebSocket write that cannot complete (the client stopped reading and the kernel buffers
/// are full) is given up at `ping_interval + ping_timeout`: the connection closes with
/// `TransportError` although its queue is far from `max_buffered_bytes`. Without the write
/// deadline the connection task would wait in the write forever (its heartbeat timer is the
/// one the write borrows).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_blocked_websocket_write_is_cut_at_ping_interval_plus_timeout() {
    let mut config = EngineConfig::default();
    config.ping_interval = Duration::from_millis(300);
    config.ping_timeout = Duration::from_millis(300);
    config.max_buffered_bytes = 256 << 20;
    let mut b = bed(config).await;
    let url = format!("ws://{}/engine.io/?EIO=4&transport=websocket", b.addr);
    let (_ws, _) = tokio_tungstenite::connect_async(url).await.unwrap();
    let conn = b.next_open().await;
    // 64 MiB: more than loopback's socket buffers hold, a quarter of the queue's limit.
    let big = Frame::Binary(Bytes::from(vec![0u8; 1 << 20]));
    for _ in 0..64 {
        conn.send(big.clone()).unwrap();
    }
    // Within `next_close`'s 5 s: one write deadline (600 ms) after the write blocked.
    assert_eq!(b.next_close().await.1, CloseReason::TransportError);
}

// ---------------------------------------------------------------- deadlines

/// A polling POST whose body trickles in is answered 408 at `request_body_timeout`, and the
/// session closes with `TransportError`; one whose body arrives in time is served.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_trickled_post_body_is_closed_at_the_deadline() {
    let mut config = EngineConfig::default();
    config.request_body_timeout = Duration::from_millis(400);
    let mut b = bed(config).await;

    // In time: two halves 100 ms apart.
    let (mut http, sid, _conn) = b.polling().await;
    http.write_head("POST", &poll_uri(&sid), "content-length: 6\r\n")
        .await;
    http.write(b"4he").await;
    tokio::time::sleep(Duration::from_millis(100)).await; // the trickle itself
    http.write(b"llo").await;
    let r = http.read_response().await;
    assert_eq!((r.status, r.body.as_slice()), (200, &b"ok"[..]));
    assert_eq!(http.get(&poll_uri(&sid)).await.body, b"4hello");

    // Trickled: 1 byte every 100 ms of a 100-byte body.
    let started = Instant::now();
    http.write_head("POST", &poll_uri(&sid), "content-length: 100\r\n")
        .await;
    let mut w = http.writer.take().unwrap();
    let trickle = tokio::spawn(async move {
        for _ in 0..100 {
            if w.write_all(b"4").await.is_err() {
                break;
            }
            tokio::time::sleep(Duration::from_millis(100)).await; // the trickle itself
        }
    });
    let r = tokio::time::timeout(Duration::from_secs(5), http.read_response())
        .await
        .expect("the server waited for the whole trickle");
    let took = started.elapsed();
    trickle.abort();
    assert_eq!(r.status, 408);
    assert!(took >= Duration::from_millis(400), "closed after {took:?}");
    assert!(took < Duration::from_secs(3), "closed after {took:?}");
    assert_eq!(b.next_close().await, (sid, CloseReason::TransportError));
}

// ---------------------------------------------------------------- compression

/// A poll response above 64 KiB is compressed on the blocking pool; it still decodes to the
/// payload. Prints how long the compression of a full 1 MB response takes.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_large_poll_is_gzipped_correctly() {
    let mut b = bed(EngineConfig::default()).await;
    let (mut http, sid, conn) = b.polling().await;
    // 15 packets of ~22 KB of JSON-ish text: ~340 KB in one response.
    let mut expected = Vec::new();
    for i in 0..15 {
        let body: String = (0..6_000).map(|j| format!("{},", (i * j) % 1000)).collect();
        let packet = format!("42[\"big\",\"{body}\"]");
        if i > 0 {
            expected.push(0x1e);
        }
        expected.extend_from_slice(packet.as_bytes());
        conn.send(Frame::Text(Bytes::from(packet))).unwrap();
    }
    let started = Instant::now();
    let r = http
        .get_with(&poll_uri(&sid), "accept-encoding: gzip\r\n")
        .await;
    let took = started.elapsed();
    assert_eq!(r.header("content-encoding"), Some("gzip"));
    let mut plain = Vec::new();
    flate2::read::GzDecoder::new(r.body.as_slice())
        .read_to_end(&mut plain)
        .unwrap();
    assert_eq!(plain, expected);
    eprintln!(
        "gzip poll of {} bytes -> {} bytes in {took:?}",
        expected.len(),
        r.body.len()
    );
}
