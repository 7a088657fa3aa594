//! Findings: what a rule's results mean, read by conftest's conventions (strings or objects with
//! `msg`), plus our additive fields (`resource`, `path`, overrides) and conftest `exception` rules.

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::engine::{EvalError, RuleResult};
use crate::input::Input;
use crate::rules::{Enforcement, RuleInfo, RuleKind, Severity};

/// Whether a finding is a policy result or a failure to evaluate the rule.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum FindingKind {
    /// The rule reported a problem.
    Violation,
    /// The rule could not be evaluated (error, time or fuel budget, memory cap).
    Error,
}

/// One step of an attribute path: an object key or a list index.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(untagged)]
pub enum PathStep {
    /// An attribute or map key.
    Key(String),
    /// A list index.
    Index(u64),
}

/// One result of one rule against one input. The same type on both sides of the policy server's
/// JSON answer (it serializes, clients such as the provider deserialize).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Finding {
    /// Violation or evaluation error.
    pub kind: FindingKind,
    /// The rule's id (or the result's own `id`, if it gave one).
    pub rule_id: String,
    /// The rule's title.
    pub title: String,
    /// How serious.
    pub severity: Severity,
    /// How hard it blocks.
    pub enforcement: Enforcement,
    /// Control references.
    #[serde(default)]
    pub controls: Vec<String>,
    /// The message (`msg` of the result).
    pub message: String,
    /// The resource address the finding is about, when known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resource: Option<String>,
    /// The attribute path inside the resource (`["ingress", 0, "sources"]`), when the rule gave one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub path: Option<Vec<PathStep>>,
    /// Other fields of the result object (conftest's `details` and the like).
    #[serde(default, skip_serializing_if = "serde_json::Map::is_empty")]
    pub metadata: serde_json::Map<String, Value>,
    /// The Rego package of the rule.
    #[serde(default)]
    pub package: String,
    /// The rule name (`deny_public_bucket`).
    #[serde(default)]
    pub rule: String,
    /// Set when an `exception` rule waived this finding: what matched.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub excepted_by: Option<String>,
}

impl Finding {
    /// `true` when this finding makes `check` fail at `fail_on`.
    pub fn fails(&self, fail_on: Enforcement) -> bool {
        self.excepted_by.is_none() && self.enforcement >= fail_on
    }

    /// `true` when the finding is about `address`: it names it, names no resource, or (a
    /// plan-wide rule such as a budget) lists it among its `contributors`.
    pub fn concerns(&self, address: &str) -> bool {
        match self.resource.as_deref() {
            None => true,
            Some(r) if r == address => true,
            Some(_) => self
                .metadata
                .get("contributors")
                .and_then(|c| c.as_array())
                .is_some_and(|cs| cs.iter().any(|c| c.get("address").and_then(|a| a.as_str()) == Some(address))),
        }
    }
}

/// Turns each rule's results into findings and applies the `exception` rules of each package.
pub fn collect(rules: &[RuleInfo], results: Vec<RuleResult>, input: &Input) -> Vec<Finding> {
    let default_resource = single_resource(input);
    let mut findings = Vec::new();
    let mut exceptions: Vec<(String, Vec<Waiver>)> = Vec::new();
    for (rule, result) in rules.iter().zip(results) {
        match (rule.kind, result) {
            (RuleKind::Exception, Ok(values)) => {
                exceptions.push((rule.package.clone(), values.iter().flat_map(Waiver::parse).collect()));
            }
            (_, Ok(values)) => {
                findings.extend(values.into_iter().map(|value| from_value(rule, value, default_resource.as_deref())))
            }
            (_, Err(error)) => findings.push(error_finding(rule, &error)),
        }
    }
    for finding in &mut findings {
        if finding.kind != FindingKind::Violation {
            continue;
        }
        let Some(kind) = RuleKind::from_rule_name(&finding.rule) else {
            continue;
        };
        let Some(name) = kind.exception_name(&finding.rule) else {
            continue;
        };
        let waiver = exceptions
            .iter()
            .filter(|(package, _)| *package == finding.package)
            .flat_map(|(_, waivers)| waivers)
            .find(|w| w.matches(name, finding));
        if let Some(waiver) = waiver {
            finding.excepted_by = Some(waiver.describe(&finding.package));
        }
    }
    findings
}

