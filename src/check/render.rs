//! The text form of check reports, for stderr.

use super::archive::{Transfer, TransferMethod};
use super::availability::Availability;
use super::prefix::{CheckStatus, PrefixReport};
use super::rules::{RuleResult, RuleStatus};
use super::run::{ChannelReport, SolveStatus};
use crate::cli::solve::human_bytes;

/// Renders a channel report as lines of text.
pub fn channel_report(report: &ChannelReport) -> Vec<String> {
    let mut lines = Vec::new();
    let channels: Vec<String> = report
        .channels
        .iter()
        .map(|c| {
            if c.fetch == c.canonical {
                c.name.clone()
            } else {
                format!("{} (from {})", c.name, c.fetch)
            }
        })
        .collect();
    lines.push(format!("availability in {}:", channels.join(", ")));
    lines.extend(availability_table(&report.availability));

    for solve in &report.solves {
        let status = match solve.status {
            SolveStatus::Solvable => "solves",
            SolveStatus::Unsolvable => "DOES NOT SOLVE (see the warning below)",
            SolveStatus::Skipped => "not solved, because a requirement is unmet",
        };
        lines.push(format!("whole environment on {}: {status}", solve.platform));
    }

    let lock = if report.lock.found {
        format!("records from {}", report.lock.path)
    } else {
        "newest matching builds in the channels".to_string()
    };
    lines.push(format!("content rules ({lock}):"));
    if report.content.is_empty() {
        lines.push("  no package builds to inspect".to_string());
    }
    for package in &report.content {
        let transfer = match &package.transfer {
            Some(transfer) => transfer_text(transfer),
            None => "file list already read for another platform".to_string(),
        };
        lines.push(format!(
            "  {} on {}: {transfer}",
            package.archive, package.platform
        ));
        lines.extend(package.rules.iter().map(rule_line));
    }
    lines.extend(closing_lines(
        &report.problems,
        &report.warnings,
        &report.notes,
    ));
    lines
}

fn transfer_text(transfer: &Transfer) -> String {
    let bytes = human_bytes(transfer.bytes);
    let size = transfer
        .archive_size
        .map(|s| format!(" of {}", human_bytes(s)))
        .unwrap_or_default();
    let count = transfer.requests;
    match transfer.method {
        TransferMethod::RangeRequests => {
            format!("{bytes}{size} transferred with {count} range request(s)")
        }
        TransferMethod::FullDownload => {
            format!("{bytes}{size} transferred as a full download ({count} request(s))")
        }
        TransferMethod::Cache => {
            format!("nothing transferred: the cached archive{size} matches the record's sha256")
        }
        TransferMethod::LocalFile => {
            format!("{bytes}{size} read from a local file in {count} read(s)")
        }
    }
}

fn availability_table(items: &[Availability]) -> Vec<String> {
    let rows: Vec<[String; 6]> = items
        .iter()
        .map(|a| {
            let status = if a.satisfiable {
                "ok".to_string()
            } else {
                "UNMET".to_string()
            };
            [
                a.package.clone(),
                a.platform.clone(),
                a.requested.clone(),
                a.builds.to_string(),
                a.newest.clone().unwrap_or_else(|| "-".to_string()),
                status,
            ]
        })
        .collect();
    let header = [
        "package",
        "platform",
        "requested",
        "builds",
        "newest",
        "status",
    ]
    .map(String::from);
    let mut widths = header.clone().map(|h| h.len());
    for row in &rows {
        for (width, cell) in widths.iter_mut().zip(row) {
            *width = (*width).max(cell.len());
        }
    }
    std::iter::once(&header)
        .chain(rows.iter())
        .map(|row| {
            let cells: Vec<String> = row
                .iter()
                .zip(widths)
                .map(|(cell, width)| format!("{cell:<width$}"))
                .collect();
            format!("  {}", cells.join("  ").trim_end())
        })
        .collect()
}

fn rule_line(result: &RuleResult) -> String {
    let status = match result.status {
        RuleStatus::Passed => "ok  ",
        RuleStatus::Failed if result.is_failure() => "FAIL",
        RuleStatus::Failed => "warn",
        RuleStatus::Unknown => "??  ",
    };
    format!("    {status} {}: {}", result.rule, result.detail)
}

fn closing_lines(problems: &[String], warnings: &[String], notes: &[String]) -> Vec<String> {
    let mut lines = Vec::new();
    for note in notes {
        lines.push(format!("note: {note}"));
    }
    for warning in warnings {
        lines.push(format!("warning: {warning}"));
    }
    for problem in problems {
        lines.push(format!("problem: {problem}"));
    }
    if problems.is_empty() {
        lines.push("check passed".to_string());
    } else {
        lines.push(format!("check failed: {} problem(s)", problems.len()));
    }
    lines
}

/// Renders a prefix report as lines of text.
pub fn prefix_report(report: &PrefixReport) -> Vec<String> {
    let mut lines = vec![format!(
        "prefix {} ({}, {} packages, runs at {}):",
        report.prefix, report.platform, report.packages, report.runtime_prefix
    )];
    for content in &report.content {
        lines.push(format!("  {}:", content.package));
        lines.extend(content.rules.iter().map(rule_line));
    }
    for check in &report.checks {
        let status = match check.status {
            CheckStatus::Passed => "ok  ",
            CheckStatus::Failed => "FAIL",
            CheckStatus::Warning => "warn",
            CheckStatus::Skipped => "skip",
        };
        lines.push(format!("  {status} {}: {}", check.check, check.detail));
    }
    if !report.pypi.is_empty() {
        let listed: Vec<String> = report
            .pypi
            .iter()
            .map(|d| format!("{} {}", d.name, d.version))
            .collect();
        lines.push(format!(
            "  PyPI packages ({}): {}",
            report.pypi.len(),
            listed.join(", ")
        ));
    }
    lines.extend(closing_lines(
        &report.problems,
        &report.warnings,
        &report.notes,
    ));
    lines
}
