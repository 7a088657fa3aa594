//! End-to-end tests of the `oppie-policy` binary: exit codes, conftest compatibility, output
//! formats, bad input, `test`, `eval` and bundles (Rego and WASM).

use std::path::PathBuf;
use std::process::{Command, Output};

use serde_json::Value;

fn fixtures() -> PathBuf {
    manifest_dir().join("tests/fixtures")
}

fn fixture(path: &str) -> String {
    fixtures().join(path).display().to_string()
}

struct Run {
    code: i32,
    stdout: String,
    stderr: String,
}

fn oppie(args: &[&str]) -> Run {
    let output: Output = Command::new(env!("CARGO_BIN_EXE_oppie-policy"))
        .args(args)
        .env_remove("GITHUB_STEP_SUMMARY")
        .env_remove("RUST_LOG")
        .output()
        .expect("the binary runs");
    Run {
        code: output.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
    }
}

fn json(run: &Run) -> Value {
    serde_json::from_str(&run.stdout).unwrap_or_else(|e| panic!("{e}: {}", run.stdout))
}

#[test]
fn exit_codes_follow_the_fail_level() {
    let levels = fixture("levels");
    let clean = oppie(&["check", &fixture("plans/clean.json"), "-p", &levels]);
    assert_eq!(clean.code, 0, "{}{}", clean.stdout, clean.stderr);
    assert!(clean.stdout.contains("no findings"), "{}", clean.stdout);

    let soft = fixture("plans/soft-only.json");
    assert_eq!(oppie(&["check", &soft, "-p", &levels]).code, 1, "soft-mandatory fails by default");
    let overridden = oppie(&["check", &soft, "-p", &levels, "--fail-on", "hard-mandatory"]);
    assert_eq!(overridden.code, 0, "the override lets soft-mandatory through");

    let oppie_plan = fixture("plans/oppie.json");
    let hard = oppie(&["check", &oppie_plan, "-p", &levels, "--fail-on", "hard-mandatory"]);
    assert_eq!(hard.code, 1, "hard-mandatory always fails");

    // Advisory findings fail only when asked to.
    let advisory_plan = tempfile::NamedTempFile::new().unwrap();
    std::fs::write(
        advisory_plan.path(),
        r#"{"format_version":"1.2","resource_changes":[{"address":"oppie_bucket.b","type":"oppie_bucket","mode":"managed","change":{"actions":["create"],"after":{"public":false,"versioning":false}}}]}"#,
    )
    .unwrap();
    let path = advisory_plan.path().display().to_string();
    assert_eq!(oppie(&["check", &path, "-p", &levels]).code, 0);
    assert_eq!(oppie(&["check", &path, "-p", &levels, "--fail-on", "advisory"]).code, 1);
}

#[test]
fn text_groups_by_resource_without_colour_when_piped() {
    let run = oppie(&["check", &fixture("plans/oppie.json"), "-p", &fixture("levels")]);
    assert_eq!(run.code, 1);
    assert!(!run.stdout.contains('\x1b'), "no ANSI codes off a TTY");
    let bucket = run.stdout.find("  oppie_bucket.logs\n").expect("resource heading");
    let hard = run.stdout.find("FAIL  hard-mandatory LVL-HARD oppie_bucket.logs is public (at public)").unwrap();
    let instance = run.stdout.find("  oppie_instance.api\n").unwrap();
    let soft = run.stdout.find("FAIL  soft-mandatory LVL-SOFT size xl is too large for dev").unwrap();
    assert!(bucket < hard && hard < instance && instance < soft, "{}", run.stdout);
    assert!(run.stdout.contains("WARN  advisory       LVL-ADVISORY"), "{}", run.stdout);
    let forced = oppie(&["check", &fixture("plans/oppie.json"), "-p", &fixture("levels"), "--color", "always"]);
    assert!(forced.stdout.contains("\x1b[31m"), "{}", forced.stdout);
}

