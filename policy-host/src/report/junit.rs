//! JUnit XML for CI test viewers: a test suite per checked file and a test case per rule, which
//! fails (or errors) when the rule has findings at or above the fail level.

use std::collections::BTreeMap;

use quick_xml::Writer;
use quick_xml::events::{BytesDecl, BytesText, Event};

use super::{FileReport, Report, Status, path_text, status};
use crate::findings::Finding;

#[derive(Clone, Copy, PartialEq, Eq)]
enum Outcome {
    Pass,
    Failure,
    Error,
}

struct Case<'a> {
    classname: String,
    name: String,
    findings: Vec<&'a Finding>,
}

fn cases<'a>(report: &'a Report, file: &'a FileReport) -> Vec<Case<'a>> {
    let mut by_id: BTreeMap<&str, Case<'a>> = BTreeMap::new();
    for rule in &report.rules {
        by_id.entry(&rule.id).or_insert_with(|| Case {
            classname: rule.package.clone(),
            name: format!("{}: {}", rule.id, rule.title),
            findings: Vec::new(),
        });
    }
    for finding in &file.findings {
        by_id
            .entry(&finding.rule_id)
            .or_insert_with(|| Case {
                classname: finding.package.clone(),
                name: format!("{}: {}", finding.rule_id, finding.title),
                findings: Vec::new(),
            })
            .findings
            .push(finding);
    }
    by_id.into_values().collect()
}

fn line(finding: &Finding) -> String {
    let mut text = format!("[{}] ", finding.enforcement);
    if let Some(address) = &finding.resource {
        text.push_str(address);
        text.push_str(": ");
    }
    text.push_str(&finding.message);
    if let Some(path) = path_text(finding) {
        text.push_str(&format!(" (at {path})"));
    }
    if let Some(by) = &finding.excepted_by {
        text.push_str(&format!(" [excepted by {by}]"));
    }
    text
}

pub(super) fn render(report: &Report) -> String {
    let mut writer = Writer::new_with_indent(Vec::new(), b' ', 2);
    let written = write(report, &mut writer);
    let mut xml = match written {
        Ok(()) => String::from_utf8_lossy(&writer.into_inner()).into_owned(),
        Err(e) => format!("<!-- cannot render JUnit: {e} -->"),
    };
    xml.push('\n');
    xml
}

