//! The official [Socket.IO Admin UI](https://socket.io/docs/v4/admin-ui/) for this server:
//! python-socketio's `instrument()`, speaking the protocol of `@socket.io/admin-ui` 0.5.x.
//!
//! [`instrument`] registers an ordinary namespace (`/admin` by default) whose clients must
//! log in with a user name and password. A logged-in UI receives the server's `config`
//! (the features it may use), the list of connected sockets (with their rooms and
//! handshake) and, every [`AdminOptions::server_stats_interval`], a `server_stats` message
//! (clients, polling clients, sockets per namespace, aggregated event counters). Unless
//! [`AdminOptions::read_only`], it may make sockets join and leave rooms, emit to them and
//! disconnect them.
//!
//! ```no_run
//! use socketio::SocketIo;
//! use socketio::admin::{self, AdminOptions, Auth};
//!
//! # async fn f() -> Result<(), Box<dyn std::error::Error>> {
//! let io = SocketIo::builder().build()?;
//! // The UI connects cross-origin (https://admin.socket.io or a local copy of `ui/dist`).
//! let _admin = admin::instrument(&io, AdminOptions::new(Auth::basic("admin", "s3cret")))?;
//! # Ok(()) }
//! ```
//!
//! Differences from the Node package: passwords are compared as given (Node compares a
//! bcrypt hash; keep the admin namespace behind TLS), the UI's persisted `sessionId` login is
//! not supported (the UI asks for the password again after a reload), the actions apply
//! to the sockets of this server only, not to the whole cluster, and a transport upgrade
//! after connect is not reported (no `socket_updated`).

mod serialize;
mod stats;

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime};

use serde_json::Value as Json;
use tokio::task::JoinHandle;

use crate::server::tree::Observer;
use crate::sync::lock;
use crate::{Args, ConnectError, DisconnectReason, Handshake, Namespace, Socket, SocketIo};

use stats::{EventBuffer, ServerStats};

/// A user allowed to log in to the Admin UI.
#[derive(Clone)]
pub struct Credentials {
    /// The UI's "Username" field.
    pub username: String,
    /// The UI's "Password" field, compared as given.
    pub password: String,
}

impl std::fmt::Debug for Credentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Credentials")
            .field("username", &self.username)
            .finish_non_exhaustive()
    }
}

/// A custom check of the UI's auth payload (`{"username": .., "password": ..}`).
pub type AuthFn = Arc<dyn Fn(&Json) -> bool + Send + Sync>;

/// Who may connect to the admin namespace (python's `auth` argument).
#[derive(Clone)]
#[non_exhaustive]
pub enum Auth {
    /// Anyone (python's `auth=False`). Only for a server nobody else can reach.
    Disabled,
    /// Any of these users (python's dict or list of dicts).
    Credentials(Vec<Credentials>),
    /// A function of the auth payload (python's callable).
    Custom(AuthFn),
}

impl Auth {
    /// One user.
    pub fn basic(username: impl Into<String>, password: impl Into<String>) -> Self {
        Self::Credentials(vec![Credentials {
            username: username.into(),
            password: password.into(),
        }])
    }

    /// Parse `user:password` (the password may contain `:`); `None` without a `:`.
    ///
    /// ```
    /// assert!(socketio::admin::Auth::parse("admin:pa:ss").is_some());
    /// assert!(socketio::admin::Auth::parse("admin").is_none());
    /// ```
    pub fn parse(user_password: &str) -> Option<Self> {
        let (user, password) = user_password.split_once(':')?;
        Some(Self::basic(user, password))
    }

    fn allows(&self, payload: &Json) -> bool {
        match self {
            Self::Disabled => true,
            Self::Custom(f) => f(payload),
            Self::Credentials(users) => {
                let field = |k: &str| payload.get(k).and_then(Json::as_str);
                let (Some(user), Some(password)) = (field("username"), field("password")) else {
                    return false;
                };
                // Every entry is compared, so the time taken does not tell which matched.
                users.iter().fold(false, |ok, c| {
                    let u = constant_time_eq(c.username.as_bytes(), user.as_bytes());
                    let p = constant_time_eq(c.password.as_bytes(), password.as_bytes());
                    ok | (u & p)
                })
            }
        }
    }
}

