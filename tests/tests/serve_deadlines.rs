//! `socketio::serve` over real sockets: header-read, idle and write deadlines, head limits,
//! the connection cap, connect info, WebSocket upgrades and graceful shutdown.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::extract::ConnectInfo;
use axum::extract::ws::{Message, WebSocketUpgrade};
use axum::routing::get;
use futures_util::{SinkExt as _, StreamExt as _};
use socketio::ServeConfig;
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::Notify;
use tokio::time::{Instant, sleep, timeout};

/// Upper bound for anything a test waits for.
const WAIT: Duration = Duration::from_secs(10);
const SHORT: Duration = Duration::from_millis(400);
/// How late a deadline may fire on a busy machine.
const SLACK: Duration = Duration::from_secs(3);

/// One chunk of the endless `/endless` response body.
static CHUNK: [u8; 64 * 1024] = [b'x'; 64 * 1024];
/// Size of the `/large` response body.
const LARGE: usize = 512 * 1024;

fn app(release: Arc<Notify>, entered: Arc<Notify>) -> Router {
    Router::new()
        .route("/", get(|| async { "ok" }))
        .route(
            "/endless",
            get(|| async {
                let chunks = futures_util::stream::repeat_with(|| {
                    Ok::<_, std::convert::Infallible>(bytes::Bytes::from_static(&CHUNK))
                });
                axum::body::Body::from_stream(chunks)
            }),
        )
        .route("/large", get(|| async { vec![b'y'; LARGE] }))
        .route(
            "/ws-flood",
            get(|ws: WebSocketUpgrade| async move {
                ws.on_upgrade(|mut socket| async move {
                    let chunk = bytes::Bytes::from_static(&CHUNK);
                    while socket.send(Message::Binary(chunk.clone())).await.is_ok() {}
                })
            }),
        )
        .route(
            "/peer",
            get(|ConnectInfo(addr): ConnectInfo<SocketAddr>| async move { addr.to_string() }),
        )
        .route(
            "/slow",
            get(move || async move {
                entered.notify_one();
                release.notified().await;
                "slow"
            }),
        )
        .route(
            "/ws",
            get(|ws: WebSocketUpgrade| async move {
                ws.on_upgrade(|mut socket| async move {
                    while let Some(Ok(msg)) = socket.next().await {
                        if let Message::Text(t) = msg
                            && socket.send(Message::Text(t)).await.is_err()
                        {
                            break;
                        }
                    }
                })
            }),
        )
}

struct Server {
    addr: SocketAddr,
    release: Arc<Notify>,
    entered: Arc<Notify>,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    task: tokio::task::JoinHandle<std::io::Result<()>>,
}

async fn start(config: ServeConfig) -> Server {
    start_on(TcpListener::bind("127.0.0.1:0").await.unwrap(), config).await
}

/// A listener whose accepted sockets have a small send buffer (Linux: accepted sockets
/// inherit it), so that a client that stops reading blocks the server's writes quickly and a
/// client that reads a little unblocks them as quickly.
fn small_buffer_listener() -> TcpListener {
    let socket = tokio::net::TcpSocket::new_v4().unwrap();
    socket.set_send_buffer_size(16 * 1024).unwrap();
    socket.bind("127.0.0.1:0".parse().unwrap()).unwrap();
    socket.listen(128).unwrap()
}

/// A client socket with a small receive buffer (the kernel would grow it to megabytes).
async fn small_buffer_client(addr: SocketAddr) -> TcpStream {
    let socket = tokio::net::TcpSocket::new_v4().unwrap();
    socket.set_recv_buffer_size(16 * 1024).unwrap();
    socket.connect(addr).await.unwrap()
}

async fn start_on(listener: TcpListener, config: ServeConfig) -> Server {
    let addr = listener.local_addr().unwrap();
    let release = Arc::new(Notify::new());
    let entered = Arc::new(Notify::new());
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let serve = socketio::serve(listener, app(Arc::clone(&release), Arc::clone(&entered)))
        .config(config)
        .with_graceful_shutdown(async move {
            let _ = stopped.await;
        });
    let task = tokio::spawn(serve.into_future());
    Server {
        addr,
        release,
        entered,
        stop: Some(stop),
        task,
    }
}

