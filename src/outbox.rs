//! A connection's socket and its outgoing frames.
//!
//! Whoever has a frame for a connection (its room, the room's fan-out, the
//! connection's own task, a cluster relay) writes it straight to the socket
//! when nothing waits before it and the socket takes it at once; a frame
//! the socket cannot take yet waits in the connection's queue, and the
//! connection's task finishes the write when the socket has room. One lock
//! per connection holds the socket and the queue, so frames always leave in
//! the order they were sent. The connection's task reads through the same
//! lock (`poll_next`): a write never finds the socket taken by a read, as
//! it would with the socket split in two halves.
//!
//! Why not a channel to the connection's task: at 10,000 phones a broadcast
//! then wakes 10,000 tasks, and a vote's acknowledgement queues behind all
//! of that work (`docs/PERFORMANCE.md`, "Where a vote's acknowledgement
//! waits"). Here the room only queues a broadcast (cheap, in order) and
//! hands the writes to fan-out tasks; a phone whose acknowledgement is due
//! before the fan-out reaches it gets its queued frames and the
//! acknowledgement in one write, in order.

use std::collections::VecDeque;
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex, MutexGuard};
use std::task::{Context, Poll, ready};

use axum::extract::ws::{Message, WebSocket};
use futures_util::{Sink, Stream};
use tokio::sync::Notify;

/// A connection's websocket.
pub type Socket = WebSocket;

/// Phones written to by one fan-out task before it lets other work run
/// (acknowledgements, the room's next commands).
const FANOUT_SLICE: usize = 64;
/// Broadcasts to at most this many connections are written by the caller
/// itself: spawning fan-out tasks is only worth it for large meetings.
const FANOUT_INLINE: usize = 256;

/// What became of a frame given to `Outbox::send` or `Outbox::push`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Sent {
    /// Written, or waiting in order to be written.
    Queued,
    /// As many frames as allowed already wait: the peer is not reading.
    Full,
    /// The connection has ended or is closing: nothing more goes out.
    Closed,
}

/// Why the connection's task must end (`Outbox::poll_drain`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Drained {
    /// Everything queued went out.
    Written,
    /// Everything queued went out, and then the connection is to be closed.
    Close(u16, String),
    /// Writing to the socket failed.
    Failed,
}

/// One connection's socket and the frames waiting for it.
pub struct Outbox<S = Socket> {
    inner: Mutex<Inner<S>>,
    /// Wakes the connection's task: the socket did not take everything, a
    /// close was asked for, or a write failed.
    wake: Notify,
}

struct Inner<S> {
    /// `None` once the connection's task has taken it back to close.
    socket: Option<S>,
    queue: VecDeque<Message>,
    /// The socket did not take everything: the connection's task is
    /// writing, and only it polls the socket until it is done (a write by
    /// anyone else would replace the waker it waits with).
    stalled: bool,
    close: Option<(u16, String)>,
    failed: bool,
}

impl<S> std::fmt::Debug for Outbox<S> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Outbox")
    }
}

