//! Buckets on AWS S3: public access block on unless `public`, default encryption
//! (SSE-S3, or SSE-KMS with a key), versioning, access logging, lifecycle and tags.

use aws_sdk_s3::error::BuildError;
use aws_sdk_s3::types::{
    BucketLifecycleConfiguration, BucketLocationConstraint, BucketLoggingStatus, BucketVersioningStatus,
    CreateBucketConfiguration, Delete, ExpirationStatus, LifecycleExpiration, LifecycleRule as S3Rule,
    LifecycleRuleFilter, LoggingEnabled, ObjectIdentifier, PublicAccessBlockConfiguration, ServerSideEncryption,
    ServerSideEncryptionByDefault, ServerSideEncryptionConfiguration, ServerSideEncryptionRule, Tag, Tagging,
    Transition, TransitionStorageClass, VersioningConfiguration,
};

use super::{Bucket, BucketSpec, BucketState, LifecycleRule, StorageClass};
use crate::clouds::aws::{AwsRegion, errors};
use crate::clouds::{CloudError, Native, Tags};
use crate::kinds::{Api, ListFilter, Listed};

const S3: &str = "AWS S3";

fn built<T>(op: &str, r: Result<T, BuildError>) -> Result<T, CloudError> {
    r.map_err(|e| CloudError::other(S3, op, e.to_string()))
}

/// Error codes S3 answers for "this setting is not configured".
fn absent(e: &CloudError, codes: &[&str]) -> bool {
    e.code.as_deref().is_some_and(|c| codes.contains(&c))
}

fn storage_class(c: StorageClass) -> TransitionStorageClass {
    match c {
        StorageClass::Cold => TransitionStorageClass::StandardIa,
        StorageClass::Archive => TransitionStorageClass::Glacier,
    }
}

fn rule_id(i: usize) -> String {
    format!("oppie-{i}")
}

impl AwsRegion {
    async fn put_encryption(&self, name: &str, spec: &BucketSpec) -> Result<(), CloudError> {
        let op = "PutBucketEncryption";
        let default = match &spec.kms_key_id {
            Some(key) => ServerSideEncryptionByDefault::builder()
                .sse_algorithm(ServerSideEncryption::AwsKms)
                .kms_master_key_id(key),
            None => ServerSideEncryptionByDefault::builder().sse_algorithm(ServerSideEncryption::Aes256),
        };
        let rule = ServerSideEncryptionRule::builder()
            .apply_server_side_encryption_by_default(built(op, default.build())?)
            .bucket_key_enabled(spec.kms_key_id.is_some())
            .build();
        let config = built(op, ServerSideEncryptionConfiguration::builder().rules(rule).build())?;
        self.s3
            .put_bucket_encryption()
            .bucket(name)
            .server_side_encryption_configuration(config)
            .send()
            .await
            .map(|_| ())
            .map_err(|e| errors::s3(op, e))
    }

    async fn put_lifecycle(&self, name: &str, rules: &[LifecycleRule]) -> Result<(), CloudError> {
        let op = "PutBucketLifecycleConfiguration";
        if rules.is_empty() {
            return self
                .s3
                .delete_bucket_lifecycle()
                .bucket(name)
                .send()
                .await
                .map(|_| ())
                .map_err(|e| errors::s3("DeleteBucketLifecycle", e));
        }
        let mut out = Vec::new();
        for (i, r) in rules.iter().enumerate() {
            let mut b = S3Rule::builder()
                .id(rule_id(i))
                .status(ExpirationStatus::Enabled)
                .filter(LifecycleRuleFilter::builder().prefix("").build());
            if let (Some(days), Some(class)) = (r.transition_days, r.storage_class) {
                b = b.transitions(
                    Transition::builder()
                        .days(i32::try_from(days).unwrap_or(i32::MAX))
                        .storage_class(storage_class(class))
                        .build(),
                );
            }
            if let Some(days) = r.expiration_days {
                b = b.expiration(LifecycleExpiration::builder().days(i32::try_from(days).unwrap_or(i32::MAX)).build());
            }
            out.push(built(op, b.build())?);
        }
        let config = built(op, BucketLifecycleConfiguration::builder().set_rules(Some(out)).build())?;
        self.s3
            .put_bucket_lifecycle_configuration()
            .bucket(name)
            .lifecycle_configuration(config)
            .send()
            .await
            .map(|_| ())
            .map_err(|e| errors::s3(op, e))
    }

