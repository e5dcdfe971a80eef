// jsonfind: reads one JSON document on standard input and prints the path of each string value
// matching PATTERN, one per line ("/key/0/name"). A benchmark program of ferrix (tests/bench): it
// uses wordfreq's crates with wordfreq's features.
use clap::{Arg, Command};
use regex::Regex;
use serde_json::Value;
use std::io;

fn walk(value: &Value, path: &mut String, re: &Regex, out: &mut Vec<String>) {
    match value {
        Value::String(s) if re.is_match(s) => out.push(path.clone()),
        Value::Array(items) => {
            for (i, item) in items.iter().enumerate() {
                let len = path.len();
                path.push_str(&format!("/{i}"));
                walk(item, path, re, out);
                path.truncate(len);
            }
        }
        Value::Object(map) => {
            for (key, item) in map {
                let len = path.len();
                path.push('/');
                path.push_str(key);
                walk(item, path, re, out);
                path.truncate(len);
            }
        }
        _ => {}
    }
}

fn main() {
    let matches = Command::new("jsonfind")
        .about("Print the paths of the string values matching a pattern")
        .arg(Arg::new("pattern").required(true))
        .get_matches();
    let re = Regex::new(matches.get_one::<String>("pattern").expect("required"))
        .unwrap_or_else(|e| {
            eprintln!("jsonfind: {e}");
            std::process::exit(2)
        });
    let doc: Value = serde_json::from_reader(io::stdin().lock()).unwrap_or_else(|e| {
        eprintln!("jsonfind: {e}");
        std::process::exit(1)
    });
    let mut out = Vec::new();
    walk(&doc, &mut String::new(), &re, &mut out);
    for p in out {
        println!("{p}");
    }
}
