//! `ephemeral "notes_password"`: a random password that lives only while Terraform runs.

use serde::Deserialize;
use tfplug::validator::int_between;
use tfplug::{Attribute, Block, Context, Diagnostics, EphemeralResource, Object, OpenResponse, Schema};

use crate::store::Store;

pub struct Password;

#[derive(Deserialize)]
struct Config {
    length: i64,
}

const ALPHABET: &[u8] = b"ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz23456789";

#[tfplug::async_trait]
impl EphemeralResource<Store> for Password {
    fn type_name(&self) -> &str {
        "notes_password"
    }

    fn schema(&self) -> Schema {
        Schema::new(
            0,
            Block::new()
                .attribute(Attribute::number("length").default(16).validator(int_between(8, 128)))
                .attribute(Attribute::string("value").computed().sensitive()),
        )
    }

    async fn open(&self, _: &Context<Store>, _: &Object, resp: &mut OpenResponse) -> Result<(), Diagnostics> {
        let c: Config = resp.result.get()?;
        // NOTES_PASSWORD_SEED makes the value repeatable, so a test can look for it.
        let mut rng = match std::env::var("NOTES_PASSWORD_SEED").ok().and_then(|s| s.parse().ok()) {
            Some(seed) => fastrand::Rng::with_seed(seed),
            None => fastrand::Rng::new(),
        };
        let value: String = (0..c.length).map(|_| ALPHABET[rng.usize(..ALPHABET.len())] as char).collect();
        resp.result.set_attr("value", &value)
    }
}
