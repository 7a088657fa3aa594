# import: shop-dev
# import-hint: Import by the environment's name
resource "oppie_environment" "preview" {
  name = "shop-dev-pr-1234"
  tier = "dev"
  ttl  = "72h"
  tags = { owner = "platform" }
}
