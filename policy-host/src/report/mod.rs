//! Rendering check results: one file per output format (text, json, sarif, junit, github, gitlab),
//! all from the same [`Report`], which also decides pass or fail against `--fail-on`.

mod github;
mod gitlab;
mod json;
mod junit;
mod sarif;
mod text;

use std::collections::HashMap;
use std::str::FromStr;

use serde::Serialize;

use crate::findings::{Finding, FindingKind};
use crate::input::{DocumentKind, Input};
use crate::locate::{Locator, Lookup};
use crate::rules::{Enforcement, RuleInfo};

pub use github::step_summary;

/// Output formats of `oppie-policy check`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// Grouped by resource, for terminals (coloured on a TTY).
    Text,
    /// Stable JSON document (see the README).
    Json,
    /// SARIF 2.1.0, for code-scanning UIs.
    Sarif,
    /// JUnit XML, for CI test viewers.
    Junit,
    /// GitHub Actions workflow commands (`::error ...`).
    Github,
    /// GitLab Code Quality (Code Climate JSON).
    Gitlab,
}

impl FromStr for Format {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "text" => Ok(Self::Text),
            "json" => Ok(Self::Json),
            "sarif" => Ok(Self::Sarif),
            "junit" => Ok(Self::Junit),
            "github" => Ok(Self::Github),
            "gitlab" => Ok(Self::Gitlab),
            _ => Err(format!("unknown format \"{s}\" (expected text, json, sarif, junit, github or gitlab)")),
        }
    }
}

/// The findings for one checked file.
#[derive(Debug, Clone)]
pub struct FileReport {
    /// The file as named on the command line.
    pub path: String,
    /// Plan or state.
    pub kind: DocumentKind,
    /// Its `format_version`.
    pub format_version: Option<String>,
    /// Findings, in evaluation order.
    pub findings: Vec<Finding>,
    /// Line of each resource address in the file (for SARIF and GitHub annotations).
    pub resource_lines: HashMap<String, u32>,
    /// The `.tf` source of each (resource, path) the findings name, when `check` looked them
    /// up (`--config-dir`); `None` when it did not (reports then point at the plan alone).
    pub sources: Option<HashMap<SourceKey, Lookup>>,
}

/// What a finding's source is looked up by: its resource address and attribute path.
pub type SourceKey = (String, Option<Vec<crate::findings::PathStep>>);

impl FileReport {
    /// Builds the report for one input; `locate` computes resource lines (costly on big plans).
    pub fn new(input: &Input, findings: Vec<Finding>, locate: bool) -> Self {
        let lines = if locate { crate::input::resource_lines(input) } else { HashMap::new() };
        Self::with_lines(input, findings, lines)
    }

    /// The same with the resource lines already worked out (see `input::resource_lines_in`).
    pub fn with_lines(input: &Input, findings: Vec<Finding>, resource_lines: HashMap<String, u32>) -> Self {
        Self {
            path: input.name().to_string(),
            kind: input.kind(),
            format_version: input.format_version().map(str::to_string),
            findings,
            resource_lines,
            sources: None,
        }
    }

    /// Looks up every finding's resource and path in the Terraform sources.
    pub fn locate_sources(&mut self, locator: &mut Locator) {
        let mut sources = HashMap::new();
        for finding in &self.findings {
            let Some(address) = &finding.resource else {
                continue;
            };
            let key = (address.clone(), finding.path.clone());
            sources.entry(key).or_insert_with(|| locator.locate(address, finding.path.as_deref()));
        }
        self.sources = Some(sources);
    }

    /// The `.tf` location of a finding: `None` when sources were not looked up, else found or
    /// why not.
    pub fn source_of(&self, finding: &Finding) -> Option<Lookup> {
        let sources = self.sources.as_ref()?;
        let Some(address) = &finding.resource else {
            return Some(Lookup::NotFound("the finding names no resource".into()));
        };
        // Keyed by value: a map lookup with a borrowed tuple would need an owned key anyway.
        let key = (address.clone(), finding.path.clone());
        Some(sources.get(&key).cloned().unwrap_or_else(|| Lookup::NotFound("not looked up".into())))
    }

    /// The line of a finding's resource, if known.
    pub fn line_of(&self, finding: &Finding) -> Option<u32> {
        finding.resource.as_ref().and_then(|r| self.resource_lines.get(r)).copied()
    }
}

