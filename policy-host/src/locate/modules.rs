//! Where a module call's sources are: a local `source` path from the plan's `configuration`
//! (relative to the calling module), else the directory `terraform init` recorded in `.terraform/modules/modules.json`.

use std::collections::HashMap;
use std::path::{Component, Path, PathBuf};

use serde_json::Value;

/// How deep module calls may nest before we stop following them (Terraform itself has no
/// limit; a plan this deep is hostile).
const MAX_DEPTH: usize = 64;

/// Module directories by call path (`["a", "b"]` for `module.a.module.b`), relative to the
/// configuration directory.
#[derive(Debug, Default)]
pub(crate) struct ModuleDirs {
    /// From the plan's `configuration` (local sources) and from `modules.json`, the plan first.
    dirs: HashMap<Vec<String>, PathBuf>,
    /// Non-local sources the plan names, for the reason a module is not found.
    remote: HashMap<Vec<String>, String>,
}

impl ModuleDirs {
    /// Reads the plan's `configuration` (may be `Null`) and `<config_dir>/.terraform/modules/modules.json`.
    pub(crate) fn new(config_dir: &Path, configuration: &Value) -> Self {
        let mut found = Self::default();
        found.dirs.insert(Vec::new(), PathBuf::new());
        found.add_local_calls(&configuration["root_module"], &mut Vec::new(), Path::new(""));
        found.add_installed(config_dir);
        found
    }

    fn add_local_calls(&mut self, module: &Value, calls: &mut Vec<String>, dir: &Path) {
        if calls.len() >= MAX_DEPTH {
            return;
        }
        let Some(module_calls) = module["module_calls"].as_object() else {
            return;
        };
        for (name, call) in module_calls {
            calls.push(name.clone());
            let source = call["source"].as_str().unwrap_or_default();
            if is_local(source) {
                let child = normalise(&dir.join(source));
                self.dirs.insert(calls.clone(), child.clone());
                self.add_local_calls(&call["module"], calls, &child);
            } else {
                self.remote.insert(calls.clone(), source.to_string());
            }
            calls.pop();
        }
    }

    /// `terraform init`'s record: `{"Modules": [{"Key": "a.b", "Dir": ".terraform/modules/a.b"}]}`.
    fn add_installed(&mut self, config_dir: &Path) {
        let path = config_dir.join(".terraform/modules/modules.json");
        let Ok(text) = std::fs::read_to_string(&path) else {
            return;
        };
        let Ok(manifest) = serde_json::from_str::<Value>(&text) else {
            tracing::warn!("{}: not JSON; module sources are taken from the plan alone", path.display());
            return;
        };
        for entry in manifest["Modules"].as_array().into_iter().flatten() {
            let (Some(key), Some(dir)) = (entry["Key"].as_str(), entry["Dir"].as_str()) else {
                continue;
            };
            if key.is_empty() {
                continue;
            }
            let calls: Vec<String> = key.split('.').map(str::to_string).collect();
            self.dirs.entry(calls).or_insert_with(|| normalise(Path::new(dir)));
        }
    }

    /// The directory of the module at `calls`, relative to the configuration directory, or why
    /// it is not known.
    pub(crate) fn dir(&self, calls: &[String]) -> Result<&Path, String> {
        if let Some(dir) = self.dirs.get(calls) {
            return Ok(dir);
        }
        let shown = calls.iter().map(|c| format!("module.{c}")).collect::<Vec<_>>().join(".");
        Err(match self.remote.get(calls) {
            Some(source) => format!(
                "{shown} comes from \"{source}\", and .terraform/modules/modules.json does not list it (run terraform init in the configuration directory)"
            ),
            None => format!(
                "the plan's configuration does not show where {shown} comes from, and .terraform/modules/modules.json does not list it"
            ),
        })
    }
}

/// Terraform's rule: a local path starts with `./` or `../`.
fn is_local(source: &str) -> bool {
    source.starts_with("./") || source.starts_with("../") || source.starts_with(".\\") || source.starts_with("..\\")
}

/// Removes `.` and folds `dir/..` without touching the file system (module sources are
/// relative; a `..` above the start stays).
pub(crate) fn normalise(path: &Path) -> PathBuf {
    let mut parts: Vec<Component> = Vec::new();
    for component in path.components() {
        match component {
            Component::CurDir => {}
            Component::ParentDir if matches!(parts.last(), Some(Component::Normal(_))) => {
                parts.pop();
            }
            other => parts.push(other),
        }
    }
    parts.iter().collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn calls(names: &[&str]) -> Vec<String> {
        names.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn local_sources_nest_relative_to_their_caller() {
        let configuration = json!({"root_module": {"module_calls": {
            "net": {"source": "./modules/net", "module": {"module_calls": {
                "sub": {"source": "../sub", "module": {}},
                "far": {"source": "terraform-aws-modules/vpc/aws", "module": {}}
            }}}
        }}});
        let dirs = ModuleDirs::new(Path::new("/nonexistent"), &configuration);
        assert_eq!(dirs.dir(&[]).unwrap(), Path::new(""));
        assert_eq!(dirs.dir(&calls(&["net"])).unwrap(), Path::new("modules/net"));
        assert_eq!(dirs.dir(&calls(&["net", "sub"])).unwrap(), Path::new("modules/sub"));
        let far = dirs.dir(&calls(&["net", "far"])).unwrap_err();
        assert!(far.contains("terraform-aws-modules/vpc/aws") && far.contains("terraform init"), "{far}");
        assert!(dirs.dir(&calls(&["nope"])).unwrap_err().contains("module.nope"));
    }

    #[test]
    fn the_init_manifest_fills_in_remote_modules() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(dir.path().join(".terraform/modules")).unwrap();
        std::fs::write(
            dir.path().join(".terraform/modules/modules.json"),
            r#"{"Modules":[{"Key":"","Source":"","Dir":"."},{"Key":"vpc","Source":"registry.terraform.io/x/vpc/aws","Dir":".terraform/modules/vpc"},{"Key":"vpc.sub","Dir":".terraform/modules/vpc/modules/sub"}]}"#,
        )
        .unwrap();
        let configuration = json!({"root_module": {"module_calls": {"vpc": {"source": "x/vpc/aws"}}}});
        let dirs = ModuleDirs::new(dir.path(), &configuration);
        assert_eq!(dirs.dir(&calls(&["vpc"])).unwrap(), Path::new(".terraform/modules/vpc"));
        assert_eq!(dirs.dir(&calls(&["vpc", "sub"])).unwrap(), Path::new(".terraform/modules/vpc/modules/sub"));
    }

    #[test]
    fn hostile_configurations_do_not_recurse_forever() {
        let mut module = json!({});
        for _ in 0..500 {
            module = json!({"module_calls": {"m": {"source": "./m", "module": module}}});
        }
        let dirs = ModuleDirs::new(Path::new("/nonexistent"), &json!({"root_module": module}));
        assert!(dirs.dir(&vec!["m".to_string(); MAX_DEPTH]).is_ok());
        assert!(dirs.dir(&vec!["m".to_string(); MAX_DEPTH + 1]).is_err());
        let _ = ModuleDirs::new(Path::new("/nonexistent"), &json!({"root_module": {"module_calls": [1, 2]}}));
    }

    #[test]
    fn normalising_folds_parents() {
        assert_eq!(normalise(Path::new("./a/../b/./c")), Path::new("b/c"));
        assert_eq!(normalise(Path::new("../x")), Path::new("../x"));
    }
}
