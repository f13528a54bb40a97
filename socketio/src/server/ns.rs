//! Namespaces: handler tables, the sockets connected to them, and their rooms.

use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

use serde::Serialize;
use serde::de::DeserializeOwned;

use super::cluster;
use super::emit::BroadcastOperator;
use super::handler::{self, ConnectHandler, DisconnectHandler, EventHandler};
use super::rooms::JoinError;
use super::socket::{AckFuture, CallError, EmitError};
use super::state::{NsInner, Socket, read, write};
use crate::adapter::pubsub::Message;
use crate::proto::sio::Args;

/// A namespace of the server: register handlers on it, emit to it, manage its rooms.
///
/// ```no_run
/// # async fn f(io: socketio::SocketIo) {
/// let chat = io.of("/chat");
/// chat.on("message", async |socket: socketio::Socket, text: String| {
///     socket.to("lobby").emit("message", &text).ok();
/// });
/// # }
/// ```
#[derive(Clone)]
pub struct Namespace(pub(crate) Arc<NsInner>);

impl std::fmt::Debug for Namespace {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_tuple("Namespace").field(&self.path()).finish()
    }
}

impl Namespace {
    /// The namespace handlers are registered on: this one, made joinable and kept from now
    /// on (or the one that meanwhile took its path). `*` is never in the map.
    pub(crate) fn attached(&self) -> Arc<NsInner> {
        if &*self.0.path == "*" {
            return self.0.clone();
        }
        self.0.io_inner().attach(&self.0)
    }

    /// The namespace emits and room operations apply to: this one while it is in the
    /// server's map, else whichever took its path (a handle from `io.of(path)` taken before
    /// a client connected, or kept after a namespace created on demand emptied).
    fn live(&self) -> Arc<NsInner> {
        if self.0.in_map.load(Ordering::Acquire) {
            return self.0.clone();
        }
        let io = self.0.io_inner();
        let found = read(&io.namespaces).get(&self.0.path).cloned();
        found.unwrap_or_else(|| self.0.clone())
    }

    /// The namespace path.
    pub fn path(&self) -> &str {
        &self.0.path
    }

    /// Handle `event`. Replaces a previous function handler for the same event.
    pub fn on<H: EventHandler<M>, M>(&self, event: impl Into<String>, handler: H) -> &Self {
        let name: Arc<str> = Arc::from(event.into());
        write(&self.attached().handlers)
            .func
            .events
            .insert(name, handler::erase_event(handler));
        self
    }

    /// Handle every event that has no handler of its own (python's `'*'`). Take an
    /// [`EventName`](crate::EventName) parameter to learn which event it was.
    pub fn on_any<H: EventHandler<M>, M>(&self, handler: H) -> &Self {
        write(&self.attached().handlers).func.any = Some(handler::erase_event(handler));
        self
    }

    /// Handle connections: may inspect the [`Handshake`](crate::Handshake) and the auth
    /// payload, and reject by returning `false` or `Err(ConnectError)`.
    pub fn on_connect<H: ConnectHandler<M>, M>(&self, handler: H) -> &Self {
        write(&self.attached().handlers).func.connect = Some(handler::erase_connect(handler));
        self
    }

    /// Handle disconnections; the socket's rooms are still readable while it runs.
    pub fn on_disconnect<H: DisconnectHandler<M>, M>(&self, handler: H) -> &Self {
        write(&self.attached().handlers).func.disconnect = Some(handler::erase_disconnect(handler));
        self
    }

    /// Emit to every socket of the namespace.
    pub fn emit<T: Serialize + ?Sized>(&self, event: &str, data: &T) -> Result<(), EmitError> {
        BroadcastOperator::new(self.live()).emit(event, data)
    }

    /// Emit the `message` event to every socket of the namespace.
    pub fn send<T: Serialize + ?Sized>(&self, data: &T) -> Result<(), EmitError> {
        self.emit("message", data)
    }

    /// Target a room (or a sid); chain `.to()` for more rooms and `.skip_sid()` to exclude.
    pub fn to(&self, room: impl Into<String>) -> BroadcastOperator {
        BroadcastOperator::new(self.live()).to(room)
    }

    /// Target every socket except `sid` (chainable).
    pub fn skip_sid(&self, sid: impl Into<String>) -> BroadcastOperator {
        BroadcastOperator::new(self.live()).skip_sid(sid)
    }

    /// A connected socket by sid.
    pub fn socket(&self, sid: &str) -> Option<Socket> {
        self.live().get_socket(sid)
    }

    /// Every connected socket of this namespace (on this server).
    pub fn sockets(&self) -> Vec<Socket> {
        read(&self.live().sockets).values().cloned().collect()
    }

