//! Domain events: every event id, typed.

use super::{EventStream, Watch, decode_msg, sealed::DecodeEvent};
use crate::api::{Client, Domain};
use crate::error::{Error, Result};
use crate::proto::c_events::{
    ConnectDomainEventAgentLifecycleReason, ConnectDomainEventAgentLifecycleState,
    ConnectDomainEventBlockJobStatus, ConnectDomainEventChannelLifecycleReason,
    ConnectDomainEventChannelLifecycleState, ConnectDomainEventDiskChangeReason,
    DomainBlockJobType, DomainEventCrashedDetailType, DomainEventDefinedDetailType,
    DomainEventGraphicsAddressType, DomainEventGraphicsPhase, DomainEventId,
    DomainEventIoErrorAction, DomainEventPmSuspendedDetailType, DomainEventResumedDetailType,
    DomainEventShutdownDetailType, DomainEventStartedDetailType, DomainEventStoppedDetailType,
    DomainEventSuspendedDetailType, DomainEventTrayChangeReason, DomainEventType,
    DomainEventUndefinedDetailType, DomainEventWatchdogAction, DomainMemoryFailureActionType,
    DomainMemoryFailureFlags, DomainMemoryFailureRecipientType,
};
use crate::proto::remote::{self, procs};
use crate::rpc::events::DOMAIN;

/// One domain event: the domain it is about and what happened.
#[derive(Debug, Clone)]
pub struct DomainEvent {
    /// The domain, usable for calls at once.
    pub domain: Domain,
    /// What happened.
    pub kind: DomainEventKind,
}

/// A lifecycle change (`VIR_DOMAIN_EVENT_ID_LIFECYCLE`) with its typed detail.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lifecycle {
    /// The domain was defined (made persistent) or its definition changed.
    Defined(DomainEventDefinedDetailType),
    /// The persistent definition was removed.
    Undefined(DomainEventUndefinedDetailType),
    /// The domain started.
    Started(DomainEventStartedDetailType),
    /// The domain was paused.
    Suspended(DomainEventSuspendedDetailType),
    /// The domain was unpaused.
    Resumed(DomainEventResumedDetailType),
    /// The domain stopped.
    Stopped(DomainEventStoppedDetailType),
    /// The guest is shutting down (the domain has not stopped yet).
    Shutdown(DomainEventShutdownDetailType),
    /// The guest entered a power-management suspend state.
    PmSuspended(DomainEventPmSuspendedDetailType),
    /// The guest crashed.
    Crashed(DomainEventCrashedDetailType),
    /// An event type this build does not know, with its raw detail.
    Other {
        /// The event type's wire value.
        event: i32,
        /// The detail's wire value.
        detail: i32,
    },
}

impl Lifecycle {
    /// The lifecycle change for wire values `event` and `detail`.
    pub fn from_wire(event: i32, detail: i32) -> Self {
        match DomainEventType::from_i32(event) {
            DomainEventType::Defined => {
                Lifecycle::Defined(DomainEventDefinedDetailType::from_i32(detail))
            }
            DomainEventType::Undefined => {
                Lifecycle::Undefined(DomainEventUndefinedDetailType::from_i32(detail))
            }
            DomainEventType::Started => {
                Lifecycle::Started(DomainEventStartedDetailType::from_i32(detail))
            }
            DomainEventType::Suspended => {
                Lifecycle::Suspended(DomainEventSuspendedDetailType::from_i32(detail))
            }
            DomainEventType::Resumed => {
                Lifecycle::Resumed(DomainEventResumedDetailType::from_i32(detail))
            }
            DomainEventType::Stopped => {
                Lifecycle::Stopped(DomainEventStoppedDetailType::from_i32(detail))
            }
            DomainEventType::Shutdown => {
                Lifecycle::Shutdown(DomainEventShutdownDetailType::from_i32(detail))
            }
            DomainEventType::Pmsuspended => {
                Lifecycle::PmSuspended(DomainEventPmSuspendedDetailType::from_i32(detail))
            }
            DomainEventType::Crashed => {
                Lifecycle::Crashed(DomainEventCrashedDetailType::from_i32(detail))
            }
            DomainEventType::Unknown(_) => Lifecycle::Other { event, detail },
        }
    }
}

