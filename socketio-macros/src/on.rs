//! The `#[on]` helper attribute: its arguments, and the macro used outside a `#[namespace]`.

use proc_macro2::{Span, TokenStream};
use syn::parse::{ParseStream, Parser};
use syn::{Attribute, LitStr, Meta, Type};

use crate::errors::Errors;

/// What an `#[on(...)]` attribute asks for.
#[derive(Clone)]
pub(crate) enum OnArgs {
    /// `#[on("event")]`.
    Event(LitStr),
    /// `#[on("*")]`: events that have no method of their own.
    Any(LitStr),
    /// `#[on(connect)]`.
    Connect(Span),
    /// `#[on(disconnect)]`.
    Disconnect(Span),
    /// `#[on(ChatMessage)]`: the event named by the type's `#[derive(Event)]`.
    Typed(Box<Type>),
}

/// Whether `attr` is an `#[on]` helper attribute (`#[on]`, `#[socketio::on]`, ...).
pub(crate) fn is_on_attr(attr: &Attribute) -> bool {
    attr.path()
        .segments
        .last()
        .is_some_and(|segment| segment.ident == "on")
}

const EXPECTED: &str = "expected `#[on(\"event\")]`, `#[on(EventType)]` (a type that derives \
                        `Event`), `#[on(\"*\")]`, `#[on(connect)]` or `#[on(disconnect)]`";

/// Parses the arguments of one `#[on]` attribute; `None` after recording the errors.
pub(crate) fn parse_on_attr(attr: &Attribute, errors: &mut Errors) -> Option<OnArgs> {
    match &attr.meta {
        Meta::Path(path) => {
            errors.spanned(
                path,
                "a bare `#[on]` does not say which event the method handles: name the event, \
                 `#[on(\"chat message\")]`, or the type that names it with `#[derive(Event)]`, \
                 `#[on(ChatMessage)]`",
            );
            None
        }
        Meta::NameValue(name_value) => {
            errors.spanned(&name_value.value, format!("unexpected `=`: {EXPECTED}"));
            None
        }
        Meta::List(list) => {
            let parser = |input: ParseStream| parse_on_args(input, list);
            match parser.parse2(list.tokens.clone()) {
                Ok(args) => args,
                Err(error) => {
                    errors.push(error);
                    None
                }
            }
        }
    }
}

/// The one rule that tells the forms apart, by syntax only: a string literal is an event name
/// (`"*"` the catch-all); a lone identifier that does not start with an uppercase letter is a
/// handler kind (`connect`, `disconnect`); anything else is a type path.
fn parse_on_args(input: ParseStream, list: &syn::MetaList) -> syn::Result<Option<OnArgs>> {
    let args = if input.is_empty() {
        return Err(syn::Error::new_spanned(
            list,
            format!("missing event name: {EXPECTED}"),
        ));
    } else if input.peek(LitStr) {
        let lit: LitStr = input.parse()?;
        if lit.value() == "*" {
            OnArgs::Any(lit)
        } else {
            OnArgs::Event(lit)
        }
    } else if let Some(ident) = lone_lowercase_ident(input) {
        input.parse::<syn::Ident>()?;
        if ident == "connect" {
            OnArgs::Connect(ident.span())
        } else if ident == "disconnect" {
            OnArgs::Disconnect(ident.span())
        } else {
            return Err(syn::Error::new(
                ident.span(),
                format!(
                    "unknown handler kind `{ident}`: {EXPECTED}; \
                     an event name is a string literal, `#[on(\"{ident}\")]`; a type whose \
                     name starts in lowercase is written as a path, `#[on(self::{ident})]`"
                ),
            ));
        }
    } else {
        let ty: Type = input
            .parse()
            .map_err(|error| syn::Error::new(error.span(), EXPECTED))?;
        if !is_path(&ty) {
            return Err(syn::Error::new_spanned(
                &ty,
                "`#[on(..)]` names the event type by its path, such as `#[on(ChatMessage)]` \
                 or `#[on(events::Join)]`: write the type that derives `Event`",
            ));
        }
        OnArgs::Typed(Box::new(ty))
    };
    if !input.is_empty() {
        let rest: TokenStream = input.parse()?;
        return Err(syn::Error::new_spanned(
            rest,
            "unexpected tokens after the event name: `#[on]` takes one event; \
             use one method per event",
        ));
    }
    Ok(Some(args))
}

/// The identifier at the head of `input` if it stands alone (followed by nothing or a comma)
/// and does not start with an uppercase letter: `connect`, not `ChatMessage` or `chat::Message`.
fn lone_lowercase_ident(input: ParseStream) -> Option<syn::Ident> {
    let fork = input.fork();
    let ident: syn::Ident = fork.parse().ok()?;
    let text = ident.to_string();
    let starts_upper = text
        .trim_start_matches("r#")
        .chars()
        .next()
        .is_some_and(char::is_uppercase);
    (!starts_upper && (fork.is_empty() || fork.peek(syn::Token![,]))).then_some(ident)
}

fn is_path(ty: &Type) -> bool {
    match ty {
        Type::Path(_) => true,
        Type::Group(group) => is_path(&group.elem),
        Type::Paren(paren) => is_path(&paren.elem),
        _ => false,
    }
}

/// `#[on]` used directly (not stripped by an enclosing `#[namespace]`): emit the item unchanged
/// plus an error at the attribute.
pub(crate) fn outside_namespace(item: TokenStream) -> TokenStream {
    let error = syn::Error::new(
        Span::call_site(),
        "`#[on]` only works on methods of an `impl` block marked `#[namespace(\"/path\")]`: \
         add `#[namespace(\"/path\")]` to the `impl` block",
    )
    .to_compile_error();
    let mut out = item;
    out.extend(error);
    out
}
