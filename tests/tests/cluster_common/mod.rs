//! Shared by the `cluster_*` tests: a raw Socket.IO client that keeps the events it is not
//! waiting for, the cluster scenarios of testbed.md ("Cluster mode") run against three
//! servers, test-bed and python processes, and service discovery (loud skip, or fail in CI).

#![allow(
    dead_code,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing
)]

use std::collections::VecDeque;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::Stdio;
use std::time::Duration;

use serde_json::{Value, json};
use socketio_tests::{Frame, Sio, loud, repo_root};
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::{Child, Command};

/// Bound on one awaited cluster delivery (testbed.md: "expected within 5 s", plus margin).
pub const DELIVERY: Duration = Duration::from_secs(8);

/// Services are mandatory under CI or with `SOCKETIO_REQUIRE_SERVICES=1`.
pub fn services_required() -> bool {
    std::env::var_os("CI").is_some_and(|v| !v.is_empty() && v != "0" && v != "false")
        || std::env::var("SOCKETIO_REQUIRE_SERVICES").is_ok_and(|v| v == "1")
}

/// Skip loudly, or fail when services are required.
pub fn skip(test: &str, why: &str) {
    if services_required() {
        panic!("{test}: {why} (required: CI or SOCKETIO_REQUIRE_SERVICES=1 is set)");
    }
    loud(&format!("SKIPPED: {test}: {why}"));
}

/// Whether something listens on `host:port`.
pub async fn listening(hp: &str) -> bool {
    matches!(
        tokio::time::timeout(Duration::from_secs(2), tokio::net::TcpStream::connect(hp)).await,
        Ok(Ok(_))
    )
}

pub const REDIS_URL: &str = "redis://127.0.0.1:6379/0";
pub const AMQP_URL: &str = "amqp://guest:guest@127.0.0.1:5672//";

/// A channel no other test or run uses.
pub fn unique_channel(test: &str) -> String {
    format!("sio-{test}-{}", socketio::adapter::pubsub::new_host_id())
}

/// A unique tag for the payloads of one scenario.
pub fn tag() -> String {
    socketio::adapter::pubsub::new_host_id()[..12].to_owned()
}

// ---------------------------------------------------------------------------------------------
// Client
// ---------------------------------------------------------------------------------------------

/// One Socket.IO packet: its text frame and binary attachments.
#[derive(Debug, Clone, PartialEq)]
pub struct Packet {
    pub text: String,
    pub bins: Vec<Vec<u8>>,
}

impl Packet {
    /// An EVENT (or BINARY_EVENT) of `/` named `event`: its arguments as JSON.
    pub fn event(&self, event: &str) -> Option<Vec<Value>> {
        let body = self.text.strip_prefix("42").or_else(|| {
            let rest = self.text.strip_prefix("45")?;
            rest.split_once('-').map(|(_, b)| b)
        })?;
        let body = body.trim_start_matches(|c: char| c.is_ascii_digit());
        let v: Vec<Value> = serde_json::from_str(body).ok()?;
        (v.first()? == event).then(|| v[1..].to_vec())
    }

    /// The ack id of an EVENT that asks for one.
    pub fn ack_id(&self) -> Option<u64> {
        let body = self.text.strip_prefix("42")?;
        let digits: String = body.chars().take_while(|c| c.is_ascii_digit()).collect();
        digits.parse().ok()
    }
}

/// A raw client on `/` that answers pings and keeps unmatched packets in an inbox.
pub struct Peer {
    pub sio: Sio,
    pub sid: String,
    pub name: String,
    inbox: VecDeque<Packet>,
    next_id: u64,
}

impl Peer {
    pub async fn connect(addr: SocketAddr, name: &str) -> Peer {
        let mut sio = Sio::open(addr).await;
        let sid = sio.join("").await;
        Peer {
            sio,
            sid,
            name: name.to_owned(),
            inbox: VecDeque::new(),
            next_id: 0,
        }
    }

