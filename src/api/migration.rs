//! Live migration of a running domain to another host, the two ways libvirt's client offers:
//!
//! - **Managed peer-to-peer** ([`Domain::migrate_to_uri`]): one call to the source daemon,
//!   which connects to the destination's daemon itself (at `dconnuri`, a URI as the *source
//!   host* sees it) and runs the whole migration. The client needs no connection to the
//!   destination.
//! - **Client-managed** ([`Domain::migrate`]): the client holds connections to both daemons
//!   and runs libvirt's migration protocol (version 3, with typed parameters) between them,
//!   handing each step's cookie to the next: Begin on the source, Prepare on the destination,
//!   Perform on the source, Finish on the destination, Confirm on the source. This is what
//!   `virDomainMigrate3` does without `VIR_MIGRATE_PEER2PEER`.
//!
//! Both take the migration's typed parameters ([`param`] names them) and
//! [`DomainMigrateFlags`]. Each has a `_with_progress` form that reports the job's statistics
//! while the migration runs (polled with `job_stats`, as `virsh migrate --verbose` does) and
//! the `MIGRATION_ITERATION` events of the domain.
//!
//! ```no_run
//! # async fn demo() -> virtwire::Result<()> {
//! use virtwire::flags::DomainMigrateFlags;
//! use virtwire::migration::param;
//! use virtwire::{Client, TypedParams};
//!
//! let src = Client::connect("qemu+ssh://root@host-a/system").await?;
//! let dst = Client::connect("qemu+ssh://root@host-b/system").await?;
//! let dom = src.lookup_domain_by_name("web").await?;
//! let params = TypedParams::new().with_u64(param::BANDWIDTH, 100); // MiB/s
//! let moved = dom.migrate(&dst, &params, DomainMigrateFlags::LIVE).await?;
//! println!("{} now runs on host-b with id {}", moved.name(), moved.id());
//! # Ok(())
//! # }
//! ```

use std::future::Future;
use std::time::Duration;

use crate::api::events::{DomainEventKind, EventItem};
use crate::api::{Client, Domain, DomainJobStats, TypedParams, TypedValue};
use crate::error::{Error, ErrorKind, Result};
use crate::flags::{DomainGetJobStatsFlags, DomainMigrateFlags};
use crate::proto::c_constants::{DomainJobType, DomainState};
use crate::proto::c_events::DomainEventId;
use crate::proto::remote;
use crate::proto::remote_error::{ErrorCode, ErrorDomain};
use crate::proto::xdr::{Opaque, XdrString};

/// Names of libvirt's migration parameters (`VIR_MIGRATE_PARAM_*`), for the [`TypedParams`]
/// that [`Domain::migrate`] and [`Domain::migrate_to_uri`] take. The type each one needs is
/// given; `migrate_disks` (and the other lists) may be repeated, one entry per item.
pub mod param {
    /// String: where QEMU sends the migration data, e.g. `tcp://10.0.0.2` or
    /// `tcp://10.0.0.2:49152` (without a port the destination picks one).
    pub const URI: &str = "migrate_uri";
    /// String: the domain's name on the destination.
    pub const DEST_NAME: &str = "destination_name";
    /// String: the domain's XML to use on the destination (client-managed migration fills it
    /// in from the Begin step when absent).
    pub const DEST_XML: &str = "destination_xml";
    /// String: the persistent XML to define on the destination (with `PERSIST_DEST`).
    pub const PERSIST_XML: &str = "persistent_xml";
    /// Unsigned long long: the bandwidth limit, in MiB/s.
    pub const BANDWIDTH: &str = "bandwidth";
    /// Unsigned long long: the bandwidth limit after switching to post-copy, in MiB/s.
    pub const BANDWIDTH_POSTCOPY: &str = "bandwidth.postcopy";
    /// String: the graphics address the client should reconnect to, as `type=...`.
    pub const GRAPHICS_URI: &str = "graphics_uri";
    /// String: the address the destination's QEMU listens on for the migration data.
    pub const LISTEN_ADDRESS: &str = "listen_address";
    /// String, repeated: the disks (target names such as `vda`) to copy with
    /// `NON_SHARED_DISK`/`NON_SHARED_INC`.
    pub const MIGRATE_DISKS: &str = "migrate_disks";
    /// Int: the port of the destination's NBD server for disk copies.
    pub const DISKS_PORT: &str = "disks_port";
    /// String: the URI of the destination's NBD server for disk copies.
    pub const DISKS_URI: &str = "disks_uri";
    /// String: the compression method (`xbzrle`, `mt`, `zlib`, `zstd`), repeatable.
    pub const COMPRESSION: &str = "compression";
    /// Int: the number of parallel connections with `PARALLEL`.
    pub const PARALLEL_CONNECTIONS: &str = "parallel.connections";
    /// String: the TLS host name to check the destination's certificate against.
    pub const TLS_DESTINATION: &str = "tls.destination";
    /// Int: the initial guest CPU throttling with `AUTO_CONVERGE`, in percent.
    pub const AUTO_CONVERGE_INITIAL: &str = "auto_converge.initial";
    /// Int: the throttling increment with `AUTO_CONVERGE`, in percent.
    pub const AUTO_CONVERGE_INCREMENT: &str = "auto_converge.increment";
}

