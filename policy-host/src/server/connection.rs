//! Limits per connection: an idle timeout on the socket (shorter until the connection has made
//! an accepted request), and a cap on connections, with a smaller one for those not yet accepted.

use std::io;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::task::{Context, Poll};
use std::time::Duration;

use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::sync::{OwnedSemaphorePermit, Semaphore};
use tokio::time::{Instant, Sleep};

/// How long a connection may stay silent before it is closed.
#[derive(Debug, Clone, Copy)]
pub struct IdleTimeouts {
    /// Before the connection's first accepted request (a valid token, or any routed request
    /// when the server has no tokens): also the time a client has to send its request head.
    pub unproven: Duration,
    /// After it.
    pub proven: Duration,
}

impl Default for IdleTimeouts {
    fn default() -> Self {
        Self { unproven: Duration::from_secs(10), proven: Duration::from_secs(60) }
    }
}

/// What one connection's requests learn about it: set once a request was accepted. Requests
/// find it in their extensions.
#[derive(Debug, Clone, Default)]
pub(crate) struct Standing {
    proven: Arc<AtomicBool>,
    /// The place among unproven connections, given back once proven.
    unproven_slot: Arc<std::sync::Mutex<Option<OwnedSemaphorePermit>>>,
    /// Told to close when a newer connection needs its place.
    evict: Arc<tokio::sync::Notify>,
}

impl Standing {
    pub(crate) fn new(unproven_slot: OwnedSemaphorePermit) -> Self {
        Self {
            proven: Arc::default(),
            unproven_slot: Arc::new(std::sync::Mutex::new(Some(unproven_slot))),
            evict: Arc::default(),
        }
    }

    /// Completes when the connection is to be closed for a newer one.
    pub(crate) async fn evicted(&self) {
        self.evict.notified().await;
    }

    /// Marks the connection as having made an accepted request.
    pub(crate) fn prove(&self) {
        if !self.proven.swap(true, Ordering::Relaxed)
            && let Ok(mut slot) = self.unproven_slot.lock()
        {
            slot.take();
        }
    }

    fn is_proven(&self) -> bool {
        self.proven.load(Ordering::Relaxed)
    }
}

/// The caps on connections held open at once.
#[derive(Debug, Clone)]
pub(crate) struct Caps {
    pub(crate) all: Arc<Semaphore>,
    unproven: Arc<Semaphore>,
    /// Unproven connections, oldest first (proven ones are skipped when found).
    waiting: Arc<std::sync::Mutex<std::collections::VecDeque<Standing>>>,
}

impl Caps {
    /// `max` connections at once, at most half of them not yet proven.
    pub(crate) fn new(max: usize) -> Self {
        let max = max.max(2);
        Self {
            all: Arc::new(Semaphore::new(max)),
            unproven: Arc::new(Semaphore::new(max / 2)),
            waiting: Arc::default(),
        }
    }

    /// The standing of a new connection. When the unproven places are taken, the oldest
    /// unproven connection is closed to make room: silent clients cannot keep new ones (a
    /// health probe) out. `None` when no place came free in time.
    pub(crate) async fn admit(&self) -> Option<Standing> {
        let permit = match Arc::clone(&self.unproven).try_acquire_owned() {
            Ok(permit) => permit,
            Err(_) => {
                let oldest = self.waiting.lock().ok().and_then(|mut waiting| {
                    while let Some(standing) = waiting.pop_front() {
                        if !standing.is_proven() {
                            return Some(standing);
                        }
                    }
                    None
                });
                if let Some(oldest) = oldest {
                    oldest.evict.notify_one();
                }
                let wait = Arc::clone(&self.unproven).acquire_owned();
                tokio::time::timeout(Duration::from_secs(1), wait).await.ok()?.ok()?
            }
        };
        let standing = Standing::new(permit);
        if let Ok(mut waiting) = self.waiting.lock() {
            waiting.retain(|s| !s.is_proven());
            waiting.push_back(standing.clone());
        }
        Some(standing)
    }
}

/// A socket that fails with `TimedOut` once nothing has been read or written for the idle
/// timeout that applies to its connection.
pub(crate) struct IdleIo<T> {
    inner: T,
    standing: Standing,
    timeouts: IdleTimeouts,
    sleep: Pin<Box<Sleep>>,
}

impl<T> IdleIo<T> {
    pub(crate) fn new(inner: T, standing: Standing, timeouts: IdleTimeouts) -> Self {
        let sleep = Box::pin(tokio::time::sleep(timeouts.unproven));
        Self { inner, standing, timeouts, sleep }
    }

    fn timeout(&self) -> Duration {
        if self.standing.is_proven() { self.timeouts.proven } else { self.timeouts.unproven }
    }

    fn progressed(&mut self) {
        let deadline = Instant::now() + self.timeout();
        self.sleep.as_mut().reset(deadline);
    }

    /// `Ready(Err)` when the connection has been idle too long.
    fn expired(&mut self, cx: &mut Context<'_>) -> Poll<io::Error> {
        match self.sleep.as_mut().poll(cx) {
            Poll::Ready(()) => Poll::Ready(io::Error::new(io::ErrorKind::TimedOut, "connection idle for too long")),
            Poll::Pending => Poll::Pending,
        }
    }
}

impl<T: AsyncRead + Unpin> AsyncRead for IdleIo<T> {
    fn poll_read(mut self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &mut ReadBuf<'_>) -> Poll<io::Result<()>> {
        let before = buf.filled().len();
        match Pin::new(&mut self.inner).poll_read(cx, buf) {
            Poll::Ready(result) => {
                if buf.filled().len() > before {
                    self.progressed();
                }
                Poll::Ready(result)
            }
            Poll::Pending => self.expired(cx).map(Err),
        }
    }
}

impl<T: AsyncWrite + Unpin> AsyncWrite for IdleIo<T> {
    fn poll_write(mut self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>> {
        match Pin::new(&mut self.inner).poll_write(cx, buf) {
            Poll::Ready(Ok(n)) => {
                if n > 0 {
                    self.progressed();
                }
                Poll::Ready(Ok(n))
            }
            Poll::Ready(Err(e)) => Poll::Ready(Err(e)),
            Poll::Pending => self.expired(cx).map(Err),
        }
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        match Pin::new(&mut self.inner).poll_write_vectored(cx, bufs) {
            Poll::Ready(Ok(n)) => {
                if n > 0 {
                    self.progressed();
                }
                Poll::Ready(Ok(n))
            }
            Poll::Ready(Err(e)) => Poll::Ready(Err(e)),
            Poll::Pending => self.expired(cx).map(Err),
        }
    }

    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }
}
