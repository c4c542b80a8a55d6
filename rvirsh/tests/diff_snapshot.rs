//! virsh and rvirsh side by side on the test driver's snapshots: creating, listing (table,
//! names, parents, tree, filters), information, current, parent, revert and delete. Creation
//! times differ between the two programs' runs, so table rows are compared up to the name.

mod common;

use common::{c, compare, test_uri};

/// Two snapshots of vw-running, s2 a child of s1, then a third from s1 after a revert.
const TREE: &str = "snapshot-create-as vw-running s1 --description hello; \
                    snapshot-create-as vw-running s2; \
                    snapshot-revert vw-running s1; snapshot-create-as vw-running s3; \
                    snapshot-create-as vw-running s4";

fn with_tree(rest: &str) -> common::Case {
    c(&format!("{TREE}; {rest}"))
        .mask(" s1  ")
        .mask(" s2  ")
        .mask(" s3  ")
        .mask(" s4  ")
}

#[test]
fn create_and_list() {
    let file = std::env::temp_dir().join(format!("rvirsh-snap-{}.xml", std::process::id()));
    std::fs::write(
        &file,
        "<domainsnapshot><name>fromfile</name><description>d</description></domainsnapshot>",
    )
    .unwrap();
    let f = file.display().to_string();
    compare(
        &test_uri("diff-snapshot-create"),
        &[
            c(
                "snapshot-create-as vw-running s1 --description hello; snapshot-list vw-running --name",
            ),
            c("snapshot-create-as vw-stopped --print-xml x 'a<b&c'"),
            c("snapshot-create-as vw-stopped --print-xml --memspec /tmp/m,snapshot=external"),
            c(
                "snapshot-create-as vw-stopped --print-xml --diskspec vda,snapshot=external,driver=qcow2,file=/tmp/x --diskspec vdb",
            ),
            c("snapshot-create-as vw-stopped --print-xml --memspec bad=1"),
            c("snapshot-create-as vw-stopped --print-xml --no-metadata"),
            c("snapshot-create-as nope s1"),
            c("snapshot-create-as vw-running s1; snapshot-create-as vw-running s1"),
            c(&format!(
                "snapshot-create vw-running {f}; snapshot-list vw-running --name"
            )),
            c("snapshot-create vw-running /nonexistent.xml"),
            c("snapshot-create-as vw-running --no-metadata s9; snapshot-list vw-running --name"),
            c("snapshot-list vw-running"),
            c("help snapshot-create-as"),
            c("help snapshot-list"),
            c("help snapshot-current"),
            c("snapshot-list vw-running --parent"),
            c("snapshot-list vw-running --tree"),
            with_tree("snapshot-list vw-running"),
            with_tree("snapshot-list vw-running --parent"),
            with_tree("snapshot-list vw-running --tree"),
            with_tree("snapshot-list vw-running --name --roots"),
            with_tree("snapshot-list vw-running --name --leaves"),
            with_tree("snapshot-list vw-running --name --no-leaves"),
            with_tree("snapshot-list vw-running --name --metadata"),
            with_tree("snapshot-list vw-running --name --topological"),
            with_tree("snapshot-list vw-running --name --from s1"),
            with_tree("snapshot-list vw-running --name --from s1 --descendants"),
            with_tree("snapshot-list vw-running --tree --from s1"),
            with_tree("snapshot-list vw-running --name --current"),
            with_tree("snapshot-list vw-running --name --descendants"),
            with_tree("snapshot-list vw-running --tree --name"),
            with_tree("snapshot-list vw-running --tree --leaves"),
            with_tree("snapshot-list vw-running --roots --from s1"),
        ],
    );
    let _ = std::fs::remove_file(file);
}

#[test]
fn info_current_parent() {
    compare(
        &test_uri("diff-snapshot-info"),
        &[
            with_tree("snapshot-info vw-running s1"),
            with_tree("snapshot-info vw-running --current"),
            with_tree("snapshot-info vw-running"),
            with_tree("snapshot-info vw-running s1 --current"),
            with_tree("snapshot-info vw-running nope"),
            with_tree("snapshot-current vw-running --name"),
            with_tree("snapshot-current vw-running s2; snapshot-current vw-running --name"),
            with_tree("snapshot-current vw-running --name s2"),
            c("snapshot-current vw-stopped"),
            c("snapshot-current vw-stopped --name"),
            with_tree("snapshot-parent vw-running s2"),
            with_tree("snapshot-parent vw-running --current"),
            with_tree("snapshot-parent vw-running s1"),
            with_tree("snapshot-parent vw-running"),
            with_tree("snapshot-dumpxml vw-running nope"),
            c("snapshot-dumpxml vw-running"),
        ],
    );
}

#[test]
fn revert_and_delete() {
    compare(
        &test_uri("diff-snapshot-revert"),
        &[
            with_tree("destroy vw-running; snapshot-revert vw-running s2; domstate vw-running"),
            with_tree("snapshot-revert vw-running s2 --paused; domstate vw-running"),
            with_tree(
                "suspend vw-running; snapshot-revert vw-running --current --running; domstate vw-running",
            ),
            with_tree("snapshot-revert vw-running --running --paused s1"),
            with_tree("snapshot-revert vw-running"),
            with_tree("snapshot-delete vw-running s2; snapshot-list vw-running --name"),
            with_tree("snapshot-delete vw-running s1 --children; snapshot-list vw-running --name"),
            with_tree(
                "snapshot-delete vw-running s1 --children-only; snapshot-list vw-running --name",
            ),
            with_tree(
                "snapshot-delete vw-running --current --metadata; snapshot-list vw-running --name",
            ),
            with_tree("snapshot-delete vw-running s1; snapshot-list vw-running --tree"),
            with_tree("snapshot-delete vw-running nope"),
            with_tree("snapshot-delete vw-running"),
        ],
    );
}
