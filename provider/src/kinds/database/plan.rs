//! Planning a database: the tier and its defaults, the catalog's engine versions and sizes,
//! the password choice, and what each cloud cannot do, every problem on its attribute.

use tfplug::{AttributePath, Context, Diagnostics, MaybeUnknown, Plan, Value};

use super::{Engine, SERVICE, int};
use crate::catalog::Cloud;
use crate::client::Client;
use crate::kinds::common::{self, Placement};
use crate::kinds::tier::{self, Tier};

fn path(name: &str) -> AttributePath {
    AttributePath::attr(name)
}

fn configured(plan: &Plan, name: &str) -> bool {
    !plan.config.attr(name).is_null()
}

/// Sets `name` to `value` unless the configuration sets it.
fn default_to<T: serde::Serialize>(plan: &mut Plan, name: &str, value: MaybeUnknown<T>, diags: &mut Diagnostics) {
    if !configured(plan, name) {
        diags.absorb(plan.planned.set_attr(name, &value));
    }
}

/// The neutral planning of a database; the clouds' own checks follow from it.
pub fn plan(ctx: &Context<Client>, plan: &mut Plan, place: Option<&Placement>, diags: &mut Diagnostics) {
    diags.absorb(common::plan_resource_group(plan, place));
    let creating = plan.prior.is_null();
    let cloud = place.map(|p| p.cloud);

    // The tier and its defaults, where the cloud lets them be chosen.
    let tier = tier::plan_tier(plan);
    diags.absorb(plan.planned.set_attr("tier", &tier::map(tier.clone(), Tier::key)));
    let d = tier::map(tier.clone(), Tier::defaults);
    default_to(plan, "high_availability", tier::map(d.clone(), |d| d.high_availability), diags);
    default_to(plan, "backup_retention_days", tier::map(d.clone(), |d| d.backup_retention_days), diags);
    default_to(plan, "deletion_protection", tier::map(d.clone(), |d| d.deletion_protection), diags);
    match cloud {
        // RDS and flexible servers restore to any point of their backups: it is not a choice.
        Some(Cloud::Aws | Cloud::Azure) => {
            let backups = plan.planned.attr("backup_retention_days");
            let pitr = if backups.is_unknown() {
                MaybeUnknown::Unknown
            } else {
                MaybeUnknown::Known(int(backups).unwrap_or(0) > 0)
            };
            if let (Value::Bool(want), MaybeUnknown::Known(have)) = (plan.config.attr("point_in_time_recovery"), &pitr)
                && want != have
            {
                diags.extend(common::not_on(
                    cloud.unwrap_or(Cloud::Aws),
                    path("point_in_time_recovery"),
                    format!("point_in_time_recovery = {want}").as_str(),
                    "Point-in-time recovery comes with automated backups here and cannot be chosen apart from them; remove point_in_time_recovery (backup_retention_days = 0 turns both off on AWS).",
                ));
            } else {
                diags.absorb(plan.planned.set_attr("point_in_time_recovery", &pitr));
            }
        }
        _ => default_to(plan, "point_in_time_recovery", tier::map(d.clone(), |d| d.point_in_time_recovery), diags),
    }
    if cloud == Some(Cloud::Azure) {
        // Azure keeps no snapshot of a deleted server.
        if plan.config.attr("final_snapshot").as_bool() == Some(true) {
            diags.extend(common::not_on(
                Cloud::Azure,
                path("final_snapshot"),
                "final_snapshot = true",
                "Azure Database flexible servers take no snapshot on deletion (their backups go with them); remove final_snapshot, or export the data before destroying.",
            ));
        }
        diags.absorb(plan.planned.set_attr("final_snapshot", &false));
    } else {
        default_to(plan, "final_snapshot", tier::map(d.clone(), |d| d.final_snapshot), diags);
    }

    // Engine, version and size from the catalog.
    let engine = plan.planned.attr("engine").as_str().and_then(Engine::parse);
    if let (Some(p), Some(engine)) = (place, engine) {
        let cat = p.catalog();
        let version = plan.config.attr("version").as_str().map(str::to_string);
        if plan.config.attr("version").is_unknown() {
            diags.absorb(plan.planned.set_attr("version", &MaybeUnknown::<String>::Unknown));
        } else {
            match cat.service_version(p.cloud, SERVICE, engine.key(), version.as_deref()) {
                // An unset version keeps what runs (it may have been upgraded since).
                Ok(_) if version.is_none() && !creating && plan.prior.attr("version").as_str().is_some() => {
                    let prior = plan.prior.attr("version").clone();
                    diags.absorb(plan.planned.set_attr("version", &prior));
                }
                Ok(v) => {
                    diags.absorb(plan.planned.set_attr("version", &v));
                }
                Err(e) => diags.add_attribute_error(path("version"), "Unknown version", e),
            }
        }
        if !creating
            && let (Some(old), Some(new)) = (plan.prior.attr("version").as_str(), plan.planned.attr("version").as_str())
            && older(new, old)
        {
            plan.requires_replace.push(path("version"));
        }
        match plan.planned.attr("size").as_str().map(str::to_string) {
            Some(size) => match cat.service_size(p.cloud, SERVICE, engine.key(), &size) {
                Ok(native) => {
                    diags.absorb(plan.planned.set_attr("instance_class", &native));
                }
                Err(e) => diags.add_attribute_error(path("size"), "Unknown size", e),
            },
            None => {
                diags.absorb(plan.planned.set_attr("instance_class", &MaybeUnknown::<String>::Unknown));
            }
        }
    } else {
        if !configured(plan, "version") {
            diags.absorb(plan.planned.set_attr("version", &MaybeUnknown::<String>::Unknown));
        }
        diags.absorb(plan.planned.set_attr("instance_class", &MaybeUnknown::<String>::Unknown));
    }

    // The password: write-only, or kept by the cloud; never both, never neither.
    let wo = plan.config.attr("password_wo");
    let manage = plan.planned.attr("manage_password").as_bool();
    let wo_set = !wo.is_null();
    match (wo_set, manage) {
        (true, Some(true)) => diags.add_attribute_error(
            path("password_wo"),
            "Two passwords",
            "Set password_wo or manage_password = true, not both.",
        ),
        (false, Some(false)) if creating => {
            let old = !ctx.terraform_version().is_empty()
                && crate::kinds::secrets::before_write_only(ctx.terraform_version());
            diags.add_attribute_error(
                path("manage_password"),
                "No administrator password",
                if old {
                    format!(
                        "Terraform {} cannot send write-only arguments (they came in 1.11), so set manage_password = true: the cloud then generates and keeps the password (AWS only).",
                        ctx.terraform_version()
                    )
                } else {
                    "Set password_wo (with password_wo_version) to choose the administrator password without it entering plan or state, or manage_password = true to let the cloud keep it (AWS).".to_string()
                },
            )
        }
        _ => {}
    }
    if wo_set && !configured(plan, "password_wo_version") {
        diags.add_attribute_error(
            path("password_wo_version"),
            "No password version",
            "Set password_wo_version with password_wo (any number, e.g. 1); change it whenever password_wo changes, since Terraform cannot see write-only values to compare them.",
        );
    }
    if let Some(c) = cloud
        && c != Cloud::Aws
        && manage == Some(true)
    {
        diags.extend(common::not_on(
            c,
            path("manage_password"),
            "manage_password = true",
            match c {
                Cloud::Gcp => "Cloud SQL does not generate or keep administrator passwords; set password_wo (Terraform 1.11 or later) instead.",
                _ => "Azure Database flexible servers do not generate or keep administrator passwords; set password_wo (Terraform 1.11 or later) instead.",
            },
        ));
    }

    // Unset firewalls: AWS picks the network's default group (known after apply); the other
    // clouds have none.
    if !configured(plan, "firewall_ids") && cloud.is_some_and(|c| c != Cloud::Aws) {
        diags.absorb(plan.planned.set_attr("firewall_ids", &Option::<Vec<String>>::None));
    }

    // Encryption and placement.
    if plan.planned.attr("encrypted").as_bool() == Some(false) && configured(plan, "key_id") {
        diags.add_attribute_error(
            path("key_id"),
            "Key without encryption",
            "key_id needs encrypted = true (the default).",
        );
    }
    let count = |name: &str| plan.planned.attr(name).as_slice().map(<[Value]>::len);
    match cloud {
        Some(Cloud::Aws) => {
            if count("allowed_sources").is_some_and(|n| n > 0) {
                diags.extend(common::not_on(
                    Cloud::Aws,
                    path("allowed_sources"),
                    "allowed_sources",
                    "RDS admits traffic through security groups: give firewall_ids (oppie_firewall ids) instead.",
                ));
            }
            if count("subnet_ids") == Some(1) {
                diags.add_attribute_error(
                    path("subnet_ids"),
                    "One subnet is not enough on AWS",
                    "An RDS subnet group needs subnets in at least two zones; give two or more subnet_ids.",
                );
            }
        }
        Some(c) => {
            if count("firewall_ids").is_some_and(|n| n > 0) {
                diags.extend(common::not_on(
                    c,
                    path("firewall_ids"),
                    "firewall_ids",
                    "Only AWS places databases behind security groups; use allowed_sources (with publicly_accessible = true) or private placement with subnet_ids.",
                ));
            }
            if c == Cloud::Azure && count("allowed_sources").is_some_and(|n| n > 0) {
                diags.extend(common::not_on(
                    Cloud::Azure,
                    path("allowed_sources"),
                    "allowed_sources",
                    "Azure flexible server firewall rules are not managed by this provider yet: place the database in a delegated subnet (subnet_ids), or set publicly_accessible = true and add firewall rules with the azurerm provider.",
                ));
            } else if count("allowed_sources").is_some_and(|n| n > 0)
                && plan.planned.attr("publicly_accessible").as_bool() == Some(false)
            {
                diags.add_attribute_error(
                    path("allowed_sources"),
                    "allowed_sources without a public endpoint",
                    "allowed_sources admits address ranges to the public endpoint; set publicly_accessible = true, or remove allowed_sources.",
                );
            }
            if plan.planned.attr("encrypted").as_bool() == Some(false) {
                diags.extend(common::not_on(
                    c,
                    path("encrypted"),
                    "encrypted = false",
                    "Cloud SQL and Azure Database encrypt every database at rest; remove encrypted = false.",
                ));
            }
            if count("subnet_ids").is_some_and(|n| n > 1) && c == Cloud::Azure {
                diags.add_attribute_error(
                    path("subnet_ids"),
                    "One subnet on Azure",
                    "An Azure flexible server lives in one delegated subnet; give exactly one subnet id.",
                );
            }
            // The private network of GCP and the delegated subnet of Azure are fixed.
            if !creating && common::subnets_moved(plan, cloud, |n| n.contains_key("private_ip")) {
                plan.requires_replace.push(path("subnet_ids"));
            }
            if c == Cloud::Azure
                && plan.planned.attr("high_availability").as_bool() == Some(true)
                && plan.planned.attr("instance_class").as_str().is_some_and(|s| s.starts_with("Standard_B"))
            {
                diags.add_attribute_error(
                    path("high_availability"),
                    "No high availability on burstable sizes",
                    "Azure offers zone-redundant high availability on General Purpose and Memory Optimized sizes only: choose size m or larger (or a Standard_D/E size), or set high_availability = false.",
                );
            }
            if c == Cloud::Gcp
                && let Some(b) = int(plan.planned.attr("backup_retention_days"))
                && b < 1
            {
                diags.add_attribute_error(
                    path("backup_retention_days"),
                    "Backups cannot be off on GCP",
                    "Cloud SQL keeps at least one backup; use 1 to 35.",
                );
            }
            if c == Cloud::Azure
                && let Some(b) = int(plan.planned.attr("backup_retention_days"))
                && b < 7
            {
                diags.add_attribute_error(
                    path("backup_retention_days"),
                    "Too few backup days for Azure",
                    "Azure Database flexible servers keep backups for 7 to 35 days.",
                );
            }
            if c == Cloud::Gcp {
                diags.absorb(common::check_gcp_name(plan, 63));
            }
            if c == Cloud::Azure && engine == Some(Engine::Postgres) {
                plan_postgres_storage(plan, diags);
            }
        }
        None => {}
    }
    if let (Some(max), Some(now)) = (int(plan.planned.attr("max_storage_gb")), int(plan.planned.attr("storage_gb")))
        && max <= now
    {
        diags.add_attribute_error(
            path("max_storage_gb"),
            "Limit below the storage",
            format!("max_storage_gb ({max}) must be larger than storage_gb ({now})."),
        );
    }
    if let Some(v) = plan.planned.attr("name").as_str().map(str::to_string)
        && cloud != Some(Cloud::Azure)
    {
        // AWS: the identifier; GCP: the instance path needs the project, known at apply.
        if cloud == Some(Cloud::Aws) {
            diags.absorb(common::set_ids(&mut plan.planned, &v, None));
        }
    }
    if creating {
        diags.absorb(plan.planned.set_attr("endpoint", &MaybeUnknown::<String>::Unknown));
        diags.absorb(plan.planned.set_attr("port", &MaybeUnknown::<u16>::Unknown));
    }
    let changed = !creating
        && ["instance_class", "publicly_accessible", "high_availability", "version", "subnet_ids", "manage_password"]
            .iter()
            .any(|a| common::changed(plan, a));
    diags.absorb(common::plan_native(plan, changed));
}

