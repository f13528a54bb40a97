//! AmqpBroker against the real broker on 127.0.0.1 (URL from `SOCKETIO_TEST_AMQP_URL`).
//! Run: `cargo test -p socketio --features amqp --test cluster_amqp`. Without the broker the
//! tests print `SKIPPED:` (and fail under `CI` or `SOCKETIO_REQUIRE_SERVICES=1`).
#![cfg(feature = "amqp")]
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

mod cluster;

use std::sync::Arc;

use socketio::adapter::amqp::AmqpBroker;
use socketio::adapter::broker::{Broker, BrokerConfig};

use cluster::scenarios::{self, ConnectFn};

const CONNECT: ConnectFn = |url: String, cfg: BrokerConfig| {
    Box::pin(async move {
        AmqpBroker::connect(&url, cfg)
            .await
            .map(|b| Arc::new(b) as Arc<dyn Broker>)
    })
};

/// The broker URL, or `None` (after a loud skip) when nothing listens there.
async fn broker(test: &str) -> Option<String> {
    let url = cluster::amqp_url();
    if cluster::reachable(&url).await {
        Some(url)
    } else {
        cluster::skip(test, &format!("no broker at {url}"));
        None
    }
}

#[tokio::test]
async fn amqp_publish_and_receive_between_two_brokers() {
    let Some(url) = broker("amqp_publish_and_receive_between_two_brokers").await else {
        return;
    };
    scenarios::publish_and_receive(CONNECT, url, cluster::unique_channel("pr")).await;
}

#[tokio::test]
async fn amqp_malformed_messages_are_skipped() {
    let Some(url) = broker("amqp_malformed_messages_are_skipped").await else {
        return;
    };
    scenarios::malformed_is_skipped(CONNECT, url, cluster::unique_channel("bad")).await;
}

#[tokio::test]
async fn amqp_reconnects_after_the_link_is_cut() {
    let Some(url) = broker("amqp_reconnects_after_the_link_is_cut").await else {
        return;
    };
    scenarios::reconnect(CONNECT, url, cluster::unique_channel("cut")).await;
}

#[tokio::test]
async fn amqp_unreachable_at_start_is_an_error() {
    // needs no broker: the URL points at a closed port
    scenarios::unreachable_at_start(
        CONNECT,
        cluster::amqp_url(),
        cluster::unique_channel("dead"),
    )
    .await;
}
