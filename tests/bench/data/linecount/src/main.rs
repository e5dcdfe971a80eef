// linecount: counts the lines of standard input matching each PATTERN and prints the counts, and
// the share of all lines, as one JSON object. A benchmark program of ferrix (tests/bench): it
// shares wordfreq's crates with other features.
use clap::{Arg, ArgAction, Command};
use regex::Regex;
use serde_json::{Map, Value};
use std::io::{self, BufRead};

fn main() {
    let matches = Command::new("linecount")
        .about("Count the lines matching each pattern")
        .arg(Arg::new("pattern").required(true).action(ArgAction::Append))
        .arg(Arg::new("invert").short('v').long("invert").env("LINECOUNT_INVERT")
             .action(ArgAction::SetTrue).help("Count the lines that do not match"))
        .get_matches();
    let invert = matches.get_flag("invert");
    let patterns: Vec<(String, Regex)> = matches
        .get_many::<String>("pattern")
        .expect("required")
        .map(|p| (p.clone(), Regex::new(p).unwrap_or_else(|e| {
            eprintln!("linecount: {e}");
            std::process::exit(2)
        })))
        .collect();
    let mut counts = vec![0u64; patterns.len()];
    let mut total = 0u64;
    for line in io::stdin().lock().lines() {
        let line = line.unwrap_or_default();
        total += 1;
        for (i, (_, re)) in patterns.iter().enumerate() {
            if re.is_match(&line) != invert {
                counts[i] += 1;
            }
        }
    }
    let mut doc = Map::new();
    for ((p, _), n) in patterns.iter().zip(counts) {
        let share = if total == 0 { 0.0 } else { n as f64 / total as f64 };
        doc.insert(p.clone(), serde_json::json!({"lines": n, "share": share}));
    }
    doc.insert("total".into(), Value::from(total));
    println!("{}", Value::Object(doc));
}
