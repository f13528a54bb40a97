//! Engine.IO v4 packets and HTTP long-polling payloads (sans-IO).
//!
//! Owned by the engine work: packet types `0`–`6`, text decoding, `\x1e`-separated polling
//! payloads with `b<base64>` binary messages, and the handshake JSON.
