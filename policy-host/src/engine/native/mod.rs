//! Host functions of the built-in `data.oppie.lib`: the per-attribute helpers every rule calls
//! for every resource (`is_unknown`, `known`), the effective tag map, the one pass that sorts
//! a plan's resource changes into subjects and by-type groups, and the name and environment of
//! every subject, and the firewall rules that let traffic in ([`ingress`]), computed natively.
//!
//! In regorus each builtin call or function clause costs a microsecond or two, so the Rego
//! versions cost 10-15 µs per `known` call, about 100 µs per resource for the tag map and 15 µs
//! per resource for the sorting. The policy-facing semantics stay in `lib.rego` (which paths hold
//! the tags of which resource type, which resources are judged); these functions only do the
//! mechanical part. The tests hold each to the Rego definition it replaced.

mod ingress;

use std::collections::{BTreeMap, BTreeSet};

use regorus::Value;

/// Name of [`tag_maps`] as the library calls it.
pub(crate) const TAG_MAPS: &str = "oppie_policy_tag_maps";

/// Name of [`is_unknown`] as the library calls it.
pub(crate) const IS_UNKNOWN: &str = "oppie_policy_is_unknown";

/// Name of [`known`] as the library calls it.
pub(crate) const KNOWN: &str = "oppie_policy_known";

/// Name of [`managed_changes`] as the library calls it.
pub(crate) const MANAGED_CHANGES: &str = "oppie_policy_managed_changes";

/// Name of [`module_resources`] as the library calls it.
pub(crate) const MODULE_RESOURCES: &str = "oppie_policy_module_resources";

/// Name of [`index`] as the library calls it.
pub(crate) const INDEX: &str = "oppie_policy_index";

/// Name of [`subject_facts`] as the library calls it.
pub(crate) const SUBJECT_FACTS: &str = "oppie_policy_subject_facts";

/// Name of [`map_keys`] as the library calls it.
pub(crate) const MAP_KEYS: &str = "oppie_policy_map_keys";

/// Name of [`missing_tags`] as the library calls it.
pub(crate) const MISSING_TAGS: &str = "oppie_policy_missing_tags";

/// Registers the host functions on an interpreter.
pub(crate) fn register(engine: &mut regorus::Engine) -> anyhow::Result<()> {
    engine.add_extension(
        MANAGED_CHANGES.to_string(),
        1,
        Box::new(|args: Vec<Value>| Ok(memoised(MANAGED_CHANGES, &args, managed_changes))),
    )?;
    engine.add_extension(
        MODULE_RESOURCES.to_string(),
        1,
        Box::new(|args: Vec<Value>| Ok(memoised(MODULE_RESOURCES, &args, module_resources))),
    )?;
    engine.add_extension(INDEX.to_string(), 2, Box::new(|args: Vec<Value>| Ok(memoised(INDEX, &args, index))))?;
    engine.add_extension(
        SUBJECT_FACTS.to_string(),
        4,
        Box::new(|args: Vec<Value>| Ok(memoised(SUBJECT_FACTS, &args, subject_facts))),
    )?;
    engine.add_extension(
        ingress::INGRESS_RULES.to_string(),
        1,
        Box::new(|args: Vec<Value>| Ok(memoised(ingress::INGRESS_RULES, &args, ingress::ingress_rules))),
    )?;
    engine.add_extension(
        ingress::WORLD_OPEN_INGRESS.to_string(),
        2,
        Box::new(|args: Vec<Value>| Ok(memoised(ingress::WORLD_OPEN_INGRESS, &args, ingress::world_open_ingress))),
    )?;
    engine.add_extension(MAP_KEYS.to_string(), 2, Box::new(|args: Vec<Value>| Ok(map_keys(&args))))?;
    engine.add_extension(MISSING_TAGS.to_string(), 2, Box::new(|args: Vec<Value>| Ok(missing_tags(&args))))?;
    engine.add_extension(TAG_MAPS.to_string(), 2, Box::new(|args: Vec<Value>| Ok(tag_maps(&args))))?;
    engine.add_extension(IS_UNKNOWN.to_string(), 2, Box::new(|args: Vec<Value>| Ok(is_unknown(&args))))?;
    engine.add_extension(KNOWN.to_string(), 2, Box::new(|args: Vec<Value>| Ok(known(&args))))
}

