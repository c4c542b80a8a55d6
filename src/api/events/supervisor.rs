//! A connection that comes back: reconnects with backoff when the connection dies and
//! registers every live event subscription again.

use std::sync::{Arc, Mutex, MutexGuard, Weak};
use std::time::Duration;

use bytes::Bytes;
use tokio::sync::oneshot;

use super::{Event, EventStream, Source, Watch};
use crate::api::Client;
use crate::config::Config;
use crate::error::{CloseReason, Error, Result};
use crate::rpc::Closed;
use crate::rpc::events::{EventFamily, Item, Subscriber};

/// When and how often a [`Supervisor`] tries to reconnect.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ReconnectPolicy {
    /// The wait before the first attempt after the connection died.
    pub initial_delay: Duration,
    /// The longest wait between attempts; each failed attempt doubles the wait up to this.
    pub max_delay: Duration,
    /// Give up after this many failed attempts in a row (`None`: never give up).
    pub max_attempts: Option<u32>,
}

impl Default for ReconnectPolicy {
    /// 100 ms, doubling up to 30 s, without end.
    fn default() -> Self {
        ReconnectPolicy {
            initial_delay: Duration::from_millis(100),
            max_delay: Duration::from_secs(30),
            max_attempts: None,
        }
    }
}

/// A connection that reconnects, opt-in: when the connection dies (daemon restarted, network
/// cut, keepalive timeout), it connects again with backoff as its [`ReconnectPolicy`] says and
/// registers every live [`EventStream`] it made again.
///
/// **Guarantees.** Every stream from [`watch`](Self::watch) yields
/// [`EventItem::Reconnected`](super::EventItem::Reconnected) once it is registered on the new
/// connection, and events after it come from the new registration. Events the daemon emitted
/// while no connection was open are lost: resynchronise on `Reconnected` (e.g. with
/// `list_all_domains`). A stream whose registration the new daemon refuses (e.g. its domain no
/// longer exists) yields that error and ends. When the policy gives up, every stream yields
/// the last connection error and ends. The stream does not end when the connection dies, so
/// calls made through [`client`](Self::client) during an outage fail while streams wait.
/// A subscription dropped during an outage is not registered again. Nothing is replayed:
/// calls in flight when the connection died fail with its close error.
#[derive(Clone)]
pub struct Supervisor {
    inner: Arc<Inner>,
}

pub(crate) struct Inner {
    state: Mutex<State>,
    /// Dropped with the last handle and stream: stops the reconnect task.
    _stop: oneshot::Sender<()>,
}

struct State {
    client: Client,
    subscriptions: Vec<Registered>,
    /// Set when the supervisor gave up: later watches fail with it.
    gave_up: Option<Closed>,
}

struct Registered {
    sub: Weak<Subscriber>,
    family: &'static EventFamily,
    args: Bytes,
}

impl Inner {
    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    pub(crate) fn client(&self) -> Client {
        self.lock().client.clone()
    }
}

impl std::fmt::Debug for Supervisor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Supervisor")
            .field("client", &self.inner.client())
            .finish()
    }
}

impl Supervisor {
    /// Connects to `uri` (as [`Client::connect`] does) and supervises the connection with
    /// `policy`. Spawns its reconnect task on the current tokio runtime.
    pub async fn connect(uri: &str, policy: ReconnectPolicy) -> Result<Supervisor> {
        Self::connect_config(Config::resolve((!uri.is_empty()).then_some(uri))?, policy).await
    }

    /// Connects as `config` says and supervises the connection with `policy`.
    pub async fn connect_config(config: Config, policy: ReconnectPolicy) -> Result<Supervisor> {
        let client = config.connect().await?;
        let (stop, stopped) = oneshot::channel();
        let inner = Arc::new(Inner {
            state: Mutex::new(State {
                client: client.clone(),
                subscriptions: Vec::new(),
                gave_up: None,
            }),
            _stop: stop,
        });
        tokio::spawn(run(Arc::downgrade(&inner), client, config, policy, stopped));
        Ok(Supervisor { inner })
    }