/// Short header deadline, long idle deadline.
fn header_config(http2: bool) -> ServeConfig {
    ServeConfig::default()
        .header_read_timeout(SHORT)
        .keep_alive_idle_timeout(Duration::from_secs(30))
        .http2(http2)
}

/// Reads until the peer closes (EOF or reset); returns how long that took.
async fn closed_after(stream: &mut TcpStream, since: Instant) -> Duration {
    let mut buf = [0u8; 4096];
    let done = timeout(WAIT, async {
        loop {
            match stream.read(&mut buf).await {
                Ok(0) | Err(_) => return,
                Ok(_) => {}
            }
        }
    })
    .await;
    assert!(done.is_ok(), "connection still open after {WAIT:?}");
    since.elapsed()
}

/// Reads one HTTP/1.1 response (head and a `content-length` body); `None` if the
/// connection closes first.
async fn read_response(stream: &mut TcpStream) -> Option<(u16, String)> {
    let mut data = Vec::new();
    let mut buf = [0u8; 4096];
    loop {
        if let Some(end) = data.windows(4).position(|w| w == b"\r\n\r\n") {
            let head = String::from_utf8_lossy(&data[..end]).to_string();
            let len: usize = head
                .lines()
                .find_map(|l| {
                    let (k, v) = l.split_once(':')?;
                    k.eq_ignore_ascii_case("content-length")
                        .then(|| v.trim().parse().ok())?
                })
                .unwrap_or(0);
            if data.len() >= end + 4 + len {
                let status = head.split(' ').nth(1)?.parse().ok()?;
                let body = String::from_utf8_lossy(&data[end + 4..end + 4 + len]).to_string();
                return Some((status, body));
            }
        }
        match timeout(WAIT, stream.read(&mut buf)).await.ok()? {
            Ok(0) | Err(_) => return None,
            Ok(n) => data.extend_from_slice(&buf[..n]),
        }
    }
}

async fn get_on(stream: &mut TcpStream, path: &str) -> Option<(u16, String)> {
    let req = format!("GET {path} HTTP/1.1\r\nHost: test\r\n\r\n");
    stream.write_all(req.as_bytes()).await.ok()?;
    read_response(stream).await
}

#[tokio::test]
async fn a_connection_that_sends_nothing_is_closed_at_the_header_deadline() {
    for http2 in [false, true] {
        let server = start(header_config(http2)).await;
        let since = Instant::now();
        let mut s = TcpStream::connect(server.addr).await.unwrap();
        let took = closed_after(&mut s, since).await;
        assert!(took >= SHORT - Duration::from_millis(50), "{took:?}");
        assert!(took < SHORT + SLACK, "http2 {http2}: closed after {took:?}");
    }
}

#[tokio::test]
async fn a_connection_that_trickles_its_headers_is_closed_at_the_header_deadline() {
    for http2 in [false, true] {
        let server = start(header_config(http2)).await;
        let since = Instant::now();
        let s = TcpStream::connect(server.addr).await.unwrap();
        let (mut read, mut write) = s.into_split();
        let trickle = tokio::spawn(async move {
            let _ = write.write_all(b"GET / HTTP/1.1\r\nHost: test\r\n").await;
            // One header byte every 50 ms, for ever: the head never ends.
            loop {
                if write.write_all(b"x").await.is_err() {
                    return;
                }
                sleep(Duration::from_millis(50)).await;
            }
        });
        let mut buf = [0u8; 1024];
        let mut answer = Vec::new();
        let done = timeout(WAIT, async {
            loop {
                match read.read(&mut buf).await {
                    Ok(0) | Err(_) => return,
                    Ok(n) => answer.extend_from_slice(&buf[..n]),
                }
            }
        })
        .await;
        trickle.abort();
        let took = since.elapsed();
        assert!(done.is_ok(), "http2 {http2}: still open after {WAIT:?}");
        assert!(took >= SHORT - Duration::from_millis(50), "{took:?}");
        assert!(took < SHORT + SLACK, "http2 {http2}: closed after {took:?}");
        // Closed without a response being served.
        assert!(!String::from_utf8_lossy(&answer).contains("200 OK"));
    }
}

