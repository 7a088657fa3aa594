//! Runs a real Terraform CLI against the `notes` example provider, installed in a
//! private filesystem mirror, in a throwaway working directory with its own notes dir.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

/// Which Terraform CLI.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Cli {
    /// Terraform 1.15.5.
    Latest,
    /// Terraform 1.0.3, the oldest core tfplug supports.
    V1_0,
}

fn workspace_tools() -> PathBuf {
    manifest_dir().join("../.tools/bin")
}

fn cli_path(cli: Cli) -> PathBuf {
    let (var, name) = match cli {
        Cli::Latest => ("TFPLUG_TERRAFORM", "terraform"),
        Cli::V1_0 => ("TFPLUG_TERRAFORM_1_0", "terraform-1.0.3"),
    };
    let p = std::env::var_os(var).map(PathBuf::from).unwrap_or_else(|| workspace_tools().join(name));
    assert!(p.exists(), "{} missing: run `make tools` in the workspace, or set {var}", p.display());
    p
}

/// The `notes` example, built by `cargo test` next to this test executable.
fn provider_binary() -> PathBuf {
    let exe = std::env::current_exe().expect("test executable path");
    // target/<profile>/deps/<test> -> target/<profile>/examples/notes
    let bin = exe.parent().and_then(Path::parent).expect("target dir").join("examples/notes");
    assert!(
        bin.exists(),
        "{} not built: run `cargo test -p tfplug` (which builds the examples) or `cargo build -p tfplug --examples`",
        bin.display()
    );
    bin
}

struct Mirror {
    _dir: tempfile::TempDir,
    cli_config: PathBuf,
}

/// A mirror holding a copy of this build of the provider, made once per test process.
fn mirror() -> &'static Mirror {
    static MIRROR: OnceLock<Mirror> = OnceLock::new();
    MIRROR.get_or_init(|| {
        let dir = tempfile::Builder::new().prefix("tfplug-mirror").tempdir().expect("temp dir");
        let pkg = dir.path().join("registry.terraform.io/example/notes/0.1.0/linux_amd64");
        std::fs::create_dir_all(&pkg).expect("mirror dir");
        std::fs::copy(provider_binary(), pkg.join("terraform-provider-notes")).expect("copy provider");
        let cli_config = dir.path().join("terraformrc");
        let text =
            format!("provider_installation {{\n  filesystem_mirror {{ path = \"{}\" }}\n}}\n", dir.path().display());
        std::fs::write(&cli_config, text).expect("cli config");
        Mirror { _dir: dir, cli_config }
    })
}

/// The result of one command.
pub struct Out {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl Out {
    /// stdout and stderr together.
    pub fn all(&self) -> String {
        format!("{}\n{}", self.stdout, self.stderr)
    }
}

/// A working directory plus the notes directory its provider block points at.
pub struct Tf {
    cli: Cli,
    work: tempfile::TempDir,
    notes: tempfile::TempDir,
    env: Vec<(String, String)>,
}

impl Tf {
    pub fn new(cli: Cli) -> Tf {
        Tf {
            cli,
            work: tempfile::Builder::new().prefix("tfplug-tf").tempdir().expect("temp dir"),
            notes: tempfile::Builder::new().prefix("tfplug-notes").tempdir().expect("temp dir"),
            env: Vec::new(),
        }
    }

    pub fn dir(&self) -> &Path {
        self.work.path()
    }

    /// The provider's "cloud".
    pub fn notes_dir(&self) -> &Path {
        self.notes.path()
    }

    /// An environment variable for every later command (the provider inherits it).
    pub fn env(&mut self, key: &str, value: &str) {
        self.env.push((key.into(), value.into()));
    }

    pub fn unset_env(&mut self, key: &str) {
        self.env.retain(|(k, _)| k != key);
    }

    /// Writes `main.tf`: the provider requirement and block, then `body`.
    pub fn config(&self, body: &str) {
        let header = format!(
            "terraform {{\n  required_providers {{\n    notes = {{ source = \"example/notes\", version = \"0.1.0\" }}\n  }}\n}}\n\nprovider \"notes\" {{\n  dir = \"{}\"\n}}\n\n",
            self.notes.path().display()
        );
        self.write("main.tf", &format!("{header}{body}"));
    }

