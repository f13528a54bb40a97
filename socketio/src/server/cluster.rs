//! The server side of the cluster seam: publishing local operations through the
//! [`Manager`](crate::adapter::Manager), applying what other servers published, and the table
//! of acks awaited from clients connected to other servers.

use std::sync::{Arc, Weak};

use tokio::sync::oneshot;

use super::emit::BroadcastOperator;
use super::socket::{AckFuture, EmitError, OnDrop};
use super::state::{IoInner, NsInner, Pending, Room, Socket, SocketIo, lock, read};
use crate::adapter::RemoteSink;
use crate::adapter::manager::packed;
use crate::adapter::pubsub::{CallbackRef, Envelope, Message, OneOrMany};
use crate::proto::sio::{self, Args};

/// What the server gives its manager: applies remote operations while the server lives.
pub(crate) struct ClusterSink(pub(crate) Weak<IoInner>);

impl RemoteSink for ClusterSink {
    fn apply(&self, env: Envelope) {
        if let Some(io) = self.0.upgrade() {
            apply(&io, env);
        }
    }
}

/// Emit `event` to socket `sid` of `ns` on another server and await its ack there: the emit
/// carries `callback: [sid, namespace, id]`; the answer comes back as a `callback` message.
pub(crate) fn emit_with_remote_ack(
    ns: &Arc<NsInner>,
    sid: &str,
    event: &str,
    args: &Args,
) -> Result<AckFuture, EmitError> {
    let io = ns.io_inner();
    if !io.has_manager() {
        return Err(EmitError::Disconnected);
    }
    let (tx, rx) = oneshot::channel();
    let id = {
        let mut t = lock(&io.remote_acks);
        if t.pending.len() >= io.config.max_pending_acks {
            return Err(EmitError::TooManyPendingAcks);
        }
        t.next = t.next.wrapping_add(1);
        let id = t.next;
        t.pending.insert(
            id,
            Pending {
                sid: sid.to_owned(),
                namespace: ns.path.clone(),
                tx,
            },
        );
        id
    };
    let weak = Arc::downgrade(&io);
    let fut = AckFuture::with_cleanup(
        rx,
        OnDrop(Some(Box::new(move || {
            if let Some(io) = weak.upgrade() {
                lock(&io.remote_acks).pending.remove(&id);
            }
        }))),
    );
    io.publish(Message::Emit {
        event: event.to_owned(),
        args: packed(args),
        namespace: ns.path.to_string(),
        room: Some(OneOrMany::One(sid.to_owned())),
        skip_sid: None,
        callback: Some(CallbackRef {
            sid: sid.to_owned(),
            namespace: ns.path.to_string(),
            id,
        }),
    });
    Ok(fut)
}

impl SocketIo {
    /// Number of acks this server awaits from clients connected to other servers of the
    /// cluster ([`Namespace::emit_with_ack_to`](crate::Namespace::emit_with_ack_to)).
    pub fn remote_acks_pending(&self) -> usize {
        lock(&self.inner.remote_acks).pending.len()
    }
}

fn namespace(io: &IoInner, path: &str) -> Option<Arc<NsInner>> {
    read(&io.namespaces).get(path).cloned()
}

fn local_socket(io: &IoInner, path: &str, sid: &str) -> Option<Socket> {
    namespace(io, path)?.get_socket(sid)
}

fn rooms_of(v: Option<OneOrMany>) -> smallvec::SmallVec<[Room; 1]> {
    v.map(|v| v.as_slice().iter().map(|s| Arc::from(s.as_str())).collect())
        .unwrap_or_default()
}

