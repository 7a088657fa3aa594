//! Narrower interpreters for small inputs: only the policy files the applicable rules need.
//!
//! regorus scans every loaded module each time a `data` path is first looked up in an
//! evaluation, and finds the current module by a linear search on every rule and function call,
//! so with one resource a quarter of the time grows with the number of files loaded. A server
//! sees the same few resource types over and over: for each set of rules that apply (the rules
//! whose METADATA `resource_types` the input holds), it compiles once an interpreter holding only
//! the files those rules reach, and evaluates with it.
//!
//! Which files a file reaches is read from its text (see [`super::text`]): every `data.a.b`
//! chain reaches the files whose package is a prefix of `a.b` or lies under it, a file reaches
//! the other files of its package, and a bare `data` (or `data[x]`) reaches everything, which
//! turns narrowing off. Over-reaching only keeps a file that was not needed.

use std::collections::{BTreeSet, HashMap};
use std::sync::{Arc, Mutex, OnceLock};

use super::affinity::Document;
use super::rego::{DataDocument, RegoEngine, RegoOptions, RegoSource};
use super::text::chains;
use crate::rules::RuleInfo;

/// At most this many narrower interpreters are kept; further sets use the full one.
const MAX_SPECIALISED: usize = 64;

/// What it takes to build narrower interpreters, and the ones built so far.
pub(crate) struct Narrowing {
    sources: Vec<RegoSource>,
    data: Vec<DataDocument>,
    options: RegoOptions,
    /// The package of each source.
    packages: Vec<Vec<String>>,
    /// The sources each source reaches (itself included), closed transitively.
    reach: Vec<BTreeSet<usize>>,
    /// Narrower interpreters by the units that apply (`None`: no narrower set for it); a slot
    /// is built once, by the first evaluation that needs it, while others for it wait.
    built: Mutex<HashMap<Vec<bool>, Slot>>,
}

type Slot = Arc<OnceLock<Option<Arc<Specialised>>>>;

/// A narrower interpreter and, for each of its units, the unit of the full set it stands for.
pub(crate) struct Specialised {
    pub(crate) engine: RegoEngine,
    pub(crate) units: Vec<usize>,
}

impl Narrowing {
    /// `sources` as given, `loaded` as compiled (aliases written out) with their `packages`;
    /// `None` when a file reaches all of `data`.
    pub(crate) fn new(
        sources: &[RegoSource],
        data: &[DataDocument],
        options: &RegoOptions,
        loaded: &[RegoSource],
        packages: &[Vec<String>],
    ) -> Option<Self> {
        let packages: Vec<Vec<String>> = packages.iter().take(loaded.len()).cloned().collect();
        let mut direct: Vec<BTreeSet<usize>> = Vec::with_capacity(loaded.len());
        for (index, source) in loaded.iter().enumerate() {
            let own = packages.get(index)?;
            let mut reached: BTreeSet<usize> = (0..packages.len()).filter(|&i| packages[i] == *own).collect();
            for chain in chains(&source.text) {
                if chain.first() != Some(&"data") {
                    continue;
                }
                let path = &chain[1..];
                if path.is_empty() {
                    return None; // `data` as a whole: anything may be needed
                }
                reached.extend((0..packages.len()).filter(|&i| {
                    let package = &packages[i];
                    let common = package.len().min(path.len());
                    package.iter().zip(path).take(common).all(|(a, b)| a == b)
                }));
            }
            direct.push(reached);
        }
        let reach = (0..direct.len())
            .map(|start| {
                let mut seen = BTreeSet::from([start]);
                let mut todo = vec![start];
                while let Some(next) = todo.pop() {
                    for &other in &direct[next] {
                        if seen.insert(other) {
                            todo.push(other);
                        }
                    }
                }
                seen
            })
            .collect();
        let options = RegoOptions { specialise: false, threads: 1, ..options.clone() };
        Some(Self {
            sources: sources.to_vec(),
            data: data.to_vec(),
            options,
            packages,
            reach,
            built: Mutex::new(HashMap::new()),
        })
    }

    /// The narrower interpreter for the units `applies` marks, building it on first use;
    /// `None` when it would hold every file or cannot be built (the full set then evaluates).
    pub(crate) fn engine_for(
        &self,
        applies: &[bool],
        documents: &[Document],
        rules: &[RuleInfo],
    ) -> Option<Arc<Specialised>> {
        let slot = {
            let mut built = self.built.lock().ok()?;
            match built.get(applies) {
                Some(slot) => Arc::clone(slot),
                None if built.len() < MAX_SPECIALISED => {
                    let slot = Slot::default();
                    built.insert(applies.to_vec(), Arc::clone(&slot));
                    slot
                }
                None => return None,
            }
        };
        slot.get_or_init(|| self.build(applies, documents, rules).map(Arc::new)).clone()
    }

    fn build(&self, applies: &[bool], documents: &[Document], rules: &[RuleInfo]) -> Option<Specialised> {
        let mut keep: BTreeSet<usize> = BTreeSet::new();
        for (unit, document) in documents.iter().enumerate() {
            if !applies.get(unit).copied().unwrap_or(true) {
                continue;
            }
            for (index, package) in self.packages.iter().enumerate() {
                if *package == document.0
                    && let Some(reached) = self.reach.get(index)
                {
                    keep.extend(reached);
                }
            }
        }
        if keep.len() == self.sources.len() {
            return None;
        }
        let sources: Vec<RegoSource> = keep.iter().filter_map(|&i| self.sources.get(i).cloned()).collect();
        let engine = match RegoEngine::load(&sources, &self.data, &self.options) {
            Ok(engine) => engine,
            Err(e) => {
                tracing::debug!("no narrower interpreter for this input: {e}");
                return None;
            }
        };
        // Each unit of the narrower set is the unit of the full set with the same rule document
        // and definition.
        let mut units = Vec::with_capacity(engine.units_len());
        for (document, rule) in engine.unit_documents().iter().zip(engine.rule_infos()) {
            let full =
                (0..documents.len()).find(|&u| documents[u] == *document && rules[u].location == rule.location)?;
            units.push(full);
        }
        tracing::debug!(
            "narrower interpreter: {} of {} files for {} rules",
            sources.len(),
            self.sources.len(),
            units.len()
        );
        Some(Specialised { engine, units })
    }
}
