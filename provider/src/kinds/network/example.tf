# import: vpc-0123456789abcdef0
resource "oppie_network" "main" {
  name = "shop-dev-net"
  cidr = "10.2.0.0/16"
  tags = { team = "web" }
}
