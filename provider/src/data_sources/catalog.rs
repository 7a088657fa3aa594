//! `data "oppie_catalog"`: what the abstract region, size and image keys mean on a cloud.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use tfplug::validator::one_of;
use tfplug::{Attribute, Block, Context, Diagnostics, Object, Schema};

use crate::catalog::{self, Cloud};
use crate::client::Client;

/// The data source type.
pub struct CatalogDataSource;

#[derive(Deserialize)]
struct Input {
    cloud: String,
}

#[derive(Serialize)]
struct Output {
    version: String,
    regions: BTreeMap<String, String>,
    zones: BTreeMap<String, Vec<String>>,
    sizes: BTreeMap<String, String>,
    images: BTreeMap<String, String>,
}

#[tfplug::async_trait]
impl tfplug::DataSource<Client> for CatalogDataSource {
    fn type_name(&self) -> &str {
        "oppie_catalog"
    }

    fn schema(&self) -> Schema {
        Schema::new(
            0,
            Block::new()
                .markdown(
                    "The catalog of abstract keys Oppie resources accept, and what each means natively on one cloud.",
                )
                .attribute(
                    Attribute::string("cloud")
                        .required()
                        .validator(one_of(Cloud::ALL.map(Cloud::key)))
                        .description("aws, gcp or azure."),
                )
                .attribute(Attribute::string("version").computed().description("Version (date) of the catalog data."))
                .attribute(
                    Attribute::string_map("regions").computed().description("Region key to the cloud's region name."),
                )
                .attribute(
                    Attribute::new("zones", tfplug::Type::map(tfplug::Type::list(tfplug::Type::String)))
                        .computed()
                        .description("Region key to the zones it has."),
                )
                .attribute(
                    Attribute::string_map("sizes")
                        .computed()
                        .description("Size key (xs, s, m, l, xl) to the instance type."),
                )
                .attribute(
                    Attribute::string_map("images")
                        .computed()
                        .description("Image key to the official image it resolves to."),
                ),
        )
    }

    async fn read(&self, _ctx: &Context<Client>, state: &mut Object) -> Result<(), Diagnostics> {
        let input: Input = state.get()?;
        let cloud = Cloud::parse(&input.cloud).ok_or_else(|| {
            Diagnostics::attribute_error(
                tfplug::AttributePath::attr("cloud"),
                "Unknown cloud",
                "Use aws, gcp or azure.",
            )
        })?;
        let cat = catalog::get();
        let cc = cat.cloud(cloud);
        let out = Output {
            version: cat.version.clone(),
            regions: cc.regions.iter().map(|(k, r)| (k.clone(), r.native.clone())).collect(),
            zones: cc.regions.iter().map(|(k, r)| (k.clone(), r.zones.clone())).collect(),
            sizes: cc.sizes.iter().map(|(k, s)| (k.clone(), s.native.clone())).collect(),
            images: cc.images.iter().map(|(k, i)| (k.clone(), i.native.clone())).collect(),
        };
        state.merge(&out)
    }
}
