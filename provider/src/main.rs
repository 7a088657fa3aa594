//! terraform-provider-oppie: cloud-neutral infrastructure resources for Terraform and OpenTofu.

/// The catalog crate, under the name the modules use.
pub(crate) use oppie_catalog as catalog;
mod actions;
mod cidr;
mod client;
mod clouds;
mod data_sources;
#[cfg(test)]
mod docs;
mod ephemeral;
mod functions;
mod governance;
mod kinds;
mod provider;
mod secret;

fn main() -> std::process::ExitCode {
    tfplug::main(provider::OppieProvider, provider::ADDRESS)
}
