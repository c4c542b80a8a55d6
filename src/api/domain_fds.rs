//! Calls that pass file descriptors to or from the daemon. Only a unix socket connection can
//! (`qemu:///system`, `…+unix://…`, or [`Client::connect_stream`] with a
//! `tokio::net::UnixStream`); elsewhere they fail with
//! [`ErrorKind::Unsupported`](crate::ErrorKind::Unsupported) and send nothing.
//!
//! Descriptors given to these calls stay the caller's: the daemon gets copies.

use std::os::fd::{BorrowedFd, OwnedFd};

use crate::api::{Client, Domain};
use crate::error::{Error, Result};
use crate::proto::c_flags::{DomainCreateFlags, DomainFdAssociateFlags, DomainOpenGraphicsFlags};
use crate::proto::remote::{self, procs};
use crate::proto::xdr::XdrString;

/// Copies of `files`, to send (the socket sends them after the call's frame, which may be
/// after the call's future is gone, so the caller's own descriptors cannot be used).
fn copies(files: &[BorrowedFd<'_>]) -> Result<Vec<OwnedFd>> {
    files
        .iter()
        .map(|f| {
            f.try_clone_to_owned()
                .map_err(|e| Error::io("cannot duplicate a file descriptor to pass", e))
        })
        .collect()
}

impl Domain {
    /// Connects to the domain's graphics display `idx` (its VNC or SPICE server, in the
    /// order of the domain's `<graphics>` elements) and returns the connected socket, as
    /// `virDomainOpenGraphicsFD`: the display's protocol (RFB for VNC) is spoken on it.
    /// `SKIPAUTH` skips the display's own authentication.
    pub async fn open_graphics_fd(
        &self,
        idx: u32,
        flags: DomainOpenGraphicsFlags,
    ) -> Result<OwnedFd> {
        let args = remote::DomainOpenGraphicsFdArgs {
            dom: self.to_remote(),
            idx,
            flags,
        };
        let ((), fds) = self
            .client()
            .raw()
            .call_with_fds::<procs::DomainOpenGraphicsFd>(&args, Vec::new())
            .await?;
        let mut fds = fds.into_iter();
        match (fds.next(), fds.next()) {
            (Some(fd), None) => Ok(fd),
            (got, _) => Err(Error::protocol(format!(
                "DOMAIN_OPEN_GRAPHICS_FD returned {} descriptors instead of one",
                usize::from(got.is_some()) + 1 + fds.len()
            ))),
        }
    }

    /// Has the hypervisor serve the domain's graphics display `idx` on `fd`, one end of a
    /// connected socket (e.g. of a `socketpair`), as `virDomainOpenGraphics`.
    pub async fn open_graphics(
        &self,
        idx: u32,
        fd: BorrowedFd<'_>,
        flags: DomainOpenGraphicsFlags,
    ) -> Result<()> {
        let args = remote::DomainOpenGraphicsArgs {
            dom: self.to_remote(),
            idx,
            flags,
        };
        self.client()
            .raw()
            .call_with_fds::<procs::DomainOpenGraphics>(&args, copies(&[fd])?)
            .await?;
        Ok(())
    }

    /// Starts the defined domain, passing it `files` (`virDomainCreateWithFiles`; drivers
    /// that take them, such as LXC, give them to the guest's init as descriptors 3, 4, …).
    pub async fn create_with_files(
        &self,
        files: &[BorrowedFd<'_>],
        flags: DomainCreateFlags,
    ) -> Result<()> {
        let args = remote::DomainCreateWithFilesArgs {
            dom: self.to_remote(),
            flags,
        };
        let (ret, _) = self
            .client()
            .raw()
            .call_with_fds::<procs::DomainCreateWithFiles>(&args, copies(files)?)
            .await?;
        self.set_id(ret.dom.id);
        Ok(())
    }

    /// Associates `files` with the name `name` for the domain, for its devices to refer to
    /// (`virDomainFDAssociate`; e.g. a disk's `<source file=… fdgroup='name'/>`).
    pub async fn fd_associate(
        &self,
        name: &str,
        files: &[BorrowedFd<'_>],
        flags: DomainFdAssociateFlags,
    ) -> Result<()> {
        let args = remote::DomainFdAssociateArgs {
            dom: self.to_remote(),
            name: XdrString::try_from(name)?,
            flags,
        };
        self.client()
            .raw()
            .call_with_fds::<procs::DomainFdAssociate>(&args, copies(files)?)
            .await?;
        Ok(())
    }
}

impl Client {
    /// Creates and starts a transient domain from `xml`, passing it `files`
    /// (`virDomainCreateXMLWithFiles`; see [`Domain::create_with_files`]).
    pub async fn create_domain_xml_with_files(
        &self,
        xml: &str,
        files: &[BorrowedFd<'_>],
        flags: DomainCreateFlags,
    ) -> Result<Domain> {
        let args = remote::DomainCreateXmlWithFilesArgs {
            xml_desc: XdrString::try_from(xml)?,
            flags,
        };
        let (ret, _) = self
            .raw()
            .call_with_fds::<procs::DomainCreateXmlWithFiles>(&args, copies(files)?)
            .await?;
        Ok(Domain::new(self.clone(), ret.dom))
    }
}
