//! Unmanaged resources: `terraform query` lists what exists in the cloud, and whatever no state of
//! the working directory manages becomes an item, with the import and config blocks that adopt it.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use serde_json::Value;

use super::item::{DriftItem, ItemKind, Resource};

/// The `oppie_*` kinds whose list resources list today (the others answer "not built yet").
pub const LISTABLE: [&str; 5] = ["oppie_network", "oppie_subnet", "oppie_firewall", "oppie_instance", "oppie_bucket"];

/// The query file oppie writes next to the configuration when the directory has none.
pub const GENERATED_QUERY: &str = "oppie-unmanaged.tfquery.hcl";

/// Tags never used as a filter: they name one object, not the project.
const NAMING_TAGS: [&str; 2] = ["Name", "name"];

/// Terraform lists at most 100 objects per list block unless told.
const LIST_LIMIT: u32 = 1000;

/// One object `terraform query` found.
#[derive(Debug, Clone, PartialEq)]
pub struct Found {
    /// `oppie_instance`.
    pub resource_type: String,
    /// `legacy-api (i-0abc…)`.
    pub display_name: String,
    /// The identity (`cloud`, `region`, `id` for the oppie kinds).
    pub identity: BTreeMap<String, Value>,
    /// Its values as the provider read them (when Terraform gave them).
    pub object: Value,
    /// Generated `resource` block (with `-generate-config-out`).
    pub config: Option<String>,
    /// Generated `import` block.
    pub import: Option<String>,
}

impl Found {
    /// The identity's `id`, else the whole identity as text.
    fn id(&self) -> String {
        match self.identity.get("id").and_then(Value::as_str) {
            Some(id) => id.to_string(),
            None => serde_json::to_string(&self.identity).unwrap_or_default(),
        }
    }

    /// A stable address for the report and the history: `oppie_instance.unmanaged["aws/us-east/i-0abc"]`.
    pub fn address(&self) -> String {
        let part = |k: &str| self.identity.get(k).and_then(Value::as_str).unwrap_or("").to_string();
        let key =
            [part("cloud"), part("region"), self.id()].iter().filter(|p| !p.is_empty()).cloned().collect::<Vec<_>>();
        format!("{}.unmanaged[{}]", self.resource_type, Value::String(key.join("/")))
    }

    /// The import and resource blocks that adopt the object, its label taken from its name.
    pub fn adopt(&self, taken: &mut BTreeSet<String>) -> Option<String> {
        let (config, import) = (self.config.as_deref()?, self.import.as_deref()?);
        let generated = generated_label(config)?;
        let name = self.display_name.split(" (").next().unwrap_or_default();
        let mut label = label_from(name);
        if !taken.insert(label.clone()) {
            let base = label.clone();
            let mut n = 2;
            while !taken.insert(format!("{base}_{n}")) {
                n += 1;
            }
            label = format!("{base}_{n}");
        }
        let import =
            import.replace(&format!("{}.{generated}", self.resource_type), &format!("{}.{label}", self.resource_type));
        let config = config.replacen(&format!("\"{generated}\""), &format!("\"{label}\""), 1);
        Some(format!("{import}\n\n{config}\n"))
    }
}

/// The label Terraform gave a generated block: `resource "oppie_network" "a_0" {` gives `a_0`.
fn generated_label(config: &str) -> Option<String> {
    let first = config.lines().next()?;
    let mut quoted = first.split('"').skip(1).step_by(2);
    let _ty = quoted.next()?;
    quoted.next().map(str::to_string)
}

/// A Terraform identifier from an object's name: `legacy-api` gives `legacy_api`.
fn label_from(name: &str) -> String {
    let mut label: String = name
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() || c == '_' { c.to_ascii_lowercase() } else { '_' })
        .collect();
    label.truncate(64);
    if label.is_empty() || !label.starts_with(|c: char| c.is_ascii_alphabetic() || c == '_') {
        label = format!("adopted_{label}");
    }
    label
}

/// The object ids the state manages, by resource type: the identity's `id`, else `values.id`.
pub fn managed_ids(state: Option<&Value>) -> BTreeSet<(String, String)> {
    let Some(state) = state else { return BTreeSet::new() };
    state_resources(state)
        .into_iter()
        .filter(|r| r["mode"] == "managed")
        .filter_map(|r| {
            let id = r["identity"]["id"].as_str().or_else(|| r["values"]["id"].as_str())?;
            Some((r["type"].as_str().unwrap_or_default().to_string(), id.to_string()))
        })
        .collect()
}

