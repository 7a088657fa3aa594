//! The gRPC front end (`oppie.policy.v1.PolicyService`): the same evaluations as the HTTP
//! routes, with the report mapped onto the messages of `proto/oppie/policy/v1/policy.proto`.

use std::sync::Arc;

use tonic::{Request, Response, Status};

use super::evaluate::{Checked, Evaluator, Refusal};
use crate::findings::{FindingKind, PathStep};
use crate::report::status;
use crate::rules::Enforcement;

/// The generated messages, server and client.
#[allow(missing_docs, clippy::all, clippy::pedantic)]
pub mod proto {
    tonic::include_proto!("oppie.policy.v1");
}

use proto::policy_service_server::{PolicyService, PolicyServiceServer};
use proto::{CheckRequest, CheckResourceRequest, CheckResponse};

/// The service implementation.
pub(crate) struct Service {
    evaluator: Arc<Evaluator>,
}

/// tonic's routes for the service, ready to merge into the HTTP router.
pub(crate) fn router(evaluator: Arc<Evaluator>, max_body: usize) -> axum::Router {
    let server = PolicyServiceServer::new(Service { evaluator })
        .max_decoding_message_size(max_body)
        .max_encoding_message_size(usize::MAX);
    tonic::service::Routes::new(server).into_axum_router()
}

#[tonic::async_trait]
impl PolicyService for Service {
    async fn check(&self, request: Request<CheckRequest>) -> Result<Response<CheckResponse>, Status> {
        let request = request.into_inner();
        let level = fail_on(&request.fail_on)?;
        let checked = self.evaluator.check(request.plan_json, level).await.map_err(|e| grpc_status(&e))?;
        Ok(Response::new(response(&checked)))
    }

    async fn check_resource(&self, request: Request<CheckResourceRequest>) -> Result<Response<CheckResponse>, Status> {
        let request = request.into_inner();
        let level = fail_on(&request.fail_on)?;
        let checked =
            self.evaluator.check_resource(&request.resource_change_json, level).await.map_err(|e| grpc_status(&e))?;
        Ok(Response::new(response(&checked)))
    }
}

fn fail_on(level: &str) -> Result<Enforcement, Status> {
    if level.is_empty() {
        return Ok(Enforcement::SoftMandatory);
    }
    level.parse().map_err(|e: String| Status::invalid_argument(e))
}

fn grpc_status(refusal: &Refusal) -> Status {
    match refusal {
        Refusal::Overloaded => Status::unavailable(refusal.to_string()),
        Refusal::BadInput(message) => Status::invalid_argument(message.clone()),
        Refusal::Internal(message) => Status::internal(message.clone()),
    }
}

/// The report as a `CheckResponse`: the same verdict, counts and findings as the JSON document.
fn response(checked: &Checked) -> CheckResponse {
    let report = &checked.report;
    let summary = report.summary();
    let count = |n: usize| u32::try_from(n).unwrap_or(u32::MAX);
    let findings = report
        .findings()
        .map(|(file, finding)| proto::Finding {
            fails: finding.fails(report.fail_on),
            status: status(finding, report.fail_on).name().to_string(),
            kind: match finding.kind {
                FindingKind::Violation => "violation",
                FindingKind::Error => "error",
            }
            .to_string(),
            rule_id: finding.rule_id.clone(),
            title: finding.title.clone(),
            severity: finding.severity.as_str().to_string(),
            enforcement: finding.enforcement.as_str().to_string(),
            controls: finding.controls.clone(),
            message: finding.message.clone(),
            resource: finding.resource.clone().unwrap_or_default(),
            path: finding
                .path
                .iter()
                .flatten()
                .map(|step| proto::PathStep {
                    step: Some(match step {
                        PathStep::Key(key) => proto::path_step::Step::Key(key.clone()),
                        PathStep::Index(index) => proto::path_step::Step::Index(*index),
                    }),
                })
                .collect(),
            metadata_json: if finding.metadata.is_empty() {
                String::new()
            } else {
                serde_json::Value::Object(finding.metadata.clone()).to_string()
            },
            package: finding.package.clone(),
            rule: finding.rule.clone(),
            excepted_by: finding.excepted_by.clone().unwrap_or_default(),
            line: file.line_of(finding).unwrap_or(0),
        })
        .collect();
    CheckResponse {
        passed: report.passed(),
        fail_on: report.fail_on.as_str().to_string(),
        summary: Some(proto::Summary {
            rules: count(summary.rules),
            failures: count(summary.failures),
            warnings: count(summary.warnings),
            errors: count(summary.errors),
            exceptions: count(summary.exceptions),
        }),
        findings,
        revision: checked.revision.clone(),
    }
}
