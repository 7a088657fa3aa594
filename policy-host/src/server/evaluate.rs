//! Admission and evaluation, shared by the HTTP and gRPC front ends: a bounded number of
//! evaluations run on blocking threads, a bounded number wait, the rest are refused at once.

use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Instant;

use tokio::sync::Semaphore;

use super::metrics::Metrics;
use super::store::{Loaded, Store};
use crate::input::Input;
use crate::report::{FileReport, Report};
use crate::rules::Enforcement;

/// Why a request was not evaluated.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Refusal {
    /// Every evaluation slot and queue place is taken.
    #[error("the server is at its concurrency limit; retry later")]
    Overloaded,
    /// The document is not a plan or state (the message carries `request:line:col`).
    #[error("{0}")]
    BadInput(String),
    /// The evaluation task itself failed (it panicked or was cancelled).
    #[error("evaluation failed: {0}")]
    Internal(String),
}

/// An evaluated document: the report `check --format json` would print, and the revision.
#[derive(Debug)]
pub struct Checked {
    /// Findings, rule catalogue and verdict.
    pub report: Report,
    /// The revision of the policy set that evaluated it.
    pub revision: String,
}

/// The name checked documents carry in reports and error locations.
pub const REQUEST_NAME: &str = "request";

/// Runs evaluations against the store's current set within the concurrency bounds.
pub struct Evaluator {
    store: Arc<Store>,
    /// Evaluating plus waiting requests; a request that finds none free is refused.
    admission: Arc<Semaphore>,
    /// Evaluations running at once.
    running: Arc<Semaphore>,
    metrics: Arc<Metrics>,
}

/// Documents up to this size (a few resources) may be evaluated on the runtime thread.
const INLINE_MAX_BYTES: usize = 64 * 1024;

/// Small documents are evaluated on the runtime thread while they have lately taken less than
/// this on average; above it they go to blocking threads like large ones.
const INLINE_MAX_MICROS: u64 = 2_000;

impl Evaluator {
    /// `max_concurrency` evaluations run at once; `max_queue` more may wait for a slot.
    pub(crate) fn new(store: Arc<Store>, max_concurrency: usize, max_queue: usize, metrics: Arc<Metrics>) -> Self {
        let max_concurrency = max_concurrency.max(1);
        Self {
            store,
            admission: Arc::new(Semaphore::new(max_concurrency.saturating_add(max_queue))),
            running: Arc::new(Semaphore::new(max_concurrency)),
            metrics,
        }
    }

    /// The store the evaluator reads.
    pub fn store(&self) -> &Arc<Store> {
        &self.store
    }

    /// Runs `work` on a blocking thread with the set in force, once admitted.
    pub async fn run<T, F>(&self, work: F) -> Result<T, Refusal>
    where
        T: Send + 'static,
        F: FnOnce(&Loaded) -> T + Send + 'static,
    {
        self.run_where(false, work).await
    }

    /// Runs `work` once admitted: on this runtime thread when `small` and small evaluations with
    /// this policy set have lately been quick (see [`INLINE_MAX_MICROS`] and
    /// `Loaded::small_eval_micros`), else on a blocking thread. Handing a
    /// one-resource check to a blocking thread and back cost a fifth of the server's throughput
    /// (2,000 vs 2,600 checks/s on 2 cores); a slow policy still never holds a runtime thread
    /// for long, because its first slow evaluations move the next ones off.
    async fn run_where<T, F>(&self, small: bool, work: F) -> Result<T, Refusal>
    where
        T: Send + 'static,
        F: FnOnce(&Loaded) -> T + Send + 'static,
    {
        let Ok(_admitted) = Arc::clone(&self.admission).try_acquire_owned() else {
            self.metrics.rejected("overloaded");
            return Err(Refusal::Overloaded);
        };
        let running = Arc::clone(&self.running)
            .acquire_owned()
            .await
            .map_err(|_| Refusal::Internal("the server is shutting down".into()))?;
        // The set is taken after admission, so a request that waited sees the newest one.
        let loaded = self.store.current();
        let metrics = Arc::clone(&self.metrics);
        let timed = move |loaded: &Loaded| {
            let started = Instant::now();
            let result = work(loaded);
            if small {
                let micros = u64::try_from(started.elapsed().as_micros()).unwrap_or(u64::MAX);
                // A moving average over about the last eight small evaluations.
                let _ = loaded.small_eval_micros.fetch_update(Ordering::Relaxed, Ordering::Relaxed, |old| {
                    Some(old.saturating_mul(7).saturating_add(micros) / 8)
                });
            }
            result
        };
        if small && loaded.small_eval_micros.load(Ordering::Relaxed) < INLINE_MAX_MICROS {
            let _running = running;
            let _in_flight = InFlight::enter(&metrics);
            return Ok(timed(&loaded));
        }
        let task = tokio::task::spawn_blocking(move || {
            let _running = running;
            let _in_flight = InFlight::enter(&metrics);
            timed(&loaded)
        });
        task.await.map_err(|e| Refusal::Internal(e.to_string()))
    }

