//! Findings located on `.tf` lines end to end: `check --config-dir` on the checked-in plan of
//! `fixtures/located/config` (made by Terraform 1.15.5), and on a fresh `terraform plan` of
//! the same configuration when the Terraform CLI is in `.tools/bin`; every finding must land on
//! the line and column of its block or attribute, in every format that carries a location.

use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;

/// The workspace root (the crate's directory at run time, as `tests/common` finds it).
fn repo() -> PathBuf {
    let manifest =
        std::env::var_os("CARGO_MANIFEST_DIR").map_or_else(|| env!("CARGO_MANIFEST_DIR").into(), PathBuf::from);
    manifest.parent().expect("the crate sits in the workspace").to_path_buf()
}

/// Where a finding must land: the file under the configuration and the text found there, or
/// `None` for a finding whose source is not in the configuration.
type Place = Option<(&'static str, &'static str)>;

fn fixture() -> PathBuf {
    repo().join("policy-host/tests/fixtures/located")
}

fn check(args: &[&str], cwd: &Path) -> (Option<i32>, String, String) {
    let output = Command::new(env!("CARGO_BIN_EXE_oppie-policy"))
        .arg("check")
        .args(args)
        .args(["--no-costs"])
        .current_dir(cwd)
        .env_remove("GITHUB_STEP_SUMMARY")
        .env_remove("RUST_LOG")
        .output()
        .expect("the binary runs");
    (
        output.status.code(),
        String::from_utf8_lossy(&output.stdout).into_owned(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

/// 1-based line and column of the first `needle` in `file` (the test's own idea of where a
/// thing is, from the text, not from the parser under test).
fn position(file: &Path, needle: &str) -> (u64, u64) {
    let text = std::fs::read_to_string(file).unwrap();
    for (index, line) in text.lines().enumerate() {
        if let Some(column) = line.find(needle) {
            return (index as u64 + 1, line[..column].chars().count() as u64 + 1);
        }
    }
    panic!("{needle:?} is not in {}", file.display());
}

/// What each (rule, resource) must point at.
fn expected() -> Vec<(&'static str, &'static str, Place)> {
    vec![
        ("LOC-CIDR", "terraform_data.fw", Some(("main.tf", "cidr  = \"0.0.0.0/0\""))),
        ("LOC-SSH", "terraform_data.fw", Some(("main.tf", "22]"))),
        ("LOC-CIDR", "module.net.terraform_data.subnet[\"a\"]", Some(("modules/net/main.tf", "cidr = "))),
        ("LOC-CIDR", "module.net.terraform_data.subnet[\"b\"]", Some(("modules/net/main.tf", "cidr = "))),
        ("LOC-BARE", "module.net.module.inner.terraform_data.deep", Some(("modules/inner/main.tf", "input = "))),
        // `output` is computed: the finding lands on the resource block, with a note.
        ("LOC-OUTPUT", "terraform_data.counted[1]", Some(("main.tf", "resource \"terraform_data\" \"counted\""))),
        ("LOC-GONE", "module.gone.terraform_data.x", None),
    ]
}

/// Checks `plan` against the fixture's policies with sources in `config` (given as `shown`
/// on the command line, or found by default when `shown` is `None`), in every format.
fn assert_located(plan: &Path, config: &Path, shown: Option<&str>, cwd: &Path) {
    let policy = fixture().join("policy").display().to_string();
    let plan = plan.display().to_string();
    let mut args = vec![plan.as_str(), "-p", policy.as_str()];
    if let Some(dir) = shown {
        args.extend(["--config-dir", dir]);
    }
    // By default the plan's own directory, as the plan was named.
    let default = Path::new(&plan).parent().map(|p| p.display().to_string()).unwrap_or_default();
    let prefix = format!("{}/", shown.unwrap_or(&default));

    let (code, stdout, stderr) = check(&[args.as_slice(), &["-f", "json"]].concat(), cwd);
    assert_eq!(code, Some(1), "{stderr}");
    let report: Value = serde_json::from_str(&stdout).unwrap();
    let findings = report["files"][0]["findings"].as_array().unwrap();
    assert_eq!(findings.len(), expected().len(), "{stdout}");
    for (rule, resource, place) in expected() {
        let finding = findings
            .iter()
            .find(|f| f["rule_id"] == rule && f["resource"] == resource)
            .unwrap_or_else(|| panic!("no {rule} finding for {resource}: {stdout}"));
        match place {
            Some((file, needle)) => {
                let (line, column) = position(&config.join(file), needle);
                let source = &finding["source"];
                assert_eq!(source["file"], format!("{prefix}{file}"), "{rule} {resource}: {finding:#}");
                assert_eq!(
                    (source["line"].as_u64(), source["column"].as_u64()),
                    (Some(line), Some(column)),
                    "{rule} {resource}"
                );
                assert_eq!(source.get("note").is_some(), rule == "LOC-OUTPUT", "{finding:#}");
            }
            None => {
                assert!(finding.get("source").is_none(), "{finding:#}");
                let note = finding["location_note"].as_str().unwrap();
                assert!(note.contains("module.gone"), "{note}");
            }
        }
    }

    let (_, github, _) = check(&[args.as_slice(), &["-f", "github"]].concat(), cwd);
    let (line, column) = position(&config.join("main.tf"), "22]");
    let ssh = github.lines().find(|l| l.contains("LOC-SSH")).unwrap();
    assert!(ssh.starts_with(&format!("::error file={prefix}main.tf,line={line},col={column},")), "{github}");
    let gone = github.lines().find(|l| l.contains("LOC-GONE")).unwrap();
    assert!(gone.contains(&format!("file={plan}")) && gone.contains("[.tf source not found: "), "{gone}");

    let (_, sarif, _) = check(&[args.as_slice(), &["-f", "sarif"]].concat(), cwd);
    let sarif: Value = serde_json::from_str(&sarif).unwrap();
    let results = sarif["runs"][0]["results"].as_array().unwrap();
    let deep =
        results.iter().find(|r| r["ruleId"] == "LOC-BARE").map(|r| &r["locations"][0]["physicalLocation"]).unwrap();
    let (line, column) = position(&config.join("modules/inner/main.tf"), "input = ");
    assert_eq!(deep["region"]["startLine"].as_u64(), Some(line));
    assert_eq!(deep["region"]["startColumn"].as_u64(), Some(column));
    let uri = deep["artifactLocation"]["uri"].as_str().unwrap();
    assert!(uri.ends_with("modules/inner/main.tf"), "{uri}");

    let (_, text, _) = check(&[args.as_slice(), &["-f", "text"]].concat(), cwd);
    let (line, column) = position(&config.join("modules/net/main.tf"), "cidr = ");
    assert!(text.contains(&format!("(at input.cidr) {prefix}modules/net/main.tf:{line}:{column}")), "{text}");
}

#[test]
fn the_checked_in_plan_is_located_on_its_tf_lines() {
    let fixture = fixture();
    assert_located(&fixture.join("plan.json"), &fixture.join("config"), Some("config"), &fixture);
}

#[test]
fn without_the_sources_findings_keep_the_plan_location() {
    let fixture = fixture();
    let policy = fixture.join("policy").display().to_string();
    // The plan's own directory holds no .tf files: nothing is looked up, as before.
    let (_, stdout, _) = check(&["plan.json", "-p", &policy, "-f", "json"], &fixture);
    let report: Value = serde_json::from_str(&stdout).unwrap();
    for finding in report["files"][0]["findings"].as_array().unwrap() {
        assert!(finding.get("source").is_none() && finding.get("location_note").is_none(), "{finding:#}");
    }
    // A directory that is not there: every finding says why it kept the plan location.
    let (_, stdout, _) = check(&["plan.json", "-p", &policy, "-f", "json", "--config-dir", "nowhere"], &fixture);
    let report: Value = serde_json::from_str(&stdout).unwrap();
    for finding in report["files"][0]["findings"].as_array().unwrap() {
        assert!(finding["location_note"].is_string(), "{finding:#}");
    }
}

fn terraform() -> Option<PathBuf> {
    let tools = std::env::var_os("OPPIE_TOOLS").map(PathBuf::from).unwrap_or_else(|| repo().join(".tools"));
    let binary = tools.join("bin/terraform");
    binary.is_file().then_some(binary)
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), &target).unwrap();
        }
    }
}

