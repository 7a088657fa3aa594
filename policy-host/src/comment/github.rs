//! GitHub's REST API for the pull-request comment: list the issue comments of a pull request
//! (following `Link: rel="next"`), then update ours in place or create it. The same client keeps
//! `oppie drift --github-issue`'s one issue per working directory (list, create, update, close).

use std::time::Duration;

use reqwest::header::{ACCEPT, AUTHORIZATION, HeaderMap, HeaderValue, LINK, USER_AGENT};
use reqwest::{Method, StatusCode, Url};
use serde::Deserialize;

use super::is_ours;

/// The REST API version the requests are written against.
pub const API_VERSION: &str = "2022-11-28";
/// Pages of comments read at most (100 each) before giving up on finding ours.
const MAX_PAGES: usize = 200;

/// What went wrong talking to GitHub; each says what to change. Never holds the token.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The API URL is not usable.
    #[error("{0}")]
    Url(String),
    /// The request did not get an answer.
    #[error("{what}: {cause}")]
    Transport {
        /// The request.
        what: String,
        /// Why (connection refused, timeout, TLS).
        cause: String,
    },
    /// GitHub answered with an error status.
    #[error("{what}: GitHub answered {status}{message}. {hint}")]
    Status {
        /// The request.
        what: String,
        /// The HTTP status.
        status: StatusCode,
        /// GitHub's `message`, as `: "..."`, if any.
        message: String,
        /// What to change.
        hint: String,
    },
    /// The answer was not what the API documents.
    #[error("{what}: unexpected answer from GitHub: {cause}")]
    Answer {
        /// The request.
        what: String,
        /// What did not fit.
        cause: String,
    },
}

/// A pull request: `owner/name` and its number.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PullRequest {
    /// `owner/name`.
    pub repo: String,
    /// The pull request (issue) number.
    pub number: u64,
}

impl PullRequest {
    /// Checks `owner/name` (letters, digits, `-`, `_`, `.`) so it can go into a URL path as is.
    pub fn new(repo: &str, number: u64) -> Result<Self, Error> {
        check_repo(repo, "--repo")?;
        if number == 0 {
            return Err(Error::Url("--pr must be a pull request number (1 or more)".into()));
        }
        Ok(Self { repo: repo.to_string(), number })
    }
}

/// Checks `owner/name` (letters, digits, `-`, `_`, `.`) so it can go into a URL path as is; `flag`
/// names where it came from.
pub fn check_repo(repo: &str, flag: &str) -> Result<(), Error> {
    let valid = |part: &str| {
        !part.is_empty()
            && part != "."
            && part != ".."
            && part.chars().all(|c| c.is_ascii_alphanumeric() || "-_.".contains(c))
    };
    match repo.split_once('/') {
        Some((owner, name)) if valid(owner) && valid(name) => Ok(()),
        _ => Err(Error::Url(format!("{flag} {repo:?} is not OWNER/NAME (as in GITHUB_REPOSITORY)"))),
    }
}

/// What a request is about, for the hints of its errors.
#[derive(Debug, Clone, Copy)]
enum Subject<'a> {
    /// `oppie-policy comment --repo R --pr N`.
    PullRequest(&'a PullRequest),
    /// The issues of `repo`, named by `flag` (`--github-issue`).
    Issues { repo: &'a str, flag: &'a str },
}

impl Subject<'_> {
    fn repo(&self) -> &str {
        match self {
            Subject::PullRequest(pr) => &pr.repo,
            Subject::Issues { repo, .. } => repo,
        }
    }
}

/// An issue, as [`Client::find_issue`], [`Client::create_issue`] and [`Client::update_issue`]
/// give it.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct Issue {
    /// Its number.
    pub number: u64,
    /// Its page.
    #[serde(default)]
    pub html_url: String,
    /// `open` or `closed`.
    pub state: String,
    /// Its body.
    #[serde(default)]
    pub body: Option<String>,
    /// Present on pull requests (the issues list holds them too).
    #[serde(default)]
    pull_request: Option<serde_json::Value>,
}

/// What [`Client::upsert_comment`] did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Upserted {
    /// The comment's id.
    pub id: u64,
    /// Its page, as GitHub gives it.
    pub html_url: String,
    /// `true` when it was created, `false` when an existing one was updated.
    pub created: bool,
}

/// The issue-comment fields we read.
#[derive(Debug, Deserialize)]
struct Comment {
    id: u64,
    #[serde(default)]
    body: Option<String>,
    #[serde(default)]
    html_url: String,
}

