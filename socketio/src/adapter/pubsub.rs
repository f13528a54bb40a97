//! python-socketio (>= 5.14) message-queue wire format and broker clients.
