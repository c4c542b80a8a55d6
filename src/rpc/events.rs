//! Routing of events: the MESSAGE packets the daemon sends for registered callbacks.
//!
//! ```text
//!  driver ── MESSAGE (prog, proc, callbackID) ──▶ EventRouter ──try push──▶ subscriber queues
//!                                                     │ (never waits)          (≤ 1024 each)
//!  subscribe(): REGISTER call ─▶ callbackID ─▶ registration { key, id, subscribers }
//!  drop of a stream: last subscriber gone ─▶ DEREGISTER call encoded into the write buffer
//! ```
//!
//! - **Families.** An event family (domain, network, storage pool, node device, secret,
//!   connection close, QEMU monitor) has one register and one deregister procedure and a set of
//!   message procedures; every message but connection close starts with the callback id the
//!   register call returned. Callback ids are only unique within a family.
//! - **Sharing.** Identical subscriptions (same family and same encoded register arguments)
//!   share one daemon registration; the last one to go deregisters it.
//! - **Bounded queues.** Each subscriber has its own queue of [`QUEUE_CAPACITY`] events. The
//!   driver never waits for a consumer: when the queue is full the event is counted, not
//!   stored, and the consumer finds a [`Item::Lagged`] with the count at the place of the gap.
//! - **Early events.** The daemon may send an event for a new callback before the register
//!   reply is read: up to [`EARLY_CAPACITY`] such events wait in a ring and are handed to the
//!   subscriber once its registration is known (older ones are dropped and counted as lagged).
//! - **Close.** When the connection ends every subscriber gets the close error as its last item
//!   (except subscribers kept by a reconnecting supervisor, which re-attaches them).

use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex, MutexGuard};
use std::task::{Context, Poll, Waker};

use bytes::{Bytes, BytesMut};

use super::RawClient;
use super::shared::{Closed, Orphan, Shared};
use crate::error::Result;
use crate::proto::frame::{self, Packet};
use crate::proto::packet::{Header, Status};
use crate::proto::xdr::Encode;
use crate::proto::{qemu, remote};

/// How many items (events, and the `Lagged` marker) one subscription holds before further events
/// are counted instead of stored.
pub const QUEUE_CAPACITY: usize = 1024;
/// Events for callback ids not known yet, kept until the register reply is processed.
const EARLY_CAPACITY: usize = 64;
/// Callbacks deregistered lately: their stray events are dropped quietly.
const RETIRED_CAPACITY: usize = 64;

/// One family of events.
#[derive(Debug)]
pub(crate) struct EventFamily {
    /// For messages and logs.
    pub name: &'static str,
    pub program: u32,
    pub version: u32,
    /// The register procedure; its reply is `{int callbackID}` when `callback_ids`.
    pub register: i32,
    /// The deregister procedure; its arguments are `{int callbackID}` when `callback_ids`.
    pub deregister: i32,
    /// Whether callbacks have ids (every family but connection close).
    pub callback_ids: bool,
    /// The message procedures of the family.
    pub messages: &'static [i32],
}

impl EventFamily {
    fn id(&self) -> FamilyId {
        FamilyId {
            program: self.program,
            register: self.register,
        }
    }
}

macro_rules! numbers {
    ($module:ident: $($proc:ident),* $(,)?) => {
        &[$($module::procs::$proc.number),*]
    };
}

