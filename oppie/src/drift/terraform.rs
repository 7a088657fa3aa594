//! Runs the user's Terraform in a working directory: a refresh-only plan saved to a file and read
//! back with `show -json`, nothing applied.

use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{Context, bail};

/// The last lines of Terraform's output kept in an error message.
const ERROR_TAIL_LINES: usize = 30;

/// A Terraform CLI.
#[derive(Debug, Clone)]
pub struct Terraform {
    program: PathBuf,
}

impl Terraform {
    /// The CLI at `program` (a path, or a name looked up on PATH).
    pub fn new(program: impl Into<PathBuf>) -> Self {
        Terraform { program: program.into() }
    }

    /// The program.
    pub fn program(&self) -> &Path {
        &self.program
    }

    /// `plan -refresh-only` in `dir`, saved and shown as JSON.
    pub fn refresh_only_plan_json(&self, dir: &Path) -> anyhow::Result<String> {
        let scratch =
            tempfile::Builder::new().prefix("oppie-drift").tempdir().context("creating a temporary directory")?;
        let plan_file = scratch.path().join("drift.tfplan");
        let plan_arg = format!("-out={}", plan_file.display());
        self.run(dir, &["plan", "-refresh-only", "-input=false", "-no-color", "-lock=false", &plan_arg])?;
        let plan_path = plan_file.display().to_string();
        self.run(dir, &["show", "-json", "-no-color", &plan_path])
    }

    fn run(&self, dir: &Path, args: &[&str]) -> anyhow::Result<String> {
        let out = Command::new(&self.program)
            .args(args)
            .current_dir(dir)
            .env("TF_IN_AUTOMATION", "1")
            .env("TF_INPUT", "0")
            .output()
            .with_context(|| format!("running {} (set --terraform to the Terraform CLI)", self.program.display()))?;
        if !out.status.success() {
            let stderr = String::from_utf8_lossy(&out.stderr);
            let stdout = String::from_utf8_lossy(&out.stdout);
            let text = if stderr.trim().is_empty() { stdout } else { stderr };
            let lines: Vec<&str> = text.lines().collect();
            let tail = lines[lines.len().saturating_sub(ERROR_TAIL_LINES)..].join("\n");
            bail!(
                "`terraform {}` failed in {} ({}):\n{tail}",
                args.first().copied().unwrap_or_default(),
                dir.display(),
                out.status
            );
        }
        String::from_utf8(out.stdout).context("terraform printed output that is not UTF-8")
    }
}
