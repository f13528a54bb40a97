//! `scale`: a load generator that measures how a Socket.IO server holds many idle WebSocket
//! connections. It is a report, not a test (see `README.md` and `docs/performance.md`).
//!
//! The parent process starts the test bed(s) (or is given running servers), then starts worker
//! processes (copies of itself, `scale worker ...`) that each hold up to `--per-worker`
//! connections, because one process may not own more file descriptors than the hard
//! `RLIMIT_NOFILE`. Each connection is a raw Engine.IO v4 / Socket.IO v5 WebSocket client of
//! namespace `/` that answers the server's pings, bound to one of the loopback source addresses
//! `127.0.0.2`, `127.0.0.3`, ... round-robin, so the number of connections is not limited by one
//! address's ephemeral port range. When all are connected the parent reads the servers' RSS,
//! then sends `--broadcasts` broadcasts (the test bed's `broadcast` event, to every socket of
//! `/`) from one extra connection; every delivery carries its send time (wall clock, shared by
//! all processes of the machine), so each receiver records the latency of its own delivery.

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Write};
use std::net::{IpAddr, Ipv4Addr, SocketAddr, TcpListener};
use std::process::{Child, ChildStdin, Command, ExitCode, Stdio};
use std::str::FromStr;
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use futures_util::{SinkExt, StreamExt};
use tokio::net::{TcpSocket, TcpStream};
use tokio::sync::{Semaphore, mpsc};
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::protocol::WebSocketConfig;
use tokio_tungstenite::{WebSocketStream, client_async_with_config};

type Ws = WebSocketStream<TcpStream>;
type Res<T> = Result<T, String>;

/// The prefix of the event frame each broadcast delivers: `42["tick",[k,sent_us]]`.
const TICK_PREFIX: &str = "42[\"tick\",[";

const USAGE: &str = "\
usage: scale [--connections N] [--broadcasts K] [--servers S] [--testbed PATH]
             [--connect HOST:PORT[,HOST:PORT...] --server-pid PID[,PID...]]
             [--sources M] [--concurrency C] [--per-worker W] [--manager-url URL]
             [--ping-interval-ms MS] [--ping-timeout-ms MS] [--delivery-timeout-ms MS]
             [--gap-ms MS] [--settle-ms MS]
defaults: 20000 connections, 20 broadcasts, 1 test bed spawned from target/release/testbed,
          sources = ceil(N / 12000) (min 2) addresses from 127.0.0.2, 64 handshakes in flight,
          15000 connections per worker process, pings 25000/20000 ms,
          with S > 1 the beds form a cluster on redis://127.0.0.1:6379/0";

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    raise_nofile();
    let result = if args.first().map(String::as_str) == Some("worker") {
        worker_main(args.get(1..).unwrap_or(&[]))
    } else {
        parent_main(&args)
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("scale: {e}");
            ExitCode::FAILURE
        }
    }
}

/// Raises the soft `RLIMIT_NOFILE` to the hard one; children (test beds, workers) inherit it.
fn raise_nofile() {
    use rustix::process::{Resource, getrlimit, setrlimit};
    let mut limit = getrlimit(Resource::Nofile);
    limit.current = limit.maximum;
    if let Err(e) = setrlimit(Resource::Nofile, limit) {
        eprintln!("scale: cannot raise RLIMIT_NOFILE: {e}");
    }
}

fn nofile() -> (Option<u64>, Option<u64>) {
    let l = rustix::process::getrlimit(rustix::process::Resource::Nofile);
    (l.current, l.maximum)
}

/// `--name value` pairs.
struct Flags(BTreeMap<String, String>);

impl Flags {
    fn parse(args: &[String], known: &[&str]) -> Res<Self> {
        let mut map = BTreeMap::new();
        let mut it = args.iter();
        while let Some(arg) = it.next() {
            if arg == "--help" || arg == "-h" {
                return Err(USAGE.to_owned());
            }
            let name = arg
                .strip_prefix("--")
                .filter(|n| known.contains(n))
                .ok_or_else(|| format!("unknown argument {arg}\n{USAGE}"))?;
            let value = it.next().ok_or_else(|| format!("--{name} needs a value"))?;
            map.insert(name.to_owned(), value.clone());
        }
        Ok(Self(map))
    }

