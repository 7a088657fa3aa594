//! Scan history: every scan is recorded, each drift item keeps when it appeared and when a later
//! scan of the same source no longer found it (resolved). One logic over two stores: embedded
//! SQLite (`.oppie/drift.db`, the default) and PostgreSQL (`--store postgres://...`, for a team).
//!
//! Only addresses, paths, kinds, severities and rule ids are stored, never values: a value may be a
//! secret that Terraform did not mark sensitive.

mod postgres;
mod sqlite;

use std::path::Path;

use serde::Serialize;
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use crate::drift::item::DriftItem;

pub use postgres::{is_url as is_store_url, mask_url};

/// Why the history store failed. No variant holds a store URL's password.
#[derive(Debug, thiserror::Error)]
pub enum HistoryError {
    /// SQLite reported an error.
    #[error("drift history database: {0}")]
    Sqlite(#[from] rusqlite::Error),
    /// PostgreSQL reported an error (the message names the store with its password masked).
    #[error("drift history store {store}: {message}")]
    Postgres {
        /// The store URL, password masked.
        store: String,
        /// What went wrong.
        message: String,
    },
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
    /// A stored row does not have the shape the schema gives it.
    #[error("drift history database holds an unexpected row: {0}")]
    Row(String),
}

/// A statement parameter. Statements number them `$1`, `$2`, ... in order of first use, which
/// both SQLite and PostgreSQL accept.
#[derive(Debug, Clone, Copy)]
enum Param<'a> {
    Text(&'a str),
    Int(i64),
    /// A NULL text.
    Null,
}

/// A result cell.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Cell {
    Text(String),
    Int(i64),
    Null,
}

impl Cell {
    fn int(&self) -> Result<i64, HistoryError> {
        match self {
            Cell::Int(i) => Ok(*i),
            other => Err(HistoryError::Row(format!("expected an integer, found {other:?}"))),
        }
    }

    fn text(self) -> Result<String, HistoryError> {
        match self {
            Cell::Text(s) => Ok(s),
            other => Err(HistoryError::Row(format!("expected text, found {other:?}"))),
        }
    }

    fn opt_text(self) -> Result<Option<String>, HistoryError> {
        match self {
            Cell::Null => Ok(None),
            other => other.text().map(Some),
        }
    }
}