/// List blocks for the listable `oppie_*` kinds the plan's configuration or state uses, in each
/// cloud and region its state uses, filtered by the tags every resource there carries (the
/// project's default tags), so another team's objects are not reported. `None` when there is
/// nothing to list. `prior_state` is a refresh-only plan's refreshed state; `config_types` are its
/// configuration's resource types ([`super::PlanDrift::config_types`]), which name the kinds even
/// of resources deleted outside Terraform.
pub fn query_for_plan(prior_state: Option<&Value>, config_types: &BTreeSet<String>) -> Option<String> {
    let mut kinds: BTreeSet<String> = BTreeSet::new();
    // (cloud, region) -> tags common to all resources there.
    let mut places: BTreeMap<(String, String), Option<BTreeMap<String, String>>> = BTreeMap::new();
    for r in state_resources(prior_state.unwrap_or(&Value::Null)) {
        let ty = r["type"].as_str().unwrap_or_default();
        if r["mode"] != "managed" || !ty.starts_with("oppie_") {
            continue;
        }
        kinds.insert(ty.to_string());
        let v = &r["values"];
        let text = |k: &str| v[k].as_str().unwrap_or_default().to_string();
        if text("cloud").is_empty() || !v["tags_all"].is_object() {
            continue; // oppie_environment and other cloud-less or untagged kinds set no filter
        }
        let tags: BTreeMap<String, String> = v["tags_all"]
            .as_object()
            .into_iter()
            .flatten()
            .filter(|(k, _)| !NAMING_TAGS.contains(&k.as_str()))
            .filter_map(|(k, v)| v.as_str().map(|v| (k.clone(), v.to_string())))
            .collect();
        let common = places.entry((text("cloud"), text("region"))).or_insert(None);
        *common = Some(match common.take() {
            None => tags,
            Some(mut c) => {
                c.retain(|k, v| tags.get(k) == Some(v));
                c
            }
        });
    }
    kinds.extend(config_types.iter().cloned());
    kinds.retain(|k| LISTABLE.contains(&k.as_str()));
    if kinds.is_empty() || places.is_empty() {
        return None;
    }
    let mut out = String::from(
        "# Written by `oppie drift --unmanaged` for one scan and removed after it: the kinds, clouds,\n# regions and common tags of this directory.\n",
    );
    let mut n = 0;
    for ((cloud, region), tags) in &places {
        for ty in &kinds {
            out.push_str(&format!(
                "\nlist \"{ty}\" \"oppie_unmanaged_{n}\" {{\n  provider = oppie\n  limit    = {LIST_LIMIT}\n  config {{\n"
            ));
            n += 1;
            out.push_str(&format!("    cloud  = {}\n", Value::String(cloud.clone())));
            if !region.is_empty() {
                out.push_str(&format!("    region = {}\n", Value::String(region.clone())));
            }
            let tags = tags.clone().unwrap_or_default();
            if !tags.is_empty() {
                let pairs: Vec<String> = tags
                    .iter()
                    .map(|(k, v)| format!("{} = {}", Value::String(k.clone()), Value::String(v.clone())))
                    .collect();
                out.push_str(&format!("    tags   = {{ {} }}\n", pairs.join(", ")));
            }
            out.push_str("  }\n}\n");
        }
    }
    Some(out)
}

/// The resources of a state document, modules included (bounded depth).
fn state_resources(state: &Value) -> Vec<&Value> {
    let mut out = Vec::new();
    let mut stack = vec![(&state["values"]["root_module"], 0)];
    while let Some((module, depth)) = stack.pop() {
        out.extend(module["resources"].as_array().into_iter().flatten());
        if depth < 16 {
            stack.extend(module["child_modules"].as_array().into_iter().flatten().map(|c| (c, depth + 1)));
        }
    }
    out
}

/// The `.tfquery.hcl` files of `dir`.
pub fn query_files(dir: &Path) -> std::io::Result<Vec<PathBuf>> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.file_name().and_then(|n| n.to_str()).is_some_and(|n| n.ends_with(".tfquery.hcl")))
        .collect();
    files.sort();
    Ok(files)
}

/// Why a query output could not be read.
#[derive(Debug, thiserror::Error)]
pub enum QueryError {
    /// Terraform reported errors.
    #[error("terraform query reported errors:\n{0}")]
    Diagnostics(String),
}

