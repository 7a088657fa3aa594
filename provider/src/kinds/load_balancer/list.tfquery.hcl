# In a file ending in .tfquery.hcl, run with `terraform query`. Listing oppie_load_balancer is not
# built yet on any cloud: the query says so.
list "oppie_load_balancer" "all" {
  provider = oppie
  config {
    cloud  = "aws"
    region = "us-east"
  }
}