impl std::fmt::Debug for Auth {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Disabled => f.write_str("Disabled"),
            Self::Credentials(c) => f.debug_tuple("Credentials").field(c).finish(),
            Self::Custom(_) => f.write_str("Custom(..)"),
        }
    }
}

/// Compare without an early exit on the first differing byte (the length still shows).
fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// How much the UI is told (python's `mode`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum Mode {
    /// Every socket, room and event as it happens (`ALL_EVENTS`): the UI's full views.
    #[default]
    Development,
    /// Only the aggregated counters of `server_stats`: cheap on a busy server.
    Production,
}

/// [`instrument`]'s settings; python's parameter names.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct AdminOptions {
    /// Who may log in.
    pub auth: Auth,
    /// Development (default) or production.
    pub mode: Mode,
    /// Refuse the actions (join, leave, emit, disconnect). Default false.
    pub read_only: bool,
    /// The admin namespace. Default `/admin`.
    pub namespace: String,
    /// The `serverId` the UI shows. Default: the host name.
    pub server_id: Option<String>,
    /// How often `server_stats` is sent. Default 2 s (the UI's expectation).
    pub server_stats_interval: Duration,
}

impl AdminOptions {
    /// The defaults, with `auth`.
    pub fn new(auth: Auth) -> Self {
        Self {
            auth,
            mode: Mode::default(),
            read_only: false,
            namespace: "/admin".into(),
            server_id: None,
            server_stats_interval: Duration::from_secs(2),
        }
    }

    /// Set [`mode`](Self::mode).
    pub fn mode(mut self, mode: Mode) -> Self {
        self.mode = mode;
        self
    }

    /// Set [`read_only`](Self::read_only).
    pub fn read_only(mut self, read_only: bool) -> Self {
        self.read_only = read_only;
        self
    }

    /// Set [`namespace`](Self::namespace).
    pub fn namespace(mut self, namespace: impl Into<String>) -> Self {
        self.namespace = namespace.into();
        self
    }

    /// Set [`server_id`](Self::server_id).
    pub fn server_id(mut self, server_id: impl Into<String>) -> Self {
        self.server_id = Some(server_id.into());
        self
    }

    /// Set [`server_stats_interval`](Self::server_stats_interval).
    pub fn server_stats_interval(mut self, interval: Duration) -> Self {
        self.server_stats_interval = interval;
        self
    }
}

/// Why [`instrument`] refused its options.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum AdminError {
    /// The namespace must start with `/` and be neither `/` nor the catch-all `*`.
    InvalidNamespace(String),
    /// [`Auth::Credentials`] with no user: nobody could log in.
    NoCredentials,
    /// The stats interval must be at least 100 ms.
    IntervalTooShort(Duration),
    /// The server is instrumented already (one admin namespace per server).
    AlreadyInstrumented,
}

impl std::fmt::Display for AdminError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::InvalidNamespace(ns) => write!(f, "invalid admin namespace {ns:?}"),
            Self::NoCredentials => f.write_str("admin auth lists no credentials"),
            Self::IntervalTooShort(d) => write!(f, "server_stats_interval {d:?} is under 100 ms"),
            Self::AlreadyInstrumented => f.write_str("the server is instrumented already"),
        }
    }
}

impl std::error::Error for AdminError {}

/// The admin instrumentation of one server, returned by [`instrument`]. Dropping it changes
/// nothing (the namespace stays registered); [`Admin::shutdown`] stops the stats.
#[derive(Clone)]
pub struct Admin {
    inner: Arc<Inner>,
}