    /// The bucket's tags, the provider's own (`oppie:`) included.
    pub(crate) async fn bucket_tags(&self, name: &str) -> Result<Tags, CloudError> {
        match self.s3.get_bucket_tagging().bucket(name).send().await {
            Ok(out) => Ok(out.tag_set().iter().map(|t| (t.key().to_string(), t.value().to_string())).collect()),
            Err(e) => {
                let e = errors::s3("GetBucketTagging", e);
                if absent(&e, &["NoSuchTagSet", "NoSuchTagSetError"]) { Ok(Tags::new()) } else { Err(e) }
            }
        }
    }

    /// Sets the user's tags, keeping the provider's own (`oppie:`) ones.
    pub(crate) async fn put_tags(&self, name: &str, tags: &Tags) -> Result<(), CloudError> {
        let own: Tags = self
            .bucket_tags(name)
            .await
            .unwrap_or_default()
            .into_iter()
            .filter(|(k, _)| k.starts_with(crate::clouds::aws::tags::OWN_PREFIX))
            .collect();
        let mut tags = tags.clone();
        tags.extend(own);
        let tags = &tags;
        if tags.is_empty() {
            return self
                .s3
                .delete_bucket_tagging()
                .bucket(name)
                .send()
                .await
                .map(|_| ())
                .map_err(|e| errors::s3("DeleteBucketTagging", e));
        }
        let op = "PutBucketTagging";
        let set = tags
            .iter()
            .map(|(k, v)| built(op, Tag::builder().key(k).value(v).build()))
            .collect::<Result<Vec<_>, _>>()?;
        let tagging = built(op, Tagging::builder().set_tag_set(Some(set)).build())?;
        self.s3
            .put_bucket_tagging()
            .bucket(name)
            .tagging(tagging)
            .send()
            .await
            .map(|_| ())
            .map_err(|e| errors::s3(op, e))
    }

    async fn put_logging(&self, name: &str, target: Option<&str>) -> Result<(), CloudError> {
        let op = "PutBucketLogging";
        let mut status = BucketLoggingStatus::builder();
        if let Some(t) = target {
            status = status.logging_enabled(built(
                op,
                LoggingEnabled::builder().target_bucket(t).target_prefix(format!("{name}/")).build(),
            )?);
        }
        self.s3
            .put_bucket_logging()
            .bucket(name)
            .bucket_logging_status(status.build())
            .send()
            .await
            .map(|_| ())
            .map_err(|e| errors::s3(op, e))
    }

    async fn empty_bucket(&self, name: &str) -> Result<(), CloudError> {
        let mut key_marker: Option<String> = None;
        let mut version_marker: Option<String> = None;
        loop {
            let out = self
                .s3
                .list_object_versions()
                .bucket(name)
                .set_key_marker(key_marker.clone())
                .set_version_id_marker(version_marker.clone())
                .send()
                .await
                .map_err(|e| errors::s3("ListObjectVersions", e))?;
            let mut ids = Vec::new();
            let versions = out.versions().iter().map(|v| (v.key(), v.version_id()));
            let markers = out.delete_markers().iter().map(|m| (m.key(), m.version_id()));
            for (key, version) in versions.chain(markers) {
                if let Some(k) = key {
                    ids.push(built(
                        "DeleteObjects",
                        ObjectIdentifier::builder().key(k).set_version_id(version.map(str::to_string)).build(),
                    )?);
                }
            }
            if !ids.is_empty() {
                let delete = built("DeleteObjects", Delete::builder().set_objects(Some(ids)).quiet(true).build())?;
                self.s3
                    .delete_objects()
                    .bucket(name)
                    .delete(delete)
                    .send()
                    .await
                    .map_err(|e| errors::s3("DeleteObjects", e))?;
            }
            if !out.is_truncated().unwrap_or(false) {
                return Ok(());
            }
            key_marker = out.next_key_marker().map(str::to_string);
            version_marker = out.next_version_id_marker().map(str::to_string);
        }
    }
}

#[tfplug::async_trait]
impl Api<Bucket> for AwsRegion {
    async fn known_id(&self, spec: &BucketSpec) -> Option<String> {
        Some(spec.name.clone())
    }

