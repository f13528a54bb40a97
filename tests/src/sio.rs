//! Socket.IO over the raw [`Ws`]: packet helpers, a client whose frames are written and
//! checked by hand ([`Sio`]), and a [`Healthy`] client that proves a server still serves.

use std::net::SocketAddr;
use std::time::Duration;

use serde_json::{Map, Value};

use crate::{Frame, STEP, Ws, parse_open, within};

/// `"/chat,"` for `/chat`, `""` for `/` (or `""`).
pub fn nsp_prefix(nsp: &str) -> String {
    if nsp == "/" || nsp.is_empty() {
        String::new()
    } else {
        format!("{nsp},")
    }
}

/// The CONNECT packet a client sends.
pub fn connect_packet(nsp: &str, auth: Option<&str>) -> String {
    format!("40{}{}", nsp_prefix(nsp), auth.unwrap_or(""))
}

/// Check that `reply` is the CONNECT reply of `nsp` whose payload is only the sid; return it.
pub fn connect_sid(nsp: &str, reply: &str) -> String {
    let prefix = format!("40{}", nsp_prefix(nsp));
    let json = reply
        .strip_prefix(&prefix)
        .unwrap_or_else(|| panic!("expected a CONNECT reply for {nsp}, got {reply}"));
    let v = json_of(json);
    let sid = v["sid"]
        .as_str()
        .unwrap_or_else(|| panic!("CONNECT reply without a sid: {reply}"))
        .to_owned();
    assert_eq!(
        v.as_object().map(Map::len),
        Some(1),
        "CONNECT payload is only the sid: {reply}"
    );
    sid
}

/// Parse `text` as JSON (a frame's payload after its type, id and namespace), failing the
/// test with the text when it is not.
pub fn json_of(text: &str) -> Value {
    serde_json::from_str(text).unwrap_or_else(|e| panic!("not JSON ({e}): {text}"))
}

/// A raw Socket.IO client on one websocket: frames are written and checked by hand.
#[derive(Debug)]
pub struct Sio {
    /// The websocket.
    pub ws: Ws,
    /// The Engine.IO open packet.
    pub open: Map<String, Value>,
    next_ack: u64,
}

impl Sio {
    /// Open a websocket to `/socket.io/` and read the Engine.IO open packet.
    pub async fn open(addr: SocketAddr) -> Sio {
        let mut ws = Ws::dial(addr, "/socket.io/?EIO=4&transport=websocket")
            .await
            .unwrap_or_else(|e| panic!("websocket to /socket.io/: {e}"));
        let open = parse_open(&ws.text().await);
        Sio {
            ws,
            open,
            next_ack: 1000,
        }
    }

    /// Open and CONNECT to `/` (skipping the `auth` greeting).
    pub async fn connect(addr: SocketAddr) -> Sio {
        let mut s = Sio::open(addr).await;
        s.join("").await;
        s
    }

    /// CONNECT to namespace `nsp` (`""` for `/`, else `/name`) without auth, check the reply
    /// and the `auth` greeting; returns the namespace sid.
    pub async fn join(&mut self, nsp: &str) -> String {
        let prefix = if nsp.is_empty() {
            String::new()
        } else {
            format!("{nsp},")
        };
        self.ws.send_text(&format!("40{prefix}")).await;
        let reply = self.ws.recv_text().await;
        let json = reply
            .strip_prefix(&format!("40{prefix}"))
            .unwrap_or_else(|| panic!("CONNECT reply for {nsp:?}: {reply:?}"));
        let v: Value = serde_json::from_str(json).expect("CONNECT payload is JSON");
        let sid = v["sid"].as_str().expect("sid").to_string();
        let greet = self.ws.recv_text().await;
        assert_eq!(greet, format!("42{prefix}[\"auth\",{{}}]"));
        sid
    }