    fn get<T: FromStr>(&self, name: &str, default: T) -> Res<T> {
        match self.0.get(name) {
            None => Ok(default),
            Some(v) => v
                .parse()
                .map_err(|_| format!("bad value for --{name}: {v}")),
        }
    }

    fn list<T: FromStr>(&self, name: &str) -> Res<Vec<T>> {
        match self.0.get(name) {
            None => Ok(Vec::new()),
            Some(v) => v
                .split(',')
                .map(|s| s.parse().map_err(|_| format!("bad value in --{name}: {s}")))
                .collect(),
        }
    }
}

/// Microseconds of the wall clock: the one clock all processes of the machine share.
fn now_us() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_micros() as u64)
        .unwrap_or(0)
}

/// Source address of connection `i`: 127.0.0.2, 127.0.0.3, ... round-robin over `sources`.
fn source(i: usize, sources: usize) -> IpAddr {
    let n = (i % sources.max(1)) as u32 + 2;
    IpAddr::V4(Ipv4Addr::from(0x7f00_0000_u32 + n))
}

fn ws_config() -> WebSocketConfig {
    // Idle clients: small buffers, so the generator's own memory stays modest.
    WebSocketConfig::default()
        .read_buffer_size(4096)
        .write_buffer_size(0)
        .max_message_size(Some(1 << 20))
        .max_frame_size(Some(1 << 20))
}

/// TCP connect from `src`, WebSocket upgrade, Engine.IO open, Socket.IO CONNECT to `/`.
async fn open(target: SocketAddr, src: IpAddr) -> Res<Ws> {
    let socket = TcpSocket::new_v4().map_err(|e| format!("socket: {e}"))?;
    socket
        .bind(SocketAddr::new(src, 0))
        .map_err(|e| format!("bind {src}: {e}"))?;
    let stream = socket
        .connect(target)
        .await
        .map_err(|e| format!("connect: {e}"))?;
    stream
        .set_nodelay(true)
        .map_err(|e| format!("nodelay: {e}"))?;
    let url = format!("ws://{target}/socket.io/?EIO=4&transport=websocket");
    let (mut ws, _) = client_async_with_config(url, stream, Some(ws_config()))
        .await
        .map_err(|e| format!("websocket handshake: {e}"))?;
    let first = next_text(&mut ws).await?;
    if !first.starts_with('0') {
        return Err(format!(
            "expected an Engine.IO open packet, got {first:.60}"
        ));
    }
    send(&mut ws, "40").await?;
    loop {
        let text = next_text(&mut ws).await?;
        if text.starts_with("40") {
            return Ok(ws);
        }
        if text == "2" {
            send(&mut ws, "3").await?;
        } else if text.starts_with("44") {
            return Err(format!("CONNECT refused: {text:.60}"));
        }
    }
}

async fn send(ws: &mut Ws, text: &str) -> Res<()> {
    ws.send(Message::text(text))
        .await
        .map_err(|e| format!("write: {e}"))
}

async fn next_text(ws: &mut Ws) -> Res<String> {
    loop {
        match ws.next().await {
            Some(Ok(Message::Text(t))) => return Ok(t.as_str().to_owned()),
            Some(Ok(Message::Close(f))) => return Err(format!("closed by the server: {f:?}")),
            Some(Ok(_)) => {}
            Some(Err(e)) => return Err(format!("read: {e}")),
            None => return Err("end of stream".to_owned()),
        }
    }
}

/// `k,sent_us]]` (after [`TICK_PREFIX`]) into `(k, sent_us)`.
fn parse_tick(rest: &str) -> Option<(usize, u64)> {
    let (k, rest) = rest.split_once(',')?;
    let (sent, _) = rest.split_once(']')?;
    Some((k.parse().ok()?, sent.parse().ok()?))
}

// ---------------------------------------------------------------------------------------------
// Worker process: holds `count` connections and reports on stdout, one line per fact.

enum Ev {
    Connected,
    Failed(String),
    Delivery { k: usize, latency_us: u64 },
    Closed(String),
    Command(String),
}