/// A client for one API base URL and token (its `Debug` leaves the token out).
#[derive(Debug)]
pub struct Client {
    http: reqwest::Client,
    api: Url,
    token: Token,
}

/// The token, kept out of `Debug` and every message.
struct Token(String);

impl std::fmt::Debug for Token {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Token(<redacted>)")
    }
}

impl Client {
    /// A client for `api_url` (`https://api.github.com`, or GitHub Enterprise's
    /// `https://HOST/api/v3`). The token goes only over HTTPS, or plain HTTP to this machine.
    pub fn new(api_url: &str, token: String) -> Result<Self, Error> {
        let mut api =
            Url::parse(api_url.trim()).map_err(|e| Error::Url(format!("--api-url {api_url:?} is not a URL: {e}")))?;
        match api.scheme() {
            "https" => {}
            "http" if crate::net::is_loopback(&api) => {}
            "http" => {
                return Err(Error::Url(format!(
                    "--api-url {api_url} is plain HTTP, and the token is only sent over HTTPS (or to a loopback address on this machine): use https://"
                )));
            }
            other => return Err(Error::Url(format!("--api-url {api_url}: scheme {other:?} is not http or https"))),
        }
        if !api.path().ends_with('/') {
            let path = format!("{}/", api.path());
            api.set_path(&path);
        }
        if token.trim().is_empty() {
            return Err(Error::Url("GITHUB_TOKEN is empty".into()));
        }
        let mut headers = HeaderMap::new();
        headers.insert(ACCEPT, HeaderValue::from_static("application/vnd.github+json"));
        headers.insert("X-GitHub-Api-Version", HeaderValue::from_static(API_VERSION));
        headers.insert(
            USER_AGENT,
            HeaderValue::from_static(concat!(
                "oppie-policy/",
                env!("CARGO_PKG_VERSION"),
                " (+https://github.com/oppie/oppie)"
            )),
        );
        let http = reqwest::Client::builder()
            .default_headers(headers)
            .timeout(Duration::from_secs(30))
            .connect_timeout(Duration::from_secs(10))
            // A redirect could carry the Authorization header elsewhere: GitHub's API answers
            // moved repositories with 301, which we report instead.
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .map_err(|e| Error::Url(format!("cannot set up the HTTP client: {e}")))?;
        Ok(Self { http, api, token: Token(token.trim().to_string()) })
    }

    /// Creates our comment on the pull request, or updates the one already there (the first
    /// comment whose first line is the marker).
    pub async fn upsert_comment(&self, pr: &PullRequest, body: &str) -> Result<Upserted, Error> {
        let payload = serde_json::json!({ "body": body });
        match self.find_comment(pr).await? {
            Some(id) => {
                let url = self.url(&format!("repos/{}/issues/comments/{id}", pr.repo))?;
                let what = format!("updating comment {id} on {}#{}", pr.repo, pr.number);
                let (comment, _) =
                    self.send::<Comment>(Method::PATCH, url, Some(&payload), &what, Subject::PullRequest(pr)).await?;
                Ok(Upserted { id: comment.id, html_url: comment.html_url, created: false })
            }
            None => {
                let url = self.url(&format!("repos/{}/issues/{}/comments", pr.repo, pr.number))?;
                let what = format!("creating a comment on {}#{}", pr.repo, pr.number);
                let (comment, _) =
                    self.send::<Comment>(Method::POST, url, Some(&payload), &what, Subject::PullRequest(pr)).await?;
                Ok(Upserted { id: comment.id, html_url: comment.html_url, created: true })
            }
        }
    }

    /// The id of our comment on the pull request, reading every page of its comments.
    pub async fn find_comment(&self, pr: &PullRequest) -> Result<Option<u64>, Error> {
        let mut next = Some(self.url(&format!("repos/{}/issues/{}/comments?per_page=100", pr.repo, pr.number))?);
        let mut pages = 0;
        while let Some(url) = next.take() {
            pages += 1;
            if pages > MAX_PAGES {
                return Err(Error::Answer {
                    what: format!("listing the comments of {}#{}", pr.repo, pr.number),
                    cause: format!("more than {MAX_PAGES} pages of comments"),
                });
            }
            let what = format!("listing the comments of {}#{} (page {pages})", pr.repo, pr.number);
            let (comments, headers) =
                self.send::<Vec<Comment>>(Method::GET, url, None, &what, Subject::PullRequest(pr)).await?;
            if let Some(ours) = comments.iter().find(|c| c.body.as_deref().is_some_and(is_ours)) {
                return Ok(Some(ours.id));
            }
            if let Some(link) = headers.get(LINK).and_then(|v| v.to_str().ok()) {
                next = next_link(link).map(|href| self.same_origin(href, &what)).transpose()?;
            }
        }
        Ok(None)
    }