/// Domain events, registered per event id with CONNECT_DOMAIN_EVENT_CALLBACK_REGISTER_ANY.
pub(crate) static DOMAIN: EventFamily = EventFamily {
    name: "domain",
    program: remote::PROGRAM,
    version: remote::PROTOCOL_VERSION,
    register: remote::procs::CONNECT_DOMAIN_EVENT_CALLBACK_REGISTER_ANY.number,
    deregister: remote::procs::CONNECT_DOMAIN_EVENT_CALLBACK_DEREGISTER_ANY.number,
    callback_ids: true,
    messages: numbers!(remote:
        DOMAIN_EVENT_CALLBACK_LIFECYCLE, DOMAIN_EVENT_CALLBACK_REBOOT,
        DOMAIN_EVENT_CALLBACK_RTC_CHANGE, DOMAIN_EVENT_CALLBACK_WATCHDOG,
        DOMAIN_EVENT_CALLBACK_IO_ERROR, DOMAIN_EVENT_CALLBACK_GRAPHICS,
        DOMAIN_EVENT_CALLBACK_IO_ERROR_REASON, DOMAIN_EVENT_CALLBACK_CONTROL_ERROR,
        DOMAIN_EVENT_CALLBACK_BLOCK_JOB, DOMAIN_EVENT_CALLBACK_DISK_CHANGE,
        DOMAIN_EVENT_CALLBACK_TRAY_CHANGE, DOMAIN_EVENT_CALLBACK_PMWAKEUP,
        DOMAIN_EVENT_CALLBACK_PMSUSPEND, DOMAIN_EVENT_CALLBACK_BALLOON_CHANGE,
        DOMAIN_EVENT_CALLBACK_PMSUSPEND_DISK, DOMAIN_EVENT_CALLBACK_DEVICE_REMOVED,
        DOMAIN_EVENT_BLOCK_JOB_2, DOMAIN_EVENT_CALLBACK_TUNABLE,
        DOMAIN_EVENT_CALLBACK_AGENT_LIFECYCLE, DOMAIN_EVENT_CALLBACK_DEVICE_ADDED,
        DOMAIN_EVENT_CALLBACK_MIGRATION_ITERATION, DOMAIN_EVENT_CALLBACK_JOB_COMPLETED,
        DOMAIN_EVENT_CALLBACK_DEVICE_REMOVAL_FAILED, DOMAIN_EVENT_CALLBACK_METADATA_CHANGE,
        DOMAIN_EVENT_BLOCK_THRESHOLD, DOMAIN_EVENT_MEMORY_FAILURE,
        DOMAIN_EVENT_MEMORY_DEVICE_SIZE_CHANGE, DOMAIN_EVENT_NIC_MAC_CHANGE,
        DOMAIN_EVENT_VCPU_REMOVED, DOMAIN_EVENT_CALLBACK_CHANNEL_LIFECYCLE,
    ),
};

/// Network events.
pub(crate) static NETWORK: EventFamily = EventFamily {
    name: "network",
    program: remote::PROGRAM,
    version: remote::PROTOCOL_VERSION,
    register: remote::procs::CONNECT_NETWORK_EVENT_REGISTER_ANY.number,
    deregister: remote::procs::CONNECT_NETWORK_EVENT_DEREGISTER_ANY.number,
    callback_ids: true,
    messages: numbers!(remote: NETWORK_EVENT_LIFECYCLE, NETWORK_EVENT_CALLBACK_METADATA_CHANGE),
};

/// Storage pool events.
pub(crate) static STORAGE_POOL: EventFamily = EventFamily {
    name: "storage pool",
    program: remote::PROGRAM,
    version: remote::PROTOCOL_VERSION,
    register: remote::procs::CONNECT_STORAGE_POOL_EVENT_REGISTER_ANY.number,
    deregister: remote::procs::CONNECT_STORAGE_POOL_EVENT_DEREGISTER_ANY.number,
    callback_ids: true,
    messages: numbers!(remote: STORAGE_POOL_EVENT_LIFECYCLE, STORAGE_POOL_EVENT_REFRESH),
};

/// Node device events.
pub(crate) static NODE_DEVICE: EventFamily = EventFamily {
    name: "node device",
    program: remote::PROGRAM,
    version: remote::PROTOCOL_VERSION,
    register: remote::procs::CONNECT_NODE_DEVICE_EVENT_REGISTER_ANY.number,
    deregister: remote::procs::CONNECT_NODE_DEVICE_EVENT_DEREGISTER_ANY.number,
    callback_ids: true,
    messages: numbers!(remote: NODE_DEVICE_EVENT_LIFECYCLE, NODE_DEVICE_EVENT_UPDATE),
};

/// Secret events.
pub(crate) static SECRET: EventFamily = EventFamily {
    name: "secret",
    program: remote::PROGRAM,
    version: remote::PROTOCOL_VERSION,
    register: remote::procs::CONNECT_SECRET_EVENT_REGISTER_ANY.number,
    deregister: remote::procs::CONNECT_SECRET_EVENT_DEREGISTER_ANY.number,
    callback_ids: true,
    messages: numbers!(remote: SECRET_EVENT_LIFECYCLE, SECRET_EVENT_VALUE_CHANGED),
};

