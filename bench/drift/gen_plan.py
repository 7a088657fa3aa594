#!/usr/bin/env python3
"""A refresh-only plan JSON with N drifted attributes, for `oppie drift --plan`: oppie firewalls and
buckets whose tags, rules and versioning changed outside Terraform (about 1 in 10 items breaks a
policy rule), and some resources deleted. Deterministic for a seed.
  python3 bench/drift/gen_plan.py --items 10000 --seed 1 > plan.json"""
import argparse
import json
import random


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--items", type=int, default=10000)
    p.add_argument("--seed", type=int, default=1)
    a = p.parse_args()
    rnd = random.Random(a.seed)
    drift, state = [], []
    items, n = 0, 0
    provider = "registry.terraform.io/oppie/oppie"
    tags = {"project": "shop", "environment": "prod", "owner": "platform", "cost-center": "cc-1"}
    while items < a.items:
        n += 1
        kind = "oppie_firewall" if n % 2 else "oppie_bucket"
        name = f"r{n}"
        before = {"id": f"id-{n}", "name": f"shop-prod-{name}", "cloud": "aws", "region": "us-east",
                  "tags": dict(tags), "tags_all": dict(tags)}
        if kind == "oppie_firewall":
            before["ingress"] = [{"protocol": "tcp", "ports": "443", "sources": ["10.0.0.0/8"], "description": "web"}]
        else:
            before["versioning"] = True
            before["encrypted"] = True
        after = json.loads(json.dumps(before))
        deleted = rnd.random() < 0.01
        if deleted or a.items - items < 2:
            deleted = True
            items += 1
        else:
            # Several tags changed per resource (low), sometimes a rule opened (critical) or
            # versioning turned off (medium).
            # A changed tag is two items: `tags` and `tags_all`.
            for t in range(min(4, (a.items - items) // 2)):
                after["tags"][f"k{t}"] = f"v{rnd.randint(0, 9)}"
                after["tags_all"][f"k{t}"] = after["tags"][f"k{t}"]
                items += 2
            if items < a.items and rnd.random() < 0.2:
                if kind == "oppie_firewall":
                    after["ingress"][0]["sources"] = ["0.0.0.0/0"]
                    after["ingress"][0]["ports"] = "22"
                else:
                    after["versioning"] = False
                items += 1
        address = f"{kind}.{name}"
        change = {"actions": ["delete"] if deleted else ["update"], "before": before,
                  "after": None if deleted else after}
        drift.append({"address": address, "mode": "managed", "type": kind, "name": name,
                      "provider_name": provider, "change": change})
        if not deleted:
            state.append({"address": address, "mode": "managed", "type": kind, "name": name,
                          "provider_name": provider, "values": after})
    plan = {"format_version": "1.2", "terraform_version": "1.15.5", "resource_drift": drift,
            "prior_state": {"format_version": "1.0", "values": {"root_module": {"resources": state}}},
            "resource_changes": [], "applyable": False, "complete": True, "errored": False}
    json.dump(plan, __import__("sys").stdout)


if __name__ == "__main__":
    main()
