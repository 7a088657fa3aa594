//! Instances on GCP: a Compute Engine VM in the zone its subnetwork records, with a boot disk
//! from the image (always encrypted, with Google-managed keys), labels from tags, network tags
//! from firewall ids, `user-data` metadata for cloud-init, and an external address only with
//! `public_ip`. Resizing stops the VM, sets the machine type and starts it again.

use std::collections::BTreeMap;
use std::time::Duration;

use reqwest::Method;
use serde_json::{Value, json};

use super::{Images, Instance, InstanceSpec, InstanceState, Operations};
use crate::clouds::gcp::GcpRegion;
use crate::clouds::gcp::{last, resource_path};
use crate::clouds::http::{self, Call};
use crate::clouds::{CloudError, Native};
use crate::kinds::firewall::gcp::target_tag;
use crate::kinds::{Api, ListFilter, Listed};

const SERVICE: &str = "GCP Compute";

/// Splits an instance id `projects/p/zones/z/instances/n` into (zone, name).
pub(crate) fn zone_and_name(id: &str) -> (&str, &str) {
    let parts: Vec<&str> = id.split('/').collect();
    match parts.iter().position(|p| *p == "zones") {
        Some(i) if parts.len() > i + 3 => (parts[i + 1], parts[i + 3]),
        _ => ("", last(id)),
    }
}

impl GcpRegion {
    async fn instance(&self, id: &str) -> Result<Option<Value>, CloudError> {
        let (zone, name) = zone_and_name(id);
        self.compute_get(&format!("zones/{zone}/instances/{name}"), "instances.get").await
    }

    async fn wait_status(&self, id: &str, want: &str) -> Result<(), CloudError> {
        crate::clouds::wait::poll(Duration::from_secs(5), || async {
            match self.instance(id).await? {
                Some(i) if i["status"] == want => Ok(Some(())),
                Some(_) => Ok(None),
                None => Err(CloudError::other(
                    SERVICE,
                    "instances.get",
                    format!("instance {id} vanished while waiting for {want}"),
                )),
            }
        })
        .await
    }

    async fn action(
        &self,
        id: &str,
        verb: &str,
        body: Option<Value>,
        query: &[(&str, &str)],
    ) -> Result<(), CloudError> {
        let (zone, name) = zone_and_name(id);
        self.compute_op(
            Method::POST,
            &format!("zones/{zone}/instances/{name}/{verb}"),
            query,
            body,
            &format!("instances.{verb}"),
        )
        .await
        .map(|_| ())
    }

    async fn boot_disk(&self, i: &Value) -> Result<Option<Value>, CloudError> {
        let Some(source) =
            i["disks"].as_array().and_then(|d| d.iter().find(|d| d["boot"] == true)).and_then(|d| d["source"].as_str())
        else {
            return Ok(None);
        };
        let path = resource_path(source);
        let rel = path.split_once("/zones/").map(|(_, z)| format!("zones/{z}")).unwrap_or_default();
        self.compute_get(&rel, "disks.get").await
    }
}

fn labels(tags: &crate::clouds::Tags) -> Value {
    json!(tags)
}

/// Labels on a snapshot Oppie took (label keys allow no ':'): the machine's name, and until
/// when to keep it.
const SOURCE_LABEL: &str = "oppie-snapshot-of";
const RETAIN_LABEL: &str = "oppie-retain-until";

#[tfplug::async_trait]
impl Operations for GcpRegion {
    async fn start(&self, id: &str) -> Result<(), CloudError> {
        self.action(id, "start", None, &[]).await?;
        self.wait_status(id, "RUNNING").await
    }

    async fn stop(&self, id: &str) -> Result<(), CloudError> {
        self.action(id, "stop", None, &[]).await?;
        self.wait_status(id, "TERMINATED").await
    }

    async fn reboot(&self, id: &str) -> Result<(), CloudError> {
        self.action(id, "reset", None, &[]).await?;
        self.wait_status(id, "RUNNING").await
    }

    async fn power_state(&self, id: &str) -> Result<Option<String>, CloudError> {
        Ok(self.instance(id).await?.map(|i| i["status"].as_str().unwrap_or_default().to_ascii_lowercase()))
    }