/// Counts over all files.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Summary {
    /// Files checked.
    pub files: usize,
    /// Check rules loaded.
    pub rules: usize,
    /// Violations at or above the fail level.
    pub failures: usize,
    /// Violations below the fail level.
    pub warnings: usize,
    /// Rules that could not be evaluated.
    pub errors: usize,
    /// Violations waived by `exception` rules.
    pub exceptions: usize,
}

/// Everything a renderer needs.
#[derive(Debug, Clone)]
pub struct Report {
    /// Per-file findings.
    pub files: Vec<FileReport>,
    /// The rule catalogue.
    pub rules: Vec<RuleInfo>,
    /// Findings at or above this level fail the check.
    pub fail_on: Enforcement,
}

impl Report {
    /// `true` when no finding fails at `fail_on`.
    pub fn passed(&self) -> bool {
        self.findings().all(|(_, f)| !f.fails(self.fail_on))
    }

    /// Every finding with its file.
    pub fn findings(&self) -> impl Iterator<Item = (&FileReport, &Finding)> {
        self.files.iter().flat_map(|file| file.findings.iter().map(move |f| (file, f)))
    }

    /// The counts the renderers print.
    pub fn summary(&self) -> Summary {
        let mut summary = Summary { files: self.files.len(), rules: self.rules.len(), ..Summary::default() };
        for (_, finding) in self.findings() {
            match status(finding, self.fail_on) {
                Status::Fail => summary.failures += 1,
                Status::Warn => summary.warnings += 1,
                Status::Error | Status::ErrorBelow => summary.errors += 1,
                Status::Excepted => summary.exceptions += 1,
            }
        }
        summary
    }

    /// The `--format json` document as a value.
    pub fn to_json_value(&self) -> serde_json::Value {
        json::value(self, false)
    }

    /// Like [`Report::to_json_value`], with only the rules the findings cite in `rules` (each
    /// finding carries its rule's title, severity, level and controls; `summary` still counts
    /// every rule). The policy server answers with it.
    pub fn to_json_value_citing(&self) -> serde_json::Value {
        json::value(self, true)
    }

    /// Renders the report; `colour` applies to text only.
    pub fn render(&self, format: Format, colour: bool) -> String {
        match format {
            Format::Text => text::render(self, colour),
            Format::Json => json::render(self),
            Format::Sarif => sarif::render(self),
            Format::Junit => junit::render(self),
            Format::Github => github::render(self),
            Format::Gitlab => gitlab::render(self),
        }
    }
}

/// How a finding counts for the check.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Status {
    /// A violation that fails the check.
    Fail,
    /// A violation below the fail level.
    Warn,
    /// An evaluation error that fails the check.
    Error,
    /// An evaluation error below the fail level.
    ErrorBelow,
    /// A violation waived by an exception.
    Excepted,
}

impl Status {
    /// The name reports use: fail, warn, error or excepted.
    pub(crate) fn name(self) -> &'static str {
        match self {
            Self::Fail => "fail",
            Self::Warn => "warn",
            Self::Error | Self::ErrorBelow => "error",
            Self::Excepted => "excepted",
        }
    }
}

pub(crate) fn status(finding: &Finding, fail_on: Enforcement) -> Status {
    match (finding.kind, finding.excepted_by.is_some(), finding.fails(fail_on)) {
        (FindingKind::Error, _, true) => Status::Error,
        (FindingKind::Error, _, false) => Status::ErrorBelow,
        (FindingKind::Violation, true, _) => Status::Excepted,
        (FindingKind::Violation, false, true) => Status::Fail,
        (FindingKind::Violation, false, false) => Status::Warn,
    }
}

/// "s" for a count other than one.
pub(crate) fn plural(n: usize) -> &'static str {
    if n == 1 { "" } else { "s" }
}

/// The finding's message led by its resource address, for formats that show a message without
/// its resource; not twice when the message already starts with the address (as the library's do).
pub(crate) fn message_with_address(finding: &Finding) -> String {
    match &finding.resource {
        Some(address) if !finding.message.starts_with(&format!("{address} ")) => {
            format!("{address}: {}", finding.message)
        }
        _ => finding.message.clone(),
    }
}

/// `ingress[0].sources` for a path.
pub(crate) fn path_text(finding: &Finding) -> Option<String> {
    let path = finding.path.as_ref()?;
    let mut out = String::new();
    for step in path {
        match step {
            crate::findings::PathStep::Key(key) => {
                if !out.is_empty() {
                    out.push('.');
                }
                out.push_str(key);
            }
            crate::findings::PathStep::Index(i) => out.push_str(&format!("[{i}]")),
        }
    }
    Some(out)
}

