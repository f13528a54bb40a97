//! Expand: the `NamespaceClass` impl, the diagnostic assertions and the inventory submission.
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

/// The registration block of one method, with its assertions, under the method's `#[cfg]`s.
fn expand_handler(krate: &Path, handler: &Handler) -> TokenStream {
    let cfgs = &handler.cfgs;
    let method = &handler.method;
    let args: Vec<_> = (0..handler.params.len())
        .map(|index| format_ident!("__socketio_a{index}"))
        .collect();
    let params = &handler.params;
    let call_site = method.span();
    let at = quote_spanned!(call_site=> .at(::core::file!(), ::core::line!()));
    let (registrar, event) = match &handler.kind {
        HandlerKind::Event(lit) => (quote!(on), quote!(#lit,)),
        HandlerKind::Typed(Some(ty)) => (
            quote!(on),
            quote_spanned!(ty.span()=> <#ty as #krate::Event>::NAME,),
        ),
        // Rejected by the checks; expansion only runs on a checked model.
        HandlerKind::Typed(None) | HandlerKind::Invalid => return TokenStream::new(),
        HandlerKind::Any => (quote!(on_any), TokenStream::new()),
        HandlerKind::Connect => (quote!(on_connect), TokenStream::new()),
        HandlerKind::Disconnect => (quote!(on_disconnect), TokenStream::new()),
    };
    let assertions = assertions(krate, handler);
    // Path call, not method syntax: a method named like one of `Arc`'s (`clone`) must still
    // call the user's method.
    let call = quote!(Self::#method(&*__socketio_this #(, #args)*));
    let body = if handler.is_async {
        quote!(#call.await)
    } else {
        quote!(#call)
    };
    let handler_fn = quote! {
        move |#(#args: #params),*| {
            let __socketio_this = #krate::__private::Arc::clone(&__socketio_this);
            async move { #body }
        }
    };
    quote! {
        #(#cfgs)*
        {
            #assertions
            let __socketio_this = #krate::__private::Arc::clone(&self);
            __socketio_ns #at.#registrar(#event #handler_fn);
        }
    }
}

/// Calls of the runtime's `assert_*` functions, spanned at the user's types, so a parameter or
/// return type the runtime cannot use is underlined where the user wrote it.
fn assertions(krate: &Path, handler: &Handler) -> TokenStream {
    let (param_check, return_check) = match handler.kind {
        HandlerKind::Connect => (
            quote!(assert_connect_param),
            Some(quote!(assert_connect_return)),
        ),
        HandlerKind::Disconnect => (quote!(assert_disconnect_param), None),
        _ => (quote!(assert_event_param), Some(quote!(assert_ack))),
    };
    let params = handler
        .params
        .iter()
        .map(|ty| quote_spanned!(ty.span()=> #krate::__private::#param_check::<_, #ty>();));
    let ret = match (&handler.output, return_check) {
        (Some(ty), Some(check)) if !contains_impl_trait(ty) => {
            quote_spanned!(ty.span()=> #krate::__private::#check::<#ty>();)
        }
        _ => TokenStream::new(),
    };
    quote!(#(#params)* #ret)
}

fn contains_impl_trait(ty: &Type) -> bool {
    match ty {
        Type::ImplTrait(_) => true,
        Type::Group(group) => contains_impl_trait(&group.elem),
        Type::Paren(paren) => contains_impl_trait(&paren.elem),
        _ => false,
    }
}

/// The inventory submission and the `Default` assertion (nothing with `register = false`).
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
    let type_name = type_key(self_ty);
    let location = quote_spanned!(path.span()=> file: ::core::file!(), line: ::core::line!(),);
    let ty_span = self_ty.span();
    let assert_default = quote_spanned! {ty_span=>
        #[allow(dead_code)]
        fn __socketio_assert_auto_register() {
            #krate::__private::assert_auto_register::<#self_ty>();
        }
    };
    let register_fn = quote_spanned!(ty_span=> #krate::__private::register_default::<#self_ty>);
    quote! {
        #assert_default
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
