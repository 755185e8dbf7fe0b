//! `claude-session man`: the man page, roff on stdout
//! (`claude-session man | man -l -`, or save it as claude-session.1).
//!
//! One page, all from the clap definition: clap_mangen's top-level sections,
//! then a COMMANDS section with each visible subcommand's synopsis, text and
//! options (clap_mangen alone would only point at per-command pages that a
//! single-binary install does not have), then EXIT STATUS from the table
//! `--help` shows.

use crate::cli::{Cli, ManArgs};
use anyhow::Result;
use clap::CommandFactory;
use clap_mangen::Man;
use clap_mangen::roff::{Roff, bold, roman};
use std::process::ExitCode;

pub fn run(_args: ManArgs) -> Result<ExitCode> {
    crate::util::output::emit(&page())?;
    Ok(ExitCode::SUCCESS)
}

pub fn page() -> String {
    let mut cmd = Cli::command();
    cmd.build();
    let man = Man::new(cmd.clone());
    let mut out = Vec::new();
    // Writing into a Vec cannot fail.
    man.render_title(&mut out).unwrap();
    man.render_name_section(&mut out).unwrap();
    man.render_synopsis_section(&mut out).unwrap();
    man.render_description_section(&mut out).unwrap();
    man.render_options_section(&mut out).unwrap();
    out.extend_from_slice(b".SH COMMANDS\n");
    for sub in cmd.get_subcommands() {
        if !sub.is_hide_set() && sub.get_name() != "help" {
            out.extend(command(sub));
        }
    }
    out.extend(exit_status(&cmd));
    man.render_version_section(&mut out).unwrap();
    once_after_title(&String::from_utf8_lossy(&out))
}

/// Each rendered part starts with the roff crate's two-line preamble (it
/// defines the apostrophe string); keep one, after `.TH`, so the page starts
/// with `.TH` as man pages do.
fn once_after_title(page: &str) -> String {
    let is_preamble = |l: &str| l.starts_with(".ie \\n(.g .ds Aq") || l.starts_with(".el .ds Aq");
    let preamble: Vec<&str> = page.lines().filter(|l| is_preamble(l)).take(2).collect();
    let mut out = String::with_capacity(page.len());
    for line in page.lines().filter(|l| !is_preamble(l)) {
        out.push_str(line);
        out.push('\n');
        if line.starts_with(".TH ") {
            for p in &preamble {
                out.push_str(p);
                out.push('\n');
            }
        }
    }
    out
}

/// One subcommand: `.SS` with its synopsis, its long help, its own options
/// (the global ones are described once, above).
fn command(sub: &clap::Command) -> Vec<u8> {
    let mut sub = sub.clone();
    let shared: Vec<String> = sub
        .get_arguments()
        .filter(|a| a.is_global_set() || a.get_id() == "help")
        .map(|a| a.get_id().to_string())
        .collect();
    for id in shared {
        sub = sub.mut_arg(id, |a| a.hide(true));
    }
    let man = Man::new(sub);
    let mut out = Vec::new();
    man.render_synopsis_section(&mut out).unwrap();
    man.render_description_section(&mut out).unwrap();
    man.render_options_section(&mut out).unwrap();
    // Each part starts with its own `.SH`: the synopsis's becomes this
    // command's `.SS` heading, the others go (their lines follow on).
    let text = String::from_utf8_lossy(&out);
    let mut lines = Vec::new();
    for line in text.lines() {
        match line {
            ".SH SYNOPSIS" => lines.push(".SS"),
            ".SH DESCRIPTION" => lines.push(".PP"),
            l if l.starts_with(".SH ") => {}
            l => lines.push(l),
        }
    }
    let mut out = lines.join("\n").into_bytes();
    out.push(b'\n');
    out
}

/// `after_help` holds the exit status table: a title line, then
/// "  CODE    meaning" lines; each becomes a `.TP` entry.
fn exit_status(cmd: &clap::Command) -> Vec<u8> {
    let mut roff = Roff::new();
    roff.control("SH", ["EXIT STATUS"]);
    let table = cmd
        .get_after_help()
        .map(|t| t.to_string())
        .unwrap_or_default();
    for line in table.lines().skip(1) {
        let (code, meaning) = line
            .trim()
            .split_once(char::is_whitespace)
            .unwrap_or((line, ""));
        roff.control("TP", []);
        roff.text([bold(code)]);
        roff.text([roman(meaning.trim())]);
    }
    roff.render().into_bytes()
}

#[cfg(test)]
mod tests {
    #[test]
    fn every_visible_command_has_a_heading() {
        let page = super::page();
        for name in ["new", "list", "show", "resume", "rm", "path", "rebuild"] {
            assert!(
                page.contains(&format!("\\fBclaude\\-session {name}\\fR")),
                "{name}"
            );
        }
        assert!(!page.contains("__holder"));
        assert!(page.contains(".SH \"EXIT STATUS\""));
        assert!(page.starts_with(".TH claude-session 1 "));
        assert_eq!(page.matches(".el .ds Aq").count(), 1);
    }
}
