//! The `provider "oppie"` block, its configuration into a [`Client`], and the lists of
//! resources, data sources and functions.

use std::collections::BTreeMap;
use std::sync::Arc;

use serde::Deserialize;
use tfplug::validator::{from_fn, int_between, one_of};
use tfplug::{
    Action, Attribute, Block, ConfigureRequest, DataSource, Diagnostics, EphemeralResource, Function, ListResource,
    NestedBlock, Object, Resource, Schema,
};

use crate::catalog::Cloud;
use crate::client::Client;
use crate::clouds::{Clouds, aws, azure, gcp};
use crate::governance::policy::{Gate, PolicyConfig};

/// The source address users write as `oppie/oppie`.
pub const ADDRESS: &str = "registry.terraform.io/oppie/oppie";

/// The provider.
pub struct OppieProvider;

#[derive(Deserialize, Default)]
struct Config {
    default_cloud: Option<String>,
    default_region: Option<String>,
    default_tags: Option<BTreeMap<String, String>>,
}

#[derive(Deserialize, Default)]
struct AwsConfig {
    region: Option<String>,
    endpoint: Option<String>,
    profile: Option<String>,
    max_attempts: Option<u32>,
    assume_role: Option<AssumeRoleConfig>,
}

#[derive(Deserialize, Default)]
struct AzureConfig {
    subscription_id: Option<String>,
    tenant_id: Option<String>,
    client_id: Option<String>,
    client_secret: Option<crate::secret::Secret>,
    client_certificate_path: Option<String>,
    use_msi: Option<bool>,
    use_cli: Option<bool>,
    endpoints: Option<BTreeMap<String, String>>,
    max_attempts: Option<u32>,
}

impl From<AzureConfig> for azure::Settings {
    fn from(c: AzureConfig) -> Self {
        let mut endpoints = c.endpoints.unwrap_or_default();
        azure::Settings {
            subscription_id: c.subscription_id,
            inputs: azure::Inputs {
                tenant_id: c.tenant_id,
                client_id: c.client_id,
                client_secret: c.client_secret,
                client_certificate: c.client_certificate_path,
                use_msi: c.use_msi.unwrap_or(false),
                use_cli: c.use_cli.unwrap_or(false),
            },
            management: endpoints.remove("management"),
            blob: endpoints.remove("blob"),
            authority: endpoints.remove("active_directory"),
            max_attempts: c.max_attempts.unwrap_or(azure::DEFAULT_MAX_ATTEMPTS),
        }
        .with_env()
    }
}

/// Keys `azure { endpoints = {...} }` takes.
const AZURE_ENDPOINTS: [&str; 3] = ["management", "blob", "active_directory"];

#[derive(Deserialize)]
struct AssumeRoleConfig {
    role_arn: String,
    session_name: Option<String>,
    external_id: Option<String>,
}

impl From<AwsConfig> for aws::Settings {
    fn from(c: AwsConfig) -> Self {
        aws::Settings {
            region: c.region,
            endpoint: c.endpoint,
            profile: c.profile,
            max_attempts: c.max_attempts.unwrap_or(aws::DEFAULT_MAX_ATTEMPTS),
            assume_role: c.assume_role.map(|r| aws::AssumeRole {
                role_arn: r.role_arn,
                session_name: r.session_name,
                external_id: r.external_id,
            }),
        }
    }
}

#[derive(Deserialize, Default)]
struct GcpConfig {
    project: Option<String>,
    credentials: Option<crate::secret::Secret>,
    endpoints: Option<BTreeMap<String, String>>,
    max_attempts: Option<u32>,
}

impl From<GcpConfig> for gcp::Settings {
    fn from(c: GcpConfig) -> Self {
        let mut endpoints = c.endpoints.unwrap_or_default();
        gcp::Settings {
            project: c.project,
            credentials: c.credentials,
            compute_endpoint: endpoints.remove("compute"),
            storage_endpoint: endpoints.remove("storage"),
            dns_endpoint: endpoints.remove("dns"),
            sqladmin_endpoint: endpoints.remove("sqladmin"),
            redis_endpoint: endpoints.remove("redis"),
            cloudkms_endpoint: endpoints.remove("cloudkms"),
            max_attempts: c.max_attempts.unwrap_or(gcp::DEFAULT_MAX_ATTEMPTS),
        }
    }
}