/// The results of the whole-plan host functions ([`managed_changes`], [`index`],
/// [`subject_facts`]) in one evaluation, shared by its parallel workers: each worker has its own
/// interpreter, and a worker that reaches the subject facts after another one computed them
/// takes them instead of computing them again. Both workers compute the first ones at the same
/// time; the result published first is the one both go on with, so the arguments of the next
/// call are the very same values in both (compared by pointer; see [`same`]).
#[derive(Default)]
pub(crate) struct Memo(std::sync::Mutex<Vec<(&'static str, Vec<Value>, Value)>>);

impl Memo {
    fn find(&self, name: &str, args: &[Value]) -> Option<Value> {
        let entries = self.0.lock().ok()?;
        entries
            .iter()
            .find(|(n, a, _)| *n == name && a.len() == args.len() && a.iter().zip(args).all(|(x, y)| same(x, y)))
            .map(|(_, _, v)| v.clone())
    }

    /// Stores `value` unless another worker stored one first; returns the one stored.
    fn publish(&self, name: &'static str, args: &[Value], value: Value) -> Value {
        let Ok(mut entries) = self.0.lock() else {
            return value;
        };
        if let Some((_, _, found)) = entries
            .iter()
            .find(|(n, a, _)| *n == name && a.len() == args.len() && a.iter().zip(args).all(|(x, y)| same(x, y)))
        {
            return found.clone();
        }
        entries.push((name, args.to_vec(), value.clone()));
        value
    }
}

/// Equal values: the same container (a pointer comparison, for the plan-sized arguments) or,
/// failing that, equal contents.
fn same(a: &Value, b: &Value) -> bool {
    let shared = match (a, b) {
        (Value::Object(x), Value::Object(y)) => std::ptr::eq(&**x, &**y),
        (Value::Array(x), Value::Array(y)) => std::ptr::eq(&**x, &**y),
        (Value::Set(x), Value::Set(y)) => std::ptr::eq(&**x, &**y),
        _ => false,
    };
    shared || a == b
}

thread_local! {
    /// The memo of the parallel evaluation this thread works on, if any.
    static MEMO: std::cell::RefCell<Option<std::sync::Arc<Memo>>> = const { std::cell::RefCell::new(None) };
}

/// Runs `f` with `memo` as this thread's memo.
pub(crate) fn with_memo<T>(memo: Option<std::sync::Arc<Memo>>, f: impl FnOnce() -> T) -> T {
    MEMO.with(|cell| cell.replace(memo));
    let result = f();
    MEMO.with(|cell| cell.take());
    result
}

/// `compute(args)`, or the result another worker of this evaluation got for the same arguments.
fn memoised(name: &'static str, args: &[Value], compute: fn(&[Value]) -> Value) -> Value {
    let Some(memo) = MEMO.with(|cell| cell.borrow().clone()) else {
        return compute(args);
    };
    if let Some(found) = memo.find(name, args) {
        return found;
    }
    let value = compute(args);
    memo.publish(name, args, value)
}

/// `oppie_policy_is_unknown(rc, path)`: `true` when `after_unknown` marks the value at `path`
/// (an array of keys and indexes), or a value containing it, as unknown; `false` otherwise.
pub(crate) fn is_unknown(args: &[Value]) -> Value {
    let (Some(rc), Some(path)) = (args.first(), args.get(1)) else {
        return Value::Undefined;
    };
    if *rc == Value::Undefined || *path == Value::Undefined {
        return Value::Undefined;
    }
    let Value::Array(path) = path else {
        return Value::Bool(false);
    };
    let path: Vec<Value> = path.iter().cloned().collect();
    let after_unknown = object_or_empty(&rc[&Value::from("change")][&Value::from("after_unknown")]);
    Value::Bool(unknown_at(&after_unknown, &path))
}

/// `oppie_policy_known(rc, path)`: the after-value at `path` (it may be null) when it is present
/// and not unknown; undefined otherwise. A `path` that is not an array is a single key.
pub(crate) fn known(args: &[Value]) -> Value {
    let (Some(rc), Some(path)) = (args.first(), args.get(1)) else {
        return Value::Undefined;
    };
    if *rc == Value::Undefined || *path == Value::Undefined {
        return Value::Undefined;
    }
    let change = &rc[&Value::from("change")];
    let after = object_or_empty(&change[&Value::from("after")]);
    match path {
        Value::Array(items) => {
            let items: Vec<Value> = items.iter().cloned().collect();
            let after_unknown = object_or_empty(&change[&Value::from("after_unknown")]);
            if unknown_at(&after_unknown, &items) {
                return Value::Undefined;
            }
            lookup(&after, &items).clone()
        }
        key => match &after {
            Value::Object(fields) => fields.get(key).cloned().unwrap_or(Value::Undefined),
            _ => Value::Undefined,
        },
    }
}

/// `oppie_policy_managed_changes(resource_changes)`: the set of the entries of a plan's
/// `resource_changes` that are objects with `mode` "managed", a string `type` and an object
/// `change`; the empty set when `resource_changes` is not an array.
pub(crate) fn managed_changes(args: &[Value]) -> Value {
    let Some(changes) = args.first() else {
        return Value::Undefined;
    };
    let Value::Array(changes) = changes else {
        return Value::from(BTreeSet::new());
    };
    let managed = changes.iter().filter(|rc| {
        rc[&Value::from("mode")] == Value::from("managed")
            && matches!(rc[&Value::from("type")], Value::String(_))
            && matches!(rc[&Value::from("change")], Value::Object(_))
    });
    Value::from(managed.cloned().collect::<BTreeSet<Value>>())
}

/// `oppie_policy_module_resources(root_module)`: the set of the objects at
/// `[("child_modules", i)*, "resources", j]` in a state's (or `planned_values`') module tree;
/// the empty set when `root_module` is not an object.
///
/// The Rego version walked every value of every resource (`walk` builds a path array per node,
/// about 1 s per 1,000 state resources in regorus); this visits only the module tree, with an
/// explicit stack so no nesting depth can overflow the thread's stack.
pub(crate) fn module_resources(args: &[Value]) -> Value {
    let Some(root) = args.first() else {
        return Value::Undefined;
    };
    let resources_key = Value::from("resources");
    let children_key = Value::from("child_modules");
    let mut found = BTreeSet::new();
    let mut stack = vec![root];
    while let Some(module) = stack.pop() {
        let Value::Object(fields) = module else { continue };
        if let Some(Value::Array(resources)) = fields.get(&resources_key) {
            found.extend(resources.iter().filter(|r| matches!(r, Value::Object(_))).cloned());
        }
        if let Some(Value::Array(children)) = fields.get(&children_key) {
            stack.extend(children.iter());
        }
    }
    Value::from(found)
}

/// `oppie_policy_index(all_resources, judge)`: one pass over the resource changes of
/// `all_resources` (a set or array) that sorts them for the library as
/// `{"subjects": set, "changes": set, "by_type": {type: set of subjects},
///   "all_by_type": {type: set of all}}`.
/// `changes` holds the changes whose actions include "create" or "update". `judge` says which
/// are subjects: `"changes"` those, `"changes_and_unchanged"` also those whose actions are
/// exactly `["no-op"]`, `"all"` every one (a state). What a subject is stays in lib.rego.
pub(crate) fn index(args: &[Value]) -> Value {
    let (Some(all), Some(Value::String(judge))) = (args.first(), args.get(1)) else {
        return Value::Undefined;
    };
    let Some(items) = set_or_array(all) else {
        return Value::Undefined;
    };
    let (create, update, no_op) = (Value::from("create"), Value::from("update"), Value::from("no-op"));
    // Collected into vectors and turned into sets at the end: a set built from a sorted vector
    // needs one comparison per element, inserting one by one a search each (the items come
    // from a set, so they are sorted already).
    let mut subjects = Vec::new();
    let mut changes = Vec::new();
    let mut by_type: BTreeMap<Value, Vec<Value>> = BTreeMap::new();
    let mut all_by_type: BTreeMap<Value, Vec<Value>> = BTreeMap::new();
    for rc in items {
        let actions: Vec<&Value> = match &rc[&Value::from("change")][&Value::from("actions")] {
            Value::Array(actions) => actions.iter().collect(),
            _ => Vec::new(),
        };
        let changed = actions.iter().any(|a| **a == create || **a == update);
        let judged = match judge.as_ref() {
            "all" => true,
            "changes_and_unchanged" => changed || actions == [&no_op],
            _ => changed,
        };
        let kind = &rc[&Value::from("type")];
        if changed && judge.as_ref() != "all" {
            changes.push(rc.clone());
        }
        if *kind != Value::Undefined {
            all_by_type.entry(kind.clone()).or_default().push(rc.clone());
        }
        if judged {
            subjects.push(rc.clone());
            if *kind != Value::Undefined {
                by_type.entry(kind.clone()).or_default().push(rc.clone());
            }
        }
    }
    let set = |items: Vec<Value>| Value::from(items.into_iter().collect::<BTreeSet<Value>>());
    let group = |groups: BTreeMap<Value, Vec<Value>>| {
        Value::from(groups.into_iter().map(|(k, v)| (k, set(v))).collect::<BTreeMap<Value, Value>>())
    };
    let mut fields = BTreeMap::new();
    fields.insert(Value::from("subjects"), set(subjects));
    fields.insert(Value::from("changes"), set(changes));
    fields.insert(Value::from("by_type"), group(by_type));
    fields.insert(Value::from("all_by_type"), group(all_by_type));
    Value::from(fields)
}

/// `oppie_policy_subject_facts(by_type, tag_paths, name_paths, naming_pattern)`: what the
/// library says about the name, tags, environment and region of every resource change in the
/// sets of `by_type` (type -> set), as `{"by_address": {address: entry}, "all": [entry, ...],
/// "named": [entry, ...], "by_type": {type: [entry, ...]}}`: an entry is `facts` with the
/// resource as `rc`; `by_address` leaves out the addresses several resources share and those
/// that are not strings; `named` lists the resources that have a `name`, and `by_type` the
/// entries of each type, for rules that walk them without a function call per resource. Each
/// member of `facts` is left out where the library's function is undefined:
/// - `name`: the known string at `name_paths[type]`;
/// - `follows_naming`: whether `name` matches `naming_pattern`;
/// - `tags`: the tag maps at `tag_paths[type]`, merged (see [`tag_maps`]);
/// - `tags_unknown`: `true` when one of those maps is unknown (lib.tags_unknown);
/// - `name_parts`: `{project, environment, service, resource}` of a name that matches the
///   regular expression `naming_pattern` (an invalid pattern matches nothing) and has at least
///   two dash-separated parts (`service` is the third part or "", `resource` the fourth part
///   onwards joined by dashes, or "");
/// - `environment`: the `environment` entry of the tag maps at `tag_paths[type]` (see
///   [`tag_maps`]) lower-cased when it is a string, else `name_parts.environment`;
/// - `region`: `{"name", "path"}` of lib.region_info (see [`region_info`]).
///
/// Undefined when an argument has the wrong kind.
pub(crate) fn subject_facts(args: &[Value]) -> Value {
    let [Value::Object(by_type), Value::Object(tag_paths), Value::Object(name_paths), Value::String(pattern)] = args
    else {
        return Value::Undefined;
    };
    let pattern = compiled(pattern);
    let mut subjects = Vec::new();
    let mut all = Vec::new();
    let mut named = Vec::new();
    let mut grouped = BTreeMap::new();
    let (rc_key, name_key) = (Value::from("rc"), Value::from("name"));
    for (kind, typed) in by_type.iter() {
        let Value::Set(typed) = typed else {
            continue;
        };
        let first = all.len();
        let paths = tag_paths.get(kind).cloned().unwrap_or(Value::Undefined);
        let name_path = name_paths.get(kind);
        for rc in typed.iter() {
            // One object per resource, shared by the map and the lists (`rc` is one more member).
            let mut entry = facts_of(rc, &paths, name_path, pattern.as_ref());
            entry.insert(rc_key.clone(), rc.clone());
            let named_entry = entry.contains_key(&name_key);
            let entry = Value::from(entry);
            if named_entry {
                named.push(entry.clone());
            }
            all.push(entry.clone());
            subjects.push((rc.clone(), entry));
        }
        grouped.insert(kind.clone(), Value::from(all[first..].to_vec()));
    }
    // By address, for the addresses only one subject has (deposed objects share theirs): the
    // library checks that the entry's `rc` is the resource it holds, which compares pointers,
    // where a lookup keyed by the whole resource compares it field by field.
    let mut by_address: BTreeMap<Value, Option<Value>> = BTreeMap::new();
    for (rc, entry) in &subjects {
        let address = &rc[&Value::from("address")];
        if let Value::String(_) = address {
            by_address.entry(address.clone()).and_modify(|slot| *slot = None).or_insert_with(|| Some(entry.clone()));
        }
    }
    let by_address: BTreeMap<Value, Value> = by_address.into_iter().filter_map(|(k, v)| Some((k, v?))).collect();
    let mut result = BTreeMap::new();
    result.insert(Value::from("by_address"), Value::from(by_address));
    result.insert(Value::from("all"), Value::from(all));
    result.insert(Value::from("named"), Value::from(named));
    result.insert(Value::from("by_type"), Value::from(grouped));
    Value::from(result)
}

/// `oppie_policy_map_keys(resources, path)`: the set of every key of the maps at `path` of
/// `resources` (a set or array of resource changes), where [`known`] gives an object; keys
/// with null values count. Undefined when `resources` is not a collection.
pub(crate) fn map_keys(args: &[Value]) -> Value {
    let [resources, path] = args else {
        return Value::Undefined;
    };
    let Some(members) = set_or_array(resources) else {
        return Value::Undefined;
    };
    let mut keys = BTreeSet::new();
    for rc in members {
        if let Value::Object(map) = known(&[rc.clone(), path.clone()]) {
            keys.extend(map.keys().cloned());
        }
    }
    Value::from(keys)
}

/// `oppie_policy_missing_tags(entries, keys)`: for each subject facts entry (see
/// [`subject_facts`]) whose tag maps are known (no `tags_unknown`), the keys of `keys` its
/// `tags` lack: absent, `false`, or a string of white space only (Rego's `trim_space`). Gives
/// `[{"entry": entry, "missing": [key, ...]}, ...]` in the order of `entries` and `keys`,
/// leaving out the entries that lack none; undefined when an argument is not an array.
pub(crate) fn missing_tags(args: &[Value]) -> Value {
    let [Value::Array(entries), Value::Array(keys)] = args else {
        return Value::Undefined;
    };
    let (tags_key, unknown_key) = (Value::from("tags"), Value::from("tags_unknown"));
    let mut gaps = Vec::new();
    for entry in entries.iter() {
        let Value::Object(fields) = entry else {
            continue;
        };
        // `not f.tags_unknown`: only a value of false (or none) lets the entry through.
        if fields.get(&unknown_key).is_some_and(|v| *v != Value::Bool(false)) {
            continue;
        }
        let tags = match fields.get(&tags_key) {
            Some(Value::Object(tags)) => Some(tags),
            _ => None,
        };
        let missing: Vec<Value> = keys
            .iter()
            .filter(|key| match tags.and_then(|t| t.get(key)) {
                None | Some(Value::Bool(false)) => true,
                Some(Value::String(s)) => s.trim().is_empty(),
                Some(_) => false,
            })
            .cloned()
            .collect();
        if !missing.is_empty() {
            let mut gap = BTreeMap::new();
            gap.insert(Value::from("entry"), entry.clone());
            gap.insert(Value::from("missing"), Value::from(missing));
            gaps.push(Value::from(gap));
        }
    }
    Value::from(gaps)
}

fn facts_of(
    rc: &Value,
    tag_paths: &Value,
    name_path: Option<&Value>,
    pattern: Option<&regex::Regex>,
) -> BTreeMap<Value, Value> {
    let mut facts = BTreeMap::new();
    let name = match name_path {
        Some(path) => known(&[rc.clone(), path.clone()]),
        None => Value::Undefined,
    };
    if let Value::String(name) = &name {
        facts.insert(Value::from("name"), Value::String(name.clone()));
        let follows = pattern.is_some_and(|p| p.is_match(name));
        facts.insert(Value::from("follows_naming"), Value::Bool(follows));
        let parts: Vec<&str> = name.split('-').collect();
        if follows && parts.len() >= 2 {
            let service = parts.get(2).copied().unwrap_or_default().to_string();
            let resource = parts.get(3..).map(|rest| rest.join("-")).unwrap_or_default();
            let named = [("project", parts[0].to_string()), ("environment", parts[1].to_string())]
                .into_iter()
                .chain([("service", service), ("resource", resource)]);
            let named: BTreeMap<Value, Value> = named.map(|(k, v)| (Value::from(k), Value::from(v))).collect();
            facts.insert(Value::from("name_parts"), Value::from(named));
        }
    }
    let tags = tag_maps(&[rc.clone(), tag_paths.clone()]);
    if let Value::Array(paths) = tag_paths
        && paths.iter().any(|path| is_unknown(&[rc.clone(), path.clone()]) == Value::Bool(true))
    {
        facts.insert(Value::from("tags_unknown"), Value::Bool(true));
    }
    let tagged = match &tags {
        Value::Object(tags) => match tags.get(&Value::from("environment")) {
            Some(Value::String(e)) => Some(Value::from(e.to_lowercase())),
            _ => None,
        },
        _ => None,
    };
    if let Value::Object(_) = tags {
        facts.insert(Value::from("tags"), tags);
    }
    if let Some(region) = region_info(rc) {
        facts.insert(Value::from("region"), region);
    }
    let from_name = facts.get(&Value::from("name_parts")).map(|parts| parts[&Value::from("environment")].clone());
    if let Some(environment) = tagged.or(from_name) {
        facts.insert(Value::from("environment"), environment);
    }
    facts
}

/// lib.region_info(rc): where the resource lives, as `{"name": lower-case region, "path":
/// attribute}`: `region` of an oppie_* resource; for AWS `region`, else `availability_zone`
/// without its zone letter; for Google `region`, else `zone` without its suffix, else
/// `location`; for Azure `location` lower-cased without spaces. `None` when unknown or unset.
fn region_info(rc: &Value) -> Option<Value> {
    let Value::String(kind) = &rc[&Value::from("type")] else {
        return None;
    };
    let known_string = |attribute: &str| match known(&[rc.clone(), Value::from(vec![Value::from(attribute)])]) {
        Value::String(s) => Some(s),
        _ => None,
    };
    let info = |name: String, attribute: &str| {
        let mut fields = BTreeMap::new();
        fields.insert(Value::from("name"), Value::from(name));
        fields.insert(Value::from("path"), Value::from(vec![Value::from(attribute)]));
        Value::from(fields)
    };
    // Counted in characters, as Rego's substring and count do.
    let without_last = |s: &str, n: usize| s.chars().take(s.chars().count().saturating_sub(n)).collect::<String>();
    if kind.starts_with("oppie_") {
        known_string("region").map(|r| info(r.to_lowercase(), "region"))
    } else if kind.starts_with("aws_") {
        if let Some(r) = known_string("region") {
            return Some(info(r.to_lowercase(), "region"));
        }
        let az = known_string("availability_zone")?.to_lowercase();
        static_regex(&AWS_ZONE, r"^[a-z]{2}(-[a-z]+)+-[0-9]+[a-z]$")
            .is_match(&az)
            .then(|| info(without_last(&az, 1), "availability_zone"))
    } else if kind.starts_with("google_") {
        if let Some(r) = known_string("region") {
            return Some(info(r.to_lowercase(), "region"));
        }
        if let Some(zone) = known_string("zone").map(|z| z.to_lowercase())
            && static_regex(&GOOGLE_ZONE, r"^[a-z]+-[a-z]+[0-9]+-[a-z]$").is_match(&zone)
        {
            return Some(info(without_last(&zone, 2), "zone"));
        }
        known_string("location").map(|l| info(l.to_lowercase(), "location"))
    } else if kind.starts_with("azurerm_") {
        known_string("location").map(|l| info(l.to_lowercase().replace(' ', ""), "location"))
    } else {
        None
    }
}

static AWS_ZONE: std::sync::OnceLock<regex::Regex> = std::sync::OnceLock::new();
static GOOGLE_ZONE: std::sync::OnceLock<regex::Regex> = std::sync::OnceLock::new();

/// A fixed pattern of this module, compiled once.
fn static_regex(cell: &'static std::sync::OnceLock<regex::Regex>, pattern: &str) -> &'static regex::Regex {
    cell.get_or_init(|| regex::Regex::new(pattern).unwrap_or_else(|_| unreachable!("a valid literal pattern")))
}

thread_local! {
    /// The last naming pattern compiled, by its text (one per policy set in practice).
    static PATTERN: std::cell::RefCell<Option<(std::sync::Arc<str>, Option<regex::Regex>)>> = const { std::cell::RefCell::new(None) };
}

/// `pattern` compiled as regorus compiles the patterns of `regex.match`; `None` when invalid.
fn compiled(pattern: &std::sync::Arc<str>) -> Option<regex::Regex> {
    PATTERN.with(|cell| {
        let mut cell = cell.borrow_mut();
        if let Some((text, regex)) = cell.as_ref()
            && text == pattern
        {
            return regex.clone();
        }
        let regex = regex::Regex::new(pattern).ok();
        *cell = Some((pattern.clone(), regex.clone()));
        regex
    })
}

/// lib.is_unknown on an `after_unknown` object: some non-empty prefix of `path` is marked `true`.
fn unknown_at(after_unknown: &Value, path: &[Value]) -> bool {
    (1..=path.len()).any(|n| *lookup(after_unknown, &path[..n]) == Value::Bool(true))
}

/// `oppie_policy_tag_maps(rc, paths)`: the tag maps of resource change `rc` at each attribute
/// path of `paths`, merged with earlier paths winning. Each map holds the known, non-null
/// entries of the after-value at its path, and the keys `after_unknown` marks as unknown
/// mapped to the `unknown` sentinel of `data.oppie.lib`. A path whose value (or a value
/// containing it) is unknown, absent or not an object contributes nothing.
pub(crate) fn tag_maps(args: &[Value]) -> Value {
    let (Some(rc), Some(Value::Array(paths))) = (args.first(), args.get(1)) else {
        return Value::Undefined;
    };
    let change = &rc[&Value::from("change")];
    let after = object_or_empty(&change[&Value::from("after")]);
    let after_unknown = object_or_empty(&change[&Value::from("after_unknown")]);
    let mut merged = BTreeMap::new();
    for path in paths.iter().rev() {
        let Value::Array(path) = path else {
            continue;
        };
        let path: Vec<Value> = path.iter().cloned().collect();
        merged.extend(tag_map(&after, &after_unknown, &path));
    }
    Value::from(merged)
}

/// The sentinel `data.oppie.lib.unknown`: `{"oppie_unknown": "known after apply"}`.
fn unknown_sentinel() -> Value {
    let mut fields = BTreeMap::new();
    fields.insert(Value::from("oppie_unknown"), Value::from("known after apply"));
    Value::from(fields)
}

/// The members of a set or the elements of an array; `None` for anything else.
fn set_or_array(value: &Value) -> Option<Vec<&Value>> {
    match value {
        Value::Set(items) => Some(items.iter().collect()),
        Value::Array(items) => Some(items.iter().collect()),
        _ => None,
    }
}

fn object_or_empty(value: &Value) -> Value {
    match value {
        Value::Object(_) => value.clone(),
        _ => Value::new_object(),
    }
}

/// `object.get(root, path, Undefined)`: follows object keys and array indexes.
fn lookup<'a>(root: &'a Value, path: &[Value]) -> &'a Value {
    let mut current = root;
    for component in path {
        current = &current[component];
        if *current == Value::Undefined {
            break;
        }
    }
    current
}

/// One path's map for [`tag_maps`] (the former `_tag_map(rc, path)` of lib.rego).
fn tag_map(after: &Value, after_unknown: &Value, path: &[Value]) -> Vec<(Value, Value)> {
    if path.is_empty() || unknown_at(after_unknown, path) {
        return Vec::new();
    }
    let Value::Object(known) = lookup(after, path) else {
        return Vec::new();
    };
    let mut entries: Vec<(Value, Value)> =
        known.iter().filter(|(_, v)| **v != Value::Null).map(|(k, v)| (k.clone(), v.clone())).collect();
    if let Value::Object(marks) = lookup(after_unknown, path) {
        let sentinel = unknown_sentinel();
        entries
            .extend(marks.iter().filter(|(_, m)| **m == Value::Bool(true)).map(|(k, _)| (k.clone(), sentinel.clone())));
    }
    entries
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// The Rego definition `tag_maps` replaced (lib.rego before it became a host function),
    /// kept as the reference the native version must agree with.
    const REFERENCE: &str = r#"
package reference

unknown := {"oppie_unknown": "known after apply"}

_absent := {"oppie_absent": true}

_after_obj(rc) := rc.change.after if {
	is_object(rc.change.after)
} else := {}

_after_unknown(rc) := rc.change.after_unknown if {
	is_object(rc.change.after_unknown)
} else := {}

is_unknown(rc, path) if {
	count(path) > 0
	some n in numbers.range(1, count(path))
	object.get(_after_unknown(rc), array.slice(path, 0, n), false) == true
}

known(rc, path) := v if {
	not is_unknown(rc, path)
	v := object.get(_after_obj(rc), path, _absent)
	v != _absent
}

_object_or_empty(x) := x if is_object(x)

_object_or_empty(x) := {} if not is_object(x)

_tag_map(rc, path) := object.union(known_part, unknown_part) if {
	m := known(rc, path)
	is_object(m)
	known_part := {k: v | some k; v := m[k]; not is_null(v)}
	marks := _object_or_empty(object.get(_after_unknown(rc), path, {}))
	unknown_part := {k: unknown | some k; marks[k] == true}
} else := {}

unknown_result := is_unknown(input.rc, input.path)

known_result := known(input.rc, input.path)

# _module_resources of lib.rego before it became module_resources, on input.root.
module_resources contains r if {
	walk(input.root, [p, r])
	_is_resource_path(p)
	is_object(r)
}

_is_resource_path(p) if {
	n := count(p)
	n >= 2
	p[n - 2] == "resources"
	is_number(p[n - 1])
	every i, step in array.slice(p, 0, n - 2) {
		_module_step(i, step)
	}
}

_module_step(i, step) if {
	i % 2 == 0
	step == "child_modules"
}

_module_step(i, step) if {
	i % 2 == 1
	is_number(step)
}

# all_resources, subjects, changes and the by-type groupings, with input.judge standing for is_plan and
# config.check_unchanged ("all" is a state).
all_resources contains rc if {
	some rc in input.resource_changes
	is_object(rc)
	rc.mode == "managed"
	is_string(rc.type)
	is_object(rc.change)
}

actions(rc) := rc.change.actions if {
	is_array(rc.change.actions)
} else := []

_judged(rc) if {
	input.judge != "all"
	some a in actions(rc)
	a in {"create", "update"}
}

_judged(rc) if {
	input.judge == "changes_and_unchanged"
	actions(rc) == ["no-op"]
}

_judged(_) if input.judge == "all"

subjects contains rc if {
	some rc in all_resources
	_judged(rc)
}

changes contains rc if {
	input.judge != "all"
	some rc in all_resources
	some a in actions(rc)
	a in {"create", "update"}
}

by_type[rc.type] contains rc if some rc in subjects

all_by_type[rc.type] contains rc if some rc in all_resources

# name, name_parts and environment of input.rc (lib.rego before they became naming_facts), with input.name_path as
# its type's name path, input.paths as its tag paths and input.pattern as naming_pattern.
_tags_of(rc, paths) := object.union(_tag_map(rc, paths[1]), _tag_map(rc, paths[0])) if {
	count(paths) == 2
} else := _tag_map(rc, paths[0])

_name(rc) := s if {
	s := known(rc, input.name_path)
	is_string(s)
}

_follows_naming(s) if {
	is_string(s)
	regex.match(input.pattern, s)
}

# _nth_or_empty(a, i): a[i], or "" past the end of a.
_nth_or_empty(a, i) := a[i] if {
	i < count(a)
} else := ""

_name_parts(rc) := {
	"project": parts[0],
	"environment": parts[1],
	"service": _nth_or_empty(parts, 2),
	"resource": concat("-", array.slice(parts, 3, count(parts))),
} if {
	n := _name(rc)
	_follows_naming(n)
	parts := split(n, "-")
	count(parts) >= 2
}

_environment(rc) := lower(e) if {
	e := _tags_of(rc, input.paths).environment
	is_string(e)
} else := parts.environment if {
	parts := _name_parts(rc)
}

_fact("name") := _name(input.rc)

_fact("follows_naming") := b if {
	n := _name(input.rc)
	b := _follows_bool(n)
}

_follows_bool(n) := true if {
	_follows_naming(n)
} else := false

_fact("tags") := _tags_of(input.rc, input.paths)

_fact("tags_unknown") := true if {
	some path in input.paths
	is_unknown(input.rc, path)
}

_fact("region") := _region_info(input.rc)

_known_string(rc, path) := s if {
	s := known(rc, path)
	is_string(s)
}

_region_info(rc) := {"name": lower(r), "path": ["region"]} if {
	startswith(rc.type, "oppie_")
	r := _known_string(rc, ["region"])
} else := info if {
	startswith(rc.type, "aws_")
	info := _aws_region(rc)
} else := info if {
	startswith(rc.type, "google_")
	info := _google_region(rc)
} else := {"name": replace(lower(l), " ", ""), "path": ["location"]} if {
	startswith(rc.type, "azurerm_")
	l := _known_string(rc, ["location"])
}

_aws_region(rc) := {"name": lower(r), "path": ["region"]} if {
	r := _known_string(rc, ["region"])
} else := {"name": substring(az, 0, count(az) - 1), "path": ["availability_zone"]} if {
	az := lower(_known_string(rc, ["availability_zone"]))
	regex.match(`^[a-z]{2}(-[a-z]+)+-[0-9]+[a-z]$`, az)
}

_google_region(rc) := {"name": lower(r), "path": ["region"]} if {
	r := _known_string(rc, ["region"])
} else := {"name": substring(z, 0, count(z) - 2), "path": ["zone"]} if {
	z := lower(_known_string(rc, ["zone"]))
	regex.match(`^[a-z]+-[a-z]+[0-9]+-[a-z]$`, z)
} else := {"name": lower(l), "path": ["location"]} if {
	l := _known_string(rc, ["location"])
}

_fact("name_parts") := _name_parts(input.rc)

_fact("environment") := _environment(input.rc)

keys_result := {k | some rc in input.rcs; m := known(rc, input.path); is_object(m); some k, _ in m}

missing_result := [{"entry": f, "missing": m} |
	some f in input.entries
	not f.tags_unknown
	tags := object.get(f, "tags", {})
	m := [key | some key in input.keys; v := object.get(tags, key, false); trim_space(object.get({false: ""}, v, v)) == ""]
	count(m) > 0
]

facts_result := object.union(
	{k: v | some k in ["name", "follows_naming", "name_parts", "environment", "tags", "tags_unknown", "region"]; v := _fact(k)},
	{"rc": input.rc},
)

# (regorus leaves a partial rule without entries undefined, where the host function returns empty.)
_or_empty(name, empty) := v if {
	v := data.reference[name]
} else := empty

index_result := {
	"subjects": _or_empty("subjects", set()), "changes": _or_empty("changes", set()),
	"by_type": _or_empty("by_type", {}), "all_by_type": _or_empty("all_by_type", {}),
}

result := object.union(_tag_map(input.rc, input.paths[1]), _tag_map(input.rc, input.paths[0])) if {
	count(input.paths) == 2
} else := _tag_map(input.rc, input.paths[0])
"#;

    fn reference(rc: &serde_json::Value, paths: &serde_json::Value) -> Value {
        let mut engine = regorus::Engine::new();
        engine.set_strict_builtin_errors(false);
        engine.add_policy("reference.rego".into(), REFERENCE.into()).expect("reference policy");
        let input = serde_json::json!({"rc": rc, "paths": paths});
        engine.set_input(Value::from_json_str(&input.to_string()).expect("input"));
        engine.eval_rule("data.reference.result".into()).expect("reference evaluation")
    }

    /// `(is_unknown, known)` of the reference for `rc` and `path`.
    fn reference_lookups(rc: &serde_json::Value, path: &serde_json::Value) -> (Value, Value) {
        let mut engine = regorus::Engine::new();
        engine.set_strict_builtin_errors(false);
        engine.add_policy("reference.rego".into(), REFERENCE.into()).expect("reference policy");
        let input = serde_json::json!({"rc": rc, "path": path, "paths": []});
        engine.set_input(Value::from_json_str(&input.to_string()).expect("input"));
        let unknown = engine.eval_rule("data.reference.unknown_result".into()).expect("reference evaluation");
        let known = engine.eval_rule("data.reference.known_result".into()).expect("reference evaluation");
        (if unknown == Value::Undefined { Value::Bool(false) } else { unknown }, known)
    }

    fn native(rc: &serde_json::Value, paths: &serde_json::Value) -> Value {
        let args = [rc, paths].map(|v| Value::from_json_str(&v.to_string()).expect("argument"));
        tag_maps(&args)
    }

    fn leaf() -> impl Strategy<Value = serde_json::Value> {
        prop_oneof![
            Just(serde_json::Value::Null),
            Just(serde_json::json!(true)),
            Just(serde_json::json!(false)),
            "[a-z]{0,4}".prop_map(serde_json::Value::from),
            (0i64..5).prop_map(serde_json::Value::from),
        ]
    }

    fn tag_object() -> impl Strategy<Value = serde_json::Value> {
        prop_oneof![
            leaf(),
            proptest::collection::btree_map("(env|owner|Name|x)", leaf(), 0..4)
                .prop_map(|m| serde_json::Value::Object(m.into_iter().collect())),
        ]
    }

    fn change() -> impl Strategy<Value = serde_json::Value> {
        let attrs = || proptest::collection::btree_map("(tags|tags_all|labels|settings)", tag_object(), 0..4);
        (attrs(), attrs(), tag_object(), any::<bool>()).prop_map(|(after, unknown, nested, wrap)| {
            let mut after: serde_json::Map<String, serde_json::Value> = after.into_iter().collect();
            if wrap {
                after.insert("settings".into(), serde_json::json!([{"user_labels": nested}]));
            }
            serde_json::json!({"type": "t", "change": {"after": after, "after_unknown": unknown.into_iter().collect::<serde_json::Map<_, _>>()}})
        })
    }

    fn paths() -> impl Strategy<Value = serde_json::Value> {
        prop_oneof![
            Just(serde_json::json!([["tags"], ["tags_all"]])),
            Just(serde_json::json!([["labels"], ["tags"]])),
            Just(serde_json::json!([["tags"]])),
            Just(serde_json::json!([["settings", 0, "user_labels"]])),
            Just(serde_json::json!([["settings"]])),
        ]
    }

    #[test]
    fn user_map_wins_and_unknown_keys_are_marked() {
        let rc = serde_json::json!({"change": {
            "after": {"tags": {"env": "prod", "gone": null}, "tags_all": {"env": "dev", "owner": "ops"}},
            "after_unknown": {"tags_all": {"cost": true}},
        }});
        let expected =
            serde_json::json!({"env": "prod", "owner": "ops", "cost": {"oppie_unknown": "known after apply"}});
        assert_eq!(
            native(&rc, &serde_json::json!([["tags"], ["tags_all"]])),
            Value::from_json_str(&expected.to_string()).unwrap()
        );
    }

    #[test]
    fn an_unknown_map_contributes_nothing() {
        let rc = serde_json::json!({"change": {"after": {"tags": {"env": "prod"}}, "after_unknown": {"tags": true}}});
        assert_eq!(native(&rc, &serde_json::json!([["tags"]])), Value::new_object());
        assert_eq!(native(&serde_json::json!({"change": null}), &serde_json::json!([["tags"]])), Value::new_object());
        assert_eq!(tag_maps(&[Value::Null]), Value::Undefined);
    }

    fn lookup_path() -> impl Strategy<Value = serde_json::Value> {
        prop_oneof![
            Just(serde_json::json!([])),
            Just(serde_json::json!(["tags"])),
            Just(serde_json::json!(["tags", "env"])),
            Just(serde_json::json!(["settings", 0, "user_labels"])),
            Just(serde_json::json!(["settings", 0])),
            Just(serde_json::json!(["labels", "x", "deeper"])),
            Just(serde_json::json!("tags")),
            Just(serde_json::json!(["missing"])),
        ]
    }

    #[test]
    fn known_and_unknown_follow_after_unknown() {
        let rc = serde_json::json!({"change": {
            "after": {"a": {"b": 1}, "n": null, "l": [null, 2]},
            "after_unknown": {"l": [true, false], "u": true},
        }});
        let call = |f: fn(&[Value]) -> Value, path: serde_json::Value| {
            f(&[Value::from_json_str(&rc.to_string()).unwrap(), Value::from_json_str(&path.to_string()).unwrap()])
        };
        assert_eq!(call(known, serde_json::json!(["a", "b"])), Value::from(1));
        assert_eq!(call(known, serde_json::json!(["n"])), Value::Null);
        assert_eq!(call(known, serde_json::json!(["l", 0])), Value::Undefined);
        assert_eq!(call(known, serde_json::json!(["u"])), Value::Undefined);
        assert_eq!(call(known, serde_json::json!(["missing"])), Value::Undefined);
        assert_eq!(call(is_unknown, serde_json::json!(["l", 0])), Value::Bool(true));
        assert_eq!(call(is_unknown, serde_json::json!(["l", 1])), Value::Bool(false));
        assert_eq!(call(is_unknown, serde_json::json!(["u", "x"])), Value::Bool(true));
        assert_eq!(call(is_unknown, serde_json::json!([])), Value::Bool(false));
        assert_eq!(is_unknown(&[Value::Undefined, Value::new_array()]), Value::Undefined);
    }

    fn naming_change() -> impl Strategy<Value = serde_json::Value> {
        let name = prop_oneof![
            Just(serde_json::json!("shop-dev-api-x")),
            Just(serde_json::json!("shop-prod-db-main-replica")),
            Just(serde_json::json!("Shop-dev-api-x")),
            Just(serde_json::json!("a-b-c")),
            Just(serde_json::json!(5)),
            Just(serde_json::Value::Null),
        ];
        let environment = prop_oneof![
            Just(serde_json::json!("PROD")),
            Just(serde_json::json!("dev")),
            Just(serde_json::json!(5)),
            Just(serde_json::Value::Null),
        ];
        let unknown = prop_oneof![
            Just(serde_json::json!({})),
            Just(serde_json::json!({"name": true})),
            Just(serde_json::json!({"tags": {"environment": true}})),
            Just(serde_json::json!({"tags": true})),
        ];
        let kind = prop_oneof![Just("t"), Just("oppie_x"), Just("aws_x"), Just("google_x"), Just("azurerm_x")];
        let place = || {
            prop_oneof![
                Just(serde_json::Value::Null),
                Just(serde_json::json!("EU-West-1")),
                Just(serde_json::json!("us-east-1a")),
                Just(serde_json::json!("europe-west1-b")),
                Just(serde_json::json!("East US")),
                Just(serde_json::json!("bad")),
                Just(serde_json::json!(5)),
            ]
        };
        let region_unknown = prop_oneof![Just(None), Just(Some("region")), Just(Some("zone"))];
        (name, proptest::option::of(environment), unknown, kind, [place(), place(), place(), place()], region_unknown)
            .prop_map(|(name, environment, unknown, kind, places, region_unknown)| {
                let tags =
                    environment.map_or(serde_json::json!({}), |e| serde_json::json!({"environment": e, "Name": name}));
                let mut after = serde_json::json!({"name": name, "tags": tags});
                for (attribute, value) in ["region", "availability_zone", "zone", "location"].into_iter().zip(places) {
                    if !value.is_null() {
                        after[attribute] = value;
                    }
                }
                let mut unknown = unknown;
                if let Some(attribute) = region_unknown {
                    unknown[attribute] = serde_json::json!(true);
                }
                serde_json::json!({"address": "t.x", "type": kind, "change": {"after": after, "after_unknown": unknown}})
            })
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(300))]
        #[test]
        fn subject_facts_agree_with_the_rego_definitions(
            rc in naming_change(),
            name_path in prop_oneof![Just(serde_json::json!(["name"])), Just(serde_json::json!(["tags", "Name"]))],
            pattern in prop_oneof![
                Just("^[a-z0-9]+-(dev|staging|prod)-[a-z0-9]+-[a-z0-9]+(-[a-z0-9]+)*$"),
                Just(".*"),
                Just("^a-"),
            ],
        ) {
            let paths = serde_json::json!([["tags"], ["tags_all"]]);
            let input = serde_json::json!({"rc": rc, "paths": paths, "name_path": name_path, "pattern": pattern});
            let mut engine = regorus::Engine::new();
            engine.set_strict_builtin_errors(false);
            engine.add_policy("reference.rego".into(), REFERENCE.into()).expect("reference policy");
            engine.set_input(Value::from_json_str(&input.to_string()).expect("input"));
            let expected = engine.eval_rule("data.reference.facts_result".into()).expect("reference evaluation");
            let v = |j: &serde_json::Value| Value::from_json_str(&j.to_string()).expect("value");
            let kind = v(&rc["type"]);
            let by_type = BTreeMap::from([(kind.clone(), Value::from(BTreeSet::from([v(&rc)])))]);
            let facts = subject_facts(&[
                Value::from(by_type),
                Value::from(BTreeMap::from([(kind.clone(), v(&paths))])),
                Value::from(BTreeMap::from([(kind, v(&name_path))])),
                Value::from(pattern),
            ]);
            let by_rc = facts[&Value::from("by_address")][&Value::from("t.x")].clone();
            prop_assert_eq!(&by_rc, &expected);
            prop_assert_eq!(facts[&Value::from("all")][0][&Value::from("rc")].clone(), v(&rc));
            let named = facts[&Value::from("named")].clone();
            if by_rc[&Value::from("name")] == Value::Undefined {
                prop_assert_eq!(named, Value::new_array());
            } else {
                prop_assert_eq!(named[0][&Value::from("rc")].clone(), v(&rc));
                prop_assert_eq!(named[0][&Value::from("name")].clone(), by_rc[&Value::from("name")].clone());
            }
        }
    }

    fn facts_entry() -> impl Strategy<Value = serde_json::Value> {
        let value = prop_oneof![
            leaf(),
            Just(serde_json::json!(" \t")),
            Just(serde_json::json!("\u{a0}")),
            Just(serde_json::json!({"oppie_unknown": "known after apply"})),
        ];
        let tags = proptest::collection::btree_map("(project|owner|Owner|x)", value, 0..4);
        (proptest::option::of(tags), proptest::option::of(leaf()), any::<u8>()).prop_map(|(tags, unknown, n)| {
            let mut entry = serde_json::json!({"rc": {"n": n}});
            if let Some(tags) = tags {
                entry["tags"] = serde_json::Value::Object(tags.into_iter().collect());
            }
            if let Some(unknown) = unknown {
                entry["tags_unknown"] = unknown;
            }
            entry
        })
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(300))]
        #[test]
        fn missing_tags_agree_with_the_rego_definition(
            entries in proptest::collection::vec(facts_entry(), 0..5),
            keys in proptest::collection::vec("(project|owner|x|y)", 0..4),
        ) {
            let input = serde_json::json!({"entries": entries, "keys": keys});
            let mut engine = regorus::Engine::new();
            engine.set_strict_builtin_errors(false);
            engine.add_policy("reference.rego".into(), REFERENCE.into()).expect("reference policy");
            engine.set_input(Value::from_json_str(&input.to_string()).expect("input"));
            let expected = engine.eval_rule("data.reference.missing_result".into()).expect("reference evaluation");
            let v = |j: &serde_json::Value| Value::from_json_str(&j.to_string()).expect("value");
            prop_assert_eq!(missing_tags(&[v(&input["entries"]), v(&input["keys"])]), expected);
        }
    }

    #[test]
    fn the_memo_keeps_the_first_result_and_matches_shared_or_equal_arguments() {
        let big = Value::from(vec![Value::from(1), Value::from(2)]);
        let memo = std::sync::Arc::new(Memo::default());
        let first = with_memo(Some(memo.clone()), || memoised(INDEX, &[big.clone(), Value::from("j")], index));
        // Another worker's result for the same arguments loses to the one published first.
        let second = memo.publish(INDEX, &[big.clone(), Value::from("j")], Value::from(7));
        assert_eq!(second, first);
        assert_eq!(memo.find(INDEX, &[big.clone(), Value::from("j")]), Some(first));
        let equal_copy = Value::from(vec![Value::from(1), Value::from(2)]);
        assert!(memo.find(INDEX, &[equal_copy, Value::from("j")]).is_some(), "equal contents match too");
        assert!(memo.find(INDEX, &[big.clone(), Value::from("k")]).is_none());
        assert!(memo.find(SUBJECT_FACTS, &[big, Value::from("j")]).is_none());
        // Without a memo the function is simply called.
        assert_eq!(memoised(INDEX, &[Value::Null], |_| Value::from(3)), Value::from(3));
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(200))]
        #[test]
        fn map_keys_agree_with_the_rego_definition(
            rcs in proptest::collection::vec(change(), 0..4),
            path in prop_oneof![Just(serde_json::json!(["tags"])), Just(serde_json::json!(["settings", 0, "user_labels"])), Just(serde_json::json!(["labels"]))],
        ) {
            let input = serde_json::json!({"rcs": rcs, "path": path});
            let mut engine = regorus::Engine::new();
            engine.set_strict_builtin_errors(false);
            engine.add_policy("reference.rego".into(), REFERENCE.into()).expect("reference policy");
            engine.set_input(Value::from_json_str(&input.to_string()).expect("input"));
            let expected = engine.eval_rule("data.reference.keys_result".into()).expect("reference evaluation");
            let v = |j: &serde_json::Value| Value::from_json_str(&j.to_string()).expect("value");
            let expected = if expected == Value::Undefined { Value::new_set() } else { expected };
            prop_assert_eq!(map_keys(&[v(&input["rcs"]), v(&path)]), expected);
        }
    }

    #[test]
    fn missing_tags_need_arrays() {
        assert_eq!(map_keys(&[Value::Null, Value::new_array()]), Value::Undefined);
        assert_eq!(missing_tags(&[Value::new_object(), Value::new_array()]), Value::Undefined);
        assert_eq!(missing_tags(&[Value::new_array()]), Value::Undefined);
    }

    #[test]
    fn a_shared_address_has_no_entry_by_address() {
        let v = |j: serde_json::Value| Value::from_json_str(&j.to_string()).expect("value");
        let rc = |n: u32, address: &str| v(serde_json::json!({"address": address, "type": "t", "n": n, "change": {}}));
        let set = BTreeSet::from([rc(1, "t.a"), rc(2, "t.a"), rc(3, "t.b")]);
        let by_type = Value::from(BTreeMap::from([(Value::from("t"), Value::from(set))]));
        let facts = subject_facts(&[by_type, Value::new_object(), Value::new_object(), Value::from(".*")]);
        let by_address = &facts[&Value::from("by_address")];
        assert_eq!(by_address[&Value::from("t.a")], Value::Undefined, "deposed objects share an address");
        assert_eq!(by_address[&Value::from("t.b")][&Value::from("rc")], rc(3, "t.b"));
        assert_eq!(facts[&Value::from("all")].as_array().map(|a| a.len()).ok(), Some(3));
    }

    #[test]
    fn subject_facts_need_the_right_kinds() {
        assert_eq!(
            subject_facts(&[Value::Null, Value::new_object(), Value::new_object(), Value::from("")]),
            Value::Undefined
        );
        let invalid = subject_facts(&[Value::new_object(), Value::new_object(), Value::new_object(), Value::from("(")]);
        assert_eq!(invalid[&Value::from("by_address")], Value::new_object());
        assert_eq!(invalid[&Value::from("named")], Value::new_array());
    }

    fn resource_change() -> impl Strategy<Value = serde_json::Value> {
        let action = prop_oneof![Just("create"), Just("update"), Just("delete"), Just("no-op"), Just("read")];
        let actions = prop_oneof![
            proptest::collection::vec(action, 0..3).prop_map(|a| serde_json::json!(a)),
            Just(serde_json::json!("create")),
            Just(serde_json::Value::Null),
        ];
        let mode = prop_oneof![
            Just(serde_json::json!("managed")),
            Just(serde_json::json!("data")),
            Just(serde_json::json!(1))
        ];
        let kind = prop_oneof![
            Just(serde_json::json!("aws_s3_bucket")),
            Just(serde_json::json!("oppie_bucket")),
            Just(serde_json::json!(7))
        ];
        let change = prop_oneof![
            actions.prop_map(|a| serde_json::json!({"actions": a})),
            Just(serde_json::json!({})),
            Just(serde_json::json!("x")),
        ];
        (0u32..1000, mode, kind, change).prop_map(|(n, mode, kind, change)| {
            serde_json::json!({"address": format!("r.{n}"), "mode": mode, "type": kind, "change": change})
        })
    }

    /// A state module tree: resources (objects, and the odd non-object), nested child modules, and
    /// values that look like module trees inside resources (which are not resources).
    fn module_tree() -> impl Strategy<Value = serde_json::Value> {
        let resource = prop_oneof![
            4 => (0u8..4, any::<bool>()).prop_map(|(n, nested)| if nested {
                serde_json::json!({"address": format!("a.r{n}"), "values": {"resources": [{"address": "inner"}]}})
            } else {
                serde_json::json!({"address": format!("a.r{n}"), "values": {"n": n}})
            }),
            1 => Just(serde_json::json!("not an object")),
        ];
        let leaf = proptest::collection::vec(resource, 0..4).prop_map(|r| serde_json::json!({"resources": r}));
        leaf.prop_recursive(4, 24, 3, |inner| {
            (
                proptest::collection::vec(inner, 0..3),
                proptest::collection::vec(Just(serde_json::json!({"address": "m.x"})), 0..2),
            )
                .prop_map(
                    |(children, resources)| serde_json::json!({"resources": resources, "child_modules": children}),
                )
        })
    }

    #[test]
    fn deep_module_trees_do_not_overflow() {
        let leaf = || Value::from(BTreeMap::from([(Value::from("address"), Value::from("deep"))]));
        let mut tree = Value::from(BTreeMap::from([(Value::from("resources"), Value::from(vec![leaf()]))]));
        for _ in 0..20_000 {
            tree = Value::from(BTreeMap::from([(Value::from("child_modules"), Value::from(vec![tree]))]));
        }
        assert_eq!(module_resources(std::slice::from_ref(&tree)), Value::from(BTreeSet::from([leaf()])));
        // Dropping a tree this deep recurses (regorus values drop recursively); it is test data.
        std::mem::forget(tree);
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(200))]
        #[test]
        fn index_agrees_with_the_rego_definitions(
            changes in proptest::collection::vec(resource_change(), 0..8),
            judge in prop_oneof![Just("changes"), Just("changes_and_unchanged"), Just("all")],
        ) {
            let input = serde_json::json!({"resource_changes": changes, "judge": judge});
            let mut engine = regorus::Engine::new();
            engine.set_strict_builtin_errors(false);
            engine.add_policy("reference.rego".into(), REFERENCE.into()).expect("reference policy");
            engine.set_input(Value::from_json_str(&input.to_string()).expect("input"));
            let expected = engine.eval_rule("data.reference.index_result".into()).expect("reference evaluation");
            let all = managed_changes(&[Value::from_json_str(&serde_json::json!(changes).to_string()).expect("changes")]);
            prop_assert_eq!(index(&[all, Value::from(judge)]), expected);
        }

        #[test]
        fn module_resources_agree_with_the_rego_definition(root in module_tree()) {
            let input = serde_json::json!({"root": root});
            let mut engine = regorus::Engine::new();
            engine.set_strict_builtin_errors(false);
            engine.add_policy("reference.rego".into(), REFERENCE.into()).expect("reference policy");
            engine.set_input(Value::from_json_str(&input.to_string()).expect("input"));
            let expected = engine.eval_rule("data.reference.module_resources".into()).expect("reference evaluation");
            let root = Value::from_json_str(&root.to_string()).expect("root");
            prop_assert_eq!(module_resources(&[root]), expected);
        }

        #[test]
        fn lookups_agree_with_the_rego_definitions(rc in change(), path in lookup_path()) {
            let args = [&rc, &path].map(|v| Value::from_json_str(&v.to_string()).expect("argument"));
            let (unknown, value) = reference_lookups(&rc, &path);
            prop_assert_eq!(is_unknown(&args), unknown);
            prop_assert_eq!(known(&args), value);
        }

        #[test]
        fn agrees_with_the_rego_definition(rc in change(), paths in paths()) {
            prop_assert_eq!(native(&rc, &paths), reference(&rc, &paths));
        }
    }
}
