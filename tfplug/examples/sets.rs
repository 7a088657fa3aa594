//! A complete tfplug provider on one screen: `example_ruleset`, a resource holding a set
//! of `rule` blocks, each with a computed `id`. It lives in Terraform state only.
//!
//! Build it, install it as `terraform-provider-example` in a filesystem mirror under
//! `registry.terraform.io/example/example/<version>/<os_arch>/`, and write:
//!
//! ```hcl
//! resource "example_ruleset" "r" {
//!   name = "web"
//!   rule { port = 443  cidr = "0.0.0.0/0" }
//!   rule { port = 22   cidr = "10.0.0.0/8" }
//! }
//! ```
//! tfplug plans new rules' `id` as "known after apply" and keeps the ids of unchanged
//! rules, correlating set elements in O(n log n); the benchmark plans 1,000 rules.

use std::sync::Arc;

use serde::{Deserialize, Serialize};
use tfplug::plan::{RequiresReplace, UseStateForUnknown};
use tfplug::validator::int_between;
use tfplug::{
    ApplyResponse, Attribute, Block, ConfigureRequest, Context, Diagnostics, MaybeUnknown, NestedBlock, Object,
    Private, ReadResponse, Resource, Schema,
};

struct Example;
struct Ruleset;

/// Planned values may be unknown ("known after apply"): `MaybeUnknown` says so.
#[derive(Serialize, Deserialize)]
struct Rule {
    port: u16,
    cidr: String,
    id: MaybeUnknown<String>,
}

#[derive(Serialize, Deserialize)]
struct Model {
    name: String,
    id: MaybeUnknown<String>,
    rule: Vec<Rule>,
}

#[tfplug::async_trait]
impl Resource<()> for Ruleset {
    fn type_name(&self) -> &str {
        "example_ruleset"
    }

    fn schema(&self) -> Schema {
        let rule = Block::new()
            .attribute(Attribute::number("port").required().validator(int_between(1, 65535)))
            .attribute(Attribute::string("cidr").required())
            .attribute(Attribute::string("id").computed().description("Assigned when the rule is created."));
        Schema::new(
            0,
            Block::new()
                .attribute(Attribute::string("name").required().plan_modifier(RequiresReplace))
                .attribute(Attribute::string("id").computed().plan_modifier(UseStateForUnknown))
                .block(NestedBlock::set("rule", rule)),
        )
    }

    async fn create(&self, _: &Context<()>, _: &Object, resp: &mut ApplyResponse) -> Result<(), Diagnostics> {
        let mut m: Model = resp.state.get()?;
        m.id = MaybeUnknown::Known(m.name.clone());
        for r in m.rule.iter_mut().filter(|r| r.id.is_unknown()) {
            r.id = MaybeUnknown::Known(format!("{}-{}", r.port, r.cidr));
        }
        resp.state.set(&m)
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

#[tfplug::async_trait]
impl tfplug::Provider for Example {
    type Client = ();
    fn type_name(&self) -> &str {
        "example"
    }
    fn version(&self) -> &str {
        "0.1.0"
    }
    fn schema(&self) -> Schema {
        Schema::default()
    }
    async fn configure(&self, _: ConfigureRequest) -> Result<(), Diagnostics> {
        Ok(())
    }
    fn resources(&self) -> Vec<Arc<dyn Resource<()>>> {
        vec![Arc::new(Ruleset)]
    }
}

fn main() -> std::process::ExitCode {
    tfplug::main(Example, "registry.terraform.io/example/example")
}
