//! Caches on Memorystore for Redis.
