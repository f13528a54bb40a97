//! Handler scheduling (in order per socket, independent between clients, concurrent on
//! request, bounded queue), back-pressure on a client that does not read, graceful shutdown.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    missing_docs
)]

use std::sync::Arc;

use socketio::{DisconnectReason, EmitError, ServerConfig, Socket, SocketIo};
use socketio_tests::{Polling, STEP, Served, Ws, next, serve, within};
use tokio::sync::{Semaphore, mpsc};

struct Fixture {
    srv: Served,
    /// Released one permit per slow handler allowed to finish.
    gate: Arc<Semaphore>,
    log: mpsc::UnboundedReceiver<String>,
    gone: mpsc::UnboundedReceiver<(String, DisconnectReason)>,
}

/// `/` has `slow` (waits for the gate), `fast` and `ping`; `/probe` has `ping`. Every handler
/// logs `<event>:<sid prefix>`.
async fn fixture(config: ServerConfig) -> Fixture {
    let io = SocketIo::builder().config(config).build().unwrap();
    let gate = Arc::new(Semaphore::new(0));
    let (tx, log) = mpsc::unbounded_channel::<String>();
    let (g_tx, gone) = mpsc::unbounded_channel();
    let ns = io.of("/");
    let (t, g) = (tx.clone(), gate.clone());
    ns.on("slow", move |s: Socket, tag: String| {
        let (t, g) = (t.clone(), g.clone());
        async move {
            t.send(format!("slow-start:{tag}")).unwrap();
            g.acquire().await.unwrap().forget();
            t.send(format!("slow-end:{tag}")).unwrap();
            let _ = s;
        }
    });
    let t = tx.clone();
    ns.on("fast", move |tag: String| {
        let t = t.clone();
        async move { t.send(format!("fast:{tag}")).unwrap() }
    });
    ns.on("ping", async || ());
    ns.on_disconnect(move |s: Socket, r: DisconnectReason| {
        let g_tx = g_tx.clone();
        async move { g_tx.send((s.id().to_owned(), r)).unwrap() }
    });
    io.of("/probe").on("ping", async || ());
    Fixture {
        srv: serve(io).await,
        gate,
        log,
        gone,
    }
}

