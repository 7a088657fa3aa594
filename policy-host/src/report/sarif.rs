//! SARIF 2.1.0 output for code-scanning UIs: rules in `tool.driver.rules`, one result per
//! finding located at the resource (its line in the plan file plus a logical location).

use std::collections::BTreeMap;

use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use super::{Report, Status, path_text, status};
use crate::findings::Finding;
use crate::locate::{Lookup, SourceLocation};
use crate::rules::{Enforcement, RuleInfo, Severity};

/// The schema our output declares (and validates against, see `scripts/validate-sarif.sh`).
pub const SCHEMA: &str = "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json";

fn level(enforcement: Enforcement) -> &'static str {
    match enforcement {
        Enforcement::HardMandatory => "error",
        Enforcement::SoftMandatory => "warning",
        Enforcement::Advisory => "note",
    }
}

/// GitHub code scanning ranks results by `security-severity` (0.0-10.0).
fn security_severity(severity: Severity) -> &'static str {
    match severity {
        Severity::Critical => "9.5",
        Severity::High => "8.0",
        Severity::Medium => "5.5",
        Severity::Low => "3.0",
        Severity::Info => "0.0",
    }
}

fn rule_descriptor(rule: &RuleInfo) -> Value {
    let mut tags = vec![Value::from("terraform"), Value::from(rule.enforcement.as_str())];
    tags.extend(rule.controls.iter().map(|c| Value::from(c.as_str())));
    let help = rule.description.clone().unwrap_or_else(|| rule.title.clone());
    let mut descriptor = json!({
        "id": rule.id,
        "name": rule.name,
        "shortDescription": {"text": rule.title},
        "fullDescription": {"text": help},
        "help": {"text": help},
        "defaultConfiguration": {"level": level(rule.enforcement)},
        "properties": {
            "package": rule.package,
            "severity": rule.severity,
            "enforcement": rule.enforcement,
            "controls": rule.controls,
            "security-severity": security_severity(rule.severity),
            "tags": tags,
        }
    });
    if let Some(uri) = rule.related_resources.first() {
        descriptor["helpUri"] = Value::from(uri.as_str());
    }
    descriptor
}

fn fingerprint(finding: &Finding) -> String {
    let mut hasher = Sha256::new();
    for part in [finding.rule_id.as_str(), finding.resource.as_deref().unwrap_or(""), finding.message.as_str()] {
        hasher.update(part.as_bytes());
        hasher.update([0]);
    }
    hasher.finalize().iter().take(16).map(|b| format!("{b:02x}")).collect()
}