fn gcp_block() -> NestedBlock {
    NestedBlock::single(
        "gcp",
        Block::new()
            .markdown("GCP settings. Credentials: `credentials`, else `GOOGLE_APPLICATION_CREDENTIALS`, else gcloud's application-default credentials file, else the GCE metadata server. Endpoints on this machine (emulators) get no credentials unless some are set.")
            .attribute(Attribute::string("project").optional().description("Project id every GCP resource belongs to."))
            .attribute(Attribute::string("credentials").optional().sensitive().description(
                "A service-account key: the JSON text or a path to the file (OAuth2 JWT grant), or an `authorized_user` file from `gcloud auth application-default login`.",
            ))
            .attribute(
                Attribute::string_map("endpoints")
                    .optional()
                    .validator(from_fn("endpoint names compute, storage, dns, sqladmin, redis or cloudkms", check_gcp_endpoints))
                    .description("Base URLs per service, in the Google provider's custom-endpoint form: `compute` (default `https://compute.googleapis.com/compute/v1/`), `storage` (default `https://storage.googleapis.com/storage/v1/`), `dns` (default `https://dns.googleapis.com/dns/v1/`), `sqladmin` (default `https://sqladmin.googleapis.com/`), `redis` (default `https://redis.googleapis.com/`) and `cloudkms` (default `https://cloudkms.googleapis.com/`)."),
            )
            .attribute(
                Attribute::number("max_attempts")
                    .optional()
                    .validator(int_between(1, 20))
                    .description("Attempts per API call, first try included (default 5). 429 and 5xx answers are retried, honouring `Retry-After`, else with exponential backoff and jitter."),
            ),
    )
}

/// The services `gcp { endpoints }` may name.
const GCP_ENDPOINTS: [&str; 6] = ["compute", "storage", "dns", "sqladmin", "redis", "cloudkms"];

/// Refuses endpoint names the provider would ignore (a typo would silently reach Google).
fn check_gcp_endpoints(v: &tfplug::Value) -> Result<(), String> {
    let Some(m) = v.as_map() else { return Ok(()) };
    match m.keys().find(|k| !GCP_ENDPOINTS.contains(&k.as_str())) {
        Some(k) => Err(format!("unknown endpoint {k:?}: use {}", GCP_ENDPOINTS.join(", "))),
        None => Ok(()),
    }
}

fn aws_block() -> NestedBlock {
    NestedBlock::single(
        "aws",
        Block::new()
            .markdown("AWS settings. Credentials come from the standard chain: environment variables, the shared config and credentials files (`profile`), SSO, web identity (CI OIDC), and container or instance roles.")
            .attribute(Attribute::string("region").optional().description(
                "AWS region (e.g. `us-east-1`) for resources whose region and the provider's `default_region` are both unset.",
            ))
            .attribute(Attribute::string("endpoint").optional().description(
                "One endpoint URL for every AWS service (EC2, S3 with path-style addressing, STS): an emulator such as moto, or a VPC endpoint.",
            ))
            .attribute(Attribute::string("profile").optional().description("Named profile in the shared AWS config files."))
            .attribute(
                Attribute::number("max_attempts")
                    .optional()
                    .validator(int_between(1, 20))
                    .description("Attempts per API call, first try included (default 5). Throttling and 5xx answers are retried with exponential backoff and jitter."),
            )
            .block(NestedBlock::single(
                "assume_role",
                Block::new()
                    .description("A role to assume on top of the base credentials.")
                    .attribute(Attribute::string("role_arn").required().description("ARN of the role."))
                    .attribute(Attribute::string("session_name").optional().description("Session name shown in CloudTrail."))
                    .attribute(Attribute::string("external_id").optional().description("External id the role's trust policy asks for.")),
            )),
    )
}

