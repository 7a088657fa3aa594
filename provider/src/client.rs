//! [`Client`]: what `ConfigureProvider` makes of the provider block, shared by every
//! resource, data source and function call of the process.

use std::collections::BTreeMap;
use std::sync::Arc;

use crate::catalog::Cloud;
use crate::clouds::Clouds;
use crate::governance::policy::Gate;

/// Provider-wide settings every resource sees.
pub struct Client {
    /// The cloud backends (built lazily: planning new resources loads no credentials).
    pub clouds: Clouds,
    /// Cloud used when a resource does not say.
    pub default_cloud: Option<Cloud>,
    /// Region used when a resource does not say.
    pub default_region: Option<String>,
    /// Tags merged into every resource's tags.
    pub default_tags: BTreeMap<String, String>,
    /// Plan-time policy gating, when the `policy` block is set.
    pub policy: Option<Arc<Gate>>,
}
