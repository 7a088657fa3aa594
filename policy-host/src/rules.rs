//! The rule catalogue: which policy rules are checks (conftest's `deny`/`violation`/`warn`
//! conventions), and their id, title, severity, enforcement level and control references.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::error::Location;
use crate::metadata::Annotation;

/// The Sentinel enforcement model: how hard a failing rule blocks.
///
/// Ordered from weakest to strongest, so `level >= fail_on` decides failure.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Enforcement {
    /// Reported, never blocks unless `--fail-on advisory`.
    Advisory,
    /// Blocks by default; `--fail-on hard-mandatory` overrides (lets it through).
    SoftMandatory,
    /// Always blocks.
    HardMandatory,
}

impl Enforcement {
    /// The kebab-case name used in metadata, flags and output.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Advisory => "advisory",
            Self::SoftMandatory => "soft-mandatory",
            Self::HardMandatory => "hard-mandatory",
        }
    }
}

impl fmt::Display for Enforcement {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Enforcement {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim().to_ascii_lowercase().replace('_', "-").as_str() {
            "advisory" => Ok(Self::Advisory),
            "soft-mandatory" | "soft" => Ok(Self::SoftMandatory),
            "hard-mandatory" | "hard" => Ok(Self::HardMandatory),
            _ => {
                Err(format!("unknown enforcement level \"{s}\" (expected advisory, soft-mandatory or hard-mandatory)"))
            }
        }
    }
}

/// How serious a finding is, independent of whether it blocks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// Informational.
    Info,
    /// Low.
    Low,
    /// Medium.
    Medium,
    /// High.
    High,
    /// Critical.
    Critical,
}

impl Severity {
    /// The lowercase name used in metadata and output.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Info => "info",
            Self::Low => "low",
            Self::Medium => "medium",
            Self::High => "high",
            Self::Critical => "critical",
        }
    }

    /// The default severity for a rule that names none: derived from how hard it blocks.
    pub fn default_for(enforcement: Enforcement) -> Self {
        match enforcement {
            Enforcement::Advisory => Self::Low,
            Enforcement::SoftMandatory => Self::Medium,
            Enforcement::HardMandatory => Self::High,
        }
    }
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Severity {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim().to_ascii_lowercase().as_str() {
            "info" | "informational" | "note" => Ok(Self::Info),
            "low" => Ok(Self::Low),
            "medium" | "moderate" => Ok(Self::Medium),
            "high" => Ok(Self::High),
            "critical" => Ok(Self::Critical),
            _ => Err(format!("unknown severity \"{s}\" (expected info, low, medium, high or critical)")),
        }
    }
}

/// Which conftest rule family a rule belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum RuleKind {
    /// `deny` / `deny_*`: fails.
    Deny,
    /// `violation` / `violation_*`: fails, usually with structured results.
    Violation,
    /// `warn` / `warn_*`: reported, does not fail by default.
    Warn,
    /// `exception`: names `deny_*`/`violation_*` rules to waive (conftest exceptions).
    Exception,
}

impl RuleKind {
    /// Classifies a rule name by conftest's conventions: `deny`, `deny_<suffix>`, and so on.
    pub fn from_rule_name(name: &str) -> Option<Self> {
        let family = |prefix: &str| {
            name == prefix
                || name
                    .strip_prefix(prefix)
                    .and_then(|rest| rest.strip_prefix('_'))
                    .is_some_and(|suffix| !suffix.is_empty())
        };
        if name == "exception" {
            Some(Self::Exception)
        } else if family("deny") {
            Some(Self::Deny)
        } else if family("violation") {
            Some(Self::Violation)
        } else if family("warn") {
            Some(Self::Warn)
        } else {
            None
        }
    }

    /// The enforcement a rule of this family gets when its metadata names none.
    pub fn default_enforcement(self) -> Enforcement {
        match self {
            Self::Warn => Enforcement::Advisory,
            Self::Deny | Self::Violation | Self::Exception => Enforcement::HardMandatory,
        }
    }

    /// The suffix conftest exceptions refer to: `deny_foo` → `foo`, `deny` → `` (empty).
    pub fn exception_name(self, rule_name: &str) -> Option<&str> {
        let prefix = match self {
            Self::Deny => "deny",
            Self::Violation => "violation",
            Self::Warn | Self::Exception => return None,
        };
        let rest = rule_name.strip_prefix(prefix)?;
        Some(rest.strip_prefix('_').unwrap_or(rest))
    }
}

