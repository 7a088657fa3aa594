//! oppie_network, oppie_subnet, oppie_firewall, oppie_instance and oppie_bucket on AWS,
//! through real Terraform 1.15.5 against moto: lifecycle, drift, faults, validation,
//! secrets and credential-free planning. AWS tests run one at a time (moto is shared).

mod actions;
mod adopt;
mod data;
mod drift;
mod edge;
mod faults;
mod lifecycle;
mod planning;
mod secrets;
mod validation;

use oppie_e2e::aws::AwsTest;

/// The contract's example (network, subnet, firewall, instance, bucket) for `endpoint`.
pub fn stack(endpoint: &str) -> String {
    format!("{}{STACK}", AwsTest::provider(endpoint))
}

/// The resources of [`stack`] without the provider block.
pub const STACK: &str = r#"
resource "oppie_network" "main" {
  name = "shop-dev-net"
  cidr = "10.2.0.0/16"
  tags = { team = "web" }
}

resource "oppie_subnet" "pub" {
  network_id = oppie_network.main.id
  cidr       = "10.2.1.0/24"
  zone       = "a"
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
  disk_gb      = 20
  user_data    = file("cloud-init.yaml")
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

/// A cloud-init document whose text must never leak.
pub const CLOUD_INIT: &str = "#cloud-config\nruncmd:\n  - echo oppie-user-data-canary-7731 > /etc/motd\n";

/// The newest Canonical Ubuntu 22.04 image in tests/fixtures/amis.json.
pub const UBUNTU_2204: &str = "ami-0a1b2c3d4e5f00002";

/// Collapses runs of spaces, so plan lines match whatever column alignment Terraform chose.
pub fn squash(text: &str) -> String {
    text.lines().map(|l| l.split_whitespace().collect::<Vec<_>>().join(" ")).collect::<Vec<_>>().join("\n")
}

/// Asserts `text` holds `line` (spacing ignored).
#[track_caller]
pub fn assert_has(text: &str, line: &str) {
    assert!(squash(text).contains(&squash(line)), "expected {line:?} in:\n{text}");
}
