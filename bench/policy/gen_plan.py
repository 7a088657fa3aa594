#!/usr/bin/env python3
"""Generate a deterministic Terraform plan JSON (`terraform show -json` shape, format 1.2)
with N managed resources: a mix of native AWS, Google Cloud and Azure resources and
oppie_* resources, in service "stacks" inside modules, with planned_values, resource_changes,
configuration and the usual after_unknown / sensitive markers. About one resource in eight
breaks a rule (public buckets, open SSH, missing tags, unencrypted disks...), so the policy
library has real work to report.

    python3 gen_plan.py --resources 10000 --seed 1 -o plan.json
"""

import argparse
import json
import random

ENVIRONMENTS = ["dev", "staging", "prod"]
PROJECTS = ["shop", "pay", "data", "web", "ml"]
SERVICES = ["api", "db", "cache", "batch", "edge", "auth"]
AWS_REGIONS = ["us-east-1", "us-west-2", "eu-west-1", "eu-central-1", "ap-southeast-1"]
GCP_REGIONS = ["us-east1", "us-west1", "europe-west1", "europe-west3", "asia-southeast1"]
AZURE_REGIONS = ["eastus", "westus2", "westeurope", "germanywestcentral", "southeastasia"]
PROVIDERS = {
    "aws": "registry.terraform.io/hashicorp/aws",
    "google": "registry.terraform.io/hashicorp/google",
    "azurerm": "registry.terraform.io/hashicorp/azurerm",
    "oppie": "registry.terraform.io/oppie/oppie",
}


class Stack:
    """One service deployment: shared naming, tags and randomness for its resources."""

    def __init__(self, rng, index, cloud):
        self.rng = rng
        self.cloud = cloud
        self.project = rng.choice(PROJECTS)
        self.env = rng.choice(ENVIRONMENTS)
        self.service = rng.choice(SERVICES)
        self.module = f"module.{self.project}_{self.service}_{index}"
        self.bad = rng.random() < 0.125  # this stack breaks some rules

    def name(self, kind):
        if self.bad and self.rng.random() < 0.3:
            return f"{self.project.upper()}_{kind}{self.rng.randint(1, 99)}"
        return f"{self.project}-{self.env}-{self.service}-{kind}"

    def tags(self):
        tags = {
            "project": self.project,
            "environment": self.env,
            "owner": f"team-{self.service}",
            "cost-center": f"cc-{self.rng.randint(1000, 9999)}",
        }
        if self.bad and self.rng.random() < 0.5:
            tags.pop(self.rng.choice(list(tags)))
        return tags

    def flaw(self, probability=0.5):
        return self.bad and self.rng.random() < probability


