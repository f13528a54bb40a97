//! AMQP 0-9-1 (RabbitMQ) [`Broker`] (feature `amqp`), compatible with python-socketio's
//! `KombuManager` and `AsyncAioPikaManager`.
//!
//! * A `fanout` exchange named after the channel (default `socketio`), declared
//!   `durable=false, auto_delete=false` exactly as python declares it (any other declaration
//!   fails with `PRECONDITION_FAILED` against python nodes on the same exchange).
//! * Each subscription binds a private queue of its own: server-named, non-durable,
//!   exclusive (deleted with its connection) and with `x-expires: 300000` like python's.
//! * The body is the UTF-8 JSON text of the message, published as kombu does (`content_type
//!   text/plain`, `content_encoding utf-8`, persistent delivery mode); the routing key is empty
//!   (a fanout exchange ignores it).
//!
//! URL: `amqp://user:password@host:port/vhost`; the default vhost `/` is written `//`,
//! `/%2f` or left out (`amqp://guest:guest@127.0.0.1:5672`). User and password default to
//! `guest`, the port to 5672; components are percent-decoded. `amqps://` (TLS) is refused with
//! [`BrokerError::Unsupported`] (amqprs' TLS support pulls in rustls with a C crypto backend).
//!
//! Built on [`amqprs`](https://docs.rs/amqprs): a tokio-native AMQP 0-9-1 client written for
//! RabbitMQ, with a small dependency tree and no TLS unless asked (lapin, the other mature
//! choice, brings its own executor abstraction layers). Reconnection, time bounds and what
//! cannot be promised: see [`crate::adapter::broker`].

use std::sync::Arc;
use std::time::Duration;

use amqprs::channel::{
    BasicAckArguments, BasicConsumeArguments, BasicPublishArguments, BasicQosArguments, Channel,
    ConsumerMessage, ExchangeDeclareArguments, QueueBindArguments, QueueDeclareArguments,
};
use amqprs::connection::{Connection, OpenConnectionArguments};
use amqprs::{BasicProperties, FieldTable, FieldValue};
use bytes::Bytes;
use tokio::sync::mpsc;

use super::broker::{
    BoxFuture, Broker, BrokerConfig, BrokerError, Connector, LinkConnector, MessageStream,
    PublishLink, Publisher, Subscription, start_subscription,
};

/// Longest AMQP short string (exchange names).
const MAX_SHORT_STR: usize = 255;

/// python's queue expiry (`x-expires`), in milliseconds.
const QUEUE_EXPIRES_MS: i32 = 300_000;

fn amqp_error(e: amqprs::error::Error) -> BrokerError {
    BrokerError::Broker(e.to_string())
}

/// Connection parameters parsed from an `amqp://` URL.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AmqpUrl {
    /// Host name or address.
    pub host: String,
    /// TCP port (default 5672).
    pub port: u16,
    /// User name (default `guest`).
    pub user: String,
    /// Password (default `guest`).
    pub password: String,
    /// Virtual host (default `/`).
    pub vhost: String,
}

fn percent_decode(s: &str) -> Result<String, BrokerError> {
    crate::proto::percent::decode(s)
        .ok_or_else(|| BrokerError::InvalidUrl(format!("bad percent escape or not UTF-8 in `{s}`")))
}

