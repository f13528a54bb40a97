//! [`TestClient`], its builder, and [`AckResponder`] for answering the server's callbacks.

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use serde::Serialize;
use serde::de::DeserializeOwned;
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::sync::mpsc;
use tokio_tungstenite::tungstenite::client::IntoClientRequest as _;

use super::conn::{self, Outgoing, Received, Shared};
use super::error::{Disconnect, TestError};
use crate::proto::sio::{self, Args, Encoded};
use crate::{SocketIo, router::DEFAULT_PATH};

/// How long every wait lasts by default.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(5);

/// How many unread events a client keeps by default.
pub const DEFAULT_MAX_BUFFERED_EVENTS: usize = 1024;

/// A Socket.IO client for tests, connected to one namespace.
///
/// Connect it to a [`SocketIo`] or to an application's `axum::Router` in memory (no TCP
/// port: the router is served over a [`tokio::io::duplex`] pipe, as [`crate::serve`] would
/// serve one connection), or to a server listening on an address. It speaks Engine.IO v4 and
/// Socket.IO v5 over WebSocket, answers the server's pings by itself, and buffers the events
/// it receives until the test asks for them.
///
/// Every method that waits gives up after the client's timeout
/// ([`TestClientBuilder::timeout`], [`DEFAULT_TIMEOUT`]) with [`TestError::Timeout`] naming
/// what it was waiting for. Methods take `&self`, so one test can wait for two things at once
/// (`tokio::join!`), for example an ack that the server sends only after the client answered
/// its question.
///
/// Dropping the client (and the [`AckResponder`]s it handed out) closes its connection.
///
/// ```
/// use socketio::SocketIo;
/// use socketio::testing::TestClient;
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), socketio::testing::TestError> {
/// let io = SocketIo::builder().build().unwrap();
/// io.of("/").on("add", async |a: i64, b: i64| a + b);
///
/// let client = TestClient::connect(&io).await?;
/// let sum: i64 = client.emit_with_ack("add", &(2, 3)).await?;
/// assert_eq!(sum, 5);
/// # Ok(())
/// # }
/// ```
pub struct TestClient {
    shared: Arc<Shared>,
    outgoing: mpsc::Sender<Outgoing>,
    nsp: String,
    sid: String,
    timeout: Duration,
    next_ack_id: AtomicU64,
}

/// Options of a [`TestClient`]: namespace, auth payload, headers, query, engine path,
/// timeout. Build one with [`TestClient::builder`].
///
/// ```
/// use socketio::SocketIo;
/// use socketio::testing::{TestClient, TestError};
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() {
/// let io = SocketIo::builder().build().unwrap();
/// io.of("/admin").on_connect(async |auth: serde_json::Value| {
///     auth["token"] == "secret"
/// });
///
/// let refused = TestClient::builder()
///     .namespace("/admin")
///     .auth(&serde_json::json!({ "token": "guess" }))
///     .connect(&io)
///     .await
///     .unwrap_err();
/// assert!(matches!(refused, TestError::ConnectRefused(_)));
/// # }
/// ```
#[derive(Debug, Clone)]
#[must_use]
pub struct TestClientBuilder {
    nsp: String,
    auth: Option<Result<String, String>>,
    headers: Vec<(String, String)>,
    query: Vec<(String, String)>,
    path: Option<String>,
    timeout: Duration,
    max_buffered_events: usize,
    remote_addr: SocketAddr,
}

impl Default for TestClientBuilder {
    fn default() -> Self {
        Self {
            nsp: "/".into(),
            auth: None,
            headers: Vec::new(),
            query: Vec::new(),
            path: None,
            timeout: DEFAULT_TIMEOUT,
            max_buffered_events: DEFAULT_MAX_BUFFERED_EVENTS,
            remote_addr: SocketAddr::from(([127, 0, 0, 1], 0)),
        }
    }
}

impl TestClientBuilder {
    /// The namespace to connect to (default `/`).
    pub fn namespace(mut self, nsp: impl Into<String>) -> Self {
        let nsp = nsp.into();
        self.nsp = if nsp.starts_with('/') {
            nsp
        } else {
            format!("/{nsp}")
        };
        self
    }

    /// The auth payload of the namespace CONNECT packet (socket.io-client's `auth` option):
    /// a value that serializes to a JSON object. Without it the packet has no payload.
    pub fn auth<T: Serialize + ?Sized>(mut self, auth: &T) -> Self {
        self.auth = Some(match serde_json::to_string(auth) {
            Ok(json) if json.starts_with('{') => Ok(json),
            Ok(json) => Err(format!(
                "the auth payload must be a JSON object, not {json}"
            )),
            Err(e) => Err(e.to_string()),
        });
        self
    }

    /// Add a header to the handshake request (`Handshake::headers` on the server).
    pub fn header(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        self.headers.push((name.into(), value.into()));
        self
    }

    /// Add a query parameter to the handshake URL (`Handshake::query` on the server),
    /// percent-encoded here.
    pub fn query(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        self.query.push((name.into(), value.into()));
        self
    }

    /// The engine path (default: the server's configured path with [`Self::connect`],
    /// [`DEFAULT_PATH`] otherwise).
    pub fn path(mut self, path: impl Into<String>) -> Self {
        self.path = Some(path.into());
        self
    }

    /// How long each wait of the client lasts before it fails with [`TestError::Timeout`]
    /// (default [`DEFAULT_TIMEOUT`], 5 seconds). Connecting is one wait.
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// How many received events the client keeps while the test reads others (default
    /// [`DEFAULT_MAX_BUFFERED_EVENTS`]). Past it, events are dropped and the next read fails
    /// with [`TestError::BufferFull`].
    pub fn max_buffered_events(mut self, limit: usize) -> Self {
        self.max_buffered_events = limit;
        self
    }

    /// The peer address the server sees for an in-memory connection (`Handshake::remote_addr`,
    /// the per-IP connection cap); default `127.0.0.1:0`. Over TCP the real address is used.
    pub fn remote_addr(mut self, addr: SocketAddr) -> Self {
        self.remote_addr = addr;
        self
    }

    /// Connect in memory to `io` (its [`SocketIo::router`], at its configured path).
    pub async fn connect(mut self, io: &SocketIo) -> Result<TestClient, TestError> {
        if self.path.is_none() {
            self.path = Some(io.config().path.clone());
        }
        self.connect_router(io.router()).await
    }

    /// Connect in memory to an application's router (the one given to [`crate::serve`]),
    /// at [`Self::path`] (default `/socket.io/`).
    pub async fn connect_router(self, router: axum::Router) -> Result<TestClient, TestError> {
        let stream = conn::in_memory(router, self.remote_addr);
        self.handshake("localhost".into(), async { Ok(stream) })
            .await
    }

    /// Connect over TCP to a server listening at `addr`, for tests that want the real
    /// transport (the server started with [`crate::serve`] on `127.0.0.1:0`, for example).
    pub async fn connect_tcp(self, addr: SocketAddr) -> Result<TestClient, TestError> {
        self.handshake(addr.to_string(), tokio::net::TcpStream::connect(addr))
            .await
    }

    async fn handshake<S>(
        self,
        host: String,
        stream: impl Future<Output = std::io::Result<S>>,
    ) -> Result<TestClient, TestError>
    where
        S: AsyncRead + AsyncWrite + Unpin + Send + 'static,
    {
        let timeout = self.timeout;
        let nsp = self.nsp.clone();
        let waiting_for = || format!("connection to namespace `{nsp}`");
        match tokio::time::timeout(timeout, self.open(host, stream)).await {
            Ok(client) => client,
            Err(_) => Err(TestError::Timeout {
                waiting_for: waiting_for(),
                after: timeout,
            }),
        }
    }

    async fn open<S>(
        self,
        host: String,
        stream: impl Future<Output = std::io::Result<S>>,
    ) -> Result<TestClient, TestError>
    where
        S: AsyncRead + AsyncWrite + Unpin + Send + 'static,
    {
        let connect = connect_packet(&self.nsp, self.auth.transpose().map_err(TestError::Encode)?);
        let path = self.path.as_deref().unwrap_or(DEFAULT_PATH);
        let mut url = format!("ws://{host}{path}?EIO=4&transport=websocket");
        for (k, v) in &self.query {
            url.push('&');
            percent_encode(&mut url, k);
            url.push('=');
            percent_encode(&mut url, v);
        }
        let handshake_error = |message: String| TestError::Handshake {
            status: None,
            message,
        };
        let mut request = url
            .into_client_request()
            .map_err(|e| handshake_error(e.to_string()))?;
        for (name, value) in &self.headers {
            let name = http::HeaderName::try_from(name.as_str())
                .map_err(|e| handshake_error(format!("header `{name}`: {e}")))?;
            let value = http::HeaderValue::try_from(value.as_str())
                .map_err(|e| handshake_error(format!("header `{name}`: {e}")))?;
            request.headers_mut().append(name, value);
        }
        let stream = stream.await.map_err(|e| handshake_error(e.to_string()))?;
        let (ws, _) = tokio_tungstenite::client_async(request, stream)
            .await
            .map_err(|e| match e {
                tokio_tungstenite::tungstenite::Error::Http(resp) => TestError::Handshake {
                    status: Some(resp.status().as_u16()),
                    message: resp
                        .body()
                        .as_deref()
                        .map(|b| String::from_utf8_lossy(b).into_owned())
                        .unwrap_or_default(),
                },
                e => handshake_error(e.to_string()),
            })?;

        let shared = Shared::new(self.max_buffered_events);
        let (outgoing, rx) = mpsc::channel(conn::OUTGOING_QUEUE);
        tokio::spawn(conn::run(
            ws,
            self.nsp.clone(),
            connect,
            shared.clone(),
            rx,
            self.timeout,
        ));
        // The caller bounds this wait (and the whole connect) with the timeout.
        let sid = shared
            .wait(Duration::MAX, String::new, |inbox| {
                match (inbox.connected.take(), &inbox.closed) {
                    (Some(r), _) => Some(r),
                    (None, Some(reason)) => Some(Err(TestError::Disconnected(reason.clone()))),
                    (None, None) => None,
                }
            })
            .await?;
        Ok(TestClient {
            shared,
            outgoing,
            nsp: self.nsp,
            sid,
            timeout: self.timeout,
            next_ack_id: AtomicU64::new(0),
        })
    }
}

/// `40[/nsp,][auth]`.
fn connect_packet(nsp: &str, auth: Option<String>) -> Encoded {
    let mut text = String::from("40");
    if nsp != "/" {
        text.push_str(nsp);
        text.push(',');
    }
    if let Some(auth) = auth {
        text.push_str(&auth);
    }
    Encoded {
        text: text.into_bytes().into(),
        attachments: Default::default(),
    }
}

/// Append `s` to a URL, every byte but the unreserved ones as `%XX`.
fn percent_encode(url: &mut String, s: &str) {
    use std::fmt::Write as _;
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') {
            url.push(char::from(b));
        } else {
            let _ = write!(url, "%{b:02X}");
        }
    }
}

