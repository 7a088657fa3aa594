# In a file ending in .tfquery.hcl, run with `terraform query`. Listing oppie_dns_zone is not
# built yet on any cloud: the query says so.
list "oppie_dns_zone" "all" {
  provider = oppie
  config {
    cloud  = "aws"
    region = "us-east"
  }
}