    /// Checks a plan or state document (JSON bytes, UTF-8 or UTF-16 with BOM).
    pub async fn check(&self, document: Vec<u8>, fail_on: Enforcement) -> Result<Checked, Refusal> {
        let metrics = Arc::clone(&self.metrics);
        let small = document.len() <= INLINE_MAX_BYTES;
        self.run_where(small, move |loaded| {
            let input = Input::from_bytes(REQUEST_NAME, &document).map_err(|e| Refusal::BadInput(e.to_string()))?;
            let started = Instant::now();
            let findings = loaded.set.evaluate(&input);
            metrics.evaluation(&findings, fail_on, started.elapsed());
            let report = Report {
                files: vec![FileReport::new(&input, findings, true)],
                rules: loaded.set.rules().into_iter().cloned().collect(),
                fail_on,
            };
            Ok(Checked { report, revision: loaded.revision.clone() })
        })
        .await?
    }

    /// Checks one resource change (an entry of `resource_changes`), presented to the policies
    /// as a plan holding only that change, the document the provider sends at plan time.
    pub async fn check_resource(&self, change: &[u8], fail_on: Enforcement) -> Result<Checked, Refusal> {
        self.check(resource_plan(change)?, fail_on).await
    }
}

/// Counts an evaluation in the in-flight gauge for as long as it lives (a panicking
/// evaluation included).
struct InFlight<'a>(&'a Metrics);

impl<'a> InFlight<'a> {
    fn enter(metrics: &'a Metrics) -> Self {
        metrics.in_flight().inc();
        Self(metrics)
    }
}

impl Drop for InFlight<'_> {
    fn drop(&mut self) {
        self.0.in_flight().dec();
    }
}

/// Wraps one resource change into a plan document; the change must be a JSON object.
pub fn resource_plan(change: &[u8]) -> Result<Vec<u8>, Refusal> {
    let text = crate::input::decode_text(REQUEST_NAME, change).map_err(|e| Refusal::BadInput(e.to_string()))?;
    let value: serde_json::Value = serde_json::from_str(&text)
        .map_err(|e| Refusal::BadInput(format!("{REQUEST_NAME}:{}:{}: invalid JSON: {e}", e.line(), e.column())))?;
    if !value.is_object() {
        return Err(Refusal::BadInput(format!(
            "{REQUEST_NAME}: expected one resource change (a JSON object with address, type, change), found {}",
            json_kind(&value)
        )));
    }
    let plan = serde_json::json!({
        "format_version": "1.2",
        "planned_values": {"root_module": {"resources": []}},
        "resource_changes": [value],
    });
    serde_json::to_vec(&plan).map_err(|e| Refusal::Internal(e.to_string()))
}

fn json_kind(value: &serde_json::Value) -> &'static str {
    match value {
        serde_json::Value::Null => "null",
        serde_json::Value::Bool(_) => "a boolean",
        serde_json::Value::Number(_) => "a number",
        serde_json::Value::String(_) => "a string",
        serde_json::Value::Array(_) => "an array",
        serde_json::Value::Object(_) => "an object",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn resource_changes_are_wrapped_into_a_plan() {
        let plan = resource_plan(br#"{"address": "oppie_bucket.logs", "type": "oppie_bucket"}"#).unwrap();
        let value: serde_json::Value = serde_json::from_slice(&plan).unwrap();
        assert_eq!(value["resource_changes"][0]["address"], "oppie_bucket.logs");
        assert_eq!(value["format_version"], "1.2");
        let err = resource_plan(b"[1]").unwrap_err();
        assert!(err.to_string().contains("found an array"), "{err}");
        let err = resource_plan(b"{\"a\":").unwrap_err();
        assert!(err.to_string().starts_with("request:1:5: invalid JSON"), "{err}");
    }

    proptest::proptest! {
        #[test]
        fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(proptest::num::u8::ANY, 0..256)) {
            let _ = resource_plan(&bytes);
        }
    }
}
