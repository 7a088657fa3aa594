# In a file ending in .tfquery.hcl, run with `terraform query`. Listing oppie_key is not
# built yet on any cloud: the query says so.
list "oppie_key" "all" {
  provider = oppie
  config {
    cloud  = "aws"
    region = "us-east"
  }
}