fn write(report: &Report, writer: &mut Writer<Vec<u8>>) -> std::io::Result<()> {
    writer.write_event(Event::Decl(BytesDecl::new("1.0", Some("UTF-8"), None)))?;
    let suites: Vec<(&FileReport, Vec<Case<'_>>)> = report.files.iter().map(|f| (f, cases(report, f))).collect();
    // A case errors when a blocking finding is an evaluation error, else fails when one is a violation.
    let outcome = |case: &Case<'_>| {
        let statuses: Vec<Status> = case.findings.iter().map(|f| status(f, report.fail_on)).collect();
        if statuses.contains(&Status::Error) {
            Outcome::Error
        } else if statuses.contains(&Status::Fail) {
            Outcome::Failure
        } else {
            Outcome::Pass
        }
    };
    let count = |cases: &[Case<'_>], wanted: Outcome| cases.iter().filter(|c| outcome(c) == wanted).count();
    let total: usize = suites.iter().map(|(_, c)| c.len()).sum();
    let failures: usize = suites.iter().map(|(_, c)| count(c, Outcome::Failure)).sum();
    let errors: usize = suites.iter().map(|(_, c)| count(c, Outcome::Error)).sum();
    writer
        .create_element("testsuites")
        .with_attribute(("name", "oppie-policy"))
        .with_attribute(("tests", total.to_string().as_str()))
        .with_attribute(("failures", failures.to_string().as_str()))
        .with_attribute(("errors", errors.to_string().as_str()))
        .with_attribute(("skipped", "0"))
        .write_inner_content(|writer| {
            for (file, cases) in &suites {
                writer
                    .create_element("testsuite")
                    .with_attribute(("name", file.path.as_str()))
                    .with_attribute(("tests", cases.len().to_string().as_str()))
                    .with_attribute(("failures", count(cases, Outcome::Failure).to_string().as_str()))
                    .with_attribute(("errors", count(cases, Outcome::Error).to_string().as_str()))
                    .with_attribute(("skipped", "0"))
                    .write_inner_content(|writer| {
                        for case in cases {
                            write_case(report, case, writer)?;
                        }
                        Ok(())
                    })?;
            }
            Ok(())
        })?;
    Ok(())
}

fn write_case(report: &Report, case: &Case<'_>, writer: &mut Writer<Vec<u8>>) -> std::io::Result<()> {
    let element = writer
        .create_element("testcase")
        .with_attribute(("classname", case.classname.as_str()))
        .with_attribute(("name", case.name.as_str()));
    if case.findings.is_empty() {
        element.write_empty()?;
        return Ok(());
    }
    let of = |wanted: &[Status]| -> Vec<&Finding> {
        case.findings.iter().copied().filter(|f| wanted.contains(&status(f, report.fail_on))).collect()
    };
    let errors = of(&[Status::Error]);
    let failures = of(&[Status::Fail]);
    let quiet = of(&[Status::Warn, Status::ErrorBelow, Status::Excepted]);
    element.write_inner_content(|writer| {
        let (tag, blocking) = if errors.is_empty() { ("failure", &failures) } else { ("error", &errors) };
        if let Some(first) = blocking.first() {
            let body: Vec<String> = errors.iter().chain(failures.iter()).map(|f| line(f)).collect();
            let message = format!("{} finding(s): {}", body.len(), first.message);
            writer
                .create_element(tag)
                .with_attribute(("message", message.as_str()))
                .with_attribute(("type", first.enforcement.as_str()))
                .write_text_content(BytesText::new(&body.join("\n")))?;
        }
        if !quiet.is_empty() {
            let body: Vec<String> = quiet.iter().map(|f| line(f)).collect();
            writer.create_element("system-out").write_text_content(BytesText::new(&body.join("\n")))?;
        }
        Ok(())
    })?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::super::fixtures::report;
    use super::*;
    use quick_xml::Reader;
    use quick_xml::events::Event;

    /// Parses the XML back and collects (element, attributes) pairs: proves well-formedness.
    fn elements(xml: &str) -> Vec<(String, BTreeMap<String, String>)> {
        let mut reader = Reader::from_str(xml);
        let mut out = Vec::new();
        loop {
            match reader.read_event().unwrap() {
                Event::Start(e) | Event::Empty(e) => {
                    let name = e.name().as_ref().to_string();
                    let attrs = e
                        .attributes()
                        .map(|a| {
                            let a = a.unwrap();
                            (
                                a.key.as_ref().to_string(),
                                a.normalized_value(quick_xml::XmlVersion::Explicit1_0).unwrap().into_owned(),
                            )
                        })
                        .collect();
                    out.push((name, attrs));
                }
                Event::Eof => break,
                _ => {}
            }
        }
        out
    }

    #[test]
    fn one_case_per_rule_failing_when_blocking() {
        let xml = render(&report());
        assert!(xml.starts_with("<?xml version=\"1.0\" encoding=\"UTF-8\"?>"));
        let elements = elements(&xml);
        let root = &elements[0];
        assert_eq!(root.0, "testsuites");
        assert_eq!(root.1["tests"], "4");
        assert_eq!(root.1["failures"], "1");
        assert_eq!(root.1["errors"], "1");
        let suite = &elements[1];
        assert_eq!(suite.1["name"], "plans/plan one.json");
        let cases: Vec<_> = elements.iter().filter(|(n, _)| n == "testcase").collect();
        assert_eq!(cases.len(), 4);
        assert_eq!(cases[0].1["name"], "OPPIE-1: Title of OPPIE-1");
        assert_eq!(cases[0].1["classname"], "oppie.test");
        let tags: Vec<&str> = elements.iter().map(|(n, _)| n.as_str()).collect();
        assert_eq!(
            tags,
            [
                "testsuites",
                "testsuite",
                "testcase",
                "failure",
                "system-out",
                "testcase",
                "error",
                "testcase",
                "system-out",
                "testcase"
            ]
        );
        assert!(xml.contains("port 22 open to &lt;world&gt; &amp; &quot;friends&quot;"), "{xml}");
    }
}
