//! permessage-deflate (RFC 7692, test bed `WS_DEFLATE=1`) over raw sockets: negotiated only
//! when the option is on and the client offers it, compressed frames both ways with context
//! takeover, the threshold, the inflated size bounded by `max_payload` (a decompression bomb
//! at the limit + 1 closes with 1009), and an offer the server cannot honour declined. The
//! official client (Node's `ws` inside socket.io-client) is in `interop_js.rs` (`deflate`).
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    missing_docs
)]

use flate2::{Compress, Compression, Decompress, FlushCompress, FlushDecompress, Status};
use socketio_tests::*;
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use tokio::net::TcpStream;

const OFFER: &str = "permessage-deflate; client_max_window_bits";

/// One frame as read: RSV1 (compressed), opcode, payload (as sent, not inflated).
#[derive(Debug)]
struct RawFrame {
    rsv1: bool,
    opcode: u8,
    payload: Vec<u8>,
}

/// A raw WebSocket client that compresses and inflates itself, with context takeover (one
/// compressor and one decompressor for the whole connection, as RFC 7692 §7.2.3 allows).
struct DeflateClient {
    tcp: TcpStream,
    buf: Vec<u8>,
    /// The response's `Sec-WebSocket-Extensions`, if any.
    extensions: Option<String>,
    compress: Compress,
    decompress: Decompress,
}

