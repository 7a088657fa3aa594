//! oppie-catalog: the abstract region, size and image keys Oppie accepts and what each means
//! natively on AWS, GCP and Azure. One data file (`data/catalog.json`), compiled in; the provider
//! resolves keys with it and `oppie_catalog` shows it. [`pricing`] holds the rate card
//! (`data/rates.json`) and turns resources into monthly cost estimates.

use std::collections::BTreeMap;
use std::fmt;
use std::sync::LazyLock;

use serde::{Deserialize, Serialize};

pub mod pricing;
pub mod services;

pub use pricing::{Estimate, HOURS_PER_MONTH, Item, PriceError, RateCard};

/// A cloud Oppie maps onto.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Cloud {
    /// Amazon Web Services.
    Aws,
    /// Google Cloud.
    Gcp,
    /// Microsoft Azure.
    Azure,
}

impl Cloud {
    /// Every cloud, in display order.
    pub const ALL: [Cloud; 3] = [Cloud::Aws, Cloud::Gcp, Cloud::Azure];

    /// The lower-case key users write (`cloud = "aws"`).
    pub fn key(self) -> &'static str {
        match self {
            Cloud::Aws => "aws",
            Cloud::Gcp => "gcp",
            Cloud::Azure => "azure",
        }
    }

    /// Parses a key.
    pub fn parse(key: &str) -> Option<Cloud> {
        Cloud::ALL.into_iter().find(|c| c.key() == key)
    }
}

impl fmt::Display for Cloud {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.key())
    }
}

/// The whole catalog.
#[derive(Debug, Deserialize)]
pub struct Catalog {
    /// Date-stamped version of the data.
    pub version: String,
    /// Per cloud.
    pub clouds: BTreeMap<Cloud, CloudCatalog>,
}

/// What one cloud offers.
#[derive(Debug, Deserialize)]
pub struct CloudCatalog {
    /// Region key to region.
    pub regions: BTreeMap<String, Region>,
    /// Size key to instance size.
    pub sizes: BTreeMap<String, Size>,
    /// Image key to image lookup.
    pub images: BTreeMap<String, Image>,
    /// Database engine to its versions and sizes (see [`services`]).
    #[serde(default)]
    pub databases: BTreeMap<String, services::Engine>,
    /// Cache engine to its versions and sizes (see [`services`]).
    #[serde(default)]
    pub caches: BTreeMap<String, services::Engine>,
}

/// A region.
#[derive(Debug, Deserialize)]
pub struct Region {
    /// The cloud's own region name.
    pub native: String,
    /// Zone suffixes the region has.
    pub zones: Vec<String>,
}

/// An instance size.
#[derive(Debug, Deserialize)]
pub struct Size {
    /// The cloud's instance/machine type.
    pub native: String,
    /// Virtual CPUs.
    pub vcpu: u32,
    /// Memory in GiB.
    pub memory_gib: u32,
}

/// An image: how to find the newest official build.
#[derive(Debug, PartialEq, Eq, Deserialize)]
pub struct Image {
    /// A one-line native description (owner/pattern, family, URN).
    pub native: String,
    /// Cloud-specific lookup fields (AWS owner/name, GCP project/family, Azure publisher/offer/sku).
    #[serde(flatten)]
    pub lookup: BTreeMap<String, String>,
}

static CATALOG: LazyLock<Catalog> = LazyLock::new(|| {
    // The file is compiled in and checked by a unit test, so this cannot fail at run time.
    serde_json::from_str(include_str!("../data/catalog.json"))
        .unwrap_or_else(|e| panic!("data/catalog.json is invalid: {e}"))
});

/// The catalog.
pub fn get() -> &'static Catalog {
    &CATALOG
}

impl Catalog {
    /// One cloud's part (every cloud is present; a unit test checks it).
    pub fn cloud(&self, cloud: Cloud) -> &CloudCatalog {
        &self.clouds[&cloud]
    }
}

