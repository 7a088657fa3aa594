# import: i-0123456789abcdef0
resource "oppie_instance" "api" {
  name         = "shop-dev-api"
  size         = "s"
  image        = "ubuntu-22.04"
  subnet_id    = oppie_subnet.public_a.id
  firewall_ids = [oppie_firewall.web.id]
  disk_gb      = 20
  user_data    = file("cloud-init.yaml")

  timeouts {
    create = "15m"
  }
}
