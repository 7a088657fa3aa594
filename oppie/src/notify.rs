//! Alerts: `--notify URL` posts one Slack-compatible message per scan that found new or resolved
//! drift, so each item is alerted once when it appears and once when it goes.

use std::time::Duration;

use serde_json::{Value, json};

use crate::drift::item::DriftItem;
use crate::history::ScanDelta;

/// How long one post may take.
const TIMEOUT: Duration = Duration::from_secs(15);

/// At most this many items are named per list in one message (the rest are counted).
const MAX_LISTED: usize = 20;

/// Why an alert was not delivered. The URL is never part of a message: a webhook URL is a secret.
#[derive(Debug, thiserror::Error)]
pub enum NotifyError {
    /// Not a URL, or plain HTTP to a host other than loopback.
    #[error("--notify: {0}")]
    Url(String),
    /// The post failed.
    #[error("--notify: posting the alert failed: {0}")]
    Post(String),
    /// The receiver refused it.
    #[error("--notify: the receiver answered {0}")]
    Status(u16),
}

/// A checked webhook URL whose `Debug` hides it.
pub struct Webhook(url::Url);

impl std::fmt::Debug for Webhook {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Webhook({}://{}/…)", self.0.scheme(), self.0.host_str().unwrap_or(""))
    }
}

impl Webhook {
    /// Parses `url`: https anywhere, plain http only to loopback (a webhook URL carries its token).
    pub fn parse(url: &str) -> Result<Self, NotifyError> {
        let u = url::Url::parse(url).map_err(|e| NotifyError::Url(format!("not a URL ({e})")))?;
        let loopback = oppie_policy::net::is_loopback(&u);
        match u.scheme() {
            "https" => Ok(Webhook(u)),
            "http" if loopback => Ok(Webhook(u)),
            "http" => Err(NotifyError::Url("plain http only to a loopback address; use https".into())),
            other => Err(NotifyError::Url(format!("scheme {other} is not http or https"))),
        }
    }

    /// Posts `message` as JSON.
    pub fn post(&self, message: &Value) -> Result<(), NotifyError> {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(|e| NotifyError::Post(e.to_string()))?;
        runtime.block_on(async {
            let client = reqwest::Client::builder()
                .timeout(TIMEOUT)
                .redirect(reqwest::redirect::Policy::none())
                .build()
                .map_err(|e| NotifyError::Post(e.to_string()))?;
            let response = client
                .post(self.0.clone())
                .json(message)
                .send()
                .await
                .map_err(|e| NotifyError::Post(e.without_url().to_string()))?;
            let status = response.status();
            if status.is_success() { Ok(()) } else { Err(NotifyError::Status(status.as_u16())) }
        })
    }
}

/// The message for one scanned source: `None` when nothing appeared or was resolved.
pub fn message(source: &str, delta: &ScanDelta, items: &[DriftItem]) -> Option<Value> {
    if delta.appeared.is_empty() && delta.resolved.is_empty() {
        return None;
    }
    let appeared: std::collections::HashSet<&str> = delta.appeared.iter().map(String::as_str).collect();
    let mut new: Vec<&DriftItem> = items.iter().filter(|i| appeared.contains(i.key().as_str())).collect();
    new.sort_by_key(|i| std::cmp::Reverse(i.severity));
    let mut lines = vec![format!(
        "*oppie drift* `{}`: {} new, {} resolved",
        escape(source),
        delta.appeared.len(),
        delta.resolved.len()
    )];
    for item in new.iter().take(MAX_LISTED) {
        let rules: Vec<&str> = item.rules.iter().map(|r| r.rule_id.as_str()).collect();
        let what = match item.kind {
            crate::drift::ItemKind::Changed => item.path_string(),
            other => other.as_str().to_string(),
        };
        let rules = if rules.is_empty() { String::new() } else { format!(" ({})", rules.join(", ")) };
        lines.push(format!("• new {}: `{}` {}{rules}", item.severity, escape(&item.address), escape(&what)));
    }
    if new.len() > MAX_LISTED {
        lines.push(format!("• … and {} more new", new.len() - MAX_LISTED));
    }
    for key in delta.resolved.iter().take(MAX_LISTED) {
        lines.push(format!("• resolved: `{}`", escape(key.trim_end())));
    }
    if delta.resolved.len() > MAX_LISTED {
        lines.push(format!("• … and {} more resolved", delta.resolved.len() - MAX_LISTED));
    }
    let text = lines.join("\n");
    Some(json!({
        "text": text,
        "blocks": [{"type": "section", "text": {"type": "mrkdwn", "text": text}}],
    }))
}

/// Slack's mrkdwn control characters.
fn escape(s: &str) -> String {
    s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::fixtures;

    #[test]
    fn only_https_or_loopback_http_and_the_url_never_shows() {
        assert!(Webhook::parse("https://hooks.slack.com/services/T/B/secret").is_ok());
        assert!(Webhook::parse("http://127.0.0.1:9/x").is_ok());
        assert!(Webhook::parse("http://localhost/x").is_ok());
        let err = Webhook::parse("http://hooks.example.com/services/secret").expect_err("plain http");
        assert!(!err.to_string().contains("secret"), "{err}");
        let err = Webhook::parse("ftp://x/secret").expect_err("scheme");
        assert!(!err.to_string().contains("secret"), "{err}");
        let hook = Webhook::parse("https://hooks.slack.com/services/T/B/secret").expect("ok");
        assert!(!format!("{hook:?}").contains("secret"), "{hook:?}");
    }

    #[test]
    fn a_message_names_new_items_most_severe_first_and_the_resolved() {
        let report = fixtures::report();
        let items = &report.scanned[0].items;
        let delta = ScanDelta {
            scan: 2,
            appeared: items.iter().map(DriftItem::key).collect(),
            resolved: vec!["oppie_bucket.old versioning changed".into()],
        };
        let m = message("envs/dev", &delta, items).expect("a message");
        let text = m["text"].as_str().expect("text");
        assert!(text.starts_with("*oppie drift* `envs/dev`: 3 new, 1 resolved"), "{text}");
        let critical = text.find("new critical: `oppie_firewall.web` ingress[0].sources (OPP-NET-001)").expect(text);
        let low = text.find("new low: `oppie_firewall.web` tags.team").expect(text);
        assert!(critical < low, "{text}");
        assert!(text.contains("new high: `oppie_instance.app` deleted"), "{text}");
        assert!(text.contains("resolved: `oppie_bucket.old versioning changed`"), "{text}");
        assert_eq!(m["blocks"][0]["text"]["text"], m["text"]);
        assert_eq!(message("envs/dev", &ScanDelta::default(), items), None, "nothing new: no alert");
    }
}
