//! The provider the in-process tests serve: one type per behaviour under test.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use tfplug::schema::Nesting;
use tfplug::{
    Action, ActionProgress, ApplyResponse, Attribute, Block, ConfigureRequest, Context, DeferralReason, Diagnostics,
    EphemeralResource, IdentityAttribute, IdentitySchema, ListRequest, ListResource, ListResults, MoveRequest,
    MoveResponse, Object, OpenResponse, Private, ReadResponse, RenewResponse, Resource, Schema,
};

pub struct TestProvider;

/// `name` (required) and `id` (computed).
pub fn schema() -> Schema {
    Schema::new(
        0,
        Block::new().attribute(Attribute::string("name").required()).attribute(Attribute::string("id").computed()),
    )
}

/// Waits until cancelled.
pub struct Slow;

#[tfplug::async_trait]
impl Resource<()> for Slow {
    fn type_name(&self) -> &str {
        "test_slow"
    }
    fn schema(&self) -> Schema {
        schema()
    }
    async fn create(&self, ctx: &Context<()>, _c: &Object, resp: &mut ApplyResponse) -> Result<(), Diagnostics> {
        ctx.bounded("creating test_slow", Duration::from_secs(30), std::future::pending::<Result<(), Diagnostics>>())
            .await?;
        resp.state.set_attr("id", &"never")
    }
    async fn read(&self, _: &Context<()>, _: &mut ReadResponse) -> Result<(), Diagnostics> {
        Ok(())
    }
    async fn update(&self, _: &Context<()>, _: &Object, _: &Object, _: &mut ApplyResponse) -> Result<(), Diagnostics> {
        Ok(())
    }
    async fn delete(&self, _: &Context<()>, _: &Object, _: &Private) -> Result<(), Diagnostics> {
        Ok(())
    }
}

/// Panics on create; uses nested attributes (not expressible in protocol 5).
pub struct Panicky;

#[tfplug::async_trait]
impl Resource<()> for Panicky {
    fn type_name(&self) -> &str {
        "test_panicky"
    }
    fn schema(&self) -> Schema {
        Schema::new(
            0,
            schema().block.attribute(
                Attribute::nested("rules", Nesting::List, vec![Attribute::number("port").required()]).optional(),
            ),
        )
    }
    async fn create(&self, _: &Context<()>, _: &Object, _: &mut ApplyResponse) -> Result<(), Diagnostics> {
        panic!("deliberate test panic")
    }
    async fn read(&self, _: &Context<()>, _: &mut ReadResponse) -> Result<(), Diagnostics> {
        Ok(())
    }
    async fn update(&self, _: &Context<()>, _: &Object, _: &Object, _: &mut ApplyResponse) -> Result<(), Diagnostics> {
        Ok(())
    }
    async fn delete(&self, _: &Context<()>, _: &Object, _: &Private) -> Result<(), Diagnostics> {
        Ok(())
    }
}

/// Fails its create or update as `name` says: `created-then-fail` (calls `created()`),
/// `set-then-fail` (changes the state, no `created()`), `refused` (changes the state, then
/// calls `not_created()`), `fail` (touches nothing).
pub struct Flaky;

#[tfplug::async_trait]
impl Resource<()> for Flaky {
    fn type_name(&self) -> &str {
        "test_flaky"
    }
    fn schema(&self) -> Schema {
        schema()
    }
    async fn create(&self, _: &Context<()>, config: &Object, resp: &mut ApplyResponse) -> Result<(), Diagnostics> {
        match config.attr("name").as_str() {
            Some("created-then-fail") => resp.created(),
            Some("set-then-fail") => resp.state.set_attr("id", &"partial")?,
            Some("refused") => {
                resp.state.set_attr("id", &"worked-out-before-the-call")?;
                resp.not_created();
            }
            _ => {}
        }
        Err(Diagnostics::error("Cloud error", "the cloud said no"))
    }
    async fn update(
        &self,
        ctx: &Context<()>,
        _: &Object,
        c: &Object,
        resp: &mut ApplyResponse,
    ) -> Result<(), Diagnostics> {
        self.create(ctx, c, resp).await
    }
    async fn read(&self, _: &Context<()>, _: &mut ReadResponse) -> Result<(), Diagnostics> {
        Ok(())
    }
    async fn delete(&self, _: &Context<()>, _: &Object, _: &Private) -> Result<(), Diagnostics> {
        Ok(())
    }
}