impl<S, E> Outbox<S>
where
    S: Sink<Message> + Stream<Item = Result<Message, E>> + Unpin,
    <S as Sink<Message>>::Error: std::fmt::Display,
{
    pub fn new(socket: S) -> Self {
        Outbox {
            inner: Mutex::new(Inner {
                socket: Some(socket),
                queue: VecDeque::new(),
                stalled: false,
                close: None,
                failed: false,
            }),
            wake: Notify::new(),
        }
    }

    fn lock(&self) -> MutexGuard<'_, Inner<S>> {
        // Nothing panics while holding the lock; a poisoned lock still
        // holds a consistent queue.
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Sends `m` after whatever waits: written now if the socket takes it,
    /// otherwise queued for the connection's task. Refused (`Full`) when
    /// `limit` frames already wait.
    pub fn send(&self, m: Message, limit: usize) -> Sent {
        let mut g = self.lock();
        let sent = g.push(m, limit);
        if sent == Sent::Queued {
            self.write_now(&mut g);
        }
        sent
    }

    /// Queues `m` after whatever waits, without writing: `pump` (or the
    /// next `send`) writes it.
    pub fn push(&self, m: Message, limit: usize) -> Sent {
        self.lock().push(m, limit)
    }

    /// Writes whatever waits, as far as the socket takes it at once.
    pub fn pump(&self) {
        let mut g = self.lock();
        if !g.queue.is_empty() {
            self.write_now(&mut g);
        }
    }

    /// Closes the connection with `code` and `reason` once what waits
    /// has gone out; frames sent later are dropped.
    pub fn close(&self, code: u16, reason: String) {
        let mut g = self.lock();
        if g.close.is_none() {
            g.close = Some((code, reason));
        }
        drop(g);
        self.wake.notify_one();
    }

    /// For the connection's task: resolves when there is writing (or a
    /// close) for it to do.
    pub async fn woken(&self) {
        self.wake.notified().await
    }

    /// For the connection's task: the next frame from the peer (`None`
    /// once the socket is closed or taken).
    pub fn poll_next(&self, cx: &mut Context<'_>) -> Poll<Option<Result<Message, E>>> {
        match self.lock().socket.as_mut() {
            Some(socket) => Pin::new(socket).poll_next(cx),
            None => Poll::Ready(None),
        }
    }

    /// For the connection's task: writes everything queued, waiting for
    /// the socket as long as it takes (the caller bounds that).
    pub fn poll_drain(&self, cx: &mut Context<'_>) -> Poll<Drained> {
        let mut g = self.lock();
        if g.failed {
            return Poll::Ready(Drained::Failed);
        }
        match g.write(cx) {
            Poll::Pending => {
                g.stalled = true;
                Poll::Pending
            }
            Poll::Ready(Ok(())) => {
                g.stalled = false;
                Poll::Ready(match &g.close {
                    Some((code, reason)) => Drained::Close(*code, reason.clone()),
                    None => Drained::Written,
                })
            }
            Poll::Ready(Err(())) => {
                g.fail();
                Poll::Ready(Drained::Failed)
            }
        }
    }

    /// For the connection's task, when it ends: the socket, to say goodbye
    /// on. Nothing is sent through the outbox after this.
    pub fn take(&self) -> Option<S> {
        let mut g = self.lock();
        g.queue.clear();
        g.socket.take()
    }

    /// Writes with a waker that does nothing: nobody waits for the socket
    /// here. What the socket cannot take is left to the connection's task,
    /// which is woken to finish it.
    fn write_now(&self, g: &mut Inner<S>) {
        if g.stalled || g.failed {
            return;
        }
        let mut cx = Context::from_waker(std::task::Waker::noop());
        // Outside tokio's cooperative budget: the room and the fan-out
        // write to hundreds of sockets in one turn, and once a task's
        // budget is spent every socket looks full (a third of the writes
        // in a 10,000-phone vote were handed to the connections' tasks so).
        let written = {
            let write = std::future::poll_fn(|cx| g.write(cx));
            std::pin::pin!(tokio::task::unconstrained(write)).poll(&mut cx)
        };
        match written {
            Poll::Ready(Ok(())) => return,
            Poll::Pending => g.stalled = true,
            Poll::Ready(Err(())) => g.fail(),
        }
        self.wake.notify_one();
    }
}

impl<S> Inner<S>
where
    S: Sink<Message> + Unpin,
    S::Error: std::fmt::Display,
{
    fn push(&mut self, m: Message, limit: usize) -> Sent {
        if self.socket.is_none() || self.close.is_some() || self.failed {
            return Sent::Closed;
        }
        if self.queue.len() >= limit {
            return Sent::Full;
        }
        self.queue.push_back(m);
        Sent::Queued
    }

    /// Hands the queue to the socket in order, then flushes it.
    fn write(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), ()>> {
        let Some(socket) = self.socket.as_mut() else {
            return Poll::Ready(Ok(()));
        };
        let mut socket = Pin::new(socket);
        let logged = |e: S::Error| tracing::debug!("send failed: {e}");
        while !self.queue.is_empty() {
            ready!(socket.as_mut().poll_ready(cx)).map_err(logged)?;
            let m = self.queue.pop_front().expect("not empty");
            socket.as_mut().start_send(m).map_err(logged)?;
        }
        socket.poll_flush(cx).map_err(logged)
    }

    fn fail(&mut self) {
        self.failed = true;
        self.queue.clear();
    }
}