    pub fn write(&self, name: &str, text: &str) {
        std::fs::write(self.work.path().join(name), text).expect("write file");
    }

    pub fn read(&self, name: &str) -> String {
        std::fs::read_to_string(self.work.path().join(name)).unwrap_or_default()
    }

    /// A note made outside Terraform.
    pub fn note(&self, name: &str, json: &str) {
        std::fs::write(self.notes.path().join(format!("{name}.json")), json).expect("write note");
    }

    pub fn run(&self, args: &[&str]) -> Out {
        let out = Command::new(cli_path(self.cli))
            .args(args)
            .current_dir(self.work.path())
            .env("TF_CLI_CONFIG_FILE", &mirror().cli_config)
            .env("TF_IN_AUTOMATION", "1")
            .env("TF_INPUT", "0")
            .env("CHECKPOINT_DISABLE", "1")
            .env_remove("TF_LOG")
            .env_remove("NOTES_DIR")
            .envs(self.env.iter().map(|(k, v)| (k.as_str(), v.as_str())))
            .output()
            .expect("run terraform");
        Out {
            code: out.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        }
    }

    /// Runs a command with `TF_LOG=trace` and returns Terraform's log with it: the
    /// RPCs it made appear as `GRPCProvider: <RPC>` (protocol 5) or
    /// `GRPCProvider.v6: <RPC>`.
    pub fn run_logged(&mut self, args: &[&str]) -> (Out, String) {
        let log = self.work.path().join("trace.log");
        let _ = std::fs::remove_file(&log);
        self.env("TF_LOG", "trace");
        self.env("TF_LOG_PATH", &log.display().to_string());
        let out = self.run(args);
        self.unset_env("TF_LOG");
        self.unset_env("TF_LOG_PATH");
        (out, std::fs::read_to_string(&log).unwrap_or_default())
    }

    /// A command that must succeed.
    pub fn ok(&self, args: &[&str]) -> Out {
        let out = self.run(args);
        assert_eq!(out.code, 0, "terraform {} failed:\n{}", args.join(" "), out.all());
        out
    }

    pub fn init(&self) {
        self.ok(&["init", "-no-color"]);
    }

    pub fn apply(&self) -> Out {
        self.ok(&["apply", "-no-color", "-auto-approve"])
    }

    /// Asserts that a plan shows no changes at all.
    pub fn assert_no_changes(&self) {
        let out = self.run(&["plan", "-no-color", "-detailed-exitcode"]);
        assert_eq!(out.code, 0, "expected no changes:\n{}", out.all());
    }

    /// `plan -out` then `show -json`.
    pub fn plan_json(&self) -> serde_json::Value {
        self.ok(&["plan", "-no-color", "-out=tfplan"]);
        json(&self.ok(&["show", "-json", "tfplan"]).stdout)
    }

    /// `show -json` of the state.
    pub fn state_json(&self) -> serde_json::Value {
        json(&self.ok(&["show", "-json"]).stdout)
    }

    /// The raw `terraform.tfstate`.
    pub fn state_file(&self) -> serde_json::Value {
        json(&self.read("terraform.tfstate"))
    }
}

pub fn json(text: &str) -> serde_json::Value {
    serde_json::from_str(text).unwrap_or_else(|e| panic!("not JSON ({e}):\n{text}"))
}

/// The instance objects of resource `address` in a raw state file.
pub fn state_instance(state: &serde_json::Value, type_name: &str, name: &str) -> serde_json::Value {
    state["resources"]
        .as_array()
        .and_then(|rs| rs.iter().find(|r| r["type"] == type_name && r["name"] == name))
        .map(|r| r["instances"][0].clone())
        .unwrap_or_else(|| panic!("{type_name}.{name} not in state: {state:#}"))
}

/// The package's directory: cargo's `CARGO_MANIFEST_DIR` when it runs this binary, else the one it
/// was built from. Not the build-time value alone: a target directory shared by several clones
/// (CI's, outside the clone) reuses a build from another clone, which may be gone by now.
fn manifest_dir() -> std::path::PathBuf {
    std::env::var_os("CARGO_MANIFEST_DIR")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|| env!("CARGO_MANIFEST_DIR").into())
}
