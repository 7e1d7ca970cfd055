//! The daemon's side of a session link: one short connection per management request, a
//! long-lived one to notice the session's end, and one per attached viewer.

use std::path::Path;
use std::time::Duration;

use tokio::net::UnixStream;
use tokio::net::unix::{OwnedReadHalf, OwnedWriteHalf};
use wayray_protocol::messages::control::OutputMode;
use wayray_protocol::messages::link::{LinkAttach, LinkReply, LinkRequest};

use crate::link_io::{LinkError, LinkReader, write_link};

/// How long a management request may take (a screenshot of a large output included).
const REQUEST_TIMEOUT: Duration = Duration::from_secs(15);

async fn connect(path: &Path) -> Result<UnixStream, LinkError> {
    Ok(UnixStream::connect(path).await?)
}

/// Sends one management request on a new connection and returns the answer.
pub async fn request(path: &Path, request: &LinkRequest) -> Result<LinkReply, LinkError> {
    let exchange = async {
        let stream = connect(path).await?;
        let (read, mut write) = stream.into_split();
        write_link(&mut write, request).await?;
        let mut reader = LinkReader::<LinkReply, _>::new(read);
        reader.next().await?.ok_or(LinkError::Closed)
    };
    tokio::time::timeout(REQUEST_TIMEOUT, exchange)
        .await
        .map_err(|_| LinkError::Io(std::io::ErrorKind::TimedOut.into()))?
}

/// Completes when the session process closes its end of a connection, i.e. when it exits.
pub async fn watch(path: &Path) -> Result<(), LinkError> {
    let stream = connect(path).await?;
    let mut reader = LinkReader::<LinkReply, _>::new(stream);
    while reader.next().await?.is_some() {}
    Ok(())
}

/// Waits up to `timeout` for a session process to accept link connections.
pub async fn wait_ready(path: &Path, timeout: Duration) -> Result<(), LinkError> {
    let deadline = tokio::time::Instant::now() + timeout;
    loop {
        match UnixStream::connect(path).await {
            Ok(_) => return Ok(()),
            Err(err) if tokio::time::Instant::now() >= deadline => return Err(err.into()),
            Err(_) => tokio::time::sleep(Duration::from_millis(10)).await,
        }
    }
}

/// A viewer's connection to its session.
#[derive(Debug)]
pub struct ViewerLink {
    /// Display messages and answers from the session.
    pub reader: LinkReader<LinkReply, OwnedReadHalf>,
    /// Where the viewer's control and input messages go.
    pub writer: OwnedWriteHalf,
}

/// Attaches a viewer: returns the output mode in effect and the connection to relay on.
pub async fn attach_viewer(
    path: &Path,
    attach: LinkAttach,
) -> Result<(OutputMode, ViewerLink), LinkError> {
    let stream = connect(path).await?;
    let (read, mut writer) = stream.into_split();
    write_link(&mut writer, &LinkRequest::AttachViewer(attach)).await?;
    let mut reader = LinkReader::<LinkReply, _>::new(read);
    match tokio::time::timeout(REQUEST_TIMEOUT, reader.next()).await {
        Ok(Ok(Some(LinkReply::Attached(mode)))) => Ok((mode, ViewerLink { reader, writer })),
        Ok(Ok(Some(_))) => Err(LinkError::Unexpected("expected Attached")),
        Ok(Ok(None)) => Err(LinkError::Closed),
        Ok(Err(err)) => Err(err),
        Err(_) => Err(LinkError::Io(std::io::ErrorKind::TimedOut.into())),
    }
}
