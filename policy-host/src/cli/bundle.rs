//! `oppie-policy bundle build DIR -o bundle.tar.gz`: packages a policy directory as an OPA
//! bundle whose `.manifest` carries the revision and a SHA-256 per file.

use std::path::PathBuf;

use clap::Subcommand;
use oppie_policy::bundle::{self, BuildOptions};

use super::EXIT_PASS;

#[derive(Debug, Subcommand)]
pub(super) enum BundleCommand {
    /// Build a bundle from a directory of .rego, data.json/data.yaml and .wasm files.
    Build {
        /// The policy directory.
        #[arg(value_name = "DIR")]
        dir: PathBuf,
        /// The bundle file to write.
        #[arg(short, long, value_name = "FILE", default_value = "bundle.tar.gz")]
        output: PathBuf,
        /// Revision to record (default: sha256 of the file hashes).
        #[arg(long, value_name = "REVISION")]
        revision: Option<String>,
    },
}

pub(super) fn run(command: &BundleCommand) -> anyhow::Result<u8> {
    match command {
        BundleCommand::Build { dir, output, revision } => {
            // Refuse what `check` would refuse: the directory's Rego must load as a policy set
            // (a directory of WASM modules and data only is checked when the bundle is read).
            if has_rego(dir) {
                oppie_policy::PolicySet::builder().policy(dir).build()?;
            }
            let options = BuildOptions { revision: revision.clone() };
            let manifest = bundle::build(dir, output, &options)?;
            let files = manifest
                .metadata
                .get("oppie")
                .and_then(|o| o.get("files"))
                .and_then(|f| f.as_object())
                .map_or(0, |f| f.len());
            println!("wrote {} (revision {}, {files} files)", output.display(), manifest.revision);
            Ok(EXIT_PASS)
        }
    }
}

/// `true` when `dir` holds a `.rego` file (at any depth).
fn has_rego(dir: &std::path::Path) -> bool {
    std::fs::read_dir(dir).is_ok_and(|entries| {
        entries.flatten().any(|entry| {
            let path = entry.path();
            if path.is_dir() { has_rego(&path) } else { path.extension().is_some_and(|e| e == "rego") }
        })
    })
}
