//! The typed session store of one socket (the data; `session.rs` has the methods on
//! [`Socket`](super::Socket) and [`Namespace`](super::Namespace) that use it). A leaf: it names
//! nothing else of the server, so the socket struct can own one.

use std::any::TypeId;
use std::cell::Cell;
use std::sync::Mutex;

use crate::sync::lock;

pub(crate) use super::types::SessionData;

/// The session values of one socket, one per type.
#[derive(Default)]
pub(crate) struct SessionStore(Mutex<SessionData>);

thread_local! {
    /// The store whose lock this thread holds while a session closure runs (0: none).
    static IN_CLOSURE: Cell<usize> = const { Cell::new(0) };
}

/// Marks the store busy on this thread while a closure runs under its lock (restoring the
/// previous mark: a closure may use another socket's session).
struct ClosureGuard(usize);

impl ClosureGuard {
    fn enter(store: &SessionStore) -> Self {
        let key = store as *const SessionStore as usize;
        Self(IN_CLOSURE.with(|c| c.replace(key)))
    }
}

impl Drop for ClosureGuard {
    fn drop(&mut self) {
        IN_CLOSURE.with(|c| c.set(self.0));
    }
}

/// A programming error in the application (never reachable from the network): fail loudly
/// instead of deadlocking.
#[allow(clippy::panic)]
#[cold]
fn reentered() -> ! {
    panic!(
        "a socket's session was accessed inside its own `session`/`with_session` closure: \
         use the `&mut T` the closure receives"
    )
}

impl SessionStore {
    fn map(&self) -> std::sync::MutexGuard<'_, SessionData> {
        let key = self as *const SessionStore as usize;
        if IN_CLOSURE.with(Cell::get) == key {
            reentered();
        }
        lock(&self.0)
    }

    pub(crate) fn get<T: Clone + Send + Sync + 'static>(&self) -> Option<T> {
        self.map()
            .get(&TypeId::of::<T>())
            .and_then(|v| v.downcast_ref::<T>())
            .cloned()
    }

    pub(crate) fn insert<T: Send + Sync + 'static>(&self, value: T) -> Option<T> {
        self.map()
            .insert(TypeId::of::<T>(), Box::new(value))
            .and_then(|old| old.downcast::<T>().ok())
            .map(|b| *b)
    }

    pub(crate) fn remove<T: Send + Sync + 'static>(&self) -> Option<T> {
        self.map()
            .remove(&TypeId::of::<T>())
            .and_then(|old| old.downcast::<T>().ok())
            .map(|b| *b)
    }

    pub(crate) fn contains<T: Send + Sync + 'static>(&self) -> bool {
        self.map().contains_key(&TypeId::of::<T>())
    }

    pub(crate) fn update<T: Send + Sync + 'static, R>(
        &self,
        f: impl FnOnce(&mut T) -> R,
    ) -> Option<R> {
        let mut map = self.map();
        let value = map.get_mut(&TypeId::of::<T>())?.downcast_mut::<T>()?;
        let _busy = ClosureGuard::enter(self);
        Some(f(value))
    }

    pub(crate) fn update_or_default<T: Default + Send + Sync + 'static, R>(
        &self,
        f: impl FnOnce(&mut T) -> R,
    ) -> R {
        let mut map = self.map();
        let slot = map
            .entry(TypeId::of::<T>())
            .or_insert_with(|| Box::new(T::default()));
        let _busy = ClosureGuard::enter(self);
        match slot.downcast_mut::<T>() {
            Some(value) => f(value),
            // Unreachable: the map is keyed by the value's own type.
            None => f(&mut T::default()),
        }
    }

    /// Take every value out (kept for connection state recovery).
    pub(crate) fn take_all(&self) -> SessionData {
        std::mem::take(&mut *self.map())
    }

    /// Put back the values of a recovered session (the socket's store is empty then).
    pub(crate) fn restore(&self, data: SessionData) {
        let old = std::mem::replace(&mut *self.map(), data);
        drop(old);
    }
}
