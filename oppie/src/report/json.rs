//! JSON output: the report as one document with stable field names.

use serde_json::json;

use super::Report;

/// Renders the report as pretty JSON.
pub fn render(report: &Report) -> String {
    let sources: Vec<_> = report
        .scanned
        .iter()
        .map(|s| {
            let items: Vec<_> = s
                .items
                .iter()
                .zip(&s.remediations)
                .map(|(item, remediation)| {
                    let mut value = serde_json::to_value(item).unwrap_or_default();
                    value["path"] = json!(item.path_string());
                    value["remediation"] = serde_json::to_value(remediation).unwrap_or_default();
                    value
                })
                .collect();
            json!({"source": s.source, "items": items, "patch": s.patch})
        })
        .collect();
    let counts: serde_json::Map<_, _> =
        report.counts().into_iter().map(|(s, n)| (s.as_str().to_string(), json!(n))).collect();
    let doc = json!({
        "fail_on": report.fail_on,
        "failed": report.fails(),
        "total": report.items().count(),
        "by_severity": counts,
        "sources": sources,
    });
    let mut text = serde_json::to_string_pretty(&doc).unwrap_or_default();
    text.push('\n');
    text
}

#[cfg(test)]
mod tests {
    use super::super::{Format, fixtures};

    #[test]
    fn items_carry_path_severity_rules_and_remediation() {
        let doc: serde_json::Value = serde_json::from_str(&fixtures::report().render(Format::Json)).unwrap();
        assert_eq!(doc["total"], 3);
        assert_eq!(doc["failed"], true);
        let first = &doc["sources"][0]["items"][0];
        assert_eq!(first["path"], "ingress[0].sources");
        assert_eq!(first["severity"], "critical");
        assert_eq!(first["rules"][0]["rule_id"], "OPP-NET-001");
        assert_eq!(first["remediation"]["revert"], "terraform -chdir=envs/dev apply -target='oppie_firewall.web'");
        assert_eq!(doc["by_severity"]["low"], 1);
    }
}