/// An event the server sent, as received: its name, its raw arguments, and the way to
/// answer it when the server asked for an acknowledgement.
#[derive(Debug)]
#[non_exhaustive]
pub struct ReceivedEvent {
    /// The event name.
    pub name: String,
    /// The arguments (decode one with [`Args::get`]).
    pub args: Args,
    /// Set when the server emitted with an ack (`emit_with_ack`, `call`).
    pub ack: Option<AckResponder>,
}

/// Answers one event the server emitted with an acknowledgement: call [`AckResponder::ack`]
/// once. Dropping it without answering leaves the server waiting (until its own timeout).
#[must_use = "the server waits for this answer"]
pub struct AckResponder {
    outgoing: mpsc::Sender<Outgoing>,
    shared: Arc<Shared>,
    nsp: String,
    id: u64,
    timeout: Duration,
}

impl std::fmt::Debug for AckResponder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AckResponder")
            .field("nsp", &self.nsp)
            .field("id", &self.id)
            .finish_non_exhaustive()
    }
}

impl AckResponder {
    /// The ack id the server chose.
    pub fn id(&self) -> u64 {
        self.id
    }

    /// Send the acknowledgement: a tuple is several arguments, `()` none, anything else one
    /// (bytes anywhere in it become binary attachments).
    pub async fn ack(self, args: &(impl Serialize + ?Sized)) -> Result<(), TestError> {
        let packet = sio::encode_ack(&self.nsp, self.id, args)
            .map_err(|e| TestError::Encode(e.to_string()))?;
        send(
            &self.outgoing,
            &self.shared,
            Outgoing::Packet(packet),
            self.timeout,
        )
        .await
    }
}

