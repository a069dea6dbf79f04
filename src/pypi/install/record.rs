//! The `RECORD` file of an installed distribution (the wheel format's CSV of
//! path, `sha256=` urlsafe-base64 hash without padding, and size).

use base64::Engine;
use sha2::{Digest, Sha256};

/// One installed file, with its path relative to site-packages.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) struct RecordEntry {
    pub(crate) path: String,
    pub(crate) hash: String,
    pub(crate) size: u64,
}

impl RecordEntry {
    pub(crate) fn for_content(path: String, content: &[u8]) -> Self {
        let digest = Sha256::digest(content);
        Self {
            path,
            hash: base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(digest),
            size: content.len() as u64,
        }
    }
}

/// Renders RECORD, sorted by path, with a hash-less line for RECORD itself.
pub(crate) fn render(mut entries: Vec<RecordEntry>, record_path: &str) -> String {
    entries.sort();
    entries.dedup_by(|a, b| a.path == b.path);
    let mut text = String::new();
    for entry in entries {
        text.push_str(&csv_field(&entry.path));
        text.push_str(&format!(",sha256={},{}\n", entry.hash, entry.size));
    }
    text.push_str(&csv_field(record_path));
    text.push_str(",,\n");
    text
}

fn csv_field(value: &str) -> String {
    if value.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", value.replace('"', "\"\""))
    } else {
        value.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn render_sorts_and_quotes() {
        let entries = vec![
            RecordEntry::for_content("b.py".into(), b""),
            RecordEntry::for_content("a,b.py".into(), b"x"),
        ];
        let text = render(entries, "demo-1.0.dist-info/RECORD");
        assert_eq!(
            text,
            "\"a,b.py\",sha256=LXEWQrcmsEQBYnyp-6wy9chTD7GQPMTbAiWHF5IaSIE,1\nb.py,sha256=47DEQpj8HBSa-_TImW-5JCeuQeRkm5NMpJWZG3hSuFU,0\ndemo-1.0.dist-info/RECORD,,\n"
        );
    }
}
