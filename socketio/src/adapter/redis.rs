//! Redis pub/sub [`Broker`] (feature `redis`), compatible with python-socketio's
//! `RedisManager` / `AsyncRedisManager`: `PUBLISH <channel> <json text>` and a plain
//! `SUBSCRIBE <channel>` (not a pattern), default channel `socketio`.
//!
//! URLs: every form python-socketio's `RedisManager` / `AsyncRedisManager` accepts, parsed
//! by [`RedisUrl::parse`]:
//!
//! * `redis://[[user]:password@]host[:port][/db][?query]` (also `valkey://`): plain TCP, port
//!   6379, db 0 by default;
//! * `rediss://…` (also `valkeys://`): the same over TLS (feature `tls`, rustls), the
//!   certificate checked against the system roots and the host name;
//! * `unix://[[user]:password@]/path/to/redis.sock[?db=N&password=…]` (also `redis+unix://`);
//! * `redis+sentinel://[[user]:password@]h1:p1[,h2:p2…][/db[/service]]` (also
//!   `valkey+sentinel://`): the master of `service` (default: the channel name, as python)
//!   found through the sentinels, and found again on every reconnection, so a failover is
//!   followed. The credentials and db are the master's; the sentinels are asked without.
//!
//! Query parameters, as redis-py reads them: `db` (wins over the path), `username`,
//! `password` (the URL's user info wins), and for TLS `ssl_ca_certs` (a CA PEM file, trusted
//! besides the system roots), `ssl_certfile` and `ssl_keyfile` (a client certificate), which
//! replace [`TlsOptions`]' values; `ssl_cert_reqs=required` and `ssl_check_hostname=true` are
//! accepted, turning either check off is refused. Other parameters are ignored.
//!
//! Built on the [`redis`](https://docs.rs/redis) crate (redis-rs, the de-facto Redis client
//! for Rust, tokio-native, used with its default features off). One multiplexed connection
//! publishes; each [`Subscription`] holds its own pub/sub connection, checked with `PING`
//! every [`BrokerConfig::health_check_interval`] so that a silently dead link is noticed.
//! Reconnection, time bounds and what cannot be promised: see [`crate::adapter::broker`].

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use futures_util::StreamExt as _;

use super::broker::{
    BoxFuture, Broker, BrokerConfig, BrokerError, Connector, LinkConnector, MessageStream,
    PublishLink, Publisher, Subscription, TlsOptions, start_subscription,
};

/// Default Redis port.
const DEFAULT_PORT: u16 = 6379;

/// Where a [`RedisUrl`] leads.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum RedisTarget {
    /// A server over TCP, with TLS when `tls` (`rediss://`, `valkeys://`).
    Tcp {
        /// Host name or address (default `localhost`).
        host: String,
        /// Port (default 6379).
        port: u16,
        /// Whether the connection uses TLS.
        tls: bool,
    },
    /// A server on a Unix socket.
    Unix {
        /// The socket's path.
        path: PathBuf,
    },
    /// The master of a Sentinel-monitored service.
    Sentinel {
        /// The sentinels, tried in order.
        sentinels: Vec<(String, u16)>,
        /// The service (master name); `None`: the channel name, as python-socketio.
        service: Option<String>,
    },
}

/// A Redis URL in any form python-socketio accepts (see the [module docs](self)).
///
/// ```
/// use socketio::adapter::redis::{RedisTarget, RedisUrl};
///
/// let url = RedisUrl::parse("redis+sentinel://:pw@s1:26379,s2:26380/2/mymaster").unwrap();
/// assert_eq!(url.db, 2);
/// assert_eq!(url.password.as_deref(), Some("pw"));
/// assert_eq!(
///     url.target,
///     RedisTarget::Sentinel {
///         sentinels: vec![("s1".into(), 26379), ("s2".into(), 26380)],
///         service: Some("mymaster".into()),
///     }
/// );
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct RedisUrl {
    /// Server, socket or sentinels.
    pub target: RedisTarget,
    /// Database number (default 0).
    pub db: i64,
    /// User name (ACL), if any.
    pub username: Option<String>,
    /// Password, if any.
    pub password: Option<String>,
    /// `ssl_ca_certs`: a CA PEM file trusted for the server's certificate.
    pub ca_file: Option<PathBuf>,
    /// `ssl_certfile`: the client certificate (PEM).
    pub client_cert: Option<PathBuf>,
    /// `ssl_keyfile`: the client certificate's key (PEM).
    pub client_key: Option<PathBuf>,
}

