//! What a plan says outside its resource changes that pricing needs: each resource's provider
//! configuration (for the AWS/Google region and the Oppie defaults) from `configuration`.

use std::collections::HashMap;

use serde_json::Value;

/// Provider settings a resource inherits, read from `configuration` once per plan.
#[derive(Debug, Default)]
pub(crate) struct PlanContext {
    /// Resource address without instance keys (`module.net.aws_instance.web`) to its
    /// provider configuration key (`aws`, `aws.east`, `module.net:aws`).
    provider_keys: HashMap<String, String>,
    /// Provider configuration key to its constant settings (`region`, `default_cloud`, ...).
    settings: HashMap<String, HashMap<String, String>>,
}

impl PlanContext {
    /// Reads `configuration.provider_config` and the resources of every module.
    pub fn from_plan(plan: &Value) -> Self {
        let mut context = PlanContext::default();
        let configuration = &plan["configuration"];
        if let Some(configs) = configuration["provider_config"].as_object() {
            for (key, config) in configs {
                let mut settings = HashMap::new();
                if let Some(name) = config["name"].as_str() {
                    settings.insert("@name".to_string(), name.to_string());
                }
                if let Some(alias) = config["alias"].as_str() {
                    settings.insert("@alias".to_string(), alias.to_string());
                }
                if let Some(expressions) = config["expressions"].as_object() {
                    for (name, expression) in expressions {
                        if let Some(text) = constant_string(&expression["constant_value"]) {
                            settings.insert(name.clone(), text);
                        }
                    }
                }
                context.settings.insert(key.clone(), settings);
            }
        }
        context.walk_module(&configuration["root_module"], "", 0);
        context
    }

    fn walk_module(&mut self, module: &Value, prefix: &str, depth: usize) {
        // Configurations nest modules; a bound keeps a hostile document from recursing forever.
        if depth > 64 {
            return;
        }
        for resource in module["resources"].as_array().into_iter().flatten() {
            if let (Some(address), Some(key)) = (resource["address"].as_str(), resource["provider_config_key"].as_str())
            {
                self.provider_keys.insert(format!("{prefix}{address}"), key.to_string());
            }
        }
        for (name, call) in module["module_calls"].as_object().into_iter().flatten() {
            self.walk_module(&call["module"], &format!("{prefix}module.{name}."), depth + 1);
        }
    }

    /// A constant setting (e.g. `region`) of the provider configuration `address` uses; when the
    /// configuration does not name it, the default (unaliased) configuration of `provider`.
    pub fn provider_setting(&self, address: &str, provider: &str, setting: &str) -> Option<&str> {
        let key = self.provider_keys.get(&strip_instance_keys(address));
        if let Some(value) = key.and_then(|k| self.settings.get(k)).and_then(|s| s.get(setting)) {
            return Some(value);
        }
        // Older plans key module providers as `module.x:aws`; fall back to the default config.
        let mut defaults: Vec<(&String, &HashMap<String, String>)> = self
            .settings
            .iter()
            .filter(|(_, s)| s.get("@name").is_some_and(|n| n == provider) && !s.contains_key("@alias"))
            .collect();
        defaults.sort_by_key(|(k, _)| k.len());
        defaults.first().and_then(|(_, s)| s.get(setting)).map(String::as_str)
    }
}

fn constant_string(value: &Value) -> Option<String> {
    match value {
        Value::String(s) if !s.is_empty() => Some(s.clone()),
        _ => None,
    }
}

/// `module.a["x"].aws_instance.b[0]` → `module.a.aws_instance.b` (configuration addresses
/// carry no instance keys).
pub(crate) fn strip_instance_keys(address: &str) -> String {
    let mut out = String::with_capacity(address.len());
    let mut depth = 0usize;
    let mut quoted = false;
    let mut escaped = false;
    for c in address.chars() {
        if depth > 0 {
            if quoted {
                if escaped {
                    escaped = false;
                } else if c == '\\' {
                    escaped = true;
                } else if c == '"' {
                    quoted = false;
                }
                continue;
            }
            match c {
                '"' => quoted = true,
                '[' => depth += 1,
                ']' => depth -= 1,
                _ => {}
            }
            continue;
        }
        if c == '[' {
            depth = 1;
        } else {
            out.push(c);
        }
    }
    out
}