/// What a region, size or image text means on one cloud.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Resolved<'a, T> {
    /// A catalog key and its entry.
    Key(&'a T),
    /// A native value passed through as is.
    Native(String),
}

impl CloudCatalog {
    /// The native region for a catalog key or a native region name; the problem otherwise.
    pub fn region(&self, cloud: Cloud, text: &str) -> Result<String, String> {
        if let Some(r) = self.regions.get(text) {
            return Ok(r.native.clone());
        }
        if self.regions.values().any(|r| r.native == text) || native_region_shape(cloud, text) {
            return Ok(text.to_string());
        }
        Err(format!(
            "{text:?} is not a region on {cloud}: use a catalog key ({}) or a native {cloud} region name",
            self.regions.keys().cloned().collect::<Vec<_>>().join(", ")
        ))
    }

    /// Zone suffixes of a native region, when the catalog knows the region.
    pub fn zones(&self, native_region: &str) -> Option<&[String]> {
        self.regions.values().find(|r| r.native == native_region).map(|r| r.zones.as_slice())
    }

    /// Resolves a zone of `native_region` to the cloud's zone suffix ("a", "b", Azure "1"):
    /// a neutral ordinal ("1" is the region's first zone in the catalog's order, on every
    /// cloud), a zone suffix, or the native zone name (`us-east-1a`, `us-east1-b`). On Azure,
    /// whose zones are numbers, a letter counts from a = 1 as it always has.
    pub fn zone(&self, cloud: Cloud, native_region: &str, text: &str) -> Result<String, String> {
        let known = self.zones(native_region);
        let suffix = native_zone_suffix(cloud, native_region, text).unwrap_or(text);
        if let Ok(n) = suffix.parse::<usize>()
            && cloud != Cloud::Azure
        {
            return match known {
                Some(zones) if (1..=zones.len()).contains(&n) => Ok(zones[n - 1].clone()),
                Some(zones) => Err(format!(
                    "{native_region} has {} zones: use 1 to {} (or a zone name such as {:?})",
                    zones.len(),
                    zones.len(),
                    native_zone(cloud, native_region, &zones[0])
                )),
                None => Err(format!(
                    "the catalog does not list the zones of {native_region}: use the zone's name (e.g. {:?})",
                    native_zone(cloud, native_region, "a")
                )),
            };
        }
        let suffix = match (cloud, suffix.as_bytes()) {
            (Cloud::Azure, [c @ b'a'..=b'z']) => (c - b'a' + 1).to_string(),
            _ => suffix.to_string(),
        };
        match known {
            Some(zones) if zones.contains(&suffix) => Ok(suffix),
            Some(zones) => Err(format!(
                "{native_region} has no zone {text:?}: use 1 to {} (the region's zones in order: {})",
                zones.len(),
                zones.iter().map(|z| native_zone(cloud, native_region, z)).collect::<Vec<_>>().join(", ")
            )),
            None if suffix.len() <= 2 && lower_alnum(&suffix, &[]) => Ok(suffix),
            None => Err(format!("{text:?} is not a zone of {native_region}")),
        }
    }
}

/// The cloud's full name of zone `suffix` of `native_region`: `us-east-1a` (AWS),
/// `us-east1-b` (GCP); Azure zones are named by their number.
pub fn native_zone(cloud: Cloud, native_region: &str, suffix: &str) -> String {
    match cloud {
        Cloud::Aws => format!("{native_region}{suffix}"),
        Cloud::Gcp => format!("{native_region}-{suffix}"),
        Cloud::Azure => suffix.to_string(),
    }
}

/// The suffix of a native zone name of `native_region`, if `text` is one.
fn native_zone_suffix<'a>(cloud: Cloud, native_region: &str, text: &'a str) -> Option<&'a str> {
    let rest = text.strip_prefix(native_region)?;
    let rest = if cloud == Cloud::Gcp { rest.strip_prefix('-')? } else { rest };
    (!rest.is_empty() && cloud != Cloud::Azure).then_some(rest)
}

