//! EC2 tags: the Name tag and the creation-token tag are the provider's own; user tags
//! are synced by difference (CreateTags for new or changed, DeleteTags for removed).

use aws_sdk_ec2::types::{ResourceType, Tag, TagSpecification};

use super::{AwsRegion, errors};
use crate::clouds::{CloudError, Tags};

/// Tag that marks an object with the token of the create that made it.
pub const TOKEN_TAG: &str = "oppie:creation-token";

/// The Name tag.
pub const NAME_TAG: &str = "Name";

/// Tags whose keys start so are the provider's own bookkeeping (a creation token, an
/// environment's extended expiry): hidden from `tags` and kept by updates.
pub const OWN_PREFIX: &str = "oppie:";

/// `tags` plus Name (when given) and the creation token, as a tag specification.
pub fn spec(kind: ResourceType, tags: &Tags, name: Option<&str>, token: Option<&str>) -> TagSpecification {
    let mut all: Vec<Tag> = tags.iter().map(|(k, v)| tag(k, v)).collect();
    if let Some(n) = name {
        all.push(tag(NAME_TAG, n));
    }
    if let Some(t) = token {
        all.push(tag(TOKEN_TAG, t));
    }
    TagSpecification::builder().resource_type(kind).set_tags(Some(all)).build()
}

/// One tag.
pub fn tag(k: &str, v: &str) -> Tag {
    Tag::builder().key(k).value(v).build()
}

/// Splits AWS tags into (Name, user tags); with `named`, Name is the name, not a tag.
pub fn split(tags: &[Tag], named: bool) -> (Option<String>, Tags) {
    let mut name = None;
    let mut out = Tags::new();
    for t in tags {
        let (Some(k), v) = (t.key(), t.value().unwrap_or_default()) else {
            continue;
        };
        if k.starts_with(OWN_PREFIX) {
            continue;
        }
        if named && k == NAME_TAG {
            name = Some(v.to_string());
        } else {
            out.insert(k.to_string(), v.to_string());
        }
    }
    (name, out)
}

/// What makes tags `have` equal `want`: the keys to remove (in `have` only) and the tags to set
/// (new in `want`, or with another value there). The provider's own keys ([`OWN_PREFIX`]) are
/// never removed: every AWS service's tag sync (EC2, ELB, Route 53, KMS, RDS, ElastiCache) uses it.
pub fn diff(have: &Tags, want: &Tags) -> (Vec<String>, Tags) {
    let remove = have.keys().filter(|k| !k.starts_with(OWN_PREFIX) && !want.contains_key(*k)).cloned().collect();
    let set = want.iter().filter(|(k, v)| have.get(*k) != Some(*v)).map(|(k, v)| (k.clone(), v.clone())).collect();
    (remove, set)
}

impl AwsRegion {
    /// Makes the tags of EC2 object `id` (currently `current`) equal `desired` plus Name.
    pub(crate) async fn sync_tags(
        &self,
        id: &str,
        current: &[Tag],
        desired: &Tags,
        name: Option<&str>,
    ) -> Result<(), CloudError> {
        let mut want = desired.clone();
        if let Some(n) = name {
            want.insert(NAME_TAG.to_string(), n.to_string());
        }
        let have: Tags = current
            .iter()
            .filter_map(|t| Some((t.key()?.to_string(), t.value().unwrap_or_default().to_string())))
            .collect();
        let (remove, set) = diff(&have, &want);
        let remove: Vec<Tag> = remove.iter().map(|k| Tag::builder().key(k).build()).collect();
        let set: Vec<Tag> = set.iter().map(|(k, v)| tag(k, v)).collect();
        if !remove.is_empty() {
            self.ec2
                .delete_tags()
                .resources(id)
                .set_tags(Some(remove))
                .send()
                .await
                .map_err(|e| errors::ec2("DeleteTags", e))?;
        }
        if !set.is_empty() {
            self.ec2
                .create_tags()
                .resources(id)
                .set_tags(Some(set))
                .send()
                .await
                .map_err(|e| errors::ec2("CreateTags", e))?;
        }
        Ok(())
    }
}

