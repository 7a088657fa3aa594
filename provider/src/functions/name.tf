resource "oppie_instance" "web" {
  name      = provider::oppie::name("shop", "dev", "web", "vm") # "shop-dev-web-vm"
  size      = "s"
  image     = "ubuntu-24.04"
  subnet_id = oppie_subnet.app.id
}
