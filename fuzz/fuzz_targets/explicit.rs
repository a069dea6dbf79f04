//! Fuzzes the `@EXPLICIT` file parser, accepting unhashed lines so more of
//! the parser is reached.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data) {
        let _ = envlock::install::input::parse_explicit(
            std::path::Path::new("/fuzz/explicit.txt"),
            text,
            envlock::install::HashPolicy::AllowUnhashed,
        );
    }
});
