//! Which rules share helper values, so parallel workers can take rules that share them.
//!
//! regorus caches a rule's value for one evaluation in one interpreter: two workers that both
//! use `data.oppie.lib.subject_facts` both compute it. On a large plan the helpers cost as much
//! as the rules (the ingress entries, the subject facts, the index: ~100 ms each on 10,000
//! resources), so each worker should start with rules whose helpers overlap and reach the
//! other workers' rules last. This module finds, from the policy text, the rules each rule
//! uses directly or through others, and deals the rules into one group per worker.

use std::collections::{BTreeMap, BTreeSet, VecDeque};

use regorus::unstable::{Module, Rule, RuleHead};

use super::text::{chains, identifiers};

/// A rule document: package components and rule name.
pub(crate) type Document = (Vec<String>, String);

/// The rules of every module by document, with what each one's text refers to.
pub(crate) struct Uses {
    /// Every rule document mentioned, with whether it is a value (not a function).
    nodes: BTreeMap<Document, bool>,
    /// The documents each document's definitions refer to.
    edges: BTreeMap<Document, BTreeSet<Document>>,
}

impl Uses {
    /// Reads the rules of `modules` (whose packages are `packages`, in the same order).
    pub(crate) fn of<M: AsRef<Module>>(modules: &[M], packages: &[Vec<String>]) -> Self {
        let mut nodes: BTreeMap<Document, bool> = BTreeMap::new();
        for (module, package) in modules.iter().zip(packages) {
            for rule in &module.as_ref().policy {
                if let Some((name, is_function)) = head(rule) {
                    let value = nodes.entry((package.clone(), name)).or_insert(true);
                    *value &= !is_function;
                }
            }
        }
        let known_packages: BTreeSet<&Vec<String>> = packages.iter().collect();
        let mut edges: BTreeMap<Document, BTreeSet<Document>> = BTreeMap::new();
        for (module, package) in modules.iter().zip(packages) {
            let module = module.as_ref();
            let aliases: BTreeMap<String, Vec<String>> = module
                .imports
                .iter()
                .filter_map(|import| {
                    let target = import.refr.span().text();
                    if target.contains('[') {
                        return None;
                    }
                    let target: Vec<String> = target.split('.').map(str::to_string).collect();
                    if target.first().map(String::as_str) != Some("data") || target.len() < 2 {
                        return None;
                    }
                    let alias = match &import.r#as {
                        Some(alias) => alias.text().to_string(),
                        None => target.last()?.clone(),
                    };
                    Some((alias, target[1..].to_vec()))
                })
                .collect();
            for rule in &module.policy {
                let Some((name, _)) = head(rule) else {
                    continue;
                };
                let uses = edges.entry((package.clone(), name)).or_default();
                let text = rule.span().text();
                let locals = locals(text);
                for chain in chains(text) {
                    // A local variable that shares a rule's name (`blocks(rc, name)`) is not that rule.
                    if chain.first().is_some_and(|first| locals.contains(first)) {
                        continue;
                    }
                    let target = resolve(&chain, package, &aliases, &known_packages, &nodes);
                    uses.extend(target);
                }
            }
        }
        Self { nodes, edges }
    }

    /// The value rules of other packages `document` uses, directly or through other rules and
    /// functions (the rules of its own package are its own business, not shared helpers).
    pub(crate) fn helpers(&self, document: &Document) -> BTreeSet<Document> {
        let mut seen: BTreeSet<&Document> = BTreeSet::new();
        let mut queue: VecDeque<&Document> = VecDeque::from([document]);
        while let Some(next) = queue.pop_front() {
            for used in self.edges.get(next).into_iter().flatten() {
                if seen.insert(used) {
                    queue.push_back(used);
                }
            }
        }
        seen.into_iter()
            .filter(|d| d.0 != document.0 && self.nodes.get(*d).copied().unwrap_or(false))
            .cloned()
            .collect()
    }
}

/// The name a rule defines and whether it is a function.
fn head(rule: &Rule) -> Option<(String, bool)> {
    let (refr, is_function) = match rule {
        Rule::Spec { head, .. } => match head {
            RuleHead::Compr { refr, .. } | RuleHead::Set { refr, .. } => (refr, false),
            RuleHead::Func { refr, .. } => (refr, true),
        },
        Rule::Default { refr, args, .. } => (refr, !args.is_empty()),
    };
    let text = refr.span().text();
    let name: String = text.chars().take_while(|c| c.is_ascii_alphanumeric() || *c == '_').collect();
    (!name.is_empty()).then_some((name, is_function))
}