impl std::fmt::Debug for Admin {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Admin")
            .field("namespace", &self.inner.options.namespace)
            .field("server_id", &self.inner.server_id)
            .finish_non_exhaustive()
    }
}

struct Inner {
    options: AdminOptions,
    server_id: String,
    hostname: String,
    pid: u32,
    started: Instant,
    buffer: Mutex<EventBuffer>,
    stats: Mutex<StatsTask>,
    /// Admins logged in now (mirrors `StatsTask::admins` for the observer's quick check).
    online: AtomicUsize,
}

/// The `server_stats` task runs while at least one admin is connected.
#[derive(Default)]
struct StatsTask {
    admins: usize,
    handle: Option<JoinHandle<()>>,
    stopped: bool,
}

/// Make `io` observable by the Admin UI: registers the admin namespace
/// ([`AdminOptions::namespace`]) with its connect check and actions. Call it before clients
/// connect; the stats task starts on the first admin login (on the current tokio runtime).
///
/// ```no_run
/// # fn f(io: &socketio::SocketIo) -> Result<(), socketio::admin::AdminError> {
/// use socketio::admin::{AdminOptions, Auth, Mode};
///
/// let options = AdminOptions::new(Auth::basic("admin", "s3cret"))
///     .mode(Mode::Production)
///     .read_only(true)
///     .server_id("eu-1");
/// socketio::admin::instrument(io, options)?;
/// # Ok(()) }
/// ```
pub fn instrument(io: &SocketIo, options: AdminOptions) -> Result<Admin, AdminError> {
    let ns = options.namespace.trim();
    if !ns.starts_with('/') || ns == "/" || ns.contains('*') {
        return Err(AdminError::InvalidNamespace(options.namespace.clone()));
    }
    if matches!(&options.auth, Auth::Credentials(c) if c.is_empty()) {
        return Err(AdminError::NoCredentials);
    }
    if options.server_stats_interval < Duration::from_millis(100) {
        return Err(AdminError::IntervalTooShort(options.server_stats_interval));
    }
    let hostname = hostname();
    let inner = Arc::new(Inner {
        server_id: options
            .server_id
            .clone()
            .unwrap_or_else(|| hostname.clone()),
        hostname,
        pid: std::process::id(),
        started: Instant::now(),
        buffer: Mutex::new(EventBuffer::default()),
        stats: Mutex::new(StatsTask::default()),
        online: AtomicUsize::new(0),
        options,
    });
    let observer = AdminObserver {
        admin: inner.clone(),
        ns: io.of(&inner.options.namespace),
    };
    if !io.set_observer(Arc::new(observer)) {
        return Err(AdminError::AlreadyInstrumented);
    }
    register(io, &inner);
    Ok(Admin { inner })
}

impl Admin {
    /// The admin namespace's path.
    pub fn namespace(&self) -> &str {
        &self.inner.options.namespace
    }

    /// Stop sending `server_stats`, for good. Connected admins stay connected.
    pub fn shutdown(&self) {
        let mut task = lock(&self.inner.stats);
        task.stopped = true;
        if let Some(h) = task.handle.take() {
            h.abort();
        }
    }
}

