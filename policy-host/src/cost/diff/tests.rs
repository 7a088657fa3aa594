//! Cost diffs of generated plan pairs: added, removed, changed and unchanged resources, a
//! move between clouds, budgets per environment, and the three renderings.

use std::collections::BTreeMap;

use proptest::prelude::*;
use serde_json::{Value, json};

use super::*;
use crate::cost::{money, price_value};

fn d(text: &str) -> Decimal {
    money::parse(text).unwrap()
}

/// An `aws_instance` in eu-central-1 (t3.micro 8.76, t3.small 17.52, t3.medium 35.04,
/// t3.large 70.08 USD a month), created.
fn instance(name: &str, size: &str, environment: &str) -> Value {
    json!({"address": format!("aws_instance.{name}"), "mode": "managed", "type": "aws_instance", "name": name,
           "change": {"actions": ["create"], "before": null, "after_unknown": {},
                      "after": {"instance_type": size, "availability_zone": "eu-central-1a",
                                "tags": {"environment": environment}}}})
}

fn plan(name: &str, changes: Vec<Value>) -> CostReport {
    price_value(name, &json!({"format_version": "1.2", "resource_changes": changes}), &BTreeMap::new())
}

fn row<'a>(diff: &'a CostDiff, address: &str, change: Change) -> &'a ResourceDiff {
    diff.resources
        .iter()
        .find(|r| r.address == address && r.change == change)
        .unwrap_or_else(|| panic!("no {change:?} row for {address}: {:#?}", diff.resources))
}

fn pair() -> (CostReport, CostReport) {
    let base = plan(
        "base.json",
        vec![
            instance("web", "t3.small", "prod"),
            instance("old", "t3.micro", "dev"),
            instance("same", "t3.micro", "dev"),
        ],
    );
    let head = plan(
        "head.json",
        vec![
            instance("web", "t3.large", "prod"),
            instance("new", "t3.medium", "dev"),
            instance("same", "t3.micro", "dev"),
        ],
    );
    (base, head)
}

#[test]
fn added_removed_changed_and_unchanged() {
    let (base, head) = pair();
    let budgets = BTreeMap::from([("prod".to_string(), d("50")), ("dev".to_string(), d("100"))]);
    let diff = compare(&base, &head, &budgets);
    assert_eq!(diff.schema, SCHEMA);
    let web = row(&diff, "aws_instance.web", Change::Changed);
    assert_eq!((web.before, web.after, web.delta), (Some(d("17.52")), Some(d("70.08")), Some(d("52.56"))));
    let new = row(&diff, "aws_instance.new", Change::Added);
    assert_eq!((new.before, new.after, new.delta), (None, Some(d("35.04")), Some(d("35.04"))));
    let old = row(&diff, "aws_instance.old", Change::Removed);
    assert_eq!((old.before, old.after, old.delta), (Some(d("8.76")), None, Some(d("-8.76"))));
    assert_eq!(row(&diff, "aws_instance.same", Change::Unchanged).delta, Some(Decimal::ZERO));
    assert_eq!(diff.unchanged, 1);
    assert_eq!((diff.totals.before, diff.totals.after, diff.totals.delta), (d("35.04"), d("113.88"), d("78.84")));
    let prod = &diff.by_environment["prod"];
    assert_eq!((prod.after, prod.budget, prod.over_budget), (d("70.08"), Some(d("50")), Some(true)));
    let dev = &diff.by_environment["dev"];
    assert_eq!((dev.before, dev.after, dev.over_budget), (d("17.52"), d("43.80"), Some(false)));
    assert!(diff.over_budget());
    let shown = diff.clone().without_unchanged();
    assert_eq!(shown.resources.len(), 3);
    assert_eq!((shown.unchanged, &shown.totals), (1, &diff.totals), "totals keep the unchanged resources");
}