fn invalid(url: &str, why: impl std::fmt::Display) -> BrokerError {
    BrokerError::InvalidUrl(format!("{why} in `{}`", redact(url)))
}

/// The URL with its password replaced by `***` (for error messages).
fn redact(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_owned();
    };
    let auth_end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let authority = rest.get(..auth_end).unwrap_or("");
    match authority.rfind('@') {
        Some(at) => {
            let userinfo = authority.get(..at).unwrap_or("");
            let user = userinfo.split_once(':').map_or(userinfo, |(u, _)| u);
            let masked = if userinfo.contains(':') {
                format!("{user}:***")
            } else {
                user.to_owned()
            };
            format!("{scheme}://{masked}{}", rest.get(at..).unwrap_or(""))
        }
        None => url.to_owned(),
    }
}

fn decode(url: &str, s: &str) -> Result<String, BrokerError> {
    crate::proto::percent::decode(s).ok_or_else(|| invalid(url, "bad percent escape or not UTF-8"))
}

/// `host[:port]` or `[v6]:port`; `default_port` when the port is left out (`None`: required).
fn host_port(url: &str, hp: &str, default_port: Option<u16>) -> Result<(String, u16), BrokerError> {
    let (host, port) = if let Some(h) = hp.strip_prefix('[') {
        let (h, after) = h
            .split_once(']')
            .ok_or_else(|| invalid(url, "unclosed `[` in the host"))?;
        (h, after.strip_prefix(':'))
    } else {
        match hp.rsplit_once(':') {
            Some((h, p)) => (h, Some(p)),
            None => (hp, None),
        }
    };
    let port = match (port, default_port) {
        (None | Some(""), Some(d)) => d,
        (None | Some(""), None) => return Err(invalid(url, format!("`{hp}` has no port"))),
        (Some(p), _) => p
            .parse::<u16>()
            .ok()
            .filter(|p| *p != 0)
            .ok_or_else(|| invalid(url, format!("bad port `{p}`")))?,
    };
    let host = if host.is_empty() {
        "localhost".to_owned()
    } else {
        decode(url, host)?
    };
    Ok((host, port))
}

fn parse_db(url: &str, s: &str) -> Result<i64, BrokerError> {
    s.parse::<i64>()
        .ok()
        .filter(|db| *db >= 0)
        .ok_or_else(|| invalid(url, format!("bad database number `{s}`")))
}

