//! Package and file descriptions that the writer turns into `.conda` archives.

/// Milliseconds since the Unix epoch written as `timestamp` into every record
/// by default (2025-10-09T08:53:20Z).
pub const DEFAULT_TIMESTAMP_MS: u64 = 1_760_000_000_000;

/// How the installer treats the prefix placeholder in a file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FileMode {
    /// Installed as is, because the file contains no prefix placeholder.
    Binary,
    /// Contains `placeholder`, which the installer replaces with the target
    /// prefix as text (`file_mode: "text"` in `paths.json`).
    Text {
        /// The build prefix written into the file.
        placeholder: String,
    },
    /// Contains `placeholder`, which the installer replaces in place and pads
    /// with NUL bytes (`file_mode: "binary"` in `paths.json`).
    BinaryPlaceholder {
        /// The build prefix written into the file.
        placeholder: String,
    },
    /// A symbolic link (`path_type: "softlink"` in `paths.json`) instead of a
    /// regular file. The file's `contents` are ignored.
    Symlink {
        /// Link target, relative to the link's directory.
        target: String,
    },
}

impl FileMode {
    /// Returns the prefix placeholder, if the file has one.
    pub fn placeholder(&self) -> Option<&str> {
        match self {
            FileMode::Binary | FileMode::Symlink { .. } => None,
            FileMode::Text { placeholder } | FileMode::BinaryPlaceholder { placeholder } => {
                Some(placeholder)
            }
        }
    }
}

/// One entry of a package's payload.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileSpec {
    /// Path relative to the prefix, with `/` separators (for example `bin/xtb`).
    pub path: String,
    /// File contents, empty for a symbolic link.
    pub contents: Vec<u8>,
    /// Prefix placeholder handling, or the target of a symbolic link.
    pub mode: FileMode,
    /// Whether the file gets mode 0755 instead of 0644 in the archive.
    pub executable: bool,
}

impl FileSpec {
    /// Creates a regular, non-executable file without a prefix placeholder.
    pub fn new(path: impl Into<String>, contents: impl Into<Vec<u8>>) -> Self {
        Self {
            path: path.into(),
            contents: contents.into(),
            mode: FileMode::Binary,
            executable: false,
        }
    }

    /// Creates an executable file (mode 0755) without a prefix placeholder.
    pub fn executable(path: impl Into<String>, contents: impl Into<Vec<u8>>) -> Self {
        Self::new(path, contents).with_executable(true)
    }

    /// Creates a text file that contains `placeholder`, replaced as text at
    /// install time.
    pub fn text_with_prefix(
        path: impl Into<String>,
        contents: impl Into<Vec<u8>>,
        placeholder: impl Into<String>,
    ) -> Self {
        Self::new(path, contents).with_mode(FileMode::Text {
            placeholder: placeholder.into(),
        })
    }

    /// Creates a symbolic link at `path` that points to `target`.
    pub fn symlink(path: impl Into<String>, target: impl Into<String>) -> Self {
        Self::new(path, Vec::new()).with_mode(FileMode::Symlink {
            target: target.into(),
        })
    }

    /// Sets the prefix placeholder handling.
    pub fn with_mode(mut self, mode: FileMode) -> Self {
        self.mode = mode;
        self
    }

    /// Sets whether the file is executable.
    pub fn with_executable(mut self, executable: bool) -> Self {
        self.executable = executable;
        self
    }

    /// Returns the link target if this entry is a symbolic link.
    pub fn symlink_target(&self) -> Option<&str> {
        match &self.mode {
            FileMode::Symlink { target } => Some(target),
            _ => None,
        }
    }
}

/// The `noarch` kind of a package.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum NoArch {
    /// An architecture-specific package (`linux-64`, `linux-aarch64`).
    #[default]
    None,
    /// `noarch: generic`, whose files are installed as they are.
    Generic,
    /// `noarch: python`, whose `site-packages/` is remapped to the
    /// interpreter's site-packages directory at install time.
    Python,
}

/// One package build: the metadata written to `info/` and its payload.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PackageSpec {
    /// Package name, for example `nwchem`.
    pub name: String,
    /// Version string, for example `7.3.1`.
    pub version: String,
    /// Build string, for example `h8876d29_4`.
    pub build: String,
    /// Build number.
    pub build_number: u64,
    /// Channel subdirectory: `linux-64`, `linux-aarch64` or `noarch`.
    pub subdir: String,
    /// The `noarch` kind. Anything other than [`NoArch::None`] requires
    /// `subdir == "noarch"`.
    pub noarch: NoArch,
    /// Run dependencies as match specs.
    pub depends: Vec<String>,
    /// Run constraints as match specs.
    pub constrains: Vec<String>,
    /// SPDX license expression. `None` leaves the field out.
    pub license: Option<String>,
    /// Package URLs of the matching PyPI project (`pkg:pypi/<name>`).
    pub purls: Vec<String>,
    /// Milliseconds since the Unix epoch.
    pub timestamp: u64,
    /// Console entry points (`name = module:function`) of a `noarch: python`
    /// package, written to `info/link.json`.
    pub entry_points: Vec<String>,
    /// One-line description for `info/about.json`.
    pub summary: String,
    /// The payload.
    pub files: Vec<FileSpec>,
}

