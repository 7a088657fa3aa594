action "oppie_environment_extend" "pr_1234" {
  config {
    environment = oppie_environment.pr_1234.name
    expires_at  = oppie_environment.pr_1234.expires_at
    by          = "24h"
  }
}

# terraform apply -invoke=action.oppie_environment_extend.pr_1234
