//! Raw clients for the hostile suite: a WebSocket client written straight onto a TCP socket
//! (frames are masked with the all-zero key, so a prebuilt frame can be written many times at
//! socket speed, even from a debug build), and one-shot HTTP/1.1 requests with a bounded read.

use std::net::SocketAddr;
use std::time::Duration;

use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _, BufReader};
use tokio::net::TcpStream;
use tokio::net::tcp::{OwnedReadHalf, OwnedWriteHalf};

/// Bytes of a frame payload that [`WsRead::next`] keeps; the rest is read and dropped.
pub const KEEP: usize = 1 << 20;

/// Bound on connecting and on the WebSocket / Socket.IO handshakes.
pub const HANDSHAKE: Duration = Duration::from_secs(5);

/// WebSocket opcodes used here.
pub const TEXT: u8 = 1;
/// Binary frame opcode.
pub const BINARY: u8 = 2;
/// Close frame opcode.
pub const CLOSE: u8 = 8;

/// One client frame: FIN, `opcode`, masked with the zero key (the payload is sent as is).
pub fn frame(opcode: u8, payload: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(payload.len() + 14);
    out.push(0x80 | opcode);
    let len = payload.len();
    if len < 126 {
        out.push(0x80 | len as u8);
    } else if len <= 0xffff {
        out.push(0x80 | 126);
        out.extend_from_slice(&(len as u16).to_be_bytes());
    } else {
        out.push(0x80 | 127);
        out.extend_from_slice(&(len as u64).to_be_bytes());
    }
    out.extend_from_slice(&[0, 0, 0, 0]);
    out.extend_from_slice(payload);
    out
}

/// A text frame.
pub fn text(s: &str) -> Vec<u8> {
    frame(TEXT, s.as_bytes())
}

/// A frame received from the server.
#[derive(Debug, Clone)]
pub struct WsFrame {
    /// Opcode (1 text, 2 binary, 8 close, 9 ping, 10 pong).
    pub opcode: u8,
    /// The first [`KEEP`] bytes of the payload.
    pub data: Vec<u8>,
}

impl WsFrame {
    /// The kept payload as text (lossy).
    pub fn text(&self) -> std::borrow::Cow<'_, str> {
        String::from_utf8_lossy(&self.data)
    }

    /// Whether this is a text frame equal to `s`.
    pub fn is_text(&self, s: &str) -> bool {
        self.opcode == TEXT && self.data == s.as_bytes()
    }
}

/// The reading half of a raw WebSocket.
#[derive(Debug)]
pub struct WsRead {
    rd: BufReader<OwnedReadHalf>,
    /// How the connection ended, once [`WsRead::next`] returned `None`.
    pub ended: Option<String>,
}

/// The writing half of a raw WebSocket.
#[derive(Debug)]
pub struct WsWrite {
    wr: OwnedWriteHalf,
}

impl WsRead {
    /// The next frame; `None` when the connection is closed (EOF, error or a close frame).
    pub async fn next(&mut self) -> Option<WsFrame> {
        if self.ended.is_some() {
            return None;
        }
        match self.next_inner().await {
            Ok(f) if f.opcode == CLOSE => {
                let code = match f.data.get(..2) {
                    Some(c) => u16::from_be_bytes([c[0], c[1]]).to_string(),
                    None => "without a code".into(),
                };
                let reason = String::from_utf8_lossy(f.data.get(2..).unwrap_or(&[])).into_owned();
                self.ended = Some(format!("close frame {code} {reason:?}"));
                None
            }
            Ok(f) => Some(f),
            Err(e) if e.kind() == std::io::ErrorKind::UnexpectedEof => {
                self.ended = Some("TCP closed without a close frame".into());
                None
            }
            Err(e) => {
                self.ended = Some(format!("read error: {e}"));
                None
            }
        }
    }

    async fn next_inner(&mut self) -> std::io::Result<WsFrame> {
        let b0 = self.rd.read_u8().await?;
        let b1 = self.rd.read_u8().await?;
        let mut len = u64::from(b1 & 0x7f);
        if len == 126 {
            len = u64::from(self.rd.read_u16().await?);
        } else if len == 127 {
            len = self.rd.read_u64().await?;
        }
        let mask = if b1 & 0x80 != 0 {
            let mut m = [0u8; 4];
            self.rd.read_exact(&mut m).await?;
            Some(m)
        } else {
            None
        };
        let keep = len.min(KEEP as u64) as usize;
        let mut data = vec![0u8; keep];
        self.rd.read_exact(&mut data).await?;
        let mut rest = len - keep as u64;
        let mut sink = [0u8; 16 * 1024];
        while rest > 0 {
            let n = rest.min(sink.len() as u64) as usize;
            self.rd.read_exact(&mut sink[..n]).await?;
            rest -= n as u64;
        }
        if let Some(m) = mask {
            for (i, b) in data.iter_mut().enumerate() {
                *b ^= m[i % 4];
            }
        }
        Ok(WsFrame {
            opcode: b0 & 0x0f,
            data,
        })
    }

