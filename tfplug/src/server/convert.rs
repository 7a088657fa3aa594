//! Conversions between tfplug's types and the protocol messages.
//! One place for schemas, diagnostics, paths and dynamic values.

use crate::cty::{self, AttributePath, PathStep, Type, Value};
use crate::diag::{Diagnostic, Diagnostics, Severity};
use crate::function::{Parameter, Signature};
use crate::identity::IdentitySchema;
use crate::proto::tfplugin6 as pb;
use crate::schema::{Attribute, AttributeType, Block, Description, NestedBlock, Nesting, Schema};

/// Decodes a `DynamicValue`: msgpack if present, else JSON, else null.
pub(crate) fn decode(dv: Option<&pb::DynamicValue>, ty: &Type, what: &str) -> Result<Value, Diagnostics> {
    let Some(dv) = dv else { return Ok(Value::Null) };
    let result = if !dv.msgpack.is_empty() {
        cty::msgpack::decode(&dv.msgpack, ty)
    } else if !dv.json.is_empty() {
        cty::json::decode(&dv.json, ty)
    } else {
        return Ok(Value::Null);
    };
    result.map_err(|e| {
        Diagnostics::error(
            format!("Invalid {what} from Terraform"),
            format!("The provider could not decode the {what}: {e}. This is a bug in Terraform or the provider."),
        )
    })
}

/// Encodes a value as msgpack for Terraform.
pub(crate) fn encode(v: &Value, ty: &Type, what: &str) -> Result<pb::DynamicValue, Diagnostics> {
    cty::msgpack::encode(v, ty).map(|msgpack| pb::DynamicValue { msgpack, json: Vec::new() }).map_err(|e| {
        Diagnostics::error(
            format!("Provider produced an invalid {what}"),
            format!("{e}. This is a bug in the provider."),
        )
    })
}

/// Diagnostics to protocol messages.
pub(crate) fn diagnostics(d: Diagnostics) -> Vec<pb::Diagnostic> {
    d.0.into_iter().map(diagnostic).collect()
}

fn diagnostic(d: Diagnostic) -> pb::Diagnostic {
    pb::Diagnostic {
        severity: match d.severity {
            Severity::Error => pb::diagnostic::Severity::Error,
            Severity::Warning => pb::diagnostic::Severity::Warning,
        } as i32,
        summary: d.summary,
        detail: d.detail,
        attribute: d.path.filter(|p| !p.is_root()).map(|p| path(&p)),
    }
}

/// An attribute path to its protocol form.
pub(crate) fn path(p: &AttributePath) -> pb::AttributePath {
    use pb::attribute_path::step::Selector;
    pb::AttributePath {
        steps: p
            .0
            .iter()
            .map(|s| pb::attribute_path::Step {
                selector: Some(match s {
                    PathStep::Attribute(a) => Selector::AttributeName(a.clone()),
                    PathStep::Key(k) => Selector::ElementKeyString(k.clone()),
                    PathStep::Index(i) => Selector::ElementKeyInt(*i),
                }),
            })
            .collect(),
    }
}

fn kind(d: &Description) -> i32 {
    if d.markdown { pb::StringKind::Markdown as i32 } else { pb::StringKind::Plain as i32 }
}

/// A schema to its protocol form.
pub(crate) fn schema(s: &Schema) -> pb::Schema {
    pb::Schema { version: s.version, block: Some(block(&s.block)) }
}

fn block(b: &Block) -> pb::schema::Block {
    pb::schema::Block {
        version: 0,
        attributes: b.attributes.iter().map(attribute).collect(),
        block_types: b.blocks.iter().map(nested_block).collect(),
        description: b.description.text.clone(),
        description_kind: kind(&b.description),
        deprecated: b.deprecation.is_some(),
        deprecation_message: b.deprecation.clone().unwrap_or_default(),
    }
}

fn attribute(a: &Attribute) -> pb::schema::Attribute {
    use crate::schema::Presence;
    let (ty, nested_type) = match &a.ty {
        AttributeType::Plain(t) => (t.to_json_bytes(), None),
        AttributeType::Nested { nesting, attributes } => (
            Vec::new(),
            Some(pb::schema::Object {
                attributes: attributes.iter().map(attribute).collect(),
                nesting: match nesting {
                    Nesting::Single | Nesting::Group => pb::schema::object::NestingMode::Single,
                    Nesting::List => pb::schema::object::NestingMode::List,
                    Nesting::Set => pb::schema::object::NestingMode::Set,
                    Nesting::Map => pb::schema::object::NestingMode::Map,
                } as i32,
                ..Default::default()
            }),
        ),
    };
    let mut description = a.description.text.clone();
    if let Some(d) = &a.default
        && let Ok(json) = serde_json::to_string(d)
    {
        if !description.is_empty() {
            description.push(' ');
        }
        description.push_str(&format!("Defaults to `{json}`."));
    }
    pb::schema::Attribute {
        name: a.name.clone(),
        r#type: ty,
        nested_type,
        description,
        required: a.presence == Presence::Required,
        optional: matches!(a.presence, Presence::Optional | Presence::OptionalComputed),
        computed: a.is_computed(),
        sensitive: a.sensitive,
        description_kind: kind(&a.description),
        deprecated: a.deprecation.is_some(),
        write_only: a.write_only,
        deprecation_message: a.deprecation.clone().unwrap_or_default(),
    }
}

