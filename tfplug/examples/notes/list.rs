//! `list "notes_note"`: finds notes for `terraform query`. It only yields identities;
//! tfplug reads each note through `notes_note` when Terraform wants the full object.

use tfplug::{Attribute, Block, Context, Diagnostics, ListRequest, ListResource, ListResults, Schema};

use crate::store::Store;

pub struct NoteList;

#[tfplug::async_trait]
impl ListResource<Store> for NoteList {
    fn type_name(&self) -> &str {
        "notes_note"
    }

    fn schema(&self) -> Schema {
        Schema::new(
            0,
            Block::new().attribute(Attribute::string("prefix").optional().description("Only names starting so.")),
        )
    }

    async fn list(
        &self,
        ctx: &Context<Store>,
        req: &ListRequest,
        results: &mut ListResults,
    ) -> Result<(), Diagnostics> {
        let prefix: Option<String> = req.config.get_at(&tfplug::AttributePath::attr("prefix"))?;
        for name in ctx.client()?.names()? {
            if prefix.as_deref().is_some_and(|p| !name.starts_with(p)) {
                continue;
            }
            let mut item = results.item(&name);
            item.identity.set_attr("name", &name)?;
            if !results.send(item).await? {
                break;
            }
        }
        Ok(())
    }
}
