//! Names shared by the macros: the reserved event names, the runtime crate's default path.

/// Event names a client cannot emit (Socket.IO's `RESERVED_EVENTS` plus `disconnecting`).
///
/// The only copy of the list: the runtime's `socketio::proto::sio::RESERVED_EVENTS` is the
/// expansion of [`reserved_events_array`] (through the hidden `__reserved_events!` macro).
pub(crate) const RESERVED_EVENTS: &[&str] = &[
    "connect",
    "connect_error",
    "disconnect",
    "disconnecting",
    "newListener",
    "removeListener",
];

/// [`RESERVED_EVENTS`] as an array expression, `["connect", ...]`.
pub(crate) fn reserved_events_array() -> proc_macro2::TokenStream {
    let names = RESERVED_EVENTS.iter();
    quote::quote!([#(#names),*])
}

/// The teaching message for a reserved event name used as an event.
pub(crate) fn reserved_event_message(name: &str, in_on: bool) -> Option<String> {
    if !RESERVED_EVENTS.contains(&name) {
        return None;
    }
    let fix = match (name, in_on) {
        ("connect", true) => {
            "use `#[on(connect)]` (no quotes) for the connection handler".to_owned()
        }
        ("disconnect", true) => {
            "use `#[on(disconnect)]` (no quotes) for the disconnection handler".to_owned()
        }
        _ => "clients cannot emit it; pick another event name".to_owned(),
    };
    Some(format!("`{name}` is a reserved event name: {fix}"))
}

/// Default path of the runtime crate in generated code.
pub(crate) fn default_crate_path() -> syn::Path {
    syn::parse_quote!(::socketio)
}
