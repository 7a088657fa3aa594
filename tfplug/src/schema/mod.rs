//! Schemas: the attributes and blocks of a provider, resource or data source, with
//! the validators, defaults and plan modifiers that give them behaviour.
//!
//! ```
//! use tfplug::schema::{Attribute, Block, NestedBlock, Schema};
//! use tfplug::validator::one_of;
//! use tfplug::plan::{RequiresReplace, UseStateForUnknown};
//!
//! let schema = Schema::new(1, Block::new()
//!     .description("A preview or long-lived environment.")
//!     .attribute(Attribute::string("name").required().plan_modifier(RequiresReplace))
//!     .attribute(Attribute::string("tier").optional().computed().default("dev")
//!         .validator(one_of(["dev", "staging", "prod"])))
//!     .attribute(Attribute::string("id").computed().plan_modifier(UseStateForUnknown))
//!     .block(NestedBlock::list("rule", Block::new()
//!         .attribute(Attribute::number("port").required()))));
//! assert!(schema.check().is_ok());
//! ```

mod check;

use std::sync::Arc;

use crate::cty::{Type, Value};
use crate::plan::PlanModifier;
use crate::validator::Validator;

/// A versioned schema: the top-level block of a resource, data source or provider.
#[derive(Clone, Default)]
pub struct Schema {
    /// State schema version; bump it when the stored shape changes.
    pub version: i64,
    /// The top-level block.
    pub block: Block,
}

impl Schema {
    /// A schema at `version`.
    pub fn new(version: i64, block: Block) -> Self {
        Schema { version, block }
    }

    /// The object type of values of this schema.
    pub fn ty(&self) -> Type {
        self.block.ty()
    }

    /// Checks the rules Terraform enforces on schemas (names, flag combinations,
    /// nesting limits), so a mistake fails in a unit test rather than in `terraform init`.
    pub fn check(&self) -> Result<(), Vec<String>> {
        check::check_block(&self.block, "")
    }
}

/// A block: attributes and nested blocks.
#[derive(Clone, Default)]
pub struct Block {
    /// Attributes in declaration order.
    pub attributes: Vec<Attribute>,
    /// Nested block types in declaration order.
    pub blocks: Vec<NestedBlock>,
    /// Documentation.
    pub description: Description,
    /// Set when the whole block is deprecated: what to use instead.
    pub deprecation: Option<String>,
}

impl Block {
    /// An empty block.
    pub fn new() -> Self {
        Block::default()
    }

    /// Adds an attribute.
    pub fn attribute(mut self, attribute: Attribute) -> Self {
        self.attributes.push(attribute);
        self
    }

    /// Adds a nested block type.
    pub fn block(mut self, block: NestedBlock) -> Self {
        self.blocks.push(block);
        self
    }

    /// Sets a plain-text description.
    pub fn description(mut self, text: impl Into<String>) -> Self {
        self.description = Description::plain(text);
        self
    }

    /// Sets a Markdown description.
    pub fn markdown(mut self, text: impl Into<String>) -> Self {
        self.description = Description::markdown(text);
        self
    }

    /// Marks the block deprecated with a message saying what to use instead.
    pub fn deprecated(mut self, message: impl Into<String>) -> Self {
        self.deprecation = Some(message.into());
        self
    }

    /// The attribute called `name`.
    pub fn get_attribute(&self, name: &str) -> Option<&Attribute> {
        self.attributes.iter().find(|a| a.name == name)
    }

    /// The nested block type called `name`.
    pub fn get_block(&self, name: &str) -> Option<&NestedBlock> {
        self.blocks.iter().find(|b| b.name == name)
    }

    /// The implied object type.
    pub fn ty(&self) -> Type {
        Type::object(
            self.attributes
                .iter()
                .map(|a| (a.name.clone(), a.ty()))
                .chain(self.blocks.iter().map(|b| (b.name.clone(), b.ty()))),
        )
    }
}

/// Documentation text and its format.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Description {
    /// The text.
    pub text: String,
    /// True when the text is Markdown.
    pub markdown: bool,
}

impl Description {
    /// Plain text.
    pub fn plain(text: impl Into<String>) -> Self {
        Description { text: text.into(), markdown: false }
    }

    /// Markdown.
    pub fn markdown(text: impl Into<String>) -> Self {
        Description { text: text.into(), markdown: true }
    }
}

/// Who sets an attribute's value.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Presence {
    /// Config must set it.
    Required,
    /// Config may set it; null otherwise.
    Optional,
    /// Only the provider sets it.
    Computed,
    /// Config may set it; the provider chooses when config leaves it null.
    OptionalComputed,
}

