//! Instances on AWS: RunInstances with a client token (and a token tag for lookups), an
//! encrypted gp3 root volume, no public IP unless asked, in-place resize by stop/modify/start.

use std::collections::BTreeMap;

use aws_sdk_ec2::types::{
    AttributeBooleanValue, AttributeValue, BlockDeviceMapping, EbsBlockDevice, Instance, InstanceAttributeName,
    InstanceNetworkInterfaceSpecification, InstanceStateName, InstanceType, ResourceType, VolumeType,
};
use base64::Engine as _;

use super::{Images, InstanceSpec, InstanceState, Operations};
use crate::clouds::aws::filter;
use crate::clouds::aws::idempotency::no_retry;
use crate::clouds::aws::tags::{self, TOKEN_TAG};
use crate::clouds::aws::{AwsRegion, errors};
use crate::clouds::aws::{list_filters, shown_name};
use crate::clouds::wait::poll;
use crate::clouds::{CloudError, Native};
use crate::kinds::{Api, ListFilter, Listed};

const EC2: &str = "AWS EC2";

impl AwsRegion {
    /// The instance and its reservation's owner, or `None` when gone or terminated.
    async fn instance(&self, id: &str) -> Result<Option<(Instance, String)>, CloudError> {
        let out = match self.ec2.describe_instances().instance_ids(id).send().await {
            Ok(out) => out,
            Err(e) => {
                let e = errors::ec2("DescribeInstances", e);
                return if e.is_not_found() { Ok(None) } else { Err(e) };
            }
        };
        for r in out.reservations() {
            if let Some(i) = r.instances().iter().find(|i| i.instance_id() == Some(id)) {
                let gone = matches!(i.state().and_then(|s| s.name()), Some(InstanceStateName::Terminated));
                return Ok((!gone).then(|| (i.clone(), r.owner_id().unwrap_or_default().to_string())));
            }
        }
        Ok(None)
    }

    async fn state_of(&self, id: &str) -> Result<Option<InstanceStateName>, CloudError> {
        Ok(self.instance(id).await?.and_then(|(i, _)| i.state().and_then(|s| s.name()).cloned()))
    }

    async fn wait_for_state(&self, id: &str, want: InstanceStateName) -> Result<(), CloudError> {
        poll(std::time::Duration::from_secs(5), || async {
            match self.state_of(id).await? {
                Some(s) if s == want => Ok(Some(())),
                Some(InstanceStateName::ShuttingDown) | None if want != InstanceStateName::Terminated => {
                    Err(CloudError::other(
                        EC2,
                        "DescribeInstances",
                        format!("instance {id} terminated while waiting for it to be {want}"),
                    ))
                }
                None if want == InstanceStateName::Terminated => Ok(Some(())),
                _ => Ok(None),
            }
        })
        .await
    }

    async fn root_device(&self, image_id: &str) -> String {
        let out = self.ec2.describe_images().image_ids(image_id).send().await;
        out.ok()
            .and_then(|o| o.images().first().and_then(|i| i.root_device_name()).map(str::to_string))
            .unwrap_or_else(|| "/dev/sda1".to_string())
    }

    async fn root_volume(&self, i: &Instance) -> Result<Option<(String, u32, bool)>, CloudError> {
        let root = i.root_device_name().unwrap_or("/dev/sda1");
        let Some(vol) = i
            .block_device_mappings()
            .iter()
            .find(|m| m.device_name() == Some(root))
            .or_else(|| i.block_device_mappings().first())
            .and_then(|m| m.ebs())
            .and_then(|e| e.volume_id())
        else {
            return Ok(None);
        };
        let out =
            self.ec2.describe_volumes().volume_ids(vol).send().await.map_err(|e| errors::ec2("DescribeVolumes", e))?;
        Ok(out.volumes().first().map(|v| {
            (vol.to_string(), u32::try_from(v.size().unwrap_or(0)).unwrap_or(0), v.encrypted().unwrap_or(false))
        }))
    }

    /// The primary network interface and its firewall ids (sorted). AWS reports an
    /// instance's groups as those of this interface, and changes them through it.
    fn primary_interface(i: &Instance) -> (Option<String>, Vec<String>) {
        let primary = i
            .network_interfaces()
            .iter()
            .find(|n| n.attachment().and_then(|a| a.device_index()) == Some(0))
            .or_else(|| i.network_interfaces().first());
        let mut groups: Vec<String> = match primary {
            Some(n) => n.groups().iter().filter_map(|g| g.group_id().map(str::to_string)).collect(),
            None => i.security_groups().iter().filter_map(|g| g.group_id().map(str::to_string)).collect(),
        };
        groups.sort();
        (primary.and_then(|n| n.network_interface_id()).map(str::to_string), groups)
    }

