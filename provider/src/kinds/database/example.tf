# import: shop-prod-orders
# import-hint: Import by the cloud's id: the RDS instance identifier, or `projects/<project>/instances/<name>` on GCP (prefix `<region>/` for a region other than the provider's default), or on Azure the flexible server's resource id
variable "db_password" {
  type      = string
  sensitive = true
  ephemeral = true
}

resource "oppie_database" "orders" {
  name       = "shop-prod-orders"
  engine     = "postgres"
  version    = "16"
  size       = "m"
  storage_gb = 128
  key_id     = oppie_key.data.id
  tier       = "prod"
  # Private placement: subnet_ids = [oppie_subnet.data_a.id, oppie_subnet.data_b.id]

  # Never in plan or state (Terraform 1.11 and later); bump the version to change it.
  password_wo         = var.db_password
  password_wo_version = 1
}
