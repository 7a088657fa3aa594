//! The "cloud": one JSON file per note in a directory, plus `<name>.stamps` logs.

use std::collections::BTreeMap;
use std::path::PathBuf;

use serde::{Deserialize, Serialize};
use tfplug::Diagnostics;

/// A note as stored.
#[derive(Serialize, Deserialize, Default)]
pub struct Stored {
    pub body: String,
    #[serde(default)]
    pub color: String,
    #[serde(default)]
    pub tags: BTreeMap<String, String>,
    /// What write-only arguments deliver: the remote system has it, Terraform does not.
    #[serde(default)]
    pub secret: Option<String>,
}

/// The configured client.
pub struct Store {
    dir: PathBuf,
}

fn io(what: &str, e: impl std::fmt::Display) -> Diagnostics {
    Diagnostics::error(format!("Cannot {what}"), e.to_string())
}

impl Store {
    pub fn open(dir: PathBuf) -> Result<Store, Diagnostics> {
        std::fs::create_dir_all(&dir).map_err(|e| io(&format!("create {}", dir.display()), e))?;
        Ok(Store { dir })
    }

    fn path(&self, name: &str) -> PathBuf {
        self.dir.join(format!("{name}.json"))
    }

    pub fn get(&self, name: &str) -> Result<Option<Stored>, Diagnostics> {
        match std::fs::read(self.path(name)) {
            Ok(bytes) => serde_json::from_slice(&bytes).map(Some).map_err(|e| io(&format!("read note {name}"), e)),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(io(&format!("read note {name}"), e)),
        }
    }

    pub fn put(&self, name: &str, note: &Stored) -> Result<(), Diagnostics> {
        let bytes = serde_json::to_vec_pretty(note).map_err(|e| io("encode note", e))?;
        std::fs::write(self.path(name), bytes).map_err(|e| io(&format!("write note {name}"), e))
    }

    pub fn delete(&self, name: &str) -> Result<(), Diagnostics> {
        match std::fs::remove_file(self.path(name)) {
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => Err(io(&format!("delete note {name}"), e)),
            _ => Ok(()),
        }
    }

    /// Names of the notes, sorted.
    pub fn names(&self) -> Result<Vec<String>, Diagnostics> {
        let entries = std::fs::read_dir(&self.dir).map_err(|e| io("list notes", e))?;
        let mut names: Vec<String> =
            entries.filter_map(|e| e.ok()?.file_name().to_str()?.strip_suffix(".json").map(str::to_string)).collect();
        names.sort();
        Ok(names)
    }

    /// Appends a line to the note's stamp log; returns how many lines it has.
    pub fn stamp(&self, name: &str, text: &str) -> Result<usize, Diagnostics> {
        use std::io::Write as _;
        let path = self.dir.join(format!("{name}.stamps"));
        let mut f =
            std::fs::OpenOptions::new().create(true).append(true).open(&path).map_err(|e| io("open stamp log", e))?;
        writeln!(f, "{text}").map_err(|e| io("write stamp log", e))?;
        let all = std::fs::read_to_string(&path).map_err(|e| io("read stamp log", e))?;
        Ok(all.lines().count())
    }
}
