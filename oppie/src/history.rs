//! Scan history in SQLite (`.oppie/drift.db`): every scan is recorded, each drift item keeps when it
//! appeared and when a later scan of the same source no longer found it (resolved).
//!
//! Only addresses, paths, kinds, severities and rule ids are stored, never values: a value may be a
//! secret that Terraform did not mark sensitive.

use std::path::Path;

use rusqlite::{Connection, OptionalExtension, params};
use serde::Serialize;
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use crate::drift::item::DriftItem;

/// Why the history store failed.
#[derive(Debug, thiserror::Error)]
pub enum HistoryError {
    /// SQLite reported an error.
    #[error("drift history database: {0}")]
    Sqlite(#[from] rusqlite::Error),
    /// The database directory could not be created.
    #[error("drift history database directory {path}: {source}")]
    Io {
        /// The directory.
        path: String,
        /// The error.
        source: std::io::Error,
    },
    /// A stored time does not parse.
    #[error("drift history database holds a bad time {0:?}")]
    Time(String),
}

/// The store.
pub struct History {
    db: Connection,
}

/// What one recorded scan changed.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct ScanDelta {
    /// The scan's id.
    pub scan: i64,
    /// Keys of items not open before this scan.
    pub appeared: Vec<String>,
    /// Keys of items open before and not found now.
    pub resolved: Vec<String>,
}

/// One occurrence of a drift item: from the scan that first found it to the scan that no longer did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Occurrence {
    /// Working directory or plan file.
    pub source: String,
    /// Resource address.
    pub address: String,
    /// Attribute path (empty for a deleted resource).
    pub path: String,
    /// `changed` or `deleted`.
    pub kind: String,
    /// Severity when last seen.
    pub severity: String,
    /// Rule ids, comma-separated, when last seen.
    pub rules: String,
    /// First found (RFC 3339).
    pub appeared_at: String,
    /// Last found (RFC 3339).
    pub last_seen_at: String,
    /// No longer found (RFC 3339), if so.
    pub resolved_at: Option<String>,
    /// Seconds from appearing to being resolved.
    pub seconds_to_resolve: Option<i64>,
}

