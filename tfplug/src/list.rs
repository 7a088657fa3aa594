//! List resources (Terraform ≥ 1.13): `list` blocks in `.tfquery.hcl` files, run by
//! `terraform query`, find existing remote objects of a managed resource type, so a team
//! can see what no state manages and adopt it (`-generate-config-out`).
//!
//! A [`ListResource`] yields identities; tfplug streams them to Terraform, honours the
//! block's `limit`, and when Terraform wants full objects (`include_resource = true`,
//! or config generation) fills each one through the managed resource's own
//! `import_identity` and `read` unless the list already supplied it.

use std::sync::Arc;

use async_trait::async_trait;
use futures::future::BoxFuture;

use crate::context::Context;
use crate::cty::Type;
use crate::diag::Diagnostics;
use crate::object::Object;
use crate::schema::Schema;

/// What [`ListResource::list`] receives.
pub struct ListRequest {
    /// The `config` block of the `list` block (attributes null where not set).
    pub config: Object,
    /// The most results Terraform takes (the block's `limit`; Terraform's default is 100).
    pub limit: i64,
    /// True when Terraform wants each result's full state (`include_resource = true`,
    /// and always with `-generate-config-out`).
    pub include_resource: bool,
}

/// One object found.
pub struct ListItem {
    /// What `terraform query` shows for it, e.g. `web (i-0abc)`.
    pub display_name: String,
    /// Its identity; starts with every attribute null. Attributes left null are filled
    /// from `resource` when that is set.
    pub identity: Object,
    /// Its full state, in the managed resource's schema; starts null. Leave it null and
    /// tfplug reads the object through the resource when Terraform asks for it.
    pub resource: Object,
}

/// Turns an identity into the object's full state (import by identity, then read).
pub(crate) type Fetch = Arc<dyn Fn(Object) -> BoxFuture<'static, Result<Object, Diagnostics>> + Send + Sync>;

/// Where a list sends what it finds; see [`ListResults::send`].
pub struct ListResults {
    pub(crate) tx: tokio::sync::mpsc::Sender<crate::server::ListEvent>,
    pub(crate) identity_ty: Arc<Type>,
    pub(crate) resource_ty: Arc<Type>,
    pub(crate) limit: i64,
    pub(crate) sent: i64,
    pub(crate) include_resource: bool,
    pub(crate) fetch: Fetch,
}

impl ListResults {
    /// A new item with identity and state objects of the right types.
    pub fn item(&self, display_name: impl Into<String>) -> ListItem {
        ListItem {
            display_name: display_name.into(),
            identity: Object::empty(self.identity_ty.clone()),
            resource: Object::null(self.resource_ty.clone()),
        }
    }

    /// Sends one result to Terraform. Returns `false` once the limit is reached or
    /// Terraform stopped listening: stop listing then. An error is the item's own
    /// (its identity or state did not fit); report it or skip the item.
    pub async fn send(&mut self, mut item: ListItem) -> Result<bool, Diagnostics> {
        if self.sent >= self.limit || self.tx.is_closed() {
            return Ok(false);
        }
        let mut identity = item.identity.into_value();
        crate::identity::fill_from_state(&mut identity, &self.identity_ty, item.resource.value());
        let identity = Object::new(identity, self.identity_ty.clone());
        if self.include_resource && item.resource.is_null() {
            item.resource = (self.fetch)(identity.clone()).await?;
        }
        let resource = self.include_resource.then_some(item.resource);
        let event = crate::server::ListEvent::Item(Box::new((item.display_name, identity, resource)));
        if self.tx.send(event).await.is_err() {
            return Ok(false);
        }
        self.sent += 1;
        Ok(self.sent < self.limit)
    }

    /// Sends a warning on its own (Terraform shows it and keeps listing).
    pub async fn warn(&mut self, summary: impl Into<String>, detail: impl Into<String>) {
        let mut d = Diagnostics::new();
        d.add_warning(summary, detail);
        let _ = self.tx.send(crate::server::ListEvent::Diagnostics(d)).await;
    }

    /// How many results were sent so far.
    pub fn sent(&self) -> i64 {
        self.sent
    }
}

/// A list resource: finds existing objects of the managed resource type of the same
/// name, which must have an [identity](crate::Resource::identity_schema).
#[async_trait]
pub trait ListResource<C: Send + Sync + 'static>: Send + Sync + 'static {
    /// The managed resource type it lists, e.g. `oppie_instance`.
    fn type_name(&self) -> &str;

    /// The schema of the `config { ... }` block inside the `list` block (filters).
    fn schema(&self) -> Schema;

    /// Extra checks on the `config` block beyond the schema's validators.
    async fn validate(&self, _ctx: &Context<C>, _config: &Object) -> Result<(), Diagnostics> {
        Ok(())
    }

    /// Finds the objects and sends each through `results` as it is found (Terraform
    /// shows them while the list runs). Stop when `send` returns `false`.
    async fn list(&self, ctx: &Context<C>, req: &ListRequest, results: &mut ListResults) -> Result<(), Diagnostics>;
}
