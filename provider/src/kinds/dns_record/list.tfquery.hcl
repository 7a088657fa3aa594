# In a file ending in .tfquery.hcl, run with `terraform query`. Listing oppie_dns_record is not
# built yet on any cloud: the query says so.
list "oppie_dns_record" "all" {
  provider = oppie
  config {
    cloud  = "aws"
    region = "us-east"
  }
}
