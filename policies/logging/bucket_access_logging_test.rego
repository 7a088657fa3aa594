package oppie.rules.logging.bucket_access_logging_test

import data.oppie.rules.logging.bucket_access_logging as rule
import data.oppie.testing as t

test_oppie_bucket_without_logging_warned if {
	t.paths(rule.warn) == {["logging_bucket"]} with input as t.plan([t.create("oppie_bucket", {"logging_bucket": null})])
}

test_oppie_bucket_with_logging_or_unknown_passes if {
	count(rule.warn) == 0 with input as t.plan([t.create("oppie_bucket", {"logging_bucket": "shop-prod-logs-bucket"})])
	count(rule.warn) == 0 with input as t.plan([t.create_unknown("oppie_bucket", {}, {"logging_bucket": true})])
}

test_gcs_bucket if {
	count(rule.warn) == 1 with input as t.plan([t.create("google_storage_bucket", {"logging": []})])
	count(rule.warn) == 0 with input as t.plan([t.create("google_storage_bucket", {"logging": [{"log_bucket": "logs"}]})])
}

test_s3_bucket_needs_complete_plan_and_no_logging_resource if {
	bucket := t.create("aws_s3_bucket", {"bucket": "data", "logging": []})
	t.paths(rule.warn) == {["logging"]} with input as t.complete_plan([bucket])
	count(rule.warn) == 0 with input as t.plan([bucket])
	logging := t.create_unknown("aws_s3_bucket_logging", {"target_bucket": "logs"}, {"bucket": true})
	count(rule.warn) == 0 with input as t.complete_plan([bucket, logging])
	other := t.create("aws_s3_bucket_logging", {"bucket": "other", "target_bucket": "logs"})
	count(rule.warn) == 1 with input as t.complete_plan([bucket, other])
}

test_s3_inline_logging_or_unknown_passes if {
	inline := t.create("aws_s3_bucket", {"bucket": "data", "logging": [{"target_bucket": "logs", "target_prefix": "data/"}]})
	count(rule.warn) == 0 with input as t.complete_plan([inline])
	unknown := t.create_unknown("aws_s3_bucket", {"bucket": "data"}, {"logging": true})
	count(rule.warn) == 0 with input as t.complete_plan([unknown])
}

test_no_advice_the_provider_refuses_on_azure if {
	count(rule.warn) == 0 with input as t.plan([t.create("oppie_bucket", {"name": "shop-dev-img", "cloud": "azure", "logging_bucket": null})])
	count(rule.warn) == 1 with input as t.plan([t.create("oppie_bucket", {"name": "shop-dev-img", "cloud": "gcp", "logging_bucket": null})])
}
