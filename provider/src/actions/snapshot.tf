action "oppie_snapshot" "api_disk" {
  config {
    source_id      = oppie_instance.api.id
    retention_days = 14
  }
}

resource "oppie_instance" "api" {
  name      = "shop-dev-api"
  size      = "s"
  image     = "ubuntu-22.04"
  subnet_id = oppie_subnet.public_a.id

  lifecycle {
    # A snapshot of the boot disk before every change to the machine.
    action_trigger {
      events  = [before_update]
      actions = [action.oppie_snapshot.api_disk]
    }
  }
}
