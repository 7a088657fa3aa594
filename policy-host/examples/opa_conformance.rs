//! Runs OPA's evaluation test cases (the YAML files under `v1/test/cases/testdata/v0` and `.../v1`
//! of the open-policy-agent/opa repository) through oppie-policy's Rego engine and prints the
//! pass rate per family. The cases are OPA's: bring them yourself, they are not in this repository.
//!
//! ```text
//! cargo run --release -p oppie-policy --example opa_conformance -- DIR [--failures] [--exceptions FILE]
//! ```
//!
//! `DIR` holds `v0/<family>/*.yaml` and/or `v1/<family>/*.yaml`; files under `v0` are loaded as
//! Rego v0, under `v1` as Rego v1. `--exceptions FILE` names known exceptions (`v1/family/note`
//! per line, `#` comments), counted apart from failures.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use oppie_policy::engine::rego::{DataDocument, RegoEngine, RegoOptions, RegoSource, RegoVersion};
use serde_json::Value;

#[derive(Debug, serde::Deserialize)]
struct File {
    cases: Vec<Case>,
}

#[derive(Debug, serde::Deserialize)]
struct Case {
    note: String,
    query: String,
    #[serde(default)]
    modules: Vec<String>,
    data: Option<Value>,
    input: Option<Value>,
    input_term: Option<String>,
    want_result: Option<Value>,
    want_error: Option<String>,
    want_error_code: Option<String>,
    #[serde(default)]
    sort_bindings: bool,
    #[serde(default)]
    skip: bool,
}

#[derive(Default)]
struct Tally {
    pass: usize,
    fail: usize,
    excepted: usize,
    skipped: usize,
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let Some(root) = args.first().map(PathBuf::from) else {
        eprintln!("usage: opa_conformance DIR [--failures] [--exceptions FILE]");
        std::process::exit(2);
    };
    let show_failures = args.iter().any(|a| a == "--failures");
    let exceptions: BTreeSet<String> = args
        .iter()
        .position(|a| a == "--exceptions")
        .and_then(|i| args.get(i + 1))
        .map(|path| {
            std::fs::read_to_string(path)
                .unwrap_or_default()
                .lines()
                .map(|l| l.split('#').next().unwrap_or("").trim().to_string())
                .filter(|l| !l.is_empty())
                .collect()
        })
        .unwrap_or_default();
    let mut tallies: BTreeMap<String, Tally> = BTreeMap::new();
    for version in ["v0", "v1"] {
        let dir = root.join(version);
        let Ok(families) = std::fs::read_dir(&dir) else { continue };
        let mut families: Vec<PathBuf> = families.flatten().map(|e| e.path()).filter(|p| p.is_dir()).collect();
        families.sort();
        for family in families {
            let name = format!("{version}/{}", family.file_name().unwrap_or_default().to_string_lossy());
            let tally = tallies.entry(name.clone()).or_default();
            for file in yaml_files(&family) {
                let Ok(text) = std::fs::read_to_string(&file) else { continue };
                let parsed: File = match yaml_serde::from_str(&text) {
                    Ok(parsed) => parsed,
                    Err(e) => {
                        eprintln!("{}: not a test file: {e}", file.display());
                        continue;
                    }
                };
                for case in parsed.cases {
                    if case.skip {
                        tally.skipped += 1;
                        continue;
                    }
                    let outcome = run_case(&case, version == "v0");
                    let key = format!("{name}/{}", case.note);
                    match outcome {
                        Ok(()) => tally.pass += 1,
                        Err(_) if exceptions.contains(&key) => tally.excepted += 1,
                        Err(why) => {
                            tally.fail += 1;
                            if show_failures {
                                println!("FAIL {key}: {why}");
                            }
                        }
                    }
                }
            }
        }
    }
    println!("{:<40} {:>5} {:>5} {:>5} {:>5}  {:>7}", "family", "pass", "fail", "exc", "skip", "rate");
    let mut per_version: BTreeMap<&str, Tally> = BTreeMap::new();
    for (family, t) in &tallies {
        let total = t.pass + t.fail + t.excepted;
        if total == 0 {
            continue;
        }
        println!(
            "{family:<40} {:>5} {:>5} {:>5} {:>5}  {:>6.1}%",
            t.pass,
            t.fail,
            t.excepted,
            t.skipped,
            100.0 * t.pass as f64 / total as f64
        );
        let v = per_version.entry(if family.starts_with("v0") { "v0" } else { "v1" }).or_default();
        v.pass += t.pass;
        v.fail += t.fail;
        v.excepted += t.excepted;
        v.skipped += t.skipped;
    }
    for (version, t) in per_version {
        let total = t.pass + t.fail + t.excepted;
        println!(
            "TOTAL {version:<34} {:>5} {:>5} {:>5} {:>5}  {:>6.1}% ({:.1}% outside the exceptions)",
            t.pass,
            t.fail,
            t.excepted,
            t.skipped,
            100.0 * t.pass as f64 / total.max(1) as f64,
            100.0 * t.pass as f64 / (t.pass + t.fail).max(1) as f64
        );
    }
}

