action "oppie_instance_power" "stop_api" {
  config {
    instance_id = oppie_instance.api.id
    state       = "stopped"
  }
}

# Run it on demand: terraform apply -invoke=action.oppie_instance_power.stop_api
