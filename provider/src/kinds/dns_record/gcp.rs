//! DNS records on GCP: a Cloud DNS resource record set, id
//! `projects/<project>/managedZones/<zone>/rrsets/<full name>./<type>` (the record set's own
//! resource name, known before the create). Values go as `rrdatas`; TXT values quoted.

use reqwest::Method;
use serde_json::json;

use super::{DnsRecord, DnsRecordSpec, DnsRecordState, fqdn, plain_value, relative, wire_value};
use crate::clouds::gcp::GcpRegion;
use crate::clouds::{CloudError, ErrorKind, Native};
use crate::kinds::Api;
use crate::kinds::dns_zone::gcp::zone_path;

/// (zone id, full name with its final dot, type) of a record id.
pub(crate) fn split_id(id: &str) -> Result<(&str, &str, &str), CloudError> {
    let parsed = id.split_once("/rrsets/").and_then(|(zone, rest)| {
        let (name, rtype) = rest.rsplit_once('/')?;
        (zone.contains("/managedZones/") && !name.is_empty() && !rtype.is_empty()).then_some((zone, name, rtype))
    });
    parsed.ok_or_else(|| CloudError {
        kind: ErrorKind::Invalid,
        service: "GCP Cloud DNS",
        operation: "parse id".into(),
        code: None,
        message: format!(
            "{id:?} is not a record id: use projects/<project>/managedZones/<zone>/rrsets/<full name>./<type>, e.g. projects/p/managedZones/shop-example-com/rrsets/www.shop.example.com./A"
        ),
        request_id: None,
    })
}

impl GcpRegion {
    /// The zone's domain without the final dot; `None` when the zone is gone.
    async fn zone_domain(&self, zone_id: &str) -> Result<Option<String>, CloudError> {
        let zone = self.dns_get(&zone_path(zone_id), "managedZones.get").await?;
        Ok(zone.map(|z| z["dnsName"].as_str().unwrap_or_default().trim_end_matches('.').to_string()))
    }

    async fn record_id(&self, spec: &DnsRecordSpec) -> Result<String, CloudError> {
        let domain = self.zone_domain(&spec.zone_id).await?.ok_or_else(|| CloudError {
            kind: ErrorKind::NotFound,
            service: "GCP Cloud DNS",
            operation: "managedZones.get".into(),
            code: Some("notFound".into()),
            message: format!("zone {} does not exist", spec.zone_id),
            request_id: None,
        })?;
        Ok(format!("{}/rrsets/{}./{}", spec.zone_id.trim_end_matches('/'), fqdn(&spec.name, &domain), spec.rtype))
    }
}

fn rrdatas(spec: &DnsRecordSpec) -> Vec<String> {
    spec.values.iter().map(|v| wire_value(&spec.rtype, v)).collect()
}

#[tfplug::async_trait]
impl Api<DnsRecord> for GcpRegion {
    async fn known_id(&self, spec: &DnsRecordSpec) -> Option<String> {
        self.record_id(spec).await.ok()
    }

    async fn create(&self, spec: &DnsRecordSpec, _token: &str) -> Result<String, CloudError> {
        let id = self.record_id(spec).await?;
        let (zone, name, rtype) = split_id(&id)?;
        let body = json!({ "name": name, "type": rtype, "ttl": spec.ttl, "rrdatas": rrdatas(spec) });
        match self
            .dns_send(Method::POST, &format!("{}/rrsets", zone_path(zone)), Some(body), "resourceRecordSets.create")
            .await
        {
            // The protocol saw no such record set before the call: one there now is this
            // create's, made by an attempt whose answer was lost.
            Ok(_) => {}
            Err(e) if e.code.as_deref() == Some("alreadyExists") => {}
            Err(e) => return Err(e),
        }
        Ok(id)
    }

    async fn settle(&self, _id: &str, _spec: &DnsRecordSpec) -> Result<(), CloudError> {
        Ok(())
    }

    async fn update(&self, id: &str, spec: &DnsRecordSpec) -> Result<(), CloudError> {
        let (zone, name, rtype) = split_id(id)?;
        let body = json!({ "name": name, "type": rtype, "ttl": spec.ttl, "rrdatas": rrdatas(spec) });
        let path = format!("{}/rrsets/{name}/{rtype}", zone_path(zone));
        self.dns_send(Method::PATCH, &path, Some(body), "resourceRecordSets.patch").await.map(|_| ())
    }

    async fn read(&self, id: &str) -> Result<Option<DnsRecordState>, CloudError> {
        let (zone, name, rtype) = split_id(id)?;
        let Some(domain) = self.zone_domain(zone).await? else { return Ok(None) };
        let path = format!("{}/rrsets/{name}/{rtype}", zone_path(zone));
        let Some(set) = self.dns_get(&path, "resourceRecordSets.get").await? else { return Ok(None) };
        let values = set["rrdatas"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|v| v.as_str())
            .map(|v| plain_value(rtype, v))
            .collect();
        let full = name.trim_end_matches('.').to_string();
        let mut native = Native::new();
        native.insert("project".into(), self.project.clone());
        native.insert("managed_zone".into(), crate::clouds::gcp::last(zone).to_string());
        Ok(Some(DnsRecordState {
            id: id.to_string(),
            spec: DnsRecordSpec {
                zone_id: zone.to_string(),
                name: relative(&full, &domain),
                rtype: rtype.to_string(),
                ttl: set["ttl"].as_u64().and_then(|t| u32::try_from(t).ok()).unwrap_or(0),
                values,
                alias: None,
            },
            alias_target: None,
            fqdn: full,
            native,
        }))
    }

    async fn delete(&self, id: &str, _spec: &DnsRecordSpec) -> Result<(), CloudError> {
        let (zone, name, rtype) = split_id(id)?;
        let path = format!("{}/rrsets/{name}/{rtype}", zone_path(zone));
        match self.dns_send(Method::DELETE, &path, None, "resourceRecordSets.delete").await {
            Err(e) if e.is_not_found() => Ok(()),
            r => r.map(|_| ()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn record_ids() {
        let id = "projects/p/managedZones/shop-example-com/rrsets/www.shop.example.com./A";
        assert_eq!(split_id(id).unwrap(), ("projects/p/managedZones/shop-example-com", "www.shop.example.com.", "A"));
        assert!(split_id("www/A").is_err());
        assert!(split_id("projects/p/managedZones/z/rrsets//A").is_err());
    }
}