    async fn snapshot_disk(&self, id: &str, retain_until: Option<&str>) -> Result<Option<String>, CloudError> {
        let Some(i) = self.instance(id).await? else { return Ok(None) };
        let Some(disk) = self.boot_disk(&i).await? else {
            return Err(CloudError::other(SERVICE, "disks.createSnapshot", format!("instance {id} has no boot disk")));
        };
        let (zone, name) = zone_and_name(id);
        let taken = crate::actions::stamp(time::OffsetDateTime::now_utc());
        let snap: String = format!("{}-{taken}", name.chars().take(45).collect::<String>().trim_end_matches('-'));
        let mut labels = serde_json::Map::new();
        labels.insert(SOURCE_LABEL.into(), json!(name));
        if let Some(r) = retain_until {
            labels.insert(RETAIN_LABEL.into(), json!(r));
        }
        let body = json!({
            "name": snap,
            "description": format!("oppie_snapshot of {id}"),
            "labels": labels,
        });
        let d = disk["name"].as_str().unwrap_or_default();
        self.compute_op(
            Method::POST,
            &format!("zones/{zone}/disks/{d}/createSnapshot"),
            &[],
            Some(body),
            "disks.createSnapshot",
        )
        .await?;
        Ok(Some(format!("projects/{}/global/snapshots/{snap}", self.project)))
    }

    async fn prune_snapshots(&self, id: &str, now: &str) -> Result<Vec<String>, CloudError> {
        let (_, name) = zone_and_name(id);
        let listed = self
            .compute
            .send(Call::new(Method::GET, self.compute_url("global/snapshots", &[]), "snapshots.list"))
            .await?
            .json;
        let mut pruned = Vec::new();
        for s in listed["items"].as_array().into_iter().flatten() {
            let labels = &s["labels"];
            if labels[SOURCE_LABEL].as_str() != Some(name) {
                continue;
            }
            if let (Some(until), Some(snap)) = (labels[RETAIN_LABEL].as_str(), s["name"].as_str())
                && until < now
            {
                self.compute_op(Method::DELETE, &format!("global/snapshots/{snap}"), &[], None, "snapshots.delete")
                    .await?;
                pruned.push(format!("projects/{}/global/snapshots/{snap}", self.project));
            }
        }
        Ok(pruned)
    }
}

#[tfplug::async_trait]
impl Images for GcpRegion {
    async fn resolve_image(&self, lookup: &BTreeMap<String, String>) -> Result<String, CloudError> {
        let (Some(project), Some(family)) = (lookup.get("project"), lookup.get("family")) else {
            return Err(CloudError::other(
                SERVICE,
                "images.getFromFamily",
                "the catalog image has no GCP project and family",
            ));
        };
        let url = http::join(&self.compute_base, &format!("projects/{project}/global/images/family/{family}"), &[]);
        match self.compute.send(Call::new(Method::GET, url, "images.getFromFamily")).await {
            Ok(r) => Ok(resource_path(r.json["selfLink"].as_str().unwrap_or_default())),
            Err(mut e) if e.is_not_found() => {
                e.message = format!("no available image of family {family} in project {project}");
                Err(e)
            }
            Err(e) => Err(e),
        }
    }
}

impl GcpRegion {
    fn instance_id(&self, zone: &str, name: &str) -> String {
        format!("projects/{}/zones/{zone}/instances/{name}", self.project)
    }
}

#[tfplug::async_trait]
impl Api<Instance> for GcpRegion {
    async fn known_id(&self, spec: &InstanceSpec) -> Option<String> {
        // The zone is the subnet's: if it cannot be read, the create cannot start either.
        let (zone_suffix, _) = self.subnet_zone(&spec.subnet_id).await.ok()?;
        Some(self.instance_id(&format!("{}-{zone_suffix}", self.region), &spec.name))
    }

