//! Event middleware: code around every event handler of a namespace that sees the event
//! before its handler (and may refuse it) and how it ended (the ack, the duration).
//!
//! A namespace without middleware pays one branch per event; with some, one allocation
//! per event (the hook that reports its end) and a clock read.

use std::sync::Arc;
use std::time::{Duration, Instant};

use super::ack::AckOutcome;
use super::handler::reject_event;
use super::reject::ParamError;
use super::tree::{ErasedEvent, EventContext, EventLayer, Socket};
use crate::sync::BoxFuture;

/// Code around every event handler of a namespace: [`before`](Self::before) sees the event
/// (socket, name, arguments) and may refuse it, [`after`](Self::after) sees how it ended
/// (its acknowledgement and how long it took).
///
/// Install with [`Namespace::middleware`](crate::Namespace::middleware) or from a
/// `#[namespace("/path", middleware(expr, ..))]` impl block. Several run in the order they
/// were installed (`before`), and in reverse for `after`; the first that refuses stops the
/// chain: the handler is not called, the client gets the rejection ack, and the `after` of
/// that middleware and of those before it is called with [`AckOutcome::Rejected`].
/// Middleware of the catch-all namespace `*` serves the namespaces created from it.
///
/// Both methods run on the connection's task, inline: they must not block.
///
/// ```
/// use std::sync::atomic::{AtomicU64, Ordering};
/// use socketio::{AckOutcome, EventContext, EventDone, EventMiddleware, ParamError, SocketIo};
///
/// #[derive(Default)]
/// struct Audit { handled: AtomicU64 }
///
/// impl EventMiddleware for Audit {
///     fn before(&self, ev: &EventContext) -> Result<(), ParamError> {
///         if ev.event().starts_with("admin:") && ev.handshake().query("role").as_deref() != Some("admin") {
///             return Err(ParamError::reject("forbidden"));
///         }
///         Ok(())
///     }
///     fn after(&self, done: &EventDone<'_>) {
///         self.handled.fetch_add(1, Ordering::Relaxed);
///         if !matches!(done.outcome(), AckOutcome::Rejected(_)) {
///             println!("{} took {:?}", done.event(), done.elapsed());
///         }
///     }
/// }
///
/// let io = SocketIo::builder().build().unwrap();
/// io.of("/").middleware(Audit::default()).on("admin:wipe", async || "wiped");
/// ```
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not an event middleware",
    label = "does not implement `socketio::EventMiddleware`",
    note = "implement `socketio::EventMiddleware` for the type (its `before` and `after` methods both have defaults)"
)]
pub trait EventMiddleware: Send + Sync + 'static {
    /// Before the handler's parameters are extracted. `Err` refuses the event (see
    /// [`ParamError::reject`]). The default accepts.
    fn before(&self, event: &EventContext) -> Result<(), ParamError> {
        let _ = event;
        Ok(())
    }

    /// Once the event ended: its handler finished (and the ack, if any, was sent), or it
    /// was refused. Not called for a handler whose socket closed before it finished. The
    /// default does nothing.
    fn after(&self, done: &EventDone<'_>) {
        let _ = done;
    }
}

/// How an event ended, as [`EventMiddleware::after`] sees it.
#[derive(Debug)]
pub struct EventDone<'a> {
    socket: &'a Socket,
    event: &'a str,
    outcome: AckOutcome<'a>,
    elapsed: Duration,
}

impl<'a> EventDone<'a> {
    /// The socket the event arrived on.
    pub fn socket(&self) -> &'a Socket {
        self.socket
    }

    /// The event's name.
    pub fn event(&self) -> &'a str {
        self.event
    }

    /// Whether the handler ran, and what became of its acknowledgement.
    pub fn outcome(&self) -> AckOutcome<'a> {
        self.outcome
    }

    /// From the first middleware's `before` to the ack being sent (or the refusal).
    pub fn elapsed(&self) -> Duration {
        self.elapsed
    }
}

/// The middleware of one namespace, in installation order.
#[derive(Clone, Default)]
pub(crate) struct Chain(Arc<[Arc<dyn EventMiddleware>]>);

impl Chain {
    /// This chain with `m` appended.
    pub(crate) fn with(&self, m: Arc<dyn EventMiddleware>) -> Chain {
        let mut v: Vec<_> = self.0.iter().cloned().collect();
        v.push(m);
        Chain(v.into())
    }

    /// The hook that reports the end of the event to the first `upto` middleware.
    fn hook(&self, ctx: &EventContext, upto: usize, start: Instant) -> super::tree::DoneHook {
        let chain = self.0.clone();
        let socket = ctx.socket.clone();
        let name = ctx.name.clone();
        Box::new(move |outcome| {
            let done = EventDone {
                socket: &socket,
                event: &name,
                outcome,
                elapsed: start.elapsed(),
            };
            for m in chain.iter().take(upto).rev() {
                m.after(&done);
            }
        })
    }
}

impl EventLayer for Chain {
    fn call(&self, mut ctx: EventContext, handler: &ErasedEvent) -> Option<BoxFuture<'static, ()>> {
        let start = Instant::now();
        for (i, m) in self.0.iter().enumerate() {
            if let Err(e) = m.before(&ctx) {
                ctx.done = Some(self.hook(&ctx, i + 1, start));
                reject_event(ctx, &e);
                return None;
            }
        }
        ctx.done = Some(self.hook(&ctx, self.0.len(), start));
        handler(ctx)
    }

    fn as_any(&self) -> &dyn std::any::Any {
        self
    }
}

/// Append `m` to the chain of the handler table `h`.
pub(crate) fn install(h: &mut super::tree::Handlers, m: Arc<dyn EventMiddleware>) {
    let chain = h
        .layer
        .as_ref()
        .and_then(|l| l.as_any().downcast_ref::<Chain>())
        .cloned()
        .unwrap_or_default();
    h.layer = Some(Arc::new(chain.with(m)));
}
