//! Actions (`action` blocks, Terraform ≥ 1.14): operations on what exists that are not
//! resources of their own, run by `lifecycle { action_trigger {...} }` or `terraform apply
//! -invoke=action.<type>.<name>`. One file per action; the per-cloud calls live with the kind
//! they act on (`kinds/instance/`, `kinds/bucket/`).

pub mod environment_extend;
pub mod instance_power;
pub mod snapshot;

use std::sync::Arc;

use tfplug::{Action, Attribute, Block, Context, Diagnostics};
use time::OffsetDateTime;

use crate::catalog::Cloud;
use crate::client::Client;
use crate::clouds::Region;
use crate::kinds::common::{self, Placement};

/// Every action type, in the order the docs list them.
pub fn all() -> Vec<Arc<dyn Action<Client>>> {
    vec![
        Arc::new(instance_power::InstancePower),
        Arc::new(snapshot::Snapshot),
        Arc::new(environment_extend::EnvironmentExtend),
    ]
}

/// The optional `cloud` and `region` attributes of actions that act on one object.
pub fn with_place(block: Block) -> Block {
    block
        .attribute(Attribute::string("cloud").optional().description(
            "aws, gcp or azure. Unset: told by the id's shape (`projects/...` is GCP, `/subscriptions/...` Azure), else the provider's `default_cloud`.",
        ))
        .attribute(Attribute::string("region").optional().description(
            "The object's region (a catalog key or a native region). Unset: a GCP id's zone tells it, else the provider's `default_region`.",
        ))
}

/// The cloud an id belongs to, by its shape, if it tells.
pub fn cloud_of(id: &str) -> Option<Cloud> {
    if id.starts_with("projects/") {
        Some(Cloud::Gcp)
    } else if id.to_ascii_lowercase().starts_with("/subscriptions/") {
        Some(Cloud::Azure)
    } else if ["i-", "vol-", "snap-"].iter().any(|p| id.starts_with(p)) {
        Some(Cloud::Aws)
    } else {
        None
    }
}

/// The region a GCP id's zone names (`.../zones/us-east1-b/...` → `us-east1`).
fn region_of(id: &str) -> Option<String> {
    let mut parts = id.split('/');
    while let Some(p) = parts.next() {
        if p == "zones" {
            return parts.next().and_then(|z| z.rsplit_once('-')).map(|(r, _)| r.to_string());
        }
        if p == "regions" {
            return parts.next().map(str::to_string);
        }
    }
    None
}

/// Where the object `id` lives and its cloud's clients: `cloud`/`region` as configured, else
/// told by the id, else the provider's defaults.
pub async fn target(
    ctx: &Context<Client>,
    cloud: Option<String>,
    region: Option<String>,
    id: &str,
) -> Result<(Placement, Region), Diagnostics> {
    let cloud = cloud.or_else(|| cloud_of(id).map(|c| c.key().to_string()));
    let region = region.or_else(|| region_of(id));
    let (place, _, _) = common::identity_placement(ctx, cloud, region)?;
    let r = ctx.client()?.clouds.region(place.cloud, &place.region).await?;
    Ok((place, r))
}

/// A moment as Oppie writes it into tags and labels: UTC, ISO 8601 basic format in lower case
/// (`20261208t153000z`), which every cloud's tag values allow and which sorts as time does.
pub fn stamp(t: OffsetDateTime) -> String {
    let t = t.to_offset(time::UtcOffset::UTC);
    format!(
        "{:04}{:02}{:02}t{:02}{:02}{:02}z",
        t.year(),
        u8::from(t.month()),
        t.day(),
        t.hour(),
        t.minute(),
        t.second()
    )
}

/// Reads a [`stamp`].
pub fn parse_stamp(s: &str) -> Option<OffsetDateTime> {
    let b = s.as_bytes();
    if b.len() != 16 || b[8] != b't' || b[15] != b'z' {
        return None;
    }
    let n = |r: std::ops::Range<usize>| s.get(r)?.parse::<u32>().ok();
    let month = time::Month::try_from(u8::try_from(n(4..6)?).ok()?).ok()?;
    let date =
        time::Date::from_calendar_date(i32::try_from(n(0..4)?).ok()?, month, u8::try_from(n(6..8)?).ok()?).ok()?;
    let t = time::Time::from_hms(
        u8::try_from(n(9..11)?).ok()?,
        u8::try_from(n(11..13)?).ok()?,
        u8::try_from(n(13..15)?).ok()?,
    )
    .ok()?;
    Some(time::PrimitiveDateTime::new(date, t).assume_utc())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_tell_their_cloud_and_region() {
        assert_eq!(cloud_of("i-0abc"), Some(Cloud::Aws));
        assert_eq!(cloud_of("projects/p/zones/us-east1-b/instances/web"), Some(Cloud::Gcp));
        assert_eq!(
            cloud_of("/subscriptions/s/resourceGroups/rg/providers/Microsoft.Compute/virtualMachines/v"),
            Some(Cloud::Azure)
        );
        assert_eq!(cloud_of("shop-media"), None);
        assert_eq!(region_of("projects/p/zones/us-east1-b/instances/web").as_deref(), Some("us-east1"));
        assert_eq!(region_of("projects/p/regions/europe-west1/subnetworks/s").as_deref(), Some("europe-west1"));
        assert_eq!(region_of("i-0abc"), None);
    }

    #[test]
    fn stamps_round_trip_and_sort_as_time() {
        let t = OffsetDateTime::from_unix_timestamp(1_796_000_000).unwrap();
        let s = stamp(t);
        assert_eq!(s.len(), 16);
        assert_eq!(parse_stamp(&s), Some(t));
        let later = stamp(t + time::Duration::days(40));
        assert!(later > s);
        assert_eq!(parse_stamp("2026-12-08T15:30:00Z"), None);
        assert_eq!(parse_stamp("20261399t000000z"), None);
    }
}