#[test]
fn the_renderings_carry_rows_totals_and_budgets() {
    let (base, head) = pair();
    let budgets = BTreeMap::from([("prod".to_string(), d("50"))]);
    let diff = compare(&base, &head, &budgets).without_unchanged();
    let markdown = render_markdown(&diff);
    assert!(markdown.starts_with("#### Monthly cost: 35.04 → 113.88 USD (+78.84, +225.0%)\n"), "{markdown}");
    assert!(markdown.contains("| `aws_instance.web` | changed (aws) | 17.52 | 70.08 | +52.56 |"), "{markdown}");
    assert!(markdown.contains("| `aws_instance.old` | removed (aws) | 8.76 | - | -8.76 |"), "{markdown}");
    assert!(markdown.contains("| `aws_instance.new` | added (aws) | - | 35.04 | +35.04 |"), "{markdown}");
    assert!(markdown.contains("| `prod` | 17.52 | 70.08 | +52.56 | 50.00 | **over budget** |"), "{markdown}");
    assert!(markdown.contains("| `dev` | 17.52 | 43.80 | +26.28 | - | no budget |"), "{markdown}");
    assert!(markdown.contains("> Over budget: `prod`"), "{markdown}");
    assert!(markdown.contains("1 resource(s) with unchanged cost not shown."), "{markdown}");
    let text = render_text(&diff);
    assert!(text.contains("Total: 35.04 -> 113.88 USD per month (delta +78.84, +225.0%)"), "{text}");
    assert!(text.contains("OVER BUDGET"), "{text}");
    assert!(text.contains("(1 resource(s) with unchanged cost not shown)"), "{text}");
    let value: Value = serde_json::from_str(&render_json(&diff)).unwrap();
    assert_eq!(value["schema"], "oppie-policy/cost-diff/v1");
    assert_eq!(value["totals"]["delta"], 78.84);
    assert_eq!(value["resources"][0]["change"], "changed");
    assert_eq!(value["by_environment"]["prod"]["over_budget"], true);
    assert_eq!(value["unchanged"], 1);
}

/// A native resource priced by the provider (`estimated_monthly_cost`) on a given cloud.
fn native(cloud: &str, monthly: &str) -> Value {
    json!({"address": "oppie_instance.api", "mode": "managed", "type": "oppie_instance", "name": "api",
           "change": {"actions": ["create"], "before": null, "after_unknown": {},
                      "after": {"cloud": cloud, "region": "us-east", "size": "s", "tags": {"environment": "dev"},
                                "estimated_monthly_cost": monthly.parse::<f64>().unwrap()}}})
}

#[test]
fn a_move_to_another_cloud_is_removed_there_and_added_here() {
    let base = plan("base.json", vec![native("aws", "16.78")]);
    let head = plan("head.json", vec![native("gcp", "14.73")]);
    let diff = compare(&base, &head, &BTreeMap::new());
    let removed = row(&diff, "oppie_instance.api", Change::Removed);
    assert_eq!((removed.cloud.as_deref(), removed.before, removed.after), (Some("aws"), Some(d("16.78")), None));
    let added = row(&diff, "oppie_instance.api", Change::Added);
    assert_eq!((added.cloud.as_deref(), added.before, added.after), (Some("gcp"), None, Some(d("14.73"))));
    assert_eq!((diff.by_cloud["aws"].before, diff.by_cloud["aws"].after), (d("16.78"), Decimal::ZERO));
    assert_eq!((diff.by_cloud["gcp"].before, diff.by_cloud["gcp"].after), (Decimal::ZERO, d("14.73")));
    assert_eq!(diff.by_environment["dev"].delta, d("-2.05"));
    // Priced as one plan's replacement, the same move books the same way.
    let replaced = json!({"address": "oppie_instance.api", "mode": "managed", "type": "oppie_instance", "name": "api",
        "change": {"actions": ["delete", "create"], "after_unknown": {},
                   "before": {"cloud": "aws", "region": "us-east", "size": "s", "estimated_monthly_cost": 16.78},
                   "after": {"cloud": "gcp", "region": "us-east", "size": "s", "estimated_monthly_cost": 14.73}}});
    let one = plan("plan.json", vec![replaced]);
    let own = of_plan(&one, &BTreeMap::new());
    assert_eq!(own.by_cloud, one.by_cloud);
    assert_eq!(own.resources.iter().map(|r| r.change).collect::<Vec<_>>(), [Change::Removed, Change::Added]);
}

