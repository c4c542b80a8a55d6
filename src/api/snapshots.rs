//! Snapshot conveniences over the generated calls.
//!
//! A snapshot is made from a `<domainsnapshot>` XML document (`Domain::snapshot_create_xml`,
//! or [`Domain::snapshot_create`] for the usual name and description); it is found again with
//! `Domain::list_all_snapshots`, `snapshot_lookup_by_name` or `snapshot_current`, and used
//! through its [`DomainSnapshot`](crate::DomainSnapshot) handle: `revert`, `delete`,
//! `get_xml_desc`, `get_parent`, `list_all_children`, `is_current`.
//!
//! With the qemu driver, a snapshot of a domain whose disks are all qcow2 is internal by
//! default: the disks' state goes into the images themselves and, for a running domain, the
//! memory too, so that reverting resumes the guest exactly where it was.

use crate::api::{Domain, DomainSnapshot};
use crate::error::Result;
use crate::proto::c_flags::DomainSnapshotCreateFlags;

impl Domain {
    /// Takes a snapshot named `name` with an optional free-text `description`, the rest as
    /// the driver's defaults (`snapshot_create_xml` with a `<domainsnapshot>` naming them).
    pub async fn snapshot_create(
        &self,
        name: &str,
        description: Option<&str>,
        flags: DomainSnapshotCreateFlags,
    ) -> Result<DomainSnapshot> {
        self.snapshot_create_xml(&snapshot_xml(name, description), flags)
            .await
    }
}

/// The `<domainsnapshot>` document of a snapshot with `name` and `description`.
fn snapshot_xml(name: &str, description: Option<&str>) -> String {
    let mut xml = format!("<domainsnapshot><name>{}</name>", escape(name));
    if let Some(d) = description {
        xml.push_str(&format!("<description>{}</description>", escape(d)));
    }
    xml.push_str("</domainsnapshot>");
    xml
}

/// `s` as XML character data. Written here rather than pulled from an XML crate: these five
/// replacements are all that text content needs.
fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::snapshot_xml;

    #[test]
    fn names_and_descriptions_are_escaped() {
        assert_eq!(
            snapshot_xml("a<b", Some("x & 'y' \"z\" >")),
            "<domainsnapshot><name>a&lt;b</name>\
             <description>x &amp; &apos;y&apos; &quot;z&quot; &gt;</description></domainsnapshot>"
        );
        assert_eq!(
            snapshot_xml("plain", None),
            "<domainsnapshot><name>plain</name></domainsnapshot>"
        );
    }
}