impl std::fmt::Debug for TestClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TestClient")
            .field("nsp", &self.nsp)
            .field("sid", &self.sid)
            .field("timeout", &self.timeout)
            .finish_non_exhaustive()
    }
}

impl TestClient {
    /// Options for a client; finish with [`TestClientBuilder::connect`],
    /// [`connect_router`](TestClientBuilder::connect_router) or
    /// [`connect_tcp`](TestClientBuilder::connect_tcp).
    pub fn builder() -> TestClientBuilder {
        TestClientBuilder::default()
    }

    /// Connect in memory to the main namespace `/` of `io`, without auth.
    pub async fn connect(io: &SocketIo) -> Result<TestClient, TestError> {
        Self::builder().connect(io).await
    }

    /// Connect in memory to the main namespace `/` of an application's router, at
    /// `/socket.io/`, without auth.
    pub async fn connect_router(router: axum::Router) -> Result<TestClient, TestError> {
        Self::builder().connect_router(router).await
    }

    /// Connect over TCP to the main namespace `/` of a server listening at `addr`.
    pub async fn connect_tcp(addr: SocketAddr) -> Result<TestClient, TestError> {
        Self::builder().connect_tcp(addr).await
    }

    /// The socket's id in its namespace (what `Socket::id` gives the server's handlers, so
    /// `io.socket(client.namespace(), client.sid())` finds the server's side of it).
    pub fn sid(&self) -> &str {
        &self.sid
    }