/// The names a rule's text binds: function parameters, `some`/`every` variables and `x :=`
/// assignments (an over-approximation is harmless: a shadowed name only hides an edge).
fn locals(text: &str) -> BTreeSet<&str> {
    let mut out = BTreeSet::new();
    let words: Vec<(usize, &str)> = identifiers(text);
    // Parameters: the identifiers between the first `(` and its `)` when the head comes first.
    let head_end = text.find([':', '{', '=']).unwrap_or(text.len());
    if let Some(open) = text.find('(')
        && open < head_end
        && text[..open].trim().chars().all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '.')
    {
        let close = text[open..].find(')').map_or(text.len(), |c| open + c);
        out.extend(words.iter().filter(|(at, _)| *at > open && *at < close).map(|(_, w)| *w));
    }
    for (index, (at, word)) in words.iter().enumerate() {
        if matches!(*word, "some" | "every") {
            // `some x`, `some k, v in xs`, `every x in xs`: names up to `in` on the same line.
            let line_end = text[*at..].find(['\n', ';']).map_or(text.len(), |e| at + e);
            for (later, name) in &words[index + 1..] {
                if *later >= line_end || *name == "in" {
                    break;
                }
                out.insert(*name);
            }
        } else if text[at + word.len()..].trim_start().starts_with(":=") {
            out.insert(*word);
        }
    }
    out
}

/// The rule document a chain names, if any: `alias.rule` through an import, `data.pkg.rule`,
/// or a rule of the chain's own package.
fn resolve(
    chain: &[&str],
    package: &[String],
    aliases: &BTreeMap<String, Vec<String>>,
    packages: &BTreeSet<&Vec<String>>,
    nodes: &BTreeMap<Document, bool>,
) -> Option<Document> {
    let (first, rest) = chain.split_first()?;
    let document = if let Some(target) = aliases.get(*first) {
        (target.clone(), (*rest.first()?).to_string())
    } else if *first == "data" {
        // The longest prefix that is a package; the next component is the rule.
        (1..rest.len()).rev().find_map(|split| {
            let candidate: Vec<String> = rest[..split].iter().map(|s| (*s).to_string()).collect();
            packages.contains(&candidate).then(|| (candidate, rest[split].to_string()))
        })?
    } else {
        (package.to_vec(), (*first).to_string())
    };
    nodes.contains_key(&document).then_some(document)
}