    async fn deletion_protection(&self, id: &str) -> Result<bool, CloudError> {
        let out = self
            .ec2
            .describe_instance_attribute()
            .instance_id(id)
            .attribute(InstanceAttributeName::DisableApiTermination)
            .send()
            .await
            .map_err(|e| errors::ec2("DescribeInstanceAttribute", e))?;
        Ok(out.disable_api_termination().and_then(|v| v.value()).unwrap_or(false))
    }

    async fn resize(&self, id: &str, machine_type: &str) -> Result<(), CloudError> {
        self.ec2.stop_instances().instance_ids(id).send().await.map_err(|e| errors::ec2("StopInstances", e))?;
        self.wait_for_state(id, InstanceStateName::Stopped).await?;
        self.ec2
            .modify_instance_attribute()
            .instance_id(id)
            .instance_type(AttributeValue::builder().value(machine_type).build())
            .send()
            .await
            .map_err(|e| errors::ec2("ModifyInstanceAttribute", e))?;
        self.ec2.start_instances().instance_ids(id).send().await.map_err(|e| errors::ec2("StartInstances", e))?;
        self.wait_for_state(id, InstanceStateName::Running).await
    }
}

/// Tags on a snapshot Oppie took: the machine it came from, and until when to keep it.
const SOURCE_TAG: &str = "oppie:snapshot-of";
const RETAIN_TAG: &str = "oppie:retain-until";

#[tfplug::async_trait]
impl Operations for AwsRegion {
    async fn start(&self, id: &str) -> Result<(), CloudError> {
        self.ec2.start_instances().instance_ids(id).send().await.map_err(|e| errors::ec2("StartInstances", e))?;
        self.wait_for_state(id, InstanceStateName::Running).await
    }

    async fn stop(&self, id: &str) -> Result<(), CloudError> {
        self.ec2.stop_instances().instance_ids(id).send().await.map_err(|e| errors::ec2("StopInstances", e))?;
        self.wait_for_state(id, InstanceStateName::Stopped).await
    }

    async fn reboot(&self, id: &str) -> Result<(), CloudError> {
        self.ec2.reboot_instances().instance_ids(id).send().await.map_err(|e| errors::ec2("RebootInstances", e))?;
        self.wait_for_state(id, InstanceStateName::Running).await
    }

    async fn power_state(&self, id: &str) -> Result<Option<String>, CloudError> {
        Ok(self.state_of(id).await?.map(|s| s.as_str().to_string()))
    }

    async fn snapshot_disk(&self, id: &str, retain_until: Option<&str>) -> Result<Option<String>, CloudError> {
        let Some((i, _)) = self.instance(id).await? else { return Ok(None) };
        let Some((volume, _, _)) = self.root_volume(&i).await? else {
            return Err(CloudError::other(EC2, "CreateSnapshot", format!("instance {id} has no EBS boot volume")));
        };
        let (name, _) = tags::split(i.tags(), true);
        let mut t = crate::clouds::Tags::from([(SOURCE_TAG.to_string(), id.to_string())]);
        if let Some(r) = retain_until {
            t.insert(RETAIN_TAG.into(), r.to_string());
        }
        let label = name.unwrap_or_else(|| id.to_string());
        let out = self
            .ec2
            .create_snapshot()
            .volume_id(&volume)
            .description(format!("oppie_snapshot of {label} ({id}), boot volume {volume}"))
            .tag_specifications(tags::spec(ResourceType::Snapshot, &t, Some(&label), None))
            .send()
            .await
            .map_err(|e| errors::ec2("CreateSnapshot", e))?;
        let snap = out.snapshot_id().unwrap_or_default().to_string();
        poll(std::time::Duration::from_secs(10), || async {
            let out = self
                .ec2
                .describe_snapshots()
                .snapshot_ids(&snap)
                .send()
                .await
                .map_err(|e| errors::ec2("DescribeSnapshots", e))?;
            match out.snapshots().first().and_then(|s| s.state()) {
                Some(aws_sdk_ec2::types::SnapshotState::Completed) => Ok(Some(())),
                Some(aws_sdk_ec2::types::SnapshotState::Error) => {
                    Err(CloudError::other(EC2, "CreateSnapshot", format!("snapshot {snap} of {volume} failed")))
                }
                _ => Ok(None),
            }
        })
        .await?;
        Ok(Some(snap))
    }

    async fn prune_snapshots(&self, id: &str, now: &str) -> Result<Vec<String>, CloudError> {
        let out = self
            .ec2
            .describe_snapshots()
            .owner_ids("self")
            .filters(filter(&format!("tag:{SOURCE_TAG}"), id))
            .send()
            .await
            .map_err(|e| errors::ec2("DescribeSnapshots", e))?;
        let mut pruned = Vec::new();
        for s in out.snapshots() {
            let until = s.tags().iter().find(|t| t.key() == Some(RETAIN_TAG)).and_then(|t| t.value());
            if let (Some(until), Some(snap)) = (until, s.snapshot_id())
                && until < now
            {
                self.ec2
                    .delete_snapshot()
                    .snapshot_id(snap)
                    .send()
                    .await
                    .map_err(|e| errors::ec2("DeleteSnapshot", e))?;
                pruned.push(snap.to_string());
            }
        }
        Ok(pruned)
    }
}

