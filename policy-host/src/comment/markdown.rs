//! The comment body in GitHub-flavoured Markdown. Every text that comes from a plan or a policy
//! is escaped (no HTML, no @-mentions, no table breaks), and the body stays under GitHub's limit.

use std::fmt::Write as _;

use crate::cost::{CostReport, Decimal, Status as CostStatus, Totals};
use crate::findings::{Finding, FindingKind};
use crate::report::{FileReport, Report};
use crate::rules::Severity;

use super::{MARKER, MAX_BODY_CHARS};

/// Where a finding is in the Terraform sources.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SourceRef {
    /// The `.tf` file, relative to the repository root.
    pub path: String,
    /// Its 1-based line.
    pub line: u32,
}

/// How findings link to their source.
pub struct Links<'a> {
    /// `https://github.com/OWNER/REPO/blob/SHA/` (ending in `/`), or `None` for plain text.
    pub blob_base: Option<String>,
    /// The source of a finding, when known (the `.tf` location `check --config-dir` finds).
    pub source: &'a dyn Fn(&FileReport, &Finding) -> Option<SourceRef>,
}

impl Links<'_> {
    /// No links and no source locations (findings show their plan address).
    pub fn none() -> Links<'static> {
        Links { blob_base: None, source: &|_, _| None }
    }
}

/// The cost part of the comment.
pub struct Costs<'a> {
    /// The pull request's plan, priced (before = prior state, after = planned).
    pub head: Option<&'a CostReport>,
    /// The base branch's plan, priced, when one was given.
    pub base: Option<&'a CostReport>,
}

/// The rows of the findings tables are cut off past this many characters of body, so the cost
/// part and the footer still fit under [`MAX_BODY_CHARS`].
const FINDINGS_BUDGET: usize = 40_000;
/// Resource rows shown in the cost table.
const COST_ROWS: usize = 50;

/// The whole comment body: the marker, the policy summary, the findings by severity, the cost.
pub fn render(report: &Report, costs: &Costs<'_>, links: &Links<'_>) -> String {
    let mut out = String::new();
    out.push_str(MARKER);
    out.push('\n');
    summary(&mut out, report);
    findings(&mut out, report, links);
    if let Some(head) = costs.head {
        cost_section(&mut out, head, costs.base);
    }
    let _ = writeln!(
        out,
        "\n<sub>oppie-policy {} · this comment is updated on every push</sub>",
        env!("CARGO_PKG_VERSION")
    );
    if out.chars().count() > MAX_BODY_CHARS {
        // Cannot happen with the budgets above unless a single cell is huge; cut on a char boundary.
        let cut: String = out.chars().take(MAX_BODY_CHARS - 100).collect();
        out = format!("{cut}\n\n… (cut to fit GitHub's comment size limit)\n");
    }
    out
}

fn summary(out: &mut String, report: &Report) {
    let s = report.summary();
    let verdict = if report.passed() { "✅ passed" } else { "❌ failed" };
    let _ = writeln!(out, "## oppie-policy: {verdict}\n");
    let _ = writeln!(
        out,
        "**{} failure{}**, {} warning{}, {} error{}, {} exception{} · {} rule{} · failing at `{}` · plan{}: {}",
        s.failures,
        plural(s.failures),
        s.warnings,
        plural(s.warnings),
        s.errors,
        plural(s.errors),
        s.exceptions,
        plural(s.exceptions),
        s.rules,
        plural(s.rules),
        report.fail_on,
        plural(s.files),
        report.files.iter().map(|f| code(&f.path)).collect::<Vec<_>>().join(", "),
    );
}

/// One table per severity (most severe first), then evaluation errors, then the excepted
/// findings folded away.
fn findings(out: &mut String, report: &Report, links: &Links<'_>) {
    let all: Vec<(&FileReport, &Finding)> = report.findings().collect();
    if all.is_empty() {
        out.push_str("\nNo findings.\n");
        return;
    }
    let mut written = 0usize;
    let mut left_out = 0usize;
    let mut table = |out: &mut String, heading: &str, rows: &[(&FileReport, &Finding)]| {
        if rows.is_empty() {
            return;
        }
        let _ = writeln!(out, "\n{heading} ({})\n", rows.len());
        out.push_str("| | Rule | Resource | Message | Source |\n|---|---|---|---|---|\n");
        for (file, finding) in rows {
            let row = row(file, finding, report, links);
            if written + row.len() > FINDINGS_BUDGET {
                left_out += 1;
                continue;
            }
            written += row.len();
            out.push_str(&row);
        }
    };
    out.push_str("\n### Findings\n");
    for severity in [Severity::Critical, Severity::High, Severity::Medium, Severity::Low, Severity::Info] {
        let rows: Vec<_> = all
            .iter()
            .copied()
            .filter(|(_, f)| f.kind == FindingKind::Violation && f.excepted_by.is_none() && f.severity == severity)
            .collect();
        table(out, &format!("#### {} {}", icon(severity), title_case(severity.as_str())), &rows);
    }
    let errors: Vec<_> = all.iter().copied().filter(|(_, f)| f.kind == FindingKind::Error).collect();
    table(out, "#### ⚠️ Rules that could not be evaluated", &errors);
    let excepted: Vec<_> =
        all.iter().copied().filter(|(_, f)| f.kind == FindingKind::Violation && f.excepted_by.is_some()).collect();
    if !excepted.is_empty() {
        out.push_str("\n<details><summary>Excepted findings</summary>\n");
        table(out, "####", &excepted);
        out.push_str("\n</details>\n");
    }
    if left_out > 0 {
        let _ = writeln!(
            out,
            "\n… and {left_out} more finding{} not shown here (see the check's SARIF or job summary).",
            plural(left_out)
        );
    }
}

