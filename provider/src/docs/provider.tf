provider "oppie" {
  default_cloud  = "aws"
  default_region = "us-east"
  default_tags = {
    project     = "shop"
    environment = "dev"
  }

  aws {
    profile = "shop-dev"
  }

  # Refuse, at plan time, what the policies forbid, on the offending line.
  policy {
    paths       = ["policies"]
    data        = ["policies/budgets.yaml"]
    enforcement = "hard-mandatory"
  }
}
