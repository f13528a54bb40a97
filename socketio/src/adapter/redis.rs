//! Redis pub/sub [`Broker`] (feature `redis`), compatible with python-socketio's
//! `RedisManager` / `AsyncRedisManager`: `PUBLISH <channel> <json text>` and a plain
//! `SUBSCRIBE <channel>` (not a pattern), default channel `socketio`.
//!
//! URLs: `redis://[user:password@]host[:port][/db]` and `unix:///path/to/redis.sock[?db=N]`
//! (also `redis+unix://`). `rediss://` (TLS) is refused with [`BrokerError::Unsupported`]:
//! TLS in the `redis` crate needs rustls with a C crypto backend or native-tls (OpenSSL),
//! which this crate does not pull in.
//!
//! Built on the [`redis`](https://docs.rs/redis) crate (redis-rs, the de-facto Redis client
//! for Rust, tokio-native, used with its default features off). One multiplexed connection
//! publishes; each [`Subscription`] holds its own pub/sub connection, checked with `PING`
//! every [`BrokerConfig::health_check_interval`] so that a silently dead link is noticed.
//! Reconnection, time bounds and what cannot be promised: see [`crate::adapter::broker`].

use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use futures_util::StreamExt as _;

use super::broker::{
    BoxFuture, Broker, BrokerConfig, BrokerError, Connector, LinkConnector, MessageStream,
    PublishLink, Publisher, Subscription, start_subscription,
};

fn redis_error(e: ::redis::RedisError) -> BrokerError {
    BrokerError::Broker(e.to_string())
}

/// Check the URL scheme before handing it to the client library.
fn parse_url(url: &str) -> Result<::redis::Client, BrokerError> {
    let scheme = url.split_once("://").map(|(s, _)| s.to_ascii_lowercase());
    match scheme.as_deref() {
        Some("redis" | "unix" | "redis+unix") => {}
        Some("rediss") => {
            return Err(BrokerError::Unsupported(
                "rediss:// (TLS) is not supported by this build; use redis:// or unix://".into(),
            ));
        }
        Some(other) => {
            return Err(BrokerError::InvalidUrl(format!(
                "unknown scheme `{other}` (expected redis:// or unix://)"
            )));
        }
        None => return Err(BrokerError::InvalidUrl(format!("`{url}` has no scheme"))),
    }
    ::redis::Client::open(url).map_err(|e| BrokerError::InvalidUrl(e.to_string()))
}

#[derive(Clone)]
struct RedisLink {
    conn: ::redis::aio::MultiplexedConnection,
    channel: Arc<str>,
}

impl PublishLink for RedisLink {
    fn send(&self, payload: Bytes) -> BoxFuture<'static, Result<(), BrokerError>> {
        let mut conn = self.conn.clone();
        let channel = self.channel.clone();
        Box::pin(async move {
            ::redis::cmd("PUBLISH")
                .arg(&*channel)
                .arg(payload.as_ref())
                .query_async::<i64>(&mut conn)
                .await
                .map(drop)
                .map_err(redis_error)
        })
    }
}

/// A Redis pub/sub broker on one channel.
///
/// ```no_run
/// # async fn demo() -> Result<(), socketio::adapter::broker::BrokerError> {
/// use socketio::adapter::broker::{Broker, BrokerConfig};
/// use socketio::adapter::redis::RedisBroker;
///
/// let broker = RedisBroker::connect("redis://127.0.0.1:6379/0", BrokerConfig::default()).await?;
/// broker.publish(bytes::Bytes::from_static(b"{}")).await?;
/// # Ok(())
/// # }
/// ```
pub struct RedisBroker {
    client: ::redis::Client,
    config: BrokerConfig,
    publisher: Publisher<RedisLink>,
}

impl std::fmt::Debug for RedisBroker {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RedisBroker")
            .field("channel", &self.config.channel)
            .finish_non_exhaustive()
    }
}

