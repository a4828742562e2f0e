//! The address at which a test reaches a service's published port: a host and a port, printed
//! as `host:port` and usable wherever std takes a socket address.

use std::fmt;
use std::net::{IpAddr, SocketAddr, ToSocketAddrs};

/// Where a container port of a service is published, as [`Stack::endpoint`] gives it.
///
/// It prints as `host:port` (`[host]:port` for an IPv6 address), and
/// `std::net::TcpStream::connect(&endpoint)` takes it as it is.
///
/// ```no_run
/// # async fn example() -> Result<(), Box<dyn std::error::Error>> {
/// let stack = dockhand::Stack::builder().file("compose/redis.yml").up().await?;
/// let cache = stack.endpoint("cache", 6379)?;
/// let url = format!("redis://{cache}/0"); // redis://127.0.0.1:49153/0
/// let socket = std::net::TcpStream::connect(&cache)?;
/// println!("{url}: host {}, port {}", cache.host(), cache.port());
/// # Ok(()) }
/// ```
///
/// [`Stack::endpoint`]: super::Stack::endpoint
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Endpoint {
    host: String,
    port: u16,
}

impl Endpoint {
    /// The address `host:port`.
    pub fn new(host: impl Into<String>, port: u16) -> Endpoint {
        Endpoint {
            host: host.into(),
            port,
        }
    }

    /// The host name or IP address (`127.0.0.1` for a local engine).
    pub fn host(&self) -> &str {
        &self.host
    }

    /// The port on the host.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// The socket address, the host name resolved when it is not an IP address already (an
    /// engine reached over `tcp://NAME`).
    pub fn socket_addr(&self) -> std::io::Result<SocketAddr> {
        self.to_socket_addrs()?.next().ok_or_else(|| {
            std::io::Error::new(
                std::io::ErrorKind::NotFound,
                format!("host {} resolves to no address", self.host),
            )
        })
    }
}

impl fmt::Display for Endpoint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.host.parse::<IpAddr>() {
            Ok(IpAddr::V6(ip)) => write!(f, "[{ip}]:{}", self.port),
            _ => write!(f, "{}:{}", self.host, self.port),
        }
    }
}

impl ToSocketAddrs for Endpoint {
    type Iter = std::vec::IntoIter<SocketAddr>;

    fn to_socket_addrs(&self) -> std::io::Result<Self::Iter> {
        (self.host.as_str(), self.port).to_socket_addrs()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prints_as_host_colon_port() {
        let e = Endpoint::new("127.0.0.1", 49153);
        assert_eq!(e.to_string(), "127.0.0.1:49153");
        assert_eq!(e.host(), "127.0.0.1");
        assert_eq!(e.port(), 49153);
        assert_eq!(
            Endpoint::new("docker.example", 80).to_string(),
            "docker.example:80"
        );
    }

    #[test]
    fn an_ipv6_host_is_bracketed_so_the_text_parses_back() {
        let e = Endpoint::new("::1", 6379);
        assert_eq!(e.to_string(), "[::1]:6379");
        assert_eq!(
            e.to_string().parse::<SocketAddr>().unwrap(),
            e.socket_addr().unwrap()
        );
    }

    #[test]
    fn an_ip_address_needs_no_resolver() {
        let e = Endpoint::new("127.0.0.1", 5432);
        assert_eq!(e.socket_addr().unwrap(), "127.0.0.1:5432".parse().unwrap());
        assert_eq!(e.to_socket_addrs().unwrap().count(), 1);
    }
}
