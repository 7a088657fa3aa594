//! GitHub Actions output: one workflow command per finding (`::error`, `::warning`, `::notice`)
//! annotating the plan file at the resource's line, and a Markdown job summary.

use std::fmt::Write;

use super::{Report, Status, path_text, plural, status};
use crate::locate::Lookup;
use crate::rules::Enforcement;

/// Escapes a workflow command's message (`%`, CR, LF), per GitHub's toolkit.
fn escape_data(text: &str) -> String {
    text.replace('%', "%25").replace('\r', "%0D").replace('\n', "%0A")
}

/// Escapes a workflow command property value (additionally `:` and `,`).
fn escape_property(text: &str) -> String {
    escape_data(text).replace(':', "%3A").replace(',', "%2C")
}

pub(super) fn render(report: &Report) -> String {
    let mut out = String::new();
    for (file, finding) in report.findings() {
        let state = status(finding, report.fail_on);
        let command = match state {
            Status::Fail | Status::Error => "error",
            Status::Warn | Status::ErrorBelow if finding.enforcement > Enforcement::Advisory => "warning",
            Status::Warn | Status::ErrorBelow | Status::Excepted => "notice",
        };
        let mut title = format!("{} ({})", finding.rule_id, finding.enforcement);
        if state == Status::Excepted {
            title.push_str(" excepted");
        }
        let source = file.source_of(finding);
        let mut properties = String::new();
        match &source {
            // On the `.tf` line, the annotation shows in the pull request's diff.
            Some(Lookup::Found(at)) => {
                let _ = write!(properties, "file={},line={},col={}", escape_property(&at.file), at.line, at.column);
            }
            _ => {
                let _ = write!(properties, "file={}", escape_property(&file.path));
                if let Some(line) = file.line_of(finding) {
                    let _ = write!(properties, ",line={line}");
                }
            }
        }
        let _ = write!(properties, ",title={}", escape_property(&title));
        let mut message = super::message_with_address(finding);
        if let Some(path) = path_text(finding) {
            let _ = write!(message, " (at {path})");
        }
        if let Some(Lookup::NotFound(why)) = &source {
            let _ = write!(message, " [.tf source not found: {why}]");
        }
        if let Some(by) = &finding.excepted_by {
            let _ = write!(message, " [excepted by {by}]");
        }
        let _ = writeln!(out, "::{command} {properties}::{}", escape_data(&message));
    }
    let s = report.summary();
    let _ = writeln!(
        out,
        "oppie-policy: {}: {} failure{}, {} warning{}, {} error{}, {} exception{} ({} rules, failing at {})",
        if report.passed() { "PASS" } else { "FAIL" },
        s.failures,
        plural(s.failures),
        s.warnings,
        plural(s.warnings),
        s.errors,
        plural(s.errors),
        s.exceptions,
        plural(s.exceptions),
        s.rules,
        report.fail_on
    );
    out
}

/// A Markdown table of the findings, for `$GITHUB_STEP_SUMMARY`.
pub fn step_summary(report: &Report) -> String {
    let s = report.summary();
    let mut out = format!(
        "### oppie-policy: {}\n\n{} failure{}, {} warning{}, {} error{}, {} exception{} across {} file{} and {} rules (failing at {}).\n",
        if report.passed() { "passed" } else { "failed" },
        s.failures,
        plural(s.failures),
        s.warnings,
        plural(s.warnings),
        s.errors,
        plural(s.errors),
        s.exceptions,
        plural(s.exceptions),
        s.files,
        plural(s.files),
        s.rules,
        report.fail_on
    );
    let cell = |t: &str| t.replace('|', "\\|").replace('\n', " ");
    let mut rows = String::new();
    for (file, finding) in report.findings() {
        let state = match status(finding, report.fail_on) {
            Status::Fail => "fail",
            Status::Warn => "warn",
            Status::Error | Status::ErrorBelow => "error",
            Status::Excepted => "excepted",
        };
        let _ = writeln!(
            rows,
            "| {state} | {} | `{}` | {} | {} | {} |",
            finding.enforcement,
            cell(&finding.rule_id),
            cell(finding.resource.as_deref().unwrap_or("-")),
            cell(&finding.message),
            cell(&file.path),
        );
    }
    if !rows.is_empty() {
        out.push_str("\n| status | level | rule | resource | message | file |\n|---|---|---|---|---|---|\n");
        out.push_str(&rows);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::super::fixtures::report;
    use super::*;

    #[test]
    fn workflow_commands_per_finding() {
        let text = render(&report());
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines.len(), 6);
        assert_eq!(
            lines[0],
            "::error file=plans/plan one.json,line=40,title=OPPIE-1 (hard-mandatory)::aws_security_group.web: port 22 open to <world> & \"friends\" (at ingress[0])"
        );
        assert!(lines[1].starts_with("::error file=plans/plan one.json,line=12,title=OPPIE-2 (soft-mandatory)::"));
        assert!(lines[2].starts_with("::notice "), "{}", lines[2]);
        assert!(lines[3].contains("title=OPPIE-1 (hard-mandatory) excepted"), "{}", lines[3]);
        assert!(lines[4].starts_with("::error file=plans/plan one.json,title=OPPIE-2"), "{}", lines[4]);
        assert!(lines[5].starts_with("oppie-policy: FAIL: 2 failures"));
    }

    #[test]
    fn located_findings_annotate_the_tf_line() {
        let mut report = report();
        report.files[0].sources = Some(super::super::fixtures::sources());
        let text = render(&report);
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(
            lines[0],
            "::error file=infra/main.tf,line=7,col=5,title=OPPIE-1 (hard-mandatory)::aws_security_group.web: port 22 open to <world> & \"friends\" (at ingress[0])"
        );
        assert!(
            lines[1].starts_with("::error file=plans/plan one.json,line=12,title=OPPIE-2 (soft-mandatory)::")
                && lines[1].ends_with("[.tf source not found: no `resource \"aws_s3_bucket\" \"logs\"` block]"),
            "{}",
            lines[1]
        );
        assert!(lines[4].ends_with("[.tf source not found: the finding names no resource]"), "{}", lines[4]);
    }

    #[test]
    fn escaping_follows_the_toolkit() {
        assert_eq!(escape_data("50%\nnext"), "50%25%0Anext");
        assert_eq!(escape_property("a:b,c"), "a%3Ab%2Cc");
    }

    #[test]
    fn summary_is_a_markdown_table() {
        let summary = step_summary(&report());
        assert!(summary.starts_with("### oppie-policy: failed"));
        assert!(summary.contains("| fail | hard-mandatory | `OPPIE-1` | aws_security_group.web |"));
    }
}
