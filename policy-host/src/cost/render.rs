//! Renders a [`CostReport`] for people (an aligned table) or for programs (the JSON document).

use std::fmt::Write as _;

use oppie_catalog::pricing::money::Decimal;

use super::report::{CostReport, Status, Totals};

/// The JSON document (`oppie-policy/cost/v1`), pretty-printed, with a final newline.
pub fn json(report: &CostReport) -> String {
    let mut out = serde_json::to_string_pretty(report).unwrap_or_else(|e| format!("{{\"error\": \"{e}\"}}"));
    out.push('\n');
    out
}

fn money(value: Option<Decimal>) -> String {
    value.map_or_else(|| "-".to_string(), |v| format!("{v:.2}"))
}

fn signed(value: Option<Decimal>) -> String {
    match value {
        Some(v) if v > Decimal::ZERO => format!("+{v:.2}"),
        Some(v) if v < Decimal::ZERO => format!("{v:.2}"),
        Some(_) => "0.00".to_string(),
        None => "?".to_string(),
    }
}

fn side(priced: Option<&super::report::Priced>, exists: bool, status: Status) -> String {
    match priced {
        Some(p) => money(Some(p.monthly_usd)),
        None if !exists => "-".to_string(),
        None if status == Status::Unknown => "unknown".to_string(),
        None => "n/a".to_string(),
    }
}

