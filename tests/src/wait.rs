//! Bounded waits: every awaited event has a limit, and a hang fails the test with a message
//! naming what was awaited.

use std::future::Future;
use std::time::Duration;

use tokio::sync::mpsc;

/// The default bound on any single awaited event (a frame, a response, a handler's report).
pub const STEP: Duration = Duration::from_secs(5);

/// Await `fut`, failing the test with `what` if it takes longer than `limit`.
///
/// ```no_run
/// # async fn f() {
/// use socketio_tests::{STEP, within};
/// let v = within("the answer", STEP, async { 42 }).await;
/// assert_eq!(v, 42);
/// # }
/// ```
pub async fn within<F: Future>(what: &str, limit: Duration, fut: F) -> F::Output {
    match tokio::time::timeout(limit, fut).await {
        Ok(v) => v,
        Err(_) => panic!("timed out after {limit:?} waiting for {what}"),
    }
}

/// The next value of a channel that handlers report into, bounded by [`STEP`].
pub async fn next<T>(rx: &mut mpsc::UnboundedReceiver<T>) -> T {
    within("a value reported by a handler", STEP, rx.recv())
        .await
        .expect("reporting channel closed")
}

/// Wait until `cond` holds, failing the test with `what` after `limit`: for a state that is
/// observable but announces no event (a connection count going down after a grace period,
/// a broker message published by another task). The condition is re-checked on every
/// scheduler turn of this task, with a 1 ms pause so that other tasks and threads run; the
/// pause is not the synchronisation, the condition is.
pub async fn eventually(what: &str, limit: Duration, mut cond: impl FnMut() -> bool) {
    let deadline = tokio::time::Instant::now() + limit;
    while !cond() {
        assert!(
            tokio::time::Instant::now() < deadline,
            "timed out after {limit:?} waiting for {what}"
        );
        tokio::time::sleep(Duration::from_millis(1)).await;
    }
}