impl RedisUrl {
    /// Parse any URL form of the [module docs](self). Errors are [`BrokerError::InvalidUrl`]
    /// (malformed, unknown scheme) or [`BrokerError::Unsupported`] (a check turned off).
    pub fn parse(url: &str) -> Result<Self, BrokerError> {
        let (scheme, rest) = url
            .split_once("://")
            .ok_or_else(|| invalid(url, "no scheme (expected redis://, rediss://, unix://…)"))?;
        let scheme = scheme.to_ascii_lowercase();
        let rest = rest.split('#').next().unwrap_or("");
        let (rest, query) = rest.split_once('?').unwrap_or((rest, ""));
        let mut out = RedisUrl {
            target: RedisTarget::Unix {
                path: PathBuf::new(),
            },
            db: 0,
            username: None,
            password: None,
            ca_file: None,
            client_cert: None,
            client_key: None,
        };
        // Query first: the user info and path below win where python's do.
        let mut query_db = None;
        for pair in query.split('&').filter(|p| !p.is_empty()) {
            let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
            let v = decode(url, &v.replace('+', " "))?;
            if v.is_empty() {
                continue;
            }
            match k {
                "db" => query_db = Some(parse_db(url, &v)?),
                "username" => out.username = Some(v),
                "password" => out.password = Some(v),
                "ssl_ca_certs" => out.ca_file = Some(v.into()),
                "ssl_certfile" => out.client_cert = Some(v.into()),
                "ssl_keyfile" => out.client_key = Some(v.into()),
                "ssl_cert_reqs" if v.eq_ignore_ascii_case("required") => {}
                "ssl_check_hostname"
                    if matches!(v.to_ascii_lowercase().as_str(), "true" | "1" | "yes" | "y") => {}
                "ssl_cert_reqs" | "ssl_check_hostname" => {
                    return Err(BrokerError::Unsupported(format!(
                        "`{k}={v}`: the broker's certificate and host name are always checked \
                         (trust a private CA with ssl_ca_certs instead)"
                    )));
                }
                other => tracing::debug!(parameter = other, "redis URL parameter ignored"),
            }
        }
        let is_unix = matches!(scheme.as_str(), "unix" | "redis+unix");
        let (authority, path) = if is_unix && rest.starts_with('/') {
            ("", rest)
        } else {
            match rest.find('/') {
                Some(i) => (rest.get(..i).unwrap_or(""), rest.get(i..).unwrap_or("")),
                None => (rest, ""),
            }
        };
        let (userinfo, hosts) = match authority.rfind('@') {
            Some(i) => (authority.get(..i), authority.get(i + 1..).unwrap_or("")),
            None => (None, authority),
        };
        if let Some(ui) = userinfo {
            let (u, p) = ui.split_once(':').unwrap_or((ui, ""));
            if !u.is_empty() {
                out.username = Some(decode(url, u)?);
            }
            if !p.is_empty() {
                out.password = Some(decode(url, p)?);
            }
        }
        let path_db = |path: &str| -> Result<i64, BrokerError> {
            let p = path.replace('/', "");
            if p.is_empty() {
                Ok(0)
            } else {
                parse_db(url, &decode(url, &p)?)
            }
        };
        match scheme.as_str() {
            "redis" | "rediss" | "valkey" | "valkeys" => {
                if hosts.contains(',') {
                    return Err(invalid(url, "several hosts need redis+sentinel://"));
                }
                let (host, port) = host_port(url, hosts, Some(DEFAULT_PORT))?;
                out.target = RedisTarget::Tcp {
                    host,
                    port,
                    tls: matches!(scheme.as_str(), "rediss" | "valkeys"),
                };
                out.db = match query_db {
                    Some(db) => db,
                    None => path_db(path)?,
                };
            }
            "unix" | "redis+unix" => {
                if path.is_empty() || path == "/" {
                    return Err(invalid(url, "no socket path"));
                }
                out.target = RedisTarget::Unix {
                    path: decode(url, path)?.into(),
                };
                out.db = query_db.unwrap_or(0);
            }
            "redis+sentinel" | "valkey+sentinel" => {
                let mut sentinels = Vec::new();
                for hp in hosts.split(',') {
                    sentinels.push(host_port(url, hp, None)?);
                }
                let mut parts = path.split('/').skip(1);
                let db = parts.next().filter(|s| !s.is_empty());
                let service = parts.next().filter(|s| !s.is_empty());
                out.db = match (db, query_db) {
                    (Some(db), _) => parse_db(url, &decode(url, db)?)?,
                    (None, Some(db)) => db,
                    (None, None) => 0,
                };
                out.target = RedisTarget::Sentinel {
                    sentinels,
                    service: service.map(|s| decode(url, s)).transpose()?,
                };
            }
            "amqp" | "amqps" => {
                return Err(invalid(url, "an AMQP URL is not a Redis URL"));
            }
            other => {
                return Err(invalid(
                    url,
                    format!(
                        "unknown scheme `{other}` (expected redis://, rediss://, valkey://, \
                         valkeys://, unix:// or redis+sentinel://)"
                    ),
                ));
            }
        }
        if !out.uses_tls()
            && (out.ca_file.is_some() || out.client_cert.is_some() || out.client_key.is_some())
        {
            return Err(invalid(
                url,
                "ssl_ca_certs / ssl_certfile / ssl_keyfile need a rediss:// or valkeys:// URL",
            ));
        }
        Ok(out)
    }

