//! README.md's example is examples/readme.rs word for word, so that running the examples
//! (scripts/examples.sh, in CI) runs the README's code too.

/// The code of `examples/readme.rs` after its leading `//!` comment and the blank line.
fn example_code() -> String {
    let file = include_str!("../examples/readme.rs");
    let lines: Vec<&str> = file.lines().skip_while(|l| l.starts_with("//!")).collect();
    assert_eq!(lines.first(), Some(&""), "a blank line after the comment");
    lines[1..].iter().map(|l| format!("{l}\n")).collect()
}

/// The first Rust block under `## Example` in README.md.
fn readme_example() -> String {
    let readme = include_str!("../README.md");
    let start = "## Example\n\n```rust,no_run\n";
    let at = readme
        .find(start)
        .expect("README.md has an Example section")
        + start.len();
    let len = readme[at..].find("```\n").expect("the block ends");
    readme[at..at + len].to_owned()
}

#[test]
fn the_readme_example_is_examples_readme_rs() {
    assert_eq!(readme_example(), example_code());
}
