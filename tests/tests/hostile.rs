//! The hostile-client suite (issue 8, item 7): attacks against a **release build** of
//! `examples/testbed` with its defaults, over real sockets, measured from the outside.
//!
//! Run it alone (it builds the release test bed first, once per run):
//!
//! ```text
//! cargo test -p socketio-tests --test hostile
//! cargo test -p socketio-tests --test hostile -- rooms      # one case
//! ```
//!
//! Every case starts a fresh test bed (`PING_INTERVAL_MS=1000 PING_TIMEOUT_MS=5000`, as load
//! tests do; everything else default) as a child process on a free port, then:
//! - a **probe** WebSocket client in `/custom` does an acked `echo` every 10 ms, open loop,
//!   from before the attack until 0.5 s after it: its p99 must stay under 50 ms;
//! - the server's **RSS** (`/proc/<pid>/status` VmRSS, every 20 ms) may grow by at most
//!   100 MB over its value just before the attack;
//! - **well-behaved clients** (one WebSocket, one polling, both in `/` and in room `good`)
//!   must get every `to_room good seq n` that a third client emits every 20 ms, in order,
//!   plus every attacker broadcast a case says they should get, in polling responses of at
//!   most 16 packets, and must not be disconnected;
//! - the **attacker** must be limited or disconnected: each case asserts which;
//! - the server process must still be running.
//!
//! Cases run one at a time (a process-wide lock; the machine may have 2 cores). Each prints a
//! block with its numbers on stderr (past the output capture), pass or fail.
//!
//! Environment: `HOSTILE_TESTBED_BIN` uses that binary instead of building one;
//! `HOSTILE_P99_MS` / `HOSTILE_RSS_MB` change the two thresholds (defaults 50 and 100, the
//! issue's targets); latency measured on a machine busy compiling is inflated, and each block
//! shows the probe's p99 before the attack for comparison.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    missing_docs
)]

#[path = "hostile/bed.rs"]
mod bed;
mod malformed;
#[path = "hostile/observe.rs"]
mod observe;
#[path = "hostile/raw.rs"]
mod raw;

use std::future::Future;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use tokio::net::TcpStream;

use observe::ms;
use raw::{Poll, TEXT};

/// Rooms one socket may be in (the library default the suite expects).
const ROOM_CAP: usize = 1024;
/// Packets in one polling response (python-engineio refuses more).
pub const POLL_MAX_PACKETS: usize = 16;
/// The test bed's connect timeout.
const CONNECT_TIMEOUT: Duration = Duration::from_millis(1000);
/// The deadline for a request's headers that the suite expects of the serving path.
const HEADER_DEADLINE: Duration = Duration::from_secs(10);
/// The deadline for a request body (Node closes a 1 byte / 2 s body in 10 s).
const BODY_DEADLINE: Duration = Duration::from_secs(10);
/// Slack on top of a deadline, for a busy machine.
const SLACK: Duration = Duration::from_millis(2500);

