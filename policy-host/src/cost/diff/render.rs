//! A [`CostDiff`] for a terminal (aligned text), for programs (JSON) and for a pull-request
//! comment (Markdown, the piece the `comment` verb embeds).

use std::fmt::Write as _;

use oppie_catalog::pricing::money::Decimal;

use super::{Change, CostDiff, ResourceDiff};
use crate::cost::report::{Status, Totals};

/// The JSON document (`oppie-policy/cost-diff/v1`), pretty-printed, with a final newline.
pub fn render_json(diff: &CostDiff) -> String {
    let mut out = serde_json::to_string_pretty(diff).unwrap_or_else(|e| format!("{{\"error\": \"{e}\"}}"));
    out.push('\n');
    out
}

fn money(value: Decimal) -> String {
    format!("{value:.2}")
}

fn signed(value: Option<Decimal>) -> String {
    match value {
        Some(v) if v > Decimal::ZERO => format!("+{v:.2}"),
        Some(v) if v < Decimal::ZERO => format!("{v:.2}"),
        Some(_) => "0.00".to_string(),
        None => "?".to_string(),
    }
}

/// A side's cell: the figure, `-` where the resource is not, or why there is no figure.
fn side(value: Option<Decimal>, exists: bool, status: Status) -> String {
    match value {
        Some(v) => money(v),
        None if !exists => "-".to_string(),
        None if status == Status::Unknown => "unknown".to_string(),
        None => "n/a".to_string(),
    }
}

fn cells(r: &ResourceDiff) -> (String, String) {
    let before_exists = r.change != Change::Added;
    let after_exists = r.change != Change::Removed;
    (side(r.before, before_exists, r.status), side(r.after, after_exists, r.status))
}

fn change_name(change: Change) -> &'static str {
    match change {
        Change::Added => "added",
        Change::Removed => "removed",
        Change::Changed => "changed",
        Change::Unchanged => "unchanged",
    }
}

/// `+14.6%` of `before`, when there is a before to compare with.
fn percent(totals: &Totals) -> Option<String> {
    if totals.before <= Decimal::ZERO {
        return None;
    }
    let ratio = totals.delta.checked_div(totals.before)?.checked_mul(Decimal::ONE_HUNDRED)?.round_dp(1);
    Some(if ratio > Decimal::ZERO { format!("+{ratio:.1}%") } else { format!("{ratio:.1}%") })
}

/// The budget cell and status of an environment.
fn budget(totals: &Totals) -> (String, &'static str) {
    match (totals.budget, totals.over_budget) {
        (Some(budget), Some(true)) => (money(budget), "over budget"),
        (Some(budget), _) => (money(budget), "within budget"),
        (None, _) => ("-".to_string(), "no budget"),
    }
}

/// An aligned table of the changed resources, then per environment (with budgets) and the total.
pub fn render_text(diff: &CostDiff) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "Monthly cost in {}: {} -> {} (rate card {}, on-demand list prices)",
        diff.currency, diff.base, diff.head, diff.rate_card
    );
    let rows: Vec<[String; 5]> = diff
        .resources
        .iter()
        .map(|r| {
            let (before, after) = cells(r);
            let mut address = r.address.clone();
            if let Some(cloud) = &r.cloud {
                let _ = write!(address, " ({cloud})");
            }
            [address, change_name(r.change).to_string(), before, after, signed(r.delta)]
        })
        .collect();
    if rows.is_empty() {
        let _ = writeln!(out, "  no resource changes its cost");
    } else {
        let header = ["RESOURCE", "CHANGE", "BEFORE", "AFTER", "DELTA"];
        let mut widths = header.map(str::len);
        for row in &rows {
            for (w, cell) in widths.iter_mut().zip(row) {
                *w = (*w).max(cell.chars().count());
            }
        }
        let line = |c: [&str; 5]| {
            format!(
                "  {:<w0$}  {:<w1$}  {:>w2$}  {:>w3$}  {:>w4$}\n",
                c[0],
                c[1],
                c[2],
                c[3],
                c[4],
                w0 = widths[0],
                w1 = widths[1],
                w2 = widths[2],
                w3 = widths[3],
                w4 = widths[4]
            )
        };
        out.push_str(&line(header));
        for row in &rows {
            out.push_str(&line([&row[0], &row[1], &row[2], &row[3], &row[4]]));
        }
    }
    let listed_unchanged = diff.resources.iter().filter(|r| r.change == Change::Unchanged).count();
    if diff.unchanged > listed_unchanged {
        let _ = writeln!(out, "  ({} resource(s) with unchanged cost not shown)", diff.unchanged - listed_unchanged);
    }
    if !diff.by_environment.is_empty() {
        let _ = writeln!(out, "\nPer environment:");
        let width = diff.by_environment.keys().map(|k| k.chars().count()).max().unwrap_or(0);
        for (name, totals) in &diff.by_environment {
            let (limit, status) = budget(totals);
            let _ = write!(
                out,
                "  {name:<width$}  before {:>10}  after {:>10}  delta {:>10}",
                money(totals.before),
                money(totals.after),
                signed(Some(totals.delta))
            );
            if totals.budget.is_some() {
                let _ = write!(out, "  budget {limit}  {}", status.to_uppercase());
            }
            out.push('\n');
        }
    }
    let t = &diff.totals;
    let _ = writeln!(
        out,
        "\nTotal: {} -> {} {} per month (delta {}{}){}",
        money(t.before),
        money(t.after),
        diff.currency,
        signed(Some(t.delta)),
        percent(t).map(|p| format!(", {p}")).unwrap_or_default(),
        incomplete(t)
    );
    out
}

