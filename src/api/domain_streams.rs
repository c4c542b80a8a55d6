//! A domain's streams: its console and channels, its screen.

use crate::api::{Domain, Stream};
use crate::error::{Error, Result};
use crate::flags::{DomainChannelFlags, DomainConsoleFlags};
use crate::proto::remote::{self, procs};
use crate::proto::xdr::XdrString;
use crate::rpc::WhenFull;

/// A screenshot being received: the image's MIME type (e.g. `image/png`) and its bytes to read.
#[derive(Debug)]
pub struct Screenshot {
    /// The image format the daemon chose, e.g. `image/png` or `image/x-portable-pixmap`.
    pub mime: String,
    /// The image's bytes (read it to the end).
    pub data: Stream,
}

fn device_name(name: Option<&str>) -> Result<remote::RemoteString> {
    name.map(XdrString::try_from)
        .transpose()
        .map_err(Error::from)
}

impl Domain {
    /// Connects to the domain's console `device` (`None`: the first console or serial port),
    /// both ways: read what the guest writes, write what it should read. With
    /// [`DomainConsoleFlags::FORCE`] an existing console session is taken over; without it the
    /// call fails while another client holds the console.
    pub async fn open_console(
        &self,
        device: Option<&str>,
        flags: DomainConsoleFlags,
    ) -> Result<Stream> {
        let args = remote::DomainOpenConsoleArgs {
            dom: self.to_remote(),
            dev_name: device_name(device)?,
            flags,
        };
        self.client()
            .stream_call::<procs::DomainOpenConsole>(&args, WhenFull::Abort)
            .await
    }

    /// Connects to the domain's channel `name` (e.g. a virtio-serial port; `None`: the first
    /// one), both ways.
    pub async fn open_channel(
        &self,
        name: Option<&str>,
        flags: DomainChannelFlags,
    ) -> Result<Stream> {
        let args = remote::DomainOpenChannelArgs {
            dom: self.to_remote(),
            name: device_name(name)?,
            flags,
        };
        self.client()
            .stream_call::<procs::DomainOpenChannel>(&args, WhenFull::Abort)
            .await
    }

    /// Takes a screenshot of the domain's screen number `screen` (0: the first).
    pub async fn screenshot(&self, screen: u32) -> Result<Screenshot> {
        let args = remote::DomainScreenshotArgs {
            dom: self.to_remote(),
            screen,
            flags: Default::default(),
        };
        let (ret, raw) = self
            .client()
            .raw()
            .call_stream::<procs::DomainScreenshot>(&args, WhenFull::Pause)
            .await?;
        Ok(Screenshot {
            mime: ret.mime.map(|m| m.as_str().to_owned()).unwrap_or_default(),
            data: Stream::new(raw),
        })
    }
}
