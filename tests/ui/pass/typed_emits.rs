// Typed emits compile for every declared payload: to the socket, with an ack, to a room
// (with and without the sender), to the namespace's broadcast, through an operator, from a
// namespace with a path'd and a generic payload type; the untyped emit stays.
use serde::Serialize;
use socketio::{namespace, Event, Socket, SocketIo};

mod events {
    #[derive(serde::Serialize, socketio::Event)]
    #[event("user joined")]
    pub struct UserJoined {
        pub nick: String,
    }
}

#[derive(Serialize, Event)]
#[event("message")]
struct ChatMessage {
    text: String,
}

#[derive(Serialize, Event)]
#[event("list")]
struct List<T> {
    items: Vec<T>,
}

#[derive(Default)]
struct Chat;

#[namespace("/chat", emits(ChatMessage, events::UserJoined, List<u32>,))]
impl Chat {
    #[on(connect)]
    async fn connect(&self, socket: Socket) {
        let out = socket.typed::<Self>();
        out.emit(&ChatMessage { text: "hi".into() }).ok();
        out.emit(&List { items: vec![1u32] }).ok();
        let _ack = out.emit_with_ack(&ChatMessage { text: "ack?".into() });
        out.to("room")
            .to("other")
            .skip_sid("x")
            .local()
            .emit(&events::UserJoined { nick: "ann".into() })
            .ok();
        out.within("room").emit(&ChatMessage { text: "all".into() }).ok();
        out.broadcast().emit(&ChatMessage { text: "others".into() }).ok();
        socket.emit("anything", &("untyped", 1)).ok();
    }

    #[on("io")]
    fn io(&self, io: SocketIo) {
        io.of("/chat")
            .to("room")
            .typed::<Self>()
            .emit(&ChatMessage { text: "from io".into() })
            .ok();
    }
}

fn main() {
    let _ = SocketIo::builder().build().unwrap();
}