#[tokio::test]
async fn headers_completed_just_under_the_header_deadline_are_served() {
    for http2 in [false, true] {
        let server = start(
            ServeConfig::default()
                .header_read_timeout(Duration::from_millis(1500))
                .http2(http2),
        )
        .await;
        let mut s = TcpStream::connect(server.addr).await.unwrap();
        s.write_all(b"GET / HTTP/1.1\r\n").await.unwrap();
        // The behaviour under test: a head that takes 1 s of a 1.5 s deadline.
        sleep(Duration::from_millis(500)).await;
        s.write_all(b"Host: test\r\n").await.unwrap();
        sleep(Duration::from_millis(500)).await;
        s.write_all(b"\r\n").await.unwrap();
        assert_eq!(
            read_response(&mut s).await,
            Some((200, "ok".into())),
            "http2 {http2}"
        );
    }
}

#[tokio::test]
async fn an_idle_keep_alive_connection_is_closed_at_the_idle_deadline() {
    for http2 in [false, true] {
        let server = start(
            ServeConfig::default()
                .header_read_timeout(Duration::from_secs(30))
                .keep_alive_idle_timeout(SHORT)
                .http2(http2),
        )
        .await;
        let mut s = TcpStream::connect(server.addr).await.unwrap();
        // Under the deadline the connection is reused.
        assert_eq!(get_on(&mut s, "/").await, Some((200, "ok".into())));
        // The behaviour under test: idle for a quarter of the idle deadline.
        sleep(SHORT / 4).await;
        assert_eq!(get_on(&mut s, "/").await, Some((200, "ok".into())));
        let since = Instant::now();
        let took = closed_after(&mut s, since).await;
        assert!(took >= SHORT - Duration::from_millis(50), "{took:?}");
        assert!(took < SHORT + SLACK, "http2 {http2}: closed after {took:?}");
    }
}

#[tokio::test]
async fn hyper_restarts_the_header_deadline_on_an_idle_http1_connection() {
    // Documented on `ServeConfig::header_read_timeout`: an idle HTTP/1 keep-alive connection
    // is closed after `min(header_read_timeout, keep_alive_idle_timeout)`.
    let server = start(header_config(false)).await;
    let mut s = TcpStream::connect(server.addr).await.unwrap();
    assert_eq!(get_on(&mut s, "/").await, Some((200, "ok".into())));
    let since = Instant::now();
    let took = closed_after(&mut s, since).await;
    assert!(took >= SHORT - Duration::from_millis(50), "{took:?}");
    assert!(took < SHORT + SLACK, "closed after {took:?}");
}

#[tokio::test]
async fn a_long_request_is_not_cut_by_the_idle_deadline() {
    let server = start(
        ServeConfig::default()
            .header_read_timeout(SHORT)
            .keep_alive_idle_timeout(SHORT),
    )
    .await;
    let mut s = TcpStream::connect(server.addr).await.unwrap();
    s.write_all(b"GET /slow HTTP/1.1\r\nHost: test\r\n\r\n")
        .await
        .unwrap();
    // A long-poll in progress is not idle: once the handler runs, release it well after both
    // deadlines (the wait is the behaviour under test).
    timeout(WAIT, server.entered.notified()).await.unwrap();
    sleep(SHORT * 3).await;
    server.release.notify_one();
    assert_eq!(read_response(&mut s).await, Some((200, "slow".into())));
}

#[tokio::test]
async fn requests_carry_the_peer_address() {
    let server = start(ServeConfig::default()).await;
    let mut s = TcpStream::connect(server.addr).await.unwrap();
    let local = s.local_addr().unwrap();
    assert_eq!(
        get_on(&mut s, "/peer").await,
        Some((200, local.to_string()))
    );
}

#[tokio::test]
async fn a_websocket_upgrade_works_and_outlives_the_http_deadlines() {
    for http2 in [false, true] {
        let server = start(
            ServeConfig::default()
                .header_read_timeout(SHORT)
                .keep_alive_idle_timeout(SHORT)
                .http2(http2),
        )
        .await;
        let url = format!("ws://{}/ws", server.addr);
        let (mut ws, _) = tokio_tungstenite::connect_async(url).await.unwrap();
        ws.send("hello".into()).await.unwrap();
        let echo = timeout(WAIT, ws.next()).await.unwrap().unwrap().unwrap();
        assert_eq!(echo.into_text().unwrap().as_str(), "hello");
        // The behaviour under test: quiet for three deadlines, and still open.
        sleep(SHORT * 3).await;
        ws.send("later".into()).await.unwrap();
        let echo = timeout(WAIT, ws.next()).await.unwrap().unwrap().unwrap();
        assert_eq!(echo.into_text().unwrap().as_str(), "later", "http2 {http2}");
    }
}