fn register(io: &SocketIo, inner: &Arc<Inner>) {
    let ns = io.of(&inner.options.namespace);
    let admin = inner.clone();
    ns.on_connect(move |io: SocketIo, socket: Socket, hs: Handshake| {
        let admin = admin.clone();
        async move { admin.on_admin_connect(&io, &socket, &hs) }
    });
    let admin = inner.clone();
    ns.on_disconnect(move || {
        let admin = admin.clone();
        async move {
            let mut task = lock(&admin.stats);
            task.admins = task.admins.saturating_sub(1);
            admin.online.store(task.admins, Ordering::Release);
        }
    });
    if inner.options.read_only {
        return;
    }
    ns.on("join", |io: SocketIo, args: Args| async move {
        let (Ok(nsp), Ok(room), Ok(filter)) = (
            args.get::<String>(0),
            args.get::<String>(1),
            args.get::<Option<String>>(2),
        ) else {
            return;
        };
        let ns = io.of(&nsp);
        for s in targets(&ns, filter.as_deref()) {
            // A refused room (too long, too many) is refused here as for the socket itself.
            let _ = s.join(&room);
        }
    });
    ns.on("leave", |io: SocketIo, args: Args| async move {
        let (Ok(nsp), Ok(room), Ok(filter)) = (
            args.get::<String>(0),
            args.get::<String>(1),
            args.get::<Option<String>>(2),
        ) else {
            return;
        };
        let ns = io.of(&nsp);
        for s in targets(&ns, filter.as_deref()) {
            s.leave(&room);
        }
    });
    ns.on("_disconnect", |io: SocketIo, args: Args| async move {
        let (Ok(nsp), Ok(close), Ok(filter)) = (
            args.get::<String>(0),
            args.get::<Option<bool>>(1),
            args.get::<Option<String>>(2),
        ) else {
            return;
        };
        let ns = io.of(&nsp);
        for s in targets(&ns, filter.as_deref()) {
            // The observer reports `socket_disconnected`.
            if close.unwrap_or(false) {
                s.close_connection();
            } else {
                s.disconnect();
            }
        }
    });
    ns.on("emit", |io: SocketIo, args: Args| async move {
        let (Ok(nsp), Ok(filter), Ok(event)) = (
            args.get::<String>(0),
            args.get::<Option<String>>(1),
            args.get::<String>(2),
        ) else {
            return;
        };
        let ns = io.of(&nsp);
        let data = args.rest(3);
        let _ = match filter {
            Some(room) => ns.to(room).emit(&event, &data),
            None => ns.emit(&event, &data),
        };
    });
}

/// The sockets an action applies to: `filter` is a socket id or a room name (as the UI
/// sends it); none means every socket of the namespace.
fn targets(ns: &Namespace, filter: Option<&str>) -> Vec<Socket> {
    match filter {
        None => ns.sockets(),
        Some(f) => match ns.socket(f) {
            Some(s) => vec![s],
            None => ns
                .room_members(f)
                .iter()
                .filter_map(|sid| ns.socket(sid))
                .collect(),
        },
    }
}

impl Inner {
    fn on_admin_connect(
        self: &Arc<Self>,
        io: &SocketIo,
        socket: &Socket,
        hs: &Handshake,
    ) -> Result<(), ConnectError> {
        let payload = hs.auth::<Json>().unwrap_or(Json::Null);
        if !self.options.auth.allows(&payload) {
            // The message the UI translates as "invalid credentials".
            return Err(ConnectError::new("invalid credentials"));
        }
        self.admin_joined(io);
        let _ = socket.emit(
            "config",
            &serde_json::json!({ "supportedFeatures": self.features() }),
        );
        if self.options.mode == Mode::Development {
            let _ = socket.emit("all_sockets", &self.all_sockets(io));
        }
        Ok(())
    }

