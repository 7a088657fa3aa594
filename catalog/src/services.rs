//! Managed services in the catalog: the database engines (`postgres`, `mysql`) and cache
//! engines (`redis`, `valkey`) each cloud offers, their major versions and their sizes.

use std::collections::BTreeMap;

use serde::Deserialize;

use crate::{Cloud, CloudCatalog};

/// What kind of managed service.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Service {
    /// A managed relational database (`oppie_database`).
    Database,
    /// A managed Redis-compatible cache (`oppie_cache`).
    Cache,
}

impl Service {
    /// What messages call it.
    pub fn noun(self) -> &'static str {
        match self {
            Service::Database => "database",
            Service::Cache => "cache",
        }
    }
}

/// One engine of a managed service on one cloud.
#[derive(Debug, Deserialize)]
pub struct Engine {
    /// Major versions offered, oldest first.
    pub versions: Vec<String>,
    /// The version a resource gets when it names none.
    pub default_version: String,
    /// Size key to the cloud's size.
    pub sizes: BTreeMap<String, ServiceSize>,
}

/// A database or cache size.
#[derive(Debug, Deserialize)]
pub struct ServiceSize {
    /// The cloud's own name: an instance class (`db.t4g.micro`), a tier (`db-custom-1-3840`),
    /// a SKU (`Standard_B1ms`), a node type (`cache.t4g.micro`) or a memory size (`1gb`).
    pub native: String,
    /// Virtual CPUs (databases).
    #[serde(default)]
    pub vcpu: Option<u32>,
    /// Memory in GiB.
    pub memory_gib: f64,
}

impl CloudCatalog {
    /// The engines of `service`.
    pub fn engines(&self, service: Service) -> &BTreeMap<String, Engine> {
        match service {
            Service::Database => &self.databases,
            Service::Cache => &self.caches,
        }
    }

    /// An engine of `service` on `cloud`, or what the cloud offers instead.
    pub fn engine(&self, cloud: Cloud, service: Service, engine: &str) -> Result<&Engine, String> {
        let engines = self.engines(service);
        engines.get(engine).ok_or_else(|| {
            let offered: Vec<&str> = engines.keys().map(String::as_str).collect();
            format!(
                "{engine:?} is not a {} engine on {cloud}: {cloud} offers {}",
                service.noun(),
                if offered.is_empty() { "none".to_string() } else { offered.join(", ") }
            )
        })
    }

    /// A major version of `engine`: checked against the catalog; unset gives the default.
    pub fn service_version(
        &self,
        cloud: Cloud,
        service: Service,
        engine: &str,
        version: Option<&str>,
    ) -> Result<String, String> {
        let e = self.engine(cloud, service, engine)?;
        match version {
            None => Ok(e.default_version.clone()),
            Some(v) if e.versions.iter().any(|x| x == v) => Ok(v.to_string()),
            Some(v) => Err(format!(
                "{engine} {v:?} is not offered on {cloud}: use one of {} (major versions)",
                e.versions.join(", ")
            )),
        }
    }

    /// The native size of `text` (a size key, or a native size of the engine's shape) for
    /// `engine` of `service`; the problem otherwise.
    pub fn service_size(&self, cloud: Cloud, service: Service, engine: &str, text: &str) -> Result<String, String> {
        let e = self.engine(cloud, service, engine)?;
        if let Some(s) = e.sizes.get(text) {
            return Ok(s.native.clone());
        }
        if e.sizes.values().any(|s| s.native == text) || native_service_size_shape(cloud, service, text) {
            return Ok(text.to_string());
        }
        let keys: Vec<String> = e.sizes.iter().map(|(k, s)| format!("{k} = {}", s.native)).collect();
        Err(format!(
            "{text:?} is not a {} size on {cloud}: use a catalog key ({}) or a native size",
            service.noun(),
            keys.join(", ")
        ))
    }

    /// The size key whose native size is `native`, if any.
    pub fn service_size_key(&self, service: Service, engine: &str, native: &str) -> Option<&str> {
        let e = self.engines(service).get(engine)?;
        e.sizes.iter().find(|(_, s)| s.native == native).map(|(k, _)| k.as_str())
    }
}

