//! wordfreq: the ferrix example program. Reads text on standard input, counts the words
//! (sequences of Unicode letters, digits and apostrophes, matched with `regex`), and prints the
//! most frequent ones, as aligned text or as JSON (`serde_json`). Options are parsed by `clap`.

use std::collections::HashMap;
use std::io::{self, Read};
use std::process::ExitCode;

use clap::{Arg, ArgAction, Command};
use regex::Regex;
use serde_json::json;

/// Word counts, most frequent first, ties in alphabetical order.
fn count(text: &str, ignore_case: bool) -> Vec<(String, u64)> {
    let word = Regex::new(r"[\p{L}\p{N}][\p{L}\p{N}']*").expect("valid regex");
    let mut counts: HashMap<String, u64> = HashMap::new();
    for m in word.find_iter(text) {
        let w = if ignore_case { m.as_str().to_lowercase() } else { m.as_str().to_string() };
        *counts.entry(w).or_insert(0) += 1;
    }
    let mut v: Vec<(String, u64)> = counts.into_iter().collect();
    v.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    v
}

fn main() -> ExitCode {
    let matches = Command::new("wordfreq")
        .version(env!("CARGO_PKG_VERSION"))
        .about("Count word frequencies on standard input")
        .arg(Arg::new("top").short('n').long("top").value_name("N")
             .value_parser(clap::value_parser!(usize)).default_value("10")
             .help("How many words to print"))
        .arg(Arg::new("json").long("json").action(ArgAction::SetTrue)
             .help("Print JSON instead of text"))
        .arg(Arg::new("ignore-case").short('i').long("ignore-case").action(ArgAction::SetTrue)
             .help("Count words regardless of case"))
        .get_matches();
    let top = *matches.get_one::<usize>("top").expect("has a default");

    let mut text = String::new();
    if let Err(e) = io::stdin().read_to_string(&mut text) {
        eprintln!("wordfreq: reading standard input: {e}");
        return ExitCode::FAILURE;
    }
    let counts = count(&text, matches.get_flag("ignore-case"));
    let total: u64 = counts.iter().map(|(_, n)| n).sum();
    let shown = &counts[..top.min(counts.len())];
    if matches.get_flag("json") {
        let words: Vec<_> = shown.iter().map(|(w, n)| json!({"word": w, "count": n})).collect();
        let doc = json!({"total": total, "distinct": counts.len(), "top": words});
        println!("{}", serde_json::to_string_pretty(&doc).expect("serialisable"));
    } else {
        let width = shown.iter().map(|(w, _)| w.chars().count()).max().unwrap_or(0);
        for (w, n) in shown {
            println!("{w:<width$} {n}");
        }
        println!("({total} words, {} distinct)", counts.len());
    }
    ExitCode::SUCCESS
}

#[cfg(test)]
mod tests {
    use super::count;

    #[test]
    fn counts_and_orders() {
        let c = count("b a b, c'est B", true);
        assert_eq!(c[0], ("b".to_string(), 3));
        assert_eq!(c[1], ("a".to_string(), 1));
        assert_eq!(c[2], ("c'est".to_string(), 1));
    }
}
