//! `action "notes_stamp"`: appends a line to a note's stamp log, reporting progress.

use serde::Deserialize;
use tfplug::{Action, ActionProgress, Attribute, Block, Context, Diagnostics, Object, Schema};

use crate::store::Store;

pub struct Stamp;

#[derive(Deserialize)]
struct Config {
    name: String,
    text: String,
}

#[tfplug::async_trait]
impl Action<Store> for Stamp {
    fn type_name(&self) -> &str {
        "notes_stamp"
    }

    fn schema(&self) -> Schema {
        Schema::new(
            0,
            Block::new()
                .attribute(Attribute::string("name").required().description("The note to stamp."))
                .attribute(Attribute::string("text").required()),
        )
    }

    async fn invoke(
        &self,
        ctx: &Context<Store>,
        config: &Object,
        progress: &ActionProgress,
    ) -> Result<(), Diagnostics> {
        let c: Config = config.get()?;
        progress.send(format!("stamping note {}", c.name)).await;
        let lines = ctx.client()?.stamp(&c.name, &c.text)?;
        progress.send(format!("note {} has {lines} stamp(s)", c.name)).await;
        Ok(())
    }
}
