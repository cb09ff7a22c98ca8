//! A raw TCP server for the faults an HTTP server library will not produce:
//! an answer that declares a body length, then closes the connection before
//! sending all of it. Each connection carries one request (a body-less
//! `GET`), answered by the next scripted reply; the last one repeats.
#![allow(dead_code)] // each test binary uses a different part of it

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::task::JoinHandle;

/// One answer: a `200` JSON response declaring `Content-Length: body.len()`,
/// of which only the first `sent` bytes of the body are written before the
/// connection is closed.
#[derive(Debug, Clone)]
pub struct RawReply {
    /// The whole body the headers announce.
    pub body: String,
    /// How many of its bytes are written.
    pub sent: usize,
}

impl RawReply {
    /// The whole body.
    pub fn full(body: &str) -> Self {
        Self {
            body: body.to_string(),
            sent: body.len(),
        }
    }

    /// The headers for all of `body`, then only its first `sent` bytes.
    pub fn cut(body: &str, sent: usize) -> Self {
        Self {
            body: body.to_string(),
            sent,
        }
    }
}

/// The server. Dropping it stops it.
pub struct RawServer {
    addr: SocketAddr,
    requests: Arc<AtomicUsize>,
    task: JoinHandle<()>,
}

impl Drop for RawServer {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl RawServer {
    /// Starts answering on an ephemeral loopback port with `replies`, in
    /// order, one per connection; the last is repeated.
    pub async fn start(replies: Vec<RawReply>) -> Self {
        assert!(!replies.is_empty(), "at least one reply");
        let listener = TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind loopback");
        let addr = listener.local_addr().expect("local addr");
        let requests = Arc::new(AtomicUsize::new(0));
        let counter = Arc::clone(&requests);
        let task = tokio::spawn(async move {
            loop {
                let Ok((stream, _)) = listener.accept().await else {
                    continue;
                };
                let counter = Arc::clone(&counter);
                let replies = replies.clone();
                tokio::spawn(async move {
                    let _ = answer(stream, &counter, &replies).await;
                });
            }
        });
        Self {
            addr,
            requests,
            task,
        }
    }

    /// `http://127.0.0.1:{port}`.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// How many requests were read.
    pub fn hits(&self) -> usize {
        self.requests.load(Ordering::SeqCst)
    }
}

async fn answer(
    mut stream: TcpStream,
    requests: &AtomicUsize,
    replies: &[RawReply],
) -> std::io::Result<()> {
    let mut head = Vec::new();
    let mut buffer = [0u8; 4096];
    while !head.windows(4).any(|w| w == b"\r\n\r\n") {
        let read = stream.read(&mut buffer).await?;
        if read == 0 {
            return Ok(());
        }
        head.extend_from_slice(&buffer[..read]);
    }
    let index = requests.fetch_add(1, Ordering::SeqCst);
    let reply = &replies[index.min(replies.len() - 1)];
    let headers = format!(
        "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n",
        reply.body.len()
    );
    stream.write_all(headers.as_bytes()).await?;
    stream
        .write_all(&reply.body.as_bytes()[..reply.sent])
        .await?;
    stream.flush().await?;
    stream.shutdown().await
}
