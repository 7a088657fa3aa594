//! OPA bundles (`bundle.tar.gz`): reading Rego and WASM bundles, and building Rego bundles whose
//! `.manifest` records a revision and a SHA-256 per file (under `metadata.oppie.files`).

use std::collections::BTreeMap;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};

use flate2::Compression;
use flate2::read::GzDecoder;
use flate2::write::GzEncoder;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::error::{Error, Result};
use crate::metadata::Annotation;

/// Largest bundle content we unpack into memory, against archive bombs.
const MAX_UNPACKED_BYTES: u64 = 512 * 1024 * 1024;
/// Most files a bundle may hold.
const MAX_FILES: usize = 100_000;

/// The `.manifest` of an OPA bundle.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Manifest {
    /// Bundle revision (we default it to a digest of the content).
    #[serde(default)]
    pub revision: String,
    /// Data and package roots the bundle owns (`[""]` = everything).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub roots: Option<Vec<String>>,
    /// Rego version of the bundle's files: 0 or 1 (OPA's `rego_version`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rego_version: Option<u8>,
    /// WASM modules and their entrypoints (`opa build -t wasm`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub wasm: Vec<WasmResolver>,
    /// Free-form metadata; `metadata.oppie.files` holds our per-file hashes.
    #[serde(default, skip_serializing_if = "serde_json::Map::is_empty")]
    pub metadata: serde_json::Map<String, serde_json::Value>,
}

/// One `wasm` entry of a manifest: an entrypoint and the module that implements it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct WasmResolver {
    /// Entrypoint path (`terraform/deny`).
    pub entrypoint: String,
    /// Module file in the bundle (`/policy.wasm`).
    pub module: String,
    /// METADATA annotations OPA recorded for the entrypoint.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub annotations: Vec<serde_json::Value>,
}

/// A WASM module found in a bundle.
#[derive(Debug, Clone)]
pub struct WasmModule {
    /// Path inside the bundle (`/policy.wasm`).
    pub path: String,
    /// The module bytes.
    pub bytes: Vec<u8>,
    /// Annotations per entrypoint, from the manifest.
    pub annotations: BTreeMap<String, Vec<Annotation>>,
}

/// The content of a bundle, in memory.
#[derive(Debug, Clone)]
pub struct Bundle {
    /// The bundle file.
    pub path: String,
    /// Its manifest (default when it has none).
    pub manifest: Manifest,
    /// Rego files: path inside the bundle and text.
    pub rego: Vec<(String, String)>,
    /// The merged data document (`/a/b/data.json` lands under `data.a.b`).
    pub data: serde_json::Value,
    /// WASM modules.
    pub wasm: Vec<WasmModule>,
}

/// `true` when `path` looks like a bundle (`.tar.gz`, `.tgz`) rather than a directory or file.
pub fn is_bundle(path: &Path) -> bool {
    let name = path.to_string_lossy();
    path.is_file() && (name.ends_with(".tar.gz") || name.ends_with(".tgz"))
}

