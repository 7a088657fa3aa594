//! Gathering policy sources from the paths a user names: directories of `.rego` files, single
//! files, bundles (Rego or WASM) and data files, each tagged with its Rego version.

use std::path::{Path, PathBuf};

use crate::bundle::{self, merge_at, parse_data};
use crate::engine::rego::{DataDocument, RegoSource, RegoVersion};
use crate::error::{Error, Location, Result};

/// A WASM module to load, with the data document of its bundle.
#[derive(Debug, Clone)]
pub struct WasmSource {
    /// Label: `bundle.tar.gz:/policy.wasm`.
    pub name: String,
    /// The module and its manifest annotations.
    pub module: bundle::WasmModule,
    /// The bundle's data document.
    pub data: serde_json::Value,
}

/// Everything gathered from the `--policy` and `--data` paths.
#[derive(Debug, Clone, Default)]
pub struct Sources {
    /// Rego files.
    pub rego: Vec<RegoSource>,
    /// Data documents (merged at the root of `data`).
    pub data: Vec<DataDocument>,
    /// WASM modules.
    pub wasm: Vec<WasmSource>,
}

impl Sources {
    /// Adds a policy path: a directory (recursively), a `.rego` file, or a bundle.
    ///
    /// In a directory, `*_test.rego` files are skipped unless `include_tests`, `data.json` and
    /// `data.yaml` files land under their directory's path (the bundle convention), and a
    /// `.manifest` with `rego_version` sets the syntax of its files; `version` (the command line's
    /// choice) applies where no manifest says, as OPA's `--v0-compatible` does.
    pub fn add_policy_path(&mut self, path: &Path, version: RegoVersion, include_tests: bool) -> Result<()> {
        if bundle::is_bundle(path) {
            return self.add_bundle(path, version);
        }
        if path.is_file() {
            let text = read_text(path)?;
            self.rego.push(RegoSource { name: path.display().to_string(), text, version });
            return Ok(());
        }
        if !path.is_dir() {
            return Err(Error::io(
                path,
                std::io::Error::new(std::io::ErrorKind::NotFound, "no such policy file or directory"),
            ));
        }
        let version = match directory_version(path)? {
            RegoVersion::Auto => version,
            declared => declared,
        };
        for file in walk(path)? {
            let name = file.display().to_string();
            let file_name = file.file_name().map(|n| n.to_string_lossy()).unwrap_or_default();
            if name.ends_with(".rego") {
                if name.ends_with("_test.rego") && !include_tests {
                    continue;
                }
                self.rego.push(RegoSource { text: read_text(&file)?, name, version });
            } else if matches!(file_name.as_ref(), "data.json" | "data.yaml" | "data.yml") {
                let relative = file.strip_prefix(path).unwrap_or(&file);
                let at: Vec<String> = relative
                    .parent()
                    .map(|p| p.components().map(|c| c.as_os_str().to_string_lossy().into_owned()).collect())
                    .unwrap_or_default();
                self.add_data_file(&file, &at)?;
            }
        }
        Ok(())
    }

    /// Adds a data path: a file is merged at the root of `data`; a directory's JSON and YAML
    /// files land under their directory path relative to it (as OPA's loader does).
    pub fn add_data_path(&mut self, path: &Path) -> Result<()> {
        if path.is_file() {
            return self.add_data_file(path, &[]);
        }
        if !path.is_dir() {
            return Err(Error::io(
                path,
                std::io::Error::new(std::io::ErrorKind::NotFound, "no such data file or directory"),
            ));
        }
        for file in walk(path)? {
            let name = file.to_string_lossy();
            if name.ends_with(".json") || name.ends_with(".yaml") || name.ends_with(".yml") {
                let relative = file.strip_prefix(path).unwrap_or(&file);
                let at: Vec<String> = relative
                    .parent()
                    .map(|p| p.components().map(|c| c.as_os_str().to_string_lossy().into_owned()).collect())
                    .unwrap_or_default();
                self.add_data_file(&file, &at)?;
            }
        }
        Ok(())
    }

    fn add_data_file(&mut self, file: &Path, at: &[String]) -> Result<()> {
        let name = file.display().to_string();
        let bytes = std::fs::read(file).map_err(|e| Error::io(file, e))?;
        let value = parse_data(&name, &bytes)?;
        let mut document = serde_json::Value::Object(serde_json::Map::new());
        merge_at(&mut document, at, value).map_err(|m| data_error(&name, m))?;
        if !document.is_object() {
            return Err(data_error(&name, "a data file must hold an object".into()));
        }
        self.data.push(DataDocument { name, value: document });
        Ok(())
    }

    fn add_bundle(&mut self, path: &Path, version: RegoVersion) -> Result<()> {
        let bundle = bundle::read(path)?;
        let version = match bundle.manifest.rego_version {
            Some(0) => RegoVersion::V0,
            Some(_) => RegoVersion::V1,
            None => version,
        };
        for (file, text) in bundle.rego {
            self.rego.push(RegoSource { name: format!("{}:{file}", bundle.path), text, version });
        }
        if bundle.wasm.is_empty() {
            if bundle.data.as_object().is_some_and(|o| !o.is_empty()) {
                self.data.push(DataDocument { name: bundle.path.clone(), value: bundle.data });
            }
        } else {
            // A WASM bundle's data belongs to its module, as in OPA.
            for module in bundle.wasm {
                self.wasm.push(WasmSource {
                    name: format!("{}:{}", bundle.path, module.path),
                    module,
                    data: bundle.data.clone(),
                });
            }
        }
        Ok(())
    }
}