    /// The next frame within `limit`: `Ok(None)` closed, `Err(())` timed out.
    pub async fn next_within(&mut self, limit: Duration) -> Result<Option<WsFrame>, ()> {
        tokio::time::timeout(limit, self.next())
            .await
            .map_err(|_| ())
    }
}

impl WsWrite {
    /// Write prebuilt frame bytes.
    pub async fn raw(&mut self, bytes: &[u8]) -> std::io::Result<()> {
        self.wr.write_all(bytes).await
    }

    /// Send a text frame.
    pub async fn text(&mut self, s: &str) -> std::io::Result<()> {
        self.raw(&text(s)).await
    }

    /// Send a binary frame.
    pub async fn binary(&mut self, b: &[u8]) -> std::io::Result<()> {
        self.raw(&frame(BINARY, b)).await
    }
}

/// A raw WebSocket to `path_and_query`: returns both halves after the 101.
pub async fn ws_connect(
    addr: SocketAddr,
    path_and_query: &str,
) -> std::io::Result<(WsRead, WsWrite)> {
    let fut = async {
        let s = TcpStream::connect(addr).await?;
        let _ = s.set_nodelay(true);
        let (rd, mut wr) = s.into_split();
        let req = format!(
            "GET {path_and_query} HTTP/1.1\r\nHost: {addr}\r\nUpgrade: websocket\r\n\
             Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\
             Sec-WebSocket-Version: 13\r\n\r\n"
        );
        wr.write_all(req.as_bytes()).await?;
        let mut rd = BufReader::with_capacity(64 * 1024, rd);
        // Read the response head byte by byte so that no frame byte is consumed.
        let mut head = Vec::new();
        while !head.ends_with(b"\r\n\r\n") {
            head.push(rd.read_u8().await?);
            if head.len() > 16 * 1024 {
                return Err(std::io::Error::other("response head too long"));
            }
        }
        if !head.starts_with(b"HTTP/1.1 101") {
            return Err(std::io::Error::other(format!(
                "no 101: {}",
                String::from_utf8_lossy(&head)
            )));
        }
        Ok((WsRead { rd, ended: None }, WsWrite { wr }))
    };
    tokio::time::timeout(HANDSHAKE, fut)
        .await
        .unwrap_or_else(|_| Err(std::io::Error::other("websocket handshake timed out")))
}

/// A Socket.IO WebSocket, opened (Engine.IO open packet read) but in no namespace.
pub async fn sio_open(addr: SocketAddr) -> std::io::Result<(WsRead, WsWrite)> {
    let (mut rd, wr) = ws_connect(addr, "/socket.io/?EIO=4&transport=websocket").await?;
    match rd.next_within(HANDSHAKE).await {
        Ok(Some(f)) if f.opcode == TEXT && f.data.first() == Some(&b'0') => Ok((rd, wr)),
        other => Err(std::io::Error::other(format!("no open packet: {other:?}"))),
    }
}

/// A Socket.IO WebSocket connected to namespace `nsp` (`/` or `/name`): returns the halves
/// and the namespace sid, after the greeting (the first event after CONNECT).
pub async fn sio_connect(
    addr: SocketAddr,
    nsp: &str,
) -> std::io::Result<(WsRead, WsWrite, String)> {
    let (mut rd, mut wr) = sio_open(addr).await?;
    let prefix = if nsp == "/" {
        String::new()
    } else {
        format!("{nsp},")
    };
    wr.text(&format!("40{prefix}")).await?;
    let connect = format!("40{prefix}");
    let mut sid = None;
    let fut = async {
        while let Some(f) = rd.next().await {
            let t = f.text();
            if t == "2" {
                continue;
            }
            if let Some(json) = t.strip_prefix(&connect) {
                let v: serde_json::Value = serde_json::from_str(json)
                    .map_err(|e| std::io::Error::other(format!("CONNECT reply {t}: {e}")))?;
                sid = v["sid"].as_str().map(str::to_string);
                continue;
            }
            if sid.is_some() && t.starts_with(&format!("42{prefix}")) {
                return Ok(());
            }
            return Err(std::io::Error::other(format!("unexpected frame {t}")));
        }
        Err(std::io::Error::other("closed during CONNECT"))
    };
    tokio::time::timeout(HANDSHAKE, fut)
        .await
        .unwrap_or_else(|_| Err(std::io::Error::other("CONNECT timed out")))?;
    let sid = sid.ok_or_else(|| std::io::Error::other("no sid"))?;
    Ok((rd, wr, sid))
}

