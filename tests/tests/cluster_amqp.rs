//! Cluster mode over RabbitMQ (`SOCKETIO_TEST_AMQP_URL`, default 127.0.0.1:5672 guest/guest): three test-bed processes with
//! clients on each, a python-socketio peer server with `AsyncAioPikaManager`, python's
//! write-only `KombuManager` emitter, our `Emitter` on the exchange, and the broker link cut
//! mid-run by a TCP proxy (the shared RabbitMQ is never restarted).
//!
//! Without RabbitMQ (or python) the tests print `SKIPPED:`; under `CI` or
//! `SOCKETIO_REQUIRE_SERVICES=1` they fail instead.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

use std::time::Duration;

use bytes::Bytes;
use serde_json::json;
use socketio::adapter::Emitter;
use socketio::adapter::broker::BrokerConfig;
use socketio_tests::*;

/// The broker URL of the tests (`amqp_url()`), or `None` after a loud skip.
async fn rabbit_up(test: &str) -> Option<String> {
    broker_or_skip(test, amqp_url()).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn amqp_three_processes_broadcast_room_call_disconnect() {
    let test = "amqp_three_processes_broadcast_room_call_disconnect";
    let Some(url) = rabbit_up(test).await else {
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
    let Some(url) = rabbit_up(test).await else {
        return;
    };
    let Some(py) = python(test) else {
        return;
    };
    let channel = unique_channel("python");
    let ours = testbed_process(&url, &channel).await;
    let theirs = python_server(&py, "aiopika", &url, &channel).await;
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
    let t = unique_tag();
    python_emitter(&py, "kombu", &url, &channel, &t).await;
    expect_python_emits(&mut peers, &t, true).await;

    let emitter = Emitter::amqp(&url, BrokerConfig::with_channel(&channel))
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
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn amqp_link_cut_mid_run_local_delivery_goes_on_and_cluster_recovers() {
    let test = "amqp_link_cut_mid_run_local_delivery_goes_on_and_cluster_recovers";
    let Some(url) = rabbit_up(test).await else {
        return;
    };
    let proxy = Proxy::start(host_port(&url)).await;
    let cut_url = with_host_port(&url, &proxy.addr.to_string());
    let channel = unique_channel("cut");
    let a = testbed_process(&cut_url, &channel).await;
    let b = testbed_process(&url, &channel).await;
    let mut peers = vec![
        Peer::connect(a.addr, "a").await,
        Peer::connect(a.addr, "a2").await,
        Peer::connect(b.addr, "b").await,
    ];
    broadcast_exactly_once(&mut peers, 0).await;
    proxy.cut();
    broadcast_exactly_once(&mut peers[..2], 1).await;
    assert_eq!(peers[0].call("echo", json!("ok")).await, vec![json!("ok")]);
    proxy.restore();
    until_flowing(&mut peers, 0, 2, Duration::from_secs(10)).await;
    until_flowing(&mut peers, 2, 0, Duration::from_secs(10)).await;
    broadcast_exactly_once(&mut peers, 0).await;
    broadcast_exactly_once(&mut peers, 2).await;
}
