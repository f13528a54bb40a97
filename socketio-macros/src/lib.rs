//! Procedural macros for `socketio`.
