# import: subnet-0123456789abcdef0
resource "oppie_subnet" "public_a" {
  network_id = oppie_network.main.id
  cidr       = "10.2.1.0/24"
  zone       = 1
  public     = true
}