/// The tag holding an environment's extended expiry on each of its resources (a
/// [stamp](crate::actions::stamp)), set by `oppie_environment_extend`.
pub const EXPIRES_TAG: &str = "oppie:expires-at";

impl AwsRegion {
    /// The latest `oppie:expires-at` among EC2 objects `ids` and buckets `buckets`.
    pub(crate) async fn latest_expiry(&self, ids: &[String], buckets: &[String]) -> Result<Option<String>, CloudError> {
        let mut latest: Option<String> = None;
        let mut keep = |v: &str| {
            if latest.as_deref().is_none_or(|l| v > l) {
                latest = Some(v.to_string());
            }
        };
        for chunk in ids.chunks(200) {
            let out = self
                .ec2
                .describe_tags()
                .filters(super::filter("key", EXPIRES_TAG))
                .filters(
                    aws_sdk_ec2::types::Filter::builder().name("resource-id").set_values(Some(chunk.to_vec())).build(),
                )
                .send()
                .await
                .map_err(|e| errors::ec2("DescribeTags", e))?;
            for t in out.tags() {
                if let Some(v) = t.value() {
                    keep(v);
                }
            }
        }
        for b in buckets {
            if let Some(v) = self.bucket_tags(b).await?.get(EXPIRES_TAG) {
                keep(v);
            }
        }
        Ok(latest)
    }

    /// Sets `oppie:expires-at` to `value` on EC2 objects `ids` and buckets `buckets`.
    pub(crate) async fn set_expiry(&self, ids: &[String], buckets: &[String], value: &str) -> Result<(), CloudError> {
        for chunk in ids.chunks(200) {
            self.ec2
                .create_tags()
                .set_resources(Some(chunk.to_vec()))
                .tags(tag(EXPIRES_TAG, value))
                .send()
                .await
                .map_err(|e| errors::ec2("CreateTags", e))?;
        }
        for b in buckets {
            let mut t: Tags =
                self.bucket_tags(b).await?.into_iter().filter(|(k, _)| !k.starts_with(OWN_PREFIX)).collect();
            t.insert(EXPIRES_TAG.into(), value.into());
            // put_tags keeps the provider's own tags; the new expiry replaces the old one.
            self.put_tags(b, &t).await?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn split_hides_the_provider_tags() {
        let raw = vec![tag("Name", "net"), tag(TOKEN_TAG, "abc"), tag("team", "shop")];
        let (name, tags) = split(&raw, true);
        assert_eq!(name.as_deref(), Some("net"));
        assert_eq!(tags, Tags::from([("team".into(), "shop".into())]));
        let (name, tags) = split(&raw, false);
        assert_eq!(name, None);
        assert_eq!(tags.len(), 2, "Name is an ordinary tag on unnamed kinds");
    }

    fn tags(pairs: &[(&str, &str)]) -> Tags {
        pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
    }

    #[test]
    fn diff_removes_the_gone_sets_the_new_and_changed_and_keeps_the_providers_own() {
        let have = tags(&[("team", "shop"), ("env", "dev"), ("old", "x"), (TOKEN_TAG, "abc"), (EXPIRES_TAG, "t")]);
        let want = tags(&[("team", "shop"), ("env", "prod"), ("new", "y")]);
        let (remove, set) = diff(&have, &want);
        assert_eq!(remove, vec!["old".to_string()], "own tags are never removed");
        assert_eq!(set, tags(&[("env", "prod"), ("new", "y")]), "unchanged tags are not sent");
        assert_eq!(diff(&want, &want), (Vec::new(), Tags::new()), "equal tags: nothing to do");
        let (remove, set) = diff(&Tags::new(), &want);
        assert!(remove.is_empty());
        assert_eq!(set, want);
    }
}
