//! Cluster mode over RabbitMQ (127.0.0.1:5672, guest/guest): three test-bed processes with
//! clients on each, a python-socketio peer server with `AsyncAioPikaManager`, python's
//! write-only `KombuManager` emitter, our `Emitter` on the exchange, and the broker link cut
//! mid-run by a TCP proxy (the shared RabbitMQ is never restarted).
//!
//! Without RabbitMQ (or python) the tests print `SKIPPED:`; under `CI` or
//! `SOCKETIO_REQUIRE_SERVICES=1` they fail instead.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

mod cluster_common;

use std::time::Duration;

use bytes::Bytes;
use cluster_common::*;
use serde_json::json;
use socketio::adapter::Emitter;
use socketio::adapter::broker::BrokerConfig;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;

async fn rabbit_up(test: &str) -> bool {
    if listening("127.0.0.1:5672").await {
        return true;
    }
    skip(test, "no RabbitMQ on 127.0.0.1:5672");
    false
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn amqp_three_processes_broadcast_room_call_disconnect() {
    let test = "amqp_three_processes_broadcast_room_call_disconnect";
    if !rabbit_up(test).await {
        return;
    }
    let channel = unique_channel("three");
    let mut procs = Vec::new();
    for _ in 0..3 {
        procs.push(testbed_process(AMQP_URL, &channel).await);
    }
    let mut peers = Vec::new();
    for (i, p) in procs.iter().enumerate() {
        peers.push(Peer::connect(p.addr, &format!("server{i}")).await);
    }
    broadcast_exactly_once(&mut peers, 0).await;
    broadcast_exactly_once(&mut peers, 2).await;
    to_room_with_skip(&mut peers, 1).await;
    binary_broadcast(&mut peers, 0).await;
    call_sid_remote(&mut peers, 2, 0).await;
    disconnect_sid_remote(&mut peers, 0, 1).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn amqp_python_peer_server_and_write_only_emitters() {
    let test = "amqp_python_peer_server_and_write_only_emitters";
    if !rabbit_up(test).await {
        return;
    }
    let Some(py) = cluster_python(test) else {
        return;
    };
    let channel = unique_channel("python");
    let ours = testbed_process(AMQP_URL, &channel).await;
    let theirs = python_server(&py, "aiopika", AMQP_URL, &channel).await;
    let mut peers = vec![
        Peer::connect(ours.addr, "rust").await,
        Peer::connect(theirs.addr, "python").await,
        Peer::connect(ours.addr, "rust-b").await,
    ];
    until_flowing(&mut peers, 0, 1, Duration::from_secs(15)).await;
    until_flowing(&mut peers, 1, 0, Duration::from_secs(10)).await;
    broadcast_exactly_once(&mut peers, 0).await;
    broadcast_exactly_once(&mut peers, 1).await;
    to_room_with_skip(&mut peers, 1).await;
    binary_broadcast(&mut peers, 1).await;
    binary_broadcast(&mut peers, 2).await;

    for p in peers.iter_mut() {
        p.call("join", json!({"room": "r"})).await;
    }
    let t = tag();
    python_emitter(&py, "kombu", AMQP_URL, &channel, &t).await;
    expect_python_emits(&mut peers, &t, true).await;

    let emitter = Emitter::amqp(AMQP_URL, BrokerConfig::with_channel(&channel))
        .await
        .unwrap();
    let t = json!(tag());
    emitter
        .to("r")
        .emit("from_emitter", &(t.clone(), Bytes::from_static(b"\x07")))
        .await
        .unwrap();
    for p in peers.iter_mut() {
        let got = p.expect_event("from_emitter", &t).await;
        assert_eq!(got.bins, vec![vec![7u8]], "{}", p.name);
    }
}

/// A TCP proxy that can cut every link and refuse new ones until restored.
struct Proxy {
    addr: std::net::SocketAddr,
    up: watch::Sender<bool>,
}

impl Proxy {
    async fn start(target: &'static str) -> Proxy {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let (up, _) = watch::channel(true);
        let up2 = up.clone();
        tokio::spawn(async move {
            while let Ok((mut client, _)) = listener.accept().await {
                if !*up2.borrow() {
                    continue;
                }
                let mut state = up2.subscribe();
                tokio::spawn(async move {
                    let Ok(mut server) = TcpStream::connect(target).await else {
                        return;
                    };
                    tokio::select! {
                        _ = tokio::io::copy_bidirectional(&mut client, &mut server) => {}
                        _ = state.wait_for(|up| !*up) => {}
                    }
                });
            }
        });
        Proxy { addr, up }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn amqp_link_cut_mid_run_local_delivery_goes_on_and_cluster_recovers() {
    let test = "amqp_link_cut_mid_run_local_delivery_goes_on_and_cluster_recovers";
    if !rabbit_up(test).await {
        return;
    }
    let proxy = Proxy::start("127.0.0.1:5672").await;
    let cut_url = format!("amqp://guest:guest@{}//", proxy.addr);
    let channel = unique_channel("cut");
    let a = testbed_process(&cut_url, &channel).await;
    let b = testbed_process(AMQP_URL, &channel).await;
    let mut peers = vec![
        Peer::connect(a.addr, "a").await,
        Peer::connect(a.addr, "a2").await,
        Peer::connect(b.addr, "b").await,
    ];
    broadcast_exactly_once(&mut peers, 0).await;
    proxy.up.send_replace(false);
    broadcast_exactly_once(&mut peers[..2], 1).await;
    assert_eq!(peers[0].call("echo", json!("ok")).await, vec![json!("ok")]);
    proxy.up.send_replace(true);
    until_flowing(&mut peers, 0, 2, Duration::from_secs(10)).await;
    until_flowing(&mut peers, 2, 0, Duration::from_secs(10)).await;
    broadcast_exactly_once(&mut peers, 0).await;
    broadcast_exactly_once(&mut peers, 2).await;
}
