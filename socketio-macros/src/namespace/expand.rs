//! Expand: the `NamespaceClass` impl (one registration per method, its types checked at the
//! user's spans) and the inventory submission.
//!
//! Everything generated names the runtime through `<crate>::__private`, lives inside
//! `const _: () = { .. };`, and uses `__socketio_` identifiers.

use proc_macro2::TokenStream;
use quote::{format_ident, quote, quote_spanned};
use syn::spanned::Spanned;
use syn::{Path, Type};

use super::check::type_key;
use super::model::{Handler, HandlerKind, Namespace};

/// Generated items for a checked model (the user's `impl` block is emitted by the caller).
pub(crate) fn expand(model: &Namespace, inventory: bool, typescript: bool) -> TokenStream {
    let krate = &model.args.krate;
    let path = &model.args.path;
    let self_ty = &model.self_ty;
    let handlers = model
        .handlers
        .iter()
        .map(|handler| expand_handler(krate, handler));
    let registration = registration(model, inventory);
    let emits = emits(model);
    let middleware = model.args.middleware.iter().map(|expr| {
        let span = syn::spanned::Spanned::span(expr);
        quote_spanned!(span=> #krate::__private::middleware(__socketio_ns, #expr);)
    });
    let contract = if typescript {
        contract(model)
    } else {
        TokenStream::new()
    };
    quote! {
        #[doc(hidden)]
        #[allow(non_upper_case_globals, unused_qualifications, clippy::all)]
        const _: () = {
            impl #krate::__private::NamespaceClass for #self_ty {
                const PATH: &'static str = #path;

                fn register(
                    self: #krate::__private::Arc<Self>,
                    __socketio_ns: &#krate::__private::ClassRegistrar,
                ) {
                    #(#middleware)*
                    #(#handlers)*
                }
            }
            #registration
            #emits
            #contract
        };
    }
}

/// One `Emits<T>` impl per type of `emits(..)`, spanned at the type: a type that is not an
/// event payload is underlined where the user named it.
fn emits(model: &Namespace) -> TokenStream {
    let krate = &model.args.krate;
    let self_ty = &model.self_ty;
    model
        .args
        .emits
        .iter()
        .map(|ty| {
            let name = quote_spanned!(ty.span()=> #krate::__private::declared_payload::<#ty>());
            quote! {
                impl #krate::__private::Emits<#ty> for #self_ty {
                    const NAME: &'static str = #name;
                }
            }
        })
        .collect()
}