impl CloudCatalog {
    /// The native machine type for a size key or a native type; the problem otherwise.
    pub fn size(&self, cloud: Cloud, text: &str) -> Result<String, String> {
        if let Some(s) = self.sizes.get(text) {
            return Ok(s.native.clone());
        }
        if self.sizes.values().any(|s| s.native == text) || native_size_shape(cloud, text) {
            return Ok(text.to_string());
        }
        let keys: Vec<String> = self
            .sizes
            .iter()
            .map(|(k, s)| format!("{k} = {} with {} vCPU and {} GiB", s.native, s.vcpu, s.memory_gib))
            .collect();
        Err(format!(
            "{text:?} is not an instance size on {cloud}: use a catalog key ({}) or a native {cloud} type such as {:?}",
            keys.join("; "),
            self.sizes.get("l").map(|s| s.native.as_str()).unwrap_or_default()
        ))
    }

    /// A catalog image, or a native image id; the problem otherwise.
    pub fn image<'a>(&'a self, cloud: Cloud, text: &str) -> Result<Resolved<'a, Image>, String> {
        if let Some(i) = self.images.get(text) {
            return Ok(Resolved::Key(i));
        }
        if native_image_shape(cloud, text) {
            return Ok(Resolved::Native(text.to_string()));
        }
        Err(format!(
            "{text:?} is not an image on {cloud}: use a catalog key ({}) or a native image id",
            self.images.keys().cloned().collect::<Vec<_>>().join(", ")
        ))
    }
}

fn lower_alnum(s: &str, extra: &[char]) -> bool {
    !s.is_empty() && s.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || extra.contains(&c))
}

/// AWS `us-east-1`, GCP `europe-west3`, Azure `westeurope`.
fn native_region_shape(cloud: Cloud, s: &str) -> bool {
    match cloud {
        Cloud::Aws => {
            let parts: Vec<&str> = s.split('-').collect();
            parts.len() >= 3
                && parts[..parts.len() - 1]
                    .iter()
                    .all(|p| lower_alnum(p, &[]) && p.chars().all(|c| c.is_ascii_lowercase()))
                && parts[parts.len() - 1].parse::<u8>().is_ok()
        }
        Cloud::Gcp => s.contains('-') && lower_alnum(s, &['-']) && s.ends_with(|c: char| c.is_ascii_digit()),
        Cloud::Azure => lower_alnum(s, &[]),
    }
}

/// AWS `t3.large`, GCP `e2-standard-4`, Azure `Standard_B2s`.
fn native_size_shape(cloud: Cloud, s: &str) -> bool {
    match cloud {
        Cloud::Aws => {
            s.split_once('.').is_some_and(|(family, size)| lower_alnum(family, &['-']) && lower_alnum(size, &[]))
        }
        Cloud::Gcp => s.contains('-') && lower_alnum(s, &['-']),
        Cloud::Azure => s.starts_with("Standard_") && s.len() > 9,
    }
}

