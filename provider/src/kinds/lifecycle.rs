//! The Terraform resource behind every cloud-backed [`Kind`]: the shared attributes and
//! their plan, and the create protocol that keeps every object a cloud accepted in state.
//!
//! The rule: from the moment the cloud has accepted a create, the object's id is in the
//! returned state (Terraform marks it tainted if anything after fails), whatever fails next.
//! Where the caller names the object ([`Api::known_id`]) the id goes into state before the
//! call; where the cloud assigns it and the answer is lost for good, the state holds a
//! pending id carrying the create's token, which the next refresh (or a destroy) resolves
//! with [`Api::find`].

use std::marker::PhantomData;
use std::sync::Arc;

use tfplug::timeouts::Operation;
use tfplug::{
    ApplyResponse, AttributePath, Context, Diagnostics, IdentitySchema, Object, Plan, Private, ReadResponse, Resource,
    Schema, Value,
};

use super::common::{self, Budget, Placement, Step};
use super::{Api, Kind};
use crate::catalog::Cloud;
use crate::client::Client;
use crate::clouds::creation_token;

/// The id a create whose outcome is unknown leaves in state when the cloud assigns ids:
/// this prefix and the create's token.
pub const PENDING: &str = "oppie-pending-create:";

/// The token of a pending id.
pub fn pending_token(id: &str) -> Option<&str> {
    id.strip_prefix(PENDING).filter(|t| !t.is_empty())
}

/// A cloud-backed kind as a Terraform resource.
pub struct CloudResource<K>(PhantomData<fn() -> K>);

impl<K: Kind> CloudResource<K> {
    /// The resource, ready for the provider's list.
    #[allow(clippy::new_ret_no_self, reason = "the provider lists resources as trait objects")]
    pub fn new() -> Arc<dyn Resource<Client>> {
        Arc::new(CloudResource::<K>(PhantomData))
    }
}

/// The error for a kind planned on a cloud that does not have it.
pub fn unsupported<K: Kind>(cloud: Cloud) -> Diagnostics {
    let clouds: Vec<String> = K::CLOUDS.iter().map(|c| c.key().to_string()).collect();
    Diagnostics::attribute_error(
        AttributePath::attr("cloud"),
        format!("{} is not available on {cloud}", K::TYPE),
        format!("{} exists on {}; set cloud to one of them.", K::TYPE, clouds.join(", ")),
    )
}

fn already_exists<K: Kind>(id: &str) -> Diagnostics {
    Diagnostics::error(
        format!("The {} already exists", K::NOUN),
        format!(
            "{id} exists in the cloud but not in this state. To manage it with Terraform, import it (an import block, or `terraform import`); otherwise give this {} another name.",
            K::NOUN
        ),
    )
}

/// The calls of the cloud and region `place` names.
pub async fn api<K: Kind>(ctx: &Context<Client>, place: &Placement) -> Result<Arc<dyn Api<K>>, Diagnostics> {
    let region = ctx.client()?.clouds.region(place.cloud, &place.region).await?;
    K::api(&region).ok_or_else(|| unsupported::<K>(place.cloud))
}

/// The stored id, a pending id resolved: `None` when a pending create made nothing.
async fn resolve_id<K: Kind>(api: &dyn Api<K>, state: &mut Object) -> Result<Option<String>, Diagnostics> {
    let id: String = state.get_at(&AttributePath::attr("id"))?;
    let Some(token) = pending_token(&id) else { return Ok(Some(id)) };
    let found = api
        .find(token)
        .await
        .map_err(|e| e.to_diagnostics(&format!("looking for the {} an interrupted create made", K::NOUN)))?;
    if let Some(found) = &found {
        tracing::info!(id = found, "the interrupted create had made its object; tracking it");
        common::set_ids(state, found, None)?;
    }
    Ok(found)
}