impl RedisBroker {
    /// Connect the publishing side to the Redis server at `url` (retrying as configured), on
    /// `config.channel`. Fails with [`BrokerError::Connect`] if the server cannot be reached.
    pub async fn connect(url: &str, config: BrokerConfig) -> Result<Self, BrokerError> {
        if config.channel.is_empty() {
            return Err(BrokerError::InvalidChannel(
                "the channel name is empty".into(),
            ));
        }
        let client = parse_url(url)?;
        let channel: Arc<str> = Arc::from(config.channel.as_str());
        let conn_config = ::redis::AsyncConnectionConfig::new()
            .set_connection_timeout(Some(config.connect_timeout))
            .set_response_timeout(Some(config.publish_timeout));
        let c = client.clone();
        let connect: LinkConnector<RedisLink> = Arc::new(move || {
            let (client, channel, conn_config) = (c.clone(), channel.clone(), conn_config.clone());
            Box::pin(async move {
                let conn = client
                    .get_multiplexed_async_connection_with_config(&conn_config)
                    .await
                    .map_err(redis_error)?;
                Ok(RedisLink { conn, channel })
            })
        });
        let publisher = Publisher::connect(&config, connect).await?;
        Ok(Self {
            client,
            config,
            publisher,
        })
    }

    /// The channel this broker publishes and subscribes on.
    pub fn channel(&self) -> &str {
        &self.config.channel
    }

    fn connector(&self) -> Connector {
        let client = self.client.clone();
        let channel: Arc<str> = Arc::from(self.config.channel.as_str());
        let interval = self.config.health_check_interval;
        let max = self.config.max_message_bytes;
        Arc::new(move || {
            let (client, channel) = (client.clone(), channel.clone());
            Box::pin(async move {
                let mut pubsub = client.get_async_pubsub().await.map_err(redis_error)?;
                pubsub.subscribe(&*channel).await.map_err(redis_error)?;
                let (sink, stream) = pubsub.split();
                Ok(health_checked(sink, stream, channel, interval, max))
            })
        })
    }
}

/// The payloads of `message` pushes on `channel`, ending when the connection drops or a
/// `PING` gets no answer within `interval`. Payloads over `max` bytes are dropped before they
/// are copied out of the client's buffer.
fn health_checked(
    sink: ::redis::aio::PubSubSink,
    stream: ::redis::aio::PubSubStream,
    channel: Arc<str>,
    interval: Duration,
    max: usize,
) -> MessageStream {
    let period = interval.max(Duration::from_millis(10));
    let mut ticker = tokio::time::interval_at(tokio::time::Instant::now() + period, period);
    ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let state = (sink, stream, ticker, channel);
    Box::pin(futures_util::stream::unfold(
        state,
        move |(mut sink, mut stream, mut ticker, channel)| async move {
            loop {
                tokio::select! {
                    msg = stream.next() => {
                        let msg = msg?;
                        if msg.get_channel_name() == &*channel {
                            let bytes = msg.get_payload_bytes();
                            if !within_limit(bytes.len(), max) {
                                continue;
                            }
                            let payload = Bytes::copy_from_slice(bytes);
                            return Some((payload, (sink, stream, ticker, channel)));
                        }
                    }
                    _ = ticker.tick() => {
                        let ping = sink.ping::<::redis::Value>();
                        match tokio::time::timeout(period, ping).await {
                            Ok(Ok(_)) => {}
                            Ok(Err(e)) => {
                                tracing::warn!(error = %e, "redis subscriber ping failed");
                                return None;
                            }
                            Err(_) => {
                                tracing::warn!("redis subscriber ping timed out");
                                return None;
                            }
                        }
                    }
                }
            }
        },
    ))
}

/// Whether a message of `size` bytes is read (logged at `warn` when it is not).
fn within_limit(size: usize, max: usize) -> bool {
    if size > max {
        tracing::warn!(
            size,
            limit = max,
            "redis message over max_message_bytes dropped"
        );
        return false;
    }
    true
}

impl Broker for RedisBroker {
    fn publish(&self, payload: Bytes) -> BoxFuture<'_, Result<(), BrokerError>> {
        Box::pin(self.publisher.publish(payload))
    }

    fn subscribe(&self) -> BoxFuture<'_, Result<Subscription, BrokerError>> {
        Box::pin(start_subscription(&self.config, self.connector()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn message_size_at_limit_is_read_and_limit_plus_one_dropped() {
        assert!(within_limit(1024, 1024));
        assert!(!within_limit(1025, 1024));
        assert!(within_limit(0, 0));
    }

    #[test]
    fn url_schemes() {
        assert!(parse_url("redis://127.0.0.1:6379/0").is_ok());
        assert!(parse_url("unix:///tmp/redis.sock").is_ok());
        assert!(matches!(
            parse_url("rediss://h:6380"),
            Err(BrokerError::Unsupported(_))
        ));
        assert!(matches!(
            parse_url("amqp://h"),
            Err(BrokerError::InvalidUrl(_))
        ));
        assert!(matches!(
            parse_url("127.0.0.1:6379"),
            Err(BrokerError::InvalidUrl(_))
        ));
    }
}
