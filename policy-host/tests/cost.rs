//! `oppie-policy cost` end to end: every plan of the shared corpus is priced (exit 0, valid
//! JSON, finite totals), bad input exits 2 with `file:line:col`, budgets show against
//! environment totals, and `check` feeds native resources' costs to the budget policy.

mod common;

use std::path::Path;
use std::process::Command;

use common::{corpus_plans, repo};
use serde_json::{Value, json};

struct Run {
    code: Option<i32>,
    stdout: String,
    stderr: String,
}

fn oppie(args: &[&str]) -> Run {
    let output = Command::new(env!("CARGO_BIN_EXE_oppie-policy"))
        .args(args)
        .env_remove("GITHUB_STEP_SUMMARY")
        .env_remove("RUST_LOG")
        .output()
        .expect("the binary runs");
    Run {
        code: output.status.code(),
        stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
    }
}

#[test]
fn every_corpus_plan_is_priced() {
    let Some(plans) = corpus_plans() else {
        return;
    };
    let mut failures = Vec::new();
    let mut priced = 0usize;
    for plan in &plans {
        let path = plan.display().to_string();
        let name = plan.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
        let run = oppie(&["cost", &path, "-f", "json"]);
        if run.code != Some(0) {
            failures.push(format!("{name}: exit {:?}: {}", run.code, run.stderr));
            continue;
        }
        let report: Value = match serde_json::from_str(&run.stdout) {
            Ok(report) => report,
            Err(e) => {
                failures.push(format!("{name}: not JSON: {e}"));
                continue;
            }
        };
        if report["schema"] != "oppie-policy/cost/v1" || !report["totals"]["after"].is_number() {
            failures.push(format!("{name}: unexpected document {}", report["totals"]));
        }
        priced += report["resources"].as_array().map_or(0, |r| r.iter().filter(|r| r["status"] == "priced").count());
        let table = oppie(&["cost", &path]);
        if table.code != Some(0) || !table.stdout.contains("rate card") {
            failures.push(format!("{name}: table exit {:?}: {}", table.code, table.stderr));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    // The corpus holds priceable AWS instances (e.g. the infracost and learn-terraform plans).
    assert!(priced >= 12, "only {priced} resources priced across the corpus");
}

fn plan_file(dir: &Path, changes: Value) -> String {
    let path = dir.join("plan.json");
    let plan = json!({
        "format_version": "1.2",
        "resource_changes": changes,
        "configuration": {"provider_config": {"aws": {"name": "aws", "expressions": {"region": {"constant_value": "eu-central-1"}}}},
                          "root_module": {}}
    });
    std::fs::write(&path, serde_json::to_string_pretty(&plan).unwrap()).unwrap();
    path.display().to_string()
}

fn instance(name: &str, actions: &[&str], before: Value, after: Value) -> Value {
    json!({"address": format!("aws_instance.{name}"), "mode": "managed", "type": "aws_instance", "name": name,
           "change": {"actions": actions, "before": before, "after": after, "after_unknown": {}}})
}

#[test]
fn table_and_json_show_deltas_totals_and_budgets() {
    let dir = tempfile::tempdir().unwrap();
    let tags = json!({"environment": "prod"});
    let plan = plan_file(
        dir.path(),
        json!([
            instance(
                "web",
                &["update"],
                json!({"instance_type": "t3.small", "tags": tags}),
                json!({"instance_type": "t3.large", "tags": tags})
            ),
            instance(
                "old",
                &["delete"],
                json!({"instance_type": "t3.micro", "tags": {"environment": "dev"}}),
                Value::Null
            ),
            instance("new", &["create"], Value::Null, json!({"instance_type": "m5.large"})),
        ]),
    );
    let budgets = dir.path().join("budgets.yaml");
    std::fs::write(&budgets, "budgets:\n  prod: 50\n").unwrap();
    let budgets = budgets.display().to_string();

    let run = oppie(&["cost", &plan, "-f", "json", "-d", &budgets]);
    assert_eq!(run.code, Some(0), "{}", run.stderr);
    let report: Value = serde_json::from_str(&run.stdout).unwrap();
    // eu-central-1: t3.small 0.024, t3.large 0.096, t3.micro 0.012, m5.large 0.115 USD/h.
    assert_eq!(report["resources"][0]["before"]["monthly_usd"], 17.52);
    assert_eq!(report["resources"][0]["after"]["monthly_usd"], 70.08);
    assert_eq!(report["resources"][0]["delta"], 52.56);
    assert_eq!(report["resources"][1]["delta"], -8.76);
    assert_eq!(report["totals"]["before"], 26.28);
    assert_eq!(report["totals"]["after"], 154.03);
    assert_eq!(report["totals"]["delta"], 127.75);
    assert_eq!(report["by_environment"]["prod"]["over_budget"], true);
    assert_eq!(report["by_environment"]["(untagged)"]["after"], 83.95);
    assert_eq!(report["by_cloud"]["aws"]["resources"], 3);

    let run = oppie(&["cost", &plan, "--data", &budgets]);
    assert_eq!(run.code, Some(0), "{}", run.stderr);
    assert!(run.stdout.contains("aws_instance.web"), "{}", run.stdout);
    assert!(run.stdout.contains("+52.56"), "{}", run.stdout);
    assert!(run.stdout.contains("OVER BUDGET"), "{}", run.stdout);
    assert!(run.stdout.contains("Total: 26.28 -> 154.03 USD per month (delta +127.75)"), "{}", run.stdout);
}

#[test]
fn bad_input_exits_2_with_a_location() {
    let dir = tempfile::tempdir().unwrap();
    let truncated = dir.path().join("truncated.json");
    std::fs::write(&truncated, "{\n  \"format_version\": \"1.2\",\n  \"resource_changes\": [").unwrap();
    let run = oppie(&["cost", &truncated.display().to_string()]);
    assert_eq!(run.code, Some(2));
    assert!(run.stderr.contains("truncated.json:3:"), "{}", run.stderr);
    let bad_data = dir.path().join("budgets.json");
    std::fs::write(&bad_data, "{\"budgets\": }").unwrap();
    let plan = plan_file(dir.path(), json!([]));
    let run = oppie(&["cost", &plan, "-d", &bad_data.display().to_string()]);
    assert_eq!(run.code, Some(2));
    assert!(run.stderr.contains("budgets.json:1:"), "{}", run.stderr);
    let run = oppie(&["cost", &dir.path().join("missing.json").display().to_string()]);
    assert_eq!(run.code, Some(2));
}

#[test]
fn check_feeds_native_costs_to_the_budget_policy() {
    let dir = tempfile::tempdir().unwrap();
    let tags = json!({"project": "shop", "environment": "staging", "owner": "web", "cost-center": "cc-1"});
    let plan = plan_file(
        dir.path(),
        json!([instance("big", &["create"], Value::Null, json!({"instance_type": "m5.xlarge", "tags": tags}))]),
    );
    let budgets = dir.path().join("budgets.json");
    std::fs::write(&budgets, r#"{"budgets": {"staging": 100}}"#).unwrap();
    let budgets = budgets.display().to_string();
    let policies = repo().join("policies").display().to_string();
    let namespace = "oppie.rules.cost.budget";

    let run = oppie(&["check", &plan, "-p", &policies, "-d", &budgets, "-n", namespace, "-f", "json"]);
    assert_eq!(run.code, Some(1), "{}{}", run.stdout, run.stderr);
    let report: Value = serde_json::from_str(&run.stdout).unwrap();
    let finding = &report["files"][0]["findings"][0];
    assert_eq!(finding["rule_id"], "OPP-CST-001");
    assert_eq!(finding["resource"], "aws_instance.big");
    assert!(finding["message"].as_str().unwrap().contains("167.90 USD exceeds its budget of 100.00 USD"), "{finding}");

    // Without the host's prices the native instance has no cost, so the budget holds.
    let run = oppie(&["check", &plan, "-p", &policies, "-d", &budgets, "-n", namespace, "--no-costs"]);
    assert_eq!(run.code, Some(0), "{}{}", run.stdout, run.stderr);
    // And without a budget there is nothing to judge.
    let run = oppie(&["check", &plan, "-p", &policies, "-n", namespace]);
    assert_eq!(run.code, Some(0), "{}{}", run.stdout, run.stderr);
}