/// In a plan with exactly one resource change (the provider's plan-time document), every finding
/// is about that resource even when the rule does not say so.
fn single_resource(input: &Input) -> Option<String> {
    let changes = input.value()["resource_changes"].as_array().ok()?;
    match changes.as_slice() {
        [only] => only["address"].as_string().ok().map(|s| s.to_string()),
        _ => None,
    }
}

fn from_value(rule: &RuleInfo, value: Value, default_resource: Option<&str>) -> Finding {
    let mut finding = Finding {
        kind: FindingKind::Violation,
        rule_id: rule.id.clone(),
        title: rule.title.clone(),
        severity: rule.severity,
        enforcement: rule.enforcement,
        controls: rule.controls.clone(),
        message: String::new(),
        resource: default_resource.map(str::to_string),
        path: None,
        metadata: serde_json::Map::new(),
        package: rule.package.clone(),
        rule: rule.name.clone(),
        excepted_by: None,
    };
    let mut object = match value {
        Value::String(message) => {
            finding.message = message;
            if finding.message.is_empty() {
                finding.message.clone_from(&rule.title);
            }
            return finding;
        }
        Value::Object(object) => object,
        other => {
            finding.message = other.to_string();
            return finding;
        }
    };
    let text = |v: Option<Value>| match v {
        Some(Value::String(s)) => Some(s),
        Some(Value::Null) | None => None,
        Some(other) => Some(other.to_string()),
    };
    finding.message =
        text(object.remove("msg")).or_else(|| text(object.remove("message"))).unwrap_or_else(|| rule.title.clone());
    if let Some(id) = text(object.remove("id")).or_else(|| text(object.remove("rule_id"))) {
        finding.rule_id = id;
    }
    if let Some(title) = text(object.remove("title")) {
        finding.title = title;
    }
    let resource = object.remove("resource").or_else(|| object.remove("address"));
    match resource {
        Some(Value::String(address)) => finding.resource = Some(address),
        // Rules often return the resource change itself.
        Some(Value::Object(rc)) => {
            if let Some(Value::String(address)) = rc.get("address") {
                finding.resource = Some(address.clone());
            }
        }
        _ => {}
    }
    if let Some(path) = object.remove("path") {
        match parse_path(&path) {
            Some(steps) => finding.path = Some(steps),
            None => {
                object.insert("path".into(), path);
            }
        }
    }
    override_level(&mut object, "severity", &mut finding.severity);
    override_level(&mut object, "enforcement", &mut finding.enforcement);
    match object.remove("controls") {
        Some(Value::Array(items)) => {
            finding.controls = items.into_iter().filter_map(|v| text(Some(v))).collect();
        }
        Some(Value::String(control)) => finding.controls = vec![control],
        _ => {}
    }
    // What is left is the rule's own detail (conftest's `details` and the like).
    finding.metadata = object;
    finding
}

/// Applies a per-result `severity`/`enforcement`; an invalid value keeps the rule's own level
/// and stays visible in the metadata.
fn override_level<T: std::str::FromStr<Err = String>>(
    object: &mut serde_json::Map<String, Value>,
    key: &str,
    level: &mut T,
) {
    let Some(value) = object.remove(key) else {
        return;
    };
    match value.as_str().map(str::parse::<T>) {
        Some(Ok(parsed)) => *level = parsed,
        Some(Err(message)) => {
            tracing::warn!("ignoring result {key}: {message}");
            object.insert(format!("invalid_{key}"), value);
        }
        None => {
            object.insert(format!("invalid_{key}"), value);
        }
    }
}

fn parse_path(path: &Value) -> Option<Vec<PathStep>> {
    path.as_array()?
        .iter()
        .map(|step| match step {
            Value::String(key) => Some(PathStep::Key(key.clone())),
            Value::Number(n) => n.as_u64().map(PathStep::Index),
            _ => None,
        })
        .collect()
}

