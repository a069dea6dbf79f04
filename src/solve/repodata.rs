//! Fetching repodata through rattler's gateway, rewritten to canonical URLs.

use std::path::Path;
use std::sync::Arc;

use rattler_conda_types::{MatchSpec, PackageName, RepoDataRecord, Subdir};
use rattler_repodata_gateway::Gateway;

use crate::channels::{redact_text, ChannelSource};

/// Builds the gateway: an HTTP client with rattler's authentication
/// middleware (netrc, `RATTLER_AUTH_FILE`, keyring) and a repodata cache.
pub fn build_gateway(cache_dir: &Path) -> Result<Gateway, crate::http::ClientError> {
    let client = crate::http::client()?;
    Ok(Gateway::builder()
        .with_client(client)
        .with_cache_dir(cache_dir.join("repodata"))
        .finish())
}

/// The records one channel offers for one platform and `noarch`, with URLs
/// rewritten to the channel's canonical location.
#[derive(Debug, Clone)]
pub struct ChannelRecords {
    /// The channel the records came from.
    pub channel: ChannelSource,
    /// The records, in gateway order.
    pub records: Vec<RepoDataRecord>,
}

/// An error while fetching repodata, with the channel it came from.
#[derive(Debug, thiserror::Error)]
#[error("failed to fetch repodata for {platform} from {url}: {message}")]
pub struct FetchError {
    /// The platform being fetched.
    pub platform: Subdir,
    /// The fetch URL of the channel, credentials redacted.
    pub url: String,
    /// The gateway's message, credentials redacted.
    pub message: String,
}

/// Fetches every record reachable from `names` for `platform` (and noarch)
/// from each channel, in channel-priority order.
pub async fn fetch_records(
    gateway: &Gateway,
    channels: &[ChannelSource],
    platform: Subdir,
    names: &[PackageName],
) -> Result<Vec<ChannelRecords>, FetchError> {
    let output = query_with_retry(gateway, channels, platform, names)
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

    let mut by_channel: Vec<ChannelRecords> = channels
        .iter()
        .map(|channel| ChannelRecords {
            channel: channel.clone(),
            records: Vec::new(),
        })
        .collect();
    for repodata in output.repodata.iter() {
        for record in repodata.iter_arc() {
            let Some(slot) = owning_channel(&mut by_channel, record) else {
                tracing::warn!(url = %redact_text(record.url.as_str()), "record from an unknown channel ignored");
                continue;
            };
            let canonical = canonicalize(&slot.channel, record);
            slot.records.push(canonical);
        }
    }
    for slot in &by_channel {
        tracing::debug!(channel = %slot.channel.name, %platform, records = slot.records.len(), "repodata fetched");
    }
    Ok(by_channel)
}

/// Loads the repodata of every platform (and noarch) into the gateway in
/// one query, so the subdirs download and parse at the same time instead
/// of one platform after the other. The gateway then serves the
/// per-platform queries that follow from memory.
///
/// A failure is only logged: the per-platform query that needs the
/// missing data fails again and reports it with its platform.
pub async fn prefetch(
    gateway: &Gateway,
    channels: &[ChannelSource],
    platforms: &[Subdir],
    names: &[PackageName],
) {
    let specs: Vec<MatchSpec> = names.iter().cloned().map(MatchSpec::from).collect();
    let fetch_channels: Vec<_> = channels.iter().map(ChannelSource::fetch_channel).collect();
    let subdirs = platforms.iter().copied().chain([Subdir::NoArch]);
    let result = gateway
        .query(fetch_channels, subdirs, specs)
        .recursive(true)
        .execute()
        .await;
    if let Err(error) = result {
        tracing::debug!(error = %redact_text(&error_chain(&error)), "fetching every platform at once failed, so each platform is fetched on its own");
    }
}

/// Further gateway queries after one whose response body broke off.
const BODY_RETRIES: u32 = 2;

/// Runs the gateway query, and runs it again (up to [`BODY_RETRIES`] times,
/// one second apart) when a response body broke off. The HTTP client
/// retries failures before the headers, but the gateway reads some bodies
/// (the shard index and the shards) without retrying a broken stream.
async fn query_with_retry(
    gateway: &Gateway,
    channels: &[ChannelSource],
    platform: Subdir,
    names: &[PackageName],
) -> Result<rattler_repodata_gateway::RepoDataQueryOutput, rattler_repodata_gateway::GatewayError> {
    let mut attempt = 1;
    loop {
        let specs: Vec<MatchSpec> = names.iter().cloned().map(MatchSpec::from).collect();
        let fetch_channels: Vec<_> = channels.iter().map(ChannelSource::fetch_channel).collect();
        let result = gateway
            .query(fetch_channels, [platform, Subdir::NoArch], specs)
            .recursive(true)
            .execute()
            .await;
        match result {
            Err(error) if attempt <= BODY_RETRIES && is_broken_body(&error) => {
                tracing::warn!(
                    %platform,
                    attempt,
                    max_attempts = BODY_RETRIES + 1,
                    error = %redact_text(&error_chain(&error)),
                    "a repodata response broke off, retrying the query"
                );
                tokio::time::sleep(std::time::Duration::from_secs(1)).await;
                attempt += 1;
            }
            other => return other,
        }
    }
}

/// Whether a gateway error is a response body that ended early or could not be decoded.
fn is_broken_body(error: &rattler_repodata_gateway::GatewayError) -> bool {
    let mut source: Option<&(dyn std::error::Error + 'static)> = Some(error);
    while let Some(inner) = source {
        if let Some(reqwest) = inner.downcast_ref::<reqwest::Error>() {
            if reqwest.is_body() || reqwest.is_decode() {
                return true;
            }
        }
        if let Some(io) = inner.downcast_ref::<std::io::Error>() {
            if io.kind() == std::io::ErrorKind::UnexpectedEof {
                return true;
            }
        }
        source = inner.source();
    }
    false
}

fn owning_channel<'a>(
    slots: &'a mut [ChannelRecords],
    record: &Arc<RepoDataRecord>,
) -> Option<&'a mut ChannelRecords> {
    let url = crate::channels::strip_credentials(&record.url);
    slots.iter_mut().find(|slot| {
        let base = crate::channels::strip_credentials(&slot.channel.fetch);
        url.as_str().starts_with(base.as_str())
    })
}

fn canonicalize(channel: &ChannelSource, record: &RepoDataRecord) -> RepoDataRecord {
    let mut record = record.clone();
    record.url = channel.to_canonical(&record.url);
    // The solver matches `channel::package` specs against this string, which
    // must equal the channel's canonical name (its base URL with the slash).
    record.channel = Some(channel.canonical.as_str().to_string());
    record
}

/// Joins an error and its sources into one line.
pub fn error_chain(error: &dyn std::error::Error) -> String {
    let mut message = error.to_string();
    let mut source = error.source();
    while let Some(inner) = source {
        let text = inner.to_string();
        if !message.contains(&text) {
            message.push_str(": ");
            message.push_str(&text);
        }
        source = inner.source();
    }
    message
}
