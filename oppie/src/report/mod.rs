//! Renders a drift report: one file per output format, all from the same [`Report`].

mod json;
mod junit;
mod markdown;
mod sarif;
mod text;

use std::str::FromStr;

use oppie_policy::Severity;
use serde::Serialize;

use crate::drift::item::DriftItem;
use crate::remediate::Remediation;

/// Output formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// For the terminal.
    Text,
    /// Machine-readable, stable field names.
    Json,
    /// For a pull-request comment or issue.
    Markdown,
    /// SARIF 2.1.0, for code scanning.
    Sarif,
    /// JUnit XML, for CI test reports.
    Junit,
}

impl FromStr for Format {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "text" => Ok(Self::Text),
            "json" => Ok(Self::Json),
            "markdown" | "md" => Ok(Self::Markdown),
            "sarif" => Ok(Self::Sarif),
            "junit" => Ok(Self::Junit),
            _ => Err(format!("unknown format \"{s}\" (expected text, json, markdown, sarif or junit)")),
        }
    }
}

/// One scanned working directory or plan file.
#[derive(Debug, Clone, Serialize)]
pub struct Scanned {
    /// The directory or plan file.
    pub source: String,
    /// Its drift items.
    pub items: Vec<DriftItem>,
    /// Remediation per item, same order as `items`.
    pub remediations: Vec<Remediation>,
    /// The unified diff of the accept patches, when any item could be patched.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub patch: Option<String>,
}

/// Everything one `oppie drift` run found.
#[derive(Debug, Clone, Serialize)]
pub struct Report {
    /// Per source.
    pub scanned: Vec<Scanned>,
    /// The `--fail-on` threshold.
    pub fail_on: Severity,
}

impl Report {
    /// All items of all sources.
    pub fn items(&self) -> impl Iterator<Item = &DriftItem> {
        self.scanned.iter().flat_map(|s| &s.items)
    }

    /// `true` when an item is at or above `fail_on`.
    pub fn fails(&self) -> bool {
        self.items().any(|i| i.severity >= self.fail_on)
    }

    /// Item counts by severity, most severe first, zeroes left out.
    pub fn counts(&self) -> Vec<(Severity, usize)> {
        let all = [Severity::Critical, Severity::High, Severity::Medium, Severity::Low, Severity::Info];
        all.into_iter().map(|s| (s, self.items().filter(|i| i.severity == s).count())).filter(|(_, n)| *n > 0).collect()
    }

    /// Renders in `format`.
    pub fn render(&self, format: Format) -> String {
        match format {
            Format::Text => text::render(self),
            Format::Json => json::render(self),
            Format::Markdown => markdown::render(self),
            Format::Sarif => sarif::render(self),
            Format::Junit => junit::render(self),
        }
    }
}

/// "3 drift items (1 critical, 2 low)".
fn summary(report: &Report) -> String {
    let total = report.items().count();
    if total == 0 {
        return "no drift".to_string();
    }
    let parts: Vec<String> = report.counts().iter().map(|(s, n)| format!("{n} {s}")).collect();
    format!("{total} drift item{} ({})", if total == 1 { "" } else { "s" }, parts.join(", "))
}

/// One line about an item: `ingress: ["10.0.0.0/8"] -> ["0.0.0.0/0"]` or `deleted outside Terraform`.
fn change_line(item: &DriftItem, max: usize) -> String {
    use crate::drift::item::{ItemKind, short_value};
    match item.kind {
        ItemKind::Deleted => "deleted outside Terraform".to_string(),
        ItemKind::Changed => {
            format!("{}: {} -> {}", item.path_string(), short_value(&item.before, max), short_value(&item.after, max))
        }
    }
}

#[cfg(test)]
pub(crate) mod fixtures {
    use super::*;
    use crate::drift::item::{ItemKind, PathStep, Resource, RuleHit};
    use crate::remediate::Remediation;
    use serde_json::json;

    /// A report with a critical firewall item, a low tag item and a deleted instance.
    pub fn report() -> Report {
        let fw = Resource {
            address: "oppie_firewall.web".into(),
            module: String::new(),
            mode: "managed".into(),
            resource_type: "oppie_firewall".into(),
            name: "web".into(),
            provider: "registry.terraform.io/oppie/oppie".into(),
            deleted: false,
            before: json!({}),
            after: json!({}),
        };
        let mut open = DriftItem::new(
            &fw,
            ItemKind::Changed,
            vec![PathStep::Key("ingress".into()), PathStep::Index(0), PathStep::Key("sources".into())],
            json!(["10.0.0.0/8"]),
            json!(["0.0.0.0/0"]),
        );
        open.rules.push(RuleHit {
            rule_id: "OPP-NET-001".into(),
            title: "SSH open to the internet".into(),
            severity: Severity::Critical,
            controls: vec!["CIS AWS 5.2".into()],
            message: "oppie_firewall.web allows SSH from 0.0.0.0/0 <&>".into(),
        });
        open.severity = Severity::Critical;
        let tag = DriftItem::new(
            &fw,
            ItemKind::Changed,
            vec![PathStep::Key("tags".into()), PathStep::Key("team".into())],
            json!("a"),
            json!("b"),
        );
        let gone =
            Resource { address: "oppie_instance.app".into(), resource_type: "oppie_instance".into(), ..fw.clone() };
        let gone = DriftItem::new(&gone, ItemKind::Deleted, vec![], json!(null), json!(null));
        let items: Vec<DriftItem> = [open, tag, gone]
            .into_iter()
            .map(|mut i| {
                i.source = "envs/dev".into();
                i
            })
            .collect();
        let remediations = items.iter().map(|i| Remediation::plain(i, std::path::Path::new("envs/dev"))).collect();
        Report {
            scanned: vec![Scanned {
                source: "envs/dev".into(),
                items,
                remediations,
                patch: Some("--- a/main.tf\n+++ b/main.tf\n".into()),
            }],
            fail_on: Severity::High,
        }
    }
}
