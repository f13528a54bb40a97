//! Parse: `#[derive(Event)]` input and its `#[event(..)]` attribute into an [`Event`] model.

use syn::parse::ParseStream;
use syn::{DeriveInput, Generics, Ident, LitStr, Path, Token};

use crate::errors::Errors;
use crate::names::default_crate_path;

/// The model of one `#[derive(Event)]`.
pub(crate) struct Event {
    /// The type's name.
    pub ident: Ident,
    /// The type's generics (forwarded to the impl).
    pub generics: Generics,
    /// The event name literal.
    pub name: LitStr,
    /// Path of the runtime crate (default `::socketio`).
    pub krate: Path,
}

const EXPECTED: &str = "expected `#[event(\"name\")]` or `#[event(\"name\", crate = path)]`";

/// Parses the derive input, recording problems in `errors`.
pub(crate) fn parse(input: &DeriveInput, errors: &mut Errors) -> Option<Event> {
    let mut found: Option<(LitStr, Option<Path>)> = None;
    let mut seen = false;
    for attr in input
        .attrs
        .iter()
        .filter(|attr| attr.path().is_ident("event"))
    {
        let parsed = match &attr.meta {
            syn::Meta::List(list) => list.parse_args_with(parse_event_args),
            _ => Err(syn::Error::new_spanned(
                attr,
                format!("missing event name: {EXPECTED}"),
            )),
        };
        match parsed {
            Ok(_) if seen => {
                errors.spanned(attr, "`#[event]` is given twice: a type has one event name")
            }
            Ok(args) => found = Some(args),
            Err(error) => errors.push(error),
        }
        seen = true;
    }
    if !seen {
        errors.at(
            input.ident.span(),
            format!(
                "`#[derive(Event)]` needs the event name: add `#[event(\"name\")]` to `{}`",
                input.ident
            ),
        );
    }
    let (name, krate) = found?;
    Some(Event {
        ident: input.ident.clone(),
        generics: input.generics.clone(),
        name,
        krate: krate.unwrap_or_else(default_crate_path),
    })
}

fn parse_event_args(input: ParseStream) -> syn::Result<(LitStr, Option<Path>)> {
    if input.is_empty() {
        return Err(input.error(format!("missing event name: {EXPECTED}")));
    }
    let name: LitStr = input.parse().map_err(|error| {
        syn::Error::new(
            error.span(),
            format!("expected the event name as a string literal: {EXPECTED}"),
        )
    })?;
    let mut krate = None;
    while !input.is_empty() {
        input.parse::<Token![,]>()?;
        if input.is_empty() {
            break;
        }
        if !input.peek(Token![crate]) {
            let unknown = match input.parse::<syn::Ident>() {
                Ok(ident) => syn::Error::new(
                    ident.span(),
                    format!("unknown option `{ident}`: {EXPECTED}"),
                ),
                Err(_) => input.error(format!("unexpected tokens: {EXPECTED}")),
            };
            return Err(unknown);
        }
        let keyword: Token![crate] = input.parse()?;
        input.parse::<Token![=]>()?;
        let path: Path = input.parse()?;
        if krate.is_some() {
            return Err(syn::Error::new(
                keyword.span,
                "option `crate` is given twice",
            ));
        }
        krate = Some(path);
    }
    Ok((name, krate))
}