/// Reads a bundle; verifies the per-file hashes when the manifest has them.
pub fn read(path: &Path) -> Result<Bundle> {
    let label = path.display().to_string();
    let error = |message: String| Error::Bundle { path: label.clone(), message };
    let file = std::fs::File::open(path).map_err(|e| Error::io(path, e))?;
    let cap = || {
        format!("bundle unpacks to more than the {} MiB or {MAX_FILES} files cap", MAX_UNPACKED_BYTES / (1024 * 1024))
    };
    // The decompressed stream is cut at the cap: an archive that breaks off there (a gzip
    // bomb) is reported as over the cap, not as corrupt.
    let unpacked = std::cell::Cell::new(0u64);
    let counted = Counted { inner: GzDecoder::new(file).take(MAX_UNPACKED_BYTES + 1), read: &unpacked };
    let at_cap = || unpacked.get() > MAX_UNPACKED_BYTES;
    let mut archive = tar::Archive::new(counted);
    let mut files: BTreeMap<String, Vec<u8>> = BTreeMap::new();
    let mut total = 0u64;
    let entries = archive.entries().map_err(|e| error(format!("not a gzipped tar archive: {e}")))?;
    for entry in entries {
        let mut entry = entry.map_err(|e| error(if at_cap() { cap() } else { format!("corrupt archive: {e}") }))?;
        if !entry.header().entry_type().is_file() {
            continue;
        }
        let name = entry.path().map_err(|e| error(format!("bad file name in archive: {e}")))?;
        let name = normalise(&name.to_string_lossy());
        // The header's size is checked before anything is read, and the buffer is sized once.
        let size = entry.header().size().unwrap_or(u64::MAX);
        if total.saturating_add(size) > MAX_UNPACKED_BYTES || files.len() >= MAX_FILES {
            return Err(error(cap()));
        }
        let mut bytes = Vec::with_capacity(usize::try_from(size).unwrap_or(0));
        entry
            .read_to_end(&mut bytes)
            .map_err(|e| error(if at_cap() { cap() } else { format!("cannot read {name}: {e}") }))?;
        total += bytes.len() as u64;
        if total > MAX_UNPACKED_BYTES {
            return Err(error(cap()));
        }
        files.insert(name, bytes);
    }
    if at_cap() {
        return Err(error(cap()));
    }
    let manifest = match files.remove("/.manifest") {
        Some(bytes) => serde_json::from_slice(&bytes).map_err(|e| error(format!("invalid .manifest: {e}")))?,
        None => Manifest::default(),
    };
    verify_hashes(&manifest, &files).map_err(&error)?;

    let mut rego = Vec::new();
    let mut data = serde_json::Value::Object(serde_json::Map::new());
    let mut wasm = Vec::new();
    for (name, bytes) in files {
        if name.ends_with(".rego") {
            let text = String::from_utf8(bytes).map_err(|_| error(format!("{name} is not UTF-8")))?;
            rego.push((name, text));
        } else if let Some(dir) = data_file_dir(&name) {
            let value = parse_data(&name, &bytes).map_err(|e| error(e.to_string()))?;
            merge_at(&mut data, &dir, value).map_err(|m| error(format!("{name}: {m}")))?;
        } else if name.ends_with(".wasm") {
            let annotations = manifest
                .wasm
                .iter()
                .filter(|w| normalise(&w.module) == name)
                .map(|w| {
                    let notes = w
                        .annotations
                        .iter()
                        .map(crate::metadata::from_json)
                        .collect::<std::result::Result<Vec<_>, _>>()
                        .map_err(|m| error(format!("annotations of {}: {m}", w.entrypoint)))?;
                    Ok((w.entrypoint.trim_matches('/').to_string(), notes))
                })
                .collect::<Result<BTreeMap<_, _>>>()?;
            wasm.push(WasmModule { path: name, bytes, annotations });
        }
    }
    Ok(Bundle { path: label, manifest, rego, data, wasm })
}

/// A reader that counts the bytes read through it.
struct Counted<'a, R> {
    inner: R,
    read: &'a std::cell::Cell<u64>,
}

impl<R: Read> Read for Counted<'_, R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.read.set(self.read.get() + n as u64);
        Ok(n)
    }
}

/// Options for [`build`].
#[derive(Debug, Clone, Default)]
pub struct BuildOptions {
    /// The revision to record; default: `sha256:` and the digest of all file hashes.
    pub revision: Option<String>,
}

