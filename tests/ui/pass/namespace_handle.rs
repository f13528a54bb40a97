// The namespace handle is a context parameter of every kind of method, next to typed sessions;
// a user type named `Namespace` is still an ordinary payload.
use socketio::{namespace, NamespaceClass, Socket, SocketIo};

#[derive(serde::Deserialize)]
struct Namespace {
    path: String,
}

#[derive(Default)]
struct Lobby;

#[namespace("/lobby", register = false)]
impl Lobby {
    #[on(connect)]
    fn connect(&self, socket: Socket, ns: socketio::Namespace) {
        socket.save_session(ns.path().to_owned());
    }

    #[on(disconnect)]
    fn disconnect(&self, ns: socketio::Namespace, socket: Socket) {
        let _ = (ns.path(), socket.get_session::<String>());
    }

    #[on("announce")]
    fn announce(&self, ns: socketio::Namespace, text: String) -> bool {
        ns.to("lobby").emit("announce", &text).is_ok()
    }

    #[on("where")]
    async fn where_(&self, ns: socketio::Namespace, other: Namespace) -> bool {
        ns.path() == other.path
    }
}

fn main() {
    assert_eq!(<Lobby as NamespaceClass>::PATH, "/lobby");
    let io = SocketIo::builder().namespace(Lobby).build();
    assert!(io.is_ok(), "{io:?}");
}
