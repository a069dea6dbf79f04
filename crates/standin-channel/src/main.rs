//! `standin-channel`: writes a stand-in conda-forge channel to a directory.

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant;

use clap::Parser;
use standin_channel::large::{write_large_channel, LargeChannelSpec};
use standin_channel::{write_channel, ChannelSpec, Variant};

/// Writes the stand-in channel for envlock's tests and indexes it.
#[derive(Debug, Parser)]
#[command(name = "standin-channel", version)]
struct Cli {
    /// Directory to write the channel into; it must be missing or empty.
    #[arg(long)]
    out: PathBuf,

    /// Channel variant to write.
    #[arg(long, value_enum, default_value = "worker")]
    variant: Variant,

    /// Bytes of incompressible filler to add to each nwchem archive.
    #[arg(long, value_name = "BYTES")]
    nwchem_filler: Option<usize>,

    /// Replace the sh stand-ins of nwchem and xtb with static programs built by gcc and
    /// aarch64-linux-gnu-gcc, which look up their data files like the real programs.
    #[arg(long)]
    compile_programs: bool,

    /// Write the conda-forge-sized channel instead: the worker closure with
    /// archives sized like the real packages, plus repodata-only filler records
    /// shaped after the real conda-forge records in the real-data folder.
    #[arg(long, conflicts_with_all = ["variant", "nwchem_filler", "compile_programs"])]
    large: bool,

    /// Real-data folder with `repodata/conda-subchannel-demo/` (for `--large`).
    #[arg(long, env = "ENVLOCK_REALDATA", value_name = "DIR")]
    realdata: Option<PathBuf>,

    /// Divide the `--large` record, name and archive-size targets by this
    /// number (1 writes the full size).
    #[arg(long, default_value_t = 1, value_name = "N", requires = "large")]
    scale_divisor: u64,
}

#[tokio::main]
async fn main() -> ExitCode {
    let cli = Cli::parse();
    if cli.large {
        return write_large(&cli).await;
    }
    let mut spec = ChannelSpec::variant(cli.variant);
    if let Some(bytes) = cli.nwchem_filler {
        spec = spec.with_nwchem_filler(bytes);
    }

    if cli.compile_programs {
        spec = match spec.with_compiled_programs() {
            Ok(spec) => spec,
            Err(error) => {
                eprintln!("error: {}", error_chain(&error));
                return ExitCode::FAILURE;
            }
        };
    }

    let started = Instant::now();
    let channel = match write_channel(&spec, &cli.out).await {
        Ok(channel) => channel,
        Err(error) => {
            eprintln!("error: {}", error_chain(&error));
            return ExitCode::FAILURE;
        }
    };

    let mut report = format!("wrote {} in {:.1?}\n", channel.url, started.elapsed());
    for (subdir, summary) in &channel.subdirs {
        report.push_str(&format!(
            "  {subdir:<14} {:>4} records {:>12} bytes\n",
            summary.records, summary.total_bytes
        ));
    }
    // A closed stdout (for example `| head -1`) is not an error of the
    // generator, whose channel is complete at this point.
    let _ = std::io::stdout().write_all(report.as_bytes());
    ExitCode::SUCCESS
}

async fn write_large(cli: &Cli) -> ExitCode {
    let Some(realdata) = &cli.realdata else {
        eprintln!("error: --large needs the real-data folder; pass --realdata DIR or set ENVLOCK_REALDATA");
        return ExitCode::from(2);
    };
    let spec = LargeChannelSpec::conda_forge(realdata).with_scale_divisor(cli.scale_divisor);
    let started = Instant::now();
    let summaries = match write_large_channel(&spec, &cli.out).await {
        Ok(summaries) => summaries,
        Err(error) => {
            eprintln!("error: {}", error_chain(&error));
            return ExitCode::FAILURE;
        }
    };

    let mut report = format!("wrote {} in {:.1?}\n", cli.out.display(), started.elapsed());
    for (subdir, summary) in &summaries {
        report.push_str(&format!(
            "  {subdir:<14} {:>8} records {:>6} names  repodata.json {:>11} bytes  .zst {:>10} bytes  shard index {:>8} bytes  archives {:>10} bytes  older worker builds {:>5}\n",
            summary.records,
            summary.names,
            summary.repodata_bytes,
            summary.repodata_zst_bytes,
            summary.shard_index_bytes,
            summary.archive_bytes,
            summary.history_records
        ));
    }
    let _ = std::io::stdout().write_all(report.as_bytes());
    ExitCode::SUCCESS
}

fn error_chain(error: &dyn std::error::Error) -> String {
    let mut message = error.to_string();
    let mut source = error.source();
    while let Some(inner) = source {
        message.push_str(": ");
        message.push_str(&inner.to_string());
        source = inner.source();
    }
    message
}
