//! Check: rules over the whole model, each violation reported at the token that causes it.

use std::collections::HashMap;

use quote::ToTokens;
use syn::Type;

use super::model::{Handler, HandlerKind, Namespace, ReceiverKind};
use crate::errors::Errors;
use crate::names::reserved_event_message;

/// Records every rule violation of `model` in `errors`.
pub(crate) fn check(model: &Namespace, errors: &mut Errors) {
    check_path(model, errors);
    check_impl(model, errors);
    for handler in &model.handlers {
        check_handler(handler, errors);
    }
    check_duplicates(&model.handlers, errors);
}

fn check_path(model: &Namespace, errors: &mut Errors) {
    let lit = &model.args.path;
    let path = lit.value();
    if path == "*" || path.starts_with('/') {
        return;
    }
    let fix = if path.is_empty() {
        "write `\"/\"` for the main namespace".to_owned()
    } else {
        format!("write `\"/{path}\"`")
    };
    errors.at(
        lit.span(),
        format!(
            "a namespace path starts with `/` (or is `\"*\"` for the catch-all namespace): {fix}"
        ),
    );
}

fn check_impl(model: &Namespace, errors: &mut Errors) {
    if let Some(trait_path) = &model.trait_path {
        errors.spanned(
            trait_path,
            "`#[namespace]` goes on an inherent `impl` block, not on a trait implementation: \
             move the handlers into `impl Type { .. }`",
        );
    }
    let generics = &model.generics;
    if !generics.params.is_empty() {
        errors.spanned(
            &generics.params,
            "`#[namespace]` cannot be used on a generic `impl` block: one instance is \
             registered per path; implement the namespace for a concrete type",
        );
    } else if let Some(where_clause) = &generics.where_clause {
        errors.spanned(
            where_clause,
            "`#[namespace]` cannot be used on an `impl` block with a `where` clause: \
             implement the namespace for a concrete type",
        );
    }
}

fn check_handler(handler: &Handler, errors: &mut Errors) {
    if let HandlerKind::Event(lit) = &handler.kind {
        let name = lit.value();
        if name.is_empty() {
            errors.at(
                lit.span(),
                "an event name cannot be empty: `#[on(\"event\")]`",
            );
        } else if let Some(message) = reserved_event_message(&name, true) {
            errors.at(lit.span(), message);
        }
    }
    let (receiver, tokens) = &handler.receiver;
    match receiver {
        ReceiverKind::Shared => {}
        ReceiverKind::Mutable => errors.spanned(
            tokens,
            "namespace methods take `&self`, not `&mut self`: one instance is shared by every \
             client; keep mutable state behind a `Mutex` or an atomic",
        ),
        ReceiverKind::Owned => errors.spanned(
            tokens,
            "namespace methods take `&self`: one instance is shared by every client, \
             so a method cannot take `self` by value",
        ),
        ReceiverKind::Missing => errors.spanned(
            tokens,
            "an `#[on]` method takes `&self` as its first parameter: add `&self`",
        ),
    }
    if let Some(unsafety) = &handler.unsafety {
        errors.spanned(
            unsafety,
            "an `#[on]` method cannot be `unsafe`: remove `unsafe`",
        );
    }
    if !handler.generics.params.is_empty() {
        errors.spanned(
            &handler.generics.params,
            "an `#[on]` method cannot be generic: use concrete parameter types",
        );
    }
    for ty in &handler.params {
        check_param(ty, errors);
    }
    if let (HandlerKind::Disconnect, Some(ty)) = (&handler.kind, &handler.output) {
        if !is_unit(ty) {
            errors.spanned(
                ty,
                "a disconnect handler returns nothing: the client is gone, there is no one to \
                 acknowledge; remove the return type",
            );
        }
    }
}

fn is_unit(ty: &Type) -> bool {
    match ty {
        Type::Tuple(tuple) => tuple.elems.is_empty(),
        Type::Group(group) => is_unit(&group.elem),
        Type::Paren(paren) => is_unit(&paren.elem),
        _ => false,
    }
}

fn check_param(ty: &Type, errors: &mut Errors) {
    match ty {
        Type::Reference(_) => errors.spanned(
            ty,
            "`#[on]` parameters are owned values, not references: the handler outlives the \
             packet; take an owned type such as `String` or `Vec<u8>`",
        ),
        Type::ImplTrait(_) => errors.spanned(
            ty,
            "`impl Trait` parameters are not supported in `#[on]` methods: use a concrete type",
        ),
        Type::Group(group) => check_param(&group.elem, errors),
        Type::Paren(paren) => check_param(&paren.elem, errors),
        _ => {}
    }
}

/// Two handlers for one event (or two connect, disconnect or catch-all handlers): an error at
/// the second naming the event, and one at the first.
fn check_duplicates(handlers: &[Handler], errors: &mut Errors) {
    let mut seen: HashMap<String, &Handler> = HashMap::new();
    for handler in handlers {
        let (key, what) = match &handler.kind {
            HandlerKind::Event(lit) => {
                let name = lit.value();
                (format!("event:{name}"), format!("event `{name}`"))
            }
            HandlerKind::Typed(ty) => {
                let ty = type_key(ty);
                (
                    format!("type:{ty}"),
                    format!("event `<{ty} as Event>::NAME`"),
                )
            }
            HandlerKind::Invalid => continue,
            HandlerKind::Any => ("any".to_owned(), "the catch-all `#[on(\"*\")]`".to_owned()),
            HandlerKind::Connect => ("connect".to_owned(), "`#[on(connect)]`".to_owned()),
            HandlerKind::Disconnect => ("disconnect".to_owned(), "`#[on(disconnect)]`".to_owned()),
        };
        if let Some(first) = seen.get(&key) {
            errors.at(
                handler.attr_span,
                format!(
                    "{what} already has a handler, `{}`: keep one of the two methods",
                    first.method
                ),
            );
            errors.at(
                first.attr_span,
                format!("{what} is first handled here, by `{}`", first.method),
            );
        } else {
            seen.insert(key, handler);
        }
    }
}

/// A type as compact text (`a::B<C>`), for messages and duplicate detection.
pub(crate) fn type_key(ty: &Type) -> String {
    let text = ty.to_token_stream().to_string();
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        if c == ' ' {
            let prev = out.chars().last();
            let next = chars.peek().copied();
            let glue = |c: Option<char>| matches!(c, Some(':' | '<' | '>' | '&' | '(' | ')'));
            if glue(prev) || glue(next) || next == Some(',') {
                continue;
            }
        }
        out.push(c);
    }
    out
}