    /// The issue of `repo` labelled `label` (open or closed) whose body `is_ours` accepts, reading
    /// every page of such issues; an open one before a closed one. `flag` names the option that
    /// gave `repo`, for the hints of errors.
    pub async fn find_issue(
        &self,
        repo: &str,
        flag: &str,
        label: &str,
        is_ours: impl Fn(&str) -> bool,
    ) -> Result<Option<Issue>, Error> {
        check_repo(repo, flag)?;
        let subject = Subject::Issues { repo, flag };
        let mut next = Some(self.url(&format!("repos/{repo}/issues"))?);
        if let Some(url) = next.as_mut() {
            url.query_pairs_mut()
                .append_pair("state", "all")
                .append_pair("labels", label)
                .append_pair("per_page", "100");
        }
        let mut found: Option<Issue> = None;
        let mut pages = 0;
        while let Some(url) = next.take() {
            pages += 1;
            let what = format!("listing the issues of {repo} labelled {label} (page {pages})");
            if pages > MAX_PAGES {
                return Err(Error::Answer { what, cause: format!("more than {MAX_PAGES} pages of issues") });
            }
            let (issues, headers) = self.send::<Vec<Issue>>(Method::GET, url, None, &what, subject).await?;
            for issue in issues {
                if issue.pull_request.is_none() && issue.body.as_deref().is_some_and(&is_ours) {
                    if issue.state == "open" {
                        return Ok(Some(issue));
                    }
                    found.get_or_insert(issue);
                }
            }
            if let Some(link) = headers.get(LINK).and_then(|v| v.to_str().ok()) {
                next = next_link(link).map(|href| self.same_origin(href, &what)).transpose()?;
            }
        }
        Ok(found)
    }

    /// Opens an issue on `repo` with `labels`.
    pub async fn create_issue(
        &self,
        repo: &str,
        flag: &str,
        title: &str,
        body: &str,
        labels: &[&str],
    ) -> Result<Issue, Error> {
        check_repo(repo, flag)?;
        let url = self.url(&format!("repos/{repo}/issues"))?;
        let payload = serde_json::json!({ "title": title, "body": body, "labels": labels });
        let what = format!("opening an issue on {repo}");
        Ok(self.send::<Issue>(Method::POST, url, Some(&payload), &what, Subject::Issues { repo, flag }).await?.0)
    }

    /// Sets the body of issue `number` and, when given, its state (`open`, or `closed` as completed).
    pub async fn update_issue(
        &self,
        repo: &str,
        flag: &str,
        number: u64,
        body: &str,
        state: Option<&str>,
    ) -> Result<Issue, Error> {
        check_repo(repo, flag)?;
        let url = self.url(&format!("repos/{repo}/issues/{number}"))?;
        let mut payload = serde_json::json!({ "body": body });
        match state {
            Some("closed") => {
                payload["state"] = "closed".into();
                payload["state_reason"] = "completed".into();
            }
            Some(other) => payload["state"] = other.into(),
            None => {}
        }
        let what = format!("updating issue {repo}#{number}");
        Ok(self.send::<Issue>(Method::PATCH, url, Some(&payload), &what, Subject::Issues { repo, flag }).await?.0)
    }

    /// `path` under the API base URL.
    fn url(&self, path: &str) -> Result<Url, Error> {
        self.api.join(path).map_err(|e| Error::Url(format!("cannot form the API URL for {path}: {e}")))
    }

    /// A `next` link, only if it stays on the API's scheme, host and port (the token goes with it).
    fn same_origin(&self, href: &str, what: &str) -> Result<Url, Error> {
        let url = self
            .api
            .join(href)
            .map_err(|e| Error::Answer { what: what.into(), cause: format!("bad next link: {e}") })?;
        if url.origin() != self.api.origin() {
            return Err(Error::Answer {
                what: what.into(),
                cause: format!(
                    "the next page is on another host ({}), where the token is not sent",
                    url.origin().ascii_serialization()
                ),
            });
        }
        Ok(url)
    }