/// A table: one row per resource, then totals per cloud and per environment, then notes.
pub fn table(report: &CostReport) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "{} - monthly cost in {} (rate card {}, on-demand list prices)",
        report.file, report.currency, report.rate_card
    );
    if report.resources.is_empty() {
        let _ = writeln!(out, "  nothing to price ({} resources of types without a price model)", report.not_priceable);
        return out;
    }
    let rows: Vec<[String; 6]> = report
        .resources
        .iter()
        .map(|r| {
            let has_before = r.actions.iter().any(|a| matches!(a.as_str(), "delete" | "update" | "no-op"));
            let has_after = r.actions.iter().any(|a| matches!(a.as_str(), "create" | "update" | "no-op"));
            // A kind without a place (oppie_environment) has no cloud: "-", not "unknown".
            let unplaced = if r.placed { "?" } else { "-" };
            let mut cloud = r.cloud.clone().unwrap_or_else(|| unplaced.into());
            let mut region = r.region.clone().unwrap_or_else(|| unplaced.into());
            if let Some(before) = &r.before_location {
                // Replaced elsewhere: `aws -> gcp`.
                let moved = |from: &Option<String>, to: &mut String| {
                    if let Some(from) = from.as_ref().filter(|f| *f != to) {
                        *to = format!("{from} -> {to}");
                    }
                };
                moved(&before.cloud, &mut cloud);
                moved(&before.region, &mut region);
            }
            [
                r.address.clone(),
                cloud,
                region,
                side(r.before.as_ref(), has_before, r.status),
                side(r.after.as_ref(), has_after, r.status),
                signed(r.delta),
            ]
        })
        .collect();
    let header = ["RESOURCE", "CLOUD", "REGION", "BEFORE", "AFTER", "DELTA"];
    let mut widths = header.map(str::len);
    for row in &rows {
        for (w, cell) in widths.iter_mut().zip(row) {
            *w = (*w).max(cell.chars().count());
        }
    }
    let line = |cells: [&str; 6]| {
        format!(
            "  {:<w0$}  {:<w1$}  {:<w2$}  {:>w3$}  {:>w4$}  {:>w5$}\n",
            cells[0],
            cells[1],
            cells[2],
            cells[3],
            cells[4],
            cells[5],
            w0 = widths[0],
            w1 = widths[1],
            w2 = widths[2],
            w3 = widths[3],
            w4 = widths[4],
            w5 = widths[5]
        )
    };
    out.push_str(&line(header));
    for row in &rows {
        out.push_str(&line([&row[0], &row[1], &row[2], &row[3], &row[4], &row[5]]));
    }
    let group = |out: &mut String, title: &str, groups: &std::collections::BTreeMap<String, Totals>| {
        let _ = writeln!(out, "\n{title}:");
        let width = groups.keys().map(|k| k.chars().count()).max().unwrap_or(0);
        for (name, totals) in groups {
            let _ = write!(
                out,
                "  {name:<width$}  before {:>10}  after {:>10}  delta {:>10}",
                money(Some(totals.before)),
                money(Some(totals.after)),
                signed(Some(totals.delta))
            );
            if let (Some(budget), Some(over)) = (totals.budget, totals.over_budget) {
                let _ = write!(out, "  budget {budget:.2}{}", if over { "  OVER BUDGET" } else { "" });
            }
            if totals.incomplete > 0 {
                let _ = write!(out, "  ({} not fully priced)", totals.incomplete);
            }
            out.push('\n');
        }
    };
    group(&mut out, "Per cloud", &report.by_cloud);
    group(&mut out, "Per environment", &report.by_environment);
    let t = &report.totals;
    let _ = writeln!(
        out,
        "\nTotal: {} -> {} {} per month (delta {}){}",
        money(Some(t.before)),
        money(Some(t.after)),
        report.currency,
        signed(Some(t.delta)),
        if t.incomplete > 0 {
            format!("; {} resource(s) not fully priced, so these are lower bounds", t.incomplete)
        } else {
            String::new()
        }
    );
    let noted: Vec<_> = report.resources.iter().filter(|r| !r.notes.is_empty()).collect();
    if !noted.is_empty() {
        let _ = writeln!(out, "\nNotes:");
        for r in noted {
            for note in &r.notes {
                let _ = writeln!(out, "  {}: {note}", r.address);
            }
        }
    }
    if report.not_priceable > 0 {
        let _ = writeln!(out, "\n{} other resource change(s) have types without a price model.", report.not_priceable);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cost::report::{Location, Origin, Priced, ResourceCost};
    use oppie_catalog::pricing::money;
    use std::collections::BTreeMap;

    fn d(text: &str) -> Decimal {
        money::parse(text).unwrap()
    }

    fn resource(
        address: &str,
        env: Option<&str>,
        before: Option<&str>,
        after: Option<&str>,
        status: Status,
    ) -> ResourceCost {
        let priced = |v: &str| Priced { monthly_usd: d(v), breakdown: BTreeMap::new(), origin: Origin::RateCard };
        let actions = match (before, after) {
            (None, Some(_)) => vec!["create".to_string()],
            (Some(_), None) => vec!["delete".to_string()],
            _ => vec!["update".to_string()],
        };
        let amount = |v: Option<&str>| v.map_or(Decimal::ZERO, d);
        ResourceCost {
            address: address.into(),
            resource_type: "aws_instance".into(),
            cloud: Some("aws".into()),
            region: Some("us-east-1".into()),
            actions,
            environment: env.map(str::to_string),
            before_location: None,
            placed: true,
            before: before.map(priced),
            after: after.map(priced),
            delta: (status == Status::Priced).then(|| amount(after) - amount(before)),
            status,
            notes: if status == Status::Unpriced { vec!["after: no price".into()] } else { vec![] },
        }
    }

    fn report() -> CostReport {
        let budgets = BTreeMap::from([("prod".to_string(), d("50"))]);
        CostReport::new(
            "plan.json",
            vec![
                resource("aws_instance.a", Some("prod"), None, Some("60.74"), Status::Priced),
                resource("aws_instance.b", Some("dev"), Some("10"), None, Status::Priced),
                resource("aws_instance.c", None, Some("5"), None, Status::Unpriced),
            ],
            3,
            &budgets,
        )
    }

    #[test]
    fn totals_per_cloud_and_environment() {
        let r = report();
        assert_eq!(r.totals.before, d("15"));
        assert_eq!(r.totals.after, d("60.74"));
        assert_eq!(r.totals.delta, d("45.74"));
        assert_eq!(r.totals.incomplete, 1);
        assert_eq!(r.by_environment["prod"].over_budget, Some(true));
        assert_eq!(r.by_environment["dev"].delta, d("-10"));
        assert_eq!(r.by_environment["(untagged)"].resources, 1);
        assert_eq!(r.by_cloud["aws"].resources, 3);
        assert_eq!(r.monthly_by_address(), BTreeMap::from([("aws_instance.a".to_string(), d("60.74"))]));
    }

    #[test]
    fn table_lists_rows_groups_and_notes() {
        let text = table(&report());
        assert!(text.contains("aws_instance.a"), "{text}");
        assert!(text.contains("+60.74"), "{text}");
        assert!(text.contains("OVER BUDGET"), "{text}");
        assert!(text.contains("Total: 15.00 -> 60.74 USD per month (delta +45.74)"), "{text}");
        assert!(text.contains("aws_instance.c: after: no price"), "{text}");
        assert!(text.contains("3 other resource change(s)"), "{text}");
    }

    #[test]
    fn json_has_the_schema_and_exact_totals() {
        let text = json(&report());
        let value: serde_json::Value = serde_json::from_str(&text).unwrap();
        assert_eq!(value["schema"], "oppie-policy/cost/v1");
        assert_eq!(value["totals"]["after"], 60.74);
        assert_eq!(value["resources"][0]["after"]["origin"], "rate_card");
        assert_eq!(value["by_environment"]["prod"]["budget"], 50.0);
        // Sums that float64 gets wrong print as the decimal they are.
        let sums = CostReport::new(
            "plan.json",
            ["0.1", "0.2", "9.19", "0.02"]
                .iter()
                .enumerate()
                .map(|(i, v)| resource(&format!("aws_instance.r{i}"), None, None, Some(v), Status::Priced))
                .collect(),
            0,
            &BTreeMap::new(),
        );
        let text = json(&sums);
        assert!(text.contains("\"after\": 9.51,"), "{text}");
        assert!(!text.contains("0000000"), "{text}");
    }

    #[test]
    fn a_side_on_another_cloud_is_booked_there_and_shown_as_a_move() {
        let mut moved = resource("oppie_instance.api", Some("dev"), Some("16.78"), Some("15.11"), Status::Priced);
        moved.cloud = Some("gcp".into());
        moved.region = Some("us-east1".into());
        moved.before_location = Some(Location {
            cloud: Some("aws".into()),
            region: Some("us-east-1".into()),
            environment: Some("dev".into()),
        });
        let r = CostReport::new("plan.json", vec![moved], 0, &BTreeMap::new());
        assert_eq!((r.by_cloud["aws"].before, r.by_cloud["aws"].after), (d("16.78"), d("0")));
        assert_eq!((r.by_cloud["gcp"].before, r.by_cloud["gcp"].after), (d("0"), d("15.11")));
        assert_eq!(r.by_environment["dev"].delta, d("-1.67"));
        let text = table(&r);
        assert!(text.contains("aws -> gcp") && text.contains("us-east-1 -> us-east1"), "{text}");
    }

    #[test]
    fn a_resource_without_a_place_has_no_cloud_row() {
        let mut env = resource("oppie_environment.dev", Some("dev"), None, Some("0"), Status::Priced);
        (env.cloud, env.region, env.placed) = (None, None, false);
        let r = CostReport::new("plan.json", vec![env], 0, &BTreeMap::new());
        assert!(r.by_cloud.is_empty(), "{:?}", r.by_cloud);
        let text = table(&r);
        assert!(!text.contains('?'), "{text}");
    }

    #[test]
    fn budgets_show_only_for_environments_the_plan_has() {
        let budgets = BTreeMap::from([("dev".to_string(), d("100")), ("prod".to_string(), d("1000"))]);
        let dev = resource("aws_instance.a", Some("dev"), None, Some("60.74"), Status::Priced);
        let r = CostReport::new("plan.json", vec![dev], 0, &budgets);
        assert_eq!(r.by_environment.keys().collect::<Vec<_>>(), ["dev"]);
        assert_eq!(r.by_environment["dev"].budget, Some(d("100")));
        assert!(!table(&r).contains("prod"));
    }
}
