//! TLS brokers and the other Redis URL forms, against real brokers the tests start on free
//! loopback ports with certificates they generate (rcgen, in a temp dir):
//!
//! * `redis-server --tls-port`: a test-bed process (`MANAGER_URL=rediss://…`,
//!   `MANAGER_CA_FILE`) and a python-socketio peer (`rediss://…?ssl_ca_certs=…`) exchange
//!   broadcasts; a wrong CA is a clear [`BrokerError::Tls`]; with `--tls-auth-clients yes`
//!   a client certificate is required, and works;
//! * a private RabbitMQ node with a TLS listener: the same exchange over `amqps://` with
//!   python's `AsyncAioPikaManager` (`?cafile=…`), and the wrong-CA error;
//! * Redis Sentinel (master, replica, sentinel): two test beds on `redis+sentinel://` keep
//!   exchanging broadcasts after `SENTINEL FAILOVER`.
//!
//! A missing `redis-server`, RabbitMQ or python venv skips loudly; under `CI` or
//! `SOCKETIO_REQUIRE_SERVICES=1` it fails instead.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

#[path = "adapter_tls/brokers.rs"]
mod brokers;

use std::time::Duration;

use brokers::*;
use bytes::Bytes;
use socketio::adapter::amqp::AmqpBroker;
use socketio::adapter::broker::{Broker, BrokerConfig, BrokerError, TlsOptions};
use socketio::adapter::redis::RedisBroker;
use socketio_tests::*;

/// Bound on messages starting to flow between servers (python subscribes on its first
/// client; a failover needs a reconnection with backoff).
const FLOWING: Duration = Duration::from_secs(15);

fn one_attempt(channel: &str) -> BrokerConfig {
    let mut c = BrokerConfig::with_channel(channel);
    c.connect_attempts = 1;
    c.connect_timeout = Duration::from_secs(5);
    c
}

