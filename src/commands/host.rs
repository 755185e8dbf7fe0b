//! `claude-session host add|list|rm`: the other machines whose sessions
//! `list --all-hosts` shows and `--host` / `SESSION@HOST` reach, over ssh.

use crate::cli::{HostAction, HostAddArgs, HostArgs, HostListArgs, HostRmArgs};
use crate::remote::config::{self, Host};
use crate::remote::fleet;
use crate::view::safe;
use anyhow::{Result, anyhow, bail};
use serde::Serialize;
use std::io::IsTerminal;
use std::process::ExitCode;
use std::time::Duration;

pub fn run(args: HostArgs) -> Result<ExitCode> {
    match args.action {
        HostAction::Add(args) => add(args),
        HostAction::List(args) => list(args),
        HostAction::Rm(args) => rm(args),
    }
}

fn add(args: HostAddArgs) -> Result<ExitCode> {
    let host = Host {
        name: args.name,
        destination: args.destination,
        program: args.program,
    };
    host.check()?;
    let taken = |hosts: &[Host]| -> Result<()> {
        match hosts.iter().find(|h| h.name == host.name) {
            Some(h) => bail!(
                "a host named {} exists ({}); `claude-session host rm {}` first",
                h.name,
                h.destination,
                h.name
            ),
            None => Ok(()),
        }
    };
    taken(&config::load()?)?;
    let checked = match args.no_check {
        true => "not checked".to_string(),
        // On a terminal ssh may ask for a password; elsewhere nobody can answer.
        false => fleet::check(&host, fleet::TIMEOUT, !std::io::stdin().is_terminal())
            .map(|version| format!("claude-session {}", safe(&version)))
            .map_err(|e| {
                anyhow!(
                    "host {}: {}; it was not added (--no-check adds it anyway)",
                    host.name,
                    safe(&e.message)
                )
            })?,
    };
    config::update(|hosts| {
        taken(hosts)?;
        hosts.push(host.clone());
        Ok(())
    })?;
    crate::util::output::emit(&format!(
        "added host {} ({}): {checked}\n",
        host.name, host.destination
    ))?;
    Ok(ExitCode::SUCCESS)
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct HostJson<'a> {
    name: &'a str,
    destination: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    program: Option<&'a str>,
    /// "ok", or what went wrong: unreachable, timeout, missing, incompatible, failed.
    status: &'static str,
    version: Option<&'a str>,
    error: Option<&'a str>,
    /// How many sessions it has.
    sessions: Option<usize>,
}

fn list(args: HostListArgs) -> Result<ExitCode> {
    let hosts = config::load()?;
    if hosts.is_empty() && !args.json {
        eprintln!("no hosts yet; add one with `claude-session host add NAME DESTINATION`");
        return Ok(ExitCode::SUCCESS);
    }
    let reports = fleet::survey(
        &hosts,
        Duration::from_secs(args.timeout),
        fleet::Git::NotAsked,
    );
    let rows: Vec<HostJson> = reports
        .iter()
        .map(|r| {
            let (status, version, error, sessions) = match &r.result {
                Ok(l) => ("ok", Some(l.version.as_str()), None, Some(l.sessions.len())),
                Err(f) => (f.problem.as_str(), None, Some(f.message.as_str()), None),
            };
            HostJson {
                name: &r.host.name,
                destination: &r.host.destination,
                program: r.host.program.as_deref(),
                status,
                version,
                error,
                sessions,
            }
        })
        .collect();
    if args.json {
        crate::util::output::emit_json(&rows)?;
        return Ok(ExitCode::SUCCESS);
    }
    let cells: Vec<[String; 5]> = rows
        .iter()
        .map(|r| {
            [
                r.name.to_string(),
                r.destination.to_string(),
                safe(r.version.unwrap_or("-")).into_owned(),
                r.sessions.map_or("-".into(), |n| n.to_string()),
                match r.error {
                    Some(error) => format!("{}: {}", r.status, safe(error)),
                    None => r.status.to_string(),
                },
            ]
        })
        .collect();
    let header = ["NAME", "DESTINATION", "VERSION", "SESSIONS", "STATUS"].map(String::from);
    let mut widths = [0; 5];
    for row in std::iter::once(&header).chain(&cells) {
        for (width, cell) in widths.iter_mut().zip(row) {
            *width = (*width).max(cell.chars().count());
        }
    }
    let mut out = String::new();
    for row in std::iter::once(&header).chain(&cells) {
        for (i, cell) in row.iter().enumerate() {
            out.push_str(cell);
            if i < row.len() - 1 {
                out.extend(std::iter::repeat_n(
                    ' ',
                    widths[i] - cell.chars().count() + 2,
                ));
            }
        }
        out.push('\n');
    }
    crate::util::output::emit(&out)?;
    Ok(ExitCode::SUCCESS)
}

fn rm(args: HostRmArgs) -> Result<ExitCode> {
    let removed = config::update(|hosts| {
        // Every name checked before any is removed.
        for name in &args.names {
            config::find(hosts, name)?;
        }
        let (gone, kept) = hosts
            .drain(..)
            .partition(|h: &Host| args.names.contains(&h.name));
        *hosts = kept;
        Ok::<Vec<Host>, anyhow::Error>(gone)
    })?;
    let mut out = String::new();
    for host in &removed {
        // Its kept connection is of no use any more.
        crate::remote::ssh::close(host);
        out.push_str(&format!(
            "removed host {} ({})\n",
            host.name, host.destination
        ));
    }
    crate::util::output::emit(&out)?;
    Ok(ExitCode::SUCCESS)
}