    /// Whether the connection uses TLS.
    pub fn uses_tls(&self) -> bool {
        matches!(self.target, RedisTarget::Tcp { tls: true, .. })
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

    fn redis_settings(&self) -> ::redis::RedisConnectionInfo {
        let mut info = ::redis::RedisConnectionInfo::default().set_db(self.db);
        if let Some(u) = &self.username {
            info = info.set_username(u);
        }
        if let Some(p) = &self.password {
            info = info.set_password(p);
        }
        info
    }
}

fn redis_error(e: ::redis::RedisError) -> BrokerError {
    BrokerError::Broker(e.to_string())
}

/// How a connection finds its server: a fixed client, or the sentinels' current master.
#[derive(Clone)]
enum Source {
    Direct {
        client: Arc<::redis::Client>,
        /// `host:port` of a TLS server, to name it in certificate errors.
        tls_host: Option<Arc<str>>,
    },
    Sentinel(Arc<tokio::sync::Mutex<::redis::sentinel::SentinelClient>>),
}

impl Source {
    fn new(url: &RedisUrl, config: &BrokerConfig) -> Result<Self, BrokerError> {
        match &url.target {
            RedisTarget::Tcp {
                host,
                port,
                tls: false,
            } => Self::direct(::redis::ConnectionAddr::Tcp(host.clone(), *port), url),
            RedisTarget::Unix { path } => {
                Self::direct(::redis::ConnectionAddr::Unix(path.clone()), url)
            }
            RedisTarget::Tcp {
                host,
                port,
                tls: true,
            } => Self::tls(host, *port, url, config),
            RedisTarget::Sentinel { sentinels, service } => {
                let service = service.as_deref().unwrap_or(&config.channel);
                let addrs = sentinels
                    .iter()
                    .map(|(h, p)| ::redis::ConnectionAddr::Tcp(h.clone(), *p));
                let mut builder = ::redis::sentinel::SentinelClientBuilder::new(
                    addrs,
                    service,
                    ::redis::sentinel::SentinelServerType::Master,
                )
                .map_err(|e| BrokerError::InvalidUrl(e.to_string()))?
                .set_client_to_redis_db(url.db);
                if let Some(u) = &url.username {
                    builder = builder.set_client_to_redis_username(u);
                }
                if let Some(p) = &url.password {
                    builder = builder.set_client_to_redis_password(p);
                }
                let client = builder
                    .build()
                    .map_err(|e| BrokerError::InvalidUrl(e.to_string()))?;
                Ok(Self::Sentinel(Arc::new(tokio::sync::Mutex::new(client))))
            }
        }
    }

    fn direct(addr: ::redis::ConnectionAddr, url: &RedisUrl) -> Result<Self, BrokerError> {
        use ::redis::IntoConnectionInfo as _;
        let info = addr
            .into_connection_info()
            .map_err(|e| BrokerError::InvalidUrl(e.to_string()))?
            .set_redis_settings(url.redis_settings());
        let client =
            ::redis::Client::open(info).map_err(|e| BrokerError::InvalidUrl(e.to_string()))?;
        Ok(Self::Direct {
            client: Arc::new(client),
            tls_host: None,
        })
    }