/// `us-east-1a` → `us-east-1`; `None` unless it looks like an AWS availability zone.
pub(crate) fn aws_region_of_zone(zone: &str) -> Option<String> {
    let region = zone.strip_suffix(|c: char| c.is_ascii_lowercase())?;
    let well_formed = region.split('-').count() >= 3 && region.ends_with(|c: char| c.is_ascii_digit());
    well_formed.then(|| region.to_string())
}

/// `arn:aws:ec2:eu-west-1:123:instance/i-1` → `eu-west-1`.
pub(crate) fn aws_region_of_arn(arn: &str) -> Option<String> {
    let mut parts = arn.split(':');
    (parts.next()? == "arn").then_some(())?;
    let region = parts.nth(2)?;
    (!region.is_empty()).then(|| region.to_string())
}

/// `europe-west3-b` (or a zone self link) → `europe-west3`.
pub(crate) fn gcp_region_of_zone(zone: &str) -> Option<String> {
    let zone = super::values::last_segment(zone);
    let (region, suffix) = zone.rsplit_once('-')?;
    (suffix.len() == 1 && region.contains('-')).then(|| region.to_string())
}

/// `West Europe` → `westeurope` (Azure accepts display names and names).
pub(crate) fn azure_location(location: &str) -> String {
    location.chars().filter(|c| !c.is_whitespace()).collect::<String>().to_lowercase()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn provider_settings_follow_the_resource_key_then_the_default() {
        let plan = json!({"configuration": {
            "provider_config": {
                "aws": {"name": "aws", "expressions": {"region": {"constant_value": "eu-west-1"}}},
                "aws.east": {"name": "aws", "alias": "east", "expressions": {"region": {"constant_value": "us-east-1"}}},
                "google": {"name": "google", "expressions": {"region": {"references": ["var.region"]}}}
            },
            "root_module": {
                "resources": [{"address": "aws_instance.a", "provider_config_key": "aws.east"}],
                "module_calls": {"net": {"module": {"resources": [{"address": "aws_instance.b", "provider_config_key": "net:aws"}]}}}
            }
        }});
        let context = PlanContext::from_plan(&plan);
        assert_eq!(context.provider_setting("aws_instance.a[0]", "aws", "region"), Some("us-east-1"));
        assert_eq!(context.provider_setting("module.net[\"x\"].aws_instance.b", "aws", "region"), Some("eu-west-1"));
        assert_eq!(context.provider_setting("aws_instance.c", "aws", "region"), Some("eu-west-1"));
        assert_eq!(context.provider_setting("google_compute_instance.x", "google", "region"), None);
        assert_eq!(PlanContext::from_plan(&json!([])).provider_setting("a.b", "aws", "region"), None);
    }

    #[test]
    fn instance_keys_are_stripped() {
        assert_eq!(strip_instance_keys(r#"module.a["x]y"].aws_instance.b[0]"#), "module.a.aws_instance.b");
        assert_eq!(strip_instance_keys("aws_instance.b"), "aws_instance.b");
    }

    #[test]
    fn regions_from_zones_arns_and_locations() {
        assert_eq!(aws_region_of_zone("us-east-1a").as_deref(), Some("us-east-1"));
        assert_eq!(aws_region_of_zone("us-east-1"), None);
        assert_eq!(aws_region_of_arn("arn:aws:ec2:eu-west-1:123456789012:instance/i-1").as_deref(), Some("eu-west-1"));
        assert_eq!(aws_region_of_arn("arn:aws:s3:::bucket"), None);
        assert_eq!(gcp_region_of_zone("europe-west3-b").as_deref(), Some("europe-west3"));
        assert_eq!(gcp_region_of_zone("projects/p/zones/us-east1-c").as_deref(), Some("us-east1"));
        assert_eq!(gcp_region_of_zone("us-east1"), None);
        assert_eq!(azure_location("West Europe"), "westeurope");
    }
}