/// Reads `terraform query -json` output: the objects found (lines that are not JSON are skipped).
pub fn parse_query_json(text: &str) -> Result<Vec<Found>, QueryError> {
    let mut found = Vec::new();
    let mut errors = Vec::new();
    for line in text.lines() {
        let Ok(msg) = serde_json::from_str::<Value>(line) else { continue };
        match msg["type"].as_str() {
            Some("list_resource_found") => {
                let r = &msg["list_resource_found"];
                let identity: BTreeMap<String, Value> =
                    r["identity"].as_object().map(|o| o.clone().into_iter().collect()).unwrap_or_default();
                let Some(ty) = r["resource_type"].as_str() else { continue };
                if identity.is_empty() {
                    continue;
                }
                found.push(Found {
                    resource_type: ty.to_string(),
                    display_name: r["display_name"].as_str().unwrap_or_default().to_string(),
                    identity,
                    object: r["resource_object"].clone(),
                    config: r["config"].as_str().map(str::to_string),
                    import: r["import_config"].as_str().map(str::to_string),
                });
            }
            Some("diagnostic") if msg["diagnostic"]["severity"] == "error" => {
                let d = &msg["diagnostic"];
                let place = d["address"].as_str().map(|a| format!("{a}: ")).unwrap_or_default();
                errors.push(format!(
                    "{place}{}: {}",
                    d["summary"].as_str().unwrap_or_default(),
                    d["detail"].as_str().unwrap_or_default()
                ));
            }
            _ => {}
        }
    }
    if errors.is_empty() { Ok(found) } else { Err(QueryError::Diagnostics(errors.join("\n"))) }
}

/// The objects no state manages, three lists in the same order.
#[derive(Debug, Default)]
pub struct Unmanaged {
    /// One item (kind `unmanaged`) per object.
    pub items: Vec<DriftItem>,
    /// For the policy evaluation: no state value, the listed values live.
    pub resources: Vec<Resource>,
    /// The import and resource blocks that adopt each, when Terraform generated them.
    pub adopts: Vec<Option<String>>,
}