/// AWS `ami-0abc...`, GCP `projects/.../images/...`, Azure URN `publisher:offer:sku:version`.
fn native_image_shape(cloud: Cloud, s: &str) -> bool {
    match cloud {
        Cloud::Aws => s
            .strip_prefix("ami-")
            .is_some_and(|hex| (8..=17).contains(&hex.len()) && hex.chars().all(|c| c.is_ascii_hexdigit())),
        Cloud::Gcp => s.starts_with("projects/") && s.contains("/images/"),
        Cloud::Azure => s.split(':').count() == 4,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_cloud_offers_the_same_keys() {
        let c = get();
        for cloud in Cloud::ALL {
            let cc = c.cloud(cloud);
            assert_eq!(cc.regions.len(), 5, "{cloud}");
            assert_eq!(
                cc.sizes.keys().map(String::as_str).collect::<Vec<_>>(),
                vec!["l", "m", "s", "xl", "xs"],
                "{cloud}"
            );
            assert!(cc.images.contains_key("ubuntu-22.04"), "{cloud}");
            assert_eq!(cc.regions.keys().collect::<Vec<_>>(), c.cloud(Cloud::Aws).regions.keys().collect::<Vec<_>>());
        }
        assert_eq!(c.cloud(Cloud::Aws).regions["us-east"].native, "us-east-1");
        assert_eq!(c.cloud(Cloud::Gcp).regions["us-east"].native, "us-east1");
        assert_eq!(c.cloud(Cloud::Azure).regions["us-east"].native, "eastus");
    }

    #[test]
    fn keys_and_native_values_resolve_per_cloud() {
        let aws = get().cloud(Cloud::Aws);
        assert_eq!(aws.region(Cloud::Aws, "us-east").unwrap(), "us-east-1");
        assert_eq!(aws.region(Cloud::Aws, "ap-northeast-1").unwrap(), "ap-northeast-1");
        assert!(aws.region(Cloud::Aws, "mars-1").unwrap_err().contains("not a region on aws"));
        assert!(aws.region(Cloud::Aws, "eastus").is_err());
        assert_eq!(aws.size(Cloud::Aws, "s").unwrap(), "t3.small");
        assert_eq!(aws.size(Cloud::Aws, "m5.large").unwrap(), "m5.large");
        assert!(aws.size(Cloud::Aws, "huge").unwrap_err().contains("xs"));
        assert!(matches!(aws.image(Cloud::Aws, "ubuntu-22.04"), Ok(Resolved::Key(_))));
        assert_eq!(
            aws.image(Cloud::Aws, "ami-0123456789abcdef0"),
            Ok(Resolved::Native("ami-0123456789abcdef0".into()))
        );
        assert!(aws.image(Cloud::Aws, "windows-95").is_err());
        assert_eq!(aws.zones("us-east-1").map(<[String]>::len), Some(6));
    }

    #[test]
    fn zones_take_ordinals_suffixes_and_native_names_on_every_cloud() {
        let c = get();
        let (aws, gcp, azure) = (c.cloud(Cloud::Aws), c.cloud(Cloud::Gcp), c.cloud(Cloud::Azure));
        assert_eq!(aws.zone(Cloud::Aws, "us-east-1", "1").unwrap(), "a");
        assert_eq!(aws.zone(Cloud::Aws, "us-east-1", "3").unwrap(), "c");
        assert_eq!(aws.zone(Cloud::Aws, "us-east-1", "b").unwrap(), "b");
        assert_eq!(aws.zone(Cloud::Aws, "us-east-1", "us-east-1d").unwrap(), "d");
        assert!(aws.zone(Cloud::Aws, "us-east-1", "7").unwrap_err().contains("1 to 6"));
        assert_eq!(gcp.zone(Cloud::Gcp, "europe-west1", "1").unwrap(), "b");
        assert_eq!(gcp.zone(Cloud::Gcp, "europe-west1", "europe-west1-d").unwrap(), "d");
        let err = gcp.zone(Cloud::Gcp, "europe-west1", "a").unwrap_err();
        assert!(err.contains("use 1 to 3") && err.contains("europe-west1-b"), "{err}");
        assert_eq!(azure.zone(Cloud::Azure, "westeurope", "2").unwrap(), "2");
        assert_eq!(azure.zone(Cloud::Azure, "westeurope", "a").unwrap(), "1");
        assert!(azure.zone(Cloud::Azure, "westeurope", "4").is_err());
        // Regions the catalog does not list: names pass, ordinals cannot be resolved.
        assert_eq!(aws.zone(Cloud::Aws, "ap-northeast-1", "ap-northeast-1c").unwrap(), "c");
        assert!(aws.zone(Cloud::Aws, "ap-northeast-1", "1").unwrap_err().contains("zone's name"));
        assert_eq!(native_zone(Cloud::Gcp, "us-east1", "b"), "us-east1-b");
    }
}
