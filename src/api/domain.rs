//! Domains (virtual machines).

use std::fmt;
use std::sync::Arc;
use std::sync::atomic::{AtomicI32, Ordering};

use crate::api::Client;
use crate::error::Result;
use crate::flags as c_flags;
use crate::proto::{c_constants, remote};

/// The state of a domain (`virDomainState`); values unknown to this build are kept.
pub type DomainState = c_constants::DomainState;

/// A domain's state and resources, as libvirt's `virDomainInfo`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DomainInfo {
    /// Running, paused, shut off, …
    pub state: DomainState,
    /// The most memory the domain may use, in KiB.
    pub max_mem_kib: u64,
    /// The memory the domain has now, in KiB.
    pub memory_kib: u64,
    /// Number of virtual CPUs (an `unsigned short`, as in libvirt).
    pub nr_virt_cpu: u16,
    /// CPU time used, in nanoseconds.
    pub cpu_time_ns: u64,
}

impl From<remote::DomainGetInfoRet> for DomainInfo {
    fn from(r: remote::DomainGetInfoRet) -> Self {
        DomainInfo {
            state: DomainState::from_i32(i32::from(r.state)),
            max_mem_kib: r.max_mem,
            memory_kib: r.memory,
            nr_virt_cpu: r.nr_virt_cpu,
            cpu_time_ns: r.cpu_time,
        }
    }
}

/// A domain on a connection. Cheap to clone; keeps its connection open.
#[derive(Clone)]
pub struct Domain {
    client: Client,
    handle: Arc<Handle>,
}

struct Handle {
    name: remote::NonnullString,
    uuid: remote::Uuid,
    /// -1 while the domain is not running; updated by start and stop calls.
    id: AtomicI32,
}

impl Domain {
    pub(crate) fn new(client: Client, dom: remote::NonnullDomain) -> Self {
        Domain {
            client,
            handle: Arc::new(Handle {
                name: dom.name,
                uuid: dom.uuid,
                id: AtomicI32::new(dom.id),
            }),
        }
    }

    /// The wire form of this domain, for raw calls.
    pub fn to_remote(&self) -> remote::NonnullDomain {
        remote::NonnullDomain {
            name: self.handle.name.clone(),
            uuid: self.handle.uuid,
            id: self.id(),
        }
    }

    /// The connection this domain belongs to.
    pub fn client(&self) -> &Client {
        &self.client
    }

    /// The domain's name.
    pub fn name(&self) -> &str {
        self.handle.name.as_str()
    }

    /// The domain's UUID.
    pub fn uuid(&self) -> [u8; 16] {
        self.handle.uuid.0
    }

    /// The UUID in its usual text form (`8-4-4-4-12` hex digits).
    pub fn uuid_string(&self) -> String {
        format_uuid(&self.handle.uuid.0)
    }

    /// The hypervisor's ID of the running domain, -1 when it is not running (as known from the
    /// last lookup, start or stop through this handle).
    pub fn id(&self) -> i32 {
        self.handle.id.load(Ordering::Relaxed)
    }

    /// Records the id a start call returned.
    pub(crate) fn set_id(&self, id: i32) {
        self.handle.id.store(id, Ordering::Relaxed);
    }

    /// State, memory, vCPUs and CPU time.
    pub async fn info(&self) -> Result<DomainInfo> {
        let args = remote::DomainGetInfoArgs {
            dom: self.to_remote(),
        };
        Ok(self.client.raw().domain_get_info(&args).await?.into())
    }

    /// The state and the reason for it (a `virDomain*Reason` value of that state).
    pub async fn state(&self) -> Result<(DomainState, i32)> {
        let args = remote::DomainGetStateArgs {
            dom: self.to_remote(),
            flags: Default::default(),
        };
        let ret = self.client.raw().domain_get_state(&args).await?;
        Ok((DomainState::from_i32(ret.state), ret.reason))
    }

    /// The domain's XML description (`DomainXmlFlags::default()` for the live definition).
    pub async fn xml_desc(&self, flags: c_flags::DomainXmlFlags) -> Result<String> {
        let args = remote::DomainGetXmlDescArgs {
            dom: self.to_remote(),
            flags,
        };
        Ok(self
            .client
            .raw()
            .domain_get_xml_desc(&args)
            .await?
            .xml
            .into_inner())
    }

    /// Starts the defined domain (`virDomainCreate`: the call without flags, which the
    /// daemon's messages name as such).
    pub async fn create(&self) -> Result<()> {
        let args = remote::DomainCreateArgs {
            dom: self.to_remote(),
        };
        self.client.raw().domain_create(&args).await?;
        // DOMAIN_CREATE does not return the new ID: look it up, as libvirt's client does
        let dom = self.client.lookup_domain_by_uuid(self.uuid()).await?;
        self.handle.id.store(dom.id(), Ordering::Relaxed);
        Ok(())
    }

