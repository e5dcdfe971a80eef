// `shout!("text")`: the literal upper-cased, as a String. Written with proc_macro alone.
use proc_macro::{Literal, TokenStream, TokenTree};

#[proc_macro]
pub fn shout(input: TokenStream) -> TokenStream {
    let mut tokens = input.into_iter();
    let text = match (tokens.next(), tokens.next()) {
        (Some(TokenTree::Literal(l)), None) => l.to_string(),
        _ => panic!("shout! takes one string literal"),
    };
    let inner = text
        .strip_prefix('"')
        .and_then(|t| t.strip_suffix('"'))
        .expect("shout! takes one string literal");
    let upper = Literal::string(&inner.to_uppercase());
    format!("String::from({upper})").parse().expect("tokens")
}