fn worker_main(args: &[String]) -> Res<()> {
    let flags = Flags::parse(
        args,
        &[
            "targets",
            "first",
            "count",
            "sources",
            "concurrency",
            "handshake-timeout-ms",
        ],
    )?;
    let targets: Vec<SocketAddr> = flags.list("targets")?;
    if targets.is_empty() {
        return Err("worker: --targets is required".to_owned());
    }
    let first: usize = flags.get("first", 0)?;
    let count: usize = flags.get("count", 0)?;
    let sources: usize = flags.get("sources", 2)?;
    let concurrency: usize = flags.get("concurrency", 16)?;
    let handshake_timeout = Duration::from_millis(flags.get("handshake-timeout-ms", 10_000)?);
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| format!("runtime: {e}"))?;
    rt.block_on(worker(
        targets,
        first,
        count,
        sources,
        concurrency,
        handshake_timeout,
    ));
    Ok(())
}

async fn worker(
    targets: Vec<SocketAddr>,
    first: usize,
    count: usize,
    sources: usize,
    concurrency: usize,
    handshake_timeout: Duration,
) {
    let (tx, mut rx) = mpsc::unbounded_channel::<Ev>();
    let commands = tx.clone();
    std::thread::spawn(move || {
        for line in std::io::stdin().lock().lines() {
            let Ok(line) = line else { break };
            if commands.send(Ev::Command(line)).is_err() {
                return;
            }
        }
        let _ = commands.send(Ev::Command("quit".to_owned()));
    });
    let start = Instant::now();
    let permits = Arc::new(Semaphore::new(concurrency.max(1)));
    for i in first..first + count {
        let Some(&target) = targets.get(i % targets.len()) else {
            continue;
        };
        let src = source(i, sources);
        let permits = Arc::clone(&permits);
        let tx = tx.clone();
        tokio::spawn(async move {
            let Ok(permit) = permits.acquire_owned().await else {
                return;
            };
            let opened = tokio::time::timeout(handshake_timeout, open(target, src)).await;
            drop(permit);
            let mut ws = match opened {
                Ok(Ok(ws)) => ws,
                Ok(Err(e)) => {
                    let _ = tx.send(Ev::Failed(e));
                    return;
                }
                Err(_) => {
                    let _ = tx.send(Ev::Failed(format!(
                        "handshake timed out ({handshake_timeout:?})"
                    )));
                    return;
                }
            };
            let _ = tx.send(Ev::Connected);
            let reason = idle(&mut ws, &tx).await;
            let _ = tx.send(Ev::Closed(reason));
        });
    }
    drop(tx);

    let mut connected = 0usize;
    let mut failed = 0usize;
    let mut closed = 0usize;
    let mut errors: BTreeMap<String, usize> = BTreeMap::new();
    let mut latencies: Vec<Vec<u64>> = Vec::new();
    let mut done_ms: Vec<u64> = Vec::with_capacity(count);
    let mut ready = count == 0;
    if ready {
        println!("ready 0 0 0");
    }
    while let Some(ev) = rx.recv().await {
        match ev {
            Ev::Connected => {
                connected += 1;
                done_ms.push(start.elapsed().as_millis() as u64);
            }
            Ev::Failed(e) => {
                failed += 1;
                *errors.entry(e).or_default() += 1;
            }
            Ev::Closed(e) => {
                closed += 1;
                *errors.entry(format!("after connect: {e}")).or_default() += 1;
            }
            Ev::Delivery { k, latency_us } => {
                if latencies.len() <= k {
                    latencies.resize_with(k + 1, Vec::new);
                }
                if let Some(list) = latencies.get_mut(k) {
                    list.push(latency_us);
                    if list.len() == connected {
                        println!("done {k}");
                    }
                }
            }
            Ev::Command(c) => match c.as_str() {
                "report" => {
                    for (k, list) in latencies.iter().enumerate() {
                        let values: Vec<String> = list.iter().map(u64::to_string).collect();
                        println!("lat {k} {}", values.join(","));
                    }
                    for (e, n) in &errors {
                        println!("error {n} {e}");
                    }
                    println!("end {connected} {failed} {closed}");
                }
                "quit" => break,
                _ => {}
            },
        }
        if !ready && connected + failed == count {
            ready = true;
            for (e, n) in &errors {
                println!("error {n} {e}");
            }
            // When half, 99 % and all of the successful handshakes had completed.
            println!(
                "ready {connected} {failed} {} {} {}",
                pct(&done_ms, 50.0),
                pct(&done_ms, 99.0),
                done_ms.last().copied().unwrap_or(0)
            );
        }
    }
    let _ = std::io::stdout().flush();
}