/// `VIR_DRV_FEATURE_MIGRATE_CHANGE_PROTECTION`, libvirt's private feature number
/// (CONNECT_SUPPORTS_FEATURE): the source keeps the domain from being changed from Begin to
/// Confirm.
const FEATURE_MIGRATE_CHANGE_PROTECTION: i32 = 7;

/// What a running migration reports to the `_with_progress` methods.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum MigrationProgress {
    /// The migration job's statistics, polled from the source (`data_total`,
    /// `data_processed`, `data_remaining`, `memory_dirty_rate`, … in
    /// [`DomainJobStats::params`]); only while a job runs.
    Stats(DomainJobStats),
    /// The source's `MIGRATION_ITERATION` event: pre-copy pass `n` over the guest's memory
    /// began.
    Iteration(i32),
}

impl Domain {
    /// Managed peer-to-peer migration (`virDomainMigrateToURI3` with `VIR_MIGRATE_PEER2PEER`):
    /// the source daemon connects to `dconnuri` (the destination's libvirt URI as the source
    /// host sees it, e.g. `qemu+ssh://host-b/system`) and runs the migration itself; this call
    /// returns once the domain runs on the destination, or with the migration's error (the
    /// domain then keeps running here). `PEER2PEER` is added to `flags`; with `TUNNELLED` the
    /// data goes through the daemons' connection, else QEMU sends it to [`param::URI`] (or to
    /// where the destination says).
    ///
    /// Look the domain up on a connection to the destination to use it there.
    pub async fn migrate_to_uri(
        &self,
        dconnuri: &str,
        params: &TypedParams,
        flags: DomainMigrateFlags,
    ) -> Result<()> {
        let args = remote::DomainMigratePerform3ParamsArgs {
            dom: self.to_remote(),
            dconnuri: Some(XdrString::try_from(dconnuri)?),
            params: params.to_wire()?,
            cookie_in: Opaque::default(),
            flags: flags | DomainMigrateFlags::PEER2PEER,
        };
        self.client()
            .raw()
            .domain_migrate_perform3_params(&args)
            .await?;
        Ok(())
    }

    /// [`migrate_to_uri`](Self::migrate_to_uri), calling `on_progress` with the job's
    /// statistics every `poll` and with each `MIGRATION_ITERATION` event while it runs.
    pub async fn migrate_to_uri_with_progress(
        &self,
        dconnuri: &str,
        params: &TypedParams,
        flags: DomainMigrateFlags,
        poll: Duration,
        on_progress: impl FnMut(MigrationProgress),
    ) -> Result<()> {
        let migration = self.migrate_to_uri(dconnuri, params, flags);
        self.with_progress(migration, poll, on_progress).await
    }

