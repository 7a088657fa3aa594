//! `action "oppie_environment_extend"`: gives an environment more time. An environment lives
//! only in Terraform state, which an action cannot change, so the extension is written where
//! it outlives the run: the `oppie:expires-at` tag of every resource that carries the
//! environment's tag (`environment = <name>`) in the cloud and region named. Reapers and
//! plan-time expiry checks read it from there; the provider hides the tag from `tags` and
//! keeps it through updates.

use std::collections::BTreeMap;

use serde::Deserialize;
use tfplug::validator::from_fn;
use tfplug::{Action, ActionProgress, Attribute, Block, Context, Diagnostics, Object, Schema};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use super::{parse_stamp, stamp};
use crate::client::Client;
use crate::clouds::{CloudError, Region};
use crate::kinds::common;
use crate::kinds::{Kind, ListFilter, bucket, firewall, instance, network, subnet};

/// The action type.
pub struct EnvironmentExtend;

/// The tag that names a resource's environment (what `default_tags` or `tags` set).
pub const ENVIRONMENT_TAG: &str = "environment";

#[derive(Deserialize)]
struct Config {
    environment: String,
    by: String,
    expires_at: Option<String>,
    cloud: Option<String>,
    region: Option<String>,
}

/// The ids of kind `K` in `region` that `filter` matches.
async fn members<K: Kind>(region: &Region, filter: &ListFilter) -> Result<Vec<String>, CloudError> {
    match K::api(region) {
        Some(api) => Ok(api.list(filter).await?.into_iter().map(|l| l.id).collect()),
        None => Ok(Vec::new()),
    }
}

#[tfplug::async_trait]
impl Action<Client> for EnvironmentExtend {
    fn type_name(&self) -> &str {
        "oppie_environment_extend"
    }

    fn schema(&self) -> Schema {
        Schema::new(
            0,
            Block::new()
                .markdown("Adds time to an environment's TTL: the resources tagged `environment = <name>` in one cloud and region get an `oppie:expires-at` tag (UTC, `20261208t153000z`) that is the environment's current expiry plus `by`, which reapers and expiry checks read. The environment's own `expires_at` in state is unchanged (actions cannot change state). AWS for now.")
                .attribute(Attribute::string("environment").required().description(
                    "The environment's name (`oppie_environment.<name>.name`): the value of its resources' `environment` tag.",
                ))
                .attribute(
                    Attribute::string("by")
                        .required()
                        .validator(from_fn("a duration such as \"24h\"", |v| {
                            v.as_str().map_or(Ok(()), |s| tfplug::duration::parse(s).map(|_| ()))
                        }))
                        .description("How much longer, as a duration such as `24h` or `90m`."),
                )
                .attribute(Attribute::string("expires_at").optional().description(
                    "The expiry to extend (RFC 3339), usually `oppie_environment.<name>.expires_at`. The later of it and any extension already tagged is extended; with neither, now.",
                ))
                .attribute(Attribute::string("cloud").optional().description(
                    "Cloud of the environment's resources; defaults to the provider's `default_cloud`.",
                ))
                .attribute(Attribute::string("region").optional().description(
                    "Region of the environment's resources; defaults to the provider's `default_region`.",
                )),
        )
    }

    async fn invoke(
        &self,
        ctx: &Context<Client>,
        config: &Object,
        progress: &ActionProgress,
    ) -> Result<(), Diagnostics> {
        let c: Config = config.get()?;
        let by = tfplug::duration::parse(&c.by)
            .map_err(|e| Diagnostics::attribute_error(tfplug::AttributePath::attr("by"), "Invalid duration", e))?;
        let given = match &c.expires_at {
            Some(t) => Some(OffsetDateTime::parse(t, &Rfc3339).map_err(|e| {
                Diagnostics::attribute_error(tfplug::AttributePath::attr("expires_at"), "Invalid time", e.to_string())
            })?),
            None => None,
        };
        let (place, _, _) = common::identity_placement(ctx, c.cloud, c.region)?;
        let region = ctx.client()?.clouds.region(place.cloud, &place.region).await?;
        let Region::Aws(aws) = &region else {
            return Err(Diagnostics::error(
                "Not supported on this cloud yet",
                format!("oppie_environment_extend tags resources on AWS only so far, not on {}.", place.cloud),
            ));
        };
        let filter = ListFilter {
            tags: BTreeMap::from([(ENVIRONMENT_TAG.to_string(), c.environment.clone())]),
            ..ListFilter::default()
        };
        let what = format!("finding the resources of environment {}", c.environment);
        let fail = |e: CloudError| e.to_diagnostics(&what);
        let mut ec2 = Vec::new();
        ec2.extend(members::<network::Network>(&region, &filter).await.map_err(fail)?);
        ec2.extend(members::<subnet::Subnet>(&region, &filter).await.map_err(fail)?);
        ec2.extend(members::<firewall::Firewall>(&region, &filter).await.map_err(fail)?);
        ec2.extend(members::<instance::Instance>(&region, &filter).await.map_err(fail)?);
        let buckets = members::<bucket::Bucket>(&region, &filter).await.map_err(fail)?;
        if ec2.is_empty() && buckets.is_empty() {
            return Err(Diagnostics::error(
                "No resources in this environment",
                format!(
                    "No resource in {} {} carries the tag {ENVIRONMENT_TAG} = {:?}, so there is nothing to extend. Tag the environment's resources with it (default_tags or tags).",
                    place.cloud, place.region, c.environment
                ),
            ));
        }
        let tagged = aws.latest_expiry(&ec2, &buckets).await.map_err(fail)?.and_then(|s| parse_stamp(&s));
        let now = OffsetDateTime::now_utc();
        let base = [given, tagged].into_iter().flatten().max().unwrap_or(now);
        let until = base + time::Duration::try_from(by).unwrap_or(time::Duration::ZERO);
        let value = stamp(until);
        aws.set_expiry(&ec2, &buckets, &value)
            .await
            .map_err(|e| e.to_diagnostics(&format!("extending environment {}", c.environment)))?;
        progress
            .send(format!(
                "environment {} now expires at {} ({} resource(s) tagged {}={value})",
                c.environment,
                until.format(&Rfc3339).unwrap_or_default(),
                ec2.len() + buckets.len(),
                crate::clouds::aws::tags::EXPIRES_TAG
            ))
            .await;
        Ok(())
    }
}
