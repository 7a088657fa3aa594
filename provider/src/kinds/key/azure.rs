//! Keys in Azure Key Vault.
