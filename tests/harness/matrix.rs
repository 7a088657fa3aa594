//! The no-orphan, no-twin fault matrix, the same on every cloud. For each fault point of each
//! kind (its create call, its waits, each follow-up call that configures it), Terraform
//! applies that kind through the fault proxy:
//! - a create whose answer is lost once must still converge with one object;
//! - an outage during a wait or a follow-up call must fail the apply with the object in
//!   state (tainted), and once the cloud is reachable again a re-apply converges.
//!
//! After each point every cloud object is in state and every object in state is in the
//! cloud; at the end the whole stack re-plans clean and destroys to nothing.

use std::collections::BTreeSet;

use crate::proxy::{Fault, FaultProxy, Match};
use crate::terraform::Terraform;

/// What a fault point hits.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Step {
    /// The call that creates the object: its answer is lost once.
    Create,
    /// A call the create waits with: the cloud is unreachable for it.
    Wait,
    /// A call that configures the new object: the cloud is unreachable for it.
    FollowUp,
}

/// One fault point.
#[derive(Debug, Clone)]
pub struct Point {
    /// The resource applied, e.g. `oppie_subnet.pub`.
    pub address: &'static str,
    /// Which calls the fault hits.
    pub calls: Match,
    /// What the calls are to the create.
    pub step: Step,
    /// Matching calls let through first (reads the create protocol makes before the call
    /// that creates, for instance).
    pub skip: u32,
}

impl Point {
    /// A point hitting calls named exactly `call`.
    pub fn call(address: &'static str, call: &str, step: Step) -> Point {
        Point { address, calls: Match::Call(call.to_string()), step, skip: 0 }
    }

    /// A point hitting calls whose name matches `pattern` (`*` for any text).
    pub fn glob(address: &'static str, pattern: &str, step: Step) -> Point {
        Point { address, calls: Match::Glob(pattern.to_string()), step, skip: 0 }
    }

    /// The same point, letting the first `n` matching calls through.
    pub fn after(mut self, n: u32) -> Point {
        self.skip = n;
        self
    }
}

/// `(type, id)` of every resource instance in the working directory's state file, tainted
/// ones included; ids lower-cased (Azure compares ids without case).
pub fn state_objects(tf: &Terraform) -> BTreeSet<(String, String)> {
    let text = std::fs::read_to_string(tf.dir().join("terraform.tfstate")).unwrap_or_default();
    let state: serde_json::Value = serde_json::from_str(&text).unwrap_or_default();
    let mut out = BTreeSet::new();
    for r in state["resources"].as_array().into_iter().flatten().filter(|r| r["mode"] == "managed") {
        let ty = r["type"].as_str().unwrap_or_default();
        if ty == "oppie_environment" {
            continue;
        }
        for i in r["instances"].as_array().into_iter().flatten() {
            let id = i["attributes"]["id"].as_str().unwrap_or("(no id)").to_ascii_lowercase();
            out.insert((ty.to_string(), id));
        }
    }
    out
}

/// The state file's entry for `address`: (id, status).
pub fn tracked(tf: &Terraform, address: &str) -> Option<(String, String)> {
    let text = std::fs::read_to_string(tf.dir().join("terraform.tfstate")).ok()?;
    let state: serde_json::Value = serde_json::from_str(&text).ok()?;
    let (ty, name) = address.split_once('.')?;
    let r = state["resources"].as_array()?.iter().find(|r| r["type"] == ty && r["name"] == name)?;
    let i = r["instances"].as_array()?.first()?;
    Some((
        i["attributes"]["id"].as_str().unwrap_or_default().to_string(),
        i["status"].as_str().unwrap_or("ok").to_string(),
    ))
}

/// Runs `points` in order in `tf` (configured with the whole stack through `proxy`, and
/// initialised), checking after each that the cloud holds exactly what state holds.
/// `cloud` lists the cloud's objects as `(type, id)`, ids lower-cased; `leftovers` the
/// objects the provider makes alongside them (gateways, route tables, groups, interfaces),
/// which must be gone after the final destroy.
pub fn run(
    tf: &Terraform,
    proxy: &FaultProxy,
    points: &[Point],
    cloud: &dyn Fn() -> BTreeSet<(String, String)>,
    leftovers: &dyn Fn() -> Vec<String>,
) {
    let agree = |when: &str| {
        let (have, want) = (cloud(), state_objects(tf));
        assert_eq!(have, want, "{when}: the cloud holds exactly what state holds (left: cloud, right: state)");
    };
    for p in points {
        let when = format!("{} {:?} {:?}", p.address, p.step, p.calls);
        let target = format!("-target={}", p.address);
        proxy.clear();
        tf.ok(&["destroy", "-auto-approve", &target]);
        let before = proxy.seen().len();
        match p.step {
            Step::Create => proxy.add_after(p.calls.clone(), Fault::DropAfter, p.skip, Some(1)),
            Step::Wait | Step::FollowUp => proxy.add_after(p.calls.clone(), Fault::DropBefore, p.skip, None),
        }
        let out = tf.run(&["apply", "-auto-approve", &target]);
        let hit = proxy.seen()[before..].iter().any(|s| s.outcome == "lost-drop" || s.outcome == "dropped");
        assert!(hit, "{when}: the fault never fired; calls: {:?}", &proxy.seen()[before..]);
        assert!(!out.all().contains("panic") && !out.all().contains("inconsistent result"), "{when}:\n{}", out.all());
        match p.step {
            Step::Create => assert_eq!(out.code, 0, "{when}: one lost answer is retried:\n{}", out.all()),
            Step::Wait | Step::FollowUp => {
                assert_eq!(out.code, 1, "{when}: the outage fails the apply:\n{}", out.all());
                let (id, status) = tracked(tf, p.address)
                    .unwrap_or_else(|| panic!("{when}: the object the cloud accepted is not in state:\n{}", out.all()));
                assert!(!id.is_empty(), "{when}: tracked without an id");
                assert_eq!(status, "tainted", "{when}");
            }
        }
        proxy.clear();
        tf.ok(&["apply", "-auto-approve", &target]);
        agree(&when);
    }
    proxy.clear();
    tf.apply();
    tf.assert_no_changes();
    agree("after the whole stack");
    tf.ok(&["destroy", "-auto-approve"]);
    assert!(cloud().is_empty(), "nothing left after destroy: {:?}", cloud());
    assert!(leftovers().is_empty(), "nothing left after destroy: {:?}", leftovers());
}
