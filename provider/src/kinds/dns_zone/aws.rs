//! DNS zones on AWS: a Route 53 hosted zone. The create's token is its caller reference, which
//! Route 53 keeps unique: a retried create makes no second zone, and a create whose answer was
//! lost is found by it. A private zone is associated with its first network at creation and
//! with the others after.

use aws_sdk_route53::types::{HostedZoneConfig, Tag, TagResourceType, Vpc, VpcRegion};

use super::{DnsZone, DnsZoneSpec, DnsZoneState};
use crate::clouds::aws::{AwsRegion, errors};
use crate::clouds::{CloudError, Native, Tags};
use crate::kinds::Api;

const R53: &str = "AWS Route 53";

/// The zone id without Route 53's `/hostedzone/` prefix.
pub(crate) fn zone_id(id: &str) -> &str {
    id.trim_start_matches("/hostedzone/")
}

impl AwsRegion {
    pub(crate) async fn hosted_zone(
        &self,
        id: &str,
    ) -> Result<Option<aws_sdk_route53::operation::get_hosted_zone::GetHostedZoneOutput>, CloudError> {
        match self.route53.get_hosted_zone().id(zone_id(id)).send().await {
            Ok(out) => Ok(Some(out)),
            Err(e) => {
                let e = errors::route53("GetHostedZone", e);
                if e.is_not_found() { Ok(None) } else { Err(e) }
            }
        }
    }

    fn vpc(&self, id: &str) -> Vpc {
        Vpc::builder().vpc_id(id).vpc_region(VpcRegion::from(self.region.as_str())).build()
    }

    async fn zone_tags(&self, id: &str) -> Result<Tags, CloudError> {
        let out = self
            .route53
            .list_tags_for_resource()
            .resource_type(TagResourceType::Hostedzone)
            .resource_id(zone_id(id))
            .send()
            .await
            .map_err(|e| errors::route53("ListTagsForResource", e))?;
        Ok(out
            .resource_tag_set()
            .map(|s| s.tags())
            .unwrap_or_default()
            .iter()
            .filter_map(|t| Some((t.key()?.to_string(), t.value().unwrap_or_default().to_string())))
            .collect())
    }
}

#[tfplug::async_trait]
impl Api<DnsZone> for AwsRegion {
    async fn create(&self, spec: &DnsZoneSpec, token: &str) -> Result<String, CloudError> {
        let mut req = self.route53.create_hosted_zone().name(&spec.name).caller_reference(token).hosted_zone_config(
            HostedZoneConfig::builder().comment("Managed by Oppie").private_zone(spec.private).build(),
        );
        if spec.private
            && let Some(first) = spec.network_ids.first()
        {
            req = req.vpc(self.vpc(first));
        }
        match req.send().await {
            Ok(out) => out
                .hosted_zone()
                .map(|z| zone_id(z.id()).to_string())
                .ok_or_else(|| CloudError::other(R53, "CreateHostedZone", "the answer had no zone")),
            // A retried create that had happened.
            Err(e) => {
                let e = errors::route53("CreateHostedZone", e);
                if e.code.as_deref() == Some("HostedZoneAlreadyExists")
                    && let Some(id) = Api::<DnsZone>::find(self, token).await?
                {
                    return Ok(id);
                }
                Err(e)
            }
        }
    }

    async fn find(&self, token: &str) -> Result<Option<String>, CloudError> {
        let mut marker: Option<String> = None;
        loop {
            let out = self
                .route53
                .list_hosted_zones()
                .set_marker(marker.clone())
                .send()
                .await
                .map_err(|e| errors::route53("ListHostedZones", e))?;
            if let Some(z) = out.hosted_zones().iter().find(|z| z.caller_reference() == token) {
                return Ok(Some(zone_id(z.id()).to_string()));
            }
            match out.next_marker() {
                Some(m) if out.is_truncated() => marker = Some(m.to_string()),
                _ => return Ok(None),
            }
        }
    }

    async fn update(&self, id: &str, spec: &DnsZoneSpec) -> Result<(), CloudError> {
        let zone = self
            .hosted_zone(id)
            .await?
            .ok_or_else(|| CloudError::other(R53, "GetHostedZone", format!("zone {id} is gone")))?;
        if spec.private {
            let have: Vec<String> = zone.vpcs().iter().filter_map(|v| v.vpc_id().map(str::to_string)).collect();
            for n in spec.network_ids.iter().filter(|n| !have.contains(n)) {
                match self
                    .route53
                    .associate_vpc_with_hosted_zone()
                    .hosted_zone_id(zone_id(id))
                    .vpc(self.vpc(n))
                    .send()
                    .await
                {
                    Ok(_) => {}
                    Err(e) => {
                        let e = errors::route53("AssociateVPCWithHostedZone", e);
                        if e.code.as_deref() != Some("ConflictingDomainExists") {
                            return Err(e);
                        }
                    }
                }
            }
        }
        let have = self.zone_tags(id).await?;
        let (remove, add) = crate::clouds::aws::tags::diff(&have, &spec.tags);
        let add: Vec<Tag> = add.iter().map(|(k, v)| Tag::builder().key(k).value(v).build()).collect();
        if !remove.is_empty() || !add.is_empty() {
            self.route53
                .change_tags_for_resource()
                .resource_type(TagResourceType::Hostedzone)
                .resource_id(zone_id(id))
                .set_add_tags((!add.is_empty()).then_some(add))
                .set_remove_tag_keys((!remove.is_empty()).then_some(remove))
                .send()
                .await
                .map_err(|e| errors::route53("ChangeTagsForResource", e))?;
        }
        Ok(())
    }

    async fn read(&self, id: &str) -> Result<Option<DnsZoneState>, CloudError> {
        let Some(out) = self.hosted_zone(id).await? else { return Ok(None) };
        let Some(zone) = out.hosted_zone() else { return Ok(None) };
        let private = zone.config().is_some_and(|c| c.private_zone());
        let mut network_ids: Vec<String> = out.vpcs().iter().filter_map(|v| v.vpc_id().map(str::to_string)).collect();
        network_ids.sort();
        let name_servers: Vec<String> = out.delegation_set().map(|d| d.name_servers().to_vec()).unwrap_or_default();
        let tags = self.zone_tags(id).await?;
        let mut native = Native::new();
        native.insert("hosted_zone_id".into(), zone_id(zone.id()).to_string());
        native.insert("arn".into(), format!("arn:aws:route53:::hostedzone/{}", zone_id(zone.id())));
        Ok(Some(DnsZoneState {
            id: zone_id(zone.id()).to_string(),
            spec: DnsZoneSpec {
                name: super::domain(zone.name()),
                private,
                network_ids,
                dnssec: false,
                tags: tags.clone(),
            },
            tags: Some(tags),
            name_servers,
            native,
        }))
    }

    async fn delete(&self, id: &str, _spec: &DnsZoneSpec) -> Result<(), CloudError> {
        // Records the zone still holds belong to oppie_dns_records (or to someone): a zone
        // that is not empty is refused with HostedZoneNotEmpty, which names the problem.
        match self.route53.delete_hosted_zone().id(zone_id(id)).send().await {
            Ok(_) => Ok(()),
            Err(e) => {
                let e = errors::route53("DeleteHostedZone", e);
                if e.is_not_found() { Ok(()) } else { Err(e) }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn zone_ids_lose_their_prefix() {
        assert_eq!(super::zone_id("/hostedzone/Z123"), "Z123");
        assert_eq!(super::zone_id("Z123"), "Z123");
    }
}
