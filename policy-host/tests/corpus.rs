//! Every plan of the shared corpus (40 real `terraform show -json` files, Terraform 0.12 to
//! 1.15, one UTF-16) is checked with the full policy library: no crash, exit 0 or 1 only,
//! and no rule fails to evaluate.
//! Where the corpus comes from: see `common`.

mod common;

use std::path::PathBuf;
use std::process::Command;

use common::{corpus_plans, repo};

#[test]
fn every_corpus_plan_is_checked_without_a_crash() {
    let Some(plans) = corpus_plans() else {
        return;
    };
    let policies = repo().join("policies");
    let run = |plan: &PathBuf| {
        let output = Command::new(env!("CARGO_BIN_EXE_oppie-policy"))
            .arg("check")
            .arg(plan)
            .arg("-p")
            .arg(&policies)
            .args(["-f", "json"])
            .output()
            .expect("the binary runs");
        (plan.clone(), output)
    };
    // Two workers: the machine has two cores.
    let (left, right) = plans.split_at(plans.len() / 2);
    let results: Vec<_> = std::thread::scope(|scope| {
        let a = scope.spawn(|| left.iter().map(run).collect::<Vec<_>>());
        let b = scope.spawn(|| right.iter().map(run).collect::<Vec<_>>());
        let mut all = a.join().expect("worker");
        all.extend(b.join().expect("worker"));
        all
    });
    let mut failures = Vec::new();
    for (plan, output) in results {
        let name = plan.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
        let code = output.status.code();
        if !matches!(code, Some(0 | 1)) {
            failures.push(format!("{name}: exit {code:?}: {}", String::from_utf8_lossy(&output.stderr)));
            continue;
        }
        let report: serde_json::Value = match serde_json::from_slice(&output.stdout) {
            Ok(report) => report,
            Err(e) => {
                failures.push(format!("{name}: output is not JSON: {e}"));
                continue;
            }
        };
        if report["summary"]["errors"] != 0 {
            failures.push(format!("{name}: rules failed to evaluate: {}", report["summary"]));
        }
        let passed = report["passed"] == true;
        if passed != (code == Some(0)) {
            failures.push(format!("{name}: exit {code:?} disagrees with passed={passed}"));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// Rules skipped for an input that holds none of their METADATA `resource_types` must be rules
/// that would have found nothing there: the library's findings on every corpus plan are the same
/// with `--all-rules`. Catches a rule whose `resource_types` misses a type it judges.
#[test]
fn rules_skipped_by_resource_types_would_have_found_nothing() {
    let Some(mut plans) = corpus_plans() else {
        return;
    };
    // One-resource documents as the provider sends them, one per oppie type.
    let scratch = tempfile::tempdir().expect("temporary directory");
    for kind in ["oppie_firewall", "oppie_bucket", "oppie_instance", "oppie_network", "oppie_subnet"] {
        let document = serde_json::json!({
            "format_version": "1.2",
            "resource_changes": [{
                "address": format!("{kind}.x"), "mode": "managed", "type": kind, "name": "x",
                "change": {"actions": ["create"], "before": null,
                    "after": {"name": "shop-prod-api-x", "public": true, "ingress": [{"protocol": "tcp", "ports": "22", "sources": ["0.0.0.0/0"]}],
                              "tags": {"environment": "prod"}},
                    "after_unknown": {"id": true}},
            }],
        });
        let path = scratch.path().join(format!("{kind}.json"));
        std::fs::write(&path, document.to_string()).expect("document written");
        plans.push(path);
    }
    let policies = repo().join("policies");
    let run = |extra: &[&str]| {
        let output = Command::new(env!("CARGO_BIN_EXE_oppie-policy"))
            .arg("check")
            .args(&plans)
            .arg("-p")
            .arg(&policies)
            .args(["-f", "json", "--no-costs"])
            .args(extra)
            .output()
            .expect("the binary runs");
        assert!(matches!(output.status.code(), Some(0 | 1)), "{}", String::from_utf8_lossy(&output.stderr));
        let report: serde_json::Value = serde_json::from_slice(&output.stdout).expect("JSON report");
        report["files"].clone()
    };
    let (skipping, all) = std::thread::scope(|scope| {
        let a = scope.spawn(|| run(&[]));
        let b = scope.spawn(|| run(&["--all-rules"]));
        (a.join().expect("worker"), b.join().expect("worker"))
    });
    assert!(skipping.as_array().is_some_and(|files| files.len() == plans.len()), "one report per input");
    if skipping != all {
        let pretty = |v: &serde_json::Value| serde_json::to_string_pretty(v).unwrap_or_default();
        let (a, b) = (pretty(&skipping), pretty(&all));
        let first = a.lines().zip(b.lines()).position(|(x, y)| x != y).unwrap_or(0);
        panic!(
            "findings differ with --all-rules near line {first}:\n{}\n---\n{}",
            a.lines().skip(first.saturating_sub(5)).take(15).collect::<Vec<_>>().join("\n"),
            b.lines().skip(first.saturating_sub(5)).take(15).collect::<Vec<_>>().join("\n")
        );
    }
}

/// A set that evaluates small inputs with narrower interpreters (the server's) finds exactly
/// what the full set finds: on every corpus plan below the parallel threshold and on
/// one-resource plans of each oppie type, twice each (the second use reuses the interpreter).
#[test]
fn specialised_sets_find_the_same_as_the_full_set() {
    let policies = repo().join("policies");
    let full = oppie_policy::PolicySet::builder().policy(&policies).build().expect("full set");
    let narrow = oppie_policy::PolicySet::builder().policy(&policies).specialise(true).build().expect("narrow set");
    let mut inputs: Vec<oppie_policy::Input> = Vec::new();
    for (kind, after) in [
        (
            "oppie_firewall",
            serde_json::json!({"name": "x", "ingress": [{"protocol": "tcp", "ports": "22", "sources": ["0.0.0.0/0"]}]}),
        ),
        (
            "oppie_bucket",
            serde_json::json!({"name": "shop-prod-api-logs", "versioning": false, "tags": {"environment": "prod"}}),
        ),
        ("oppie_instance", serde_json::json!({"size": "xl", "public_ip": true, "tags": {"environment": "dev"}})),
        ("oppie_network", serde_json::json!({"name": "shop-prod-core-net", "cidr": "10.0.0.0/16"})),
        (
            "aws_security_group",
            serde_json::json!({"ingress": [{"protocol": "-1", "from_port": 0, "to_port": 0, "cidr_blocks": ["0.0.0.0/0"]}]}),
        ),
    ] {
        let plan = serde_json::json!({"format_version": "1.2", "resource_changes": [{
            "address": format!("{kind}.r"), "mode": "managed", "type": kind, "name": "r",
            "change": {"actions": ["create"], "before": null, "after": after, "after_unknown": {}}}]});
        inputs.push(oppie_policy::Input::from_json_value(kind, &plan).expect("plan"));
    }
    let synthetic = inputs.len();
    // Without the corpus (a user's clone has none) the one-resource plans alone are compared.
    let corpus = corpus_plans();
    let with_corpus = corpus.is_some();
    for plan in corpus.unwrap_or_default() {
        let input = oppie_policy::Input::from_path(&plan).expect("corpus plan");
        if input.json_text().len() < 512 * 1024 {
            inputs.push(input);
        }
    }
    assert!(!with_corpus || inputs.len() > synthetic, "no corpus plan is small enough to compare");
    let key = |f: &oppie_policy::Finding| serde_json::to_string(f).unwrap_or_default();
    for input in &inputs {
        let mut expected: Vec<String> = full.evaluate(input).iter().map(key).collect();
        expected.sort();
        for _ in 0..2 {
            let mut got: Vec<String> = narrow.evaluate(input).iter().map(key).collect();
            got.sort();
            assert_eq!(got, expected, "{}", input.name());
        }
    }
}