const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS scans (
    id         INTEGER PRIMARY KEY,
    source     TEXT NOT NULL,
    scanned_at TEXT NOT NULL,
    items      INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS occurrences (
    id             INTEGER PRIMARY KEY,
    source         TEXT NOT NULL,
    item_key       TEXT NOT NULL,
    address        TEXT NOT NULL,
    path           TEXT NOT NULL,
    kind           TEXT NOT NULL,
    severity       TEXT NOT NULL,
    rules          TEXT NOT NULL,
    appeared_scan  INTEGER NOT NULL REFERENCES scans(id),
    appeared_at    TEXT NOT NULL,
    last_seen_scan INTEGER NOT NULL REFERENCES scans(id),
    last_seen_at   TEXT NOT NULL,
    resolved_scan  INTEGER REFERENCES scans(id),
    resolved_at    TEXT
);
CREATE INDEX IF NOT EXISTS open_occurrences ON occurrences(source, item_key) WHERE resolved_scan IS NULL;
";

impl History {
    /// Opens (creating) the database at `path`.
    pub fn open(path: &Path) -> Result<Self, HistoryError> {
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir)
                .map_err(|source| HistoryError::Io { path: dir.display().to_string(), source })?;
        }
        let db = Connection::open(path)?;
        // Several scans (a watch loop and a CI job) may share the file: wait for each other.
        db.busy_timeout(std::time::Duration::from_secs(10))?;
        db.execute_batch("PRAGMA journal_mode=WAL;")?;
        db.execute_batch(SCHEMA)?;
        Ok(History { db })
    }

    /// An in-memory store (tests).
    pub fn in_memory() -> Result<Self, HistoryError> {
        let db = Connection::open_in_memory()?;
        db.execute_batch(SCHEMA)?;
        Ok(History { db })
    }

    /// Records a scan of `source` at `now` that found `items`.
    pub fn record(
        &mut self,
        source: &str,
        items: &[DriftItem],
        now: OffsetDateTime,
    ) -> Result<ScanDelta, HistoryError> {
        let at = now.format(&Rfc3339).map_err(|e| HistoryError::Time(e.to_string()))?;
        let tx = self.db.transaction()?;
        tx.execute(
            "INSERT INTO scans (source, scanned_at, items) VALUES (?1, ?2, ?3)",
            params![source, at, items.len() as i64],
        )?;
        let scan = tx.last_insert_rowid();
        let mut delta = ScanDelta { scan, ..ScanDelta::default() };
        let mut seen = std::collections::HashSet::new();
        for item in items {
            let key = item.key();
            if !seen.insert(key.clone()) {
                continue;
            }
            let rules: Vec<&str> = item.rules.iter().map(|r| r.rule_id.as_str()).collect();
            let open: Option<i64> = tx
                .query_row(
                    "SELECT id FROM occurrences WHERE source = ?1 AND item_key = ?2 AND resolved_scan IS NULL",
                    params![source, key],
                    |row| row.get(0),
                )
                .optional()?;
            match open {
                Some(id) => {
                    tx.execute(
                        "UPDATE occurrences SET last_seen_scan = ?1, last_seen_at = ?2, severity = ?3, rules = ?4 WHERE id = ?5",
                        params![scan, at, item.severity.as_str(), rules.join(","), id],
                    )?;
                }
                None => {
                    tx.execute(
                        "INSERT INTO occurrences (source, item_key, address, path, kind, severity, rules,
                                                  appeared_scan, appeared_at, last_seen_scan, last_seen_at)
                         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?8, ?9)",
                        params![
                            source,
                            key,
                            item.address,
                            item.path_string(),
                            item.kind.as_str(),
                            item.severity.as_str(),
                            rules.join(","),
                            scan,
                            at
                        ],
                    )?;
                    delta.appeared.push(key);
                }
            }
        }
        {
            let mut stale = tx.prepare(
                "SELECT id, item_key FROM occurrences WHERE source = ?1 AND resolved_scan IS NULL AND last_seen_scan <> ?2",
            )?;
            let rows: Vec<(i64, String)> = stale
                .query_map(params![source, scan], |row| Ok((row.get(0)?, row.get(1)?)))?
                .collect::<Result<_, _>>()?;
            for (id, key) in rows {
                tx.execute(
                    "UPDATE occurrences SET resolved_scan = ?1, resolved_at = ?2 WHERE id = ?3",
                    params![scan, at, id],
                )?;
                delta.resolved.push(key);
            }
        }
        tx.commit()?;
        Ok(delta)
    }

    /// Every occurrence, newest first; only `source`'s when given.
    pub fn occurrences(&self, source: Option<&str>) -> Result<Vec<Occurrence>, HistoryError> {
        let mut stmt = self.db.prepare(
            "SELECT source, address, path, kind, severity, rules, appeared_at, last_seen_at, resolved_at
             FROM occurrences WHERE ?1 IS NULL OR source = ?1 ORDER BY appeared_scan DESC, id",
        )?;
        let rows = stmt.query_map(params![source], |row| {
            Ok(Occurrence {
                source: row.get(0)?,
                address: row.get(1)?,
                path: row.get(2)?,
                kind: row.get(3)?,
                severity: row.get(4)?,
                rules: row.get(5)?,
                appeared_at: row.get(6)?,
                last_seen_at: row.get(7)?,
                resolved_at: row.get(8)?,
                seconds_to_resolve: None,
            })
        })?;
        let mut out = Vec::new();
        for row in rows {
            let mut occurrence = row?;
            if let Some(resolved) = &occurrence.resolved_at {
                let start = parse_time(&occurrence.appeared_at)?;
                let end = parse_time(resolved)?;
                occurrence.seconds_to_resolve = Some((end - start).whole_seconds());
            }
            out.push(occurrence);
        }
        Ok(out)
    }

    /// How many scans are recorded.
    pub fn scan_count(&self) -> Result<i64, HistoryError> {
        Ok(self.db.query_row("SELECT count(*) FROM scans", [], |row| row.get(0))?)
    }
}

fn parse_time(s: &str) -> Result<OffsetDateTime, HistoryError> {
    OffsetDateTime::parse(s, &Rfc3339).map_err(|_| HistoryError::Time(s.to_string()))
}

/// `1d 2h`, `3h 5m`, `4m 10s`, `12s`.
pub fn human_duration(seconds: i64) -> String {
    let s = seconds.max(0);
    let (d, h, m, sec) = (s / 86_400, s % 86_400 / 3_600, s % 3_600 / 60, s % 60);
    match (d, h, m) {
        (0, 0, 0) => format!("{sec}s"),
        (0, 0, _) => format!("{m}m {sec}s"),
        (0, _, _) => format!("{h}h {m}m"),
        _ => format!("{d}d {h}h"),
    }
}

