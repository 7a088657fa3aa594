# import: sg-0123456789abcdef0
resource "oppie_firewall" "web" {
  network_id = oppie_network.main.id
  name       = "shop-dev-web"

  ingress {
    protocol    = "tcp"
    ports       = "443"
    sources     = ["0.0.0.0/0"]
    description = "https"
  }

  ingress {
    protocol = "tcp"
    ports    = "8000-8080"
    sources  = ["10.2.0.0/16"]
  }

  egress {
    protocol = "all"
    sources  = ["0.0.0.0/0"]
  }
}
