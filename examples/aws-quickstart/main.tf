# AWS quickstart: a network with a public subnet, a firewall, a machine and a bucket.
# `make demo` applies it against a local AWS emulator (moto): no account needed.
# Against real AWS, leave aws_endpoint unset and use your usual AWS credentials.
terraform {
  required_providers {
    oppie = {
      source  = "oppie/oppie"
      version = "0.1.0"
    }
  }
}

variable "aws_endpoint" {
  type        = string
  default     = null
  description = "One URL for every AWS service (an emulator such as moto); null for real AWS."
}

provider "oppie" {
  default_cloud  = "aws"
  default_region = "us-east"
  default_tags   = { project = "shop", environment = "dev", owner = "platform", cost-center = "cc-1234" }
  aws {
    endpoint = var.aws_endpoint
  }
}

resource "oppie_network" "main" {
  name = "shop-dev-net"
  cidr = "10.2.0.0/16"
}

resource "oppie_subnet" "pub" {
  network_id = oppie_network.main.id
  cidr       = provider::oppie::subnet_cidrs(oppie_network.main.cidr, ["public"], ["a"])["public"]["a"]
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
  user_data    = file("${path.module}/cloud-init.yaml")
}

resource "oppie_bucket" "media" {
  name          = "shop-dev-media"
  versioning    = true
  force_destroy = true
  lifecycle_rule {
    transition_days = 30
    storage_class   = "cold"
  }
}

output "network" {
  value = { id = oppie_network.main.id, vpc = oppie_network.main.native }
}

output "instance" {
  value = {
    id            = oppie_instance.api.id
    instance_type = oppie_instance.api.instance_type
    image_id      = oppie_instance.api.image_id
    private_ip    = oppie_instance.api.native["private_ip"]
  }
}

output "bucket_arn" {
  value = oppie_bucket.media.native["arn"]
}