/// How nested attributes or blocks are collected.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Nesting {
    /// At most one; an object or null.
    Single,
    /// An ordered list.
    List,
    /// An unordered set.
    Set,
    /// A map keyed by label.
    Map,
    /// Exactly one, never null (blocks only): absent means all attributes null.
    Group,
}

/// What an attribute holds: a plain type, or nested attributes (protocol 6 only).
#[derive(Clone)]
pub enum AttributeType {
    /// Any cty type.
    Plain(Type),
    /// An object, or a collection of objects, written as an expression.
    Nested {
        /// Single, list, set or map.
        nesting: Nesting,
        /// The object's attributes.
        attributes: Vec<Attribute>,
    },
}

/// One attribute.
#[derive(Clone)]
pub struct Attribute {
    /// Its name (`^[a-z0-9_]+$`).
    pub name: String,
    /// Its type.
    pub ty: AttributeType,
    /// Who sets it.
    pub presence: Presence,
    /// Redacted in plan output.
    pub sensitive: bool,
    /// Sent by Terraform but never stored: null in every returned state.
    pub write_only: bool,
    /// Documentation.
    pub description: Description,
    /// Set when deprecated: what to use instead.
    pub deprecation: Option<String>,
    /// The value planned when config leaves the attribute null (optional+computed only).
    pub default: Option<Value>,
    /// Checks on the configured value.
    pub validators: Vec<Arc<dyn Validator>>,
    /// Changes to the planned value.
    pub plan_modifiers: Vec<Arc<dyn PlanModifier>>,
    /// Whether `.optional()` was called, so that `.computed()` alone means computed-only.
    declared_optional: bool,
}

impl Attribute {
    /// An attribute of type `ty`, optional unless you chain `.required()` or `.computed()`
    /// (`.computed()` alone: only the provider sets it; `.optional().computed()`: the
    /// provider chooses when config leaves it null).
    pub fn new(name: impl Into<String>, ty: Type) -> Self {
        Attribute {
            name: name.into(),
            ty: AttributeType::Plain(ty),
            presence: Presence::Optional,
            sensitive: false,
            write_only: false,
            description: Description::default(),
            deprecation: None,
            default: None,
            validators: Vec::new(),
            plan_modifiers: Vec::new(),
            declared_optional: false,
        }
    }

    /// A string attribute.
    pub fn string(name: impl Into<String>) -> Self {
        Attribute::new(name, Type::String)
    }

    /// A number attribute.
    pub fn number(name: impl Into<String>) -> Self {
        Attribute::new(name, Type::Number)
    }

    /// A bool attribute.
    pub fn bool(name: impl Into<String>) -> Self {
        Attribute::new(name, Type::Bool)
    }

    /// A `map(string)` attribute.
    pub fn string_map(name: impl Into<String>) -> Self {
        Attribute::new(name, Type::map(Type::String))
    }

    /// A `list(string)` attribute.
    pub fn string_list(name: impl Into<String>) -> Self {
        Attribute::new(name, Type::list(Type::String))
    }

    /// Nested attributes (`name = { ... }` or `name = [{ ... }]`); protocol 6 only.
    pub fn nested(name: impl Into<String>, nesting: Nesting, attributes: Vec<Attribute>) -> Self {
        let mut a = Attribute::new(name, Type::Dynamic);
        a.ty = AttributeType::Nested { nesting, attributes };
        a
    }

    /// Config must set it.
    pub fn required(mut self) -> Self {
        self.presence = Presence::Required;
        self.declared_optional = false;
        self
    }

    /// Config may set it.
    pub fn optional(mut self) -> Self {
        self.declared_optional = true;
        self.presence = match self.presence {
            Presence::Computed | Presence::OptionalComputed => Presence::OptionalComputed,
            _ => Presence::Optional,
        };
        self
    }

    /// The provider sets it: computed-only, or optional+computed after `.optional()`.
    pub fn computed(mut self) -> Self {
        self.presence = if self.declared_optional { Presence::OptionalComputed } else { Presence::Computed };
        self
    }

    /// Redacts it in plan output.
    pub fn sensitive(mut self) -> Self {
        self.sensitive = true;
        self
    }

    /// Never stored in state or plan (Terraform ≥ 1.11).
    pub fn write_only(mut self) -> Self {
        self.write_only = true;
        self
    }

    /// Sets a plain-text description.
    pub fn description(mut self, text: impl Into<String>) -> Self {
        self.description = Description::plain(text);
        self
    }

    /// Sets a Markdown description.
    pub fn markdown(mut self, text: impl Into<String>) -> Self {
        self.description = Description::markdown(text);
        self
    }