def aws_stack(s):
    region = s.rng.choice(AWS_REGIONS)
    sg_ingress = [
        {"from_port": 443, "to_port": 443, "protocol": "tcp", "cidr_blocks": ["0.0.0.0/0"],
         "ipv6_cidr_blocks": [], "description": "https", "prefix_list_ids": [],
         "security_groups": [], "self": False},
    ]
    if s.flaw():
        sg_ingress.append({"from_port": 22, "to_port": 22, "protocol": "tcp",
                           "cidr_blocks": ["0.0.0.0/0"], "ipv6_cidr_blocks": [],
                           "description": "ssh", "prefix_list_ids": [],
                           "security_groups": [], "self": False})
    policy = {"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": "*" if s.flaw(0.3) else ["s3:GetObject"],
         "Resource": "*"}]}
    yield "aws_vpc", "main", {"cidr_block": "10.0.0.0/16", "enable_dns_support": True,
                              "tags": s.tags()}, ["id", "arn"]
    yield "aws_subnet", "private", {"cidr_block": "10.0.1.0/24",
                                    "availability_zone": f"{region}a",
                                    "map_public_ip_on_launch": s.flaw(),
                                    "tags": s.tags()}, ["id", "arn", "vpc_id"]
    yield "aws_security_group", "web", {"name": s.name("sg"), "description": "web",
                                        "ingress": sg_ingress,
                                        "egress": [{"from_port": 0, "to_port": 0,
                                                    "protocol": "-1",
                                                    "cidr_blocks": ["0.0.0.0/0"],
                                                    "ipv6_cidr_blocks": [],
                                                    "description": "", "prefix_list_ids": [],
                                                    "security_groups": [], "self": False}],
                                        "tags": s.tags()}, ["id", "arn", "vpc_id"]
    yield "aws_instance", "web", {"ami": "ami-0abcdef1234567890",
                                  "instance_type": s.rng.choice(["t3.micro", "t3.small", "m5.large", "m5.4xlarge"]),
                                  "associate_public_ip_address": s.flaw(),
                                  "root_block_device": [{"encrypted": not s.flaw(),
                                                         "volume_size": 20,
                                                         "volume_type": "gp3"}],
                                  "metadata_options": [{"http_tokens": "required"}],
                                  "tags": s.tags()}, ["id", "arn", "private_ip", "subnet_id"]
    yield "aws_ebs_volume", "data", {"availability_zone": f"{region}a", "size": 100,
                                     "encrypted": not s.flaw(), "tags": s.tags()}, ["id", "arn"]
    bucket = s.name("logs")
    yield "aws_s3_bucket", "logs", {"bucket": bucket, "force_destroy": s.flaw(),
                                    "tags": s.tags()}, ["id", "arn", "bucket_domain_name"]
    yield "aws_s3_bucket_versioning", "logs", {"versioning_configuration": [
        {"status": "Suspended" if s.flaw() else "Enabled", "mfa_delete": ""}]}, ["id", "bucket"]
    yield "aws_s3_bucket_server_side_encryption_configuration", "logs", {"rule": [
        {"apply_server_side_encryption_by_default": [
            {"sse_algorithm": "aws:kms", "kms_master_key_id": ""}],
         "bucket_key_enabled": True}]}, ["id", "bucket"]
    yield "aws_s3_bucket_public_access_block", "logs", {
        "block_public_acls": not s.flaw(), "block_public_policy": True,
        "ignore_public_acls": True, "restrict_public_buckets": True}, ["id", "bucket"]
    yield "aws_db_instance", "main", {"identifier": s.name("db"), "engine": "postgres",
                                      "engine_version": "15.4",
                                      "instance_class": s.rng.choice(["db.t3.micro", "db.m5.large", "db.r5.2xlarge"]),
                                      "allocated_storage": 50,
                                      "storage_encrypted": not s.flaw(),
                                      "publicly_accessible": s.flaw(0.3),
                                      "backup_retention_period": 1 if s.flaw() else 7,
                                      "deletion_protection": s.env == "prod" and not s.flaw(),
                                      "skip_final_snapshot": True,
                                      "password": "placeholder", "tags": s.tags()}, ["id", "arn", "endpoint", "address"]
    yield "aws_kms_key", "main", {"description": "service key",
                                  "enable_key_rotation": not s.flaw(),
                                  "deletion_window_in_days": 30, "tags": s.tags()}, ["id", "arn", "key_id"]
    yield "aws_iam_policy", "app", {"name": s.name("policy"), "path": "/",
                                    "policy": json.dumps(policy), "tags": s.tags()}, ["id", "arn", "policy_id"]


def gcp_stack(s):
    region = s.rng.choice(GCP_REGIONS)
    labels = s.tags()
    yield "google_compute_network", "vpc", {"name": s.name("net"),
                                            "auto_create_subnetworks": False}, ["id", "self_link"]
    yield "google_compute_subnetwork", "app", {"name": s.name("subnet"), "region": region,
                                               "ip_cidr_range": "10.10.0.0/24",
                                               "log_config": [] if s.flaw() else [
                                                   {"aggregation_interval": "INTERVAL_5_SEC",
                                                    "flow_sampling": 0.5,
                                                    "metadata": "INCLUDE_ALL_METADATA"}]}, ["id", "self_link", "network"]
    yield "google_compute_firewall", "ingress", {"name": s.name("fw"), "direction": "INGRESS",
                                                 "source_ranges": ["0.0.0.0/0"] if s.flaw() else ["10.0.0.0/8"],
                                                 "allow": [{"protocol": "tcp", "ports": ["22", "443"]}],
                                                 "deny": []}, ["id", "self_link", "network"]
    yield "google_compute_instance", "app", {"name": s.name("vm"), "zone": f"{region}-b",
                                             "machine_type": s.rng.choice(["e2-small", "n2-standard-4", "n2-standard-32"]),
                                             "labels": labels,
                                             "boot_disk": [{"auto_delete": True, "initialize_params": [
                                                 {"image": "debian-cloud/debian-12", "size": 20}]}],
                                             "network_interface": [{"access_config": [{}] if s.flaw() else []}],
                                             "shielded_instance_config": [{"enable_secure_boot": True}]}, ["id", "instance_id", "self_link"]
    yield "google_storage_bucket", "assets", {"name": s.name("assets"), "location": region.upper(),
                                              "uniform_bucket_level_access": not s.flaw(),
                                              "public_access_prevention": "inherited" if s.flaw() else "enforced",
                                              "force_destroy": s.flaw(),
                                              "versioning": [{"enabled": not s.flaw()}],
                                              "labels": labels}, ["id", "self_link", "url"]
    yield "google_sql_database_instance", "main", {"name": s.name("sql"), "region": region,
                                                   "database_version": "POSTGRES_15",
                                                   "deletion_protection": not s.flaw(),
                                                   "settings": [{"tier": s.rng.choice(["db-f1-micro", "db-custom-4-16384"]),
                                                                 "user_labels": labels,
                                                                 "backup_configuration": [{"enabled": not s.flaw()}],
                                                                 "ip_configuration": [{"ipv4_enabled": s.flaw(),
                                                                                       "require_ssl": True,
                                                                                       "authorized_networks": []}]}]}, ["id", "self_link", "connection_name"]
    yield "google_kms_crypto_key", "main", {"name": s.name("key"),
                                            "rotation_period": "31536000s" if s.flaw() else "7776000s"}, ["id", "key_ring"]