fn nested_block(b: &NestedBlock) -> pb::schema::NestedBlock {
    use pb::schema::nested_block::NestingMode;
    pb::schema::NestedBlock {
        type_name: b.name.clone(),
        block: Some(block(&b.block)),
        nesting: match b.nesting {
            Nesting::Single => NestingMode::Single,
            Nesting::List => NestingMode::List,
            Nesting::Set => NestingMode::Set,
            Nesting::Map => NestingMode::Map,
            Nesting::Group => NestingMode::Group,
        } as i32,
        min_items: b.min_items,
        max_items: b.max_items,
    }
}

/// An identity schema to its protocol form.
pub(crate) fn identity_schema(s: &IdentitySchema) -> pb::ResourceIdentitySchema {
    pb::ResourceIdentitySchema {
        version: s.version,
        identity_attributes: s
            .attributes
            .iter()
            .map(|a| pb::resource_identity_schema::IdentityAttribute {
                name: a.name.clone(),
                r#type: a.ty.to_json_bytes(),
                required_for_import: a.required_for_import,
                optional_for_import: a.optional_for_import,
                description: a.description.clone(),
            })
            .collect(),
    }
}

/// Decodes an identity; absent means null.
pub(crate) fn decode_identity(
    data: Option<&pb::ResourceIdentityData>,
    ty: &Type,
    what: &str,
) -> Result<Value, Diagnostics> {
    decode(data.and_then(|d| d.identity_data.as_ref()), ty, what)
}

/// Encodes an identity; null is sent as no identity at all.
pub(crate) fn encode_identity(
    v: &Value,
    ty: &Type,
    what: &str,
) -> Result<Option<pb::ResourceIdentityData>, Diagnostics> {
    if v.is_null() {
        return Ok(None);
    }
    Ok(Some(pb::ResourceIdentityData { identity_data: Some(encode(v, ty, what)?) }))
}

/// A deferral reason to its protocol form.
pub(crate) fn deferred(reason: crate::context::DeferralReason) -> pb::Deferred {
    use crate::context::DeferralReason as R;
    use pb::deferred::Reason;
    pb::Deferred {
        reason: match reason {
            R::Unknown => Reason::Unknown,
            R::ResourceConfigUnknown => Reason::ResourceConfigUnknown,
            R::ProviderConfigUnknown => Reason::ProviderConfigUnknown,
            R::AbsentPrerequisite => Reason::AbsentPrereq,
        } as i32,
    }
}

/// A point in time to a protobuf timestamp.
pub(crate) fn timestamp(t: std::time::SystemTime) -> prost_types::Timestamp {
    let d = t.duration_since(std::time::UNIX_EPOCH).unwrap_or_default();
    prost_types::Timestamp { seconds: d.as_secs() as i64, nanos: d.subsec_nanos() as i32 }
}

/// A function signature to its protocol form.
pub(crate) fn function(s: &Signature) -> pb::Function {
    let param = |p: &Parameter| pb::function::Parameter {
        name: p.name.clone(),
        r#type: p.ty.to_json_bytes(),
        allow_null_value: p.allow_null,
        allow_unknown_values: p.allow_unknown,
        description: p.description.text.clone(),
        description_kind: kind(&p.description),
    };
    pb::Function {
        parameters: s.parameters.iter().map(param).collect(),
        variadic_parameter: s.variadic.as_ref().map(param),
        r#return: Some(pb::function::Return { r#type: s.returns.to_json_bytes() }),
        summary: s.summary.clone(),
        description: s.description.text.clone(),
        description_kind: kind(&s.description),
        deprecation_message: s.deprecation.clone().unwrap_or_default(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_and_severities() {
        let d = Diagnostics::attribute_error(AttributePath::attr("ingress").with_index(0).with_key("k"), "s", "d");
        let pb = diagnostics(d);
        assert_eq!(pb[0].severity, pb::diagnostic::Severity::Error as i32);
        assert_eq!(pb[0].attribute.as_ref().unwrap().steps.len(), 3);
    }

    #[test]
    fn empty_dynamic_value_is_null() {
        let dv = pb::DynamicValue::default();
        assert_eq!(decode(Some(&dv), &Type::String, "config").unwrap(), Value::Null);
    }
}