fn incomplete(t: &Totals) -> String {
    if t.incomplete > 0 {
        format!("; {} resource(s) not fully priced, so these are lower bounds", t.incomplete)
    } else {
        String::new()
    }
}

/// A Markdown table cell: no pipes or line breaks that would end it.
fn cell(text: &str) -> String {
    text.replace('|', "\\|").replace(['\n', '\r'], " ")
}

/// An inline code span that survives any backticks in `text`.
fn code(text: &str) -> String {
    let text = cell(text);
    if text.contains('`') { format!("`` {text} ``") } else { format!("`{text}`") }
}

/// The cost diff as Markdown for a pull-request comment: the headline total, a table of
/// the resources whose cost changes, and the environments with their budget status.
pub fn render_markdown(diff: &CostDiff) -> String {
    let t = &diff.totals;
    let mut out = String::new();
    let _ = writeln!(
        out,
        "#### Monthly cost: {} → {} {} ({}{})\n",
        money(t.before),
        money(t.after),
        diff.currency,
        signed(Some(t.delta)),
        percent(t).map(|p| format!(", {p}")).unwrap_or_default()
    );
    if diff.over_budget() {
        let over: Vec<String> = diff
            .by_environment
            .iter()
            .filter(|(_, t)| t.over_budget == Some(true))
            .map(|(name, _)| code(name))
            .collect();
        let _ = writeln!(out, "> [!WARNING]\n> Over budget: {}\n", over.join(", "));
    }
    let rows: Vec<&ResourceDiff> = diff.resources.iter().filter(|r| r.change != Change::Unchanged).collect();
    if rows.is_empty() {
        let _ = writeln!(out, "No resource changes its cost.\n");
    } else {
        out.push_str("| Resource | Change | Before | After | Delta |\n|---|---|--:|--:|--:|\n");
        for r in rows {
            let (before, after) = cells(r);
            let mut change = change_name(r.change).to_string();
            if let Some(cloud) = &r.cloud {
                let _ = write!(change, " ({})", cell(cloud));
            }
            let _ = writeln!(out, "| {} | {change} | {before} | {after} | {} |", code(&r.address), signed(r.delta));
        }
        out.push('\n');
    }
    if diff.unchanged > 0 {
        let _ = writeln!(out, "{} resource(s) with unchanged cost not shown.\n", diff.unchanged);
    }
    if !diff.by_environment.is_empty() {
        out.push_str("| Environment | Before | After | Delta | Budget | Status |\n|---|--:|--:|--:|--:|---|\n");
        for (name, totals) in &diff.by_environment {
            let (limit, status) = budget(totals);
            let status = match status {
                "over budget" => "**over budget**",
                other => other,
            };
            let _ = writeln!(
                out,
                "| {} | {} | {} | {} | {limit} | {status} |",
                code(name),
                money(totals.before),
                money(totals.after),
                signed(Some(totals.delta))
            );
        }
        out.push('\n');
    }
    let notes: Vec<String> = diff
        .resources
        .iter()
        .filter(|r| r.change != Change::Unchanged)
        .flat_map(|r| r.notes.iter().map(move |n| format!("- {}: {}", code(&r.address), cell(n))))
        .collect();
    if !notes.is_empty() || t.incomplete > 0 {
        out.push_str("<details><summary>Pricing notes</summary>\n\n");
        if t.incomplete > 0 {
            let _ = writeln!(out, "{} resource(s) not fully priced: the totals are lower bounds.\n", t.incomplete);
        }
        for note in notes {
            let _ = writeln!(out, "{note}");
        }
        out.push_str("\n</details>\n\n");
    }
    let _ = writeln!(
        out,
        "<sub>{} → {}; rate card {}, on-demand list prices in {}.</sub>",
        cell(&diff.base),
        cell(&diff.head),
        cell(&diff.rate_card),
        diff.currency
    );
    out
}