    /// Add the socket `sid` to `room` (python's `enter_room`). Returns `Ok(true)` when the
    /// socket is on this server and joined; otherwise the request is published to the
    /// cluster (when the server has a manager), where the server holding `sid` applies it,
    /// and `Ok(false)` is returned. Fails as [`Socket::join`] does (too many rooms, name too
    /// long, a room named after another socket's sid); a name too long is refused before
    /// publishing.
    pub fn enter_room(&self, sid: &str, room: impl Into<String>) -> Result<bool, JoinError> {
        let ns = self.live();
        let room = room.into();
        match ns.get_socket(sid) {
            Some(s) => ns.enter_room(&s, &room).map(|()| true),
            None => {
                ns.check_room_name(&room)?;
                ns.io_inner().publish(Message::EnterRoom {
                    sid: sid.to_owned(),
                    namespace: ns.path.to_string(),
                    room,
                });
                Ok(false)
            }
        }
    }

    /// Remove the socket `sid` from `room` (python's `leave_room`); like
    /// [`Namespace::enter_room`] for a socket on another server.
    pub fn leave_room(&self, sid: &str, room: &str) -> bool {
        let ns = self.live();
        match ns.get_socket(sid) {
            Some(s) => {
                ns.leave_room(&s, room);
                true
            }
            None => {
                self.0.io_inner().publish(Message::LeaveRoom {
                    sid: sid.to_owned(),
                    namespace: self.0.path.to_string(),
                    room: room.to_owned(),
                });
                false
            }
        }
    }

    /// Remove every socket from `room`, here and (with a cluster manager) on every server.
    pub fn close_room(&self, room: &str) {
        self.live().close_room(room);
        self.0.io_inner().publish(Message::CloseRoom {
            room: room.to_owned(),
            namespace: self.0.path.to_string(),
        });
    }

    /// The rooms of socket `sid`, its own sid room first; `None` for an unknown sid.
    pub fn rooms(&self, sid: &str) -> Option<Vec<String>> {
        self.live().get_socket(sid).map(|s| s.rooms())
    }

    /// The sids in `room` (on this server; python's `manager.get_participants`).
    pub fn room_members(&self, room: &str) -> Vec<String> {
        self.live()
            .targets(&[Arc::from(room)], &[])
            .iter()
            .map(|s| s.id().to_owned())
            .collect()
    }

    /// Disconnect socket `sid` from this namespace (the client gets a DISCONNECT; its other
    /// namespaces stay connected). Returns true when the socket was on this server; otherwise
    /// the request is published to the cluster (when the server has a manager), where the
    /// server holding `sid` applies it, and false is returned.
    pub fn disconnect(&self, sid: &str) -> bool {
        match self.live().get_socket(sid) {
            Some(s) => {
                s.disconnect();
                true
            }
            None => {
                self.0.io_inner().publish(Message::Disconnect {
                    sid: sid.to_owned(),
                    namespace: self.0.path.to_string(),
                });
                false
            }
        }
    }

    /// Emit `event` to socket `sid`, on whichever server of the cluster it is connected, and
    /// ask its client to acknowledge. A local socket is handled like
    /// [`Socket::emit_with_ack`]; otherwise the emit is published with a `callback` and the
    /// answer is routed back here by the server that holds the socket. The future does not
    /// time out by itself (see [`Namespace::call`]); dropping it forgets the pending ack.
    /// Fails with [`EmitError::Disconnected`] when `sid` is not local and there is no manager,
    /// and with [`EmitError::TooManyPendingAcks`] past
    /// [`ServerConfig::max_pending_acks`](crate::ServerConfig::max_pending_acks) acks awaited from other servers.
    ///
    /// ```no_run
    /// # async fn f(io: socketio::SocketIo, sid: &str) {
    /// if let Ok(answer) = io.of("/").emit_with_ack_to(sid, "ask", &"ready?") {
    ///     if let Ok(reply) = answer.await {
    ///         println!("{:?}", reply.args());
    ///     }
    /// }
    /// # }
    /// ```
    pub fn emit_with_ack_to<T: Serialize + ?Sized>(
        &self,
        sid: &str,
        event: &str,
        data: &T,
    ) -> Result<AckFuture, EmitError> {
        let ns = self.live();
        if let Some(s) = ns.get_socket(sid) {
            return s.emit_with_ack(event, data);
        }
        let args = Args::from_serialize(data).map_err(|e| EmitError::Serialize(e.to_string()))?;
        cluster::emit_with_remote_ack(&ns, sid, event, &args)
    }

    /// [`Namespace::emit_with_ack_to`], waiting at most `timeout` and decoding the answer like
    /// [`Socket::call`].
    pub async fn call<R: DeserializeOwned>(
        &self,
        sid: &str,
        event: &str,
        data: &(impl Serialize + ?Sized),
        timeout: Duration,
    ) -> Result<R, CallError> {
        let fut = self
            .emit_with_ack_to(sid, event, data)
            .map_err(CallError::Emit)?;
        match tokio::time::timeout(timeout, fut).await {
            Ok(r) => r?.decode(),
            Err(_) => Err(CallError::Timeout),
        }
    }
}