    /// Marks it deprecated with a message saying what to use instead.
    pub fn deprecated(mut self, message: impl Into<String>) -> Self {
        self.deprecation = Some(message.into());
        self
    }

    /// The value planned when config leaves it null; makes it optional+computed.
    pub fn default(mut self, value: impl Into<Value>) -> Self {
        self.default = Some(value.into());
        self.optional().computed()
    }

    /// Adds a validator.
    pub fn validator(mut self, v: impl Validator + 'static) -> Self {
        self.validators.push(Arc::new(v));
        self
    }

    /// Adds a plan modifier.
    pub fn plan_modifier(mut self, m: impl PlanModifier + 'static) -> Self {
        self.plan_modifiers.push(Arc::new(m));
        self
    }

    /// True if the provider may set it.
    pub fn is_computed(&self) -> bool {
        matches!(self.presence, Presence::Computed | Presence::OptionalComputed)
    }

    /// True if config may set it.
    pub fn is_configurable(&self) -> bool {
        !matches!(self.presence, Presence::Computed)
    }

    /// The cty type of its values.
    pub fn ty(&self) -> Type {
        match &self.ty {
            AttributeType::Plain(t) => t.clone(),
            AttributeType::Nested { nesting, attributes } => {
                let obj = Type::object(attributes.iter().map(|a| (a.name.clone(), a.ty())));
                match nesting {
                    Nesting::Single | Nesting::Group => obj,
                    Nesting::List => Type::list(obj),
                    Nesting::Set => Type::set(obj),
                    Nesting::Map => Type::map(obj),
                }
            }
        }
    }
}

/// A nested block type (`ingress { ... }`).
#[derive(Clone)]
pub struct NestedBlock {
    /// The block type name.
    pub name: String,
    /// How repeated blocks are collected.
    pub nesting: Nesting,
    /// The block's contents.
    pub block: Block,
    /// Minimum number of blocks (LIST and SET).
    pub min_items: i64,
    /// Maximum number of blocks, 0 for unlimited (LIST and SET).
    pub max_items: i64,
    /// Changes to the planned blocks (e.g. replace the resource when they change).
    pub plan_modifiers: Vec<Arc<dyn PlanModifier>>,
}

impl NestedBlock {
    /// A block type collected with `nesting`.
    pub fn new(name: impl Into<String>, nesting: Nesting, block: Block) -> Self {
        NestedBlock { name: name.into(), nesting, block, min_items: 0, max_items: 0, plan_modifiers: Vec::new() }
    }

    /// Repeated blocks kept in order.
    pub fn list(name: impl Into<String>, block: Block) -> Self {
        NestedBlock::new(name, Nesting::List, block)
    }

    /// Repeated blocks without order or duplicates.
    pub fn set(name: impl Into<String>, block: Block) -> Self {
        NestedBlock::new(name, Nesting::Set, block)
    }

    /// At most one block.
    pub fn single(name: impl Into<String>, block: Block) -> Self {
        NestedBlock::new(name, Nesting::Single, block)
    }

    /// Labelled blocks (`rule "name" { ... }`).
    pub fn map(name: impl Into<String>, block: Block) -> Self {
        NestedBlock::new(name, Nesting::Map, block)
    }

    /// Sets the minimum count.
    pub fn min_items(mut self, n: i64) -> Self {
        self.min_items = n;
        self
    }

    /// Sets the maximum count (0 = unlimited).
    pub fn max_items(mut self, n: i64) -> Self {
        self.max_items = n;
        self
    }

    /// Adds a plan modifier for the whole collection of blocks.
    pub fn plan_modifier(mut self, m: impl PlanModifier + 'static) -> Self {
        self.plan_modifiers.push(Arc::new(m));
        self
    }

    /// The cty type of the collected blocks.
    pub fn ty(&self) -> Type {
        let obj = self.block.ty();
        match self.nesting {
            Nesting::Single | Nesting::Group => obj,
            Nesting::List => Type::list(obj),
            Nesting::Set => Type::set(obj),
            Nesting::Map => Type::map(obj),
        }
    }
}

#[cfg(test)]
mod presence_tests {
    use super::{Attribute, Presence};

    #[test]
    fn computed_alone_is_computed_only() {
        assert_eq!(Attribute::string("id").computed().presence, Presence::Computed);
        assert_eq!(Attribute::string("x").optional().computed().presence, Presence::OptionalComputed);
        assert_eq!(Attribute::string("x").computed().optional().presence, Presence::OptionalComputed);
        assert_eq!(Attribute::string("x").default("a").presence, Presence::OptionalComputed);
        assert_eq!(Attribute::string("x").presence, Presence::Optional);
    }
}
