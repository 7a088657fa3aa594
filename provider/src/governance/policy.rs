//! Plan-time policy gating: the `policy {}` provider block, the policies compiled once per
//! provider process (or a shared `oppie-policy serve` endpoint), and findings turned into
//! Terraform diagnostics on the attribute the rule names.

use std::sync::Arc;
use std::time::Duration;

use serde::Deserialize;
use tfplug::cty::{PathStep as Step, Type};
use tfplug::schema::{Attribute, Block, NestedBlock};
use tfplug::validator::one_of;
use tfplug::{AttributePath, Diagnostics};
use tokio::sync::OnceCell;

/// Enforcement levels, lowest first (the Sentinel model).
pub const LEVELS: [&str; 3] = ["advisory", "soft-mandatory", "hard-mandatory"];

/// The `policy {}` block of the provider.
pub fn block() -> NestedBlock {
    NestedBlock::single(
        "policy",
        Block::new()
            .markdown("Evaluate policies on every planned change of an `oppie_*` resource. A finding at or above `enforcement` fails the plan with an error on the attribute the rule names; lower findings are warnings.")
            .attribute(Attribute::string_list("paths").optional().description("Rego policy directories or bundles (`.tar.gz`, Rego or OPA WASM), relative to the working directory."))
            .attribute(Attribute::string_list("data").optional().description("JSON or YAML data files for the policies (e.g. budgets)."))
            .attribute(Attribute::string("endpoint").optional().description("Base URL of a running `oppie-policy serve` (instead of, or in addition to, `paths`)."))
            .attribute(Attribute::string("token").optional().sensitive().description("Bearer token for `endpoint`; defaults to the `OPPIE_POLICY_TOKEN` environment variable."))
            .attribute(
                Attribute::string("enforcement")
                    .default("hard-mandatory")
                    .validator(one_of(LEVELS))
                    .description("Lowest enforcement level that fails the plan: advisory, soft-mandatory or hard-mandatory."),
            ),
    )
}

/// The block as configured.
#[derive(Debug, Clone, Deserialize, Default)]
pub struct PolicyConfig {
    /// Policy directories and bundles.
    pub paths: Option<Vec<String>>,
    /// Data files.
    pub data: Option<Vec<String>>,
    /// Remote server.
    pub endpoint: Option<String>,
    /// Bearer token for the server.
    pub token: Option<crate::secret::Secret>,
    /// Lowest failing level.
    pub enforcement: Option<String>,
}

/// One finding: the policy engine's own type, in-process or read from the server's JSON answer.
pub use oppie_policy::Finding;
use oppie_policy::PathStep;

/// Packages whose rules judge the plan as a whole (an environment's budget); with data
/// files configured they also see the costs of everything planned so far.
const PLAN_WIDE: &str = "oppie.rules.cost";

enum Source {
    Local(Arc<oppie_policy::PolicySet>),
    /// The plan-wide rules, evaluated on the ledger document.
    PlanWide(Arc<oppie_policy::PolicySet>),
    Remote {
        url: String,
        token: Option<crate::secret::Secret>,
        http: reqwest::Client,
    },
}

/// Checks a policy server's base URL: http or https, and a bearer token never over plain
/// HTTP to anything but this machine (a loopback address).
pub fn check_endpoint(url: &str, has_token: bool) -> Result<(), String> {
    let u = crate::clouds::http::base_url(url, "policy")?;
    if has_token && u.scheme() == "http" && !crate::clouds::http::is_loopback(&u) {
        return Err(format!(
            "{url} is plain HTTP, and the policy token is only sent over HTTPS (or to a loopback address on this machine): use https://"
        ));
    }
    Ok(())
}

/// Compiled policies (or a server) and the failing level; shared by every resource.
pub struct Gate {
    config: PolicyConfig,
    fail_level: usize,
    sources: OnceCell<Result<Vec<Source>, String>>,
    /// What every resource planned so far in this process costs, by its internal address
    /// (one entry per planned resource), with the label messages show for it: plan-wide
    /// rules (an environment's budget) see the whole plan, one resource at a time.
    ledger: std::sync::Mutex<std::collections::BTreeMap<String, (String, serde_json::Value)>>,
}

impl Gate {
    /// A gate for the configuration; nothing is compiled until the first plan needs it.
    pub fn new(config: PolicyConfig) -> Option<Gate> {
        let any = config.paths.as_ref().is_some_and(|p| !p.is_empty()) || config.endpoint.is_some();
        let level = config.enforcement.as_deref().unwrap_or("hard-mandatory");
        let fail_level = LEVELS.iter().position(|l| *l == level).unwrap_or(2);
        any.then_some(Gate { config, fail_level, sources: OnceCell::new(), ledger: Default::default() })
    }