    fn features(&self) -> Vec<&'static str> {
        let mut f = vec!["AGGREGATED_EVENTS"];
        if !self.options.read_only {
            f.extend([
                "EMIT",
                "JOIN",
                "LEAVE",
                "DISCONNECT",
                "MJOIN",
                "MLEAVE",
                "MDISCONNECT",
            ]);
        }
        if self.options.mode == Mode::Development {
            f.push("ALL_EVENTS");
        }
        f
    }

    fn all_sockets(&self, io: &SocketIo) -> Vec<serialize::SocketView> {
        let mut names = io.namespaces();
        names.sort();
        let mut out = Vec::new();
        for name in names {
            let redact = name == self.options.namespace;
            out.extend(
                io.of(&name)
                    .sockets()
                    .iter()
                    .map(|s| serialize::socket_view(s, redact)),
            );
        }
        out
    }

    /// Count one more admin; start the stats task if it is not running.
    fn admin_joined(self: &Arc<Self>, io: &SocketIo) {
        let mut task = lock(&self.stats);
        task.admins += 1;
        self.online.store(task.admins, Ordering::Release);
        if task.stopped || task.handle.as_ref().is_some_and(|h| !h.is_finished()) {
            return;
        }
        let admin = self.clone();
        let io = io.clone();
        task.handle = Some(tokio::spawn(async move { admin.stats_loop(io).await }));
    }

    /// Send `server_stats` every interval until no admin is connected.
    async fn stats_loop(self: Arc<Self>, io: SocketIo) {
        let mut tick = tokio::time::interval(self.options.server_stats_interval);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        tick.tick().await;
        loop {
            tick.tick().await;
            {
                let mut task = lock(&self.stats);
                if task.admins == 0 {
                    task.handle = None;
                    return;
                }
            }
            let (clients_count, polling_clients_count, namespaces) = stats::snapshot(&io);
            let aggregated_events = lock(&self.buffer).drain();
            let stats = ServerStats {
                server_id: &self.server_id,
                hostname: &self.hostname,
                pid: self.pid,
                uptime: self.started.elapsed().as_secs_f64(),
                clients_count,
                polling_clients_count,
                aggregated_events,
                namespaces,
            };
            let _ = io.of(&self.options.namespace).emit("server_stats", &stats);
        }
    }

    /// Count an aggregated event for the current second.
    fn count(&self, kind: &'static str, nsp: &str, now: SystemTime) {
        lock(&self.buffer).push(now, kind, Some(nsp), 1);
    }
}

/// The admin's view of the server: counts connections for `server_stats` and, in
/// development mode and while an admin is logged in, forwards every change to the admin
/// namespace. Its own namespace's rooms and events are not reported (its emits would report
/// themselves).
struct AdminObserver {
    admin: Arc<Inner>,
    /// The admin namespace (holds the server weakly: no cycle through the server's slot).
    ns: Namespace,
}

impl AdminObserver {
    /// Whether changes are forwarded now.
    fn live(&self) -> bool {
        self.admin.options.mode == Mode::Development
            && self.admin.online.load(Ordering::Acquire) > 0
    }

    fn is_admin_ns(&self, ns: &str) -> bool {
        ns == self.admin.options.namespace
    }

    fn send<T: serde::Serialize + ?Sized>(&self, event: &str, data: &T) {
        let _ = self.ns.emit(event, data);
    }
}

/// `[event, ...args]` as the UI's event log shows it; binary arguments that do not map to
/// JSON show as `null`.
fn event_args(event: &str, args: &Args) -> Vec<Json> {
    let mut out = Vec::with_capacity(args.len() + 1);
    out.push(Json::String(event.to_owned()));
    out.extend((0..args.len()).map(|i| args.get::<Json>(i).unwrap_or(Json::Null)));
    out
}

impl Observer for AdminObserver {
    fn socket_connected(&self, socket: &Socket) {
        let now = SystemTime::now();
        if self.live() {
            let view = serialize::socket_view(socket, self.is_admin_ns(socket.ns()));
            self.send("socket_connected", &(view, serialize::iso8601(now)));
        }
        self.admin.count("connection", socket.ns(), now);
    }

    fn socket_disconnected(&self, socket: &Socket, reason: DisconnectReason) {
        let now = SystemTime::now();
        if self.live() {
            let reason = reason.to_string();
            let at = serialize::iso8601(now);
            self.send(
                "socket_disconnected",
                &(socket.ns(), socket.id(), reason, at),
            );
        }
        // Counted after the report: a `server_stats` with it follows the report.
        self.admin.count("disconnection", socket.ns(), now);
    }

    fn room_joined(&self, socket: &Socket, room: &str) {
        if self.live() && !self.is_admin_ns(socket.ns()) {
            let at = serialize::iso8601(SystemTime::now());
            self.send("room_joined", &(socket.ns(), room, socket.id(), at));
        }
    }

