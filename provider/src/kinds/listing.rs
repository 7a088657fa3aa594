//! `list` blocks for every cloud-backed kind (`terraform query`): what exists in one cloud
//! and region, whoever made it, filtered by tags and network. Each object's full state comes
//! from the kind's own import and refresh, so generated config imports with no changes.

use std::marker::PhantomData;
use std::sync::Arc;

use futures::StreamExt as _;
use serde::Deserialize;
use tfplug::validator::one_of;
use tfplug::{
    Attribute, AttributePath, Block, Context, Diagnostics, ListRequest, ListResource, ListResults, Object, Schema,
};

use super::lifecycle::{adopt, api, unsupported};
use super::{Kind, ListFilter, Listed, common};
use crate::catalog::Cloud;
use crate::client::Client;
use crate::clouds::Tags;

/// How many objects a list reads at once when Terraform wants their full state.
const READS_AT_ONCE: usize = 16;

/// The list resource of kind `K`.
pub struct CloudList<K>(PhantomData<fn() -> K>);

impl<K: Kind> CloudList<K> {
    /// The list resource, ready for the provider's list.
    #[allow(clippy::new_ret_no_self, reason = "the provider lists list resources as trait objects")]
    pub fn new() -> Arc<dyn ListResource<Client>> {
        Arc::new(CloudList::<K>(PhantomData))
    }
}

#[derive(Deserialize)]
struct Config {
    cloud: Option<String>,
    region: Option<String>,
    tags: Option<Tags>,
    network_id: Option<String>,
    resource_group: Option<String>,
}

/// The list block's schema for kind `K`.
fn block<K: Kind>() -> Block {
    let mut b = Block::new()
        .markdown(format!(
            "Finds the {noun}s that exist in one cloud and region, whoever made them, for `terraform query`; `-generate-config-out` writes `{ty}` blocks and `import` blocks (by identity) that adopt them with no further changes.",
            noun = K::NOUN,
            ty = K::TYPE
        ))
        .attribute(
            Attribute::string("cloud")
                .optional()
                .validator(one_of(K::CLOUDS.iter().map(|c| c.key())))
                .description("Cloud to look in: aws, gcp or azure. Defaults to the provider's `default_cloud`."),
        )
        .attribute(Attribute::string("region").optional().description(
            "Region to look in: a catalog key (us-east, ...) or a native region. Defaults to the provider's `default_region`.",
        ))
        .attribute(Attribute::string_map("tags").optional().description(
            "Only objects that carry every one of these tags (labels on GCP), whatever else they carry.",
        ));
    if K::LISTED_BY_NETWORK {
        b = b.attribute(
            Attribute::string("network_id")
                .optional()
                .description("Only objects in this network (the `id` of an `oppie_network`)."),
        );
    }
    if K::CLOUDS.contains(&Cloud::Azure) {
        b = b.attribute(
            Attribute::string("resource_group")
                .optional()
                .description("Azure only: look in this resource group instead of the whole subscription."),
        );
    }
    b
}

#[tfplug::async_trait]
impl<K: Kind> ListResource<Client> for CloudList<K> {
    fn type_name(&self) -> &str {
        K::TYPE
    }

    fn schema(&self) -> Schema {
        Schema::new(0, block::<K>())
    }

    async fn list(
        &self,
        ctx: &Context<Client>,
        req: &ListRequest,
        results: &mut ListResults,
    ) -> Result<(), Diagnostics> {
        let c: Config = req.config.get().unwrap_or(Config {
            cloud: None,
            region: None,
            tags: None,
            network_id: None,
            resource_group: None,
        });
        let (place, cloud, region) = common::identity_placement(ctx, c.cloud, c.region)?;
        if !K::CLOUDS.contains(&place.cloud) {
            return Err(unsupported::<K>(place.cloud));
        }
        if c.resource_group.is_some() && place.cloud != Cloud::Azure {
            return Err(Diagnostics::attribute_error(
                AttributePath::attr("resource_group"),
                "resource_group is Azure's",
                format!("Remove resource_group to list {}s on {}.", K::NOUN, place.cloud),
            ));
        }
        let api = api::<K>(ctx, &place).await?;
        let filter =
            ListFilter { tags: c.tags.unwrap_or_default(), network_id: c.network_id, resource_group: c.resource_group };
        let what = format!("listing {}s in {cloud} {region}", K::NOUN);
        let found = api.list(&filter).await.map_err(|e| e.to_diagnostics(&what))?;
        let limit = usize::try_from(req.limit.max(0)).unwrap_or(usize::MAX);
        let item = |results: &ListResults, f: &Listed| -> Result<tfplug::ListItem, Diagnostics> {
            let shown =
                if f.name.is_empty() || f.name == f.id { f.id.clone() } else { format!("{} ({})", f.name, f.id) };
            let mut item = results.item(shown);
            item.identity.set_attr("cloud", &cloud)?;
            item.identity.set_attr("region", &region)?;
            item.identity.set_attr("id", &f.id)?;
            Ok(item)
        };
        if !req.include_resource {
            for f in found.iter().take(limit) {
                if !results.send(item(results, f)?).await? {
                    break;
                }
            }
            return Ok(());
        }
        // Terraform wants each object's state: read them a few at a time, in listing order.
        let api = &api;
        let mut reads = futures::stream::iter(found.into_iter().take(limit))
            .map(|f| async move {
                let read = api.read(&f.id).await;
                (f, read)
            })
            .buffered(READS_AT_ONCE);
        while let Some((f, read)) = reads.next().await {
            let actual = match read {
                Ok(Some(actual)) => actual,
                // Gone since it was listed.
                Ok(None) => continue,
                Err(e) => {
                    let d = e.to_diagnostics(&format!("reading {} {}", K::NOUN, f.id));
                    results.warn(d.0[0].summary.clone(), d.0[0].detail.clone()).await;
                    continue;
                }
            };
            let mut it = item(results, &f)?;
            let mut state = Object::empty(it.resource.ty().clone());
            adopt::<K>(&mut state, &place, &cloud, &region, &f.id)?;
            K::refresh(ctx, &mut state, &actual)?;
            it.resource = state;
            if !results.send(it).await? {
                break;
            }
        }
        Ok(())
    }
}
