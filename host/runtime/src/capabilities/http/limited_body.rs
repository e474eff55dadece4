//! A body that ends with an error once more than its limit has passed: the
//! host never carries more of a request or a response than a call may have.

use std::pin::Pin;
use std::task::{Context, Poll};

use bytes::Bytes;
use http_body::{Body, Frame, SizeHint};
use wasmtime_wasi_http::Error;

/// `inner`, cut off with `too_large(limit)` past `limit` bytes of data.
pub(super) struct LimitedBody<B> {
    inner: B,
    left: u64,
    limit: u64,
    too_large: fn(Option<u64>) -> Error,
}

impl<B> LimitedBody<B> {
    pub(super) fn new(inner: B, limit: u64, too_large: fn(Option<u64>) -> Error) -> Self {
        LimitedBody {
            inner,
            left: limit,
            limit,
            too_large,
        }
    }
}

impl<B> Body for LimitedBody<B>
where
    B: Body<Data = Bytes, Error = Error> + Unpin,
{
    type Data = Bytes;
    type Error = Error;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, Error>>> {
        let frame = match Pin::new(&mut self.inner).poll_frame(cx) {
            Poll::Ready(Some(Ok(frame))) => frame,
            other => return other,
        };
        if let Some(data) = frame.data_ref() {
            let size = data.len() as u64;
            if size > self.left {
                self.left = 0;
                return Poll::Ready(Some(Err((self.too_large)(Some(self.limit)))));
            }
            self.left -= size;
        }
        Poll::Ready(Some(Ok(frame)))
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.inner.size_hint()
    }
}
