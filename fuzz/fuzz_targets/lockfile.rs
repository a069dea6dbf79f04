//! Fuzzes the lockfile reader (rattler_lock plus envlock's header) and the
//! record conversion that install and diff run after it.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let Ok(read) = envlock::lock::ReadLock::from_text(text, std::path::Path::new("/fuzz/input.lock")) else { return };
    for platform in read.platforms() {
        let _ = read.records(platform);
        let _ = read.pypi_packages(platform);
    }
});