impl DeflateClient {
    async fn open(srv: &TestServer, offer: Option<&str>) -> DeflateClient {
        let mut tcp = within("connect", STEP, TcpStream::connect(srv.addr))
            .await
            .unwrap();
        let ext = offer
            .map(|o| format!("Sec-WebSocket-Extensions: {o}\r\n"))
            .unwrap_or_default();
        let req = format!(
            "GET /engine.io/?EIO=4&transport=websocket HTTP/1.1\r\nHost: {}\r\n\
             Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Version: 13\r\n\
             Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n{ext}\r\n",
            srv.addr
        );
        tcp.write_all(req.as_bytes()).await.unwrap();
        let mut buf = Vec::new();
        let end = loop {
            if let Some(i) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
                break i + 4;
            }
            let mut chunk = [0u8; 1024];
            let n = within("upgrade response", STEP, tcp.read(&mut chunk))
                .await
                .unwrap();
            assert!(n > 0, "closed during the upgrade");
            buf.extend_from_slice(&chunk[..n]);
        };
        let resp = parse_response(&buf[..end]).expect("an HTTP response");
        assert_eq!(resp.status, 101, "{}", String::from_utf8_lossy(&buf));
        let extensions = resp.header("sec-websocket-extensions").map(str::to_owned);
        buf.drain(..end);
        DeflateClient {
            tcp,
            buf,
            extensions,
            compress: Compress::new(Compression::default(), false),
            decompress: Decompress::new(false),
        }
    }

    /// Send one masked frame.
    async fn send_frame(&mut self, rsv1: bool, opcode: u8, payload: &[u8]) {
        let mut f = vec![0x80 | if rsv1 { 0x40 } else { 0 } | opcode];
        match payload.len() {
            n if n < 126 => f.push(0x80 | n as u8),
            n if n < 65536 => {
                f.push(0x80 | 126);
                f.extend_from_slice(&(n as u16).to_be_bytes());
            }
            n => {
                f.push(0x80 | 127);
                f.extend_from_slice(&(n as u64).to_be_bytes());
            }
        }
        let mask = [0x12, 0x34, 0x56, 0x78];
        f.extend_from_slice(&mask);
        f.extend(payload.iter().enumerate().map(|(i, b)| b ^ mask[i % 4]));
        within("send a frame", STEP, self.tcp.write_all(&f))
            .await
            .unwrap();
    }

    /// `text` deflated as one message (RFC 7692 §7.2.1: sync flush, trailing 00 00 ff ff
    /// removed).
    fn deflate(&mut self, text: &[u8]) -> Vec<u8> {
        let mut out = Vec::with_capacity(text.len() / 2 + 64);
        let start = self.compress.total_in();
        loop {
            let done = (self.compress.total_in() - start) as usize;
            out.reserve(4096);
            self.compress
                .compress_vec(&text[done..], &mut out, FlushCompress::Sync)
                .unwrap();
            if (self.compress.total_in() - start) as usize == text.len()
                && out.ends_with(&[0, 0, 0xff, 0xff])
            {
                break;
            }
        }
        out.truncate(out.len() - 4);
        out
    }

    async fn send_compressed(&mut self, text: &[u8]) -> usize {
        let payload = self.deflate(text);
        self.send_frame(true, 1, &payload).await;
        payload.len()
    }

    /// The next frame, or `None` when the server closed the TCP connection.
    async fn frame(&mut self) -> Option<RawFrame> {
        loop {
            if let Some((frame, used)) = parse_frame(&self.buf) {
                self.buf.drain(..used);
                return Some(frame);
            }
            let mut chunk = vec![0u8; 64 * 1024];
            let n = within("a frame", STEP, self.tcp.read(&mut chunk))
                .await
                .unwrap_or(0);
            if n == 0 {
                return None;
            }
            self.buf.extend_from_slice(&chunk[..n]);
        }
    }

    /// The next data frame's text, inflated if it was compressed, and whether it was.
    async fn text(&mut self) -> (String, bool) {
        let f = self.frame().await.expect("a text frame");
        assert_eq!(f.opcode, 1, "{f:?}");
        let data = if f.rsv1 {
            self.inflate(&f.payload)
        } else {
            f.payload
        };
        (String::from_utf8(data).unwrap(), f.rsv1)
    }

    fn inflate(&mut self, payload: &[u8]) -> Vec<u8> {
        let mut input = payload.to_vec();
        input.extend_from_slice(&[0, 0, 0xff, 0xff]);
        let mut out = Vec::with_capacity(input.len() * 4);
        let start = self.decompress.total_in();
        loop {
            let done = (self.decompress.total_in() - start) as usize;
            out.reserve(64 * 1024);
            let st = self
                .decompress
                .decompress_vec(&input[done..], &mut out, FlushDecompress::Sync)
                .unwrap();
            if (self.decompress.total_in() - start) as usize == input.len()
                && out.len() < out.capacity()
                || st == Status::StreamEnd
            {
                return out;
            }
        }
    }

    /// The close code of the server's close frame (frames before it are skipped).
    async fn close_code(&mut self) -> Option<u16> {
        while let Some(f) = self.frame().await {
            if f.opcode == 8 {
                return f.payload.get(..2).map(|c| u16::from_be_bytes([c[0], c[1]]));
            }
        }
        None
    }
}

/// `prefix` then `n` bytes `b`, deflated as the first message of a fresh compression
/// context, a chunk at a time (the client never holds the inflated message).
fn deflate_repeated(prefix: &[u8], b: u8, n: usize) -> Vec<u8> {
    let mut compress = Compress::new(Compression::default(), false);
    let chunk = vec![b; 1 << 20];
    let mut out = Vec::with_capacity(64 * 1024);
    compress
        .compress_vec(prefix, &mut out, FlushCompress::None)
        .unwrap();
    assert_eq!(compress.total_in() as usize, prefix.len());
    let mut left = n;
    while left > 0 {
        let take = left.min(chunk.len());
        let start = compress.total_in();
        while ((compress.total_in() - start) as usize) < take {
            let done = (compress.total_in() - start) as usize;
            out.reserve(64 * 1024);
            compress
                .compress_vec(&chunk[done..take], &mut out, FlushCompress::None)
                .unwrap();
        }
        left -= take;
    }
    loop {
        out.reserve(64 * 1024);
        compress
            .compress_vec(&[], &mut out, FlushCompress::Sync)
            .unwrap();
        if out.ends_with(&[0, 0, 0xff, 0xff]) {
            break;
        }
    }
    out.truncate(out.len() - 4);
    out
}

