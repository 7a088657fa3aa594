# In a file ending in .tfquery.hcl, run with `terraform query`.
list "oppie_subnet" "in_main" {
  provider = oppie
  config {
    cloud      = "aws"
    region     = "us-east"
    network_id = "vpc-0123456789abcdef0"
  }
}