    /// The namespace the client is connected to.
    pub fn namespace(&self) -> &str {
        &self.nsp
    }

    /// How long each wait lasts.
    pub fn timeout(&self) -> Duration {
        self.timeout
    }

    /// Change how long each later wait lasts.
    pub fn set_timeout(&mut self, timeout: Duration) {
        self.timeout = timeout;
    }

    /// Emit `event` with `args`: a tuple is several arguments, `()` none, anything else one;
    /// bytes anywhere in it (`bytes::Bytes`, `serde_bytes`) become binary attachments.
    /// Returns once the packet is queued for writing.
    pub async fn emit(
        &self,
        event: &str,
        args: &(impl Serialize + ?Sized),
    ) -> Result<(), TestError> {
        let packet = sio::encode_event(&self.nsp, event, None, args)
            .map_err(|e| TestError::Encode(e.to_string()))?;
        send(
            &self.outgoing,
            &self.shared,
            Outgoing::Packet(packet),
            self.timeout,
        )
        .await
    }

    /// Emit `event` with `args` (as [`Self::emit`]) asking for an acknowledgement, and wait
    /// for it, decoded as `T` the way [`Socket::call`](crate::Socket::call) decodes: one
    /// argument as `T`, several as a tuple (or array) `T`, none as `()` (or `None`).
    ///
    /// A handler returning `Result` acknowledges `Err(e)` as `{"error": e}`: decode it with
    /// [`AckResult`](super::AckResult).
    pub async fn emit_with_ack<T: DeserializeOwned>(
        &self,
        event: &str,
        args: &(impl Serialize + ?Sized),
    ) -> Result<T, TestError> {
        let id = self.next_ack_id.fetch_add(1, Ordering::Relaxed);
        let packet = sio::encode_event(&self.nsp, event, Some(id), args)
            .map_err(|e| TestError::Encode(e.to_string()))?;
        self.shared.lock().awaited.insert(id);
        let answer = async {
            send(
                &self.outgoing,
                &self.shared,
                Outgoing::Packet(packet),
                self.timeout,
            )
            .await?;
            self.shared
                .wait(
                    self.timeout,
                    || format!("ack of `{event}`"),
                    |inbox| match inbox.acks.remove(&id) {
                        Some(args) => Some(Ok(args)),
                        None => inbox
                            .closed
                            .clone()
                            .map(|reason| Err(TestError::Disconnected(reason))),
                    },
                )
                .await
        }
        .await;
        self.shared.lock().awaited.remove(&id);
        decode(&answer?, || format!("ack of `{event}`"))
    }

