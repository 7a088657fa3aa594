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
        // Priced in full, or in part (a native boot disk whose size comes from the image).
        let figured = |r: &&Value| r["status"] == "priced" || r["status"] == "partial";
        priced += report["resources"].as_array().map_or(0, |r| r.iter().filter(figured).count());
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

fn oppie_change(address: &str, actions: &[&str], before: Value, after: Value) -> Value {
    let (resource_type, name) = address.split_once('.').unwrap();
    json!({"address": address, "mode": "managed", "type": resource_type, "name": name,
           "change": {"actions": actions, "before": before, "after": after, "after_unknown": {}}})
}

fn cost_json(plan: &str, extra: &[&str]) -> (Value, String) {
    let mut args = vec!["cost", plan, "-f", "json"];
    args.extend(extra);
    let run = oppie(&args);
    assert_eq!(run.code, Some(0), "{}", run.stderr);
    (serde_json::from_str(&run.stdout).unwrap(), run.stdout)
}

/// A dev plan against budgets for dev and prod: only dev is an environment of the plan.
#[test]
fn a_dev_plan_shows_no_prod_budget() {
    let dir = tempfile::tempdir().unwrap();
    let dev = json!({"environment": "dev"});
    let plan = plan_file(
        dir.path(),
        json!([instance("web", &["create"], Value::Null, json!({"instance_type": "t3.small", "tags": dev}))]),
    );
    let budgets = dir.path().join("budgets.json");
    std::fs::write(&budgets, r#"{"budgets": {"dev": 100, "prod": 1000}}"#).unwrap();
    let budgets = budgets.display().to_string();
    let (report, _) = cost_json(&plan, &["-d", &budgets]);
    let environments: Vec<&String> = report["by_environment"].as_object().unwrap().keys().collect();
    assert_eq!(environments, ["dev"], "{report:#}");
    assert_eq!(report["by_environment"]["dev"]["budget"], 100.0);
    let table = oppie(&["cost", &plan, "-d", &budgets]).stdout;
    assert!(!table.contains("prod"), "{table}");
}

/// oppie_environment lives in state only: no cloud, so no `?` in the table and no
/// `(unknown)` cloud total.
#[test]
fn an_environment_shows_no_cloud() {
    let dir = tempfile::tempdir().unwrap();
    let env = json!({"name": "shop-dev", "tier": "dev", "estimated_monthly_cost": 0, "cost_breakdown": {}});
    let plan = plan_file(dir.path(), json!([oppie_change("oppie_environment.dev", &["create"], Value::Null, env)]));
    let (report, _) = cost_json(&plan, &[]);
    assert_eq!(report["resources"][0]["status"], "priced");
    assert!(report["resources"][0].get("cloud").is_none(), "{report:#}");
    assert!(report["by_cloud"].as_object().unwrap().is_empty(), "{report:#}");
    let table = oppie(&["cost", &plan]).stdout;
    let row = table.lines().find(|l| l.contains("oppie_environment.dev")).unwrap();
    assert!(!row.contains('?'), "{table}");
}

/// Replacing an instance on gcp that was on aws: aws loses the before figure, gcp gains the
/// after figure.
#[test]
fn a_resource_moved_from_aws_to_gcp_books_each_side_on_its_cloud() {
    let dir = tempfile::tempdir().unwrap();
    let side = |cloud: &str, monthly: f64| {
        json!({"cloud": cloud, "region": "us-east", "size": "s", "disk_gb": 20, "tags": {"environment": "dev"},
               "estimated_monthly_cost": monthly})
    };
    let aws = 16.78; // t3.small 15.18 + 20 GB gp3 1.60
    let plan = plan_file(
        dir.path(),
        json!([oppie_change("oppie_instance.api", &["delete", "create"], side("aws", aws), side("gcp", 14.73))]),
    );
    let (report, _) = cost_json(&plan, &[]);
    assert_eq!(report["by_cloud"]["aws"]["before"], aws, "{:#}", report["by_cloud"]);
    assert_eq!(report["by_cloud"]["aws"]["after"], 0.0, "{:#}", report["by_cloud"]);
    assert_eq!(report["by_cloud"]["gcp"]["before"], 0.0, "{:#}", report["by_cloud"]);
    assert_eq!(report["by_cloud"]["gcp"]["after"], 14.73, "{:#}", report["by_cloud"]);
    assert_eq!(report["resources"][0]["before_location"]["cloud"], "aws");
    let table = oppie(&["cost", &plan]).stdout;
    assert!(table.contains("aws -> gcp"), "{table}");
}

/// The plan's figure leaves a component out (the provider warned "Partial cost estimate"):
/// the report says so too, instead of calling it priced and complete.
#[test]
fn a_component_without_a_price_makes_the_estimate_incomplete() {
    let dir = tempfile::tempdir().unwrap();
    let after = json!({"cloud": "azure", "region": "eu-west", "size": "Standard_D8s_v5", "disk_gb": 30,
                       "estimated_monthly_cost": 2.4, "cost_breakdown": {"disk": 2.4}});
    let plan = plan_file(dir.path(), json!([oppie_change("oppie_instance.big", &["create"], Value::Null, after)]));
    let (report, _) = cost_json(&plan, &[]);
    assert_eq!(report["resources"][0]["status"], "partial", "{report:#}");
    assert_eq!(report["totals"]["incomplete"], 1, "{report:#}");
    let notes = report["resources"][0]["notes"].to_string();
    assert!(notes.contains("compute") && notes.contains("Standard_D8s_v5"), "{notes}");
}

/// Figures add up as decimals: the JSON shows 35.66, never 35.660000000000004.
#[test]
fn json_money_is_exact() {
    let dir = tempfile::tempdir().unwrap();
    let figures = [9.19, 0.1, 0.2, 16.78, 9.39];
    let changes: Vec<Value> = figures
        .iter()
        .enumerate()
        .map(|(i, usd)| {
            let after = json!({"cloud": "aws", "region": "us-east", "name": "n", "estimated_monthly_cost": usd,
                               "cost_breakdown": {"network": usd}});
            oppie_change(&format!("oppie_network.n{i}"), &["create"], Value::Null, after)
        })
        .collect();
    let plan = plan_file(dir.path(), json!(changes));
    let (report, text) = cost_json(&plan, &[]);
    assert!(text.contains("\"after\": 35.66,"), "{text}");
    assert!(!text.contains("0000000"), "{text}");
    assert_eq!(report["totals"]["delta"], 35.66);
}
