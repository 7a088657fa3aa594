//! `ephemeral "oppie_password"`: a random password from the operating system's secure random
//! source, with the character classes asked for, that lives only while Terraform runs.

use aws_lc_rs::rand::{SecureRandom as _, SystemRandom};
use serde::Deserialize;
use tfplug::validator::int_between;
use tfplug::{Attribute, AttributePath, Block, Context, Diagnostics, EphemeralResource, Object, OpenResponse, Schema};

use crate::client::Client;

/// The ephemeral resource type.
pub struct Password;

const UPPER: &str = "ABCDEFGHIJKLMNOPQRSTUVWXYZ";
const LOWER: &str = "abcdefghijklmnopqrstuvwxyz";
const NUMERIC: &str = "0123456789";
/// Specials that need no quoting in shells, URLs' userinfo aside, or connection strings.
const SPECIAL: &str = "!#%*+-=?@^_~";

#[derive(Deserialize)]
struct Config {
    length: usize,
    upper: bool,
    lower: bool,
    numeric: bool,
    special: bool,
    override_special: Option<String>,
}

impl Config {
    /// The enabled character classes, each a non-empty alphabet.
    fn classes(&self) -> Vec<Vec<char>> {
        let special = self.override_special.as_deref().unwrap_or(SPECIAL);
        [(self.upper, UPPER), (self.lower, LOWER), (self.numeric, NUMERIC), (self.special, special)]
            .into_iter()
            .filter(|(on, set)| *on && !set.is_empty())
            .map(|(_, set)| {
                let mut chars: Vec<char> = set.chars().collect();
                chars.sort_unstable();
                chars.dedup();
                chars
            })
            .collect()
    }
}

fn problem(path: &str, summary: &str, detail: String) -> Diagnostics {
    Diagnostics::attribute_error(AttributePath::attr(path), summary, detail)
}

/// A uniform index below `n` (rejection sampling: no modulo bias).
fn below(rng: &SystemRandom, n: usize) -> Result<usize, Diagnostics> {
    let n32 = u32::try_from(n).map_err(|_| Diagnostics::error("Internal error", "alphabet too large"))?;
    let zone = u32::MAX - (u32::MAX % n32);
    loop {
        let mut b = [0u8; 4];
        rng.fill(&mut b)
            .map_err(|_| Diagnostics::error("No secure random source", "the system refused random bytes"))?;
        let x = u32::from_le_bytes(b);
        if x < zone {
            return Ok((x % n32) as usize);
        }
    }
}

/// A password of `length` with at least one character of every class, the rest from all of
/// them, shuffled.
fn generate(length: usize, classes: &[Vec<char>]) -> Result<String, Diagnostics> {
    let rng = SystemRandom::new();
    let all: Vec<char> = classes.iter().flatten().copied().collect();
    let mut out: Vec<char> = Vec::with_capacity(length);
    for class in classes {
        out.push(class[below(&rng, class.len())?]);
    }
    while out.len() < length {
        out.push(all[below(&rng, all.len())?]);
    }
    for i in (1..out.len()).rev() {
        let j = below(&rng, i + 1)?;
        out.swap(i, j);
    }
    Ok(out.into_iter().collect())
}

#[tfplug::async_trait]
impl EphemeralResource<Client> for Password {
    fn type_name(&self) -> &str {
        "oppie_password"
    }

    fn schema(&self) -> Schema {
        let class = |name: &str, what: &str| {
            Attribute::bool(name)
                .default(true)
                .description(format!("Use {what} (at least one when on). Defaults to true."))
        };
        Schema::new(
            0,
            Block::new()
                .markdown("A random password that exists only while Terraform runs: never in a plan or state. Feed it to write-only arguments (`*_wo`), such as `oppie_instance.user_data_wo` or a database's `password_wo`. Made from the operating system's secure random source.")
                .attribute(
                    Attribute::number("length")
                        .default(24)
                        .validator(int_between(8, 256))
                        .description("Number of characters, 8 to 256."),
                )
                .attribute(class("upper", "upper-case letters A-Z"))
                .attribute(class("lower", "lower-case letters a-z"))
                .attribute(class("numeric", "digits 0-9"))
                .attribute(class("special", "special characters (`!#%*+-=?@^_~`, or `override_special`)"))
                .attribute(Attribute::string("override_special").optional().description(
                    "The special characters to use instead of the default set, e.g. when a system allows only some.",
                ))
                .attribute(
                    Attribute::string("result")
                        .computed()
                        .sensitive()
                        .description("The password. Use it only in write-only arguments and other ephemeral contexts."),
                ),
        )
    }

    async fn validate(&self, _ctx: &Context<Client>, config: &Object) -> Result<(), Diagnostics> {
        let on = |name: &str| config.attr(name).as_bool() != Some(false);
        let specials = config.attr("override_special");
        let special_empty = specials.as_str().is_some_and(str::is_empty);
        let any = on("upper") || on("lower") || on("numeric") || (on("special") && !special_empty);
        if !any {
            return Err(problem(
                "upper",
                "No character classes",
                "Turn on at least one of upper, lower, numeric and special.".into(),
            ));
        }
        Ok(())
    }

    async fn open(&self, _ctx: &Context<Client>, _config: &Object, resp: &mut OpenResponse) -> Result<(), Diagnostics> {
        let c: Config = resp.result.get()?;
        let classes = c.classes();
        if classes.is_empty() {
            return Err(problem("upper", "No character classes", "Turn on at least one class.".into()));
        }
        if c.length < classes.len() {
            return Err(problem(
                "length",
                "Password too short",
                format!("{} classes are on, so the length must be at least {}.", classes.len(), classes.len()),
            ));
        }
        let value = generate(c.length, &classes)?;
        resp.result.set_attr("result", &value)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(length: usize, special: bool, override_special: Option<&str>) -> Config {
        Config {
            length,
            upper: true,
            lower: true,
            numeric: true,
            special,
            override_special: override_special.map(str::to_string),
        }
    }

    #[test]
    fn every_class_appears_and_nothing_else() {
        let c = config(12, true, None);
        for _ in 0..200 {
            let p = generate(c.length, &c.classes()).unwrap();
            assert_eq!(p.chars().count(), 12);
            assert!(p.chars().any(|ch| ch.is_ascii_uppercase()), "{p}");
            assert!(p.chars().any(|ch| ch.is_ascii_lowercase()), "{p}");
            assert!(p.chars().any(|ch| ch.is_ascii_digit()), "{p}");
            assert!(p.chars().any(|ch| SPECIAL.contains(ch)), "{p}");
        }
        let c = config(8, true, Some("$$"));
        let p = generate(8, &c.classes()).unwrap();
        assert!(p.contains('$') && !p.chars().any(|ch| SPECIAL.contains(ch)), "{p}");
        let c = config(30, false, None);
        assert!(generate(30, &c.classes()).unwrap().chars().all(char::is_alphanumeric));
    }

    #[test]
    fn passwords_differ_and_indices_stay_in_range() {
        let c = config(24, true, None);
        let a = generate(24, &c.classes()).unwrap();
        let b = generate(24, &c.classes()).unwrap();
        assert_ne!(a, b);
        let rng = SystemRandom::new();
        for n in [1, 2, 3, 7, 62, 70] {
            for _ in 0..100 {
                assert!(below(&rng, n).unwrap() < n);
            }
        }
    }
}
