//! What one client sends, bounded per connection: events waiting for handlers (count and
//! bytes, summed over the connection's namespaces, in order and concurrent mode) and the
//! optional rate limits (events/s and bytes/s, drop-with-error or disconnect). Each limit is
//! tested at the limit and at limit + 1.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    missing_docs
)]

use std::sync::Arc;

use socketio::{DisconnectReason, RateLimit, RateLimitAction, ServerConfig, Socket, SocketIo};
use socketio_tests::{Polling, Served, Ws, next, serve};
use tokio::sync::{Notify, mpsc};

struct Fixture {
    srv: Served,
    /// Wakes every `slow` handler waiting at the time.
    release: Arc<Notify>,
    log: mpsc::UnboundedReceiver<String>,
    gone: mpsc::UnboundedReceiver<(String, DisconnectReason)>,
}

/// `/` and `/probe` both have `slow` (waits for `release`), `fill` (takes a string, returns
/// at once), `bin` (takes anything) and `ping`. Handlers log `<event>:<nsp>`.
async fn fixture(config: ServerConfig) -> Fixture {
    let io = SocketIo::builder().config(config).build().unwrap();
    let release = Arc::new(Notify::new());
    let (tx, log) = mpsc::unbounded_channel::<String>();
    let (g_tx, gone) = mpsc::unbounded_channel();
    for path in ["/", "/probe"] {
        let ns = io.of(path);
        let (t, r) = (tx.clone(), release.clone());
        ns.on("slow", move |s: Socket, _pad: String| {
            let (t, r) = (t.clone(), r.clone());
            async move {
                let woken = r.notified();
                tokio::pin!(woken);
                woken.as_mut().enable();
                t.send(format!("slow:{}", s.ns())).unwrap();
                woken.await;
            }
        });
        let t = tx.clone();
        ns.on("fill", move |s: Socket, _pad: String| {
            let t = t.clone();
            async move { t.send(format!("fill:{}", s.ns())).unwrap() }
        });
        ns.on("ping", async || ());
        ns.on("bin", async |_data: socketio::Value| ());
        let g_tx = g_tx.clone();
        ns.on_disconnect(move |s: Socket, r: DisconnectReason| {
            let g_tx = g_tx.clone();
            async move { g_tx.send((s.ns().to_owned(), r)).unwrap() }
        });
    }
    Fixture {
        srv: serve(io).await,
        release,
        log,
        gone,
    }
}

async fn client(fx: &Fixture) -> Ws {
    let mut c = Ws::open(fx.srv.addr).await;
    c.join("/", None).await;
    c.join("/probe", None).await;
    c
}

/// `"/probe,"` for `/probe`, `""` for `/`.
fn prefix(nsp: &str) -> &'static str {
    if nsp == "/" { "" } else { "/probe," }
}

