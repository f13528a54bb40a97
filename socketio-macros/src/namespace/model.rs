//! Parse: `#[namespace(..)]` arguments and the `impl` block into a [`Namespace`] model.
//!
//! Parsing strips every `#[on]` helper attribute from the user's `impl` block (kept in
//! [`Parsed::item`]) and records what each one asked for. Problems found while parsing are
//! recorded in [`Errors`]; cross-item rules are in `check.rs`.

use proc_macro2::Span;
use quote::ToTokens;
use syn::parse::{ParseStream, Parser};
use syn::spanned::Spanned;
use syn::{
    Attribute, FnArg, Generics, ImplItem, ItemImpl, LitBool, LitStr, Path, ReturnType, Token, Type,
};

use crate::errors::Errors;
use crate::names::default_crate_path;
use crate::on::{OnArgs, is_on_attr, parse_on_attr};

/// The arguments of `#[namespace("/path", crate = .., register = ..)]`.
pub(crate) struct NamespaceArgs {
    /// The namespace path literal (`"/chat"` or `"*"`).
    pub path: LitStr,
    /// Path of the runtime crate (default `::socketio`).
    pub krate: Path,
    /// Whether to submit the namespace to the inventory registry (default `true`).
    pub register: bool,
    /// The payload types of `emits(A, B)`: the events the namespace sends its clients.
    pub emits: Vec<Type>,
    /// The expressions of `middleware(A, B::new())`: event middleware installed on the
    /// namespace when the class registers, in this order.
    pub middleware: Vec<syn::Expr>,
}

/// The whole model of one `#[namespace]` impl block.
pub(crate) struct Namespace {
    /// Attribute arguments.
    pub args: NamespaceArgs,
    /// The `Self` type of the `impl` block.
    pub self_ty: Type,
    /// Generics of the `impl` block (rejected by the checks).
    pub generics: Generics,
    /// `impl Trait for` part, if any (rejected by the checks).
    pub trait_path: Option<Path>,
    /// Every method that carries an `#[on]` attribute, in source order.
    pub handlers: Vec<Handler>,
}

/// Which hook of the namespace a method implements.
#[derive(Clone)]
pub(crate) enum HandlerKind {
    /// A named event.
    Event(LitStr),
    /// The event named by a type, `<T as Event>::NAME` (`#[on(T)]`).
    Typed(Box<Type>),
    /// Catch-all event handler (`#[on("*")]`).
    Any,
    /// Connection handler (`#[on(connect)]`).
    Connect,
    /// Disconnection handler (`#[on(disconnect)]`).
    Disconnect,
    /// The attribute's arguments did not parse (already reported); the method is still
    /// checked.
    Invalid,
}

/// How a method receives `self`.
pub(crate) enum ReceiverKind {
    /// `&self` (or `self: &Self`): the only accepted form.
    Shared,
    /// `&mut self`, `self: &mut Self`.
    Mutable,
    /// `self`, `mut self`, `self: Box<Self>`, ...
    Owned,
    /// No `self` parameter at all.
    Missing,
}

/// One method carrying `#[on]`.
pub(crate) struct Handler {
    /// What the attribute asked for.
    pub kind: HandlerKind,
    /// Span of the `#[on]` attribute's argument (or of `on` for a bare attribute).
    pub attr_span: Span,
    /// The method's name.
    pub method: syn::Ident,
    /// `async fn`?
    pub is_async: bool,
    /// The method's `#[cfg(..)]` attributes, copied onto generated code.
    pub cfgs: Vec<Attribute>,
    /// How the method takes `self`, and the tokens to underline: the receiver, or the
    /// method's name when there is none.
    pub receiver: (ReceiverKind, proc_macro2::TokenStream),
    /// Types of the parameters after the receiver.
    pub params: Vec<Type>,
    /// Names of the parameters after the receiver, where the pattern is an identifier.
    pub param_names: Vec<Option<syn::Ident>>,
    /// Declared return type; `None` for `()`.
    pub output: Option<Type>,
    /// The method's generics (rejected by the checks).
    pub generics: Generics,
    /// `unsafe fn`? (rejected by the checks).
    pub unsafety: Option<Token![unsafe]>,
}

