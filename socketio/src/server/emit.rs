//! Emit operators: target rooms and sids, exclude sids, and send one encoded packet to all.

use std::sync::Arc;

use serde::Serialize;
use smallvec::SmallVec;

use super::socket::EmitError;
use super::state::{NsInner, Room, Sid, Socket};
use crate::adapter::manager::{one_or_many, packed};
use crate::adapter::pubsub::Message;
use crate::engine::Frame;
use crate::proto::sio::{self, Args};

/// Selects recipients in one namespace and emits to them. The packet is encoded once and its
/// bytes are shared by every recipient.
///
/// ```no_run
/// # fn f(io: socketio::SocketIo, sender: &str) {
/// io.of("/chat").to("room1").to("room2").skip_sid(sender).emit("news", &"hello").ok();
/// # }
/// ```
#[derive(Clone)]
#[must_use = "an operator does nothing until `emit` is called"]
pub struct BroadcastOperator {
    pub(crate) ns: Arc<NsInner>,
    pub(crate) rooms: SmallVec<[Room; 1]>,
    pub(crate) skip: SmallVec<[Sid; 1]>,
    pub(crate) local: bool,
}

impl std::fmt::Debug for BroadcastOperator {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BroadcastOperator")
            .field("ns", &self.ns.path)
            .field("rooms", &self.rooms)
            .field("skip", &self.skip)
            .field("local", &self.local)
            .finish()
    }
}

impl BroadcastOperator {
    pub(crate) fn new(ns: Arc<NsInner>) -> Self {
        Self {
            ns,
            rooms: SmallVec::new(),
            skip: SmallVec::new(),
            local: false,
        }
    }

    /// Add a room (or a sid: every sid is a room of its own) to the recipients.
    pub fn to(mut self, room: impl Into<String>) -> Self {
        self.rooms.push(Arc::from(room.into()));
        self
    }

    /// Add several rooms.
    pub fn to_rooms<I: IntoIterator<Item = S>, S: Into<String>>(mut self, rooms: I) -> Self {
        self.rooms
            .extend(rooms.into_iter().map(|r| Arc::from(r.into())));
        self
    }

    /// Exclude a socket (python's `skip_sid`); call again to exclude more.
    pub fn skip_sid(mut self, sid: impl Into<String>) -> Self {
        self.skip.push(Arc::from(sid.into()));
        self
    }

    /// Keep this emit on this server even when a message-queue manager is configured
    /// (python's `ignore_queue=True`, Node's `local`).
    pub fn local(mut self) -> Self {
        self.local = true;
        self
    }

    /// Emit `event` with `data` (argument rule as [`Socket::emit`](crate::Socket::emit)) to
    /// the local recipients, then, when the server has a cluster manager and the operator is
    /// not [`local`](Self::local), publish it to the other servers.
    pub fn emit<T: Serialize + ?Sized>(&self, event: &str, data: &T) -> Result<(), EmitError> {
        let enc = sio::encode_event(&self.ns.path, event, None, data)
            .map_err(|e| EmitError::Serialize(e.to_string()))?;
        self.deliver(&enc);
        if !self.local {
            let io = self.ns.io_inner();
            if io.has_manager() {
                let args =
                    Args::from_serialize(data).map_err(|e| EmitError::Serialize(e.to_string()))?;
                publish_emit(self, event, &args);
            }
        }
        Ok(())
    }

    /// Emit the `message` event.
    pub fn send<T: Serialize + ?Sized>(&self, data: &T) -> Result<(), EmitError> {
        self.emit("message", data)
    }

    /// Deliver an encoded packet to the local recipients.
    pub(crate) fn deliver(&self, enc: &sio::Encoded) {
        let mut frames: SmallVec<[Frame; 2]> = SmallVec::with_capacity(1 + enc.attachments.len());
        frames.push(Frame::Text(enc.text.clone()));
        frames.extend(enc.attachments.iter().cloned().map(Frame::Binary));
        self.ns.for_each_target(&self.rooms, &self.skip, |s| {
            let _ = s.send_frames(&frames);
        });
    }
}

/// Publish an emit (called after the local delivery).
fn publish_emit(op: &BroadcastOperator, event: &str, args: &Args) {
    op.ns.io_inner().publish(Message::Emit {
        event: event.to_owned(),
        args: packed(args),
        namespace: op.ns.path.to_string(),
        room: one_or_many(&op.rooms),
        skip_sid: one_or_many(&op.skip),
        callback: None,
    });
}

impl Socket {
    /// Emit to a room of this namespace, except this socket (Node's `socket.to(room)`).
    pub fn to(&self, room: impl Into<String>) -> BroadcastOperator {
        BroadcastOperator::new(self.0.ns.clone())
            .to(room)
            .skip_sid(self.id())
    }

    /// Emit to every socket of this namespace except this one (Node's `socket.broadcast`).
    pub fn broadcast(&self) -> BroadcastOperator {
        BroadcastOperator::new(self.0.ns.clone()).skip_sid(self.id())
    }
}