fn azure_block() -> NestedBlock {
    NestedBlock::single(
        "azure",
        Block::new()
            .markdown("Azure settings; each falls back to its `ARM_*` environment variable. Credentials, first match wins: client secret, client certificate, managed identity (`use_msi`), the Azure CLI's token cache (`az login`). With a `management` endpoint on this machine (an emulator) and none of these set, requests go without credentials.")
            .attribute(Attribute::string("subscription_id").optional().description("Subscription for every Azure resource (`ARM_SUBSCRIPTION_ID`)."))
            .attribute(Attribute::string("tenant_id").optional().description("Microsoft Entra tenant of the service principal (`ARM_TENANT_ID`)."))
            .attribute(Attribute::string("client_id").optional().description("Application (client) id of the service principal or user-assigned identity (`ARM_CLIENT_ID`)."))
            .attribute(Attribute::string("client_secret").optional().sensitive().description("Client secret of the service principal (`ARM_CLIENT_SECRET`)."))
            .attribute(Attribute::string("client_certificate_path").optional().description("PEM file with the service principal's certificate and private key (`ARM_CLIENT_CERTIFICATE_PATH`)."))
            .attribute(Attribute::bool("use_msi").optional().description("Use the managed identity of the machine Terraform runs on (`ARM_USE_MSI`)."))
            .attribute(Attribute::bool("use_cli").optional().description("Use the Azure CLI's signed-in account (`ARM_USE_CLI`); also the last resort when nothing else is set."))
            .attribute(
                Attribute::string_map("endpoints")
                    .optional()
                    .validator(tfplug::validator::from_fn("keys management, blob, active_directory", |v| {
                        let Some(m) = v.as_map() else { return Ok(()) };
                        match m.keys().find(|k| !AZURE_ENDPOINTS.contains(&k.as_str())) {
                            Some(k) => Err(format!("unknown endpoint {k:?}: use {}", AZURE_ENDPOINTS.join(", "))),
                            None => Ok(()),
                        }
                    }))
                    .description("Base URLs, as the azurerm provider writes custom endpoints: `management` (default `https://management.azure.com/`), `blob` (default `https://{account}.blob.core.windows.net/`; an emulator's path-style URL such as `http://127.0.0.1:10000/devstoreaccount1`), `active_directory` (default `https://login.microsoftonline.com/`)."),
            )
            .attribute(
                Attribute::number("max_attempts")
                    .optional()
                    .validator(int_between(1, 20))
                    .description("Attempts per API call, first try included (default 5). 429 and 5xx answers are retried, honouring `Retry-After`."),
            ),
    )
}

#[tfplug::async_trait]
impl tfplug::Provider for OppieProvider {
    type Client = Client;

    fn type_name(&self) -> &str {
        "oppie"
    }

    fn version(&self) -> &str {
        env!("CARGO_PKG_VERSION")
    }

    fn schema(&self) -> Schema {
        Schema::new(
            0,
            Block::new()
                .markdown("Oppie: one set of cloud-neutral resources for AWS, GCP and Azure.")
                .attribute(
                    Attribute::string("default_cloud")
                        .optional()
                        .validator(one_of(Cloud::ALL.map(Cloud::key)))
                        .description("Cloud for resources that do not set `cloud`: aws, gcp or azure."),
                )
                .attribute(
                    Attribute::string("default_region")
                        .optional()
                        .description("Region for resources that do not set `region`: a catalog key (us-east, eu-west, ...) or a native region."),
                )
                .attribute(
                    Attribute::string_map("default_tags")
                        .optional()
                        .description("Tags added to every resource; a resource's own tags win."),
                )
                .block(aws_block())
                .block(gcp_block())
                .block(azure_block())
                .block(crate::governance::policy::block()),
        )
    }

    async fn configure(&self, req: ConfigureRequest) -> Result<Client, Diagnostics> {
        // Unknown provider settings (referring to resources not yet created) are read as
        // absent here; resources then see no default.
        let cfg: Config = req.config.get().unwrap_or_default();
        let aws: AwsConfig = req
            .config
            .get_at::<Option<AwsConfig>>(&tfplug::AttributePath::attr("aws"))
            .ok()
            .flatten()
            .unwrap_or_default();
        let gcp: GcpConfig = req
            .config
            .get_at::<Option<GcpConfig>>(&tfplug::AttributePath::attr("gcp"))
            .ok()
            .flatten()
            .unwrap_or_default();
        let azure: AzureConfig = req
            .config
            .get_at::<Option<AzureConfig>>(&tfplug::AttributePath::attr("azure"))
            .ok()
            .flatten()
            .unwrap_or_default();
        let policy: Option<PolicyConfig> = req.config.get_at(&tfplug::AttributePath::attr("policy")).ok().flatten();
        Ok(Client {
            clouds: Clouds::new(aws.into(), gcp.into(), azure.into()),
            default_cloud: cfg.default_cloud.as_deref().and_then(Cloud::parse),
            default_region: cfg.default_region,
            default_tags: cfg.default_tags.unwrap_or_default(),
            policy: policy.and_then(Gate::new).map(Arc::new),
        })
    }

