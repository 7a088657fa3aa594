//! Keys on Cloud KMS: a key ring and a symmetric crypto key, both named after the key, in the
//! region. Cloud KMS never deletes key rings or keys: destroying the key destroys its versions
//! (after `deletion_window_days`, the key's destruction delay), and making a key of that name
//! again gives the destroyed key a new primary version.

use reqwest::Method;
use serde_json::{Value, json};

use super::{Key, KeySpec, KeyState};
use crate::clouds::gcp::GcpRegion;
use crate::clouds::http::Call;
use crate::clouds::{CloudError, Native, Tags};
use crate::kinds::Api;

const DAY: u64 = 86_400;

fn seconds(days: u32) -> String {
    format!("{}s", u64::from(days) * DAY)
}

fn days_of(duration: &Value) -> Option<u32> {
    let secs: f64 = duration.as_str()?.strip_suffix('s')?.parse().ok()?;
    u32::try_from((secs / DAY as f64).round() as u64).ok()
}

fn rfc3339_in(days: u32) -> String {
    let at = time::OffsetDateTime::now_utc() + time::Duration::days(i64::from(days));
    at.format(&time::format_description::well_known::Rfc3339).unwrap_or_default()
}

impl GcpRegion {
    fn key_ring(&self, name: &str) -> String {
        format!("{}/keyRings/{name}", self.location())
    }

    async fn crypto_key(&self, id: &str) -> Result<Option<Value>, CloudError> {
        Ok(self.kms.get_opt(Call::new(Method::GET, self.kms_url(id, &[]), "cryptoKeys.get")).await?.map(|r| r.json))
    }

    /// The versions of key `id` in `states`.
    async fn key_versions(&self, id: &str, states: &[&str]) -> Result<Vec<Value>, CloudError> {
        let url = self.kms_url(&format!("{id}/cryptoKeyVersions"), &[]);
        let r = self.kms.send(Call::new(Method::GET, url, "cryptoKeyVersions.list")).await?;
        Ok(r.json["cryptoKeyVersions"]
            .as_array()
            .into_iter()
            .flatten()
            .filter(|v| v["state"].as_str().is_some_and(|s| states.contains(&s)))
            .cloned()
            .collect())
    }
}

/// A key counts as existing while its primary version can encrypt.
fn live(key: &Value) -> bool {
    key["primary"]["state"] == "ENABLED"
}

#[tfplug::async_trait]
impl Api<Key> for GcpRegion {
    async fn known_id(&self, spec: &KeySpec) -> Option<String> {
        Some(format!("{}/cryptoKeys/{}", self.key_ring(&spec.name), spec.name))
    }

    async fn create(&self, spec: &KeySpec, _token: &str) -> Result<String, CloudError> {
        let ring = self.key_ring(&spec.name);
        let url = self.kms_url(&format!("{}/keyRings", self.location()), &[("keyRingId", &spec.name)]);
        match self.kms.send(Call::new(Method::POST, url, "keyRings.create").json(json!({}))).await {
            // A key ring of that name stays for good once made: it is reused.
            Err(e)
                if e.code.as_deref() != Some("ALREADY_EXISTS")
                    && e.code.as_deref() != Some("conflict")
                    && !e.message.contains("already exists") =>
            {
                return Err(e);
            }
            _ => {}
        }
        let id = format!("{ring}/cryptoKeys/{}", spec.name);
        let mut body = json!({
            "purpose": "ENCRYPT_DECRYPT",
            "destroyScheduledDuration": seconds(spec.deletion_window_days),
            "labels": spec.tags,
        });
        if spec.rotation_days > 0 {
            body["rotationPeriod"] = json!(seconds(spec.rotation_days));
            body["nextRotationTime"] = json!(rfc3339_in(spec.rotation_days));
        }
        let url = self.kms_url(&format!("{ring}/cryptoKeys"), &[("cryptoKeyId", &spec.name)]);
        match self.kms.send(Call::new(Method::POST, url, "cryptoKeys.create").json(body)).await {
            Ok(_) => Ok(id),
            Err(e) if e.code.as_deref() == Some("ALREADY_EXISTS") || e.message.contains("already exists") => {
                // A key destroyed before (the create protocol found no live key of this name):
                // a new version becomes its primary.
                let url = self.kms_url(&format!("{id}/cryptoKeyVersions"), &[]);
                let v = self
                    .kms
                    .send(Call::new(Method::POST, url, "cryptoKeyVersions.create").json(json!({})))
                    .await
                    .map_err(CloudError::after_partial_create)?;
                let version =
                    v.json["name"].as_str().and_then(|n| n.rsplit('/').next()).unwrap_or_default().to_string();
                let url = self.kms_url(&format!("{id}:updatePrimaryVersion"), &[]);
                self.kms
                    .send(
                        Call::new(Method::POST, url, "cryptoKeys.updatePrimaryVersion")
                            .json(json!({ "cryptoKeyVersionId": version })),
                    )
                    .await
                    .map_err(CloudError::after_partial_create)?;
                Ok(id)
            }
            Err(e) => Err(e),
        }
    }

