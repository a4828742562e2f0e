//! Port mappings in short syntax (`[IP:][HOST:]CONTAINER[/PROTOCOL]`, ranges, IPv6 in
//! brackets) and long syntax, expanded to one entry per container port.

use super::context::{Ctx, index, join};
use super::model::Port;
use super::yaml::{Node, Value};

/// Why a port entry is invalid.
#[derive(Debug, Clone, PartialEq)]
pub struct PortError {
    pub message: String,
    pub hint: Option<String>,
}

fn err(message: String) -> PortError {
    PortError {
        message,
        hint: None,
    }
}

fn range_err(p: &str) -> PortError {
    PortError {
        message: format!("invalid port \"{p}\": port must be between 1 and 65535"),
        hint: Some("ports are written [HOST_IP:][HOST_PORT:]CONTAINER_PORT[/PROTOCOL], each port from 1 to 65535".into()),
    }
}

fn port_number(p: &str) -> Result<u16, PortError> {
    if p.is_empty() || !p.chars().all(|c| c.is_ascii_digit()) {
        return Err(PortError {
            message: format!("invalid port \"{p}\": not a number"),
            hint: Some("ports are written [HOST_IP:][HOST_PORT:]CONTAINER_PORT[/PROTOCOL]".into()),
        });
    }
    match p.parse::<u32>() {
        Ok(n) if (1..=65535).contains(&n) => Ok(n as u16),
        _ => Err(range_err(p)),
    }
}

/// `8000` or `8000-8010`, as an inclusive range.
fn port_range(p: &str) -> Result<(u16, u16), PortError> {
    match p.split_once('-') {
        Some((a, b)) => {
            let (a, b) = (port_number(a)?, port_number(b)?);
            if b < a {
                return Err(err(format!(
                    "invalid port range \"{p}\": the end is before the start"
                )));
            }
            Ok((a, b))
        }
        None => {
            let n = port_number(p)?;
            Ok((n, n))
        }
    }
}

pub fn protocol_ok(p: &str) -> bool {
    matches!(p, "tcp" | "udp" | "sctp")
}

/// Parses one short-syntax entry.
pub fn parse_short(spec: &str) -> Result<Vec<Port>, PortError> {
    let spec = spec.trim();
    let (body, protocol) = match spec.rsplit_once('/') {
        Some((b, p)) => {
            if !protocol_ok(p) {
                return Err(err(format!(
                    "invalid protocol \"{p}\": use tcp, udp or sctp"
                )));
            }
            (b, p.to_string())
        }
        None => (spec, "tcp".to_string()),
    };
    let (host_ip, rest) = if let Some(stripped) = body.strip_prefix('[') {
        let Some((ip, after)) = stripped.split_once(']') else {
            return Err(err(format!(
                "invalid port \"{spec}\": unclosed [ in the host IP"
            )));
        };
        let Some(after) = after.strip_prefix(':') else {
            return Err(err(format!(
                "invalid port \"{spec}\": expected : after the host IP"
            )));
        };
        (Some(ip.to_string()), after)
    } else {
        let parts: Vec<&str> = body.split(':').collect();
        match parts.len() {
            1 | 2 => (None, body),
            3 => (Some(parts[0].to_string()), &body[parts[0].len() + 1..]),
            _ => {
                return Err(PortError {
                    message: format!("invalid port \"{spec}\": too many colons"),
                    hint: Some("write IPv6 host addresses in brackets: \"[::1]:8080:80\"".into()),
                });
            }
        }
    };
    // An empty host IP (`":8080:80"`, often `"${BIND:-}:8080:80"`) means every interface,
    // as compose reads it.
    let host_ip = host_ip.filter(|ip| !ip.is_empty());
    let (host, container) = match rest.rsplit_once(':') {
        Some((h, c)) => (Some(h), c),
        None => (None, rest),
    };
    if host_ip.is_some() && rest.matches(':').count() > 1 {
        return Err(err(format!("invalid port \"{spec}\": too many colons")));
    }
    let (c1, c2) = port_range(container)?;
    let host = host.filter(|h| !h.is_empty());
    let mut out = Vec::new();
    let make = |target: u16, published: Option<String>| Port {
        target,
        published,
        host_ip: host_ip.clone(),
        protocol: protocol.clone(),
        mode: None,
        name: None,
    };
    match host {
        None => {
            for t in c1..=c2 {
                out.push(make(t, None));
            }
        }
        Some(h) => {
            let (h1, h2) = port_range(h)?;
            if c1 == c2 {
                let published = if h1 == h2 {
                    h1.to_string()
                } else {
                    format!("{h1}-{h2}")
                };
                out.push(make(c1, Some(published)));
            } else if h2 - h1 == c2 - c1 {
                for (t, p) in (c1..=c2).zip(h1..=h2) {
                    out.push(make(t, Some(p.to_string())));
                }
            } else {
                return Err(err(format!(
                    "invalid port \"{spec}\": the host range and the container range differ in size"
                )));
            }
        }
    }
    Ok(out)
}

