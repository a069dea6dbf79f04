//! The README makes the channel with `cargo run -p standin-channel -- ...`,
//! which works only while the generator is the crate's default binary.

use std::path::Path;

#[test]
fn generator_is_default_binary() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let manifest = std::fs::read_to_string(root.join("Cargo.toml")).unwrap();
    let extra_binaries = std::fs::read_dir(root.join("src/bin"))
        .map(|d| d.count())
        .unwrap_or(0);
    if extra_binaries > 0 {
        assert!(
            manifest
                .lines()
                .any(|line| line.trim() == "default-run = \"standin-channel\""),
            "the crate has several binaries, so `cargo run -p standin-channel` needs default-run"
        );
    }
}