/// One check (or exception) rule: what reports and the exit code need to know about it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RuleInfo {
    /// Stable id: `custom.id` from METADATA, else `<package>.<rule name>`.
    pub id: String,
    /// Human title: METADATA `title`, else the id.
    pub title: String,
    /// METADATA `description`, if any.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// The Rego package, dotted (`terraform.aws.s3`).
    pub package: String,
    /// The rule name (`deny_public_bucket`).
    pub name: String,
    /// The conftest family.
    pub kind: RuleKind,
    /// How serious.
    pub severity: Severity,
    /// How hard it blocks.
    pub enforcement: Enforcement,
    /// Control references (`CIS-AWS-2.1.1`, `NIST-800-53:SC-28`).
    pub controls: Vec<String>,
    /// Remaining `custom` METADATA fields, passed through to reports.
    #[serde(skip_serializing_if = "serde_json::Map::is_empty")]
    pub custom: serde_json::Map<String, serde_json::Value>,
    /// `related_resources` URLs from METADATA (the first becomes SARIF `helpUri`).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub related_resources: Vec<String>,
    /// Where the rule is defined, for Rego sources.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub location: Option<Location>,
}

impl RuleInfo {
    /// Builds the catalogue entry for a rule from its effective METADATA annotation.
    ///
    /// Fails with a readable message when the metadata names an unknown severity or
    /// enforcement level, so a typo cannot silently downgrade a rule.
    pub fn from_annotation(
        package: &str,
        name: &str,
        kind: RuleKind,
        annotation: &Annotation,
        location: Option<Location>,
    ) -> Result<Self, String> {
        let mut custom = annotation.custom.clone();
        let text = |v: serde_json::Value| match v {
            serde_json::Value::String(s) => Some(s),
            serde_json::Value::Null => None,
            other => Some(other.to_string()),
        };
        let id = custom.remove("id").and_then(text).unwrap_or_else(|| format!("{package}.{name}"));
        let enforcement = match custom.remove("enforcement").and_then(text) {
            Some(level) => level.parse()?,
            None => kind.default_enforcement(),
        };
        let severity = match custom.remove("severity").and_then(text) {
            Some(level) => level.parse()?,
            None => Severity::default_for(enforcement),
        };
        let controls = match custom.remove("controls") {
            None | Some(serde_json::Value::Null) => Vec::new(),
            Some(serde_json::Value::String(s)) => vec![s],
            Some(serde_json::Value::Array(items)) => items.into_iter().filter_map(text).collect(),
            Some(other) => {
                return Err(format!("`custom.controls` must be a list of strings, found {other}"));
            }
        };
        Ok(Self {
            title: annotation.title.clone().unwrap_or_else(|| id.clone()),
            id,
            description: annotation.description.clone(),
            package: package.to_string(),
            name: name.to_string(),
            kind,
            severity,
            enforcement,
            controls,
            custom,
            related_resources: annotation.related_resources.clone(),
            location,
        })
    }

    /// `true` for rules that produce findings (everything but `exception`).
    pub fn is_check(&self) -> bool {
        self.kind != RuleKind::Exception
    }
}

/// `true` when `package` is one of `namespaces` (or, unless `exact`, below one of them); an empty
/// list allows all. The CLI selects exactly, as conftest's `--namespace` (`main` does not take in
/// `main.gke`); library users (the provider) select a package and its children.
pub(crate) fn in_namespaces(package: &str, namespaces: &[String], exact: bool) -> bool {
    namespaces.is_empty()
        || namespaces.iter().any(|ns| {
            package == ns || (!exact && package.strip_prefix(ns.as_str()).is_some_and(|rest| rest.starts_with('.')))
        })
}

/// conftest's default namespace.
pub(crate) const DEFAULT_NAMESPACE: &str = "main";