/// Holds one connection: answers pings, records the latency of every `tick` delivery.
async fn idle(ws: &mut Ws, tx: &mpsc::UnboundedSender<Ev>) -> String {
    loop {
        match ws.next().await {
            Some(Ok(Message::Text(t))) => {
                let text = t.as_str();
                if let Some(rest) = text.strip_prefix(TICK_PREFIX) {
                    let now = now_us();
                    if let Some((k, sent)) = parse_tick(rest) {
                        let latency_us = now.saturating_sub(sent);
                        let _ = tx.send(Ev::Delivery { k, latency_us });
                    }
                } else if text == "2" {
                    let reply = send(ws, "3").await;
                    if let Err(e) = reply {
                        return e;
                    }
                }
            }
            Some(Ok(Message::Close(f))) => return format!("closed by the server: {f:?}"),
            Some(Ok(_)) => {}
            Some(Err(e)) => return format!("read: {e}"),
            None => return "end of stream".to_owned(),
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Parent process.

struct Worker {
    child: Child,
    stdin: ChildStdin,
}

fn vm_rss_kib(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let line = status.lines().find(|l| l.starts_with("VmRSS:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

/// User + system CPU time of a process (all its threads), in microseconds (USER_HZ = 100).
fn cpu_us(pid: u32) -> Option<u64> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    let (_, rest) = stat.rsplit_once(')')?;
    let mut fields = rest.split_whitespace().skip(11);
    let utime: u64 = fields.next()?.parse().ok()?;
    let stime: u64 = fields.next()?.parse().ok()?;
    Some((utime + stime) * 10_000)
}

fn cpu_sum(pids: &[u32]) -> u64 {
    pids.iter().filter_map(|&p| cpu_us(p)).sum()
}

/// `TcpExt: ListenOverflows` of /proc/net/netstat (machine-wide): SYNs dropped because an
/// accept queue was full.
fn listen_overflows() -> u64 {
    let Ok(text) = std::fs::read_to_string("/proc/net/netstat") else {
        return 0;
    };
    let mut lines = text.lines().filter(|l| l.starts_with("TcpExt:"));
    let (Some(names), Some(values)) = (lines.next(), lines.next()) else {
        return 0;
    };
    names
        .split_whitespace()
        .zip(values.split_whitespace())
        .find(|(n, _)| *n == "ListenOverflows")
        .and_then(|(_, v)| v.parse().ok())
        .unwrap_or(0)
}

fn rss_sum(pids: &[u32]) -> u64 {
    pids.iter().filter_map(|&p| vm_rss_kib(p)).sum()
}

fn free_port() -> Res<u16> {
    let listener = TcpListener::bind("127.0.0.1:0").map_err(|e| format!("bind: {e}"))?;
    listener
        .local_addr()
        .map(|a| a.port())
        .map_err(|e| format!("local_addr: {e}"))
}

fn wait_listening(addr: SocketAddr) -> Res<()> {
    let deadline = Instant::now() + Duration::from_secs(30);
    while Instant::now() < deadline {
        if std::net::TcpStream::connect_timeout(&addr, Duration::from_millis(200)).is_ok() {
            return Ok(());
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    Err(format!("test bed on {addr} did not start within 30 s"))
}

/// Nearest-rank percentile of a sorted list.
fn pct(sorted: &[u64], p: f64) -> u64 {
    if sorted.is_empty() {
        return 0;
    }
    let rank = ((p / 100.0) * sorted.len() as f64).ceil() as usize;
    let idx = rank.saturating_sub(1).min(sorted.len() - 1);
    sorted.get(idx).copied().unwrap_or(0)
}

fn ms(us: u64) -> String {
    format!("{:.1}", us as f64 / 1000.0)
}

const PARENT_FLAGS: &[&str] = &[
    "connections",
    "broadcasts",
    "servers",
    "testbed",
    "connect",
    "server-pid",
    "sources",
    "concurrency",
    "per-worker",
    "manager-url",
    "ping-interval-ms",
    "ping-timeout-ms",
    "delivery-timeout-ms",
    "gap-ms",
    "settle-ms",
    "handshake-timeout-ms",
];

struct Beds(Vec<Child>);

impl Drop for Beds {
    fn drop(&mut self) {
        for child in &mut self.0 {
            let pid = rustix::process::Pid::from_raw(child.id() as i32);
            if let Some(pid) = pid {
                let _ = rustix::process::kill_process(pid, rustix::process::Signal::TERM);
            }
        }
        let deadline = Instant::now() + Duration::from_secs(10);
        for child in &mut self.0 {
            while Instant::now() < deadline {
                if let Ok(Some(_)) = child.try_wait() {
                    break;
                }
                std::thread::sleep(Duration::from_millis(50));
            }
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

fn parent_main(args: &[String]) -> Res<()> {
    let flags = Flags::parse(args, PARENT_FLAGS)?;
    let n: usize = flags.get("connections", 20_000)?;
    let k_total: usize = flags.get("broadcasts", 20)?;
    let servers: usize = flags.get("servers", 1)?;
    let testbed: String = flags.get("testbed", "target/release/testbed".to_owned())?;
    let connect: Vec<SocketAddr> = flags.list("connect")?;
    let given_pids: Vec<u32> = flags.list("server-pid")?;
    let sources: usize = flags.get("sources", n.div_ceil(12_000).max(2))?;
    let concurrency: usize = flags.get("concurrency", 64)?;
    let per_worker: usize = flags.get("per-worker", 15_000)?;
    let manager_url: String = flags.get("manager-url", "redis://127.0.0.1:6379/0".to_owned())?;
    let ping_interval: u64 = flags.get("ping-interval-ms", 25_000)?;
    let ping_timeout: u64 = flags.get("ping-timeout-ms", 20_000)?;
    let delivery_timeout = Duration::from_millis(flags.get("delivery-timeout-ms", 30_000)?);
    let gap = Duration::from_millis(flags.get("gap-ms", 200)?);
    let settle = Duration::from_millis(flags.get("settle-ms", 2_000)?);
    let handshake_timeout: u64 = flags.get("handshake-timeout-ms", 10_000)?;
    if per_worker == 0 || sources == 0 || sources > 250 {
        return Err("--per-worker must be > 0 and --sources in 1..=250".to_owned());
    }

    let (soft, hard) = nofile();
    println!("RLIMIT_NOFILE soft {soft:?} hard {hard:?} (inherited by the test beds and workers)");

    let mut beds = Beds(Vec::new());
    let (targets, pids) = if connect.is_empty() {
        let channel = format!("scale-{}", std::process::id());
        let mut targets = Vec::new();
        for _ in 0..servers.max(1) {
            let port = free_port()?;
            let mut cmd = Command::new(&testbed);
            cmd.env("HOST", "127.0.0.1")
                .env("PORT", port.to_string())
                .env("PING_INTERVAL_MS", ping_interval.to_string())
                .env("PING_TIMEOUT_MS", ping_timeout.to_string())
                .stdin(Stdio::null())
                .stdout(Stdio::null());
            if servers > 1 {
                cmd.env("MANAGER_URL", &manager_url)
                    .env("MANAGER_CHANNEL", &channel);
            }
            let child = cmd
                .spawn()
                .map_err(|e| format!("cannot start {testbed}: {e}"))?;
            beds.0.push(child);
            targets.push(SocketAddr::from(([127, 0, 0, 1], port)));
        }
        for &t in &targets {
            wait_listening(t)?;
        }
        let pids = beds.0.iter().map(Child::id).collect();
        (targets, pids)
    } else {
        (connect, given_pids)
    };
    let cluster = if targets.len() > 1 {
        format!(" (a cluster on {manager_url})")
    } else {
        String::new()
    };
    println!(
        "servers: {} {targets:?}{cluster}, pids {pids:?}; {n} connections from {sources} source \
         addresses (127.0.0.2..), {concurrency} handshakes in flight, {k_total} broadcasts",
        targets.len()
    );

    std::thread::sleep(settle);
    let rss_before = rss_sum(&pids);
    let cpu_before = cpu_sum(&pids);

    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| format!("runtime: {e}"))?;
    rt.block_on(run(Run {
        n,
        k_total,
        targets,
        pids,
        sources,
        concurrency,
        per_worker,
        delivery_timeout,
        gap,
        settle,
        rss_before,
        cpu_before,
        handshake_timeout,
    }))
}

struct Run {
    n: usize,
    k_total: usize,
    targets: Vec<SocketAddr>,
    pids: Vec<u32>,
    sources: usize,
    concurrency: usize,
    per_worker: usize,
    delivery_timeout: Duration,
    gap: Duration,
    settle: Duration,
    rss_before: u64,
    cpu_before: u64,
    handshake_timeout: u64,
}

/// The next line from a worker, answering the sender's pings meanwhile.
async fn recv_line(
    rx: &mut mpsc::UnboundedReceiver<(usize, String)>,
    sender: &mut Ws,
) -> Res<Option<(usize, String)>> {
    loop {
        tokio::select! {
            line = rx.recv() => return Ok(line),
            text = next_text(sender) => {
                if text? == "2" {
                    send(sender, "3").await?;
                }
            }
        }
    }
}

async fn run(r: Run) -> Res<()> {
    // The sender: one extra connection (to the first server, from 127.0.0.1), opened first so
    // that the server's fd limit cannot refuse it; it answers pings while the workers connect.
    let first = *r.targets.first().ok_or("no target")?;
    let mut sender = open(first, IpAddr::V4(Ipv4Addr::LOCALHOST)).await?;
    let exe = std::env::current_exe().map_err(|e| format!("current_exe: {e}"))?;
    let targets_arg: Vec<String> = r.targets.iter().map(SocketAddr::to_string).collect();
    let targets_arg = targets_arg.join(",");
    let n_workers = r.n.div_ceil(r.per_worker);
    let per_worker_concurrency = r.concurrency.div_ceil(n_workers.max(1)).max(1);
    let (tx, mut rx) = mpsc::unbounded_channel::<(usize, String)>();
    let mut workers = Vec::new();
    for w in 0..n_workers {
        let first = w * r.per_worker;
        let count = r.per_worker.min(r.n - first);
        let mut child = Command::new(&exe)
            .arg("worker")
            .args(["--targets", &targets_arg])
            .args(["--first", &first.to_string()])
            .args(["--count", &count.to_string()])
            .args(["--sources", &r.sources.to_string()])
            .args(["--concurrency", &per_worker_concurrency.to_string()])
            .args(["--handshake-timeout-ms", &r.handshake_timeout.to_string()])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .map_err(|e| format!("cannot start a worker: {e}"))?;
        let (Some(stdin), Some(stdout)) = (child.stdin.take(), child.stdout.take()) else {
            return Err("worker without pipes".to_owned());
        };
        let tx = tx.clone();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { break };
                if tx.send((w, line)).is_err() {
                    break;
                }
            }
        });
        workers.push(Worker { child, stdin });
    }
    drop(tx);

    // Connect phase.
    let mut ready = 0;
    let mut connected = 0usize;
    let mut failed = 0usize;
    let mut half_ms = 0u64;
    let mut p99_ms = 0u64;
    let mut last_ok_ms = 0u64;
    let overflows_before = listen_overflows();
    while ready < n_workers {
        let (w, line) = recv_line(&mut rx, &mut sender)
            .await?
            .ok_or("a worker exited before it was ready")?;
        if let Some(rest) = line.strip_prefix("ready ") {
            let parts: Vec<u64> = rest.split(' ').filter_map(|s| s.parse().ok()).collect();
            connected += parts.first().copied().unwrap_or(0) as usize;
            failed += parts.get(1).copied().unwrap_or(0) as usize;
            half_ms = half_ms.max(parts.get(2).copied().unwrap_or(0));
            p99_ms = p99_ms.max(parts.get(3).copied().unwrap_or(0));
            last_ok_ms = last_ok_ms.max(parts.get(4).copied().unwrap_or(0));
            ready += 1;
        } else if let Some(rest) = line.strip_prefix("error ") {
            println!("worker {w}: connect error x {rest}");
        }
    }
    // The time until the last successful connection (failures wait for their timeout).
    let connect_time = Duration::from_millis(last_ok_ms).max(Duration::from_millis(1));
    let connect_cpu = cpu_sum(&r.pids).saturating_sub(r.cpu_before);
    println!(
        "connected {connected} of {} in {:.2} s ({:.0} handshakes/s), {failed} failed, \
         {n_workers} worker processes; server CPU {:.1} us per handshake",
        r.n,
        connect_time.as_secs_f64(),
        connected as f64 / connect_time.as_secs_f64(),
        connect_cpu as f64 / connected.max(1) as f64
    );
    println!(
        "  handshakes done: 50 % after {:.2} s, 99 % after {:.2} s, all after {:.2} s (max over \
         workers); kernel TcpExt ListenOverflows during the connect phase: {} (a dropped SYN is \
         retried after 1, 3, 7, 15, 31 s)",
        half_ms as f64 / 1000.0,
        p99_ms as f64 / 1000.0,
        last_ok_ms as f64 / 1000.0,
        listen_overflows().saturating_sub(overflows_before)
    );
    tokio::time::sleep(r.settle).await;
    let rss_after = rss_sum(&r.pids);
    let worker_pids: Vec<u32> = workers.iter().map(|w| w.child.id()).collect();
    let worker_rss = rss_sum(&worker_pids);
    let per_conn = (rss_after.saturating_sub(r.rss_before)) as f64 / connected.max(1) as f64;
    println!(
        "server RSS: before {:.1} MiB, after {:.1} MiB, {per_conn:.2} KiB per connection; \
         generator workers RSS {:.1} MiB ({:.2} KiB per connection)",
        r.rss_before as f64 / 1024.0,
        rss_after as f64 / 1024.0,
        worker_rss as f64 / 1024.0,
        worker_rss as f64 / connected.max(1) as f64
    );

    // Broadcast phase: from the extra connection `sender`, which also receives each broadcast;
    // its own copy is not counted.
    let mut ack_us = Vec::new();
    let mut last_done_us = Vec::new();
    let mut timeouts = 0;
    let broadcast_cpu_before = cpu_sum(&r.pids);
    let generator_cpu_before = cpu_sum(&worker_pids);
    for k in 0..r.k_total {
        let sent = now_us();
        let t0 = Instant::now();
        let frame = format!("42{k}[\"broadcast\",{{\"event\":\"tick\",\"data\":[{k},{sent}]}}]");
        send(&mut sender, &frame).await?;
        let ack = format!("43{k}[");
        loop {
            let text = next_text(&mut sender).await?;
            if text.starts_with(&ack) {
                break;
            }
            if text == "2" {
                send(&mut sender, "3").await?;
            }
        }
        ack_us.push(t0.elapsed().as_micros() as u64);
        let mut done = 0;
        let deadline = tokio::time::Instant::now() + r.delivery_timeout;
        while done < n_workers {
            tokio::select! {
                line = rx.recv() => {
                    let (w, line) = line.ok_or("a worker exited")?;
                    if line == format!("done {k}") {
                        done += 1;
                    } else if !line.starts_with("done ") {
                        println!("worker {w}: {line:.200}");
                    }
                }
                text = next_text(&mut sender) => {
                    if text? == "2" {
                        send(&mut sender, "3").await?;
                    }
                }
                () = tokio::time::sleep_until(deadline) => {
                    timeouts += 1;
                    println!("broadcast {k}: not all deliveries within {:?}", r.delivery_timeout);
                    break;
                }
            }
        }
        last_done_us.push(t0.elapsed().as_micros() as u64);
        let pause = tokio::time::Instant::now() + r.gap;
        while tokio::time::Instant::now() < pause {
            tokio::select! {
                text = next_text(&mut sender) => {
                    if text? == "2" {
                        send(&mut sender, "3").await?;
                    }
                }
                () = tokio::time::sleep_until(pause) => {}
            }
        }
    }

    let broadcast_cpu = cpu_sum(&r.pids).saturating_sub(broadcast_cpu_before);
    let generator_cpu = cpu_sum(&worker_pids).saturating_sub(generator_cpu_before);
    // Report.
    for w in &mut workers {
        writeln!(w.stdin, "report").map_err(|e| format!("worker stdin: {e}"))?;
    }
    let mut per_k: Vec<Vec<u64>> = vec![Vec::new(); r.k_total];
    let mut ended = 0;
    let mut closed = 0usize;
    while ended < n_workers {
        let (w, line) = recv_line(&mut rx, &mut sender)
            .await?
            .ok_or("a worker exited before its report")?;
        if let Some(rest) = line.strip_prefix("lat ") {
            let (k, values) = rest.split_once(' ').unwrap_or((rest, ""));
            let Ok(k) = k.parse::<usize>() else { continue };
            if let Some(list) = per_k.get_mut(k) {
                list.extend(values.split(',').filter_map(|v| v.parse::<u64>().ok()));
            }
        } else if let Some(rest) = line.strip_prefix("end ") {
            closed += rest
                .split(' ')
                .nth(2)
                .and_then(|s| s.parse::<usize>().ok())
                .unwrap_or(0);
            ended += 1;
        } else if line.starts_with("error ") && line.contains("after connect") {
            println!("worker {w}: {line}");
        }
    }
    for w in &mut workers {
        let _ = writeln!(w.stdin, "quit");
    }

    println!("broadcast | deliveries | p50 ms | p99 ms | max ms | ack ms | all-done ms");
    let mut all = Vec::new();
    for (k, list) in per_k.iter_mut().enumerate() {
        list.sort_unstable();
        println!(
            "{k} | {} | {} | {} | {} | {} | {}",
            list.len(),
            ms(pct(list, 50.0)),
            ms(pct(list, 99.0)),
            ms(list.last().copied().unwrap_or(0)),
            ms(ack_us.get(k).copied().unwrap_or(0)),
            ms(last_done_us.get(k).copied().unwrap_or(0)),
        );
        all.extend_from_slice(list);
    }
    all.sort_unstable();
    let expected = connected * r.k_total;
    let lost = expected.saturating_sub(all.len());
    let cpu_per_delivery = broadcast_cpu as f64 / all.len().max(1) as f64;
    println!(
        "server CPU during the broadcasts (pings included): {:.2} s, {cpu_per_delivery:.2} us per \
         delivery; generator workers {:.2} s, {:.2} us per delivery",
        broadcast_cpu as f64 / 1e6,
        generator_cpu as f64 / 1e6,
        generator_cpu as f64 / all.len().max(1) as f64
    );
    println!(
        "SUMMARY connections {connected}/{} servers {} connect_s {:.2} handshakes_per_s {:.0} \
         rss_before_mib {:.1} rss_after_mib {:.1} kib_per_conn {per_conn:.2} broadcasts {} \
         deliveries {}/{expected} lost {lost} p50_ms {} p99_ms {} max_ms {} timeouts {timeouts} \
         closed_after_connect {closed} cpu_us_per_delivery {cpu_per_delivery:.2}",
        r.n,
        r.targets.len(),
        connect_time.as_secs_f64(),
        connected as f64 / connect_time.as_secs_f64(),
        r.rss_before as f64 / 1024.0,
        rss_after as f64 / 1024.0,
        r.k_total,
        all.len(),
        ms(pct(&all, 50.0)),
        ms(pct(&all, 99.0)),
        ms(all.last().copied().unwrap_or(0)),
    );
    for mut w in workers {
        let deadline = Instant::now() + Duration::from_secs(5);
        while Instant::now() < deadline {
            if let Ok(Some(_)) = w.child.try_wait() {
                break;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        let _ = w.child.kill();
        let _ = w.child.wait();
    }
    if lost > 0 || closed > 0 || failed > 0 {
        return Err(format!(
            "{failed} connections failed, {closed} closed after connecting, {lost} deliveries lost"
        ));
    }
    Ok(())
}