/// Builds `out` from the `.rego` files (tests excluded), `data.json`/`data.yaml` files and
/// `.wasm` modules under `dir`. A `.manifest` in `dir` supplies roots, `rego_version`, `wasm`
/// entries and metadata; the revision and file hashes are added. The archive is
/// reproducible: sorted, with zero timestamps and owners.
pub fn build(dir: &Path, out: &Path, options: &BuildOptions) -> Result<Manifest> {
    let mut files: BTreeMap<String, Vec<u8>> = BTreeMap::new();
    let mut manifest = Manifest::default();
    for path in crate::loader::walk(dir)? {
        let relative = path.strip_prefix(dir).unwrap_or(&path);
        let name = normalise(&relative.to_string_lossy());
        let file_name = path.file_name().map(|n| n.to_string_lossy()).unwrap_or_default();
        let wanted = (name.ends_with(".rego") && !name.ends_with("_test.rego"))
            || data_file_dir(&name).is_some()
            || name.ends_with(".wasm");
        if file_name == ".manifest" && relative.parent() == Some(Path::new("")) {
            let bytes = std::fs::read(&path).map_err(|e| Error::io(&path, e))?;
            manifest = serde_json::from_slice(&bytes).map_err(|e| Error::Input {
                location: crate::error::Location::file(path.display().to_string()),
                message: format!("invalid .manifest: {e}"),
            })?;
            continue;
        }
        if !wanted {
            continue;
        }
        let bytes = std::fs::read(&path).map_err(|e| Error::io(&path, e))?;
        if data_file_dir(&name).is_some() {
            // Refuse to package data that would not load.
            parse_data(&path.display().to_string(), &bytes)?;
        }
        files.insert(name, bytes);
    }
    if files.is_empty() {
        return Err(Error::Bundle {
            path: dir.display().to_string(),
            message: "no .rego, data or .wasm files to bundle".into(),
        });
    }
    let hashes: BTreeMap<String, String> =
        files.iter().map(|(name, bytes)| (name.clone(), hex(&Sha256::digest(bytes)))).collect();
    let listing: String = hashes.iter().map(|(n, h)| format!("{h}  {n}\n")).collect();
    manifest.revision =
        options.revision.clone().unwrap_or_else(|| format!("sha256:{}", hex(&Sha256::digest(listing.as_bytes()))));
    if manifest.roots.is_none() {
        manifest.roots = Some(vec![String::new()]);
    }
    let oppie = serde_json::json!({ "hash_algorithm": "SHA-256", "files": hashes });
    manifest.metadata.insert("oppie".into(), oppie);
    let manifest_bytes = serde_json::to_vec_pretty(&manifest).map_err(|e| Error::Bundle {
        path: out.display().to_string(),
        message: format!("cannot serialise manifest: {e}"),
    })?;
    files.insert("/.manifest".into(), manifest_bytes);
    write_archive(out, &files)?;
    Ok(manifest)
}

fn write_archive(out: &Path, files: &BTreeMap<String, Vec<u8>>) -> Result<()> {
    let io = |e: std::io::Error| Error::io(out, e);
    let temp = PathBuf::from(format!("{}.partial", out.display()));
    let file = std::fs::File::create(&temp).map_err(io)?;
    let mut tar = tar::Builder::new(GzEncoder::new(file, Compression::default()));
    for (name, bytes) in files {
        let mut header = tar::Header::new_gnu();
        header.set_size(bytes.len() as u64);
        header.set_mode(0o644);
        header.set_mtime(0);
        header.set_uid(0);
        header.set_gid(0);
        header.set_entry_type(tar::EntryType::Regular);
        // Stored relative; OPA and we read `x` and `/x` alike.
        tar.append_data(&mut header, name.trim_start_matches('/'), bytes.as_slice()).map_err(io)?;
    }
    let encoder = tar.into_inner().map_err(io)?;
    let mut file = encoder.finish().map_err(io)?;
    file.flush().map_err(io)?;
    drop(file);
    std::fs::rename(&temp, out).map_err(io)
}

