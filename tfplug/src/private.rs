//! Private state: provider-only data Terraform stores next to a resource instance.
//! tfplug keeps it as a JSON object of keys, so separate concerns do not trample each other.

use std::collections::BTreeMap;

use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::diag::Diagnostics;

/// Keyed private data for one resource instance; never shown to users.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Private(BTreeMap<String, serde_json::Value>);

impl Private {
    /// Decodes stored bytes; anything that is not a JSON object starts afresh (and is
    /// kept under the key `"raw"` so it is not silently lost).
    pub fn from_bytes(bytes: &[u8]) -> Self {
        if bytes.is_empty() {
            return Private::default();
        }
        match serde_json::from_slice(bytes) {
            Ok(map) => Private(map),
            Err(_) => {
                let raw = String::from_utf8_lossy(bytes).into_owned();
                Private([("raw".to_string(), serde_json::Value::String(raw))].into())
            }
        }
    }

    /// Encodes for Terraform (empty when there is nothing to keep).
    pub fn to_bytes(&self) -> Vec<u8> {
        if self.0.is_empty() { Vec::new() } else { serde_json::to_vec(&self.0).unwrap_or_default() }
    }

    /// Reads a key.
    pub fn get<T: DeserializeOwned>(&self, key: &str) -> Result<Option<T>, Diagnostics> {
        self.0
            .get(key)
            .map(|v| serde_json::from_value(v.clone()))
            .transpose()
            .map_err(|e| Diagnostics::error("Corrupt private state", format!("key {key:?}: {e}")))
    }

    /// Writes a key.
    pub fn set<T: Serialize>(&mut self, key: &str, value: &T) -> Result<(), Diagnostics> {
        let v = serde_json::to_value(value)
            .map_err(|e| Diagnostics::error("Internal error", format!("private key {key:?}: {e}")))?;
        self.0.insert(key.to_string(), v);
        Ok(())
    }

    /// Removes a key.
    pub fn remove(&mut self, key: &str) {
        self.0.remove(key);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_and_garbage() {
        let mut p = Private::default();
        assert!(p.to_bytes().is_empty());
        p.set("etag", &"abc").unwrap();
        let back = Private::from_bytes(&p.to_bytes());
        assert_eq!(back.get::<String>("etag").unwrap().as_deref(), Some("abc"));
        let junk = Private::from_bytes(b"\xff\x00not json");
        assert!(junk.get::<String>("raw").unwrap().is_some());
    }
}
