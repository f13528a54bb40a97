//! How handlers run: the queue that runs one socket's handlers in order, and the count of
//! handler tasks in flight that shutdown waits for.

use std::collections::VecDeque;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::task::{Context, Poll};

use super::ratelimit::Charge;
use crate::sync::BoxFuture;

/// Ordered execution of one socket's handlers.
pub(crate) enum Exec {
    Idle,
    /// A handler runs; these wait, each event with its share of the connection's inbound
    /// budget (none for connect and disconnect handlers).
    Busy(VecDeque<(BoxFuture<'static, ()>, Option<Charge>)>),
}

/// Poll `fut` once, with a waker that does nothing: a handler that completes here ran inline.
pub(crate) fn poll_once(fut: &mut BoxFuture<'static, ()>) -> Poll<()> {
    let waker = std::task::Waker::noop();
    let mut cx = Context::from_waker(waker);
    fut.as_mut().poll(&mut cx)
}

/// Counts handler tasks in flight so shutdown can wait for them.
#[derive(Default)]
pub(crate) struct TaskTracker {
    pub(crate) count: AtomicUsize,
    pub(crate) idle: tokio::sync::Notify,
}

impl TaskTracker {
    /// Run `fut` on a task of its own, counted until it finishes.
    pub(crate) fn spawn(self: &Arc<Self>, fut: BoxFuture<'static, ()>) {
        self.count.fetch_add(1, Ordering::AcqRel);
        let guard = TaskGuard(self.clone());
        tokio::spawn(async move {
            fut.await;
            drop(guard);
        });
    }

    pub(crate) async fn wait_idle(&self) {
        loop {
            let notified = self.idle.notified();
            if self.count.load(Ordering::Acquire) == 0 {
                return;
            }
            notified.await;
        }
    }
}

struct TaskGuard(Arc<TaskTracker>);

impl Drop for TaskGuard {
    fn drop(&mut self) {
        if self.0.count.fetch_sub(1, Ordering::AcqRel) == 1 {
            self.0.idle.notify_waiters();
        }
    }
}
