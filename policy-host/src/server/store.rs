//! The policy set in force and its replacement: the sources are fingerprinted, a changed set is
//! compiled completely on the side and swapped in atomically; a failed build keeps the old set.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::SystemTime;

use arc_swap::ArcSwap;
use sha2::{Digest, Sha256};

use super::metrics::Metrics;
use crate::error::{Error, Result};
use crate::policy_set::{PolicySet, PolicySetBuilder};

/// A compiled policy set with the revision of the sources it was built from.
#[derive(Debug)]
pub struct Loaded {
    /// The compiled policies.
    pub set: PolicySet,
    /// `sha256:` and the first 16 hex digits of the digest over every source file.
    pub revision: String,
    /// When it was compiled.
    pub loaded_at: SystemTime,
    /// Moving average of how long small documents took with this set, in microseconds; a new
    /// set starts as if they were slow, so it must show they are quick before any runs on a
    /// runtime thread (see `Evaluator`).
    pub(crate) small_eval_micros: std::sync::atomic::AtomicU64,
}

impl Loaded {
    fn new(set: PolicySet, revision: String) -> Self {
        Self { set, revision, loaded_at: SystemTime::now(), small_eval_micros: UNPROVEN_MICROS.into() }
    }
}

/// Where a new set's moving average of small evaluations starts: after about 50 quick
/// evaluations (on blocking threads) it falls under the inline threshold.
const UNPROVEN_MICROS: u64 = 1_000_000;

/// What a reload did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Reload {
    /// The sources did not change since the set in force (or since the last failed attempt).
    Unchanged,
    /// A new set is in force.
    Swapped {
        /// Its revision.
        revision: String,
    },
    /// The new sources did not build; the previous set stays in force.
    Failed {
        /// The compiler's or loader's message.
        message: String,
    },
}

/// Holds the set in force. Readers take an `Arc` of it for a whole evaluation, so a request
/// never sees part of one revision and part of another.
pub struct Store {
    builder: PolicySetBuilder,
    watched: Vec<PathBuf>,
    current: ArcSwap<Loaded>,
    /// Serialises reloads; holds the fingerprint of the last sources that failed to build, so
    /// a broken edit is reported once rather than at every poll.
    reloading: tokio::sync::Mutex<Option<String>>,
    metrics: Arc<Metrics>,
}

impl Store {
    /// Compiles the initial set (blocking). `watched` are the policy and data paths whose
    /// contents define the revision.
    pub(crate) fn open(builder: PolicySetBuilder, watched: Vec<PathBuf>, metrics: Arc<Metrics>) -> Result<Self> {
        let revision = fingerprint(&watched)?;
        let set = builder.clone().build()?;
        let loaded = Loaded::new(set, revision);
        metrics.loaded(&loaded.revision, loaded.set.rules().len(), true);
        Ok(Self {
            builder,
            watched,
            current: ArcSwap::from_pointee(loaded),
            reloading: tokio::sync::Mutex::new(None),
            metrics,
        })
    }

    /// The set in force.
    pub fn current(&self) -> Arc<Loaded> {
        self.current.load_full()
    }

    /// Rebuilds the set if its sources changed (always when `force`, as on SIGHUP). The new
    /// set is compiled on a blocking thread while requests keep using the old one.
    pub async fn reload(self: &Arc<Self>, force: bool) -> Reload {
        let mut last_failed = self.reloading.lock().await;
        let store = Arc::clone(self);
        let built = tokio::task::spawn_blocking(move || -> Result<Option<Loaded>> {
            let revision = fingerprint(&store.watched)?;
            let unchanged = revision == store.current.load().revision;
            if !force && unchanged {
                return Ok(None);
            }
            let set = store.builder.clone().build()?;
            Ok(Some(Loaded::new(set, revision)))
        });
        let outcome = match built.await {
            Ok(Ok(None)) => Reload::Unchanged,
            Ok(Ok(Some(loaded))) => {
                let revision = loaded.revision.clone();
                self.metrics.loaded(&revision, loaded.set.rules().len(), false);
                self.current.store(Arc::new(loaded));
                *last_failed = None;
                tracing::info!(%revision, "policies reloaded");
                Reload::Swapped { revision }
            }
            Ok(Err(e)) => Reload::Failed { message: e.to_string() },
            Err(e) => Reload::Failed { message: format!("the reload task failed: {e}") },
        };
        if let Reload::Failed { message } = &outcome {
            // Poll reloads of the same broken sources are reported once; SIGHUP always is.
            let key = fingerprint(&self.watched).unwrap_or_else(|_| message.clone());
            if force || last_failed.as_deref() != Some(key.as_str()) {
                self.metrics.reload_failed();
                tracing::error!("policy reload failed, keeping revision {}: {message}", self.current().revision);
            }
            *last_failed = Some(key);
        }
        outcome
    }