/// One order of the units per worker: worker `w` starts with its group (units whose helpers
/// overlap most) and then walks the other groups from their far end, so two workers reach a
/// group's rules from opposite sides and a worker uses another group's helpers only when its
/// own group is done. `helpers[u]` are unit `u`'s helpers; the result holds every unit in
/// each order.
pub(crate) fn worker_orders(helpers: &[BTreeSet<Document>], workers: usize) -> Vec<Vec<usize>> {
    let units = helpers.len();
    let workers = workers.clamp(1, units.max(1));
    // A helper every rule uses says nothing about which rules belong together (every worker
    // computes it anyway); one few rules use says much: each helper weighs log(units / users).
    let mut users: BTreeMap<&Document, usize> = BTreeMap::new();
    for used in helpers.iter().flatten() {
        *users.entry(used).or_default() += 1;
    }
    let weight = |d: &Document| users.get(d).map_or(0.0, |&n| (units as f64 / n as f64).ln());
    let similarity = |a: &BTreeSet<Document>, b: &BTreeSet<Document>| {
        let union: f64 = a.union(b).map(weight).sum();
        if union <= 0.0 { 1.0 } else { a.intersection(b).map(weight).sum::<f64>() / union }
    };
    // Seeds: the unit with the most helpers, then each time the unit least like every seed.
    let mut seeds: Vec<usize> = Vec::with_capacity(workers);
    if let Some(first) = (0..units).max_by_key(|&u| (helpers[u].len(), std::cmp::Reverse(u))) {
        seeds.push(first);
    }
    while seeds.len() < workers {
        let next = (0..units).filter(|u| !seeds.contains(u)).min_by(|&a, &b| {
            let closest = |u: usize| seeds.iter().map(|&s| similarity(&helpers[u], &helpers[s])).fold(0.0, f64::max);
            closest(a).total_cmp(&closest(b)).then(a.cmp(&b))
        });
        match next {
            Some(next) => seeds.push(next),
            None => break,
        }
    }
    let mut groups: Vec<Vec<usize>> = seeds.iter().map(|&s| vec![s]).collect();
    let mut unions: Vec<BTreeSet<Document>> = seeds.iter().map(|&s| helpers[s].clone()).collect();
    let mut rest: Vec<usize> = (0..units).filter(|u| !seeds.contains(u)).collect();
    rest.sort_by_key(|&u| (std::cmp::Reverse(helpers[u].len()), u));
    for unit in rest {
        let best = (0..groups.len()).max_by(|&a, &b| {
            similarity(&helpers[unit], &unions[a])
                .total_cmp(&similarity(&helpers[unit], &unions[b]))
                .then(groups[b].len().cmp(&groups[a].len()))
        });
        if let Some(best) = best {
            groups[best].push(unit);
            unions[best].extend(helpers[unit].iter().cloned());
        }
    }
    for group in &mut groups {
        group.sort_unstable();
    }
    (0..groups.len())
        .map(|w| {
            let mut order = groups[w].clone();
            for other in (1..groups.len()).map(|k| (w + k) % groups.len()) {
                order.extend(groups[other].iter().rev());
            }
            order
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn load(sources: &[(&str, &str)]) -> (Vec<regorus::unstable::Ref<Module>>, Vec<Vec<String>>) {
        let mut engine = regorus::Engine::new();
        for (name, text) in sources {
            engine.add_policy((*name).to_string(), (*text).to_string()).expect("policy");
        }
        let packages = engine.get_policy_package_components().expect("packages");
        (engine.get_modules().clone(), packages.into_iter().map(|p| p.components).collect())
    }

    fn doc(package: &str, name: &str) -> Document {
        (package.split('.').map(str::to_string).collect(), name.to_string())
    }

    const LIB: &str = r#"package h
facts := count(input.a)
ingress := [x | some x in input.b]
index := {"n": 1}
env(rc) := facts
wide := facts + count(index)
"#;

    #[test]
    fn helpers_follow_imports_functions_and_data_paths() {
        let (modules, packages) = load(&[
            ("h.rego", LIB),
            ("a.rego", "package a\nimport data.h\ndeny contains 1 if h.env(1) # h.ingress in a comment\n"),
            (
                "b.rego",
                "package b\nimport data.h as lib\n_own := lib.ingress\ndeny contains x if { x := _own; \"h.index\" }\n",
            ),
            ("c.rego", "package c\ndeny contains x if x := data.h.wide\n"),
        ]);
        let uses = Uses::of(&modules, &packages);
        assert_eq!(uses.helpers(&doc("a", "deny")), BTreeSet::from([doc("h", "facts")]));
        // Through its own package's `_own`, which is not itself a shared helper.
        assert_eq!(uses.helpers(&doc("b", "deny")), BTreeSet::from([doc("h", "ingress")]));
        assert_eq!(
            uses.helpers(&doc("c", "deny")),
            BTreeSet::from([doc("h", "wide"), doc("h", "facts"), doc("h", "index")])
        );
    }

    #[test]
    fn rules_sharing_helpers_start_on_the_same_worker() {
        let set = |names: &[&str]| names.iter().map(|n| doc("h", n)).collect::<BTreeSet<_>>();
        let helpers = vec![
            set(&["index", "facts"]),
            set(&["index", "ingress"]),
            set(&["index", "facts", "tags"]),
            set(&["index", "ingress"]),
            set(&["index"]),
        ];
        let orders = worker_orders(&helpers, 2);
        assert_eq!(orders.len(), 2);
        for order in &orders {
            let mut sorted = order.clone();
            sorted.sort_unstable();
            assert_eq!(sorted, vec![0, 1, 2, 3, 4], "every order holds every unit once");
        }
        let first_two = |o: &Vec<usize>| o[..2].iter().copied().collect::<BTreeSet<_>>();
        let (a, b) = (first_two(&orders[0]), first_two(&orders[1]));
        assert!(a == BTreeSet::from([0, 2]) || b == BTreeSet::from([0, 2]), "{orders:?}");
        assert!(a == BTreeSet::from([1, 3]) || b == BTreeSet::from([1, 3]), "{orders:?}");
    }

    #[test]
    fn locals_are_parameters_iteration_variables_and_assignments() {
        let text = "blocks(rc, name) := {e |\n some i, b in rc.x\n e := {\"i\": i}\n every q in b { q }\n}";
        assert_eq!(locals(text), BTreeSet::from(["rc", "name", "i", "b", "e", "q"]));
        assert_eq!(locals("deny contains x if count(facts) > 0"), BTreeSet::new());
    }

    #[test]
    fn degenerate_inputs() {
        assert!(worker_orders(&[], 2).iter().all(Vec::is_empty));
        assert_eq!(worker_orders(&[BTreeSet::new()], 3), vec![vec![0]]);
    }
}