#[test]
fn an_unknown_side_has_no_delta_and_marks_the_totals_incomplete() {
    let base = plan("base.json", vec![instance("web", "t3.small", "dev")]);
    let mut unknown = instance("web", "t3.small", "dev");
    unknown["change"]["after"]["instance_type"] = Value::Null;
    unknown["change"]["after_unknown"] = json!({"instance_type": true});
    let head = plan("head.json", vec![unknown]);
    let diff = compare(&base, &head, &BTreeMap::new());
    let web = row(&diff, "aws_instance.web", Change::Changed);
    assert_eq!((web.after, web.delta, web.status), (None, None, Status::Unknown));
    assert_eq!(diff.totals.incomplete, 1);
    let markdown = render_markdown(&diff);
    assert!(markdown.contains("| `aws_instance.web` | changed (aws) | 17.52 | unknown | ? |"), "{markdown}");
    assert!(markdown.contains("lower bounds"), "{markdown}");
}

#[test]
fn one_plan_against_its_prior_state_matches_its_own_totals() {
    let update = json!({"address": "aws_instance.web", "mode": "managed", "type": "aws_instance", "name": "web",
        "change": {"actions": ["update"], "after_unknown": {},
                   "before": {"instance_type": "t3.small", "availability_zone": "eu-central-1a"},
                   "after": {"instance_type": "t3.medium", "availability_zone": "eu-central-1a"}}});
    let report = plan("plan.json", vec![update, instance("new", "t3.micro", "dev")]);
    let diff = of_plan(&report, &BTreeMap::new());
    assert_eq!(diff.totals, report.totals);
    assert_eq!(diff.base, "plan.json (prior state)");
    assert_eq!(row(&diff, "aws_instance.web", Change::Changed).delta, Some(d("17.52")));
}

#[test]
fn markdown_cells_cannot_break_the_table() {
    let (base, mut head) = pair();
    head.resources[0].address = "aws_instance.x[\"a|b`c\"]".into();
    let markdown = render_markdown(&compare(&base, &head, &BTreeMap::new()));
    assert!(markdown.contains("| `` aws_instance.x[\"a\\|b`c\"] `` | added (aws) |"), "{markdown}");
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]
    #[test]
    fn totals_are_the_sums_of_the_rows(
        base in prop::collection::vec((0usize..6, prop::sample::select(vec!["t3.micro", "t3.small", "m5.large", "x"]),
            prop::sample::select(vec!["dev", "prod"])), 0..6),
        head in prop::collection::vec((0usize..6, prop::sample::select(vec!["t3.micro", "t3.small", "m5.large", "x"]),
            prop::sample::select(vec!["dev", "prod"])), 0..6),
    ) {
        let build = |side: &[(usize, &str, &str)]| {
            let mut seen = std::collections::HashSet::new();
            side.iter().filter(|(i, _, _)| seen.insert(*i)).map(|(i, size, env)| instance(&format!("r{i}"), size, env)).collect()
        };
        let (base, head) = (plan("b", build(&base)), plan("h", build(&head)));
        let diff = compare(&base, &head, &BTreeMap::from([("prod".to_string(), d("20"))]));
        prop_assert_eq!(diff.totals.before, base.totals.after);
        prop_assert_eq!(diff.totals.after, head.totals.after);
        prop_assert_eq!(diff.totals.delta, diff.totals.after - diff.totals.before);
        let row_sum: Decimal = diff.resources.iter().filter_map(|r| r.delta).sum();
        if diff.totals.incomplete == 0 {
            prop_assert_eq!(row_sum, diff.totals.delta);
        }
        let _ = (render_markdown(&diff), render_text(&diff), render_json(&diff));
    }
}
