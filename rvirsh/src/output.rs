//! What virsh prints the same way everywhere: `error: …` lines and tables.

use std::io::Write;

use crate::cli::Fail;

/// Prints `error: MSG` on standard error, after flushing standard output (so the two
/// interleave as virsh's do when both go to one file).
pub fn error(msg: &str) {
    let _ = std::io::stdout().flush();
    let mut err = std::io::stderr().lock();
    let _ = writeln!(err, "error: {msg}");
}

/// libvirt's text for an error: the daemon's message when it sent one.
pub fn lib_message(e: &virtwire::Error) -> String {
    match e.remote() {
        Some(r) => match &r.message {
            Some(m) => m.clone(),
            None => "unknown error".to_string(),
        },
        // a local failure: libvirt appends the system's reason to its message
        None => match std::error::Error::source(e).and_then(|s| s.downcast_ref::<std::io::Error>())
        {
            Some(io) => format!("{e}: {}", crate::commands::util::strerror(io)),
            None => e.to_string(),
        },
    }
}

/// Reports a command's failure after the command's own messages (virsh's
/// `vshReportError`).
pub fn report(fail: &Fail) {
    match fail {
        Fail::Reported => {}
        Fail::Lib(e) => error(&lib_message(e)),
        Fail::Unknown => error("An error occurred, but the cause is unknown"),
    }
}

/// A table as virsh prints it: a header, a line of dashes, rows; columns left-aligned,
/// three spaces apart, one space in front; the header and dashes left out with `-q`.
#[derive(Debug)]
pub struct Table {
    header: Vec<String>,
    rows: Vec<Vec<String>>,
}

impl Table {
    /// A table with these column titles.
    pub fn new(header: &[&str]) -> Table {
        Table {
            header: header.iter().map(|s| s.to_string()).collect(),
            rows: Vec::new(),
        }
    }

    /// Adds a row (as many cells as columns).
    pub fn row(&mut self, cells: Vec<String>) {
        self.rows.push(cells);
    }

    /// The table's text; `quiet` leaves out the header and the dashes.
    pub fn render(&self, quiet: bool) -> String {
        let n = self.header.len();
        // with -q the header is not printed, and does not count for the widths either
        let mut widths: Vec<usize> = self
            .header
            .iter()
            .map(|h| if quiet { 0 } else { width(h) })
            .collect();
        for row in &self.rows {
            for (w, cell) in widths.iter_mut().zip(row) {
                *w = (*w).max(width(cell));
            }
        }
        let mut out = String::new();
        if !quiet {
            line(&mut out, &self.header, &widths);
            let total: usize = widths.iter().sum::<usize>() + 3 * n;
            out.push_str(&"-".repeat(total));
            out.push('\n');
        }
        for row in &self.rows {
            line(&mut out, row, &widths);
        }
        out
    }
}

/// The width a terminal gives `s` (one column a character: virsh's tables hold names,
/// states and numbers).
fn width(s: &str) -> usize {
    s.chars().count()
}

/// One row: each cell after a space, padded to its column and followed by two spaces, but
/// the last cell as it is.
fn line(out: &mut String, cells: &[String], widths: &[usize]) {
    let last = cells.len().saturating_sub(1);
    for (i, (cell, w)) in cells.iter().zip(widths).enumerate() {
        out.push(' ');
        out.push_str(cell);
        if i < last {
            out.push_str(&" ".repeat(w - width(cell) + 2));
        }
    }
    out.push('\n');
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_like_virsh_list() {
        let mut t = Table::new(&["Id", "Name", "State"]);
        t.row(vec!["1".into(), "vw-running".into(), "running".into()]);
        t.row(vec!["-".into(), "vw-stopped".into(), "shut off".into()]);
        assert_eq!(
            t.render(false),
            " Id   Name         State\n\
             -----------------------------\n \
             1    vw-running   running\n \
             -    vw-stopped   shut off\n"
        );
        assert_eq!(
            t.render(true),
            " 1   vw-running   running\n -   vw-stopped   shut off\n"
        );
    }
}