    async fn create(&self, spec: &BucketSpec, _token: &str) -> Result<String, CloudError> {
        let mut req = self.s3.create_bucket().bucket(&spec.name);
        // us-east-1 is the one region that takes no location constraint.
        if self.region != "us-east-1" {
            req = req.create_bucket_configuration(
                CreateBucketConfiguration::builder()
                    .location_constraint(BucketLocationConstraint::from(self.region.as_str()))
                    .build(),
            );
        }
        match req.send().await {
            Ok(_) => Ok(spec.name.clone()),
            Err(e) => {
                let e = errors::s3("CreateBucket", e);
                // A retried create that had happened (the create protocol checked before
                // the first attempt that no such bucket existed).
                if e.code.as_deref() == Some("BucketAlreadyOwnedByYou") { Ok(spec.name.clone()) } else { Err(e) }
            }
        }
    }

    async fn update(&self, id: &str, spec: &BucketSpec) -> Result<(), CloudError> {
        let have = Api::<Bucket>::read(self, id)
            .await?
            .ok_or_else(|| CloudError::other(S3, "HeadBucket", format!("bucket {id} is gone")))?
            .spec;
        if have.public != spec.public {
            if spec.public {
                self.s3
                    .delete_public_access_block()
                    .bucket(id)
                    .send()
                    .await
                    .map_err(|e| errors::s3("DeletePublicAccessBlock", e))?;
            } else {
                let block = PublicAccessBlockConfiguration::builder()
                    .block_public_acls(true)
                    .ignore_public_acls(true)
                    .block_public_policy(true)
                    .restrict_public_buckets(true)
                    .build();
                self.s3
                    .put_public_access_block()
                    .bucket(id)
                    .public_access_block_configuration(block)
                    .send()
                    .await
                    .map_err(|e| errors::s3("PutPublicAccessBlock", e))?;
            }
        }
        if (have.encrypted, &have.kms_key_id) != (spec.encrypted, &spec.kms_key_id) {
            if spec.encrypted {
                self.put_encryption(id, spec).await?;
            } else {
                self.s3
                    .delete_bucket_encryption()
                    .bucket(id)
                    .send()
                    .await
                    .map_err(|e| errors::s3("DeleteBucketEncryption", e))?;
            }
        }
        if have.versioning != spec.versioning {
            let status =
                if spec.versioning { BucketVersioningStatus::Enabled } else { BucketVersioningStatus::Suspended };
            self.s3
                .put_bucket_versioning()
                .bucket(id)
                .versioning_configuration(VersioningConfiguration::builder().status(status).build())
                .send()
                .await
                .map_err(|e| errors::s3("PutBucketVersioning", e))?;
        }
        if have.logging_bucket != spec.logging_bucket {
            self.put_logging(id, spec.logging_bucket.as_deref()).await?;
        }
        if have.lifecycle_rules != spec.lifecycle_rules {
            self.put_lifecycle(id, &spec.lifecycle_rules).await?;
        }
        if have.tags != spec.tags {
            self.put_tags(id, &spec.tags).await?;
        }
        Ok(())
    }

