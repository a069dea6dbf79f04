//! The stand-in `nwchem` and `xtb` programs, compiled as static ELF
//! binaries for x86_64 (gcc) and aarch64 (gcc-aarch64-linux-gnu), so an
//! install for the wrong platform cannot pass.

use std::path::{Path, PathBuf};
use std::process::Command;

/// Compiled programs for one architecture.
#[derive(Debug, Clone)]
pub struct Programs {
    /// The nwchem stand-in.
    pub nwchem: Vec<u8>,
    /// The xtb stand-in.
    pub xtb: Vec<u8>,
}

/// The C compiler for a conda subdir.
fn compiler(subdir: &str) -> &'static str {
    match subdir {
        "linux-aarch64" => "aarch64-linux-gnu-gcc",
        _ => "gcc",
    }
}

/// Compiles both programs for `subdir`, or returns why it cannot.
pub fn compile(subdir: &str) -> Result<Programs, String> {
    let source_dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/programs");
    let out_dir: PathBuf = Path::new(env!("CARGO_TARGET_TMPDIR")).join("programs").join(subdir);
    std::fs::create_dir_all(&out_dir).map_err(|e| e.to_string())?;
    let mut built = Vec::new();
    for name in ["nwchem", "xtb"] {
        let output = out_dir.join(name);
        let result = Command::new(compiler(subdir))
            .args(["-static", "-O2", "-o"])
            .arg(&output)
            .arg(source_dir.join(format!("{name}.c")))
            .output()
            .map_err(|e| format!("{} is not available: {e}", compiler(subdir)))?;
        if !result.status.success() {
            return Err(format!("{} failed: {}", compiler(subdir), String::from_utf8_lossy(&result.stderr)));
        }
        built.push(std::fs::read(&output).map_err(|e| e.to_string())?);
    }
    let xtb = built.pop().unwrap_or_default();
    let nwchem = built.pop().unwrap_or_default();
    Ok(Programs { nwchem, xtb })
}

/// The ELF `e_machine` of a binary: 62 for x86_64, 183 for aarch64.
pub fn elf_machine(bytes: &[u8]) -> Option<u16> {
    (bytes.len() > 20 && bytes.starts_with(b"\x7fELF")).then(|| u16::from_le_bytes([bytes[18], bytes[19]]))
}