/// Runs the create protocol (see the module docs) on `api`; `config` carries the
/// write-only arguments.
pub async fn create<K: Kind>(
    ctx: &Context<Client>,
    api: &dyn Api<K>,
    config: &Object,
    resp: &mut ApplyResponse,
) -> Result<(), Diagnostics> {
    // Until the cloud accepts the create, a failure leaves nothing behind.
    resp.not_created();
    let budget = Budget::new(&resp.state, Operation::Create, K::TIMEOUTS[0].1)?;
    let mut spec = K::spec(&resp.state)?;
    if !config.is_null() {
        K::configured(&mut spec, config, None)?;
    }
    let what = format!("creating {} {}", K::NOUN, K::label(&spec));
    let token = creation_token();
    let known = api.known_id(&spec).await;
    if let Some(id) = &known {
        // An object of that name that exists already belongs to someone else (or to another
        // state): taking it over silently would give one object two owners.
        match budget.step(ctx, &what, api.read(id)).await {
            Step::Done(None) => {}
            Step::Done(Some(_)) => return Err(already_exists::<K>(id)),
            Step::Refused(d) | Step::Unsure(d) => return Err(d),
        }
        common::set_ids(&mut resp.state, id, None)?;
    }
    let id = match budget.step(ctx, &what, api.create(&spec, &token)).await {
        Step::Done(id) => id,
        Step::Refused(d) => return Err(d),
        Step::Unsure(mut d) => {
            // The cloud may have made it: keep it tracked, so the next refresh settles it.
            let pending = known.is_none();
            let id = known.unwrap_or_else(|| format!("{PENDING}{token}"));
            common::set_ids(&mut resp.state, &id, None)?;
            if pending {
                // A pending id is no identity: it stays open until a refresh resolves it.
                if let Some(m) = resp.identity.value_mut().as_map_mut()
                    && m.contains_key("id")
                {
                    m.insert("id".into(), Value::unknown());
                }
            }
            resp.created();
            d.add_warning(
                format!("The {} may exist", K::NOUN),
                format!(
                    "The create's outcome is unknown, so the {} stays in state (tainted) as {id}. The next plan looks for it; if it exists it is replaced, if not it is created.",
                    K::NOUN
                ),
            );
            return Err(d);
        }
    };
    common::set_ids(&mut resp.state, &id, None)?;
    resp.created();
    budget.run(ctx, &what, api.settle(&id, &spec)).await?;
    let actual = budget.run(ctx, &what, api.read(&id)).await?.ok_or_else(|| {
        Diagnostics::error(format!("The {} vanished", K::NOUN), format!("{id} disappeared right after it was created."))
    })?;
    K::applied(&mut resp.state, &actual)
}

#[tfplug::async_trait]
impl<K: Kind> Resource<Client> for CloudResource<K> {
    fn type_name(&self) -> &str {
        K::TYPE
    }

    fn schema(&self) -> Schema {
        Schema::new(0, common::with_common(K::block(), &K::TIMEOUTS))
    }

    fn identity_schema(&self) -> Option<IdentitySchema> {
        Some(common::identity_schema())
    }

    async fn validate(&self, ctx: &Context<Client>, config: &Object) -> Result<(), Diagnostics> {
        K::validate(ctx, config).await
    }

    async fn modify_plan(&self, ctx: &Context<Client>, plan: &mut Plan) -> Result<(), Diagnostics> {
        if plan.is_destroy() {
            return Ok(());
        }
        let mut diags = Diagnostics::new();
        let place = diags.absorb(common::plan_common(ctx, plan)).flatten();
        if let Some(p) = &place
            && !K::CLOUDS.contains(&p.cloud)
        {
            diags.extend(unsupported::<K>(p.cloud));
        }
        K::plan(ctx, plan, place.as_ref(), &mut diags).await;
        if diags.has_errors() {
            return Err(diags);
        }
        plan.diagnostics.extend(diags);
        Ok(())
    }

    async fn create(
        &self,
        ctx: &Context<Client>,
        config: &Object,
        resp: &mut ApplyResponse,
    ) -> Result<(), Diagnostics> {
        resp.not_created();
        let place = common::placement_of(&resp.state)?;
        let api = api::<K>(ctx, &place).await?;
        K::prepare(ctx, &mut resp.state, &place).await?;
        create(ctx, api.as_ref(), config, resp).await
    }

    async fn read(&self, ctx: &Context<Client>, resp: &mut ReadResponse) -> Result<(), Diagnostics> {
        let place = common::placement_of(&resp.state)?;
        let api = api::<K>(ctx, &place).await?;
        let Some(id) = resolve_id(api.as_ref(), &mut resp.state).await? else {
            resp.state.set_null();
            return Ok(());
        };
        let what = format!("reading {} {id}", K::NOUN);
        match api.read(&id).await.map_err(|e| e.to_diagnostics(&what))? {
            Some(actual) => K::refresh(ctx, &mut resp.state, &actual),
            None => {
                resp.state.set_null();
                Ok(())
            }
        }
    }

