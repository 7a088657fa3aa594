# In a file ending in .tfquery.hcl, run with `terraform query`.
list "oppie_bucket" "media" {
  provider = oppie
  config {
    cloud          = "azure"
    region         = "eu-west"
    resource_group = "shop-dev"
    tags           = { purpose = "media" }
  }
}