    /// Wait for the next event named `name` and decode its arguments as `T` (one argument as
    /// `T`, several as a tuple `T`, none as `()`). Events of other names that arrive
    /// meanwhile are kept, in order, for later calls.
    pub async fn next_event<T: DeserializeOwned>(&self, name: &str) -> Result<T, TestError> {
        let event = self.take(name).await?;
        decode(&event.args, || format!("event `{name}`"))
    }

    /// [`Self::next_event`] for an event the server emitted with an ack (`emit_with_ack`,
    /// `call`): also returns the [`AckResponder`] that answers it. An event without an ack
    /// id fails with [`TestError::Decode`].
    pub async fn next_event_with_ack<T: DeserializeOwned>(
        &self,
        name: &str,
    ) -> Result<(T, AckResponder), TestError> {
        let event = self.take(name).await?;
        let what = || format!("event `{name}`");
        let Some(id) = event.id else {
            return Err(TestError::Decode {
                what: what(),
                json: event.args.to_json_array(),
                error: "the server did not ask for an acknowledgement".into(),
            });
        };
        let value = decode(&event.args, what)?;
        Ok((value, self.responder(id)))
    }

    /// Wait for the next event, whatever its name (the oldest one buffered first).
    pub async fn next_any(&self) -> Result<ReceivedEvent, TestError> {
        let event = self
            .shared
            .wait(
                self.timeout,
                || "any event".into(),
                |inbox| pop(inbox, None),
            )
            .await?;
        Ok(ReceivedEvent {
            name: event.name,
            args: event.args,
            ack: event.id.map(|id| self.responder(id)),
        })
    }

    /// Disconnect from the namespace (a DISCONNECT packet, then the connection closes, as
    /// socket.io-client's `disconnect()`); the server's disconnect handler gets
    /// `client namespace disconnect`. Waits until the connection is closed.
    pub async fn disconnect(&self) -> Result<(), TestError> {
        let packet = sio::encode_disconnect(&self.nsp);
        send(
            &self.outgoing,
            &self.shared,
            Outgoing::Packet(packet),
            self.timeout,
        )
        .await?;
        send(&self.outgoing, &self.shared, Outgoing::Close, self.timeout).await?;
        self.disconnected().await.map(drop)
    }

    /// Wait until the connection ends, and say how ([`Disconnect::ServerDisconnect`] when a
    /// handler called `socket.disconnect()`, for example).
    pub async fn disconnected(&self) -> Result<Disconnect, TestError> {
        self.shared
            .wait(
                self.timeout,
                || "disconnect".into(),
                |inbox| inbox.closed.clone().map(Ok),
            )
            .await
    }

    /// True once the connection has ended.
    pub fn is_disconnected(&self) -> bool {
        self.shared.lock().closed.is_some()
    }

    /// The events received and not read yet, oldest first: name and arguments.
    pub fn buffered(&self) -> Vec<(String, Args)> {
        self.shared
            .lock()
            .events
            .iter()
            .map(|e| (e.name.clone(), e.args.clone()))
            .collect()
    }

    async fn take(&self, name: &str) -> Result<Received, TestError> {
        self.shared
            .wait(
                self.timeout,
                || format!("event `{name}`"),
                |inbox| pop(inbox, Some(name)),
            )
            .await
    }

    fn responder(&self, id: u64) -> AckResponder {
        AckResponder {
            outgoing: self.outgoing.clone(),
            shared: self.shared.clone(),
            nsp: self.nsp.clone(),
            id,
            timeout: self.timeout,
        }
    }
}

