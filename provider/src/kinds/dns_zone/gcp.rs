//! DNS zones on GCP: a Cloud DNS managed zone, id `projects/<project>/managedZones/<name>`, the
//! name made from the domain (`shop.example.com` -> `shop-example-com`), so the id is known
//! before the create. Labels are the tags; a private zone lists its networks; DNSSEC is a switch.

use reqwest::Method;
use serde_json::{Value, json};

use super::{DnsZone, DnsZoneSpec, DnsZoneState, domain};
use crate::clouds::gcp::{GcpRegion, last, resource_path};
use crate::clouds::{CloudError, Native, Tags};
use crate::kinds::Api;

/// Compute networks are named by URL in a zone's visibility.
const COMPUTE_LINK: &str = "https://www.googleapis.com/compute/v1/";

/// The managed zone's name for `domain`: lower case, dots as dashes, starting with a letter,
/// at most 63 characters.
pub(crate) fn zone_name(domain: &str) -> String {
    let mut name: String = domain
        .trim_end_matches('.')
        .to_ascii_lowercase()
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '-' })
        .collect();
    if !name.starts_with(|c: char| c.is_ascii_lowercase()) {
        name = format!("z-{name}");
    }
    name.truncate(63);
    name.trim_end_matches('-').to_string()
}

/// The path under the project of zone id `id` ("projects/p/managedZones/z" -> "managedZones/z").
pub(crate) fn zone_path(id: &str) -> String {
    format!("managedZones/{}", last(id))
}

fn body(spec: &DnsZoneSpec) -> Value {
    let mut b = json!({
        "labels": spec.tags,
        "dnssecConfig": { "state": if spec.dnssec { "on" } else { "off" } },
    });
    if spec.private {
        let networks: Vec<Value> = spec
            .network_ids
            .iter()
            .map(|n| json!({ "networkUrl": format!("{COMPUTE_LINK}{}", resource_path(n)) }))
            .collect();
        b["privateVisibilityConfig"] = json!({ "networks": networks });
    }
    b
}

#[tfplug::async_trait]
impl Api<DnsZone> for GcpRegion {
    async fn known_id(&self, spec: &DnsZoneSpec) -> Option<String> {
        Some(format!("projects/{}/managedZones/{}", self.project, zone_name(&spec.name)))
    }

    async fn create(&self, spec: &DnsZoneSpec, _token: &str) -> Result<String, CloudError> {
        let name = zone_name(&spec.name);
        let mut b = body(spec);
        b["name"] = json!(name);
        b["dnsName"] = json!(format!("{}.", spec.name));
        b["description"] = json!("Managed by Oppie");
        b["visibility"] = json!(if spec.private { "private" } else { "public" });
        match self.dns_send(Method::POST, "managedZones", Some(b), "managedZones.create").await {
            // The protocol saw no zone of this name before the call: one there now is this
            // create's, made by an attempt whose answer was lost.
            Ok(_) => {}
            Err(e) if e.code.as_deref() == Some("alreadyExists") => {}
            Err(e) => return Err(e),
        }
        Ok(format!("projects/{}/managedZones/{name}", self.project))
    }

    async fn settle(&self, _id: &str, _spec: &DnsZoneSpec) -> Result<(), CloudError> {
        // Cloud DNS answers a create with the zone as made: nothing to wait for.
        Ok(())
    }

    async fn update(&self, id: &str, spec: &DnsZoneSpec) -> Result<(), CloudError> {
        self.dns_send(Method::PATCH, &zone_path(id), Some(body(spec)), "managedZones.patch").await.map(|_| ())
    }

    async fn read(&self, id: &str) -> Result<Option<DnsZoneState>, CloudError> {
        let Some(z) = self.dns_get(&zone_path(id), "managedZones.get").await? else { return Ok(None) };
        let tags: Tags = z["labels"]
            .as_object()
            .map(|m| m.iter().map(|(k, v)| (k.clone(), v.as_str().unwrap_or_default().to_string())).collect())
            .unwrap_or_default();
        let private = z["visibility"] == "private";
        let network_ids: Vec<String> = z["privateVisibilityConfig"]["networks"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|n| n["networkUrl"].as_str().map(resource_path))
            .collect();
        let name_servers: Vec<String> = z["nameServers"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|n| n.as_str().map(|s| s.trim_end_matches('.').to_string()))
            .collect();
        let mut native = Native::new();
        native.insert("project".into(), self.project.clone());
        native.insert("managed_zone".into(), z["name"].as_str().unwrap_or_default().to_string());
        native.insert("managed_zone_id".into(), z["id"].as_str().unwrap_or_default().to_string());
        Ok(Some(DnsZoneState {
            id: format!("projects/{}/{}", self.project, zone_path(id)),
            spec: DnsZoneSpec {
                name: domain(z["dnsName"].as_str().unwrap_or_default()),
                private,
                network_ids,
                dnssec: z["dnssecConfig"]["state"] == "on",
                tags: tags.clone(),
            },
            tags: Some(tags),
            name_servers,
            native,
        }))
    }

    async fn delete(&self, id: &str, _spec: &DnsZoneSpec) -> Result<(), CloudError> {
        match self.dns_send(Method::DELETE, &zone_path(id), None, "managedZones.delete").await {
            Err(e) if e.is_not_found() => Ok(()),
            r => r.map(|_| ()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn zone_names_follow_the_domain() {
        assert_eq!(zone_name("shop.example.com"), "shop-example-com");
        assert_eq!(zone_name("1shop.example.com."), "z-1shop-example-com");
        assert!(zone_name(&"a.".repeat(100)).len() <= 63);
        assert_eq!(zone_path("projects/p/managedZones/shop-example-com"), "managedZones/shop-example-com");
    }
}
