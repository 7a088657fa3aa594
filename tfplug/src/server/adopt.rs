//! Taking over existing objects: import (by id or by identity), `moved` blocks from
//! other types, and configuration generation for `-generate-config-out`.

use super::convert::{self, decode, decode_identity, diagnostics, encode, encode_identity};
use super::guard;
use super::identity::{self, Rules};
use super::service::{ProviderService, settle_unknowns, shaped};
use crate::cty::{self, Value};
use crate::diag::Diagnostics;
use crate::object::Object;
use crate::plan;
use crate::private::Private;
use crate::proto::tfplugin6 as pb;
use crate::provider::Provider;
use crate::resource::{MoveRequest, MoveResponse, ReadResponse};

impl<P: Provider> ProviderService<P> {
    pub(super) async fn import(&self, req: pb::import_resource_state::Request) -> pb::import_resource_state::Response {
        if let Some(d) = self.auto_deferred() {
            return pb::import_resource_state::Response { deferred: Some(d), ..Default::default() };
        }
        let result: Result<pb::import_resource_state::Response, Diagnostics> = async {
            let e = self.resource(&req.type_name)?;
            let id_ty = e.identity_ty();
            let by_identity = req.identity.as_ref().is_some_and(|i| i.identity_data.is_some());
            let given = match (&e.identity, by_identity) {
                (Some(_), true) => decode_identity(req.identity.as_ref(), &id_ty, "identity")?,
                (None, true) => {
                    return Err(Diagnostics::error(
                        "Import by identity not supported",
                        format!("{} has no identity; import it with `id` instead.", req.type_name),
                    ));
                }
                (_, false) => Value::Null,
            };
            let mut resp = ReadResponse::new(
                Object::empty(e.ty.clone()),
                Object::new(given.clone(), id_ty.clone()),
                Private::default(),
            );
            let ctx = self.context(req.client_capabilities.as_ref());
            let r = if by_identity {
                let given = Object::new(given, id_ty.clone());
                guard::run(&req.type_name, e.imp.import_identity(&ctx, &given, &mut resp)).await
            } else {
                guard::run(&req.type_name, e.imp.import(&ctx, &req.id, &mut resp)).await
            };
            let mut diags = std::mem::take(&mut resp.diagnostics);
            diags.absorb(r);
            diags.clone().into_result()?;
            if let Some(reason) = ctx.deferred() {
                return Ok(pb::import_resource_state::Response {
                    diagnostics: diagnostics(diags),
                    deferred: Some(convert::deferred(reason)),
                    ..Default::default()
                });
            }
            let mut v = shaped(resp.state.into_value(), &e.ty, &mut diags);
            settle_unknowns(&mut v, &req.type_name, &mut Diagnostics::new());
            plan::null_write_only(&e.schema.block.attributes, &e.schema.block.blocks, &mut v);
            // The state may be sparse here (Terraform reads it next), so the identity is
            // finished leniently; the read that follows completes it.
            let id = identity::settle(e, resp.identity.into_value(), &v, None, Rules::Lenient, &mut diags);
            if by_identity && id.is_null() {
                diags.add_error(
                    "Import returned no identity",
                    format!(
                        "{} imported the object but left its identity empty. This is a bug in the provider.",
                        req.type_name
                    ),
                );
                diags.clone().into_result()?;
            }
            Ok(pb::import_resource_state::Response {
                imported_resources: vec![pb::import_resource_state::ImportedResource {
                    type_name: req.type_name.clone(),
                    state: Some(encode(&v, &e.ty, "imported state")?),
                    private: resp.private.to_bytes(),
                    identity: encode_identity(&id, &id_ty, "imported identity")?,
                }],
                diagnostics: diagnostics(diags),
                deferred: None,
            })
        }
        .await;
        result.unwrap_or_else(|d| pb::import_resource_state::Response {
            diagnostics: diagnostics(d),
            ..Default::default()
        })
    }

    pub(super) async fn move_state(&self, req: pb::move_resource_state::Request) -> pb::move_resource_state::Response {
        let result: Result<pb::move_resource_state::Response, Diagnostics> = async {
            let e = self.resource(&req.target_type_name)?;
            let json = |raw: Option<pb::RawState>, what: &str| -> Result<Option<serde_json::Value>, Diagnostics> {
                match raw.map(|r| r.json).filter(|j| !j.is_empty()) {
                    None => Ok(None),
                    Some(bytes) => serde_json::from_slice(&bytes)
                        .map(Some)
                        .map_err(|err| Diagnostics::error(format!("Corrupt stored {what}"), err.to_string())),
                }
            };
            let mreq = MoveRequest {
                source_provider: req.source_provider_address.clone(),
                source_type: req.source_type_name.clone(),
                source_schema_version: req.source_schema_version,
                source_state: json(req.source_state, "state")?.unwrap_or(serde_json::Value::Null),
                source_identity: json(req.source_identity, "identity")?,
                source_identity_version: req.source_identity_schema_version,
            };
            let id_ty = e.identity_ty();
            let mut resp = MoveResponse {
                state: Object::empty(e.ty.clone()),
                identity: Object::null(id_ty.clone()),
                private: Private::from_bytes(&req.source_private),
                diagnostics: Diagnostics::new(),
            };
            let ctx = self.context(None);
            let r = guard::run(&req.target_type_name, e.imp.move_state(&ctx, &mreq, &mut resp)).await;
            let mut diags = std::mem::take(&mut resp.diagnostics);
            diags.absorb(r);
            diags.clone().into_result()?;
            let mut v = shaped(resp.state.into_value(), &e.ty, &mut diags);
            settle_unknowns(&mut v, &req.target_type_name, &mut diags);
            plan::null_write_only(&e.schema.block.attributes, &e.schema.block.blocks, &mut v);
            let id = identity::settle(e, resp.identity.into_value(), &v, None, Rules::Strict, &mut diags);
            diags.clone().into_result()?;
            Ok(pb::move_resource_state::Response {
                target_state: Some(encode(&v, &e.ty, "moved state")?),
                diagnostics: diagnostics(diags),
                target_private: resp.private.to_bytes(),
                target_identity: encode_identity(&id, &id_ty, "moved identity")?,
            })
        }
        .await;
        result
            .unwrap_or_else(|d| pb::move_resource_state::Response { diagnostics: diagnostics(d), ..Default::default() })
    }

    pub(super) fn generate_config(
        &self,
        req: pb::generate_resource_config::Request,
    ) -> pb::generate_resource_config::Response {
        let result = (|| {
            let e = self.resource(&req.type_name)?;
            let state = decode(req.state.as_ref(), &e.ty, "state")?;
            // Terraform asks even for list results without an object (include_resource
            // false): the answer is then null and Terraform writes the bare arguments.
            let proposal = plan::generate::config_from_state(&e.schema.block, &state);
            let mut config = Object::new(proposal, e.ty.clone());
            if !state.is_null() {
                e.imp.generate_config(&Object::new(state, e.ty.clone()), &mut config)?;
            }
            let mut diags = Diagnostics::new();
            let config = cty::conform(config.into_value(), &e.ty).map_err(Diagnostics::from)?;
            let mut config = config;
            settle_unknowns(&mut config, &req.type_name, &mut diags);
            diags.clone().into_result()?;
            Ok(pb::generate_resource_config::Response {
                config: Some(encode(&config, &e.ty, "generated configuration")?),
                diagnostics: diagnostics(diags),
            })
        })();
        result.unwrap_or_else(|d: Diagnostics| pb::generate_resource_config::Response {
            config: None,
            diagnostics: diagnostics(d),
        })
    }
}
