//! Resource kinds, one folder each: the neutral schema and plan logic in `mod.rs`, the
//! mapping onto each cloud beside it (`aws.rs`, `gcp.rs`, `azure.rs`).
//!
//! A cloud-backed kind implements [`Kind`] (what differs between kinds) and, per cloud it
//! supports, [`Api`] (the calls). [`lifecycle::CloudResource`] turns the pair into a Terraform
//! resource: shared attributes, placement, the create protocol that never orphans or
//! duplicates an object, refresh, import and timeouts. Adding a kind is its folder and one
//! line in [`all`].

pub mod bucket;
pub mod cache;
pub mod checks;
pub mod cidr_ledger;
pub mod common;
pub mod database;
pub mod dns_record;
pub mod dns_zone;
pub mod environment;
pub mod firewall;
pub mod instance;
pub mod key;
pub mod lifecycle;
pub mod listing;
pub mod load_balancer;
pub mod network;
pub mod secrets;
pub mod subnet;
#[cfg(test)]
pub mod testing;
pub mod tier;

use std::sync::Arc;
use std::time::Duration;

use tfplug::timeouts::Operation;
use tfplug::{Block, Context, Diagnostics, ListResource, Object, Plan, Resource};

use crate::catalog::Cloud;
use crate::client::Client;
use crate::clouds::{CloudError, Region, Tags};
use common::Placement;
use lifecycle::CloudResource;
use listing::CloudList;

/// Every resource type of the provider, in the order the docs list them.
pub fn all() -> Vec<Arc<dyn Resource<Client>>> {
    vec![
        Arc::new(environment::Environment),
        CloudResource::<network::Network>::new(),
        CloudResource::<subnet::Subnet>::new(),
        CloudResource::<firewall::Firewall>::new(),
        CloudResource::<instance::Instance>::new(),
        CloudResource::<bucket::Bucket>::new(),
        CloudResource::<load_balancer::LoadBalancer>::new(),
        CloudResource::<dns_zone::DnsZone>::new(),
        CloudResource::<dns_record::DnsRecord>::new(),
        CloudResource::<key::Key>::new(),
        CloudResource::<database::Database>::new(),
        CloudResource::<cache::Cache>::new(),
    ]
}

/// The list resources (`list` blocks, `terraform query`): one per cloud-backed kind in
/// [`all`] (a unit test holds the two lists together).
pub fn lists() -> Vec<Arc<dyn ListResource<Client>>> {
    vec![
        CloudList::<network::Network>::new(),
        CloudList::<subnet::Subnet>::new(),
        CloudList::<firewall::Firewall>::new(),
        CloudList::<instance::Instance>::new(),
        CloudList::<bucket::Bucket>::new(),
        CloudList::<load_balancer::LoadBalancer>::new(),
        CloudList::<dns_zone::DnsZone>::new(),
        CloudList::<dns_record::DnsRecord>::new(),
        CloudList::<key::Key>::new(),
        CloudList::<database::Database>::new(),
        CloudList::<cache::Cache>::new(),
    ]
}

/// What a `list` block asks for beyond cloud and region.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ListFilter {
    /// Every one of these tags (labels on GCP) must be on the object.
    pub tags: Tags,
    /// Only objects in this network (kinds with [`Kind::LISTED_BY_NETWORK`]).
    pub network_id: Option<String>,
    /// Azure: only this resource group (else the whole subscription, in the region).
    pub resource_group: Option<String>,
}

impl ListFilter {
    /// True when `tags` (what the cloud reports; `None` where it keeps none for the kind)
    /// carry every tag the filter asks for.
    pub fn matches_tags(&self, tags: Option<&Tags>) -> bool {
        self.tags.is_empty() || tags.is_some_and(|t| self.tags.iter().all(|(k, v)| t.get(k) == Some(v)))
    }
}

/// One object a listing found: its id and the name `terraform query` shows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Listed {
    /// The id, as the kind's `id` attribute holds it.
    pub id: String,
    /// A name for people (its name or Name tag; the id when it has none).
    pub name: String,
}

/// An ARM resource as a list result: its id and name (`None` when the cloud left either out).
pub(crate) fn arm_listed(v: &serde_json::Value) -> Option<Listed> {
    Some(Listed { id: v["id"].as_str()?.to_string(), name: v["name"].as_str()?.to_string() })
}

