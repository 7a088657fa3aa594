//! Managed resources and data sources: validation, state upgrades, refresh, plan and
//! apply, with the identity carried alongside the state.

use super::convert::{self, decode, decode_identity, diagnostics, encode, encode_identity};
use super::guard;
use super::identity::{self, Rules};
use super::service::{ProviderService, settle_unknowns, shaped, validate_with};
use crate::cty::{self, Value};
use crate::diag::Diagnostics;
use crate::object::Object;
use crate::plan;
use crate::private::Private;
use crate::proto::tfplugin6 as pb;
use crate::provider::Provider;
use crate::resource::{ApplyResponse, Plan, ReadResponse};

impl<P: Provider> ProviderService<P> {
    pub(super) async fn validate_resource(
        &self,
        req: pb::validate_resource_config::Request,
    ) -> pb::validate_resource_config::Response {
        // Terraform < 1.11 sends no capabilities: it would plan a write-only value as an
        // ordinary one and then fail, so refuse write-only arguments up front.
        let write_only_ok = req.client_capabilities.as_ref().is_some_and(|c| c.write_only_attributes_allowed);
        let diags = match self.resource(&req.type_name) {
            Ok(e) => {
                let ctx = self.context(req.client_capabilities.as_ref());
                let own = async |obj: &Object| guard::run(&req.type_name, e.imp.validate(&ctx, obj)).await;
                validate_with(&e.schema, &e.ty, req.config.as_ref(), write_only_ok, own).await
            }
            Err(d) => d,
        };
        pb::validate_resource_config::Response { diagnostics: diagnostics(diags) }
    }

    pub(super) async fn validate_data_source(
        &self,
        req: pb::validate_data_resource_config::Request,
    ) -> pb::validate_data_resource_config::Response {
        let diags = match self.data_source(&req.type_name) {
            Ok(e) => {
                let ctx = self.context(None);
                let own = async |obj: &Object| guard::run(&req.type_name, e.imp.validate(&ctx, obj)).await;
                validate_with(&e.schema, &e.ty, req.config.as_ref(), true, own).await
            }
            Err(d) => d,
        };
        pb::validate_data_resource_config::Response { diagnostics: diagnostics(diags) }
    }

    pub(super) fn upgrade_state(
        &self,
        req: pb::upgrade_resource_state::Request,
    ) -> pb::upgrade_resource_state::Response {
        let result = (|| {
            let e = self.resource(&req.type_name)?;
            let raw = req.raw_state.unwrap_or_default();
            if raw.json.is_empty() {
                if raw.flatmap.is_empty() {
                    return Ok(pb::upgrade_resource_state::Response::default());
                }
                return Err(Diagnostics::error(
                    "Unsupported state format",
                    "This state was written by Terraform 0.11 or older (flatmap); upgrade it with an older provider first.",
                ));
            }
            let current = e.schema.version;
            let json = if req.version == current {
                raw.json
            } else if req.version < current {
                let old: serde_json::Value = serde_json::from_slice(&raw.json)
                    .map_err(|err| Diagnostics::error("Corrupt stored state", err.to_string()))?;
                let new = e.imp.upgrade_state(req.version, old)?;
                serde_json::to_vec(&new).map_err(|err| Diagnostics::error("Internal error", err.to_string()))?
            } else {
                return Err(Diagnostics::error(
                    "State from a newer provider",
                    format!(
                        "The state of this {} was written with schema version {}, newer than this provider's {current}. Use a newer provider version.",
                        req.type_name, req.version
                    ),
                ));
            };
            let mut value = cty::json::decode_lenient_object(&json, &e.ty).map_err(|err| {
                Diagnostics::error(
                    "Cannot read stored state",
                    format!("The stored state of this {} does not fit its schema: {err}", req.type_name),
                )
            })?;
            plan::null_write_only(&e.schema.block.attributes, &e.schema.block.blocks, &mut value);
            Ok(pb::upgrade_resource_state::Response {
                upgraded_state: Some(encode(&value, &e.ty, "upgraded state")?),
                diagnostics: Vec::new(),
            })
        })();
        result.unwrap_or_else(|d| pb::upgrade_resource_state::Response {
            upgraded_state: None,
            diagnostics: diagnostics(d),
        })
    }