    #[cfg(feature = "tls")]
    fn tls(
        host: &str,
        port: u16,
        url: &RedisUrl,
        config: &BrokerConfig,
    ) -> Result<Self, BrokerError> {
        use ::redis::IntoConnectionInfo as _;
        super::tls::install_provider();
        let opts = url.tls_options(&config.tls);
        let name: Arc<str> = Arc::from(format!("{host}:{port}"));
        let addr = ::redis::ConnectionAddr::TcpTls {
            host: host.to_owned(),
            port,
            insecure: false,
            tls_params: None,
        };
        let info = addr
            .into_connection_info()
            .map_err(|e| BrokerError::InvalidUrl(e.to_string()))?
            .set_redis_settings(url.redis_settings());
        let root_cert = super::tls::roots_pem(&opts, &name)?;
        let client_tls = super::tls::client_pem(&opts)?.map(|(client_cert, client_key)| {
            ::redis::ClientTlsConfig {
                client_cert,
                client_key,
            }
        });
        let client = if root_cert.is_none() && client_tls.is_none() {
            ::redis::Client::open(info)
        } else {
            ::redis::Client::build_with_tls(
                info,
                ::redis::TlsCertificates {
                    client_tls,
                    root_cert,
                },
            )
        }
        .map_err(|e| BrokerError::Tls {
            host: name.to_string(),
            reason: e.to_string(),
        })?;
        Ok(Self::Direct {
            client: Arc::new(client),
            tls_host: Some(name),
        })
    }

    #[cfg(not(feature = "tls"))]
    fn tls(_: &str, _: u16, _: &RedisUrl, _: &BrokerConfig) -> Result<Self, BrokerError> {
        Err(BrokerError::Unsupported(
            "rediss:// / valkeys:// (TLS) needs the cargo feature `tls` of socketio".into(),
        ))
    }

