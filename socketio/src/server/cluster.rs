//! The server side of the cluster seam: publishing local operations through the
//! [`Manager`](crate::adapter::Manager), applying what other servers published, and the table
//! of acks awaited from clients connected to other servers.

use std::sync::{Arc, Weak};

use tokio::sync::oneshot;

use super::ack::{AckFuture, OnDrop, Pending};
use super::emit::BroadcastOperator;
use super::rooms::Room;
use super::tree::{IoInner, NsInner, Socket, SocketIo};
use super::types::EmitError;
use crate::adapter::{CallbackRef, Envelope, OneOrMany, Operation, PackedArgs, RemoteSink};
use crate::proto::sio::Args;
use crate::sync::{lock, read};

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
    io.publish(Operation::Emit {
        event: event.to_owned(),
        args: PackedArgs::from_args(args),
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

/// The packet of a cluster emit for the local recipients: copied from the message's JSON
/// arguments with the JSON parser, transcoded from them in one pass with msgpack, read and
/// encoded again with a custom parser.
fn encode_remote_emit(
    io: &IoInner,
    nsp: &str,
    event: &str,
    args: &PackedArgs,
) -> Result<crate::proto::sio::Encoded, String> {
    if io.config.parser.is_json() {
        return args
            .encode_event(nsp, event, None)
            .map_err(|e| e.to_string());
    }
    if io.config.parser.is_msgpack() {
        return args
            .encode_event_msgpack(nsp, event, None)
            .map(crate::proto::sio::Encoded::binary);
    }
    let args = args.to_args().map_err(|e| e.to_string())?;
    io.config
        .parser
        .encode_event(nsp, event, None, &args)
        .map_err(|e| e.to_string())
}

/// Apply an operation published by another server (or a write-only emitter). An emit was
/// decoded once, by the manager; its arguments' text goes into the local packet as it is, and
/// that one packet is shared by every local recipient, as for a local broadcast.
pub(crate) fn apply(io: &Arc<IoInner>, env: Envelope) {
    let Envelope { host_id, operation } = env;
    match operation {
        Operation::Emit {
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
            let op = BroadcastOperator {
                ns,
                rooms: rooms_of(room),
                skip: rooms_of(skip_sid),
                local: true,
            };
            match callback {
                None => match encode_remote_emit(io, &op.ns.path, &event, &args) {
                    Ok(enc) => op.deliver_event(&enc, &event, || args.to_args().ok()),
                    Err(e) => {
                        tracing::warn!(error = %e, "skipping a cluster emit with invalid arguments");
                    }
                },
                // Each target gets its own ack id, so its own packet.
                Some(cb) => match args.to_args() {
                    Ok(args) => emit_for_remote_host(io, &op, &event, &args, host_id, cb),
                    Err(e) => {
                        tracing::warn!(error = %e, "skipping a cluster emit with invalid arguments");
                    }
                },
            }
        }
        Operation::Disconnect { sid, namespace } => {
            if let Some(s) = local_socket(io, &namespace, &sid) {
                s.disconnect();
            }
        }
        Operation::EnterRoom {
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
        Operation::LeaveRoom {
            sid,
            namespace,
            room,
        } => {
            if let Some(s) = local_socket(io, &namespace, &sid) {
                s.leave(&room);
            }
        }
        Operation::CloseRoom { room, namespace } => {
            if let Some(ns) = self::namespace(io, &namespace) {
                ns.close_room(&room);
            }
        }
        Operation::Callback {
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
            match args.to_args() {
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
                        operation: Operation::Callback {
                            sid: cb.sid,
                            namespace: cb.namespace,
                            id: cb.id,
                            args: PackedArgs::from_args(answer.args()),
                        },
                    });
                }
            }
        });
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

    use std::sync::Mutex;
    use std::sync::atomic::{AtomicUsize, Ordering};

    use serde::{Serialize, Serializer};

    use super::*;
    use crate::adapter::Manager;

    /// A manager that keeps what it is asked to publish.
    #[derive(Default)]
    struct Probe {
        published: Mutex<Vec<Envelope>>,
    }

    impl Manager for Probe {
        fn host_id(&self) -> &str {
            "0123456789abcdef0123456789abcdef"
        }
        fn publish(&self, env: Envelope) {
            self.published.lock().unwrap().push(env);
        }
        fn start(&self, _sink: Arc<dyn RemoteSink>) {}
    }

    /// A value that counts how often it is serialized.
    struct Counted<'a>(&'a AtomicUsize);

    impl Serialize for Counted<'_> {
        fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
            self.0.fetch_add(1, Ordering::Relaxed);
            (("hello", 1), bytes::Bytes::from_static(b"\x01")).serialize(s)
        }
    }

    #[tokio::test]
    async fn a_cluster_broadcast_serializes_the_value_once() {
        let probe = Arc::new(Probe::default());
        let io = SocketIo::builder().manager(probe.clone()).build().unwrap();
        let count = AtomicUsize::new(0);
        io.of("/chat")
            .to("r1")
            .skip_sid("s1")
            .emit("ev", &Counted(&count))
            .unwrap();
        assert_eq!(count.load(Ordering::Relaxed), 1, "serialized once");
        let published = std::mem::take(&mut *probe.published.lock().unwrap());
        let [env] = published.as_slice() else {
            panic!("one message: {published:?}")
        };
        let Operation::Emit {
            event,
            args,
            namespace,
            room,
            skip_sid,
            callback,
        } = &env.operation
        else {
            panic!("an emit")
        };
        assert_eq!((event.as_str(), namespace.as_str()), ("ev", "/chat"));
        assert_eq!(
            args.elements(),
            r#"["hello",1],{"_placeholder":true,"num":0}"#
        );
        assert_eq!(args.attachments(), [bytes::Bytes::from_static(b"\x01")]);
        assert_eq!(room, &Some(OneOrMany::One("r1".into())));
        assert_eq!(skip_sid, &Some(OneOrMany::One("s1".into())));
        assert_eq!(callback, &None);
        // A local-only emit is not published, and still serialized once.
        io.of("/chat")
            .to("r1")
            .local()
            .emit("ev", &Counted(&count))
            .unwrap();
        assert_eq!(count.load(Ordering::Relaxed), 2);
        assert!(probe.published.lock().unwrap().is_empty());
    }
}
