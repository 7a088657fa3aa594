//! The conventional `timeouts { create = "10m" }` block and reading it.
//! Terraform itself knows nothing of it; bounded waits in resources read it here.

use std::time::Duration;

use crate::cty::AttributePath;
use crate::diag::Diagnostics;
use crate::duration;
use crate::object::Object;
use crate::schema::{Attribute, Block, NestedBlock};
use crate::validator;

/// An operation a timeout bounds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Operation {
    /// Create.
    Create,
    /// Read.
    Read,
    /// Update.
    Update,
    /// Delete.
    Delete,
}

impl Operation {
    /// The attribute name in the `timeouts` block.
    pub fn name(self) -> &'static str {
        match self {
            Operation::Create => "create",
            Operation::Read => "read",
            Operation::Update => "update",
            Operation::Delete => "delete",
        }
    }
}

/// The `timeouts` block for the given operations, with each default in its description.
pub fn block(defaults: &[(Operation, Duration)]) -> NestedBlock {
    let mut b = Block::new().description("How long to wait for each operation before giving up.");
    for (op, d) in defaults {
        b = b.attribute(
            Attribute::string(op.name())
                .optional()
                .description(format!(
                    "How long {} may take, as a duration like \"10m\" (default {}).",
                    op.name(),
                    duration::format(*d)
                ))
                .validator(validator::from_fn("a duration such as \"30s\" or \"10m\"", |v| {
                    v.as_str().map_or(Ok(()), |s| duration::parse(s).map(|_| ()))
                })),
        );
    }
    NestedBlock::single("timeouts", b)
}

/// The configured timeout for `op` in `object`'s `timeouts` block, or `default`.
pub fn get(object: &Object, op: Operation, default: Duration) -> Result<Duration, Diagnostics> {
    let path = AttributePath::attr("timeouts").with_attr(op.name());
    match object.at(&path).and_then(|v| v.as_str()) {
        Some(s) => duration::parse(s).map_err(|e| Diagnostics::attribute_error(path, "Invalid timeout", e)),
        None => Ok(default),
    }
}

/// One time limit across the several steps of an operation (create a VPC, tag it,
/// wait for it): each step runs within what is left.
#[derive(Debug, Clone, Copy)]
pub struct Deadline {
    end: std::time::Instant,
    limit: Duration,
}

impl Deadline {
    /// The configured timeout for `op` (or `default`), starting now.
    pub fn start(object: &Object, op: Operation, default: Duration) -> Result<Deadline, Diagnostics> {
        let limit = get(object, op, default)?;
        Ok(Deadline { end: std::time::Instant::now() + limit, limit })
    }

    /// The whole limit.
    pub fn limit(&self) -> Duration {
        self.limit
    }

    /// Time left.
    pub fn remaining(&self) -> Duration {
        self.end.saturating_duration_since(std::time::Instant::now())
    }

    /// Runs one step within the time left; a timeout names the whole limit and says how
    /// to raise it, and Terraform's stop request cancels the step.
    pub async fn run<C, T>(
        &self,
        ctx: &crate::Context<C>,
        what: &str,
        step: impl std::future::Future<Output = Result<T, Diagnostics>>,
    ) -> Result<T, Diagnostics> {
        ctx.bounded(what, self.remaining(), step).await.map_err(|mut d| {
            for diag in &mut d.0 {
                if diag.summary.starts_with("Timed out") {
                    diag.detail = format!(
                        "Gave up after {} (the limit for this operation). Raise it in the resource's timeouts block if the cloud is slow.",
                        duration::format(self.limit)
                    );
                }
            }
            d
        })
    }
}