/// A request head of exactly `len` bytes.
fn head_of(len: usize) -> Vec<u8> {
    let base = "GET / HTTP/1.1\r\nHost: test\r\nx-pad: \r\n\r\n".len();
    let pad = "a".repeat(len - base);
    format!("GET / HTTP/1.1\r\nHost: test\r\nx-pad: {pad}\r\n\r\n").into_bytes()
}

#[tokio::test]
async fn a_request_head_at_max_header_bytes_is_served_and_one_byte_more_gets_431() {
    for http2 in [false, true] {
        let limit = 10_000;
        let server = start(ServeConfig::default().max_header_bytes(limit).http2(http2)).await;
        let mut s = TcpStream::connect(server.addr).await.unwrap();
        s.write_all(&head_of(limit)).await.unwrap();
        assert_eq!(
            read_response(&mut s).await.map(|r| r.0),
            Some(200),
            "http2 {http2}"
        );
        let mut s = TcpStream::connect(server.addr).await.unwrap();
        s.write_all(&head_of(limit + 1)).await.unwrap();
        assert_eq!(
            read_response(&mut s).await.map(|r| r.0),
            Some(431),
            "http2 {http2}"
        );
    }
}

#[tokio::test]
async fn max_headers_at_limit_is_served_and_one_more_gets_431() {
    for max in [100, 10] {
        let server = start(ServeConfig::default().max_headers(max)).await;
        let head = |n: usize| {
            let mut h = String::from("GET / HTTP/1.1\r\nHost: test\r\n");
            for i in 1..n {
                h.push_str(&format!("x-h{i}: v\r\n"));
            }
            h.push_str("\r\n");
            h
        };
        let mut s = TcpStream::connect(server.addr).await.unwrap();
        s.write_all(head(max).as_bytes()).await.unwrap();
        assert_eq!(read_response(&mut s).await.map(|r| r.0), Some(200));
        let mut s = TcpStream::connect(server.addr).await.unwrap();
        s.write_all(head(max + 1).as_bytes()).await.unwrap();
        assert_eq!(read_response(&mut s).await.map(|r| r.0), Some(431));
    }
}

#[tokio::test]
async fn max_connections_at_limit_are_served_and_one_more_waits_for_a_free_slot() {
    let server = start(ServeConfig::default().max_connections(Some(2))).await;
    let mut a = TcpStream::connect(server.addr).await.unwrap();
    let mut b = TcpStream::connect(server.addr).await.unwrap();
    assert_eq!(get_on(&mut a, "/").await, Some((200, "ok".into())));
    assert_eq!(get_on(&mut b, "/").await, Some((200, "ok".into())));
    // The third waits in the accept backlog: no answer while both slots are taken.
    let mut c = TcpStream::connect(server.addr).await.unwrap();
    c.write_all(b"GET / HTTP/1.1\r\nHost: test\r\n\r\n")
        .await
        .unwrap();
    let mut buf = [0u8; 64];
    assert!(
        timeout(SHORT, c.read(&mut buf)).await.is_err(),
        "served over the limit"
    );
    drop(a);
    assert_eq!(read_response(&mut c).await, Some((200, "ok".into())));
}

#[tokio::test]
async fn a_websocket_keeps_its_connection_slot() {
    let server = start(ServeConfig::default().max_connections(Some(1))).await;
    let url = format!("ws://{}/ws", server.addr);
    let (mut ws, _) = tokio_tungstenite::connect_async(url).await.unwrap();
    let mut c = TcpStream::connect(server.addr).await.unwrap();
    c.write_all(b"GET / HTTP/1.1\r\nHost: test\r\n\r\n")
        .await
        .unwrap();
    let mut buf = [0u8; 64];
    assert!(timeout(SHORT, c.read(&mut buf)).await.is_err());
    ws.close(None).await.unwrap();
    while let Some(Ok(_)) = ws.next().await {}
    drop(ws);
    assert_eq!(read_response(&mut c).await, Some((200, "ok".into())));
}

