//! `list --all-hosts`: this machine's sessions and every added host's, in
//! one table with a HOST column, most recently active first. The hosts are
//! asked at once while this store is read, each within `--host-timeout`: a
//! host that does not answer, or cannot list, has a row saying so, and
//! never holds up the others.

use super::{Row, Style, current, draw, watch};
use crate::cli::{GlobalArgs, ListArgs};
use crate::remote::config::LOCAL;
use crate::remote::fleet::{self, Git, Report};
use crate::store::layout::Layout;
use crate::store::registry::Brief;
use crate::store::session::Session;
use crate::util::timestamp::Timestamp;
use crate::view::tilde_from;
use anyhow::Result;
use serde::Serialize;
use std::process::ExitCode;
use std::time::Duration;

/// The STATUS of a host's row when it did not list its sessions.
pub const PROBLEMS: [&str; 5] = [
    "unreachable",
    "timeout",
    "missing",
    "incompatible",
    "failed",
];

/// One host in `--json`: where it is, what answered, its sessions (as its
/// own `list --json` gives them).
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct HostJson<'a> {
    host: &'a str,
    /// null for this machine.
    destination: Option<&'a str>,
    /// "ok", or what went wrong: unreachable, timeout, missing, incompatible, failed.
    status: &'static str,
    version: Option<&'a str>,
    error: Option<String>,
    sessions: Vec<serde_json::Value>,
}

pub fn run(global: &GlobalArgs, args: ListArgs) -> Result<ExitCode> {
    let hosts = crate::remote::config::load()?;
    let timeout = Duration::from_secs(args.host_timeout);
    let mut store = super::super::open_store(global)?;
    if args.watch {
        return watch(|| {
            let (sessions, reports) = gather(&mut store, &hosts, timeout, Git::NotAsked)?;
            Ok(table(&store.layout, &sessions, &reports))
        });
    }
    // Only the JSON carries what git says of worktrees.
    let git = match args.json {
        true => Git::Asked,
        false => Git::NotAsked,
    };
    let (mut sessions, reports) = gather(&mut store, &hosts, timeout, git)?;
    if args.json {
        let local = crate::view::listed(&store.layout, &mut sessions, true)
            .iter()
            .map(serde_json::to_value)
            .collect::<Result<Vec<_>, _>>()?;
        let mut out = vec![HostJson {
            host: LOCAL,
            destination: None,
            status: "ok",
            version: Some(env!("CARGO_PKG_VERSION")),
            error: None,
            sessions: local,
        }];
        out.extend(reports.iter().map(|report| match &report.result {
            Ok(listing) => HostJson {
                host: &report.host.name,
                destination: Some(&report.host.destination),
                status: "ok",
                version: Some(&listing.version),
                error: None,
                sessions: listing.sessions.iter().map(|s| s.json.clone()).collect(),
            },
            Err(failure) => HostJson {
                host: &report.host.name,
                destination: Some(&report.host.destination),
                status: failure.problem.as_str(),
                version: None,
                error: Some(failure.message.clone()),
                sessions: Vec::new(),
            },
        }));
        crate::util::output::emit_json(&out)?;
    } else if sessions.is_empty() && reports.is_empty() {
        eprintln!("no sessions yet; start one with `claude-session new NAME`");
    } else {
        crate::util::output::emit(&table(&store.layout, &sessions, &reports))?;
    }
    Ok(ExitCode::SUCCESS)
}

/// This store's sessions and every host's report, asked at the same time.
fn gather(
    store: &mut crate::store::Store,
    hosts: &[crate::remote::config::Host],
    timeout: Duration,
    git: Git,
) -> Result<(Vec<Session>, Vec<Report>)> {
    std::thread::scope(|scope| {
        let remote = scope.spawn(|| fleet::survey(hosts, timeout, git));
        let local = current(store);
        let reports = remote.join().expect("survey does not panic");
        Ok((local?, reports))
    })
}

/// Every session of every host that answered, most recently active first,
/// then a row for each host that did not.
fn table(layout: &Layout, local: &[Session], reports: &[Report]) -> String {
    let now = Timestamp::now();
    let mut sessions: Vec<(&str, Row, Timestamp)> = local
        .iter()
        .map(|s| {
            let cwd = tilde_from(&layout.home, &s.working_directory);
            let row = Row::of(&Brief::from(s), &cwd, now);
            (LOCAL, row, s.last_activity)
        })
        .collect();
    let mut failed = Vec::new();
    for report in reports {
        match &report.result {
            Ok(listing) => sessions.extend(listing.sessions.iter().map(|listed| {
                let s = &listed.session;
                (
                    report.host.name.as_str(),
                    Row::of(
                        &Brief::from(s),
                        &tilde_from(&listing.home, &s.working_directory),
                        now,
                    ),
                    s.last_activity,
                )
            })),
            Err(failure) => failed.push((
                report.host.name.as_str(),
                Row::new([
                    "-",
                    "-",
                    failure.problem.as_str(),
                    "-",
                    "-",
                    "-",
                    &crate::view::safe(&failure.message),
                ]),
            )),
        }
    }
    // Stable: a host's own order (name, for equal times) is kept.
    sessions.sort_by_key(|(_, _, last)| std::cmp::Reverse(*last));
    let (hosts, rows): (Vec<&str>, Vec<Row>) = sessions
        .into_iter()
        .map(|(host, row, _)| (host, row))
        .chain(failed)
        .unzip();
    draw(Some(&hosts), &rows, Style::detect())
}