fn data_error(name: &str, message: String) -> Error {
    Error::Input { location: Location::file(name), message }
}

/// Reads a policy file as text (UTF-8 or UTF-16 with BOM).
fn read_text(path: &Path) -> Result<String> {
    let bytes = crate::input::read_file_capped(path)?;
    let name = path.display().to_string();
    Ok(crate::input::decode_text(&name, &bytes)?.into_owned())
}

/// `rego_version` from a `.manifest` at the root of a policy directory.
fn directory_version(dir: &Path) -> Result<RegoVersion> {
    let manifest = dir.join(".manifest");
    if !manifest.is_file() {
        return Ok(RegoVersion::Auto);
    }
    let bytes = std::fs::read(&manifest).map_err(|e| Error::io(&manifest, e))?;
    let parsed: bundle::Manifest = serde_json::from_slice(&bytes).map_err(|e| Error::Input {
        location: Location::file(manifest.display().to_string()),
        message: format!("invalid .manifest: {e}"),
    })?;
    Ok(match parsed.rego_version {
        Some(0) => RegoVersion::V0,
        Some(_) => RegoVersion::V1,
        None => RegoVersion::Auto,
    })
}

/// Every file under `dir`, sorted, skipping hidden directories (`.git`, `.terraform`).
pub(crate) fn walk(dir: &Path) -> Result<Vec<PathBuf>> {
    let mut files = Vec::new();
    let mut pending = vec![dir.to_path_buf()];
    while let Some(current) = pending.pop() {
        let entries = std::fs::read_dir(&current).map_err(|e| Error::io(&current, e))?;
        for entry in entries {
            let entry = entry.map_err(|e| Error::io(&current, e))?;
            let path = entry.path();
            let hidden = entry.file_name().to_string_lossy().starts_with('.');
            let kind = entry.file_type().map_err(|e| Error::io(&path, e))?;
            if kind.is_dir() {
                if !hidden {
                    pending.push(path);
                }
            } else if kind.is_file() || kind.is_symlink() && path.is_file() {
                files.push(path);
            }
        }
    }
    files.sort();
    Ok(files)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn directories_skip_tests_and_place_data_by_path() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        std::fs::create_dir_all(root.join("net/.git")).unwrap();
        std::fs::write(root.join("net/rules.rego"), "package net\n").unwrap();
        std::fs::write(root.join("net/rules_test.rego"), "package net\n").unwrap();
        std::fs::write(root.join("net/.git/x.rego"), "package hidden\n").unwrap();
        std::fs::write(root.join("net/data.json"), r#"{"ports": [22]}"#).unwrap();
        std::fs::write(root.join("other.json"), r#"{"ignored": true}"#).unwrap();
        let mut sources = Sources::default();
        sources.add_policy_path(root, RegoVersion::Auto, false).unwrap();
        assert_eq!(sources.rego.len(), 1);
        assert!(sources.rego[0].name.ends_with("net/rules.rego"));
        assert_eq!(sources.data.len(), 1);
        assert_eq!(sources.data[0].value, serde_json::json!({"net": {"ports": [22]}}));

        let mut with_tests = Sources::default();
        with_tests.add_policy_path(root, RegoVersion::Auto, true).unwrap();
        assert_eq!(with_tests.rego.len(), 2);
    }

    #[test]
    fn manifest_rego_version_applies_to_its_directory() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join(".manifest"), r#"{"rego_version": 0}"#).unwrap();
        std::fs::write(dir.path().join("p.rego"), "package p\n").unwrap();
        let mut sources = Sources::default();
        sources.add_policy_path(dir.path(), RegoVersion::Auto, false).unwrap();
        assert_eq!(sources.rego[0].version, RegoVersion::V0);
        // The manifest wins over the command line's choice, which applies where none says.
        let mut flagged = Sources::default();
        flagged.add_policy_path(dir.path(), RegoVersion::V1, false).unwrap();
        assert_eq!(flagged.rego[0].version, RegoVersion::V0);
        std::fs::remove_file(dir.path().join(".manifest")).unwrap();
        let mut undeclared = Sources::default();
        undeclared.add_policy_path(dir.path(), RegoVersion::V1, false).unwrap();
        assert_eq!(undeclared.rego[0].version, RegoVersion::V1);
    }

    #[test]
    fn data_files_and_directories() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(dir.path().join("teams")).unwrap();
        std::fs::write(dir.path().join("teams/owners.yaml"), "a: 1\n").unwrap();
        std::fs::write(dir.path().join("root.json"), r#"{"b": 2}"#).unwrap();
        let mut sources = Sources::default();
        sources.add_data_path(dir.path()).unwrap();
        let values: Vec<_> = sources.data.iter().map(|d| d.value.clone()).collect();
        assert_eq!(values, [serde_json::json!({"b": 2}), serde_json::json!({"teams": {"a": 1}})]);
        let err = Sources::default().add_data_path(&dir.path().join("missing.json")).unwrap_err();
        assert!(err.to_string().contains("missing.json"), "{err}");
        std::fs::write(dir.path().join("bad.json"), "{\"x\": ").unwrap();
        let err = Sources::default().add_data_path(&dir.path().join("bad.json")).unwrap_err().to_string();
        assert!(err.contains("bad.json:1:"), "{err}");
    }
}
