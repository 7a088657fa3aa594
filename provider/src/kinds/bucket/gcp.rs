//! Buckets on Cloud Storage: uniform bucket-level access always on, public access prevention
//! enforced unless `public`, versioning, lifecycle rules (`cold` = NEARLINE, `archive` =
//! ARCHIVE), labels from tags, access logs, and an optional Cloud KMS default key. Objects are
//! always encrypted at rest.

use reqwest::Method;
use serde_json::{Map, Value, json};

use super::{Bucket, BucketSpec, BucketState, LifecycleRule, StorageClass};
use crate::clouds::gcp::GcpRegion;
use crate::clouds::http::Call;
use crate::clouds::{CloudError, Native, Tags};
use crate::kinds::{Api, ListFilter, Listed};

fn lifecycle(rules: &[LifecycleRule]) -> Value {
    let mut out = Vec::new();
    for r in rules {
        if let (Some(days), Some(class)) = (r.transition_days, r.storage_class) {
            let class = match class {
                StorageClass::Cold => "NEARLINE",
                StorageClass::Archive => "ARCHIVE",
            };
            out.push(
                json!({ "action": { "type": "SetStorageClass", "storageClass": class }, "condition": { "age": days } }),
            );
        }
        if let Some(days) = r.expiration_days {
            out.push(json!({ "action": { "type": "Delete" }, "condition": { "age": days } }));
        }
    }
    json!({ "rule": out })
}

/// Reads GCS rules back into Oppie rules: a transition followed by a later deletion is one rule.
pub(crate) fn read_lifecycle(v: &Value) -> Vec<LifecycleRule> {
    let mut out: Vec<LifecycleRule> = Vec::new();
    for r in v["rule"].as_array().into_iter().flatten() {
        let age = r["condition"]["age"].as_u64().and_then(|a| u32::try_from(a).ok());
        match r["action"]["type"].as_str() {
            Some("SetStorageClass") => {
                let class = match r["action"]["storageClass"].as_str() {
                    Some("NEARLINE" | "COLDLINE") => Some(StorageClass::Cold),
                    Some("ARCHIVE") => Some(StorageClass::Archive),
                    _ => None,
                };
                out.push(LifecycleRule { transition_days: age, storage_class: class, expiration_days: None });
            }
            Some("Delete") => match out.last_mut() {
                Some(prev)
                    if prev.expiration_days.is_none()
                        && prev.transition_days.is_some_and(|t| age.is_some_and(|a| a > t)) =>
                {
                    prev.expiration_days = age;
                }
                _ => out.push(LifecycleRule { transition_days: None, storage_class: None, expiration_days: age }),
            },
            _ => {}
        }
    }
    out
}

fn body(spec: &BucketSpec, have_labels: Option<&Tags>) -> Value {
    // PATCH merges labels: removed keys are sent as null.
    let mut labels: Map<String, Value> = spec.tags.iter().map(|(k, v)| (k.clone(), json!(v))).collect();
    for k in have_labels.into_iter().flat_map(|h| h.keys()) {
        labels.entry(k.clone()).or_insert(Value::Null);
    }
    json!({
        "versioning": { "enabled": spec.versioning },
        "iamConfiguration": {
            "uniformBucketLevelAccess": { "enabled": true },
            "publicAccessPrevention": if spec.public { "inherited" } else { "enforced" },
        },
        "labels": labels,
        "lifecycle": lifecycle(&spec.lifecycle_rules),
        "encryption": match &spec.kms_key_id { Some(k) => json!({ "defaultKmsKeyName": k }), None => Value::Null },
        "logging": match &spec.logging_bucket {
            Some(b) => json!({ "logBucket": b, "logObjectPrefix": format!("{}/", spec.name) }),
            None => Value::Null,
        },
    })
}

impl GcpRegion {
    async fn empty_bucket(&self, name: &str) -> Result<(), CloudError> {
        let mut page: Option<String> = None;
        loop {
            let mut q: Vec<(&str, &str)> = vec![("versions", "true")];
            if let Some(p) = &page {
                q.push(("pageToken", p));
            }
            let url = self.storage_url(&format!("b/{name}/o"), &q);
            let r = self.storage.send(Call::new(Method::GET, url, "objects.list")).await?;
            for o in r.json["items"].as_array().into_iter().flatten() {
                let (Some(obj), generation) = (o["name"].as_str(), o["generation"].as_str().unwrap_or_default()) else {
                    continue;
                };
                let mut url = self.storage_url(&format!("b/{name}/o/"), &[("generation", generation)]);
                if let Ok(mut segs) = url.path_segments_mut() {
                    segs.pop_if_empty().push(obj);
                }
                match self.storage.send(Call::new(Method::DELETE, url, "objects.delete")).await {
                    Err(e) if !e.is_not_found() => return Err(e),
                    _ => {}
                }
            }
            match r.json["nextPageToken"].as_str() {
                Some(t) if !t.is_empty() => page = Some(t.to_string()),
                _ => return Ok(()),
            }
        }
    }
}

#[tfplug::async_trait]
impl Api<Bucket> for GcpRegion {
    async fn known_id(&self, spec: &BucketSpec) -> Option<String> {
        Some(spec.name.clone())
    }

    async fn create(&self, spec: &BucketSpec, _token: &str) -> Result<String, CloudError> {
        let mut b = body(spec, None);
        b["name"] = json!(spec.name);
        b["location"] = json!(self.region.to_uppercase());
        if let Some(m) = b.as_object_mut() {
            m.retain(|_, v| !v.is_null());
        }
        let url = self.storage_url("b", &[("project", &self.project)]);
        match self.storage.send(Call::new(Method::POST, url, "buckets.insert").json(b)).await {
            Ok(_) => Ok(spec.name.clone()),
            // A retried insert that had happened (the create protocol checked before the
            // first attempt that no such bucket existed): ours if this project reads it.
            Err(e) if e.code.as_deref() == Some("conflict") || e.message.contains("already exists") => {
                match Api::<Bucket>::read(self, &spec.name).await? {
                    Some(_) => Ok(spec.name.clone()),
                    None => Err(e),
                }
            }
            Err(e) => Err(e),
        }
    }