impl AmqpUrl {
    /// Parse `amqp://[user[:password]@]host[:port][/vhost]`.
    pub fn parse(url: &str) -> Result<Self, BrokerError> {
        let (scheme, rest) = url
            .split_once("://")
            .ok_or_else(|| BrokerError::InvalidUrl(format!("`{url}` has no scheme")))?;
        match scheme.to_ascii_lowercase().as_str() {
            "amqp" => {}
            "amqps" => {
                return Err(BrokerError::Unsupported(
                    "amqps:// (TLS) is not supported by this build; use amqp://".into(),
                ));
            }
            other => {
                return Err(BrokerError::InvalidUrl(format!(
                    "unknown scheme `{other}` (expected amqp://)"
                )));
            }
        }
        let rest = rest.split(['?', '#']).next().unwrap_or("");
        let (authority, path) = match rest.find('/') {
            Some(i) => (rest.get(..i).unwrap_or(""), rest.get(i + 1..).unwrap_or("")),
            None => (rest, ""),
        };
        let (userinfo, hostport) = match authority.rfind('@') {
            Some(i) => (authority.get(..i), authority.get(i + 1..).unwrap_or("")),
            None => (None, authority),
        };
        let (user, password) = match userinfo {
            None => ("guest".to_owned(), "guest".to_owned()),
            Some(ui) => match ui.split_once(':') {
                Some((u, p)) => (percent_decode(u)?, percent_decode(p)?),
                None => (percent_decode(ui)?, String::new()),
            },
        };
        let (host, port) = if let Some(h) = hostport.strip_prefix('[') {
            // [ipv6]:port
            let (h, after) = h
                .split_once(']')
                .ok_or_else(|| BrokerError::InvalidUrl(format!("bad host in `{url}`")))?;
            (h.to_owned(), after.strip_prefix(':'))
        } else {
            match hostport.rsplit_once(':') {
                Some((h, p)) => (h.to_owned(), Some(p)),
                None => (hostport.to_owned(), None),
            }
        };
        let port = match port {
            None | Some("") => 5672,
            Some(p) => p
                .parse::<u16>()
                .map_err(|_| BrokerError::InvalidUrl(format!("bad port `{p}` in `{url}`")))?,
        };
        let host = if host.is_empty() {
            "localhost".to_owned()
        } else {
            percent_decode(&host)?
        };
        let vhost = if path.is_empty() {
            "/".to_owned()
        } else {
            percent_decode(path)?
        };
        Ok(Self {
            host,
            port,
            user,
            password,
            vhost,
        })
    }

    async fn open(&self, heartbeat: Duration) -> Result<Connection, BrokerError> {
        let secs = heartbeat.as_secs().clamp(1, u64::from(u16::MAX));
        let args = OpenConnectionArguments::new(&self.host, self.port, &self.user, &self.password)
            .virtual_host(&self.vhost)
            .heartbeat(u16::try_from(secs).unwrap_or(u16::MAX))
            .finish();
        Connection::open(&args).await.map_err(amqp_error)
    }
}

/// Declare the fanout exchange exactly as python-socketio does.
async fn declare_exchange(channel: &Channel, exchange: &str) -> Result<(), BrokerError> {
    let mut args = ExchangeDeclareArguments::new(exchange, "fanout");
    args.durable = false;
    args.auto_delete = false;
    channel.exchange_declare(args).await.map_err(amqp_error)
}

#[derive(Clone)]
struct AmqpLink {
    connection: Connection,
    channel: Channel,
    exchange: Arc<str>,
}

impl PublishLink for AmqpLink {
    fn send(&self, payload: Bytes) -> BoxFuture<'static, Result<(), BrokerError>> {
        let link = self.clone();
        Box::pin(async move {
            if !link.connection.is_open() || !link.channel.is_open() {
                return Err(BrokerError::Disconnected);
            }
            let props = BasicProperties::default()
                .with_content_type("text/plain")
                .with_content_encoding("utf-8")
                .with_delivery_mode(amqprs::DELIVERY_MODE_PERSISTENT)
                .finish();
            link.channel
                .basic_publish(
                    props,
                    payload.to_vec(),
                    BasicPublishArguments::new(&link.exchange, ""),
                )
                .await
                .map_err(amqp_error)
        })
    }
}

/// An AMQP (RabbitMQ) broker on one fanout exchange.
///
/// ```no_run
/// # async fn demo() -> Result<(), socketio::adapter::broker::BrokerError> {
/// use socketio::adapter::amqp::AmqpBroker;
/// use socketio::adapter::broker::{Broker, BrokerConfig};
///
/// let broker =
///     AmqpBroker::connect("amqp://guest:guest@127.0.0.1:5672//", BrokerConfig::default()).await?;
/// let mut sub = broker.subscribe().await?;
/// broker.publish(bytes::Bytes::from_static(b"{}")).await?;
/// # Ok(())
/// # }
/// ```
pub struct AmqpBroker {
    url: Arc<AmqpUrl>,
    config: BrokerConfig,
    publisher: Publisher<AmqpLink>,
}

impl std::fmt::Debug for AmqpBroker {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AmqpBroker")
            .field("host", &self.url.host)
            .field("port", &self.url.port)
            .field("vhost", &self.url.vhost)
            .field("exchange", &self.config.channel)
            .finish_non_exhaustive()
    }
}

