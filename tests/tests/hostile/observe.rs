//! The observers of every case, each on a thread of its own so that the attacker's work in
//! this (debug-built) test process does not delay them:
//! - the **probe**: a WebSocket client in `/custom` sending an acked `echo` every 10 ms,
//!   open loop (a stall shows as many late acks, not one);
//! - the **well-behaved clients**: one WebSocket and one polling client in `/`, both in room
//!   `good`, and a **sender** that emits `to_room good seq n` every 20 ms. The two must get
//!   every `seq` in order and stay connected; they also count every other event they get (the
//!   attacker's broadcasts), and the polling client records its largest response.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use super::raw::{self, Poll, TEXT};

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

/// Run `fut` on a new thread with its own current-thread runtime.
fn thread<F, Fut>(name: &str, f: F) -> std::thread::JoinHandle<()>
where
    F: FnOnce() -> Fut + Send + 'static,
    Fut: std::future::Future<Output = ()>,
{
    std::thread::Builder::new()
        .name(name.to_string())
        .spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .unwrap_or_else(|e| panic!("runtime: {e}"));
            rt.block_on(f());
        })
        .unwrap_or_else(|e| panic!("thread: {e}"))
}

// ---------------------------------------------------------------------------------------------
// Probe
// ---------------------------------------------------------------------------------------------

#[derive(Debug, Default)]
struct ProbeState {
    sent: HashMap<u64, Instant>,
    /// (time of the ack, latency)
    acked: Vec<(Instant, Duration)>,
    closed: Option<Instant>,
    error: Option<String>,
}

/// Latency figures over a window.
#[derive(Debug, Clone, Default)]
pub struct Latency {
    /// Round trips counted (unanswered ones at their age when the window ended).
    pub samples: usize,
    /// Still unanswered at the end.
    pub unanswered: usize,
    /// Median.
    pub p50: Duration,
    /// 99th percentile.
    pub p99: Duration,
    /// Worst.
    pub max: Duration,
}

impl std::fmt::Display for Latency {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "p50 {:.1} ms, p99 {:.1} ms, max {:.1} ms over {} round trips ({} unanswered)",
            ms(self.p50),
            ms(self.p99),
            ms(self.max),
            self.samples,
            self.unanswered
        )
    }
}

/// Milliseconds as f64.
pub fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