/// AWS `db.r6g.large` / `cache.r7g.large`, GCP `db-custom-2-8192` / `4gb`, Azure
/// `Standard_D4ds_v5` / `Balanced_B5`.
fn native_service_size_shape(cloud: Cloud, service: Service, s: &str) -> bool {
    let simple = |c: char| c.is_ascii_lowercase() || c.is_ascii_digit();
    match (cloud, service) {
        (Cloud::Aws, Service::Database) => {
            s.strip_prefix("db.").is_some_and(|r| r.split('.').count() == 2 && r.chars().all(|c| simple(c) || c == '.'))
        }
        (Cloud::Aws, Service::Cache) => s
            .strip_prefix("cache.")
            .is_some_and(|r| r.split('.').count() == 2 && r.chars().all(|c| simple(c) || c == '.')),
        (Cloud::Gcp, Service::Database) => s.starts_with("db-") && s.chars().all(|c| simple(c) || c == '-'),
        (Cloud::Gcp, Service::Cache) => {
            s.strip_suffix("gb").is_some_and(|n| n.parse::<u32>().is_ok_and(|n| (1..=300).contains(&n)))
        }
        (Cloud::Azure, Service::Database) => s.starts_with("Standard_") && s.len() > 9,
        (Cloud::Azure, Service::Cache) => {
            ["Balanced_", "MemoryOptimized_", "ComputeOptimized_", "FlashOptimized_"].iter().any(|p| s.starts_with(p))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::get;

    #[test]
    fn every_cloud_has_both_database_engines_and_redis_with_every_size_key() {
        for cloud in Cloud::ALL {
            let c = get().cloud(cloud);
            for (service, engines) in
                [(Service::Database, &["postgres", "mysql"][..]), (Service::Cache, &["redis"][..])]
            {
                for engine in engines {
                    let e = c.engine(cloud, service, engine).unwrap();
                    assert_eq!(e.sizes.keys().map(String::as_str).collect::<Vec<_>>(), ["l", "m", "s", "xl", "xs"]);
                    assert!(e.versions.contains(&e.default_version), "{cloud} {engine}");
                    for s in e.sizes.values() {
                        assert!(native_service_size_shape(cloud, service, &s.native), "{cloud} {}", s.native);
                    }
                }
            }
        }
        assert!(get().cloud(Cloud::Aws).engine(Cloud::Aws, Service::Cache, "valkey").is_ok());
        let e = get().cloud(Cloud::Gcp).engine(Cloud::Gcp, Service::Cache, "valkey").unwrap_err();
        assert!(e.contains("gcp offers redis"), "{e}");
    }

    #[test]
    fn sizes_and_versions_resolve_per_cloud_and_engine() {
        let (aws, gcp, azure) = (get().cloud(Cloud::Aws), get().cloud(Cloud::Gcp), get().cloud(Cloud::Azure));
        let db = Service::Database;
        assert_eq!(aws.service_size(Cloud::Aws, db, "postgres", "xs").unwrap(), "db.t4g.micro");
        assert_eq!(gcp.service_size(Cloud::Gcp, db, "postgres", "xs").unwrap(), "db-custom-1-3840");
        assert_eq!(azure.service_size(Cloud::Azure, db, "mysql", "xs").unwrap(), "Standard_B1ms");
        assert_eq!(aws.service_size(Cloud::Aws, db, "postgres", "db.r6g.large").unwrap(), "db.r6g.large");
        assert!(aws.service_size(Cloud::Aws, db, "postgres", "t3.small").unwrap_err().contains("xs = db.t4g.micro"));
        assert_eq!(gcp.service_size(Cloud::Gcp, Service::Cache, "redis", "4gb").unwrap(), "4gb");
        assert_eq!(aws.service_version(Cloud::Aws, db, "postgres", None).unwrap(), "16");
        assert_eq!(aws.service_version(Cloud::Aws, db, "mysql", Some("8.4")).unwrap(), "8.4");
        assert!(aws.service_version(Cloud::Aws, db, "postgres", Some("9")).unwrap_err().contains("13, 14"));
        assert!(aws.engine(Cloud::Aws, db, "oracle").unwrap_err().contains("aws offers mysql, postgres"));
        assert_eq!(aws.service_size_key(db, "postgres", "db.t4g.small"), Some("s"));
    }
}
