//! oppie_network (with Cloud NAT), oppie_subnet, oppie_firewall, oppie_instance, oppie_bucket and
//! oppie_dns_zone/oppie_dns_record on GCP, through
//! real Terraform 1.15.5 against local fakes that check every request against Google's API
//! description: lifecycle, drift, import, faults and credential-free planning.

mod adopt;
mod auth;
mod data;
mod dns;
mod drift;
mod fake;
mod faults;
mod lifecycle;
mod nat;
mod planning;

/// The contract's example on GCP (zone 1: us-east1-b, the region's first zone).
pub const STACK: &str = r##"
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
  disk_gb      = 20
  user_data    = "#cloud-config\n"
  tags         = { team = "api" }
}

resource "oppie_bucket" "media" {
  name       = "BUCKET"
  versioning = true
  lifecycle_rule {
    transition_days = 30
    storage_class   = "cold"
  }
}
"##;

/// [`STACK`] with a bucket name of its own (fake-gcs-server keeps buckets across tests).
pub fn stack(bucket: &str) -> String {
    STACK.replace("BUCKET", bucket)
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
