//! RedisBroker against the real broker on 127.0.0.1 (URL from `SOCKETIO_TEST_REDIS_URL`).
//! Run: `cargo test -p socketio --features redis --test cluster_redis`. Without the broker the
//! tests print `SKIPPED:` (and fail under `CI` or `SOCKETIO_REQUIRE_SERVICES=1`).
#![cfg(feature = "redis")]
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

mod cluster;

use std::sync::Arc;

use socketio::adapter::broker::{Broker, BrokerConfig};
use socketio::adapter::redis::RedisBroker;

use cluster::scenarios::{self, ConnectFn};

const CONNECT: ConnectFn = |url: String, cfg: BrokerConfig| {
    Box::pin(async move {
        RedisBroker::connect(&url, cfg)
            .await
            .map(|b| Arc::new(b) as Arc<dyn Broker>)
    })
};

/// The broker URL, or `None` (after a loud skip) when nothing listens there.
async fn broker(test: &str) -> Option<String> {
    let url = cluster::redis_url();
    if cluster::reachable(&url).await {
        Some(url)
    } else {
        cluster::skip(test, &format!("no broker at {url}"));
        None
    }
}

#[tokio::test]
async fn redis_publish_and_receive_between_two_brokers() {
    let Some(url) = broker("redis_publish_and_receive_between_two_brokers").await else {
        return;
    };
    scenarios::publish_and_receive(CONNECT, url, cluster::unique_channel("pr")).await;
}

#[tokio::test]
async fn redis_malformed_messages_are_skipped() {
    let Some(url) = broker("redis_malformed_messages_are_skipped").await else {
        return;
    };
    scenarios::malformed_is_skipped(CONNECT, url, cluster::unique_channel("bad")).await;
}

#[tokio::test]
async fn redis_reconnects_after_the_link_is_cut() {
    let Some(url) = broker("redis_reconnects_after_the_link_is_cut").await else {
        return;
    };
    scenarios::reconnect(CONNECT, url, cluster::unique_channel("cut")).await;
}

#[tokio::test]
async fn redis_unreachable_at_start_is_an_error() {
    // needs no broker: the URL points at a closed port
    scenarios::unreachable_at_start(
        CONNECT,
        cluster::redis_url(),
        cluster::unique_channel("dead"),
    )
    .await;
}
