//! The Socket.IO server: namespaces, sockets, rooms, acks, emit operators, sessions.