    async fn settle(&self, id: &str, spec: &KeySpec) -> Result<(), CloudError> {
        Api::<Key>::update(self, id, spec).await
    }

    async fn update(&self, id: &str, spec: &KeySpec) -> Result<(), CloudError> {
        let Some(key) = self.crypto_key(id).await? else {
            return Err(CloudError::other("GCP Cloud KMS", "cryptoKeys.get", format!("key {id} is gone")));
        };
        let have_rotation = days_of(&key["rotationPeriod"]).unwrap_or(0);
        let have_labels: Tags = serde_json::from_value(key["labels"].clone()).unwrap_or_default();
        if have_rotation == spec.rotation_days && have_labels == spec.tags {
            return Ok(());
        }
        let mut body = json!({ "labels": spec.tags });
        if spec.rotation_days > 0 {
            body["rotationPeriod"] = json!(seconds(spec.rotation_days));
            body["nextRotationTime"] = json!(rfc3339_in(spec.rotation_days));
        }
        let url = self.kms_url(id, &[("updateMask", "rotationPeriod,nextRotationTime,labels")]);
        self.kms.send(Call::new(Method::PATCH, url, "cryptoKeys.patch").json(body)).await.map(|_| ())
    }

    async fn read(&self, id: &str) -> Result<Option<KeyState>, CloudError> {
        let Some(key) = self.crypto_key(id).await? else { return Ok(None) };
        if !live(&key) {
            return Ok(None);
        }
        let name = id.rsplit('/').next().unwrap_or(id).to_string();
        let mut native = Native::new();
        native.insert("key_ring".into(), id.split("/cryptoKeys/").next().unwrap_or_default().to_string());
        native.insert("primary_version".into(), key["primary"]["name"].as_str().unwrap_or_default().to_string());
        native.insert("project".into(), self.project.clone());
        Ok(Some(KeyState {
            name,
            rotation_days: days_of(&key["rotationPeriod"]).unwrap_or(0),
            deletion_window_days: days_of(&key["destroyScheduledDuration"]),
            tags: serde_json::from_value(key["labels"].clone()).unwrap_or_default(),
            resource_group: None,
            native,
        }))
    }

    async fn delete(&self, id: &str, _spec: &KeySpec) -> Result<(), CloudError> {
        if self.crypto_key(id).await?.is_none() {
            return Ok(());
        }
        for v in self.key_versions(id, &["ENABLED", "DISABLED"]).await? {
            let Some(name) = v["name"].as_str() else { continue };
            let url = self.kms_url(&format!("{name}:destroy"), &[]);
            match self.kms.send(Call::new(Method::POST, url, "cryptoKeyVersions.destroy").json(json!({}))).await {
                Ok(_) => {}
                Err(e) if e.is_not_found() => {}
                Err(e) => return Err(e),
            }
        }
        // Automatic rotation would make a new version: it stops with the key.
        let url = self.kms_url(id, &[("updateMask", "rotationPeriod,nextRotationTime")]);
        self.kms.send(Call::new(Method::PATCH, url, "cryptoKeys.patch").json(json!({}))).await.map(|_| ())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_are_days() {
        assert_eq!(seconds(30), "2592000s");
        assert_eq!(days_of(&json!("2592000s")), Some(30));
        assert_eq!(days_of(&json!("86400.5s")), Some(1));
        assert_eq!(days_of(&json!("soon")), None);
    }
}