/// Writes a broadcast already queued (`Outbox::push`) to every outbox in
/// `to`: by the caller for a few connections, otherwise by one task per
/// runtime worker, each letting other work run every `FANOUT_SLICE`
/// connections, so that acknowledgements do not wait for the whole room.
/// Returns the tasks, which nobody needs to wait for.
pub fn fan_out<S, E>(to: Vec<Arc<Outbox<S>>>) -> Vec<tokio::task::JoinHandle<()>>
where
    S: Sink<Message> + Stream<Item = Result<Message, E>> + Unpin + Send + 'static,
    <S as Sink<Message>>::Error: std::fmt::Display,
{
    if to.len() <= FANOUT_INLINE {
        for o in &to {
            o.pump();
        }
        return Vec::new();
    }
    let workers = tokio::runtime::Handle::current()
        .metrics()
        .num_workers()
        .max(1);
    let per = to.len().div_ceil(workers);
    let mut to = to;
    let mut tasks = Vec::with_capacity(workers);
    while !to.is_empty() {
        let part = to.split_off(to.len().saturating_sub(per));
        tasks.push(tokio::spawn(async move {
            for (i, o) in part.iter().enumerate() {
                if i > 0 && i % FANOUT_SLICE == 0 {
                    tokio::task::yield_now().await;
                }
                o.pump();
            }
        }));
    }
    tasks
}

#[cfg(test)]
mod tests {
    use super::*;
    use futures_util::FutureExt;
    use std::sync::Arc;
    use std::task::Waker;

    /// A socket that takes `room` frames and then waits until given more.
    #[derive(Default)]
    struct Wire {
        room: usize,
        written: Vec<String>,
        broken: bool,
        waiting: Option<Waker>,
    }

    #[derive(Clone, Default)]
    struct Fake(Arc<Mutex<Wire>>);

    impl Fake {
        fn with_room(room: usize) -> Self {
            let f = Fake::default();
            f.0.lock().unwrap().room = room;
            f
        }
        fn give(&self, room: usize) {
            let mut w = self.0.lock().unwrap();
            w.room += room;
            if let Some(waker) = w.waiting.take() {
                waker.wake();
            }
        }
        fn written(&self) -> Vec<String> {
            self.0.lock().unwrap().written.clone()
        }
    }