/// The daemon's notice that it is closing the connection (no callback ids: one per client).
pub(crate) static CONNECTION_CLOSED: EventFamily = EventFamily {
    name: "connection close",
    program: remote::PROGRAM,
    version: remote::PROTOCOL_VERSION,
    register: remote::procs::CONNECT_REGISTER_CLOSE_CALLBACK.number,
    deregister: remote::procs::CONNECT_UNREGISTER_CLOSE_CALLBACK.number,
    callback_ids: false,
    messages: numbers!(remote: CONNECT_EVENT_CONNECTION_CLOSED),
};

/// QEMU monitor events (the QEMU program).
pub(crate) static QEMU_MONITOR: EventFamily = EventFamily {
    name: "QEMU monitor",
    program: qemu::PROGRAM,
    version: qemu::PROTOCOL_VERSION,
    register: qemu::procs::CONNECT_DOMAIN_MONITOR_EVENT_REGISTER.number,
    deregister: qemu::procs::CONNECT_DOMAIN_MONITOR_EVENT_DEREGISTER.number,
    callback_ids: true,
    messages: numbers!(qemu: DOMAIN_MONITOR_EVENT),
};

static FAMILIES: [&EventFamily; 7] = [
    &DOMAIN,
    &NETWORK,
    &STORAGE_POOL,
    &NODE_DEVICE,
    &SECRET,
    &CONNECTION_CLOSED,
    &QEMU_MONITOR,
];

fn family_of(program: u32, procedure: i32) -> Option<&'static EventFamily> {
    FAMILIES
        .iter()
        .copied()
        .find(|f| f.program == program && f.messages.contains(&procedure))
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
struct FamilyId {
    program: u32,
    register: i32,
}

/// A daemon registration: a family and the encoded register arguments.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub(crate) struct RegKey {
    family: FamilyId,
    args: Bytes,
}

/// A callback as the daemon knows it.
type CallbackKey = (FamilyId, i32);

/// One event as it came: the message procedure and its payload (callback id included).
#[derive(Debug, Clone)]
pub(crate) struct RawEvent {
    pub procedure: i32,
    pub payload: Bytes,
}

/// What a subscriber receives.
#[derive(Debug)]
pub(crate) enum Item {
    Event(RawEvent),
    /// This many events were dropped here because the queue was full.
    Lagged(u64),
    /// The supervisor re-registered the subscription on a new connection.
    Reconnected,
    /// The subscription is over (the connection closed): the last item.
    Closed(Closed),
}

/// One consumer's queue, shared by the router (producer) and the stream (consumer).
pub(crate) struct Subscriber {
    queue: Mutex<Queue>,
    /// The connection and registration the subscriber is attached to, if any.
    attachment: Mutex<Option<Attachment>>,
}

struct Queue {
    items: VecDeque<Item>,
    waker: Option<Waker>,
    /// Kept by a supervisor: the connection's close is not the end.
    supervised: bool,
    /// The `Closed` item was queued or taken: nothing more is queued.
    ended: bool,
}

impl Queue {
    /// Appends `item` and takes the consumer's waker; a `Lagged` behind a `Lagged` adds to it,
    /// `Closed` ends the queue, and an ended queue takes nothing more.
    fn push(&mut self, item: Item) -> Option<Waker> {
        if self.ended {
            return None;
        }
        match (&item, self.items.back_mut()) {
            (Item::Lagged(m), Some(Item::Lagged(n))) => *n += m,
            _ => {
                self.ended = matches!(item, Item::Closed(_));
                self.items.push_back(item);
            }
        }
        self.waker.take()
    }
}

struct Attachment {
    raw: RawClient,
    key: RegKey,
}

impl Subscriber {
    /// A new, unattached subscriber; `supervised` ones outlive their connection.
    pub fn new(supervised: bool) -> Arc<Self> {
        Arc::new(Subscriber {
            queue: Mutex::new(Queue {
                items: VecDeque::new(),
                waker: None,
                supervised,
                ended: false,
            }),
            attachment: Mutex::new(None),
        })
    }