    /// Starts the defined domain with flags (paused, autodestroy, …).
    pub async fn create_with_flags(&self, flags: c_flags::DomainCreateFlags) -> Result<()> {
        let args = remote::DomainCreateWithFlagsArgs {
            dom: self.to_remote(),
            flags,
        };
        let ret = self.client.raw().domain_create_with_flags(&args).await?;
        self.handle.id.store(ret.dom.id, Ordering::Relaxed);
        Ok(())
    }

    /// Pauses the running domain.
    pub async fn suspend(&self) -> Result<()> {
        let args = remote::DomainSuspendArgs {
            dom: self.to_remote(),
        };
        self.client.raw().domain_suspend(&args).await
    }

    /// Resumes the paused domain.
    pub async fn resume(&self) -> Result<()> {
        let args = remote::DomainResumeArgs {
            dom: self.to_remote(),
        };
        self.client.raw().domain_resume(&args).await
    }

    /// Asks the guest to shut down (it may ignore the request); `virDomainShutdown`, the call
    /// without flags.
    pub async fn shutdown(&self) -> Result<()> {
        let args = remote::DomainShutdownArgs {
            dom: self.to_remote(),
        };
        self.client.raw().domain_shutdown(&args).await
    }

    /// Asks the guest to shut down, by the methods `flags` names (`DEFAULT`: the
    /// hypervisor's choice).
    pub async fn shutdown_flags(&self, flags: c_flags::DomainShutdownFlags) -> Result<()> {
        let args = remote::DomainShutdownFlagsArgs {
            dom: self.to_remote(),
            flags,
        };
        self.client.raw().domain_shutdown_flags(&args).await
    }

    /// Asks the guest to reboot, by the methods `flags` names (`DEFAULT`: the hypervisor's
    /// choice).
    pub async fn reboot(&self, flags: c_flags::DomainRebootFlags) -> Result<()> {
        let args = remote::DomainRebootArgs {
            dom: self.to_remote(),
            flags,
        };
        self.client.raw().domain_reboot(&args).await
    }

    /// Stops the domain at once, like pulling the power cord (`virDomainDestroy`, the call
    /// without flags).
    pub async fn destroy(&self) -> Result<()> {
        let args = remote::DomainDestroyArgs {
            dom: self.to_remote(),
        };
        self.client.raw().domain_destroy(&args).await?;
        self.handle.id.store(-1, Ordering::Relaxed);
        Ok(())
    }

    /// Like [`destroy`](Self::destroy) with flags (`GRACEFUL`: no SIGKILL).
    pub async fn destroy_flags(&self, flags: c_flags::DomainDestroyFlags) -> Result<()> {
        let args = remote::DomainDestroyFlagsArgs {
            dom: self.to_remote(),
            flags,
        };
        self.client.raw().domain_destroy_flags(&args).await?;
        self.handle.id.store(-1, Ordering::Relaxed);
        Ok(())
    }

    /// Removes the domain's persistent definition (`virDomainUndefine`, the call without
    /// flags).
    pub async fn undefine(&self) -> Result<()> {
        let args = remote::DomainUndefineArgs {
            dom: self.to_remote(),
        };
        self.client.raw().domain_undefine(&args).await
    }

    /// Like [`undefine`](Self::undefine) with flags (what else to remove: managed save,
    /// snapshot metadata, NVRAM, …).
    pub async fn undefine_flags(&self, flags: c_flags::DomainUndefineFlags) -> Result<()> {
        let args = remote::DomainUndefineFlagsArgs {
            dom: self.to_remote(),
            flags,
        };
        self.client.raw().domain_undefine_flags(&args).await
    }
}

impl fmt::Debug for Domain {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Domain")
            .field("name", &self.name())
            .field("uuid", &self.uuid_string())
            .field("id", &self.id())
            .finish()
    }
}

/// Formats 16 bytes as `xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx`.
pub(crate) fn format_uuid(u: &[u8; 16]) -> String {
    let mut s = String::with_capacity(36);
    for (i, b) in u.iter().enumerate() {
        if matches!(i, 4 | 6 | 8 | 10) {
            s.push('-');
        }
        s.push_str(&format!("{b:02x}"));
    }
    s
}

impl DomainState {
    /// The state as `virsh` prints it (`running`, `paused`, `shut off`, …).
    pub fn describe(self) -> &'static str {
        match self {
            DomainState::Nostate => "no state",
            DomainState::Running => "running",
            DomainState::Blocked => "idle",
            DomainState::Paused => "paused",
            DomainState::Shutdown => "in shutdown",
            DomainState::Shutoff => "shut off",
            DomainState::Crashed => "crashed",
            DomainState::Pmsuspended => "pmsuspended",
            DomainState::Unknown(_) => "unknown",
        }
    }
}
