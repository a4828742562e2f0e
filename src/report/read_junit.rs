//! Reading the JUnit XML files a test run wrote, in the dialects test tools write: a root
//! `<testsuites>` or a bare `<testsuite>`, suites nested in suites, surefire's, pytest's and
//! JUnit 5's extra attributes and elements. What the Jenkins schema does not allow is left out
//! here, so the merged report stays valid.

use std::time::Duration;

use quick_xml::XmlVersion;
use quick_xml::escape::resolve_predefined_entity;
use quick_xml::events::{BytesStart, Event};

use super::errors::JunitReadError;
use super::suite::{Case, Problem, ProblemKind, Suite};

/// One element of the document: enough of a tree to read JUnit.
#[derive(Debug, Default)]
struct Element {
    name: String,
    attributes: Vec<(String, String)>,
    children: Vec<Element>,
    text: String,
    line: usize,
}

impl Element {
    fn attribute(&self, name: &str) -> Option<&str> {
        self.attributes
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    fn children_named<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a Element> {
        self.children.iter().filter(move |c| c.name == name)
    }
}

/// The test suites of the JUnit document `xml`, read from `file` (named in errors). Every
/// suite nested in another comes out as a suite of its own, keeping its name.
pub fn read_junit(xml: &str, file: &str) -> Result<Vec<Suite>, JunitReadError> {
    let root = parse(xml, file)?;
    let mut suites = Vec::new();
    match root.name.as_str() {
        "testsuites" => read_suites(&root, file, &mut suites),
        "testsuite" => read_suite(&root, file, &mut suites),
        other => {
            return Err(JunitReadError::NotJunit {
                file: file.to_string(),
                root: other.to_string(),
            });
        }
    }
    Ok(suites)
}

/// The suites under `<testsuites>`. Test cases right under it (Node's reporter writes its
/// top-level tests there) make a suite of their own, named after the file.
fn read_suites(element: &Element, file: &str, out: &mut Vec<Suite>) {
    let stray: Vec<&Element> = element.children_named("testcase").collect();
    if !stray.is_empty() {
        let mut suite = Suite::named(
            element
                .attribute("name")
                .filter(|n| !n.trim().is_empty())
                .unwrap_or_else(|| file_name(file)),
        );
        suite.cases = stray
            .into_iter()
            .map(|c| read_case(c, &suite.name))
            .collect();
        out.push(suite);
    }
    for child in &element.children {
        match child.name.as_str() {
            "testsuite" => read_suite(child, file, out),
            "testsuites" => read_suites(child, file, out),
            _ => {}
        }
    }
}

/// The suite `element`, then the suites nested in it. A suite that only holds other suites
/// is not written itself.
fn read_suite(element: &Element, file: &str, out: &mut Vec<Suite>) {
    let name = element
        .attribute("name")
        .filter(|n| !n.trim().is_empty())
        .map_or_else(|| file_name(file).to_string(), str::to_string);
    let mut suite = Suite {
        timestamp: element.attribute("timestamp").map(str::to_string),
        hostname: element.attribute("hostname").map(str::to_string),
        time: element.attribute("time").and_then(seconds),
        ..Suite::named(name)
    };
    for property in element
        .children_named("properties")
        .flat_map(|p| p.children_named("property"))
    {
        if let Some(name) = property.attribute("name") {
            // JUnit 5 writes long values as the element's text instead.
            let value = property
                .attribute("value")
                .map_or_else(|| property.text.clone(), str::to_string);
            suite.properties.push((name.to_string(), value));
        }
    }
    suite.cases = element
        .children_named("testcase")
        .map(|c| read_case(c, &suite.name))
        .collect();
    suite.system_out = joined_text(element, "system-out");
    suite.system_err = joined_text(element, "system-err");
    let nested: Vec<&Element> = element.children_named("testsuite").collect();
    if !suite.cases.is_empty() || nested.is_empty() {
        out.push(suite);
    }
    for child in nested {
        read_suite(child, file, out);
    }
}

fn read_case(element: &Element, suite: &str) -> Case {
    let name = element
        .attribute("name")
        .filter(|n| !n.is_empty())
        .map_or_else(
            || format!("testcase at line {}", element.line),
            str::to_string,
        );
    let classname = element
        .attribute("classname")
        .filter(|c| !c.is_empty())
        .unwrap_or(suite);
    let mut case = Case {
        time: element.attribute("time").and_then(seconds),
        system_out: joined_text(element, "system-out"),
        system_err: joined_text(element, "system-err"),
        ..Case::passed(name, classname)
    };
    for child in &element.children {
        let kind = match child.name.as_str() {
            "failure" => ProblemKind::Failure,
            "error" => ProblemKind::Error,
            "skipped" => {
                let body = child.text.trim_start_matches(['\n', '\r']).trim_end();
                let reason = [child.attribute("message").unwrap_or(""), body]
                    .into_iter()
                    .filter(|s| !s.is_empty())
                    .collect::<Vec<_>>()
                    .join("\n");
                case.skipped = Some(reason);
                continue;
            }
            // Reruns, flaky attempts and per-case properties have no place in the schema.
            _ => continue,
        };
        case.problems.push(Problem {
            kind,
            message: child.attribute("message").map(str::to_string),
            type_: child.attribute("type").map(str::to_string),
            text: child.text.clone(),
        });
    }
    case
}

/// The text of every child named `name`, one after the other; `None` when there is none.
fn joined_text(element: &Element, name: &str) -> Option<String> {
    let parts: Vec<&str> = element
        .children_named(name)
        .map(|c| c.text.as_str())
        .collect();
    (!parts.is_empty()).then(|| parts.concat())
}

/// `1.5`, `1,234.5` or `0,25` seconds; `None` for anything else (a blank, a negative, NaN).
fn seconds(text: &str) -> Option<Duration> {
    let text = text.trim();
    let normal = if text.contains('.') {
        text.replace(',', "")
    } else {
        text.replace(',', ".")
    };
    normal
        .parse::<f64>()
        .ok()
        .and_then(|s| Duration::try_from_secs_f64(s).ok())
}

fn file_name(file: &str) -> &str {
    file.rsplit('/').next().unwrap_or(file)
}

/// The root element of `xml` with everything under it.
fn parse(xml: &str, file: &str) -> Result<Element, JunitReadError> {
    let mut reader = quick_xml::Reader::from_str(xml);
    let line_at = |offset: u64| {
        let end = usize::try_from(offset).unwrap_or(usize::MAX).min(xml.len());
        xml.as_bytes()[..end]
            .iter()
            .filter(|&&b| b == b'\n')
            .count()
            + 1
    };
    let syntax = |reader: &quick_xml::Reader<&[u8]>, source| JunitReadError::Xml {
        file: file.to_string(),
        line: line_at(reader.error_position()),
        source,
    };
    let mut open: Vec<Element> = Vec::new();
    let mut root = None;
    loop {
        let at = reader.buffer_position();
        let event = reader.read_event().map_err(|e| syntax(&reader, e))?;
        match event {
            Event::Start(start) | Event::Empty(start) if root.is_some() => {
                return Err(JunitReadError::SecondRoot {
                    file: file.to_string(),
                    line: line_at(at),
                    element: start.local_name().as_ref().to_string(),
                });
            }
            Event::Start(start) => {
                let element = element(&start, line_at(at)).map_err(|e| syntax(&reader, e))?;
                open.push(element);
            }
            Event::Empty(start) => {
                let element = element(&start, line_at(at)).map_err(|e| syntax(&reader, e))?;
                match open.last_mut() {
                    Some(parent) => parent.children.push(element),
                    None => root = Some(element),
                }
            }
            Event::End(_) => {
                if let Some(done) = open.pop() {
                    match open.last_mut() {
                        Some(parent) => parent.children.push(done),
                        None => root = Some(done),
                    }
                }
            }
            Event::Text(text) => {
                if let Some(current) = open.last_mut() {
                    current.text.push_str(&text.xml10_content());
                }
            }
            Event::CData(data) => {
                if let Some(current) = open.last_mut() {
                    current.text.push_str(&data.xml10_content());
                }
            }
            Event::GeneralRef(reference) => {
                let resolved = match reference.resolve_char_ref() {
                    Ok(Some(c)) => Some(c.to_string()),
                    Ok(None) => resolve_predefined_entity(&reference).map(str::to_string),
                    Err(e) => return Err(syntax(&reader, e)),
                };
                if let Some(current) = open.last_mut() {
                    // An entity a DTD would define: kept as written.
                    current
                        .text
                        .push_str(&resolved.unwrap_or_else(|| format!("&{};", &*reference)));
                }
            }
            Event::Eof => break,
            Event::Comment(_) | Event::Decl(_) | Event::PI(_) | Event::DocType(_) => {}
        }
    }
    if let Some(unclosed) = open.last() {
        return Err(JunitReadError::Unclosed {
            file: file.to_string(),
            line: unclosed.line,
            element: unclosed.name.clone(),
        });
    }
    root.ok_or_else(|| JunitReadError::Empty {
        file: file.to_string(),
    })
}

fn element(start: &BytesStart<'_>, line: usize) -> Result<Element, quick_xml::Error> {
    let mut attributes = Vec::new();
    for attribute in start.attributes() {
        let attribute = attribute?;
        let value = attribute.normalized_value(XmlVersion::Implicit1_0)?;
        attributes.push((
            attribute.key.local_name().as_ref().to_string(),
            value.into_owned(),
        ));
    }
    Ok(Element {
        name: start.local_name().as_ref().to_string(),
        attributes,
        line,
        ..Element::default()
    })
}

#[cfg(test)]
mod tests;