fn row(file: &FileReport, finding: &Finding, report: &Report, links: &Links<'_>) -> String {
    let state = match crate::report::status(finding, report.fail_on).name() {
        "fail" => "❌ fail",
        "warn" => "⚠️ warn",
        "error" => "💥 error",
        other => other,
    };
    let mut message = cell(&finding.message);
    if let Some(path) = crate::report::path_text(finding) {
        let _ = write!(message, " (at {})", code(&path));
    }
    if let Some(by) = &finding.excepted_by {
        let _ = write!(message, " — excepted by {}", code(by));
    }
    let source = match (links.source)(file, finding) {
        Some(at) => {
            let label = format!("{}:{}", at.path, at.line);
            match &links.blob_base {
                Some(base) => format!("[{}]({base}{}#L{})", cell(&label), url_path(&at.path), at.line),
                None => code(&label),
            }
        }
        // No `.tf` location: the plan file (and its line), the resource address says the rest.
        None => match file.line_of(finding) {
            Some(line) => code(&format!("{}:{line}", file.path)),
            None => code(&file.path),
        },
    };
    format!(
        "| {state} | {} {} | {} | {message} | {source} |\n",
        code(&finding.rule_id),
        cell(&finding.title),
        finding.resource.as_deref().map_or_else(|| "—".to_string(), code),
    )
}

/// The monthly cost: the base comparison when a base plan was given, then the pull request's
/// plan per resource and per environment with budgets.
fn cost_section(out: &mut String, head: &CostReport, base: Option<&CostReport>) {
    let _ = writeln!(out, "\n### Monthly cost ({})\n", head.currency);
    if let Some(base) = base {
        out.push_str(&cost_diff_markdown(base, head));
    }
    let t = &head.totals;
    let _ = writeln!(
        out,
        "This plan: **{} → {}** per month ({}){}.\n",
        money(t.before),
        money(t.after),
        signed(t.delta),
        if t.incomplete > 0 {
            format!("; {} resource{} not fully priced, so these are lower bounds", t.incomplete, plural(t.incomplete))
        } else {
            String::new()
        }
    );
    if !head.by_environment.is_empty() {
        out.push_str("| Environment | Before | After | Delta | Budget |\n|---|--:|--:|--:|---|\n");
        for (name, totals) in &head.by_environment {
            let _ = writeln!(
                out,
                "| {} | {} | {} | {} | {} |",
                cell(name),
                money(totals.before),
                money(totals.after),
                signed(totals.delta),
                budget(totals)
            );
        }
    }
    if head.resources.is_empty() {
        let _ = writeln!(
            out,
            "\nNothing to price ({} resource changes of types without a price model).",
            head.not_priceable
        );
        return;
    }
    let _ = writeln!(out, "\n<details><summary>Per resource ({})</summary>\n", head.resources.len());
    out.push_str("| Resource | Change | Before | After | Delta |\n|---|---|--:|--:|--:|\n");
    for r in head.resources.iter().take(COST_ROWS) {
        let side = |p: &Option<crate::cost::Priced>| match p {
            Some(p) => money(p.monthly_usd),
            None if r.status == CostStatus::Unknown => "unknown".into(),
            None => "—".into(),
        };
        let _ = writeln!(
            out,
            "| {} | {} | {} | {} | {} |",
            code(&r.address),
            cell(&r.actions.join(", ")),
            side(&r.before),
            side(&r.after),
            r.delta.map_or_else(|| "?".into(), signed)
        );
    }
    if head.resources.len() > COST_ROWS {
        let _ =
            writeln!(out, "\n… and {} more (`oppie-policy cost` lists them all).", head.resources.len() - COST_ROWS);
    }
    if head.not_priceable > 0 {
        let _ = writeln!(out, "\n{} other resource change(s) have types without a price model.", head.not_priceable);
    }
    out.push_str("\n</details>\n");
}

