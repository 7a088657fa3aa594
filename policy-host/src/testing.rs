//! `oppie-policy test`: runs the `test_*` rules of every package, as `opa test` does, and
//! reports each as passed, failed (false or undefined), errored or skipped (`todo_test_*`).

use std::fmt::Write;
use std::time::{Duration, Instant};

use crate::engine::EvalError;
use crate::error::Location;
use crate::policy_set::PolicySet;

/// How one test ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TestStatus {
    /// The rule was true.
    Pass,
    /// The rule was false or undefined.
    Fail,
    /// The rule could not be evaluated.
    Error(String),
    /// A `todo_test_*` rule, not run.
    Skip,
}

/// The outcome of one test rule.
#[derive(Debug, Clone)]
pub struct TestOutcome {
    /// `data.<package>.<rule>`.
    pub name: String,
    /// Where the rule is defined.
    pub location: Location,
    /// Its result.
    pub status: TestStatus,
    /// How long it took.
    pub duration: Duration,
}

/// Runs every test rule whose `data.<package>.<rule>` name contains `filter`.
pub fn run(policies: &PolicySet, filter: Option<&str>) -> Vec<TestOutcome> {
    let Some(rego) = policies.rego() else {
        return Vec::new();
    };
    rego.tests()
        .iter()
        .map(|test| (format!("data.{}.{}", test.package, test.name), test))
        .filter(|(name, _)| filter.is_none_or(|f| name.contains(f)))
        .map(|(name, test)| {
            let started = Instant::now();
            let status = if test.skip {
                TestStatus::Skip
            } else {
                match rego.run_test(test) {
                    Ok(true) => TestStatus::Pass,
                    Ok(false) => TestStatus::Fail,
                    Err(EvalError::Budget(m) | EvalError::Memory(m) | EvalError::Failed(m)) => TestStatus::Error(m),
                }
            };
            TestOutcome { name, location: test.location.clone(), status, duration: started.elapsed() }
        })
        .collect()
}

/// Counts of a test run.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Tally {
    /// Tests that passed.
    pub passed: usize,
    /// Tests that failed or errored.
    pub failed: usize,
    /// `todo_test_*` rules.
    pub skipped: usize,
}

/// Tallies outcomes (errors count as failures).
pub fn tally(outcomes: &[TestOutcome]) -> Tally {
    let mut tally = Tally::default();
    for outcome in outcomes {
        match outcome.status {
            TestStatus::Pass => tally.passed += 1,
            TestStatus::Fail | TestStatus::Error(_) => tally.failed += 1,
            TestStatus::Skip => tally.skipped += 1,
        }
    }
    tally
}

/// The `opa test`-style report: failures (or, `verbose`, every test) grouped by file, then
/// the counts; the last line reads `N passed, M failed`.
pub fn render(outcomes: &[TestOutcome], verbose: bool) -> String {
    let mut out = String::new();
    let mut current_file: Option<&str> = None;
    for outcome in outcomes {
        let shown = verbose || matches!(outcome.status, TestStatus::Fail | TestStatus::Error(_));
        if !shown {
            continue;
        }
        if current_file != Some(outcome.location.file.as_str()) {
            if current_file.is_some() {
                out.push('\n');
            }
            let _ = writeln!(out, "{}:", outcome.location.file);
            current_file = Some(&outcome.location.file);
        }
        let time = format!("{:.1}ms", outcome.duration.as_secs_f64() * 1000.0);
        let _ = match &outcome.status {
            TestStatus::Pass => writeln!(out, "{}: PASS ({time})", outcome.name),
            TestStatus::Fail => writeln!(out, "{}: FAIL ({time}) at {}", outcome.name, outcome.location),
            TestStatus::Error(message) => writeln!(
                out,
                "{}: ERROR ({time}) at {}\n  {}",
                outcome.name,
                outcome.location,
                message.replace('\n', "\n  ")
            ),
            TestStatus::Skip => writeln!(out, "{}: SKIPPED", outcome.name),
        };
    }
    let t = tally(outcomes);
    let total = t.passed + t.failed;
    if !out.is_empty() {
        out.push_str(&"-".repeat(80));
        out.push('\n');
    }
    if t.passed > 0 || total == 0 {
        let _ = writeln!(out, "PASS: {}/{total}", t.passed);
    }
    if t.failed > 0 {
        let _ = writeln!(out, "FAIL: {}/{total}", t.failed);
    }
    if t.skipped > 0 {
        let _ = writeln!(out, "SKIPPED: {}/{}", t.skipped, total + t.skipped);
    }
    let _ = write!(out, "{} passed, {} failed", t.passed, t.failed);
    if t.skipped > 0 {
        let _ = write!(out, ", {} skipped", t.skipped);
    }
    out.push('\n');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn policies() -> PolicySet {
        PolicySet::builder()
            .rego_source("rules.rego", "package rules\ndeny contains \"public\" if input.public\n")
            .rego_source(
                "rules_test.rego",
                r#"package rules_test
import data.rules

test_public_denied if { rules.deny == {"public"} with input as {"public": true} }
test_private_allowed if { count(rules.deny) == 0 with input as {"public": false} }
test_wrong if { rules.deny == {"nope"} with input as {"public": true} }
test_undefined if { input.missing }
test_breaks if { x := 1 / 0; x == 1 }
todo_test_later if { false }
"#,
            )
            .build()
            .unwrap()
    }

    #[test]
    fn runs_every_test_rule() {
        let outcomes = run(&policies(), None);
        let by_name: Vec<(String, TestStatus)> = outcomes.iter().map(|o| (o.name.clone(), o.status.clone())).collect();
        assert_eq!(by_name.len(), 6);
        assert_eq!(by_name[0], ("data.rules_test.test_public_denied".into(), TestStatus::Pass));
        assert_eq!(by_name[1].1, TestStatus::Pass);
        assert_eq!(by_name[2].1, TestStatus::Fail);
        assert_eq!(by_name[3].1, TestStatus::Fail);
        assert!(matches!(by_name[4].1, TestStatus::Fail | TestStatus::Error(_)));
        assert_eq!(by_name[5].1, TestStatus::Skip);
        assert_eq!(tally(&outcomes), Tally { passed: 2, failed: 3, skipped: 1 });
        let text = render(&outcomes, false);
        assert!(text.contains("data.rules_test.test_wrong: FAIL"), "{text}");
        assert!(!text.contains("test_public_denied"), "{text}");
        assert!(text.ends_with("PASS: 2/5\nFAIL: 3/5\nSKIPPED: 1/6\n2 passed, 3 failed, 1 skipped\n"), "{text}");
        assert!(render(&outcomes, true).contains("test_public_denied: PASS"));
    }

    #[test]
    fn filter_selects_tests() {
        let outcomes = run(&policies(), Some("public"));
        assert_eq!(outcomes.len(), 1);
        assert_eq!(render(&outcomes, false), "PASS: 1/1\n1 passed, 0 failed\n");
    }
}
