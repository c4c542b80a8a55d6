//! A line-oriented text buffer for generated source (rustfmt fixes the layout afterwards).

/// Generated source under construction.
#[derive(Debug, Default)]
pub struct Out {
    buf: String,
}

impl Out {
    /// Appends one line.
    pub fn line(&mut self, s: impl AsRef<str>) {
        self.buf.push_str(s.as_ref());
        self.buf.push('\n');
    }

    /// Appends an empty line (rustfmt keeps one between items).
    pub fn blank(&mut self) {
        self.buf.push('\n');
    }

    /// Appends `///` doc lines.
    pub fn doc(&mut self, lines: &[String]) {
        self.prefixed("///", lines);
    }

    /// Appends `//!` doc lines.
    pub fn inner_doc(&mut self, lines: &[String]) {
        self.prefixed("//!", lines);
    }

    fn prefixed(&mut self, prefix: &str, lines: &[String]) {
        for l in lines {
            if l.is_empty() {
                self.line(prefix);
            } else {
                self.line(format!("{prefix} {l}"));
            }
        }
    }

    /// The text so far.
    pub fn finish(self) -> String {
        self.buf
    }
}
