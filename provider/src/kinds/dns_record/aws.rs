//! DNS records on AWS: a Route 53 record set, id `<zone id>/<full name>/<type>`. Creates and
//! updates are UPSERTs (a retried change makes nothing twice); an alias of a load balancer is a
//! Route 53 alias record on its DNS name.

use aws_sdk_route53::types::{
    AliasTarget, Change, ChangeAction, ChangeBatch, ResourceRecord, ResourceRecordSet, RrType,
};

use super::{DnsRecord, DnsRecordSpec, DnsRecordState, fqdn, plain_value, relative, wire_value};
use crate::clouds::aws::{AwsRegion, errors};
use crate::clouds::{CloudError, ErrorKind, Native};
use crate::kinds::Api;
use crate::kinds::dns_zone::aws::zone_id;

const R53: &str = "AWS Route 53";

/// (zone id, full name, type) of a record id.
pub(crate) fn split_id(id: &str) -> Result<(&str, &str, &str), CloudError> {
    let mut parts = id.splitn(3, '/');
    match (parts.next(), parts.next(), parts.next()) {
        (Some(z), Some(n), Some(t)) if !z.is_empty() && !n.is_empty() && !t.is_empty() => Ok((z, n, t)),
        _ => Err(CloudError {
            kind: ErrorKind::Invalid,
            service: R53,
            operation: "parse id".into(),
            code: None,
            message: format!(
                "{id:?} is not a record id: use <zone id>/<full name>/<type>, e.g. Z0123/www.shop.example.com/A"
            ),
            request_id: None,
        }),
    }
}

impl AwsRegion {
    async fn zone_name(&self, zone: &str) -> Result<String, CloudError> {
        let out = self.hosted_zone(zone).await?.ok_or_else(|| CloudError {
            kind: ErrorKind::NotFound,
            service: R53,
            operation: "GetHostedZone".into(),
            code: Some("NoSuchHostedZone".into()),
            message: format!("zone {zone} does not exist"),
            request_id: None,
        })?;
        Ok(out.hosted_zone().map(|z| z.name().trim_end_matches('.').to_string()).unwrap_or_default())
    }

    async fn record_set(&self, spec: &DnsRecordSpec, full: &str) -> Result<ResourceRecordSet, CloudError> {
        let build =
            |e: aws_sdk_route53::error::BuildError| CloudError::other(R53, "ChangeResourceRecordSets", e.to_string());
        let mut set = ResourceRecordSet::builder().name(format!("{full}.")).r#type(RrType::from(spec.rtype.as_str()));
        if let Some(lb) = &spec.alias {
            let l = self
                .elb
                .describe_load_balancers()
                .load_balancer_arns(lb)
                .send()
                .await
                .map_err(|e| errors::elb("DescribeLoadBalancers", e))?;
            let l = l.load_balancers().first().ok_or_else(|| {
                CloudError::other(R53, "ChangeResourceRecordSets", format!("load balancer {lb} does not exist"))
            })?;
            set = set.alias_target(
                AliasTarget::builder()
                    .hosted_zone_id(l.canonical_hosted_zone_id().unwrap_or_default())
                    .dns_name(l.dns_name().unwrap_or_default())
                    .evaluate_target_health(false)
                    .build()
                    .map_err(build)?,
            );
        } else {
            set = set.ttl(i64::from(spec.ttl));
            for v in &spec.values {
                set = set.resource_records(
                    ResourceRecord::builder().value(wire_value(&spec.rtype, v)).build().map_err(build)?,
                );
            }
        }
        set.build().map_err(build)
    }

    async fn change(&self, zone: &str, action: ChangeAction, set: ResourceRecordSet) -> Result<(), CloudError> {
        let build =
            |e: aws_sdk_route53::error::BuildError| CloudError::other(R53, "ChangeResourceRecordSets", e.to_string());
        let batch = ChangeBatch::builder()
            .changes(Change::builder().action(action).resource_record_set(set).build().map_err(build)?)
            .build()
            .map_err(build)?;
        self.route53
            .change_resource_record_sets()
            .hosted_zone_id(zone_id(zone))
            .change_batch(batch)
            .send()
            .await
            .map(|_| ())
            .map_err(|e| errors::route53("ChangeResourceRecordSets", e))
    }

