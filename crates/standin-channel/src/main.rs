//! `standin-channel`: writes a stand-in conda-forge channel to a directory.

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant;

use clap::Parser;
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
}

#[tokio::main]
async fn main() -> ExitCode {
    let cli = Cli::parse();
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