fn parse_frame(buf: &[u8]) -> Option<(RawFrame, usize)> {
    let b0 = *buf.first()?;
    let b1 = *buf.get(1)?;
    assert_eq!(b1 & 0x80, 0, "server frames are not masked");
    assert_ne!(b0 & 0x80, 0, "the server sends unfragmented messages");
    let (len, at) = match b1 & 0x7f {
        126 => (
            u16::from_be_bytes(buf.get(2..4)?.try_into().ok()?) as usize,
            4,
        ),
        127 => (
            u64::from_be_bytes(buf.get(2..10)?.try_into().ok()?) as usize,
            10,
        ),
        n => (n as usize, 2),
    };
    let payload = buf.get(at..at + len)?.to_vec();
    Some((
        RawFrame {
            rsv1: b0 & 0x40 != 0,
            opcode: b0 & 0x0f,
            payload,
        },
        at + len,
    ))
}

fn deflate_on() -> Options {
    Options {
        ws_deflate: true,
        ..Options::default()
    }
}

#[tokio::test]
async fn negotiated_when_on_and_offered_compressing_both_ways_with_context_takeover() {
    let srv = start_testbed(deflate_on()).await;
    let mut c = DeflateClient::open(&srv, Some(OFFER)).await;
    let ext = c.extensions.clone().expect("Sec-WebSocket-Extensions");
    assert!(ext.starts_with("permessage-deflate"), "{ext}");
    // The open packet is below the 1024-byte threshold: sent uncompressed.
    let (open, compressed) = c.text().await;
    assert!(open.starts_with("0{"), "{open}");
    assert!(!compressed);

    // A small compressed message comes back uncompressed (threshold).
    c.send_compressed(b"4hello").await;
    assert_eq!(c.text().await, ("4hello".to_owned(), false));
    // An uncompressed message is still fine on a deflate connection (RFC 7692 §6).
    c.send_frame(false, 1, b"4plain").await;
    assert_eq!(c.text().await, ("4plain".to_owned(), false));

    // Large messages, several in a row: the client's compressor and the server's keep their
    // context, the second message referring back to the first.
    let big = format!("4{}", "socket.io permessage-deflate ".repeat(2000));
    for round in 0..3 {
        let sent = c.send_compressed(big.as_bytes()).await;
        assert!(sent < big.len() / 10, "round {round}: {sent} bytes");
        let (back, compressed) = c.text().await;
        assert!(compressed, "round {round}: a {}-byte message", back.len());
        assert_eq!(back, big, "round {round}");
    }
    // Binary too.
    let bin: Vec<u8> = (0..5000u32).map(|i| (i % 7) as u8).collect();
    let payload = c.deflate(&bin);
    c.send_frame(true, 2, &payload).await;
    let f = c.frame().await.expect("binary echo");
    assert_eq!((f.opcode, f.rsv1), (2, true));
    assert_eq!(c.inflate(&f.payload), bin);
}

#[tokio::test]
async fn inflated_size_is_bounded_by_max_payload_a_bomb_at_limit_plus_one_closes_1009() {
    let srv = start_testbed(deflate_on()).await;
    let max = srv.opts.max_payload;

    // Compressed before the connections open: in a debug build that may take longer than
    // the test bed's heartbeat. Each is the first compressed message of its connection.
    let at_limit = deflate_repeated(b"4", b'a', max - 1);
    let bomb = deflate_repeated(b"4", b'a', max);
    assert!(at_limit.len() < 4096, "{}-byte frame", at_limit.len());
    assert!(bomb.len() < 4096, "{}-byte frame", bomb.len());

    // Exactly max_payload bytes once inflated: accepted and echoed.
    let mut c = DeflateClient::open(&srv, Some(OFFER)).await;
    c.text().await;
    c.send_frame(true, 1, &at_limit).await;
    let (back, compressed) = c.text().await;
    assert!(compressed);
    assert_eq!(back.len(), max);
    assert!(back.starts_with("4a") && back.bytes().skip(1).all(|b| b == b'a'));

    // One byte more: a frame of a few KB that inflates past the limit is refused with 1009.
    let mut c = DeflateClient::open(&srv, Some(OFFER)).await;
    c.text().await;
    c.send_frame(true, 1, &bomb).await;
    assert_eq!(c.close_code().await, Some(1009));

    // The server goes on serving.
    let mut c = DeflateClient::open(&srv, Some(OFFER)).await;
    c.text().await;
    c.send_compressed(b"4still").await;
    assert_eq!(c.text().await.0, "4still");
}