    /// The current connection. After it dies, calls through it fail until the next one is
    /// open; call this again for the new one.
    pub fn client(&self) -> Client {
        self.inner.client()
    }

    /// Subscribes to the events `watch` selects, on this and every later connection. During an
    /// outage the stream is registered once the connection is back.
    pub async fn watch<T: Event>(&self, watch: Watch<T>) -> Result<EventStream<T>> {
        let stream = EventStream::new(
            Subscriber::new(true),
            Source::Supervisor(self.inner.clone()),
        );
        let client = {
            let mut st = self.inner.lock();
            if let Some(closed) = &st.gave_up {
                return Err(closed.to_error());
            }
            st.subscriptions.retain(|r| r.sub.strong_count() > 0);
            st.subscriptions.push(Registered {
                sub: Arc::downgrade(&stream.sub),
                family: watch.family,
                args: watch.args.clone(),
            });
            st.client.clone()
        };
        match client
            .raw()
            .subscribe(watch.family, watch.args, &stream.sub)
            .await
        {
            // The connection died meanwhile: the reconnect task registers the stream.
            Err(e) if e.is_closed() => Ok(stream),
            Err(e) => Err(e),
            Ok(()) => Ok(stream),
        }
    }
}

/// The reconnect task: waits for the connection to die, reconnects, re-registers.
async fn run(
    inner: Weak<Inner>,
    mut client: Client,
    config: Config,
    policy: ReconnectPolicy,
    mut stopped: oneshot::Receiver<()>,
) {
    loop {
        tokio::select! {
            _ = client.closed() => {}
            _ = &mut stopped => return,
        }
        drop(client);
        let next = tokio::select! {
            next = reconnect(&config, &policy) => next,
            _ = &mut stopped => return,
        };
        let Some(inner) = inner.upgrade() else { return };
        match next {
            Ok(c) => {
                client = c;
                reregister(&inner, &client).await;
            }
            Err(e) => {
                give_up(&inner, e);
                return;
            }
        }
    }
}

/// Connects again, waiting between attempts as `policy` says; the last error when it gives up.
async fn reconnect(config: &Config, policy: &ReconnectPolicy) -> Result<Client> {
    let mut delay = policy.initial_delay;
    let mut failures = 0u32;
    loop {
        tokio::time::sleep(delay).await;
        match config.connect().await {
            Ok(c) => {
                tracing::info!(attempts = failures + 1, "reconnected");
                return Ok(c);
            }
            Err(e) => {
                failures += 1;
                tracing::debug!(error = %e, failures, "reconnecting failed");
                if policy.max_attempts.is_some_and(|max| failures >= max) {
                    return Err(e);
                }
                delay = (delay * 2).min(policy.max_delay);
            }
        }
    }
}

/// Makes `client` the current connection and registers every live subscription on it.
async fn reregister(inner: &Inner, client: &Client) {
    let subs: Vec<(Arc<Subscriber>, &'static EventFamily, Bytes)> = {
        let mut st = inner.lock();
        st.client = client.clone();
        st.subscriptions.retain(|r| r.sub.strong_count() > 0);
        st.subscriptions
            .iter()
            .filter_map(|r| Some((r.sub.upgrade()?, r.family, r.args.clone())))
            .collect()
    };
    for (sub, family, args) in subs {
        match client.raw().subscribe(family, args, &sub).await {
            Ok(()) => sub.push_notice(Item::Reconnected),
            // The next connection registers it again.
            Err(e) if e.is_closed() => {}
            Err(e) => {
                tracing::debug!(error = %e, family = family.name, "re-registering failed");
                sub.end_supervision(Closed::by(CloseReason::Error, e));
            }
        }
    }
}

/// Ends every supervised stream with `err`: the policy gave up.
fn give_up(inner: &Inner, err: Error) {
    let reason = err.close_reason().unwrap_or(CloseReason::Error);
    let closed = Closed::by(reason, err);
    let subs = {
        let mut st = inner.lock();
        st.gave_up = Some(closed.clone());
        std::mem::take(&mut st.subscriptions)
    };
    for r in subs {
        if let Some(sub) = r.sub.upgrade() {
            sub.end_supervision(closed.clone());
        }
    }
}
