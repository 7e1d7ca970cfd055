//! The README and the book stay usable: the README has exactly two set-up commands and every
//! page the book's summary links to exists.

use std::path::Path;

fn repo() -> &'static Path {
    Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/.."))
}

#[test]
fn readme_has_exactly_two_setup_commands_and_ci_runs_the_test_one() {
    let readme = std::fs::read_to_string(repo().join("README.md")).unwrap();
    let section = readme
        .split("## Set up and run")
        .nth(1)
        .expect("README has a 'Set up and run' section");
    let section = section.split("\n## ").next().unwrap();
    let commands: Vec<&str> = section
        .split("```sh\n")
        .skip(1)
        .map(|block| block.split("```").next().unwrap().trim())
        .collect();
    assert_eq!(commands, ["scripts/run", "scripts/test"]);
    for command in &commands {
        assert!(repo().join(command).is_file(), "{command} is missing");
    }
    let ci = std::fs::read_to_string(repo().join(".ci/run")).unwrap();
    assert!(
        ci.contains(&format!("exec {}", commands[1])),
        ".ci/run must run the README's test command"
    );
}

#[test]
fn every_book_page_in_the_summary_exists() {
    let src = repo().join("book/src");
    let summary = std::fs::read_to_string(src.join("SUMMARY.md")).unwrap();
    let mut pages = 0;
    for link in summary.split("](").skip(1) {
        let target = link.split(')').next().unwrap();
        assert!(src.join(target).is_file(), "book page {target} is missing");
        pages += 1;
    }
    assert!(
        pages >= 5,
        "the book has an introduction, quick start and a page per binary"
    );
}
