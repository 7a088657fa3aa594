//! Markdown output: a table per source, for a pull-request comment or an issue.

use std::fmt::Write;

use super::{Report, change_line, summary};

/// Renders the report as Markdown.
pub fn render(report: &Report) -> String {
    let mut out = String::from("## Drift\n\n");
    let _ = writeln!(out, "{}\n", capitalise(&summary(report)));
    for scanned in &report.scanned {
        let _ = writeln!(out, "### `{}`\n", escape(&scanned.source));
        if scanned.items.is_empty() {
            out.push_str("No drift.\n\n");
            continue;
        }
        out.push_str("| severity | resource | change | rule | revert |\n|---|---|---|---|---|\n");
        for (item, remediation) in scanned.items.iter().zip(&scanned.remediations) {
            let rules: Vec<String> =
                item.rules.iter().map(|r| format!("{}: {}", r.rule_id, escape(&r.message))).collect();
            let _ = writeln!(
                out,
                "| {} | `{}` | {} | {} | `{}` |",
                item.severity,
                escape(&item.address),
                escape(&change_line(item, 60)),
                rules.join("<br>"),
                escape(&remediation.revert)
            );
        }
        out.push('\n');
        if let Some(patch) = &scanned.patch {
            let _ = writeln!(
                out,
                "<details><summary>Accept the live values (patch)</summary>\n\n```diff\n{patch}```\n</details>\n"
            );
        }
    }
    out
}

fn capitalise(s: &str) -> String {
    let mut chars = s.chars();
    chars.next().map(|c| c.to_uppercase().chain(chars).collect()).unwrap_or_default()
}

/// Table cells: no pipes or newlines, no raw HTML.
fn escape(s: &str) -> String {
    s.replace('|', "\\|").replace('\n', " ").replace('<', "&lt;").replace('>', "&gt;")
}

#[cfg(test)]
mod tests {
    use super::super::{Format, fixtures};

    #[test]
    fn a_table_row_per_item() {
        let md = fixtures::report().render(Format::Markdown);
        assert!(md.contains("| critical | `oppie_firewall.web` |"), "{md}");
        assert!(md.contains("allows SSH from 0.0.0.0/0 &lt;&&gt;"), "{md}");
        assert_eq!(md.matches("\n| ").count(), 4, "{md}");
    }
}