    async fn update(&self, id: &str, spec: &BucketSpec) -> Result<(), CloudError> {
        let have = Api::<Bucket>::read(self, id)
            .await?
            .ok_or_else(|| CloudError::other("GCP Storage", "buckets.get", format!("bucket {id} is gone")))?;
        let mut want = spec.clone();
        want.name = id.to_string();
        if have.spec == want {
            return Ok(());
        }
        let url = self.storage_url(&format!("b/{id}"), &[]);
        self.storage
            .send(Call::new(Method::PATCH, url, "buckets.patch").json(body(spec, Some(&have.spec.tags))))
            .await?;
        Ok(())
    }

    /// The project's buckets located in this region (Cloud Storage names it in upper case).
    async fn list(&self, filter: &ListFilter) -> Result<Vec<Listed>, CloudError> {
        let mut found = Vec::new();
        let mut token: Option<String> = None;
        loop {
            let mut q = vec![("project", self.project.as_str())];
            if let Some(t) = &token {
                q.push(("pageToken", t));
            }
            let url = self.storage_url("b", &q);
            let r = self.storage.send(Call::new(Method::GET, url, "buckets.list")).await?.json;
            for b in r["items"].as_array().into_iter().flatten() {
                let labels: Tags = serde_json::from_value(b["labels"].clone()).unwrap_or_default();
                let here = b["location"].as_str().is_some_and(|l| l.eq_ignore_ascii_case(&self.region));
                if let Some(name) = b["name"].as_str()
                    && here
                    && filter.matches_tags(Some(&labels))
                {
                    found.push(Listed { id: name.into(), name: name.into() });
                }
            }
            match r["nextPageToken"].as_str().filter(|t| !t.is_empty()) {
                Some(t) => token = Some(t.to_string()),
                None => return Ok(found),
            }
        }
    }

    async fn read(&self, id: &str) -> Result<Option<BucketState>, CloudError> {
        let url = self.storage_url(&format!("b/{id}"), &[]);
        let Some(r) = self.storage.get_opt(Call::new(Method::GET, url, "buckets.get")).await? else {
            return Ok(None);
        };
        let b = r.json;
        let mut native = Native::new();
        native.insert("bucket".into(), id.to_string());
        native.insert("self_link".into(), b["selfLink"].as_str().unwrap_or_default().to_string());
        native.insert("url".into(), format!("gs://{id}"));
        native.insert("location".into(), b["location"].as_str().unwrap_or_default().to_string());
        native.insert("project".into(), self.project.clone());
        Ok(Some(BucketState {
            spec: BucketSpec {
                name: id.to_string(),
                versioning: b["versioning"]["enabled"].as_bool().unwrap_or(false),
                encrypted: true,
                kms_key_id: b["encryption"]["defaultKmsKeyName"].as_str().map(str::to_string),
                public: b["iamConfiguration"]["publicAccessPrevention"] != "enforced",
                logging_bucket: b["logging"]["logBucket"].as_str().map(str::to_string),
                lifecycle_rules: read_lifecycle(&b["lifecycle"]),
                tags: serde_json::from_value(b["labels"].clone()).unwrap_or_default(),
                resource_group: None,
                force_destroy: false,
            },
            native,
        }))
    }

    async fn delete(&self, id: &str, spec: &BucketSpec) -> Result<(), CloudError> {
        let force = spec.force_destroy;
        if force {
            self.empty_bucket(id).await?;
        }
        let url = self.storage_url(&format!("b/{id}"), &[]);
        match self.storage.send(Call::new(Method::DELETE, url, "buckets.delete")).await {
            Ok(_) => Ok(()),
            Err(e) if e.is_not_found() => Ok(()),
            Err(mut e) => {
                if e.code.as_deref() == Some("conflict") {
                    e.message.push_str(" Set force_destroy = true to delete the objects with the bucket.");
                }
                Err(e)
            }
        }
    }
}

/// On GCP `kms_key_id` is a Cloud KMS key name.
pub(super) fn check_plan(plan: &tfplug::Plan, diags: &mut tfplug::Diagnostics) {
    if let Some(key) = plan.planned.attr("kms_key_id").as_str()
        && !(key.starts_with("projects/") && key.contains("/cryptoKeys/"))
    {
        diags.add_attribute_error(
            tfplug::AttributePath::attr("kms_key_id"),
            "Not a Cloud KMS key",
            format!(
                "On GCP kms_key_id is a Cloud KMS key name, projects/P/locations/L/keyRings/R/cryptoKeys/K; {key:?} is not."
            ),
        );
    }
}

/// Bucket snapshots are not offered on Cloud Storage yet (the default refuses them).
impl super::Snapshots for GcpRegion {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lifecycle_rules_round_trip() {
        let rules = vec![
            LifecycleRule {
                transition_days: Some(30),
                storage_class: Some(StorageClass::Cold),
                expiration_days: Some(365),
            },
            LifecycleRule { transition_days: None, storage_class: None, expiration_days: Some(7) },
            LifecycleRule {
                transition_days: Some(90),
                storage_class: Some(StorageClass::Archive),
                expiration_days: None,
            },
        ];
        assert_eq!(read_lifecycle(&lifecycle(&rules)), rules);
    }
}
