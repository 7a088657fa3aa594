//! The JSON output: one stable document (`"schema": "oppie-policy/check/v1"`) with the verdict,
//! counts, per-file findings and the rule catalogue. The shape is documented in the README.

use serde::Serialize;

use super::{Report, Summary, status};
use crate::findings::Finding;
use crate::input::DocumentKind;
use crate::locate::{Lookup, SourceLocation};
use crate::rules::{Enforcement, RuleInfo};

#[derive(Serialize)]
struct Document<'a> {
    schema: &'static str,
    tool: Tool,
    fail_on: Enforcement,
    passed: bool,
    summary: Summary,
    files: Vec<File<'a>>,
    rules: Vec<&'a RuleInfo>,
}

#[derive(Serialize)]
struct Tool {
    name: &'static str,
    version: &'static str,
}

#[derive(Serialize)]
struct File<'a> {
    path: &'a str,
    kind: DocumentKind,
    format_version: Option<&'a str>,
    findings: Vec<Entry<'a>>,
}

#[derive(Serialize)]
struct Entry<'a> {
    /// Whether this finding fails the check at `fail_on`.
    fails: bool,
    /// fail | warn | error | excepted
    status: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    line: Option<u32>,
    /// The `.tf` block or attribute, when sources were looked up and found.
    #[serde(skip_serializing_if = "Option::is_none")]
    source: Option<SourceLocation>,
    /// Why `source` is missing when sources were looked up.
    #[serde(skip_serializing_if = "Option::is_none")]
    location_note: Option<String>,
    #[serde(flatten)]
    finding: &'a Finding,
}

pub(super) fn render(report: &Report) -> String {
    let mut text = serde_json::to_string_pretty(&document(report, false))
        .unwrap_or_else(|e| format!("{{\"error\": {}}}", serde_json::Value::String(e.to_string())));
    text.push('\n');
    text
}

/// The document as a JSON value (the policy server adds its own fields to it); with `cited`,
/// `rules` lists only the rules the findings cite.
pub(super) fn value(report: &Report, cited: bool) -> serde_json::Value {
    serde_json::to_value(document(report, cited)).unwrap_or_else(|e| serde_json::json!({"error": e.to_string()}))
}

fn document(report: &Report, cited: bool) -> Document<'_> {
    let files = report
        .files
        .iter()
        .map(|file| File {
            path: &file.path,
            kind: file.kind,
            format_version: file.format_version.as_deref(),
            findings: file
                .findings
                .iter()
                .map(|finding| {
                    let (source, location_note) = match file.source_of(finding) {
                        Some(Lookup::Found(at)) => (Some(at), None),
                        Some(Lookup::NotFound(why)) => (None, Some(why)),
                        None => (None, None),
                    };
                    Entry {
                        fails: finding.fails(report.fail_on),
                        status: status(finding, report.fail_on).name(),
                        line: file.line_of(finding),
                        source,
                        location_note,
                        finding,
                    }
                })
                .collect(),
        })
        .collect();
    Document {
        schema: "oppie-policy/check/v1",
        tool: Tool { name: env!("CARGO_PKG_NAME"), version: env!("CARGO_PKG_VERSION") },
        fail_on: report.fail_on,
        passed: report.passed(),
        summary: report.summary(),
        files,
        rules: match cited {
            false => report.rules.iter().collect(),
            true => {
                let ids: std::collections::HashSet<&str> = report.findings().map(|(_, f)| f.rule_id.as_str()).collect();
                report.rules.iter().filter(|r| ids.contains(r.id.as_str())).collect()
            }
        },
    }
}

#[cfg(test)]
mod tests {
    use super::super::fixtures::report;
    use super::*;

    #[test]
    fn stable_shape() {
        let value: serde_json::Value = serde_json::from_str(&render(&report())).unwrap();
        assert_eq!(value["schema"], "oppie-policy/check/v1");
        assert_eq!(value["passed"], false);
        assert_eq!(value["fail_on"], "soft-mandatory");
        assert_eq!(value["summary"]["failures"], 2);
        assert_eq!(value["summary"]["exceptions"], 1);
        let first = &value["files"][0]["findings"][0];
        assert_eq!(first["rule_id"], "OPPIE-1");
        assert_eq!(first["status"], "fail");
        assert_eq!(first["fails"], true);
        assert_eq!(first["kind"], "violation");
        assert_eq!(first["severity"], "critical");
        assert_eq!(first["enforcement"], "hard-mandatory");
        assert_eq!(first["resource"], "aws_security_group.web");
        assert_eq!(first["path"], serde_json::json!(["ingress", 0]));
        assert_eq!(first["line"], 40);
        assert_eq!(first["controls"], serde_json::json!(["CIS-1.1"]));
        let excepted = &value["files"][0]["findings"][3];
        assert_eq!(excepted["status"], "excepted");
        assert_eq!(excepted["fails"], false);
        assert_eq!(value["files"][0]["findings"][4]["status"], "error");
        assert_eq!(value["rules"].as_array().unwrap().len(), 4);
        assert_eq!(value["rules"][0]["title"], "Title of OPPIE-1");
        assert!(first.get("source").is_none() && first.get("location_note").is_none());
    }

    #[test]
    fn located_findings_carry_their_source_or_why_not() {
        let mut report = report();
        report.files[0].sources = Some(super::super::fixtures::sources());
        let value: serde_json::Value = serde_json::from_str(&render(&report)).unwrap();
        let findings = &value["files"][0]["findings"];
        assert_eq!(findings[0]["source"], serde_json::json!({"file": "infra/main.tf", "line": 7, "column": 5}));
        assert_eq!(findings[0]["line"], 40, "the plan line stays");
        assert!(findings[0].get("location_note").is_none());
        assert_eq!(findings[1]["location_note"], "no `resource \"aws_s3_bucket\" \"logs\"` block");
        assert_eq!(findings[4]["location_note"], "the finding names no resource");
    }
}