#[tokio::test]
async fn graceful_shutdown_finishes_requests_in_progress_then_returns() {
    let mut server = start(ServeConfig::default()).await;
    let mut idle = TcpStream::connect(server.addr).await.unwrap();
    assert_eq!(get_on(&mut idle, "/").await, Some((200, "ok".into())));
    let mut busy = TcpStream::connect(server.addr).await.unwrap();
    busy.write_all(b"GET /slow HTTP/1.1\r\nHost: test\r\n\r\n")
        .await
        .unwrap();
    timeout(WAIT, server.entered.notified()).await.unwrap();
    server.stop.take().unwrap().send(()).unwrap();
    // The idle connection closes at once.
    closed_after(&mut idle, Instant::now()).await;
    // New connections are refused once the listener is gone.
    let refused = timeout(WAIT, async {
        loop {
            match TcpStream::connect(server.addr).await {
                Err(_) => return,
                Ok(mut s) => {
                    if get_on(&mut s, "/").await.is_none() {
                        return;
                    }
                }
            }
        }
    })
    .await;
    assert!(refused.is_ok());
    assert!(!server.task.is_finished());
    server.release.notify_one();
    assert_eq!(read_response(&mut busy).await, Some((200, "slow".into())));
    let result = timeout(WAIT, &mut server.task).await.unwrap().unwrap();
    assert!(result.is_ok());
}

#[tokio::test]
async fn many_silent_connections_are_all_closed_at_the_header_deadline() {
    // The slowloris case: hundreds of sockets that never send a byte.
    let server = start(header_config(false)).await;
    let since = Instant::now();
    let mut conns = Vec::new();
    for _ in 0..200 {
        conns.push(TcpStream::connect(server.addr).await.unwrap());
    }
    let tasks: Vec<_> = conns
        .into_iter()
        .map(|mut s| tokio::spawn(async move { closed_after(&mut s, since).await }))
        .collect();
    for t in tasks {
        let took = t.await.unwrap();
        assert!(took < SHORT + SLACK, "closed after {took:?}");
    }
    // And the server still serves.
    let mut s = TcpStream::connect(server.addr).await.unwrap();
    assert_eq!(get_on(&mut s, "/").await, Some((200, "ok".into())));
}

#[tokio::test]
async fn http1_responses_announce_the_idle_deadline_in_keep_alive() {
    // Clients that honour `Keep-Alive: timeout` (Node's agent) stop reusing an idle
    // connection before the server closes it.
    let server = start(
        ServeConfig::default()
            .header_read_timeout(Duration::from_secs(10))
            .keep_alive_idle_timeout(Duration::from_secs(7)),
    )
    .await;
    let mut s = TcpStream::connect(server.addr).await.unwrap();
    s.write_all(b"GET / HTTP/1.1\r\nHost: test\r\n\r\n")
        .await
        .unwrap();
    let mut data = Vec::new();
    let mut buf = [0u8; 1024];
    while !data.windows(4).any(|w| w == b"\r\n\r\n") {
        let n = timeout(WAIT, s.read(&mut buf)).await.unwrap().unwrap();
        assert!(n > 0);
        data.extend_from_slice(&buf[..n]);
    }
    let head = String::from_utf8_lossy(&data).to_lowercase();
    assert!(head.contains("\r\nkeep-alive: timeout=7\r\n"), "{head}");
}

/// With `max_connections(1)`, sends a request on a second connection, which the server
/// serves only once the first connection is closed; returns when that happened.
async fn served_after_slot_freed(addr: SocketAddr) -> (tokio::task::JoinHandle<Instant>, Instant) {
    let since = Instant::now();
    let waiting = tokio::spawn(async move {
        let mut c = TcpStream::connect(addr).await.unwrap();
        assert_eq!(get_on(&mut c, "/").await, Some((200, "ok".into())));
        Instant::now()
    });
    (waiting, since)
}

