//! Events of networks, storage pools, node devices and secrets; QEMU monitor events; the
//! daemon's notice that it closes the connection.

use super::{EventStream, Watch, decode_msg, sealed::DecodeEvent};
use crate::api::{Client, Domain, Network, NodeDevice, Secret, StoragePool};
use crate::error::{Error, Result};
use crate::flags::ConnectDomainQemuMonitorEventRegisterFlags;
use crate::proto::c_events::{
    ConnectCloseReason, NetworkEventId, NetworkEventLifecycleType, NodeDeviceEventId,
    NodeDeviceEventLifecycleType, SecretEventId, SecretEventLifecycleType, StoragePoolEventId,
    StoragePoolEventLifecycleType,
};
use crate::proto::qemu;
use crate::proto::remote::{self, procs};
use crate::proto::xdr::XdrString;
use crate::rpc::events::{
    CONNECTION_CLOSED, NETWORK, NODE_DEVICE, QEMU_MONITOR, SECRET, STORAGE_POOL,
};

/// Declares the event type of an object family whose events are a lifecycle change or one
/// other kind, with its `watch` constructor, decoding and `Client` method.
macro_rules! object_events {
    (
        $(#[$doc:meta])* $event:ident, $kind:ident, $field:ident: $handle:ident,
        family: $family:ident, id: $id:ident, args: $args:ident.$arg:ident,
        lifecycle: $lifecycle_ty:ident = $lifecycle_msg:ident($lifecycle_proc:ident),
        $(#[$other_doc:meta])* $other:ident $({ $($ofield:ident: $oty:ty = $oconv:expr),* })?
            = $other_msg:ident($other_proc:ident),
        method: $(#[$method_doc:meta])* $method:ident,
    ) => {
        $(#[$doc])*
        #[derive(Debug, Clone)]
        pub struct $event {
            /// The object, usable for calls at once.
            pub $field: $handle,
            /// What happened.
            pub kind: $kind,
        }

        #[doc = concat!("What happened to a ", stringify!($handle), ".")]
        #[derive(Debug, Clone, PartialEq, Eq)]
        #[non_exhaustive]
        pub enum $kind {
            /// `LIFECYCLE`: defined, undefined, started, stopped, …
            Lifecycle {
                /// What happened.
                event: $lifecycle_ty,
                /// The detail's wire value (libvirt defines none so far: 0).
                detail: i32,
            },
            $(#[$other_doc])*
            $other $({ $(#[doc = concat!("`", stringify!($ofield), "` of the message.")] $ofield: $oty),* })?,
        }

        impl $event {
            #[doc = concat!("Events `id` of `", stringify!($field), "`, or of all of them (`None`).")]
            pub fn watch(id: $id, $field: Option<&$handle>) -> Watch<$event> {
                Watch::new(
                    &$family,
                    &remote::$args {
                        event_id: id.to_i32(),
                        $arg: $field.map($handle::to_remote),
                    },
                )
            }
        }

        impl DecodeEvent for $event {
            fn decode_event(client: &Client, procedure: i32, payload: &[u8]) -> Result<Self> {
                if procedure == procs::$lifecycle_proc.number {
                    let m = decode_msg::<remote::$lifecycle_msg>(payload, $family.name)?;
                    Ok($event {
                        $field: $handle::new(client.clone(), m.$arg),
                        kind: $kind::Lifecycle {
                            event: $lifecycle_ty::from_i32(m.event),
                            detail: m.detail,
                        },
                    })
                } else if procedure == procs::$other_proc.number {
                    #[allow(unused_variables)]
                    let m = decode_msg::<remote::$other_msg>(payload, $family.name)?;
                    Ok($event {
                        kind: $kind::$other $({ $($ofield: $oconv(&m)),* })?,
                        $field: $handle::new(client.clone(), m.$arg),
                    })
                } else {
                    Err(Error::protocol(format!(
                        "procedure {procedure} is not a {} event",
                        $family.name
                    )))
                }
            }
        }

        impl Client {
            $(#[$method_doc])*
            pub async fn $method(
                &self,
                $field: Option<&$handle>,
                id: $id,
            ) -> Result<EventStream<$event>> {
                self.watch($event::watch(id, $field)).await
            }
        }
    };
}

object_events!(
    /// A network event.
    NetworkEvent, NetworkEventKind, network: Network,
    family: NETWORK, id: NetworkEventId, args: ConnectNetworkEventRegisterAnyArgs.net,
    lifecycle: NetworkEventLifecycleType = NetworkEventLifecycleMsg(NETWORK_EVENT_LIFECYCLE),
    /// `METADATA_CHANGE`: the description, title or a metadata element changed.
    MetadataChange {
        kind: i32 = |m: &remote::NetworkEventCallbackMetadataChangeMsg| m.r#type,
        nsuri: Option<String> = |m: &remote::NetworkEventCallbackMetadataChangeMsg| {
            m.nsuri.as_ref().map(|s| s.as_str().to_owned())
        }
    } = NetworkEventCallbackMetadataChangeMsg(NETWORK_EVENT_CALLBACK_METADATA_CHANGE),
    method:
    /// Events `id` of `network`, or of every network (`None`).
    network_events,
);

object_events!(
    /// A storage pool event.
    StoragePoolEvent, StoragePoolEventKind, pool: StoragePool,
    family: STORAGE_POOL, id: StoragePoolEventId,
    args: ConnectStoragePoolEventRegisterAnyArgs.pool,
    lifecycle: StoragePoolEventLifecycleType =
        StoragePoolEventLifecycleMsg(STORAGE_POOL_EVENT_LIFECYCLE),
    /// `REFRESH`: the pool was refreshed (its volumes were scanned again).
    Refresh = StoragePoolEventRefreshMsg(STORAGE_POOL_EVENT_REFRESH),
    method:
    /// Events `id` of `pool`, or of every storage pool (`None`).
    storage_pool_events,
);

object_events!(
    /// A node device event.
    NodeDeviceEvent, NodeDeviceEventKind, device: NodeDevice,
    family: NODE_DEVICE, id: NodeDeviceEventId,
    args: ConnectNodeDeviceEventRegisterAnyArgs.dev,
    lifecycle: NodeDeviceEventLifecycleType =
        NodeDeviceEventLifecycleMsg(NODE_DEVICE_EVENT_LIFECYCLE),
    /// `UPDATE`: the device's properties changed.
    Update = NodeDeviceEventUpdateMsg(NODE_DEVICE_EVENT_UPDATE),
    method:
    /// Events `id` of `device`, or of every host device (`None`).
    node_device_events,
);

object_events!(
    /// A secret event.
    SecretEvent, SecretEventKind, secret: Secret,
    family: SECRET, id: SecretEventId, args: ConnectSecretEventRegisterAnyArgs.secret,
    lifecycle: SecretEventLifecycleType = SecretEventLifecycleMsg(SECRET_EVENT_LIFECYCLE),
    /// `VALUE_CHANGED`: the secret's value was set.
    ValueChanged = SecretEventValueChangedMsg(SECRET_EVENT_VALUE_CHANGED),
    method:
    /// Events `id` of `secret`, or of every secret (`None`).
    secret_events,
);

/// An event of a domain's QEMU monitor (QMP), for the QEMU driver only: for debugging and
/// features libvirt does not model. libvirt does not support this use.
#[derive(Debug, Clone)]
pub struct QemuMonitorEvent {
    /// The domain.
    pub domain: Domain,
    /// The QMP event's name (`STOP`, `RESUME`, `SHUTDOWN`, …).
    pub event: String,
    /// When it happened: seconds since the epoch …
    pub seconds: i64,
    /// … and microseconds.
    pub micros: u32,
    /// The event's `data` member as JSON, if it had one.
    pub details: Option<String>,
}

impl QemuMonitorEvent {
    /// QMP events of `dom` (or of every domain), all of them or those named `event`;
    /// `flags` say how `event` matches (`REGEX`: a regular expression, `NOCASE`: without case).
    pub fn watch(
        dom: Option<&Domain>,
        event: Option<&str>,
        flags: ConnectDomainQemuMonitorEventRegisterFlags,
    ) -> Result<Watch<QemuMonitorEvent>> {
        let dom = dom.map(|d| remote::NonnullDomain {
            id: -1,
            ..d.to_remote()
        });
        let event = event.map(XdrString::try_from).transpose()?;
        Ok(Watch::new(
            &QEMU_MONITOR,
            &qemu::ConnectDomainMonitorEventRegisterArgs { dom, event, flags },
        ))
    }
}

impl DecodeEvent for QemuMonitorEvent {
    fn decode_event(client: &Client, procedure: i32, payload: &[u8]) -> Result<Self> {
        if procedure != qemu::procs::DOMAIN_MONITOR_EVENT.number {
            return Err(Error::protocol(format!(
                "procedure {procedure} is not a QEMU monitor event"
            )));
        }
        let m = decode_msg::<qemu::DomainMonitorEventMsg>(payload, QEMU_MONITOR.name)?;
        Ok(QemuMonitorEvent {
            domain: Domain::new(client.clone(), m.dom),
            event: m.event.into_inner(),
            seconds: m.seconds,
            micros: m.micros,
            details: m.details.map(|d| d.into_inner()),
        })
    }
}

/// The daemon's notice that it is closing the connection, with the reason it gives.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ConnectionClosed {
    /// Why.
    pub reason: ConnectCloseReason,
}

impl ConnectionClosed {
    /// The close notice (one registration per connection).
    pub fn watch() -> Watch<ConnectionClosed> {
        Watch::new(&CONNECTION_CLOSED, &())
    }
}

impl DecodeEvent for ConnectionClosed {
    fn decode_event(_client: &Client, procedure: i32, payload: &[u8]) -> Result<Self> {
        if procedure != procs::CONNECT_EVENT_CONNECTION_CLOSED.number {
            return Err(Error::protocol(format!(
                "procedure {procedure} is not a connection close event"
            )));
        }
        let m =
            decode_msg::<remote::ConnectEventConnectionClosedMsg>(payload, CONNECTION_CLOSED.name)?;
        Ok(ConnectionClosed {
            reason: ConnectCloseReason::from_i32(m.reason),
        })
    }
}

impl Client {
    /// QMP events of the QEMU driver; see [`QemuMonitorEvent::watch`].
    pub async fn qemu_monitor_events(
        &self,
        dom: Option<&Domain>,
        event: Option<&str>,
        flags: ConnectDomainQemuMonitorEventRegisterFlags,
    ) -> Result<EventStream<QemuMonitorEvent>> {
        self.watch(QemuMonitorEvent::watch(dom, event, flags)?)
            .await
    }

    /// The daemon's notices that it closes the connection (e.g. a driver's daemon going
    /// away behind a proxy). The stream itself also ends with the connection's close error.
    pub async fn connection_closed_events(&self) -> Result<EventStream<ConnectionClosed>> {
        self.watch(ConnectionClosed::watch()).await
    }
}