/// A keyed object with an identity (`key` required, `region` optional for import).
/// A `value` of `defer` makes read and plan ask for deferral.
pub struct Keyed;

pub fn keyed_schema() -> Schema {
    Schema::new(
        0,
        Block::new()
            .attribute(Attribute::string("key").required())
            .attribute(Attribute::string("region").optional().computed())
            .attribute(Attribute::string("value").optional()),
    )
}

#[tfplug::async_trait]
impl Resource<()> for Keyed {
    fn type_name(&self) -> &str {
        "test_keyed"
    }
    fn schema(&self) -> Schema {
        keyed_schema()
    }
    fn identity_schema(&self) -> Option<IdentitySchema> {
        Some(
            IdentitySchema::new(2)
                .attribute(IdentityAttribute::string("key").required_for_import())
                .attribute(IdentityAttribute::string("region").optional_for_import()),
        )
    }
    fn upgrade_identity(&self, version: i64, old: serde_json::Value) -> Result<serde_json::Value, Diagnostics> {
        assert_eq!(version, 1);
        Ok(serde_json::json!({ "key": old["k"], "region": "eu" }))
    }
    async fn modify_plan(&self, ctx: &Context<()>, plan: &mut tfplug::Plan) -> Result<(), Diagnostics> {
        if plan.planned.attr("value").as_str() == Some("defer") {
            ctx.defer(DeferralReason::AbsentPrerequisite)?;
        }
        if plan.is_create() && plan.planned.attr("region").is_unknown() {
            plan.planned.set_attr("region", &"eu")?;
        }
        Ok(())
    }
    async fn create(&self, _: &Context<()>, _: &Object, _: &mut ApplyResponse) -> Result<(), Diagnostics> {
        Ok(())
    }
    async fn read(&self, ctx: &Context<()>, resp: &mut ReadResponse) -> Result<(), Diagnostics> {
        if resp.state.attr("value").as_str() == Some("defer") {
            ctx.defer(DeferralReason::ResourceConfigUnknown)?;
        }
        if resp.state.attr("value").as_str() == Some("rekey") {
            resp.identity.set_attr("key", &"other")?;
        }
        if resp.state.attr("region").is_null() {
            resp.state.set_attr("region", &"eu")?;
        }
        Ok(())
    }
    async fn update(&self, _: &Context<()>, _: &Object, _: &Object, _: &mut ApplyResponse) -> Result<(), Diagnostics> {
        Ok(())
    }
    async fn delete(&self, _: &Context<()>, _: &Object, _: &Private) -> Result<(), Diagnostics> {
        Ok(())
    }
    async fn move_state(&self, _: &Context<()>, req: &MoveRequest, resp: &mut MoveResponse) -> Result<(), Diagnostics> {
        if req.source_type != "test_old_keyed" {
            return Err(Diagnostics::error("Cannot move", format!("not from {}", req.source_type)));
        }
        resp.state.set_attr("key", &req.source_state["k"])?;
        resp.state.set_attr("region", &"eu")
    }
}

/// How often the list's `send` said "go on" and "stop", for the limit test.
pub static LIST_SENDS: (AtomicUsize, AtomicUsize) = (AtomicUsize::new(0), AtomicUsize::new(0));

/// Lists `count` keyed objects (config `count`, default 5).
pub struct KeyedList;

#[tfplug::async_trait]
impl ListResource<()> for KeyedList {
    fn type_name(&self) -> &str {
        "test_keyed"
    }
    fn schema(&self) -> Schema {
        Schema::new(0, Block::new().attribute(Attribute::number("count").optional()))
    }
    async fn list(&self, _: &Context<()>, req: &ListRequest, results: &mut ListResults) -> Result<(), Diagnostics> {
        let count: Option<i64> = req.config.get_at(&tfplug::AttributePath::attr("count"))?;
        for i in 0..count.unwrap_or(5) {
            let mut item = results.item(format!("key {i}"));
            item.identity.set_attr("key", &format!("k{i}"))?;
            let go_on = results.send(item).await?;
            let counter = if go_on { &LIST_SENDS.0 } else { &LIST_SENDS.1 };
            counter.fetch_add(1, Ordering::SeqCst);
            if !go_on {
                break;
            }
        }
        results.warn("Listed", "done").await;
        Ok(())
    }
}

