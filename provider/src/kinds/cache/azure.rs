//! Caches on Azure Managed Redis.
