//! Keys on Cloud KMS.
