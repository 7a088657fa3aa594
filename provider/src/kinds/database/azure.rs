//! Databases on Azure Database flexible servers.