/// The probe client.
#[derive(Debug)]
pub struct Probe {
    state: Arc<Mutex<ProbeState>>,
    stop: Arc<AtomicBool>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Probe {
    /// Connect to `/custom` and start probing; returns once connected.
    pub fn start(addr: SocketAddr) -> Probe {
        let state = Arc::new(Mutex::new(ProbeState::default()));
        let stop = Arc::new(AtomicBool::new(false));
        let (ready_tx, ready_rx) = std::sync::mpsc::channel::<Result<(), String>>();
        let (st, sp) = (state.clone(), stop.clone());
        let thread = thread("probe", move || async move {
            let (mut rd, wr, _sid) = match raw::sio_connect(addr, "/custom").await {
                Ok(c) => c,
                Err(e) => {
                    let _ = ready_tx.send(Err(format!("probe connect: {e}")));
                    return;
                }
            };
            let _ = ready_tx.send(Ok(()));
            let wr = Arc::new(tokio::sync::Mutex::new(wr));
            let reader = {
                let (st, wr) = (st.clone(), wr.clone());
                tokio::spawn(async move {
                    while let Some(f) = rd.next().await {
                        if f.is_text("2") {
                            let _ = wr.lock().await.text("3").await;
                            continue;
                        }
                        let t = f.text();
                        // 43/custom,<id>["p"]
                        let Some(rest) = t.strip_prefix("43/custom,") else {
                            continue;
                        };
                        let digits: String =
                            rest.chars().take_while(char::is_ascii_digit).collect();
                        if let Ok(id) = digits.parse::<u64>() {
                            let now = Instant::now();
                            let mut s = lock(&st);
                            if let Some(t0) = s.sent.remove(&id) {
                                s.acked.push((now, now - t0));
                            }
                        }
                    }
                    lock(&st).closed = Some(Instant::now());
                })
            };
            let mut tick = tokio::time::interval(Duration::from_millis(10));
            tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
            let mut id = 0u64;
            while !sp.load(Ordering::Relaxed) {
                tick.tick().await;
                if lock(&st).closed.is_some() {
                    break;
                }
                id += 1;
                lock(&st).sent.insert(id, Instant::now());
                if let Err(e) = wr
                    .lock()
                    .await
                    .text(&format!("42/custom,{id}[\"echo\",\"p\"]"))
                    .await
                {
                    lock(&st).error = Some(format!("probe write: {e}"));
                    break;
                }
            }
            reader.abort();
        });
        match ready_rx.recv_timeout(Duration::from_secs(10)) {
            Ok(Ok(())) => {}
            Ok(Err(e)) => panic!("{e}"),
            Err(_) => panic!("the probe did not connect within 10 s"),
        }
        Probe {
            state,
            stop,
            thread: Some(thread),
        }
    }

    /// Latency of the round trips sent in `[from, to)`; unanswered ones count with their age
    /// at `to`.
    pub fn window(&self, from: Instant, to: Instant) -> Latency {
        let s = lock(&self.state);
        let mut v: Vec<Duration> = s
            .acked
            .iter()
            .filter(|(at, lat)| {
                let sent = *at - *lat;
                sent >= from && sent < to
            })
            .map(|(_, l)| *l)
            .collect();
        let mut unanswered = 0;
        for t0 in s.sent.values() {
            if *t0 >= from && *t0 < to {
                unanswered += 1;
                v.push(to.saturating_duration_since(*t0));
            }
        }
        v.sort();
        let pick = |q: f64| {
            if v.is_empty() {
                Duration::ZERO
            } else {
                let i = ((v.len() as f64 * q).ceil() as usize).clamp(1, v.len()) - 1;
                v.get(i).copied().unwrap_or_default()
            }
        };
        Latency {
            samples: v.len(),
            unanswered,
            p50: pick(0.50),
            p99: pick(0.99),
            max: v.last().copied().unwrap_or_default(),
        }
    }

    /// Whether the probe lost its connection (and why).
    pub fn lost(&self) -> Option<String> {
        let s = lock(&self.state);
        if let Some(e) = &s.error {
            return Some(e.clone());
        }
        s.closed.map(|_| "the probe was disconnected".to_string())
    }

    /// Stop probing.
    pub fn stop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

impl Drop for Probe {
    fn drop(&mut self) {
        self.stop();
    }
}

// ---------------------------------------------------------------------------------------------
// Well-behaved clients
// ---------------------------------------------------------------------------------------------

/// What one well-behaved client saw.
#[derive(Debug, Default, Clone)]
pub struct Seen {
    /// Next `seq` expected.
    pub next_seq: u64,
    /// First ordering problem.
    pub disorder: Option<String>,
    /// Events by name (`seq` included).
    pub events: HashMap<String, u64>,
    /// Disconnected (and how).
    pub lost: Option<String>,
    /// Polling only: most packets in one GET response, and the largest response body.
    pub max_packets: usize,
    /// Polling only: largest response body, bytes.
    pub max_body: usize,
    /// Polling only: GET responses.
    pub gets: u64,
}

impl Seen {
    fn event(&mut self, name: &str, rest: &[u8]) {
        *self.events.entry(name.to_string()).or_default() += 1;
        if name != "seq" {
            return;
        }
        // `,<n>]`
        let n: Option<u64> = rest
            .strip_prefix(b",")
            .and_then(|r| {
                let d = r.iter().take_while(|b| b.is_ascii_digit()).count();
                std::str::from_utf8(r.get(..d)?).ok()
            })
            .and_then(|s| s.parse().ok());
        match n {
            Some(n) if n == self.next_seq => self.next_seq += 1,
            other => {
                if self.disorder.is_none() {
                    self.disorder = Some(format!("expected seq {}, got {other:?}", self.next_seq));
                }
            }
        }
    }

    /// `seq` count, or the problem.
    pub fn summary(&self) -> String {
        let mut s = format!("seq {}", self.next_seq);
        let mut others: Vec<_> = self.events.iter().filter(|(k, _)| *k != "seq").collect();
        others.sort();
        for (k, v) in others {
            s.push_str(&format!(", {k} {v}"));
        }
        if self.gets > 0 {
            s.push_str(&format!(
                ", {} GETs, max {} packets / {} bytes per response",
                self.gets, self.max_packets, self.max_body
            ));
        }
        if let Some(d) = &self.disorder {
            s.push_str(&format!(", DISORDER: {d}"));
        }
        if let Some(l) = &self.lost {
            s.push_str(&format!(", LOST: {l}"));
        }
        s
    }
}

/// The well-behaved clients and the sender.
#[derive(Debug)]
pub struct Good {
    /// The WebSocket client.
    pub ws: Arc<Mutex<Seen>>,
    /// The polling client.
    pub polling: Arc<Mutex<Seen>>,
    /// `to_room` emits acked by the server, and whether the sender was lost.
    sent: Arc<Mutex<(u64, Option<String>)>>,
    stop_sender: Arc<AtomicBool>,
    stop_all: Arc<AtomicBool>,
    threads: Vec<std::thread::JoinHandle<()>>,
}

async fn join_good(wr: &mut raw::WsWrite, rd: &mut raw::WsRead) -> Result<(), String> {
    wr.text(r#"42777["join",{"room":"good"}]"#)
        .await
        .map_err(|e| format!("join: {e}"))?;
    loop {
        match rd.next_within(raw::HANDSHAKE).await {
            Ok(Some(f)) if f.is_text("2") => {
                let _ = wr.text("3").await;
            }
            Ok(Some(f)) if f.is_text("43777[true]") => return Ok(()),
            Ok(Some(_)) => {}
            Ok(None) => return Err("closed while joining".into()),
            Err(()) => return Err("no ack to join".into()),
        }
    }
}

impl Good {
    /// Connect the three clients; returns once all are in place.
    pub fn start(addr: SocketAddr) -> Good {
        let ws = Arc::new(Mutex::new(Seen::default()));
        let polling = Arc::new(Mutex::new(Seen::default()));
        let sent = Arc::new(Mutex::new((0u64, None)));
        let stop_sender = Arc::new(AtomicBool::new(false));
        let stop_all = Arc::new(AtomicBool::new(false));
        // The sender starts once both receivers are in room `good`.
        let go = Arc::new(tokio::sync::Notify::new());
        let (ready_tx, ready_rx) = std::sync::mpsc::channel::<Result<&'static str, String>>();
        let mut threads = Vec::new();

        // The WebSocket client.
        {
            let (seen, stop, ready) = (ws.clone(), stop_all.clone(), ready_tx.clone());
            threads.push(thread("good-ws", move || async move {
                let (mut rd, mut wr) = match raw::sio_connect(addr, "/").await {
                    Ok((rd, wr, _)) => (rd, wr),
                    Err(e) => {
                        let _ = ready.send(Err(format!("good ws: {e}")));
                        return;
                    }
                };
                if let Err(e) = join_good(&mut wr, &mut rd).await {
                    let _ = ready.send(Err(format!("good ws: {e}")));
                    return;
                }
                let _ = ready.send(Ok("ws"));
                while !stop.load(Ordering::Relaxed) {
                    match rd.next_within(Duration::from_millis(100)).await {
                        Err(()) => {}
                        Ok(None) => {
                            lock(&seen).lost = Some("websocket closed by the server".into());
                            return;
                        }
                        Ok(Some(f)) => {
                            if f.is_text("2") {
                                let _ = wr.text("3").await;
                            } else if f.opcode == TEXT
                                && let Some((name, rest)) = raw::event_name(&f.data)
                            {
                                lock(&seen).event(name, rest);
                            }
                        }
                    }
                }
            }));
        }

        // The polling client.
        {
            let (seen, stop, ready) = (polling.clone(), stop_all.clone(), ready_tx.clone());
            threads.push(thread("good-polling", move || async move {
                let setup = async {
                    let p = Poll::open(addr).await.map_err(|e| format!("open: {e}"))?;
                    let r = p
                        .post(b"40", raw::HANDSHAKE)
                        .await
                        .map_err(|e| format!("POST 40: {e}"))?;
                    if r.body != b"ok" {
                        return Err(format!("POST 40: {} {:?}", r.status, r.body));
                    }
                    let r = p
                        .post(br#"42777["join",{"room":"good"}]"#, raw::HANDSHAKE)
                        .await
                        .map_err(|e| format!("POST join: {e}"))?;
                    if r.body != b"ok" {
                        return Err(format!("POST join: {} {:?}", r.status, r.body));
                    }
                    // Read until the join ack (the CONNECT reply and the greeting come first).
                    let deadline = Instant::now() + raw::HANDSHAKE;
                    loop {
                        let r = p
                            .get(&[], 64 << 20, raw::HANDSHAKE)
                            .await
                            .map_err(|e| format!("GET: {e}"))?;
                        if r.status != 200 {
                            return Err(format!("GET: {}", r.status));
                        }
                        if raw::records(&r.body).any(|rec| rec == b"2") {
                            let _ = p.post(b"3", raw::HANDSHAKE).await;
                        }
                        if raw::records(&r.body).any(|rec| rec == b"43777[true]") {
                            return Ok(p);
                        }
                        if Instant::now() > deadline {
                            return Err("no join ack".into());
                        }
                    }
                };
                let p = match setup.await {
                    Ok(p) => p,
                    Err(e) => {
                        let _ = ready.send(Err(format!("good polling: {e}")));
                        return;
                    }
                };
                let _ = ready.send(Ok("polling"));
                while !stop.load(Ordering::Relaxed) {
                    // Long-poll; the server answers within pingInterval (1 s) at the latest.
                    let r = match p.get(&[], 256 << 20, Duration::from_secs(8)).await {
                        Ok(r) => r,
                        Err(e) => {
                            lock(&seen).lost = Some(format!("GET failed: {e}"));
                            return;
                        }
                    };
                    if r.status != 200 {
                        lock(&seen).lost = Some(format!(
                            "GET answered {} {}",
                            r.status,
                            String::from_utf8_lossy(&r.body[..r.body.len().min(100)])
                        ));
                        return;
                    }
                    let mut s = lock(&seen);
                    s.gets += 1;
                    s.max_body = s.max_body.max(r.body.len());
                    let mut packets = 0;
                    let mut ping = false;
                    let mut close = false;
                    for rec in raw::records(&r.body) {
                        packets += 1;
                        if rec == b"2" {
                            ping = true;
                        } else if rec == b"1" {
                            close = true;
                        } else if let Some((name, rest)) = raw::event_name(rec) {
                            s.event(name, rest);
                        }
                    }
                    s.max_packets = s.max_packets.max(packets);
                    if close {
                        s.lost = Some("the server sent an Engine.IO close".into());
                        return;
                    }
                    drop(s);
                    if ping {
                        let p = p.clone();
                        let seen = seen.clone();
                        tokio::spawn(async move {
                            match p.post(b"3", Duration::from_secs(8)).await {
                                Ok(r) if r.status == 200 => {}
                                other => {
                                    lock(&seen).lost = Some(format!("pong POST: {other:?}"));
                                }
                            }
                        });
                    }
                }
            }));
        }

        // The sender.
        {
            let (sent, stop, ready) = (sent.clone(), stop_sender.clone(), ready_tx.clone());
            let go = go.clone();
            threads.push(thread("good-sender", move || async move {
                let (mut rd, wr) = match raw::sio_connect(addr, "/").await {
                    Ok((rd, wr, _)) => (rd, wr),
                    Err(e) => {
                        let _ = ready.send(Err(format!("sender: {e}")));
                        return;
                    }
                };
                let _ = ready.send(Ok("sender"));
                let wr = Arc::new(tokio::sync::Mutex::new(wr));
                let reader = {
                    let (sent, wr) = (sent.clone(), wr.clone());
                    tokio::spawn(async move {
                        while let Some(f) = rd.next().await {
                            if f.is_text("2") {
                                let _ = wr.lock().await.text("3").await;
                            } else if f.opcode == TEXT && f.data.starts_with(b"43") {
                                lock(&sent).0 += 1;
                            }
                        }
                        lock(&sent).1 = Some("sender disconnected".into());
                    })
                };
                go.notified().await;
                let mut tick = tokio::time::interval(Duration::from_millis(20));
                let mut n = 0u64;
                while !stop.load(Ordering::Relaxed) {
                    tick.tick().await;
                    let msg = format!(
                        r#"42{}["to_room",{{"room":"good","event":"seq","data":{n}}}]"#,
                        n + 1
                    );
                    if wr.lock().await.text(&msg).await.is_err() {
                        break;
                    }
                    n += 1;
                }
                // Let the last acks arrive (bounded), then stop reading.
                let deadline = Instant::now() + Duration::from_secs(5);
                while lock(&sent).0 < n && Instant::now() < deadline {
                    tokio::time::sleep(Duration::from_millis(10)).await;
                }
                if lock(&sent).0 < n && lock(&sent).1.is_none() {
                    lock(&sent).1 = Some(format!("only {} of {n} to_room acks", lock(&sent).0));
                }
                reader.abort();
            }));
        }
        drop(ready_tx);
        for _ in 0..3 {
            match ready_rx.recv_timeout(Duration::from_secs(10)) {
                Ok(Ok(_)) => {}
                Ok(Err(e)) => panic!("{e}"),
                Err(_) => panic!("a well-behaved client did not connect within 10 s"),
            }
        }
        go.notify_one();
        Good {
            ws,
            polling,
            sent,
            stop_sender,
            stop_all,
            threads,
        }
    }

    /// Stop the sender, wait (bounded) until both clients have every `seq` and the `expect`ed
    /// counts of other events, stop them; returns the failures.
    pub fn finish(mut self, expect: &[(String, u64)]) -> (String, Vec<String>) {
        self.stop_sender.store(true, Ordering::Relaxed);
        if let Some(t) = self.threads.pop() {
            let _ = t.join(); // the sender waits for its acks
        }
        let (sent, sender_lost) = lock(&self.sent).clone();
        let done = |s: &Seen| {
            s.lost.is_some()
                || (s.next_seq >= sent
                    && expect
                        .iter()
                        .all(|(k, n)| s.events.get(k).copied().unwrap_or(0) >= *n))
        };
        // Bounded poll on an observable condition: what the clients have received.
        let deadline = Instant::now() + Duration::from_secs(10);
        while Instant::now() < deadline && !(done(&lock(&self.ws)) && done(&lock(&self.polling))) {
            std::thread::sleep(Duration::from_millis(20));
        }
        self.stop_all.store(true, Ordering::Relaxed);
        // The polling thread may sit in a long-poll: do not wait for it.
        let ws = lock(&self.ws).clone();
        let polling = lock(&self.polling).clone();
        let mut failures = Vec::new();
        if let Some(l) = sender_lost {
            failures.push(format!("well-behaved sender: {l}"));
        }
        for (who, s) in [("websocket", &ws), ("polling", &polling)] {
            if let Some(l) = &s.lost {
                failures.push(format!("well-behaved {who} client disconnected: {l}"));
            }
            if let Some(d) = &s.disorder {
                failures.push(format!("well-behaved {who} client: {d}"));
            }
            if s.next_seq < sent {
                failures.push(format!(
                    "well-behaved {who} client got {} of {sent} room messages",
                    s.next_seq
                ));
            }
            for (k, n) in expect {
                let got = s.events.get(k).copied().unwrap_or(0);
                if got != *n {
                    failures.push(format!(
                        "well-behaved {who} client got {got} `{k}` events, expected {n}"
                    ));
                }
            }
        }
        if polling.max_packets > super::POLL_MAX_PACKETS {
            failures.push(format!(
                "a polling response carried {} packets (python-engineio refuses more than {})",
                polling.max_packets,
                super::POLL_MAX_PACKETS
            ));
        }
        let summary = format!(
            "sent {sent}; ws: {}; polling: {}",
            ws.summary(),
            polling.summary()
        );
        (summary, failures)
    }
}

impl Drop for Good {
    fn drop(&mut self) {
        self.stop_sender.store(true, Ordering::Relaxed);
        self.stop_all.store(true, Ordering::Relaxed);
    }
}
