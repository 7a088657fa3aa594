//! Runs the user's Terraform in a working directory: a refresh-only plan saved to a file and read
//! back with `show -json`, nothing applied.

use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{Context, bail};

use super::unmanaged::GENERATED_QUERY;

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

    /// `plan -out=FILE -target=...` in `dir` (a normal plan: it restores the configuration),
    /// shown as JSON; returns the plan file's JSON.
    pub fn targeted_plan_json(&self, dir: &Path, plan_file: &Path, targets: &[String]) -> anyhow::Result<String> {
        let out = format!("-out={}", plan_file.display());
        let mut args = vec!["plan", "-input=false", "-no-color", out.as_str()];
        let targets: Vec<String> = targets.iter().map(|t| format!("-target={t}")).collect();
        args.extend(targets.iter().map(String::as_str));
        self.run(dir, &args)?;
        let shown = plan_file.display().to_string();
        self.run(dir, &["show", "-json", "-no-color", &shown])
    }

    /// `apply FILE` in `dir`: applies exactly the saved plan.
    pub fn apply_plan(&self, dir: &Path, plan_file: &Path) -> anyhow::Result<()> {
        let file = plan_file.display().to_string();
        self.run(dir, &["apply", "-input=false", "-no-color", &file]).map(|_| ())
    }

    /// `terraform query -json` in `dir` with config generation on (into a scratch file), so each
    /// object found carries its `resource` and `import` blocks. With `query` (list blocks), that
    /// text is written to [`GENERATED_QUERY`] for the run and removed after it.
    pub fn query_json(&self, dir: &Path, query: Option<&str>) -> anyhow::Result<String> {
        self.require_query()?;
        let _written = match query {
            Some(text) => Some(WrittenFile::write(dir.join(GENERATED_QUERY), text)?),
            None => None,
        };
        let scratch =
            tempfile::Builder::new().prefix("oppie-query").tempdir().context("creating a temporary directory")?;
        let generated = format!("-generate-config-out={}", scratch.path().join("generated.tf").display());
        let out = self.output(dir, &["query", "-json", "-no-color", &generated])?;
        let stdout = String::from_utf8(out.stdout).context("terraform printed output that is not UTF-8")?;
        if !out.status.success() {
            // The diagnostics are JSON lines on stdout: the caller reads them.
            if stdout.contains("\"diagnostic\"") {
                return Ok(stdout);
            }
            let stderr = String::from_utf8_lossy(&out.stderr);
            bail!("`terraform query` failed in {} ({}):\n{}", dir.display(), out.status, tail(&stderr));
        }
        Ok(stdout)
    }

    /// Fails unless the CLI has `terraform query`.
    ///
    /// `terraform query` came with Terraform 1.14: an older CLI gets a clear error, not its usage text.
    pub fn require_query(&self) -> anyhow::Result<()> {
        let out = self.output(Path::new("."), &["version", "-json"])?;
        let version: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap_or_default();
        let v = version["terraform_version"].as_str().unwrap_or_default();
        let mut parts = v.split('.').map(|p| p.parse::<u64>().unwrap_or(0));
        let (major, minor) = (parts.next().unwrap_or(0), parts.next().unwrap_or(0));
        if (major, minor) < (1, 14) {
            bail!(
                "--unmanaged runs `terraform query`, which needs Terraform 1.14 or later; {} is {}",
                self.program.display(),
                if v.is_empty() { "of unknown version" } else { v }
            );
        }
        Ok(())
    }

    fn output(&self, dir: &Path, args: &[&str]) -> anyhow::Result<std::process::Output> {
        Command::new(&self.program)
            .args(args)
            .current_dir(dir)
            .env("TF_IN_AUTOMATION", "1")
            .env("TF_INPUT", "0")
            .output()
            .with_context(|| format!("running {} (set --terraform to the Terraform CLI)", self.program.display()))
    }

    fn run(&self, dir: &Path, args: &[&str]) -> anyhow::Result<String> {
        let out = self.output(dir, args)?;
        if !out.status.success() {
            let stderr = String::from_utf8_lossy(&out.stderr);
            let stdout = String::from_utf8_lossy(&out.stdout);
            let text = if stderr.trim().is_empty() { stdout } else { stderr };
            bail!(
                "`terraform {}` failed in {} ({}):\n{}",
                args.first().copied().unwrap_or_default(),
                dir.display(),
                out.status,
                tail(&text)
            );
        }
        String::from_utf8(out.stdout).context("terraform printed output that is not UTF-8")
    }
}

/// The last lines of Terraform's output.
fn tail(text: &str) -> String {
    let lines: Vec<&str> = text.lines().collect();
    lines[lines.len().saturating_sub(ERROR_TAIL_LINES)..].join("\n")
}

/// A file oppie wrote into the user's directory for one command, removed when dropped (also when
/// the command fails). An existing file is never overwritten.
struct WrittenFile(PathBuf);

impl WrittenFile {
    fn write(path: PathBuf, text: &str) -> anyhow::Result<Self> {
        use std::io::Write;
        let mut file = std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&path)
            .with_context(|| format!("writing {} (remove it if a previous run left it)", path.display()))?;
        file.write_all(text.as_bytes()).with_context(|| format!("writing {}", path.display()))?;
        Ok(WrittenFile(path))
    }
}

impl Drop for WrittenFile {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}