/// The `event` packet with ack id `id` whose decoded cost (its JSON array) is `cost` bytes.
fn event_of_cost(nsp: &str, event: &str, id: u64, cost: usize) -> String {
    let overhead = format!(r#"["{event}",""]"#).len();
    let pad = "x".repeat(cost - overhead);
    let packet = format!(r#"42{}{id}["{event}","{pad}"]"#, prefix(nsp));
    assert_eq!(
        packet.len() - 2 - prefix(nsp).len() - id.to_string().len(),
        cost
    );
    packet
}

/// Block `nsp`'s socket with a slow handler (whose own cost is not queued).
async fn block(fx: &mut Fixture, c: &mut Ws, nsp: &str, id: u64) {
    c.send(&event_of_cost(nsp, "slow", id, 20)).await;
    assert_eq!(next(&mut fx.log).await, format!("slow:{nsp}"));
}

/// Both sockets of the client were closed with `reason`.
async fn assert_closed_with(fx: &mut Fixture, reason: DisconnectReason) {
    let mut gone = vec![next(&mut fx.gone).await, next(&mut fx.gone).await];
    gone.sort_by(|a, b| a.0.cmp(&b.0));
    assert_eq!(
        gone,
        [("/".to_owned(), reason), ("/probe".to_owned(), reason)]
    );
}

const BUDGET: usize = 64 * 1024;

fn bytes_config(concurrent: bool) -> ServerConfig {
    let mut cfg = ServerConfig::default();
    cfg.max_queued_event_bytes = BUDGET;
    cfg.concurrent_handlers = concurrent;
    cfg
}

// -- queued bytes, ordered mode ----------------------------------------------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn queued_bytes_at_the_limit_over_two_namespaces_keep_the_connection() {
    let mut fx = fixture(bytes_config(false)).await;
    let mut c = client(&fx).await;
    block(&mut fx, &mut c, "/", 1).await;
    block(&mut fx, &mut c, "/probe", 1).await;
    // Half the budget queued behind each slow handler: exactly the limit.
    c.send(&event_of_cost("/", "fill", 2, BUDGET / 2)).await;
    c.send(&event_of_cost("/probe", "fill", 2, BUDGET / 2))
        .await;
    // A barrier: an idle connection would have answered the fills before this ack.
    let mut probe = Ws::open(fx.srv.addr).await;
    probe.join("/", None).await;
    assert!(probe.roundtrip("/", 1, "ping").await.is_empty());
    fx.release.notify_waiters();
    let mut acks = Vec::new();
    for _ in 0..4 {
        acks.push(c.recv_text().await);
    }
    acks.sort();
    assert_eq!(acks, ["43/probe,1[]", "43/probe,2[]", "431[]", "432[]"]);
    assert!(fx.gone.try_recv().is_err(), "nobody was disconnected");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn queued_bytes_over_the_limit_summed_over_namespaces_close_the_connection() {
    let mut fx = fixture(bytes_config(false)).await;
    let mut c = client(&fx).await;
    block(&mut fx, &mut c, "/", 1).await;
    block(&mut fx, &mut c, "/probe", 1).await;
    c.send(&event_of_cost("/", "fill", 2, BUDGET / 2)).await;
    // One byte more than the budget, although each namespace alone is within it.
    c.send(&event_of_cost("/probe", "fill", 2, BUDGET / 2 + 1))
        .await;
    let seen = c.until_closed().await;
    assert!(seen.is_empty(), "nothing answered: {seen:?}");
    fx.release.notify_waiters();
    assert_closed_with(&mut fx, DisconnectReason::InboundQueueFull).await;
    assert_eq!(
        DisconnectReason::InboundQueueFull.to_string(),
        "inbound queue full"
    );
    // The event queued before the limit still ran, the refused one did not.
    let mut log = vec![next(&mut fx.log).await];
    while let Ok(l) = fx.log.try_recv() {
        log.push(l);
    }
    assert_eq!(log, ["fill:/"]);
    // The server is healthy.
    let mut other = client(&fx).await;
    assert!(other.roundtrip("/", 1, "ping").await.is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn queued_bytes_in_one_polling_post_at_the_limit_and_over_it() {
    let mut fx = fixture(bytes_config(false)).await;
    // At the limit: one POST carrying the slow event and two fills of half the budget.
    let p = Polling::open(fx.srv.addr, "/socket.io/").await.0;
    p.join("/", None).await;
    let (slow, a, b) = (
        event_of_cost("/", "slow", 1, 20),
        event_of_cost("/", "fill", 2, BUDGET / 2),
        event_of_cost("/", "fill", 3, BUDGET / 2),
    );
    assert_eq!(p.post_packets(&[&slow, &a, &b]).await, 200);
    assert_eq!(next(&mut fx.log).await, "slow:/");
    fx.release.notify_waiters();
    let mut acks = Vec::new();
    while acks.len() < 3 {
        acks.extend(p.get_packets().await);
    }
    assert_eq!(acks, ["431[]", "432[]", "433[]"]);
    assert_eq!(next(&mut fx.log).await, "fill:/");
    assert_eq!(next(&mut fx.log).await, "fill:/");
    // Limit + 1 byte: the connection is closed.
    let p = Polling::open(fx.srv.addr, "/socket.io/").await.0;
    p.join("/", None).await;
    let b = event_of_cost("/", "fill", 3, BUDGET / 2 + 1);
    p.post_packets(&[&slow, &a, &b]).await;
    assert_eq!(next(&mut fx.log).await, "slow:/");
    fx.release.notify_waiters();
    assert_eq!(
        next(&mut fx.gone).await,
        ("/".to_owned(), DisconnectReason::InboundQueueFull)
    );
    let r = p.get().await;
    let (status, packets) = (r.status, r.text());
    assert!(
        status != 200 || packets == "1",
        "the session is closed: {status} {packets:?}"
    );
}

// -- queued count, per connection --------------------------------------------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn queued_count_is_summed_over_namespaces() {
    let mut config = ServerConfig::default();
    config.max_queued_events = 2;
    let mut fx = fixture(config).await;
    let mut c = client(&fx).await;
    block(&mut fx, &mut c, "/", 1).await;
    block(&mut fx, &mut c, "/probe", 1).await;
    // At the limit: one waits in each namespace.
    c.send(&event_of_cost("/", "fill", 2, 20)).await;
    c.send(&event_of_cost("/probe", "fill", 2, 20)).await;
    let mut probe = Ws::open(fx.srv.addr).await;
    probe.join("/", None).await;
    assert!(probe.roundtrip("/", 1, "ping").await.is_empty());
    assert!(fx.gone.try_recv().is_err());
    // Limit + 1.
    c.send(&event_of_cost("/", "fill", 3, 20)).await;
    let seen = c.until_closed().await;
    assert!(seen.is_empty(), "nothing answered: {seen:?}");
    fx.release.notify_waiters();
    assert_closed_with(&mut fx, DisconnectReason::InboundQueueFull).await;
}

// -- concurrent handlers -----------------------------------------------------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_handlers_in_flight_are_bounded_in_count() {
    let mut config = ServerConfig::default();
    config.max_queued_events = 2;
    config.concurrent_handlers = true;
    let mut fx = fixture(config).await;
    let mut c = client(&fx).await;
    // At the limit: two handlers in flight, in two namespaces; fast handlers are not counted.
    block(&mut fx, &mut c, "/", 1).await;
    block(&mut fx, &mut c, "/probe", 1).await;
    assert!(c.roundtrip("/", 2, "ping").await.is_empty());
    assert!(fx.gone.try_recv().is_err());
    // Limit + 1.
    c.send(&event_of_cost("/", "slow", 3, 20)).await;
    c.until_closed().await;
    assert_closed_with(&mut fx, DisconnectReason::InboundQueueFull).await;
    fx.release.notify_waiters();
}

/// Three slow handlers in flight over two namespaces: `BUDGET / 2`, `BUDGET / 2 - 20` and
/// `last` bytes.
async fn three_in_flight(fx: &mut Fixture, c: &mut Ws, last: usize) {
    c.send(&event_of_cost("/", "slow", 1, BUDGET / 2)).await;
    assert_eq!(next(&mut fx.log).await, "slow:/");
    c.send(&event_of_cost("/probe", "slow", 1, BUDGET / 2 - 20))
        .await;
    assert_eq!(next(&mut fx.log).await, "slow:/probe");
    c.send(&event_of_cost("/", "slow", 2, last)).await;
    assert_eq!(next(&mut fx.log).await, "slow:/");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_handlers_in_flight_at_the_byte_limit_keep_the_connection() {
    let mut fx = fixture(bytes_config(true)).await;
    let mut c = client(&fx).await;
    three_in_flight(&mut fx, &mut c, 20).await;
    assert!(c.roundtrip("/", 3, "ping").await.is_empty());
    fx.release.notify_waiters();
    let mut acks = vec![
        c.recv_text().await,
        c.recv_text().await,
        c.recv_text().await,
    ];
    acks.sort();
    assert_eq!(acks, ["43/probe,1[]", "431[]", "432[]"]);
    // Finished handlers gave their bytes back: the same again fits.
    three_in_flight(&mut fx, &mut c, 20).await;
    assert!(c.roundtrip("/", 3, "ping").await.is_empty());
    assert!(fx.gone.try_recv().is_err());
    fx.release.notify_waiters();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_handlers_in_flight_over_the_byte_limit_close_the_connection() {
    let mut fx = fixture(bytes_config(true)).await;
    let mut c = client(&fx).await;
    three_in_flight(&mut fx, &mut c, 21).await;
    c.until_closed().await;
    assert_closed_with(&mut fx, DisconnectReason::InboundQueueFull).await;
    fx.release.notify_waiters();
}

// -- rate limits -------------------------------------------------------------------------------

/// A rate limit that never refills, so that "at once" cannot race the clock.
fn rate_config(events: u32, bytes: u64, action: RateLimitAction) -> ServerConfig {
    let mut cfg = ServerConfig::default();
    cfg.rate_limit = Some(
        RateLimit::default()
            .with_events(0, events)
            .with_bytes(0, bytes)
            .with_action(action),
    );
    cfg
}

const PING_COST: u64 = r#"["ping"]"#.len() as u64;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn event_rate_over_the_limit_is_dropped_with_an_error_ack() {
    let fx = fixture(rate_config(3, 1 << 20, RateLimitAction::DropWithError)).await;
    let mut c = client(&fx).await;
    // At the limit (summed over namespaces): answered.
    assert!(c.roundtrip("/", 1, "ping").await.is_empty());
    assert!(c.roundtrip("/probe", 2, "ping").await.is_empty());
    assert!(c.roundtrip("/", 3, "ping").await.is_empty());
    // Limit + 1: not dispatched, error ack, still connected.
    c.send(r#"424["ping"]"#).await;
    assert_eq!(c.recv_text().await, r#"434[{"error":"rate limited"}]"#);
    c.send(r#"42/probe,5["ping"]"#).await;
    assert_eq!(
        c.recv_text().await,
        r#"43/probe,5[{"error":"rate limited"}]"#
    );
    // Without an ack id it is dropped silently, and the connection still answers.
    c.send(r#"42["ping"]"#).await;
    c.send(r#"426["ping"]"#).await;
    assert_eq!(c.recv_text().await, r#"436[{"error":"rate limited"}]"#);
    // Other clients have their own buckets.
    let mut other = client(&fx).await;
    assert!(other.roundtrip("/", 1, "ping").await.is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn byte_rate_over_the_limit_is_dropped_with_an_error_ack() {
    let mut fx = fixture(rate_config(
        1000,
        2 * PING_COST + 100,
        RateLimitAction::DropWithError,
    ))
    .await;
    let mut c = client(&fx).await;
    assert!(c.roundtrip("/", 1, "ping").await.is_empty());
    assert!(c.roundtrip("/", 2, "ping").await.is_empty());
    // 100 bytes left: an event of exactly 100 passes, one of 1 more is refused.
    c.send(&event_of_cost("/", "fill", 3, 101)).await;
    assert_eq!(c.recv_text().await, r#"433[{"error":"rate limited"}]"#);
    c.send(&event_of_cost("/", "fill", 4, 100)).await;
    assert_eq!(c.recv_text().await, "434[]");
    assert_eq!(next(&mut fx.log).await, "fill:/");
    c.send(&event_of_cost("/", "fill", 5, 20)).await;
    assert_eq!(c.recv_text().await, r#"435[{"error":"rate limited"}]"#);
    assert!(fx.log.try_recv().is_err(), "a refused event ran");
    assert!(fx.gone.try_recv().is_err());
}

/// A binary event costs its JSON text plus its attachment bytes.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn attachment_bytes_count_against_the_byte_rate() {
    const JSON: &str = r#"["bin",{"_placeholder":true,"num":0}]"#;
    let attachment = vec![7u8; 1000];
    let cost = (JSON.len() + attachment.len()) as u64;
    let fx = fixture(rate_config(1000, cost, RateLimitAction::DropWithError)).await;
    let mut c = client(&fx).await;
    c.send(&format!("451-1{JSON}")).await;
    c.send_binary(&attachment).await;
    assert_eq!(c.recv_text().await, "431[]", "at the limit");
    c.send(&format!("451-2{JSON}")).await;
    c.send_binary(&attachment[..1]).await;
    assert_eq!(
        c.recv_text().await,
        r#"432[{"error":"rate limited"}]"#,
        "limit + 1"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn event_rate_over_the_limit_disconnects_with_the_disconnect_action() {
    let mut fx = fixture(rate_config(3, 1 << 20, RateLimitAction::Disconnect)).await;
    let mut c = client(&fx).await;
    for id in 1..=3 {
        assert!(c.roundtrip("/", id, "ping").await.is_empty(), "event {id}");
    }
    assert!(fx.gone.try_recv().is_err(), "at the limit: still connected");
    c.send(r#"424["ping"]"#).await;
    let seen = c.until_closed().await;
    assert!(seen.is_empty(), "not answered: {seen:?}");
    assert_closed_with(&mut fx, DisconnectReason::RateLimited).await;
    assert_eq!(DisconnectReason::RateLimited.to_string(), "rate limited");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn byte_rate_over_the_limit_disconnects_with_the_disconnect_action() {
    let mut fx = fixture(rate_config(
        1000,
        2 * PING_COST,
        RateLimitAction::Disconnect,
    ))
    .await;
    let mut c = client(&fx).await;
    assert!(c.roundtrip("/", 1, "ping").await.is_empty());
    assert!(c.roundtrip("/probe", 2, "ping").await.is_empty());
    assert!(fx.gone.try_recv().is_err(), "at the limit: still connected");
    c.send(&event_of_cost("/", "fill", 3, 12)).await;
    c.until_closed().await;
    assert_closed_with(&mut fx, DisconnectReason::RateLimited).await;
}
