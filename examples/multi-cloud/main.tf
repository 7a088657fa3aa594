# One configuration, any cloud: `cloud = var.cloud` is the only switch. Sizes ("s"), images
# ("ubuntu-22.04") and regions ("us-east") are catalog keys the provider maps to each cloud
# (see docs/mapping.md). Plan it without any cloud account:
#   terraform plan -var cloud=aws
#   terraform plan -var cloud=gcp
#   terraform plan -var cloud=azure
terraform {
  required_providers {
    oppie = {
      source  = "oppie/oppie"
      version = "0.1.0"
    }
  }
}

variable "cloud" {
  type        = string
  default     = "aws"
  description = "aws, gcp or azure."
}

variable "gcp_project" {
  type        = string
  default     = "shop-dev-123456"
  description = "GCP project the resources go to when cloud = \"gcp\"."
}

variable "azure_subscription_id" {
  type        = string
  default     = "00000000-0000-0000-0000-000000000000"
  description = "Azure subscription the resources go to when cloud = \"azure\"."
}

provider "oppie" {
  default_cloud  = var.cloud
  default_region = "us-east"
  # Lower-case keys and values: they must also be valid GCP labels.
  default_tags = { project = "shop", environment = "dev", owner = "platform", cost-center = "cc-1234" }
  gcp {
    project = var.gcp_project
  }
  azure {
    subscription_id = var.azure_subscription_id
  }
}

resource "oppie_network" "main" {
  name = "shop-dev-net"
  cidr = "10.2.0.0/16"
}

# Zone 1: the region's first zone on every cloud (us-east-1a, us-east1-b, Azure zone 1).
resource "oppie_subnet" "app" {
  network_id = oppie_network.main.id
  cidr       = "10.2.1.0/24"
  zone       = 1
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
  egress {
    protocol = "all"
    sources  = ["0.0.0.0/0"]
  }
}

resource "oppie_instance" "api" {
  name         = "shop-dev-api"
  size         = "s"
  image        = "ubuntu-22.04"
  subnet_id    = oppie_subnet.app.id
  firewall_ids = [oppie_firewall.web.id]
  disk_gb      = 20
}

resource "oppie_bucket" "media" {
  name                = "shop-dev-media-${var.cloud}"
  versioning          = true
  expected_storage_gb = 50
  lifecycle_rule {
    transition_days = 30
    storage_class   = "cold"
  }
}

output "instance_cost" {
  value = oppie_instance.api.estimated_monthly_cost
}