    fn room_left(&self, socket: &Socket, room: &str) {
        if self.live() && !self.is_admin_ns(socket.ns()) {
            let at = serialize::iso8601(SystemTime::now());
            self.send("room_left", &(socket.ns(), room, socket.id(), at));
        }
    }

    fn event_received(&self, socket: &Socket, event: &str, args: &Args) {
        if self.live() && !self.is_admin_ns(socket.ns()) {
            let at = serialize::iso8601(SystemTime::now());
            let args = event_args(event, args);
            self.send("event_received", &(socket.ns(), socket.id(), args, at));
        }
    }

    fn event_sent(
        &self,
        ns: &str,
        event: &str,
        recipients: &dyn Fn() -> Vec<Socket>,
        data: &dyn Fn() -> Option<Args>,
    ) {
        if !self.live() || self.is_admin_ns(ns) {
            return;
        }
        let Some(args) = data() else { return };
        let args = event_args(event, &args);
        let at = serialize::iso8601(SystemTime::now());
        for s in recipients() {
            self.send("event_sent", &(ns, s.id(), &args, &at));
        }
    }
}

/// The machine's name: `HOSTNAME`, else the kernel's, else `localhost`.
fn hostname() -> String {
    std::env::var("HOSTNAME")
        .ok()
        .or_else(|| std::fs::read_to_string("/proc/sys/kernel/hostname").ok())
        .map(|h| h.trim().to_owned())
        .filter(|h| !h.is_empty())
        .unwrap_or_else(|| "localhost".into())
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]
mod tests {
    use super::*;

    #[test]
    fn credentials_must_match_both_fields() {
        let auth = Auth::basic("user", "pw");
        assert!(auth.allows(&serde_json::json!({"username": "user", "password": "pw"})));
        assert!(!auth.allows(&serde_json::json!({"username": "user", "password": "pX"})));
        assert!(!auth.allows(&serde_json::json!({"username": "usr", "password": "pw"})));
        assert!(!auth.allows(&serde_json::json!({"username": "user"})));
        assert!(!auth.allows(&serde_json::json!({"sessionId": "x"})));
        assert!(!auth.allows(&Json::Null));
        assert!(Auth::Disabled.allows(&Json::Null));
        let custom = Auth::Custom(Arc::new(|p: &Json| p.get("token").is_some()));
        assert!(custom.allows(&serde_json::json!({"token": 1})));
    }

    #[test]
    fn parse_splits_at_the_first_colon() {
        let Some(Auth::Credentials(c)) = Auth::parse("user:p:w") else {
            panic!("parsed");
        };
        assert_eq!(
            (c[0].username.as_str(), c[0].password.as_str()),
            ("user", "p:w")
        );
    }

    #[test]
    fn features_follow_mode_and_read_only() {
        let io = SocketIo::builder().build().unwrap();
        let a = instrument(&io, AdminOptions::new(Auth::Disabled)).unwrap();
        assert!(a.inner.features().contains(&"DISCONNECT"));
        assert!(a.inner.features().contains(&"ALL_EVENTS"));
        assert_eq!(
            instrument(&io, AdminOptions::new(Auth::Disabled).namespace("/admin2")).unwrap_err(),
            AdminError::AlreadyInstrumented
        );
        let io = SocketIo::builder().build().unwrap();
        let b = instrument(
            &io,
            AdminOptions::new(Auth::Disabled)
                .namespace("/admin2")
                .read_only(true)
                .mode(Mode::Production),
        )
        .unwrap();
        assert_eq!(b.inner.features(), ["AGGREGATED_EVENTS"]);
        assert_eq!(
            instrument(&io, AdminOptions::new(Auth::Disabled).namespace("x")).unwrap_err(),
            AdminError::InvalidNamespace("x".into())
        );
        assert_eq!(
            instrument(&io, AdminOptions::new(Auth::Credentials(vec![]))).unwrap_err(),
            AdminError::NoCredentials
        );
    }
}