/// An I/O error on a disk (`VIR_DOMAIN_EVENT_ID_IO_ERROR` and `…_IO_ERROR_REASON`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IoError {
    /// The disk's source (file or device path).
    pub src_path: String,
    /// The disk's device alias.
    pub dev_alias: String,
    /// What the hypervisor did.
    pub action: DomainEventIoErrorAction,
    /// Why (e.g. `enospc`), for `IO_ERROR_REASON` subscriptions.
    pub reason: Option<String>,
}

/// One end of a graphics connection.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GraphicsAddress {
    /// IPv4, IPv6 or a unix socket.
    pub family: DomainEventGraphicsAddressType,
    /// The host (address or path).
    pub node: String,
    /// The port (service).
    pub service: String,
}

impl From<remote::DomainEventGraphicsAddress> for GraphicsAddress {
    fn from(a: remote::DomainEventGraphicsAddress) -> Self {
        GraphicsAddress {
            family: DomainEventGraphicsAddressType::from_i32(a.family),
            node: a.node.into_inner(),
            service: a.service.into_inner(),
        }
    }
}

/// What happened to a domain. Each variant belongs to one [`DomainEventId`].
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum DomainEventKind {
    /// `LIFECYCLE`: started, stopped, paused, defined, …
    Lifecycle(Lifecycle),
    /// `REBOOT`: the guest rebooted.
    Reboot,
    /// `RTC_CHANGE`: the guest changed its clock; the new offset from UTC in seconds.
    RtcChange {
        /// Seconds from UTC.
        utc_offset: i64,
    },
    /// `WATCHDOG`: the guest's watchdog fired.
    Watchdog(DomainEventWatchdogAction),
    /// `IO_ERROR` and `IO_ERROR_REASON`: a disk I/O error.
    IoError(IoError),
    /// `GRAPHICS`: a client connected to or disconnected from the console display.
    Graphics {
        /// Connect, initialize or disconnect.
        phase: DomainEventGraphicsPhase,
        /// The server's end.
        local: GraphicsAddress,
        /// The client's end.
        remote: GraphicsAddress,
        /// The authentication scheme used.
        auth_scheme: String,
        /// The client's identity: (type, name) pairs such as (`x509dname`, …).
        subject: Vec<(String, String)>,
    },
    /// `CONTROL_ERROR`: libvirt lost control of the domain (e.g. the monitor broke).
    ControlError,
    /// `BLOCK_JOB` (the disk by path) and `BLOCK_JOB_2` (the disk by target name): a block
    /// job changed state.
    BlockJob {
        /// The disk: its path (`BLOCK_JOB`) or target such as `vda` (`BLOCK_JOB_2`).
        disk: String,
        /// Pull, copy, commit, …
        job: DomainBlockJobType,
        /// Completed, failed, canceled or ready.
        status: ConnectDomainEventBlockJobStatus,
    },
    /// `DISK_CHANGE`: a disk's medium was changed or dropped.
    DiskChange {
        /// The old source, if there was one.
        old_src_path: Option<String>,
        /// The new source, if there is one.
        new_src_path: Option<String>,
        /// The disk's device alias.
        dev_alias: String,
        /// Why.
        reason: ConnectDomainEventDiskChangeReason,
    },
    /// `TRAY_CHANGE`: a removable disk's tray opened or closed.
    TrayChange {
        /// The disk's device alias.
        dev_alias: String,
        /// Opened or closed.
        reason: DomainEventTrayChangeReason,
    },
    /// `PMWAKEUP`: the guest woke from a power-management suspend.
    PmWakeup,
    /// `PMSUSPEND`: the guest suspended to memory.
    PmSuspend,
    /// `PMSUSPEND_DISK`: the guest suspended to disk.
    PmSuspendDisk,
    /// `BALLOON_CHANGE`: the balloon's current size changed.
    BalloonChange {
        /// The memory the guest has now, in KiB.
        actual_kib: u64,
    },
    /// `DEVICE_ADDED`: a device was hot-plugged.
    DeviceAdded {
        /// The device's alias.
        dev_alias: String,
    },
    /// `DEVICE_REMOVED`: a device was unplugged.
    DeviceRemoved {
        /// The device's alias.
        dev_alias: String,
    },
    /// `DEVICE_REMOVAL_FAILED`: the guest refused to unplug a device.
    DeviceRemovalFailed {
        /// The device's alias.
        dev_alias: String,
    },
    /// `TUNABLE`: tunables (CPU pinning, I/O limits, …) changed; the new values.
    Tunable(Vec<remote::TypedParam>),
    /// `AGENT_LIFECYCLE`: the guest agent connected or disconnected.
    AgentLifecycle {
        /// Connected or disconnected.
        state: ConnectDomainEventAgentLifecycleState,
        /// Why.
        reason: ConnectDomainEventAgentLifecycleReason,
    },
    /// `MIGRATION_ITERATION`: a pre-copy migration pass began.
    MigrationIteration {
        /// The pass's number.
        iteration: i32,
    },
    /// `JOB_COMPLETED`: a job finished; its statistics (`VIR_DOMAIN_JOB_*` fields).
    JobCompleted(Vec<remote::TypedParam>),
    /// `METADATA_CHANGE`: the description, title or a metadata element changed.
    MetadataChange {
        /// `VIR_DOMAIN_METADATA_*`: 0 description, 1 title, 2 element.
        kind: i32,
        /// The element's namespace, for kind 2.
        nsuri: Option<String>,
    },
    /// `BLOCK_THRESHOLD`: a disk's write position passed the threshold that was set.
    BlockThreshold {
        /// The disk's target (`vda`) or target with index (`vda[1]`).
        dev: String,
        /// The disk's source path, when it has one.
        path: Option<String>,
        /// The threshold, in bytes.
        threshold: u64,
        /// How far past it, in bytes.
        excess: u64,
    },
    /// `MEMORY_FAILURE`: a hardware memory error.
    MemoryFailure {
        /// Who got the error.
        recipient: DomainMemoryFailureRecipientType,
        /// What was done.
        action: DomainMemoryFailureActionType,
        /// Details.
        flags: DomainMemoryFailureFlags,
    },
    /// `MEMORY_DEVICE_SIZE_CHANGE`: a virtio-mem device's size changed.
    MemoryDeviceSizeChange {
        /// The device's alias.
        alias: String,
        /// The new size, in KiB.
        size_kib: u64,
    },
    /// `NIC_MAC_CHANGE`: the guest changed a NIC's MAC address.
    NicMacChange {
        /// The NIC's alias.
        alias: String,
        /// The old address.
        old_mac: String,
        /// The new address.
        new_mac: String,
    },
    /// `VCPU_REMOVED`: a vCPU was unplugged.
    VcpuRemoved {
        /// The vCPU's id.
        vcpu: u32,
    },
    /// `CHANNEL_LIFECYCLE`: a guest channel connected or disconnected.
    ChannelLifecycle {
        /// The channel's name.
        channel: String,
        /// Connected or disconnected.
        state: ConnectDomainEventChannelLifecycleState,
        /// Why.
        reason: ConnectDomainEventChannelLifecycleReason,
    },
}