// ---------------------------------------------------------------------------------------------
// HTTP
// ---------------------------------------------------------------------------------------------

/// A response read with a bound on its size.
#[derive(Debug, Clone)]
pub struct Resp {
    /// Status code.
    pub status: u16,
    /// Lower-case header names and values.
    pub headers: Vec<(String, String)>,
    /// The body (de-chunked), possibly truncated at the read cap.
    pub body: Vec<u8>,
    /// Whether the read stopped at the cap.
    pub truncated: bool,
}

impl Resp {
    /// A header's value.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }
}

/// One request on a fresh connection (`Connection: close`), reading at most `cap` bytes of
/// response. `Err` when the server closed without a response or `limit` passed.
pub async fn request(
    addr: SocketAddr,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: &[u8],
    cap: usize,
    limit: Duration,
) -> std::io::Result<Resp> {
    let fut = async {
        let mut s = TcpStream::connect(addr).await?;
        let _ = s.set_nodelay(true);
        let mut req = format!(
            "{method} {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\nContent-Length: {}\r\n",
            body.len()
        );
        for (k, v) in headers {
            req.push_str(&format!("{k}: {v}\r\n"));
        }
        req.push_str("\r\n");
        let mut bytes = req.into_bytes();
        bytes.extend_from_slice(body);
        let _ = s.write_all(&bytes).await;
        let mut raw = Vec::new();
        let mut buf = vec![0u8; 256 * 1024];
        let mut truncated = false;
        loop {
            match s.read(&mut buf).await {
                Ok(0) => break,
                Ok(n) => {
                    raw.extend_from_slice(&buf[..n]);
                    if raw.len() >= cap {
                        truncated = true;
                        break;
                    }
                }
                Err(e) if raw.is_empty() => return Err(e),
                Err(_) => break,
            }
        }
        parse(&raw, truncated).ok_or_else(|| {
            std::io::Error::new(
                std::io::ErrorKind::UnexpectedEof,
                format!(
                    "incomplete response ({} bytes): {:?}",
                    raw.len(),
                    String::from_utf8_lossy(&raw[..raw.len().min(200)])
                ),
            )
        })
    };
    tokio::time::timeout(limit, fut).await.unwrap_or_else(|_| {
        Err(std::io::Error::new(
            std::io::ErrorKind::TimedOut,
            format!("no response within {limit:?}"),
        ))
    })
}

fn parse(raw: &[u8], truncated: bool) -> Option<Resp> {
    let end = raw
        .windows(4)
        .take(64 * 1024)
        .position(|w| w == b"\r\n\r\n")?;
    let head = std::str::from_utf8(raw.get(..end)?).ok()?;
    let mut lines = head.split("\r\n");
    let status: u16 = lines.next()?.split(' ').nth(1)?.parse().ok()?;
    let headers: Vec<(String, String)> = lines
        .filter_map(|l| {
            let (k, v) = l.split_once(':')?;
            Some((k.trim().to_ascii_lowercase(), v.trim().to_string()))
        })
        .collect();
    let rest = raw.get(end + 4..)?;
    let find = |n: &str| headers.iter().find(|(k, _)| k == n).map(|(_, v)| v.clone());
    let body = if find("transfer-encoding").is_some_and(|v| v.contains("chunked")) {
        let mut body = Vec::new();
        let mut rest = rest;
        loop {
            let Some(nl) = rest.windows(2).position(|w| w == b"\r\n") else {
                if truncated {
                    break;
                }
                return None;
            };
            let size_str = std::str::from_utf8(rest.get(..nl)?).ok()?;
            let size = usize::from_str_radix(size_str.split(';').next()?.trim(), 16).ok()?;
            rest = rest.get(nl + 2..)?;
            if size == 0 {
                break;
            }
            match rest.get(..size) {
                Some(chunk) => body.extend_from_slice(chunk),
                None if truncated => {
                    body.extend_from_slice(rest);
                    break;
                }
                None => return None,
            }
            rest = rest.get(size + 2..).unwrap_or(&[]);
        }
        body
    } else if let Some(len) = find("content-length").and_then(|v| v.parse::<usize>().ok()) {
        match rest.get(..len) {
            Some(b) => b.to_vec(),
            None if truncated => rest.to_vec(),
            None => return None,
        }
    } else {
        rest.to_vec()
    };
    Some(Resp {
        status,
        headers,
        body,
        truncated,
    })
}

