//! Cluster mode over a real Redis (`SOCKETIO_TEST_REDIS_URL`, default 127.0.0.1:6379, or a private `redis-server` for the restart
//! test): three test-bed **processes** with clients on each, a python-socketio peer server
//! and python's write-only `RedisManager` emitter on the same channel, our `Emitter`
//! reaching python's clients, malformed messages, and a broker restart mid-run.
//!
//! Without Redis (or python) the tests print `SKIPPED:`; under `CI` or
//! `SOCKETIO_REQUIRE_SERVICES=1` they fail instead.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

use std::process::Stdio;
use std::time::Duration;

use bytes::Bytes;
use serde_json::json;
use socketio::adapter::broker::{Broker, BrokerConfig};
use socketio::adapter::redis::RedisBroker;
use socketio::adapter::{Emitter, ManagerConfig, RedisManager};
use socketio_tests::*;
use tokio::io::{AsyncBufReadExt as _, BufReader};

/// The broker URL of the tests (`redis_url()`), or `None` after a loud skip.
async fn redis_up(test: &str) -> Option<String> {
    broker_or_skip(test, redis_url()).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn redis_three_processes_broadcast_room_call_disconnect() {
    let test = "redis_three_processes_broadcast_room_call_disconnect";
    let Some(url) = redis_up(test).await else {
        return;
    };
    let channel = unique_channel("three");
    let mut procs = Vec::new();
    for _ in 0..3 {
        procs.push(testbed_process(&url, &channel).await);
    }
    let mut peers = Vec::new();
    for (i, p) in procs.iter().enumerate() {
        peers.push(Peer::connect(p.addr, &format!("server{i}")).await);
        peers.push(Peer::connect(p.addr, &format!("server{i}-b")).await);
    }
    for from in [0, 3, 5] {
        broadcast_exactly_once(&mut peers, from).await;
    }
    to_room_with_skip(&mut peers, 2).await;
    binary_broadcast(&mut peers, 4).await;
    call_sid_remote(&mut peers, 0, 4).await;
    call_sid_remote(&mut peers, 5, 1).await;
    disconnect_sid_remote(&mut peers, 1, 5).await;
    // the disconnected client is gone from `/`; everyone else still gets broadcasts once
    let _ = peers.pop();
    broadcast_exactly_once(&mut peers, 2).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn redis_malformed_and_foreign_messages_are_skipped() {
    let test = "redis_malformed_and_foreign_messages_are_skipped";
    let Some(url) = redis_up(test).await else {
        return;
    };
    let channel = unique_channel("malformed");
    let a = testbed_process(&url, &channel).await;
    let b = testbed_process(&url, &channel).await;
    let mut peers = vec![
        Peer::connect(a.addr, "a").await,
        Peer::connect(b.addr, "b").await,
    ];
    let broker = RedisBroker::connect(&url, BrokerConfig::with_channel(&channel))
        .await
        .unwrap();
    for junk in [
        &b"\x93\xa7emitter\x83"[..],
        b"not json",
        b"[1,2,3]",
        b"{\"method\":\"emit\"}",
        b"{\"method\":\"emit\",\"event\":\"x\",\"data\":[[{\"_placeholder\":true,\"num\":3}],\"AA==\"],\"binary\":true}",
        b"{\"method\":\"teleport\",\"host_id\":\"x\"}",
    ] {
        broker.publish(Bytes::from_static(junk)).await.unwrap();
    }
    // the listeners went on: emits still flow both ways, exactly once
    broadcast_exactly_once(&mut peers, 0).await;
    broadcast_exactly_once(&mut peers, 1).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn redis_publish_batch_arrives_whole_and_in_order() {
    let test = "redis_publish_batch_arrives_whole_and_in_order";
    let Some(url) = redis_up(test).await else {
        return;
    };
    let channel = unique_channel("batch");
    let broker = RedisBroker::connect(&url, BrokerConfig::with_channel(&channel))
        .await
        .unwrap();
    let mut sub = broker.subscribe().await.unwrap();
    let payloads: Vec<Bytes> = (0..10).map(|i| Bytes::from(format!("m{i}"))).collect();
    let (done, r) = broker.publish_batch(payloads.clone()).await;
    assert_eq!((done, r), (10, Ok(())));
    assert_eq!(broker.publish_batch(Vec::new()).await, (0, Ok(())));
    for want in payloads {
        let got = tokio::time::timeout(Duration::from_secs(5), sub.recv()).await;
        assert_eq!(got.unwrap().unwrap(), want);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn redis_python_peer_server_and_write_only_emitters() {
    let test = "redis_python_peer_server_and_write_only_emitters";
    let Some(url) = redis_up(test).await else {
        return;
    };
    let Some(py) = python(test) else {
        return;
    };
    let channel = unique_channel("python");
    let ours = testbed_process(&url, &channel).await;
    let theirs = python_server(&py, "redis", &url, &channel).await;
    let mut peers = vec![
        Peer::connect(ours.addr, "rust").await,
        Peer::connect(theirs.addr, "python").await,
        Peer::connect(ours.addr, "rust-b").await,
    ];
    // python subscribes when its first client connects: wait until both directions flow
    until_flowing(&mut peers, 0, 1, Duration::from_secs(10)).await;
    until_flowing(&mut peers, 1, 0, Duration::from_secs(10)).await;
    for from in [0, 1] {
        broadcast_exactly_once(&mut peers, from).await;
    }
    to_room_with_skip(&mut peers, 1).await; // python -> rust room members
    to_room_with_skip(&mut peers, 0).await; // rust -> python room member
    binary_broadcast(&mut peers, 1).await;
    binary_broadcast(&mut peers, 0).await;
    call_sid_remote(&mut peers, 0, 1).await; // we ask python's client
    disconnect_sid_remote(&mut peers, 2, 1).await;

    // python's write-only RedisManager reaches our clients (binary included)
    let mut peers = vec![
        Peer::connect(ours.addr, "rust-c").await,
        Peer::connect(theirs.addr, "python-c").await,
    ];
    for p in peers.iter_mut() {
        p.call("join", json!({"room": "r"})).await;
    }
    let t = unique_tag();
    python_emitter(&py, "redis", &url, &channel, &t).await;
    expect_python_emits(&mut peers, &t, true).await;

    // our Emitter reaches python's (and our) clients
    let emitter = Emitter::redis(&url, BrokerConfig::with_channel(&channel))
        .await
        .unwrap();
    let t = json!(unique_tag());
    emitter
        .to("r")
        .emit("from_emitter", &(t.clone(), Bytes::from_static(b"\x07")))
        .await
        .unwrap();
    for p in peers.iter_mut() {
        let got = p.expect_event("from_emitter", &t).await;
        assert_eq!(got.bins, vec![vec![7u8]], "{}", p.name);
    }
    // and its room operations are applied where the socket lives
    let python_sid = peers[1].sid.clone();
    emitter.of("/").leave_room(&python_sid, "r").await.unwrap();
    emitter.of("/").close_room("r").await.unwrap();
    emitter.of("/").enter_room(&python_sid, "r2").await.unwrap();
    let t = json!(unique_tag());
    emitter.to("r").emit("after_close", &t).await.unwrap();
    emitter.to("r2").emit("in_r2", &t).await.unwrap();
    // messages of one publisher arrive in order: python's client gets `in_r2`, and nobody
    // got `after_close` before it
    peers[1].expect_event("in_r2", &t).await;
    emitter.emit("end", &t).await.unwrap();
    for p in peers.iter_mut() {
        assert_eq!(
            p.count_before("after_close", "end", &t).await,
            0,
            "{}",
            p.name
        );
    }
}

/// A private `redis-server` on a free port, restarted by the test.
struct PrivateRedis {
    port: u16,
    child: Option<tokio::process::Child>,
}

impl PrivateRedis {
    async fn start(port: u16) -> Option<PrivateRedis> {
        let mut child = tokio::process::Command::new("redis-server")
            .args([
                "--port",
                &port.to_string(),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
            ])
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .kill_on_drop(true)
            .spawn()
            .ok()?;
        // Ready when it says so on stdout ("Ready to accept connections"), not after a pause.
        let mut lines = BufReader::new(child.stdout.take()?).lines();
        let ready = tokio::time::timeout(Duration::from_secs(10), async {
            while let Ok(Some(line)) = lines.next_line().await {
                if line.contains("Ready to accept connections") {
                    return true;
                }
            }
            false
        })
        .await;
        if ready != Ok(true) {
            return None;
        }
        // keep draining stdout so the server never blocks on a full pipe
        tokio::spawn(async move { while let Ok(Some(_)) = lines.next_line().await {} });
        Some(PrivateRedis {
            port,
            child: Some(child),
        })
    }

    async fn stop(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = c.kill().await;
            let _ = c.wait().await;
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn redis_restart_mid_run_local_delivery_goes_on_and_cluster_recovers() {
    let test = "redis_restart_mid_run_local_delivery_goes_on_and_cluster_recovers";
    let port = free_port().await;
    let Some(mut redis) = PrivateRedis::start(port).await else {
        skip(test, "cannot start a private redis-server");
        return;
    };
    let url = format!("redis://127.0.0.1:{}/0", redis.port);
    let channel = unique_channel("restart");
    let a = testbed_process(&url, &channel).await;
    let b = testbed_process(&url, &channel).await;
    let mut peers = vec![
        Peer::connect(a.addr, "a").await,
        Peer::connect(a.addr, "a2").await,
        Peer::connect(b.addr, "b").await,
    ];
    broadcast_exactly_once(&mut peers, 0).await;

    redis.stop().await;
    // Broker gone: clients stay connected, local operations and acks go on.
    broadcast_exactly_once(&mut peers[..2], 0).await;
    assert_eq!(
        peers[2].call("echo", json!("still here")).await,
        vec![json!("still here")]
    );

    let mut redis = PrivateRedis::start(port)
        .await
        .expect("restart redis-server");
    let back = tokio::time::Instant::now();
    // Within 10 s after the broker is back, messages flow again in both directions...
    until_flowing(&mut peers, 0, 2, Duration::from_secs(10)).await;
    let left = Duration::from_secs(10).saturating_sub(back.elapsed());
    until_flowing(&mut peers, 2, 0, left.max(Duration::from_millis(500))).await;
    // ...still exactly once.
    broadcast_exactly_once(&mut peers, 0).await;
    broadcast_exactly_once(&mut peers, 2).await;
    redis.stop().await;
}

#[tokio::test]
async fn redis_unreachable_at_start_is_a_clear_error() {
    let port = free_port().await;
    let mut config = ManagerConfig::default();
    config.broker.connect_attempts = 2;
    config.broker.backoff.initial = Duration::from_millis(10);
    let err = RedisManager::connect(&format!("redis://127.0.0.1:{port}/0"), config)
        .await
        .unwrap_err();
    assert!(
        err.to_string()
            .starts_with("cannot connect to the broker after 2 attempt(s)"),
        "{err}"
    );
    // the test bed says which URL failed
    let opts = testbed::Options {
        manager_url: Some(format!("redis://127.0.0.1:{port}/0")),
        ..testbed::Options::default()
    };
    let err = testbed::spawn("127.0.0.1:0".parse().unwrap(), opts)
        .await
        .unwrap_err();
    assert!(
        err.to_string().contains("MANAGER_URL redis://127.0.0.1:"),
        "{err}"
    );
}