/// Two servers (a test bed and a python peer, or two test beds) see each other's broadcasts,
/// exactly once, both ways.
async fn exchange(a: &Proc, b: &Proc) {
    let mut peers = vec![
        Peer::connect(a.addr, "a").await,
        Peer::connect(b.addr, "b").await,
    ];
    until_flowing(&mut peers, 0, 1, FLOWING).await;
    until_flowing(&mut peers, 1, 0, FLOWING).await;
    broadcast_exactly_once(&mut peers, 0).await;
    broadcast_exactly_once(&mut peers, 1).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rediss_testbed_and_python_peer_exchange_broadcasts() {
    let test = "rediss_testbed_and_python_peer_exchange_broadcasts";
    if !have(test, "redis-server", "--version") {
        return;
    }
    let Some(py) = python(test) else {
        return;
    };
    let dir = TempDir::new("rediss");
    let certs = Certs::generate(&dir);
    let redis = Redis::tls(&dir, &certs, "optional").await;
    let channel = unique_channel("rediss");
    let url = format!("rediss://127.0.0.1:{}/0", redis.port);
    let ours = testbed_with_ca(&url, &channel, Some(&certs.ca)).await;
    let py_url = format!("{url}?ssl_ca_certs={}", certs.ca.display());
    let theirs = python_server(&py, "redis", &py_url, &channel).await;
    exchange(&ours, &theirs).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rediss_untrusted_certificate_is_a_clear_error() {
    let test = "rediss_untrusted_certificate_is_a_clear_error";
    if !have(test, "redis-server", "--version") {
        return;
    }
    let dir = TempDir::new("rediss-bad");
    let certs = Certs::generate(&dir);
    let redis = Redis::tls(&dir, &certs, "optional").await;
    let host = format!("127.0.0.1:{}", redis.port);
    let channel = unique_channel("rediss-bad");
    // a CA that did not sign the server's certificate, and the system roots alone
    for tls in [
        TlsOptions::default().ca_file(&certs.wrong_ca),
        TlsOptions::default(),
    ] {
        let started = std::time::Instant::now();
        let err = RedisBroker::connect(
            &format!("rediss://{host}/0"),
            BrokerConfig::with_channel(&channel).tls(tls),
        )
        .await
        .unwrap_err();
        match &err {
            BrokerError::Tls { host: h, reason } => {
                assert_eq!(h, &host);
                assert!(reason.contains("not signed by a trusted CA"), "{reason}");
            }
            other => panic!("expected a TLS error, got {other:?}"),
        }
        assert!(err.to_string().contains(&host), "{err}");
        // not retried: the default config would retry 3 times with 1 s backoff
        assert!(started.elapsed() < Duration::from_secs(3), "{err}");
    }
    // the test bed refuses to start and says why
    let out = tokio::process::Command::new(testbed_bin(Profile::Current))
        .env("PORT", "0")
        .env("MANAGER_URL", format!("rediss://{host}/0"))
        .env("MANAGER_CA_FILE", &certs.wrong_ca)
        .env("MANAGER_CHANNEL", &channel)
        .kill_on_drop(true)
        .output();
    let out = socketio_tests::within("testbed exits", Duration::from_secs(20), out)
        .await
        .unwrap();
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains(&host) && stderr.contains("not signed by a trusted CA"),
        "{stderr}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rediss_client_certificate_required_and_accepted() {
    let test = "rediss_client_certificate_required_and_accepted";
    if !have(test, "redis-server", "--version") {
        return;
    }
    let dir = TempDir::new("rediss-mtls");
    let certs = Certs::generate(&dir);
    let redis = Redis::tls(&dir, &certs, "yes").await;
    let host = format!("127.0.0.1:{}", redis.port);
    let channel = unique_channel("rediss-mtls");
    let url = format!("rediss://{host}/0");
    // no client certificate: refused, and the error says what is missing
    let err = RedisBroker::connect(
        &url,
        one_attempt(&channel).tls(TlsOptions::default().ca_file(&certs.ca)),
    )
    .await
    .unwrap_err();
    match &err {
        BrokerError::Tls { host: h, reason } => {
            assert_eq!(h, &host);
            assert!(reason.contains("client certificate"), "{reason}");
        }
        other => panic!("expected a TLS error, got {other:?}"),
    }
    // with one, given in the URL as redis-py names the parameters
    let url = format!(
        "{url}?ssl_ca_certs={}&ssl_certfile={}&ssl_keyfile={}",
        certs.ca.display(),
        certs.client_cert.display(),
        certs.client_key.display()
    );
    let broker = RedisBroker::connect(&url, one_attempt(&channel))
        .await
        .unwrap();
    let mut sub = broker.subscribe().await.unwrap();
    let payload = Bytes::from(format!("{{\"t\":\"{}\"}}", unique_tag()));
    broker.publish(payload.clone()).await.unwrap();
    let got = socketio_tests::within("message over mTLS", DELIVERY, sub.recv()).await;
    assert_eq!(got, Some(payload));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn amqps_testbed_and_python_peer_exchange_broadcasts() {
    let test = "amqps_testbed_and_python_peer_exchange_broadcasts";
    if rabbit_bins().is_none() {
        skip(
            test,
            "RabbitMQ (/usr/lib/rabbitmq/bin/rabbitmq-server) not found",
        );
        return;
    }
    let Some(py) = python(test) else {
        return;
    };
    let dir = TempDir::new("amqps");
    let certs = Certs::generate(&dir);
    let rabbit = Rabbit::start(&dir, &certs).await;
    let host = format!("127.0.0.1:{}", rabbit.tls_port);
    let channel = unique_channel("amqps");
    let url = format!("amqps://guest:guest@{host}/");

    // an untrusted certificate first: a clear error, not retried
    let err = AmqpBroker::connect(
        &url,
        BrokerConfig::with_channel(&channel).tls(TlsOptions::default().ca_file(&certs.wrong_ca)),
    )
    .await
    .unwrap_err();
    match &err {
        BrokerError::Tls { host: h, reason } => {
            assert_eq!(h, &host);
            assert!(reason.contains("not signed by a trusted CA"), "{reason}");
        }
        other => panic!("expected a TLS error, got {other:?}"),
    }
    // a client certificate is presented when configured (the node verifies it if sent)
    let with_cert = AmqpBroker::connect(
        &format!(
            "{url}?cafile={}&certfile={}&keyfile={}",
            certs.ca.display(),
            certs.client_cert.display(),
            certs.client_key.display()
        ),
        one_attempt(&channel),
    )
    .await
    .unwrap();
    drop(with_cert);

    let ours = testbed_with_ca(&url, &channel, Some(&certs.ca)).await;
    let py_url = format!("{url}?cafile={}", certs.ca.display());
    let theirs = python_server(&py, "aiopika", &py_url, &channel).await;
    exchange(&ours, &theirs).await;
    drop((ours, theirs));
    drop(rabbit);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sentinel_failover_keeps_broadcasts_flowing() {
    let test = "sentinel_failover_keeps_broadcasts_flowing";
    if !have(test, "redis-server", "--version") || !have(test, "redis-cli", "--version") {
        return;
    }
    let dir = TempDir::new("sentinel");
    // the service is named after the channel, so that a URL without a service finds it
    let channel = unique_channel("sentinel");
    let master = Redis::plain(&dir, None).await;
    let replica = Redis::plain(&dir, Some(master.port)).await;
    poll_until("replica in sync", FLOWING, || async {
        redis_cli(replica.port, &["INFO", "replication"])
            .await
            .contains("master_link_status:up")
    })
    .await;
    let sentinel = Redis::sentinel(&dir, &channel, master.port).await;
    let s = sentinel.port;
    let explicit = format!("redis+sentinel://127.0.0.1:{s}/0/{channel}");
    let default_service = format!("redis+sentinel://127.0.0.1:{s}/0");
    let a = testbed_with_ca(&explicit, &channel, None).await;
    let b = testbed_with_ca(&default_service, &channel, None).await;
    let mut peers = vec![
        Peer::connect(a.addr, "a").await,
        Peer::connect(b.addr, "b").await,
    ];
    broadcast_exactly_once(&mut peers, 0).await;
    broadcast_exactly_once(&mut peers, 1).await;

    // fail over to the replica (the sentinel must know it first)
    let replica_port = replica.port.to_string();
    poll_until("sentinel accepts the failover", FLOWING, || async {
        redis_cli(s, &["SENTINEL", "FAILOVER", &channel])
            .await
            .starts_with("OK")
    })
    .await;
    poll_until("the replica is the master", FLOWING, || async {
        redis_cli(s, &["SENTINEL", "get-master-addr-by-name", &channel])
            .await
            .lines()
            .any(|l| l.trim() == replica_port)
    })
    .await;
    poll_until("the new master says so", FLOWING, || async {
        redis_cli(replica.port, &["ROLE"])
            .await
            .starts_with("master")
    })
    .await;

    // both servers follow the new master by themselves
    until_flowing(&mut peers, 0, 1, FLOWING).await;
    until_flowing(&mut peers, 1, 0, FLOWING).await;
    broadcast_exactly_once(&mut peers, 0).await;
    broadcast_exactly_once(&mut peers, 1).await;
    drop(peers);
    drop((a, b, sentinel, replica, master));
}
