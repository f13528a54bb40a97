//! The cluster scenarios of `testbed.md` ("The contract events in cluster mode"), run by the
//! `cluster_*` suites against several servers (test-bed processes, python-socketio peers):
//! a raw client on `/` that keeps the packets it is not waiting for ([`Peer`]), the scenario
//! checks, and the python peer server and emitter of `tests/py/`.

#![allow(missing_docs)]

use std::collections::VecDeque;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::Stdio;
use std::time::Duration;

use serde_json::{Value, json};
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::Command;

use crate::{Frame, Proc, Sio, py_script, unique_tag, within};

/// Bound on one awaited cluster delivery (testbed.md: "expected within 5 s", plus margin).
pub const DELIVERY: Duration = Duration::from_secs(8);

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
    let t = json!(unique_tag());
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
    let t = unique_tag();
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
    let t = json!({"q": unique_tag()});
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
    let t = unique_tag();
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
        let t = json!(unique_tag());
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
// Python processes
// ---------------------------------------------------------------------------------------------

/// The python peer server (`tests/py/cluster_server.py`).
pub async fn python_server(py: &PathBuf, kind: &str, url: &str, channel: &str) -> Proc {
    let mut child = Command::new(py)
        .arg(py_script("cluster_server.py"))
        .args([kind, url, channel])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .kill_on_drop(true)
        .spawn()
        .expect("spawn python server");
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let port = within("python server READY", Duration::from_secs(30), async {
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

/// Run `tests/py/cluster_emitter.py` to completion.
pub async fn python_emitter(py: &PathBuf, kind: &str, url: &str, channel: &str, tag: &str) {
    let out = within(
        "python emitter",
        Duration::from_secs(30),
        Command::new(py)
            .arg(py_script("cluster_emitter.py"))
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