def azure_stack(s):
    location = s.rng.choice(AZURE_REGIONS)
    tags = s.tags()
    yield "azurerm_resource_group", "main", {"name": s.name("rg"), "location": location,
                                             "tags": tags}, ["id"]
    yield "azurerm_virtual_network", "main", {"name": s.name("vnet"), "location": location,
                                              "address_space": ["10.20.0.0/16"], "tags": tags}, ["id", "guid"]
    yield "azurerm_network_security_group", "main", {"name": s.name("nsg"), "location": location,
                                                     "security_rule": [{
                                                         "name": "rdp", "priority": 100,
                                                         "direction": "Inbound", "access": "Allow",
                                                         "protocol": "Tcp",
                                                         "source_port_range": "*",
                                                         "destination_port_range": "3389",
                                                         "source_address_prefix": "*" if s.flaw() else "10.0.0.0/8",
                                                         "destination_address_prefix": "*"}],
                                                     "tags": tags}, ["id"]
    yield "azurerm_linux_virtual_machine", "main", {"name": s.name("vm"), "location": location,
                                                    "size": s.rng.choice(["Standard_B1s", "Standard_D4s_v5", "Standard_E16s_v5"]),
                                                    "admin_username": "azureuser",
                                                    "os_disk": [{"caching": "ReadWrite",
                                                                 "storage_account_type": "Premium_LRS"}],
                                                    "tags": tags}, ["id", "private_ip_address"]
    yield "azurerm_storage_account", "main", {"name": f"{s.project}{s.env}{s.rng.randint(100, 999)}",
                                              "location": location, "account_tier": "Standard",
                                              "account_replication_type": "GRS",
                                              "min_tls_version": "TLS1_0" if s.flaw() else "TLS1_2",
                                              "https_traffic_only_enabled": True,
                                              "allow_nested_items_to_be_public": s.flaw(),
                                              "public_network_access_enabled": True,
                                              "tags": tags}, ["id", "primary_access_key"]
    yield "azurerm_key_vault", "main", {"name": s.name("kv"), "location": location,
                                        "sku_name": "standard",
                                        "purge_protection_enabled": not s.flaw(),
                                        "soft_delete_retention_days": 90, "tags": tags}, ["id", "vault_uri"]


def oppie_stack(s):
    cloud = s.rng.choice(["aws", "gcp", "azure"])
    region = s.rng.choice(["us-east", "us-west", "eu-west", "eu-central", "ap-southeast"])
    common = {"cloud": cloud, "region": region, "tags": s.tags()}
    sizes = {"dev": ["xs", "s"], "staging": ["s", "m"], "prod": ["m", "l"]}[s.env]
    yield "oppie_network", "main", {"name": s.name("net"), "cidr": "10.30.0.0/16",
                                    "flow_logs": not s.flaw(), **common}, ["id", "native_id", "native", "tags_all"]
    yield "oppie_subnet", "app", {"cidr": "10.30.1.0/24", "zone": "a", "public": s.flaw(),
                                  **common}, ["id", "network_id", "native_id", "native", "tags_all"]
    ingress = [{"protocol": "tcp", "ports": "443", "sources": ["0.0.0.0/0"], "description": "https"}]
    if s.flaw():
        ingress.append({"protocol": "tcp", "ports": "22", "sources": ["0.0.0.0/0"], "description": "ssh"})
    yield "oppie_firewall", "web", {"name": s.name("fw"), "ingress": ingress,
                                    "egress": [{"protocol": "all", "ports": None,
                                                "sources": ["0.0.0.0/0"], "description": None}],
                                    **common}, ["id", "network_id", "native_id", "native", "tags_all"]
    yield "oppie_instance", "api", {"name": s.name("vm"),
                                    "size": "xl" if s.flaw() else s.rng.choice(sizes),
                                    "image": "ubuntu-22.04", "disk_gb": 40,
                                    "disk_encrypted": not s.flaw(), "public_ip": s.flaw(),
                                    "deletion_protection": s.env == "prod",
                                    "user_data": "#cloud-config\n", **common}, ["id", "subnet_id", "firewall_ids", "native_id", "native", "tags_all", "estimated_monthly_cost"]
    yield "oppie_bucket", "assets", {"name": s.name("assets"), "versioning": not s.flaw(),
                                     "encrypted": True, "kms_key_id": None, "public": s.flaw(0.3),
                                     "logging_bucket": None if s.flaw() else s.name("logs"),
                                     "force_destroy": False, "lifecycle_rule": [], **common}, ["id", "native_id", "native", "tags_all", "estimated_monthly_cost"]