    async fn update(
        &self,
        ctx: &Context<Client>,
        prior: &Object,
        config: &Object,
        resp: &mut ApplyResponse,
    ) -> Result<(), Diagnostics> {
        let place = common::placement_of(&resp.state)?;
        let api = api::<K>(ctx, &place).await?;
        let mut spec = K::spec(&resp.state)?;
        K::configured(&mut spec, config, Some(prior))?;
        let id: String = resp.state.get_at(&AttributePath::attr("id"))?;
        let budget = Budget::new(&resp.state, Operation::Update, K::TIMEOUTS[1].1)?;
        let what = format!("updating {} {}", K::NOUN, K::label(&spec));
        budget.run(ctx, &what, api.update(&id, &spec)).await?;
        match budget.run(ctx, &what, api.read(&id)).await? {
            Some(actual) => K::applied(&mut resp.state, &actual),
            None => Err(Diagnostics::error(
                format!("The {} vanished", K::NOUN),
                format!("{id} disappeared while it was being updated."),
            )),
        }
    }

    async fn delete(&self, ctx: &Context<Client>, prior: &Object, _private: &Private) -> Result<(), Diagnostics> {
        let place = common::placement_of(prior)?;
        let api = api::<K>(ctx, &place).await?;
        let mut prior = prior.clone();
        let Some(id) = resolve_id(api.as_ref(), &mut prior).await? else { return Ok(()) };
        let spec = K::spec(&prior)?;
        let budget = Budget::new(&prior, Operation::Delete, K::TIMEOUTS[2].1)?;
        budget.run(ctx, &format!("deleting {} {id}", K::NOUN), api.delete(&id, &spec)).await
    }

    async fn import(&self, ctx: &Context<Client>, id: &str, resp: &mut ReadResponse) -> Result<(), Diagnostics> {
        let (place, cloud, region, native_id) = common::import_placement(ctx, id)?;
        adopt::<K>(&mut resp.state, &place, &cloud, &region, &native_id)
    }

    async fn import_identity(
        &self,
        ctx: &Context<Client>,
        identity: &Object,
        resp: &mut ReadResponse,
    ) -> Result<(), Diagnostics> {
        let text = |name: &str| identity.get_at::<Option<String>>(&AttributePath::attr(name));
        let Some(id) = text("id")?.filter(|i| !i.is_empty()) else {
            return Err(Diagnostics::error(
                "No id in the identity",
                "Give the object's id: identity = { id = \"...\" }.",
            ));
        };
        let (place, cloud, region) = common::identity_placement(ctx, text("cloud")?, text("region")?)?;
        adopt::<K>(&mut resp.state, &place, &cloud, &region, &id)
    }
}

/// Fills an imported (all-null) state enough for `read`: where it lives and its id.
pub fn adopt<K: Kind>(
    state: &mut Object,
    place: &common::Placement,
    cloud: &str,
    region: &str,
    native_id: &str,
) -> Result<(), Diagnostics> {
    if !K::CLOUDS.contains(&place.cloud) {
        return Err(unsupported::<K>(place.cloud));
    }
    state.set_attr("cloud", &cloud)?;
    state.set_attr("region", &region)?;
    state.set_attr("tags", &Option::<crate::clouds::Tags>::None)?;
    K::import(state, native_id)?;
    common::set_ids(state, native_id, None)
}

#[cfg(test)]
mod tests {
    //! The create protocol against a scripted cloud: what is in state after each way a
    //! create can fail.

    use std::sync::Mutex;

    use tfplug::{ApplyResponse, Private, Value};

    use super::*;
    use crate::clouds::{CloudError, ErrorKind};
    use crate::kinds::network::{Network, NetworkSpec, NetworkState};
    use crate::kinds::testing::Harness;

    /// How the scripted create ends.
    #[derive(Clone, Copy, PartialEq)]
    enum Script {
        Works,
        Refused,
        LostAnswer,
        SettleFails,
    }

    struct Cloud {
        script: Script,
        known: Option<&'static str>,
        exists_before: bool,
        made: Mutex<Vec<String>>,
    }

    fn err(kind: ErrorKind) -> CloudError {
        CloudError {
            kind,
            service: "Test",
            operation: "Op".into(),
            code: None,
            message: "boom".into(),
            request_id: None,
        }
    }

