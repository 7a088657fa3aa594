//! Keys on AWS KMS: a symmetric key tagged with its create's token (KMS takes no client
//! token), the alias `alias/<name>`, automatic rotation with a period, and on destroy the
//! alias removed and the key scheduled for deletion after `deletion_window_days`.

use aws_sdk_kms::types::{KeySpec as KmsKeySpec, KeyState as KmsKeyState, KeyUsageType, Tag};

use super::{Key, KeySpec, KeyState};
use crate::clouds::aws::tags::TOKEN_TAG;
use crate::clouds::aws::{AwsRegion, errors};
use crate::clouds::{CloudError, ErrorKind, Native, Tags};
use crate::kinds::Api;

const KMS: &str = "AWS KMS";

fn alias(name: &str) -> String {
    format!("alias/{name}")
}

fn tag(k: &str, v: &str) -> Result<Tag, CloudError> {
    Tag::builder()
        .tag_key(k)
        .tag_value(v)
        .build()
        .map_err(|e| CloudError::other(KMS, "TagResource", format!("bad tag {k:?}: {e}")))
}

/// The per-call config that turns the SDK's own retries off (the create retries itself,
/// looking up its token in between, so a lost answer never makes a second key).
fn no_retry() -> aws_sdk_kms::config::Builder {
    aws_sdk_kms::config::Builder::default().retry_config(aws_sdk_kms::config::retry::RetryConfig::disabled())
}

impl AwsRegion {
    /// The key's user tags and whether it carries `token`.
    async fn key_tags(&self, id: &str) -> Result<(Tags, Option<String>), CloudError> {
        let mut tags = Tags::new();
        let mut token = None;
        let mut marker = None;
        loop {
            let out = self
                .kms
                .list_resource_tags()
                .key_id(id)
                .set_marker(marker)
                .send()
                .await
                .map_err(|e| errors::kms("ListResourceTags", e))?;
            for t in out.tags() {
                if t.tag_key() == TOKEN_TAG {
                    token = Some(t.tag_value().to_string());
                } else {
                    tags.insert(t.tag_key().to_string(), t.tag_value().to_string());
                }
            }
            match out.next_marker() {
                Some(m) if out.truncated() => marker = Some(m.to_string()),
                _ => return Ok((tags, token)),
            }
        }
    }

    async fn key_alias(&self, id: &str) -> Result<Option<String>, CloudError> {
        let out = self.kms.list_aliases().key_id(id).send().await.map_err(|e| errors::kms("ListAliases", e))?;
        Ok(out
            .aliases()
            .iter()
            .filter_map(|a| a.alias_name())
            .find_map(|n| n.strip_prefix("alias/"))
            .map(str::to_string))
    }

    async fn set_rotation(&self, id: &str, days: u32) -> Result<(), CloudError> {
        if days == 0 {
            return self
                .kms
                .disable_key_rotation()
                .key_id(id)
                .send()
                .await
                .map(|_| ())
                .map_err(|e| errors::kms("DisableKeyRotation", e));
        }
        self.kms
            .enable_key_rotation()
            .key_id(id)
            .rotation_period_in_days(i32::try_from(days).unwrap_or(i32::MAX))
            .send()
            .await
            .map(|_| ())
            .map_err(|e| errors::kms("EnableKeyRotation", e))
    }

    async fn rotation(&self, id: &str) -> Result<u32, CloudError> {
        let out = self
            .kms
            .get_key_rotation_status()
            .key_id(id)
            .send()
            .await
            .map_err(|e| errors::kms("GetKeyRotationStatus", e))?;
        Ok(if out.key_rotation_enabled() {
            // 365 days when the key rotates without a period (keys made before periods existed).
            out.rotation_period_in_days().and_then(|d| u32::try_from(d).ok()).unwrap_or(365)
        } else {
            0
        })
    }
}

impl AwsRegion {
    /// The id (as `oppie_key` has it) of the customer-managed key `id` names (an id or ARN);
    /// `None` for an AWS-managed key (the default a service encrypts with when given none),
    /// or one this account cannot see.
    pub(crate) async fn customer_key(&self, id: &str) -> Result<Option<String>, CloudError> {
        match self.kms.describe_key().key_id(id).send().await {
            Ok(out) => Ok(out
                .key_metadata()
                .filter(|m| m.key_manager() == Some(&aws_sdk_kms::types::KeyManagerType::Customer))
                .map(|m| m.key_id().to_string())),
            Err(e) => {
                let e = errors::kms("DescribeKey", e);
                // (moto names the default key of an encrypted database "default_kms_key_id",
                // which KMS does not know.)
                if e.is_not_found() || e.kind == ErrorKind::Auth { Ok(None) } else { Err(e) }
            }
        }
    }
}

#[tfplug::async_trait]
impl Api<Key> for AwsRegion {
    async fn create(&self, spec: &KeySpec, token: &str) -> Result<String, CloudError> {
        let mut tags = Vec::new();
        for (k, v) in &spec.tags {
            tags.push(tag(k, v)?);
        }
        tags.push(tag(TOKEN_TAG, token)?);
        let create = || async {
            let out = self
                .kms
                .create_key()
                .description(format!("oppie_key {}", spec.name))
                .key_usage(KeyUsageType::EncryptDecrypt)
                .key_spec(KmsKeySpec::SymmetricDefault)
                .set_tags(Some(tags.clone()))
                .customize()
                .config_override(no_retry())
                .send()
                .await
                .map_err(|e| errors::kms("CreateKey", e))?;
            out.key_metadata()
                .map(|m| m.key_id().to_string())
                .ok_or_else(|| CloudError::other(KMS, "CreateKey", "the answer had no key id"))
        };
        self.create_once(create, || Api::<Key>::find(self, token)).await
    }