    /// The client of the server to use now (for Sentinel: the current master).
    async fn client(&self) -> Result<(::redis::Client, Option<Arc<str>>), BrokerError> {
        match self {
            Self::Direct { client, tls_host } => Ok(((**client).clone(), tls_host.clone())),
            Self::Sentinel(s) => {
                let client = s.lock().await.async_get_client().await.map_err(|e| {
                    BrokerError::Broker(format!("no master from the sentinels: {e}"))
                })?;
                tracing::debug!(master = ?client.get_connection_info().addr(), "sentinel master");
                Ok((client, None))
            }
        }
    }
}

/// A client-library error, as a [`BrokerError::Tls`] when the connection was TLS and the
/// handshake is what failed.
fn connect_error(tls_host: Option<&str>, e: ::redis::RedisError) -> BrokerError {
    let msg = e.to_string();
    if let Some(host) = tls_host {
        #[cfg(feature = "tls")]
        if let Some(tls) = super::tls::classify(host, &msg) {
            return tls;
        }
        let _ = host;
    }
    BrokerError::Broker(msg)
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

    /// One pipeline of `PUBLISH`es: one write, one round trip. All or nothing as far as this
    /// side can tell (an error may come after Redis took some of them).
    fn send_batch(
        &self,
        payloads: Vec<Bytes>,
    ) -> BoxFuture<'static, (usize, Result<(), BrokerError>)> {
        let mut conn = self.conn.clone();
        let channel = self.channel.clone();
        Box::pin(async move {
            let mut pipe = ::redis::pipe();
            for payload in &payloads {
                pipe.cmd("PUBLISH")
                    .arg(&*channel)
                    .arg(payload.as_ref())
                    .ignore();
            }
            match pipe.query_async::<()>(&mut conn).await {
                Ok(()) => (payloads.len(), Ok(())),
                Err(e) => (0, Err(redis_error(e))),
            }
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
    source: Source,
    config: BrokerConfig,
    publisher: Publisher<RedisLink>,
}

impl std::fmt::Debug for RedisBroker {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RedisBroker")
            .field("channel", &self.config.channel)
            .field("sentinel", &matches!(self.source, Source::Sentinel(_)))
            .finish_non_exhaustive()
    }
}

impl RedisBroker {
    /// Connect the publishing side to the Redis server `url` names (any form of the
    /// [module docs](self); retrying as configured), on `config.channel`. Fails with
    /// [`BrokerError::Connect`] if the server cannot be reached, [`BrokerError::Tls`] at once
    /// when its certificate is refused (or it refuses ours).
    pub async fn connect(url: &str, config: BrokerConfig) -> Result<Self, BrokerError> {
        if config.channel.is_empty() {
            return Err(BrokerError::InvalidChannel(
                "the channel name is empty".into(),
            ));
        }
        let parsed = RedisUrl::parse(url)?;
        let source = Source::new(&parsed, &config)?;
        let channel: Arc<str> = Arc::from(config.channel.as_str());
        let conn_config = ::redis::AsyncConnectionConfig::new()
            .set_connection_timeout(Some(config.connect_timeout))
            .set_response_timeout(Some(config.publish_timeout));
        let src = source.clone();
        let connect: LinkConnector<RedisLink> = Arc::new(move || {
            let (source, channel, conn_config) =
                (src.clone(), channel.clone(), conn_config.clone());
            Box::pin(async move {
                let (client, tls_host) = source.client().await?;
                let conn = client
                    .get_multiplexed_async_connection_with_config(&conn_config)
                    .await
                    .map_err(|e| connect_error(tls_host.as_deref(), e))?;
                Ok(RedisLink { conn, channel })
            })
        });
        let publisher = Publisher::connect(&config, connect).await?;
        Ok(Self {
            source,
            config,
            publisher,
        })
    }

    /// The channel this broker publishes and subscribes on.
    pub fn channel(&self) -> &str {
        &self.config.channel
    }

    fn connector(&self) -> Connector {
        let source = self.source.clone();
        let channel: Arc<str> = Arc::from(self.config.channel.as_str());
        let interval = self.config.health_check_interval;
        let max = self.config.max_message_bytes;
        Arc::new(move || {
            let (source, channel) = (source.clone(), channel.clone());
            Box::pin(async move {
                let (client, tls_host) = source.client().await?;
                let mut pubsub = client
                    .get_async_pubsub()
                    .await
                    .map_err(|e| connect_error(tls_host.as_deref(), e))?;
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

    fn publish_batch(
        &self,
        payloads: Vec<Bytes>,
    ) -> BoxFuture<'_, (usize, Result<(), BrokerError>)> {
        Box::pin(self.publisher.publish_batch(payloads))
    }

    fn subscribe(&self) -> BoxFuture<'_, Result<Subscription, BrokerError>> {
        Box::pin(start_subscription(&self.config, self.connector()))
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    #[test]
    fn message_size_at_limit_is_read_and_limit_plus_one_dropped() {
        assert!(within_limit(1024, 1024));
        assert!(!within_limit(1025, 1024));
        assert!(within_limit(0, 0));
    }

    #[test]
    fn url_schemes() {
        assert!(RedisUrl::parse("redis://127.0.0.1:6379/0").is_ok());
        assert!(RedisUrl::parse("unix:///tmp/redis.sock").is_ok());
        assert!(matches!(
            RedisUrl::parse("amqp://h"),
            Err(BrokerError::InvalidUrl(_))
        ));
        assert!(matches!(
            RedisUrl::parse("127.0.0.1:6379"),
            Err(BrokerError::InvalidUrl(_))
        ));
        assert!(matches!(
            RedisUrl::parse("memcached://h"),
            Err(BrokerError::InvalidUrl(m)) if m.contains("memcached")
        ));
    }

    fn tcp(host: &str, port: u16, tls: bool) -> RedisTarget {
        RedisTarget::Tcp {
            host: host.into(),
            port,
            tls,
        }
    }

    #[test]
    fn tcp_forms_as_redis_py_reads_them() {
        let u = RedisUrl::parse("redis://").unwrap();
        assert_eq!(u.target, tcp("localhost", 6379, false));
        assert_eq!((u.db, u.username, u.password), (0, None, None));
        let u = RedisUrl::parse("REDIS://h:7000/3").unwrap();
        assert_eq!((u.target, u.db), (tcp("h", 7000, false), 3));
        let u = RedisUrl::parse("rediss://u%40x:p%3Aw@cache.example:6380/2?db=5").unwrap();
        assert_eq!(u.target, tcp("cache.example", 6380, true));
        assert_eq!(u.db, 5, "the query's db wins over the path");
        assert_eq!(u.username.as_deref(), Some("u@x"));
        assert_eq!(u.password.as_deref(), Some("p:w"));
        assert!(u.uses_tls());
        let u = RedisUrl::parse("redis://:secret@h").unwrap();
        assert_eq!((u.username, u.password.as_deref()), (None, Some("secret")));
        let u = RedisUrl::parse("valkey://[::1]:6390/1").unwrap();
        assert_eq!((u.target, u.db), (tcp("::1", 6390, false), 1));
        let u = RedisUrl::parse("valkeys://v.example/").unwrap();
        assert_eq!((u.target, u.db), (tcp("v.example", 6379, true), 0));
        let u = RedisUrl::parse("redis://h/?password=q&username=me").unwrap();
        assert_eq!(u.password.as_deref(), Some("q"));
        assert_eq!(u.username.as_deref(), Some("me"));
        let u = RedisUrl::parse("redis://a:b@h/?password=q").unwrap();
        assert_eq!(u.password.as_deref(), Some("b"), "the user info wins");
    }

    #[test]
    fn tls_parameters() {
        let u = RedisUrl::parse(
            "rediss://h:6380/0?ssl_ca_certs=/etc/ca%20x.pem&ssl_certfile=/c.pem&ssl_keyfile=/k.pem\
             &ssl_cert_reqs=required&ssl_check_hostname=true&socket_timeout=3",
        )
        .unwrap();
        assert_eq!(u.ca_file, Some(PathBuf::from("/etc/ca x.pem")));
        assert_eq!(u.client_cert, Some(PathBuf::from("/c.pem")));
        assert_eq!(u.client_key, Some(PathBuf::from("/k.pem")));
        let t = u.tls_options(
            &TlsOptions::default()
                .ca_file("/base.pem")
                .client_cert("/a", "/b"),
        );
        assert_eq!(t.ca_file, Some(PathBuf::from("/etc/ca x.pem")));
        assert_eq!(t.client_cert, Some(PathBuf::from("/c.pem")));
        assert_eq!(t.client_key, Some(PathBuf::from("/k.pem")));
        let base = TlsOptions::default().ca_file("/base.pem");
        let t = RedisUrl::parse("rediss://h").unwrap().tls_options(&base);
        assert_eq!(t, base, "a URL without parameters keeps the config's");
        for off in [
            "ssl_cert_reqs=none",
            "ssl_cert_reqs=optional",
            "ssl_check_hostname=false",
        ] {
            assert!(
                matches!(
                    RedisUrl::parse(&format!("rediss://h/?{off}")),
                    Err(BrokerError::Unsupported(_))
                ),
                "{off}"
            );
        }
        assert!(matches!(
            RedisUrl::parse("redis://h/?ssl_ca_certs=/ca.pem"),
            Err(BrokerError::InvalidUrl(m)) if m.contains("rediss://")
        ));
    }

    #[test]
    fn unix_forms() {
        let u = RedisUrl::parse("unix:///run/redis/redis.sock?db=4&password=pw").unwrap();
        assert_eq!(
            u.target,
            RedisTarget::Unix {
                path: "/run/redis/redis.sock".into()
            }
        );
        assert_eq!((u.db, u.password.as_deref()), (4, Some("pw")));
        let u = RedisUrl::parse("redis+unix://me:pw@/tmp/r.sock").unwrap();
        assert_eq!(
            u.target,
            RedisTarget::Unix {
                path: "/tmp/r.sock".into()
            }
        );
        assert_eq!(u.username.as_deref(), Some("me"));
        assert_eq!(u.password.as_deref(), Some("pw"));
        assert!(matches!(
            RedisUrl::parse("unix://"),
            Err(BrokerError::InvalidUrl(_))
        ));
    }

    #[test]
    fn sentinel_forms_as_python_socketio_reads_them() {
        let u = RedisUrl::parse("redis+sentinel://user:pw@s1:26379,[::1]:26380,s3:1/3/mymaster")
            .unwrap();
        assert_eq!(
            u.target,
            RedisTarget::Sentinel {
                sentinels: vec![
                    ("s1".into(), 26379),
                    ("::1".into(), 26380),
                    ("s3".into(), 1)
                ],
                service: Some("mymaster".into()),
            }
        );
        assert_eq!(u.db, 3);
        assert_eq!(u.username.as_deref(), Some("user"));
        assert_eq!(u.password.as_deref(), Some("pw"));
        // no service: the channel name is used (decided at connect)
        let u = RedisUrl::parse("valkey+sentinel://h:26379/0").unwrap();
        assert_eq!(
            u.target,
            RedisTarget::Sentinel {
                sentinels: vec![("h".into(), 26379)],
                service: None,
            }
        );
        let u = RedisUrl::parse("redis+sentinel://h:26379").unwrap();
        assert_eq!(u.db, 0);
        let u = RedisUrl::parse("redis+sentinel://h:26379//svc").unwrap();
        assert_eq!(u.db, 0);
        assert!(matches!(u.target, RedisTarget::Sentinel { service: Some(s), .. } if s == "svc"));
        // python requires a port on every sentinel
        for bad in [
            "redis+sentinel://h/0/m",
            "redis+sentinel://h:1,h2/0/m",
            "redis+sentinel://h:x/0/m",
            "redis+sentinel://h:1/notanumber/m",
            "redis+sentinel://h:99999/0/m",
        ] {
            assert!(
                matches!(RedisUrl::parse(bad), Err(BrokerError::InvalidUrl(_))),
                "{bad}"
            );
        }
    }

    #[test]
    fn malformed_urls_are_refused_without_leaking_the_password() {
        for bad in [
            "redis://u:hunter2@h:notaport/0",
            "redis://u:hunter2@h/abc",
            "redis://u:hunter2@h/-1",
            "redis://u:hunter2@[::1/0",
            "redis://u:hunter2@h1:1,h2:2/0",
            "redis://u:hunter2@h/%zz",
            "rediss://u:hunter2@h:0",
        ] {
            match RedisUrl::parse(bad) {
                Err(BrokerError::InvalidUrl(m)) => {
                    assert!(!m.contains("hunter2"), "{bad}: {m}");
                }
                other => panic!("{bad}: {other:?}"),
            }
        }
    }

    #[cfg(not(feature = "tls"))]
    #[tokio::test]
    async fn tls_without_the_feature_is_a_clear_error() {
        let err = RedisBroker::connect("rediss://h:6380", BrokerConfig::default())
            .await
            .unwrap_err();
        assert!(
            matches!(&err, BrokerError::Unsupported(m) if m.contains("`tls`")),
            "{err}"
        );
    }

    #[cfg(feature = "tls")]
    #[tokio::test]
    async fn unreadable_ca_file_is_a_tls_error_naming_the_file() {
        let err = RedisBroker::connect(
            "rediss://127.0.0.1:1/0?ssl_ca_certs=/nonexistent/ca.pem",
            BrokerConfig::default(),
        )
        .await
        .unwrap_err();
        assert!(
            matches!(&err, BrokerError::Tls { host, .. } if host == "/nonexistent/ca.pem"),
            "{err}"
        );
    }
}
