//! `#[derive(Event)]`: parse -> check -> expand.

mod model;

use proc_macro2::TokenStream;
use quote::quote;
use syn::DeriveInput;

use crate::errors::Errors;
use crate::names::reserved_event_message;

/// Expands `#[derive(Event)]` on `input`: the impl, or the errors.
pub(crate) fn derive_event(input: TokenStream) -> TokenStream {
    let input: DeriveInput = match syn::parse2(input) {
        Ok(input) => input,
        Err(error) => return error.to_compile_error(),
    };
    let mut errors = Errors::default();
    let model = model::parse(&input, &mut errors);
    if let Some(model) = &model {
        check(model, &mut errors);
    }
    match model {
        Some(model) if errors.is_empty() => expand(&model),
        _ => errors.into_compile_errors(),
    }
}

fn check(model: &model::Event, errors: &mut Errors) {
    let name = model.name.value();
    if name.is_empty() {
        errors.at(
            model.name.span(),
            "event name cannot be empty: `#[event(\"name\")]`",
        );
    } else if name == "*" {
        errors.at(
            model.name.span(),
            "`*` is the catch-all handler, not an event name: pick another event name",
        );
    } else if let Some(message) = reserved_event_message(&name, false) {
        errors.at(model.name.span(), message);
    }
}

fn expand(model: &model::Event) -> TokenStream {
    let model::Event {
        ident,
        generics,
        name,
        krate,
    } = model;
    let (impl_generics, ty_generics, where_clause) = generics.split_for_impl();
    quote! {
        #[automatically_derived]
        impl #impl_generics #krate::Event for #ident #ty_generics #where_clause {
            const NAME: &'static str = #name;
        }
    }
}
