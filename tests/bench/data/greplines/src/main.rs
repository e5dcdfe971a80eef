// greplines: prints the lines of standard input that match PATTERN as a JSON array of
// {"line": N, "text": "..."} objects. A benchmark program of ferrix (tests/bench): it uses
// wordfreq's crates with wordfreq's features.
use clap::{Arg, ArgAction, Command};
use regex::RegexBuilder;
use serde_json::{json, Value};
use std::io::{self, BufRead};

fn main() {
    let matches = Command::new("greplines")
        .about("Print the lines matching a pattern, as JSON")
        .arg(Arg::new("pattern").required(true))
        .arg(Arg::new("ignore-case").short('i').long("ignore-case")
             .action(ArgAction::SetTrue).help("Match without regard to case"))
        .get_matches();
    let pattern = matches.get_one::<String>("pattern").expect("required");
    let re = RegexBuilder::new(pattern)
        .case_insensitive(matches.get_flag("ignore-case"))
        .build()
        .unwrap_or_else(|e| {
            eprintln!("greplines: {e}");
            std::process::exit(2)
        });
    let mut found = Vec::new();
    for (n, line) in io::stdin().lock().lines().enumerate() {
        let line = line.unwrap_or_default();
        if re.is_match(&line) {
            found.push(json!({"line": n + 1, "text": line}));
        }
    }
    println!("{}", Value::Array(found));
}
