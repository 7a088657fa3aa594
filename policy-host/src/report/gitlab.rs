//! GitLab Code Quality output (the Code Climate JSON subset GitLab reads): one issue per finding
//! that is not excepted, at the resource's line, with a fingerprint stable across runs.

use std::collections::HashMap;

use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use super::{FileReport, Report, Status, path_text, status};
use crate::findings::{Finding, FindingKind};
use crate::rules::Severity;

/// GitLab's five levels. A rule's severity maps one to one; an evaluation error is `major`
/// (the check could not tell, so a reviewer should look).
fn severity(finding: &Finding) -> &'static str {
    if finding.kind == FindingKind::Error {
        return "major";
    }
    match finding.severity {
        Severity::Critical => "blocker",
        Severity::High => "critical",
        Severity::Medium => "major",
        Severity::Low => "minor",
        Severity::Info => "info",
    }
}

/// Where GitLab shows the issue: the file and line of the finding. Today the plan file at the
/// resource's line; the `.tf` location (`check --config-dir`) takes its place when known.
fn location(file: &FileReport, finding: &Finding) -> (String, u32) {
    (file.path.replace('\\', "/"), file.line_of(finding).unwrap_or(1))
}

/// A hash of what identifies the finding, not where it is: GitLab compares the fingerprints of
/// the merge request's report with the target branch's to tell new issues from fixed ones, so a
/// line that moves must not make a finding new. Equal findings get an occurrence number.
fn fingerprint(finding: &Finding, occurrences: &mut HashMap<String, usize>) -> String {
    let path = path_text(finding).unwrap_or_default();
    let mut hasher = Sha256::new();
    for part in [
        finding.rule_id.as_str(),
        finding.package.as_str(),
        finding.resource.as_deref().unwrap_or(""),
        path.as_str(),
        finding.message.as_str(),
    ] {
        hasher.update(part.as_bytes());
        hasher.update([0]);
    }
    let base: String = hasher.finalize().iter().map(|b| format!("{b:02x}")).collect();
    let seen = occurrences.entry(base.clone()).or_insert(0);
    *seen += 1;
    if *seen == 1 {
        base
    } else {
        let mut hasher = Sha256::new();
        hasher.update(base.as_bytes());
        hasher.update(seen.to_string().as_bytes());
        hasher.finalize().iter().map(|b| format!("{b:02x}")).collect()
    }
}

pub(super) fn render(report: &Report) -> String {
    let mut occurrences = HashMap::new();
    let mut issues = Vec::new();
    for (file, finding) in report.findings() {
        let state = status(finding, report.fail_on);
        if state == Status::Excepted {
            continue;
        }
        let mut description = super::message_with_address(finding);
        if let Some(path) = path_text(finding) {
            description.push_str(&format!(" (at {path})"));
        }
        description.push_str(&format!(" [{}, {}]", finding.enforcement, state.name()));
        let (path, line) = location(file, finding);
        issues.push(json!({
            "type": "issue",
            "description": description,
            "check_name": finding.rule_id,
            "categories": ["Security"],
            "fingerprint": fingerprint(finding, &mut occurrences),
            "severity": severity(finding),
            "location": {"path": path, "lines": {"begin": line}},
        }));
    }
    let mut text = serde_json::to_string_pretty(&Value::Array(issues)).unwrap_or_default();
    text.push('\n');
    text
}

#[cfg(test)]
mod tests {
    use super::super::fixtures::report;
    use super::*;

    #[test]
    fn one_issue_per_finding_not_excepted() {
        let issues: Vec<Value> = serde_json::from_str(&render(&report())).unwrap();
        assert_eq!(issues.len(), 4, "the excepted finding is left out");
        for issue in &issues {
            for key in ["description", "check_name", "fingerprint", "severity"] {
                assert!(issue[key].is_string(), "{key} in {issue}");
            }
            assert!(["info", "minor", "major", "critical", "blocker"].contains(&issue["severity"].as_str().unwrap()));
            assert_eq!(issue["location"]["path"], "plans/plan one.json");
            assert!(issue["location"]["lines"]["begin"].as_u64().unwrap() >= 1);
        }
        assert_eq!(issues[0]["check_name"], "OPPIE-1");
        assert_eq!(issues[0]["severity"], "blocker", "critical severity");
        assert_eq!(issues[0]["location"]["lines"]["begin"], 40);
        assert!(issues[0]["description"].as_str().unwrap().contains("(at ingress[0]) [hard-mandatory, fail]"));
        assert_eq!(issues[1]["location"]["lines"]["begin"], 12);
        assert_eq!(issues[3]["severity"], "major", "an evaluation error");
        assert_eq!(issues[3]["location"]["lines"]["begin"], 1, "no resource: the top of the file");
    }

    #[test]
    fn fingerprints_are_stable_unique_and_ignore_lines() {
        let first = render(&report());
        assert_eq!(first, render(&report()), "same input, same output");
        let issues: Vec<Value> = serde_json::from_str(&first).unwrap();
        let prints: std::collections::HashSet<&str> =
            issues.iter().map(|i| i["fingerprint"].as_str().unwrap()).collect();
        assert_eq!(prints.len(), issues.len());
        assert!(prints.iter().all(|p| p.len() == 64 && p.bytes().all(|b| b.is_ascii_hexdigit())));
        let mut moved = report();
        moved.files[0].resource_lines.insert("aws_security_group.web".into(), 900);
        let again: Vec<Value> = serde_json::from_str(&render(&moved)).unwrap();
        assert_eq!(again[0]["fingerprint"], issues[0]["fingerprint"]);
        assert_eq!(again[0]["location"]["lines"]["begin"], 900);
        // The same finding twice (two files with one plan): distinct fingerprints.
        let mut twice = report();
        twice.files.push(twice.files[0].clone());
        let issues: Vec<Value> = serde_json::from_str(&render(&twice)).unwrap();
        let prints: std::collections::HashSet<&str> =
            issues.iter().map(|i| i["fingerprint"].as_str().unwrap()).collect();
        assert_eq!(prints.len(), 8);
    }
}