    #[tfplug::async_trait]
    impl Api<Network> for Cloud {
        async fn known_id(&self, _spec: &NetworkSpec) -> Option<String> {
            self.known.map(str::to_string)
        }
        async fn create(&self, _spec: &NetworkSpec, token: &str) -> Result<String, CloudError> {
            match self.script {
                Script::Refused => Err(err(ErrorKind::Invalid)),
                Script::LostAnswer => {
                    self.made.lock().unwrap().push(token.to_string());
                    Err(err(ErrorKind::Transient))
                }
                _ => {
                    self.made.lock().unwrap().push(token.to_string());
                    Ok(self.known.unwrap_or("vpc-1").to_string())
                }
            }
        }
        async fn find(&self, token: &str) -> Result<Option<String>, CloudError> {
            Ok(self.made.lock().unwrap().iter().any(|t| t == token).then(|| "vpc-found".to_string()))
        }
        async fn settle(&self, _id: &str, _spec: &NetworkSpec) -> Result<(), CloudError> {
            if self.script == Script::SettleFails { Err(err(ErrorKind::Transient)) } else { Ok(()) }
        }
        async fn update(&self, _id: &str, _spec: &NetworkSpec) -> Result<(), CloudError> {
            Ok(())
        }
        async fn read(&self, id: &str) -> Result<Option<NetworkState>, CloudError> {
            let exists = self.exists_before || !self.made.lock().unwrap().is_empty();
            Ok(exists.then(|| NetworkState {
                id: id.to_string(),
                name: "n".into(),
                cidr: "10.0.0.0/16".into(),
                tags: None,
                resource_group: None,
                native: Default::default(),
                nat: Default::default(),
            }))
        }
        async fn delete(&self, _id: &str, _spec: &NetworkSpec) -> Result<(), CloudError> {
            Ok(())
        }
    }

    /// Runs a create of a planned network against `cloud`: (failed, state kept, id).
    fn run(cloud: &Cloud) -> (bool, bool, Option<String>) {
        let h = Harness::new();
        let planned =
            h.plan::<Network>(&[("cloud", "aws"), ("region", "us-east"), ("name", "n"), ("cidr", "10.7.0.0/16")]);
        let identity = Object::null(std::sync::Arc::new(tfplug::Type::object(Vec::<(&str, tfplug::Type)>::new())));
        let planned_ty = planned.ty().clone();
        let mut resp = ApplyResponse::new(planned, identity, Private::default());
        let failed = h.block_on(create::<Network>(&h.ctx, cloud, &Object::null(planned_ty), &mut resp)).is_err();
        let id = resp.state.attr("id").as_str().map(str::to_string);
        (failed, resp.exists() == Some(true), id)
    }

    fn cloud(script: Script, known: Option<&'static str>) -> Cloud {
        Cloud { script, known, exists_before: false, made: Mutex::new(Vec::new()) }
    }

    #[test]
    fn an_accepted_create_is_in_state_whatever_fails_next() {
        assert_eq!(run(&cloud(Script::Works, None)), (false, true, Some("vpc-1".into())));
        assert_eq!(run(&cloud(Script::SettleFails, None)), (true, true, Some("vpc-1".into())));
        assert_eq!(run(&cloud(Script::SettleFails, Some("net-a"))), (true, true, Some("net-a".into())));
    }

    #[test]
    fn a_refused_create_leaves_nothing() {
        let (failed, kept, _) = run(&cloud(Script::Refused, None));
        assert!(failed && !kept);
        let (failed, kept, _) = run(&cloud(Script::Refused, Some("net-a")));
        assert!(failed && !kept);
    }

    #[test]
    fn a_create_whose_answer_was_lost_stays_tracked_and_is_found_again() {
        let c = cloud(Script::LostAnswer, None);
        let (failed, kept, id) = run(&c);
        assert!(failed && kept);
        let id = id.unwrap();
        let token = pending_token(&id).expect("a pending id");
        assert_eq!(c.made.lock().unwrap().as_slice(), [token.to_string()]);
        // The next refresh resolves it.
        let h = Harness::new();
        let planned =
            h.plan::<Network>(&[("cloud", "aws"), ("region", "us-east"), ("name", "n"), ("cidr", "10.7.0.0/16")]);
        let mut state = Object::new(crate::kinds::testing::applied(&planned), planned.ty().clone());
        state.set_attr("id", &id).unwrap();
        assert_eq!(h.block_on(resolve_id::<Network>(&c, &mut state)).unwrap().as_deref(), Some("vpc-found"));
        assert_eq!(state.attr("id").as_str(), Some("vpc-found"));
        // A pending create that made nothing resolves to nothing.
        let mut other = state.clone();
        other.set_attr("id", &format!("{PENDING}other")).unwrap();
        assert_eq!(h.block_on(resolve_id::<Network>(&c, &mut other)).unwrap(), None);
        // A known id is kept as it is when the answer is lost.
        assert_eq!(run(&cloud(Script::LostAnswer, Some("net-a"))), (true, true, Some("net-a".into())));
    }

    #[test]
    fn a_named_object_that_exists_already_is_not_taken_over() {
        let mut c = cloud(Script::Works, Some("net-a"));
        c.exists_before = true;
        let (failed, kept, _) = run(&c);
        assert!(failed && !kept);
        assert!(c.made.lock().unwrap().is_empty(), "no create was sent");
        let _ = Value::Null;
    }
}
