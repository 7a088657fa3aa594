# import: Z0123456789ABCDEFGHIJ/www.shop.example.com/A
resource "oppie_dns_record" "www" {
  zone_id = oppie_dns_zone.shop.id
  name    = "www"
  type    = "A"

  alias {
    load_balancer_id = oppie_load_balancer.web.id
  }
}

resource "oppie_dns_record" "spf" {
  zone_id = oppie_dns_zone.shop.id
  name    = "@"
  type    = "TXT"
  ttl     = 3600
  values  = ["v=spf1 -all"]
}