/// The cost difference between the base branch's plan and the pull request's. This is where
/// the per-resource diff of `oppie-policy cost --compare BASE HEAD` plugs in (issue 20, item 2,
/// branch issue-20a: `cost::diff::render::render_markdown(&cost::diff::compare(base, head,
/// budgets))`); until it is on main, this compares the two plans' planned monthly totals,
/// overall and per environment.
pub(crate) fn cost_diff_markdown(base: &CostReport, head: &CostReport) -> String {
    let mut out = String::new();
    let (b, h) = (base.totals.after, head.totals.after);
    let _ = writeln!(
        out,
        "Against the base branch: **{} → {}** per month (**{}**).\n",
        money(b),
        money(h),
        signed(h.saturating_sub(b))
    );
    let mut names: Vec<&String> = base.by_environment.keys().chain(head.by_environment.keys()).collect();
    names.sort();
    names.dedup();
    if names.is_empty() {
        return out;
    }
    out.push_str("| Environment | Base | This PR | Delta | Budget |\n|---|--:|--:|--:|---|\n");
    for name in names {
        let before = base.by_environment.get(name).map_or(Decimal::ZERO, |t| t.after);
        let after = head.by_environment.get(name);
        let now = after.map_or(Decimal::ZERO, |t| t.after);
        let _ = writeln!(
            out,
            "| {} | {} | {} | {} | {} |",
            cell(name),
            money(before),
            money(now),
            signed(now.saturating_sub(before)),
            after.map_or_else(|| "—".into(), budget)
        );
    }
    out.push('\n');
    out
}

fn budget(totals: &Totals) -> String {
    match (totals.budget, totals.over_budget) {
        (Some(budget), Some(true)) => format!("🔴 over {}", money(budget)),
        (Some(budget), _) => format!("within {}", money(budget)),
        _ => "—".into(),
    }
}

fn money(value: Decimal) -> String {
    format!("${value:.2}")
}

fn signed(value: Decimal) -> String {
    if value > Decimal::ZERO {
        format!("+${value:.2}")
    } else if value < Decimal::ZERO {
        format!("-${:.2}", -value)
    } else {
        "$0.00".into()
    }
}

fn icon(severity: Severity) -> &'static str {
    match severity {
        Severity::Critical => "🔴",
        Severity::High => "🟠",
        Severity::Medium => "🟡",
        Severity::Low => "🔵",
        Severity::Info => "⚪",
    }
}

fn title_case(word: &str) -> String {
    let mut chars = word.chars();
    chars.next().map(|c| c.to_uppercase().chain(chars).collect()).unwrap_or_default()
}

fn plural(n: usize) -> &'static str {
    if n == 1 { "" } else { "s" }
}

/// Text from a plan or policy as a table cell: one line, no HTML, no table breaks, no
/// @-mentions or #-references (which would notify people or link issues), Markdown inert.
fn cell(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '\r' | '\n' | '\t' => out.push(' '),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '&' => out.push_str("&amp;"),
            '@' => out.push_str("&#64;"),
            '#' => out.push_str("&#35;"),
            '|' | '\\' | '`' | '*' | '_' | '[' | ']' | '~' | '!' => {
                out.push('\\');
                out.push(c);
            }
            c if c.is_control() => {}
            c => out.push(c),
        }
    }
    out
}

/// Text in a code span (addresses, rule ids, paths): Markdown and mentions are inert inside one;
/// a backtick or a table bar would end it, so those are replaced.
fn code(text: &str) -> String {
    let inner: String = text
        .chars()
        .map(|c| match c {
            '`' => '\'',
            '|' => '¦',
            c if c.is_control() => ' ',
            c => c,
        })
        .collect();
    format!("`{inner}`")
}