/// A polling Engine.IO session on `/socket.io/`.
#[derive(Debug, Clone)]
pub struct Poll {
    /// Server address.
    pub addr: SocketAddr,
    /// Engine.IO sid.
    pub sid: String,
}

impl Poll {
    /// Handshake.
    pub async fn open(addr: SocketAddr) -> std::io::Result<Poll> {
        let r = request(
            addr,
            "GET",
            "/socket.io/?EIO=4&transport=polling",
            &[],
            b"",
            64 * 1024,
            HANDSHAKE,
        )
        .await?;
        let body = String::from_utf8_lossy(&r.body).into_owned();
        let v: serde_json::Value = body
            .strip_prefix('0')
            .and_then(|j| serde_json::from_str(j).ok())
            .ok_or_else(|| std::io::Error::other(format!("handshake {}: {body}", r.status)))?;
        let sid = v["sid"]
            .as_str()
            .ok_or_else(|| std::io::Error::other("no sid"))?
            .to_string();
        Ok(Poll { addr, sid })
    }

    /// This session's URL.
    pub fn url(&self) -> String {
        format!("/socket.io/?EIO=4&transport=polling&sid={}", self.sid)
    }

    /// GET with extra headers, reading at most `cap` bytes.
    pub async fn get(
        &self,
        headers: &[(&str, &str)],
        cap: usize,
        limit: Duration,
    ) -> std::io::Result<Resp> {
        request(self.addr, "GET", &self.url(), headers, b"", cap, limit).await
    }

    /// POST `body`.
    pub async fn post(&self, body: &[u8], limit: Duration) -> std::io::Result<Resp> {
        request(
            self.addr,
            "POST",
            &self.url(),
            &[("Content-Type", "text/plain;charset=UTF-8")],
            body,
            64 * 1024,
            limit,
        )
        .await
    }
}

/// Split a polling payload into its packets (records separated by 0x1e).
pub fn records(body: &[u8]) -> impl Iterator<Item = &[u8]> {
    body.split(|b| *b == 0x1e)
}

/// Standard base64 (for polling binary records).
pub fn base64(data: &[u8]) -> String {
    const T: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(data.len().div_ceil(3) * 4);
    for c in data.chunks(3) {
        let n = (u32::from(c[0]) << 16)
            | (u32::from(*c.get(1).unwrap_or(&0)) << 8)
            | u32::from(*c.get(2).unwrap_or(&0));
        out.push(T[(n >> 18) as usize & 63] as char);
        out.push(T[(n >> 12) as usize & 63] as char);
        out.push(if c.len() > 1 {
            T[(n >> 6) as usize & 63] as char
        } else {
            '='
        });
        out.push(if c.len() > 2 {
            T[n as usize & 63] as char
        } else {
            '='
        });
    }
    out
}

/// The event name and the text after it, of a Socket.IO EVENT / BINARY_EVENT packet in
/// namespace `/` (`42["name",...` or `45<n>-["name",...`, with an optional ack id).
pub fn event_name(packet: &[u8]) -> Option<(&str, &[u8])> {
    let rest = packet.strip_prefix(b"4")?;
    let rest = match rest.first()? {
        b'2' => rest.get(1..)?,
        b'5' => {
            let dash = rest.iter().take(12).position(|b| *b == b'-')?;
            rest.get(dash + 1..)?
        }
        _ => return None,
    };
    let digits = rest.iter().take_while(|b| b.is_ascii_digit()).count();
    let rest = rest.get(digits..)?.strip_prefix(b"[\"")?;
    let end = rest.iter().take(256).position(|b| *b == b'"')?;
    let name = std::str::from_utf8(rest.get(..end)?).ok()?;
    Some((name, rest.get(end + 1..)?))
}

/// A deterministic pseudo-random alphanumeric string (hard to compress).
pub fn noise(len: usize, seed: u64) -> String {
    const A: &[u8] = b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
    let mut x = seed
        .wrapping_mul(6364136223846793005)
        .wrapping_add(1442695040888963407);
    let mut out = Vec::with_capacity(len);
    for _ in 0..len {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        out.push(A[(x % A.len() as u64) as usize]);
    }
    String::from_utf8(out).unwrap_or_default()
}
