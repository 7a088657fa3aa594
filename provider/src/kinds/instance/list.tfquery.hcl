# In a file ending in .tfquery.hcl, run with `terraform query`; add
# `-generate-config-out=generated.tf` to write resource and import blocks for what it finds.
list "oppie_instance" "shop" {
  provider = oppie
  limit    = 500 # Terraform's default is 100
  config {
    cloud  = "aws"
    region = "us-east"
    tags   = { project = "shop" }
  }
}
