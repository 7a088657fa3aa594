locals {
  # {public = {"1" = "10.2.1.0/24", "2" = "10.2.2.0/24"}, private = {"1" = "10.2.11.0/24", "2" = "10.2.12.0/24"}}
  subnets = provider::oppie::subnet_cidrs("10.2.0.0/16", ["public", "private"], [1, 2])
}

resource "oppie_subnet" "private" {
  for_each   = local.subnets["private"]
  network_id = oppie_network.main.id
  cidr       = each.value
  zone       = each.key
}
