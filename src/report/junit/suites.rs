//! The tests' own suites in the JUnit document, in the shape the Jenkins schema allows:
//! `<skipped>` holds its reason as text, errors come before failures, counts are recounted.

use std::io;

use quick_xml::Writer;

use super::seconds;
use crate::report::suite::{Case, ProblemKind, Suite};
use crate::report::xml::{attribute, text};

/// Writes `suite` as one `<testsuite>`.
pub(super) fn write_suite<W: io::Write>(writer: &mut Writer<W>, suite: &Suite) -> io::Result<()> {
    let tests = suite.cases.len().to_string();
    let failures = suite.failures().to_string();
    let errors = suite.errors().to_string();
    let skipped = suite.skipped().to_string();
    let time = seconds(suite.total_time());
    let mut attributes = vec![
        attribute("name", &suite.name),
        attribute("tests", &tests),
        attribute("failures", &failures),
        attribute("errors", &errors),
        attribute("skipped", &skipped),
        attribute("time", &time),
    ];
    if let Some(timestamp) = &suite.timestamp {
        attributes.push(attribute("timestamp", timestamp));
    }
    if let Some(hostname) = &suite.hostname {
        attributes.push(attribute("hostname", hostname));
    }
    writer
        .create_element("testsuite")
        .with_attributes(attributes)
        .write_inner_content(|writer| {
            if !suite.properties.is_empty() {
                writer
                    .create_element("properties")
                    .write_inner_content(|writer| {
                        for (name, value) in &suite.properties {
                            writer
                                .create_element("property")
                                .with_attributes([
                                    attribute("name", name),
                                    attribute("value", value),
                                ])
                                .write_empty()?;
                        }
                        Ok(())
                    })?;
            }
            for case in &suite.cases {
                write_case(writer, case)?;
            }
            write_output(writer, "system-out", suite.system_out.as_deref())?;
            write_output(writer, "system-err", suite.system_err.as_deref())
        })?;
    Ok(())
}

fn write_case<W: io::Write>(writer: &mut Writer<W>, case: &Case) -> io::Result<()> {
    let time = case.time.map(seconds);
    let mut attributes = vec![attribute("name", &case.name)];
    if let Some(classname) = &case.classname {
        attributes.push(attribute("classname", classname));
    }
    if let Some(time) = &time {
        attributes.push(attribute("time", time));
    }
    let element = writer
        .create_element("testcase")
        .with_attributes(attributes);
    let empty = case.skipped.is_none()
        && case.problems.is_empty()
        && case.system_out.is_none()
        && case.system_err.is_none();
    if empty {
        element.write_empty()?;
        return Ok(());
    }
    element.write_inner_content(|writer| {
        if let Some(reason) = &case.skipped {
            writer
                .create_element("skipped")
                .write_text_content(text(reason))?;
        }
        // The schema wants every <error> before the first <failure>.
        for kind in [ProblemKind::Error, ProblemKind::Failure] {
            for problem in case.problems.iter().filter(|p| p.kind == kind) {
                let name = match kind {
                    ProblemKind::Error => "error",
                    ProblemKind::Failure => "failure",
                };
                let mut attributes = Vec::new();
                if let Some(message) = &problem.message {
                    attributes.push(attribute("message", message));
                }
                if let Some(type_) = &problem.type_ {
                    attributes.push(attribute("type", type_));
                }
                writer
                    .create_element(name)
                    .with_attributes(attributes)
                    .write_text_content(text(&problem.text))?;
            }
        }
        write_output(writer, "system-out", case.system_out.as_deref())?;
        write_output(writer, "system-err", case.system_err.as_deref())
    })?;
    Ok(())
}

fn write_output<W: io::Write>(
    writer: &mut Writer<W>,
    name: &str,
    content: Option<&str>,
) -> io::Result<()> {
    if let Some(content) = content {
        writer
            .create_element(name)
            .write_text_content(text(content))?;
    }
    Ok(())
}