    async fn read(&self, id: &str) -> Result<Option<BucketState>, CloudError> {
        if let Err(e) = self.s3.head_bucket().bucket(id).send().await {
            let e = errors::s3("HeadBucket", e);
            return if e.is_not_found() { Ok(None) } else { Err(e) };
        }
        let versioning = self
            .s3
            .get_bucket_versioning()
            .bucket(id)
            .send()
            .await
            .map_err(|e| errors::s3("GetBucketVersioning", e))?;
        let (encrypted, kms_key_id) = match self.s3.get_bucket_encryption().bucket(id).send().await {
            Ok(out) => {
                let default = out
                    .server_side_encryption_configuration()
                    .and_then(|c| c.rules().first())
                    .and_then(|r| r.apply_server_side_encryption_by_default());
                match default {
                    Some(d)
                        if *d.sse_algorithm() == ServerSideEncryption::AwsKms
                            || *d.sse_algorithm() == ServerSideEncryption::AwsKmsDsse =>
                    {
                        (true, d.kms_master_key_id().map(str::to_string))
                    }
                    Some(_) => (true, None),
                    None => (false, None),
                }
            }
            Err(e) => {
                let e = errors::s3("GetBucketEncryption", e);
                if !absent(&e, &["ServerSideEncryptionConfigurationNotFoundError"]) {
                    return Err(e);
                }
                (false, None)
            }
        };
        let public = match self.s3.get_public_access_block().bucket(id).send().await {
            Ok(out) => !out.public_access_block_configuration().is_some_and(|c| {
                c.block_public_acls() == Some(true)
                    && c.ignore_public_acls() == Some(true)
                    && c.block_public_policy() == Some(true)
                    && c.restrict_public_buckets() == Some(true)
            }),
            Err(e) => {
                let e = errors::s3("GetPublicAccessBlock", e);
                if !absent(&e, &["NoSuchPublicAccessBlockConfiguration"]) {
                    return Err(e);
                }
                true
            }
        };
        let logging =
            self.s3.get_bucket_logging().bucket(id).send().await.map_err(|e| errors::s3("GetBucketLogging", e))?;
        let lifecycle_rules = match self.s3.get_bucket_lifecycle_configuration().bucket(id).send().await {
            Ok(out) => {
                let mut rules: Vec<&S3Rule> = out.rules().iter().collect();
                rules.sort_by_key(|r| {
                    r.id()
                        .and_then(|i| i.strip_prefix("oppie-"))
                        .and_then(|n| n.parse::<usize>().ok())
                        .unwrap_or(usize::MAX)
                });
                rules
                    .into_iter()
                    .map(|r| {
                        let t = r.transitions().first();
                        LifecycleRule {
                            transition_days: t.and_then(|t| t.days()).and_then(|d| u32::try_from(d).ok()),
                            storage_class: t.and_then(|t| t.storage_class()).and_then(|c| match c {
                                TransitionStorageClass::StandardIa => Some(StorageClass::Cold),
                                TransitionStorageClass::Glacier => Some(StorageClass::Archive),
                                _ => None,
                            }),
                            expiration_days: r.expiration().and_then(|e| e.days()).and_then(|d| u32::try_from(d).ok()),
                        }
                    })
                    .collect()
            }
            Err(e) => {
                let e = errors::s3("GetBucketLifecycleConfiguration", e);
                if !absent(&e, &["NoSuchLifecycleConfiguration"]) {
                    return Err(e);
                }
                Vec::new()
            }
        };
        let tags: Tags = self
            .bucket_tags(id)
            .await?
            .into_iter()
            .filter(|(k, _)| !k.starts_with(crate::clouds::aws::tags::OWN_PREFIX))
            .collect();
        let mut native = Native::new();
        native.insert("bucket".into(), id.to_string());
        native.insert("arn".into(), format!("arn:aws:s3:::{id}"));
        native.insert("region".into(), self.region.clone());
        native.insert("domain_name".into(), format!("{id}.s3.amazonaws.com"));
        native.insert("regional_domain_name".into(), format!("{id}.s3.{}.amazonaws.com", self.region));
        Ok(Some(BucketState {
            spec: BucketSpec {
                name: id.to_string(),
                versioning: versioning.status() == Some(&BucketVersioningStatus::Enabled),
                encrypted,
                kms_key_id,
                public,
                logging_bucket: logging.logging_enabled().map(|l| l.target_bucket().to_string()),
                lifecycle_rules,
                tags,
                resource_group: None,
                force_destroy: false,
            },
            native,
        }))
    }

    async fn list(&self, filter: &ListFilter) -> Result<Vec<Listed>, CloudError> {
        let out = self.s3.list_buckets().send().await.map_err(|e| errors::s3("ListBuckets", e))?;
        let mut found = Vec::new();
        for b in out.buckets() {
            let Some(name) = b.name() else { continue };
            // S3 lists every region's buckets; us-east-1's have no location constraint.
            let at = match self.s3.get_bucket_location().bucket(name).send().await {
                Ok(l) => l.location_constraint().map(|c| c.as_str().to_string()).filter(|c| !c.is_empty()),
                Err(e) => {
                    let e = errors::s3("GetBucketLocation", e);
                    if e.is_not_found() {
                        continue;
                    }
                    return Err(e);
                }
            };
            if at.as_deref().unwrap_or("us-east-1") != self.region {
                continue;
            }
            if !filter.tags.is_empty() {
                let tags = self.bucket_tags(name).await?;
                if !filter.matches_tags(Some(&tags)) {
                    continue;
                }
            }
            found.push(Listed { id: name.to_string(), name: name.to_string() });
        }
        Ok(found)
    }

