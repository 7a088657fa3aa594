//! Environment tiers (`dev`, `staging`, `prod`) and the defaults they set for databases and
//! caches: availability, backups, deletion protection. A resource's `tier` is configured, or
//! read from its `environment` tag, else `dev`; each default yields to a configured value.

use tfplug::{MaybeUnknown, Plan, Value};

use crate::clouds::Tags;

/// An environment tier.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tier {
    /// Development: one zone, short backups, nothing protected.
    Dev,
    /// Staging: one zone, two weeks of backups with point-in-time recovery, a final snapshot.
    Staging,
    /// Production: across zones, 30 days of backups with point-in-time recovery, deletion
    /// protection and a final snapshot.
    Prod,
}

/// The defaults of one tier.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Defaults {
    /// Standby or replicas in other zones.
    pub high_availability: bool,
    /// Days of automated backups.
    pub backup_retention_days: u32,
    /// Restore to any second within the backup window.
    pub point_in_time_recovery: bool,
    /// Refuse deletion through the API.
    pub deletion_protection: bool,
    /// Take a snapshot when the database is destroyed.
    pub final_snapshot: bool,
}

impl Tier {
    /// Every tier, as users write them.
    pub const KEYS: [&'static str; 3] = ["dev", "staging", "prod"];

    /// Parses a key.
    pub fn parse(s: &str) -> Option<Tier> {
        match s {
            "dev" => Some(Tier::Dev),
            "staging" => Some(Tier::Staging),
            "prod" => Some(Tier::Prod),
            _ => None,
        }
    }

    /// The key.
    pub fn key(self) -> &'static str {
        match self {
            Tier::Dev => "dev",
            Tier::Staging => "staging",
            Tier::Prod => "prod",
        }
    }

    /// The tier an `environment` tag names (`prod`, `Production`, `staging`, `stage`), if any.
    pub fn from_environment(tag: &str) -> Option<Tier> {
        match tag.to_ascii_lowercase().as_str() {
            "prod" | "production" | "prd" => Some(Tier::Prod),
            "staging" | "stage" | "stg" => Some(Tier::Staging),
            "dev" | "development" | "test" => Some(Tier::Dev),
            _ => None,
        }
    }

    /// What the tier sets.
    pub fn defaults(self) -> Defaults {
        match self {
            Tier::Dev => Defaults {
                high_availability: false,
                backup_retention_days: 7,
                point_in_time_recovery: false,
                deletion_protection: false,
                final_snapshot: false,
            },
            Tier::Staging => Defaults {
                high_availability: false,
                backup_retention_days: 14,
                point_in_time_recovery: true,
                deletion_protection: false,
                final_snapshot: true,
            },
            Tier::Prod => Defaults {
                high_availability: true,
                backup_retention_days: 30,
                point_in_time_recovery: true,
                deletion_protection: true,
                final_snapshot: true,
            },
        }
    }
}

/// `f` of a value that may be unknown.
pub fn map<T, U>(v: MaybeUnknown<T>, f: impl FnOnce(T) -> U) -> MaybeUnknown<U> {
    match v {
        MaybeUnknown::Known(t) => MaybeUnknown::Known(f(t)),
        MaybeUnknown::Unknown => MaybeUnknown::Unknown,
    }
}

/// The tier of a planned resource: `tier` as configured, else from the `environment` tag of
/// `tags_all`, else dev. Unknown while either is unknown.
pub fn plan_tier(plan: &Plan) -> MaybeUnknown<Tier> {
    match plan.config.attr("tier") {
        Value::String(s) => return Tier::parse(s).map_or(MaybeUnknown::Unknown, MaybeUnknown::Known),
        v if v.is_unknown() => return MaybeUnknown::Unknown,
        _ => {}
    }
    let tags = plan.planned.attr("tags_all");
    if !tags.is_wholly_known() {
        return MaybeUnknown::Unknown;
    }
    let tags: Tags = tfplug::cty::from_value::<Option<Tags>>(tags).ok().flatten().unwrap_or_default();
    MaybeUnknown::Known(tags.get("environment").and_then(|e| Tier::from_environment(e)).unwrap_or(Tier::Dev))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn environments_name_tiers() {
        assert_eq!(Tier::from_environment("Production"), Some(Tier::Prod));
        assert_eq!(Tier::from_environment("stage"), Some(Tier::Staging));
        assert_eq!(Tier::from_environment("sandbox"), None);
        assert!(Tier::Prod.defaults().deletion_protection && !Tier::Dev.defaults().deletion_protection);
        assert_eq!(Tier::Prod.defaults().backup_retention_days, 30);
        for k in Tier::KEYS {
            assert_eq!(Tier::parse(k).map(Tier::key), Some(k));
        }
    }
}
