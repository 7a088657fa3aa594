//! Terminal output: findings grouped by resource address, each with status, enforcement level,
//! rule id and message; ANSI colour only when the caller says the terminal wants it.

use std::collections::BTreeMap;
use std::fmt::Write;

use super::{Report, Status, path_text, plural, status};
use crate::findings::Finding;
use crate::locate::Lookup;

const RESET: &str = "\x1b[0m";
const BOLD: &str = "\x1b[1m";
const DIM: &str = "\x1b[2m";
const RED: &str = "\x1b[31m";
const YELLOW: &str = "\x1b[33m";
const MAGENTA: &str = "\x1b[35m";
const CYAN: &str = "\x1b[36m";
const GREEN: &str = "\x1b[32m";

struct Paint(bool);

impl Paint {
    fn paint(&self, style: &str, text: &str) -> String {
        if self.0 { format!("{style}{text}{RESET}") } else { text.to_string() }
    }
}

pub(super) fn render(report: &Report, colour: bool) -> String {
    let p = Paint(colour);
    let mut out = String::new();
    for file in &report.files {
        let version = file.format_version.as_deref().unwrap_or("?");
        let kind = match file.kind {
            crate::input::DocumentKind::Plan => "plan",
            crate::input::DocumentKind::State => "state",
            crate::input::DocumentKind::Other => "document",
        };
        let _ = writeln!(out, "{} ({kind}, format {version})", p.paint(BOLD, &file.path));
        if file.findings.is_empty() {
            let _ = writeln!(out, "  {}", p.paint(GREEN, "no findings"));
            out.push('\n');
            continue;
        }
        // Resource groups in address order; findings about the plan as a whole come last.
        let mut groups: BTreeMap<(bool, &str), Vec<&Finding>> = BTreeMap::new();
        for finding in &file.findings {
            let key = match finding.resource.as_deref() {
                Some(address) => (false, address),
                None => (true, "(plan)"),
            };
            groups.entry(key).or_default().push(finding);
        }
        for ((_, address), mut findings) in groups {
            // Most pressing first: failures, errors, warnings, then what exceptions waived.
            let rank = |f: &Finding| match status(f, report.fail_on) {
                Status::Fail => 0,
                Status::Error => 1,
                Status::ErrorBelow => 2,
                Status::Warn => 3,
                Status::Excepted => 4,
            };
            findings.sort_by(|a, b| {
                rank(a)
                    .cmp(&rank(b))
                    .then_with(|| b.enforcement.cmp(&a.enforcement))
                    .then_with(|| a.rule_id.cmp(&b.rule_id))
            });
            let _ = writeln!(out, "  {}", p.paint(BOLD, address));
            for finding in findings {
                let (label, style) = match status(finding, report.fail_on) {
                    Status::Fail => ("FAIL", RED),
                    Status::Warn => ("WARN", YELLOW),
                    Status::Error | Status::ErrorBelow => ("ERROR", MAGENTA),
                    Status::Excepted => ("EXCPT", DIM),
                };
                let mut message = finding.message.replace('\n', "\n                                ");
                if let Some(path) = path_text(finding) {
                    let _ = write!(message, " {}", p.paint(DIM, &format!("(at {path})")));
                }
                if let Some(by) = &finding.excepted_by {
                    let _ = write!(message, " {}", p.paint(DIM, &format!("[excepted by {by}]")));
                }
                match file.source_of(finding) {
                    Some(Lookup::Found(at)) => {
                        let _ = write!(message, " {}", p.paint(DIM, &format!("{}:{}:{}", at.file, at.line, at.column)));
                    }
                    Some(Lookup::NotFound(why)) => {
                        let _ = write!(message, " {}", p.paint(DIM, &format!("(.tf source not found: {why})")));
                    }
                    None => {}
                }
                let _ = writeln!(
                    out,
                    "    {} {} {} {}",
                    p.paint(style, &format!("{label:<5}")),
                    p.paint(style, &format!("{:<14}", finding.enforcement.as_str())),
                    p.paint(CYAN, &finding.rule_id),
                    message
                );
            }
        }
        out.push('\n');
    }
    let s = report.summary();
    let verdict = if report.passed() { p.paint(GREEN, "PASS") } else { p.paint(RED, "FAIL") };
    let _ = writeln!(
        out,
        "{verdict}: {} failure{}, {} warning{}, {} error{}, {} exception{} ({} file{}, {} rules; failing at {} and above)",
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
    out
}

#[cfg(test)]
mod tests {
    use super::super::fixtures::report;
    use super::*;

    #[test]
    fn groups_by_resource_with_level_and_rule() {
        let text = render(&report(), false);
        let expected = "\
plans/plan one.json (plan, format 1.2)
  aws_s3_bucket.logs
    FAIL  soft-mandatory OPPIE-2 bucket is public
    WARN  advisory       OPPIE-3 tag missing
    EXCPT hard-mandatory OPPIE-1 waived one [excepted by data.oppie.test.exception \"x\"]
  aws_security_group.web
    FAIL  hard-mandatory OPPIE-1 port 22 open to <world> & \"friends\" (at ingress[0])
  (plan)
    ERROR soft-mandatory OPPIE-2 rule could not be evaluated: evaluation budget exhausted

FAIL: 2 failures, 1 warning, 1 error, 1 exception (1 file, 4 rules; failing at soft-mandatory and above)
";
        assert_eq!(text, expected);
    }

    #[test]
    fn located_findings_end_with_file_line_column() {
        let mut report = report();
        report.files[0].sources = Some(super::super::fixtures::sources());
        let text = render(&report, false);
        assert!(text.contains("port 22 open to <world> & \"friends\" (at ingress[0]) infra/main.tf:7:5\n"), "{text}");
        assert!(text.contains("bucket is public (.tf source not found: no `resource"), "{text}");
    }

    #[test]
    fn colour_only_when_asked() {
        assert!(!render(&report(), false).contains('\x1b'));
        let coloured = render(&report(), true);
        assert!(coloured.contains("\x1b[31mFAIL "), "{coloured}");
    }
}