fn yaml_files(dir: &Path) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> =
        std::fs::read_dir(dir).map(|entries| entries.flatten().map(|e| e.path()).collect()).unwrap_or_default();
    files.retain(|p| p.extension().is_some_and(|e| e == "yaml" || e == "yml"));
    files.sort();
    files
}

/// `Ok` when the engine gives what OPA's case wants (a result or an error).
fn run_case(case: &Case, v0: bool) -> Result<(), String> {
    let wants_error = case.want_error.is_some() || case.want_error_code.is_some();
    let version = if v0 { RegoVersion::V0 } else { RegoVersion::V1 };
    let sources: Vec<RegoSource> = case
        .modules
        .iter()
        .enumerate()
        .map(|(i, text)| RegoSource { name: format!("mod{i}.rego"), text: text.clone(), version })
        .collect();
    let data: Vec<DataDocument> =
        case.data.iter().map(|value| DataDocument { name: "data.json".into(), value: value.clone() }).collect();
    let options = RegoOptions { all_namespaces: true, ..RegoOptions::default() };
    let engine = match RegoEngine::load(&sources, &data, &options) {
        Ok(engine) => engine,
        Err(e) if wants_error => return if case.want_result.is_none() { Ok(()) } else { Err(e.to_string()) },
        Err(e) => return Err(format!("load: {e}")),
    };
    let input = match &case.input_term {
        Some(term) => {
            let result = engine.query_value(None, &format!("x := {term}")).map_err(|e| format!("input_term: {e}"))?;
            Some(result["result"][0]["bindings"]["x"].clone())
        }
        None => case.input.clone(),
    };
    let result = match engine.query_value(input.as_ref(), &case.query) {
        Ok(result) => result,
        Err(_) if wants_error => return Ok(()),
        Err(e) => return Err(format!("query: {e}")),
    };
    if wants_error {
        return Err(format!("wanted error {:?}, got {result}", case.want_error));
    }
    let mut rows = Vec::new();
    for row in result["result"].as_array().cloned().unwrap_or_default() {
        let bindings = row["bindings"].as_object().cloned().unwrap_or_default();
        if bindings.is_empty() {
            rows.push(
                row["expressions"].as_array().and_then(|e| e.last()).map(|e| e["value"].clone()).unwrap_or(Value::Null),
            );
        } else {
            rows.push(Value::Object(bindings));
        }
    }
    let mut got = Value::Array(rows);
    if case.sort_bindings {
        sort_arrays(&mut got);
    }
    let mut want = case.want_result.clone().unwrap_or(Value::Array(Vec::new()));
    if case.sort_bindings {
        sort_arrays(&mut want);
    }
    if same(&got, &want) { Ok(()) } else { Err(format!("got {got}, want {want}")) }
}

/// Sorts the arrays that are the values of each binding (OPA's `sort_bindings`).
fn sort_arrays(value: &mut Value) {
    if let Value::Array(rows) = value {
        for row in rows {
            if let Value::Object(bindings) = row {
                for v in bindings.values_mut() {
                    if let Value::Array(items) = v {
                        items.sort_by_key(|a| a.to_string());
                    }
                }
            }
        }
    }
}

/// Equal as JSON, numbers compared by value (`1` and `1.0` alike).
fn same(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => x.as_f64() == y.as_f64(),
        (Value::Array(x), Value::Array(y)) => x.len() == y.len() && x.iter().zip(y).all(|(p, q)| same(p, q)),
        (Value::Object(x), Value::Object(y)) => {
            x.len() == y.len() && x.iter().all(|(k, v)| y.get(k).is_some_and(|w| same(v, w)))
        }
        _ => a == b,
    }
}
