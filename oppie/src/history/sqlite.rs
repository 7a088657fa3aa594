//! The embedded store: one SQLite file (`.oppie/drift.db`), shared by scans on one machine; a
//! writer takes the database's write lock when its transaction begins (`BEGIN IMMEDIATE`).

use std::path::Path;

use rusqlite::Connection;
use rusqlite::types::{Value, ValueRef};

use super::{Backend, Cell, HistoryError, Param, schema};

pub(super) struct Sqlite {
    db: Connection,
}

impl Sqlite {
    pub(super) fn open(path: &Path) -> Result<Self, HistoryError> {
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir)
                .map_err(|source| HistoryError::Io { path: dir.display().to_string(), source })?;
        }
        let db = Connection::open(path)?;
        // Several scans (a watch loop and a CI job) may share the file: wait for each other.
        db.busy_timeout(std::time::Duration::from_secs(10))?;
        db.execute_batch("PRAGMA journal_mode=WAL;")?;
        Self::with_schema(db)
    }

    pub(super) fn in_memory() -> Result<Self, HistoryError> {
        Self::with_schema(Connection::open_in_memory()?)
    }

    fn with_schema(db: Connection) -> Result<Self, HistoryError> {
        db.execute_batch(&schema("INTEGER PRIMARY KEY", "INTEGER"))?;
        Ok(Sqlite { db })
    }
}

fn values(params: &[Param<'_>]) -> Vec<Value> {
    params
        .iter()
        .map(|p| match p {
            Param::Text(s) => Value::Text((*s).to_string()),
            Param::Int(i) => Value::Integer(*i),
            Param::Null => Value::Null,
        })
        .collect()
}

impl Backend for Sqlite {
    fn begin_write(&mut self, _source: &str) -> Result<(), HistoryError> {
        // The write lock now, not at the first write: two scans never interleave their reads.
        Ok(self.db.execute_batch("BEGIN IMMEDIATE")?)
    }

    fn commit(&mut self) -> Result<(), HistoryError> {
        Ok(self.db.execute_batch("COMMIT")?)
    }

    fn rollback(&mut self) {
        let _ = self.db.execute_batch("ROLLBACK");
    }

    fn execute(&mut self, sql: &str, params: &[Param<'_>]) -> Result<u64, HistoryError> {
        let mut stmt = self.db.prepare_cached(sql)?;
        Ok(stmt.execute(rusqlite::params_from_iter(values(params)))? as u64)
    }

    fn query(&mut self, sql: &str, params: &[Param<'_>]) -> Result<Vec<Vec<Cell>>, HistoryError> {
        let mut stmt = self.db.prepare_cached(sql)?;
        let columns = stmt.column_count();
        let mut rows = stmt.query(rusqlite::params_from_iter(values(params)))?;
        let mut out = Vec::new();
        while let Some(row) = rows.next()? {
            let mut cells = Vec::with_capacity(columns);
            for i in 0..columns {
                cells.push(match row.get_ref(i)? {
                    ValueRef::Null => Cell::Null,
                    ValueRef::Integer(n) => Cell::Int(n),
                    ValueRef::Text(t) => Cell::Text(String::from_utf8_lossy(t).into_owned()),
                    other => return Err(HistoryError::Row(format!("unexpected {:?} value", other.data_type()))),
                });
            }
            out.push(cells);
        }
        Ok(out)
    }
}
