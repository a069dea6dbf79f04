//! Whether each required package has builds on each target platform.

use std::collections::BTreeMap;

use rattler_conda_types::{Matches, PackageName, RepoDataRecord, Subdir};
use rattler_repodata_gateway::Gateway;
use serde::Serialize;
use url::Url;

use super::requirements::Requirement;
use crate::channels::{redact_text, strip_credentials, ChannelSource};
use crate::solve::repodata::{error_chain, FetchError};

/// A record found in a channel, with the URL to fetch its archive from.
#[derive(Debug, Clone)]
pub struct ChannelRecord {
    /// The record with its canonical URL.
    pub record: RepoDataRecord,
    /// The URL under the channel's fetch location (the mirror, if any).
    pub fetch_url: Url,
}

/// The records of the queried packages on one platform (including noarch), by package.
pub type PlatformRecords = BTreeMap<PackageName, Vec<ChannelRecord>>;

/// Queries the channels for every build of `names` on `platform` and noarch,
/// without following dependencies.
pub async fn query_records(
    gateway: &Gateway,
    channels: &[ChannelSource],
    platform: Subdir,
    names: &[PackageName],
) -> Result<PlatformRecords, FetchError> {
    let fetch_channels: Vec<_> = channels.iter().map(ChannelSource::fetch_channel).collect();
    let specs: Vec<rattler_conda_types::MatchSpec> =
        names.iter().cloned().map(Into::into).collect();
    let output = gateway
        .query(fetch_channels, [platform, Subdir::NoArch], specs)
        .recursive(false)
        .execute()
        .await
        .map_err(|error| FetchError {
            platform,
            url: channels
                .iter()
                .map(|c| redact_text(c.fetch.as_str()))
                .collect::<Vec<_>>()
                .join(", "),
            message: redact_text(&error_chain(&error)),
        })?;

    let mut found: PlatformRecords = names.iter().map(|n| (n.clone(), Vec::new())).collect();
    for repodata in output.repodata.iter() {
        for record in repodata.iter_arc() {
            let Some(slot) = found.get_mut(&record.package_record.name) else {
                continue;
            };
            let fetch_url = record.url.clone();
            let url = strip_credentials(&record.url);
            let Some(channel) = channels.iter().find(|c| {
                url.as_str()
                    .starts_with(strip_credentials(&c.fetch).as_str())
            }) else {
                tracing::warn!(url = %redact_text(record.url.as_str()), "record from an unknown channel ignored");
                continue;
            };
            let mut record = (**record).clone();
            record.url = channel.to_canonical(&record.url);
            record.channel = Some(channel.canonical.as_str().trim_end_matches('/').to_string());
            slot.push(ChannelRecord { record, fetch_url });
        }
    }
    Ok(found)
}

/// Sorts records newest first: by version, then build number, then timestamp.
pub fn newest_first(records: &mut [&ChannelRecord]) {
    records.sort_by(|a, b| {
        let (a, b) = (&a.record.package_record, &b.record.package_record);
        (&b.version, b.build_number, b.timestamp).cmp(&(&a.version, a.build_number, a.timestamp))
    });
}

/// Returns the newest record of `records` that matches `requirement`.
pub fn newest_matching<'a>(
    records: &'a [ChannelRecord],
    requirement: &Requirement,
) -> Option<&'a ChannelRecord> {
    let mut matching: Vec<&ChannelRecord> = records
        .iter()
        .filter(|r| requirement.spec.matches(&r.record))
        .collect();
    newest_first(&mut matching);
    matching.first().copied()
}

/// Availability of one requirement on one platform.
#[derive(Debug, Clone, Serialize)]
pub struct Availability {
    /// The package name.
    pub package: String,
    /// The target platform.
    pub platform: String,
    /// The requirement as written (`crest 3.0.2`).
    pub requested: String,
    /// The match spec checked.
    pub spec: String,
    /// Builds of the package on this platform, noarch builds included.
    pub builds: usize,
    /// Builds that match the spec.
    pub matching_builds: usize,
    /// Whether some build matches the spec.
    pub satisfiable: bool,
    /// The newest version on this platform.
    pub newest: Option<String>,
    /// The newest version that matches the spec.
    pub newest_matching: Option<String>,
    /// The reason the requirement is unmet, in one sentence; `None` when it is met.
    pub problem: Option<String>,
}

impl Availability {
    /// Compares `requirement` with the records found on `platform`.
    pub fn evaluate(
        requirement: &Requirement,
        platform: Subdir,
        records: &[ChannelRecord],
    ) -> Self {
        let mut all: Vec<&ChannelRecord> = records.iter().collect();
        newest_first(&mut all);
        let newest = all
            .first()
            .map(|r| r.record.package_record.version.to_string());
        let matching: Vec<&&ChannelRecord> = all
            .iter()
            .filter(|r| requirement.spec.matches(&r.record))
            .collect();
        let newest_matching = matching
            .first()
            .map(|r| r.record.package_record.version.to_string());

        let requested = requirement.display();
        let problem = if all.is_empty() {
            Some(format!(
                "{} has no {platform} build",
                requirement.package.as_normalized()
            ))
        } else if matching.is_empty() {
            let newest = newest.as_deref().unwrap_or("none");
            Some(format!(
                "{requested} has no {platform} build; newest there: {newest}"
            ))
        } else {
            None
        };
        Self {
            package: requirement.package.as_normalized().to_string(),
            platform: platform.to_string(),
            requested,
            spec: requirement.spec.to_string(),
            builds: all.len(),
            matching_builds: matching.len(),
            satisfiable: !matching.is_empty(),
            newest,
            newest_matching,
            problem,
        }
    }

    /// Adds the other platforms' newest versions to a "no build" problem.
    pub fn note_elsewhere(&mut self, elsewhere: &[(String, String)]) {
        let Some(problem) = &mut self.problem else {
            return;
        };
        if self.builds > 0 || elsewhere.is_empty() {
            return;
        }
        let list: Vec<String> = elsewhere
            .iter()
            .map(|(platform, version)| format!("{version} on {platform}"))
            .collect();
        problem.push_str(&format!("; newest elsewhere: {}", list.join(", ")));
    }
}
