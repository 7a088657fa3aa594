# import: shop-dev-media
resource "oppie_bucket" "media" {
  name       = "shop-dev-media"
  versioning = true

  lifecycle_rule {
    transition_days = 30
    storage_class   = "cold"
  }

  lifecycle_rule {
    transition_days = 180
    storage_class   = "archive"
    expiration_days = 730
  }
}