    async fn create(&self, spec: &InstanceSpec, _token: &str) -> Result<String, CloudError> {
        let (zone_suffix, subnet) = self.subnet_zone(&spec.subnet_id).await?;
        let zone = format!("{}-{zone_suffix}", self.region);
        let mut nic = json!({
            "network": resource_path(subnet["network"].as_str().unwrap_or_default()),
            "subnetwork": spec.subnet_id,
        });
        if spec.public_ip {
            nic["accessConfigs"] = json!([{ "type": "ONE_TO_ONE_NAT", "name": "External NAT" }]);
        }
        let mut body = json!({
            "name": spec.name,
            "machineType": format!("zones/{zone}/machineTypes/{}", spec.machine_type),
            "disks": [{
                "boot": true,
                "autoDelete": true,
                "initializeParams": {
                    "sourceImage": spec.image_id,
                    "diskSizeGb": spec.disk_gb.to_string(),
                    "labels": labels(&spec.tags),
                },
            }],
            "networkInterfaces": [nic],
            "tags": { "items": spec.firewall_ids.iter().map(|f| target_tag(f)).collect::<Vec<_>>() },
            "labels": labels(&spec.tags),
            "deletionProtection": spec.deletion_protection,
        });
        if let Some(u) = &spec.user_data {
            body["metadata"] = json!({ "items": [{ "key": "user-data", "value": u }] });
        }
        let id = self.instance_id(&zone, &spec.name);
        self.begin(&id, Method::POST, &format!("zones/{zone}/instances"), &[], Some(body), "instances.insert").await?;
        Ok(id)
    }

    async fn settle(&self, id: &str, _spec: &InstanceSpec) -> Result<(), CloudError> {
        self.finish(id, "instances.insert").await?;
        self.wait_status(id, "RUNNING").await
    }

    async fn update(&self, id: &str, spec: &InstanceSpec) -> Result<(), CloudError> {
        let i = self
            .instance(id)
            .await?
            .ok_or_else(|| CloudError::other(SERVICE, "instances.get", format!("instance {id} is gone")))?;
        let have_labels: crate::clouds::Tags = serde_json::from_value(i["labels"].clone()).unwrap_or_default();
        if have_labels != spec.tags {
            let body = json!({ "labels": labels(&spec.tags), "labelFingerprint": i["labelFingerprint"] });
            self.action(id, "setLabels", Some(body), &[]).await?;
        }
        let mut want_tags: Vec<String> = spec.firewall_ids.iter().map(|f| target_tag(f)).collect();
        want_tags.sort();
        let mut have_tags: Vec<String> = i["tags"]["items"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|t| t.as_str().map(str::to_string))
            .collect();
        have_tags.sort();
        if have_tags != want_tags {
            let body = json!({ "items": want_tags, "fingerprint": i["tags"]["fingerprint"] });
            self.action(id, "setTags", Some(body), &[]).await?;
        }
        if i["deletionProtection"].as_bool().unwrap_or(false) != spec.deletion_protection {
            let (zone, name) = zone_and_name(id);
            let flag = spec.deletion_protection.to_string();
            self.compute_op(
                Method::POST,
                &format!("zones/{zone}/instances/{name}/setDeletionProtection"),
                &[("deletionProtection", &flag)],
                None,
                "instances.setDeletionProtection",
            )
            .await?;
        }
        if let Some(d) = self.boot_disk(&i).await? {
            let size: u32 = d["sizeGb"].as_str().and_then(|s| s.parse().ok()).unwrap_or(0);
            if size < spec.disk_gb {
                let (zone, _) = zone_and_name(id);
                let disk = d["name"].as_str().unwrap_or_default();
                self.compute_op(
                    Method::POST,
                    &format!("zones/{zone}/disks/{disk}/resize"),
                    &[],
                    Some(json!({ "sizeGb": spec.disk_gb.to_string() })),
                    "disks.resize",
                )
                .await?;
            }
        }
        if last(i["machineType"].as_str().unwrap_or_default()) != spec.machine_type {
            let (zone, _) = zone_and_name(id);
            self.action(id, "stop", None, &[]).await?;
            self.wait_status(id, "TERMINATED").await?;
            let body = json!({ "machineType": format!("zones/{zone}/machineTypes/{}", spec.machine_type) });
            self.action(id, "setMachineType", Some(body), &[]).await?;
            self.action(id, "start", None, &[]).await?;
            self.wait_status(id, "RUNNING").await?;
        }
        Ok(())
    }

