//! `--github-issue OWNER/REPO`: one GitHub issue per scanned directory, opened when it drifts,
//! updated in place, closed when no drift is left (reopened if it comes back). Found again by a
//! hidden marker naming the directory; the REST client is `oppie-policy comment`'s.

use oppie_policy::comment::github::{Client, Error, Issue, check_repo};

use crate::drift::item::{DriftItem, ItemKind};

/// The label our issues carry; the search lists only issues with it.
pub const LABEL: &str = "oppie-drift";
/// The option the repository came from, for error hints.
const FLAG: &str = "--github-issue";
/// Items listed in one body at most (the rest are counted): GitHub takes 65,536 characters.
const MAX_LISTED: usize = 200;

/// The first line of our issue's body for `source`: a hidden marker naming the directory as given
/// on the command line (`<`, `>`, `%` and line breaks percent-encoded so it stays one comment).
pub fn marker(source: &str) -> String {
    let mut name = String::with_capacity(source.len());
    for c in source.chars() {
        match c {
            '%' => name.push_str("%25"),
            '<' => name.push_str("%3C"),
            '>' => name.push_str("%3E"),
            '\n' => name.push_str("%0A"),
            '\r' => name.push_str("%0D"),
            c => name.push(c),
        }
    }
    format!("<!-- oppie-drift:issue {name} -->")
}

/// The issue body for `source` with its current `items` (none: the drift is resolved). No values:
/// only addresses, paths, severities and rule ids, as in the history.
pub fn body(source: &str, items: &[DriftItem]) -> String {
    use std::fmt::Write;
    let mut out = marker(source);
    let dir = code(source);
    if items.is_empty() {
        let _ = write!(
            out,
            "\n## No drift left in {dir}\n\nThe last `oppie drift` scan found the live infrastructure matching the Terraform state. This issue reopens if drift comes back.\n"
        );
        return out;
    }
    let mut sorted: Vec<&DriftItem> = items.iter().collect();
    sorted.sort_by(|a, b| b.severity.cmp(&a.severity).then_with(|| a.key().cmp(&b.key())));
    let _ = write!(out, "\n## Drift in {dir}: {} item(s)\n\n", items.len());
    let mut counts = std::collections::BTreeMap::new();
    for item in items {
        *counts.entry(std::cmp::Reverse(item.severity)).or_insert(0usize) += 1;
    }
    let counts: Vec<String> = counts.iter().map(|(s, n)| format!("{n} {}", s.0)).collect();
    let _ = write!(out, "{}\n\n| Severity | Resource | Change | Rules |\n|---|---|---|---|\n", counts.join(", "));
    for item in sorted.iter().take(MAX_LISTED) {
        let what = match item.kind {
            ItemKind::Changed => format!("{} changed", code(&item.path_string())),
            ItemKind::Deleted => "deleted outside Terraform".into(),
            ItemKind::Unmanaged => "not managed by any state".into(),
        };
        let rules: Vec<&str> = item.rules.iter().map(|r| r.rule_id.as_str()).collect();
        let _ = writeln!(out, "| {} | {} | {what} | {} |", item.severity, code(&item.address), cell(&rules.join(", ")));
    }
    if sorted.len() > MAX_LISTED {
        let _ = writeln!(out, "\n… and {} more (see the scan's report).", sorted.len() - MAX_LISTED);
    }
    out.push_str("\nRevert with `oppie drift --remediate revert`, or accept with `oppie drift --write`. Updated by each `oppie drift --github-issue` scan; closed when no drift is left.\n");
    out
}

/// Inline code in a table cell: no backticks, pipes or line breaks can break out of it.
fn code(s: &str) -> String {
    format!("`{}`", s.replace('`', "'").replace('|', "\\|").replace(['\n', '\r'], " "))
}

fn cell(s: &str) -> String {
    s.replace('|', "\\|").replace(['\n', '\r'], " ")
}

/// What [`Issues::sync`] did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Synced {
    /// No drift and no open issue: nothing to do.
    Nothing,
    /// Opened issue N.
    Opened(Issue),
    /// Updated (and reopened, if it was closed) issue N.
    Updated(Issue),
    /// Closed issue N: no drift left.
    Closed(Issue),
    /// The issue already says this.
    Unchanged(Issue),
}

