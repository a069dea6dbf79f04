//! Reading a package's file list from its `info/` tar members.

use std::io::Read;

use rattler_conda_types::package::{Files, HasPrefix, PackageFile, PathType, PathsJson};

use crate::check::rules::FileList;

const PATHS_JSON: &str = "info/paths.json";
const FILES: &str = "info/files";
const HAS_PREFIX: &str = "info/has_prefix";

/// Reads the file list from a tar stream that contains `info/`: the
/// `info/paths.json` when present, else the older `info/files` with
/// `info/has_prefix`. Stops reading at `info/paths.json`.
pub fn file_list_from_tar(reader: impl Read) -> Result<FileList, String> {
    file_list_from_archive(tar::Archive::new(reader))
}

/// Like [`file_list_from_tar`], for an opened tar archive.
pub(crate) fn file_list_from_archive(
    mut archive: tar::Archive<impl Read>,
) -> Result<FileList, String> {
    let mut files: Option<String> = None;
    let mut has_prefix: Option<String> = None;

    let entries = archive
        .entries()
        .map_err(|e| format!("unreadable tar stream: {e}"))?;
    for entry in entries {
        let mut entry = entry.map_err(|e| format!("unreadable tar entry: {e}"))?;
        let path = entry
            .path()
            .map_err(|e| format!("unreadable tar entry path: {e}"))?;
        let path = path.to_string_lossy().trim_start_matches("./").to_string();
        if path != PATHS_JSON && path != FILES && path != HAS_PREFIX {
            continue;
        }
        let mut text = String::new();
        entry
            .read_to_string(&mut text)
            .map_err(|e| format!("unreadable {path}: {e}"))?;
        match path.as_str() {
            PATHS_JSON => {
                let paths =
                    PathsJson::from_str(&text).map_err(|e| format!("invalid {PATHS_JSON}: {e}"))?;
                return Ok(FileList::from_paths_json(&paths));
            }
            FILES => files = Some(text),
            _ => has_prefix = Some(text),
        }
    }

    let files = files.ok_or_else(|| format!("the archive has neither {PATHS_JSON} nor {FILES}"))?;
    from_deprecated(&files, has_prefix.as_deref())
}

/// Builds the file list of an old package from `info/files` and `info/has_prefix`.
fn from_deprecated(files: &str, has_prefix: Option<&str>) -> Result<FileList, String> {
    let files = Files::from_str(files).map_err(|e| format!("invalid {FILES}: {e}"))?;
    let has_prefix = has_prefix
        .map(HasPrefix::from_str)
        .transpose()
        .map_err(|e| format!("invalid {HAS_PREFIX}: {e}"))?;
    let paths = PathsJson::from_deprecated(files, has_prefix, None, None, |_| {
        Ok::<_, std::convert::Infallible>(PathType::HardLink)
    })
    .map_err(|never: std::convert::Infallible| -> String { match never {} })?;
    Ok(FileList::from_paths_json(&paths))
}

/// Reads the file list from the bytes of an `info-*.tar.zst` member.
pub(crate) fn file_list_from_info_zst(bytes: &[u8]) -> Result<FileList, String> {
    let decoder =
        zstd::stream::read::Decoder::new(bytes).map_err(|e| format!("invalid zstd stream: {e}"))?;
    file_list_from_tar(decoder)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::check::rules::PrefixInfo;

    fn tar_with(members: &[(&str, &str)]) -> Vec<u8> {
        let mut builder = tar::Builder::new(Vec::new());
        for (path, text) in members {
            let mut header = tar::Header::new_gnu();
            header.set_size(text.len() as u64);
            header.set_mode(0o644);
            header.set_cksum();
            builder
                .append_data(&mut header, path, text.as_bytes())
                .unwrap();
        }
        builder.into_inner().unwrap()
    }

    #[test]
    fn paths_json_is_preferred() {
        let paths = r#"{"paths_version": 1, "paths": [
            {"_path": "etc/default.nwchemrc", "path_type": "hardlink", "file_mode": "text", "prefix_placeholder": "/build"},
            {"_path": "bin/nwchem", "path_type": "hardlink"}]}"#;
        let tar = tar_with(&[
            ("info/index.json", "{}"),
            ("info/paths.json", paths),
            ("info/files", "ignored\n"),
        ]);
        let list = file_list_from_tar(&tar[..]).unwrap();
        assert_eq!(list.files.len(), 2);
        assert_eq!(
            list.files[0].prefix,
            PrefixInfo::Text {
                placeholder: "/build".into()
            }
        );
        assert_eq!(list.files[1].prefix, PrefixInfo::None);
    }

    #[test]
    fn old_packages_use_files_and_has_prefix() {
        let tar = tar_with(&[
            ("info/files", "bin/nwchem\netc/default.nwchemrc\n"),
            ("info/has_prefix", "/build text etc/default.nwchemrc\n"),
        ]);
        let list = file_list_from_tar(&tar[..]).unwrap();
        let rc = list
            .files
            .iter()
            .find(|f| f.path == "etc/default.nwchemrc")
            .unwrap();
        assert_eq!(
            rc.prefix,
            PrefixInfo::Text {
                placeholder: "/build".into()
            }
        );
    }

    #[test]
    fn missing_metadata_is_an_error() {
        let tar = tar_with(&[("info/index.json", "{}")]);
        assert!(file_list_from_tar(&tar[..]).is_err());
    }
}
