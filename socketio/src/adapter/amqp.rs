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
//! `guest`, the port to 5672; components are percent-decoded.
//!
//! `amqps://` is the same over TLS (feature `tls`: rustls with the ring provider, no OpenSSL),
//! port 5671 by default. The broker's certificate is checked against the system roots and
//! [`TlsOptions::ca_file`], and must name the URL's host; a client certificate is presented
//! when [`TlsOptions::client_cert`] is set. The query parameters aio-pika reads are accepted
//! too and replace those options: `cafile`, `certfile`, `keyfile` (`no_verify_ssl=1` is
//! refused: the certificate is always checked).
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
    PublishLink, Publisher, Subscription, TlsOptions, start_subscription,
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
    /// Whether the connection uses TLS (`amqps://`).
    pub tls: bool,
    /// `cafile`: a CA PEM file trusted for the broker's certificate.
    pub ca_file: Option<std::path::PathBuf>,
    /// `certfile`: the client certificate (PEM).
    pub client_cert: Option<std::path::PathBuf>,
    /// `keyfile`: the client certificate's key (PEM).
    pub client_key: Option<std::path::PathBuf>,
}

fn percent_decode(s: &str) -> Result<String, BrokerError> {
    crate::proto::percent::decode(s)
        .ok_or_else(|| BrokerError::InvalidUrl(format!("bad percent escape or not UTF-8 in `{s}`")))
}

impl AmqpUrl {
    /// Parse `amqp[s]://[user[:password]@]host[:port][/vhost][?cafile=…&certfile=…&keyfile=…]`.
    pub fn parse(url: &str) -> Result<Self, BrokerError> {
        let (scheme, rest) = url
            .split_once("://")
            .ok_or_else(|| BrokerError::InvalidUrl("the URL has no scheme".into()))?;
        let tls = match scheme.to_ascii_lowercase().as_str() {
            "amqp" => false,
            "amqps" => true,
            other => {
                return Err(BrokerError::InvalidUrl(format!(
                    "unknown scheme `{other}` (expected amqp:// or amqps://)"
                )));
            }
        };
        let rest = rest.split('#').next().unwrap_or("");
        let (rest, query) = rest.split_once('?').unwrap_or((rest, ""));
        let (mut ca_file, mut client_cert, mut client_key) = (None, None, None);
        for pair in query.split('&').filter(|p| !p.is_empty()) {
            let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
            let v = percent_decode(&v.replace('+', " "))?;
            match k {
                "cafile" if !v.is_empty() => ca_file = Some(v.into()),
                "certfile" if !v.is_empty() => client_cert = Some(v.into()),
                "keyfile" if !v.is_empty() => client_key = Some(v.into()),
                "no_verify_ssl" if v != "0" && !v.is_empty() => {
                    return Err(BrokerError::Unsupported(
                        "`no_verify_ssl`: the broker's certificate is always checked (trust a \
                         private CA with cafile instead)"
                            .into(),
                    ));
                }
                other => tracing::debug!(parameter = other, "amqp URL parameter ignored"),
            }
        }
        if !tls && (ca_file.is_some() || client_cert.is_some() || client_key.is_some()) {
            return Err(BrokerError::InvalidUrl(
                "cafile / certfile / keyfile need an amqps:// URL".into(),
            ));
        }
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
            None | Some("") if tls => 5671,
            None | Some("") => 5672,
            Some(p) => p
                .parse::<u16>()
                .map_err(|_| BrokerError::InvalidUrl(format!("bad port `{p}` in the URL")))?,
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
            tls,
            ca_file,
            client_cert,
            client_key,
        })
    }

    /// `base` with the TLS values given in the URL put in.
    pub fn tls_options(&self, base: &TlsOptions) -> TlsOptions {
        let mut t = base.clone();
        if let Some(ca) = &self.ca_file {
            t.ca_file = Some(ca.clone());
        }
        if self.client_cert.is_some() || self.client_key.is_some() {
            t.client_cert = self.client_cert.clone();
            t.client_key = self.client_key.clone();
        }
        t
    }

    /// The TLS connector of an `amqps://` URL (built once: it reads the certificate files).
    #[cfg(feature = "tls")]
    fn tls_adaptor(
        &self,
        base: &TlsOptions,
    ) -> Result<Option<amqprs::tls::TlsAdaptor>, BrokerError> {
        if !self.tls {
            return Ok(None);
        }
        let config = super::tls::client_config(&self.tls_options(base), &self.host_port())?;
        let connector = tokio_rustls::TlsConnector::from(Arc::new(config));
        Ok(Some(amqprs::tls::TlsAdaptor::new(
            connector,
            self.host.clone(),
        )))
    }

    #[cfg(not(feature = "tls"))]
    fn tls_adaptor(&self, _: &TlsOptions) -> Result<Option<Tls>, BrokerError> {
        if self.tls {
            return Err(BrokerError::Unsupported(
                "amqps:// (TLS) needs the cargo feature `tls` of socketio".into(),
            ));
        }
        Ok(None)
    }

    #[cfg(feature = "tls")]
    fn host_port(&self) -> String {
        if self.host.contains(':') {
            format!("[{}]:{}", self.host, self.port)
        } else {
            format!("{}:{}", self.host, self.port)
        }
    }

    async fn open(
        &self,
        heartbeat: Duration,
        tls: Option<&Tls>,
    ) -> Result<Connection, BrokerError> {
        let secs = heartbeat.as_secs().clamp(1, u64::from(u16::MAX));
        let mut args =
            OpenConnectionArguments::new(&self.host, self.port, &self.user, &self.password);
        args.virtual_host(&self.vhost)
            .heartbeat(u16::try_from(secs).unwrap_or(u16::MAX));
        #[cfg(feature = "tls")]
        if let Some(tls) = tls {
            args.tls_adaptor(tls.clone());
        }
        #[cfg(not(feature = "tls"))]
        let _ = tls;
        Connection::open(&args).await.map_err(|e| {
            let msg = e.to_string();
            #[cfg(feature = "tls")]
            if tls.is_some() {
                if let Some(err) = super::tls::classify(&self.host_port(), &msg) {
                    return err;
                }
            }
            BrokerError::Broker(msg)
        })
    }
}