    async fn delete(&self, id: &str, spec: &BucketSpec) -> Result<(), CloudError> {
        let force = spec.force_destroy;
        if force {
            self.empty_bucket(id).await?;
        }
        match self.s3.delete_bucket().bucket(id).send().await {
            Ok(_) => Ok(()),
            Err(e) => {
                let mut e = errors::s3("DeleteBucket", e);
                if e.is_not_found() {
                    return Ok(());
                }
                if e.code.as_deref() == Some("BucketNotEmpty") {
                    e.message.push_str(" Set force_destroy = true to delete the objects with the bucket.");
                }
                Err(e)
            }
        }
    }
}

#[tfplug::async_trait]
impl super::Snapshots for AwsRegion {
    async fn snapshot_versions(&self, bucket: &str, retain_until: Option<&str>) -> Result<Option<String>, CloudError> {
        let versioning = match self.s3.get_bucket_versioning().bucket(bucket).send().await {
            Ok(v) => v,
            Err(e) => {
                let e = errors::s3("GetBucketVersioning", e);
                return if e.is_not_found() || absent(&e, &["NoSuchBucket"]) { Ok(None) } else { Err(e) };
            }
        };
        if versioning.status() != Some(&BucketVersioningStatus::Enabled) {
            return Err(CloudError {
                kind: crate::clouds::ErrorKind::Invalid,
                service: S3,
                operation: "GetBucketVersioning".into(),
                code: None,
                message: format!(
                    "bucket {bucket} does not keep versions, so a snapshot could not restore anything: set versioning = true on it first"
                ),
                request_id: None,
            });
        }
        let mut objects = serde_json::Map::new();
        let (mut key_marker, mut version_marker) = (None::<String>, None::<String>);
        loop {
            let page = self
                .s3
                .list_object_versions()
                .bucket(bucket)
                .set_key_marker(key_marker.take())
                .set_version_id_marker(version_marker.take())
                .send()
                .await
                .map_err(|e| errors::s3("ListObjectVersions", e))?;
            for v in page.versions() {
                let (Some(key), Some(version)) = (v.key(), v.version_id()) else { continue };
                if v.is_latest() == Some(true) && !key.starts_with(super::SNAPSHOT_PREFIX) {
                    objects.insert(key.to_string(), serde_json::Value::from(version));
                }
            }
            if page.is_truncated() != Some(true) {
                break;
            }
            key_marker = page.next_key_marker().map(str::to_string);
            version_marker = page.next_version_id_marker().map(str::to_string);
            if key_marker.is_none() {
                break;
            }
        }
        let taken = crate::actions::stamp(time::OffsetDateTime::now_utc());
        let key = match retain_until {
            Some(r) => format!("{}{taken}-until-{r}.json", super::SNAPSHOT_PREFIX),
            None => format!("{}{taken}.json", super::SNAPSHOT_PREFIX),
        };
        let count = objects.len();
        let manifest = serde_json::json!({
            "bucket": bucket,
            "taken_at": taken,
            "retain_until": retain_until,
            "objects": objects,
        });
        let out = self
            .s3
            .put_object()
            .bucket(bucket)
            .key(&key)
            .content_type("application/json")
            .body(serde_json::to_vec_pretty(&manifest).unwrap_or_default().into())
            .send()
            .await
            .map_err(|e| errors::s3("PutObject", e))?;
        tracing::info!(bucket, objects = count, "bucket snapshot written");
        Ok(Some(match out.version_id() {
            Some(v) => format!("s3://{bucket}/{key}?versionId={v}"),
            None => format!("s3://{bucket}/{key}"),
        }))
    }

    async fn prune_versions(&self, bucket: &str, now: &str) -> Result<Vec<String>, CloudError> {
        let out = self
            .s3
            .list_object_versions()
            .bucket(bucket)
            .prefix(super::SNAPSHOT_PREFIX)
            .send()
            .await
            .map_err(|e| errors::s3("ListObjectVersions", e))?;
        let mut pruned = Vec::new();
        for v in out.versions() {
            let (Some(key), Some(version)) = (v.key(), v.version_id()) else { continue };
            let until = key.strip_suffix(".json").and_then(|k| k.rsplit_once("-until-")).map(|(_, u)| u);
            if until.is_some_and(|u| u < now) {
                self.s3
                    .delete_object()
                    .bucket(bucket)
                    .key(key)
                    .version_id(version)
                    .send()
                    .await
                    .map_err(|e| errors::s3("DeleteObject", e))?;
                pruned.push(format!("s3://{bucket}/{key}?versionId={version}"));
            }
        }
        Ok(pruned)
    }
}
