data "oppie_catalog" "gcp" {
  cloud = "gcp"
}

output "eu_west_region" {
  value = data.oppie_catalog.gcp.regions["eu-west"] # "europe-west1"
}