/// A repository path in a URL (each segment percent-encoded, slashes kept).
fn url_path(path: &str) -> String {
    let mut out = String::new();
    for byte in path.trim_start_matches("./").bytes() {
        if byte.is_ascii_alphanumeric() || b"-._~/".contains(&byte) {
            out.push(byte as char);
        } else {
            let _ = write!(out, "%{byte:02X}");
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::*;
    use crate::Input;
    use crate::report::fixtures;

    fn plan(instance_type: &str, env: &str) -> CostReport {
        let text = serde_json::json!({"format_version": "1.2", "resource_changes": [{
            "address": "aws_instance.web", "mode": "managed", "type": "aws_instance", "name": "web",
            "change": {"actions": ["create"], "before": null, "after_unknown": {},
                       "after": {"instance_type": instance_type, "availability_zone": "us-east-1a", "tags": {"environment": env}}}}]});
        let input = Input::from_json_str("plan.json", &text.to_string()).unwrap();
        let budgets = BTreeMap::from([("dev".to_string(), crate::cost::money::parse("10").unwrap())]);
        crate::cost::price(&input, &budgets)
    }

    #[test]
    fn body_starts_with_the_marker_and_groups_by_severity() {
        let report = fixtures::report();
        let body = render(&report, &Costs { head: None, base: None }, &Links::none());
        assert!(super::super::is_ours(&body), "{body}");
        assert!(body.contains("## oppie-policy: ❌ failed"));
        assert!(body.contains("**2 failures**, 1 warning, 1 error, 1 exception"));
        let critical = body.find("#### 🔴 Critical (1)").expect("critical table");
        let medium = body.find("#### 🟡 Medium (1)").expect("medium table");
        let low = body.find("#### 🔵 Low (1)").expect("low table");
        let errors = body.find("#### ⚠️ Rules that could not be evaluated (1)").expect("errors");
        let excepted = body.find("<details><summary>Excepted findings</summary>").expect("excepted");
        assert!(critical < medium && medium < low && low < errors && errors < excepted, "{body}");
        // Escaped: no raw HTML from the message, the attribute path, the plan location.
        assert!(body.contains("port 22 open to &lt;world&gt; &amp; \"friends\" (at `ingress[0]`)"), "{body}");
        assert!(body.contains("| `aws_security_group.web` |"));
        assert!(body.contains("`plans/plan one.json:40`"), "{body}");
        assert!(!body.contains("### Monthly cost"));
    }

    #[test]
    fn findings_link_to_their_source_when_known() {
        let report = fixtures::report();
        let source = |_: &FileReport, f: &Finding| {
            (f.resource.as_deref() == Some("aws_security_group.web"))
                .then(|| SourceRef { path: "infra/net work.tf".into(), line: 17 })
        };
        let links = Links { blob_base: Some("https://github.com/o/r/blob/abc123/".into()), source: &source };
        let body = render(&report, &Costs { head: None, base: None }, &links);
        assert!(
            body.contains("[infra/net work.tf:17](https://github.com/o/r/blob/abc123/infra/net%20work.tf#L17)"),
            "{body}"
        );
        assert!(body.contains("`plans/plan one.json:12`"), "others keep the plan location");
    }

    #[test]
    fn text_from_plans_cannot_inject_markdown_or_mentions() {
        assert_eq!(
            cell("a|b\n@team #12 <img src=x> *x* `y`"),
            "a\\|b &#64;team &#35;12 &lt;img src=x&gt; \\*x\\* \\`y\\`"
        );
        assert_eq!(code("a`b|c"), "`a'b¦c`");
        assert_eq!(url_path("./a b/ü.tf"), "a%20b/%C3%BC.tf");
    }

    #[test]
    fn cost_shows_the_plan_and_the_base_comparison() {
        let head = plan("t3.small", "dev");
        let base = plan("t3.micro", "dev");
        let report = fixtures::report();
        let body = render(&report, &Costs { head: Some(&head), base: Some(&base) }, &Links::none());
        assert!(body.contains("### Monthly cost (USD)"), "{body}");
        assert!(body.contains("Against the base branch: **$7.59 → $15.18** per month (**+$7.59**)"), "{body}");
        assert!(body.contains("| dev | $7.59 | $15.18 | +$7.59 | 🔴 over $10.00 |"), "{body}");
        assert!(body.contains("This plan: **$0.00 → $15.18** per month (+$15.18)"), "{body}");
        assert!(body.contains("| `aws_instance.web` | create | — | $15.18 | +$15.18 |"), "{body}");
        let alone = render(&report, &Costs { head: Some(&head), base: None }, &Links::none());
        assert!(!alone.contains("Against the base branch"));
    }

    #[test]
    fn a_huge_report_stays_under_the_limit() {
        let mut report = fixtures::report();
        let finding = report.files[0].findings[0].clone();
        report.files[0].findings = (0..5000)
            .map(|i| Finding { message: format!("{} #{i} {}", finding.message, "x".repeat(200)), ..finding.clone() })
            .collect();
        let body = render(&report, &Costs { head: None, base: None }, &Links::none());
        assert!(body.chars().count() <= MAX_BODY_CHARS);
        assert!(body.contains("more findings not shown here"), "{}", &body[body.len() - 500..]);
    }

    #[test]
    fn a_clean_plan_says_so() {
        let mut report = fixtures::report();
        report.files[0].findings.clear();
        let body = render(&report, &Costs { head: None, base: None }, &Links::none());
        assert!(body.contains("## oppie-policy: ✅ passed"));
        assert!(body.contains("No findings."));
    }
}