    async fn validate(&self, config: &Object) -> Result<(), Diagnostics> {
        let mut diags = Diagnostics::new();
        let text = |path: &tfplug::AttributePath| config.value().at(path).and_then(|v| v.as_str()).map(str::to_string);
        let region_path = tfplug::AttributePath::attr("default_region");
        if let Some(region) = text(&region_path) {
            let cloud = text(&tfplug::AttributePath::attr("default_cloud")).as_deref().and_then(Cloud::parse);
            let clouds: Vec<Cloud> = cloud.map_or_else(|| Cloud::ALL.to_vec(), |c| vec![c]);
            let problems: Vec<String> =
                clouds.iter().filter_map(|c| crate::catalog::get().cloud(*c).region(*c, &region).err()).collect();
            if problems.len() == clouds.len() {
                diags.add_attribute_error(region_path, "Unknown default region", problems.join("; "));
            }
        }
        let endpoint = |block: &str, name: &str| tfplug::AttributePath::attr(block).with_attr(name);
        let mut check_url = |path: tfplug::AttributePath, what: &str| {
            if let Some(url) = text(&path)
                && let Err(e) = crate::clouds::http::base_url(&url, what)
            {
                diags.add_attribute_error(path, "Invalid endpoint", e);
            }
        };
        check_url(endpoint("aws", "endpoint"), "aws");
        for (block, names) in [("gcp", &GCP_ENDPOINTS[..]), ("azure", &AZURE_ENDPOINTS[..])] {
            for name in names {
                check_url(endpoint(block, "endpoints").with_key(*name), name);
            }
        }
        let policy = endpoint("policy", "endpoint");
        if let Some(url) = text(&policy) {
            let has_token = config.value().at(&endpoint("policy", "token")).is_some_and(|t| !t.is_null())
                || std::env::var_os("OPPIE_POLICY_TOKEN").is_some();
            if let Err(e) = crate::governance::policy::check_endpoint(&url, has_token) {
                diags.add_attribute_error(policy, "Invalid policy endpoint", e);
            }
        }
        diags.into_result()
    }

    fn resources(&self) -> Vec<Arc<dyn Resource<Client>>> {
        crate::governance::govern(crate::kinds::all())
    }

    fn data_sources(&self) -> Vec<Arc<dyn DataSource<Client>>> {
        vec![Arc::new(crate::data_sources::catalog::CatalogDataSource)]
    }

    fn functions(&self) -> Vec<Arc<dyn Function>> {
        vec![Arc::new(crate::functions::name::Name), Arc::new(crate::functions::subnet_cidrs::SubnetCidrs)]
    }

    fn list_resources(&self) -> Vec<Arc<dyn ListResource<Client>>> {
        crate::kinds::lists()
    }

    fn actions(&self) -> Vec<Arc<dyn Action<Client>>> {
        crate::actions::all()
    }

    fn ephemeral_resources(&self) -> Vec<Arc<dyn EphemeralResource<Client>>> {
        vec![Arc::new(crate::ephemeral::password::Password)]
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tfplug::Provider as _;

    #[test]
    fn every_schema_passes_terraforms_rules() {
        let p = OppieProvider;
        assert_eq!(p.schema().check(), Ok(()));
        for r in p.resources() {
            assert_eq!(r.schema().check(), Ok(()), "{}", r.type_name());
        }
        for d in p.data_sources() {
            assert_eq!(d.schema().check(), Ok(()), "{}", d.type_name());
        }
        for l in p.list_resources() {
            assert_eq!(l.schema().check(), Ok(()), "list {}", l.type_name());
        }
        for a in p.actions() {
            assert_eq!(a.schema().check(), Ok(()), "action {}", a.type_name());
        }
        for e in p.ephemeral_resources() {
            assert_eq!(e.schema().check(), Ok(()), "ephemeral {}", e.type_name());
        }
    }

    /// Every resource has an identity (import blocks by identity), and every cloud-backed
    /// one a list resource of the same name, so a kind added to `kinds::all()` without its
    /// line in `kinds::lists()` fails here.
    #[test]
    fn every_resource_has_an_identity_and_every_cloud_kind_a_list() {
        let p = OppieProvider;
        let lists: Vec<String> = p.list_resources().iter().map(|l| l.type_name().to_string()).collect();
        for r in p.resources() {
            let identity = r.identity_schema().unwrap_or_else(|| panic!("{} has no identity", r.type_name()));
            assert_eq!(identity.check(), Ok(()), "{}", r.type_name());
            let cloud_backed = r.schema().block.get_attribute("cloud").is_some();
            assert_eq!(cloud_backed, lists.iter().any(|l| l == r.type_name()), "list resource of {}", r.type_name());
        }
    }
}