    /// The next packet within `limit` (`None` on timeout); a closed socket gives `CLOSED`.
    async fn read(&mut self, limit: Duration) -> Option<Packet> {
        let deadline = tokio::time::Instant::now() + limit;
        loop {
            let left = deadline.saturating_duration_since(tokio::time::Instant::now());
            let frame = self.sio.ws.next_within(left).await?;
            match frame {
                Frame::Text(t) if t == "2" => self.sio.ws.send_text("3").await,
                Frame::Text(t) => {
                    let n = t
                        .strip_prefix("45")
                        .or_else(|| t.strip_prefix("46"))
                        .and_then(|r| r.split_once('-'))
                        .and_then(|(n, _)| n.parse::<usize>().ok())
                        .unwrap_or(0);
                    let mut bins = Vec::new();
                    while bins.len() < n {
                        match self.sio.ws.next_within(DELIVERY).await {
                            Some(Frame::Binary(b)) => bins.push(b),
                            other => panic!("{}: attachment expected, got {other:?}", self.name),
                        }
                    }
                    return Some(Packet { text: t, bins });
                }
                Frame::Binary(b) => panic!("{}: stray binary frame {b:?}", self.name),
                Frame::Closed => {
                    return Some(Packet {
                        text: "CLOSED".into(),
                        bins: vec![],
                    });
                }
            }
        }
    }

    /// The first packet (inbox first) matching `pred`, within `limit`; others are kept.
    pub async fn expect(
        &mut self,
        what: &str,
        limit: Duration,
        pred: impl Fn(&Packet) -> bool,
    ) -> Packet {
        match self.try_expect(limit, &pred).await {
            Some(p) => p,
            None => panic!(
                "{}: no {what} within {limit:?}; inbox: {:?}",
                self.name, self.inbox
            ),
        }
    }

    pub async fn try_expect(
        &mut self,
        limit: Duration,
        pred: &impl Fn(&Packet) -> bool,
    ) -> Option<Packet> {
        if let Some(i) = self.inbox.iter().position(pred) {
            return self.inbox.remove(i);
        }
        let deadline = tokio::time::Instant::now() + limit;
        loop {
            let left = deadline.saturating_duration_since(tokio::time::Instant::now());
            let p = self.read(left).await?;
            if pred(&p) {
                return Some(p);
            }
            self.inbox.push_back(p);
        }
    }

    /// Send `42<id>[event, arg]` and return the id.
    pub async fn send_call(&mut self, event: &str, arg: &Value) -> u64 {
        self.next_id += 1;
        let id = self.next_id;
        self.sio
            .ws
            .send_text(&format!("42{id}{}", json!([event, arg])))
            .await;
        id
    }

    /// The ack `43<id>[...]` as JSON arguments.
    pub async fn ack(&mut self, id: u64) -> Vec<Value> {
        let prefix = format!("43{id}[");
        let p = self
            .expect(&format!("ack {id}"), DELIVERY, |p| {
                p.text.starts_with(&prefix)
            })
            .await;
        serde_json::from_str(&p.text[prefix.len() - 1..]).unwrap()
    }

    /// Emit with ack and wait for the ack.
    pub async fn call(&mut self, event: &str, arg: Value) -> Vec<Value> {
        let id = self.send_call(event, &arg).await;
        self.ack(id).await
    }

    /// Wait for event `event` whose first argument equals `arg0`.
    pub async fn expect_event(&mut self, event: &str, arg0: &Value) -> Packet {
        let (e, a) = (event.to_owned(), arg0.clone());
        self.expect(&format!("event {event} {arg0}"), DELIVERY, move |p| {
            p.event(&e).is_some_and(|args| args.first() == Some(&a))
        })
        .await
    }

    /// How many events `event` with first argument `arg0` arrive before the event `marker`
    /// with the same first argument (which must arrive).
    pub async fn count_before(&mut self, event: &str, marker: &str, arg0: &Value) -> usize {
        self.expect_event(marker, arg0).await;
        let n = self
            .inbox
            .iter()
            .filter(|p| p.event(event).is_some_and(|a| a.first() == Some(arg0)))
            .count();
        self.inbox
            .retain(|p| !p.event(event).is_some_and(|a| a.first() == Some(arg0)));
        n
    }