    impl Sink<Message> for Fake {
        type Error = std::io::Error;
        fn poll_ready(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
            // Like tokio's own sockets, it spends the task's budget.
            ready!(tokio::task::coop::poll_proceed(cx)).made_progress();
            let mut w = self.0.lock().unwrap();
            if w.broken {
                return Poll::Ready(Err(std::io::ErrorKind::BrokenPipe.into()));
            }
            if w.room == 0 {
                w.waiting = Some(cx.waker().clone());
                return Poll::Pending;
            }
            Poll::Ready(Ok(()))
        }
        fn start_send(self: Pin<&mut Self>, m: Message) -> std::io::Result<()> {
            let mut w = self.0.lock().unwrap();
            w.room -= 1;
            if let Message::Text(t) = m {
                w.written.push(t.to_string());
            }
            Ok(())
        }
        fn poll_flush(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<std::io::Result<()>> {
            Poll::Ready(Ok(()))
        }
        fn poll_close(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<std::io::Result<()>> {
            Poll::Ready(Ok(()))
        }
    }

    /// The peer sends nothing.
    impl Stream for Fake {
        type Item = std::io::Result<Message>;
        fn poll_next(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<Option<Self::Item>> {
            Poll::Pending
        }
    }

    fn text(s: &str) -> Message {
        Message::Text(s.into())
    }

    /// The connection's task, run by hand.
    fn drain(o: &Outbox<Fake>) -> Poll<Drained> {
        o.poll_drain(&mut Context::from_waker(Waker::noop()))
    }

    #[test]
    fn a_free_socket_is_written_at_once() {
        let wire = Fake::with_room(10);
        let o = Outbox::new(wire.clone());
        assert_eq!(o.send(text("a"), 4), Sent::Queued);
        assert_eq!(o.send(text("b"), 4), Sent::Queued);
        assert_eq!(wire.written(), ["a", "b"]);
    }

    /// A frame sent while an earlier one waits for the socket never
    /// overtakes it, even when the socket has room again by then.
    #[test]
    fn frames_leave_in_the_order_sent() {
        let wire = Fake::with_room(1);
        let o = Outbox::new(wire.clone());
        o.send(text("1"), 8);
        o.send(text("2"), 8);
        assert_eq!(wire.written(), ["1"]);
        wire.give(5);
        // Only the connection's task writes once the socket was full.
        o.send(text("3"), 8);
        assert_eq!(wire.written(), ["1"]);
        assert_eq!(drain(&o), Poll::Ready(Drained::Written));
        assert_eq!(wire.written(), ["1", "2", "3"]);
        // Then anyone writes again.
        o.send(text("4"), 8);
        assert_eq!(wire.written(), ["1", "2", "3", "4"]);
    }

    /// A broadcast queued for later writing goes out before a frame sent
    /// to the same connection afterwards, in the same write.
    #[test]
    fn a_queued_broadcast_goes_before_a_later_frame() {
        let wire = Fake::with_room(10);
        let o = Arc::new(Outbox::new(wire.clone()));
        assert_eq!(o.push(text("state"), 8), Sent::Queued);
        assert!(wire.written().is_empty());
        o.send(text("ack"), 8);
        assert_eq!(wire.written(), ["state", "ack"]);
        o.pump();
        assert_eq!(wire.written(), ["state", "ack"]);
    }

    #[test]
    fn a_peer_that_does_not_read_fills_its_queue() {
        let wire = Fake::with_room(0);
        let o = Outbox::new(wire.clone());
        for i in 0..3 {
            assert_eq!(o.send(text(&i.to_string()), 3), Sent::Queued);
        }
        assert_eq!(o.send(text("x"), 3), Sent::Full);
        // The connection's task was told to finish the writes.
        assert_eq!(o.woken().now_or_never(), Some(()));
        assert_eq!(drain(&o), Poll::Pending);
        wire.give(3);
        assert_eq!(drain(&o), Poll::Ready(Drained::Written));
        assert_eq!(wire.written(), ["0", "1", "2"]);
    }

    #[test]
    fn a_close_follows_what_was_queued_and_refuses_what_comes_after() {
        let wire = Fake::with_room(0);
        let o = Outbox::new(wire.clone());
        o.send(text("bye"), 8);
        o.close(1000, "removed".into());
        assert_eq!(o.send(text("late"), 8), Sent::Closed);
        assert_eq!(drain(&o), Poll::Pending);
        wire.give(1);
        assert_eq!(
            drain(&o),
            Poll::Ready(Drained::Close(1000, "removed".into()))
        );
        assert_eq!(wire.written(), ["bye"]);
        assert!(o.take().is_some());
        assert_eq!(o.send(text("after"), 8), Sent::Closed);
    }

    #[test]
    fn a_broken_socket_ends_the_connection() {
        let wire = Fake::with_room(5);
        let o = Outbox::new(wire.clone());
        wire.0.lock().unwrap().broken = true;
        assert_eq!(o.send(text("a"), 8), Sent::Queued);
        assert_eq!(drain(&o), Poll::Ready(Drained::Failed));
        assert_eq!(o.send(text("b"), 8), Sent::Closed);
    }

    /// A room sending acks to hundreds of phones in one turn writes every
    /// one of them: a task's cooperative budget runs out after 128 socket
    /// operations, and must not make the rest look full.
    #[tokio::test]
    async fn one_turn_writes_to_hundreds_of_sockets() {
        let wires: Vec<Fake> = (0..500).map(|_| Fake::with_room(10)).collect();
        let outs: Vec<_> = wires.iter().map(|w| Outbox::new(w.clone())).collect();
        for o in &outs {
            o.send(text("ack"), 8);
        }
        for w in &wires {
            assert_eq!(w.written(), ["ack"]);
        }
    }

    /// A large broadcast is written by tasks, every connection's frames in
    /// order.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_large_fan_out_reaches_everyone() {
        let wires: Vec<Fake> = (0..1000).map(|_| Fake::with_room(10)).collect();
        let outs: Vec<Arc<Outbox<Fake>>> = wires
            .iter()
            .map(|w| Arc::new(Outbox::new(w.clone())))
            .collect();
        for o in &outs {
            o.push(text("s1"), 8);
            o.push(text("s2"), 8);
        }
        let tasks = fan_out(outs);
        assert_eq!(tasks.len(), 2, "one task per worker");
        for t in tasks {
            t.await.unwrap();
        }
        for w in &wires {
            assert_eq!(w.written(), ["s1", "s2"]);
        }
    }
}