    async fn sources(&self) -> Result<&Vec<Source>, Diagnostics> {
        let built = self
            .sources
            .get_or_init(|| async {
                let mut out = Vec::new();
                if let Some(paths) = self.config.paths.clone().filter(|p| !p.is_empty()) {
                    let data = self.config.data.clone().unwrap_or_default();
                    let started = std::time::Instant::now();
                    let plan_wide = !data.is_empty();
                    let (all, wide) = tokio::task::spawn_blocking(move || {
                        let build = |namespaces: Vec<String>| {
                            let mut b = oppie_policy::PolicySet::builder().namespaces(namespaces);
                            for p in &paths {
                                b = b.policy(p);
                            }
                            for d in &data {
                                b = b.data(d);
                            }
                            b
                        };
                        let all = build(Vec::new()).build().map_err(|e| e.to_string())?;
                        // A policy set may have no plan-wide rules at all.
                        let wide = if plan_wide {
                            Some(build(vec![PLAN_WIDE.into()]).allow_empty(true).build().map_err(|e| e.to_string())?)
                        } else {
                            None
                        };
                        Ok::<_, String>((all, wide))
                    })
                    .await
                    .map_err(|e| e.to_string())??;
                    tracing::info!(elapsed_ms = started.elapsed().as_millis() as u64, "policies compiled");
                    out.push(Source::Local(Arc::new(all)));
                    if let Some(w) = wide {
                        out.push(Source::PlanWide(Arc::new(w)));
                    }
                }
                if let Some(url) = &self.config.endpoint {
                    let token = self
                        .config
                        .token
                        .clone()
                        .or_else(|| std::env::var("OPPIE_POLICY_TOKEN").ok().map(crate::secret::Secret::from));
                    check_endpoint(url, token.is_some())?;
                    let http = reqwest::Client::builder()
                        .timeout(Duration::from_secs(30))
                        .build()
                        .map_err(|e| format!("HTTP client: {e}"))?;
                    out.push(Source::Remote { url: url.trim_end_matches('/').to_string(), token, http });
                }
                Ok(out)
            })
            .await;
        built
            .as_ref()
            .map_err(|e| Diagnostics::attribute_error(AttributePath::attr("policy"), "Cannot load policies", e.clone()))
    }

    /// Records the planned change and returns a copy of `document` that also holds the
    /// costs of the other resources planned so far in this process, as cost-only entries.
    fn ledger_document(&self, document: &serde_json::Value, label: &str) -> serde_json::Value {
        let mut doc = document.clone();
        let Some(changes) = doc.get_mut("resource_changes").and_then(|c| c.as_array_mut()) else { return doc };
        let Some(current) = changes.first().cloned() else { return doc };
        let address = current["address"].as_str().unwrap_or_default().to_string();
        let after = &current["change"]["after"];
        let mut summary = current.clone();
        summary["change"] = serde_json::json!({
            "actions": current["change"]["actions"],
            "before": null,
            "after": {
                "estimated_monthly_cost": after["estimated_monthly_cost"],
                "tags": after["tags"],
                "tags_all": after["tags_all"],
            },
            "after_unknown": {},
        });
        let Ok(mut ledger) = self.ledger.lock() else { return doc };
        ledger.insert(address.clone(), (label.to_string(), summary));
        changes.extend(ledger.iter().filter(|(a, _)| **a != address).map(|(_, (_, e))| e.clone()));
        doc
    }

    /// Evaluates the policies on a one-resource plan document (and the plan-wide rules on
    /// the ledger document).
    pub async fn evaluate(&self, document: serde_json::Value, label: &str) -> Result<Vec<Finding>, Diagnostics> {
        let mut findings = Vec::new();
        for source in self.sources().await? {
            match source {
                Source::Local(set) => findings.extend(local(set.clone(), document.clone()).await?),
                Source::PlanWide(set) => {
                    findings.extend(local(set.clone(), self.ledger_document(&document, label)).await?)
                }
                Source::Remote { url, token, http } => {
                    findings.extend(remote(http, url, token.as_ref(), &document).await?)
                }
            }
        }
        // A plan-wide rule may fire on both documents; report it once.
        let mut seen = std::collections::BTreeSet::new();
        findings.retain(|f| seen.insert((f.rule_id.clone(), f.resource.clone(), f.message.clone())));
        Ok(findings)
    }