#[tokio::test]
async fn a_response_the_client_does_not_read_is_cut_at_the_write_deadline() {
    let server = start_on(
        small_buffer_listener(),
        ServeConfig::default()
            .max_connections(Some(1))
            .write_timeout(SHORT),
    )
    .await;
    let mut stuck = small_buffer_client(server.addr).await;
    stuck
        .write_all(b"GET /endless HTTP/1.1\r\nHost: test\r\n\r\n")
        .await
        .unwrap();
    // The stuck connection holds the only slot: the next client is served once the write
    // deadline has closed it.
    let (waiting, since) = served_after_slot_freed(server.addr).await;
    let served_at = timeout(WAIT, waiting).await.expect("never served").unwrap();
    let took = served_at - since;
    assert!(took >= SHORT - Duration::from_millis(50), "{took:?}");
    assert!(took < SHORT + SLACK, "served after {took:?}");
    // The stuck client, reading now, finds its connection reset (or closed) after what the
    // buffers held.
    let mut buf = vec![0u8; 64 * 1024];
    let mut got = 0usize;
    let ended = timeout(WAIT, async {
        loop {
            match stuck.read(&mut buf).await {
                Ok(0) | Err(_) => return,
                Ok(n) => got += n,
            }
        }
    })
    .await;
    assert!(ended.is_ok(), "still open after {got} bytes");
    assert!(got < 8 << 20, "{got} bytes");
}

#[tokio::test]
async fn a_slow_client_that_keeps_reading_is_not_cut_by_the_write_deadline() {
    let server = start_on(
        small_buffer_listener(),
        ServeConfig::default()
            .max_connections(Some(1))
            .write_timeout(SHORT),
    )
    .await;
    let mut slow = small_buffer_client(server.addr).await;
    slow.write_all(b"GET /large HTTP/1.1\r\nHost: test\r\n\r\n")
        .await
        .unwrap();
    let (waiting, since) = served_after_slot_freed(server.addr).await;
    // One read every 100 ms, of what its small receive buffer holds (about 300 KB/s): every
    // pending write proceeds within about 100 ms, a quarter of the deadline, though the whole
    // response takes about 2 s, 5 times the deadline.
    let mut data = Vec::new();
    let mut buf = vec![0u8; 64 * 1024];
    let head_end = loop {
        let n = timeout(WAIT, slow.read(&mut buf)).await.unwrap().unwrap();
        assert!(n > 0, "closed after {} bytes", data.len());
        data.extend_from_slice(&buf[..n]);
        if let Some(end) = data.windows(4).position(|w| w == b"\r\n\r\n") {
            break end + 4;
        }
    };
    while data.len() < head_end + LARGE {
        // The behaviour under test: a slow reader (one read every 100 ms).
        sleep(Duration::from_millis(100)).await;
        let n = timeout(WAIT, slow.read(&mut buf)).await.unwrap().unwrap();
        assert!(n > 0, "closed after {} bytes", data.len());
        data.extend_from_slice(&buf[..n]);
    }
    assert_eq!(data.len(), head_end + LARGE);
    assert!(data[head_end..].iter().all(|&b| b == b'y'));
    assert!(since.elapsed() > SHORT * 4, "{:?}", since.elapsed());
    // The slow client kept the slot all along.
    assert!(!waiting.is_finished());
    drop(slow);
    timeout(WAIT, waiting).await.expect("never served").unwrap();
}

#[tokio::test]
async fn a_websocket_the_client_does_not_read_is_cut_at_the_write_deadline() {
    let server = start_on(
        small_buffer_listener(),
        ServeConfig::default()
            .max_connections(Some(1))
            .write_timeout(SHORT),
    )
    .await;
    let mut stuck = small_buffer_client(server.addr).await;
    stuck
        .write_all(
            b"GET /ws-flood HTTP/1.1\r\nHost: test\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n\
              Sec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n",
        )
        .await
        .unwrap();
    let (waiting, since) = served_after_slot_freed(server.addr).await;
    let served_at = timeout(WAIT, waiting).await.expect("never served").unwrap();
    let took = served_at - since;
    assert!(took >= SHORT - Duration::from_millis(50), "{took:?}");
    assert!(took < SHORT + SLACK, "served after {took:?}");
    drop(stuck);
}

