//! AmqpBroker against the real broker on 127.0.0.1 (URL from `SOCKETIO_TEST_AMQP_URL`).
//! Run: `cargo test -p socketio-tests --test adapter_amqp`. Without the broker the
//! tests print `SKIPPED:` (and fail under `CI` or `SOCKETIO_REQUIRE_SERVICES=1`).
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

mod adapter_common;

use std::sync::Arc;

use socketio::adapter::amqp::AmqpBroker;
use socketio::adapter::broker::{Broker, BrokerConfig};

use adapter_common::{self as scenarios, ConnectFn};
use socketio_tests::{broker_or_skip, unique_channel};

const CONNECT: ConnectFn = |url: String, cfg: BrokerConfig| {
    Box::pin(async move {
        AmqpBroker::connect(&url, cfg)
            .await
            .map(|b| Arc::new(b) as Arc<dyn Broker>)
    })
};

/// The broker URL, or `None` (after a loud skip) when nothing listens there.
async fn broker(test: &str) -> Option<String> {
    broker_or_skip(test, socketio_tests::amqp_url()).await
}

#[tokio::test]
async fn amqp_publish_and_receive_between_two_brokers() {
    let Some(url) = broker("amqp_publish_and_receive_between_two_brokers").await else {
        return;
    };
    scenarios::publish_and_receive(CONNECT, url, unique_channel("pr")).await;
}

#[tokio::test]
async fn amqp_malformed_messages_are_skipped() {
    let Some(url) = broker("amqp_malformed_messages_are_skipped").await else {
        return;
    };
    scenarios::malformed_is_skipped(CONNECT, url, unique_channel("bad")).await;
}

#[tokio::test]
async fn amqp_reconnects_after_the_link_is_cut() {
    let Some(url) = broker("amqp_reconnects_after_the_link_is_cut").await else {
        return;
    };
    scenarios::reconnect(CONNECT, url, unique_channel("cut")).await;
}

#[tokio::test]
async fn amqp_unreachable_at_start_is_an_error() {
    // needs no broker: the URL points at a closed port
    scenarios::unreachable_at_start(CONNECT, socketio_tests::amqp_url(), unique_channel("dead"))
        .await;
}
