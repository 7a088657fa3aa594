//! SARIF 2.1.0 output: one result per item, rules from the policy (or `drift/<category>`),
//! the resource address as the logical location.

use std::collections::BTreeMap;

use oppie_policy::Severity;
use serde_json::{Value, json};

use super::{Report, change_line};

/// Renders the report as a SARIF log.
pub fn render(report: &Report) -> String {
    let mut rules: BTreeMap<String, Value> = BTreeMap::new();
    let mut results = Vec::new();
    for scanned in &report.scanned {
        for item in &scanned.items {
            let (rule_id, title) = match item.rules.first() {
                Some(rule) => (rule.rule_id.clone(), rule.title.clone()),
                None => {
                    let category = serde_json::to_value(item.category).unwrap_or_default();
                    let category = category.as_str().unwrap_or("other").to_string();
                    (format!("drift/{category}"), format!("Drift ({category})"))
                }
            };
            rules.entry(rule_id.clone()).or_insert_with(|| {
                json!({"id": rule_id, "shortDescription": {"text": title},
                       "properties": {"security-severity": security_severity(item.severity)}})
            });
            let mut message = format!("{} drifted: {}", item.address, change_line(item, 200));
            for rule in &item.rules {
                message.push_str(&format!(" ({}: {})", rule.rule_id, rule.message));
            }
            results.push(json!({
                "ruleId": rule_id,
                "level": level(item.severity),
                "message": {"text": message},
                "locations": [{
                    "physicalLocation": {"artifactLocation": {"uri": scanned.source}},
                    "logicalLocations": [{"fullyQualifiedName": format!("{}.{}", item.address, item.path_string()).trim_end_matches('.'),
                                          "kind": "resource"}]
                }],
                "properties": {"severity": item.severity, "kind": item.kind, "address": item.address}
            }));
        }
    }
    let log = json!({
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [{
            "tool": {"driver": {"name": "oppie drift", "informationUri": "https://github.com/oppie/oppie",
                                 "version": env!("CARGO_PKG_VERSION"), "rules": rules.into_values().collect::<Vec<_>>()}},
            "results": results
        }]
    });
    let mut text = serde_json::to_string_pretty(&log).unwrap_or_default();
    text.push('\n');
    text
}

fn level(severity: Severity) -> &'static str {
    match severity {
        Severity::Critical | Severity::High => "error",
        Severity::Medium => "warning",
        Severity::Low | Severity::Info => "note",
    }
}

/// GitHub code scanning's numeric severity (critical ≥ 9, high ≥ 7, medium ≥ 4).
fn security_severity(severity: Severity) -> &'static str {
    match severity {
        Severity::Critical => "9.5",
        Severity::High => "8.0",
        Severity::Medium => "5.5",
        Severity::Low => "3.0",
        Severity::Info => "0.0",
    }
}

#[cfg(test)]
mod tests {
    use super::super::{Format, fixtures};

    #[test]
    fn results_have_rules_levels_and_locations() {
        let log: serde_json::Value = serde_json::from_str(&fixtures::report().render(Format::Sarif)).unwrap();
        let run = &log["runs"][0];
        assert_eq!(run["results"].as_array().unwrap().len(), 3);
        assert_eq!(run["results"][0]["ruleId"], "OPP-NET-001");
        assert_eq!(run["results"][0]["level"], "error");
        assert_eq!(run["results"][1]["ruleId"], "drift/tags");
        assert_eq!(run["results"][1]["level"], "note");
        let ids: Vec<&str> =
            run["tool"]["driver"]["rules"].as_array().unwrap().iter().map(|r| r["id"].as_str().unwrap()).collect();
        assert_eq!(ids, ["OPP-NET-001", "drift/deleted", "drift/tags"]);
        assert_eq!(
            run["results"][0]["locations"][0]["logicalLocations"][0]["fullyQualifiedName"],
            "oppie_firewall.web.ingress[0].sources"
        );
    }
}
