//! Cluster semantics without a broker: three in-process test beds joined by an in-memory
//! [`Manager`] that passes every message through python-socketio's wire codec. Runs
//! everywhere; the same scenarios run over Redis and RabbitMQ in `cluster_redis.rs` and
//! `cluster_amqp.rs`.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

mod cluster_common;

use std::sync::{Arc, Mutex};
use std::time::Duration;

use cluster_common::*;
use socketio::adapter::pubsub::{self, Envelope};
use socketio::adapter::{Manager, RemoteSink};
use socketio::{EmitError, SocketIo};
use tokio::sync::mpsc;

/// Every member's sink; a message goes to each member `is_for` allows.
#[derive(Default)]
struct Bus {
    members: Mutex<Vec<(String, Arc<dyn RemoteSink>)>>,
}

struct BusManager {
    host_id: String,
    tx: mpsc::UnboundedSender<Vec<u8>>,
    bus: Arc<Bus>,
}

impl BusManager {
    fn join(bus: &Arc<Bus>) -> Arc<BusManager> {
        let (tx, mut rx) = mpsc::unbounded_channel::<Vec<u8>>();
        let bus2 = bus.clone();
        // One task per publisher: messages of one publisher are applied in order.
        tokio::spawn(async move {
            while let Some(bytes) = rx.recv().await {
                let env = pubsub::decode(&bytes).expect("our own messages decode");
                let members = bus2.members.lock().unwrap().clone();
                for (host, sink) in members {
                    if env.is_for(&host) {
                        sink.apply(env.clone());
                    }
                }
            }
        });
        Arc::new(BusManager {
            host_id: pubsub::new_host_id(),
            tx,
            bus: bus.clone(),
        })
    }
}

impl Manager for BusManager {
    fn host_id(&self) -> &str {
        &self.host_id
    }
    fn publish(&self, env: Envelope) {
        let _ = self.tx.send(pubsub::encode(&env));
    }
    fn start(&self, sink: Arc<dyn RemoteSink>) {
        self.bus
            .members
            .lock()
            .unwrap()
            .push((self.host_id.clone(), sink));
    }
}

async fn three_servers() -> (Vec<testbed::Running>, Vec<Peer>) {
    let bus = Arc::new(Bus::default());
    let opts = testbed::Options {
        ping_interval: Duration::from_secs(25),
        ping_timeout: Duration::from_secs(20),
        ..testbed::Options::default()
    };
    let mut servers = Vec::new();
    for _ in 0..3 {
        let m = BusManager::join(&bus);
        let s = testbed::spawn_with("127.0.0.1:0".parse().unwrap(), opts.clone(), Some(m))
            .await
            .unwrap();
        servers.push(s);
    }
    let mut peers = Vec::new();
    for (i, s) in servers.iter().enumerate() {
        peers.push(Peer::connect(s.addr, &format!("client{i}")).await);
    }
    (servers, peers)
}

#[tokio::test]
async fn memory_cluster_broadcast_reaches_every_client_once() {
    let (_servers, mut peers) = three_servers().await;
    for from in 0..3 {
        broadcast_exactly_once(&mut peers, from).await;
    }
    binary_broadcast(&mut peers, 2).await;
}

#[tokio::test]
async fn memory_cluster_to_room_skips_sender_and_outsiders() {
    let (_servers, mut peers) = three_servers().await;
    to_room_with_skip(&mut peers, 0).await;
}

#[tokio::test]
async fn memory_cluster_call_sid_and_disconnect_sid_on_another_server() {
    let (servers, mut peers) = three_servers().await;
    call_sid_remote(&mut peers, 0, 1).await;
    call_sid_remote(&mut peers, 1, 1).await; // local sid
    assert_eq!(servers[0].io.remote_acks_pending(), 0);
    disconnect_sid_remote(&mut peers, 0, 2).await;
    // the other clients are unaffected
    broadcast_exactly_once(&mut peers[..2], 1).await;
}

/// A manager that publishes nowhere: remote acks are never answered.
struct Void;
impl Manager for Void {
    fn host_id(&self) -> &str {
        "void"
    }
    fn publish(&self, _env: Envelope) {}
    fn start(&self, _sink: Arc<dyn RemoteSink>) {}
}

#[tokio::test]
async fn remote_ack_table_limit_and_cleanup_on_drop() {
    let io = SocketIo::builder()
        .max_pending_acks(2)
        .manager(Arc::new(Void))
        .build()
        .unwrap();
    let ns = io.of("/");
    let a = ns.emit_with_ack_to("remote-1", "ask", &1).unwrap();
    let b = ns.emit_with_ack_to("remote-2", "ask", &2).unwrap();
    assert_eq!(io.remote_acks_pending(), 2);
    // limit + 1
    assert_eq!(
        ns.emit_with_ack_to("remote-3", "ask", &3).unwrap_err(),
        EmitError::TooManyPendingAcks
    );
    drop(a);
    assert_eq!(io.remote_acks_pending(), 1);
    // a call that times out forgets its ack
    let r: Result<u32, _> = ns
        .call("remote-4", "ask", &4, Duration::from_millis(10))
        .await;
    assert_eq!(r.unwrap_err(), socketio::CallError::Timeout);
    assert_eq!(io.remote_acks_pending(), 1);
    drop(b);
    assert_eq!(io.remote_acks_pending(), 0);
    // without a manager, an unknown sid is an error at once
    let alone = SocketIo::builder().build().unwrap();
    assert_eq!(
        alone
            .of("/")
            .emit_with_ack_to("nobody", "ask", &1)
            .unwrap_err(),
        EmitError::Disconnected
    );
}