    /// Answer the ack `id` with `args` (a JSON array text).
    pub async fn answer(&mut self, id: u64, args: &str) {
        self.sio.ws.send_text(&format!("43{id}{args}")).await;
    }
}

// ---------------------------------------------------------------------------------------------
// Scenarios (testbed.md, "The contract events in cluster mode")
// ---------------------------------------------------------------------------------------------

/// `broadcast` from a client of `from` reaches every client of every server exactly once
/// (the sender included).
pub async fn broadcast_exactly_once(peers: &mut [Peer], from: usize) {
    let t = json!(tag());
    let ack = peers[from]
        .call("broadcast", json!({"event": "news", "data": t}))
        .await;
    assert_eq!(ack, vec![json!(true)]);
    peers[from]
        .call("broadcast", json!({"event": "end", "data": t}))
        .await;
    for p in peers.iter_mut() {
        let n = p.count_before("news", "end", &t).await;
        assert_eq!(n, 1, "{} got the broadcast {n} times", p.name);
    }
}

/// `to_room` reaches the members of the room on every server once, never the sender nor
/// the sockets outside the room.
pub async fn to_room_with_skip(peers: &mut [Peer], from: usize) {
    let t = tag();
    let room = format!("room-{t}");
    let outside = (from + 1) % peers.len();
    for (i, p) in peers.iter_mut().enumerate() {
        if i != outside {
            assert_eq!(
                p.call("join", json!({"room": room})).await,
                vec![json!(true)]
            );
        }
    }
    let t = json!(t);
    peers[from]
        .call("to_room", json!({"room": room, "event": "r", "data": t}))
        .await;
    peers[from]
        .call("broadcast", json!({"event": "end", "data": t}))
        .await;
    for (i, p) in peers.iter_mut().enumerate() {
        let want = usize::from(i != from && i != outside);
        let n = p.count_before("r", "end", &t).await;
        assert_eq!(n, want, "{} got the room emit {n} times", p.name);
    }
}

