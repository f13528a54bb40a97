//! axum integration: the Socket.IO endpoint, static files, and fallback to the user's routes.
