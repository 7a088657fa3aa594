# In a file ending in .tfquery.hcl, run with `terraform query`; add
# `-generate-config-out=generated.tf` to write resource and import blocks for what it finds.
list "oppie_network" "shop" {
  provider = oppie
  config {
    cloud  = "aws"
    region = "us-east"
    tags   = { project = "shop" }
  }
}
