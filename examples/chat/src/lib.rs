//! A multi-room chat written with the `socketio` macros: the README's quick start.
//!
//! Clients connect to the `/chat` namespace with `{"nick": ".."}` as auth, `join` and `leave`
//! rooms, change their `nick` (kept in the socket's session) and send a `message` to a room,
//! which every member of the room receives. The web page (`static/`) uses the official
//! `socket.io-client`, installed from npm by `install.sh`.
//!
//! Both directions are declared: the `#[on]` methods are what clients send, `emits(Line)` what
//! the server sends, so `ns.to(room).typed::<Self>()` only emits a [`Line`]. Handlers name no
//! path: the [`Namespace`] parameter is their own namespace, and the nick is a typed session
//! value ([`Socket::save_session`], [`Socket::get_session`]). The page's script
//! (`static/app.ts`) is TypeScript, checked against `static/contract.ts`, which
//! `socketio::typescript` renders from this file (`tests/typescript.rs` keeps both fresh).

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use socketio::router::{RouterOptions, StaticFiles};
use socketio::{Event, Namespace, Socket, SocketIo, namespace};
use ts_rs::TS;

/// Connect auth: the nick to start with.
#[derive(Debug, Default, Deserialize, TS)]
pub struct Hello {
    /// The nick; `anonymous` when empty or missing.
    #[serde(default)]
    pub nick: String,
}

/// `join`: enter a room.
#[derive(Debug, Deserialize, Event, TS)]
#[event("join")]
pub struct Join {
    /// The room.
    pub room: String,
}

/// `leave`: leave a room.
#[derive(Debug, Deserialize, Event, TS)]
#[event("leave")]
pub struct Leave {
    /// The room.
    pub room: String,
}

/// `nick`: change nick.
#[derive(Debug, Deserialize, Event, TS)]
#[event("nick")]
pub struct SetNick {
    /// The new nick.
    pub nick: String,
}

/// `message`: say something in a room the sender has joined.
#[derive(Debug, Deserialize, Event, TS)]
#[event("message")]
pub struct Say {
    /// The room.
    pub room: String,
    /// The text.
    pub text: String,
}

/// What members of a room receive, as the `message` event.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq, Event, TS)]
#[event("message")]
pub struct Line {
    /// The room.
    pub room: String,
    /// Who said it (`*` for notices).
    pub nick: String,
    /// What was said.
    pub text: String,
}

/// The session kept for each socket.
#[derive(Debug, Clone, Default)]
struct Nick(String);

/// Longest nick, room name and message, in characters.
const MAX_LEN: usize = 500;

fn clean(text: &str) -> Option<String> {
    let text = text.trim();
    (!text.is_empty() && text.chars().count() <= MAX_LEN).then(|| text.to_owned())
}

/// The `/chat` namespace: one instance shared by every client.
#[derive(Debug, Default)]
pub struct Chat;

#[namespace("/chat", emits(Line))]
impl Chat {
    #[on(connect)]
    fn connect(&self, socket: Socket, hello: Hello) {
        let nick = clean(&hello.nick).unwrap_or_else(|| "anonymous".to_owned());
        socket.save_session(Nick(nick));
    }

    #[on(Join)]
    fn join(&self, socket: Socket, ns: Namespace, join: Join) -> Result<String, String> {
        let room = clean(&join.room).ok_or("a room name is 1 to 500 characters")?;
        socket.join(&room).map_err(|e| e.to_string())?;
        self.notice(&ns, &socket, &room, "joined");
        Ok(room)
    }

    #[on(Leave)]
    fn leave(&self, socket: Socket, ns: Namespace, leave: Leave) {
        self.notice(&ns, &socket, &leave.room, "left");
        socket.leave(&leave.room);
    }

    #[on(SetNick)]
    fn nick(&self, socket: Socket, set: SetNick) -> Result<String, String> {
        let nick = clean(&set.nick).ok_or("a nick is 1 to 500 characters")?;
        socket.save_session(Nick(nick.clone()));
        Ok(nick)
    }

    #[on(Say)]
    fn message(&self, socket: Socket, ns: Namespace, say: Say) -> Result<(), String> {
        if !socket.rooms().contains(&say.room) {
            return Err(format!("join `{}` first", say.room));
        }
        let text = clean(&say.text).ok_or("a message is 1 to 500 characters")?;
        let line = Line {
            room: say.room.clone(),
            nick: nick(&socket),
            text,
        };
        // The whole room, the sender included (`socket.to(room)` would skip the sender).
        ns.to(say.room)
            .typed::<Self>()
            .emit(&line)
            .map_err(|e| e.to_string())
    }
}

impl Chat {
    fn notice(&self, ns: &Namespace, socket: &Socket, room: &str, what: &str) {
        let line = Line {
            room: room.to_owned(),
            nick: "*".to_owned(),
            text: format!("{} {what}", nick(socket)),
        };
        let _ = ns.to(room).typed::<Self>().emit(&line);
    }
}

fn nick(socket: &Socket) -> String {
    socket
        .get_session::<Nick>()
        .map(|n| n.0)
        .unwrap_or_else(|| "anonymous".to_owned())
}

/// Where `install.sh` puts the official browser client.
pub fn client_js(root: &Path) -> PathBuf {
    root.join(".client/node_modules/socket.io-client/dist/socket.io.min.js")
}

/// The server and its router: Socket.IO at `/socket.io/`, the page at `/`, its script at
/// `/app.js` (compiled from `static/app.ts`), and the client library at `/socket.io.min.js`. `root` is this example's
/// directory (where `static/` and `.client/` are).
pub fn app(root: &Path) -> Result<(SocketIo, axum::Router), socketio::BuildError> {
    // `Chat` registers itself (`#[namespace("/chat", emits(Line))]`): `build()` finds it.
    let io = SocketIo::builder().build()?;
    let files = StaticFiles::new()
        .file("/", root.join("static/index.html"))
        .file("/app.js", root.join("static/app.js"))
        .file("/socket.io.min.js", client_js(root));
    let router = io.router_with(RouterOptions::default().static_files(files));
    Ok((io, router))
}

/// This example's directory, from the build.
pub fn default_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}
