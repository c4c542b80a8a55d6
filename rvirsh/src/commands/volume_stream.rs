//! Volume contents to and from files: vol-upload, vol-download.

use std::io::{Read, Seek, SeekFrom, Write};

use virtwire::flags::{StorageVolDownloadFlags, StorageVolUploadFlags};
use virtwire::rpc::Chunk;

use crate::cli::{Cmd, CmdDef, CmdResult, Fail, OptDef};
use crate::commands::util;
use crate::commands::volume::vol_by;
use crate::ctl::Ctl;

const SPARSE: OptDef = OptDef::flag("sparse", "preserve sparseness of volume");

/// `vol-download`.
pub const DOWNLOAD: CmdDef = CmdDef {
    name: "vol-download",
    opts: &[
        OptDef::data("vol", "vol name, key or path"),
        OptDef::data("file", "file"),
        OptDef::string("pool", "pool name or uuid"),
        OptDef::int("offset", "volume offset to download from"),
        OptDef::int("length", "amount of data to download"),
        SPARSE,
    ],
    help: "download volume contents to a file",
    desc: "Download volume contents to a file",
    handler: download,
    flags: 0,
};

/// `vol-upload`.
pub const UPLOAD: CmdDef = CmdDef {
    name: "vol-upload",
    opts: &[
        OptDef::data("vol", "vol name, key or path"),
        OptDef::data("file", "file"),
        OptDef::string("pool", "pool name or uuid"),
        OptDef::int("offset", "volume offset to upload to"),
        OptDef::int("length", "amount of data to upload"),
        SPARSE,
    ],
    help: "upload file contents to a volume",
    desc: "Upload file contents to a volume",
    handler: upload,
    flags: 0,
};

/// Options `offset` and `length` (0 when absent), as virsh reads them.
fn offset_length(ctl: &Ctl, cmd: &Cmd) -> Result<(u64, u64), Fail> {
    let mut out = [0u64; 2];
    for (slot, opt) in out.iter_mut().zip(["offset", "length"]) {
        if let Some(v) = cmd.get(opt) {
            *slot = util::parse_u64(v).ok_or_else(|| util::bad_number(ctl, cmd, opt))?;
        }
    }
    Ok((out[0], out[1]))
}

/// Why a copy between a file and a volume stopped.
enum CopyError {
    /// The connection or the daemon.
    Lib(virtwire::Error),
    /// The local file.
    Io(std::io::Error),
}

impl From<virtwire::Error> for CopyError {
    fn from(e: virtwire::Error) -> Self {
        CopyError::Lib(e)
    }
}

impl From<std::io::Error> for CopyError {
    fn from(e: std::io::Error) -> Self {
        CopyError::Io(e)
    }
}

/// Reports `msg`, then the cause.
fn report(ctl: &Ctl, msg: &str, e: CopyError) -> Fail {
    ctl.error(msg);
    match e {
        CopyError::Lib(e) => Fail::Lib(e),
        CopyError::Io(e) => {
            ctl.error(&util::strerror(&e));
            Fail::Reported
        }
    }
}

/// A progress line on standard error, drawn only when standard error is a terminal (virsh
/// draws none; a script that redirects standard error sees the same bytes as with virsh).
struct Progress {
    total: u64,
    done: u64,
    on: bool,
}

impl Progress {
    fn new(total: u64) -> Progress {
        use std::io::IsTerminal;
        Progress {
            total,
            done: 0,
            on: std::io::stderr().is_terminal(),
        }
    }

    /// Counts `n` more bytes and redraws the line.
    fn add(&mut self, n: u64) {
        self.done += n;
        if self.on {
            let pct = (self.done.min(self.total) * 100)
                .checked_div(self.total)
                .unwrap_or(100);
            eprint!(
                "\r[{:<50}] {pct:>3}% {} ",
                "#".repeat(pct as usize / 2),
                self.done
            );
        }
    }

    /// Ends the line.
    fn end(&self) {
        if self.on {
            eprintln!();
        }
    }
}

/// The size of the buffer files are read in.
const BUF: usize = 256 * 1024;

