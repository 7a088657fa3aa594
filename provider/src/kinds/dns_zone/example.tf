# import: Z0123456789ABCDEFGHIJ
resource "oppie_dns_zone" "shop" {
  name = "shop.example.com"
}
