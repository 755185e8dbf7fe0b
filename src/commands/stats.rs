//! `claude-session stats [SESSION]`: what each session's transcripts say:
//! messages, tool calls, tokens; incremental (see `crate::claude::stats`).

use crate::claude::stats::{Totals, session_stats};
use crate::cli::{GlobalArgs, StatsArgs};
use crate::store::session::Session;
use crate::view::safe;
use anyhow::{Context, Result};
use serde::Serialize;
use std::process::ExitCode;

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct SessionStats<'a> {
    session_id: String,
    session_name: &'a str,
    #[serde(flatten)]
    totals: Totals,
}

#[derive(Serialize)]
struct Report<'a> {
    sessions: Vec<SessionStats<'a>>,
    total: Totals,
}

pub fn run(global: &GlobalArgs, args: StatsArgs) -> Result<ExitCode> {
    let store = super::open_store(global)?;
    let sessions: Vec<Session> = match &args.session {
        Some(reference) => vec![crate::store::resolve::resolve(&store.registry, reference)?],
        None => store.registry.all()?,
    };
    let mut report = Report {
        sessions: Vec::new(),
        total: Totals::default(),
    };
    // Sessions are independent: read them on every core, keep their order.
    let layout = &store.layout;
    let results: Vec<Result<Totals>> = crate::util::parallel::map(&sessions, |s| {
        session_stats(&layout.session_dir(s.session_id))
            .with_context(|| format!("cannot read the transcripts of {}", s.session_name))
    });
    for (session, totals) in sessions.iter().zip(results) {
        let totals = totals?;
        report.total.add(&totals);
        report.sessions.push(SessionStats {
            session_id: session.session_id.to_string(),
            session_name: &session.session_name,
            totals,
        });
    }
    if args.json {
        crate::util::output::emit_json(&report)?;
    } else {
        crate::util::output::emit(&text(&report, args.session.is_some()))?;
    }
    Ok(ExitCode::SUCCESS)
}

fn text(report: &Report, detailed: bool) -> String {
    let header = [
        "SESSION",
        "USER",
        "ASSISTANT",
        "TOOL CALLS",
        "INPUT",
        "OUTPUT",
        "CACHE WRITE",
        "CACHE READ",
    ];
    let row = |name: &str, t: &Totals| {
        let tokens = t.all_tokens();
        [
            name.to_string(),
            t.user_messages.to_string(),
            t.assistant_messages.to_string(),
            t.tool_call_count().to_string(),
            tokens.input.to_string(),
            tokens.output.to_string(),
            tokens.cache_creation.to_string(),
            tokens.cache_read.to_string(),
        ]
    };
    let mut rows: Vec<[String; 8]> = report
        .sessions
        .iter()
        .map(|s| row(&safe(s.session_name), &s.totals))
        .collect();
    if !detailed {
        rows.push(row("TOTAL", &report.total));
    }
    let mut widths = header.map(str::len);
    for r in &rows {
        for (w, cell) in widths.iter_mut().zip(r) {
            *w = (*w).max(cell.len());
        }
    }
    let mut out = String::new();
    let mut line = |cells: Vec<&str>| {
        let padded: Vec<String> = cells
            .iter()
            .enumerate()
            .map(|(i, c)| {
                if i == 0 {
                    format!("{c:<w$}", w = widths[0])
                } else {
                    format!("{c:>w$}", w = widths[i])
                }
            })
            .collect();
        out.push_str(padded.join("  ").trim_end());
        out.push('\n');
    };
    line(header.to_vec());
    for r in &rows {
        line(r.iter().map(String::as_str).collect());
    }
    if detailed {
        let t = &report.total;
        for (tool, n) in &t.tool_calls {
            out.push_str(&format!("tool {}: {n}\n", safe(tool)));
        }
        for (model, k) in &t.tokens {
            out.push_str(&format!(
                "model {}: input {} output {} cache write {} cache read {}\n",
                safe(model),
                k.input,
                k.output,
                k.cache_creation,
                k.cache_read
            ));
        }
        if let (Some(first), Some(last)) = (&t.first_activity, &t.last_activity) {
            out.push_str(&format!("activity: {first} .. {last}\n"));
        }
    }
    if report.total.skipped_lines > 0 {
        out.push_str(&format!(
            "({} unreadable transcript lines skipped)\n",
            report.total.skipped_lines
        ));
    }
    out
}
