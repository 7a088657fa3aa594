# Quickstart: no cloud account needed. An environment, the catalog, and the
# naming and subnet-planning functions.
terraform {
  required_providers {
    oppie = {
      source  = "oppie/oppie"
      version = "0.1.0"
    }
  }
}

variable "project" {
  type    = string
  default = "shop"
}

resource "oppie_environment" "preview" {
  name = provider::oppie::name(var.project, "dev", "pr", "1234")
  tier = "dev"
  ttl  = "72h"
  tags = { project = var.project, owner = "platform" }
}

data "oppie_catalog" "aws" {
  cloud = "aws"
}

output "environment" {
  value = {
    name       = oppie_environment.preview.name
    tier       = oppie_environment.preview.tier
    expires_at = oppie_environment.preview.expires_at
  }
}

output "subnets" {
  value = provider::oppie::subnet_cidrs("10.2.0.0/16", ["public", "private", "database"], ["a", "b"])
}

output "aws_sizes" {
  value = data.oppie_catalog.aws.sizes
}