/// What a store does; the history logic ([`History`]) is written once over it. Only the dialect
/// differs: the schema's id column, and how a writer keeps others out while it records a scan.
trait Backend: Send {
    /// Starts a transaction no other writer of `source` runs at the same time.
    fn begin_write(&mut self, source: &str) -> Result<(), HistoryError>;
    fn commit(&mut self) -> Result<(), HistoryError>;
    /// Best effort: the caller is already returning an error.
    fn rollback(&mut self);
    fn execute(&mut self, sql: &str, params: &[Param<'_>]) -> Result<u64, HistoryError>;
    fn query(&mut self, sql: &str, params: &[Param<'_>]) -> Result<Vec<Vec<Cell>>, HistoryError>;
}

/// The store.
pub struct History {
    backend: Box<dyn Backend>,
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

/// The schema; `{id}` is the dialect's auto-numbered key, `{int}` its 64-bit integer. One open
/// occurrence per source and item is a unique index, so even a writer that skipped the lock
/// could not double an item.
const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS scans (
    id         {id},
    source     TEXT NOT NULL,
    scanned_at TEXT NOT NULL,
    items      {int} NOT NULL
);
CREATE INDEX IF NOT EXISTS scans_by_source ON scans(source, id);
CREATE TABLE IF NOT EXISTS occurrences (
    id             {id},
    source         TEXT NOT NULL,
    item_key       TEXT NOT NULL,
    address        TEXT NOT NULL,
    path           TEXT NOT NULL,
    kind           TEXT NOT NULL,
    severity       TEXT NOT NULL,
    rules          TEXT NOT NULL,
    appeared_scan  {int} NOT NULL REFERENCES scans(id),
    appeared_at    TEXT NOT NULL,
    last_seen_scan {int} NOT NULL REFERENCES scans(id),
    last_seen_at   TEXT NOT NULL,
    resolved_scan  {int} REFERENCES scans(id),
    resolved_at    TEXT
);
CREATE UNIQUE INDEX IF NOT EXISTS open_occurrence ON occurrences(source, item_key) WHERE resolved_scan IS NULL;
";

fn schema(id: &str, int: &str) -> String {
    SCHEMA.replace("{id}", id).replace("{int}", int)
}

impl History {
    /// Opens (creating) the store `spec` names: a `postgres://` or `postgresql://` URL, else a
    /// SQLite file path.
    pub fn open_store(spec: &str) -> Result<Self, HistoryError> {
        if is_store_url(spec) { Self::open_postgres(spec) } else { Self::open(Path::new(spec)) }
    }

    /// Opens (creating) the SQLite database at `path`.
    pub fn open(path: &Path) -> Result<Self, HistoryError> {
        Ok(History { backend: Box::new(sqlite::Sqlite::open(path)?) })
    }

    /// An in-memory SQLite store (tests).
    pub fn in_memory() -> Result<Self, HistoryError> {
        Ok(History { backend: Box::new(sqlite::Sqlite::in_memory()?) })
    }

    /// Connects to the PostgreSQL store at `url` (creating the tables). Only through a socket or
    /// to a loopback host: this client speaks no TLS, and the password never crosses a network in
    /// clear.
    pub fn open_postgres(url: &str) -> Result<Self, HistoryError> {
        Ok(History { backend: Box::new(postgres::Postgres::connect(url)?) })
    }

    /// Records a scan of `source` at `now` that found `items`, in one transaction.
    pub fn record(
        &mut self,
        source: &str,
        items: &[DriftItem],
        now: OffsetDateTime,
    ) -> Result<ScanDelta, HistoryError> {
        self.backend.begin_write(source)?;
        match self.record_in_transaction(source, items, now) {
            Ok(delta) => {
                self.backend.commit()?;
                Ok(delta)
            }
            Err(e) => {
                self.backend.rollback();
                Err(e)
            }
        }
    }

    fn record_in_transaction(
        &mut self,
        source: &str,
        items: &[DriftItem],
        now: OffsetDateTime,
    ) -> Result<ScanDelta, HistoryError> {
        use Param::{Int, Text};
        let db = &mut self.backend;
        // A scan that waited for another's lock is recorded after it, and no earlier: times follow
        // the order of the scans, so nothing resolves before it appeared.
        let last =
            db.query("SELECT scanned_at FROM scans WHERE source = $1 ORDER BY id DESC LIMIT 1", &[Text(source)])?;
        let last = match last.into_iter().next().and_then(|row| row.into_iter().next()) {
            Some(cell) => Some(parse_time(&cell.text()?)?),
            None => None,
        };
        let now = last.map_or(now, |last| now.max(last));
        let at = &now.format(&Rfc3339).map_err(|e| HistoryError::Time(e.to_string()))?;
        let rows = db.query(
            "INSERT INTO scans (source, scanned_at, items) VALUES ($1, $2, $3) RETURNING id",
            &[Text(source), Text(at), Int(items.len() as i64)],
        )?;
        let scan = first_int(rows)?;
        let mut delta = ScanDelta { scan, ..ScanDelta::default() };
        let mut seen = std::collections::HashSet::new();
        for item in items {
            let key = item.key();
            if !seen.insert(key.clone()) {
                continue;
            }
            let rules: Vec<&str> = item.rules.iter().map(|r| r.rule_id.as_str()).collect();
            let rules = rules.join(",");
            let open = db.query(
                "SELECT id FROM occurrences WHERE source = $1 AND item_key = $2 AND resolved_scan IS NULL",
                &[Text(source), Text(&key)],
            )?;
            match open.into_iter().next() {
                Some(row) => {
                    let id = row.first().map(Cell::int).transpose()?.unwrap_or_default();
                    db.execute(
                        "UPDATE occurrences SET last_seen_scan = $1, last_seen_at = $2, severity = $3, rules = $4 WHERE id = $5",
                        &[Int(scan), Text(at), Text(item.severity.as_str()), Text(&rules), Int(id)],
                    )?;
                }
                None => {
                    db.execute(
                        "INSERT INTO occurrences (source, item_key, address, path, kind, severity, rules,
                                                  appeared_scan, appeared_at, last_seen_scan, last_seen_at)
                         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $8, $9)",
                        &[
                            Text(source),
                            Text(&key),
                            Text(&item.address),
                            Text(&item.path_string()),
                            Text(item.kind.as_str()),
                            Text(item.severity.as_str()),
                            Text(&rules),
                            Int(scan),
                            Text(at),
                        ],
                    )?;
                    delta.appeared.push(key);
                }
            }
        }
        let stale = db.query(
            "SELECT id, item_key FROM occurrences
             WHERE source = $1 AND resolved_scan IS NULL AND last_seen_scan <> $2 ORDER BY id",
            &[Text(source), Int(scan)],
        )?;
        for row in stale {
            let mut cells = row.into_iter();
            let (Some(id), Some(key)) = (cells.next(), cells.next()) else {
                return Err(HistoryError::Row("an occurrence without id and key".into()));
            };
            db.execute(
                "UPDATE occurrences SET resolved_scan = $1, resolved_at = $2 WHERE id = $3",
                &[Int(scan), Text(at), Int(id.int()?)],
            )?;
            delta.resolved.push(key.text()?);
        }
        Ok(delta)
    }

    /// Every occurrence, newest first; only `source`'s when given.
    pub fn occurrences(&mut self, source: Option<&str>) -> Result<Vec<Occurrence>, HistoryError> {
        let rows = self.backend.query(
            "SELECT source, address, path, kind, severity, rules, appeared_at, last_seen_at, resolved_at
             FROM occurrences WHERE CAST($1 AS TEXT) IS NULL OR source = $1 ORDER BY appeared_scan DESC, id",
            &[source.map_or(Param::Null, Param::Text)],
        )?;
        let mut out = Vec::with_capacity(rows.len());
        for row in rows {
            let [source, address, path, kind, severity, rules, appeared_at, last_seen_at, resolved_at]: [Cell; 9] =
                row.try_into().map_err(|_| HistoryError::Row("an occurrence without 9 columns".into()))?;
            let mut occurrence = Occurrence {
                source: source.text()?,
                address: address.text()?,
                path: path.text()?,
                kind: kind.text()?,
                severity: severity.text()?,
                rules: rules.text()?,
                appeared_at: appeared_at.text()?,
                last_seen_at: last_seen_at.text()?,
                resolved_at: resolved_at.opt_text()?,
                seconds_to_resolve: None,
            };
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
    pub fn scan_count(&mut self) -> Result<i64, HistoryError> {
        first_int(self.backend.query("SELECT count(*) FROM scans", &[])?)
    }
}

/// The first column of the first row, an integer.
fn first_int(rows: Vec<Vec<Cell>>) -> Result<i64, HistoryError> {
    rows.into_iter()
        .next()
        .and_then(|row| row.into_iter().next())
        .ok_or_else(|| HistoryError::Row("no row where one was expected".into()))?
        .int()
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