fn upload(ctl: &mut Ctl, cmd: &Cmd) -> CmdResult {
    let (offset, length) = offset_length(ctl, cmd)?;
    let vol = vol_by(ctl, cmd, Some("pool"), true, true)?;
    let path = util::required(ctl, cmd, "file")?;
    let name = cmd.get("vol").unwrap_or("").to_string();
    let sparse = cmd.has("sparse");
    let mut file = match std::fs::File::open(&path) {
        Ok(f) => f,
        Err(_) => {
            ctl.error(&format!("cannot read {path}"));
            return Err(Fail::Reported);
        }
    };
    // a sparse copy of the whole file: the library's, which finds the holes
    if sparse && offset == 0 && length == 0 {
        return match ctl.block_on(vol.upload_file(std::path::Path::new(&path), true)) {
            Ok(_) => Ok(()),
            Err(e) => Err(ctl.fail(&format!("cannot send data to volume {name}"), e)),
        };
    }
    let flags = if sparse {
        StorageVolUploadFlags::SPARSE_STREAM
    } else {
        StorageVolUploadFlags::default()
    };
    let mut stream = match ctl.block_on(vol.upload(offset, length, flags)) {
        Ok(s) => s,
        Err(e) => return Err(ctl.fail(&format!("cannot upload to volume {name}"), e)),
    };
    // the whole file, whatever --length says, as virsh sends it (the daemon refuses more)
    let mut progress = Progress::new(file.metadata().map_or(0, |m| m.len()));
    let sent = ctl.block_on(async {
        let mut buf = vec![0u8; BUF];
        loop {
            let n = match file.read(&mut buf) {
                Ok(0) => return Ok(()),
                Ok(n) => n,
                Err(e) => {
                    let _ = stream.abort().await;
                    return Err(CopyError::Io(e));
                }
            };
            stream.send(&buf[..n]).await?;
            progress.add(n as u64);
        }
    });
    progress.end();
    if let Err(e) = sent {
        return Err(report(
            ctl,
            &format!("cannot send data to volume {name}"),
            e,
        ));
    }
    match ctl.block_on(stream.finish()) {
        Ok(()) => Ok(()),
        Err(e) => Err(ctl.fail(&format!("cannot close volume {name}"), e)),
    }
}

fn download(ctl: &mut Ctl, cmd: &Cmd) -> CmdResult {
    let (offset, length) = offset_length(ctl, cmd)?;
    let vol = vol_by(ctl, cmd, Some("pool"), true, true)?;
    let path = util::required(ctl, cmd, "file")?;
    let name = cmd.get("vol").unwrap_or("").to_string();
    let sparse = cmd.has("sparse");
    let created = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(&path);
    let (mut file, made) = match created {
        Ok(f) => (f, true),
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
            match std::fs::OpenOptions::new()
                .write(true)
                .truncate(true)
                .open(&path)
            {
                Ok(f) => (f, false),
                Err(_) => {
                    ctl.error(&format!("cannot create {path}"));
                    return Err(Fail::Reported);
                }
            }
        }
        Err(_) => {
            ctl.error(&format!("cannot create {path}"));
            return Err(Fail::Reported);
        }
    };
    let flags = if sparse {
        StorageVolDownloadFlags::SPARSE_STREAM
    } else {
        StorageVolDownloadFlags::default()
    };
    let mut stream = match ctl.block_on(vol.download(offset, length, flags)) {
        Ok(s) => s,
        Err(e) => {
            if made {
                let _ = std::fs::remove_file(&path);
            }
            return Err(ctl.fail(&format!("cannot download from volume {name}"), e));
        }
    };
    // the size is asked for only when there is a terminal to draw on
    let total = match length {
        0 if !std::io::IsTerminal::is_terminal(&std::io::stderr()) => 0,
        0 => ctl
            .block_on(vol.info())
            .map_or(0, |i| i.capacity.saturating_sub(offset)),
        n => n,
    };
    let mut progress = Progress::new(total);
    let got = ctl.block_on(async {
        let mut pos = 0u64;
        while let Some(chunk) = stream.next_chunk().await? {
            match chunk {
                Chunk::Data(d) => {
                    file.write_all(&d)?;
                    pos += d.len() as u64;
                    progress.add(d.len() as u64);
                }
                Chunk::Hole(n) => {
                    pos += n;
                    progress.add(n);
                    file.seek(SeekFrom::Start(pos))?;
                }
            }
        }
        // a file that ends in a hole gets its length all the same
        file.set_len(pos)?;
        Ok::<(), CopyError>(())
    });
    progress.end();
    if let Err(e) = got {
        let fail = report(ctl, &format!("cannot receive data from volume {name}"), e);
        if made {
            let _ = std::fs::remove_file(&path);
        }
        return Err(fail);
    }
    Ok(())
}