    /// CONNECT to `/chat` with `{"token":"secret"}`; checks the `welcome` greeting and
    /// returns the namespace sid.
    pub async fn join_chat(&mut self) -> String {
        self.ws.send_text(r#"40/chat,{"token":"secret"}"#).await;
        let reply = self.ws.recv_text().await;
        let json = reply
            .strip_prefix("40/chat,")
            .unwrap_or_else(|| panic!("CONNECT reply for /chat: {reply:?}"));
        let v: Value = serde_json::from_str(json).expect("CONNECT payload is JSON");
        let sid = v["sid"].as_str().expect("sid").to_string();
        let greet = self.ws.recv_text().await;
        assert_eq!(greet, format!(r#"42/chat,["welcome",{{"sid":"{sid}"}}]"#));
        sid
    }

    /// Send `42<nsp>id["echo", "<tag>"]` and require the matching ack: the connection and
    /// the namespace still work. Skips pings and unrelated frames.
    pub async fn assert_alive(&mut self, tag: &str) {
        if let Err(e) = self.try_alive(tag).await {
            panic!("{e}");
        }
    }

    /// [`Sio::assert_alive`] returning the failure instead of panicking.
    pub async fn try_alive(&mut self, tag: &str) -> Result<(), String> {
        self.next_ack += 1;
        let id = self.next_ack;
        self.ws
            .send_text(&format!("42{id}[\"echo\",\"{tag}\"]"))
            .await;
        let want = format!("43{id}[\"{tag}\"]");
        let res = tokio::time::timeout(STEP, async {
            loop {
                match self.ws.next_within(STEP).await {
                    Some(Frame::Text(t)) if t == "2" => self.ws.send_text("3").await,
                    Some(Frame::Text(t)) if t == want => return Ok(()),
                    Some(Frame::Closed) => {
                        return Err(format!("healthy client was disconnected ({tag})"));
                    }
                    Some(_) => {}
                    None => return Err(format!("no ack {want} within {STEP:?}")),
                }
            }
        })
        .await;
        res.unwrap_or_else(|_| Err(format!("no ack {want} within {STEP:?}")))
    }
}

/// A healthy client on `/` whose heartbeat is answered by a background task, so it stays
/// connected however long the test spends elsewhere; [`Healthy::assert_alive`] proves it
/// still works.
#[derive(Debug)]
pub struct Healthy {
    tx: tokio::sync::mpsc::Sender<(String, tokio::sync::oneshot::Sender<Result<(), String>>)>,
}

impl Healthy {
    /// Connect to `/` and start answering pings.
    pub async fn connect(addr: SocketAddr) -> Healthy {
        let mut s = Sio::connect(addr).await;
        let (tx, mut rx) = tokio::sync::mpsc::channel::<(
            String,
            tokio::sync::oneshot::Sender<Result<(), String>>,
        )>(1);
        tokio::spawn(async move {
            enum Ev {
                Cmd(Option<(String, tokio::sync::oneshot::Sender<Result<(), String>>)>),
                Frame(Option<Frame>),
            }
            let mut dead: Option<String> = None;
            loop {
                let ev = tokio::select! {
                    c = rx.recv() => Ev::Cmd(c),
                    f = s.ws.next_within(Duration::from_secs(3600)), if dead.is_none() => Ev::Frame(f),
                };
                match ev {
                    Ev::Cmd(None) => break,
                    Ev::Cmd(Some((tag, reply))) => {
                        let r = match &dead {
                            Some(e) => Err(format!("{e} (before {tag})")),
                            None => s.try_alive(&tag).await,
                        };
                        let _ = reply.send(r);
                    }
                    Ev::Frame(Some(Frame::Text(t))) if t == "2" => s.ws.send_text("3").await,
                    Ev::Frame(Some(Frame::Closed)) => {
                        dead = Some("healthy client was disconnected".into());
                    }
                    Ev::Frame(_) => {}
                }
            }
        });
        Healthy { tx }
    }

    /// Require an acked echo on the healthy client.
    pub async fn assert_alive(&self, tag: &str) {
        let (reply, rx) = tokio::sync::oneshot::channel();
        self.tx
            .send((tag.to_string(), reply))
            .await
            .expect("healthy client task");
        match within("healthy client", STEP * 2, rx).await {
            Ok(Ok(())) => {}
            Ok(Err(e)) => panic!("{e}"),
            Err(_) => panic!("healthy client task ended"),
        }
    }
}