    /// Writes the labels of planned resources where their internal addresses appear.
    fn relabel(&self, text: &str, address: &str, label: &str) -> String {
        let mut out = text.replace(address, label);
        if out.contains(".oppie_planned_")
            && let Ok(ledger) = self.ledger.lock()
        {
            for (a, (l, _)) in ledger.iter().rev() {
                out = out.replace(a.as_str(), l);
            }
        }
        out
    }

    /// Turns findings about `address` into diagnostics: errors at or above the failing
    /// level, warnings below it and for checks that need values known only after apply.
    /// Messages name the resource by `label`; the summary carries it too, so Terraform does
    /// not fold the findings of two resources into one warning.
    pub fn diagnostics(&self, findings: &[Finding], address: &str, label: &str, ty: &Type) -> Diagnostics {
        let mut diags = Diagnostics::new();
        for f in findings.iter().filter(|f| f.excepted_by.is_none()) {
            if !f.concerns(address) {
                continue;
            }
            let path = f.path.as_deref().map(|p| attribute_path(p, ty)).filter(|p| !p.is_root());
            let level = LEVELS.iter().position(|l| *l == f.enforcement.as_str()).unwrap_or(0);
            let controls =
                if f.controls.is_empty() { String::new() } else { format!("; controls: {}", f.controls.join(", ")) };
            let summary = format!("Policy {}: {} ({label})", f.rule_id, f.title);
            let message = self.relabel(&f.message, address, label);
            if f.kind == oppie_policy::FindingKind::Error {
                let detail = format!("The rule could not be evaluated: {message}");
                push(&mut diags, false, path, summary, detail);
                continue;
            }
            if let Some(needs) = f.metadata.get("needs") {
                let detail = format!(
                    "{message}\n\nThis check needs {needs}, which is known only after apply; it was not decided now."
                );
                push(&mut diags, false, path, summary, detail);
                continue;
            }
            let fails = level >= self.fail_level;
            let verdict = if fails {
                format!(
                    "{} rule ({} severity{controls}): this plan cannot proceed until it is fixed.",
                    f.enforcement, f.severity
                )
            } else {
                format!(
                    "{} rule ({} severity{controls}): reported as a warning because the provider's policy enforcement is {}.",
                    f.enforcement, f.severity, LEVELS[self.fail_level]
                )
            };
            push(&mut diags, fails, path, summary, format!("{message}\n\n{verdict}"));
        }
        diags
    }
}

fn push(diags: &mut Diagnostics, error: bool, path: Option<AttributePath>, summary: String, detail: String) {
    match (error, path) {
        (true, Some(p)) => diags.add_attribute_error(p, summary, detail),
        (true, None) => diags.add_error(summary, detail),
        (false, Some(p)) => diags.add_attribute_warning(p, summary, detail),
        (false, None) => diags.add_warning(summary, detail),
    }
}

async fn local(set: Arc<oppie_policy::PolicySet>, document: serde_json::Value) -> Result<Vec<Finding>, Diagnostics> {
    tokio::task::spawn_blocking(move || -> Result<Vec<Finding>, String> {
        let input = oppie_policy::Input::from_json_value("plan", &document).map_err(|e| e.to_string())?;
        Ok(set.evaluate(&input))
    })
    .await
    .map_err(|e| Diagnostics::error("Policy evaluation failed", e.to_string()))?
    .map_err(|e| Diagnostics::error("Policy evaluation failed", e))
}

async fn remote(
    http: &reqwest::Client,
    url: &str,
    token: Option<&crate::secret::Secret>,
    document: &serde_json::Value,
) -> Result<Vec<Finding>, Diagnostics> {
    #[derive(Deserialize)]
    struct Response {
        findings: Vec<Finding>,
    }
    let fail = |detail: String| Diagnostics::error("Policy server unavailable", format!("{url}/v1/check: {detail}"));
    let mut req = http.post(format!("{url}/v1/check")).json(document);
    if let Some(t) = token {
        req = req.bearer_auth(t.expose());
    }
    let resp = req.send().await.map_err(|e| fail(e.to_string()))?;
    let status = resp.status();
    let body = resp.text().await.map_err(|e| fail(e.to_string()))?;
    if !status.is_success() {
        return Err(fail(format!("HTTP {status}: {}", body.chars().take(300).collect::<String>())));
    }
    serde_json::from_str::<Response>(&body).map(|r| r.findings).map_err(|e| fail(format!("unreadable answer: {e}")))
}

