//! The listener of one double: binds `127.0.0.1:0`, serves the router in a tokio task, and can
//! play dead (fault `unreachable`, or after shutdown) by dropping connections without a reply.

use std::io;
use std::net::SocketAddr;
use std::pin::Pin;
use std::task::{Context, Poll};

use axum::Router;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::{TcpListener, TcpStream};
use tokio_util::sync::CancellationToken;

use super::faults::FaultHandle;

/// True when connections must be dropped.
#[derive(Clone, Debug)]
struct Dead {
    faults: FaultHandle,
    shutdown: CancellationToken,
}

impl Dead {
    fn now(&self) -> bool {
        self.shutdown.is_cancelled() || self.faults.is_unreachable()
    }

    fn check(&self) -> io::Result<()> {
        if self.now() {
            Err(io::Error::new(
                io::ErrorKind::ConnectionReset,
                "backrest double unreachable",
            ))
        } else {
            Ok(())
        }
    }
}

/// A TCP stream that fails every read and write while the double plays dead.
#[derive(Debug)]
pub struct FaultyStream {
    inner: TcpStream,
    dead: Dead,
}

impl AsyncRead for FaultyStream {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        self.dead.check()?;
        Pin::new(&mut self.inner).poll_read(cx, buf)
    }
}

impl AsyncWrite for FaultyStream {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        self.dead.check()?;
        Pin::new(&mut self.inner).poll_write(cx, buf)
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }
}

/// Accepts connections, dropping them at once while the double plays dead.
struct FaultyListener {
    inner: TcpListener,
    dead: Dead,
}

impl axum::serve::Listener for FaultyListener {
    type Io = FaultyStream;
    type Addr = SocketAddr;

    async fn accept(&mut self) -> (Self::Io, Self::Addr) {
        loop {
            match self.inner.accept().await {
                Ok((stream, _)) if self.dead.now() => drop(stream),
                Ok((stream, addr)) => {
                    let _ = stream.set_nodelay(true);
                    return (
                        FaultyStream {
                            inner: stream,
                            dead: self.dead.clone(),
                        },
                        addr,
                    );
                }
                // Transient accept errors (e.g. too many open files): back off briefly.
                Err(_) => tokio::time::sleep(std::time::Duration::from_millis(5)).await,
            }
        }
    }

    fn local_addr(&self) -> io::Result<Self::Addr> {
        self.inner.local_addr()
    }
}

/// Binds `127.0.0.1:0` and serves `router` until `shutdown`; needs a running tokio runtime.
pub fn spawn(
    router: Router,
    faults: FaultHandle,
    shutdown: CancellationToken,
) -> io::Result<SocketAddr> {
    tokio::runtime::Handle::try_current().map_err(|e| {
        io::Error::other(format!("BackrestDouble::start needs a tokio runtime: {e}"))
    })?;
    let std_listener = std::net::TcpListener::bind("127.0.0.1:0")?;
    std_listener.set_nonblocking(true)?;
    let inner = TcpListener::from_std(std_listener)?;
    let addr = inner.local_addr()?;
    let listener = FaultyListener {
        inner,
        dead: Dead {
            faults,
            shutdown: shutdown.clone(),
        },
    };
    tokio::spawn(async move {
        let _ = axum::serve(listener, router)
            .with_graceful_shutdown(shutdown.cancelled_owned())
            .await;
    });
    Ok(addr)
}
