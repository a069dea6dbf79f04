//! Fuzzes the environment-file parser (YAML, selectors, pip lines).
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data) {
        let _ = envlock::envfile::EnvironmentFile::from_source(text, std::path::Path::new("/fuzz/environment.yml"));
    }
});
