//! Databases on Cloud SQL.
