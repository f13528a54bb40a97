//! Emit operators: target rooms and sids, exclude sids, and send one encoded packet to all.

use std::sync::Arc;

use serde::Serialize;
use smallvec::SmallVec;

use super::rooms::{Room, Sid};
use super::tree::NsInner;
use super::types::EmitError;
use crate::adapter::{OneOrMany, Operation, PackedArgs};
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
    /// not [`local`](Self::local), publish it to the other servers. `data` is serialized
    /// once: the cluster message carries the arguments' bytes of the local packet.
    pub fn emit<T: Serialize + ?Sized>(&self, event: &str, data: &T) -> Result<(), EmitError> {
        if !self.ns.parser.is_json() {
            return self.emit_with_parser(event, data);
        }
        let (enc, span) = sio::encode_event_with_args_span(&self.ns.path, event, None, data)
            .map_err(|e| EmitError::Serialize(e.to_string()))?;
        self.deliver_event(&enc, event, || Args::from_serialize(data).ok());
        self.observe_sent(event, data);
        if let Some(m) = self.manager() {
            publish_emit(self, m, event, PackedArgs::shared_from_event(&enc, span));
        }
        Ok(())
    }

    /// The cluster manager to publish this emit to: none when the server has none or the
    /// operator is [`local`](Self::local).
    fn manager(&self) -> Option<&Arc<dyn crate::adapter::Manager>> {
        self.ns.manager.as_ref().filter(|_| !self.local)
    }

    /// Tell the server's observer (the Admin UI) about an emit, when one is installed.
    fn observe_sent<T: Serialize + ?Sized>(&self, event: &str, data: &T) {
        if let Some(o) = self.ns.observer.get() {
            let recipients = || self.ns.targets(&self.rooms, &self.skip);
            o.event_sent(&self.ns.path, event, &recipients, &|| {
                Args::from_serialize(data).ok()
            });
        }
    }

    /// [`emit`](Self::emit) with a parser other than JSON: the packet in that encoding for
    /// the local recipients, the JSON arguments of python's message format for the cluster.
    fn emit_with_parser<T: Serialize + ?Sized>(
        &self,
        event: &str,
        data: &T,
    ) -> Result<(), EmitError> {
        let enc = self
            .ns
            .parser
            .encode_event(&self.ns.path, event, None, data)
            .map_err(|e| EmitError::Serialize(e.to_string()))?;
        self.deliver_event(&enc, event, || Args::from_serialize(data).ok());
        self.observe_sent(event, data);
        if let Some(m) = self.manager() {
            let (json, span) = sio::encode_event_with_args_span(&self.ns.path, event, None, data)
                .map_err(|e| EmitError::Serialize(e.to_string()))?;
            publish_emit(self, m, event, PackedArgs::shared_from_event(&json, span));
        }
        Ok(())
    }

    /// Emit the `message` event.
    pub fn send<T: Serialize + ?Sized>(&self, data: &T) -> Result<(), EmitError> {
        self.emit("message", data)
    }

    /// Deliver the encoded event `enc` to the local recipients; with connection state
    /// recovery on, first keep it in the namespace's log with its offset appended (`args`,
    /// its arguments, are asked for only when the parser is not JSON). One packet, with one
    /// offset, for every recipient.
    pub(crate) fn deliver_event(
        &self,
        enc: &sio::Encoded,
        event: &str,
        args: impl FnOnce() -> Option<Args>,
    ) {
        let Some(store) = self.ns.recovery() else {
            return self.deliver(enc);
        };
        let parser = &self.ns.parser;
        let args = if parser.is_json() { None } else { args() };
        let frames = store.log(&self.rooms, &self.skip, std::time::Instant::now(), |o| {
            super::recovery::frames_with_offset(parser, &self.ns.path, event, enc, args.as_ref(), o)
        });
        self.deliver_frames(&frames);
    }

    /// Deliver an encoded packet to the local recipients.
    pub(crate) fn deliver(&self, enc: &sio::Encoded) {
        self.deliver_frames(&crate::engine::Frame::of_packet(enc));
    }

    fn deliver_frames(&self, frames: &[crate::engine::Frame]) {
        let mut sent = 0;
        self.ns.for_each_target(&self.rooms, &self.skip, |s| {
            if s.send_frames(frames).is_ok() {
                sent += 1;
            }
        });
        self.ns.metrics.events_sent(sent);
    }
}

/// Publish an emit (called after the local delivery).
fn publish_emit(
    op: &BroadcastOperator,
    manager: &Arc<dyn crate::adapter::Manager>,
    event: &str,
    args: PackedArgs,
) {
    manager.publish(crate::adapter::Envelope {
        host_id: manager.host_id().to_owned(),
        operation: Operation::Emit {
            event: event.to_owned(),
            args,
            namespace: op.ns.path.to_string(),
            room: OneOrMany::from_names(&op.rooms),
            skip_sid: OneOrMany::from_names(&op.skip),
            callback: None,
        },
    });
}