/// Checks `metadata.oppie.files` against the archive: same files, same SHA-256.
fn verify_hashes(manifest: &Manifest, files: &BTreeMap<String, Vec<u8>>) -> std::result::Result<(), String> {
    let Some(listed) = manifest.metadata.get("oppie").and_then(|o| o.get("files")).and_then(|f| f.as_object()) else {
        return Ok(());
    };
    for (name, bytes) in files {
        let Some(expected) = listed.get(name).and_then(|h| h.as_str()) else {
            return Err(format!("{name} is not listed in the manifest's file hashes"));
        };
        let actual = hex(&Sha256::digest(bytes));
        if actual != expected {
            return Err(format!("hash mismatch for {name}: manifest says {expected}, content is {actual}"));
        }
    }
    if let Some(missing) = listed.keys().find(|name| !files.contains_key(*name)) {
        return Err(format!("{missing} is listed in the manifest but missing"));
    }
    Ok(())
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// `./a/b.rego`, `a/b.rego` and `/a/b.rego` all become `/a/b.rego`.
fn normalise(name: &str) -> String {
    let trimmed = name.trim_start_matches("./").trim_start_matches('/');
    format!("/{}", trimmed.replace('\\', "/"))
}

/// For `/a/b/data.json` (or `.yaml`/`.yml`), the data path `["a", "b"]`.
fn data_file_dir(name: &str) -> Option<Vec<String>> {
    let (dir, file) = name.rsplit_once('/')?;
    if !matches!(file, "data.json" | "data.yaml" | "data.yml") {
        return None;
    }
    Some(dir.split('/').filter(|p| !p.is_empty()).map(str::to_string).collect())
}

/// Parses a JSON or YAML data file into a JSON value; errors carry `file:line:col`.
pub(crate) fn parse_data(name: &str, bytes: &[u8]) -> Result<serde_json::Value> {
    let text = crate::input::decode_text(name, bytes)?;
    if name.ends_with(".json") {
        return serde_json::from_str(&text).map_err(|e| crate::input::json_error(name, &text, &e));
    }
    yaml_depth_ok(name, &text)?;
    yaml_serde::from_str(&text).map_err(|e| {
        let (line, column) = e.location().map_or((0, 0), |l| (l.line() as u32, l.column() as u32));
        Error::Input {
            location: crate::error::Location::new(name, line, column),
            message: format!("invalid YAML: {e}"),
        }
    })
}

/// Deepest nesting a YAML data file may have, as serde_json allows for JSON.
const MAX_YAML_DEPTH: usize = 128;

/// Refuses YAML nested deeper than [`MAX_YAML_DEPTH`] in one linear pass, before the YAML
/// parser (whose time grows with the square of the depth: 72 s for a 200 KB file nested 100,000
/// deep) sees it. Flow collections (`[`, `{`) count one level each outside quotes and comments;
/// block collections one level per indentation step.
fn yaml_depth_ok(name: &str, text: &str) -> Result<()> {
    let too_deep = |line: usize| Error::Input {
        location: crate::error::Location::new(name, u32::try_from(line).unwrap_or(u32::MAX), 1),
        message: format!("YAML nested deeper than {MAX_YAML_DEPTH} levels"),
    };
    let mut flow = 0usize;
    let mut indents: Vec<usize> = Vec::new();
    for (number, line) in text.lines().enumerate() {
        let body = line.trim_start_matches([' ', '-']);
        if flow == 0 && !body.is_empty() && !body.starts_with('#') {
            let indent = line.len() - body.len();
            while indents.last().is_some_and(|&i| i >= indent) {
                indents.pop();
            }
            indents.push(indent);
            if indents.len() > MAX_YAML_DEPTH {
                return Err(too_deep(number + 1));
            }
        }
        let mut quote: Option<char> = None;
        for c in line.chars() {
            match (quote, c) {
                (Some(q), c) if c == q => quote = None,
                (Some(_), _) => {}
                (None, '"' | '\'') => quote = Some(c),
                (None, '#') => break,
                (None, '[' | '{') => {
                    flow += 1;
                    if flow + indents.len() > MAX_YAML_DEPTH + 1 {
                        return Err(too_deep(number + 1));
                    }
                }
                (None, ']' | '}') => flow = flow.saturating_sub(1),
                _ => {}
            }
        }
    }
    Ok(())
}

/// Deep-merges `value` into `root` at `path`; two different non-object values at one path conflict.
pub(crate) fn merge_at(
    root: &mut serde_json::Value,
    path: &[String],
    value: serde_json::Value,
) -> std::result::Result<(), String> {
    let mut target = root;
    for key in path {
        let serde_json::Value::Object(map) = target else {
            return Err(format!("data path {} is not an object", path.join(".")));
        };
        target = map.entry(key.clone()).or_insert_with(|| serde_json::Value::Object(serde_json::Map::new()));
    }
    merge(target, value, &mut path.to_vec())
}

fn merge(
    target: &mut serde_json::Value,
    value: serde_json::Value,
    at: &mut Vec<String>,
) -> std::result::Result<(), String> {
    match (target, value) {
        (serde_json::Value::Object(existing), serde_json::Value::Object(incoming)) => {
            for (key, value) in incoming {
                match existing.get_mut(&key) {
                    Some(slot) => {
                        at.push(key);
                        merge(slot, value, at)?;
                        at.pop();
                    }
                    None => {
                        existing.insert(key, value);
                    }
                }
            }
            Ok(())
        }
        (slot, value) if *slot == value => Ok(()),
        _ => Err(format!("conflicting values for data.{}", at.join("."))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn deeply_nested_yaml_is_refused_quickly() {
        let flow = format!("a: {}{}\n", "[".repeat(100_000), "]".repeat(100_000));
        let started = std::time::Instant::now();
        let err = parse_data("data.yaml", flow.as_bytes()).unwrap_err().to_string();
        assert!(err.contains("nested deeper than 128"), "{err}");
        let block: String = (0..200).map(|i| format!("{}k{i}:\n", " ".repeat(i))).collect();
        let err = parse_data("data.yaml", block.as_bytes()).unwrap_err().to_string();
        assert!(err.contains("nested deeper than 128"), "{err}");
        assert!(started.elapsed() < std::time::Duration::from_secs(2));
        let fine = "a:\n  b: [1, {c: \"[[[\"}]\n  d: '{'\n";
        assert_eq!(parse_data("data.yaml", fine.as_bytes()).unwrap()["a"]["b"][1]["c"], "[[[");
    }

    #[test]
    fn build_then_read_round_trips_with_hashes() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        std::fs::create_dir_all(root.join("aws/s3")).unwrap();
        std::fs::write(root.join("aws/s3/public.rego"), "package aws.s3\ndeny contains \"x\" if { true }\n").unwrap();
        std::fs::write(root.join("aws/s3/public_test.rego"), "package aws.s3\ntest_x if { true }\n").unwrap();
        std::fs::write(root.join("aws/data.json"), r#"{"regions": ["us-east-1"]}"#).unwrap();
        std::fs::write(root.join("data.yaml"), "owner: secops\n").unwrap();
        std::fs::write(root.join("notes.md"), "not bundled").unwrap();
        std::fs::write(root.join(".manifest"), r#"{"rego_version": 1, "roots": ["aws"]}"#).unwrap();
        let out = root.join("bundle.tar.gz");
        let manifest = build(root, &out, &BuildOptions::default()).unwrap();
        assert!(manifest.revision.starts_with("sha256:"));
        assert_eq!(manifest.roots, Some(vec!["aws".to_string()]));
        let files = &manifest.metadata["oppie"]["files"];
        assert_eq!(
            files.as_object().unwrap().keys().collect::<Vec<_>>(),
            ["/aws/data.json", "/aws/s3/public.rego", "/data.yaml"]
        );

        let bundle = read(&out).unwrap();
        assert_eq!(bundle.manifest, manifest);
        assert_eq!(bundle.rego.len(), 1);
        assert_eq!(bundle.rego[0].0, "/aws/s3/public.rego");
        assert_eq!(bundle.data, json!({"aws": {"regions": ["us-east-1"]}, "owner": "secops"}));

        // Same input, same bytes: the archive is reproducible.
        let again = root.join("again.tar.gz");
        build(root, &again, &BuildOptions::default()).unwrap();
        assert_eq!(std::fs::read(&out).unwrap(), std::fs::read(&again).unwrap());
    }

    #[test]
    fn tampered_bundle_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("p.rego"), "package p\n").unwrap();
        let out = dir.path().join("b.tar.gz");
        let manifest = build(dir.path(), &out, &BuildOptions { revision: Some("r1".into()) }).unwrap();
        assert_eq!(manifest.revision, "r1");
        let mut files = BTreeMap::new();
        files.insert("/p.rego".to_string(), b"package evil\n".to_vec());
        files.insert("/.manifest".to_string(), serde_json::to_vec(&manifest).unwrap());
        write_archive(&out, &files).unwrap();
        let err = read(&out).unwrap_err().to_string();
        assert!(err.contains("hash mismatch for /p.rego"), "{err}");
    }

    #[test]
    fn garbage_is_a_clear_error() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("x.tar.gz");
        std::fs::write(&path, b"definitely not gzip").unwrap();
        let err = read(&path).unwrap_err().to_string();
        assert!(err.starts_with(&path.display().to_string()), "{err}");
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(300))]
        /// Arbitrary bytes, and gzip streams of arbitrary bytes, never panic the reader.
        #[test]
        fn reader_never_panics(bytes in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..2048)) {
            let dir = tempfile::tempdir().unwrap();
            let raw = dir.path().join("raw.tar.gz");
            std::fs::write(&raw, &bytes).unwrap();
            let _ = read(&raw);
            let mut gz = GzEncoder::new(Vec::new(), Compression::fast());
            gz.write_all(&bytes).unwrap();
            let zipped = dir.path().join("zipped.tar.gz");
            std::fs::write(&zipped, gz.finish().unwrap()).unwrap();
            let _ = read(&zipped);
        }
    }

    #[test]
    fn data_merge_detects_conflicts() {
        let mut root = json!({});
        merge_at(&mut root, &["a".into()], json!({"x": 1})).unwrap();
        merge_at(&mut root, &["a".into()], json!({"y": 2})).unwrap();
        assert_eq!(root, json!({"a": {"x": 1, "y": 2}}));
        let err = merge_at(&mut root, &[], json!({"a": {"x": 3}})).unwrap_err();
        assert_eq!(err, "conflicting values for data.a.x");
    }
}
