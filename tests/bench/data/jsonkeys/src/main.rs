// jsonkeys: reads a JSON document from standard input and prints the path of every object key
// whose name matches a regular expression, one a line, with the value's type. A benchmark program
// of ferrix (tests/bench): it shares wordfreq's crates with other features.
use clap::{Arg, Command};
use regex::RegexBuilder;
use serde_json::Value;

fn walk(path: &str, v: &Value, re: &regex::Regex, out: &mut Vec<String>) {
    match v {
        Value::Object(m) => {
            for (k, v) in m {
                let p = format!("{path}.{k}");
                if re.is_match(k) {
                    let kind = match v {
                        Value::Null => "null",
                        Value::Bool(_) => "bool",
                        Value::Number(_) => "number",
                        Value::String(_) => "string",
                        Value::Array(_) => "array",
                        Value::Object(_) => "object",
                    };
                    out.push(format!("{p}\t{kind}"));
                }
                walk(&p, v, re, out);
            }
        }
        Value::Array(a) => {
            for (i, v) in a.iter().enumerate() {
                walk(&format!("{path}[{i}]"), v, re, out);
            }
        }
        _ => {}
    }
}

fn main() {
    let matches = Command::new("jsonkeys")
        .version(env!("CARGO_PKG_VERSION"))
        .about("List the keys of a JSON document matching a pattern")
        .arg(Arg::new("pattern").default_value(".").env("JSONKEYS_PATTERN"))
        .get_matches();
    let pattern = matches.get_one::<String>("pattern").expect("has a default");
    let re = RegexBuilder::new(pattern).case_insensitive(true).build().unwrap_or_else(|e| {
        eprintln!("jsonkeys: {e}");
        std::process::exit(2)
    });
    let doc: Value = serde_json::from_reader(std::io::stdin()).unwrap_or_else(|e| {
        eprintln!("jsonkeys: standard input: {e}");
        std::process::exit(1)
    });
    let mut out = Vec::new();
    walk("$", &doc, &re, &mut out);
    for l in out {
        println!("{l}");
    }
}
