//! Entry points in `bin/`: present, executable, and built for the prefix's
//! platform (ELF `e_machine`) or a script with a `#!` line.

use std::io::Read;
use std::os::unix::fs::PermissionsExt;
use std::path::Path;

use rattler_conda_types::Subdir;

use super::paths::RuntimePaths;

/// ELF `e_machine` of x86-64 (System V gABI).
pub const EM_X86_64: u16 = 62;
/// ELF `e_machine` of AArch64.
pub const EM_AARCH64: u16 = 183;
/// ELF `e_machine` of 64-bit PowerPC.
pub const EM_PPC64: u16 = 21;
/// ELF `e_machine` of IBM S/390.
pub const EM_S390: u16 = 22;

/// Bytes read from the start of a file: the ELF header fields used here end
/// at offset 20, and a `#!` line is read up to this length.
const HEADER_BYTES: usize = 256;

/// The `e_machine` value programs of `platform` must have.
pub fn expected_machine(platform: Subdir) -> Option<u16> {
    match platform {
        Subdir::Linux64 => Some(EM_X86_64),
        Subdir::LinuxAarch64 => Some(EM_AARCH64),
        Subdir::LinuxPpc64le => Some(EM_PPC64),
        Subdir::LinuxS390X => Some(EM_S390),
        _ => None,
    }
}

/// Returns a readable name for an `e_machine` value.
pub fn machine_name(machine: u16) -> String {
    match machine {
        EM_X86_64 => "x86_64".to_string(),
        EM_AARCH64 => "aarch64".to_string(),
        EM_PPC64 => "ppc64".to_string(),
        EM_S390 => "s390".to_string(),
        other => format!("machine {other}"),
    }
}

/// The kind of a file, from its first bytes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FileKind {
    /// An ELF file with this `e_machine`.
    Elf {
        /// The `e_machine` field.
        machine: u16,
    },
    /// A script; the interpreter path from its `#!` line.
    Script {
        /// The first word after `#!`.
        interpreter: String,
    },
    /// Neither.
    Other,
}

/// Classifies the first bytes of a file.
pub fn classify(header: &[u8]) -> FileKind {
    if header.len() >= 20 && header.starts_with(b"\x7fELF") {
        // EI_DATA (byte 5): 1 is little-endian, 2 is big-endian.
        let bytes = [header[18], header[19]];
        let machine = if header[5] == 2 {
            u16::from_be_bytes(bytes)
        } else {
            u16::from_le_bytes(bytes)
        };
        return FileKind::Elf { machine };
    }
    if let Some(rest) = header.strip_prefix(b"#!") {
        let line = rest.split(|&b| b == b'\n').next().unwrap_or_default();
        let text = String::from_utf8_lossy(line);
        let interpreter = text
            .split_whitespace()
            .next()
            .unwrap_or_default()
            .to_string();
        return FileKind::Script { interpreter };
    }
    FileKind::Other
}

/// Checks one entry point; returns `Err` with the reason when it cannot run.
pub fn check_entry_point(
    path: &Path,
    platform: Subdir,
    paths: &RuntimePaths,
) -> Result<String, String> {
    let metadata = std::fs::metadata(path).map_err(|e| match std::fs::symlink_metadata(path) {
        Ok(_) => format!("is a symbolic link whose target is missing ({e})"),
        Err(_) => "is missing".to_string(),
    })?;
    if !metadata.is_file() {
        return Err("is not a regular file".to_string());
    }
    if metadata.permissions().mode() & 0o111 == 0 {
        return Err(format!(
            "is not executable (mode {:o})",
            metadata.permissions().mode() & 0o777
        ));
    }

    let mut header = Vec::with_capacity(HEADER_BYTES);
    std::fs::File::open(path)
        .and_then(|file| file.take(HEADER_BYTES as u64).read_to_end(&mut header))
        .map_err(|e| format!("cannot be read: {e}"))?;

    match classify(&header) {
        FileKind::Elf { machine } => match expected_machine(platform) {
            Some(expected) if expected == machine => Ok(format!("ELF for {}", machine_name(machine))),
            Some(expected) => Err(format!(
                "is an ELF program for {} (e_machine {machine}), but {platform} needs {} (e_machine {expected})",
                machine_name(machine),
                machine_name(expected)
            )),
            None => Ok(format!("ELF for {} (no expected machine known for {platform})", machine_name(machine))),
        },
        FileKind::Script { interpreter } => check_interpreter(&interpreter, paths),
        FileKind::Other => Err("is neither an ELF program nor a script with a #! line".to_string()),
    }
}

/// A script's interpreter must not be a build path and, when it lies in the
/// prefix, must exist there.
fn check_interpreter(interpreter: &str, paths: &RuntimePaths) -> Result<String, String> {
    if interpreter.is_empty() {
        return Err("has an empty #! line".to_string());
    }
    if super::paths::looks_like_build_path(interpreter) {
        return Err(format!(
            "runs {interpreter}, a conda build path that was not replaced"
        ));
    }
    match paths.on_disk(interpreter) {
        Some(local) if local.exists() => Ok(format!("script run by {interpreter}")),
        Some(_) => Err(format!("runs {interpreter}, which is not in the prefix")),
        None => Ok(format!(
            "script run by {interpreter} (outside the prefix, not checked)"
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn elf_header(data: u8, machine: u16) -> Vec<u8> {
        let mut header = vec![0u8; 64];
        header[..4].copy_from_slice(b"\x7fELF");
        header[4] = 2;
        header[5] = data;
        let bytes = if data == 2 {
            machine.to_be_bytes()
        } else {
            machine.to_le_bytes()
        };
        header[18..20].copy_from_slice(&bytes);
        header
    }

    #[test]
    fn elf_machine_is_read_in_both_byte_orders() {
        assert_eq!(
            classify(&elf_header(1, EM_AARCH64)),
            FileKind::Elf {
                machine: EM_AARCH64
            }
        );
        assert_eq!(
            classify(&elf_header(2, EM_S390)),
            FileKind::Elf { machine: EM_S390 }
        );
    }

    #[test]
    fn shebang_gives_the_interpreter() {
        let kind = classify(b"#!/opt/env/bin/python3.11 -E\nprint()\n");
        assert_eq!(
            kind,
            FileKind::Script {
                interpreter: "/opt/env/bin/python3.11".into()
            }
        );
    }

    #[test]
    fn other_files_are_neither() {
        assert_eq!(classify(b"just text"), FileKind::Other);
    }
}