impl PackageSpec {
    /// Creates a package with no dependencies, no files and the default timestamp.
    pub fn new(
        name: impl Into<String>,
        version: impl Into<String>,
        build: impl Into<String>,
        subdir: impl Into<String>,
    ) -> Self {
        let name = name.into();
        Self {
            summary: format!("Stand-in for the conda-forge {name} package"),
            name,
            version: version.into(),
            build: build.into(),
            build_number: 0,
            subdir: subdir.into(),
            noarch: NoArch::None,
            depends: Vec::new(),
            constrains: Vec::new(),
            license: None,
            purls: Vec::new(),
            timestamp: DEFAULT_TIMESTAMP_MS,
            entry_points: Vec::new(),
            files: Vec::new(),
        }
    }

    /// Returns the archive file name, `<name>-<version>-<build>.conda`.
    pub fn filename(&self) -> String {
        format!("{}.conda", self.dist_name())
    }

    /// Returns `<name>-<version>-<build>`.
    pub fn dist_name(&self) -> String {
        format!("{}-{}-{}", self.name, self.version, self.build)
    }

    /// Sets the build number.
    pub fn with_build_number(mut self, build_number: u64) -> Self {
        self.build_number = build_number;
        self
    }

    /// Sets the version and build string. The payload stays as it is, and
    /// [`PackageSpec::with_standin_files`] regenerates it.
    pub fn with_version(mut self, version: impl Into<String>, build: impl Into<String>) -> Self {
        self.version = version.into();
        self.build = build.into();
        self
    }

    /// Sets the `noarch` kind.
    pub fn with_noarch(mut self, noarch: NoArch) -> Self {
        self.noarch = noarch;
        self
    }

    /// Replaces the run dependencies.
    pub fn with_depends<I, S>(mut self, depends: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.depends = depends.into_iter().map(Into::into).collect();
        self
    }

    /// Replaces the run constraints.
    pub fn with_constrains<I, S>(mut self, constrains: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.constrains = constrains.into_iter().map(Into::into).collect();
        self
    }

    /// Sets the license.
    pub fn with_license(mut self, license: impl Into<String>) -> Self {
        self.license = Some(license.into());
        self
    }

    /// Adds a package URL.
    pub fn with_purl(mut self, purl: impl Into<String>) -> Self {
        self.purls.push(purl.into());
        self
    }

    /// Sets the timestamp in milliseconds since the Unix epoch.
    pub fn with_timestamp(mut self, timestamp_ms: u64) -> Self {
        self.timestamp = timestamp_ms;
        self
    }

    /// Adds a console entry point (`name = module:function`).
    pub fn with_entry_point(mut self, entry_point: impl Into<String>) -> Self {
        self.entry_points.push(entry_point.into());
        self
    }

    /// Adds `file`, replacing any file at the same path. A later test can use
    /// this to put a compiled program for the package's subdir in place of a
    /// shell-script stand-in.
    pub fn with_file(mut self, file: FileSpec) -> Self {
        self.files.retain(|existing| existing.path != file.path);
        self.files.push(file);
        self
    }

    /// Removes every file whose path starts with `prefix` (for example
    /// `share/nwchem/libraries/`).
    pub fn without_files_under(mut self, prefix: &str) -> Self {
        self.files.retain(|file| !file.path.starts_with(prefix));
        self
    }

    /// Removes the file at `path`, if present.
    pub fn without_file(mut self, path: &str) -> Self {
        self.files.retain(|file| file.path != path);
        self
    }

    /// Applies `change` to the file at `path`. A missing path leaves the
    /// package unchanged.
    pub fn map_file(mut self, path: &str, change: impl Fn(FileSpec) -> FileSpec) -> Self {
        if let Some(index) = self.files.iter().position(|file| file.path == path) {
            let file = self.files.remove(index);
            self.files.insert(index, change(file));
        }
        self
    }

    /// Returns the file at `path`, if present.
    pub fn file(&self, path: &str) -> Option<&FileSpec> {
        self.files.iter().find(|file| file.path == path)
    }

    /// Replaces the payload with the generated stand-in files for this
    /// package's name, version and subdir.
    pub fn with_standin_files(mut self) -> Self {
        self.files = crate::contents::standin_files(&self);
        self
    }
}