/// The TLS connector handed to each connection.
#[cfg(feature = "tls")]
type Tls = amqprs::tls::TlsAdaptor;
/// No TLS in this build.
#[cfg(not(feature = "tls"))]
#[derive(Clone)]
enum Tls {}

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
    tls: Option<Arc<Tls>>,
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
        let tls = url.tls_adaptor(&config.tls)?.map(Arc::new);
        let exchange: Arc<str> = Arc::from(config.channel.as_str());
        let heartbeat = config.health_check_interval;
        let (u, t) = (url.clone(), tls.clone());
        let connect: LinkConnector<AmqpLink> = Arc::new(move || {
            let (url, exchange, tls) = (u.clone(), exchange.clone(), t.clone());
            Box::pin(async move {
                let connection = url.open(heartbeat, tls.as_deref()).await?;
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
            tls,
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
        let tls = self.tls.clone();
        let exchange: Arc<str> = Arc::from(self.config.channel.as_str());
        let interval = self.config.health_check_interval;
        let prefetch = u16::try_from(self.config.queue_capacity.clamp(1, usize::from(u16::MAX)))
            .unwrap_or(u16::MAX);
        Arc::new(move || {
            let (url, exchange, tls) = (url.clone(), exchange.clone(), tls.clone());
            Box::pin(async move {
                let connection = url.open(interval, tls.as_deref()).await?;
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
            tls: false,
            ca_file: None,
            client_cert: None,
            client_key: None,
        }
    }

    #[test]
    fn parses_amqps_and_its_certificate_parameters() {
        let u = AmqpUrl::parse(
            "amqps://u:p@rabbit/v?cafile=/ca.pem&certfile=/c.pem&keyfile=/k%2Bx.pem",
        )
        .unwrap();
        assert!(u.tls);
        assert_eq!(u.port, 5671);
        assert_eq!(u.vhost, "v");
        assert_eq!(u.ca_file.as_deref(), Some(std::path::Path::new("/ca.pem")));
        assert_eq!(
            u.client_cert.as_deref(),
            Some(std::path::Path::new("/c.pem"))
        );
        assert_eq!(
            u.client_key.as_deref(),
            Some(std::path::Path::new("/k+x.pem"))
        );
        let t = u.tls_options(&TlsOptions::default().ca_file("/other.pem"));
        assert_eq!(t.ca_file.as_deref(), Some(std::path::Path::new("/ca.pem")));
        assert!(t.system_roots);
        assert_eq!(AmqpUrl::parse("AMQPS://h:5673").unwrap().port, 5673);
        assert!(AmqpUrl::parse("amqps://h/?no_verify_ssl=0").is_ok());
        assert!(matches!(
            AmqpUrl::parse("amqps://h/?no_verify_ssl=1"),
            Err(BrokerError::Unsupported(_))
        ));
        assert!(matches!(
            AmqpUrl::parse("amqp://h/?cafile=/ca.pem"),
            Err(BrokerError::InvalidUrl(_))
        ));
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