/// A relative file path as a URI reference (spaces and other specials percent-encoded).
fn uri(path: &str) -> String {
    let mut out = String::with_capacity(path.len());
    for byte in path.replace('\\', "/").bytes() {
        if byte.is_ascii_alphanumeric() || b"-._~/:".contains(&byte) {
            out.push(byte as char);
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}

/// A `.tf` location: relative paths against the checkout root (`%SRCROOT%`), absolute
/// ones as `file://` URIs.
fn source_location(at: &SourceLocation) -> Value {
    let artifact = if at.file.starts_with('/') {
        json!({"uri": format!("file://{}", uri(&at.file))})
    } else {
        json!({"uri": uri(&at.file), "uriBaseId": "%SRCROOT%"})
    };
    json!({
        "physicalLocation": {
            "artifactLocation": artifact,
            "region": {"startLine": at.line, "startColumn": at.column}
        }
    })
}

pub(super) fn render(report: &Report) -> String {
    // Rules by id; results may name ids the catalogue lacks (a result's own `id`).
    let mut rules: Vec<Value> = Vec::new();
    let mut index: BTreeMap<String, usize> = BTreeMap::new();
    let mut add_rule = |descriptor: Value, id: &str, rules: &mut Vec<Value>| -> usize {
        *index.entry(id.to_string()).or_insert_with(|| {
            rules.push(descriptor);
            rules.len() - 1
        })
    };
    for rule in &report.rules {
        add_rule(rule_descriptor(rule), &rule.id, &mut rules);
    }
    let artifacts: Vec<Value> = report.files.iter().map(|f| json!({"location": {"uri": uri(&f.path)}})).collect();
    let mut results = Vec::new();
    let mut notifications = Vec::new();
    for (file_index, file) in report.files.iter().enumerate() {
        for finding in &file.findings {
            let descriptor = json!({
                "id": finding.rule_id,
                "name": finding.rule,
                "shortDescription": {"text": finding.title},
                "defaultConfiguration": {"level": level(finding.enforcement)},
            });
            let rule_index = add_rule(descriptor, &finding.rule_id, &mut rules);
            let state = status(finding, report.fail_on);
            let mut message = super::message_with_address(finding);
            if let Some(path) = path_text(finding) {
                message.push_str(&format!(" (at {path})"));
            }
            let in_plan = json!({
                "physicalLocation": {
                    "artifactLocation": {"uri": uri(&file.path), "index": file_index},
                    "region": {"startLine": file.line_of(finding).unwrap_or(1)}
                }
            });
            let source = file.source_of(finding);
            // Code scanning shows a result at its first location: the `.tf` line when found,
            // with the plan line kept as a related location.
            let (mut location, related) = match &source {
                Some(Lookup::Found(at)) => (source_location(at), Some(in_plan)),
                _ => (in_plan, None),
            };
            if let Some(address) = &finding.resource {
                location["logicalLocations"] = json!([{
                    "name": address,
                    "fullyQualifiedName": address,
                    "kind": "resource"
                }]);
            }
            let mut properties = json!({
                "severity": finding.severity,
                "enforcement": finding.enforcement,
                "controls": finding.controls,
                "security-severity": security_severity(finding.severity),
                "fails": finding.fails(report.fail_on),
            });
            if let Some(path) = &finding.path {
                properties["path"] = json!(path);
            }
            if !finding.metadata.is_empty() {
                properties["metadata"] = Value::Object(finding.metadata.clone());
            }
            match &source {
                Some(Lookup::NotFound(why)) => properties["locationNote"] = Value::from(why.as_str()),
                Some(Lookup::Found(at)) => {
                    if let Some(note) = &at.note {
                        properties["locationNote"] = Value::from(note.as_str());
                    }
                }
                None => {}
            }
            let mut result = json!({
                "ruleId": finding.rule_id,
                "ruleIndex": rule_index,
                "kind": "fail",
                "level": if matches!(state, Status::Error | Status::ErrorBelow) { "error" } else { level(finding.enforcement) },
                "message": {"text": message},
                "locations": [location],
                "partialFingerprints": {"oppiePolicyFinding/v1": fingerprint(finding)},
                "properties": properties,
            });
            if let Some(mut related) = related {
                related["id"] = json!(0);
                related["message"] = json!({"text": "the resource in the plan"});
                result["relatedLocations"] = json!([related]);
            }
            if let Some(by) = &finding.excepted_by {
                result["suppressions"] = json!([{"kind": "inSource", "justification": by}]);
            }
            if matches!(state, Status::Error | Status::ErrorBelow) {
                notifications.push(json!({
                    "level": "error",
                    "message": {"text": finding.message},
                    "associatedRule": {"id": finding.rule_id, "index": rule_index},
                }));
            }
            results.push(result);
        }
    }
    let document = json!({
        "$schema": SCHEMA,
        "version": "2.1.0",
        "runs": [{
            "tool": {"driver": {
                "name": "oppie-policy",
                "semanticVersion": env!("CARGO_PKG_VERSION"),
                "informationUri": "https://github.com/oppie/oppie",
                "rules": rules,
            }},
            "invocations": [{
                "executionSuccessful": notifications.is_empty(),
                "toolExecutionNotifications": notifications,
            }],
            "originalUriBaseIds": {"%SRCROOT%": {"description": {"text": "The root of the checkout (relative .tf paths)"}}},
            "artifacts": artifacts,
            "results": results,
            "properties": {"passed": report.passed(), "failOn": report.fail_on},
        }]
    });
    let mut text = serde_json::to_string_pretty(&document).unwrap_or_default();
    text.push('\n');
    text
}

#[cfg(test)]
mod tests {
    use super::super::fixtures::report;
    use super::*;

    /// Structural checks of the SARIF 2.1.0 requirements we rely on; the full JSON-schema
    /// validation runs in `scripts/validate-sarif.sh` (needs Python `jsonschema`).
    #[test]
    fn follows_sarif_2_1_0_structure() {
        let sarif: Value = serde_json::from_str(&render(&report())).unwrap();
        assert_eq!(sarif["version"], "2.1.0");
        assert_eq!(sarif["$schema"], SCHEMA);
        let run = &sarif["runs"][0];
        let rules = run["tool"]["driver"]["rules"].as_array().unwrap();
        assert_eq!(run["tool"]["driver"]["name"], "oppie-policy");
        assert_eq!(rules.len(), 4, "one descriptor per rule id");
        for rule in rules {
            assert!(rule["id"].is_string());
            assert!(rule["shortDescription"]["text"].is_string());
        }
        assert_eq!(rules[0]["helpUri"], "https://example.com/rules");
        assert_eq!(rules[0]["properties"]["tags"], json!(["terraform", "hard-mandatory", "CIS-1.1"]));
        let results = run["results"].as_array().unwrap();
        assert_eq!(results.len(), 5);
        for result in results {
            let index = result["ruleIndex"].as_u64().unwrap() as usize;
            assert_eq!(rules[index]["id"], result["ruleId"]);
            assert!(["error", "warning", "note", "none"].contains(&result["level"].as_str().unwrap()));
            assert!(result["message"]["text"].is_string());
            let physical = &result["locations"][0]["physicalLocation"];
            assert_eq!(physical["artifactLocation"]["uri"], "plans/plan%20one.json");
            assert!(physical["region"]["startLine"].as_u64().unwrap() >= 1);
        }
        let first = &results[0];
        assert_eq!(first["level"], "error");
        assert_eq!(first["locations"][0]["physicalLocation"]["region"]["startLine"], 40);
        assert_eq!(first["locations"][0]["logicalLocations"][0]["fullyQualifiedName"], "aws_security_group.web");
        assert_eq!(results[1]["level"], "warning");
        assert_eq!(results[2]["level"], "note");
        assert_eq!(results[3]["suppressions"][0]["kind"], "inSource");
        assert_eq!(run["invocations"][0]["executionSuccessful"], false);
        assert_eq!(run["invocations"][0]["toolExecutionNotifications"][0]["level"], "error");
        assert!(results[0].get("relatedLocations").is_none());
        assert_ne!(
            results[0]["partialFingerprints"]["oppiePolicyFinding/v1"],
            results[1]["partialFingerprints"]["oppiePolicyFinding/v1"]
        );
    }

    #[test]
    fn located_findings_point_at_the_tf_line() {
        let mut report = report();
        report.files[0].sources = Some(super::super::fixtures::sources());
        let sarif: Value = serde_json::from_str(&render(&report)).unwrap();
        let results = &sarif["runs"][0]["results"];
        let physical = &results[0]["locations"][0]["physicalLocation"];
        assert_eq!(physical["artifactLocation"], json!({"uri": "infra/main.tf", "uriBaseId": "%SRCROOT%"}));
        assert_eq!(physical["region"], json!({"startLine": 7, "startColumn": 5}));
        let related = &results[0]["relatedLocations"][0]["physicalLocation"];
        assert_eq!(related["region"]["startLine"], 40);
        let missing = &results[1];
        assert_eq!(missing["locations"][0]["physicalLocation"]["region"]["startLine"], 12);
        assert!(missing["properties"]["locationNote"].as_str().unwrap().contains("aws_s3_bucket"));
        assert_eq!(
            source_location(&SourceLocation { file: "/abs/a b.tf".into(), line: 1, column: 1, note: None })["physicalLocation"]
                ["artifactLocation"]["uri"],
            "file:///abs/a%20b.tf"
        );
    }
}