    async fn find(&self, token: &str) -> Result<Option<String>, CloudError> {
        // KMS cannot filter keys by tag: each key's tags are read (accounts hold few keys).
        let mut marker = None;
        loop {
            let out = self.kms.list_keys().set_marker(marker).send().await.map_err(|e| errors::kms("ListKeys", e))?;
            for k in out.keys() {
                let Some(id) = k.key_id() else { continue };
                match self.key_tags(id).await {
                    Ok((_, Some(t))) if t == token => {
                        if Api::<Key>::read(self, id).await?.is_some() {
                            return Ok(Some(id.to_string()));
                        }
                    }
                    Ok(_) => {}
                    // AWS-managed keys refuse ListResourceTags to most callers.
                    Err(e) if e.kind == ErrorKind::Auth || e.is_not_found() => {}
                    Err(e) => return Err(e),
                }
            }
            match out.next_marker() {
                Some(m) if out.truncated() => marker = Some(m.to_string()),
                _ => return Ok(None),
            }
        }
    }

    async fn settle(&self, id: &str, spec: &KeySpec) -> Result<(), CloudError> {
        match self.kms.create_alias().alias_name(alias(&spec.name)).target_key_id(id).send().await {
            Ok(_) => {}
            Err(e) => {
                let e = errors::kms("CreateAlias", e);
                // A retried settle whose alias was made already; an alias on another key is refused.
                let ours = self.key_alias(id).await?.as_deref() == Some(spec.name.as_str());
                if !ours {
                    return Err(e);
                }
            }
        }
        Api::<Key>::update(self, id, spec).await
    }

    async fn update(&self, id: &str, spec: &KeySpec) -> Result<(), CloudError> {
        if self.rotation(id).await? != spec.rotation_days {
            self.set_rotation(id, spec.rotation_days).await?;
        }
        let (have, _) = self.key_tags(id).await?;
        let (gone, changed) = crate::clouds::aws::tags::diff(&have, &spec.tags);
        if !gone.is_empty() {
            self.kms
                .untag_resource()
                .key_id(id)
                .set_tag_keys(Some(gone))
                .send()
                .await
                .map_err(|e| errors::kms("UntagResource", e))?;
        }
        let mut set = Vec::new();
        for (k, v) in &changed {
            set.push(tag(k, v)?);
        }
        if !set.is_empty() {
            self.kms
                .tag_resource()
                .key_id(id)
                .set_tags(Some(set))
                .send()
                .await
                .map_err(|e| errors::kms("TagResource", e))?;
        }
        Ok(())
    }

    async fn read(&self, id: &str) -> Result<Option<KeyState>, CloudError> {
        let meta = match self.kms.describe_key().key_id(id).send().await {
            Ok(out) => out.key_metadata().cloned(),
            Err(e) => {
                let e = errors::kms("DescribeKey", e);
                return if e.is_not_found() { Ok(None) } else { Err(e) };
            }
        };
        let Some(meta) = meta else { return Ok(None) };
        // A key scheduled for deletion is as good as gone: it cannot encrypt any more.
        if matches!(meta.key_state(), Some(KmsKeyState::PendingDeletion | KmsKeyState::PendingReplicaDeletion)) {
            return Ok(None);
        }
        let (tags, _) = self.key_tags(id).await?;
        let name = self.key_alias(id).await?.unwrap_or_default();
        let mut native = Native::new();
        native.insert("key_id".into(), id.to_string());
        if let Some(arn) = meta.arn() {
            native.insert("arn".into(), arn.to_string());
        }
        if !name.is_empty() {
            native.insert("alias".into(), alias(&name));
        }
        if let Some(state) = meta.key_state() {
            native.insert("state".into(), state.as_str().to_string());
        }
        Ok(Some(KeyState {
            name,
            rotation_days: self.rotation(id).await?,
            deletion_window_days: None,
            tags,
            resource_group: None,
            native,
        }))
    }

    async fn delete(&self, id: &str, spec: &KeySpec) -> Result<(), CloudError> {
        if let Some(name) = self.key_alias(id).await.ok().flatten() {
            match self.kms.delete_alias().alias_name(alias(&name)).send().await {
                Ok(_) => {}
                Err(e) => {
                    let e = errors::kms("DeleteAlias", e);
                    if !e.is_not_found() {
                        return Err(e);
                    }
                }
            }
        }
        match self
            .kms
            .schedule_key_deletion()
            .key_id(id)
            .pending_window_in_days(i32::try_from(spec.deletion_window_days).unwrap_or(30))
            .send()
            .await
        {
            Ok(_) => Ok(()),
            Err(e) => {
                let e = errors::kms("ScheduleKeyDeletion", e);
                // Gone, or already pending deletion: done either way.
                if e.is_not_found() || Api::<Key>::read(self, id).await?.is_none() { Ok(()) } else { Err(e) }
            }
        }
    }
}