/// The objects of `found` no state manages.
pub fn unmanaged(found: &[Found], managed: &BTreeSet<(String, String)>, provider: &str) -> Unmanaged {
    let mut items = Vec::new();
    let mut resources = Vec::new();
    let mut adopts = Vec::new();
    let mut seen = BTreeSet::new();
    let mut labels = BTreeSet::new();
    for f in found {
        if managed.contains(&(f.resource_type.clone(), f.id())) || !seen.insert(f.address()) {
            continue;
        }
        let resource = Resource {
            address: f.address(),
            module: String::new(),
            mode: "managed".into(),
            resource_type: f.resource_type.clone(),
            name: "unmanaged".into(),
            provider: provider.to_string(),
            deleted: false,
            before: Value::Null,
            after: f.object.clone(),
        };
        items.push(DriftItem::new(
            &resource,
            ItemKind::Unmanaged,
            vec![],
            Value::Null,
            Value::String(f.display_name.clone()),
        ));
        adopts.push(f.adopt(&mut labels));
        resources.push(resource);
    }
    Unmanaged { items, resources, adopts }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn state() -> Value {
        json!({"values": {"root_module": {
            "resources": [
                {"mode": "managed", "type": "oppie_network", "address": "oppie_network.main",
                 "identity": {"cloud": "aws", "region": "us-east", "id": "vpc-1"},
                 "values": {"id": "vpc-1", "cloud": "aws", "region": "us-east",
                            "tags_all": {"project": "shop", "environment": "dev", "Name": "net"}}},
                {"mode": "data", "type": "oppie_catalog", "address": "data.oppie_catalog.c", "values": {"id": "x"}},
            ],
            "child_modules": [{"resources": [
                {"mode": "managed", "type": "oppie_network", "address": "module.m.oppie_network.b",
                 "values": {"id": "vpc-2", "cloud": "aws", "region": "us-east",
                            "tags_all": {"project": "shop", "environment": "prod"}}},
                {"mode": "managed", "type": "oppie_key", "address": "module.m.oppie_key.k",
                 "values": {"id": "key-1", "cloud": "aws", "region": "us-east", "tags_all": null}},
            ]}]
        }}})
    }

    #[test]
    fn the_generated_query_lists_each_kind_cloud_and_region_by_common_tags() {
        // The instance was deleted outside Terraform: only the configuration still names its kind.
        let config = json!({"root_module": {"module_calls": {"app": {"module": {"resources": [
            {"mode": "managed", "type": "oppie_instance", "address": "oppie_instance.app"}]}}}}});
        let plan = json!({"format_version": "1.2", "prior_state": state(), "configuration": config});
        let drift = crate::drift::plan::from_value("p", plan).expect("a plan");
        let q = query_for_plan(drift.prior_state.as_ref(), &drift.config_types).expect("a query");
        assert_eq!(q.matches("list \"").count(), 2, "{q}");
        assert!(q.contains("list \"oppie_network\" \"oppie_unmanaged_1\""), "{q}");
        assert!(q.contains("list \"oppie_instance\" \"oppie_unmanaged_0\""), "{q}");
        assert!(q.contains("cloud  = \"aws\"") && q.contains("region = \"us-east\""), "{q}");
        assert!(q.contains("tags   = { \"project\" = \"shop\" }"), "only the tags all carry: {q}");
        assert!(!q.contains("oppie_key"), "keys do not list yet: {q}");
        assert_eq!(query_for_plan(None, &BTreeSet::new()), None);
        let empty = json!({"values": {"root_module": {}}});
        assert_eq!(query_for_plan(Some(&empty), &drift.config_types), None);
    }

    #[test]
    fn managed_ids_come_from_identity_or_id_in_every_module() {
        let ids = managed_ids(Some(&state()));
        assert!(ids.contains(&("oppie_network".into(), "vpc-1".into())));
        assert!(ids.contains(&("oppie_network".into(), "vpc-2".into())));
        assert!(ids.contains(&("oppie_key".into(), "key-1".into())));
        assert!(!ids.iter().any(|(t, _)| t == "oppie_catalog"), "data sources manage nothing");
    }

    const QUERY: &str = r#"{"@level":"info","type":"version","terraform":"1.15.5"}
{"type":"list_resource_found","list_resource_found":{"address":"list.oppie_firewall.a","display_name":"shop-dev-web (sg-1)","identity":{"cloud":"aws","id":"sg-1","region":"us-east"},"identity_version":0,"resource_type":"oppie_firewall"}}
{"type":"list_resource_found","list_resource_found":{"address":"list.oppie_firewall.a","display_name":"hand-made (sg-2)","identity":{"cloud":"aws","id":"sg-2","region":"us-east"},"identity_version":0,"resource_type":"oppie_firewall","resource_object":{"name":"hand-made"},"config":"resource \"oppie_firewall\" \"a_1\" {\n  provider = oppie\n  name     = \"hand-made\"\n}","import_config":"import {\n  to       = oppie_firewall.a_1\n  provider = oppie\n  identity = {\n    id = \"sg-2\"\n  }\n}"}}
not json at all
{"type":"list_complete","list_complete":{"address":"list.oppie_firewall.a","total":2}}
"#;

    #[test]
    fn what_no_state_manages_is_reported_with_its_adopt_blocks() {
        let found = parse_query_json(QUERY).expect("parsed");
        assert_eq!(found.len(), 2);
        let managed = BTreeSet::from([("oppie_firewall".to_string(), "sg-1".to_string())]);
        let Unmanaged { items, resources, adopts } = unmanaged(&found, &managed, "registry.terraform.io/oppie/oppie");
        assert_eq!(items.len(), 1);
        assert_eq!(items[0].address, "oppie_firewall.unmanaged[\"aws/us-east/sg-2\"]");
        assert_eq!(items[0].kind, ItemKind::Unmanaged);
        assert_eq!(items[0].after, json!("hand-made (sg-2)"));
        assert_eq!(resources[0].after, json!({"name": "hand-made"}));
        assert!(resources[0].before.is_null());
        let adopt = adopts[0].as_deref().expect("adopt blocks");
        assert!(adopt.contains("to       = oppie_firewall.hand_made\n"), "{adopt}");
        assert!(adopt.contains("resource \"oppie_firewall\" \"hand_made\" {"), "{adopt}");
        assert!(!adopt.contains("a_1"), "{adopt}");
    }

    #[test]
    fn query_errors_are_reported_not_swallowed() {
        let text = r#"{"type":"diagnostic","diagnostic":{"severity":"error","summary":"Listing not built","detail":"oppie_key cannot list yet","address":"list.oppie_key.a"}}"#;
        let err = parse_query_json(text).expect_err("an error");
        assert!(err.to_string().contains("list.oppie_key.a: Listing not built: oppie_key cannot list yet"), "{err}");
    }

    #[test]
    fn labels_are_identifiers_and_never_collide() {
        assert_eq!(label_from("legacy-api"), "legacy_api");
        assert_eq!(label_from("9lives"), "adopted_9lives");
        assert_eq!(label_from(""), "adopted_");
        let f = |name: &str| Found {
            resource_type: "oppie_bucket".into(),
            display_name: format!("{name} (b)"),
            identity: BTreeMap::from([("id".to_string(), json!(name))]),
            object: Value::Null,
            config: Some("resource \"oppie_bucket\" \"x_0\" {\n}".into()),
            import: Some("import {\n  to = oppie_bucket.x_0\n}".into()),
        };
        let mut taken = BTreeSet::new();
        let a = f("logs").adopt(&mut taken).expect("a");
        let b = f("logs").adopt(&mut taken).expect("b");
        assert!(a.contains("oppie_bucket.logs\n") && b.contains("oppie_bucket.logs_2\n"), "{a}\n{b}");
    }

    proptest::proptest! {
        #[test]
        fn any_query_output_parses_without_panicking(text in ".{0,400}") {
            let _ = parse_query_json(&text);
        }

        #[test]
        fn labels_are_always_identifiers(name in ".{0,80}") {
            let l = label_from(&name);
            proptest::prop_assert!(l.starts_with(|c: char| c.is_ascii_alphabetic() || c == '_'));
            proptest::prop_assert!(l.chars().all(|c| c.is_ascii_alphanumeric() || c == '_'));
        }
    }
}
