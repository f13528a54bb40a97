//! The `#[on]` helper attribute: its arguments, and the macro used outside a `#[namespace]`.

use proc_macro2::{Span, TokenStream};
use quote::ToTokens;
use syn::parse::{ParseStream, Parser};
use syn::{Attribute, LitStr, Meta};

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
    /// Bare `#[on]`: the event name comes from the payload type's `#[derive(Event)]`.
    Infer(Span),
}

/// Whether `attr` is an `#[on]` helper attribute (`#[on]`, `#[socketio::on]`, ...).
pub(crate) fn is_on_attr(attr: &Attribute) -> bool {
    attr.path()
        .segments
        .last()
        .is_some_and(|segment| segment.ident == "on")
}

const EXPECTED: &str = "expected `#[on(\"event\")]`, `#[on(\"*\")]`, `#[on(connect)]`, \
                        `#[on(disconnect)]` or a bare `#[on]`";

/// Parses the arguments of one `#[on]` attribute; `None` after recording the errors.
pub(crate) fn parse_on_attr(attr: &Attribute, errors: &mut Errors) -> Option<OnArgs> {
    match &attr.meta {
        Meta::Path(path) => Some(OnArgs::Infer(span_of(path))),
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
    } else if input.peek(syn::Ident) {
        let ident: syn::Ident = input.parse()?;
        if ident == "connect" {
            OnArgs::Connect(ident.span())
        } else if ident == "disconnect" {
            OnArgs::Disconnect(ident.span())
        } else {
            return Err(syn::Error::new(
                ident.span(),
                format!(
                    "unknown handler kind `{ident}`: {EXPECTED}; \
                     an event name is a string literal: `#[on(\"{ident}\")]`"
                ),
            ));
        }
    } else {
        return Err(input.error(EXPECTED));
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

fn span_of(tokens: impl ToTokens) -> Span {
    tokens
        .into_token_stream()
        .into_iter()
        .next()
        .map_or_else(Span::call_site, |token| token.span())
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