    fn queue(&self) -> MutexGuard<'_, Queue> {
        self.queue.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn attachment(&self) -> MutexGuard<'_, Option<Attachment>> {
        self.attachment.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// The next item, or `Ready(None)` after the `Closed` item was taken.
    pub fn poll_next(&self, cx: &mut Context<'_>) -> Poll<Option<Item>> {
        let mut q = self.queue();
        match q.items.pop_front() {
            Some(item) => Poll::Ready(Some(item)),
            None if q.ended => Poll::Ready(None),
            None => {
                if !q.waker.as_ref().is_some_and(|w| w.will_wake(cx.waker())) {
                    q.waker = Some(cx.waker().clone());
                }
                Poll::Pending
            }
        }
    }

    /// Queues an event, or counts it as lagged when the queue is full. Returns the waker.
    fn push_event(&self, event: RawEvent) -> Option<Waker> {
        let mut q = self.queue();
        // The queue holds at most one marker past its capacity: a full queue grows the marker
        // at its back instead of storing the event.
        let item = if q.items.len() >= QUEUE_CAPACITY {
            Item::Lagged(1)
        } else {
            Item::Event(event)
        };
        q.push(item)
    }

    /// Queues a marker (`Lagged`, `Reconnected`) or the final `Closed` item.
    pub fn push_notice(&self, item: Item) {
        let waker = self.queue().push(item);
        if let Some(w) = waker {
            w.wake();
        }
    }

    /// Called when the connection closed: the end for a plain subscriber; a supervised one
    /// waits to be re-attached.
    fn connection_closed(&self, closed: &Closed) {
        self.attachment().take();
        if !self.queue().supervised {
            self.push_notice(Item::Closed(closed.clone()));
        }
    }

    /// Stops being supervised: the connection's close (or `closed` now) ends it.
    pub fn end_supervision(&self, closed: Closed) {
        self.queue().supervised = false;
        if self.attachment().is_none() {
            self.push_notice(Item::Closed(closed));
        }
    }

    /// Detaches from the current registration; the last subscriber of a registration sends
    /// its deregister call. Safe anywhere, in or out of a runtime: nothing here waits.
    pub fn detach(self: &Arc<Self>) {
        let Some(att) = self.attachment().take() else {
            return;
        };
        let shared = att.raw.shared();
        if let Some((family, callback_id)) = shared.events.remove(self, &att.key) {
            queue_deregister(shared, family, callback_id);
        }
    }
}

/// Appends a DEREGISTER call to the shared write buffer and wakes the driver. No caller waits
/// for its reply (the driver discards it), so this works from `Drop`, even outside a runtime.
/// The frame is tiny, so it does not wait for the write buffer's high-water mark either.
fn queue_deregister(shared: &Shared, family: &'static EventFamily, callback_id: i32) {
    let waker = {
        let mut st = shared.lock();
        if st.closed.is_some() {
            return;
        }
        let serial = st.next_serial;
        st.next_serial = serial.wrapping_add(1).max(1);
        let header = Header::call(family.program, family.version, family.deregister, serial);
        let args = if family.callback_ids {
            Preencoded::Int(callback_id)
        } else {
            Preencoded::Bytes(&[])
        };
        // An int or nothing: always within the limits.
        let _ = frame::encode_packet(&mut st.out, &header, &args);
        st.driver_waker.take()
    };
    tracing::debug!(family = family.name, callback_id, "deregistering");
    if let Some(w) = waker {
        w.wake();
    }
}

/// Undoes the registration a given-up register call made: deregisters the callback id its
/// reply names, and drops any event that came for it.
fn undo_register(shared: &Shared, family: &'static EventFamily, reply: Packet) {
    let h = &reply.header;
    if (h.prog, h.vers, h.proc) != (family.program, family.version, family.register)
        || h.status != Status::Ok
    {
        return;
    }
    let callback_id = if family.callback_ids {
        match RawClient::decode_reply::<i32>(&reply.payload) {
            Ok(id) => id,
            Err(_) => return,
        }
    } else {
        0
    };
    tracing::debug!(
        family = family.name,
        callback_id,
        "undoing a registration given up"
    );
    shared.events.lock().retire((family.id(), callback_id));
    queue_deregister(shared, family, callback_id);
}

/// Arguments already encoded (register calls), or one int (deregister calls).
enum Preencoded<'a> {
    Bytes(&'a [u8]),
    Int(i32),
}

