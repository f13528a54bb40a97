//! Broker-level scenarios (`adapter::broker::Broker` against a real broker), run by
//! `adapter_redis` and `adapter_amqp`; also the fast-reconnecting [`BrokerConfig`] of the
//! broker tests.

#![allow(
    dead_code,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing
)]

use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::Bytes;
use socketio::adapter::broker::{Broker, BrokerConfig, BrokerError, LinkState, Subscription};
use socketio::adapter::pubsub::{
    Envelope, OneOrMany, Operation, PackedArgs, PubSubError, decode, encode, new_host_id,
};

use socketio_tests::{Proxy, free_port as closed_port, host_port, with_host_port, within};

/// Fast reconnection for tests (so "flows again within 10 s" holds with margin).
pub fn test_config(channel: &str) -> BrokerConfig {
    let mut cfg = BrokerConfig::with_channel(channel);
    cfg.backoff.initial = Duration::from_millis(100);
    cfg.backoff.max = Duration::from_secs(1);
    cfg.backoff.jitter = 0.2;
    cfg.connect_timeout = Duration::from_secs(2);
    cfg.connect_attempts = 2;
    cfg.publish_timeout = Duration::from_secs(2);
    cfg.health_check_interval = Duration::from_secs(2);
    cfg
}

/// Connects a broker of the kind under test.
pub type ConnectFn = fn(
    String,
    BrokerConfig,
) -> std::pin::Pin<
    Box<dyn std::future::Future<Output = Result<Arc<dyn Broker>, BrokerError>> + Send>,
>;

fn emit_env(host: &str, event: &str, args: &str) -> Envelope {
    Envelope {
        host_id: host.to_owned(),
        operation: Operation::Emit {
            event: event.to_owned(),
            args: PackedArgs::json(args),
            namespace: "/".into(),
            room: Some(OneOrMany::One("room1".into())),
            skip_sid: None,
            callback: None,
        },
    }
}

/// Next payload that decodes, skipping (and returning) the ones that do not.
async fn next_envelope(sub: &mut Subscription) -> (Envelope, Vec<PubSubError>) {
    let mut errors = Vec::new();
    loop {
        let payload = within("a message", Duration::from_secs(10), sub.recv())
            .await
            .expect("subscription ended");
        match decode(&payload) {
            Ok(env) => return (env, errors),
            Err(e) => errors.push(e),
        }
    }
}