/// Result of parsing: the user's item with helper attributes stripped, and the model when the
/// arguments and the item could be parsed.
pub(crate) struct Parsed {
    /// The `impl` block as it must be emitted (helper attributes removed).
    pub item: proc_macro2::TokenStream,
    /// The model, if the input is an `impl` block and the arguments parsed.
    pub model: Option<Namespace>,
}

/// Parses `#[namespace(args)]` on `item`, recording problems in `errors`.
pub(crate) fn parse(
    args: proc_macro2::TokenStream,
    item: proc_macro2::TokenStream,
    errors: &mut Errors,
) -> Parsed {
    let args = match parse_args.parse2(args) {
        Ok(args) => Some(args),
        Err(error) => {
            errors.push(error);
            None
        }
    };
    let mut item_impl: ItemImpl = match syn::parse2(item.clone()) {
        Ok(item_impl) => item_impl,
        Err(_) => {
            errors.at(
                Span::call_site(),
                "`#[namespace]` goes on an `impl` block: \
                 `#[namespace(\"/chat\")] impl Chat { .. }`",
            );
            return Parsed { item, model: None };
        }
    };
    let handlers = collect_handlers(&mut item_impl, errors);
    let item = quote::ToTokens::into_token_stream(&item_impl);
    let model = args.map(|args| Namespace {
        args,
        self_ty: (*item_impl.self_ty).clone(),
        generics: item_impl.generics.clone(),
        trait_path: item_impl.trait_.as_ref().map(|(_, path, _)| path.clone()),
        handlers,
    });
    Parsed { item, model }
}

const ARGS_HELP: &str = "expected `#[namespace(\"/path\")]`, optionally followed by \
                         `emits(Type, ..)`, `middleware(expr, ..)`, `crate = path::to::socketio` \
                         and `register = false`";

const EMITS_HELP: &str = "`emits(..)` lists the `#[derive(Event)]` payload types the namespace \
                          sends its clients: `emits(ChatMessage, UserJoined)`";

fn parse_args(input: ParseStream) -> syn::Result<NamespaceArgs> {
    if input.is_empty() {
        return Err(syn::Error::new(
            Span::call_site(),
            "missing namespace path: write `#[namespace(\"/chat\")]`, \
             or `#[namespace(\"*\")]` for the catch-all namespace",
        ));
    }
    let path: LitStr = input.parse().map_err(|error| {
        syn::Error::new(
            error.span(),
            format!("expected the namespace path as a string literal: {ARGS_HELP}"),
        )
    })?;
    let mut krate: Option<Path> = None;
    let mut register: Option<LitBool> = None;
    let mut emits: Option<Vec<Type>> = None;
    let mut middleware: Option<Vec<syn::Expr>> = None;
    while !input.is_empty() {
        input.parse::<Token![,]>()?;
        if input.is_empty() {
            break;
        }
        if input.peek(Token![crate]) {
            let keyword: Token![crate] = input.parse()?;
            input.parse::<Token![=]>()?;
            let value: Path = input.parse()?;
            if krate.is_some() {
                return Err(syn::Error::new(
                    keyword.span,
                    "option `crate` is given twice",
                ));
            }
            krate = Some(value);
        } else {
            let name: syn::Ident = input.parse().map_err(|error| {
                syn::Error::new(error.span(), format!("expected an option: {ARGS_HELP}"))
            })?;
            if name == "emits" {
                let types = parse_emits(&name, input)?;
                if emits.is_some() {
                    return Err(syn::Error::new(
                        name.span(),
                        "option `emits` is given twice: list every payload type in one \
                         `emits(..)`",
                    ));
                }
                emits = Some(types);
                continue;
            }
            if name == "middleware" {
                let exprs = parse_middleware(&name, input)?;
                if middleware.is_some() {
                    return Err(syn::Error::new(
                        name.span(),
                        "option `middleware` is given twice: list every middleware in one \
                         `middleware(..)`, in the order they run",
                    ));
                }
                middleware = Some(exprs);
                continue;
            }
            if name != "register" {
                return Err(syn::Error::new(
                    name.span(),
                    format!(
                        "unknown option `{name}`: expected `emits(Type, ..)`, \
                         `middleware(expr, ..)`, `crate = path::to::socketio` or \
                         `register = false`"
                    ),
                ));
            }
            input.parse::<Token![=]>()?;
            let value: LitBool = input.parse().map_err(|error| {
                syn::Error::new(
                    error.span(),
                    "expected `register = true` or `register = false`",
                )
            })?;
            if register.is_some() {
                return Err(syn::Error::new(
                    name.span(),
                    "option `register` is given twice",
                ));
            }
            register = Some(value);
        }
    }
    Ok(NamespaceArgs {
        path,
        krate: krate.unwrap_or_else(default_crate_path),
        register: register.is_none_or(|value| value.value),
        emits: emits.unwrap_or_default(),
        middleware: middleware.unwrap_or_default(),
    })
}

