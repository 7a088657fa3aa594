//! Maps a finding's resource address and attribute path to the file, line and column of that
//! block or attribute in the Terraform sources (modules included), so reports point at `.tf` lines.
//!
//! ```no_run
//! use oppie_policy::locate::{Locator, Lookup};
//! use oppie_policy::PathStep;
//! let mut locator = Locator::new("infra", &serde_json::Value::Null);
//! let path = [PathStep::Key("ingress".into()), PathStep::Index(0)];
//! match locator.locate("module.net.aws_security_group.web[0]", Some(&path)) {
//!     Lookup::Found(at) => println!("{}:{}:{}", at.file, at.line, at.column),
//!     Lookup::NotFound(why) => println!("not found: {why}"),
//! }
//! ```

mod address;
mod hcl;
mod modules;

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use serde::Serialize;
use serde_json::Value;

use crate::findings::PathStep;
use address::Address;
use hcl::SourceFile;
use modules::ModuleDirs;

/// A place in a `.tf` file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SourceLocation {
    /// The file, as the configuration directory was given joined with the file's path in it
    /// (`infra/modules/net/main.tf`), with `/` separators.
    pub file: String,
    /// 1-based line.
    pub line: u32,
    /// 1-based column, in characters.
    pub column: u32,
    /// Set when the location is coarser than the finding's path asked (the attribute is not in
    /// the configuration, so this is its enclosing block).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

/// What looking a finding up gave.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Lookup {
    /// The block or attribute.
    Found(SourceLocation),
    /// Why the source was not found (the report keeps the plan location).
    NotFound(String),
}

/// Looks findings up in one configuration directory; parses each module directory once.
pub struct Locator {
    root: PathBuf,
    shown_root: PathBuf,
    modules: ModuleDirs,
    dirs: HashMap<PathBuf, Result<Vec<SourceFile>, String>>,
}

impl Locator {
    /// A locator for the configuration in `config_dir`; `configuration` is the plan's
    /// `configuration` section (`Null` when the plan has none), which says where local
    /// modules are; `.terraform/modules/modules.json` says where installed ones are.
    pub fn new(config_dir: impl Into<PathBuf>, configuration: &Value) -> Self {
        let root = config_dir.into();
        let modules = ModuleDirs::new(&root, configuration);
        // An absolute directory under the working directory is shown relative to it, as the
        // annotation and SARIF consumers expect paths from the repository root.
        let shown_root = match std::env::current_dir() {
            Ok(cwd) if root.is_absolute() => root.strip_prefix(&cwd).map(Path::to_path_buf).unwrap_or(root.clone()),
            _ => root.clone(),
        };
        Self { root, shown_root, modules, dirs: HashMap::new() }
    }

    /// The source of the resource at `address`, and of the attribute or nested block at `path`
    /// inside it when the configuration sets it.
    pub fn locate(&mut self, address: &str, path: Option<&[PathStep]>) -> Lookup {
        let Some(parsed) = Address::parse(address) else {
            return Lookup::NotFound(format!("`{address}` is not a resource address"));
        };
        let dir = match self.modules.dir(&parsed.modules) {
            Ok(dir) => dir.to_path_buf(),
            Err(why) => return Lookup::NotFound(why),
        };
        let root = &self.root;
        let files = self.dirs.entry(dir.clone()).or_insert_with(|| hcl::load_dir(root, &dir));
        let files = match files {
            Ok(files) => files,
            Err(why) => {
                let module = parsed.module_path();
                return Lookup::NotFound(if module.is_empty() { why.clone() } else { format!("{module}: {why}") });
            }
        };
        match hcl::find(files, &parsed, path.unwrap_or_default()) {
            Ok(hit) => {
                let file = &files[hit.file];
                let (line, column) = file.line_column(hit.offset);
                let shown = modules::normalise(&self.shown_root.join(&file.path));
                Lookup::Found(SourceLocation {
                    file: shown.to_string_lossy().replace('\\', "/"),
                    line,
                    column,
                    note: hit.note,
                })
            }
            Err(why) => Lookup::NotFound(why),
        }
    }
}

/// The configuration directory `check` uses without `--config-dir`: Terraform's plan JSON does
/// not record its working directory, so the plan file's own directory, when it holds `.tf` files.
pub fn default_config_dir(plan_file: &Path) -> Option<PathBuf> {
    let dir = match plan_file.parent() {
        Some(dir) if dir.as_os_str().is_empty() => Path::new("."),
        Some(dir) => dir,
        None => return None,
    };
    let has_tf = std::fs::read_dir(dir)
        .ok()?
        .filter_map(|e| e.ok())
        .any(|e| e.file_name().to_str().is_some_and(|n| n.ends_with(".tf")));
    has_tf.then(|| dir.to_path_buf())
}

/// The `configuration` section of plan JSON text (`Null` when absent or not JSON).
pub fn configuration_of(plan_text: &str) -> Value {
    #[derive(serde::Deserialize)]
    struct Sections {
        configuration: Option<Value>,
    }
    serde_json::from_str::<Sections>(plan_text).ok().and_then(|s| s.configuration).unwrap_or(Value::Null)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn write(dir: &Path, file: &str, text: &str) {
        let path = dir.join(file);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, text).unwrap();
    }

    #[test]
    fn resources_in_the_root_and_in_local_modules() {
        let dir = tempfile::tempdir().unwrap();
        write(
            dir.path(),
            "main.tf",
            "module \"net\" {\n  source = \"./modules/net\"\n}\n\nresource \"a_b\" \"c\" {\n  x = 1\n}\n",
        );
        write(
            dir.path(),
            "modules/net/net.tf",
            "resource \"a_vpc\" \"v\" {\n  for_each = var.x\n  cidr = \"0.0.0.0/0\"\n}\n",
        );
        let configuration =
            json!({"root_module": {"module_calls": {"net": {"source": "./modules/net", "module": {}}}}});
        let mut locator = Locator::new(dir.path(), &configuration);
        let root = dir.path().display().to_string();
        match locator.locate("a_b.c", Some(&[PathStep::Key("x".into())])) {
            Lookup::Found(at) => assert_eq!((at.file, at.line, at.column), (format!("{root}/main.tf"), 6, 3)),
            other => panic!("{other:?}"),
        }
        match locator.locate(r#"module.net.a_vpc.v["k"]"#, Some(&[PathStep::Key("cidr".into())])) {
            Lookup::Found(at) => {
                assert_eq!((at.file, at.line, at.column), (format!("{root}/modules/net/net.tf"), 3, 3))
            }
            other => panic!("{other:?}"),
        }
        let Lookup::NotFound(why) = locator.locate("module.other.a_vpc.v", None) else { panic!() };
        assert!(why.contains("module.other"), "{why}");
        let Lookup::NotFound(why) = locator.locate("not an address", None) else { panic!() };
        assert!(why.contains("not a resource address"), "{why}");
    }

    #[test]
    fn the_default_directory_is_the_plans_when_it_holds_tf_files() {
        let dir = tempfile::tempdir().unwrap();
        assert_eq!(default_config_dir(&dir.path().join("plan.json")), None);
        write(dir.path(), "main.tf", "");
        assert_eq!(default_config_dir(&dir.path().join("plan.json")).as_deref(), Some(dir.path()));
        assert_eq!(configuration_of(r#"{"configuration": {"root_module": {}}}"#), json!({"root_module": {}}));
        assert_eq!(configuration_of("nope"), Value::Null);
    }
}