impl Ctx {
    /// Reads `ports:`.
    pub fn ports(&mut self, node: &Node, path: &str) -> Vec<Port> {
        let items = self.items(node, path);
        let mut out = Vec::new();
        for (i, item) in items.iter().enumerate() {
            let p = index(path, i);
            match &item.value {
                Value::Scalar(s) => match parse_short(s) {
                    Ok(ports) => out.extend(ports),
                    Err(e) => match e.hint {
                        Some(h) => self.error_hint(item.pos, &p, e.message, h),
                        None => self.error(item.pos, &p, e.message),
                    },
                },
                Value::Map(entries) => {
                    let mut port = Port {
                        protocol: "tcp".into(),
                        ..Port::default()
                    };
                    let mut has_target = false;
                    for (k, v) in entries {
                        let kp = join(&p, &k.name);
                        match k.name.as_str() {
                            "target" => {
                                if let Some(s) = self.string(v, &kp) {
                                    match port_number(&s) {
                                        Ok(n) => {
                                            port.target = n;
                                            has_target = true;
                                        }
                                        Err(e) => self.error(v.pos, &kp, e.message),
                                    }
                                }
                            }
                            "published" => {
                                if let Some(s) = self.string(v, &kp) {
                                    match port_range(&s) {
                                        Ok(_) => port.published = Some(s),
                                        Err(e) => self.error(v.pos, &kp, e.message),
                                    }
                                }
                            }
                            "host_ip" => port.host_ip = self.string(v, &kp),
                            "protocol" => {
                                if let Some(s) = self.string(v, &kp) {
                                    if protocol_ok(&s) {
                                        port.protocol = s;
                                    } else {
                                        self.error(
                                            v.pos,
                                            &kp,
                                            format!(
                                                "invalid protocol \"{s}\": use tcp, udp or sctp"
                                            ),
                                        );
                                    }
                                }
                            }
                            "mode" => {
                                if let Some(s) = self.string(v, &kp) {
                                    if matches!(s.as_str(), "host" | "ingress") {
                                        port.mode = Some(s);
                                    } else {
                                        self.error(
                                            v.pos,
                                            &kp,
                                            format!(
                                                "invalid port mode \"{s}\": use host or ingress"
                                            ),
                                        );
                                    }
                                }
                            }
                            "name" => port.name = self.string(v, &kp),
                            other => self.ignored("port", other),
                        }
                    }
                    if has_target {
                        out.push(port);
                    } else {
                        self.error(item.pos, &p, "a port in long syntax needs a target");
                    }
                }
                _ => self.error(
                    item.pos,
                    &p,
                    format!("must be a string or a mapping, found {}", item.kind_name()),
                ),
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn one(s: &str) -> Port {
        let mut v = parse_short(s).expect("valid");
        assert_eq!(v.len(), 1);
        v.remove(0)
    }

    #[test]
    fn short_forms() {
        let p = one("3000");
        assert_eq!((p.target, p.published.as_deref()), (3000, None));
        let p = one("8080:80/udp");
        assert_eq!(
            (p.target, p.published.as_deref(), p.protocol.as_str()),
            (80, Some("8080"), "udp")
        );
        let p = one("127.0.0.1:8080:80");
        assert_eq!(p.host_ip.as_deref(), Some("127.0.0.1"));
        let p = one("127.0.0.1::80");
        assert_eq!(p.published, None);
        // An empty host IP is every interface, as compose reads `"${BIND:-}:443:443"`.
        let p = one(":443:443");
        assert_eq!((p.host_ip, p.published.as_deref()), (None, Some("443")));
        let p = one("[::1]:6000:6001");
        assert_eq!(p.host_ip.as_deref(), Some("::1"));
        let p = one("9090-9091:8080");
        assert_eq!(p.published.as_deref(), Some("9090-9091"));
        let v = parse_short("8000-8002:9000-9002").expect("range");
        assert_eq!(v.len(), 3);
        assert_eq!(
            (v[2].target, v[2].published.as_deref()),
            (9002, Some("8002"))
        );
    }

    #[test]
    fn bad_forms() {
        assert!(
            parse_short("70000:80")
                .expect_err("range")
                .message
                .contains("between 1 and 65535")
        );
        assert!(parse_short("80/xyz").is_err());
        assert!(parse_short("8000-8001:9000-9005").is_err());
        assert!(parse_short("a:b").is_err());
        assert!(parse_short("1:2:3:4").is_err());
    }
}