const MIDDLEWARE_HELP: &str = "`middleware(..)` lists expressions whose values implement \
                               `socketio::EventMiddleware`: `middleware(Audit::default())`";

/// `middleware(a, B::new())` after its name: a parenthesized, non-empty list of expressions.
fn parse_middleware(name: &syn::Ident, input: ParseStream) -> syn::Result<Vec<syn::Expr>> {
    if !input.peek(syn::token::Paren) {
        return Err(syn::Error::new(
            name.span(),
            format!("`middleware` takes a list of expressions: {MIDDLEWARE_HELP}"),
        ));
    }
    let content;
    let parens = syn::parenthesized!(content in input);
    let exprs = syn::punctuated::Punctuated::<syn::Expr, Token![,]>::parse_terminated(&content)?;
    if exprs.is_empty() {
        return Err(syn::Error::new(
            parens.span.join(),
            format!("`middleware()` is empty: {MIDDLEWARE_HELP}, or remove it"),
        ));
    }
    Ok(exprs.into_iter().collect())
}

/// `emits(A, b::C<D>)` after its name: a parenthesized, non-empty list of types.
fn parse_emits(name: &syn::Ident, input: ParseStream) -> syn::Result<Vec<Type>> {
    if input.peek(Token![=]) {
        return Err(syn::Error::new(
            input.span(),
            format!("write `emits(..)` with parentheses, not `emits = ..`: {EMITS_HELP}"),
        ));
    }
    if !input.peek(syn::token::Paren) {
        return Err(syn::Error::new(
            name.span(),
            format!("`emits` takes a list of types: {EMITS_HELP}"),
        ));
    }
    let content;
    let parens = syn::parenthesized!(content in input);
    let mut types: Vec<Type> = Vec::new();
    while !content.is_empty() {
        if content.peek(LitStr) {
            let lit: LitStr = content.parse()?;
            return Err(syn::Error::new(
                lit.span(),
                format!(
                    "`emits(..)` takes payload types, not event names: derive `Event` on a \
                     type with `#[event({:?})]` and name the type",
                    lit.value()
                ),
            ));
        }
        let ty: Type = content.parse().map_err(|error| {
            syn::Error::new(error.span(), format!("expected a type: {EMITS_HELP}"))
        })?;
        let key = super::check::type_key(&ty);
        if types.iter().any(|seen| super::check::type_key(seen) == key) {
            return Err(syn::Error::new(
                ty.span(),
                format!("`{key}` is listed twice in `emits(..)`: remove one"),
            ));
        }
        types.push(ty);
        if content.is_empty() {
            break;
        }
        content.parse::<Token![,]>().map_err(|error| {
            syn::Error::new(
                error.span(),
                format!("separate the types with commas: {EMITS_HELP}"),
            )
        })?;
    }
    if types.is_empty() {
        return Err(syn::Error::new(
            parens.span.join(),
            format!(
                "`emits()` is empty: name at least one payload type, or remove it: {EMITS_HELP}"
            ),
        ));
    }
    Ok(types)
}

