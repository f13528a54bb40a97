//! The deployment guide's example (`docs/deployment.md`): the settings a server behind a
//! reverse proxy needs, read from the environment ([`Settings::from_env`]). `deploy/` holds
//! the nginx and Caddy configurations the guide explains.

use std::time::Duration;

use http::HeaderName;
use socketio::engine::Cookie;
use socketio::{Handshake, Socket, SocketIo};

/// What the server needs to know about the proxy in front of it.
#[derive(Debug, Clone)]
pub struct Settings {
    /// The header the proxy sets to the client's address (`TRUSTED_PROXY_HEADER`, e.g.
    /// `x-forwarded-for`); `None`: the socket's peer address (the proxy's!) is the client's.
    pub trusted_proxy_header: Option<HeaderName>,
    /// Most sessions from one client address (`MAX_CONNECTIONS_PER_IP`).
    pub max_connections_per_ip: Option<usize>,
    /// Most sessions in all (`MAX_CONNECTIONS`).
    pub max_connections: Option<usize>,
    /// Set the `io` sticky-session cookie on polling handshakes (`STICKY_COOKIE=1`), for a
    /// load balancer that keeps a client on one server by that cookie.
    pub sticky_cookie: bool,
    /// Engine.IO `pingInterval` (`PING_INTERVAL_S`, default 25 s): the proxy's read timeout
    /// must be longer.
    pub ping_interval: Duration,
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            trusted_proxy_header: None,
            max_connections_per_ip: None,
            max_connections: None,
            sticky_cookie: false,
            ping_interval: Duration::from_secs(25),
        }
    }
}

impl Settings {
    /// The defaults, overridden by `TRUSTED_PROXY_HEADER`, `MAX_CONNECTIONS_PER_IP`,
    /// `MAX_CONNECTIONS`, `STICKY_COOKIE` and `PING_INTERVAL_S`.
    pub fn from_env() -> Result<Self, String> {
        let var = |k: &str| std::env::var(k).ok().filter(|v| !v.trim().is_empty());
        let num = |k: &str| -> Result<Option<u64>, String> {
            var(k)
                .map(|v| v.trim().parse().map_err(|e| format!("{k}={v}: {e}")))
                .transpose()
        };
        let d = Self::default();
        let header = var("TRUSTED_PROXY_HEADER")
            .map(|v| {
                HeaderName::try_from(v.trim().to_ascii_lowercase())
                    .map_err(|e| format!("TRUSTED_PROXY_HEADER={v}: {e}"))
            })
            .transpose()?;
        let size = |k: &str| -> Result<Option<usize>, String> {
            num(k)?
                .map(|n| usize::try_from(n).map_err(|e| format!("{k}: {e}")))
                .transpose()
        };
        Ok(Self {
            trusted_proxy_header: header,
            max_connections_per_ip: size("MAX_CONNECTIONS_PER_IP")?,
            max_connections: size("MAX_CONNECTIONS")?,
            sticky_cookie: var("STICKY_COOKIE").is_some_and(|v| v == "1"),
            ping_interval: num("PING_INTERVAL_S")?
                .map(Duration::from_secs)
                .unwrap_or(d.ping_interval),
        })
    }

    /// The Socket.IO server these settings describe. Clients are greeted with `client`,
    /// carrying the peer address the server saw and the forwarded header as received.
    pub fn socketio(&self) -> Result<SocketIo, socketio::BuildError> {
        let io = SocketIo::builder()
            .trusted_proxy_header(self.trusted_proxy_header.clone())
            .max_connections_per_ip(self.max_connections_per_ip)
            .max_connections(self.max_connections)
            .cookie(self.sticky_cookie.then(Cookie::default))
            .ping_interval(self.ping_interval)
            .build()?;
        let header = self.trusted_proxy_header.clone();
        io.of("/")
            .on_connect(move |socket: Socket, handshake: Handshake| {
                let forwarded = header
                    .as_ref()
                    .and_then(|h| handshake.headers().get(h))
                    .and_then(|v| v.to_str().ok())
                    .map(str::to_owned);
                let peer = handshake.remote_addr().map(|a| a.to_string());
                let _ = socket.emit("client", &(peer, forwarded));
                async {}
            })
            .on("echo", async |args: socketio::Args| args);
        Ok(io)
    }
}