/// Two broker instances on one channel: each receives what the other publishes, in order.
pub async fn publish_and_receive(connect: ConnectFn, url: String, channel: String) {
    let cfg = test_config(&channel);
    let a = connect(url.clone(), cfg.clone()).await.unwrap();
    let b = connect(url, cfg).await.unwrap();
    let mut sub_a = a.subscribe().await.unwrap();
    let mut sub_b = b.subscribe().await.unwrap();
    let (host_a, host_b) = (new_host_id(), new_host_id());

    let env = emit_env(&host_a, "hello", r#"["world",{"n":1}]"#);
    a.publish(Bytes::from(encode(&env))).await.unwrap();
    let (got, errors) = next_envelope(&mut sub_b).await;
    assert!(errors.is_empty(), "{errors:?}");
    assert_eq!(got, env);
    assert!(got.is_for(&host_b));
    // the publisher hears itself too (as with python), and knows to ignore it
    let (own, _) = next_envelope(&mut sub_a).await;
    assert_eq!(own, env);
    assert!(!own.is_for(&host_a));

    for i in 0..20 {
        let env = emit_env(&host_b, "seq", &format!("[{i}]"));
        b.publish(Bytes::from(encode(&env))).await.unwrap();
    }
    for i in 0..20 {
        let (got, _) = next_envelope(&mut sub_a).await;
        assert_eq!(
            got,
            emit_env(&host_b, "seq", &format!("[{i}]")),
            "order kept"
        );
    }
}

/// Malformed and foreign payloads on the channel are reported by the codec and skipped; the
/// stream goes on.
pub async fn malformed_is_skipped(connect: ConnectFn, url: String, channel: String) {
    let cfg = test_config(&channel);
    let a = connect(url.clone(), cfg.clone()).await.unwrap();
    let b = connect(url, cfg).await.unwrap();
    let mut sub = b.subscribe().await.unwrap();
    // a Node redis-adapter style msgpack array, a JSON non-object, and an unknown method
    a.publish(Bytes::from_static(b"\x93\xa7emitter\x83\xa4type\x02"))
        .await
        .unwrap();
    a.publish(Bytes::from_static(b"[1,2,3]")).await.unwrap();
    a.publish(Bytes::from_static(
        br#"{"method":"fetch_sockets","host_id":"x"}"#,
    ))
    .await
    .unwrap();
    let env = emit_env(&new_host_id(), "after", "[true]");
    a.publish(Bytes::from(encode(&env))).await.unwrap();
    let (got, errors) = next_envelope(&mut sub).await;
    assert_eq!(got, env);
    assert_eq!(
        errors,
        vec![
            PubSubError::NotJson,
            PubSubError::NotObject,
            PubSubError::UnknownMethod("fetch_sockets".into())
        ]
    );
}

/// Cut the link between a broker client and the broker with an in-process proxy: the
/// subscription notices, publishing fails fast, the runtime keeps going; after restoring the
/// link, messages flow again in both directions within 10 s.
pub async fn reconnect(connect: ConnectFn, url: String, channel: String) {
    let cfg = test_config(&channel);
    let proxy = Proxy::start(host_port(&url)).await;
    let proxied_url = with_host_port(&url, &proxy.addr.to_string());
    let near = connect(proxied_url, cfg.clone()).await.unwrap(); // through the proxy
    let far = connect(url, cfg).await.unwrap(); // direct
    let mut near_sub = near.subscribe().await.unwrap();
    let mut far_sub = far.subscribe().await.unwrap();
    let host = new_host_id();

    let before = emit_env(&host, "before", "[1]");
    far.publish(Bytes::from(encode(&before))).await.unwrap();
    assert_eq!(next_envelope(&mut near_sub).await.0, before);

    proxy.cut();
    let mut state = near_sub.state_watch();
    within(
        "the subscription to notice the cut",
        Duration::from_secs(10),
        state.wait_for(|s| *s == LinkState::Reconnecting),
    )
    .await
    .unwrap();

    // Local work goes on while the broker is unreachable.
    let (tx, rx) = tokio::sync::oneshot::channel();
    tokio::spawn(async move { tx.send(()).unwrap() });
    within("a local task", Duration::from_secs(1), rx)
        .await
        .unwrap();

    // Publishing through the cut link errors, each call bounded in time.
    for _ in 0..5 {
        let started = Instant::now();
        let r = near
            .publish(Bytes::from(encode(&emit_env(&host, "lost", "[0]"))))
            .await;
        assert!(r.is_err(), "publish during the outage must fail");
        assert!(
            started.elapsed() < Duration::from_secs(5),
            "publish took {:?}",
            started.elapsed()
        );
    }

    proxy.restore();
    let restored = Instant::now();
    within(
        "the subscription to come back",
        Duration::from_secs(10),
        state.wait_for(|s| *s == LinkState::Connected),
    )
    .await
    .unwrap();

    // far -> near
    let after = emit_env(&host, "after", "[2]");
    far.publish(Bytes::from(encode(&after))).await.unwrap();
    assert_eq!(next_envelope(&mut near_sub).await.0, after);

    // near -> far: the publisher reconnects on demand (retry while it is in backoff)
    let back = emit_env(&host, "back", "[3]");
    let payload = Bytes::from(encode(&back));
    within("publishing to work again", Duration::from_secs(10), async {
        while near.publish(payload.clone()).await.is_err() {
            // The publisher is in its reconnection backoff (the behaviour under test): retry.
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    })
    .await;
    loop {
        let (env, _) = next_envelope(&mut far_sub).await;
        // far_sub also saw "before" and "after"; "lost" must never arrive
        assert!(!matches!(&env.operation, Operation::Emit { event, .. } if event == "lost"));
        if env == back {
            break;
        }
    }
    assert!(
        restored.elapsed() < Duration::from_secs(10),
        "{:?}",
        restored.elapsed()
    );
}

/// A broker that is not there at start: a clear error after the configured attempts.
pub async fn unreachable_at_start(connect: ConnectFn, url: String, channel: String) {
    let port = closed_port().await;
    let dead = with_host_port(&url, &format!("127.0.0.1:{port}"));
    let started = Instant::now();
    let Err(err) = connect(dead, test_config(&channel)).await else {
        panic!("connecting to a closed port succeeded");
    };
    assert!(
        matches!(err, BrokerError::Connect { attempts: 2, .. }),
        "{err}"
    );
    assert!(
        err.to_string()
            .starts_with("cannot connect to the broker after 2 attempt(s)")
    );
    assert!(started.elapsed() < Duration::from_secs(10));
}
