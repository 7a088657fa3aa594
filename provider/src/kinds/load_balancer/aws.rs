//! Load balancers on AWS: an Application (`http`) or Network (`tcp`) Load Balancer, one target
//! group named after it (`<name>-tg`, instances as targets, the health check), and one listener
//! per port forwarding to the group (or redirecting to https). The load balancer's ARN is the
//! id; the target group is found by its derived name, so a delete also removes one that a
//! half-finished create left.

use std::collections::{BTreeMap, BTreeSet};

use aws_sdk_elasticloadbalancingv2 as elbv2;
use elbv2::types::{
    Action, ActionTypeEnum, Certificate, LoadBalancerSchemeEnum, LoadBalancerStateEnum, LoadBalancerTypeEnum,
    ProtocolEnum, RedirectActionConfig, RedirectActionStatusCodeEnum, Tag, TargetDescription, TargetTypeEnum,
};
use tfplug::{AttributePath, Diagnostics, Plan};

use super::{
    HealthCheck, LbType, Listener, ListenerProtocol, LoadBalancer, LoadBalancerSpec, LoadBalancerState, Target,
};
use crate::catalog::Cloud;
use crate::clouds::aws::tags::TOKEN_TAG;
use crate::clouds::aws::{AwsRegion, errors};
use crate::clouds::wait::{poll, while_in_use};
use crate::clouds::{CloudError, ErrorKind, Native, Tags};
use crate::kinds::Api;

const ELB: &str = "AWS ELB";

/// The target group of load balancer `name` (target group names take 32 characters too).
pub(crate) fn target_group_name(name: &str) -> String {
    if name.len() <= 29 {
        return format!("{name}-tg");
    }
    let h = name.bytes().fold(0x811c_9dc5u32, |h, b| (h ^ u32::from(b)).wrapping_mul(0x0100_0193));
    format!("{}-{h:08x}-tg", name[..20].trim_end_matches('-'))
}

/// AWS load balancer names: 1 to 32 letters, digits and '-', not starting or ending with '-'.
pub(super) fn check_plan(plan: &mut Plan, diags: &mut Diagnostics) {
    if let Some(name) = plan.planned.attr("name").as_str()
        && (name.is_empty()
            || name.len() > 32
            || !name.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
            || name.starts_with('-')
            || name.ends_with('-')
            || name.starts_with("internal-"))
    {
        diags.add_attribute_error(
            AttributePath::attr("name"),
            "Name not allowed on AWS",
            format!("{name:?}: AWS load balancer names take 1 to 32 letters, digits and '-', not at either end."),
        );
    }
    if plan.planned.attr("type").as_str() == Some("http") && super::planned_subnets(plan).is_some_and(|n| n < 2) {
        diags.add_attribute_error(
            AttributePath::attr("subnet_ids"),
            "One subnet is not enough on AWS",
            "An AWS Application Load Balancer needs subnets in at least two zones; add a subnet of another zone.",
        );
    }
    let _ = Cloud::Aws;
}

fn protocol(p: ListenerProtocol) -> ProtocolEnum {
    match p {
        ListenerProtocol::Http => ProtocolEnum::Http,
        ListenerProtocol::Https => ProtocolEnum::Https,
        ListenerProtocol::Tcp => ProtocolEnum::Tcp,
    }
}

fn tag(k: &str, v: &str) -> Tag {
    Tag::builder().key(k).value(v).build()
}

fn tags_of(ts: &[Tag]) -> Tags {
    ts.iter().filter_map(|t| Some((t.key()?.to_string(), t.value().unwrap_or_default().to_string()))).collect()
}

/// The listener's default action: forward to the group, or redirect to https.
fn action(l: &Listener, group: &str) -> Action {
    if l.redirect_to_https {
        Action::builder()
            .r#type(ActionTypeEnum::Redirect)
            .redirect_config(
                RedirectActionConfig::builder()
                    .protocol("HTTPS")
                    .port("443")
                    .status_code(RedirectActionStatusCodeEnum::Http301)
                    .build(),
            )
            .build()
    } else {
        Action::builder().r#type(ActionTypeEnum::Forward).target_group_arn(group).build()
    }
}