#[test]
fn conftest_v0_library_runs_unchanged() {
    let run = oppie(&["check", &fixture("plans/aws-v0.1.json"), "-p", &fixture("conftest-v0"), "-f", "json"]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    let report = json(&run);
    let findings = report["files"][0]["findings"].as_array().unwrap();
    let pairs: Vec<(String, String)> =
        findings.iter().map(|f| (f["rule"].as_str().unwrap().into(), f["message"].as_str().unwrap().into())).collect();
    assert!(pairs.contains(&("deny".into(), "aws_s3_bucket.site is publicly readable".into())));
    assert!(pairs.contains(&("deny_unencrypted".into(), "aws_ebs_volume.data is not encrypted".into())));
    assert!(pairs.contains(&("warn".into(), "large change set".into())));
    let violation = findings.iter().find(|f| f["rule"] == "violation").unwrap();
    assert_eq!(violation["resource"], "aws_instance.old");
    assert_eq!(violation["metadata"]["details"]["type"], "aws_instance");
    assert_eq!(violation["enforcement"], "hard-mandatory");

    // The conftest exception waives deny_unencrypted when the plan says so.
    let excepted = std::fs::read_to_string(fixture("plans/aws-v0.1.json"))
        .unwrap()
        .replace(r#""allow_unencrypted": {"value": false}"#, r#""allow_unencrypted": {"value": true}"#);
    let file = tempfile::NamedTempFile::new().unwrap();
    std::fs::write(file.path(), excepted).unwrap();
    let run = oppie(&["check", &file.path().display().to_string(), "-p", &fixture("conftest-v0"), "-f", "json"]);
    let report = json(&run);
    assert_eq!(report["summary"]["exceptions"], 1);
    let waived = report["files"][0]["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["rule"] == "deny_unencrypted")
        .unwrap()
        .clone();
    assert_eq!(waived["status"], "excepted");
    assert_eq!(waived["fails"], false);

    // Forcing v1 syntax on the v0 library is a parse error with its location.
    let forced =
        oppie(&["check", &fixture("plans/aws-v0.1.json"), "-p", &fixture("conftest-v0"), "--rego-version", "v1"]);
    assert_eq!(forced.code, 2);
    assert!(forced.stderr.contains("terraform.rego:5:"), "{}", forced.stderr);
}

#[test]
fn state_json_is_checked_like_a_plan() {
    let run = oppie(&["check", &fixture("plans/state.json"), "-p", &fixture("levels"), "-f", "json"]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    let report = json(&run);
    assert_eq!(report["files"][0]["kind"], "state");
    assert_eq!(report["files"][0]["findings"][0]["rule_id"], "LVL-HARD");
}

#[test]
fn bad_input_exits_2_with_file_line_column() {
    let levels = fixture("levels");
    let truncated = oppie(&["check", &fixture("plans/truncated.json"), "-p", &levels]);
    assert_eq!(truncated.code, 2);
    assert!(truncated.stderr.contains("plans/truncated.json:4:"), "{}", truncated.stderr);
    assert!(truncated.stderr.contains("truncated"), "{}", truncated.stderr);

    let not_plan = oppie(&["check", &fixture("plans/not-a-plan.json"), "-p", &levels]);
    assert_eq!(not_plan.code, 2);
    assert!(
        not_plan.stderr.contains("not-a-plan.json:1:1: expected Terraform plan or state JSON"),
        "{}",
        not_plan.stderr
    );

    let policy = oppie(&["check", &fixture("plans/clean.json"), "-p", &fixture("broken")]);
    assert_eq!(policy.code, 2);
    assert!(policy.stderr.contains("broken/bad.rego:6:"), "{}", policy.stderr);

    let missing = oppie(&["check", "/nonexistent/plan.json", "-p", &levels]);
    assert_eq!(missing.code, 2);
    assert!(missing.stderr.contains("/nonexistent/plan.json"), "{}", missing.stderr);

    let usage = oppie(&["check", &fixture("plans/clean.json"), "--format", "yaml"]);
    assert_eq!(usage.code, 2);
    let usage = oppie(&["check"]);
    assert_eq!(usage.code, 2);
}

#[test]
fn a_failing_rule_is_reported_and_the_others_still_run() {
    let plan = std::fs::read_to_string(fixture("plans/oppie.json"))
        .unwrap()
        .replace(r#""variables": {"environment": {"value": "dev"}}"#, r#""variables": {"break_me": {"value": true}}"#);
    let file = tempfile::NamedTempFile::new().unwrap();
    std::fs::write(file.path(), plan).unwrap();
    let run = oppie(&["check", &file.path().display().to_string(), "-p", &fixture("levels"), "-f", "json"]);
    assert_eq!(run.code, 1);
    let report = json(&run);
    assert_eq!(report["summary"]["errors"], 1);
    assert_eq!(report["summary"]["failures"], 2, "{}", run.stdout);
    let error =
        report["files"][0]["findings"].as_array().unwrap().iter().find(|f| f["kind"] == "error").unwrap().clone();
    assert_eq!(error["rule"], "deny_broken");
    assert!(error["message"].as_str().unwrap().starts_with("rule could not be evaluated"));
}

#[test]
fn every_format_renders() {
    let plan = fixture("plans/oppie.json");
    let levels = fixture("levels");
    let sarif = oppie(&["check", &plan, "-p", &levels, "-f", "sarif"]);
    assert_eq!(sarif.code, 1);
    let sarif = json(&sarif);
    assert_eq!(sarif["version"], "2.1.0");
    let result = &sarif["runs"][0]["results"][0];
    assert_eq!(result["ruleId"], "LVL-HARD");
    assert_eq!(result["level"], "error");
    let location = &result["locations"][0];
    assert_eq!(location["logicalLocations"][0]["fullyQualifiedName"], "oppie_bucket.logs");
    // The bucket's entry in resource_changes is on line 10 of the fixture.
    assert_eq!(location["physicalLocation"]["region"]["startLine"], 10);
    assert!(location["physicalLocation"]["artifactLocation"]["uri"].as_str().unwrap().ends_with("plans/oppie.json"));
    let rules = sarif["runs"][0]["tool"]["driver"]["rules"].as_array().unwrap();
    let hard = rules.iter().find(|r| r["id"] == "LVL-HARD").unwrap();
    assert_eq!(hard["shortDescription"]["text"], "Buckets stay private");
    assert_eq!(hard["helpUri"], "https://example.com/oppie/private-buckets");
    assert_eq!(hard["properties"]["controls"], serde_json::json!(["CIS-AWS-2.1.5"]));

    let junit = oppie(&["check", &plan, "-p", &levels, "-f", "junit"]);
    assert!(junit.stdout.starts_with("<?xml"), "{}", junit.stdout);
    assert!(
        junit.stdout.contains("<testsuites name=\"oppie-policy\" tests=\"4\" failures=\"2\" errors=\"0\""),
        "{}",
        junit.stdout
    );

    let github = oppie(&["check", &plan, "-p", &levels, "-f", "github"]);
    let first = github.stdout.lines().next().unwrap();
    assert!(first.starts_with("::error file="), "{first}");
    assert!(
        first.contains(",line=10,title=LVL-HARD (hard-mandatory)::oppie_bucket.logs is public (at public)"),
        "{first}"
    );

    let out = tempfile::NamedTempFile::new().unwrap();
    let written = oppie(&["check", &plan, "-p", &levels, "-f", "json", "-o", &out.path().display().to_string()]);
    assert_eq!(written.code, 1);
    assert!(written.stdout.is_empty());
    let document: Value = serde_json::from_slice(&std::fs::read(out.path()).unwrap()).unwrap();
    assert_eq!(document["schema"], "oppie-policy/check/v1");
}

#[test]
fn profile_lists_every_rule_slowest_first() {
    let run = oppie(&["check", &fixture("plans/oppie.json"), "-p", &fixture("levels"), "--profile", "-f", "json"]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert!(run.stderr.contains("rule profile for"), "{}", run.stderr);
    for id in ["LVL-HARD", "LVL-SOFT", "LVL-ADVISORY", "levels.deny_broken"] {
        assert!(run.stderr.contains(id), "{id} missing from {}", run.stderr);
    }
    json(&run); // stdout is still the report
}

#[test]
fn github_format_writes_the_job_summary() {
    let summary = tempfile::NamedTempFile::new().unwrap();
    let status = Command::new(env!("CARGO_BIN_EXE_oppie-policy"))
        .args(["check", &fixture("plans/oppie.json"), "-p", &fixture("levels"), "-f", "github"])
        .env("GITHUB_STEP_SUMMARY", summary.path())
        .output()
        .unwrap();
    assert_eq!(status.status.code(), Some(1));
    let text = std::fs::read_to_string(summary.path()).unwrap();
    assert!(text.contains("### oppie-policy: failed"), "{text}");
    assert!(text.contains("`LVL-HARD`"), "{text}");
}

#[test]
fn test_command_counts_and_exit_codes() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("p.rego"), "package p\nimport rego.v1\ndeny contains \"x\" if input.bad\n").unwrap();
    std::fs::write(
        dir.path().join("p_test.rego"),
        "package p_test\nimport rego.v1\nimport data.p\ntest_bad if { p.deny == {\"x\"} with input as {\"bad\": true} }\ntest_good if { count(p.deny) == 0 with input as {} }\n",
    )
    .unwrap();
    let dir_arg = dir.path().display().to_string();
    let pass = oppie(&["test", &dir_arg]);
    assert_eq!(pass.code, 0, "{}{}", pass.stdout, pass.stderr);
    assert!(pass.stdout.ends_with("PASS: 2/2\n2 passed, 0 failed\n"), "{}", pass.stdout);
    let verbose = oppie(&["test", &dir_arg, "-v"]);
    assert!(verbose.stdout.contains("data.p_test.test_good: PASS"), "{}", verbose.stdout);

    std::fs::write(dir.path().join("q_test.rego"), "package q_test\nimport rego.v1\ntest_fails if { 1 == 2 }\n")
        .unwrap();
    let fail = oppie(&["test", &dir_arg]);
    assert_eq!(fail.code, 1);
    assert!(fail.stdout.contains("data.q_test.test_fails: FAIL"), "{}", fail.stdout);
    assert!(fail.stdout.ends_with("2 passed, 1 failed\n"), "{}", fail.stdout);
}

#[test]
fn eval_prints_query_results() {
    let run =
        oppie(&["eval", "-i", &fixture("plans/oppie.json"), "-p", &fixture("levels"), "n := count(data.levels.deny)"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(json(&run)["result"][0]["bindings"]["n"], 1);
    let lib = oppie(&["eval", "-i", &fixture("plans/oppie.json"), "data.oppie.lib.is_plan"]);
    assert_eq!(lib.code, 0, "{}", lib.stderr);
    assert_eq!(json(&lib)["result"][0]["expressions"][0]["value"], true);
    let bad = oppie(&["eval", "x := "]);
    assert_eq!(bad.code, 2);
}

#[test]
fn rego_bundles_build_and_check() {
    let dir = tempfile::tempdir().unwrap();
    let bundle = dir.path().join("levels.tar.gz");
    let bundle_arg = bundle.display().to_string();
    let built = oppie(&["bundle", "build", &fixture("levels"), "-o", &bundle_arg, "--revision", "v42"]);
    assert_eq!(built.code, 0, "{}", built.stderr);
    assert!(built.stdout.contains("revision v42"), "{}", built.stdout);
    let run = oppie(&["check", &fixture("plans/oppie.json"), "-p", &bundle_arg, "-f", "json"]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert_eq!(json(&run)["summary"]["failures"], 2);
}

#[test]
fn wasm_bundles_check_with_limits() {
    let dir = tempfile::tempdir().unwrap();
    let wat = std::fs::read_to_string(fixture("wasm/plan_rules.wat")).unwrap();
    std::fs::write(dir.path().join("policy.wasm"), wat::parse_str(&wat).unwrap()).unwrap();
    std::fs::write(dir.path().join("data.json"), r#"{"plan": {"banner": "change freeze"}}"#).unwrap();
    let manifest = serde_json::json!({"wasm": [
        {"entrypoint": "plan/deny", "module": "/policy.wasm", "annotations": [
            {"scope": "rule", "title": "Frozen", "custom": {"id": "W-1", "enforcement": "soft-mandatory"}}
        ]}
    ]});
    std::fs::write(dir.path().join(".manifest"), manifest.to_string()).unwrap();
    let bundle = dir.path().join("wasm.tar.gz").display().to_string();
    let built = oppie(&["bundle", "build", &dir.path().display().to_string(), "-o", &bundle]);
    assert_eq!(built.code, 0, "{}", built.stderr);

    let plan = tempfile::NamedTempFile::new().unwrap();
    std::fs::write(
        plan.path(),
        r#"{"format_version":"1.2","variables":{"environment":{"value":"prod"}},"resource_changes":[]}"#,
    )
    .unwrap();
    let plan = plan.path().display().to_string();
    let limits = ["--wasm-fuel", "20000000", "--wasm-memory-mib", "16"];
    let mut args = vec!["check", &plan, "-p", &bundle, "-f", "json"];
    args.extend(limits);
    let run = oppie(&args);
    assert_eq!(run.code, 1, "{}", run.stderr);
    let report = json(&run);
    let findings = report["files"][0]["findings"].as_array().unwrap();
    let by_rule = |rule: &str| findings.iter().find(|f| f["rule"] == rule).unwrap().clone();
    assert_eq!(by_rule("deny")["rule_id"], "W-1");
    assert_eq!(by_rule("deny")["message"], "changes to prod are frozen");
    assert_eq!(by_rule("deny_banner")["message"], "change freeze");
    assert_eq!(by_rule("warn")["message"], "plan changes 0 resources");
    for hostile in ["deny_loop", "deny_memory", "deny_abort", "deny_unsupported"] {
        assert_eq!(by_rule(hostile)["kind"], "error", "{hostile}");
    }
    assert!(by_rule("deny_loop")["message"].as_str().unwrap().contains("fuel"));
    assert!(by_rule("deny_memory")["message"].as_str().unwrap().contains("memory limit"));

    // Only the `plan` package: the hostile rules are not checks, the soft finding fails.
    args.extend(["-n", "plan"]);
    let run = oppie(&args);
    let report = json(&run);
    assert_eq!(report["summary"]["errors"], 0, "{}", run.stdout);
    assert_eq!(run.code, 1);
    assert!(oppie(&[&args[..], &["--fail-on", "hard-mandatory"]].concat()).code == 1, "deny_banner is hard-mandatory");
}

/// The package's directory: cargo's `CARGO_MANIFEST_DIR` when it runs this binary, else the one it
/// was built from. Not the build-time value alone: a target directory shared by several clones
/// (CI's, outside the clone) reuses a build from another clone, which may be gone by now.
fn manifest_dir() -> std::path::PathBuf {
    std::env::var_os("CARGO_MANIFEST_DIR")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|| env!("CARGO_MANIFEST_DIR").into())
}
