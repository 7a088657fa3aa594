# import: 1234abcd-12ab-34cd-56ef-1234567890ab
# import-hint: Import by the cloud's id: the AWS KMS key id, or the GCP crypto key's name `projects/<project>/locations/<region>/keyRings/<ring>/cryptoKeys/<key>` (prefix `<region>/` for a region other than the provider's default), or on Azure the key's resource id `/subscriptions/<sub>/resourceGroups/<group>/providers/Microsoft.KeyVault/vaults/<vault>/keys/<name>`
resource "oppie_key" "data" {
  name          = "shop-prod-data"
  rotation_days = 365
}
