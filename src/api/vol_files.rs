//! Copying a file to and from a volume, keeping its holes.

use std::io::SeekFrom;
use std::os::fd::AsRawFd;
use std::path::Path;

use tokio::fs::File;
use tokio::io::{AsyncReadExt, AsyncSeekExt, AsyncWriteExt};

use crate::api::{StorageVol, Stream};
use crate::error::{Error, Result};
use crate::flags::{StorageVolDownloadFlags, StorageVolUploadFlags};
use crate::rpc::{Chunk, DATA_CHUNK_MAX};

/// Where the data after `pos` starts and ends in `file` (`SEEK_DATA`/`SEEK_HOLE`): `None` when
/// only a hole is left.
fn next_data(file: &File, pos: u64, len: u64) -> std::io::Result<Option<(u64, u64)>> {
    let fd = file.as_raw_fd();
    let seek = |at: u64, whence| {
        // SAFETY: lseek on a descriptor this function borrows; it moves the file offset, which
        // the caller sets again before reading.
        let r = unsafe { libc::lseek(fd, at as libc::off_t, whence) };
        if r < 0 {
            Err(std::io::Error::last_os_error())
        } else {
            Ok(r as u64)
        }
    };
    let start = match seek(pos, libc::SEEK_DATA) {
        Ok(s) if s < len => s,
        Ok(_) => return Ok(None),
        Err(e) if e.raw_os_error() == Some(libc::ENXIO) => return Ok(None),
        // file systems without SEEK_DATA: all of it is data
        Err(e) if e.raw_os_error() == Some(libc::EINVAL) => return Ok(Some((pos, len))),
        Err(e) => return Err(e),
    };
    let end = match seek(start, libc::SEEK_HOLE) {
        Ok(e) => e.min(len),
        Err(_) => len,
    };
    Ok(Some((start, end)))
}

fn file_error(what: &str, path: &Path, e: std::io::Error) -> Error {
    Error::io(format!("{what} {}", path.display()), e)
}

/// Sends `file`'s bytes `from..to`.
async fn send_range(
    stream: &mut Stream,
    file: &mut File,
    from: u64,
    to: u64,
) -> std::io::Result<Option<Error>> {
    file.seek(SeekFrom::Start(from)).await?;
    let mut buf = vec![0u8; DATA_CHUNK_MAX];
    let mut left = to - from;
    while left > 0 {
        let want = (left as usize).min(buf.len());
        file.read_exact(&mut buf[..want]).await?;
        if let Err(e) = stream.send(&buf[..want]).await {
            return Ok(Some(e));
        }
        left -= want as u64;
    }
    Ok(None)
}

impl StorageVol {
    /// Uploads the whole file at `path` into the volume from its start, and waits until the
    /// daemon has written it. With `sparse`, the file's holes (found with `SEEK_DATA` /
    /// `SEEK_HOLE`) are sent as holes, so they stay holes in a volume that supports them.
    /// Returns the file's length.
    pub async fn upload_file(&self, path: &Path, sparse: bool) -> Result<u64> {
        let mut file = File::open(path)
            .await
            .map_err(|e| file_error("cannot open", path, e))?;
        let len = file
            .metadata()
            .await
            .map_err(|e| file_error("cannot stat", path, e))?
            .len();
        let flags = if sparse {
            StorageVolUploadFlags::SPARSE_STREAM
        } else {
            StorageVolUploadFlags::default()
        };
        let mut stream = self.upload(0, len, flags).await?;
        let mut pos = 0;
        while pos < len {
            let (start, end) = if sparse {
                next_data(&file, pos, len)
                    .map_err(|e| file_error("cannot look for holes in", path, e))?
                    .unwrap_or((len, len))
            } else {
                (pos, len)
            };
            if start > pos {
                stream.send_hole(start - pos).await?;
            }
            if let Some(e) = send_range(&mut stream, &mut file, start, end)
                .await
                .map_err(|e| file_error("cannot read", path, e))?
            {
                return Err(e);
            }
            pos = end;
        }
        stream.finish().await?;
        Ok(len)
    }

    /// Downloads the whole volume into a new file at `path` (replacing it). With `sparse`, the
    /// daemon sends the volume's holes as holes and they become holes in the file. Returns
    /// the number of bytes (data and holes) written.
    pub async fn download_file(&self, path: &Path, sparse: bool) -> Result<u64> {
        let mut file = File::create(path)
            .await
            .map_err(|e| file_error("cannot create", path, e))?;
        let flags = if sparse {
            StorageVolDownloadFlags::SPARSE_STREAM
        } else {
            StorageVolDownloadFlags::default()
        };
        let mut stream = self.download(0, 0, flags).await?;
        let mut len = 0u64;
        let write_err = |e| file_error("cannot write", path, e);
        while let Some(chunk) = stream.next_chunk().await? {
            match chunk {
                Chunk::Data(b) => {
                    file.write_all(&b).await.map_err(write_err)?;
                    len += b.len() as u64;
                }
                Chunk::Hole(n) => {
                    len = len
                        .checked_add(n)
                        .ok_or_else(|| Error::protocol("the daemon sent holes past 2^64 bytes"))?;
                    file.seek(SeekFrom::Start(len)).await.map_err(write_err)?;
                }
            }
        }
        stream.finish().await?;
        // a trailing hole: the file ends after it
        file.set_len(len).await.map_err(write_err)?;
        file.flush().await.map_err(write_err)?;
        Ok(len)
    }
}