fn env_num(k: &str, d: f64) -> f64 {
    std::env::var(k)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(d)
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

// ---------------------------------------------------------------------------------------------
// The case runner
// ---------------------------------------------------------------------------------------------

/// What an attack found out about the attacker, and what the well-behaved clients should get.
#[derive(Debug, Default)]
struct Outcome {
    notes: Vec<String>,
    failures: Vec<String>,
    expect: Vec<(String, u64)>,
}

impl Outcome {
    fn note(&mut self, s: impl Into<String>) {
        self.notes.push(s.into());
    }
    fn fail(&mut self, s: impl Into<String>) {
        self.failures.push(s.into());
    }
    /// Each well-behaved client must receive exactly `n` events named `event`.
    fn expect(&mut self, event: &str, n: u64) {
        self.expect.push((event.to_string(), n));
    }
}

static SERIAL: Mutex<()> = Mutex::new(());

/// Run one case: server, observers, the attack (bounded by `limit`), then the checks.
fn run<F, Fut>(name: &str, limit: Duration, attack: F)
where
    F: FnOnce(SocketAddr) -> Fut,
    Fut: Future<Output = Outcome>,
{
    let _serial = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    let started = Instant::now();
    let mut server = bed::Server::start();
    let addr = server.addr;
    let mut probe = observe::Probe::start(addr);
    let good = observe::Good::start(addr);
    // A quiet window first: the probe's latency before the attack, for comparison.
    let quiet = Instant::now();
    std::thread::sleep(Duration::from_millis(700));
    let baseline = probe.window(quiet + Duration::from_millis(200), Instant::now());
    let rss0 = server.rss().unwrap_or(0);
    let sampler = bed::RssSampler::start(server.pid);

    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    let a0 = Instant::now();
    let outcome = rt.block_on(async {
        match tokio::time::timeout(limit, attack(addr)).await {
            Ok(o) => o,
            Err(_) => {
                let mut o = Outcome::default();
                o.fail(format!("the attack did not finish within {limit:?}"));
                o
            }
        }
    });
    let a1 = Instant::now();
    // Drop every attacker connection, then keep measuring for 0.5 s (their cleanup counts).
    rt.shutdown_timeout(Duration::from_secs(1));
    std::thread::sleep(Duration::from_millis(500));
    let t_end = Instant::now();
    let peak = sampler.finish();
    let (good_summary, good_failures) = good.finish(&outcome.expect);
    let lat = probe.window(a0, t_end);
    probe.stop();
    let probe_lost = probe.lost();

    let p99_max = env_num("HOSTILE_P99_MS", 50.0);
    let rss_max = env_num("HOSTILE_RSS_MB", 100.0);
    let mb = |b: u64| b as f64 / 1_048_576.0;
    let growth = peak.saturating_sub(rss0);
    let mut failures = Vec::new();
    if let Some(st) = server.exited() {
        failures.push(format!("the server process died: {st}"));
    }
    if ms(lat.p99) >= p99_max {
        failures.push(format!(
            "probe p99 {:.1} ms >= {p99_max} ms (max {:.1} ms)",
            ms(lat.p99),
            ms(lat.max)
        ));
    }
    if let Some(l) = probe_lost {
        failures.push(format!("probe: {l}"));
    }
    if mb(growth) >= rss_max {
        failures.push(format!(
            "server RSS grew by {:.1} MB >= {rss_max} MB",
            mb(growth)
        ));
    }
    failures.extend(good_failures);
    failures.extend(outcome.failures.iter().cloned());

    let verdict = if failures.is_empty() { "PASS" } else { "FAIL" };
    let mut block = format!(
        "hostile {name}: {verdict} (attack {:.1} s, case {:.1} s)\n",
        (a1 - a0).as_secs_f64(),
        started.elapsed().as_secs_f64()
    );
    block.push_str(&format!("  probe during attack: {lat}\n"));
    block.push_str(&format!("  probe before attack: {baseline}\n"));
    if ms(baseline.p99) >= p99_max / 5.0 {
        block.push_str(&format!(
            "  NOTE: the probe's p99 was already {:.1} ms before the attack: the machine is busy, \
             latency figures are inflated\n",
            ms(baseline.p99)
        ));
    }
    block.push_str(&format!(
        "  server RSS: {:.1} MB before, peak {:.1} MB (+{:.1} MB)\n",
        mb(rss0),
        mb(peak),
        mb(growth)
    ));
    block.push_str(&format!("  well-behaved: {good_summary}\n"));
    for n in &outcome.notes {
        block.push_str(&format!("  attacker: {n}\n"));
    }
    for f in &failures {
        block.push_str(&format!("  FAILED: {f}\n"));
    }
    if server.exited().is_some() {
        block.push_str(&format!("  server stderr: {}\n", server.stderr_tail(2000)));
    }
    socketio_tests::loud(&block);
    drop(server);
    assert!(
        failures.is_empty(),
        "hostile {name}: {} failure(s), numbers above:\n  {}",
        failures.len(),
        failures.join("\n  ")
    );
}

/// Wait for a condition on shared state, polling every 10 ms, until `deadline`.
async fn until(deadline: Instant, mut cond: impl FnMut() -> bool) -> bool {
    loop {
        if cond() {
            return true;
        }
        if Instant::now() >= deadline {
            return false;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

/// A reader task that drains a raw WebSocket, answers pings through `wr`, and calls `on` for
/// every other frame, until the server closes the connection.
struct Drained {
    task: tokio::task::JoinHandle<()>,
    end: Arc<Mutex<Option<(Instant, String)>>>,
}

impl Drained {
    /// Whether the server closed the connection.
    fn is_finished(&self) -> bool {
        lock(&self.end).is_some()
    }
    /// When it did.
    fn closed_at(&self) -> Option<Instant> {
        lock(&self.end).as_ref().map(|(t, _)| *t)
    }
    /// `still connected`, or how the connection ended.
    fn how(&self) -> String {
        match &*lock(&self.end) {
            Some((_, how)) => format!("disconnected ({how})"),
            None => "still connected".into(),
        }
    }
    fn abort(&self) {
        self.task.abort();
    }
}

fn drain(
    mut rd: raw::WsRead,
    wr: Arc<tokio::sync::Mutex<raw::WsWrite>>,
    mut on: impl FnMut(&raw::WsFrame) + Send + 'static,
) -> Drained {
    let end = Arc::new(Mutex::new(None));
    let e2 = end.clone();
    let task = tokio::spawn(async move {
        let mut last_control = None;
        while let Some(f) = rd.next().await {
            if f.is_text("2") {
                let _ = wr.lock().await.text("3").await;
                continue;
            }
            if f.opcode == TEXT && (f.data == b"1" || f.data.starts_with(b"41")) {
                last_control = Some(f.text().into_owned());
            }
            on(&f);
        }
        let mut how = rd.ended.take().unwrap_or_default();
        if let Some(c) = last_control {
            how = format!("{c:?}, then {how}");
        }
        *lock(&e2) = Some((Instant::now(), how));
    });
    Drained { task, end }
}

fn placeholder(n: usize) -> String {
    format!(r#"{{"_placeholder":true,"num":{n}}}"#)
}

// ---------------------------------------------------------------------------------------------
// Rooms
// ---------------------------------------------------------------------------------------------

/// 280k distinct rooms over 4 connections (pipelined joins, at most 2,000 unacknowledged).
/// The attacker must be capped: once it has been acknowledged more than [`ROOM_CAP`] joins,
/// it must not be a member of the last room it was acknowledged (checked with a `to_room`
/// from another client), or it must have been disconnected.
#[test]
fn rooms() {
    run("rooms", Duration::from_secs(25), |addr| async move {
        const CONNS: usize = 4;
        const PER: usize = 70_000;
        let mut o = Outcome::default();
        let deadline = Instant::now() + Duration::from_secs(12);
        let mut conns = Vec::new();
        for _ in 0..CONNS {
            let (rd, wr, _) = raw::sio_connect(addr, "/").await.expect("attacker");
            let wr = Arc::new(tokio::sync::Mutex::new(wr));
            // (acks true, other acks, member-check events seen, ack times at 10k and 20k)
            let st = Arc::new(Mutex::new((
                0usize,
                0usize,
                Vec::<String>::new(),
                None,
                None,
            )));
            let t0 = Instant::now();
            let s2 = st.clone();
            let reader = drain(rd, wr.clone(), move |f| {
                if f.opcode != TEXT {
                    return;
                }
                let mut s = lock(&s2);
                if f.data.starts_with(b"43") {
                    if f.data.ends_with(b"[true]") {
                        s.0 += 1;
                        if s.0 == 10_000 {
                            s.3 = Some(t0.elapsed());
                        }
                        if s.0 == 20_000 {
                            s.4 = Some(t0.elapsed());
                        }
                    } else {
                        s.1 += 1;
                    }
                } else if let Some(("member", rest)) = raw::event_name(&f.data) {
                    s.2.push(String::from_utf8_lossy(rest).into_owned());
                }
            });
            conns.push((wr, st, reader));
        }
        let writers: Vec<_> = conns
            .iter()
            .enumerate()
            .map(|(c, (wr, st, _))| {
                let (wr, st) = (wr.clone(), st.clone());
                tokio::spawn(async move {
                    let mut sent = 0usize;
                    while sent < PER && Instant::now() < deadline {
                        let acked = {
                            let s = lock(&st);
                            s.0 + s.1
                        };
                        if sent - acked >= 2000 {
                            tokio::time::sleep(Duration::from_millis(2)).await;
                            continue;
                        }
                        let mut batch = Vec::new();
                        for i in sent..(sent + 500).min(PER) {
                            batch.extend_from_slice(&raw::text(&format!(
                                r#"42{}["join",{{"room":"r{c}-{i:06}"}}]"#,
                                i + 1
                            )));
                        }
                        if wr.lock().await.raw(&batch).await.is_err() {
                            break;
                        }
                        sent = (sent + 500).min(PER);
                    }
                    // The acks of what was sent (bounded).
                    let _ = until(deadline + Duration::from_secs(2), || {
                        let s = lock(&st);
                        s.0 + s.1 >= sent
                    })
                    .await;
                    sent
                })
            })
            .collect();
        let mut sent = Vec::new();
        for w in writers {
            sent.push(w.await.unwrap_or(0));
        }
        // Membership, seen from outside: a well-behaved client emits to the first room and to
        // the last acknowledged room of each attacker connection.
        let (mut crd, cwr, _) = raw::sio_connect(addr, "/").await.expect("checker");
        let cwr = Arc::new(tokio::sync::Mutex::new(cwr));
        let mut asked = 0;
        for (c, (_, st, _)) in conns.iter().enumerate() {
            let last = lock(st).0;
            for i in [0, last.saturating_sub(1)] {
                asked += 1;
                let _ = cwr
                    .lock()
                    .await
                    .text(&format!(
                        r#"42{asked}["to_room",{{"room":"r{c}-{i:06}","event":"member","data":"{c}-{i}"}}]"#
                    ))
                    .await;
            }
        }
        let mut got = 0;
        let cdeadline = Instant::now() + Duration::from_secs(5);
        while got < asked && Instant::now() < cdeadline {
            match crd.next_within(Duration::from_millis(200)).await {
                Ok(Some(f)) if f.is_text("2") => {
                    let _ = cwr.lock().await.text("3").await;
                }
                Ok(Some(f)) if f.data.starts_with(b"43") => got += 1,
                Ok(None) => break,
                _ => {}
            }
        }
        // A to_room ack means the emission was queued; the event may still sit behind the
        // attacker's last join acks: wait for both events (bounded; a capped connection only
        // ever gets the first).
        let _ = until(Instant::now() + Duration::from_secs(3), || {
            conns
                .iter()
                .all(|(_, st, r)| lock(st).2.len() >= 2 || r.is_finished())
        })
        .await;
        for (c, (_, st, reader)) in conns.iter().enumerate() {
            let s = lock(st);
            let (ok, refused) = (s.0, s.1);
            let closed = reader.is_finished();
            let last_member =
                s.2.iter()
                    .any(|e| *e == format!(r#","{c}-{}"]"#, ok.saturating_sub(1)));
            let first_member = s.2.iter().any(|e| *e == format!(r#","{c}-0"]"#));
            let quad = match (s.3, s.4) {
                (Some(a), Some(b)) => format!(
                    "; joins 1-10k took {:.2} s, 10k-20k {:.2} s (x{:.1})",
                    a.as_secs_f64(),
                    (b - a).as_secs_f64(),
                    (b - a).as_secs_f64() / a.as_secs_f64().max(1e-6)
                ),
                _ => String::new(),
            };
            o.note(format!(
                "conn {c}: sent {} joins, {ok} acked true, {refused} other acks, member of its \
                 first room: {first_member}, of its last acked room: {last_member}, \
                 {}{quad}",
                sent[c],
                reader.how()
            ));
            if !closed && ok > ROOM_CAP && last_member {
                o.fail(format!(
                    "attacker conn {c} is in {ok} rooms (cap {ROOM_CAP}): not limited"
                ));
            }
        }
        o
    });
}

// ---------------------------------------------------------------------------------------------
// Inbound queue behind an awaiting handler
// ---------------------------------------------------------------------------------------------

/// 900 events of 1 MB queued behind `call_sid` to the attacker's own sid, whose `ask` it never
/// answers (the handler awaits 5 s). The attacker must be disconnected, or throttled (the
/// server stops reading: a 1 MB write stalls for over a second while the handler awaits).
#[test]
fn slow_handler_queue() {
    run(
        "slow_handler_queue",
        Duration::from_secs(25),
        |addr| async move {
            let mut o = Outcome::default();
            let (mut rd, mut wr, sid) = raw::sio_connect(addr, "/").await.expect("attacker");
            wr.text(&format!(r#"421["call_sid",{{"sid":"{sid}","data":0}}]"#))
                .await
                .expect("call_sid");
            // The handler is awaiting once our `ask` arrives.
            let asked = tokio::time::timeout(Duration::from_secs(3), async {
                while let Some(f) = rd.next().await {
                    if f.opcode == TEXT && raw::event_name(&f.data).is_some_and(|(n, _)| n == "ask")
                    {
                        return true;
                    }
                }
                false
            })
            .await
            .unwrap_or(false);
            assert!(asked, "no `ask` for call_sid to self");
            let wr = Arc::new(tokio::sync::Mutex::new(wr));
            let reader = drain(rd, wr.clone(), |_| {});
            let head = r#"42["echo",""#;
            let tail = r#""]"#;
            let body = format!(
                "{head}{}{tail}",
                "x".repeat(999_000 - head.len() - tail.len())
            );
            let frame = raw::text(&body);
            let t0 = Instant::now();
            let deadline = t0 + Duration::from_secs(12);
            let mut sent = 0;
            let mut stall = Duration::ZERO;
            let mut write_error = false;
            while sent < 900 && Instant::now() < deadline && !reader.is_finished() {
                let w0 = Instant::now();
                let res = tokio::time::timeout_at(deadline.into(), async {
                    wr.lock().await.raw(&frame).await
                })
                .await;
                let took = w0.elapsed();
                if t0.elapsed() < Duration::from_secs(5) {
                    stall = stall.max(took);
                }
                match res {
                    Ok(Ok(())) => sent += 1,
                    Ok(Err(_)) => {
                        write_error = true;
                        break;
                    }
                    Err(_) => break,
                }
            }
            let wrote = t0.elapsed();
            let _ = until(Instant::now() + Duration::from_secs(3), || {
                reader.is_finished()
            })
            .await;
            let closed_at = reader.closed_at();
            let closed = closed_at.is_some() || write_error;
            o.note(format!(
                "wrote {sent} of 900 frames of 1 MB in {:.2} s (longest write while the handler \
                 awaited: {:.0} ms); {}{}{}",
                wrote.as_secs_f64(),
                ms(stall),
                reader.how(),
                closed_at
                    .map(|t| format!(" after {:.2} s", (t - t0).as_secs_f64()))
                    .unwrap_or_default(),
                if write_error { "; a write failed" } else { "" }
            ));
            if !closed && stall < Duration::from_secs(1) {
                o.fail(format!(
                    "the server accepted {sent} MB queued behind an awaiting handler without \
                 closing or throttling the connection"
                ));
            }
            o
        },
    );
}

// ---------------------------------------------------------------------------------------------
// Polling sessions full of broadcasts, drained with gzip
// ---------------------------------------------------------------------------------------------

/// 8 polling sessions that do not poll, while another client broadcasts 48 events of 500 kB
/// (hard to compress; one at a time, acked, 20 ms apart), then all 8 GET at once with
/// `Accept-Encoding: gzip`. Each session must have been closed (400) or answer in responses
/// of at most 16 packets; the well-behaved clients get all 48 broadcasts.
#[test]
fn gzip_polling() {
    run("gzip_polling", Duration::from_secs(30), |addr| async move {
        const SESSIONS: usize = 8;
        const EVENTS: u64 = 48;
        let mut o = Outcome::default();
        let mut sessions = Vec::new();
        for _ in 0..SESSIONS {
            let p = Poll::open(addr).await.expect("attacker session");
            let r = p.post(b"40", raw::HANDSHAKE).await.expect("POST 40");
            assert_eq!(r.body, b"ok");
            sessions.push(p);
        }
        let (rd, wr, _) = raw::sio_connect(addr, "/").await.expect("broadcaster");
        let wr = Arc::new(tokio::sync::Mutex::new(wr));
        let acks = Arc::new(Mutex::new(0u64));
        let a2 = acks.clone();
        let reader = drain(rd, wr.clone(), move |f| {
            if f.opcode == TEXT && f.data.starts_with(b"43") {
                *lock(&a2) += 1;
            }
        });
        let data = raw::noise(500_000, 7);
        let b0 = Instant::now();
        for i in 0..EVENTS {
            let msg = format!(
                r#"42{}["broadcast",{{"event":"big","data":"{data}"}}]"#,
                i + 1
            );
            if wr.lock().await.text(&msg).await.is_err() {
                break;
            }
            let ok = until(Instant::now() + Duration::from_secs(5), || *lock(&acks) > i).await;
            if !ok {
                o.fail(format!("broadcast {i} was not acked within 5 s"));
                break;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        o.note(format!(
            "broadcast {} x 500 kB in {:.2} s",
            lock(&acks),
            b0.elapsed().as_secs_f64()
        ));
        o.expect("big", EVENTS);
        let gets: Vec<_> = sessions
            .into_iter()
            .map(|p| {
                tokio::spawn(async move {
                    let mut lines = Vec::new();
                    let mut worst = 0usize;
                    for _ in 0..4 {
                        let g0 = Instant::now();
                        let r = p
                            .get(&[("Accept-Encoding", "gzip")], 512 << 20, Duration::from_secs(15))
                            .await;
                        let took = g0.elapsed();
                        match r {
                            Ok(r) if r.status == 200 => {
                                let gz = r.header("content-encoding") == Some("gzip");
                                let plain = if gz {
                                    use std::io::Read as _;
                                    let mut out = Vec::new();
                                    let _ = flate2::read::GzDecoder::new(&r.body[..])
                                        .read_to_end(&mut out);
                                    out
                                } else {
                                    r.body.clone()
                                };
                                let packets = raw::records(&plain).count();
                                let big = raw::records(&plain)
                                    .filter(|rec| {
                                        raw::event_name(rec).is_some_and(|(n, _)| n == "big")
                                    })
                                    .count();
                                worst = worst.max(packets);
                                lines.push(format!(
                                    "200 {} bytes{} -> {} bytes, {packets} packets ({big} big) in {:.0} ms",
                                    r.body.len(),
                                    if gz { " gzip" } else { "" },
                                    plain.len(),
                                    ms(took)
                                ));
                                if big == 0 {
                                    break;
                                }
                            }
                            Ok(r) => {
                                lines.push(format!("{} in {:.0} ms", r.status, ms(took)));
                                break;
                            }
                            Err(e) => {
                                lines.push(format!("error {e} after {:.0} ms", ms(took)));
                                break;
                            }
                        }
                    }
                    (lines, worst)
                })
            })
            .collect();
        for (i, g) in gets.into_iter().enumerate() {
            let (lines, worst) = g.await.unwrap_or_default();
            o.note(format!("session {i}: {}", lines.join("; ")));
            if worst > POLL_MAX_PACKETS {
                o.fail(format!(
                    "attacker session {i} got a gzip response of {worst} packets (> {POLL_MAX_PACKETS}): \
                     its queue was neither bounded nor batched"
                ));
            }
        }
        reader.abort();
        o
    });
}

// ---------------------------------------------------------------------------------------------
// Broadcasts with many small attachments
// ---------------------------------------------------------------------------------------------

/// 1,000 broadcasts, sent in one burst, each with ten 1-byte attachments. Every well-behaved
/// client (WebSocket and polling) must get all 1,000 and stay connected. The attacker is not
/// required to be limited here (Node lets it through too); its acks are reported.
#[test]
fn attachment_broadcasts() {
    run(
        "attachment_broadcasts",
        Duration::from_secs(25),
        |addr| async move {
            const N: u64 = 1000;
            let mut o = Outcome::default();
            let (rd, wr, _) = raw::sio_connect(addr, "/").await.expect("attacker");
            let wr = Arc::new(tokio::sync::Mutex::new(wr));
            let acks = Arc::new(Mutex::new(0u64));
            let a2 = acks.clone();
            let reader = drain(rd, wr.clone(), move |f| {
                if f.opcode == TEXT && f.data.starts_with(b"43") {
                    *lock(&a2) += 1;
                }
            });
            let phs: Vec<String> = (0..10).map(placeholder).collect();
            let mut burst = Vec::new();
            for i in 0..N {
                burst.extend_from_slice(&raw::text(&format!(
                    r#"4510-{}["broadcast",{{"event":"bin","data":[{}]}}]"#,
                    i + 1,
                    phs.join(",")
                )));
                for k in 0..10u8 {
                    burst.extend_from_slice(&raw::frame(raw::BINARY, &[k]));
                }
            }
            let t0 = Instant::now();
            let _ = wr.lock().await.raw(&burst).await;
            let all = until(Instant::now() + Duration::from_secs(10), || {
                *lock(&acks) >= N || reader.is_finished()
            })
            .await;
            o.note(format!(
                "{} of {N} broadcasts acked in {:.2} s; attacker {}",
                lock(&acks),
                t0.elapsed().as_secs_f64(),
                reader.how()
            ));
            if !all {
                o.note("not every broadcast was acked within 10 s");
            }
            o.expect("bin", *lock(&acks));
            if *lock(&acks) < N {
                o.fail(format!(
                    "only {} of {N} legitimate broadcasts were acked",
                    lock(&acks)
                ));
            }
            reader.abort();
            o
        },
    );
}

// ---------------------------------------------------------------------------------------------
// A room named after another socket's sid
// ---------------------------------------------------------------------------------------------

/// The attacker joins a room named after the victim's sid; a third client then sends
/// `to_room` to that sid and `call_sid` to it. The victim must get the message and the
/// `ask`, and `call_sid` must be answered with the victim's answer. Whether the attacker also
/// gets them is reported (the application decides whether such a join is allowed).
#[test]
fn sid_room() {
    run("sid_room", Duration::from_secs(20), |addr| async move {
        let mut o = Outcome::default();
        let seen = Arc::new(Mutex::new((Vec::<String>::new(), Vec::<String>::new())));
        let mut sids = Vec::new();
        let mut readers = Vec::new();
        for who in 0..2 {
            let (rd, wr, sid) = raw::sio_connect(addr, "/").await.expect("victim/attacker");
            sids.push(sid);
            let wr = Arc::new(tokio::sync::Mutex::new(wr));
            let (seen, w2) = (seen.clone(), wr.clone());
            let answer = if who == 0 {
                "victim-answer"
            } else {
                "attacker-answer"
            };
            let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel::<String>();
            // Answer `ask` from a task of its own (the reader cannot await the writer lock
            // inside the callback).
            tokio::spawn(async move {
                while let Some(id) = rx.recv().await {
                    let _ = w2
                        .lock()
                        .await
                        .text(&format!(r#"43{id}["{answer}"]"#))
                        .await;
                }
            });
            readers.push((
                wr.clone(),
                drain(rd, wr, move |f| {
                    if f.opcode != TEXT {
                        return;
                    }
                    let t = f.text().into_owned();
                    if raw::event_name(&f.data).is_some_and(|(name, _)| name == "ask") {
                        // 42<id>["ask",...]
                        let id: String = t[2..].chars().take_while(char::is_ascii_digit).collect();
                        let _ = tx.send(id);
                    }
                    let mut s = lock(&seen);
                    if who == 0 { s.0.push(t) } else { s.1.push(t) }
                }),
            ));
        }
        let (victim, _attacker) = (sids[0].clone(), sids[1].clone());
        // The attacker joins the room named after the victim's sid.
        let _ = readers[1]
            .0
            .lock()
            .await
            .text(&format!(r#"4291["join",{{"room":"{victim}"}}]"#))
            .await;
        let (mut crd, mut cwr, _) = raw::sio_connect(addr, "/").await.expect("sender");
        // The attack is the attacker's membership: wait for its join to be acked.
        let joined = until(Instant::now() + Duration::from_secs(5), || {
            lock(&seen).1.iter().any(|t| t.starts_with("4391["))
        })
        .await;
        o.note(format!(
            "attacker's join of the room named after the victim's sid: {}",
            lock(&seen)
                .1
                .iter()
                .find(|t| t.starts_with("4391["))
                .cloned()
                .unwrap_or_else(|| "no ack".into())
        ));
        let _ = joined;
        cwr.text(&format!(
            r#"421["to_room",{{"room":"{victim}","event":"private","data":"for-victim"}}]"#
        ))
        .await
        .expect("to_room");
        cwr.text(&format!(
            r#"422["call_sid",{{"sid":"{victim}","data":"q"}}]"#
        ))
        .await
        .expect("call_sid");
        let mut call_answer = None;
        let mut sender_saw = Vec::new();
        let d = Instant::now() + Duration::from_secs(8);
        while call_answer.is_none() && Instant::now() < d {
            match crd.next_within(Duration::from_millis(200)).await {
                Ok(Some(f)) if f.is_text("2") => {
                    let _ = cwr.text("3").await;
                }
                Ok(Some(f)) if f.data.starts_with(b"432[") => {
                    call_answer = Some(f.text().into_owned());
                }
                Ok(Some(f)) => sender_saw.push(f.text().into_owned()),
                Ok(None) => {
                    sender_saw.push(format!("closed: {:?}", crd.ended));
                    break;
                }
                Err(()) => {}
            }
        }
        o.note(format!("the sending client also got {sender_saw:?}"));
        let _ = until(Instant::now() + Duration::from_secs(1), || {
            lock(&seen)
                .0
                .iter()
                .any(|t| raw::event_name(t.as_bytes()).is_some_and(|(n, _)| n == "private"))
        })
        .await;
        let s = lock(&seen).clone();
        let has_event = |v: &[String], what: &str| {
            v.iter()
                .any(|t| raw::event_name(t.as_bytes()).is_some_and(|(n, _)| n == what))
        };
        o.note(format!("victim saw {:?}; attacker saw {:?}", s.0, s.1));
        o.note(format!(
            "victim got private: {}, ask: {}; attacker got private: {}, ask: {}; call_sid acked {:?}",
            has_event(&s.0, "private"),
            has_event(&s.0, "ask"),
            has_event(&s.1, "private"),
            has_event(&s.1, "ask"),
            call_answer
        ));
        if !has_event(&s.0, "private") {
            o.fail("to_room to the victim's sid did not reach the victim");
        }
        if !has_event(&s.0, "ask") {
            o.fail("call_sid to the victim's sid did not reach the victim");
        }
        if call_answer.as_deref() != Some(r#"432["victim-answer"]"#) {
            o.fail(format!(
                "call_sid to the victim's sid was answered with {call_answer:?}, not the victim's answer"
            ));
        }
        for (_, r) in &readers {
            r.abort();
        }
        o
    });
}

// ---------------------------------------------------------------------------------------------
// Rejected CONNECT, then keeping the session alive
// ---------------------------------------------------------------------------------------------

/// Sessions whose only CONNECT is refused (`/chat` with a bad token, an unknown namespace; over
/// WebSocket and polling) and that then answer every ping: each must be closed by the connect
/// timeout (1 s), within 1 s + 2.5 s slack of the handshake.
#[test]
fn rejected_connect() {
    run(
        "rejected_connect",
        Duration::from_secs(15),
        |addr| async move {
            let mut o = Outcome::default();
            let limit = CONNECT_TIMEOUT + SLACK;
            let wait = limit + Duration::from_secs(2);
            let mut tasks = Vec::new();
            for (what, connect) in [
                ("websocket, /chat bad token", r#"40/chat,{"token":"bad"}"#),
                ("websocket, unknown namespace", "40/nope,"),
            ] {
                tasks.push(tokio::spawn(async move {
                    let t0 = Instant::now();
                    let (mut rd, mut wr) = raw::sio_open(addr).await.expect("open");
                    let _ = wr.text(connect).await;
                    let mut refused = false;
                    let closed = tokio::time::timeout(wait, async {
                        while let Some(f) = rd.next().await {
                            if f.is_text("2") {
                                let _ = wr.text("3").await;
                            } else if f.data.starts_with(b"44") {
                                refused = true;
                            }
                        }
                    })
                    .await
                    .is_ok();
                    (what, refused, closed.then(|| t0.elapsed()))
                }));
            }
            for (what, body) in [
                (
                    "polling, /chat bad token",
                    &br#"40/chat,{"token":"bad"}"#[..],
                ),
                ("polling, unknown namespace", b"40/nope,"),
            ] {
                tasks.push(tokio::spawn(async move {
                    let t0 = Instant::now();
                    let p = Poll::open(addr).await.expect("open");
                    let _ = p.post(body, raw::HANDSHAKE).await;
                    let mut refused = false;
                    let mut closed = None;
                    while t0.elapsed() < wait {
                        match p.get(&[], 1 << 20, Duration::from_secs(3)).await {
                            Ok(r) if r.status == 200 => {
                                let recs: Vec<&[u8]> = raw::records(&r.body).collect();
                                if recs.iter().any(|r| r.starts_with(b"44")) {
                                    refused = true;
                                }
                                if recs.contains(&&b"1"[..]) {
                                    closed = Some(t0.elapsed());
                                    break;
                                }
                                if recs.contains(&&b"2"[..]) {
                                    let _ = p.post(b"3", raw::HANDSHAKE).await;
                                }
                            }
                            Err(e) if e.kind() == std::io::ErrorKind::TimedOut => {}
                            _ => {
                                closed = Some(t0.elapsed());
                                break;
                            }
                        }
                    }
                    (what, refused, closed)
                }));
            }
            for t in tasks {
                let (what, refused, closed) = t.await.expect("task");
                o.note(format!(
                    "{what}: refused {refused}, closed {}",
                    closed
                        .map(|d| format!("after {:.2} s", d.as_secs_f64()))
                        .unwrap_or_else(|| format!("NOT within {:.1} s", wait.as_secs_f64()))
                ));
                match closed {
                    Some(d) if d <= limit => {}
                    _ => o.fail(format!(
                        "{what}: the session was not closed within {:.1} s of the handshake",
                        limit.as_secs_f64()
                    )),
                }
            }
            o
        },
    );
}

// ---------------------------------------------------------------------------------------------
// Header and body deadlines
// ---------------------------------------------------------------------------------------------

/// When the server closed or answered a slow connection, measured from `t0`, the moment just
/// before that connection's connect (`None`: not within `wait` of `t0`),
/// writing one byte of `drip` every `every` meanwhile.
async fn wait_closed(
    mut s: TcpStream,
    t0: Instant,
    wait: Duration,
    every: Duration,
    drip: &'static [u8],
) -> Option<Duration> {
    let mut i = 0usize;
    let mut buf = [0u8; 4096];
    let mut tick = tokio::time::interval(every);
    tick.tick().await;
    let deadline = t0 + wait;
    loop {
        tokio::select! {
            r = s.read(&mut buf) => match r {
                // A close, or an answer (a 408 or 400: the server gave up on the request; it
                // may keep the connection for the next one).
                Ok(_) | Err(_) => return Some(t0.elapsed()),
            },
            _ = tick.tick(), if !drip.is_empty() => {
                let b = drip[i % drip.len()];
                i += 1;
                if s.write_all(&[b]).await.is_err() {
                    return Some(t0.elapsed());
                }
            }
            _ = tokio::time::sleep_until(deadline.into()) => return None,
        }
    }
}

fn summarize(what: &str, closed: &[Option<Duration>], limit: Duration, o: &mut Outcome) {
    let n = closed.len();
    let done: Vec<Duration> = closed.iter().flatten().copied().collect();
    let in_time = done.iter().filter(|d| **d <= limit).count();
    let max = done.iter().max().copied().unwrap_or_default();
    o.note(format!(
        "{what}: {in_time} of {n} closed or answered within {:.1} s ({} in all, latest after {:.2} s)",
        limit.as_secs_f64(),
        done.len(),
        max.as_secs_f64()
    ));
    if in_time < n {
        o.fail(format!(
            "{what}: {} of {n} connections still open and unanswered {:.1} s after they started",
            n - in_time,
            limit.as_secs_f64()
        ));
    }
}

/// 1,000 connections: 500 send nothing, 500 trickle a request line at 1 byte/s. All must be
/// closed by the header deadline (expected: 10 s, + slack).
#[test]
fn header_trickle() {
    run(
        "header_trickle",
        Duration::from_secs(25),
        |addr| async move {
            let mut o = Outcome::default();
            let limit = HEADER_DEADLINE + SLACK;
            let wait = limit + Duration::from_millis(500);
            // Each connection's clock starts just before its own connect: the server's
            // deadline runs from its accept, and opening 1,000 sockets one after another takes
            // seconds on a busy machine.
            let opening = Instant::now();
            let mut tasks = Vec::new();
            for i in 0..1000 {
                let t0 = Instant::now();
                let s = TcpStream::connect(addr).await.expect("connect");
                let drip: &'static [u8] = if i % 2 == 0 {
                    b""
                } else {
                    b"GET /socket.io/?EIO=4&transport=polling HTTP/1.1\r\nHost: x\r\n"
                };
                tasks.push(tokio::spawn(wait_closed(
                    s,
                    t0,
                    wait,
                    Duration::from_secs(1),
                    drip,
                )));
            }
            o.note(format!(
                "opened 1,000 connections in {:.2} s",
                opening.elapsed().as_secs_f64()
            ));
            let mut silent = Vec::new();
            let mut trickle = Vec::new();
            for (i, t) in tasks.into_iter().enumerate() {
                let r = t.await.unwrap_or(None);
                if i % 2 == 0 {
                    silent.push(r)
                } else {
                    trickle.push(r)
                }
            }
            summarize("500 silent connections", &silent, limit, &mut o);
            summarize(
                "500 connections trickling a request line at 1 B/s",
                &trickle,
                limit,
                &mut o,
            );
            o
        },
    );
}

/// Slowloris: 300 connections send a request line and then one header line every second,
/// never ending the head; 200 connections make one complete request on a keep-alive
/// connection and then stay idle. All must be closed within the header deadline (+ slack).
#[test]
fn slowloris() {
    run("slowloris", Duration::from_secs(25), |addr| async move {
        let mut o = Outcome::default();
        let limit = HEADER_DEADLINE + SLACK;
        let wait = limit + Duration::from_millis(500);
        // Per connection, as in `header_trickle`: the clock starts just before its connect.
        let mut lines = Vec::new();
        for _ in 0..300 {
            let t0 = Instant::now();
            let mut s = TcpStream::connect(addr).await.expect("connect");
            let _ = s
                .write_all(b"GET /socket.io/?EIO=4&transport=polling HTTP/1.1\r\nHost: x\r\n")
                .await;
            lines.push(tokio::spawn(wait_closed(
                s,
                t0,
                wait,
                Duration::from_secs(1),
                b"X-a: b\r\n",
            )));
        }
        let mut idle = Vec::new();
        for _ in 0..200 {
            let t0 = Instant::now();
            let mut s = TcpStream::connect(addr).await.expect("connect");
            let _ = s
                .write_all(b"GET /socket.io/?EIO=4&transport=polling HTTP/1.1\r\nHost: x\r\n\r\n")
                .await;
            idle.push(tokio::spawn(async move {
                // Read the handshake response (its length is known), then stay idle.
                let mut got = Vec::new();
                let mut buf = [0u8; 4096];
                loop {
                    match tokio::time::timeout(raw::HANDSHAKE, s.read(&mut buf)).await {
                        Ok(Ok(0)) | Ok(Err(_)) => return Some(t0.elapsed()),
                        Ok(Ok(n)) => got.extend_from_slice(&buf[..n]),
                        Err(_) => return None,
                    }
                    if let Some(end) = got.windows(4).position(|w| w == b"\r\n\r\n") {
                        let head = String::from_utf8_lossy(&got[..end]).to_ascii_lowercase();
                        let len: usize = head
                            .lines()
                            .find_map(|l| l.strip_prefix("content-length:"))
                            .and_then(|v| v.trim().parse().ok())
                            .unwrap_or(0);
                        if got.len() >= end + 4 + len {
                            break;
                        }
                    }
                }
                wait_closed(s, t0, wait, Duration::from_secs(3600), b"").await
            }));
        }
        let mut a = Vec::new();
        for t in lines {
            a.push(t.await.unwrap_or(None));
        }
        let mut b = Vec::new();
        for t in idle {
            b.push(t.await.unwrap_or(None));
        }
        summarize(
            "300 connections sending a header line per second",
            &a,
            limit,
            &mut o,
        );
        summarize(
            "200 idle keep-alive connections after one request",
            &b,
            limit,
            &mut o,
        );
        o
    });
}

/// 50 polling sessions each POST a 100-byte body at 1 byte every 2 s. Each request must be
/// answered or closed within the body deadline (expected: 10 s, + slack).
#[test]
fn post_trickle() {
    run("post_trickle", Duration::from_secs(25), |addr| async move {
        let mut o = Outcome::default();
        let limit = BODY_DEADLINE + SLACK;
        let wait = limit + Duration::from_millis(500);
        let mut tasks = Vec::new();
        for _ in 0..50 {
            let p = Poll::open(addr).await.expect("session");
            let mut s = TcpStream::connect(addr).await.expect("connect");
            let head = format!(
                "POST {} HTTP/1.1\r\nHost: x\r\nContent-Type: text/plain;charset=UTF-8\r\n\
                 Content-Length: 100\r\n\r\n",
                p.url()
            );
            let _ = s.write_all(head.as_bytes()).await;
            let t0 = Instant::now();
            tasks.push(tokio::spawn(wait_closed(
                s,
                t0,
                wait,
                Duration::from_secs(2),
                b"4",
            )));
        }
        let mut closed = Vec::new();
        for t in tasks {
            closed.push(t.await.unwrap_or(None));
        }
        summarize(
            "50 POST bodies trickled at 1 B / 2 s",
            &closed,
            limit,
            &mut o,
        );
        o
    });
}

// ---------------------------------------------------------------------------------------------
// Attachment amplification
// ---------------------------------------------------------------------------------------------

/// One 33 KB `broadcast` whose data references its single 1 kB attachment in 1,100
/// placeholders. The server must refuse it (no `true` ack; closing the attacker is fine) and
/// the well-behaved clients stay connected.
#[test]
fn placeholder_reuse_broadcast() {
    run(
        "placeholder_reuse_broadcast",
        Duration::from_secs(15),
        |addr| async move {
            let mut o = Outcome::default();
            let (rd, wr, _) = raw::sio_connect(addr, "/").await.expect("attacker");
            let wr = Arc::new(tokio::sync::Mutex::new(wr));
            let acks = Arc::new(Mutex::new(Vec::<String>::new()));
            let a2 = acks.clone();
            let reader = drain(rd, wr.clone(), move |f| {
                if f.opcode == TEXT && f.data.starts_with(b"43") {
                    lock(&a2).push(f.text().into_owned());
                }
            });
            let phs = vec![placeholder(0); 1100].join(",");
            let msg = format!(r#"451-1["broadcast",{{"event":"amp","data":[{phs}]}}]"#);
            o.note(format!(
                "packet of {} bytes + one 1 kB attachment",
                msg.len()
            ));
            {
                let mut w = wr.lock().await;
                let _ = w.text(&msg).await;
                let _ = w.binary(&[7u8; 1000]).await;
                let _ = w.text(r#"422["echo","after"]"#).await;
            }
            // Either the attacker is closed or the echo that follows is answered.
            let _ = until(Instant::now() + Duration::from_secs(5), || {
                reader.is_finished() || lock(&acks).iter().any(|a| a.starts_with("432"))
            })
            .await;
            let acks = lock(&acks).clone();
            let accepted = acks.iter().any(|a| a == "431[true]");
            o.note(format!(
                "broadcast acked true: {accepted}; acks {acks:?}; attacker {}",
                reader.how()
            ));
            if accepted {
                o.fail("the server broadcast a packet that references one attachment 1,100 times");
            }
            reader.abort();
            o
        },
    );
}

/// One 0.95 MB polling POST: an `echo` whose argument references one 700 kB attachment in
/// 500 placeholders. The echo must not come back amplified: the session is closed or the
/// request refused, or the response stays under 10 MB.
#[test]
fn placeholder_reuse_polling() {
    run(
        "placeholder_reuse_polling",
        Duration::from_secs(25),
        |addr| async move {
            let mut o = Outcome::default();
            let p = Poll::open(addr).await.expect("session");
            let r = p.post(b"40", raw::HANDSHAKE).await.expect("POST 40");
            assert_eq!(r.body, b"ok");
            let _ = p.get(&[], 1 << 20, raw::HANDSHAKE).await; // CONNECT reply and greeting
            let phs = vec![placeholder(0); 500].join(",");
            let mut body = format!(r#"451-1["echo",[{phs}]]"#).into_bytes();
            body.push(0x1e);
            body.push(b'b');
            body.extend_from_slice(raw::base64(&raw::noise(700_000, 3).into_bytes()).as_bytes());
            o.note(format!("POST body {} bytes", body.len()));
            let post = p.post(&body, Duration::from_secs(10)).await;
            o.note(format!(
                "POST answered {}",
                match &post {
                    Ok(r) => format!(
                        "{} {:?}",
                        r.status,
                        String::from_utf8_lossy(&r.body[..r.body.len().min(60)])
                    ),
                    Err(e) => format!("error {e}"),
                }
            ));
            const CAP: usize = 32 << 20;
            let mut total = 0usize;
            let mut capped = false;
            let mut ended = String::from("no echo within 3 GETs");
            for _ in 0..3 {
                let g0 = Instant::now();
                match p.get(&[], CAP, Duration::from_secs(15)).await {
                    Ok(r) if r.status == 200 => {
                        total += r.body.len();
                        capped |= r.truncated;
                        if r.truncated {
                            ended = format!("response over {} MB (read stopped)", CAP >> 20);
                            break;
                        }
                        if raw::records(&r.body)
                            .any(|rec| rec.starts_with(b"46") || rec.starts_with(b"43"))
                        {
                            ended = format!(
                                "echo came back, {} bytes in {:.0} ms",
                                r.body.len(),
                                ms(g0.elapsed())
                            );
                            break;
                        }
                        if raw::records(&r.body).any(|rec| rec == b"1") {
                            ended = "session closed (Engine.IO close)".into();
                            break;
                        }
                    }
                    Ok(r) => {
                        ended = format!("session closed (GET {})", r.status);
                        break;
                    }
                    Err(e) => {
                        ended = format!("GET failed: {e}");
                        break;
                    }
                }
            }
            o.note(format!("{ended}; {total} response bytes read"));
            if capped || total > 10 << 20 {
                o.fail(format!(
                    "a {} byte POST produced an echo of over {} MB (amplification)",
                    body.len(),
                    total >> 20
                ));
            }
            o
        },
    );
}

// ---------------------------------------------------------------------------------------------
// Handshake flood, many namespaces
// ---------------------------------------------------------------------------------------------

/// 2,000 handshakes as fast as 32 concurrent clients can make them: 1,000 polling and 1,000
/// WebSocket sessions that never CONNECT. Every WebSocket must be closed by the connect
/// timeout (1 s + 2.5 s slack after its open); 50 sampled polling sessions must be gone by then.
#[test]
fn handshake_flood() {
    run(
        "handshake_flood",
        Duration::from_secs(25),
        |addr| async move {
            let mut o = Outcome::default();
            let limit = CONNECT_TIMEOUT + SLACK;
            let t0 = Instant::now();
            let sids = Arc::new(Mutex::new(Vec::new()));
            let ws_closed = Arc::new(Mutex::new(Vec::<Option<Duration>>::new()));
            let errors = Arc::new(Mutex::new(Vec::<String>::new()));
            let mut workers = Vec::new();
            for w in 0..32 {
                let (sids, ws_closed, errors) = (sids.clone(), ws_closed.clone(), errors.clone());
                workers.push(tokio::spawn(async move {
                    let mut watchers = Vec::new();
                    for i in 0..(2000 / 32 + 1) {
                        if w * 63 + i >= 2000 {
                            break;
                        }
                        if i % 2 == 0 {
                            match Poll::open(addr).await {
                                Ok(p) => lock(&sids).push((p, Instant::now())),
                                Err(e) => lock(&errors).push(format!("polling handshake: {e}")),
                            }
                        } else {
                            match raw::sio_open(addr).await {
                                Ok((mut rd, _wr)) => {
                                    let opened = Instant::now();
                                    let ws_closed = ws_closed.clone();
                                    watchers.push(tokio::spawn(async move {
                                        // Keep the writer alive: the close must come from the server.
                                        let _wr = _wr;
                                        let r = tokio::time::timeout(
                                            limit + Duration::from_secs(1),
                                            async { while rd.next().await.is_some() {} },
                                        )
                                        .await;
                                        lock(&ws_closed).push(r.ok().map(|_| opened.elapsed()));
                                    }));
                                }
                                Err(e) => lock(&errors).push(format!("websocket handshake: {e}")),
                            }
                        }
                    }
                    for wt in watchers {
                        let _ = wt.await;
                    }
                }));
            }
            // The flood's duration is known once every handshake is done; the WebSocket watchers
            // finish within limit + 1 s of their open.
            for w in workers {
                let _ = w.await;
            }
            let flood = t0.elapsed();
            let errs = lock(&errors).clone();
            let polls = lock(&sids).clone();
            o.note(format!(
                "{} handshakes done in {:.2} s ({} polling, {} failed{})",
                polls.len() + lock(&ws_closed).len() + errs.len(),
                flood.as_secs_f64(),
                polls.len(),
                errs.len(),
                errs.first()
                    .map(|e| format!(", first: {e}"))
                    .unwrap_or_default()
            ));
            if !errs.is_empty() {
                o.fail(format!("{} handshakes failed: {}", errs.len(), errs[0]));
            }
            let closed = lock(&ws_closed).clone();
            summarize("websocket sessions without CONNECT", &closed, limit, &mut o);
            // 50 sampled polling sessions: GET (answering nothing) until the session is gone
            // (400 or an Engine.IO close), at most until `limit` after its handshake.
            let sample: Vec<_> = polls
                .iter()
                .step_by((polls.len() / 50).max(1))
                .take(50)
                .cloned()
                .collect();
            let checks: Vec<_> = sample
                .into_iter()
                .map(|(p, opened)| {
                    tokio::spawn(async move {
                        while opened.elapsed() < limit {
                            match p.get(&[], 1 << 16, Duration::from_secs(3)).await {
                                Ok(r)
                                    if r.status == 200
                                        && !raw::records(&r.body).any(|x| x == b"1") => {}
                                Err(e) if e.kind() == std::io::ErrorKind::TimedOut => {}
                                _ => return true,
                            }
                        }
                        false
                    })
                })
                .collect();
            let mut alive = 0;
            for c in checks {
                if !c.await.unwrap_or(false) {
                    alive += 1;
                }
            }
            o.note(format!(
                "sampled polling sessions still open after the flood: {alive} of 50"
            ));
            if alive > 0 {
                o.fail(format!(
                    "{alive} of 50 sampled polling sessions outlived the connect timeout"
                ));
            }
            o
        },
    );
}

/// One connection sends CONNECT to 1,000 distinct namespaces (long names, none exists), then
/// connects to and leaves `/custom` 1,000 times. Every unknown namespace must be refused
/// (CONNECT_ERROR) or the attacker disconnected; it never holds more than the 3 real ones.
#[test]
fn many_namespaces() {
    run(
        "many_namespaces",
        Duration::from_secs(20),
        |addr| async move {
            let mut o = Outcome::default();
            let (rd, wr) = raw::sio_open(addr).await.expect("attacker");
            let wr = Arc::new(tokio::sync::Mutex::new(wr));
            let st = Arc::new(Mutex::new((0usize, 0usize, 0usize))); // connected, refused, greetings
            let s2 = st.clone();
            let reader = drain(rd, wr.clone(), move |f| {
                if f.opcode != TEXT {
                    return;
                }
                let mut s = lock(&s2);
                if f.data.starts_with(b"40") {
                    s.0 += 1;
                } else if f.data.starts_with(b"44") {
                    s.1 += 1;
                } else if f.data.starts_with(b"42") {
                    s.2 += 1;
                }
            });
            let pad = "n".repeat(200);
            let mut burst = Vec::new();
            for i in 0..1000 {
                burst.extend_from_slice(&raw::text(&format!("40/ns-{i}-{pad},")));
            }
            let t0 = Instant::now();
            let _ = wr.lock().await.raw(&burst).await;
            let refused_all = until(Instant::now() + Duration::from_secs(5), || {
                lock(&st).1 >= 1000 || reader.is_finished()
            })
            .await;
            let (c1, r1, _) = *lock(&st);
            o.note(format!(
                "1,000 unknown namespaces: {r1} refused, {c1} connected in {:.2} s; attacker {}",
                t0.elapsed().as_secs_f64(),
                reader.how()
            ));
            if c1 > 0 {
                o.fail(format!("{c1} CONNECTs to unknown namespaces were accepted"));
            }
            if !refused_all && !reader.is_finished() {
                o.fail(format!(
                    "only {r1} of 1,000 unknown namespaces were refused within 5 s"
                ));
            }
            let mut churn = Vec::new();
            for _ in 0..1000 {
                churn.extend_from_slice(&raw::text("40/custom,"));
                churn.extend_from_slice(&raw::text("41/custom,"));
            }
            let _ = wr.lock().await.raw(&churn).await;
            let _ = wr.lock().await.text(r#"42/custom,5["echo","end"]"#).await;
            let _ = wr.lock().await.text("40/custom,").await;
            let done = until(Instant::now() + Duration::from_secs(8), || {
                lock(&st).0 >= 1001 || reader.is_finished()
            })
            .await;
            let (c2, _, g2) = *lock(&st);
            o.note(format!(
                "/custom connect+leave x1,000: {c2} CONNECT replies, {g2} greetings; attacker {}",
                reader.how()
            ));
            if !done {
                o.note("the churn was not fully answered within 8 s");
            }
            reader.abort();
            o
        },
    );
}

// ---------------------------------------------------------------------------------------------
// Malformed input
// ---------------------------------------------------------------------------------------------

/// The malformed-input battery of `testbed.md` (the inputs of `robustness.rs`, shared through
/// `malformed/`), each on a fresh connection against the release build, then the garbage
/// polling bodies and HTTP requests: no 5xx, the server keeps running, nobody else is hurt.
#[test]
fn malformed_battery() {
    run(
        "malformed_battery",
        Duration::from_secs(60),
        |addr| async move {
            let mut o = Outcome::default();
            let mut closed = 0;
            let mut answered = 0;
            let mut cases = 0;
            for (name, frames) in malformed::websocket_cases() {
                cases += 1;
                let (mut rd, mut wr, _) = raw::sio_connect(addr, "/").await.expect("offender");
                for f in &frames {
                    match f {
                        socketio_tests::Frame::Text(t) => {
                            let _ = wr.text(t).await;
                        }
                        socketio_tests::Frame::Binary(b) => {
                            let _ = wr.binary(b).await;
                        }
                        socketio_tests::Frame::Closed => {}
                    }
                }
                let _ = wr.text(r#"42987654["echo","probe"]"#).await;
                let r = tokio::time::timeout(Duration::from_secs(5), async {
                    while let Some(f) = rd.next().await {
                        if f.is_text("2") {
                            let _ = wr.text("3").await;
                        } else if f.is_text(r#"43987654["probe"]"#) {
                            return true;
                        }
                    }
                    false
                })
                .await;
                match r {
                    Ok(true) => answered += 1,
                    Ok(false) => closed += 1,
                    Err(_) => o.fail(format!("{name}: neither answered nor closed within 5 s")),
                }
            }
            o.note(format!(
            "{cases} malformed websocket inputs: {answered} connections kept working, {closed} closed"
        ));
            let mut statuses = std::collections::BTreeMap::<u16, usize>::new();
            for body in malformed::POLLING_BODIES {
                let p = Poll::open(addr).await.expect("session");
                for r in [
                    p.post(body, raw::HANDSHAKE).await,
                    p.get(&[], 1 << 20, raw::HANDSHAKE).await,
                ]
                .into_iter()
                .flatten()
                {
                    *statuses.entry(r.status).or_default() += 1;
                    if r.status >= 500 {
                        o.fail(format!("polling body {body:?}: {}", r.status));
                    }
                }
            }
            for path in malformed::HTTP_PATHS {
                for m in ["GET", "POST", "DELETE", "OPTIONS"] {
                    if let Ok(r) =
                        raw::request(addr, m, path, &[], b"x", 1 << 20, raw::HANDSHAKE).await
                    {
                        *statuses.entry(r.status).or_default() += 1;
                        if r.status >= 500 {
                            o.fail(format!("{m} {path}: {}", r.status));
                        }
                    }
                }
            }
            for req in malformed::RAW_REQUESTS {
                let _ = tokio::time::timeout(raw::HANDSHAKE, async {
                    let mut s = TcpStream::connect(addr).await?;
                    s.write_all(req).await?;
                    let mut out = Vec::new();
                    s.read_to_end(&mut out).await?;
                    std::io::Result::Ok(out)
                })
                .await;
            }
            o.note(format!("HTTP statuses seen: {statuses:?}"));
            o
        },
    );
}