#[tokio::test]
async fn not_negotiated_when_off_and_a_compressed_frame_is_a_protocol_error() {
    let srv = start_testbed(Options::default()).await;
    let mut c = DeflateClient::open(&srv, Some(OFFER)).await;
    assert_eq!(c.extensions, None);
    let (open, compressed) = c.text().await;
    assert!(open.starts_with("0{") && !compressed);
    // Large messages go uncompressed.
    let big = format!("4{}", "x".repeat(5000));
    c.send_frame(false, 1, big.as_bytes()).await;
    assert_eq!(c.text().await, (big, false));
    // RSV1 without the extension: the connection ends.
    let payload = c.deflate(b"4hello");
    c.send_frame(true, 1, &payload).await;
    loop {
        match c.frame().await {
            None => break,
            Some(f) if f.opcode == 8 => break,
            Some(f) => assert_ne!(f.opcode, 1, "no echo of a frame with RSV1: {f:?}"),
        }
    }
}

#[tokio::test]
async fn not_negotiated_when_on_but_not_offered_or_offer_unacceptable() {
    let srv = start_testbed(deflate_on()).await;
    // No offer: the plain path.
    let mut c = DeflateClient::open(&srv, None).await;
    assert_eq!(c.extensions, None);
    c.text().await;
    let big = format!("4{}", "y".repeat(5000));
    c.send_frame(false, 1, big.as_bytes()).await;
    assert_eq!(c.text().await, (big.clone(), false));

    // An offer asking for a smaller server window than zlib's 15 bits is declined.
    let mut c =
        DeflateClient::open(&srv, Some("permessage-deflate; server_max_window_bits=10")).await;
    assert_eq!(c.extensions, None);
    c.text().await;
    c.send_frame(false, 1, big.as_bytes()).await;
    assert_eq!(c.text().await, (big, false));
}

/// The peak resident memory of this process (`VmHWM`), in bytes.
#[cfg(target_os = "linux")]
fn peak_rss() -> usize {
    let status = std::fs::read_to_string("/proc/self/status").unwrap();
    let kb: usize = status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap();
    kb * 1024
}

/// A bomb of 200 x `max_payload` (200 MB from a ~200 KB frame): the server stops inflating
/// at the limit, so the process (server and client, in-process) never holds the inflated
/// message: its peak memory grows by far less than the 200 MB an unbounded inflate needs.
#[cfg(target_os = "linux")]
#[tokio::test]
async fn a_200_mb_bomb_is_never_inflated_past_max_payload() {
    let srv = start_testbed(deflate_on()).await;
    let max = srv.opts.max_payload;
    // Compressed before the connection opens: in a debug build it takes longer than the
    // test bed's heartbeat.
    let bomb = deflate_repeated(b"4", b'a', 200 * max);
    let mut c = DeflateClient::open(&srv, Some(OFFER)).await;
    c.text().await;
    assert!(bomb.len() < max, "{}-byte frame", bomb.len());
    let before = peak_rss();
    c.send_frame(true, 1, &bomb).await;
    assert_eq!(c.close_code().await, Some(1009));
    let grown = peak_rss().saturating_sub(before);
    assert!(grown < 50 << 20, "peak memory grew by {grown} bytes");
}
