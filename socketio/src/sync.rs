//! Small helpers shared by every layer: lock guards that survive poisoning, and the boxed
//! future of erased handlers and brokers.
//!
//! A panic in a user's handler must not take the server down with it, so a poisoned lock is
//! used as is: every critical section of this crate leaves its data consistent before it can
//! panic, or holds data that stays valid whatever happened.

use std::future::Future;
use std::pin::Pin;
use std::sync::{Mutex, MutexGuard, PoisonError, RwLock, RwLockReadGuard, RwLockWriteGuard};

/// A boxed, `Send` future: what erased handlers return, and what keeps
/// [`Broker`](crate::adapter::broker::Broker) object safe.
pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// Lock `m`, even if a panic poisoned it.
pub(crate) fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

/// Read-lock `l`, even if a panic poisoned it.
pub(crate) fn read<T>(l: &RwLock<T>) -> RwLockReadGuard<'_, T> {
    l.read().unwrap_or_else(PoisonError::into_inner)
}

/// Write-lock `l`, even if a panic poisoned it.
pub(crate) fn write<T>(l: &RwLock<T>) -> RwLockWriteGuard<'_, T> {
    l.write().unwrap_or_else(PoisonError::into_inner)
}
