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
pub(crate) fn expand(model: &Namespace, inventory: bool) -> TokenStream {
    let krate = &model.args.krate;
    let path = &model.args.path;
    let self_ty = &model.self_ty;
    let handlers = model
        .handlers
        .iter()
        .map(|handler| expand_handler(krate, handler));
    let registration = registration(model, inventory);
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
                    #(#handlers)*
                }
            }
            #registration
        };
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
    let type_name = match self_ty {
        Type::Path(path) if path.qself.is_none() && path.path.get_ident().is_some() => {
            let name = type_key(self_ty);
            quote!(::core::concat!(::core::module_path!(), "::", #name))
        }
        _ => {
            let name = type_key(self_ty);
            quote!(#name)
        }
    };
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
