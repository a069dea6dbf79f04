//! Text, Markdown and JSON renderings of a [`LockDiff`].

use super::{ChangeKind, Ecosystem, LockDiff, PackageChange, PackageVersion, PlatformStatus};

/// Platforms with more changes than this get a collapsed `<details>` section in Markdown.
pub const COLLAPSE_AFTER: usize = 10;

fn version_text(version: Option<&PackageVersion>) -> String {
    version
        .map(|v| format!("{} ({})", v.version, v.build))
        .unwrap_or_default()
}

fn kind_word(change: ChangeKind) -> &'static str {
    match change {
        ChangeKind::Added => "added",
        ChangeKind::Removed => "removed",
        ChangeKind::Upgraded => "upgraded",
        ChangeKind::Downgraded => "downgraded",
        ChangeKind::Rebuilt => "rebuilt",
    }
}

fn ecosystem_word(ecosystem: Ecosystem) -> &'static str {
    match ecosystem {
        Ecosystem::Conda => "conda",
        Ecosystem::Pypi => "pypi",
    }
}

fn origin_word(change: &PackageChange) -> &'static str {
    if change.requested {
        "requested"
    } else {
        "transitive"
    }
}

fn status_note(status: PlatformStatus) -> &'static str {
    match status {
        PlatformStatus::Both => "",
        PlatformStatus::Added => " (platform added)",
        PlatformStatus::Removed => " (platform removed)",
    }
}

/// A one-line count of the changes, e.g. `3 packages changed on 2 platforms`.
pub fn summary_line(diff: &LockDiff) -> String {
    if !diff.has_changes() {
        return "No changes.".to_string();
    }
    let changed: Vec<_> = diff
        .platforms
        .iter()
        .filter(|(_, p)| !p.changes.is_empty() || p.status != PlatformStatus::Both)
        .collect();
    let total: usize = changed.iter().map(|(_, p)| p.changes.len()).sum();
    let mut counts = std::collections::BTreeMap::new();
    for (_, platform) in &changed {
        for change in &platform.changes {
            *counts.entry(kind_word(change.change)).or_insert(0usize) += 1;
        }
    }
    let detail: Vec<String> = counts
        .iter()
        .map(|(kind, n)| format!("{n} {kind}"))
        .collect();
    format!(
        "{total} package change(s) on {} platform(s): {}.",
        changed.len(),
        if detail.is_empty() {
            "platforms changed".to_string()
        } else {
            detail.join(", ")
        }
    )
}

/// Renders the diff for a terminal.
pub fn text(diff: &LockDiff) -> String {
    let mut out = String::new();
    out.push_str(&summary_line(diff));
    out.push('\n');
    for (platform, platform_diff) in &diff.platforms {
        if platform_diff.changes.is_empty() && platform_diff.status == PlatformStatus::Both {
            continue;
        }
        out.push_str(&format!(
            "\n{platform}{}:\n",
            status_note(platform_diff.status)
        ));
        for change in &platform_diff.changes {
            let symbol = match change.change {
                ChangeKind::Added => "+",
                ChangeKind::Removed => "-",
                ChangeKind::Upgraded => "↑",
                ChangeKind::Downgraded => "↓",
                ChangeKind::Rebuilt => "~",
            };
            let versions = match (&change.old, &change.new) {
                (Some(old), Some(new)) if old.version == new.version && old.build == new.build => {
                    format!("{}: new archive hash", version_text(Some(new)))
                }
                (Some(old), Some(new)) => {
                    format!("{} -> {}", version_text(Some(old)), version_text(Some(new)))
                }
                (old, new) => version_text(old.as_ref().or(new.as_ref())),
            };
            out.push_str(&format!(
                "  {symbol} {} {} {versions} [{}, {}]\n",
                ecosystem_word(change.ecosystem),
                change.name,
                kind_word(change.change),
                origin_word(change)
            ));
        }
    }
    out
}

/// Renders the diff as a pull-request body: a summary line, then a table per
/// platform; long tables are collapsed.
pub fn markdown(diff: &LockDiff) -> String {
    let mut out = String::new();
    out.push_str("## Lock changes\n\n");
    out.push_str(&summary_line(diff));
    out.push('\n');
    for (platform, platform_diff) in &diff.platforms {
        if platform_diff.changes.is_empty() && platform_diff.status == PlatformStatus::Both {
            continue;
        }
        out.push_str(&format!(
            "\n### {platform}{}\n\n",
            status_note(platform_diff.status)
        ));
        if platform_diff.changes.is_empty() {
            out.push_str("No package changes.\n");
            continue;
        }
        let collapse = platform_diff.changes.len() > COLLAPSE_AFTER;
        if collapse {
            out.push_str(&format!(
                "<details>\n<summary>{} changes</summary>\n\n",
                platform_diff.changes.len()
            ));
        }
        out.push_str("| Package | Kind | Change | Old | New | Requested |\n");
        out.push_str("|---|---|---|---|---|---|\n");
        for change in &platform_diff.changes {
            out.push_str(&format!(
                "| {} | {} | {} | {} | {} | {} |\n",
                change.name,
                ecosystem_word(change.ecosystem),
                kind_word(change.change),
                markdown_cell(change.old.as_ref()),
                markdown_cell(change.new.as_ref()),
                if change.requested { "yes" } else { "" }
            ));
        }
        if collapse {
            out.push_str("\n</details>\n");
        }
    }
    out
}

fn markdown_cell(version: Option<&PackageVersion>) -> String {
    version
        .map(|v| format!("{} `{}`", v.version, v.build.replace('|', "\\|")))
        .unwrap_or_else(|| "-".to_string())
}

/// Renders the diff as JSON.
pub fn json(diff: &LockDiff) -> String {
    let document = serde_json::json!({
        "has_changes": diff.has_changes(),
        "summary": summary_line(diff),
        "platforms": diff.platforms,
    });
    serde_json::to_string_pretty(&document).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::*;
    use crate::diff::PlatformDiff;

    fn added(name: &str) -> PackageChange {
        PackageChange {
            name: name.to_string(),
            ecosystem: Ecosystem::Conda,
            change: ChangeKind::Added,
            old: None,
            new: Some(PackageVersion {
                version: "1.0".into(),
                build: "h0_0".into(),
                sha256: None,
            }),
            requested: false,
        }
    }

    #[test]
    fn long_tables_are_collapsed() {
        let many: Vec<_> = (0..COLLAPSE_AFTER + 1)
            .map(|i| added(&format!("pkg{i:02}")))
            .collect();
        let few = vec![added("only")];
        let diff = LockDiff {
            platforms: BTreeMap::from([
                (
                    "linux-64".to_string(),
                    PlatformDiff {
                        status: PlatformStatus::Both,
                        changes: many,
                    },
                ),
                (
                    "linux-aarch64".to_string(),
                    PlatformDiff {
                        status: PlatformStatus::Both,
                        changes: few,
                    },
                ),
            ]),
        };
        let rendered = markdown(&diff);
        assert_eq!(rendered.matches("<details>").count(), 1, "{rendered}");
        assert!(
            rendered.contains(&format!(
                "<summary>{} changes</summary>",
                COLLAPSE_AFTER + 1
            )),
            "{rendered}"
        );
    }
}
