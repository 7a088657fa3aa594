//! Renders a [`CostReport`] for people (an aligned table) or for programs (the JSON document).

use std::fmt::Write as _;

use super::report::{CostReport, Status, Totals};

/// The JSON document (`oppie-policy/cost/v1`), pretty-printed, with a final newline.
pub fn json(report: &CostReport) -> String {
    let mut out = serde_json::to_string_pretty(report).unwrap_or_else(|e| format!("{{\"error\": \"{e}\"}}"));
    out.push('\n');
    out
}

fn money(value: Option<f64>) -> String {
    value.map_or_else(|| "-".to_string(), |v| format!("{v:.2}"))
}

fn signed(value: Option<f64>) -> String {
    match value {
        Some(v) if v > 0.0 => format!("+{v:.2}"),
        Some(v) if v < 0.0 => format!("{v:.2}"),
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
            [
                r.address.clone(),
                r.cloud.clone().unwrap_or_else(|| "?".into()),
                r.region.clone().unwrap_or_else(|| "?".into()),
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
                let _ = write!(out, "  ({} not priced)", totals.incomplete);
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
    use crate::cost::report::{Origin, Priced, ResourceCost};
    use std::collections::BTreeMap;

    fn resource(
        address: &str,
        env: Option<&str>,
        before: Option<f64>,
        after: Option<f64>,
        status: Status,
    ) -> ResourceCost {
        let priced = |v: f64| Priced { monthly_usd: v, breakdown: BTreeMap::new(), origin: Origin::RateCard };
        let actions = match (before, after) {
            (None, Some(_)) => vec!["create".to_string()],
            (Some(_), None) => vec!["delete".to_string()],
            _ => vec!["update".to_string()],
        };
        ResourceCost {
            address: address.into(),
            resource_type: "aws_instance".into(),
            cloud: Some("aws".into()),
            region: Some("us-east-1".into()),
            actions,
            environment: env.map(str::to_string),
            before: before.map(priced),
            after: after.map(priced),
            delta: if status == Status::Priced { Some(after.unwrap_or(0.0) - before.unwrap_or(0.0)) } else { None },
            status,
            notes: if status == Status::Unpriced { vec!["after: no price".into()] } else { vec![] },
        }
    }

    fn report() -> CostReport {
        let budgets = BTreeMap::from([("prod".to_string(), 50.0)]);
        CostReport::new(
            "plan.json",
            vec![
                resource("aws_instance.a", Some("prod"), None, Some(60.74), Status::Priced),
                resource("aws_instance.b", Some("dev"), Some(10.0), None, Status::Priced),
                resource("aws_instance.c", None, Some(5.0), None, Status::Unpriced),
            ],
            3,
            &budgets,
        )
    }

    #[test]
    fn totals_per_cloud_and_environment() {
        let r = report();
        assert_eq!(r.totals.before, 15.0);
        assert_eq!(r.totals.after, 60.74);
        assert_eq!(r.totals.delta, 45.74);
        assert_eq!(r.totals.incomplete, 1);
        assert_eq!(r.by_environment["prod"].over_budget, Some(true));
        assert_eq!(r.by_environment["dev"].delta, -10.0);
        assert_eq!(r.by_environment["(untagged)"].resources, 1);
        assert_eq!(r.by_cloud["aws"].resources, 3);
        assert_eq!(r.monthly_by_address(), BTreeMap::from([("aws_instance.a".to_string(), 60.74)]));
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
    fn json_has_the_schema_and_totals() {
        let value: serde_json::Value = serde_json::from_str(&json(&report())).unwrap();
        assert_eq!(value["schema"], "oppie-policy/cost/v1");
        assert_eq!(value["totals"]["after"], 60.74);
        assert_eq!(value["resources"][0]["after"]["origin"], "rate_card");
        assert_eq!(value["by_environment"]["prod"]["budget"], 50.0);
    }
}