/// The storage sizes of Azure Database for PostgreSQL flexible servers, in GB.
pub(super) const AZURE_POSTGRES_STORAGE_GB: [i64; 11] = [32, 64, 128, 256, 512, 1024, 2048, 4096, 8192, 16384, 32768];

/// Azure PostgreSQL storage comes in fixed sizes: an unset size takes the smallest, 32 GB
/// (the default 20 is no size there); any other must be one of them.
fn plan_postgres_storage(plan: &mut Plan, diags: &mut Diagnostics) {
    if !configured(plan, "storage_gb") {
        // Keep what runs (it may have grown) once created.
        let prior = int(plan.prior.attr("storage_gb")).filter(|_| !plan.prior.is_null());
        diags.absorb(plan.planned.set_attr("storage_gb", &prior.unwrap_or(AZURE_POSTGRES_STORAGE_GB[0])));
    } else if let Some(gb) = int(plan.planned.attr("storage_gb"))
        && !AZURE_POSTGRES_STORAGE_GB.contains(&gb)
    {
        let next = AZURE_POSTGRES_STORAGE_GB.iter().find(|s| **s >= gb).copied().unwrap_or(32768);
        diags.add_attribute_error(
            path("storage_gb"),
            "No such storage size on Azure",
            format!(
                "Azure Database for PostgreSQL flexible servers come with 32, 64, 128, 256, 512, 1024, 2048, 4096, 8192, 16384 or 32768 GB of storage; use {next}."
            ),
        );
    }
}

/// True when major version `a` is older than `b` (`"8.0"` < `"8.4"`, `"9"` < `"16"`).
fn older(a: &str, b: &str) -> bool {
    let nums = |s: &str| s.split('.').map(|p| p.parse::<u32>().unwrap_or(0)).collect::<Vec<_>>();
    nums(a) < nums(b)
}

#[cfg(test)]
mod tests {
    #[test]
    fn versions_compare_as_numbers() {
        assert!(super::older("9", "16"));
        assert!(super::older("8.0", "8.4"));
        assert!(!super::older("16", "16"));
    }
}