/// Renders occurrences as text: one line each.
pub fn render_text(occurrences: &[Occurrence]) -> String {
    use std::fmt::Write;
    if occurrences.is_empty() {
        return "no drift recorded\n".to_string();
    }
    let mut out = String::new();
    for o in occurrences {
        let what = if o.kind == "deleted" { "deleted outside Terraform".to_string() } else { o.path.clone() };
        let rules = if o.rules.is_empty() { String::new() } else { format!(" {}", o.rules) };
        let status = match (&o.resolved_at, o.seconds_to_resolve) {
            (Some(at), Some(secs)) => format!("resolved {at} after {}", human_duration(secs)),
            _ => format!("open (last seen {})", o.last_seen_at),
        };
        let _ = writeln!(
            out,
            "{:<8} {} {what}{rules}\n         {}: appeared {}, {status}",
            o.severity.to_uppercase(),
            o.address,
            o.source,
            o.appeared_at
        );
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::drift::item::{ItemKind, PathStep, Resource};
    use serde_json::json;
    use time::macros::datetime;

    fn item(address: &str, attr: &str) -> DriftItem {
        let r = Resource {
            address: address.into(),
            module: String::new(),
            mode: "managed".into(),
            resource_type: "t".into(),
            name: "n".into(),
            provider: String::new(),
            deleted: false,
            before: json!({}),
            after: json!({}),
        };
        DriftItem::new(
            &r,
            ItemKind::Changed,
            vec![PathStep::Key(attr.into())],
            json!("secret-before"),
            json!("secret-after"),
        )
    }

    #[test]
    fn items_appear_stay_open_and_resolve_with_time_to_resolve() {
        let mut h = History::in_memory().unwrap();
        let d1 =
            h.record("dev", &[item("a.x", "tags"), item("b.y", "ingress")], datetime!(2026-01-01 10:00 UTC)).unwrap();
        assert_eq!(d1.appeared.len(), 2);
        let d2 = h.record("dev", &[item("b.y", "ingress")], datetime!(2026-01-01 11:30 UTC)).unwrap();
        assert_eq!((d2.appeared.len(), d2.resolved.clone()), (0, vec!["a.x tags changed".to_string()]));
        // Another source's scan resolves nothing here.
        h.record("prod", &[], datetime!(2026-01-01 12:00 UTC)).unwrap();
        let d3 = h.record("dev", &[], datetime!(2026-01-02 12:00 UTC)).unwrap();
        assert_eq!(d3.resolved, vec!["b.y ingress changed".to_string()]);
        let all = h.occurrences(Some("dev")).unwrap();
        let tags = all.iter().find(|o| o.address == "a.x").unwrap();
        assert_eq!(tags.seconds_to_resolve, Some(5400));
        let ingress = all.iter().find(|o| o.address == "b.y").unwrap();
        assert_eq!(ingress.seconds_to_resolve, Some(26 * 3600));
        assert_eq!(h.scan_count().unwrap(), 4);
        let text = render_text(&all);
        assert!(text.contains("resolved 2026-01-01T11:30:00Z after 1h 30m"), "{text}");
        // Drift that comes back is a new occurrence.
        let d4 = h.record("dev", &[item("a.x", "tags")], datetime!(2026-01-03 00:00 UTC)).unwrap();
        assert_eq!(d4.appeared.len(), 1);
        assert_eq!(h.occurrences(Some("dev")).unwrap().len(), 3);
    }

    #[test]
    fn values_are_never_stored() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(".oppie/drift.db");
        let mut h = History::open(&path).unwrap();
        h.record("dev", &[item("a.x", "password")], OffsetDateTime::now_utc()).unwrap();
        drop(h);
        let mut bytes = std::fs::read(&path).unwrap();
        if let Ok(wal) = std::fs::read(path.with_extension("db-wal")) {
            bytes.extend(wal);
        }
        assert!(!bytes.windows(6).any(|w| w == b"secret"));
    }

    #[test]
    fn durations_read_well() {
        assert_eq!(human_duration(12), "12s");
        assert_eq!(human_duration(250), "4m 10s");
        assert_eq!(human_duration(3 * 3600 + 300), "3h 5m");
        assert_eq!(human_duration(90_000), "1d 1h");
    }
}