fn error_finding(rule: &RuleInfo, error: &EvalError) -> Finding {
    Finding {
        kind: FindingKind::Error,
        rule_id: rule.id.clone(),
        title: rule.title.clone(),
        severity: rule.severity,
        // A rule that cannot run must not let a plan through silently: it blocks as hard as the
        // rule would (exceptions block hard: without them, waived findings would fail anyway).
        enforcement: match rule.kind {
            RuleKind::Exception => Enforcement::HardMandatory,
            _ => rule.enforcement,
        },
        controls: rule.controls.clone(),
        message: format!("rule could not be evaluated: {error}"),
        resource: None,
        path: None,
        metadata: serde_json::Map::new(),
        package: rule.package.clone(),
        rule: rule.name.clone(),
        excepted_by: None,
    }
}

/// One entry of an `exception` rule.
#[derive(Debug, Clone, PartialEq)]
struct Waiver {
    /// conftest: the rule suffix (`foo` waives `deny_foo`/`violation_foo`; `` waives `deny`/`violation`),
    /// or a rule id.
    rule: String,
    /// Ours: only findings about this resource address.
    resource: Option<String>,
}

impl Waiver {
    /// conftest's `exception contains rules` gives arrays of names; we also take a single
    /// name, or an object `{"rule": ..., "resource": ...}` to waive one resource only.
    fn parse(value: &Value) -> Vec<Self> {
        match value {
            Value::String(rule) => vec![Self { rule: rule.clone(), resource: None }],
            Value::Array(items) => items.iter().flat_map(Self::parse).collect(),
            Value::Object(object) => {
                let field = |k: &str| object.get(k).and_then(Value::as_str).map(str::to_string);
                match field("rule").or_else(|| field("id")) {
                    Some(rule) => vec![Self { rule, resource: field("resource").or_else(|| field("address")) }],
                    None => Vec::new(),
                }
            }
            _ => Vec::new(),
        }
    }

    fn matches(&self, exception_name: &str, finding: &Finding) -> bool {
        let rule = self.rule == exception_name || self.rule == finding.rule_id;
        let resource = match &self.resource {
            None => true,
            Some(address) => finding.resource.as_deref() == Some(address.as_str()),
        };
        rule && resource
    }

