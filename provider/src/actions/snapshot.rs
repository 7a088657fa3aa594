//! `action "oppie_snapshot"`: a point-in-time copy of what an object holds, for rollback and
//! disaster recovery: a machine's boot disk, or the current version of every object in a
//! versioned bucket. Each source kind says whether an id is its own ([`SnapshotSource`]); a
//! new kind (databases) plugs in by adding its source to [`sources`].

use serde::Deserialize;
use tfplug::validator::int_between;
use tfplug::{Action, ActionProgress, Attribute, Block, Context, Diagnostics, Object, Schema};
use time::OffsetDateTime;

use super::{stamp, target, with_place};
use crate::catalog::Cloud;
use crate::client::Client;
use crate::clouds::{CloudError, Region};
use crate::kinds::{bucket, instance};

/// The action type.
pub struct Snapshot;

/// Something a snapshot can be taken of.
#[tfplug::async_trait]
pub trait SnapshotSource: Send + Sync {
    /// What it is, for messages ("instance").
    fn noun(&self) -> &'static str;

    /// Whether `id` may name one of these on `cloud` (by its shape; several sources may
    /// claim the same id, and are then tried in order).
    fn claims(&self, cloud: Cloud, id: &str) -> bool;

    /// Takes the snapshot, to be kept until `retain_until` (a [stamp](super::stamp)); its
    /// native id, or `None` when there is no such object.
    async fn take(&self, region: &Region, id: &str, retain_until: Option<&str>) -> Result<Option<String>, CloudError>;

    /// Deletes this source's earlier snapshots whose retention has ended; their ids.
    async fn prune(&self, region: &Region, id: &str, now: &str) -> Result<Vec<String>, CloudError>;
}

/// A machine's boot disk.
struct InstanceDisk;

#[tfplug::async_trait]
impl SnapshotSource for InstanceDisk {
    fn noun(&self) -> &'static str {
        "instance"
    }

    fn claims(&self, cloud: Cloud, id: &str) -> bool {
        match cloud {
            Cloud::Aws => id.starts_with("i-"),
            Cloud::Gcp => id.contains("/instances/"),
            Cloud::Azure => id.to_ascii_lowercase().contains("/microsoft.compute/virtualmachines/"),
        }
    }

    async fn take(&self, region: &Region, id: &str, retain_until: Option<&str>) -> Result<Option<String>, CloudError> {
        instance::operations(region).snapshot_disk(id, retain_until).await
    }

    async fn prune(&self, region: &Region, id: &str, now: &str) -> Result<Vec<String>, CloudError> {
        instance::operations(region).prune_snapshots(id, now).await
    }
}

/// A bucket that keeps versions: the snapshot records the current version of every object.
struct VersionedBucket;

#[tfplug::async_trait]
impl SnapshotSource for VersionedBucket {
    fn noun(&self) -> &'static str {
        "bucket"
    }

    fn claims(&self, cloud: Cloud, id: &str) -> bool {
        match cloud {
            Cloud::Azure => id.to_ascii_lowercase().contains("/microsoft.storage/storageaccounts/"),
            _ => !id.contains('/'),
        }
    }

    async fn take(&self, region: &Region, id: &str, retain_until: Option<&str>) -> Result<Option<String>, CloudError> {
        bucket::snapshots(region).snapshot_versions(id, retain_until).await
    }

    async fn prune(&self, region: &Region, id: &str, now: &str) -> Result<Vec<String>, CloudError> {
        bucket::snapshots(region).prune_versions(id, now).await
    }
}

/// Every source, in the order ids are tried. Databases join here when their kind exists.
pub fn sources() -> Vec<Box<dyn SnapshotSource>> {
    vec![Box::new(InstanceDisk), Box::new(VersionedBucket)]
}

#[derive(Deserialize)]
struct Config {
    source_id: String,
    retention_days: Option<i64>,
    cloud: Option<String>,
    region: Option<String>,
}

#[tfplug::async_trait]
impl Action<Client> for Snapshot {
    fn type_name(&self) -> &str {
        "oppie_snapshot"
    }

    fn schema(&self) -> Schema {
        Schema::new(
            0,
            with_place(
                Block::new()
                    .markdown("Takes a snapshot for rollback and disaster recovery, and reports its native id in the action's progress: of an `oppie_instance`, its boot disk (an EBS snapshot, a Compute Engine disk snapshot, an Azure managed-disk snapshot); of an `oppie_bucket` with `versioning = true` (AWS), a manifest object under `.oppie-snapshots/` recording the current version of every object. With `retention_days`, the snapshot is marked to be kept that long, and each run deletes the same source's snapshots whose retention has ended. Typically run before every change: `action_trigger { events = [before_update] }`.")
                    .attribute(Attribute::string("source_id").required().description(
                        "The `id` of what to snapshot: an `oppie_instance` (its boot disk) or an `oppie_bucket` that keeps versions.",
                    ))
                    .attribute(
                        Attribute::number("retention_days")
                            .optional()
                            .validator(int_between(1, 3650))
                            .description("Days to keep the snapshot (1 to 3650). Unset: kept until deleted by hand."),
                    ),
            ),
        )
    }

    async fn invoke(
        &self,
        ctx: &Context<Client>,
        config: &Object,
        progress: &ActionProgress,
    ) -> Result<(), Diagnostics> {
        let c: Config = config.get()?;
        let (place, region) = target(ctx, c.cloud, c.region, &c.source_id).await?;
        let now = OffsetDateTime::now_utc();
        let until = c.retention_days.map(|d| stamp(now + time::Duration::days(d)));
        let claimed: Vec<Box<dyn SnapshotSource>> =
            sources().into_iter().filter(|s| s.claims(place.cloud, &c.source_id)).collect();
        for source in &claimed {
            let what = format!("snapshotting {} {}", source.noun(), c.source_id);
            progress.send(format!("{what} on {}", place.cloud)).await;
            let Some(snap) =
                source.take(&region, &c.source_id, until.as_deref()).await.map_err(|e| e.to_diagnostics(&what))?
            else {
                continue;
            };
            let kept = until.as_deref().map_or(String::new(), |u| format!(", kept until {u}"));
            progress.send(format!("snapshot {snap} of {} {} is complete{kept}", source.noun(), c.source_id)).await;
            let pruned = source
                .prune(&region, &c.source_id, &stamp(now))
                .await
                .map_err(|e| e.to_diagnostics(&format!("deleting expired snapshots of {}", c.source_id)))?;
            if !pruned.is_empty() {
                progress.send(format!("deleted expired snapshot(s) {}", pruned.join(", "))).await;
            }
            return Ok(());
        }
        let nouns: Vec<&str> = sources().iter().map(|s| s.noun()).collect();
        Err(Diagnostics::attribute_error(
            tfplug::AttributePath::attr("source_id"),
            "Nothing to snapshot",
            format!(
                "No {} with id {:?} exists in {} {}. Give the id of one of them (its `id` attribute).",
                nouns.join(" or "),
                c.source_id,
                place.cloud,
                place.region
            ),
        ))
    }
}