STACKS = [("aws", aws_stack, 0.35), ("google", gcp_stack, 0.2),
          ("azurerm", azure_stack, 0.2), ("oppie", oppie_stack, 0.25)]


def unknown_marks(after, unknown):
    marks = {key: True for key in unknown}
    for key, value in after.items():
        if isinstance(value, list) and value and all(isinstance(v, dict) for v in value):
            marks.setdefault(key, [{} for _ in value])
    return marks


def sensitive_marks(after):
    marks = {}
    for key in after:
        if key in ("password", "user_data"):
            marks[key] = True
    return marks


def build(resources, seed):
    rng = random.Random(seed)
    planned, changes, config = [], [], []
    index = 0
    while len(changes) < resources:
        roll, cumulative = rng.random(), 0.0
        for provider, stack_fn, share in STACKS:
            cumulative += share
            if roll <= cumulative:
                break
        stack = Stack(rng, index, provider)
        index += 1
        for rtype, name, after, unknown in stack_fn(stack):
            if len(changes) >= resources:
                break
            address = f"{stack.module}.{rtype}.{name}"
            action = rng.choices([["create"], ["update"], ["no-op"], ["delete", "create"]],
                                 weights=[88, 6, 4, 2])[0]
            before = None if action == ["create"] else dict(after)
            if action == ["update"] and "tags" in after:
                before["tags"] = {k: v for k, v in after["tags"].items() if k != "owner"}
            provider_name = PROVIDERS[provider]
            planned.append({"address": address, "mode": "managed", "type": rtype, "name": name,
                            "provider_name": provider_name, "schema_version": 0,
                            "values": after, "sensitive_values": sensitive_marks(after)})
            change = {"actions": action, "before": before, "after": after,
                      "after_unknown": unknown_marks(after, unknown),
                      "before_sensitive": False if before is None else sensitive_marks(before),
                      "after_sensitive": sensitive_marks(after)}
            entry = {"address": address, "module_address": stack.module, "mode": "managed",
                     "type": rtype, "name": name, "provider_name": provider_name,
                     "change": change}
            if action == ["delete", "create"]:
                entry["action_reason"] = "replace_because_cannot_update"
            changes.append(entry)
            config.append({"address": f"{rtype}.{name}", "mode": "managed", "type": rtype,
                           "name": name, "provider_config_key": provider,
                           "expressions": {k: {"constant_value": v} for k, v in after.items()
                                           if isinstance(v, (str, int, bool)) and k != "password"},
                           "schema_version": 0, "module": stack.module})
    # Child modules group the resources as Terraform does.
    modules = {}
    for resource in planned:
        module = resource["address"].rsplit(".", 2)[0]
        modules.setdefault(module, []).append(resource)
    module_calls = {}
    for resource in config:
        module = resource.pop("module")
        call = module_calls.setdefault(module.split(".", 1)[1],
                                       {"source": "./modules/stack", "module": {"resources": []}})
        call["module"]["resources"].append(resource)
    return {
        "format_version": "1.2",
        "terraform_version": "1.15.5",
        "variables": {"environment": {"value": "mixed"}},
        "planned_values": {"root_module": {"child_modules": [
            {"address": module, "resources": items} for module, items in modules.items()]}},
        "resource_changes": changes,
        "configuration": {
            "provider_config": {p: {"name": p, "full_name": full} for p, full in PROVIDERS.items()},
            "root_module": {"module_calls": module_calls},
        },
        "timestamp": "2026-01-01T00:00:00Z",
        "applyable": True,
        "complete": True,
        "errored": False,
    }


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--resources", type=int, default=10000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("-o", "--output", required=True)
    args = parser.parse_args()
    plan = build(args.resources, args.seed)
    with open(args.output, "w", encoding="utf-8") as out:
        json.dump(plan, out, indent=1, sort_keys=False)
        out.write("\n")
    types = {}
    for rc in plan["resource_changes"]:
        types[rc["type"].split("_", 1)[0]] = types.get(rc["type"].split("_", 1)[0], 0) + 1
    print(f"wrote {args.output}: {len(plan['resource_changes'])} resources {types}")


if __name__ == "__main__":
    main()
