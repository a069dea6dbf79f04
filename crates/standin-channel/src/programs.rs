//! Compiled `nwchem` and `xtb` stand-ins: static ELF programs for x86_64
//! (gcc) and aarch64 (gcc-aarch64-linux-gnu from Debian), so an install for
//! the wrong platform cannot pass and an activated environment can be
//! distinguished from one that was never activated.
//!
//! The C sources are in `programs/`; the default payloads of the channel
//! are `sh` scripts, which [`ChannelSpec::with_compiled_programs`] replaces.

use std::path::Path;
use std::process::Command;

use crate::{ChannelSpec, FileSpec, PackageSpec};

const NWCHEM_SOURCE: &str = include_str!("../programs/nwchem.c");
const XTB_SOURCE: &str = include_str!("../programs/xtb.c");

/// A failure to compile the stand-in programs.
#[derive(Debug, thiserror::Error)]
pub enum CompileError {
    /// The compiler for a platform is not installed.
    #[error("{compiler} is not available to build the {subdir} stand-ins: {source}; install it (Debian: gcc, gcc-aarch64-linux-gnu)")]
    MissingCompiler {
        /// The compiler program.
        compiler: &'static str,
        /// The conda subdir.
        subdir: String,
        /// The spawn error.
        #[source]
        source: std::io::Error,
    },
    /// The compiler ran and failed.
    #[error("{compiler} failed to build {program} for {subdir}: {stderr}")]
    Failed {
        /// The compiler program.
        compiler: &'static str,
        /// `nwchem` or `xtb`.
        program: &'static str,
        /// The conda subdir.
        subdir: String,
        /// What the compiler printed.
        stderr: String,
    },
    /// A temporary file could not be written or read.
    #[error("failed to prepare the program sources: {0}")]
    Io(#[from] std::io::Error),
}

/// The C compiler that builds static programs for a conda subdir: the
/// native `gcc` for the host's own architecture, else Debian's cross compiler.
pub fn compiler_for(subdir: &str) -> Option<&'static str> {
    let native = match std::env::consts::ARCH {
        "x86_64" => "linux-64",
        "aarch64" => "linux-aarch64",
        _ => "",
    };
    match subdir {
        _ if subdir == native => Some("gcc"),
        "linux-64" => Some("x86_64-linux-gnu-gcc"),
        "linux-aarch64" => Some("aarch64-linux-gnu-gcc"),
        _ => None,
    }
}

/// Compiles one program for `subdir` and returns the binary.
pub fn compile(program: &'static str, subdir: &str) -> Result<Vec<u8>, CompileError> {
    let Some(compiler) = compiler_for(subdir) else {
        return Err(CompileError::Failed {
            compiler: "none",
            program,
            subdir: subdir.to_string(),
            stderr: "no compiler for this subdir".into(),
        });
    };
    let source = match program {
        "nwchem" => NWCHEM_SOURCE,
        _ => XTB_SOURCE,
    };
    let directory = tempfile::tempdir()?;
    let source_path = directory.path().join(format!("{program}.c"));
    std::fs::write(&source_path, source)?;
    let output_path = directory.path().join(program);
    // -ffile-prefix-map keeps the temporary directory out of the binary, so
    // the same compiler gives the same bytes.
    let output = Command::new(compiler)
        .arg("-static")
        .arg("-O2")
        .arg(format!(
            "-ffile-prefix-map={}=.",
            directory.path().display()
        ))
        .arg("-o")
        .arg(&output_path)
        .arg(&source_path)
        .output()
        .map_err(|source| CompileError::MissingCompiler {
            compiler,
            subdir: subdir.to_string(),
            source,
        })?;
    if !output.status.success() {
        return Err(CompileError::Failed {
            compiler,
            program,
            subdir: subdir.to_string(),
            stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
        });
    }
    Ok(std::fs::read(&output_path)?)
}

/// The ELF `e_machine` of a binary: 62 for x86_64, 183 for aarch64.
pub fn elf_machine(bytes: &[u8]) -> Option<u16> {
    (bytes.len() > 20 && bytes.starts_with(b"\x7fELF"))
        .then(|| u16::from_le_bytes([bytes[18], bytes[19]]))
}

fn replace_program(package: PackageSpec, subdir: &str, path: &str, binary: &[u8]) -> PackageSpec {
    if package.subdir != subdir {
        return package;
    }
    let mut file = FileSpec::new(path, binary.to_vec());
    file.executable = true;
    package.with_file(file)
}

impl ChannelSpec {
    /// Replaces the `sh` stand-ins of `bin/nwchem` and `bin/xtb` with
    /// compiled programs for linux-64 and linux-aarch64.
    pub fn with_compiled_programs(self) -> Result<Self, CompileError> {
        let mut spec = self;
        for subdir in ["linux-64", "linux-aarch64"] {
            let nwchem = compile("nwchem", subdir)?;
            let xtb = compile("xtb", subdir)?;
            spec = spec
                .map_package("nwchem", |p| {
                    replace_program(p, subdir, "bin/nwchem", &nwchem)
                })
                .map_package("xtb", |p| replace_program(p, subdir, "bin/xtb", &xtb));
        }
        Ok(spec)
    }
}

/// Whether `path` contains a compiled program (an ELF file).
pub fn is_compiled(path: &Path) -> bool {
    std::fs::read(path).is_ok_and(|bytes| elf_machine(&bytes).is_some())
}