impl AmqpBroker {
    /// Connect the publishing side to the broker at `url` (retrying as configured) and declare
    /// the exchange `config.channel`. Fails with [`BrokerError::Connect`] if the broker cannot
    /// be reached or refuses the declaration.
    pub async fn connect(url: &str, config: BrokerConfig) -> Result<Self, BrokerError> {
        if config.channel.is_empty() || config.channel.len() > MAX_SHORT_STR {
            return Err(BrokerError::InvalidChannel(format!(
                "an AMQP exchange name has 1 to {MAX_SHORT_STR} bytes"
            )));
        }
        let url = Arc::new(AmqpUrl::parse(url)?);
        let exchange: Arc<str> = Arc::from(config.channel.as_str());
        let heartbeat = config.health_check_interval;
        let u = url.clone();
        let connect: LinkConnector<AmqpLink> = Arc::new(move || {
            let (url, exchange) = (u.clone(), exchange.clone());
            Box::pin(async move {
                let connection = url.open(heartbeat).await?;
                let channel = connection.open_channel(None).await.map_err(amqp_error)?;
                declare_exchange(&channel, &exchange).await?;
                Ok(AmqpLink {
                    connection,
                    channel,
                    exchange,
                })
            })
        });
        let publisher = Publisher::connect(&config, connect).await?;
        Ok(Self {
            url,
            config,
            publisher,
        })
    }

    /// The exchange this broker publishes and subscribes on.
    pub fn channel(&self) -> &str {
        &self.config.channel
    }

    fn connector(&self) -> Connector {
        let url = self.url.clone();
        let exchange: Arc<str> = Arc::from(self.config.channel.as_str());
        let interval = self.config.health_check_interval;
        let prefetch = u16::try_from(self.config.queue_capacity.clamp(1, usize::from(u16::MAX)))
            .unwrap_or(u16::MAX);
        Arc::new(move || {
            let (url, exchange) = (url.clone(), exchange.clone());
            Box::pin(async move {
                let connection = url.open(interval).await?;
                let channel = connection.open_channel(None).await.map_err(amqp_error)?;
                declare_exchange(&channel, &exchange).await?;
                let mut table = FieldTable::new();
                if let Ok(key) = "x-expires".try_into() {
                    table.insert(key, FieldValue::I(QUEUE_EXPIRES_MS));
                }
                let mut qargs = QueueDeclareArguments::new("");
                qargs
                    .durable(false)
                    .exclusive(true)
                    .auto_delete(true)
                    .arguments(table);
                let (queue, _, _) = channel
                    .queue_declare(qargs.finish())
                    .await
                    .map_err(amqp_error)?
                    .ok_or_else(|| BrokerError::Broker("queue.declare got no answer".into()))?;
                channel
                    .queue_bind(QueueBindArguments::new(&queue, &exchange, ""))
                    .await
                    .map_err(amqp_error)?;
                channel
                    .basic_qos(BasicQosArguments::new(0, prefetch, false))
                    .await
                    .map_err(amqp_error)?;
                let mut cargs = BasicConsumeArguments::new(&queue, "");
                cargs.manual_ack(true).exclusive(true);
                let (_tag, rx) = channel
                    .basic_consume_rx(cargs.finish())
                    .await
                    .map_err(amqp_error)?;
                Ok(consume(connection, channel, rx, interval))
            })
        })
    }
}

/// The bodies delivered to one consumer, acknowledged as they are handed on; ends when the
/// connection or channel closes (checked every `interval` too, in case the library does not
/// close the delivery channel).
fn consume(
    connection: Connection,
    channel: Channel,
    rx: mpsc::UnboundedReceiver<ConsumerMessage>,
    interval: Duration,
) -> MessageStream {
    let period = interval.max(Duration::from_millis(10));
    let mut ticker = tokio::time::interval_at(tokio::time::Instant::now() + period, period);
    ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let state = (connection, channel, rx, ticker);
    Box::pin(futures_util::stream::unfold(
        state,
        |(connection, channel, mut rx, mut ticker)| async move {
            loop {
                tokio::select! {
                    msg = rx.recv() => {
                        let msg = msg?;
                        if let Some(tag) = msg.deliver.as_ref().map(|d| d.delivery_tag()) {
                            if channel.basic_ack(BasicAckArguments::new(tag, false)).await.is_err() {
                                return None;
                            }
                        }
                        if let Some(body) = msg.content {
                            return Some((Bytes::from(body), (connection, channel, rx, ticker)));
                        }
                    }
                    _ = ticker.tick() => {
                        if !connection.is_open() || !channel.is_open() {
                            tracing::warn!("amqp subscriber connection closed");
                            return None;
                        }
                    }
                }
            }
        },
    ))
}

