//! The transport under bollard for TLS and ssh engines: one hyper client that keeps its
//! connections between calls.

use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

use bollard::{API_DEFAULT_VERSION, BollardRequest, Docker};
use bytes::Bytes;
use futures_util::Stream;
use http_body_util::{Either, Full, StreamBody};
use hyper::body::Frame;
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::Connect;

/// How long an unused connection (a TLS session, an ssh process) is kept for the next call.
pub(super) const IDLE: Duration = Duration::from_secs(30);

/// The request body bollard sends (its own alias is private to it).
pub(super) type RequestBody = Either<
    Full<Bytes>,
    StreamBody<Pin<Box<dyn Stream<Item = Result<Frame<Bytes>, std::io::Error>> + Send>>>,
>;

/// A bollard client whose calls go through `client`, which keeps its connections for the
/// next call (bollard's own clients open one per call: a TLS handshake or an ssh login each).
pub(super) fn kept_connections<C>(
    client: Client<C, RequestBody>,
    address: &str,
    timeout: u64,
) -> Result<Docker, bollard::errors::Error>
where
    C: Connect + Clone + Send + Sync + 'static,
{
    let client = Arc::new(client);
    let transport = move |request: BollardRequest| {
        let client = client.clone();
        async move {
            client
                .request(request)
                .await
                .map_err(bollard::errors::Error::from)
        }
    };
    Docker::connect_with_custom_transport(transport, Some(address), timeout, API_DEFAULT_VERSION)
}
