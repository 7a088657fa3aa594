# import: shop-prod-sessions
# import-hint: Import by the cloud's id: the ElastiCache replication group id, or `projects/<project>/locations/<region>/instances/<name>` on GCP (prefix `<region>/` for a region other than the provider's default), or on Azure the Managed Redis cluster's resource id
resource "oppie_cache" "sessions" {
  name              = "shop-prod-sessions"
  size              = "s"
  high_availability = true
  key_id            = oppie_key.data.id
  # Private placement: subnet_ids = [oppie_subnet.data_a.id, oppie_subnet.data_b.id]
}