/// What makes one cloud-backed kind what it is; everything shared lives in [`lifecycle`].
#[tfplug::async_trait]
pub trait Kind: Send + Sync + Sized + 'static {
    /// The Terraform type name, e.g. `oppie_network`.
    const TYPE: &'static str;
    /// What messages call one, e.g. "network".
    const NOUN: &'static str;
    /// The clouds this kind exists on; planning it anywhere else is an error naming these.
    const CLOUDS: &'static [Cloud];
    /// Default create, update and delete timeouts.
    const TIMEOUTS: [(Operation, Duration); 3];
    /// Whether a `list` block may filter this kind by `network_id` (objects that live in a
    /// network: subnets, firewalls, instances).
    const LISTED_BY_NETWORK: bool = false;
    /// What the configuration asks for, catalog keys resolved (built from a planned or
    /// stored state).
    type Spec: Send + Sync;
    /// What the cloud reports.
    type State: Send + Sync;

    /// The kind's own attributes and blocks; the shared ones are added around them.
    fn block() -> Block;

    /// The calls of the cloud `region` belongs to, or `None` on a cloud without this kind.
    fn api(region: &Region) -> Option<Arc<dyn Api<Self>>>;

    /// Checks of the configuration beyond the schema's (may see unknowns).
    async fn validate(_ctx: &Context<Client>, _config: &Object) -> Result<(), Diagnostics> {
        Ok(())
    }

    /// Plans the kind's own attributes, after the shared ones; `place` is known when cloud
    /// and region are. Problems go into `diags`, so one plan shows every one of them.
    async fn plan(ctx: &Context<Client>, plan: &mut Plan, place: Option<&Placement>, diags: &mut Diagnostics);

    /// Fills what only the cloud can tell, just before the create (e.g. an image id).
    async fn prepare(_ctx: &Context<Client>, _state: &mut Object, _place: &Placement) -> Result<(), Diagnostics> {
        Ok(())
    }

    /// The spec of a planned or stored state.
    fn spec(state: &Object) -> Result<Self::Spec, Diagnostics>;

    /// Adds to `spec` what only the configuration carries: write-only arguments (a password),
    /// which Terraform never puts into a plan or state. `prior` is the state before an update
    /// (`None` for a create), so a secret is sent only when its version changed.
    fn configured(_spec: &mut Self::Spec, _config: &Object, _prior: Option<&Object>) -> Result<(), Diagnostics> {
        Ok(())
    }

    /// A name for messages ("creating network shop-dev-net").
    fn label(spec: &Self::Spec) -> String;

    /// Writes what the cloud reports into a refreshed (or imported) state.
    fn refresh(ctx: &Context<Client>, state: &mut Object, actual: &Self::State) -> Result<(), Diagnostics>;

    /// Fills the computed attributes a create or update left unknown, from the object as
    /// the cloud now reports it.
    fn applied(state: &mut Object, actual: &Self::State) -> Result<(), Diagnostics>;

    /// Prepares an imported state for `read` beyond the shared `cloud`, `region` and ids.
    fn import(_state: &mut Object, _native_id: &str) -> Result<(), Diagnostics> {
        Ok(())
    }
}

/// One cloud's calls for kind `K`. Creates follow the no-orphan rule: `create` returns as
/// soon as the cloud has accepted the object, and everything after it (waits, follow-up
/// settings) is in `settle`, which the create protocol runs with the id already in state.
#[tfplug::async_trait]
pub trait Api<K: Kind>: Send + Sync {
    /// The id the object will have, where the caller chooses it (names on GCP and Azure,
    /// S3 buckets): it goes into state before the create call, so a create whose outcome
    /// is unknown stays tracked.
    async fn known_id(&self, _spec: &K::Spec) -> Option<String> {
        None
    }

    /// Sends the create and returns the object's id once the cloud has accepted it.
    /// Retries must never make a second object: they carry `token` (AWS client tokens and
    /// token tags, GCP request ids) or are idempotent (Azure PUT, named objects).
    async fn create(&self, spec: &K::Spec, token: &str) -> Result<String, CloudError>;

    /// The id of the object a create carrying `token` made, if any: how a create whose
    /// answer was lost is found again. Clouds whose ids are [`Api::known_id`] need none.
    async fn find(&self, _token: &str) -> Result<Option<String>, CloudError> {
        Ok(None)
    }

    /// Waits until the new object is ready and applies what its create call could not
    /// carry. Idempotent: it also finishes a create interrupted before.
    async fn settle(&self, id: &str, spec: &K::Spec) -> Result<(), CloudError> {
        self.update(id, spec).await
    }

    /// Brings the object to `spec` in place.
    async fn update(&self, id: &str, spec: &K::Spec) -> Result<(), CloudError>;

    /// The object, or `None` when it is gone.
    async fn read(&self, id: &str) -> Result<Option<K::State>, CloudError>;

    /// Deletes it (with what the provider made for it) and waits until it is gone; gone
    /// already counts as done. `spec` is the stored state's.
    async fn delete(&self, id: &str, spec: &K::Spec) -> Result<(), CloudError>;

    /// The objects of this kind in the region that match `filter` (for `terraform query`),
    /// whoever made them; [`Api::read`] then gives each one's state. The default says the
    /// kind cannot be listed on this cloud yet.
    async fn list(&self, _filter: &ListFilter) -> Result<Vec<Listed>, CloudError> {
        Err(CloudError::unsupported(K::TYPE, "list", format!("listing {} is not supported on this cloud yet", K::TYPE)))
    }
}