    async fn read(&self, id: &str) -> Result<Option<InstanceState>, CloudError> {
        let Some(i) = self.instance(id).await? else {
            return Ok(None);
        };
        let (zone, name) = zone_and_name(id);
        let nic = &i["networkInterfaces"][0];
        let network = resource_path(nic["network"].as_str().unwrap_or_default());
        let mut firewall_ids: Vec<String> = i["tags"]["items"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|t| t.as_str())
            .map(|t| format!("{network}/firewalls/{t}"))
            .collect();
        firewall_ids.sort();
        let nat_ip = nic["accessConfigs"][0]["natIP"].as_str();
        let public = nic["accessConfigs"].as_array().is_some_and(|a| !a.is_empty());
        let disk = self.boot_disk(&i).await?;
        let mut native = Native::new();
        native.insert("instance_id".into(), i["id"].as_str().unwrap_or_default().to_string());
        native.insert("self_link".into(), i["selfLink"].as_str().unwrap_or_default().to_string());
        native.insert("zone".into(), zone.to_string());
        native.insert("status".into(), i["status"].as_str().unwrap_or_default().to_string());
        if let Some(ip) = nic["networkIP"].as_str() {
            native.insert("private_ip".into(), ip.to_string());
        }
        if let Some(ip) = nat_ip {
            native.insert("public_ip".into(), ip.to_string());
        }
        if let Some(d) = &disk {
            native.insert("boot_disk".into(), d["name"].as_str().unwrap_or_default().to_string());
        }
        Ok(Some(InstanceState {
            id: format!("projects/{}/zones/{zone}/instances/{name}", self.project),
            name: i["name"].as_str().unwrap_or(name).to_string(),
            machine_type: last(i["machineType"].as_str().unwrap_or_default()).to_string(),
            image_id: disk
                .as_ref()
                .map(|d| resource_path(d["sourceImage"].as_str().unwrap_or_default()))
                .unwrap_or_default(),
            subnet_id: resource_path(nic["subnetwork"].as_str().unwrap_or_default()),
            firewall_ids,
            disk_gb: disk.as_ref().and_then(|d| d["sizeGb"].as_str()).and_then(|s| s.parse().ok()).unwrap_or(0),
            // Compute Engine encrypts every disk (Google-managed keys unless a customer key is set).
            disk_encrypted: true,
            public_ip: public,
            deletion_protection: i["deletionProtection"].as_bool().unwrap_or(false),
            tags: serde_json::from_value(i["labels"].clone()).unwrap_or_default(),
            native,
        }))
    }

    async fn list(&self, filter: &ListFilter) -> Result<Vec<Listed>, CloudError> {
        let items = self.compute_aggregated("instances", "instances.aggregatedList").await?;
        Ok(items
            .iter()
            .filter(|(_, i)| {
                let labels: crate::clouds::Tags = serde_json::from_value(i["labels"].clone()).unwrap_or_default();
                filter.matches_tags(Some(&labels))
            })
            .filter(|(_, i)| {
                let net = resource_path(i["networkInterfaces"][0]["network"].as_str().unwrap_or_default());
                filter.network_id.as_deref().is_none_or(|n| n == net)
            })
            .filter_map(|(zone, i)| {
                let name = i["name"].as_str()?;
                Some(Listed { id: self.instance_id(zone, name), name: name.into() })
            })
            .collect())
    }

    async fn delete(&self, id: &str, _spec: &InstanceSpec) -> Result<(), CloudError> {
        let (zone, name) = zone_and_name(id);
        match self
            .compute_op(Method::DELETE, &format!("zones/{zone}/instances/{name}"), &[], None, "instances.delete")
            .await
        {
            Ok(_) => Ok(()),
            Err(e) if e.is_not_found() => Ok(()),
            Err(mut e) => {
                if e.message.contains("deletion protection") {
                    e.message.push_str(" Set deletion_protection = false and apply first.");
                }
                Err(e)
            }
        }
    }
}

/// A Compute Engine VM's name is its identity (a valid name; renaming replaces it), and
/// every Compute Engine disk is encrypted.
pub(super) fn check_plan(plan: &mut tfplug::Plan, diags: &mut tfplug::Diagnostics) {
    diags.absorb(crate::kinds::common::check_gcp_name(plan, crate::clouds::gcp::NAME_MAX));
    if !plan.prior.is_null() && crate::kinds::common::changed(plan, "name") {
        plan.requires_replace.push(tfplug::AttributePath::attr("name"));
    }
    if plan.planned.attr("disk_encrypted").as_bool() == Some(false) {
        diags.add_attribute_error(
            tfplug::AttributePath::attr("disk_encrypted"),
            "Unencrypted disks not possible on GCP",
            "Compute Engine encrypts every disk (Google-managed keys by default); remove disk_encrypted = false.",
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_split() {
        assert_eq!(zone_and_name("projects/p/zones/us-east1-b/instances/api"), ("us-east1-b", "api"));
    }
}
