// User types named like the runtime's context types (`State`, `Args`, `Socket`) are ordinary
// event types, payloads and arguments: the macros decide nothing from a type's name.
use socketio::{namespace, Event, EventName, NamespaceClass, SocketIo};

#[derive(serde::Deserialize, Event)]
#[event("state")]
struct State {
    level: u32,
}

#[derive(serde::Deserialize, Event)]
#[event("args")]
struct Args(Vec<String>);

#[derive(serde::Deserialize)]
struct Socket {
    port: u16,
}

#[derive(Default)]
struct Game;

#[namespace("/game", register = false)]
impl Game {
    // Payloads that name their events.
    #[on(State)]
    fn state(&self, state: State) -> u32 {
        state.level
    }

    #[on(Args)]
    fn args(&self, socket: Socket, args: Args) -> (u16, usize) {
        (socket.port, args.0.len())
    }

    // Plain arguments of a named event, next to a real context value.
    #[on("move")]
    fn moved(&self, event: EventName, socket: Socket, state: State, args: Args) -> String {
        format!("{} {} {} {}", event.as_str(), socket.port, state.level, args.0.len())
    }

    // The runtime's own context types still are context.
    #[on("ping")]
    fn ping(&self, socket: socketio::Socket, state: socketio::State<u8>, rest: socketio::Args) {
        let _ = (socket, state, rest);
    }
}

fn main() {
    assert_eq!(<State as Event>::NAME, "state");
    assert_eq!(<Args as Event>::NAME, "args");
    assert_eq!(<Game as NamespaceClass>::PATH, "/game");
    let io = SocketIo::builder().state(0u8).namespace(Game).build();
    assert!(io.is_ok(), "{io:?}");
}
