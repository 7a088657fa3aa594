//! JUnit XML output: a test suite per source, a failing test case per item at or above
//! `--fail-on`, a passing one per source without drift.

use std::fmt::Write;

use super::{Report, change_line};

/// Renders the report as JUnit XML.
pub fn render(report: &Report) -> String {
    let mut out = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    let total = report.items().count();
    let failures = report.items().filter(|i| i.severity >= report.fail_on).count();
    let _ = writeln!(out, "<testsuites name=\"oppie drift\" tests=\"{}\" failures=\"{failures}\">", total.max(1));
    for scanned in &report.scanned {
        let failing = scanned.items.iter().filter(|i| i.severity >= report.fail_on).count();
        let _ = writeln!(
            out,
            "  <testsuite name=\"{}\" tests=\"{}\" failures=\"{failing}\">",
            xml(&scanned.source),
            scanned.items.len().max(1)
        );
        if scanned.items.is_empty() {
            let _ = writeln!(out, "    <testcase classname=\"{}\" name=\"no drift\"/>", xml(&scanned.source));
        }
        for item in &scanned.items {
            let name = format!("{} {}", item.address, item.path_string());
            let _ = write!(out, "    <testcase classname=\"{}\" name=\"{}\"", xml(&scanned.source), xml(name.trim()));
            let mut detail = change_line(item, 200);
            for rule in &item.rules {
                detail.push_str(&format!("\n{} ({}): {}", rule.rule_id, rule.severity, rule.message));
            }
            if item.severity >= report.fail_on {
                let _ = writeln!(
                    out,
                    ">\n      <failure type=\"{}\" message=\"{} drift\">{}</failure>\n    </testcase>",
                    item.severity,
                    item.severity,
                    xml(&detail)
                );
            } else {
                let _ = writeln!(
                    out,
                    ">\n      <system-out>{} drift: {}</system-out>\n    </testcase>",
                    item.severity,
                    xml(&detail)
                );
            }
        }
        out.push_str("  </testsuite>\n");
    }
    out.push_str("</testsuites>\n");
    out
}

fn xml(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            // Control characters are not allowed in XML 1.0.
            c if (c as u32) < 0x20 && c != '\n' && c != '\t' => out.push('\u{fffd}'),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::super::{Format, fixtures};

    #[test]
    fn items_at_or_above_fail_on_fail() {
        let xml = fixtures::report().render(Format::Junit);
        assert_eq!(xml.matches("<failure ").count(), 2, "{xml}");
        assert!(xml.contains("<testsuite name=\"envs/dev\" tests=\"3\" failures=\"2\">"), "{xml}");
        assert!(xml.contains("&lt;&amp;&gt;"), "{xml}");
    }
}
