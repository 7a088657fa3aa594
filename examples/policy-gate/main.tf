# Plan-time policy gating and cost estimates: the provider evaluates the policies in
# ../../policies on every planned change and prices every resource. With the default
# ssh_sources the plan is refused (SSH open to the internet); the fix is one variable:
#   terraform plan -var 'ssh_sources=["10.0.0.0/8"]'
terraform {
  required_providers {
    oppie = {
      source  = "oppie/oppie"
      version = "0.1.0"
    }
  }
}

variable "ssh_sources" {
  type    = list(string)
  default = ["0.0.0.0/0"]
}

variable "policies" {
  type    = string
  default = "../../policies"
}

provider "oppie" {
  default_cloud  = "aws"
  default_region = "us-east"
  default_tags   = { project = "shop", environment = "dev", owner = "platform", "cost-center" = "cc-42" }

  policy {
    paths       = [var.policies]
    data        = ["budgets.json"]
    enforcement = "hard-mandatory"
  }
}

resource "oppie_network" "main" {
  name = "shop-dev-net-main"
  cidr = "10.2.0.0/16"
}

resource "oppie_firewall" "admin" {
  network_id = oppie_network.main.id
  name       = "shop-dev-admin-fw"
  ingress {
    protocol = "tcp"
    ports    = "22"
    sources  = var.ssh_sources
  }
}

resource "oppie_instance" "api" {
  name         = "shop-dev-api-vm"
  size         = "s"
  image        = "ami-0123456789abcdef0"
  subnet_id    = "subnet-0123456789abcdef0"
  firewall_ids = [oppie_firewall.admin.id]
  disk_gb      = 20
}

output "monthly_cost" {
  value = {
    network  = oppie_network.main.estimated_monthly_cost
    firewall = oppie_firewall.admin.estimated_monthly_cost
    instance = oppie_instance.api.estimated_monthly_cost
  }
}