/// Through the real Terraform CLI: init (which writes `.terraform/modules/modules.json`), plan,
/// show -json into the working directory, then `check` with the default configuration directory.
#[test]
fn a_fresh_terraform_plan_is_located_on_its_tf_lines() {
    let Some(terraform) = terraform() else {
        eprintln!("skipped: no Terraform CLI in .tools/bin (make tools)");
        return;
    };
    let work = tempfile::tempdir().unwrap();
    let config = work.path().join("config");
    copy_dir(&fixture().join("config"), &config);
    let run = |args: &[&str]| {
        let output = Command::new(&terraform)
            .args(args)
            .current_dir(&config)
            .env("TF_IN_AUTOMATION", "1")
            .env("CHECKPOINT_DISABLE", "1")
            .output()
            .expect("terraform runs");
        assert!(output.status.success(), "terraform {args:?}: {}", String::from_utf8_lossy(&output.stderr));
        output.stdout
    };
    run(&["init", "-input=false", "-no-color"]);
    run(&["plan", "-input=false", "-no-color", "-out=plan.bin"]);
    let json = run(&["show", "-json", "plan.bin"]);
    std::fs::write(config.join("plan.json"), json).unwrap();
    assert!(config.join(".terraform/modules/modules.json").is_file());
    assert_located(Path::new("config/plan.json"), &config, None, work.path());
}
