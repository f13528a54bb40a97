//! Handler tables: which handler serves an event, a connect or a disconnect of a namespace,
//! in python-socketio's order of precedence. The handlers themselves are type-erased
//! closures (`tree.rs`); how a function becomes one is in `handler.rs`.
//!
//! The tables are generic over the handler types so that they need nothing above them.

use std::collections::HashMap;
use std::sync::Arc;

use super::reject::RejectAck;

/// Where a handler was registered from (class handlers carry the `#[on]` method's location).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Location {
    pub(crate) file: &'static str,
    pub(crate) line: u32,
}

/// One level of handlers: function-style or class-based.
#[derive(Clone)]
pub(crate) struct HandlerSet<E, C, D> {
    pub(crate) events: HashMap<Arc<str>, E>,
    pub(crate) any: Option<E>,
    pub(crate) connect: Option<C>,
    pub(crate) disconnect: Option<D>,
}

impl<E, C, D> Default for HandlerSet<E, C, D> {
    fn default() -> Self {
        Self {
            events: HashMap::new(),
            any: None,
            connect: None,
            disconnect: None,
        }
    }
}

impl<E, C, D> HandlerSet<E, C, D> {
    /// The handler for `name`, or this set's catch-all.
    pub(crate) fn event(&self, name: &str) -> Option<&E> {
        self.events.get(name).or(self.any.as_ref())
    }
}

/// Handlers of a namespace: function handlers win over class (`#[namespace]`) handlers, as in
/// python-socketio. `L` is the namespace's event middleware chain (`middleware.rs`).
#[derive(Clone)]
pub(crate) struct Handlers<E, C, D, L> {
    pub(crate) func: HandlerSet<E, C, D>,
    pub(crate) class: HandlerSet<E, C, D>,
    /// Which class registered here, for collision messages.
    pub(crate) class_owner: Option<(&'static str, Location)>,
    /// The middleware around every event handler of the namespace; `None` (the default)
    /// costs one branch per event.
    pub(crate) layer: Option<L>,
    /// The namespace's rejection ack, over the server's.
    pub(crate) reject_ack: Option<RejectAck>,
}

impl<E, C, D, L> Default for Handlers<E, C, D, L> {
    fn default() -> Self {
        Self {
            func: HandlerSet::default(),
            class: HandlerSet::default(),
            class_owner: None,
            layer: None,
            reject_ack: None,
        }
    }
}

impl<E: Clone, C: Clone, D: Clone, L> Handlers<E, C, D, L> {
    /// The handler for `name`, in python-socketio's order: this namespace's function
    /// handlers (event, then `*`), the `*` namespace's function handlers, this namespace's
    /// class handlers, the `*` namespace's class handlers.
    pub(crate) fn event(&self, name: &str, star: Option<&Self>) -> Option<E> {
        self.func
            .event(name)
            .or_else(|| star.and_then(|s| s.func.event(name)))
            .or_else(|| self.class.event(name))
            .or_else(|| star.and_then(|s| s.class.event(name)))
            .cloned()
    }

    /// The connect handler: the function handler, else the class's.
    pub(crate) fn connect(&self) -> Option<C> {
        self.func
            .connect
            .clone()
            .or_else(|| self.class.connect.clone())
    }

    /// The disconnect handler: the function handler, else the class's.
    pub(crate) fn disconnect(&self) -> Option<D> {
        self.func
            .disconnect
            .clone()
            .or_else(|| self.class.disconnect.clone())
    }
}