    async fn send<T: serde::de::DeserializeOwned>(
        &self,
        method: Method,
        url: Url,
        body: Option<&serde_json::Value>,
        what: &str,
        subject: Subject<'_>,
    ) -> Result<(T, HeaderMap), Error> {
        tracing::debug!("{method} {url}");
        let mut request = self.http.request(method, url).header(AUTHORIZATION, format!("Bearer {}", self.token.0));
        if let Some(body) = body {
            request = request.json(body);
        }
        let response = request.send().await.map_err(|e| Error::Transport { what: what.into(), cause: cause(&e) })?;
        let status = response.status();
        let headers = response.headers().clone();
        let text = response.text().await.map_err(|e| Error::Transport { what: what.into(), cause: cause(&e) })?;
        if !status.is_success() {
            return Err(status_error(what, status, &headers, &text, subject));
        }
        let value =
            serde_json::from_str(&text).map_err(|e| Error::Answer { what: what.into(), cause: e.to_string() })?;
        Ok((value, headers))
    }
}

/// The error for a failed answer, with what to change.
fn status_error(what: &str, status: StatusCode, headers: &HeaderMap, text: &str, subject: Subject<'_>) -> Error {
    let message = serde_json::from_str::<serde_json::Value>(text)
        .ok()
        .and_then(|v| {
            v.get("message")
                .and_then(|m| m.as_str())
                .map(|m| format!(": \"{}\"", m.chars().take(300).collect::<String>()))
        })
        .unwrap_or_default();
    let header = |name: &str| headers.get(name).and_then(|v| v.to_str().ok());
    let rate_limited = status == StatusCode::TOO_MANY_REQUESTS
        || (status == StatusCode::FORBIDDEN
            && (header("x-ratelimit-remaining") == Some("0") || header("retry-after").is_some()));
    let hint = if rate_limited {
        let when = match (header("retry-after"), header("x-ratelimit-reset")) {
            (Some(seconds), _) => format!("retry after {seconds} s"),
            (None, Some(reset)) => format!("the limit resets at Unix time {reset}"),
            _ => "wait a few minutes".into(),
        };
        format!("Rate limited: {when}, or run fewer jobs that use this token.")
    } else {
        match (status.as_u16(), subject) {
            (401, _) => "The token was refused: set GITHUB_TOKEN to a valid token (in a workflow, `env: GITHUB_TOKEN: ${{ github.token }}`).".into(),
            (403, Subject::PullRequest(_)) => "The token may not write comments here: give the job `permissions: pull-requests: write` (a pull request from a fork gets a read-only token; run the comment from a `pull_request_target` or `workflow_run` job), or use a token with the `repo` scope.".into(),
            (403, Subject::Issues { .. }) => "The token may not write issues here: give the job `permissions: issues: write`, or use a token with the `repo` scope.".into(),
            (404, Subject::PullRequest(pr)) => format!("Check --repo {} and --pr {}: the repository or pull request does not exist, or the token cannot see it (a private repository needs a token with access).", pr.repo, pr.number),
            (404, Subject::Issues { repo, flag }) => format!("Check {flag} {repo}: the repository or issue does not exist, or the token cannot see it (a private repository needs a token with access)."),
            (301 | 302 | 307 | 308, Subject::PullRequest(pr)) => format!("The repository {} has moved or been renamed: use its new OWNER/NAME in --repo.", pr.repo),
            (301 | 302 | 307 | 308, Subject::Issues { flag, .. }) => format!("The repository {} has moved or been renamed: use its new OWNER/NAME in {flag}.", subject.repo()),
            (410, _) => "Issues (and so pull-request comments) are turned off for this repository.".into(),
            (422, Subject::PullRequest(_)) => "GitHub refused the comment as invalid (for example longer than 65,536 characters).".into(),
            (422, Subject::Issues { .. }) => "GitHub refused the issue as invalid (for example a body longer than 65,536 characters).".into(),
            (s, _) if s >= 500 => "GitHub had a server error: run the job again.".into(),
            (_, Subject::PullRequest(_)) => "See https://docs.github.com/rest/issues/comments.".into(),
            (_, Subject::Issues { .. }) => "See https://docs.github.com/rest/issues/issues.".into(),
        }
    };
    Error::Status { what: what.into(), status, message, hint }
}

/// The `rel="next"` target of a `Link` header.
fn next_link(header: &str) -> Option<&str> {
    header.split(',').find_map(|part| {
        let (target, params) = part.split_once(';')?;
        let target = target.trim().strip_prefix('<')?.strip_suffix('>')?;
        params
            .split(';')
            .any(|p| {
                let p = p.trim();
                p == "rel=\"next\""
                    || p == "rel=next"
                    || p.strip_prefix("rel=\"").is_some_and(|r| r.trim_end_matches('"').split(' ').any(|r| r == "next"))
            })
            .then_some(target)
    })
}