/// Message procedure numbers, for matching.
mod number {
    use super::procs;
    macro_rules! consts {
        ($($name:ident),* $(,)?) => { $(pub const $name: i32 = procs::$name.number;)* };
    }
    consts!(
        DOMAIN_EVENT_CALLBACK_LIFECYCLE,
        DOMAIN_EVENT_CALLBACK_REBOOT,
        DOMAIN_EVENT_CALLBACK_RTC_CHANGE,
        DOMAIN_EVENT_CALLBACK_WATCHDOG,
        DOMAIN_EVENT_CALLBACK_IO_ERROR,
        DOMAIN_EVENT_CALLBACK_GRAPHICS,
        DOMAIN_EVENT_CALLBACK_IO_ERROR_REASON,
        DOMAIN_EVENT_CALLBACK_CONTROL_ERROR,
        DOMAIN_EVENT_CALLBACK_BLOCK_JOB,
        DOMAIN_EVENT_CALLBACK_DISK_CHANGE,
        DOMAIN_EVENT_CALLBACK_TRAY_CHANGE,
        DOMAIN_EVENT_CALLBACK_PMWAKEUP,
        DOMAIN_EVENT_CALLBACK_PMSUSPEND,
        DOMAIN_EVENT_CALLBACK_BALLOON_CHANGE,
        DOMAIN_EVENT_CALLBACK_PMSUSPEND_DISK,
        DOMAIN_EVENT_CALLBACK_DEVICE_REMOVED,
        DOMAIN_EVENT_BLOCK_JOB_2,
        DOMAIN_EVENT_CALLBACK_TUNABLE,
        DOMAIN_EVENT_CALLBACK_AGENT_LIFECYCLE,
        DOMAIN_EVENT_CALLBACK_DEVICE_ADDED,
        DOMAIN_EVENT_CALLBACK_MIGRATION_ITERATION,
        DOMAIN_EVENT_CALLBACK_JOB_COMPLETED,
        DOMAIN_EVENT_CALLBACK_DEVICE_REMOVAL_FAILED,
        DOMAIN_EVENT_CALLBACK_METADATA_CHANGE,
        DOMAIN_EVENT_BLOCK_THRESHOLD,
        DOMAIN_EVENT_MEMORY_FAILURE,
        DOMAIN_EVENT_MEMORY_DEVICE_SIZE_CHANGE,
        DOMAIN_EVENT_NIC_MAC_CHANGE,
        DOMAIN_EVENT_VCPU_REMOVED,
        DOMAIN_EVENT_CALLBACK_CHANNEL_LIFECYCLE,
    );
}

