//! Storage volumes, and copying their contents through streams.

use std::fmt;

use crate::api::{Client, Stream};
use crate::error::Result;
use crate::flags::{StorageVolDownloadFlags, StorageVolUploadFlags};
use crate::proto::c_constants::StorageVolType;
use crate::proto::remote::{self, procs};
use crate::proto::xdr::XdrString;
use crate::rpc::WhenFull;

/// A storage volume on a connection: its pool, name and key.
#[derive(Clone)]
pub struct StorageVol {
    client: Client,
    wire: remote::NonnullStorageVol,
}

/// A volume's type, size and allocation, as libvirt's `virStorageVolInfo`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StorageVolInfo {
    /// File, block, dir, network, netdir, ploop.
    pub kind: StorageVolType,
    /// The size guests see, in bytes.
    pub capacity: u64,
    /// The bytes the volume takes on its storage.
    pub allocation: u64,
}

impl From<remote::StorageVolGetInfoFlagsRet> for StorageVolInfo {
    fn from(r: remote::StorageVolGetInfoFlagsRet) -> Self {
        StorageVolInfo {
            kind: StorageVolType::from_i32(i32::from(r.r#type)),
            capacity: r.capacity,
            allocation: r.allocation,
        }
    }
}

impl StorageVol {
    /// The handle for a volume as the protocol names it (e.g. from a raw call's reply).
    pub fn from_remote(client: Client, wire: remote::NonnullStorageVol) -> Self {
        StorageVol { client, wire }
    }

    /// The wire form of this volume, for raw calls.
    pub fn to_remote(&self) -> remote::NonnullStorageVol {
        self.wire.clone()
    }

    /// The connection this volume belongs to.
    pub fn client(&self) -> &Client {
        &self.client
    }

    /// The volume's name within its pool.
    pub fn name(&self) -> &str {
        self.wire.name.as_str()
    }

    /// The name of the volume's pool.
    pub fn pool(&self) -> &str {
        self.wire.pool.as_str()
    }

    /// The volume's key (for file volumes, usually its path).
    pub fn key(&self) -> &str {
        self.wire.key.as_str()
    }

    /// Type, capacity and allocation.
    pub async fn info(&self) -> Result<StorageVolInfo> {
        let args = remote::StorageVolGetInfoArgs {
            vol: self.to_remote(),
        };
        let r = self.client.raw().storage_vol_get_info(&args).await?;
        Ok(StorageVolInfo {
            kind: StorageVolType::from_i32(i32::from(r.r#type)),
            capacity: r.capacity,
            allocation: r.allocation,
        })
    }

    /// Opens an upload of `length` bytes (0: to the end of the volume) written at `offset`:
    /// write the data to the returned stream (with
    /// [`StorageVolUploadFlags::SPARSE_STREAM`], holes too, through
    /// [`Stream::send_hole`]), then [`finish`](Stream::finish) it: the upload is complete
    /// when that returns.
    pub async fn upload(
        &self,
        offset: u64,
        length: u64,
        flags: StorageVolUploadFlags,
    ) -> Result<Stream> {
        let args = remote::StorageVolUploadArgs {
            vol: self.to_remote(),
            offset,
            length,
            flags,
        };
        self.client
            .stream_call::<procs::StorageVolUpload>(&args, WhenFull::Abort)
            .await
    }

    /// Opens a download of `length` bytes (0: to the end of the volume) from `offset`: read
    /// the returned stream to its end (with [`StorageVolDownloadFlags::SPARSE_STREAM`] the
    /// daemon sends the volume's holes as holes: see [`Stream::next_chunk`]).
    pub async fn download(
        &self,
        offset: u64,
        length: u64,
        flags: StorageVolDownloadFlags,
    ) -> Result<Stream> {
        let args = remote::StorageVolDownloadArgs {
            vol: self.to_remote(),
            offset,
            length,
            flags,
        };
        self.client
            .stream_call::<procs::StorageVolDownload>(&args, WhenFull::Pause)
            .await
    }
}

impl fmt::Debug for StorageVol {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("StorageVol")
            .field("pool", &self.pool())
            .field("name", &self.name())
            .field("key", &self.key())
            .finish()
    }
}

impl Client {
    /// The volume whose file or device is `path`.
    pub async fn lookup_storage_vol_by_path(&self, path: &str) -> Result<StorageVol> {
        let args = remote::StorageVolLookupByPathArgs {
            path: XdrString::try_from(path)?,
        };
        let r = self.raw().storage_vol_lookup_by_path(&args).await?;
        Ok(StorageVol::from_remote(self.clone(), r.vol))
    }
}
