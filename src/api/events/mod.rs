//! Events: typed [`Stream`]s of what the daemon reports (domains changing state, networks and
//! pools coming and going, devices appearing, the connection closing, …).
//!
//! ```no_run
//! # async fn demo() -> virtwire::Result<()> {
//! use virtwire::Client;
//! use virtwire::events::{DomainEventKind, EventItem};
//! use virtwire::proto::c_events::DomainEventId;
//!
//! let client = Client::connect("qemu:///system").await?;
//! let mut events = client.all_domain_events(DomainEventId::Lifecycle).await?;
//! while let Some(item) = events.next().await {
//!     match item? {
//!         EventItem::Event(ev) => {
//!             if let DomainEventKind::Lifecycle(l) = &ev.kind {
//!                 println!("{}: {l:?}", ev.domain.name());
//!             }
//!         }
//!         // Events were dropped: resynchronise with list_all_domains.
//!         EventItem::Lagged(n) => println!("missed {n} events"),
//!         EventItem::Reconnected => println!("reconnected"),
//!     }
//! }
//! # Ok(())
//! # }
//! ```
//!
//! **What a stream guarantees.**
//! - Events come in the order the daemon sent them. Each carries a handle (a [`Domain`],
//!   [`Network`], …) usable for calls at once.
//! - The connection never waits for a consumer. Each stream holds up to
//!   [`QUEUE_CAPACITY`] events; when a consumer falls that far behind, further events are
//!   dropped and counted, and the stream yields [`EventItem::Lagged`]`(n)` exactly where they
//!   are missing. Read the current state then (`list_all_*`) if you need it.
//! - Identical subscriptions on one connection share one registration on the daemon; each
//!   stream still gets every event.
//! - Dropping a stream deregisters it (the last one of a shared registration sends the
//!   deregister call). This needs no runtime: the call is encoded straight into the
//!   connection's write buffer under a short lock and the connection's driver is woken; no one
//!   waits for the reply. Dropping the future of a subscribe call while the register call is
//!   in flight leaves that registration on the daemon until the connection closes (its events
//!   are discarded).
//! - When the connection ends, the stream yields the connection's close error (an `Err` whose
//!   [`is_closed`](crate::Error::is_closed) is true) and then ends. Streams from a
//!   [`Supervisor`] are re-registered on a new connection instead and yield
//!   [`EventItem::Reconnected`].
//! - An event that cannot be decoded yields an `Err` of kind
//!   [`Protocol`](crate::ErrorKind::Protocol); the stream goes on.

mod domain;
mod objects;
mod supervisor;

use std::fmt;
use std::marker::PhantomData;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use bytes::Bytes;
use futures_core::Stream;

use crate::api::Client;
use crate::error::{Error, Result};
use crate::proto::xdr::{Decode, Encode, decode_exact};
use crate::rpc::events::{EventFamily, Item, Subscriber};

pub use crate::rpc::events::QUEUE_CAPACITY;
pub use domain::{DomainEvent, DomainEventKind, GraphicsAddress, IoError, Lifecycle};
pub use objects::{
    ConnectionClosed, NetworkEvent, NetworkEventKind, NodeDeviceEvent, NodeDeviceEventKind,
    QemuMonitorEvent, SecretEvent, SecretEventKind, StoragePoolEvent, StoragePoolEventKind,
};
pub use supervisor::{ReconnectPolicy, Supervisor};

#[allow(unused_imports)] // for the docs
use crate::api::{Domain, Network};

/// One item of an [`EventStream`].
#[derive(Debug, Clone)]
pub enum EventItem<T> {
    /// An event.
    Event(T),
    /// This many events were dropped here because the consumer fell [`QUEUE_CAPACITY`]
    /// events behind: the state may have changed in ways the stream does not show.
    Lagged(u64),
    /// The connection was lost and a [`Supervisor`] opened a new one and registered the
    /// subscription again. Events while no connection was open are lost: resynchronise.
    Reconnected,
}

/// Decoding an event message into its typed form; implemented by the event types.
mod sealed {
    pub trait DecodeEvent: Sized {
        /// Decodes the message of `procedure`; handles in the event belong to `client`.
        fn decode_event(
            client: &crate::Client,
            procedure: i32,
            payload: &[u8],
        ) -> crate::Result<Self>;
    }
}