impl DomainEvent {
    /// Events `id` of domain `dom`, or of every domain (`None`).
    pub fn watch(id: DomainEventId, dom: Option<&Domain>) -> Watch<DomainEvent> {
        let dom = dom.map(|d| remote::NonnullDomain {
            // The daemon filters by UUID; a fixed id keeps identical subscriptions identical.
            id: -1,
            ..d.to_remote()
        });
        Watch::new(
            &DOMAIN,
            &remote::ConnectDomainEventCallbackRegisterAnyArgs {
                event_id: id.to_i32(),
                dom,
            },
        )
    }
}

fn ev(client: &Client, dom: remote::NonnullDomain, kind: DomainEventKind) -> DomainEvent {
    DomainEvent {
        domain: Domain::new(client.clone(), dom),
        kind,
    }
}

fn string(s: remote::NonnullString) -> String {
    s.into_inner()
}

fn opt_string(s: remote::RemoteString) -> Option<String> {
    s.map(string)
}

impl DecodeEvent for DomainEvent {
    fn decode_event(client: &Client, procedure: i32, payload: &[u8]) -> Result<Self> {
        use DomainEventKind as K;
        use number::*;
        macro_rules! msg {
            ($ty:ident) => {
                decode_msg::<remote::$ty>(payload, "domain")?
            };
        }
        Ok(match procedure {
            DOMAIN_EVENT_CALLBACK_LIFECYCLE => {
                let m = msg!(DomainEventCallbackLifecycleMsg).msg;
                ev(
                    client,
                    m.dom,
                    K::Lifecycle(Lifecycle::from_wire(m.event, m.detail)),
                )
            }
            DOMAIN_EVENT_CALLBACK_REBOOT => ev(
                client,
                msg!(DomainEventCallbackRebootMsg).msg.dom,
                K::Reboot,
            ),
            DOMAIN_EVENT_CALLBACK_RTC_CHANGE => {
                let m = msg!(DomainEventCallbackRtcChangeMsg).msg;
                ev(
                    client,
                    m.dom,
                    K::RtcChange {
                        utc_offset: m.offset,
                    },
                )
            }
            DOMAIN_EVENT_CALLBACK_WATCHDOG => {
                let m = msg!(DomainEventCallbackWatchdogMsg).msg;
                ev(
                    client,
                    m.dom,
                    K::Watchdog(DomainEventWatchdogAction::from_i32(m.action)),
                )
            }
            DOMAIN_EVENT_CALLBACK_IO_ERROR => {
                let m = msg!(DomainEventCallbackIoErrorMsg).msg;
                let e = IoError {
                    src_path: string(m.src_path),
                    dev_alias: string(m.dev_alias),
                    action: DomainEventIoErrorAction::from_i32(m.action),
                    reason: None,
                };
                ev(client, m.dom, K::IoError(e))
            }
            DOMAIN_EVENT_CALLBACK_IO_ERROR_REASON => {
                let m = msg!(DomainEventCallbackIoErrorReasonMsg).msg;
                let e = IoError {
                    src_path: string(m.src_path),
                    dev_alias: string(m.dev_alias),
                    action: DomainEventIoErrorAction::from_i32(m.action),
                    reason: Some(string(m.reason)),
                };
                ev(client, m.dom, K::IoError(e))
            }
            DOMAIN_EVENT_CALLBACK_GRAPHICS => {
                let m = msg!(DomainEventCallbackGraphicsMsg).msg;
                let kind = K::Graphics {
                    phase: DomainEventGraphicsPhase::from_i32(m.phase),
                    local: m.local.into(),
                    remote: m.remote.into(),
                    auth_scheme: string(m.auth_scheme),
                    subject: m
                        .subject
                        .into_iter()
                        .map(|i| (string(i.r#type), string(i.name)))
                        .collect(),
                };
                ev(client, m.dom, kind)
            }
            DOMAIN_EVENT_CALLBACK_CONTROL_ERROR => ev(
                client,
                msg!(DomainEventCallbackControlErrorMsg).msg.dom,
                K::ControlError,
            ),
            DOMAIN_EVENT_CALLBACK_BLOCK_JOB => {
                let m = msg!(DomainEventCallbackBlockJobMsg).msg;
                let kind = K::BlockJob {
                    disk: string(m.path),
                    job: DomainBlockJobType::from_i32(m.r#type),
                    status: ConnectDomainEventBlockJobStatus::from_i32(m.status),
                };
                ev(client, m.dom, kind)
            }
            DOMAIN_EVENT_BLOCK_JOB_2 => {
                let m = msg!(DomainEventBlockJob2Msg);
                let kind = K::BlockJob {
                    disk: string(m.dst),
                    job: DomainBlockJobType::from_i32(m.r#type),
                    status: ConnectDomainEventBlockJobStatus::from_i32(m.status),
                };
                ev(client, m.dom, kind)
            }
            DOMAIN_EVENT_CALLBACK_DISK_CHANGE => {
                let m = msg!(DomainEventCallbackDiskChangeMsg).msg;
                let kind = K::DiskChange {
                    old_src_path: opt_string(m.old_src_path),
                    new_src_path: opt_string(m.new_src_path),
                    dev_alias: string(m.dev_alias),
                    reason: ConnectDomainEventDiskChangeReason::from_i32(m.reason),
                };
                ev(client, m.dom, kind)
            }
            DOMAIN_EVENT_CALLBACK_TRAY_CHANGE => {
                let m = msg!(DomainEventCallbackTrayChangeMsg).msg;
                let kind = K::TrayChange {
                    dev_alias: string(m.dev_alias),
                    reason: DomainEventTrayChangeReason::from_i32(m.reason),
                };
                ev(client, m.dom, kind)
            }
            DOMAIN_EVENT_CALLBACK_PMWAKEUP => ev(
                client,
                msg!(DomainEventCallbackPmwakeupMsg).msg.dom,
                K::PmWakeup,
            ),
            DOMAIN_EVENT_CALLBACK_PMSUSPEND => ev(
                client,
                msg!(DomainEventCallbackPmsuspendMsg).msg.dom,
                K::PmSuspend,
            ),
            DOMAIN_EVENT_CALLBACK_PMSUSPEND_DISK => ev(
                client,
                msg!(DomainEventCallbackPmsuspendDiskMsg).msg.dom,
                K::PmSuspendDisk,
            ),
            DOMAIN_EVENT_CALLBACK_BALLOON_CHANGE => {
                let m = msg!(DomainEventCallbackBalloonChangeMsg).msg;
                ev(
                    client,
                    m.dom,
                    K::BalloonChange {
                        actual_kib: m.actual,
                    },
                )
            }
            DOMAIN_EVENT_CALLBACK_DEVICE_REMOVED => {
                let m = msg!(DomainEventCallbackDeviceRemovedMsg).msg;
                ev(
                    client,
                    m.dom,
                    K::DeviceRemoved {
                        dev_alias: string(m.dev_alias),
                    },
                )
            }
            DOMAIN_EVENT_CALLBACK_DEVICE_ADDED => {
                let m = msg!(DomainEventCallbackDeviceAddedMsg);
                ev(
                    client,
                    m.dom,
                    K::DeviceAdded {
                        dev_alias: string(m.dev_alias),
                    },
                )
            }
            DOMAIN_EVENT_CALLBACK_DEVICE_REMOVAL_FAILED => {
                let m = msg!(DomainEventCallbackDeviceRemovalFailedMsg);
                ev(
                    client,
                    m.dom,
                    K::DeviceRemovalFailed {
                        dev_alias: string(m.dev_alias),
                    },
                )
            }
            DOMAIN_EVENT_CALLBACK_TUNABLE => {
                let m = msg!(DomainEventCallbackTunableMsg);
                ev(client, m.dom, K::Tunable(m.params.into_inner()))
            }
            DOMAIN_EVENT_CALLBACK_AGENT_LIFECYCLE => {
                let m = msg!(DomainEventCallbackAgentLifecycleMsg);
                let kind = K::AgentLifecycle {
                    state: ConnectDomainEventAgentLifecycleState::from_i32(m.state),
                    reason: ConnectDomainEventAgentLifecycleReason::from_i32(m.reason),
                };
                ev(client, m.dom, kind)
            }
            DOMAIN_EVENT_CALLBACK_MIGRATION_ITERATION => {
                let m = msg!(DomainEventCallbackMigrationIterationMsg);
                ev(
                    client,
                    m.dom,
                    K::MigrationIteration {
                        iteration: m.iteration,
                    },
                )
            }
            DOMAIN_EVENT_CALLBACK_JOB_COMPLETED => {
                let m = msg!(DomainEventCallbackJobCompletedMsg);
                ev(client, m.dom, K::JobCompleted(m.params.into_inner()))
            }
            DOMAIN_EVENT_CALLBACK_METADATA_CHANGE => {
                let m = msg!(DomainEventCallbackMetadataChangeMsg);
                let kind = K::MetadataChange {
                    kind: m.r#type,
                    nsuri: opt_string(m.nsuri),
                };
                ev(client, m.dom, kind)
            }
            DOMAIN_EVENT_BLOCK_THRESHOLD => {
                let m = msg!(DomainEventBlockThresholdMsg);
                let kind = K::BlockThreshold {
                    dev: string(m.dev),
                    path: opt_string(m.path),
                    threshold: m.threshold,
                    excess: m.excess,
                };
                ev(client, m.dom, kind)
            }
            DOMAIN_EVENT_MEMORY_FAILURE => {
                let m = msg!(DomainEventMemoryFailureMsg);
                let kind = K::MemoryFailure {
                    recipient: DomainMemoryFailureRecipientType::from_i32(m.recipient),
                    action: DomainMemoryFailureActionType::from_i32(m.action),
                    flags: DomainMemoryFailureFlags(m.flags),
                };
                ev(client, m.dom, kind)
            }
            DOMAIN_EVENT_MEMORY_DEVICE_SIZE_CHANGE => {
                let m = msg!(DomainEventMemoryDeviceSizeChangeMsg);
                let kind = K::MemoryDeviceSizeChange {
                    alias: string(m.alias),
                    size_kib: m.size,
                };
                ev(client, m.dom, kind)
            }
            DOMAIN_EVENT_NIC_MAC_CHANGE => {
                let m = msg!(DomainEventNicMacChangeMsg);
                let kind = K::NicMacChange {
                    alias: string(m.alias),
                    old_mac: string(m.old_mac),
                    new_mac: string(m.new_mac),
                };
                ev(client, m.dom, kind)
            }
            DOMAIN_EVENT_VCPU_REMOVED => {
                let m = msg!(DomainEventVcpuRemovedMsg);
                ev(client, m.dom, K::VcpuRemoved { vcpu: m.vcpuid })
            }
            DOMAIN_EVENT_CALLBACK_CHANNEL_LIFECYCLE => {
                let m = msg!(DomainEventCallbackChannelLifecycleMsg);
                let kind = K::ChannelLifecycle {
                    channel: string(m.channel_name),
                    state: ConnectDomainEventChannelLifecycleState::from_i32(m.state),
                    reason: ConnectDomainEventChannelLifecycleReason::from_i32(m.reason),
                };
                ev(client, m.dom, kind)
            }
            other => {
                return Err(Error::protocol(format!(
                    "procedure {other} is not a domain event"
                )));
            }
        })
    }
}

impl Client {
    /// Events `id` of domain `dom`: a stream that ends with the connection.
    pub async fn domain_events(
        &self,
        dom: &Domain,
        id: DomainEventId,
    ) -> Result<EventStream<DomainEvent>> {
        self.watch(DomainEvent::watch(id, Some(dom))).await
    }

    /// Events `id` of every domain.
    pub async fn all_domain_events(&self, id: DomainEventId) -> Result<EventStream<DomainEvent>> {
        self.watch(DomainEvent::watch(id, None)).await
    }
}
