//! The rules Terraform enforces when it loads a provider schema.
//! Breaking one makes `terraform init` fail with "invalid schema"; checking them here moves that to a unit test.

use super::{Attribute, AttributeType, Block, Nesting, Presence};

/// True if the attribute is write-only or nests one (Terraform's `ContainsWriteOnly`).
fn has_write_only(a: &Attribute) -> bool {
    a.write_only || matches!(&a.ty, AttributeType::Nested { attributes, .. } if attributes.iter().any(has_write_only))
}

/// True if any attribute inside the block, at any depth, is write-only.
fn block_has_write_only(b: &Block) -> bool {
    b.attributes.iter().any(has_write_only) || b.blocks.iter().any(|nb| block_has_write_only(&nb.block))
}

/// Checks a block recursively; `at` is the path prefix for messages.
pub(super) fn check_block(block: &Block, at: &str) -> Result<(), Vec<String>> {
    let mut problems = Vec::new();
    let mut seen = std::collections::BTreeSet::new();
    let name_ok =
        |n: &str| !n.is_empty() && n.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_');
    for a in &block.attributes {
        let here = format!("{at}{}", a.name);
        if !name_ok(&a.name) {
            problems.push(format!("{here}: names must match ^[a-z0-9_]+$"));
        }
        if !seen.insert(a.name.clone()) {
            problems.push(format!("{here}: declared twice"));
        }
        if a.default.is_some() && a.presence != Presence::OptionalComputed {
            problems.push(format!("{here}: a default needs an optional+computed attribute"));
        }
        if a.write_only && a.is_computed() {
            problems.push(format!("{here}: write-only attributes cannot be computed"));
        }
        if a.deprecation.as_deref() == Some("") {
            problems.push(format!("{here}: a deprecation needs a message"));
        }
        if let AttributeType::Nested { nesting, attributes } = &a.ty {
            if *nesting == Nesting::Group {
                problems.push(format!("{here}: nested attributes cannot use GROUP nesting"));
            }
            let inner = Block { attributes: attributes.clone(), ..Block::default() };
            // Marks inside a set are hoisted to the set, so only the whole set may be write-only.
            if *nesting == Nesting::Set && attributes.iter().any(|x| has_write_only(x) || x.ty().has_dynamic()) {
                problems.push(format!("{here}: set nesting cannot hold write-only or dynamic attributes"));
            }
            if let Err(p) = check_block(&inner, &format!("{here}.")) {
                problems.extend(p);
            }
        }
    }
    for b in &block.blocks {
        let here = format!("{at}{}", b.name);
        if !name_ok(&b.name) {
            problems.push(format!("{here}: names must match ^[a-z0-9_]+$"));
        }
        if !seen.insert(b.name.clone()) {
            problems.push(format!("{here}: name used by an attribute or another block"));
        }
        let (min, max) = (b.min_items, b.max_items);
        let limits_ok = match b.nesting {
            Nesting::Single => (min == 0 && max == 0) || (min == max && max <= 1),
            Nesting::Group | Nesting::Map => min == 0 && max == 0,
            Nesting::List | Nesting::Set => min >= 0 && max >= 0 && (max == 0 || min <= max),
        };
        if !limits_ok {
            problems.push(format!("{here}: min_items {min} / max_items {max} not allowed for {:?} nesting", b.nesting));
        }
        let has_dynamic = b.block.ty().has_dynamic();
        if has_dynamic && matches!(b.nesting, Nesting::List | Nesting::Map | Nesting::Set) {
            problems.push(format!(
                "{here}: dynamic attributes inside repeated blocks are not supported; use a nested attribute"
            ));
        }
        if b.nesting == Nesting::Set && block_has_write_only(&b.block) {
            problems.push(format!("{here}: set blocks cannot hold write-only attributes"));
        }
        if let Err(p) = check_block(&b.block, &format!("{here}.")) {
            problems.extend(p);
        }
    }
    if problems.is_empty() { Ok(()) } else { Err(problems) }
}

#[cfg(test)]
mod tests {
    use crate::schema::{Attribute, Block, NestedBlock, Schema};

    #[test]
    fn catches_the_mistakes_terraform_rejects() {
        let bad = Schema::new(
            0,
            Block::new()
                .attribute(Attribute::string("Name"))
                .attribute(Attribute::string("x"))
                .attribute(Attribute::string("x"))
                .attribute(Attribute::string("pw").write_only().computed())
                .block(NestedBlock::single("one", Block::new()).min_items(0).max_items(2)),
        );
        let problems = bad.check().unwrap_err();
        assert_eq!(problems.len(), 4, "{problems:#?}");
    }

    #[test]
    fn write_only_anywhere_inside_a_set_is_refused() {
        let deep = Block::new().block(NestedBlock::list(
            "inner",
            Block::new().attribute(Attribute::string("token").optional().write_only()),
        ));
        let bad = Schema::new(0, Block::new().block(NestedBlock::set("outer", deep)));
        assert_eq!(bad.check().unwrap_err().len(), 1);
        let nested = Schema::new(
            0,
            Block::new().attribute(
                Attribute::nested(
                    "rules",
                    crate::schema::Nesting::Set,
                    vec![Attribute::nested(
                        "auth",
                        crate::schema::Nesting::Single,
                        vec![Attribute::string("key").optional().write_only()],
                    )],
                )
                .optional(),
            ),
        );
        assert_eq!(nested.check().unwrap_err().len(), 1, "{:?}", nested.check());
    }

    #[test]
    fn accepts_a_sound_schema() {
        let ok = Schema::new(
            0,
            Block::new()
                .attribute(Attribute::string("name").required())
                .attribute(Attribute::string("tier").default("dev"))
                .block(
                    NestedBlock::set("rule", Block::new().attribute(Attribute::number("port").required()))
                        .max_items(100),
                ),
        );
        assert_eq!(ok.check(), Ok(()));
    }
}
