//! Connections a handler can sabotage: the listener hands every accepted socket a shared
//! `ConnFate`, and the handler, which sees the same fate through `ConnectInfo`, can order the
//! answer it is about to return to be dropped (connection reset, nothing sent) or cut after half
//! its body. This is how the simulator produces transport faults that a normal HTTP server never
//! would. Not here: deciding when to do it (see `faults` and `server`).

use std::io;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicU8, AtomicUsize, Ordering};
use std::task::{Context, Poll};
use std::time::Duration;

use axum::extract::connect_info::Connected;
use axum::serve::{IncomingStream, Listener};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::{TcpListener, TcpStream};

// Mode 0 (the default) leaves answers intact.
const RESET: u8 = 1;
const TRUNCATE: u8 = 2;

/// What happens to the next answer written on a connection.
#[derive(Debug, Default)]
pub(super) struct ConnFate {
    mode: AtomicU8,
    /// For a truncated answer: body bytes let through before the connection closes.
    keep_body: AtomicUsize,
}

/// The connection a request came in on, as handlers see it.
#[derive(Debug, Clone)]
pub(super) struct ConnHandle {
    fate: Arc<ConnFate>,
}

impl ConnHandle {
    /// The answer is not sent: the connection is reset as soon as it would be written.
    pub(super) fn reset(&self) {
        self.fate.mode.store(RESET, Ordering::Release);
    }

    /// Only the head and the first `keep_body` bytes of the body are sent, then the connection closes.
    pub(super) fn truncate_body(&self, keep_body: usize) {
        self.fate.keep_body.store(keep_body, Ordering::Release);
        self.fate.mode.store(TRUNCATE, Ordering::Release);
    }
}

impl Connected<IncomingStream<'_, SimListener>> for ConnHandle {
    fn connect_info(stream: IncomingStream<'_, SimListener>) -> Self {
        stream.remote_addr().clone()
    }
}

/// A TCP listener whose connections carry a [`ConnFate`].
pub(super) struct SimListener {
    inner: TcpListener,
}

impl SimListener {
    pub(super) fn new(inner: TcpListener) -> SimListener {
        SimListener { inner }
    }
}

impl Listener for SimListener {
    type Io = FatedStream;
    type Addr = ConnHandle;

    async fn accept(&mut self) -> (Self::Io, Self::Addr) {
        loop {
            match self.inner.accept().await {
                Ok((stream, _peer)) => {
                    let _ = stream.set_nodelay(true);
                    let fate = Arc::new(ConnFate::default());
                    let io = FatedStream {
                        stream,
                        fate: fate.clone(),
                        cut: None,
                    };
                    return (io, ConnHandle { fate });
                }
                // Out of file descriptors and the like: wait instead of spinning.
                Err(_) => tokio::time::sleep(Duration::from_millis(20)).await,
            }
        }
    }

    /// axum wants the listener's own address in the connection-info type; it has no fate to
    /// change, so a fresh one is fine. `SimServer::addr` is the way to learn the address.
    fn local_addr(&self) -> io::Result<Self::Addr> {
        self.inner.local_addr()?;
        Ok(ConnHandle {
            fate: Arc::new(ConnFate::default()),
        })
    }
}

/// Progress through a truncated answer: first the head, up to the blank line, then the body.
#[derive(Debug)]
struct Cut {
    /// How many bytes of "\r\n\r\n" have been matched at the end of what was written.
    head_end_matched: usize,
    in_body: bool,
    body_left: usize,
}

/// A TCP stream that obeys its connection's fate when written to.
pub(super) struct FatedStream {
    stream: TcpStream,
    fate: Arc<ConnFate>,
    cut: Option<Cut>,
}

fn severed() -> io::Error {
    io::Error::new(
        io::ErrorKind::ConnectionReset,
        "connection severed by the simulator",
    )
}

impl FatedStream {
    /// How many of `buf`'s bytes may still go out under a truncation.
    fn allowance(cut: &Cut, buf: &[u8]) -> usize {
        if cut.in_body {
            return cut.body_left.min(buf.len());
        }
        let mut matched = cut.head_end_matched;
        for (i, b) in buf.iter().enumerate() {
            matched = match (matched, b) {
                (0 | 2, b'\r') => matched + 1,
                (1 | 3, b'\n') => matched + 1,
                (_, b'\r') => 1,
                _ => 0,
            };
            if matched == 4 {
                return i + 1 + cut.body_left.min(buf.len() - i - 1);
            }
        }
        buf.len()
    }

    fn advance(cut: &mut Cut, written: &[u8]) {
        for b in written {
            if cut.in_body {
                cut.body_left = cut.body_left.saturating_sub(1);
                continue;
            }
            cut.head_end_matched = match (cut.head_end_matched, b) {
                (0 | 2, b'\r') => cut.head_end_matched + 1,
                (1 | 3, b'\n') => cut.head_end_matched + 1,
                (_, b'\r') => 1,
                _ => 0,
            };
            if cut.head_end_matched == 4 {
                cut.in_body = true;
            }
        }
    }
}

impl AsyncRead for FatedStream {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        Pin::new(&mut self.stream).poll_read(cx, buf)
    }
}

impl AsyncWrite for FatedStream {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        let this = &mut *self;
        match this.fate.mode.load(Ordering::Acquire) {
            RESET => {
                // Zero linger turns the close into an RST: the client sees a reset, not an EOF.
                let _ = this.stream.set_zero_linger();
                return Poll::Ready(Err(severed()));
            }
            TRUNCATE if this.cut.is_none() => {
                this.cut = Some(Cut {
                    head_end_matched: 0,
                    in_body: false,
                    body_left: this.fate.keep_body.load(Ordering::Acquire),
                });
            }
            _ => {}
        }
        let Some(cut) = this.cut.as_mut() else {
            return Pin::new(&mut this.stream).poll_write(cx, buf);
        };
        let allowed = FatedStream::allowance(cut, buf);
        if allowed == 0 {
            // Closing normally (FIN after the bytes sent) so the client reads the partial body.
            return Poll::Ready(Err(severed()));
        }
        match Pin::new(&mut this.stream).poll_write(cx, &buf[..allowed]) {
            Poll::Ready(Ok(n)) => {
                FatedStream::advance(cut, &buf[..n]);
                Poll::Ready(Ok(n))
            }
            other => other,
        }
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.stream).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.stream).poll_shutdown(cx)
    }
}