#[tokio::test]
async fn an_idle_websocket_is_not_cut_by_the_write_deadline() {
    let server = start(ServeConfig::default().write_timeout(SHORT)).await;
    let url = format!("ws://{}/ws", server.addr);
    let (mut ws, _) = tokio_tungstenite::connect_async(url).await.unwrap();
    ws.send("hello".into()).await.unwrap();
    let echo = timeout(WAIT, ws.next()).await.unwrap().unwrap().unwrap();
    assert_eq!(echo.into_text().unwrap().as_str(), "hello");
    // The behaviour under test: quiet for three deadlines, and still open.
    sleep(SHORT * 3).await;
    ws.send("later".into()).await.unwrap();
    let echo = timeout(WAIT, ws.next()).await.unwrap().unwrap().unwrap();
    assert_eq!(echo.into_text().unwrap().as_str(), "later");
}

#[tokio::test]
async fn a_long_poll_waiting_longer_than_the_write_deadline_is_answered() {
    let server = start(ServeConfig::default().write_timeout(SHORT)).await;
    let mut s = TcpStream::connect(server.addr).await.unwrap();
    s.write_all(b"GET /slow HTTP/1.1\r\nHost: test\r\n\r\n")
        .await
        .unwrap();
    timeout(WAIT, server.entered.notified()).await.unwrap();
    // The behaviour under test: the handler runs for three deadlines.
    sleep(SHORT * 3).await;
    server.release.notify_one();
    assert_eq!(read_response(&mut s).await, Some((200, "slow".into())));
}

#[test]
fn the_write_deadline_defaults_to_60_seconds() {
    assert_eq!(
        ServeConfig::default().write_timeout,
        Duration::from_secs(60)
    );
}

/// Queues 16 text frames of 60 KB (960 KB, one full polling response) when a session opens.
struct Burst;

impl socketio::engine::EngineHandler for Burst {
    type State = ();
    fn on_open(&self, conn: &socketio::engine::EngineConn) {
        let mut packet = vec![b'z'; 60_000];
        packet[0] = b'4';
        for _ in 0..16 {
            let _ = conn.send(socketio::engine::Frame::Text(packet.clone().into()));
        }
    }
    fn on_message(
        &self,
        _: &mut (),
        _: &socketio::engine::EngineConn,
        _: socketio::engine::Message,
    ) {
    }
    fn on_close(
        &self,
        _: &mut (),
        _: &socketio::engine::EngineConn,
        _: socketio::engine::CloseReason,
    ) {
    }
}

#[tokio::test]
async fn a_polling_response_the_client_does_not_read_is_cut_at_the_write_deadline() {
    let engine = socketio::engine::Engine::new(socketio::engine::EngineConfig::default(), Burst);
    let app = socketio::router::mount(Router::new(), "/engine.io/", engine);
    let listener = small_buffer_listener();
    let addr = listener.local_addr().unwrap();
    let config = ServeConfig::default()
        .max_connections(Some(1))
        .write_timeout(SHORT);
    tokio::spawn(socketio::serve(listener, app).config(config).into_future());
    let mut stuck = small_buffer_client(addr).await;
    let (status, open) = get_on(&mut stuck, "/engine.io/?EIO=4&transport=polling")
        .await
        .unwrap();
    assert_eq!(status, 200, "{open}");
    let sid = open
        .split("\"sid\":\"")
        .nth(1)
        .unwrap()
        .split('"')
        .next()
        .unwrap();
    // The poll that would carry the 960 KB burst, never read.
    let poll =
        format!("GET /engine.io/?EIO=4&transport=polling&sid={sid} HTTP/1.1\r\nHost: test\r\n\r\n");
    stuck.write_all(poll.as_bytes()).await.unwrap();
    let since = Instant::now();
    let served = timeout(WAIT, async {
        let mut c = TcpStream::connect(addr).await.unwrap();
        get_on(&mut c, "/engine.io/?EIO=4&transport=polling").await
    })
    .await
    .expect("never served");
    assert_eq!(served.map(|r| r.0), Some(200));
    let took = since.elapsed();
    assert!(took >= SHORT - Duration::from_millis(50), "{took:?}");
    assert!(took < SHORT + SLACK, "served after {took:?}");
}
