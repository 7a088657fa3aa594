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

/// `cost --compare BASE HEAD` (and `--baseline BASE HEAD`, Infracost's spelling): per
/// resource before/after/delta, the total, and the budget status per environment, as text,
/// JSON and Markdown.
#[test]
fn compare_two_plans_in_every_format() {
    let dir = tempfile::tempdir().unwrap();
    let prod = json!({"environment": "prod"});
    let dev = json!({"environment": "dev"});
    let base_dir = dir.path().join("base");
    let head_dir = dir.path().join("head");
    std::fs::create_dir_all(&base_dir).unwrap();
    std::fs::create_dir_all(&head_dir).unwrap();
    let base = plan_file(
        &base_dir,
        json!([
            instance("web", &["create"], Value::Null, json!({"instance_type": "t3.small", "tags": prod})),
            instance("old", &["create"], Value::Null, json!({"instance_type": "t3.micro", "tags": dev})),
            instance("same", &["create"], Value::Null, json!({"instance_type": "t3.micro", "tags": dev})),
        ]),
    );
    let head = plan_file(
        &head_dir,
        json!([
            instance("web", &["create"], Value::Null, json!({"instance_type": "t3.large", "tags": prod})),
            instance("same", &["create"], Value::Null, json!({"instance_type": "t3.micro", "tags": dev})),
            instance("new", &["create"], Value::Null, json!({"instance_type": "m5.large", "tags": dev})),
        ]),
    );
    let budgets = dir.path().join("budgets.json");
    std::fs::write(&budgets, r#"{"budgets": {"prod": 50, "dev": 200}}"#).unwrap();
    let budgets = budgets.display().to_string();

    let run = oppie(&["cost", "--compare", &base, &head, "-f", "json", "-d", &budgets]);
    assert_eq!(run.code, Some(0), "{}", run.stderr);
    let diff: Value = serde_json::from_str(&run.stdout).unwrap();
    assert_eq!(diff["schema"], "oppie-policy/cost-diff/v1");
    let rows: Vec<(&str, &str)> = diff["resources"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| (r["address"].as_str().unwrap(), r["change"].as_str().unwrap()))
        .collect();
    assert_eq!(
        rows,
        [("aws_instance.web", "changed"), ("aws_instance.new", "added"), ("aws_instance.old", "removed")],
        "unchanged resources are left out by default"
    );
    assert_eq!(diff["unchanged"], 1);
    // eu-central-1: t3.small 17.52, t3.large 70.08, t3.micro 8.76, m5.large 83.95 USD a month.
    assert_eq!(diff["resources"][0]["before"], 17.52);
    assert_eq!(diff["resources"][0]["after"], 70.08);
    assert_eq!(diff["resources"][0]["delta"], 52.56);
    assert_eq!(diff["totals"]["before"], 35.04);
    assert_eq!(diff["totals"]["after"], 162.79);
    assert_eq!(diff["totals"]["delta"], 127.75);
    assert_eq!(diff["by_environment"]["prod"]["over_budget"], true);
    assert_eq!(diff["by_environment"]["dev"]["over_budget"], false);
    assert_eq!(diff["by_environment"]["dev"]["after"], 92.71);

    let infracost = oppie(&["cost", &head, "--baseline", &base, "-f", "json", "-d", &budgets]);
    assert_eq!(infracost.stdout, run.stdout, "--baseline BASE HEAD is --compare BASE HEAD");

    let all = oppie(&["cost", "--compare", &base, &head, "-f", "json", "--show-unchanged"]);
    let all: Value = serde_json::from_str(&all.stdout).unwrap();
    assert_eq!(all["resources"].as_array().unwrap().len(), 4);

    let markdown = oppie(&["cost", "--compare", &base, &head, "-f", "markdown", "-d", &budgets]).stdout;
    assert!(markdown.starts_with("#### Monthly cost: 35.04 → 162.79 USD (+127.75, +364.6%)"), "{markdown}");
    assert!(markdown.contains("| `aws_instance.web` | changed (aws) | 17.52 | 70.08 | +52.56 |"), "{markdown}");
    assert!(markdown.contains("| `prod` | 17.52 | 70.08 | +52.56 | 50.00 | **over budget** |"), "{markdown}");
    assert!(markdown.contains("| `dev` | 17.52 | 92.71 | +75.19 | 200.00 | within budget |"), "{markdown}");

    let text = oppie(&["cost", "--compare", &base, &head, "-d", &budgets, "-f", "text"]).stdout;
    assert!(text.contains("Total: 35.04 -> 162.79 USD per month (delta +127.75, +364.6%)"), "{text}");
    assert!(text.contains("OVER BUDGET"), "{text}");

    let usage = oppie(&["cost", "--compare", &base]);
    assert_eq!(usage.code, Some(2), "{}", usage.stderr);
    let bad = oppie(&["cost", "--compare", &base, &dir.path().join("missing.json").display().to_string()]);
    assert_eq!(bad.code, Some(2), "{}", bad.stderr);
    assert!(bad.stderr.contains("missing.json"), "{}", bad.stderr);
}

/// Every corpus plan compared with itself changes nothing, and its Markdown diff against its
/// prior state carries the same totals as its cost report.
#[test]
fn every_corpus_plan_compared_with_itself_changes_nothing() {
    let Some(plans) = corpus_plans() else {
        return;
    };
    let mut failures = Vec::new();
    for plan in &plans {
        let path = plan.display().to_string();
        let name = plan.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
        let run = oppie(&["cost", "--compare", &path, &path, "-f", "json"]);
        let diff: Value = match (run.code, serde_json::from_str::<Value>(&run.stdout)) {
            (Some(0), Ok(diff)) => diff,
            (code, _) => {
                failures.push(format!("{name}: exit {code:?}: {}", run.stderr));
                continue;
            }
        };
        if diff["totals"]["delta"] != json!(0.0) && diff["totals"]["delta"] != json!(0) {
            failures.push(format!("{name}: delta {}", diff["totals"]["delta"]));
        }
        if !diff["resources"].as_array().is_some_and(Vec::is_empty) {
            failures.push(format!("{name}: rows {}", diff["resources"]));
        }
        let (report, _) = cost_json(&path, &[]);
        if diff["totals"]["after"] != report["totals"]["after"] {
            failures.push(format!("{name}: after {} vs {}", diff["totals"]["after"], report["totals"]["after"]));
        }
        let markdown = oppie(&["cost", &path, "-f", "markdown"]);
        let before = report["totals"]["before"].as_f64().unwrap_or_default();
        let after = report["totals"]["after"].as_f64().unwrap_or_default();
        let headline = format!("#### Monthly cost: {before:.2} → {after:.2} USD");
        if markdown.code != Some(0) || !markdown.stdout.starts_with(&headline) {
            failures.push(format!("{name}: markdown does not start with {headline:?}: {}", markdown.stdout));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
