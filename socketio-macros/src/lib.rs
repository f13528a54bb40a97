//! Procedural macros for `socketio`: `#[namespace]`, `#[on]` and `#[derive(Event)]`.
//!
//! Use them through the `socketio` crate, which re-exports them; the generated code names only
//! `socketio::__private` items. Each macro parses its input into a model, checks the model
//! (collecting every error, each spanned at the token that causes it) and only then generates
//! code. On error the user's item is still emitted, without the helper attributes, next to the
//! errors, so the rest of the crate keeps compiling.

mod errors;
mod event;
mod names;
mod namespace;
mod on;

#[cfg(test)]
mod tests;

use proc_macro::TokenStream;

/// Turns an inherent `impl` block into a Socket.IO namespace.
///
/// One instance of the type is shared by every client of the namespace (like a
/// python-socketio class-based namespace), so handler methods take `&self`. Methods marked
/// with `#[on(..)]` become handlers; other methods are left alone.
///
/// ```
/// use socketio::{namespace, Socket};
///
/// #[derive(Default)]
/// struct Chat;
///
/// #[namespace("/chat")]
/// impl Chat {
///     #[on(connect)]
///     async fn connect(&self, socket: Socket) {}
///
///     #[on("message")]
///     async fn message(&self, socket: Socket, text: String) -> String {
///         text // the return value is the acknowledgement
///     }
///
///     #[on(disconnect)]
///     fn disconnect(&self, socket: Socket) {}
/// }
/// ```
///
/// # Arguments
///
/// - the path, first: `"/chat"`, or `"*"` for the catch-all namespace;
/// - `crate = path::to::socketio`: where the runtime crate is (default `::socketio`);
/// - `register = false`: do not auto-register the namespace; add it explicitly with
///   `.namespace(instance)` (the type then need not implement `Default`).
///
/// # Handlers
///
/// The argument of `#[on(..)]` says which event a method handles; its form alone decides, never
/// the method's parameters:
///
/// - `#[on("event")]`: the event `event`; `#[on("*")]`: every event without a method of its own;
/// - `#[on(connect)]`, `#[on(disconnect)]`: connection and disconnection (a lone identifier
///   that does not start with an uppercase letter is one of these two keywords);
/// - `#[on(ChatMessage)]`, `#[on(events::Join)]`: any other path is a type, and the event is
///   the one its `#[derive(Event)]` names (`<ChatMessage as Event>::NAME`). The type only names
///   the event: the parameters are read exactly as for `#[on("chat message")]`, so the method
///   usually takes a `ChatMessage` too, but need not.
///
/// A bare `#[on]` is an error: it does not say which event.
///
/// ```
/// use socketio::{namespace, Event, Socket};
///
/// #[derive(serde::Deserialize, Event)]
/// #[event("chat message")]
/// struct ChatMessage {
///     text: String,
/// }
///
/// #[derive(Default)]
/// struct Chat;
///
/// #[namespace("/typed")]
/// impl Chat {
///     #[on(ChatMessage)]
///     fn chat_message(&self, socket: Socket, message: ChatMessage) -> usize {
///         message.text.len()
///     }
/// }
/// ```
///
/// After `&self`, each parameter is a context value (`Socket`, `State<T>`, `SocketIo`,
/// `AckSender`, `EventName`, ...) or the next event argument, deserialized with serde; which
/// one is decided by the parameter's type through the runtime's traits, not by its name, so a
/// type of yours called `State` or `Socket` is an ordinary argument. Methods may be sync or
/// `async`; the return value of an event method is the acknowledgement.
#[proc_macro_attribute]
pub fn namespace(args: TokenStream, item: TokenStream) -> TokenStream {
    namespace::namespace(
        args.into(),
        item.into(),
        cfg!(feature = "inventory"),
        cfg!(feature = "typescript"),
    )
    .into()
}

/// Marks a method of a `#[namespace]` impl block as a handler; see [`macro@namespace`].
///
/// It is read and removed by `#[namespace]`: used anywhere else it is an error.
#[proc_macro_attribute]
pub fn on(_args: TokenStream, item: TokenStream) -> TokenStream {
    on::outside_namespace(item.into()).into()
}

/// Names the event a payload type belongs to: `#[event("chat message")]`.
///
/// Implements `socketio::Event`, so a method marked `#[on(ChatMessage)]` handles that event.
///
/// ```
/// #[derive(serde::Deserialize, socketio::Event)]
/// #[event("chat message")]
/// struct ChatMessage {
///     text: String,
/// }
/// ```
///
/// `#[event("name", crate = path::to::socketio)]` sets the runtime crate's path.
#[proc_macro_derive(Event, attributes(event))]
pub fn derive_event(input: TokenStream) -> TokenStream {
    event::derive_event(input.into()).into()
}

/// The reserved event names as an array expression: how the runtime's
/// `socketio::proto::sio::RESERVED_EVENTS` gets the one list the macros check against.
///
/// A proc-macro crate exports only macros, so the list crosses over as this expansion (a
/// shared file `include!`d from both crates would leave one of them unpackageable).
#[doc(hidden)]
#[proc_macro]
pub fn __reserved_events(input: TokenStream) -> TokenStream {
    if !input.is_empty() {
        return syn::Error::new(
            proc_macro2::Span::call_site(),
            "`__reserved_events!` takes no arguments",
        )
        .to_compile_error()
        .into();
    }
    names::reserved_events_array().into()
}
