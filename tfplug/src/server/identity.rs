//! Resource identities on the wire: finishing the identity a response carries (shape,
//! fill from the state, Terraform's rules) and `UpgradeResourceIdentity`.

use super::catalog::ResourceEntry;
use super::convert::{diagnostics, encode};
use super::service::{ProviderService, shaped};
use crate::cty::{self, Value};
use crate::diag::Diagnostics;
use crate::identity::fill_from_state;
use crate::proto::tfplugin6 as pb;
use crate::provider::Provider;

/// How strictly to finish an identity.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(super) enum Rules {
    /// After a successful read or apply: every attribute required for import set,
    /// nothing unknown, and no change from `stored`.
    Strict,
    /// After a failure or a sparse import: keep what is known, report nothing.
    Lenient,
}

/// Finishes the identity for a response carrying `state`: shaped to the identity type,
/// attributes left null filled from the state's attributes of the same names.
/// Returns null for types without identity and for null states.
pub(super) fn settle<C: Send + Sync + 'static>(
    e: &ResourceEntry<C>,
    identity: Value,
    state: &Value,
    stored: Option<&Value>,
    rules: Rules,
    diags: &mut Diagnostics,
) -> Value {
    let Some(id) = &e.identity else { return Value::Null };
    if state.is_null() {
        return Value::Null;
    }
    let type_name = e.imp.type_name();
    let mut problems = Diagnostics::new();
    let mut identity = shaped(identity, &id.ty, &mut problems);
    fill_from_state(&mut identity, &id.ty, state);
    if !identity.is_wholly_known() {
        problems.add_error(
            "Provider left the identity unknown",
            format!("{type_name} did not settle every identity attribute. This is a bug in the provider."),
        );
        identity = null_unknowns(identity);
    }
    let missing: Vec<&str> = id
        .schema
        .attributes
        .iter()
        .filter(|a| a.required_for_import && identity.attr(&a.name).is_none_or(Value::is_null))
        .map(|a| a.name.as_str())
        .collect();
    if !missing.is_empty() {
        problems.add_error(
            "Provider returned an incomplete identity",
            format!(
                "{type_name} left identity attribute(s) {} null. Set them on the response's identity, or give the state attributes of the same names. This is a bug in the provider.",
                missing.join(", ")
            ),
        );
    }
    // Attributes the stored identity left null (optional for import, not yet known)
    // may be filled in; any value it had must stay.
    let changed = |before: &Value| {
        before
            .as_map()
            .is_some_and(|b| b.iter().any(|(k, v)| !v.is_null() && v.is_wholly_known() && identity.attr(k) != Some(v)))
    };
    if let Some(before) = stored
        && changed(before)
    {
        problems.add_error(
            "Resource identity changed",
            format!(
                "{type_name} returned a different identity than the one stored: an object's identity never changes. This is a bug in the provider."
            ),
        );
    }
    if rules == Rules::Strict {
        diags.extend(problems);
    }
    if identity.as_map().is_some_and(|m| m.values().all(Value::is_null)) {
        return Value::Null;
    }
    identity
}

/// The value with unknown attributes (or an unknown whole) replaced by null.
pub(super) fn null_unknowns(mut v: Value) -> Value {
    if v.is_unknown() {
        return Value::Null;
    }
    let mut paths = Vec::new();
    v.visit_unknowns(&cty::AttributePath::root(), &mut |p| paths.push(p.clone()));
    for p in paths {
        v.set_at(&p, Value::Null);
    }
    v
}

impl<P: Provider> ProviderService<P> {
    /// `UpgradeResourceIdentity`: a stored identity of an older identity version.
    pub(super) fn upgrade_identity(
        &self,
        req: pb::upgrade_resource_identity::Request,
    ) -> pb::upgrade_resource_identity::Response {
        let result = (|| {
            let e = self.resource(&req.type_name)?;
            let Some(id) = &e.identity else {
                return Err(Diagnostics::error(
                    "Resource has no identity",
                    format!("{} declares no identity, so a stored identity cannot be upgraded.", req.type_name),
                ));
            };
            let json = req.raw_identity.map(|r| r.json).unwrap_or_default();
            if json.is_empty() {
                return Ok(pb::upgrade_resource_identity::Response::default());
            }
            let current = id.schema.version;
            let json = if req.version == current {
                json
            } else if req.version < current {
                let old: serde_json::Value = serde_json::from_slice(&json)
                    .map_err(|err| Diagnostics::error("Corrupt stored identity", err.to_string()))?;
                let new = e.imp.upgrade_identity(req.version, old)?;
                serde_json::to_vec(&new).map_err(|err| Diagnostics::error("Internal error", err.to_string()))?
            } else {
                return Err(Diagnostics::error(
                    "Identity from a newer provider",
                    format!(
                        "The identity of this {} was written with identity version {}, newer than this provider's {current}. Use a newer provider version.",
                        req.type_name, req.version
                    ),
                ));
            };
            let value = cty::json::decode_lenient_object(&json, &id.ty).map_err(|err| {
                Diagnostics::error(
                    "Cannot read stored identity",
                    format!("The stored identity of this {} does not fit its identity schema: {err}", req.type_name),
                )
            })?;
            Ok(pb::upgrade_resource_identity::Response {
                upgraded_identity: Some(pb::ResourceIdentityData {
                    identity_data: Some(encode(&value, &id.ty, "upgraded identity")?),
                }),
                diagnostics: Vec::new(),
            })
        })();
        result.unwrap_or_else(|d| pb::upgrade_resource_identity::Response {
            upgraded_identity: None,
            diagnostics: diagnostics(d),
        })
    }
}