    pub(super) async fn read(&self, req: pb::read_resource::Request) -> pb::read_resource::Response {
        tracing::debug!(rpc = "ReadResource", tf_resource_type = %req.type_name, "refreshing");
        let mut out = pb::read_resource::Response {
            new_state: req.current_state.clone(),
            private: req.private.clone(),
            new_identity: req.current_identity.clone(),
            ..Default::default()
        };
        if let Some(d) = self.auto_deferred() {
            out.deferred = Some(d);
            return out;
        }
        let result: Result<Diagnostics, Diagnostics> = async {
            let e = self.resource(&req.type_name)?;
            let current = decode(req.current_state.as_ref(), &e.ty, "current state")?;
            if current.is_null() {
                return Ok(Diagnostics::new());
            }
            let id_ty = e.identity_ty();
            let stored_identity = match &e.identity {
                Some(_) => decode_identity(req.current_identity.as_ref(), &id_ty, "current identity")?,
                None => Value::Null,
            };
            let mut resp = ReadResponse::new(
                Object::new(current, e.ty.clone()),
                Object::new(stored_identity.clone(), id_ty.clone()),
                Private::from_bytes(&req.private),
            );
            let ctx = self.context(req.client_capabilities.as_ref());
            let r = guard::run(&req.type_name, e.imp.read(&ctx, &mut resp)).await;
            let mut diags = std::mem::take(&mut resp.diagnostics);
            diags.absorb(r);
            if let Some(reason) = ctx.deferred() {
                out.deferred = Some(convert::deferred(reason));
                return Ok(diags);
            }
            if !diags.has_errors() {
                let mut v = shaped(resp.state.into_value(), &e.ty, &mut diags);
                settle_unknowns(&mut v, &req.type_name, &mut diags);
                plan::null_write_only(&e.schema.block.attributes, &e.schema.block.blocks, &mut v);
                let id = identity::settle(
                    e,
                    resp.identity.into_value(),
                    &v,
                    Some(&stored_identity),
                    Rules::Strict,
                    &mut diags,
                );
                out.new_state = Some(encode(&v, &e.ty, "state")?);
                out.new_identity = encode_identity(&id, &id_ty, "identity")?;
                out.private = resp.private.to_bytes();
            }
            Ok(diags)
        }
        .await;
        out.diagnostics = diagnostics(result.unwrap_or_else(|d| d));
        out
    }

