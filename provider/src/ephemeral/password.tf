ephemeral "oppie_password" "db" {
  length  = 24
  special = false
}

resource "oppie_instance" "db" {
  name      = "shop-dev-db"
  size      = "m"
  image     = "ubuntu-22.04"
  subnet_id = oppie_subnet.private_a.id

  # Write-only: sent to the cloud, never kept in plan or state. Bump the version to send a new one.
  user_data_wo         = "#cloud-config\nwrite_files:\n  - path: /etc/db-password\n    content: ${ephemeral.oppie_password.db.result}\n"
  user_data_wo_version = 1
}
