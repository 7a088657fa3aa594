//! oppie_network, oppie_subnet, oppie_firewall, oppie_instance, oppie_bucket, oppie_key,
//! oppie_database and oppie_cache on Azure,
//! through real Terraform 1.15.5 against a fake Resource Manager that checks every request
//! against the published API description, and Azurite for blob containers: lifecycle,
//! drift, faults, validation and credential-free planning. One test at a time.

mod adopt;
mod data;
mod drift;
mod fake;
mod faults;
mod lifecycle;
mod planning;

use oppie_e2e::azure::AzureTest;

/// Network, subnet, firewall, instance and bucket.
pub const STACK: &str = r#"
resource "oppie_network" "main" {
  name = "shop-dev-net"
  cidr = "10.2.0.0/16"
  tags = { team = "web" }
}

resource "oppie_subnet" "pub" {
  network_id = oppie_network.main.id
  cidr       = "10.2.1.0/24"
  zone       = 1
  public     = true
}

resource "oppie_firewall" "web" {
  network_id = oppie_network.main.id
  name       = "shop-dev-web"
  ingress {
    protocol    = "tcp"
    ports       = "443"
    sources     = ["0.0.0.0/0"]
    description = "https"
  }
  ingress {
    protocol = "tcp"
    ports    = "8000-8080"
    sources  = ["10.2.0.0/16", "10.9.0.0/16"]
  }
  egress {
    protocol = "all"
    sources  = ["0.0.0.0/0"]
  }
}

resource "oppie_instance" "api" {
  name         = "shop-dev-api"
  size         = "s"
  image        = "ubuntu-22.04"
  subnet_id    = oppie_subnet.pub.id
  firewall_ids = [oppie_firewall.web.id]
  disk_gb      = 30
  public_ip    = true
  user_data    = "echo oppie-user-data"
}

resource "oppie_bucket" "media" {
  name       = "shop-dev-media"
  versioning = true
  lifecycle_rule {
    transition_days = 30
    storage_class   = "cold"
  }
}
"#;

/// The provider block for `t` followed by [`STACK`].
pub fn stack(t: &AzureTest) -> String {
    format!("{}{STACK}", t.provider())
}

/// Collapses runs of spaces, so plan lines match whatever column alignment Terraform chose.
pub fn squash(text: &str) -> String {
    text.lines().map(|l| l.split_whitespace().collect::<Vec<_>>().join(" ")).collect::<Vec<_>>().join("\n")
}

/// Asserts `text` holds `line` (spacing ignored).
#[track_caller]
pub fn assert_has(text: &str, line: &str) {
    assert!(squash(text).contains(&squash(line)), "expected {line:?} in:\n{text}");
}
