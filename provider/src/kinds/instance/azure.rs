//! Instances as Linux VMs: a network interface in the subnet (with the security group), a
//! public IP only on request, a managed OS disk from a marketplace image, encryption at host
//! where the size has it, an `oppie` admin with a generated SSH key, and a delete lock for
//! `deletion_protection`.

use std::collections::BTreeMap;

use aws_lc_rs::signature::{Ed25519KeyPair, KeyPair as _};
use base64::Engine as _;
use serde_json::{Value, json};

use super::{Images, Instance, InstanceSpec, InstanceState, Operations};
use crate::clouds::azure::groups::{self, group_of};
use crate::clouds::azure::names::{id_part, last, subnet_zone, zone_number};
use crate::clouds::azure::{AzureRegion, api};
use crate::clouds::{CloudError, ErrorKind, Native};
use crate::kinds::{Api, ListFilter, Listed, arm_listed};

const LOCK: &str = "providers/Microsoft.Authorization/locks/oppie-deletion-protection";
const ADMIN: &str = "oppie";

fn arm_error(operation: &str, message: String) -> CloudError {
    CloudError::other("Azure Resource Manager", operation, message)
}

/// VM names: letters, digits, '-', '_' and '.'; anything else becomes '-'.
fn vm_name(name: &str) -> String {
    let n: String =
        name.chars().map(|c| if c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.') { c } else { '-' }).collect();
    n.chars().take(64).collect()
}

/// Host names: letters, digits and '-', at most 63.
fn computer_name(name: &str) -> String {
    let n: String = name.chars().map(|c| if c.is_ascii_alphanumeric() { c } else { '-' }).take(63).collect();
    n.trim_matches('-').to_string()
}

/// Sizes without encryption at host (the A-series v1 and basic tiers); every other size
/// Oppie's catalog offers has it.
fn encryption_at_host(size: &str) -> bool {
    let s = size.to_ascii_lowercase();
    !(s.starts_with("basic_") || (s.starts_with("standard_a") && !s.contains("_v2")) || s == "standard_b1ls")
}

/// An image id as ARM's `imageReference`: a URN `publisher:offer:sku:version`, or an image id.
fn image_reference(image: &str) -> Result<Value, CloudError> {
    if image.starts_with("/subscriptions/") {
        return Ok(json!({"id": image}));
    }
    match image.split(':').collect::<Vec<_>>()[..] {
        [publisher, offer, sku, version] => {
            Ok(json!({"publisher": publisher, "offer": offer, "sku": sku, "version": version}))
        }
        _ => Err(CloudError {
            kind: ErrorKind::Invalid,
            service: "Azure Resource Manager",
            operation: "virtualMachines.createOrUpdate".into(),
            code: None,
            message: format!("{image:?} is neither an image URN publisher:offer:sku:version nor an image resource id"),
            request_id: None,
        }),
    }
}

/// The marketplace URN of a catalog image. Marketplace images resolve on Azure's side:
/// "latest" always names the newest version, so a plan needs no call (and no credentials).
pub fn marketplace_urn(lookup: &BTreeMap<String, String>) -> Result<String, CloudError> {
    let field = |k: &str| {
        lookup.get(k).cloned().ok_or_else(|| arm_error("image lookup", format!("the catalog image has no {k}")))
    };
    Ok(format!("{}:{}:{}:latest", field("publisher")?, field("offer")?, field("sku")?))
}

fn image_of(reference: &Value) -> String {
    if let Some(id) = reference["id"].as_str() {
        return id.to_string();
    }
    ["publisher", "offer", "sku", "version"].map(|k| reference[k].as_str().unwrap_or_default()).join(":")
}

/// A fresh Ed25519 key in OpenSSH's public form. Azure demands a key when passwords are
/// off; the private half is dropped: people come in through `user_data` or Entra ID login.
fn throwaway_ssh_key() -> Result<String, CloudError> {
    let rng = aws_lc_rs::rand::SystemRandom::new();
    let pkcs8 = Ed25519KeyPair::generate_pkcs8(&rng)
        .map_err(|e| arm_error("ssh key", format!("could not generate an SSH key: {e}")))?;
    let pair = Ed25519KeyPair::from_pkcs8(pkcs8.as_ref())
        .map_err(|e| arm_error("ssh key", format!("could not read the SSH key: {e}")))?;
    let mut blob = Vec::new();
    for part in [b"ssh-ed25519".as_slice(), pair.public_key().as_ref()] {
        blob.extend_from_slice(&u32::try_from(part.len()).unwrap_or(0).to_be_bytes());
        blob.extend_from_slice(part);
    }
    Ok(format!("ssh-ed25519 {} oppie", base64::engine::general_purpose::STANDARD.encode(blob)))
}

struct Ids {
    vm: String,
    nic: String,
    pip: String,
}

impl AzureRegion {
    fn ids(&self, spec_subnet: &str, name: &str) -> Result<Ids, CloudError> {
        let base = self.group_id(group_of(spec_subnet)?)?;
        let vm = vm_name(name);
        Ok(Ids {
            vm: format!("{base}/providers/Microsoft.Compute/virtualMachines/{vm}"),
            nic: format!("{base}/providers/Microsoft.Network/networkInterfaces/{vm}-nic"),
            pip: format!("{base}/providers/Microsoft.Network/publicIPAddresses/{vm}-pip"),
        })
    }

    fn nic_body(&self, spec: &InstanceSpec, pip: Option<&str>) -> Value {
        let mut ip = json!({"subnet": {"id": spec.subnet_id}, "privateIPAllocationMethod": "Dynamic", "primary": true});
        if let Some(p) = pip {
            ip["publicIPAddress"] = json!({"id": p});
        }
        let mut props = json!({"ipConfigurations": [{"name": "primary", "properties": ip}]});
        if let Some(fw) = spec.firewall_ids.first() {
            props["networkSecurityGroup"] = json!({"id": fw});
        }
        json!({"location": self.region, "tags": spec.tags, "properties": props})
    }

    async fn lock(&self, vm: &str, on: bool) -> Result<(), CloudError> {
        let id = format!("{vm}/{LOCK}");
        let exists = self.get(&id, api::LOCKS, "managementLocks.get").await?.is_some();
        match (on, exists) {
            (true, false) => {
                let body =
                    json!({"properties": {"level": "CanNotDelete", "notes": "oppie_instance deletion_protection"}});
                self.put(&id, api::LOCKS, body, "managementLocks.createOrUpdateByScope").await.map(|_| ())
            }
            (false, true) => self.delete(&id, api::LOCKS, "managementLocks.deleteByScope").await,
            _ => Ok(()),
        }
    }
}

/// Tags on a snapshot Oppie took: the machine's id, and until when to keep it.
const SOURCE_TAG: &str = "oppie:snapshot-of";
const RETAIN_TAG: &str = "oppie:retain-until";

impl AzureRegion {
    async fn wait_power(&self, id: &str, want: &str) -> Result<(), CloudError> {
        crate::clouds::wait::poll(std::time::Duration::from_secs(5), || async {
            Ok((Operations::power_state(self, id).await?.as_deref() == Some(want)).then_some(()))
        })
        .await
    }
}

#[tfplug::async_trait]
impl Operations for AzureRegion {
    async fn start(&self, id: &str) -> Result<(), CloudError> {
        self.action(id, "start", api::COMPUTE, "virtualMachines.start").await?;
        self.wait_power(id, "running").await
    }

    async fn stop(&self, id: &str) -> Result<(), CloudError> {
        self.action(id, "powerOff", api::COMPUTE, "virtualMachines.powerOff").await?;
        self.wait_power(id, "stopped").await
    }

    async fn reboot(&self, id: &str) -> Result<(), CloudError> {
        self.action(id, "restart", api::COMPUTE, "virtualMachines.restart").await?;
        self.wait_power(id, "running").await
    }

    async fn power_state(&self, id: &str) -> Result<Option<String>, CloudError> {
        let Some(view) = self.get(&format!("{id}/instanceView"), api::COMPUTE, "virtualMachines.instanceView").await?
        else {
            return Ok(None);
        };
        Ok(Some(
            view["statuses"]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(|s| s["code"].as_str()?.strip_prefix("PowerState/"))
                .next()
                .unwrap_or("unknown")
                .to_string(),
        ))
    }

    async fn snapshot_disk(&self, id: &str, retain_until: Option<&str>) -> Result<Option<String>, CloudError> {
        let Some(vm) = self.get(id, api::COMPUTE, "virtualMachines.get").await? else { return Ok(None) };
        let Some(disk) = vm["properties"]["storageProfile"]["osDisk"]["managedDisk"]["id"].as_str() else {
            return Err(arm_error("snapshots.createOrUpdate", format!("{id} has no managed OS disk")));
        };
        let taken = crate::actions::stamp(time::OffsetDateTime::now_utc());
        let snap = format!(
            "{}/providers/Microsoft.Compute/snapshots/{}-{taken}",
            self.group_id(group_of(id)?)?,
            last(id).chars().take(60).collect::<String>()
        );
        let mut tags = crate::clouds::Tags::from([(SOURCE_TAG.to_string(), id.to_ascii_lowercase())]);
        if let Some(r) = retain_until {
            tags.insert(RETAIN_TAG.into(), r.to_string());
        }
        let body = json!({
            "location": vm["location"].as_str().unwrap_or(&self.region),
            "tags": tags,
            "properties": {"creationData": {"createOption": "Copy", "sourceResourceId": disk}},
        });
        self.put(&snap, api::DISKS, body, "snapshots.createOrUpdate").await?;
        Ok(Some(snap))
    }

    async fn prune_snapshots(&self, id: &str, now: &str) -> Result<Vec<String>, CloudError> {
        let group = self.group_id(group_of(id)?)?;
        let listed = self
            .get(&format!("{group}/providers/Microsoft.Compute/snapshots"), api::DISKS, "snapshots.listByResourceGroup")
            .await?
            .unwrap_or_default();
        let mut pruned = Vec::new();
        for s in listed["value"].as_array().into_iter().flatten() {
            if s["tags"][SOURCE_TAG].as_str() != Some(id.to_ascii_lowercase().as_str()) {
                continue;
            }
            if let (Some(until), Some(snap)) = (s["tags"][RETAIN_TAG].as_str(), s["id"].as_str())
                && until < now
            {
                self.delete(snap, api::DISKS, "snapshots.delete").await?;
                pruned.push(snap.to_string());
            }
        }
        Ok(pruned)
    }
}

#[tfplug::async_trait]
impl Images for AzureRegion {
    async fn resolve_image(&self, lookup: &BTreeMap<String, String>) -> Result<String, CloudError> {
        marketplace_urn(lookup)
    }
}

#[tfplug::async_trait]
impl Api<Instance> for AzureRegion {
    async fn known_id(&self, spec: &InstanceSpec) -> Option<String> {
        self.ids(&spec.subnet_id, &spec.name).ok().map(|ids| ids.vm)
    }

    async fn create(&self, spec: &InstanceSpec, _token: &str) -> Result<String, CloudError> {
        let ids = self.ids(&spec.subnet_id, &spec.name)?;
        let zone = subnet_zone(last(&spec.subnet_id)).map(|z| zone_number(&z));
        if spec.public_ip {
            let mut pip = json!({
                "location": self.region, "tags": spec.tags, "sku": {"name": "Standard"},
                "properties": {"publicIPAllocationMethod": "Static", "publicIPAddressVersion": "IPv4"},
            });
            if let Some(z) = &zone {
                pip["zones"] = json!([z]);
            }
            self.put(&ids.pip, api::NETWORK, pip, "publicIPAddresses.createOrUpdate").await?;
        }
        // From here on an address may exist: a failure leaves the machine's parts to its delete.
        let made = |e: CloudError| if spec.public_ip { e.after_partial_create() } else { e };
        let nic = self.nic_body(spec, spec.public_ip.then_some(ids.pip.as_str()));
        self.put(&ids.nic, api::NETWORK, nic, "networkInterfaces.createOrUpdate").await.map_err(made)?;
        let vm = vm_name(&spec.name);
        let mut props = json!({
            "hardwareProfile": {"vmSize": spec.machine_type},
            "storageProfile": {
                "imageReference": image_reference(&spec.image_id)?,
                "osDisk": {
                    "name": format!("{vm}-osdisk"), "createOption": "FromImage", "diskSizeGB": spec.disk_gb,
                    "managedDisk": {"storageAccountType": "StandardSSD_LRS"}, "deleteOption": "Delete",
                },
            },
            "osProfile": {
                "computerName": computer_name(&spec.name),
                "adminUsername": ADMIN,
                "linuxConfiguration": {
                    "disablePasswordAuthentication": true,
                    "ssh": {"publicKeys": [{"path": format!("/home/{ADMIN}/.ssh/authorized_keys"), "keyData": throwaway_ssh_key()?}]},
                },
            },
            "networkProfile": {"networkInterfaces": [{"id": ids.nic, "properties": {"primary": true}}]},
        });
        if spec.disk_encrypted && encryption_at_host(&spec.machine_type) {
            props["securityProfile"] = json!({"encryptionAtHost": true});
        }
        if let Some(u) = &spec.user_data {
            props["userData"] = json!(base64::engine::general_purpose::STANDARD.encode(u));
        }
        let mut body = json!({"location": self.region, "tags": spec.tags, "properties": props});
        if let Some(z) = zone {
            body["zones"] = json!([z]);
        }
        self.put_start(&ids.vm, api::COMPUTE, body, "virtualMachines.createOrUpdate")
            .await
            .map_err(CloudError::after_partial_create)?;
        Ok(ids.vm)
    }

    async fn settle(&self, id: &str, spec: &InstanceSpec) -> Result<(), CloudError> {
        if spec.deletion_protection {
            self.lock(id, true).await?;
        }
        self.settle_put(id, api::COMPUTE, "virtualMachines.createOrUpdate").await?;
        crate::clouds::wait::poll(std::time::Duration::from_secs(5), || async {
            let view = self.get(&format!("{id}/instanceView"), api::COMPUTE, "virtualMachines.instanceView").await?;
            let running = view.as_ref().is_some_and(|v| {
                v["statuses"].as_array().into_iter().flatten().any(|s| s["code"].as_str() == Some("PowerState/running"))
            });
            Ok(running.then_some(()))
        })
        .await
    }

    async fn update(&self, id: &str, spec: &InstanceSpec) -> Result<(), CloudError> {
        self.settle_put(id, api::COMPUTE, "virtualMachines.createOrUpdate").await?;
        let Some(vm) = self.get(id, api::COMPUTE, "virtualMachines.get").await? else {
            return Err(arm_error("virtualMachines.get", format!("{id} is gone")));
        };
        let mut patch = json!({});
        if vm["properties"]["hardwareProfile"]["vmSize"].as_str() != Some(spec.machine_type.as_str()) {
            patch["properties"] = json!({"hardwareProfile": {"vmSize": spec.machine_type}});
        }
        if groups::user_tags(&vm) != spec.tags {
            patch["tags"] = json!(spec.tags);
        }
        if patch.as_object().is_some_and(|o| !o.is_empty()) {
            self.patch(id, api::COMPUTE, patch, "virtualMachines.update").await?;
        }
        // Security group: the interface carries it.
        if let Some(nic_id) = vm["properties"]["networkProfile"]["networkInterfaces"][0]["id"].as_str()
            && let Some(nic) = self.get(nic_id, api::NETWORK, "networkInterfaces.get").await?
        {
            // ARM ids compare without case (ARM may echo `resourcegroups` in references).
            let have = nic["properties"]["networkSecurityGroup"]["id"].as_str().map(str::to_ascii_lowercase);
            let want = spec.firewall_ids.first().map(|f| f.to_ascii_lowercase());
            if have != want || groups::user_tags(&nic) != spec.tags {
                let pip = nic["properties"]["ipConfigurations"][0]["properties"]["publicIPAddress"]["id"].as_str();
                self.put(nic_id, api::NETWORK, self.nic_body(spec, pip), "networkInterfaces.createOrUpdate").await?;
            }
        }
        // A bigger OS disk: only while the machine is deallocated.
        let disk_gb = vm["properties"]["storageProfile"]["osDisk"]["diskSizeGB"].as_u64().unwrap_or(0);
        if disk_gb < u64::from(spec.disk_gb)
            && let Some(disk) = vm["properties"]["storageProfile"]["osDisk"]["managedDisk"]["id"].as_str()
        {
            self.action(id, "deallocate", api::COMPUTE, "virtualMachines.deallocate").await?;
            self.patch(disk, api::DISKS, json!({"properties": {"diskSizeGB": spec.disk_gb}}), "disks.update").await?;
            self.action(id, "start", api::COMPUTE, "virtualMachines.start").await?;
        }
        self.lock(id, spec.deletion_protection).await
    }

    async fn read(&self, id: &str) -> Result<Option<InstanceState>, CloudError> {
        let Some(vm) = self.get(id, api::COMPUTE, "virtualMachines.get").await? else { return Ok(None) };
        let p = &vm["properties"];
        let mut native = Native::new();
        native.insert("resource_group".into(), group_of(id)?.to_string());
        if let Some(z) = vm["zones"][0].as_str() {
            native.insert("zone".into(), z.to_string());
        }
        if let Some(v) = p["vmId"].as_str() {
            native.insert("vm_id".into(), v.to_string());
        }
        let (mut subnet_id, mut firewall_ids, mut public_ip) = (String::new(), Vec::new(), false);
        if let Some(nic_id) = p["networkProfile"]["networkInterfaces"][0]["id"].as_str()
            && let Some(nic) = self.get(nic_id, api::NETWORK, "networkInterfaces.get").await?
        {
            native.insert("network_interface_id".into(), nic_id.to_string());
            let ip = &nic["properties"]["ipConfigurations"][0]["properties"];
            subnet_id = ip["subnet"]["id"].as_str().unwrap_or_default().to_string();
            if let Some(a) = ip["privateIPAddress"].as_str() {
                native.insert("private_ip".into(), a.to_string());
            }
            if let Some(pip_id) = ip["publicIPAddress"]["id"].as_str() {
                public_ip = true;
                native.insert("public_ip_id".into(), pip_id.to_string());
                if let Some(pip) = self.get(pip_id, api::NETWORK, "publicIPAddresses.get").await?
                    && let Some(a) = pip["properties"]["ipAddress"].as_str()
                {
                    native.insert("public_ip".into(), a.to_string());
                }
            }
            firewall_ids.extend(nic["properties"]["networkSecurityGroup"]["id"].as_str().map(str::to_string));
        }
        let locked = self.get(&format!("{id}/{LOCK}"), api::LOCKS, "managementLocks.get").await?.is_some();
        let os = &p["storageProfile"]["osDisk"];
        Ok(Some(InstanceState {
            id: vm["id"].as_str().unwrap_or(id).to_string(),
            name: vm["name"].as_str().map_or_else(|| last(id).to_string(), str::to_string),
            machine_type: p["hardwareProfile"]["vmSize"].as_str().unwrap_or_default().to_string(),
            image_id: image_of(&p["storageProfile"]["imageReference"]),
            subnet_id,
            firewall_ids,
            disk_gb: os["diskSizeGB"].as_u64().and_then(|n| u32::try_from(n).ok()).unwrap_or(0),
            // Managed disks are always encrypted at rest on Azure.
            disk_encrypted: true,
            public_ip,
            deletion_protection: locked,
            tags: groups::user_tags(&vm),
            native,
        }))
    }

    /// Virtual machines in the region; with `network_id`, those whose first network interface
    /// is in a subnet of that virtual network.
    async fn list(&self, filter: &ListFilter) -> Result<Vec<Listed>, CloudError> {
        let op = if filter.resource_group.is_some() { "virtualMachines.list" } else { "virtualMachines.listAll" };
        let items = self
            .list_in_region("Microsoft.Compute/virtualMachines", filter.resource_group.as_deref(), api::COMPUTE, op)
            .await?;
        let mut out = Vec::new();
        for vm in items.iter().filter(|v| filter.matches_tags(Some(&groups::user_tags(v)))) {
            if let Some(network) = &filter.network_id {
                let Some(nic_id) = vm["properties"]["networkProfile"]["networkInterfaces"][0]["id"].as_str() else {
                    continue;
                };
                let Some(nic) = self.get(nic_id, api::NETWORK, "networkInterfaces.get").await? else { continue };
                let subnet =
                    nic["properties"]["ipConfigurations"][0]["properties"]["subnet"]["id"].as_str().unwrap_or_default();
                let vnet = subnet.split_once("/subnets/").map_or("", |(v, _)| v);
                if !vnet.eq_ignore_ascii_case(network) {
                    continue;
                }
            }
            out.extend(arm_listed(vm));
        }
        Ok(out)
    }

    async fn delete(&self, id: &str, _spec: &InstanceSpec) -> Result<(), CloudError> {
        // A create that stopped half-way leaves the interface and address without the VM:
        // their names follow from the VM's, so they go too.
        let vm = self.get(id, api::COMPUTE, "virtualMachines.get").await?;
        let derived =
            format!("{}/providers/Microsoft.Network/networkInterfaces/{}-nic", self.group_id(group_of(id)?)?, last(id));
        let p = vm.as_ref().map(|v| &v["properties"]);
        let nic =
            p.and_then(|p| p["networkProfile"]["networkInterfaces"][0]["id"].as_str()).map_or(derived, str::to_string);
        let disk = p.and_then(|p| p["storageProfile"]["osDisk"]["managedDisk"]["id"].as_str()).map(str::to_string);
        if vm.is_some() {
            self.delete(id, api::COMPUTE, "virtualMachines.delete").await?;
        }
        if let Some(d) = disk {
            crate::clouds::wait::while_in_use(|| self.delete(&d, api::DISKS, "disks.delete")).await?;
        }
        let derived_pip =
            format!("{}-pip", nic.trim_end_matches("-nic")).replace("/networkInterfaces/", "/publicIPAddresses/");
        let pip = match self.get(&nic, api::NETWORK, "networkInterfaces.get").await? {
            Some(n) => n["properties"]["ipConfigurations"][0]["properties"]["publicIPAddress"]["id"]
                .as_str()
                .map(str::to_string),
            None => Some(derived_pip),
        };
        crate::clouds::wait::while_in_use(|| self.delete(&nic, api::NETWORK, "networkInterfaces.delete")).await?;
        if let Some(p) = pip.filter(|p| id_part(p, "resourceGroups").is_some()) {
            crate::clouds::wait::while_in_use(|| self.delete(&p, api::NETWORK, "publicIPAddresses.delete")).await?;
        }
        Ok(())
    }
}

/// What an Azure VM cannot do the way the attributes ask; its name is its identity.
pub(super) fn check_plan(plan: &mut tfplug::Plan, diags: &mut tfplug::Diagnostics) {
    use tfplug::AttributePath;
    if plan.planned.attr("disk_encrypted").as_bool() == Some(false) {
        diags.extend(crate::kinds::common::not_on(
            crate::catalog::Cloud::Azure,
            AttributePath::attr("disk_encrypted"),
            "disk_encrypted = false",
            "Azure managed disks are always encrypted at rest; remove disk_encrypted = false.",
        ));
    }
    if plan.planned.attr("firewall_ids").as_slice().is_some_and(|f| f.len() > 1) {
        diags.extend(crate::kinds::common::not_on(
            crate::catalog::Cloud::Azure,
            AttributePath::attr("firewall_ids"),
            "More than one firewall",
            "an Azure network interface takes one network security group; merge the rules into one oppie_firewall.",
        ));
    }
    if !plan.prior.is_null() && crate::kinds::common::changed(plan, "name") {
        plan.requires_replace.push(AttributePath::attr("name"));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn images_and_names_map_to_arm() {
        let r = image_reference("Canonical:ubuntu-24_04-lts:server:latest").unwrap();
        assert_eq!(r["offer"], "ubuntu-24_04-lts");
        assert_eq!(image_of(&r), "Canonical:ubuntu-24_04-lts:server:latest");
        assert!(image_reference("ami-123").is_err());
        assert_eq!(vm_name("web 1"), "web-1");
        assert_eq!(computer_name("web_1."), "web-1");
        assert!(encryption_at_host("Standard_B2s"));
        assert!(!encryption_at_host("Standard_A1"));
        assert!(throwaway_ssh_key().unwrap().starts_with("ssh-ed25519 AAAAC3NzaC1lZDI1NTE5"));
    }
}