/// The namespaces whose rules are checks: those asked for; with none asked for and not all
/// namespaces, conftest's `main` when the policies declare that package, else every package
/// (the Oppie library has no `main`).
pub(crate) fn effective_namespaces(asked: &[String], all: bool, packages: &[Vec<String>]) -> Vec<String> {
    if all || !asked.is_empty() {
        return if all { Vec::new() } else { asked.to_vec() };
    }
    if packages.iter().any(|p| p.len() == 1 && p[0] == DEFAULT_NAMESPACE) {
        vec![DEFAULT_NAMESPACE.to_string()]
    } else {
        Vec::new()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn namespaces_are_exact_and_default_to_main_when_there_is_one() {
        let ns = |v: &[&str]| v.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        assert!(in_namespaces("main", &ns(&["main"]), true));
        assert!(!in_namespaces("main.gke", &ns(&["main"]), true));
        assert!(in_namespaces("main.gke", &ns(&["main"]), false));
        assert!(in_namespaces("anything", &[], true));
        let main = vec![ns(&["main"]), ns(&["main", "gke"])];
        let library = vec![ns(&["oppie", "rules", "x"])];
        assert_eq!(effective_namespaces(&[], false, &main), ns(&["main"]));
        assert_eq!(effective_namespaces(&[], true, &main), Vec::<String>::new());
        assert_eq!(effective_namespaces(&[], false, &library), Vec::<String>::new());
        assert_eq!(effective_namespaces(&ns(&["main.gke"]), false, &main), ns(&["main.gke"]));
    }

    #[test]
    fn conftest_rule_names_are_classified() {
        assert_eq!(RuleKind::from_rule_name("deny"), Some(RuleKind::Deny));
        assert_eq!(RuleKind::from_rule_name("deny_public"), Some(RuleKind::Deny));
        assert_eq!(RuleKind::from_rule_name("violation_x"), Some(RuleKind::Violation));
        assert_eq!(RuleKind::from_rule_name("warn"), Some(RuleKind::Warn));
        assert_eq!(RuleKind::from_rule_name("exception"), Some(RuleKind::Exception));
        assert_eq!(RuleKind::from_rule_name("denylist"), None);
        assert_eq!(RuleKind::from_rule_name("deny_"), None);
        assert_eq!(RuleKind::from_rule_name("allow"), None);
        assert_eq!(RuleKind::Deny.exception_name("deny_public"), Some("public"));
        assert_eq!(RuleKind::Deny.exception_name("deny"), Some(""));
        assert_eq!(RuleKind::Warn.exception_name("warn_x"), None);
    }

    #[test]
    fn metadata_overrides_defaults() {
        let mut annotation = Annotation { title: Some("Buckets are private".into()), ..Annotation::default() };
        annotation.custom.insert("id".into(), "OPPIE-1".into());
        annotation.custom.insert("severity".into(), "critical".into());
        annotation.custom.insert("enforcement".into(), "soft-mandatory".into());
        annotation.custom.insert("controls".into(), serde_json::json!(["CIS-1", "NIST:SC-7"]));
        annotation.custom.insert("owner".into(), "secops".into());
        let rule = RuleInfo::from_annotation("aws.s3", "deny_public", RuleKind::Deny, &annotation, None).unwrap();
        assert_eq!(rule.id, "OPPIE-1");
        assert_eq!(rule.title, "Buckets are private");
        assert_eq!(rule.severity, Severity::Critical);
        assert_eq!(rule.enforcement, Enforcement::SoftMandatory);
        assert_eq!(rule.controls, ["CIS-1", "NIST:SC-7"]);
        assert_eq!(rule.custom.get("owner"), Some(&serde_json::json!("secops")));
    }

    #[test]
    fn defaults_follow_conftest_semantics() {
        let annotation = Annotation::default();
        let deny = RuleInfo::from_annotation("main", "deny", RuleKind::Deny, &annotation, None).unwrap();
        assert_eq!(deny.id, "main.deny");
        assert_eq!(deny.enforcement, Enforcement::HardMandatory);
        assert_eq!(deny.severity, Severity::High);
        let warn = RuleInfo::from_annotation("main", "warn", RuleKind::Warn, &annotation, None).unwrap();
        assert_eq!(warn.enforcement, Enforcement::Advisory);
        assert_eq!(warn.severity, Severity::Low);
    }

    #[test]
    fn namespaces_match_packages_exactly() {
        let ns = vec!["team.a".to_string()];
        assert!(in_namespaces("team.a", &ns, true));
        assert!(!in_namespaces("team.a.b", &ns, true));
        assert!(in_namespaces("team.a.b", &ns, false));
        assert!(!in_namespaces("team.ab", &ns, false));
        assert!(!in_namespaces("team", &ns, false));
    }

    #[test]
    fn bad_levels_are_errors() {
        let mut annotation = Annotation::default();
        annotation.custom.insert("enforcement".into(), "mandatory-ish".into());
        let err = RuleInfo::from_annotation("p", "deny", RuleKind::Deny, &annotation, None).unwrap_err();
        assert!(err.contains("unknown enforcement level"), "{err}");
        assert!(Enforcement::Advisory < Enforcement::SoftMandatory);
        assert!(Enforcement::SoftMandatory < Enforcement::HardMandatory);
    }
}