#[tfplug::async_trait]
impl Images for AwsRegion {
    async fn resolve_image(&self, lookup: &BTreeMap<String, String>) -> Result<String, CloudError> {
        let (Some(owner), Some(name)) = (lookup.get("owner"), lookup.get("name")) else {
            return Err(CloudError::other(
                EC2,
                "DescribeImages",
                "the catalog image has no AWS owner and name pattern",
            ));
        };
        let out = self
            .ec2
            .describe_images()
            .owners(owner)
            .filters(filter("name", name))
            .filters(filter("state", "available"))
            .send()
            .await
            .map_err(|e| errors::ec2("DescribeImages", e))?;
        // ISO 8601 creation dates sort as text.
        out.images()
            .iter()
            .filter(|i| i.image_id().is_some())
            .max_by(|a, b| a.creation_date().cmp(&b.creation_date()).then(a.name().cmp(&b.name())))
            .and_then(|i| i.image_id())
            .map(str::to_string)
            .ok_or_else(|| CloudError {
                kind: crate::clouds::ErrorKind::NotFound,
                service: EC2,
                operation: "DescribeImages".into(),
                code: None,
                message: format!("no available image of owner {owner} matches {name:?} in {}", self.region),
                request_id: None,
            })
    }
}

#[tfplug::async_trait]
impl Api<super::Instance> for AwsRegion {
    async fn create(&self, spec: &InstanceSpec, token: &str) -> Result<String, CloudError> {
        let root = self.root_device(&spec.image_id).await;
        let user_data = spec.user_data.as_ref().map(|u| base64::engine::general_purpose::STANDARD.encode(u));
        let create = || async {
            let out = self
                .ec2
                .run_instances()
                .image_id(&spec.image_id)
                .instance_type(InstanceType::from(spec.machine_type.as_str()))
                .min_count(1)
                .max_count(1)
                .client_token(token)
                .network_interfaces(
                    InstanceNetworkInterfaceSpecification::builder()
                        .device_index(0)
                        .subnet_id(&spec.subnet_id)
                        .set_groups((!spec.firewall_ids.is_empty()).then(|| spec.firewall_ids.clone()))
                        .associate_public_ip_address(spec.public_ip)
                        .delete_on_termination(true)
                        .build(),
                )
                .block_device_mappings(
                    BlockDeviceMapping::builder()
                        .device_name(&root)
                        .ebs(
                            EbsBlockDevice::builder()
                                .volume_size(i32::try_from(spec.disk_gb).unwrap_or(i32::MAX))
                                .encrypted(spec.disk_encrypted)
                                .volume_type(VolumeType::Gp3)
                                .delete_on_termination(true)
                                .build(),
                        )
                        .build(),
                )
                .set_user_data(user_data.clone())
                .disable_api_termination(spec.deletion_protection)
                .tag_specifications(tags::spec(ResourceType::Instance, &spec.tags, Some(&spec.name), Some(token)))
                .tag_specifications(tags::spec(ResourceType::Volume, &spec.tags, Some(&spec.name), None))
                .customize()
                .config_override(no_retry())
                .send()
                .await
                .map_err(|e| errors::ec2("RunInstances", e))?;
            out.instances()
                .first()
                .and_then(|i| i.instance_id())
                .map(str::to_string)
                .ok_or_else(|| CloudError::other(EC2, "RunInstances", "the answer had no instance id"))
        };
        self.create_once(create, || Api::<super::Instance>::find(self, token)).await
    }

    async fn find(&self, token: &str) -> Result<Option<String>, CloudError> {
        let out = self
            .ec2
            .describe_instances()
            .filters(filter(&format!("tag:{TOKEN_TAG}"), token))
            .send()
            .await
            .map_err(|e| errors::ec2("DescribeInstances", e))?;
        Ok(out
            .reservations()
            .iter()
            .flat_map(|r| r.instances())
            .find(|i| !matches!(i.state().and_then(|s| s.name()), Some(InstanceStateName::Terminated)))
            .and_then(|i| i.instance_id())
            .map(str::to_string))
    }

    async fn settle(&self, id: &str, _spec: &InstanceSpec) -> Result<(), CloudError> {
        self.wait_for_state(id, InstanceStateName::Running).await
    }