    pub(super) async fn plan(&self, req: pb::plan_resource_change::Request) -> pb::plan_resource_change::Response {
        tracing::debug!(rpc = "PlanResourceChange", tf_resource_type = %req.type_name, "planning");
        if let Some(d) = self.auto_deferred() {
            // Best effort: the proposal stands in for the plan, which a later round makes.
            return pb::plan_resource_change::Response {
                planned_state: req.proposed_new_state,
                planned_private: req.prior_private,
                planned_identity: req.prior_identity,
                deferred: Some(d),
                ..Default::default()
            };
        }
        let result: Result<pb::plan_resource_change::Response, Diagnostics> = async {
            let e = self.resource(&req.type_name)?;
            let prior = decode(req.prior_state.as_ref(), &e.ty, "prior state")?;
            let proposed = decode(req.proposed_new_state.as_ref(), &e.ty, "proposed state")?;
            let config = decode(req.config.as_ref(), &e.ty, "configuration")?;
            let id_ty = e.identity_ty();
            let prior_identity = match &e.identity {
                Some(_) => decode_identity(req.prior_identity.as_ref(), &id_ty, "prior identity")?,
                None => Value::Null,
            };
            let creating = prior.is_null();
            let sp = plan::plan(&e.schema.block, &prior, &config, proposed);
            // On create (and the create half of a replace, where Terraform passes the old
            // identity) the identity comes from the new plan; otherwise it is the stored one.
            let start_identity = if creating { Value::Null } else { prior_identity.clone() };
            let mut p = Plan {
                prior: Object::new(prior, e.ty.clone()),
                config: Object::new(config, e.ty.clone()),
                planned: Object::new(sp.planned, e.ty.clone()),
                requires_replace: sp.requires_replace,
                private: Private::from_bytes(&req.prior_private),
                diagnostics: sp.diagnostics,
                prior_identity: Object::new(prior_identity.clone(), id_ty.clone()),
                identity: Object::new(start_identity, id_ty.clone()),
            };
            let ctx = self.context(req.client_capabilities.as_ref());
            let r = guard::run(&req.type_name, e.imp.modify_plan(&ctx, &mut p)).await;
            let mut diags = std::mem::take(&mut p.diagnostics);
            diags.absorb(r);
            let mut planned = shaped(p.planned.into_value(), &e.ty, &mut diags);
            plan::null_write_only(&e.schema.block.attributes, &e.schema.block.blocks, &mut planned);
            let mut planned_identity = Value::Null;
            if let Some(id) = &e.identity {
                if planned.is_null() {
                    planned_identity = prior_identity.clone();
                } else {
                    planned_identity = shaped(p.identity.into_value(), &id.ty, &mut diags);
                    crate::identity::fill_from_state(&mut planned_identity, &id.ty, &planned);
                    // Terraform stores a planned identity as JSON (`terraform show -json`
                    // fails on an unknown in it): an identity not wholly known at plan time is
                    // planned null on create, and stays the stored one on update. Apply fills it.
                    if !planned_identity.is_wholly_known() {
                        planned_identity =
                            if creating { Value::Null } else { identity::null_unknowns(prior_identity.clone()) };
                    }
                }
            }
            diags.clone().into_result()?;
            let mut replace = p.requires_replace;
            replace.sort();
            replace.dedup();
            Ok(pb::plan_resource_change::Response {
                planned_state: Some(encode(&planned, &e.ty, "plan")?),
                requires_replace: replace.iter().map(convert::path).collect(),
                planned_private: p.private.to_bytes(),
                diagnostics: diagnostics(diags),
                planned_identity: encode_identity(&planned_identity, &id_ty, "planned identity")?,
                deferred: ctx.deferred().map(convert::deferred),
                ..Default::default()
            })
        }
        .await;
        result.unwrap_or_else(|d| pb::plan_resource_change::Response {
            diagnostics: diagnostics(d),
            ..Default::default()
        })
    }

