// The macros work when invoked from inside `macro_rules!`, with the path, the type, the event
// name and the parameter types coming from macro fragments.
use socketio::{namespace, Event, NamespaceClass, SocketIo};

macro_rules! echo_namespace {
    ($ty:ident, $path:literal, $event:literal, $arg:ty, $typed:ty) => {
        struct $ty;

        #[namespace($path, register = false)]
        impl $ty {
            #[on($event)]
            fn echo(&self, value: $arg) -> $arg {
                value
            }

            #[on($typed)]
            async fn typed(&self, value: Typed) {
                let _ = value;
            }
        }
    };
}

macro_rules! event_type {
    ($ty:ident, $name:literal) => {
        #[derive(serde::Deserialize, Event)]
        #[event($name)]
        struct $ty;
    };
}

// `$arg:ty`, `$typed:ty` and `$path:literal` reach the macros inside invisible groups.
event_type!(Typed, "typed");
echo_namespace!(Echo, "/echo", "echo", Vec<u8>, Typed);

fn main() {
    assert_eq!(<Echo as NamespaceClass>::PATH, "/echo");
    assert_eq!(<Typed as Event>::NAME, "typed");
    assert!(SocketIo::builder().namespace(Echo).build().is_ok());
}