impl Encode for Preencoded<'_> {
    fn encode(&self, out: &mut BytesMut) {
        match self {
            Preencoded::Bytes(b) => out.extend_from_slice(b),
            Preencoded::Int(n) => n.encode(out),
        }
    }
    fn encoded_len(&self) -> usize {
        match self {
            Preencoded::Bytes(b) => b.len(),
            Preencoded::Int(_) => 4,
        }
    }
}

struct Registration {
    key: RegKey,
    family: &'static EventFamily,
    subscribers: Vec<Arc<Subscriber>>,
}

#[derive(Default)]
struct RouterState {
    by_callback: HashMap<CallbackKey, Registration>,
    by_key: HashMap<RegKey, i32>,
    /// Events for callbacks not registered yet, oldest first.
    early: VecDeque<(CallbackKey, RawEvent)>,
    /// Early events dropped from the ring, per callback.
    early_dropped: HashMap<CallbackKey, u64>,
    retired: VecDeque<CallbackKey>,
    closed: Option<Closed>,
}

/// The routing table of one connection; see the [module docs](self).
#[derive(Default)]
pub(crate) struct EventRouter {
    state: Mutex<RouterState>,
}

impl EventRouter {
    fn lock(&self) -> MutexGuard<'_, RouterState> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Routes one MESSAGE packet (not keepalive). Never waits.
    pub fn route(&self, packet: Packet) {
        let h = &packet.header;
        let Some(family) = family_of(h.prog, h.proc) else {
            tracing::debug!(
                program = h.prog,
                procedure = h.proc,
                "ignoring an unknown message"
            );
            return;
        };
        let callback_id = if family.callback_ids {
            match packet.payload.get(..4) {
                Some(b) => i32::from_be_bytes([b[0], b[1], b[2], b[3]]),
                None => {
                    tracing::debug!(procedure = h.proc, "ignoring an event without callback id");
                    return;
                }
            }
        } else {
            0
        };
        let event = RawEvent {
            procedure: h.proc,
            payload: packet.payload,
        };
        let key = (family.id(), callback_id);
        let wakers: Vec<Waker> = {
            let mut st = self.lock();
            match st.by_callback.get(&key) {
                Some(reg) => reg
                    .subscribers
                    .iter()
                    .filter_map(|s| s.push_event(event.clone()))
                    .collect(),
                None => {
                    st.stash_early(key, event);
                    Vec::new()
                }
            }
        };
        for w in wakers {
            w.wake();
        }
    }

    /// Ends every subscription with `closed` (supervised ones wait for their supervisor).
    pub fn close(&self, closed: &Closed) {
        let subscribers: Vec<Arc<Subscriber>> = {
            let mut st = self.lock();
            st.closed.get_or_insert_with(|| closed.clone());
            st.by_key.clear();
            st.early.clear();
            st.early_dropped.clear();
            std::mem::take(&mut st.by_callback)
                .into_values()
                .flat_map(|r| r.subscribers)
                .collect()
        };
        for s in subscribers {
            s.connection_closed(closed);
        }
    }

    /// Attaches `sub` to the registration of `key` if there is one.
    fn join(&self, key: &RegKey, sub: &Arc<Subscriber>) -> Result<bool> {
        let mut st = self.lock();
        if let Some(c) = &st.closed {
            return Err(c.to_error());
        }
        let Some(&id) = st.by_key.get(key) else {
            return Ok(false);
        };
        let reg = st
            .by_callback
            .get_mut(&(key.family, id))
            .expect("by_key and by_callback agree");
        reg.subscribers.push(sub.clone());
        Ok(true)
    }

    /// Records the new registration `callback_id` for `key` with `sub` as its first
    /// subscriber, and hands it the events that came early. If an identical registration
    /// appeared meanwhile, `sub` joins that one and `Some(callback_id)` is returned: the new
    /// registration is redundant and must be deregistered.
    fn insert(
        &self,
        key: &RegKey,
        family: &'static EventFamily,
        callback_id: i32,
        sub: &Arc<Subscriber>,
    ) -> Result<Option<i32>> {
        if self.join(key, sub)? {
            return Ok(Some(callback_id));
        }
        let ckey = (key.family, callback_id);
        let mut st = self.lock();
        if let Some(c) = &st.closed {
            return Err(c.to_error());
        }
        if let Some(n) = st.early_dropped.remove(&ckey) {
            sub.push_notice(Item::Lagged(n));
        }
        let (mine, others): (VecDeque<_>, VecDeque<_>) =
            st.early.drain(..).partition(|(k, _)| *k == ckey);
        st.early = others;
        for (_, event) in mine {
            sub.push_event(event);
        }
        st.by_key.insert(key.clone(), callback_id);
        st.by_callback.insert(
            ckey,
            Registration {
                key: key.clone(),
                family,
                subscribers: vec![sub.clone()],
            },
        );
        Ok(None)
    }