    /// Client-managed migration to the daemon `dest` is connected to (`virDomainMigrate3`
    /// without `VIR_MIGRATE_PEER2PEER`, protocol version 3 with parameters): Begin here,
    /// Prepare on `dest`, Perform here, Finish on `dest`, Confirm here, each step given the
    /// previous one's cookie. Returns the domain on `dest`.
    ///
    /// As libvirt's client does: the source keeps the domain from changing meanwhile
    /// (`CHANGE_PROTECTION`, when the source supports it); a paused domain stays paused
    /// (`PAUSED` is added); [`param::DEST_XML`] is the XML from Begin and
    /// [`param::DEST_NAME`] defaults to this domain's name; the migration URI the
    /// destination returns from Prepare (with the port it picked) becomes [`param::URI`].
    /// `PEER2PEER` and `TUNNELLED` are refused (use [`migrate_to_uri`](Self::migrate_to_uri)),
    /// as are `NON_SHARED_DISK` with `NON_SHARED_INC`.
    ///
    /// On failure the domain keeps running here: if Perform fails, Finish is told the
    /// migration was cancelled (the destination kills its incoming domain) and the error is
    /// Perform's; if Finish fails, Confirm is told so (the source resumes the domain) and the
    /// error is Finish's; if Prepare fails, the job Begin started is cancelled through Confirm.
    /// A Confirm that fails after a successful Finish does not fail the migration (the domain
    /// runs on `dest`; the source's copy may be left paused), as in libvirt: it is logged.
    pub async fn migrate(
        &self,
        dest: &Client,
        params: &TypedParams,
        flags: DomainMigrateFlags,
    ) -> Result<Domain> {
        let steps = Steps::new(self, dest, params, flags).await?;
        steps.run().await
    }

    /// [`migrate`](Self::migrate), calling `on_progress` with the job's statistics every
    /// `poll` and with each `MIGRATION_ITERATION` event while it runs.
    pub async fn migrate_with_progress(
        &self,
        dest: &Client,
        params: &TypedParams,
        flags: DomainMigrateFlags,
        poll: Duration,
        on_progress: impl FnMut(MigrationProgress),
    ) -> Result<Domain> {
        let migration = self.migrate(dest, params, flags);
        self.with_progress(migration, poll, on_progress).await
    }

    /// Runs `migration` while polling this domain's job statistics every `poll` and
    /// forwarding its `MIGRATION_ITERATION` events. Polling errors (the job ending between two
    /// polls, the domain leaving) do not disturb the migration; its own result is returned.
    async fn with_progress<T>(
        &self,
        migration: impl Future<Output = Result<T>>,
        poll: Duration,
        mut on_progress: impl FnMut(MigrationProgress),
    ) -> Result<T> {
        let mut events = self
            .client()
            .domain_events(self, DomainEventId::MigrationIteration)
            .await?;
        let mut ticks = tokio::time::interval(poll.max(Duration::from_millis(1)));
        ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        let mut events_open = true;
        tokio::pin!(migration);
        loop {
            tokio::select! {
                biased;
                result = &mut migration => return result,
                _ = ticks.tick() => {
                    if let Ok(stats) = self.job_stats(DomainGetJobStatsFlags::default()).await {
                        if stats.job_type != DomainJobType::None {
                            on_progress(MigrationProgress::Stats(stats));
                        }
                    }
                }
                item = events.next(), if events_open => match item {
                    Some(Ok(EventItem::Event(ev))) => {
                        if let DomainEventKind::MigrationIteration { iteration } = ev.kind {
                            on_progress(MigrationProgress::Iteration(iteration));
                        }
                    }
                    Some(_) => {}
                    None => events_open = false,
                },
            }
        }
    }
}

/// The state of one client-managed migration: what libvirt's `virDomainMigrateVersion3Full`
/// keeps between the steps.
struct Steps<'a> {
    dom: &'a Domain,
    dest: &'a Client,
    /// The parameters, completed step by step (destination XML, URI, name).
    params: TypedParams,
    /// Flags of the source's steps (with `CHANGE_PROTECTION` when supported).
    src_flags: DomainMigrateFlags,
    /// Flags of the destination's steps.
    dest_flags: DomainMigrateFlags,
}

type Cookie = Opaque<{ remote::MIGRATE_COOKIE_MAX }>;