/// The oldest buffered event named `name` (any name with `None`); an error once the buffer
/// overflowed, or once the connection ended with no such event left.
fn pop(inbox: &mut conn::Inbox, name: Option<&str>) -> Option<Result<Received, TestError>> {
    if inbox.overflowed {
        return Some(Err(TestError::BufferFull { limit: inbox.limit }));
    }
    let found = inbox
        .events
        .iter()
        .position(|e| name.is_none_or(|name| e.name == name));
    match found.and_then(|i| inbox.events.remove(i)) {
        Some(event) => Some(Ok(event)),
        None => inbox
            .closed
            .clone()
            .map(|reason| Err(TestError::Disconnected(reason))),
    }
}

/// Queue a packet for the connection's task; fails once the connection has ended.
async fn send(
    outgoing: &mpsc::Sender<Outgoing>,
    shared: &Shared,
    what: Outgoing,
    timeout: Duration,
) -> Result<(), TestError> {
    let closed = || {
        TestError::Disconnected(
            shared
                .lock()
                .closed
                .clone()
                .unwrap_or(Disconnect::TransportClose { code: None }),
        )
    };
    if shared.lock().closed.is_some() {
        return Err(closed());
    }
    match tokio::time::timeout(timeout, outgoing.send(what)).await {
        Ok(sent) => sent.map_err(|_| closed()),
        Err(_) => Err(TestError::Timeout {
            waiting_for: "room in the outgoing queue (the server is not reading)".into(),
            after: timeout,
        }),
    }
}

/// Decode arguments as `T`: one argument as `T`, several as the array of them, none as
/// `null` (the rule of [`AckResponse::decode`](crate::AckResponse::decode)).
fn decode<T: DeserializeOwned>(args: &Args, what: impl FnOnce() -> String) -> Result<T, TestError> {
    let r = match args.len() {
        1 => args.get(0),
        0 => serde_json::from_str("null"),
        _ => Args::from_json_array(
            format!("[{}]", args.to_json_array()),
            args.attachments().to_vec(),
        )
        .map_err(|e| serde::de::Error::custom(e.to_string()))
        .and_then(|all| all.get(0)),
    };
    r.map_err(|e| TestError::Decode {
        what: what(),
        json: args.to_json_array(),
        error: e.to_string(),
    })
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn connect_packet_with_and_without_namespace_and_auth() {
        assert_eq!(&connect_packet("/", None).text[..], b"40");
        assert_eq!(
            &connect_packet("/chat", Some(r#"{"a":1}"#.into())).text[..],
            br#"40/chat,{"a":1}"#
        );
    }

    #[test]
    fn query_values_are_percent_encoded() {
        let mut url = String::new();
        percent_encode(&mut url, "a b&c=d/é~_.-");
        assert_eq!(url, "a%20b%26c%3Dd%2F%C3%A9~_.-");
        assert_eq!(
            crate::proto::percent::decode(&url).unwrap(),
            "a b&c=d/é~_.-"
        );
    }

    #[test]
    fn decode_follows_the_argument_count() {
        let one = Args::from_serialize(&5).unwrap();
        assert_eq!(decode::<u8>(&one, String::new).unwrap(), 5);
        let two = Args::from_serialize(&(1, "x")).unwrap();
        assert_eq!(
            decode::<(u8, String)>(&two, String::new).unwrap(),
            (1, "x".to_owned())
        );
        let none = Args::from_serialize(&()).unwrap();
        decode::<()>(&none, String::new).unwrap();
        let err = decode::<u8>(&two, || "event `e`".into()).unwrap_err();
        assert!(
            matches!(&err, TestError::Decode { what, json, .. } if what == "event `e`" && json == r#"[1,"x"]"#),
            "{err:?}"
        );
    }

    #[test]
    fn auth_that_is_not_an_object_is_refused_before_connecting() {
        let b = TestClient::builder().auth(&"token");
        assert!(matches!(b.auth, Some(Err(_))));
        let b = TestClient::builder().auth(&serde_json::json!({"token": "t"}));
        assert_eq!(b.auth, Some(Ok(r#"{"token":"t"}"#.into())));
    }
}