    /// Removes `sub` from the registration of `key`; when it was the last subscriber, the
    /// registration goes too and its family and callback id are returned for deregistering.
    fn remove(&self, sub: &Arc<Subscriber>, key: &RegKey) -> Option<(&'static EventFamily, i32)> {
        let mut st = self.lock();
        let id = *st.by_key.get(key)?;
        let ckey = (key.family, id);
        let reg = st.by_callback.get_mut(&ckey)?;
        reg.subscribers.retain(|s| !Arc::ptr_eq(s, sub));
        if !reg.subscribers.is_empty() {
            return None;
        }
        let reg = st.by_callback.remove(&ckey)?;
        st.by_key.remove(&reg.key);
        st.retire(ckey);
        Some((reg.family, id))
    }
}

impl RouterState {
    fn stash_early(&mut self, key: CallbackKey, event: RawEvent) {
        if self.retired.contains(&key) {
            tracing::debug!(
                callback_id = key.1,
                "dropping an event for a closed callback"
            );
            return;
        }
        if self.early.len() >= EARLY_CAPACITY {
            if let Some((old, _)) = self.early.pop_front() {
                *self.early_dropped.entry(old).or_default() += 1;
            }
        }
        self.early.push_back((key, event));
    }

    fn retire(&mut self, key: CallbackKey) {
        if self.retired.len() >= RETIRED_CAPACITY {
            self.retired.pop_front();
        }
        self.retired.push_back(key);
        self.early.retain(|(k, _)| *k != key);
        self.early_dropped.remove(&key);
    }
}

impl RawClient {
    /// Ends every event subscription of the connection with `closed` (after CONNECT_CLOSE the
    /// daemon drops every callback of the connection).
    pub(crate) fn end_events(&self, closed: &Closed) {
        self.shared().events.close(closed);
    }