/// A policy's path (`["ingress", 0, "sources"]`) as a Terraform attribute path, following
/// the schema type: object keys are attributes, map keys keys, list positions indices;
/// a set cannot be indexed, so the path stops at it.
pub fn attribute_path(steps: &[PathStep], ty: &Type) -> AttributePath {
    let mut out = AttributePath::root();
    let mut cur = ty.clone();
    for step in steps {
        let next = match (&cur, step) {
            (Type::Object(o), PathStep::Key(k)) => {
                o.attributes.get(k).cloned().map(|t| (Step::Attribute(k.clone()), t))
            }
            (Type::Map(t), PathStep::Key(k)) => Some((Step::Key(k.clone()), (**t).clone())),
            (Type::List(t), PathStep::Index(i)) => i64::try_from(*i).ok().map(|i| (Step::Index(i), (**t).clone())),
            _ => None,
        };
        match next {
            Some((s, t)) => {
                out.0.push(s);
                cur = t;
            }
            None => break,
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn steps(v: serde_json::Value) -> Vec<PathStep> {
        serde_json::from_value(v).unwrap()
    }

    #[test]
    fn paths_follow_the_schema_and_stop_at_sets() {
        let rule = Type::object([("sources", Type::set(Type::String)), ("ports", Type::String)]);
        let ty = Type::object([
            ("ingress", Type::set(rule.clone())),
            ("egress", Type::list(rule)),
            ("tags", Type::map(Type::String)),
        ]);
        assert_eq!(attribute_path(&steps(json!(["ingress", 0, "sources"])), &ty).to_string(), "ingress");
        assert_eq!(attribute_path(&steps(json!(["egress", 1, "ports"])), &ty).to_string(), "egress[1].ports");
        assert_eq!(attribute_path(&steps(json!(["tags", "owner"])), &ty).to_string(), "tags[\"owner\"]");
        assert!(attribute_path(&steps(json!(["nope"])), &ty).is_root());
    }

    fn finding(level: &str, resource: &str) -> Finding {
        serde_json::from_value(json!({
            "kind": "violation", "rule_id": "OPP-NET-001", "title": "SSH open to the world",
            "severity": "high", "enforcement": level, "controls": ["CIS AWS 5.2"],
            "message": format!("{resource} allows 0.0.0.0/0 to port 22"), "resource": resource,
            "path": ["ingress", 0, "sources"]
        }))
        .unwrap()
    }

    #[test]
    fn levels_decide_error_or_warning() {
        let ty = Type::object([("ingress", Type::set(Type::object([("sources", Type::set(Type::String))])))]);
        let gate = Gate::new(PolicyConfig { paths: Some(vec!["p".into()]), ..Default::default() }).unwrap();
        let web = "oppie_firewall.oppie_planned_1";
        let label = "oppie_firewall \"web\"";
        let d = gate.diagnostics(&[finding("hard-mandatory", web)], web, label, &ty);
        assert!(d.has_errors());
        assert_eq!(d.0[0].path.as_ref().unwrap().to_string(), "ingress");
        assert!(d.0[0].summary.ends_with("(oppie_firewall \"web\")"), "{}", d.0[0].summary);
        assert!(d.0[0].detail.starts_with("oppie_firewall \"web\" allows"), "{}", d.0[0].detail);
        assert!(!d.0[0].detail.contains("oppie_planned"), "{}", d.0[0].detail);
        let d = gate.diagnostics(&[finding("advisory", web)], web, label, &ty);
        assert!(!d.has_errors() && d.0.len() == 1);
        let other = gate.diagnostics(&[finding("hard-mandatory", "oppie_firewall.oppie_planned_2")], web, label, &ty);
        assert!(other.is_empty());
    }

    #[test]
    fn a_token_goes_over_plain_http_only_to_this_machine() {
        assert!(check_endpoint("http://127.0.0.1:8181", true).is_ok());
        assert!(check_endpoint("http://localhost:8181/", true).is_ok());
        assert!(check_endpoint("https://policy.example.com", true).is_ok());
        assert!(check_endpoint("http://policy.example.com", false).is_ok());
        let e = check_endpoint("http://policy.example.com", true).unwrap_err();
        assert!(e.contains("plain HTTP") && e.contains("https://"), "{e}");
        assert!(check_endpoint("ftp//nope", false).is_err());
    }

    #[test]
    fn the_token_never_shows_in_debug_output() {
        let config = PolicyConfig { token: Some(crate::secret::Secret::new("canary-token-77")), ..Default::default() };
        assert!(!format!("{config:?}").contains("canary-token-77"));
    }
}
