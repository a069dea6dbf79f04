//! Parsing of pip sections: options, requirement files and rejected lines.

use std::path::{Path, PathBuf};

use envlock::pypi::{PipSection, PipSectionError, PYPI_SIMPLE_URL};

fn data_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/pypi/requirements")
}

fn parse(lines: &[&str]) -> Result<PipSection, PipSectionError> {
    PipSection::parse(lines, &data_dir())
}

fn names(section: &PipSection) -> Vec<String> {
    section
        .requirements()
        .iter()
        .map(|entry| entry.requirement.name.to_string())
        .collect()
}

#[test]
fn default_index_is_pypi() {
    let section = parse(&["tqdm>=4.67.1"]).unwrap();
    let indexes = section.indexes();
    assert_eq!(indexes.len(), 1);
    assert_eq!(indexes[0].url().as_str(), PYPI_SIMPLE_URL);
    assert!(!section.allows_prereleases());
}

#[test]
fn index_options_keep_primary_first() {
    let section = parse(&[
        "--extra-index-url https://extra.example/simple",
        "--index-url=https://primary.example/simple",
        "--pre",
        "tqdm",
    ])
    .unwrap();
    let urls: Vec<String> = section
        .indexes()
        .iter()
        .map(|index| index.url().to_string())
        .collect();
    assert_eq!(
        urls,
        [
            "https://primary.example/simple/",
            "https://extra.example/simple/"
        ]
    );
    assert!(section.allows_prereleases());
}

#[test]
fn index_credentials_are_hidden() {
    let section = parse(&["-i https://user:s3cret@private.example/simple/", "tqdm"]).unwrap();
    let index = &section.indexes()[0];
    assert!(index.has_credentials());
    assert_eq!(index.url().as_str(), "https://private.example/simple/");
    assert!(!index.display().contains("s3cret"));
    assert!(index.display().contains("********"));
    assert!(!format!("{section:?}").contains("s3cret"));
}

#[test]
fn conflicting_index_urls_fail() {
    let error = parse(&[
        "--index-url https://a.example/simple",
        "--index-url https://b:pw@b.example/simple",
    ])
    .unwrap_err();
    let message = error.to_string();
    assert!(
        matches!(error, PipSectionError::ConflictingIndexUrl { .. }),
        "{message}"
    );
    assert!(message.contains("https://a.example/simple/"), "{message}");
    assert!(!message.contains("pw@"), "{message}");
}

#[test]
fn requirement_file_is_recursive_and_cycle_safe() {
    let section = parse(&["-r base.txt", "huey>=2.6.0"]).unwrap();
    assert_eq!(names(&section), ["tqdm", "orjson", "jinja2", "huey"]);
    let jinja = &section.requirements()[2];
    assert_eq!(jinja.requirement.to_string(), "jinja2>=3.1.0");
    assert_eq!(jinja.origin.line, 5);
    assert!(jinja.origin.file.as_ref().unwrap().ends_with("base.txt"));
    let urls: Vec<String> = section
        .indexes()
        .iter()
        .map(|index| index.url().to_string())
        .collect();
    assert_eq!(urls, [PYPI_SIMPLE_URL, "https://extra.example/simple/"]);
}

#[test]
fn missing_requirement_file_names_the_line() {
    let error = parse(&["tqdm", "-r does-not-exist.txt"]).unwrap_err();
    let message = error.to_string();
    assert!(
        matches!(error, PipSectionError::ReadFile { .. }),
        "{message}"
    );
    assert!(
        message.contains("pip entry 2: `-r does-not-exist.txt`"),
        "{message}"
    );
}

#[test]
fn editable_line_fails_with_line() {
    let error = parse(&["tqdm", "-e ./src/mypkg"]).unwrap_err();
    let message = error.to_string();
    assert!(
        matches!(error, PipSectionError::Editable { .. }),
        "{message}"
    );
    assert!(
        message.contains("pip entry 2: `-e ./src/mypkg`"),
        "{message}"
    );
}

#[test]
fn editable_in_requirement_file_names_file_and_line() {
    let error = parse(&["-r editable.txt"]).unwrap_err();
    let message = error.to_string();
    assert!(
        matches!(error, PipSectionError::Editable { .. }),
        "{message}"
    );
    assert!(message.contains("line 2 of"), "{message}");
    assert!(message.contains("editable.txt"), "{message}");
}

#[test]
fn vcs_urls_fail_with_line() {
    for line in [
        "git+https://github.com/org/repo.git#egg=repo",
        "repo @ git+https://token:x-oauth-basic@github.com/org/repo.git",
        "repo@git+ssh://git@github.com/org/repo.git",
    ] {
        let error = parse(&[line]).unwrap_err();
        let message = error.to_string();
        assert!(
            matches!(error, PipSectionError::Vcs { .. }),
            "{line}: {message}"
        );
        assert!(message.contains("pip entry 1"), "{message}");
        assert!(!message.contains("x-oauth-basic"), "{message}");
    }
}

#[test]
fn local_paths_fail_with_line() {
    for line in [
        "./vendor/pkg",
        "/opt/wheels/pkg-1.0-py3-none-any.whl",
        "pkg-1.0.tar.gz",
        "pkg @ file:///opt/pkg",
    ] {
        let error = parse(&[line]).unwrap_err();
        let message = error.to_string();
        assert!(
            matches!(error, PipSectionError::LocalPath { .. }),
            "{line}: {message}"
        );
        assert!(message.contains(line), "{message}");
    }
}

#[test]
fn direct_urls_fail_with_line() {
    let error = parse(&["pkg @ https://example.org/pkg-1.0-py3-none-any.whl"]).unwrap_err();
    assert!(
        matches!(error, PipSectionError::DirectUrl { .. }),
        "{error}"
    );
}

#[test]
fn unknown_options_fail_with_line() {
    for line in [
        "--no-deps",
        "--find-links ./wheels",
        "-c constraints.txt",
        "--pre=yes",
    ] {
        let error = parse(&["tqdm", line]).unwrap_err();
        let message = error.to_string();
        assert!(
            matches!(error, PipSectionError::UnknownOption { .. }),
            "{line}: {message}"
        );
        assert!(message.contains("pip entry 2"), "{message}");
    }
}

#[test]
fn invalid_requirement_fails_with_line() {
    let error = parse(&["tqdm>=>1"]).unwrap_err();
    let message = error.to_string();
    assert!(
        matches!(error, PipSectionError::InvalidRequirement { .. }),
        "{message}"
    );
    assert!(message.contains("`tqdm>=>1`"), "{message}");
}

#[test]
fn invalid_index_url_fails() {
    for line in [
        "--index-url ftp://example.org/simple",
        "--index-url not a url",
        "--extra-index-url",
    ] {
        let error = parse(&[line]).unwrap_err();
        assert!(
            matches!(
                error,
                PipSectionError::InvalidIndexUrl { .. } | PipSectionError::MissingValue { .. }
            ),
            "{line}: {error}"
        );
    }
}