#[cfg(test)]
pub(crate) mod fixtures {
    //! A small report with every kind of finding, shared by the renderer tests.
    use super::*;
    use crate::findings::PathStep;
    use crate::metadata::Annotation;
    use crate::rules::{RuleKind, Severity};

    pub(crate) fn rule(id: &str, kind: RuleKind, enforcement: Enforcement) -> RuleInfo {
        let mut annotation = Annotation {
            title: Some(format!("Title of {id}")),
            description: Some(format!("Why {id} matters.")),
            related_resources: vec!["https://example.com/rules".into()],
            ..Annotation::default()
        };
        annotation.custom.insert("id".into(), id.into());
        annotation.custom.insert("enforcement".into(), enforcement.as_str().into());
        annotation.custom.insert("controls".into(), serde_json::json!(["CIS-1.1"]));
        let name = match kind {
            RuleKind::Warn => "warn_x",
            _ => "deny_x",
        };
        RuleInfo::from_annotation("oppie.test", name, kind, &annotation, None).unwrap()
    }

    fn finding(rule: &RuleInfo, message: &str, resource: Option<&str>) -> Finding {
        Finding {
            kind: FindingKind::Violation,
            rule_id: rule.id.clone(),
            title: rule.title.clone(),
            severity: rule.severity,
            enforcement: rule.enforcement,
            controls: rule.controls.clone(),
            message: message.into(),
            resource: resource.map(str::to_string),
            path: None,
            metadata: serde_json::Map::new(),
            package: rule.package.clone(),
            rule: rule.name.clone(),
            excepted_by: None,
        }
    }

    pub(crate) fn report() -> Report {
        let hard = rule("OPPIE-1", RuleKind::Deny, Enforcement::HardMandatory);
        let soft = rule("OPPIE-2", RuleKind::Deny, Enforcement::SoftMandatory);
        let advisory = rule("OPPIE-3", RuleKind::Warn, Enforcement::Advisory);
        let quiet = rule("OPPIE-4", RuleKind::Deny, Enforcement::HardMandatory);
        let mut with_path = finding(&hard, "port 22 open to <world> & \"friends\"", Some("aws_security_group.web"));
        with_path.path = Some(vec![PathStep::Key("ingress".into()), PathStep::Index(0)]);
        with_path.severity = Severity::Critical;
        let mut excepted = finding(&hard, "waived one", Some("aws_s3_bucket.logs"));
        excepted.excepted_by = Some("data.oppie.test.exception \"x\"".into());
        let mut error = finding(&soft, "rule could not be evaluated: evaluation budget exhausted", None);
        error.kind = FindingKind::Error;
        let findings = vec![
            with_path,
            finding(&soft, "bucket is public", Some("aws_s3_bucket.logs")),
            finding(&advisory, "tag missing", Some("aws_s3_bucket.logs")),
            excepted,
            error,
        ];
        let file = FileReport {
            path: "plans/plan one.json".into(),
            kind: DocumentKind::Plan,
            format_version: Some("1.2".into()),
            findings,
            resource_lines: HashMap::from([
                ("aws_security_group.web".to_string(), 40),
                ("aws_s3_bucket.logs".to_string(), 12),
            ]),
            sources: None,
        };
        Report { files: vec![file], rules: vec![hard, soft, advisory, quiet], fail_on: Enforcement::SoftMandatory }
    }

    /// `.tf` sources for the fixture: the security group found, the bucket not.
    pub(crate) fn sources() -> HashMap<SourceKey, Lookup> {
        let group =
            ("aws_security_group.web".to_string(), Some(vec![PathStep::Key("ingress".into()), PathStep::Index(0)]));
        let found = crate::locate::SourceLocation { file: "infra/main.tf".into(), line: 7, column: 5, note: None };
        let missing = Lookup::NotFound("no `resource \"aws_s3_bucket\" \"logs\"` block".into());
        HashMap::from([(group, Lookup::Found(found)), (("aws_s3_bucket.logs".to_string(), None), missing)])
    }

    #[test]
    fn summary_counts_by_status() {
        let report = report();
        let summary = report.summary();
        assert_eq!(summary, Summary { files: 1, rules: 4, failures: 2, warnings: 1, errors: 1, exceptions: 1 });
        assert!(!report.passed());
        let lenient = Report {
            fail_on: Enforcement::HardMandatory,
            files: vec![FileReport { findings: report.files[0].findings[1..4].to_vec(), ..report.files[0].clone() }],
            ..report.clone()
        };
        assert!(lenient.passed(), "soft-mandatory is overridden by --fail-on hard-mandatory");
    }
}