    async fn find_record(&self, zone: &str, full: &str, rtype: &str) -> Result<Option<ResourceRecordSet>, CloudError> {
        let out = match self
            .route53
            .list_resource_record_sets()
            .hosted_zone_id(zone_id(zone))
            .start_record_name(format!("{full}."))
            .start_record_type(RrType::from(rtype))
            .max_items(1)
            .send()
            .await
        {
            Ok(out) => out,
            Err(e) => {
                let e = errors::route53("ListResourceRecordSets", e);
                return if e.is_not_found() { Ok(None) } else { Err(e) };
            }
        };
        Ok(out
            .resource_record_sets()
            .iter()
            .find(|s| s.name().trim_end_matches('.').eq_ignore_ascii_case(full) && s.r#type().as_str() == rtype)
            .cloned())
    }
}

#[tfplug::async_trait]
impl Api<DnsRecord> for AwsRegion {
    async fn known_id(&self, spec: &DnsRecordSpec) -> Option<String> {
        let zone = self.zone_name(&spec.zone_id).await.ok()?;
        Some(format!("{}/{}/{}", zone_id(&spec.zone_id), fqdn(&spec.name, &zone), spec.rtype))
    }

    async fn create(&self, spec: &DnsRecordSpec, _token: &str) -> Result<String, CloudError> {
        let zone = self.zone_name(&spec.zone_id).await?;
        let full = fqdn(&spec.name, &zone);
        // UPSERT: the protocol checked the record did not exist; a retried change is harmless.
        self.change(&spec.zone_id, ChangeAction::Upsert, self.record_set(spec, &full).await?).await?;
        Ok(format!("{}/{full}/{}", zone_id(&spec.zone_id), spec.rtype))
    }

    async fn update(&self, id: &str, spec: &DnsRecordSpec) -> Result<(), CloudError> {
        let (zone, full, _) = split_id(id)?;
        self.change(zone, ChangeAction::Upsert, self.record_set(spec, full).await?).await
    }

    async fn read(&self, id: &str) -> Result<Option<DnsRecordState>, CloudError> {
        let (zone, full, rtype) = split_id(id)?;
        let zone_name = match self.zone_name(zone).await {
            Ok(n) => n,
            Err(e) if e.is_not_found() => return Ok(None),
            Err(e) => return Err(e),
        };
        let Some(set) = self.find_record(zone, full, rtype).await? else { return Ok(None) };
        let values = set.resource_records().iter().map(|r| plain_value(rtype, r.value())).collect();
        let alias_target = set.alias_target().map(|a| a.dns_name().trim_end_matches('.').to_string());
        let mut native = Native::new();
        native.insert("hosted_zone_id".into(), zone.to_string());
        if let Some(a) = &alias_target {
            native.insert("alias_dns_name".into(), a.clone());
        }
        Ok(Some(DnsRecordState {
            id: id.to_string(),
            spec: DnsRecordSpec {
                zone_id: zone.to_string(),
                name: relative(full, &zone_name),
                rtype: rtype.to_string(),
                ttl: set.ttl().and_then(|t| u32::try_from(t).ok()).unwrap_or(0),
                values,
                alias: None,
            },
            alias_target,
            fqdn: full.trim_end_matches('.').to_string(),
            native,
        }))
    }

    async fn delete(&self, id: &str, _spec: &DnsRecordSpec) -> Result<(), CloudError> {
        let (zone, full, rtype) = split_id(id)?;
        // DELETE must name the record set as it is.
        let Some(set) = self.find_record(zone, full, rtype).await? else { return Ok(()) };
        match self.change(zone, ChangeAction::Delete, set).await {
            Err(e)
                if e.is_not_found()
                    || e.code.as_deref() == Some("InvalidChangeBatch") && e.message.contains("not found") =>
            {
                Ok(())
            }
            other => other,
        }
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn record_ids_split() {
        assert_eq!(super::split_id("Z1/www.shop.example.com/A").unwrap(), ("Z1", "www.shop.example.com", "A"));
        assert!(super::split_id("Z1/www").is_err());
    }
}