    fn describe(&self, package: &str) -> String {
        match &self.resource {
            None => format!("data.{package}.exception \"{}\"", self.rule),
            Some(address) => format!("data.{package}.exception \"{}\" for {address}", self.rule),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::metadata::Annotation;
    use serde_json::json;

    fn rule(package: &str, name: &str) -> RuleInfo {
        let kind = RuleKind::from_rule_name(name).unwrap();
        RuleInfo::from_annotation(package, name, kind, &Annotation::default(), None).unwrap()
    }

    fn plan() -> Input {
        Input::from_json_str(
            "p.json",
            r#"{"format_version":"1.2","resource_changes":[{"address":"a.b"},{"address":"c.d"}]}"#,
        )
        .unwrap()
    }

    #[test]
    fn strings_and_objects_become_findings() {
        let rules = [rule("main", "deny")];
        let results = vec![Ok(vec![
            json!("plain message"),
            json!({
                "msg": "structured",
                "resource": "aws_s3_bucket.logs",
                "path": ["ingress", 0, "sources"],
                "severity": "critical",
                "enforcement": "soft-mandatory",
                "details": {"why": "because"}
            }),
            json!({"msg": "rc object", "resource": {"address": "x.y", "type": "x"}}),
        ])];
        let findings = collect(&rules, results, &plan());
        assert_eq!(findings.len(), 3);
        assert_eq!(findings[0].message, "plain message");
        assert_eq!(findings[0].resource, None);
        assert_eq!(findings[0].enforcement, Enforcement::HardMandatory);
        let structured = &findings[1];
        assert_eq!(structured.resource.as_deref(), Some("aws_s3_bucket.logs"));
        assert_eq!(
            structured.path,
            Some(vec![PathStep::Key("ingress".into()), PathStep::Index(0), PathStep::Key("sources".into())])
        );
        assert_eq!(structured.severity, Severity::Critical);
        assert_eq!(structured.enforcement, Enforcement::SoftMandatory);
        assert_eq!(structured.metadata["details"], json!({"why": "because"}));
        assert_eq!(findings[2].resource.as_deref(), Some("x.y"));
    }

    #[test]
    fn invalid_override_keeps_rule_level() {
        let rules = [rule("main", "warn")];
        let results = vec![Ok(vec![json!({"msg": "m", "enforcement": "urgent"})])];
        let findings = collect(&rules, results, &plan());
        assert_eq!(findings[0].enforcement, Enforcement::Advisory);
        assert_eq!(findings[0].metadata["invalid_enforcement"], "urgent");
    }

    #[test]
    fn single_resource_plan_attributes_findings() {
        let input = Input::from_json_str(
            "one.json",
            r#"{"format_version":"1.2","resource_changes":[{"address":"oppie_bucket.logs"}]}"#,
        )
        .unwrap();
        let findings = collect(&[rule("main", "deny")], vec![Ok(vec![json!("m")])], &input);
        assert_eq!(findings[0].resource.as_deref(), Some("oppie_bucket.logs"));
    }

    #[test]
    fn conftest_exceptions_waive_by_suffix_in_the_same_package() {
        let rules = [
            rule("main", "deny_public"),
            rule("main", "deny"),
            rule("main", "warn_public"),
            rule("other", "deny_public"),
            rule("main", "exception"),
        ];
        let results = vec![
            Ok(vec![json!("public")]),
            Ok(vec![json!("plain")]),
            Ok(vec![json!("warned")]),
            Ok(vec![json!("other package")]),
            Ok(vec![json!(["public"])]),
        ];
        let findings = collect(&rules, results, &plan());
        let excepted: Vec<_> = findings.iter().map(|f| (f.message.as_str(), f.excepted_by.is_some())).collect();
        assert_eq!(excepted, [("public", true), ("plain", false), ("warned", false), ("other package", false)]);
        assert!(!findings[0].fails(Enforcement::Advisory));
        assert!(findings[1].fails(Enforcement::HardMandatory));
    }

    #[test]
    fn empty_exception_name_waives_plain_deny_and_objects_waive_one_resource() {
        let rules = [rule("main", "deny"), rule("main", "exception")];
        let results = vec![
            Ok(vec![json!({"msg": "a", "resource": "a.b"}), json!({"msg": "c", "resource": "c.d"})]),
            Ok(vec![json!({"rule": "", "resource": "a.b"})]),
        ];
        let findings = collect(&rules, results, &plan());
        assert!(findings[0].excepted_by.is_some());
        assert!(findings[1].excepted_by.is_none());
    }

    fn any_json() -> impl proptest::strategy::Strategy<Value = Value> {
        use proptest::prelude::*;
        let leaf = prop_oneof![
            Just(Value::Null),
            any::<bool>().prop_map(Value::from),
            any::<i64>().prop_map(Value::from),
            "[a-z_]{0,8}".prop_map(Value::from),
        ];
        leaf.prop_recursive(3, 24, 6, |inner| {
            prop_oneof![
                proptest::collection::vec(inner.clone(), 0..4).prop_map(Value::from),
                proptest::collection::btree_map(
                    prop_oneof![
                        Just("msg".to_string()),
                        Just("resource".to_string()),
                        Just("path".to_string()),
                        Just("severity".to_string()),
                        Just("enforcement".to_string()),
                        Just("controls".to_string()),
                        Just("rule".to_string()),
                        "[a-z]{1,6}",
                    ],
                    inner,
                    0..5
                )
                .prop_map(|m| Value::Object(m.into_iter().collect())),
            ]
        })
    }

    proptest::proptest! {
        /// Whatever a rule or an exception returns, reading it never panics.
        #[test]
        fn any_result_value_is_read(values in proptest::collection::vec(any_json(), 0..6)) {
            let rules = [rule("main", "deny_x"), rule("main", "exception")];
            let results = vec![Ok(values.clone()), Ok(values)];
            let findings = collect(&rules, results, &plan());
            proptest::prop_assert!(findings.iter().all(|f| f.rule == "deny_x"));
        }
    }

    #[test]
    fn errors_become_error_findings_at_the_rule_level() {
        let rules = [rule("main", "deny_x"), rule("main", "warn_y")];
        let results = vec![Err(EvalError::Budget("time limit".into())), Err(EvalError::Failed("boom".into()))];
        let findings = collect(&rules, results, &plan());
        assert_eq!(findings[0].kind, FindingKind::Error);
        assert_eq!(findings[0].enforcement, Enforcement::HardMandatory);
        assert!(findings[0].message.contains("budget"), "{}", findings[0].message);
        assert_eq!(findings[1].enforcement, Enforcement::Advisory);
    }
}