/// Apply an operation published by another server (or a write-only emitter).
pub(crate) fn apply(io: &Arc<IoInner>, env: Envelope) {
    let Envelope { host_id, message } = env;
    match message {
        Message::Emit {
            event,
            args,
            namespace: path,
            room,
            skip_sid,
            callback,
        } => {
            let Some(ns) = namespace(io, &path) else {
                return;
            };
            let args = match Args::from_json_array(args.json, args.attachments) {
                Ok(a) => a,
                Err(e) => {
                    tracing::warn!(error = %e, "skipping a cluster emit with invalid arguments");
                    return;
                }
            };
            let op = BroadcastOperator {
                ns,
                rooms: rooms_of(room),
                skip: rooms_of(skip_sid),
                local: true,
            };
            match callback {
                None => match sio::encode_event(&op.ns.path, &event, None, &args) {
                    Ok(enc) => op.deliver(&enc),
                    Err(e) => tracing::warn!(error = %e, "cannot re-encode a cluster emit"),
                },
                Some(cb) => emit_for_remote_host(io, &op, &event, &args, host_id, cb),
            }
        }
        Message::Disconnect { sid, namespace } => {
            if let Some(s) = local_socket(io, &namespace, &sid) {
                s.disconnect();
            }
        }
        Message::EnterRoom {
            sid,
            namespace,
            room,
        } => {
            if let Some(s) = local_socket(io, &namespace, &sid) {
                if let Err(e) = s.join(&room) {
                    tracing::debug!(error = %e, "cluster enter_room refused");
                }
            }
        }
        Message::LeaveRoom {
            sid,
            namespace,
            room,
        } => {
            if let Some(s) = local_socket(io, &namespace, &sid) {
                s.leave(&room);
            }
        }
        Message::CloseRoom { room, namespace } => {
            if let Some(ns) = self::namespace(io, &namespace) {
                ns.close_room(&room);
            }
        }
        Message::Callback {
            sid,
            namespace,
            id,
            args,
        } => {
            let pending = {
                let mut t = lock(&io.remote_acks);
                match t.pending.get(&id) {
                    Some(p) if p.sid == sid && *p.namespace == *namespace => t.pending.remove(&id),
                    _ => None,
                }
            };
            let Some(p) = pending else {
                tracing::debug!(id, "cluster callback for an unknown ack ignored");
                return;
            };
            match Args::from_json_array(args.json, args.attachments) {
                Ok(a) => {
                    let _ = p.tx.send(a);
                }
                Err(e) => tracing::warn!(error = %e, "skipping a cluster callback"),
            }
        }
    }
}

/// A remote host asked for the ack of its emit: emit with an ack id of ours to every local
/// target and publish each answer back to `origin` as a `callback` message. These acks count
/// against a budget of each socket's own, separate from the application's (at most
/// [`ServerConfig::max_pending_acks`](crate::ServerConfig::max_pending_acks) each), so that
/// a broker cannot stop the application from asking its sockets. A client that does not
/// answer within [`ServerConfig::remote_ack_timeout`](crate::ServerConfig::remote_ack_timeout)
/// frees its slot then, and no `callback` is published for it.
fn emit_for_remote_host(
    io: &Arc<IoInner>,
    op: &BroadcastOperator,
    event: &str,
    args: &Args,
    origin: String,
    cb: CallbackRef,
) {
    let deadline = io.config.remote_ack_timeout;
    for socket in op.ns.targets(&op.rooms, &op.skip) {
        let fut = match socket.emit_with_ack_from(event, args, true) {
            Ok(f) => f,
            Err(e) => {
                tracing::debug!(error = %e, "cluster emit with ack not delivered");
                continue;
            }
        };
        let weak = Arc::downgrade(io);
        let (origin, cb) = (origin.clone(), cb.clone());
        tokio::spawn(async move {
            // Resolves with an error when the socket disconnects first; at the deadline the
            // future is dropped, which frees the socket's slot.
            let Ok(Ok(answer)) = tokio::time::timeout(deadline, fut).await else {
                return;
            };
            if let Some(io) = weak.upgrade() {
                if let Some(m) = io.manager.get() {
                    m.publish(Envelope {
                        host_id: origin,
                        message: Message::Callback {
                            sid: cb.sid,
                            namespace: cb.namespace,
                            id: cb.id,
                            args: packed(answer.args()),
                        },
                    });
                }
            }
        });
    }
}
