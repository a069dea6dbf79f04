//! `standin-serve`: serves a channel directory on 127.0.0.1 for benchmarks.
//!
//! Prints `url <http://127.0.0.1:PORT/>` on stdout, then reads commands from
//! stdin, one per line:
//!
//! - `stats`: prints `stats <requests> <body bytes> <archive body bytes>`
//!   for the requests since the last `reset`, where archive bytes count only
//!   `.conda` and `.tar.bz2` paths;
//! - `reset`: clears the recorded requests;
//! - `range on` / `range off`: answers or ignores `Range` headers.
//!
//! The server stops when stdin closes.

use std::io::{BufRead, Write};
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use clap::Parser;
use standin_channel::server::ChannelServer;

/// Serves a channel directory on 127.0.0.1 until stdin closes.
#[derive(Debug, Parser)]
#[command(name = "standin-serve", version)]
struct Cli {
    /// The channel directory to serve.
    root: PathBuf,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let server = match ChannelServer::start(&cli.root) {
        Ok(server) => server.with_idle_timeout(Duration::from_secs(24 * 3600)),
        Err(error) => {
            eprintln!("error: failed to serve {}: {error}", cli.root.display());
            return ExitCode::FAILURE;
        }
    };

    let mut stdout = std::io::stdout();
    if writeln!(stdout, "url {}", server.url())
        .and_then(|()| stdout.flush())
        .is_err()
    {
        return ExitCode::FAILURE;
    }

    for line in std::io::stdin().lock().lines() {
        let Ok(line) = line else { break };
        let reply = match line.trim() {
            "stats" => {
                let requests = server.requests();
                let bytes: u64 = requests.iter().map(|r| r.bytes_sent).sum();
                let archive_bytes: u64 = requests
                    .iter()
                    .filter(|r| r.path.ends_with(".conda") || r.path.ends_with(".tar.bz2"))
                    .map(|r| r.bytes_sent)
                    .sum();
                format!("stats {} {bytes} {archive_bytes}", requests.len())
            }
            "reset" => {
                server.clear_requests();
                "ok".to_string()
            }
            "range on" => {
                server.set_range(true);
                "ok".to_string()
            }
            "range off" => {
                server.set_range(false);
                "ok".to_string()
            }
            other => format!(
                "error unknown command {other:?}; expected stats, reset, range on or range off"
            ),
        };
        if writeln!(stdout, "{reply}")
            .and_then(|()| stdout.flush())
            .is_err()
        {
            break;
        }
    }
    ExitCode::SUCCESS
}