impl<'a> Steps<'a> {
    async fn new(
        dom: &'a Domain,
        dest: &'a Client,
        params: &TypedParams,
        mut flags: DomainMigrateFlags,
    ) -> Result<Steps<'a>> {
        if flags.contains(DomainMigrateFlags::PEER2PEER) {
            return Err(invalid(
                "Domain::migrate is client-managed: for peer-to-peer migration use \
                 Domain::migrate_to_uri",
            ));
        }
        if flags.contains(DomainMigrateFlags::TUNNELLED) {
            return Err(invalid(
                "tunnelled migration needs peer-to-peer: use Domain::migrate_to_uri",
            ));
        }
        if flags.contains(DomainMigrateFlags::NON_SHARED_DISK | DomainMigrateFlags::NON_SHARED_INC)
        {
            return Err(invalid(
                "NON_SHARED_DISK and NON_SHARED_INC exclude each other",
            ));
        }
        let client = dom.client();
        let protect = client
            .supports_feature(FEATURE_MIGRATE_CHANGE_PROTECTION)
            .await?
            > 0;
        if flags.contains(DomainMigrateFlags::CHANGE_PROTECTION) && !protect {
            return Err(Error::new(
                ErrorKind::Unsupported,
                "the source cannot protect the domain from changes during migration \
                 (CHANGE_PROTECTION)",
            ));
        }
        flags.remove(DomainMigrateFlags::CHANGE_PROTECTION);
        let src_flags = if protect {
            flags | DomainMigrateFlags::CHANGE_PROTECTION
        } else {
            flags
        };
        Ok(Steps {
            dom,
            dest,
            params: params.clone(),
            src_flags,
            dest_flags: flags,
        })
    }

    async fn run(mut self) -> Result<Domain> {
        // Begin (source): the domain's XML for the destination, and a cookie.
        let (xml, cookie) = self.begin().await?;
        if matches!(self.dom.state().await, Ok((DomainState::Paused, _))) {
            self.src_flags |= DomainMigrateFlags::PAUSED;
            self.dest_flags |= DomainMigrateFlags::PAUSED;
        }
        // Options only the source acts on.
        self.dest_flags
            .remove(DomainMigrateFlags::ABORT_ON_ERROR | DomainMigrateFlags::AUTO_CONVERGE);
        self.params.set(param::DEST_XML, TypedValue::String(xml));

        // Prepare (destination): ready to receive; where QEMU should send the data.
        let cookie = match self.prepare(cookie).await {
            Ok((cookie, uri)) => {
                if let Some(uri) = uri {
                    self.params.set(param::URI, TypedValue::String(uri));
                }
                cookie
            }
            Err(err) => {
                if self
                    .src_flags
                    .contains(DomainMigrateFlags::CHANGE_PROTECTION)
                {
                    // Begin started a job on the source: end it.
                    self.confirm(Cookie::default(), true).await;
                }
                return Err(err);
            }
        };
        if self.params.get_str(param::URI).is_none() {
            let err = Error::protocol("the destination's Prepare step gave no migration URI");
            let _ = self.finish(Cookie::default(), true).await;
            self.confirm(Cookie::default(), true).await;
            return Err(err);
        }

        // Perform (source): QEMU sends the domain; returns when the data is through.
        let performed = if self.dest_flags.contains(DomainMigrateFlags::OFFLINE) {
            Ok(Cookie::default())
        } else {
            self.perform(cookie).await
        };
        let cookie = match performed {
            Ok(cookie) => cookie,
            Err(err) => {
                // The source already cancelled its side: only the destination is told.
                return Err(match self.finish(Cookie::default(), true).await {
                    Ok((dom, _)) => {
                        tracing::error!(
                            domain = dom.name(),
                            "the destination's Finish step ignored that the migration was \
                             cancelled"
                        );
                        err
                    }
                    Err(finish_err) => more_telling(err, finish_err),
                });
            }
        };

        // Finish (destination): start (or kill, on failure) the domain there.
        match self.finish(cookie, false).await {
            Ok((dom, cookie)) => {
                // Confirm (source): the migration went through; the source ends its copy.
                self.confirm(cookie, false).await;
                Ok(dom)
            }
            Err(err) => {
                // The source resumes the domain.
                self.confirm(Cookie::default(), true).await;
                Err(err)
            }
        }
    }

    async fn begin(&self) -> Result<(String, Cookie)> {
        let args = remote::DomainMigrateBegin3ParamsArgs {
            dom: self.dom.to_remote(),
            params: self.params.to_wire()?,
            flags: self.src_flags,
        };
        let ret = self
            .dom
            .client()
            .raw()
            .domain_migrate_begin3_params(&args)
            .await?;
        Ok((ret.xml.into_inner(), ret.cookie_out))
    }

    async fn prepare(&self, cookie: Cookie) -> Result<(Cookie, Option<String>)> {
        let args = remote::DomainMigratePrepare3ParamsArgs {
            params: self.params.to_wire()?,
            cookie_in: cookie,
            flags: self.dest_flags,
        };
        let ret = self
            .dest
            .raw()
            .domain_migrate_prepare3_params(&args)
            .await?;
        Ok((ret.cookie_out, ret.uri_out.map(XdrString::into_inner)))
    }

    async fn perform(&self, cookie: Cookie) -> Result<Cookie> {
        let args = remote::DomainMigratePerform3ParamsArgs {
            dom: self.dom.to_remote(),
            dconnuri: None,
            params: self.params.to_wire()?,
            cookie_in: cookie,
            flags: self.src_flags,
        };
        let ret = self
            .dom
            .client()
            .raw()
            .domain_migrate_perform3_params(&args)
            .await?;
        Ok(ret.cookie_out)
    }

    async fn finish(&mut self, cookie: Cookie, cancelled: bool) -> Result<(Domain, Cookie)> {
        if self.params.get_str(param::DEST_NAME).is_none() {
            self.params.set(
                param::DEST_NAME,
                TypedValue::String(self.dom.name().to_owned()),
            );
        }
        let args = remote::DomainMigrateFinish3ParamsArgs {
            params: self.params.to_wire()?,
            cookie_in: cookie,
            flags: self.dest_flags,
            cancelled: i32::from(cancelled),
        };
        let ret = self.dest.raw().domain_migrate_finish3_params(&args).await?;
        Ok((Domain::new(self.dest.clone(), ret.dom), ret.cookie_out))
    }

    /// Confirm on the source. Its failure is logged, never returned: the migration's outcome
    /// is decided by then (libvirt's client does the same).
    async fn confirm(&self, cookie: Cookie, cancelled: bool) {
        let args = match self.params.to_wire() {
            Ok(params) => remote::DomainMigrateConfirm3ParamsArgs {
                dom: self.dom.to_remote(),
                params,
                cookie_in: cookie,
                flags: self.src_flags,
                cancelled: i32::from(cancelled),
            },
            Err(err) => {
                tracing::warn!(domain = self.dom.name(), %err, "migration Confirm step not sent");
                return;
            }
        };
        if let Err(err) = self
            .dom
            .client()
            .raw()
            .domain_migrate_confirm3_params(&args)
            .await
        {
            tracing::warn!(
                domain = self.dom.name(),
                cancelled,
                %err,
                "the source's migration Confirm step failed; the domain may be left paused there"
            );
        }
    }
}

/// Perform's error, unless it is QEMU's generic "migration failed" and the destination's
/// Finish (told of the cancel) reported what really happened there, such as the domain dying
/// on arrival: libvirt's client makes the same choice.
fn more_telling(perform: Error, finish: Error) -> Error {
    let from_qemu = |e: &Error| e.remote().is_some_and(|r| r.domain == ErrorDomain::Qemu);
    if from_qemu(&perform)
        && perform.code() == Some(ErrorCode::OperationFailed)
        && from_qemu(&finish)
        && finish.code() != Some(ErrorCode::MigrateFinishOk)
    {
        finish
    } else {
        perform
    }
}

fn invalid(message: &str) -> Error {
    Error::new(ErrorKind::InvalidArgument, message)
}
