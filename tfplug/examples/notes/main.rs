//! `notes`: a provider over a directory of JSON files, showing every protocol feature
//! past the basic resource on a "cloud" anyone can inspect with `ls` and `cat`:
//!
//! - `notes_note` (note.rs): a resource with an **identity** (`name`), import by id or
//!   by identity, a **write-only** `secret_wo`, and `ApplyResponse::created`;
//! - `list "notes_note"` (list.rs): a **list resource** for `terraform query`, with
//!   config generation (`-generate-config-out`) coming free from the schema;
//! - `action "notes_stamp"` (stamp.rs): an **action** that reports progress;
//! - `ephemeral "notes_password"` (password.rs): an **ephemeral resource** whose value
//!   never reaches plan or state, made to feed write-only arguments;
//! - automatic **deferral** when the `dir` is not known yet (`-allow-deferral`).
//!
//! ```hcl
//! provider "notes" { dir = "/tmp/notes" }
//!
//! ephemeral "notes_password" "pw" { length = 20 }
//!
//! resource "notes_note" "hello" {
//!   name           = "hello"
//!   body           = "Hello, world"
//!   secret_wo      = ephemeral.notes_password.pw.value
//!   secret_version = 1
//! }
//! ```
//!
//! `tests/terraform.rs` drives this provider through the real Terraform CLI.

mod list;
mod note;
mod password;
mod stamp;
mod store;

use std::sync::Arc;

use serde::Deserialize;
use tfplug::{
    Action, Attribute, Block, ConfigureRequest, Diagnostics, EphemeralResource, ListResource, Resource, Schema,
};

use store::Store;

struct Notes;

#[derive(Deserialize)]
struct Config {
    dir: Option<String>,
}

#[tfplug::async_trait]
impl tfplug::Provider for Notes {
    type Client = Store;

    fn type_name(&self) -> &str {
        "notes"
    }

    fn version(&self) -> &str {
        "0.1.0"
    }

    fn schema(&self) -> Schema {
        Schema::new(
            0,
            Block::new().attribute(
                Attribute::string("dir").optional().description("The directory holding the notes (or NOTES_DIR)."),
            ),
        )
    }

    async fn configure(&self, req: ConfigureRequest) -> Result<Store, Diagnostics> {
        let config: Config = req.config.get()?;
        let dir = config.dir.or_else(|| std::env::var("NOTES_DIR").ok()).ok_or_else(|| {
            Diagnostics::attribute_error(
                tfplug::AttributePath::attr("dir"),
                "No notes directory",
                "Set dir in the provider block, or NOTES_DIR in the environment.",
            )
        })?;
        Store::open(dir.into())
    }

    fn resources(&self) -> Vec<Arc<dyn Resource<Store>>> {
        vec![Arc::new(note::Note)]
    }

    fn list_resources(&self) -> Vec<Arc<dyn ListResource<Store>>> {
        vec![Arc::new(list::NoteList)]
    }

    fn actions(&self) -> Vec<Arc<dyn Action<Store>>> {
        vec![Arc::new(stamp::Stamp)]
    }

    fn ephemeral_resources(&self) -> Vec<Arc<dyn EphemeralResource<Store>>> {
        vec![Arc::new(password::Password)]
    }

    /// A `dir` known only after apply (say, from another resource) defers the notes
    /// instead of failing, when Terraform allows it.
    fn defer_when_configuration_unknown(&self) -> bool {
        true
    }
}

fn main() -> std::process::ExitCode {
    tfplug::main(Notes, "registry.terraform.io/example/notes")
}