fn read_listener(l: &elbv2::types::Listener) -> Option<Listener> {
    let protocol = match l.protocol()? {
        ProtocolEnum::Http => ListenerProtocol::Http,
        ProtocolEnum::Https => ListenerProtocol::Https,
        _ => ListenerProtocol::Tcp,
    };
    Some(Listener {
        port: u16::try_from(l.port()?).ok()?,
        protocol,
        certificate_id: l.certificates().first().and_then(|c| c.certificate_arn()).map(str::to_string),
        redirect_to_https: l.default_actions().iter().any(|a| a.r#type() == Some(&ActionTypeEnum::Redirect)),
    })
}

impl AwsRegion {
    async fn load_balancer(&self, arn: &str) -> Result<Option<elbv2::types::LoadBalancer>, CloudError> {
        match self.elb.describe_load_balancers().load_balancer_arns(arn).send().await {
            Ok(out) => Ok(out.load_balancers().first().cloned()),
            Err(e) => {
                let e = errors::elb("DescribeLoadBalancers", e);
                if e.is_not_found() { Ok(None) } else { Err(e) }
            }
        }
    }

    async fn load_balancer_named(&self, name: &str) -> Result<Option<elbv2::types::LoadBalancer>, CloudError> {
        match self.elb.describe_load_balancers().names(name).send().await {
            Ok(out) => Ok(out.load_balancers().first().cloned()),
            Err(e) => {
                let e = errors::elb("DescribeLoadBalancers", e);
                if e.is_not_found() { Ok(None) } else { Err(e) }
            }
        }
    }

    async fn target_group(&self, name: &str) -> Result<Option<elbv2::types::TargetGroup>, CloudError> {
        match self.elb.describe_target_groups().names(name).send().await {
            Ok(out) => Ok(out.target_groups().first().cloned()),
            Err(e) => {
                let e = errors::elb("DescribeTargetGroups", e);
                if e.is_not_found() { Ok(None) } else { Err(e) }
            }
        }
    }

    async fn elb_tags(&self, arn: &str) -> Result<Tags, CloudError> {
        let out =
            self.elb.describe_tags().resource_arns(arn).send().await.map_err(|e| errors::elb("DescribeTags", e))?;
        Ok(out.tag_descriptions().first().map(|d| tags_of(d.tags())).unwrap_or_default())
    }

    async fn sync_elb_tags(&self, arn: &str, want: &Tags) -> Result<(), CloudError> {
        let have = self.elb_tags(arn).await?;
        let (remove, add) = crate::clouds::aws::tags::diff(&have, want);
        let add: Vec<Tag> = add.iter().map(|(k, v)| tag(k, v)).collect();
        if !remove.is_empty() {
            self.elb
                .remove_tags()
                .resource_arns(arn)
                .set_tag_keys(Some(remove))
                .send()
                .await
                .map_err(|e| errors::elb("RemoveTags", e))?;
        }
        if !add.is_empty() {
            self.elb
                .add_tags()
                .resource_arns(arn)
                .set_tags(Some(add))
                .send()
                .await
                .map_err(|e| errors::elb("AddTags", e))?;
        }
        Ok(())
    }

    async fn subnet_vpc(&self, subnet: &str) -> Result<String, CloudError> {
        let out = self
            .ec2
            .describe_subnets()
            .subnet_ids(subnet)
            .send()
            .await
            .map_err(|e| errors::ec2("DescribeSubnets", e))?;
        out.subnets()
            .first()
            .and_then(|s| s.vpc_id())
            .map(str::to_string)
            .ok_or_else(|| CloudError::other(ELB, "DescribeSubnets", format!("subnet {subnet} is gone")))
    }

    /// The target group, made when missing, with the health check as `spec` says.
    async fn ensure_target_group(&self, spec: &LoadBalancerSpec) -> Result<String, CloudError> {
        let name = target_group_name(&spec.name);
        let h = &spec.target.health;
        let check_protocol = if h.path.is_some() { ProtocolEnum::Http } else { ProtocolEnum::Tcp };
        let interval = i32::try_from(h.interval_seconds).unwrap_or(30);
        let healthy = i32::try_from(h.healthy_threshold).unwrap_or(3);
        let unhealthy = i32::try_from(h.unhealthy_threshold).unwrap_or(3);
        let Some(group) = self.target_group(&name).await? else {
            let first =
                spec.subnet_ids.first().ok_or_else(|| CloudError::other(ELB, "CreateTargetGroup", "no subnet"))?;
            let vpc = self.subnet_vpc(first).await?;
            let proto = if spec.kind == LbType::Http { ProtocolEnum::Http } else { ProtocolEnum::Tcp };
            // CreateTargetGroup answers with the existing group when one of that name and
            // settings exists: a retried create makes no second group.
            let out = self
                .elb
                .create_target_group()
                .name(&name)
                .protocol(proto)
                .port(i32::from(spec.target.port))
                .vpc_id(vpc)
                .target_type(TargetTypeEnum::Instance)
                .health_check_protocol(check_protocol)
                .set_health_check_path(h.path.clone())
                .health_check_interval_seconds(interval)
                .healthy_threshold_count(healthy)
                .unhealthy_threshold_count(unhealthy)
                .tags(tag("oppie:load-balancer", &spec.name))
                .send()
                .await
                .map_err(|e| errors::elb("CreateTargetGroup", e))?;
            return out
                .target_groups()
                .first()
                .and_then(|g| g.target_group_arn())
                .map(str::to_string)
                .ok_or_else(|| CloudError::other(ELB, "CreateTargetGroup", "the answer had no target group"));
        };
        let arn = group.target_group_arn().unwrap_or_default().to_string();
        let same = group.health_check_path() == h.path.as_deref()
            && group.health_check_interval_seconds() == Some(interval)
            && group.healthy_threshold_count() == Some(healthy)
            && group.unhealthy_threshold_count() == Some(unhealthy)
            && group.health_check_protocol() == Some(&check_protocol);
        if !same {
            self.elb
                .modify_target_group()
                .target_group_arn(&arn)
                .health_check_protocol(check_protocol)
                .set_health_check_path(h.path.clone())
                .health_check_interval_seconds(interval)
                .healthy_threshold_count(healthy)
                .unhealthy_threshold_count(unhealthy)
                .send()
                .await
                .map_err(|e| errors::elb("ModifyTargetGroup", e))?;
        }
        Ok(arn)
    }

    async fn registered(&self, group: &str) -> Result<BTreeSet<String>, CloudError> {
        let out = self
            .elb
            .describe_target_health()
            .target_group_arn(group)
            .send()
            .await
            .map_err(|e| errors::elb("DescribeTargetHealth", e))?;
        Ok(out
            .target_health_descriptions()
            .iter()
            .filter_map(|d| d.target().and_then(|t| t.id()).map(str::to_string))
            .collect())
    }

    async fn sync_targets(&self, group: &str, target: &Target) -> Result<(), CloudError> {
        let have = self.registered(group).await?;
        let port = i32::from(target.port);
        let add: Vec<TargetDescription> = target
            .instance_ids
            .difference(&have)
            .map(|id| TargetDescription::builder().id(id).port(port).build())
            .collect();
        let remove: Vec<TargetDescription> =
            have.difference(&target.instance_ids).map(|id| TargetDescription::builder().id(id).build()).collect();
        if !add.is_empty() {
            self.elb
                .register_targets()
                .target_group_arn(group)
                .set_targets(Some(add))
                .send()
                .await
                .map_err(|e| errors::elb("RegisterTargets", e))?;
        }
        if !remove.is_empty() {
            self.elb
                .deregister_targets()
                .target_group_arn(group)
                .set_targets(Some(remove))
                .send()
                .await
                .map_err(|e| errors::elb("DeregisterTargets", e))?;
        }
        Ok(())
    }

    async fn listeners(&self, lb: &str) -> Result<Vec<elbv2::types::Listener>, CloudError> {
        match self.elb.describe_listeners().load_balancer_arn(lb).send().await {
            Ok(out) => Ok(out.listeners().to_vec()),
            Err(e) => {
                let e = errors::elb("DescribeListeners", e);
                if e.is_not_found() { Ok(Vec::new()) } else { Err(e) }
            }
        }
    }

    async fn sync_listeners(&self, lb: &str, group: &str, want: &[Listener]) -> Result<(), CloudError> {
        let have: BTreeMap<u16, (String, Listener)> = self
            .listeners(lb)
            .await?
            .iter()
            .filter_map(|l| Some((read_listener(l)?.port, (l.listener_arn()?.to_string(), read_listener(l)?))))
            .collect();
        for l in want {
            let certs = l.certificate_id.as_ref().map(|c| vec![Certificate::builder().certificate_arn(c).build()]);
            match have.get(&l.port) {
                None => {
                    let r = self
                        .elb
                        .create_listener()
                        .load_balancer_arn(lb)
                        .port(i32::from(l.port))
                        .protocol(protocol(l.protocol))
                        .set_certificates(certs)
                        .default_actions(action(l, group))
                        .send()
                        .await;
                    if let Err(e) = r {
                        let e = errors::elb("CreateListener", e);
                        // A retried create that had happened.
                        if e.code.as_deref() != Some("DuplicateListener") {
                            return Err(e);
                        }
                    }
                }
                Some((arn, current)) if current != l => {
                    self.elb
                        .modify_listener()
                        .listener_arn(arn)
                        .port(i32::from(l.port))
                        .protocol(protocol(l.protocol))
                        .set_certificates(certs)
                        .default_actions(action(l, group))
                        .send()
                        .await
                        .map_err(|e| errors::elb("ModifyListener", e))?;
                }
                Some(_) => {}
            }
        }
        for (port, (arn, _)) in &have {
            if !want.iter().any(|l| l.port == *port) {
                match self.elb.delete_listener().listener_arn(arn).send().await {
                    Ok(_) => {}
                    Err(e) => {
                        let e = errors::elb("DeleteListener", e);
                        if !e.is_not_found() {
                            return Err(e);
                        }
                    }
                }
            }
        }
        Ok(())
    }
}

#[tfplug::async_trait]
impl Api<LoadBalancer> for AwsRegion {
    async fn create(&self, spec: &LoadBalancerSpec, token: &str) -> Result<String, CloudError> {
        // CreateLoadBalancer answers with an existing load balancer of the same name and
        // settings: one that is not this create's belongs to someone else.
        if let Some(lb) = self.load_balancer_named(&spec.name).await? {
            let arn = lb.load_balancer_arn().unwrap_or_default().to_string();
            if self.elb_tags(&arn).await?.get(TOKEN_TAG).map(String::as_str) != Some(token) {
                return Err(CloudError {
                    kind: ErrorKind::Invalid,
                    service: ELB,
                    operation: "CreateLoadBalancer".into(),
                    code: Some("DuplicateLoadBalancerName".into()),
                    message: format!(
                        "a load balancer named {:?} exists already ({arn}); import it, or give this one another name",
                        spec.name
                    ),
                    request_id: None,
                });
            }
        }
        let mut tags: Vec<Tag> = spec.tags.iter().map(|(k, v)| tag(k, v)).collect();
        tags.push(tag(TOKEN_TAG, token));
        let create = || async {
            let out = self
                .elb
                .create_load_balancer()
                .name(&spec.name)
                .r#type(if spec.kind == LbType::Http {
                    LoadBalancerTypeEnum::Application
                } else {
                    LoadBalancerTypeEnum::Network
                })
                .scheme(if spec.public {
                    LoadBalancerSchemeEnum::InternetFacing
                } else {
                    LoadBalancerSchemeEnum::Internal
                })
                .set_subnets(Some(spec.subnet_ids.clone()))
                .set_security_groups((!spec.firewall_ids.is_empty()).then(|| spec.firewall_ids.clone()))
                .set_tags(Some(tags.clone()))
                .send()
                .await
                .map_err(|e| errors::elb("CreateLoadBalancer", e))?;
            out.load_balancers()
                .first()
                .and_then(|l| l.load_balancer_arn())
                .map(str::to_string)
                .ok_or_else(|| CloudError::other(ELB, "CreateLoadBalancer", "the answer had no load balancer"))
        };
        self.create_once(create, || Api::<LoadBalancer>::find(self, token)).await
    }

    async fn find(&self, token: &str) -> Result<Option<String>, CloudError> {
        let out =
            self.elb.describe_load_balancers().send().await.map_err(|e| errors::elb("DescribeLoadBalancers", e))?;
        let arns: Vec<String> =
            out.load_balancers().iter().filter_map(|l| l.load_balancer_arn().map(str::to_string)).collect();
        for chunk in arns.chunks(20) {
            let tags = self
                .elb
                .describe_tags()
                .set_resource_arns(Some(chunk.to_vec()))
                .send()
                .await
                .map_err(|e| errors::elb("DescribeTags", e))?;
            for d in tags.tag_descriptions() {
                if tags_of(d.tags()).get(TOKEN_TAG).map(String::as_str) == Some(token) {
                    return Ok(d.resource_arn().map(str::to_string));
                }
            }
        }
        Ok(None)
    }

    async fn settle(&self, id: &str, spec: &LoadBalancerSpec) -> Result<(), CloudError> {
        poll(std::time::Duration::from_secs(10), || async {
            match self.load_balancer(id).await? {
                None => Err(CloudError::other(ELB, "DescribeLoadBalancers", format!("{id} is gone"))),
                Some(lb) => match lb.state().and_then(|s| s.code()) {
                    Some(LoadBalancerStateEnum::Provisioning) => Ok(None),
                    Some(LoadBalancerStateEnum::Failed) => {
                        Err(CloudError::other(ELB, "DescribeLoadBalancers", format!("{id} failed to provision")))
                    }
                    _ => Ok(Some(())),
                },
            }
        })
        .await?;
        Api::<LoadBalancer>::update(self, id, spec).await
    }

    async fn update(&self, id: &str, spec: &LoadBalancerSpec) -> Result<(), CloudError> {
        let lb = self
            .load_balancer(id)
            .await?
            .ok_or_else(|| CloudError::other(ELB, "DescribeLoadBalancers", format!("load balancer {id} is gone")))?;
        self.sync_elb_tags(id, &spec.tags).await?;
        let mut have: Vec<String> = lb.security_groups().to_vec();
        have.sort();
        let mut want = spec.firewall_ids.clone();
        want.sort();
        if spec.kind == LbType::Http && !want.is_empty() && have != want {
            self.elb
                .set_security_groups()
                .load_balancer_arn(id)
                .set_security_groups(Some(want))
                .send()
                .await
                .map_err(|e| errors::elb("SetSecurityGroups", e))?;
        }
        let group = self.ensure_target_group(spec).await?;
        self.sync_targets(&group, &spec.target).await?;
        self.sync_listeners(id, &group, &spec.listeners).await
    }

    async fn read(&self, id: &str) -> Result<Option<LoadBalancerState>, CloudError> {
        let Some(lb) = self.load_balancer(id).await? else { return Ok(None) };
        let name = lb.load_balancer_name().unwrap_or_default().to_string();
        let kind = if lb.r#type() == Some(&LoadBalancerTypeEnum::Network) { LbType::Tcp } else { LbType::Http };
        let mut native = Native::new();
        native.insert("arn".into(), id.to_string());
        let mut put = |k: &str, v: Option<&str>| {
            if let Some(v) = v {
                native.insert(k.into(), v.to_string());
            }
        };
        put("canonical_hosted_zone_id", lb.canonical_hosted_zone_id());
        put("vpc_id", lb.vpc_id());
        let group = self.target_group(&target_group_name(&name)).await?;
        let (port, health, instance_ids) = match &group {
            Some(g) => {
                let arn = g.target_group_arn().unwrap_or_default();
                put("target_group_arn", Some(arn));
                let health = HealthCheck {
                    path: g
                        .health_check_path()
                        .filter(|_| g.health_check_protocol() != Some(&ProtocolEnum::Tcp))
                        .map(str::to_string),
                    interval_seconds: g
                        .health_check_interval_seconds()
                        .and_then(|v| u32::try_from(v).ok())
                        .unwrap_or(30),
                    healthy_threshold: g.healthy_threshold_count().and_then(|v| u32::try_from(v).ok()).unwrap_or(3),
                    unhealthy_threshold: g.unhealthy_threshold_count().and_then(|v| u32::try_from(v).ok()).unwrap_or(3),
                };
                let port = g.port().and_then(|p| u16::try_from(p).ok()).unwrap_or(0);
                (port, health, self.registered(arn).await?)
            }
            None => (0, super::health_of(kind, None), BTreeSet::new()),
        };
        let mut listeners: Vec<Listener> = self.listeners(id).await?.iter().filter_map(read_listener).collect();
        listeners.sort();
        let mut tags = self.elb_tags(id).await?;
        tags.remove(TOKEN_TAG);
        let mut subnet_ids: Vec<String> =
            lb.availability_zones().iter().filter_map(|z| z.subnet_id().map(str::to_string)).collect();
        subnet_ids.sort();
        let mut firewall_ids: Vec<String> = lb.security_groups().to_vec();
        firewall_ids.sort();
        let dns = lb.dns_name().unwrap_or_default().to_string();
        Ok(Some(LoadBalancerState {
            id: id.to_string(),
            spec: LoadBalancerSpec {
                name,
                kind,
                public: lb.scheme() != Some(&LoadBalancerSchemeEnum::Internal),
                subnet_ids,
                firewall_ids,
                listeners,
                target: Target { instance_ids, port, health },
                tags: tags.clone(),
            },
            tags: Some(tags),
            dns_name: dns.clone(),
            address: dns,
            native,
        }))
    }

    async fn delete(&self, id: &str, spec: &LoadBalancerSpec) -> Result<(), CloudError> {
        match self.elb.delete_load_balancer().load_balancer_arn(id).send().await {
            Ok(_) => {}
            Err(e) => {
                let e = errors::elb("DeleteLoadBalancer", e);
                if !e.is_not_found() {
                    return Err(e);
                }
            }
        }
        poll(std::time::Duration::from_secs(5), || async { Ok(self.load_balancer(id).await?.is_none().then_some(())) })
            .await?;
        // The target group, found by its name: also one a half-finished create left.
        if let Some(g) = self.target_group(&target_group_name(&spec.name)).await? {
            let arn = g.target_group_arn().unwrap_or_default().to_string();
            while_in_use(|| async {
                self.elb
                    .delete_target_group()
                    .target_group_arn(&arn)
                    .send()
                    .await
                    .map(|_| ())
                    .map_err(|e| errors::elb("DeleteTargetGroup", e))
            })
            .await?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn target_group_names_fit() {
        assert_eq!(target_group_name("shop-dev-web"), "shop-dev-web-tg");
        let long = target_group_name(&"a".repeat(32));
        assert!(long.len() <= 32, "{long}");
        assert_ne!(long, target_group_name(&format!("{}b", "a".repeat(31))));
    }
}