    pub(super) async fn apply(&self, req: pb::apply_resource_change::Request) -> pb::apply_resource_change::Response {
        tracing::debug!(rpc = "ApplyResourceChange", tf_resource_type = %req.type_name, "applying");
        let mut out = pb::apply_resource_change::Response { new_state: req.prior_state.clone(), ..Default::default() };
        let result: Result<Diagnostics, Diagnostics> = async {
            let e = self.resource(&req.type_name)?;
            let prior = decode(req.prior_state.as_ref(), &e.ty, "prior state")?;
            let planned = decode(req.planned_state.as_ref(), &e.ty, "planned state")?;
            let config = decode(req.config.as_ref(), &e.ty, "configuration")?;
            let id_ty = e.identity_ty();
            let planned_identity = match &e.identity {
                Some(_) => decode_identity(req.planned_identity.as_ref(), &id_ty, "planned identity")?,
                None => Value::Null,
            };
            let private = Private::from_bytes(&req.planned_private);
            let ctx = self.context(None);
            let prior_obj = Object::new(prior.clone(), e.ty.clone());
            if planned.is_null() {
                guard::run(&req.type_name, e.imp.delete(&ctx, &prior_obj, &private)).await?;
                out.new_state = Some(encode(&Value::Null, &e.ty, "state")?);
                out.private = Vec::new();
                return Ok(Diagnostics::new());
            }
            let creating = prior.is_null();
            // Identity values unknown at plan time are filled from the new state.
            let mut resp = ApplyResponse::new(
                Object::new(planned.clone(), e.ty.clone()),
                Object::new(identity::null_unknowns(planned_identity.clone()), id_ty.clone()),
                private,
            );
            let config_obj = Object::new(config, e.ty.clone());
            let r = if creating {
                guard::run(&req.type_name, e.imp.create(&ctx, &config_obj, &mut resp)).await
            } else {
                guard::run(&req.type_name, e.imp.update(&ctx, &prior_obj, &config_obj, &mut resp)).await
            };
            let mut diags = std::mem::take(&mut resp.diagnostics);
            diags.absorb(r);
            let failed = diags.has_errors();
            // The rule documented on ApplyResponse: after a failure the state is kept
            // when the resource said the object exists, dropped when it said none does,
            // and otherwise kept only if it recorded a change.
            let keep = !failed
                || match resp.exists() {
                    Some(exists) => exists,
                    None => *resp.state.value() != planned,
                };
            let (mut state, id) = if keep {
                let state = shaped(resp.state.into_value(), &e.ty, &mut diags);
                let stored = (!creating).then_some(&planned_identity);
                let rules = if failed { Rules::Lenient } else { Rules::Strict };
                let id = identity::settle(e, resp.identity.into_value(), &state, stored, rules, &mut diags);
                (state, id)
            } else {
                let id = if creating { Value::Null } else { identity::null_unknowns(planned_identity) };
                (prior, id)
            };
            if failed {
                // Partial state: keep what is known so the object is not orphaned.
                settle_unknowns(&mut state, &req.type_name, &mut Diagnostics::new());
            } else {
                settle_unknowns(&mut state, &req.type_name, &mut diags);
            }
            plan::null_write_only(&e.schema.block.attributes, &e.schema.block.blocks, &mut state);
            out.new_state = Some(encode(&state, &e.ty, "state")?);
            out.new_identity = if state.is_null() { None } else { encode_identity(&id, &id_ty, "identity")? };
            out.private = resp.private.to_bytes();
            Ok(diags)
        }
        .await;
        out.diagnostics = diagnostics(result.unwrap_or_else(|d| d));
        out
    }

    pub(super) async fn read_data(&self, req: pb::read_data_source::Request) -> pb::read_data_source::Response {
        if let Some(d) = self.auto_deferred() {
            return pb::read_data_source::Response { deferred: Some(d), ..Default::default() };
        }
        let result: Result<pb::read_data_source::Response, Diagnostics> = async {
            let e = self.data_source(&req.type_name)?;
            let config = decode(req.config.as_ref(), &e.ty, "configuration")?;
            let mut state = Object::new(config, e.ty.clone());
            let ctx = self.context(req.client_capabilities.as_ref());
            guard::run(&req.type_name, e.imp.read(&ctx, &mut state)).await?;
            if let Some(reason) = ctx.deferred() {
                return Ok(pb::read_data_source::Response {
                    deferred: Some(convert::deferred(reason)),
                    ..Default::default()
                });
            }
            let mut diags = Diagnostics::new();
            let mut v = shaped(state.into_value(), &e.ty, &mut diags);
            settle_unknowns(&mut v, &req.type_name, &mut diags);
            Ok(pb::read_data_source::Response {
                state: Some(encode(&v, &e.ty, "data source state")?),
                diagnostics: diagnostics(diags),
                deferred: None,
            })
        }
        .await;
        result.unwrap_or_else(|d| pb::read_data_source::Response { diagnostics: diagnostics(d), ..Default::default() })
    }
}
