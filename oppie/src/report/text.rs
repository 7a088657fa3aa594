//! Text output: one block per source, one line per item, most severe first.

use std::fmt::Write;

use super::{Report, change_line, summary};

/// Renders the report for a terminal.
pub fn render(report: &Report) -> String {
    let mut out = String::new();
    for scanned in &report.scanned {
        let _ = writeln!(out, "{}:", scanned.source);
        if scanned.items.is_empty() {
            let _ = writeln!(out, "  no drift");
        }
        let mut order: Vec<usize> = (0..scanned.items.len()).collect();
        order.sort_by_key(|&i| std::cmp::Reverse(scanned.items[i].severity));
        for i in order {
            let item = &scanned.items[i];
            let _ = writeln!(
                out,
                "  {:<8} {} {}",
                item.severity.as_str().to_uppercase(),
                item.address,
                change_line(item, 80)
            );
            for rule in &item.rules {
                let controls =
                    if rule.controls.is_empty() { String::new() } else { format!(" [{}]", rule.controls.join(", ")) };
                let _ = writeln!(out, "           {} {}: {}{controls}", rule.rule_id, rule.severity, rule.message);
            }
            if let Some(remediation) = scanned.remediations.get(i) {
                let _ = writeln!(out, "           revert: {}", remediation.revert);
                if let Some(accept) = &remediation.accept {
                    let _ = writeln!(out, "           accept: {accept}");
                }
            }
        }
        if let Some(patch) = &scanned.patch {
            let _ = writeln!(out, "  accept patch (oppie drift --write applies it):");
            for line in patch.lines() {
                let _ = writeln!(out, "    {line}");
            }
        }
    }
    let _ = writeln!(out, "{}", summary(report));
    out
}

#[cfg(test)]
mod tests {
    use super::super::fixtures;

    #[test]
    fn most_severe_first_with_rule_and_remediation() {
        let text = fixtures::report().render(super::super::Format::Text);
        let critical = text.find("CRITICAL oppie_firewall.web ingress[0].sources: [\"10.0.0.0/8\"] -> [\"0.0.0.0/0\"]");
        let low = text.find("LOW      oppie_firewall.web tags.team: \"a\" -> \"b\"");
        assert!(critical.is_some() && low.is_some() && critical < low, "{text}");
        assert!(text.contains("OPP-NET-001 critical"), "{text}");
        assert!(text.contains("HIGH     oppie_instance.app deleted outside Terraform"), "{text}");
        assert!(text.contains("revert: terraform -chdir=envs/dev apply -target='oppie_instance.app'"), "{text}");
        assert!(text.ends_with("3 drift items (1 critical, 1 high, 1 low)\n"), "{text}");
    }
}