    /// Registers `sub` for the events of `family` selected by `args` (the register call's
    /// encoded arguments), sharing an identical live registration when there is one.
    pub(crate) async fn subscribe(
        &self,
        family: &'static EventFamily,
        args: Bytes,
        sub: &Arc<Subscriber>,
    ) -> Result<()> {
        let key = RegKey {
            family: family.id(),
            args,
        };
        let router = &self.shared().events;
        if !router.join(&key, sub)? {
            // given up before the reply (the subscribing future dropped), the registration the
            // daemon makes anyway is undone when its reply comes
            let undo: Orphan =
                Box::new(move |shared, packet| undo_register(shared, family, packet));
            let reply = self
                .call_bytes_or_undo(
                    [family.program, family.version],
                    family.register,
                    &Preencoded::Bytes(&key.args),
                    undo,
                )
                .await?;
            let callback_id = if family.callback_ids {
                RawClient::decode_reply::<i32>(&reply)?
            } else {
                0
            };
            tracing::debug!(family = family.name, callback_id, "registered");
            if let Some(redundant) = router.insert(&key, family, callback_id, sub)? {
                queue_deregister(self.shared(), family, redundant);
            }
        }
        *sub.attachment() = Some(Attachment {
            raw: self.clone(),
            key,
        });
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use std::task::Waker;

    use super::*;
    use crate::error::CloseReason;
    use crate::proto::packet::{Status, Type};

    fn message(callback_id: i32, n: u8) -> Packet {
        let mut payload = callback_id.to_be_bytes().to_vec();
        payload.push(n);
        Packet {
            header: Header {
                prog: DOMAIN.program,
                vers: DOMAIN.version,
                proc: DOMAIN.messages[0],
                r#type: Type::Message,
                serial: 0,
                status: Status::Ok,
            },
            payload: payload.into(),
        }
    }

    fn key() -> RegKey {
        RegKey {
            family: DOMAIN.id(),
            args: Bytes::from_static(&[0, 0, 0, 0, 0, 0, 0, 0]),
        }
    }

    /// Everything queued: `Some(n)` for an event's marker byte, `None` for Lagged(n) as `n`.
    fn drain(sub: &Subscriber) -> Vec<Result<u8, u64>> {
        let mut cx = Context::from_waker(Waker::noop());
        let mut out = Vec::new();
        while let Poll::Ready(Some(item)) = sub.poll_next(&mut cx) {
            out.push(match item {
                Item::Event(e) => Ok(e.payload[4]),
                Item::Lagged(n) => Err(n),
                other => panic!("{other:?}"),
            });
        }
        out
    }

    #[test]
    fn a_full_queue_counts_what_it_drops_at_the_gap() {
        let router = EventRouter::default();
        let sub = Subscriber::new(false);
        assert_eq!(router.insert(&key(), &DOMAIN, 7, &sub).unwrap(), None);
        for i in 0..QUEUE_CAPACITY + 5 {
            router.route(message(7, (i % 200) as u8));
        }
        let mut cx = Context::from_waker(Waker::noop());
        // The marker takes a place too: after two events are read there is room for one,
        // which goes after the marker.
        for _ in 0..2 {
            assert!(matches!(
                sub.poll_next(&mut cx),
                Poll::Ready(Some(Item::Event(_)))
            ));
        }
        router.route(message(7, 250));
        router.route(message(7, 251));
        let items = drain(&sub);
        assert_eq!(items.len(), QUEUE_CAPACITY + 1);
        assert_eq!(items[QUEUE_CAPACITY - 2], Err(5));
        assert_eq!(items[QUEUE_CAPACITY - 1], Ok(250));
        assert_eq!(items[QUEUE_CAPACITY], Err(1));
    }

    #[test]
    fn events_before_the_register_reply_are_handed_over_in_order() {
        let router = EventRouter::default();
        router.route(message(3, 1)); // another callback: stays in the ring
        for i in 0..EARLY_CAPACITY as u8 + 2 {
            router.route(message(9, i));
        }
        let sub = Subscriber::new(false);
        router.insert(&key(), &DOMAIN, 9, &sub).unwrap();
        let items = drain(&sub);
        // The ring held the newest EARLY_CAPACITY events; the oldest 3 (one of callback 3)
        // were dropped, 2 of them callback 9's.
        assert_eq!(items[0], Err(2));
        assert_eq!(items.len(), 1 + EARLY_CAPACITY);
        assert_eq!(items[1], Ok(2));
        assert_eq!(*items.last().unwrap(), Ok(EARLY_CAPACITY as u8 + 1));
    }

    #[test]
    fn the_last_subscriber_gone_deregisters_and_close_reaches_the_others() {
        let router = EventRouter::default();
        let (a, b) = (Subscriber::new(false), Subscriber::new(false));
        router.insert(&key(), &DOMAIN, 4, &a).unwrap();
        assert!(router.join(&key(), &b).unwrap());
        // An identical registration made meanwhile is redundant.
        let c = Subscriber::new(false);
        assert_eq!(router.insert(&key(), &DOMAIN, 5, &c).unwrap(), Some(5));
        assert!(router.remove(&a, &key()).is_none());
        assert!(router.remove(&c, &key()).is_none());
        router.close(&Closed::plain(CloseReason::Eof, "gone"));
        let mut cx = Context::from_waker(Waker::noop());
        assert!(matches!(sub_next(&b, &mut cx), Some(Item::Closed(_))));
        assert!(sub_next(&b, &mut cx).is_none());
        assert!(router.join(&key(), &a).is_err());

        let router = EventRouter::default();
        router.insert(&key(), &DOMAIN, 4, &a).unwrap();
        assert_eq!(router.remove(&a, &key()).map(|(_, id)| id), Some(4));
        // Its late events are dropped, not kept for a future registration.
        router.route(message(4, 0));
        assert!(router.lock().early.is_empty());
    }

    fn sub_next(sub: &Subscriber, cx: &mut Context<'_>) -> Option<Item> {
        match sub.poll_next(cx) {
            Poll::Ready(item) => item,
            Poll::Pending => None,
        }
    }
}
