# In a file ending in .tfquery.hcl, run with `terraform query`. Listing oppie_cache is not
# built yet on any cloud: the query says so.
list "oppie_cache" "all" {
  provider = oppie
  config {
    cloud  = "aws"
    region = "us-east"
  }
}