impl Broker for AmqpBroker {
    fn publish(&self, payload: Bytes) -> BoxFuture<'_, Result<(), BrokerError>> {
        Box::pin(self.publisher.publish(payload))
    }

    fn subscribe(&self) -> BoxFuture<'_, Result<Subscription, BrokerError>> {
        Box::pin(start_subscription(&self.config, self.connector()))
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    fn url(host: &str, port: u16, user: &str, password: &str, vhost: &str) -> AmqpUrl {
        AmqpUrl {
            host: host.into(),
            port,
            user: user.into(),
            password: password.into(),
            vhost: vhost.into(),
        }
    }

    #[test]
    fn parses_vhost_forms() {
        let root = url("127.0.0.1", 5672, "guest", "guest", "/");
        assert_eq!(
            AmqpUrl::parse("amqp://guest:guest@127.0.0.1:5672//").unwrap(),
            root
        );
        assert_eq!(
            AmqpUrl::parse("amqp://guest:guest@127.0.0.1:5672/%2f").unwrap(),
            root
        );
        assert_eq!(
            AmqpUrl::parse("amqp://guest:guest@127.0.0.1:5672/%2F").unwrap(),
            root
        );
        assert_eq!(
            AmqpUrl::parse("amqp://guest:guest@127.0.0.1:5672").unwrap(),
            root
        );
        assert_eq!(AmqpUrl::parse("amqp://127.0.0.1").unwrap(), root);
        assert_eq!(
            AmqpUrl::parse("AMQP://u%40x:p%3Aw@rabbit:5673/prod").unwrap(),
            url("rabbit", 5673, "u@x", "p:w", "prod")
        );
        assert_eq!(
            AmqpUrl::parse("amqp://[::1]:5672/v").unwrap(),
            url("::1", 5672, "guest", "guest", "v")
        );
        assert_eq!(
            AmqpUrl::parse("amqp://").unwrap(),
            url("localhost", 5672, "guest", "guest", "/")
        );
    }

    #[test]
    fn rejects_bad_urls() {
        assert!(matches!(
            AmqpUrl::parse("amqps://h"),
            Err(BrokerError::Unsupported(_))
        ));
        assert!(matches!(
            AmqpUrl::parse("redis://h"),
            Err(BrokerError::InvalidUrl(_))
        ));
        assert!(matches!(
            AmqpUrl::parse("h:5672"),
            Err(BrokerError::InvalidUrl(_))
        ));
        assert!(matches!(
            AmqpUrl::parse("amqp://h:99999/"),
            Err(BrokerError::InvalidUrl(_))
        ));
        assert!(matches!(
            AmqpUrl::parse("amqp://h/%zz"),
            Err(BrokerError::InvalidUrl(_))
        ));
        assert!(matches!(
            AmqpUrl::parse("amqp://h/%f"),
            Err(BrokerError::InvalidUrl(_))
        ));
    }

    #[tokio::test]
    async fn rejects_exchange_names_amqp_cannot_carry() {
        let long = "x".repeat(MAX_SHORT_STR + 1);
        let err = AmqpBroker::connect("amqp://127.0.0.1:1//", BrokerConfig::with_channel(long))
            .await
            .unwrap_err();
        assert!(matches!(err, BrokerError::InvalidChannel(_)), "{err}");
        // at the limit the name is accepted (and the unreachable port is what fails)
        let cfg = BrokerConfig {
            connect_attempts: 1,
            ..BrokerConfig::with_channel("x".repeat(MAX_SHORT_STR))
        };
        let err = AmqpBroker::connect("amqp://127.0.0.1:1//", cfg)
            .await
            .unwrap_err();
        assert!(
            matches!(err, BrokerError::Connect { attempts: 1, .. }),
            "{err}"
        );
    }
}