/// An event type: what an [`EventStream`] yields.
pub trait Event: sealed::DecodeEvent + Send + 'static {}

impl<T: sealed::DecodeEvent + Send + 'static> Event for T {}

/// Decodes a message payload as `M`.
pub(crate) fn decode_msg<M: Decode>(payload: &[u8], name: &str) -> Result<M> {
    decode_exact(payload)
        .map_err(|e| Error::protocol(format!("cannot decode a {name} event")).with_source(e))
}

/// What to subscribe to: an event family, an event id and an optional object. Built by the
/// constructors of each event type (e.g. [`DomainEvent::watch`]); used by
/// [`Client::watch`] and [`Supervisor::watch`].
pub struct Watch<T> {
    family: &'static EventFamily,
    args: Bytes,
    _event: PhantomData<fn() -> T>,
}

impl<T> Watch<T> {
    pub(crate) fn new(family: &'static EventFamily, args: &impl Encode) -> Self {
        Watch {
            family,
            args: Bytes::from(crate::proto::xdr::encode_to_vec(args)),
            _event: PhantomData,
        }
    }
}

impl<T> Clone for Watch<T> {
    fn clone(&self) -> Self {
        Watch {
            family: self.family,
            args: self.args.clone(),
            _event: PhantomData,
        }
    }
}

impl<T> fmt::Debug for Watch<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Watch")
            .field("family", &self.family.name)
            .field("args", &self.args)
            .finish()
    }
}

/// Where a stream gets the client that event handles belong to.
#[derive(Clone)]
enum Source {
    Client(Client),
    Supervisor(Arc<supervisor::Inner>),
}

impl Source {
    fn client(&self) -> Client {
        match self {
            Source::Client(c) => c.clone(),
            Source::Supervisor(s) => s.client(),
        }
    }
}

/// A subscription to events: a [`Stream`] of `Result<`[`EventItem`]`<T>>`. See the
/// [module docs](self) for its guarantees; dropping it deregisters it.
#[must_use = "streams do nothing unless polled"]
pub struct EventStream<T> {
    sub: Arc<Subscriber>,
    source: Source,
    _event: PhantomData<fn() -> T>,
}

impl<T: Event> EventStream<T> {
    fn new(sub: Arc<Subscriber>, source: Source) -> Self {
        EventStream {
            sub,
            source,
            _event: PhantomData,
        }
    }

    /// The next item; `None` once the stream has ended (after the connection's close error).
    pub async fn next(&mut self) -> Option<Result<EventItem<T>>> {
        std::future::poll_fn(|cx| Pin::new(&mut *self).poll_next(cx)).await
    }
}

impl<T: Event> Stream for EventStream<T> {
    type Item = Result<EventItem<T>>;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let this = self.get_mut();
        let item = match this.sub.poll_next(cx) {
            Poll::Ready(Some(item)) => item,
            Poll::Ready(None) => return Poll::Ready(None),
            Poll::Pending => return Poll::Pending,
        };
        Poll::Ready(Some(match item {
            Item::Event(raw) => T::decode_event(&this.source.client(), raw.procedure, &raw.payload)
                .map(EventItem::Event),
            Item::Lagged(n) => Ok(EventItem::Lagged(n)),
            Item::Reconnected => Ok(EventItem::Reconnected),
            Item::Closed(closed) => Err(closed.to_error()),
        }))
    }
}

impl<T> Drop for EventStream<T> {
    fn drop(&mut self) {
        self.sub.detach();
    }
}

impl<T> fmt::Debug for EventStream<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("EventStream")
            .field("event", &std::any::type_name::<T>())
            .finish()
    }
}

impl Client {
    /// Subscribes to the events `watch` selects. The typed methods
    /// ([`domain_events`](Self::domain_events), [`network_events`](Self::network_events), …)
    /// call this.
    pub async fn watch<T: Event>(&self, watch: Watch<T>) -> Result<EventStream<T>> {
        // The stream exists before the registration so that a cancelled call still detaches.
        let stream = EventStream::new(Subscriber::new(false), Source::Client(self.clone()));
        self.raw()
            .subscribe(watch.family, watch.args, &stream.sub)
            .await?;
        Ok(stream)
    }
}