    async fn update(&self, id: &str, spec: &InstanceSpec) -> Result<(), CloudError> {
        let Some((i, _)) = self.instance(id).await? else {
            return Err(CloudError::other(EC2, "DescribeInstances", format!("instance {id} is gone")));
        };
        self.sync_tags(id, i.tags(), &spec.tags, Some(&spec.name)).await?;
        let (eni, have) = Self::primary_interface(&i);
        let mut want = spec.firewall_ids.clone();
        want.sort();
        if have != want && !want.is_empty() {
            let eni = eni.ok_or_else(|| {
                CloudError::other(
                    EC2,
                    "ModifyNetworkInterfaceAttribute",
                    format!("instance {id} has no network interface"),
                )
            })?;
            self.ec2
                .modify_network_interface_attribute()
                .network_interface_id(eni)
                .set_groups(Some(want))
                .send()
                .await
                .map_err(|e| errors::ec2("ModifyNetworkInterfaceAttribute", e))?;
        }
        if self.deletion_protection(id).await? != spec.deletion_protection {
            self.ec2
                .modify_instance_attribute()
                .instance_id(id)
                .disable_api_termination(AttributeBooleanValue::builder().value(spec.deletion_protection).build())
                .send()
                .await
                .map_err(|e| errors::ec2("ModifyInstanceAttribute", e))?;
        }
        if let Some((vol, size, _)) = self.root_volume(&i).await?
            && size < spec.disk_gb
        {
            self.ec2
                .modify_volume()
                .volume_id(vol)
                .size(i32::try_from(spec.disk_gb).unwrap_or(i32::MAX))
                .send()
                .await
                .map_err(|e| errors::ec2("ModifyVolume", e))?;
        }
        if i.instance_type().map(|t| t.as_str()) != Some(spec.machine_type.as_str()) {
            self.resize(id, &spec.machine_type).await?;
        }
        Ok(())
    }

    async fn read(&self, id: &str) -> Result<Option<InstanceState>, CloudError> {
        let Some((i, owner)) = self.instance(id).await? else {
            return Ok(None);
        };
        let (name, user_tags) = tags::split(i.tags(), true);
        let (_, firewall_ids) = Self::primary_interface(&i);
        let root = self.root_volume(&i).await?;
        let mut native = Native::new();
        native.insert("instance_id".into(), id.to_string());
        native.insert("arn".into(), self.ec2_arn(&owner, "instance", id));
        let mut put = |k: &str, v: Option<&str>| {
            if let Some(v) = v {
                native.insert(k.into(), v.to_string());
            }
        };
        put("private_ip", i.private_ip_address());
        put("public_ip", i.public_ip_address());
        put("private_dns", i.private_dns_name().filter(|s| !s.is_empty()));
        put("availability_zone", i.placement().and_then(|p| p.availability_zone()));
        put("vpc_id", i.vpc_id());
        put("root_volume_id", root.as_ref().map(|r| r.0.as_str()));
        Ok(Some(InstanceState {
            id: id.to_string(),
            name: name.unwrap_or_default(),
            machine_type: i.instance_type().map(|t| t.as_str().to_string()).unwrap_or_default(),
            image_id: i.image_id().unwrap_or_default().to_string(),
            subnet_id: i.subnet_id().unwrap_or_default().to_string(),
            firewall_ids,
            disk_gb: root.as_ref().map_or(0, |r| r.1),
            disk_encrypted: root.as_ref().is_some_and(|r| r.2),
            public_ip: i.public_ip_address().is_some(),
            deletion_protection: self.deletion_protection(id).await?,
            tags: user_tags,
            native,
        }))
    }

    async fn list(&self, filter: &ListFilter) -> Result<Vec<Listed>, CloudError> {
        let mut filters = list_filters(filter, true);
        filters.push(
            aws_sdk_ec2::types::Filter::builder()
                .name("instance-state-name")
                .set_values(Some(["pending", "running", "stopping", "stopped"].map(String::from).to_vec()))
                .build(),
        );
        let mut found = Vec::new();
        let mut pages = self.ec2.describe_instances().set_filters(Some(filters)).into_paginator().send();
        while let Some(page) = pages.next().await {
            let page = page.map_err(|e| errors::ec2("DescribeInstances", e))?;
            for i in page.reservations().iter().flat_map(|r| r.instances()) {
                let id = i.instance_id().unwrap_or_default();
                found.push(Listed { id: id.to_string(), name: shown_name(i.tags(), id) });
            }
        }
        Ok(found)
    }

    async fn delete(&self, id: &str, _spec: &InstanceSpec) -> Result<(), CloudError> {
        match self.ec2.terminate_instances().instance_ids(id).send().await {
            Ok(_) => {}
            Err(e) => {
                let e = errors::ec2("TerminateInstances", e);
                if e.is_not_found() {
                    return Ok(());
                }
                return Err(e);
            }
        }
        self.wait_for_state(id, InstanceStateName::Terminated).await
    }
}
