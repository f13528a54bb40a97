//! `#[namespace]`: parse -> model -> check -> expand.

mod check;
mod expand;
mod model;

use proc_macro2::TokenStream;

use crate::errors::Errors;

/// Expands `#[namespace(args)] item`. `inventory` says whether auto-registration is available
/// (the `inventory` feature of this crate, enabled by the runtime's); `typescript` whether to
/// generate the namespace's contract description (the `typescript` feature).
///
/// On any error the output is the user's `impl` block with its helper attributes stripped,
/// followed by every error, and nothing generated.
pub(crate) fn namespace(
    args: TokenStream,
    item: TokenStream,
    inventory: bool,
    typescript: bool,
) -> TokenStream {
    let mut errors = Errors::default();
    let parsed = model::parse(args, item, &mut errors);
    if let Some(model) = &parsed.model {
        check::check(model, &mut errors);
    }
    let mut out = parsed.item;
    match parsed.model {
        Some(model) if errors.is_empty() => {
            out.extend(expand::expand(&model, inventory, typescript))
        }
        _ => out.extend(errors.into_compile_errors()),
    }
    out
}