fn collect_handlers(item_impl: &mut ItemImpl, errors: &mut Errors) -> Vec<Handler> {
    let mut handlers = Vec::new();
    for impl_item in &mut item_impl.items {
        let ImplItem::Fn(method) = impl_item else {
            strip_on_attrs_elsewhere(impl_item, errors);
            continue;
        };
        let (on_attrs, others): (Vec<Attribute>, Vec<Attribute>) =
            method.attrs.drain(..).partition(is_on_attr);
        method.attrs = others;
        let mut on_attrs = on_attrs.into_iter();
        let Some(first) = on_attrs.next() else {
            continue;
        };
        for extra in on_attrs {
            errors.spanned(
                &extra,
                "a method takes one `#[on]` attribute: write one method per event",
            );
        }
        let args = parse_on_attr(&first, errors);
        handlers.push(handler(args, &first, method));
    }
    handlers
}

/// `#[on]` on an associated const/type/macro: strip it and report.
fn strip_on_attrs_elsewhere(impl_item: &mut ImplItem, errors: &mut Errors) {
    let attrs = match impl_item {
        ImplItem::Const(item) => &mut item.attrs,
        ImplItem::Type(item) => &mut item.attrs,
        ImplItem::Macro(item) => &mut item.attrs,
        _ => return,
    };
    attrs.retain(|attr| {
        if is_on_attr(attr) {
            errors.spanned(
                attr,
                "`#[on]` goes on a method: `#[on(\"event\")] fn event(&self) {}`",
            );
            false
        } else {
            true
        }
    });
}

fn handler(args: Option<OnArgs>, attr: &Attribute, method: &syn::ImplItemFn) -> Handler {
    let sig = &method.sig;
    let mut inputs = sig.inputs.iter().peekable();
    let receiver = match inputs.peek() {
        Some(FnArg::Receiver(receiver)) => {
            let kind = match &*receiver.ty {
                Type::Reference(reference) if reference.mutability.is_some() => {
                    ReceiverKind::Mutable
                }
                Type::Reference(reference) if is_self(&reference.elem) => ReceiverKind::Shared,
                _ => ReceiverKind::Owned,
            };
            inputs.next();
            (kind, receiver.to_token_stream())
        }
        _ => (ReceiverKind::Missing, sig.ident.to_token_stream()),
    };
    let (params, param_names): (Vec<Type>, Vec<Option<syn::Ident>>) = inputs
        .filter_map(|input| match input {
            FnArg::Typed(pat_type) => {
                let name = match &*pat_type.pat {
                    syn::Pat::Ident(pat) => Some(pat.ident.clone()),
                    _ => None,
                };
                Some(((*pat_type.ty).clone(), name))
            }
            FnArg::Receiver(_) => None,
        })
        .unzip();
    let (kind, attr_span) = match args {
        None => (HandlerKind::Invalid, attr.span()),
        Some(OnArgs::Event(lit)) => {
            let span = lit.span();
            (HandlerKind::Event(lit), span)
        }
        Some(OnArgs::Any(lit)) => (HandlerKind::Any, lit.span()),
        Some(OnArgs::Connect(span)) => (HandlerKind::Connect, span),
        Some(OnArgs::Disconnect(span)) => (HandlerKind::Disconnect, span),
        Some(OnArgs::Typed(ty)) => {
            let span = ty.span();
            (HandlerKind::Typed(ty), span)
        }
    };
    Handler {
        kind,
        attr_span,
        method: sig.ident.clone(),
        is_async: sig.asyncness.is_some(),
        cfgs: method
            .attrs
            .iter()
            .filter(|attr| attr.path().is_ident("cfg"))
            .cloned()
            .collect(),
        receiver,
        params,
        param_names,
        output: match &sig.output {
            ReturnType::Default => None,
            ReturnType::Type(_, ty) => Some((**ty).clone()),
        },
        generics: sig.generics.clone(),
        unsafety: sig.unsafety,
    }
}

fn is_self(ty: &Type) -> bool {
    matches!(ty, Type::Path(path) if path.qself.is_none() && path.path.is_ident("Self"))
}
