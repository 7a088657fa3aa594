package oppie.rules.resilience.force_destroy_test

import data.oppie.rules.resilience.force_destroy as rule
import data.oppie.testing as t

test_prod_bucket_force_destroy_denied if {
	doc := t.plan([t.create("oppie_bucket", {"force_destroy": true, "tags": t.good_tags})])
	t.paths(rule.deny) == {["force_destroy"]} with input as doc
}

test_prod_bucket_without_force_destroy_passes if {
	count(rule.deny) == 0 with input as t.plan([t.create("oppie_bucket", {"force_destroy": false, "tags": t.good_tags})])
}

test_dev_bucket_force_destroy_passes if {
	count(rule.deny) == 0 with input as t.plan([t.create("aws_s3_bucket", {"force_destroy": true, "tags": t.tags_for("dev")})])
}

test_gcs_prod_bucket_denied if {
	count(rule.deny) == 1 with input as t.plan([t.create("google_storage_bucket", {"force_destroy": true, "labels": t.good_tags})])
}