/// A client on `/` and `/probe`. A probe roundtrip proves that every packet sent before it on
/// this connection was dispatched (the engine hands messages over in order).
async fn client(fx: &Fixture) -> Ws {
    let mut c = Ws::open(fx.srv.addr).await;
    c.join("/", None).await;
    c.join("/probe", None).await;
    c
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn events_of_one_socket_run_in_order() {
    let mut fx = fixture(ServerConfig::default()).await;
    let mut c = client(&fx).await;
    c.send(r#"421["slow","1"]"#).await;
    c.send(r#"422["fast","2"]"#).await;
    c.send(r#"423["fast","3"]"#).await;
    assert_eq!(next(&mut fx.log).await, "slow-start:1");
    // Both fast events were dispatched, yet neither ran while the slow one waits.
    assert!(c.roundtrip("/probe", 1, "ping").await.is_empty());
    assert!(
        fx.log.try_recv().is_err(),
        "a later event ran before the slow one finished"
    );
    fx.gate.add_permits(1);
    assert_eq!(next(&mut fx.log).await, "slow-end:1");
    assert_eq!(next(&mut fx.log).await, "fast:2");
    assert_eq!(next(&mut fx.log).await, "fast:3");
    assert_eq!(c.recv_text().await, "431[]");
    assert_eq!(c.recv_text().await, "432[]");
    assert_eq!(c.recv_text().await, "433[]");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn slow_handler_does_not_delay_other_clients_or_namespaces() {
    let mut fx = fixture(ServerConfig::default()).await;
    let mut a = client(&fx).await;
    let mut b = client(&fx).await;
    a.send(r#"421["slow","a"]"#).await;
    assert_eq!(next(&mut fx.log).await, "slow-start:a");
    b.send(r#"421["fast","b"]"#).await;
    assert_eq!(b.recv_text().await, "431[]");
    assert_eq!(next(&mut fx.log).await, "fast:b");
    // The slow client's other namespace answers too.
    assert!(a.roundtrip("/probe", 2, "ping").await.is_empty());
    fx.gate.add_permits(1);
    assert_eq!(next(&mut fx.log).await, "slow-end:a");
    assert_eq!(a.recv_text().await, "431[]");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_handlers_overlap() {
    let mut config = ServerConfig::default();
    config.concurrent_handlers = true;
    let mut fx = fixture(config).await;
    let mut c = client(&fx).await;
    c.send(r#"421["slow","1"]"#).await;
    c.send(r#"422["slow","2"]"#).await;
    c.send(r#"423["fast","3"]"#).await;
    // The fast one finishes while both slow ones wait.
    assert_eq!(c.recv_text().await, "433[]");
    let mut started = vec![
        next(&mut fx.log).await,
        next(&mut fx.log).await,
        next(&mut fx.log).await,
    ];
    started.sort();
    assert_eq!(started, ["fast:3", "slow-start:1", "slow-start:2"]);
    fx.gate.add_permits(2);
    let mut ends = vec![next(&mut fx.log).await, next(&mut fx.log).await];
    ends.sort();
    assert_eq!(ends, ["slow-end:1", "slow-end:2"]);
    let mut acks = vec![c.recv_text().await, c.recv_text().await];
    acks.sort();
    assert_eq!(acks, ["431[]", "432[]"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn max_queued_events_at_limit_keeps_the_connection() {
    let mut config = ServerConfig::default();
    config.max_queued_events = 2;
    let mut fx = fixture(config).await;
    let mut c = client(&fx).await;
    c.send(r#"421["slow","1"]"#).await;
    c.send(r#"422["fast","2"]"#).await;
    c.send(r#"423["fast","3"]"#).await;
    assert!(
        c.roundtrip("/probe", 4, "ping").await.is_empty(),
        "still connected"
    );
    fx.gate.add_permits(1);
    assert_eq!(c.recv_text().await, "431[]");
    assert_eq!(c.recv_text().await, "432[]");
    assert_eq!(c.recv_text().await, "433[]");
    assert!(fx.gone.try_recv().is_err());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn max_queued_events_plus_one_closes_the_connection() {
    let mut config = ServerConfig::default();
    config.max_queued_events = 2;
    let mut fx = fixture(config).await;
    let mut c = client(&fx).await;
    c.send(r#"421["slow","1"]"#).await;
    assert_eq!(next(&mut fx.log).await, "slow-start:1");
    for i in 2..=4 {
        c.send(&format!(r#"42{i}["fast","{i}"]"#)).await;
    }
    let seen = c.until_closed().await;
    assert!(
        seen.iter().all(|f| !f.starts_with("43")),
        "no handler answered: {seen:?}"
    );
    fx.gate.add_permits(1);
    let (_, reason) = next(&mut fx.gone).await;
    assert_eq!(reason, DisconnectReason::InboundQueueFull);
    // The server is healthy.
    let mut other = client(&fx).await;
    assert!(other.roundtrip("/", 1, "ping").await.is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn client_that_never_reads_is_disconnected_and_server_stays_healthy() {
    let mut config = ServerConfig::default();
    config.engine.max_buffered_frames = 8;
    let mut fx = fixture(config).await;
    // A polling client joins, then never polls again.
    let p = Polling::open(fx.srv.addr, "/socket.io/").await.0;
    let sid = p.join("/", None).await;
    let socket = fx.srv.io.socket("/", &sid).unwrap();
    for i in 0..8 {
        socket
            .emit("fill", &i)
            .unwrap_or_else(|e| panic!("emit {i} within the limit: {e}"));
    }
    assert_eq!(
        socket.emit("fill", &8),
        Err(EmitError::BufferFull),
        "limit + 1 is refused"
    );
    let (gone_sid, reason) = next(&mut fx.gone).await;
    assert_eq!(gone_sid, sid);
    assert_eq!(reason, DisconnectReason::SendBufferFull);
    assert_eq!(reason.to_string(), "send buffer full");
    assert_eq!(socket.emit("fill", &9), Err(EmitError::Disconnected));
    // Broadcasts skip it and everyone else is served.
    let mut other = client(&fx).await;
    fx.srv.io.emit("after", &()).unwrap();
    assert_eq!(other.roundtrip("/", 1, "ping").await, [r#"42["after"]"#]);
    assert!(fx.srv.io.of("/").socket(&sid).is_none());
}

/// A WebSocket client whose kernel buffers are full blocks the engine's writer; the
/// `SendBufferFull` close requested by the bounded queue must still take effect at once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn websocket_client_that_never_reads_is_disconnected() {
    let mut config = ServerConfig::default();
    config.engine.max_buffered_frames = 4;
    let mut fx = fixture(config).await;
    let c = client(&fx).await;
    let sids: Vec<String> = fx
        .srv
        .io
        .of("/")
        .sockets()
        .iter()
        .map(|s| s.id().to_owned())
        .collect();
    let socket = fx.srv.io.socket("/", &sids[0]).unwrap();
    // 256 KiB per frame: the kernel buffers fill, then the bounded queue.
    let big = "x".repeat(256 * 1024);
    let mut refused = None;
    for i in 0..10_000 {
        if let Err(e) = socket.emit("big", &big) {
            refused = Some((i, e));
            break;
        }
        if i % 16 == 0 {
            tokio::task::yield_now().await;
        }
    }
    let (_, err) = refused.expect("the queue never filled");
    assert_eq!(err, EmitError::BufferFull);
    let (_, reason) = next(&mut fx.gone).await;
    assert_eq!(reason, DisconnectReason::SendBufferFull);
    let mut other = client(&fx).await;
    assert!(other.roundtrip("/", 1, "ping").await.is_empty());
    drop(c);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn shutdown_disconnects_everyone_and_waits_for_handlers() {
    let mut fx = fixture(ServerConfig::default()).await;
    let mut a = client(&fx).await;
    let mut b = client(&fx).await;
    a.send(r#"421["slow","a"]"#).await;
    assert_eq!(next(&mut fx.log).await, "slow-start:a");
    let io = fx.srv.io.clone();
    let shutdown = tokio::spawn(async move { io.shutdown().await });
    // Both connections close.
    b.until_closed().await;
    a.until_closed().await;
    // b's disconnect handler ran; a's waits behind its slow handler, and so does shutdown.
    let (_, reason) = next(&mut fx.gone).await;
    assert_eq!(reason, DisconnectReason::ServerShuttingDown);
    assert!(
        !shutdown.is_finished(),
        "shutdown returned while a handler was in flight"
    );
    assert!(fx.srv.io.handlers_in_flight() >= 1);
    fx.gate.add_permits(1);
    within("shutdown", STEP, shutdown).await.unwrap();
    assert_eq!(fx.log.try_recv().unwrap(), "slow-end:a");
    let (_, reason) = fx
        .gone
        .try_recv()
        .expect("a's disconnect handler ran before shutdown returned");
    assert_eq!(reason, DisconnectReason::ServerShuttingDown);
    assert_eq!(fx.srv.io.handlers_in_flight(), 0);
    assert!(fx.srv.io.of("/").sockets().is_empty());
    // New connections are refused.
    assert!(
        Ws::try_open(fx.srv.addr).await.is_none(),
        "a connection opened after shutdown"
    );
}