/// A transport error with its causes (reqwest's own text is only the outermost).
fn cause(error: &reqwest::Error) -> String {
    let mut text = error.to_string();
    let mut source = std::error::Error::source(error);
    while let Some(s) = source {
        text.push_str(": ");
        text.push_str(&s.to_string());
        source = s.source();
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn next_links_are_found() {
        let header = r#"<https://api.github.com/repositories/1/issues/2/comments?per_page=100&page=2>; rel="next", <https://api.github.com/repositories/1/issues/2/comments?per_page=100&page=5>; rel="last""#;
        assert_eq!(
            next_link(header),
            Some("https://api.github.com/repositories/1/issues/2/comments?per_page=100&page=2")
        );
        assert_eq!(next_link(r#"<https://x/?page=1>; rel="prev", <https://x/?page=1>; rel="first""#), None);
        assert_eq!(next_link(""), None);
        assert_eq!(next_link("garbage; rel=\"next\""), None);
    }

    #[test]
    fn the_token_goes_only_over_https_or_to_this_machine() {
        assert!(Client::new("https://api.github.com", "t".into()).is_ok());
        assert!(Client::new("http://127.0.0.1:8080/", "t".into()).is_ok());
        assert!(Client::new("http://localhost:8080/api/v3", "t".into()).is_ok());
        let error = Client::new("http://github.example.com/api/v3", "t".into()).unwrap_err().to_string();
        assert!(error.contains("plain HTTP") && error.contains("use https://"), "{error}");
        assert!(Client::new("ftp://x", "t".into()).is_err());
        assert!(Client::new("https://api.github.com", " ".into()).is_err());
        let client = Client::new("https://ghe.example.com/api/v3", "secret-token".into()).unwrap();
        assert_eq!(client.url("repos/o/r").unwrap().as_str(), "https://ghe.example.com/api/v3/repos/o/r");
        assert!(!format!("{:?}", client.token).contains("secret-token"));
        assert!(client.same_origin("https://evil.example.com/x", "listing").is_err());
        assert!(client.same_origin("https://ghe.example.com/api/v3/x?page=2", "listing").is_ok());
    }

    #[test]
    fn repositories_and_numbers_are_checked() {
        assert!(PullRequest::new("oppie/oppie", 3).is_ok());
        assert!(PullRequest::new("a.b/c-d_e", 1).is_ok());
        for bad in ["oppie", "o/r/x", "../r", "o/..", "o/r?x", "/r", "o/"] {
            assert!(PullRequest::new(bad, 1).is_err(), "{bad}");
        }
        assert!(PullRequest::new("o/r", 0).is_err());
    }

    #[test]
    fn errors_say_what_to_change() {
        let pr = PullRequest::new("o/r", 7).unwrap();
        let pr = Subject::PullRequest(&pr);
        let none = HeaderMap::new();
        let text = status_error("creating", StatusCode::UNAUTHORIZED, &none, r#"{"message":"Bad credentials"}"#, pr)
            .to_string();
        assert!(text.contains("401") && text.contains("Bad credentials") && text.contains("GITHUB_TOKEN"), "{text}");
        let text = status_error("creating", StatusCode::FORBIDDEN, &none, "{}", pr).to_string();
        assert!(text.contains("pull-requests: write"), "{text}");
        let text = status_error("listing", StatusCode::NOT_FOUND, &none, "", pr).to_string();
        assert!(text.contains("--repo o/r and --pr 7"), "{text}");
        let text =
            status_error("creating", StatusCode::UNPROCESSABLE_ENTITY, &none, r#"{"message":"Validation Failed"}"#, pr)
                .to_string();
        assert!(text.contains("Validation Failed") && text.contains("65,536"), "{text}");
        let mut limited = HeaderMap::new();
        limited.insert("x-ratelimit-remaining", HeaderValue::from_static("0"));
        limited.insert("x-ratelimit-reset", HeaderValue::from_static("1700000000"));
        let text = status_error("listing", StatusCode::FORBIDDEN, &limited, "{}", pr).to_string();
        assert!(text.contains("Rate limited") && text.contains("1700000000"), "{text}");
        let text = status_error("listing", StatusCode::TOO_MANY_REQUESTS, &none, "{}", pr).to_string();
        assert!(text.contains("Rate limited"), "{text}");
        let issues = Subject::Issues { repo: "o/r", flag: "--github-issue" };
        let text = status_error("opening", StatusCode::FORBIDDEN, &none, "{}", issues).to_string();
        assert!(text.contains("issues: write"), "{text}");
        let text = status_error("listing", StatusCode::NOT_FOUND, &none, "", issues).to_string();
        assert!(text.contains("Check --github-issue o/r"), "{text}");
    }
}
