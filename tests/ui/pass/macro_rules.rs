// The macros work when invoked from inside `macro_rules!`, with the path, the type, the event
// name and the parameter types coming from macro fragments.
#[path = "../mock_runtime.rs"]
mod rt;

use socketio_macros::{namespace, Event};

macro_rules! echo_namespace {
    ($ty:ident, $path:literal, $event:literal, $arg:ty) => {
        struct $ty;

        #[namespace($path, crate = crate::rt, register = false)]
        impl $ty {
            #[on($event)]
            fn echo(&self, value: $arg) -> $arg {
                value
            }

            #[on]
            async fn typed(&self, value: Typed) {
                let _ = value;
            }
        }
    };
}

macro_rules! event_type {
    ($ty:ident, $name:literal) => {
        #[derive(Event)]
        #[event($name, crate = crate::rt)]
        struct $ty;
    };
}

// `$arg:ty` and `$path:literal` reach the macros inside invisible groups.
event_type!(Typed, "typed");
echo_namespace!(Echo, "/echo", "echo", Vec<u8>);

fn main() {
    use rt::__private::NamespaceClass;
    assert_eq!(<Echo as NamespaceClass>::PATH, "/echo");
    let events: Vec<_> = rt::__private::register(Echo)
        .into_iter()
        .map(|r| r.event)
        .collect();
    assert_eq!(events, ["echo", "typed"]);
}