/// `call_sid` from `from` to the client `to` (another server): the ask reaches it, the
/// answer comes back as the ack, values exactly.
pub async fn call_sid_remote(peers: &mut [Peer], from: usize, to: usize) {
    let t = json!({"q": tag()});
    let target = peers[to].sid.clone();
    let id = peers[from]
        .send_call("call_sid", &json!({"sid": target, "data": t}))
        .await;
    let ask = {
        let t = t.clone();
        peers[to]
            .expect("ask", DELIVERY, move |p| {
                p.event("ask").is_some_and(|a| a == vec![t.clone()]) && p.ack_id().is_some()
            })
            .await
    };
    let ask_id = ask.ack_id().unwrap();
    peers[to].answer(ask_id, r#"["yes",7,{"k":[1]}]"#).await;
    let ack = peers[from].ack(id).await;
    assert_eq!(ack, vec![json!("yes"), json!(7), json!({"k": [1]})]);
}

/// `disconnect_sid` from `from` disconnects the client `to` (another server) from `/`.
pub async fn disconnect_sid_remote(peers: &mut [Peer], from: usize, to: usize) {
    let target = peers[to].sid.clone();
    let ack = peers[from]
        .call("disconnect_sid", json!({"sid": target}))
        .await;
    assert_eq!(ack, vec![json!(true)]);
    peers[to]
        .expect("DISCONNECT", DELIVERY, |p| p.text == "41")
        .await;
}

/// A `broadcast` with a binary attachment reaches every client once, bytes intact.
pub async fn binary_broadcast(peers: &mut [Peer], from: usize) {
    let t = tag();
    let p = &mut peers[from];
    p.next_id += 1;
    let id = p.next_id;
    let text = format!(
        r#"451-{id}["broadcast",{{"event":"bin","data":{{"tag":"{t}","b":{{"_placeholder":true,"num":0}}}}}}]"#
    );
    p.sio.ws.send_text(&text).await;
    p.sio.ws.send_binary(&[1, 2, 3, 255]).await;
    p.ack(id).await;
    for p in peers.iter_mut() {
        let t = t.clone();
        let got = p
            .expect("binary broadcast", DELIVERY, move |p| {
                p.event("bin")
                    .is_some_and(|a| a.first().and_then(|v| v.get("tag")) == Some(&json!(t)))
            })
            .await;
        assert!(got.text.starts_with("451-"), "{}: {}", p.name, got.text);
        assert_eq!(got.bins, vec![vec![1u8, 2, 3, 255]], "{}", p.name);
    }
}

/// Broadcast from `from` until `to` receives one (a python server subscribes only when its
/// first client connects, a restarted broker needs a reconnection): bounded by `limit`.
pub async fn until_flowing(peers: &mut [Peer], from: usize, to: usize, limit: Duration) {
    let deadline = tokio::time::Instant::now() + limit;
    loop {
        let t = json!(tag());
        peers[from]
            .call("broadcast", json!({"event": "probe", "data": t}))
            .await;
        let left = deadline.saturating_duration_since(tokio::time::Instant::now());
        let got = {
            let t = t.clone();
            peers[to]
                .try_expect(left.min(Duration::from_millis(500)), &move |p| {
                    p.event("probe").is_some_and(|a| a.first() == Some(&t))
                })
                .await
        };
        if got.is_some() {
            // drop the other probes
            for p in peers.iter_mut() {
                p.inbox.retain(|p| p.event("probe").is_none());
            }
            return;
        }
        if tokio::time::Instant::now() >= deadline {
            panic!(
                "messages from {} did not reach {} within {limit:?}",
                peers[from].name, peers[to].name
            );
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Processes
// ---------------------------------------------------------------------------------------------

/// A child process killed on drop.
pub struct Proc {
    pub child: Child,
    pub addr: SocketAddr,
}

/// The `testbed` binary, built once per test process (`cargo build -p example-testbed`).
pub fn testbed_bin() -> PathBuf {
    static BIN: std::sync::OnceLock<Result<PathBuf, String>> = std::sync::OnceLock::new();
    BIN.get_or_init(|| {
        let exe = std::env::current_exe().map_err(|e| e.to_string())?;
        // target/<profile>/deps/<test> -> target/<profile>/testbed
        let dir = exe
            .parent()
            .and_then(|d| d.parent())
            .ok_or("no target dir")?
            .to_path_buf();
        let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
        let target_dir = dir.parent().ok_or("no target dir")?.to_path_buf();
        let mut cmd = std::process::Command::new(cargo);
        cmd.current_dir(repo_root())
            .args(["build", "-q", "-p", "example-testbed", "--bin", "testbed"])
            .env("CARGO_TARGET_DIR", &target_dir);
        if dir.file_name().is_some_and(|n| n == "release") {
            cmd.arg("--release");
        }
        let out = cmd.output().map_err(|e| format!("cargo build: {e}"))?;
        if !out.status.success() {
            return Err(format!(
                "cargo build -p example-testbed failed: {}",
                String::from_utf8_lossy(&out.stderr)
            ));
        }
        let bin = dir.join("testbed");
        bin.exists()
            .then_some(bin.clone())
            .ok_or_else(|| format!("{} not found", bin.display()))
    })
    .clone()
    .unwrap_or_else(|e| panic!("{e}"))
}

/// Start a test-bed process in cluster mode on a free port (25 s heartbeat, so that clients
/// busy elsewhere in a test are not timed out).
pub async fn testbed_process(manager_url: &str, channel: &str) -> Proc {
    let mut child = Command::new(testbed_bin())
        .env("PORT", "0")
        .env("HOST", "127.0.0.1")
        .env("PING_INTERVAL_MS", "25000")
        .env("PING_TIMEOUT_MS", "20000")
        .env("MANAGER_URL", manager_url)
        .env("MANAGER_CHANNEL", channel)
        .env("RUST_LOG", "socketio=info,warn")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .expect("spawn testbed");
    let mut lines = BufReader::new(child.stderr.take().unwrap()).lines();
    let addr = socketio_tests::within("testbed listening", DELIVERY, async {
        loop {
            let Some(line) = lines.next_line().await.unwrap() else {
                panic!("testbed exited before listening");
            };
            if let Some(rest) = line.strip_prefix("test bed listening on http://") {
                return rest.trim().parse::<SocketAddr>().unwrap();
            }
            eprintln!("testbed: {line}");
        }
    })
    .await;
    // keep draining stderr so the child never blocks on a full pipe
    tokio::spawn(async move {
        while let Ok(Some(line)) = lines.next_line().await {
            eprintln!("testbed {addr}: {line}");
        }
    });
    Proc { child, addr }
}

/// The cluster venv's python (`socketio/tests/cluster/install.sh`, which `.ci/run` runs),
/// installed on demand when missing.
pub fn cluster_python(test: &str) -> Option<PathBuf> {
    let root = repo_root();
    let py = std::env::var_os("SOCKETIO_CLUSTER_VENV")
        .map(PathBuf::from)
        .unwrap_or_else(|| root.join(".interop/venv"))
        .join("bin/python");
    let ok = std::process::Command::new(&py)
        .args(["-c", "import socketio, redis, kombu, aio_pika, aiohttp"])
        .output()
        .is_ok_and(|o| o.status.success());
    if ok {
        return Some(py);
    }
    let out = std::process::Command::new("bash")
        .arg(root.join("socketio/tests/cluster/install.sh"))
        .output();
    match out {
        Ok(o) if o.status.success() && py.exists() => Some(py),
        Ok(o) => {
            skip(
                test,
                &format!(
                    "python cluster venv unavailable: {}",
                    String::from_utf8_lossy(&o.stderr)
                ),
            );
            None
        }
        Err(e) => {
            skip(test, &format!("python cluster venv unavailable: {e}"));
            None
        }
    }
}

/// The python peer server (`tests/cluster/py_server.py`).
pub async fn python_server(py: &PathBuf, kind: &str, url: &str, channel: &str) -> Proc {
    let mut child = Command::new(py)
        .arg(repo_root().join("tests/cluster/py_server.py"))
        .args([kind, url, channel])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .kill_on_drop(true)
        .spawn()
        .expect("spawn python server");
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let port = socketio_tests::within("python server READY", Duration::from_secs(30), async {
        loop {
            let Some(line) = lines.next_line().await.unwrap() else {
                panic!("python server exited before READY");
            };
            if let Some(p) = line.strip_prefix("READY ") {
                return p.trim().parse::<u16>().unwrap();
            }
        }
    })
    .await;
    Proc {
        child,
        addr: SocketAddr::from(([127, 0, 0, 1], port)),
    }
}

/// Run `tests/cluster/py_emitter.py` to completion.
pub async fn python_emitter(py: &PathBuf, kind: &str, url: &str, channel: &str, tag: &str) {
    let out = socketio_tests::within(
        "python emitter",
        Duration::from_secs(30),
        Command::new(py)
            .arg(repo_root().join("tests/cluster/py_emitter.py"))
            .args([kind, url, channel, tag])
            .stdin(Stdio::null())
            .kill_on_drop(true)
            .output(),
    )
    .await
    .expect("run python emitter");
    assert!(
        out.status.success() && String::from_utf8_lossy(&out.stdout).contains("DONE"),
        "py_emitter.py failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// Check what `py_emitter.py` publishes reaches `peers` (who all joined room `r` if
/// `in_room`).
pub async fn expect_python_emits(peers: &mut [Peer], t: &str, in_room: bool) {
    for p in peers.iter_mut() {
        let t2 = t.to_owned();
        let got = p
            .expect("py_all", DELIVERY, move |p| {
                p.event("py_all")
                    .is_some_and(|a| a.first().and_then(|v| v.get("tag")) == Some(&json!(t2)))
            })
            .await;
        assert_eq!(got.bins, vec![vec![1u8, 2]], "{}: {}", p.name, got.text);
        if in_room {
            let got = p.expect_event("py_room", &json!(t)).await;
            assert_eq!(got.event("py_room").unwrap(), vec![json!(t), json!(2)]);
        }
    }
}