/// The `type_name` the registration and the contract report: `module::Type` for a type named
/// by one identifier, the type's text otherwise.
fn type_name(self_ty: &Type) -> TokenStream {
    let name = type_key(self_ty);
    match self_ty {
        Type::Path(path) if path.qself.is_none() && path.path.get_ident().is_some() => {
            quote!(::core::concat!(::core::module_path!(), "::", #name))
        }
        _ => quote!(#name),
    }
}

/// The TypeScript type of `ty` for the contract (`unknown` when it does not implement
/// `ts_rs::TS`). Picked by autoref specialization on the concrete type: the contract puts no
/// bound on the user's types, so it adds no error to those the registration reports.
fn ts_type(rt: &TokenStream, ty: &Type) -> TokenStream {
    quote!((&&#rt::ts::Probe::<#ty>::new()).__socketio_ts())
}

/// Parameter `name: ty` for the contract: an argument, a rest parameter, a manual ack or
/// context.
fn ts_param(rt: &TokenStream, ty: &Type, name: &str) -> TokenStream {
    quote!((&&&&&#rt::ts::Probe::<#ty>::new()).__socketio_param(#name))
}

/// The event name of `#[derive(Event)]` type `ty`, as an `Option`.
fn ts_event(rt: &TokenStream, ty: &Type) -> TokenStream {
    quote!((&&#rt::ts::Probe::<#ty>::new()).__socketio_event())
}

/// The ack of an event method, read from its return type: `()` none; `Result<T, E>` the
/// runtime's rule (`T` as the arguments, or `{ error: E }`); a tuple several arguments;
/// anything else one.
fn ack(rt: &TokenStream, output: Option<&Type>) -> TokenStream {
    fn args(rt: &TokenStream, ty: &Type) -> TokenStream {
        match ty {
            Type::Tuple(tuple) => {
                let each = tuple.elems.iter().map(|ty| ts_type(rt, ty));
                quote!(::std::vec![#(#each),*])
            }
            Type::Paren(paren) => args(rt, &paren.elem),
            Type::Group(group) => args(rt, &group.elem),
            _ => {
                let ty = ts_type(rt, ty);
                quote!(::std::vec![#ty])
            }
        }
    }
    let Some(ty) = output else {
        return quote!(#rt::ts::Ack::Nothing);
    };
    if contains_impl_trait(ty) {
        return quote!(#rt::ts::Ack::Untyped);
    }
    if let Type::Tuple(tuple) = ty {
        if tuple.elems.is_empty() {
            return quote!(#rt::ts::Ack::Nothing);
        }
    }
    if let Some((ok, err)) = result_args(ty) {
        let ok = args(rt, ok);
        let err = ts_type(rt, err);
        return quote!(#rt::ts::Ack::OkOrError(#ok, #err));
    }
    let args = args(rt, ty);
    quote!(#rt::ts::Ack::Values(#args))
}

/// `Result<T, E>` (any path ending in `Result` with two type arguments).
fn result_args(ty: &Type) -> Option<(&Type, &Type)> {
    let Type::Path(path) = ty else { return None };
    let last = path.path.segments.last()?;
    if last.ident != "Result" {
        return None;
    }
    let syn::PathArguments::AngleBracketed(args) = &last.arguments else {
        return None;
    };
    let mut types = args.args.iter().filter_map(|arg| match arg {
        syn::GenericArgument::Type(ty) => Some(ty),
        _ => None,
    });
    let ok = types.next()?;
    let err = types.next()?;
    types.next().is_none().then_some((ok, err))
}

/// The `Describe` impl (the namespace's contract: events, their arguments and acks, the
/// connect auth, the declared emits) and, when the namespace auto-registers, its inventory
/// submission.
fn contract(model: &Namespace) -> TokenStream {
    let krate = &model.args.krate;
    let rt = quote!(#krate::__private);
    let self_ty = &model.self_ty;
    let path = &model.args.path;
    let type_name = type_name(self_ty);
    let ts_name = match self_ty {
        Type::Path(path) => path
            .path
            .segments
            .last()
            .map_or_else(|| "Namespace".to_owned(), |s| s.ident.to_string()),
        _ => "Namespace".to_owned(),
    };
    let mut items = Vec::new();
    for handler in &model.handlers {
        let cfgs = &handler.cfgs;
        let params = handler
            .params
            .iter()
            .zip(&handler.param_names)
            .enumerate()
            .map(|(index, (ty, name))| {
                let name = name
                    .as_ref()
                    .map(|n| n.to_string().trim_start_matches('_').to_owned())
                    .filter(|n| !n.is_empty())
                    .unwrap_or_else(|| format!("arg{index}"));
                ts_param(&rt, ty, &name)
            });
        let item = match &handler.kind {
            HandlerKind::Event(_) | HandlerKind::Typed(_) => {
                let event = match &handler.kind {
                    HandlerKind::Event(lit) => quote!(::core::option::Option::Some(#lit)),
                    HandlerKind::Typed(ty) => ts_event(&rt, ty),
                    _ => continue,
                };
                let ack = ack(&rt, handler.output.as_ref());
                quote! {
                    __socketio_c.event(#event, ::std::vec![#(#params),*], #ack);
                }
            }
            HandlerKind::Any => quote! { __socketio_c.catch_all(); },
            HandlerKind::Connect => quote! { #(__socketio_c.auth(#params);)* },
            HandlerKind::Disconnect | HandlerKind::Invalid => continue,
        };
        items.push(quote! { #(#cfgs)* { #item } });
    }
    for ty in &model.args.emits {
        let name = ts_event(&rt, ty);
        let ts = ts_type(&rt, ty);
        items.push(quote! { __socketio_c.emits(#name, #ts); });
    }
    let submission = if model.args.register {
        let location = quote_spanned!(path.span()=> file: ::core::file!(), line: ::core::line!(),);
        quote! {
            #rt::inventory::submit! {
                #rt::ts::ContractEntry {
                    #location
                    contract: <#self_ty as #rt::ts::Describe>::contract,
                }
            }
        }
    } else {
        TokenStream::new()
    };
    quote! {
        impl #rt::ts::Describe for #self_ty {
            fn contract() -> #rt::ts::NamespaceContract {
                #[allow(unused_imports)]
                use #rt::ts::{
                    EventNamed as _, EventUnnamed as _, ParamContext as _, ParamRest as _,
                    ParamSpecial as _, ParamTyped as _, ParamUntyped as _, TypeTyped as _,
                    TypeUntyped as _,
                };
                let mut __socketio_c = #rt::ts::NamespaceContract::new(#path, #ts_name, #type_name);
                #(#items)*
                __socketio_c
            }
        }
        #submission
    }
}

/// The registration block of one method, under the method's `#[cfg]`s.
///
/// Each parameter's extractor and the return value's converter come from a runtime function
/// whose bound names the user's type, called with the user's span: a type the runtime cannot
/// use is reported once, underlined where the user wrote it. The wrapper handed to the
/// registrar (`EventMethod`, ...) carries no bound on the user's types, so the registration
/// itself does not fail a second time.
fn expand_handler(krate: &Path, handler: &Handler) -> TokenStream {
    let rt = quote!(#krate::__private);
    let cfgs = &handler.cfgs;
    let method = &handler.method;
    let args: Vec<_> = (0..handler.params.len())
        .map(|index| format_ident!("__socketio_a{index}"))
        .collect();
    let params = &handler.params;
    let call_site = method.span();
    let at = quote_spanned!(call_site=> .at(::core::file!(), ::core::line!()));
    let extractor = match handler.kind {
        HandlerKind::Connect => quote!(connect_param),
        HandlerKind::Disconnect => quote!(disconnect_param),
        _ => quote!(event_param),
    };
    let extractors = params
        .iter()
        .map(|ty| quote_spanned!(ty.span()=> #rt::#extractor::<_, #ty>(),));
    let extractors = quote!((#(#extractors)*));
    let returned = match &handler.output {
        Some(ty) if !contains_impl_trait(ty) => quote_spanned!(ty.span()=> ::<#ty>),
        Some(_) => quote!(::<_>),
        None => quote!(::<()>),
    };
    let returned_span = handler.output.as_ref().map_or(call_site, |ty| ty.span());
    // Path call, not method syntax: a method named like one of `Arc`'s (`clone`) must still
    // call the user's method.
    let call = quote!(Self::#method(&*__socketio_this #(, #args)*));
    let body = if handler.is_async {
        quote!(#call.await)
    } else {
        quote!(#call)
    };
    let call_fn = quote! {
        move |#(#args: #params),*| {
            let __socketio_this = #rt::Arc::clone(&__socketio_this);
            async move { #body }
        }
    };
    let registration = match &handler.kind {
        HandlerKind::Event(_) | HandlerKind::Typed(_) | HandlerKind::Any => {
            let (registrar, event) = match &handler.kind {
                HandlerKind::Event(lit) => (quote!(on), quote!(#lit,)),
                HandlerKind::Typed(ty) => (
                    quote!(on),
                    quote_spanned!(ty.span()=> #rt::event_name::<#ty>(),),
                ),
                _ => (quote!(on_any), TokenStream::new()),
            };
            let ack = quote_spanned!(returned_span=> #rt::ack #returned());
            quote! {
                __socketio_ns #at.#registrar(#event #rt::EventMethod {
                    args: #extractors,
                    ack: #ack,
                    call: #call_fn,
                });
            }
        }
        HandlerKind::Connect => {
            let ret = quote_spanned!(returned_span=> #rt::connect_return #returned());
            quote! {
                __socketio_ns #at.on_connect(#rt::ConnectMethod {
                    args: #extractors,
                    ret: #ret,
                    call: #call_fn,
                });
            }
        }
        HandlerKind::Disconnect => quote! {
            __socketio_ns #at.on_disconnect(#rt::DisconnectMethod {
                args: #extractors,
                call: #call_fn,
            });
        },
        // Rejected by the checks; expansion only runs on a checked model.
        HandlerKind::Invalid => return TokenStream::new(),
    };
    quote! {
        #(#cfgs)*
        {
            let __socketio_this = #rt::Arc::clone(&self);
            #registration
        }
    }
}

fn contains_impl_trait(ty: &Type) -> bool {
    match ty {
        Type::ImplTrait(_) => true,
        Type::Group(group) => contains_impl_trait(&group.elem),
        Type::Paren(paren) => contains_impl_trait(&paren.elem),
        _ => false,
    }
}

/// The inventory submission, whose `register_default::<Self>` checks `Default` at the `Self`
/// type (nothing with `register = false`).
fn registration(model: &Namespace, inventory: bool) -> TokenStream {
    if !model.args.register {
        return TokenStream::new();
    }
    let krate = &model.args.krate;
    let self_ty = &model.self_ty;
    let path = &model.args.path;
    if !inventory {
        let message = "auto-registration needs the `inventory` feature of `socketio` (on by \
                       default): enable it, or write `register = false` and add the namespace \
                       with `.namespace(instance)`";
        return quote_spanned!(path.span()=> ::core::compile_error!(#message););
    }
    // `std::any::type_name` of a type named by one identifier in this module, so that an
    // explicit `.namespace(instance)` of the same type replaces its auto-registration.
    let type_name = type_name(self_ty);
    let location = quote_spanned!(path.span()=> file: ::core::file!(), line: ::core::line!(),);
    let ty_span = self_ty.span();
    let register_fn = quote_spanned!(ty_span=> #krate::__private::register_default::<#self_ty>);
    quote! {
        #krate::__private::inventory::submit! {
            #krate::__private::Registration {
                path: #path,
                type_name: #type_name,
                #location
                register: #register_fn,
            }
        }
    }
}
