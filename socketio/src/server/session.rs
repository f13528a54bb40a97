//! Typed sessions: per-socket storage keyed by type (as `http::Extensions`), several types side
//! by side, read and written from handlers ([`Socket`]) and by sid from anywhere
//! ([`Namespace`]), cleared once the socket's disconnect handler has run.
//!
//! Every operation takes the store's lock for the duration of a map lookup or of a synchronous
//! closure, so no lock is ever held across an `.await`. A closure given to
//! [`Socket::session`] or [`Socket::with_session`] must not touch the same socket's session
//! (that would be a re-entrant lock): such a call panics with a message naming the mistake
//! instead of deadlocking.

use super::ns::Namespace;
use super::tree::Socket;

impl Socket {
    /// A copy of this socket's session value of type `T`, if one was saved (python-socketio's
    /// `get_session`). Values of other types are unaffected and do not answer.
    ///
    /// ```no_run
    /// # fn f(socket: socketio::Socket) {
    /// #[derive(Clone)]
    /// struct User(String);
    /// socket.save_session(User("ann".into()));
    /// socket.save_session(42u32); // another type, side by side
    /// assert_eq!(socket.get_session::<User>().map(|u| u.0), Some("ann".into()));
    /// assert_eq!(socket.get_session::<String>(), None); // never saved: no default made up
    /// # }
    /// ```
    pub fn get_session<T: Clone + Send + Sync + 'static>(&self) -> Option<T> {
        self.0.session.get::<T>()
    }

    /// Save `value` as this socket's session value of type `T`, replacing only a previous `T`
    /// (python-socketio's `save_session`). The session lives until the socket's disconnect
    /// handler has run.
    ///
    /// ```no_run
    /// # fn f(socket: socketio::Socket) {
    /// socket.save_session(String::from("ann"));
    /// # }
    /// ```
    pub fn save_session<T: Send + Sync + 'static>(&self, value: T) {
        self.0.session.insert(value);
    }

    /// Remove this socket's session value of type `T` and return it.
    ///
    /// ```no_run
    /// # fn f(socket: socketio::Socket) {
    /// let nick: Option<String> = socket.take_session::<String>();
    /// # }
    /// ```
    pub fn take_session<T: Send + Sync + 'static>(&self) -> Option<T> {
        self.0.session.remove::<T>()
    }

    /// True when a session value of type `T` is saved.
    ///
    /// ```no_run
    /// # fn f(socket: socketio::Socket) {
    /// if !socket.has_session::<String>() {
    ///     socket.save_session(String::from("anonymous"));
    /// }
    /// # }
    /// ```
    pub fn has_session<T: Send + Sync + 'static>(&self) -> bool {
        self.0.session.contains::<T>()
    }

    /// Change this socket's session value of type `T` in place (python-socketio's `session`
    /// context manager): `f` runs with `&mut T` and its result is returned; `None`, without
    /// calling `f`, when no `T` is saved.
    ///
    /// `f` is synchronous, so the session's lock is never held across an `.await`: read what
    /// you need, await, then update. Inside `f` use the `&mut T` it receives; touching this
    /// socket's session again from `f` panics (it would deadlock).
    ///
    /// ```no_run
    /// # fn f(socket: socketio::Socket) {
    /// struct Score(u32);
    /// socket.save_session(Score(0));
    /// let now = socket.session(|s: &mut Score| {
    ///     s.0 += 10;
    ///     s.0
    /// });
    /// assert_eq!(now, Some(10));
    /// # }
    /// ```
    pub fn session<T: Send + Sync + 'static, R>(&self, f: impl FnOnce(&mut T) -> R) -> Option<R> {
        self.0.session.update(f)
    }

    /// [`Socket::session`], starting from `T::default()` when no `T` is saved. Values of other
    /// types are never touched (sessions are keyed by type), so this replaces nothing.
    ///
    /// ```no_run
    /// # fn f(socket: socketio::Socket) {
    /// #[derive(Default)]
    /// struct Seen(u32);
    /// let n = socket.with_session(|s: &mut Seen| {
    ///     s.0 += 1;
    ///     s.0
    /// });
    /// # }
    /// ```
    pub fn with_session<T: Default + Send + Sync + 'static, R>(
        &self,
        f: impl FnOnce(&mut T) -> R,
    ) -> R {
        self.0.session.update_or_default(f)
    }
}

impl Namespace {
    /// A copy of the session value of type `T` of socket `sid` (python's
    /// `get_session(sid)`); `None` when the socket is not connected to this namespace on this
    /// server or has no `T`. Sessions are local to the server holding the socket. In a
    /// disconnect handler the sid has already left the namespace: read the session through
    /// the handler's [`Socket`] there.
    ///
    /// ```no_run
    /// # fn f(io: socketio::SocketIo, sid: &str) {
    /// let nick: Option<String> = io.of("/chat").get_session::<String>(sid);
    /// # }
    /// ```
    pub fn get_session<T: Clone + Send + Sync + 'static>(&self, sid: &str) -> Option<T> {
        self.socket(sid)?.get_session::<T>()
    }

    /// Save `value` as the session value of type `T` of socket `sid` (python's
    /// `save_session(sid, session)`); false when the socket is not connected to this
    /// namespace on this server.
    ///
    /// ```no_run
    /// # fn f(io: socketio::SocketIo, sid: &str) {
    /// io.of("/chat").save_session(sid, String::from("ann"));
    /// # }
    /// ```
    pub fn save_session<T: Send + Sync + 'static>(&self, sid: &str, value: T) -> bool {
        match self.socket(sid) {
            Some(s) => {
                s.save_session(value);
                true
            }
            None => false,
        }
    }

    /// Change the session value of type `T` of socket `sid` in place (python's
    /// `session(sid)`), as [`Socket::session`]; `None` when the socket is not here or has no
    /// `T`.
    ///
    /// ```no_run
    /// # fn f(io: socketio::SocketIo, sid: &str) {
    /// io.of("/chat").session(sid, |nick: &mut String| nick.make_ascii_lowercase());
    /// # }
    /// ```
    pub fn session<T: Send + Sync + 'static, R>(
        &self,
        sid: &str,
        f: impl FnOnce(&mut T) -> R,
    ) -> Option<R> {
        self.socket(sid)?.session(f)
    }
}