    /// Whether the sources differ from the set in force and from the last failed attempt
    /// (what the poller asks before it reloads).
    pub(crate) async fn changed(self: &Arc<Self>) -> bool {
        let store = Arc::clone(self);
        let revision = tokio::task::spawn_blocking(move || fingerprint(&store.watched)).await;
        let Ok(revision) = revision else { return false };
        let revision = match revision {
            Ok(r) => r,
            // Unreadable sources (a file being replaced): try a reload, which reports it.
            Err(e) => e.to_string(),
        };
        if revision == self.current.load().revision {
            return false;
        }
        self.reloading.lock().await.as_deref() != Some(revision.as_str())
    }
}

/// The revision of a set of sources: a digest over every file's path and contents, in a stable
/// order (directories are walked the way the loader walks them).
pub(crate) fn fingerprint(paths: &[PathBuf]) -> Result<String> {
    let mut hasher = Sha256::new();
    for path in paths {
        let files = if path.is_dir() { crate::loader::walk(path)? } else { vec![path.clone()] };
        for file in files {
            // Editors' swap files and files being written to the side (`.x.rego.tmp`) are not
            // policies; `.manifest` is (it sets the Rego version).
            let name = file.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
            if name.starts_with('.') && name != ".manifest" && path.is_dir() {
                continue;
            }
            hash_file(&mut hasher, &file)?;
        }
    }
    let digest = hasher.finalize();
    let hex: String = digest.iter().take(8).map(|b| format!("{b:02x}")).collect();
    Ok(format!("sha256:{hex}"))
}

fn hash_file(hasher: &mut Sha256, file: &Path) -> Result<()> {
    let bytes = std::fs::read(file).map_err(|e| Error::io(file, e))?;
    let name = file.to_string_lossy();
    // Lengths first, so no two different (name, contents) sequences hash alike.
    hasher.update((name.len() as u64).to_le_bytes());
    hasher.update(name.as_bytes());
    hasher.update((bytes.len() as u64).to_le_bytes());
    hasher.update(&bytes);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fingerprints_follow_contents_and_names() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("a.rego"), "package a\n").unwrap();
        let paths = vec![dir.path().to_path_buf()];
        let first = fingerprint(&paths).unwrap();
        assert_eq!(first, fingerprint(&paths).unwrap());
        assert!(first.starts_with("sha256:") && first.len() == 7 + 16, "{first}");
        std::fs::write(dir.path().join("a.rego"), "package b\n").unwrap();
        let edited = fingerprint(&paths).unwrap();
        assert_ne!(first, edited);
        std::fs::rename(dir.path().join("a.rego"), dir.path().join("c.rego")).unwrap();
        let renamed = fingerprint(&paths).unwrap();
        assert_ne!(edited, renamed);
        std::fs::write(dir.path().join(".c.rego.swp"), "scratch").unwrap();
        let with_scratch = fingerprint(&paths).unwrap();
        assert_eq!(with_scratch, renamed, "hidden scratch files do not count");
        std::fs::write(dir.path().join(".manifest"), "{}").unwrap();
        assert_ne!(with_scratch, fingerprint(&paths).unwrap(), "the manifest counts");
        std::fs::remove_file(dir.path().join(".manifest")).unwrap();
        assert_eq!(with_scratch, fingerprint(&paths).unwrap());
        let missing = fingerprint(&[dir.path().join("gone.rego")]).unwrap_err();
        assert!(missing.to_string().contains("gone.rego"), "{missing}");
    }
}
