# In a file ending in .tfquery.hcl, run with `terraform query`.
list "oppie_firewall" "in_main" {
  provider = oppie
  config {
    cloud      = "gcp"
    region     = "us-east"
    network_id = "projects/my-project/global/networks/shop-dev-net"
  }
}