/// The issues of one repository, through one client.
#[derive(Debug)]
pub struct Issues {
    client: Client,
    repo: String,
}

impl Issues {
    /// Checks `repo` (`OWNER/NAME`) and makes the client for `api_url` with `token` (https, or
    /// plain http to this machine only).
    pub fn new(repo: &str, api_url: &str, token: String) -> Result<Self, Error> {
        check_repo(repo, FLAG)?;
        Ok(Issues { client: Client::new(api_url, token)?, repo: repo.to_string() })
    }

    /// Brings `source`'s issue in line with its current `items`.
    pub fn sync(&self, source: &str, items: &[DriftItem]) -> Result<Synced, Error> {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(|e| Error::Url(format!("cannot start the HTTP runtime: {e}")))?;
        runtime.block_on(self.sync_async(source, items))
    }

    async fn sync_async(&self, source: &str, items: &[DriftItem]) -> Result<Synced, Error> {
        let mark = marker(source);
        let ours = |b: &str| b.lines().next().is_some_and(|line| line.trim() == mark);
        let found = self.client.find_issue(&self.repo, FLAG, LABEL, ours).await?;
        let text = body(source, items);
        let repo = &self.repo;
        Ok(match (found, items.is_empty()) {
            (None, true) => Synced::Nothing,
            (None, false) => {
                let title = format!("Drift in {source}");
                Synced::Opened(self.client.create_issue(repo, FLAG, &title, &text, &[LABEL]).await?)
            }
            (Some(issue), false) => {
                let reopen = (issue.state != "open").then_some("open");
                if reopen.is_none() && issue.body.as_deref() == Some(text.as_str()) {
                    Synced::Unchanged(issue)
                } else {
                    Synced::Updated(self.client.update_issue(repo, FLAG, issue.number, &text, reopen).await?)
                }
            }
            (Some(issue), true) if issue.state == "open" => {
                Synced::Closed(self.client.update_issue(repo, FLAG, issue.number, &text, Some("closed")).await?)
            }
            (Some(issue), true) => Synced::Unchanged(issue),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::fixtures;

    #[test]
    fn the_marker_names_the_directory_and_stays_one_comment() {
        assert_eq!(marker("envs/dev"), "<!-- oppie-drift:issue envs/dev -->");
        let odd = marker("a-->b\n<c>%");
        assert_eq!(odd.matches("-->").count(), 1, "{odd}");
        assert!(!odd.contains('\n'));
        assert_ne!(marker("envs/dev"), marker("envs/dev2"));
    }

    #[test]
    fn the_body_lists_items_most_severe_first_without_values() {
        let report = fixtures::report();
        let items = &report.scanned[0].items;
        let text = body("envs/dev", items);
        assert!(text.starts_with("<!-- oppie-drift:issue envs/dev -->\n## Drift in `envs/dev`: 3 item(s)"), "{text}");
        let critical =
            text.find("| critical | `oppie_firewall.web` | `ingress[0].sources` changed | OPP-NET-001 |").expect(&text);
        let low = text.find("| low | `oppie_firewall.web` | `tags.team` changed |").expect(&text);
        assert!(critical < low, "{text}");
        assert!(text.contains("| high | `oppie_instance.app` | deleted outside Terraform |"), "{text}");
        assert!(!text.contains("0.0.0.0/0"), "values stay out of the issue: {text}");
        let done = body("envs/dev", &[]);
        assert!(done.contains("No drift left in `envs/dev`"), "{done}");
    }

    #[test]
    fn repositories_are_checked_and_the_token_goes_only_over_https() {
        assert!(Issues::new("acme/infra", "https://api.github.com", "t".into()).is_ok());
        assert!(Issues::new("acme", "https://api.github.com", "t".into()).is_err());
        let e = Issues::new("acme/infra", "http://github.example.com/api/v3", "secret".into()).unwrap_err();
        assert!(e.to_string().contains("use https://") && !e.to_string().contains("secret"), "{e}");
    }
}