/// Counts down from `from`, one progress message per step; fails at `fail_at`.
pub struct Countdown;

#[tfplug::async_trait]
impl Action<()> for Countdown {
    fn type_name(&self) -> &str {
        "test_countdown"
    }
    fn schema(&self) -> Schema {
        Schema::new(
            0,
            Block::new()
                .attribute(Attribute::number("from").required())
                .attribute(Attribute::number("fail_at").optional()),
        )
    }
    async fn plan(&self, _: &Context<()>, config: &Object, warnings: &mut Diagnostics) -> Result<(), Diagnostics> {
        if config.attr("from").is_unknown() {
            warnings.add_warning("Count unknown", "known at apply");
        }
        Ok(())
    }
    async fn invoke(&self, _: &Context<()>, config: &Object, progress: &ActionProgress) -> Result<(), Diagnostics> {
        let from: i64 = config.get_at(&tfplug::AttributePath::attr("from"))?;
        let fail_at: Option<i64> = config.get_at(&tfplug::AttributePath::attr("fail_at"))?;
        for i in (0..=from).rev() {
            if fail_at == Some(i) {
                return Err(Diagnostics::error("Countdown failed", format!("at {i}")));
            }
            progress.send(format!("{i}")).await;
        }
        progress.warn("Done", "liftoff");
        Ok(())
    }
}

/// Opens a token with a lease in private data; renews and closes it.
pub struct Token;

pub static CLOSED: AtomicUsize = AtomicUsize::new(0);

#[tfplug::async_trait]
impl EphemeralResource<()> for Token {
    fn type_name(&self) -> &str {
        "test_token"
    }
    fn schema(&self) -> Schema {
        Schema::new(
            0,
            Block::new()
                .attribute(Attribute::string("scope").default("read"))
                .attribute(Attribute::string("value").computed().sensitive()),
        )
    }
    async fn open(&self, _: &Context<()>, _: &Object, resp: &mut OpenResponse) -> Result<(), Diagnostics> {
        let scope: String = resp.result.get_at(&tfplug::AttributePath::attr("scope"))?;
        resp.result.set_attr("value", &format!("token-{scope}"))?;
        resp.private.set("lease", &1)?;
        resp.renew_at = Some(std::time::UNIX_EPOCH + Duration::from_secs(2_000_000_000));
        Ok(())
    }
    async fn renew(&self, _: &Context<()>, resp: &mut RenewResponse) -> Result<(), Diagnostics> {
        let lease: i64 = resp.private.get("lease")?.unwrap_or(0);
        resp.private.set("lease", &(lease + 1))
    }
    async fn close(&self, _: &Context<()>, private: &Private) -> Result<(), Diagnostics> {
        let lease: Option<i64> = private.get("lease")?;
        assert!(lease.is_some(), "close gets the private data");
        CLOSED.fetch_add(1, Ordering::SeqCst);
        Ok(())
    }
}

#[tfplug::async_trait]
impl tfplug::Provider for TestProvider {
    type Client = ();
    fn type_name(&self) -> &str {
        "test"
    }
    fn version(&self) -> &str {
        "0.0.0"
    }
    fn schema(&self) -> Schema {
        Schema::new(0, Block::new().attribute(Attribute::string("endpoint").optional()))
    }
    async fn configure(&self, _req: ConfigureRequest) -> Result<(), Diagnostics> {
        Ok(())
    }
    fn resources(&self) -> Vec<Arc<dyn Resource<()>>> {
        vec![Arc::new(Slow), Arc::new(Panicky), Arc::new(Flaky), Arc::new(Keyed)]
    }
    fn list_resources(&self) -> Vec<Arc<dyn ListResource<()>>> {
        vec![Arc::new(KeyedList)]
    }
    fn actions(&self) -> Vec<Arc<dyn Action<()>>> {
        vec![Arc::new(Countdown)]
    }
    fn ephemeral_resources(&self) -> Vec<Arc<dyn EphemeralResource<()>>> {
        vec![Arc::new(Token)]
    }
    fn defer_when_configuration_unknown(&self) -> bool {
        true
    }
}
