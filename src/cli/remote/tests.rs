use super::*;
use clap::CommandFactory;
use clap::parser::ValueSource;
use std::collections::{BTreeSet, HashMap};

/// Command lines that together set every option of every command that
/// runs on a host (conflicting options need lines of their own).
#[rustfmt::skip]
const LINES: &[&[&str]] = &[
    &[
        "new", "demo", "--host", "gpu", "--cwd", "/w d", "--no-launch", "--json",
        "--model", "opus", "--append-system-prompt", "it's -x $(y)\nz",
        "--permission-mode", "plan", "--hibernate-after", "30m", "--settings", "/s.json",
        "--mcp-config", "/a.json", "--mcp-config", "/b.json", "--claude", "/c",
        "--detach-keys", "ctrl-a,d", "--notify", "notify-send 'hi'", "--", "--model", "x y",
    ],
    &["new", "demo@gpu", "--foreground", "--worktree", "--from", "v2"],
    &["new", "--host", "gpu", "--detached", "--worktree", "exp/x"],
    &["new", "--host", "gpu", "--worktree", "--", "--model", "x"],
    &[
        "resume", "x@gpu", "--foreground", "--detach-keys", "ctrl-q", "--notify", "n",
        "--claude", "/c", "--", "--flag",
    ],
    &["resume", "--last", "--host", "gpu", "--detached"],
    &[
        "resume", "x@gpu", "--conversation", "0aaaaaaa-0000-4000-8000-000000000001",
    ],
    &["attach", "x@gpu", "--read-only", "--no-tty", "--detach-keys", "ctrl-q"],
    &["kill", "a@gpu", "b", "--host", "gpu", "--timeout", "3"],
    &["rm", "a@gpu", "b@gpu", "--force", "--dry-run", "--json"],
    &["show", "x@gpu", "--json"],
    &["peek", "x@gpu", "--lines", "5", "--json"],
    &["send", "x@gpu", "--no-enter", "--", "-x", "it's", "a\nb"],
    &["list", "--host", "gpu", "--json"],
    &["list", "--host", "gpu", "--watch"],
    &["pin", "a@gpu", "b@gpu"],
    &["unpin", "a", "--host", "gpu"],
    &["hibernate", "a@gpu", "--json"],
    &["hibernate", "--idle", "--host", "gpu"],
    &["wake", "a@gpu", "b", "--host", "gpu"],
    &["diff", "x@gpu", "--stat"],
    &["path", "x@gpu"],
    &["stats", "x@gpu", "--json"],
    &["stats", "--host", "gpu"],
    &["set", "x@gpu", "model=opus", "settings.env.A=\"-b c\""],
];

/// Options that never go to a host: where to run, and this machine's own.
const HERE_ONLY: &[&str] = &["host", "all_hosts", "host_timeout", "store", "base"];

fn parse(words: &[&str]) -> Cli {
    let args: Vec<std::ffi::OsString> = std::iter::once("claude-session")
        .chain(words.iter().copied())
        .map(Into::into)
        .collect();
    super::super::parse(&args).unwrap_or_else(|e| panic!("{words:?}: {e}"))
}

fn on_host(command: &mut Command) -> &mut dyn OnHost {
    match command {
        Command::New(a) => &mut **a,
        Command::Resume(a) => a,
        Command::Attach(a) => a,
        Command::Kill(a) => a,
        Command::Rm(a) => a,
        Command::Show(a) => a,
        Command::Peek(a) => a,
        Command::Send(a) => a,
        Command::List(a) => a,
        Command::Pin(a) | Command::Unpin(a) => a,
        Command::Hibernate(a) => a,
        Command::Wake(a) => a,
        Command::Diff(a) => a,
        Command::Path(a) => a,
        Command::Stats(a) => a,
        Command::Set(a) => a,
        other => panic!("{other:?} does not run on a host"),
    }
}

/// The host reads exactly what was parsed here (`--host` and `@HOST` aside).
#[test]
fn the_host_parses_what_was_parsed_here() {
    for line in LINES {
        let mut here = parse(line).command.unwrap();
        let args = on_host(&mut here);
        assert_eq!(place(args).unwrap(), Place::Host("gpu".into()), "{line:?}");
        let remote = args.remote_args(&[]).unwrap();
        let words: Vec<&str> = remote.iter().map(String::as_str).collect();
        let there = parse(&words).command.unwrap();
        let here = format!("{here:?}").replace("host: Some(\"gpu\")", "host: None");
        assert_eq!(here, format!("{there:?}"), "{line:?} sent as {remote:?}");
    }
}

/// A new option of one of these commands is either sent or said to be
/// this machine's (HERE_ONLY): LINES must set it.
#[test]
fn every_option_is_sent() {
    let cli = Cli::command();
    let mut set: HashMap<String, BTreeSet<String>> = HashMap::new();
    for line in LINES {
        let args: Vec<&str> = std::iter::once("claude-session")
            .chain(line.iter().copied())
            .collect();
        let matches = Cli::command().try_get_matches_from(&args).unwrap();
        let (name, sub) = matches.subcommand().unwrap();
        for id in sub.ids() {
            if sub.value_source(id.as_str()) == Some(ValueSource::CommandLine) {
                set.entry(name.to_string())
                    .or_default()
                    .insert(id.to_string());
            }
        }
    }
    for (name, ids) in &set {
        let command = cli.find_subcommand(name).unwrap();
        for arg in command.get_arguments() {
            let id = arg.get_id().as_str();
            assert!(
                HERE_ONLY.contains(&id) || ids.contains(id),
                "{name} --{id}: not in LINES (is it sent to a host?)"
            );
        }
    }
}

#[test]
fn what_came_from_the_environment_stays_here() {
    let mut cli = parse(&["new", "demo@gpu", "--claude", "/c", "--notify", "n"]);
    let args = on_host(cli.command.as_mut().unwrap());
    place(args).unwrap();
    let remote = args.remote_args(&["bin".into(), "notify".into()]).unwrap();
    assert_eq!(remote, ["new", "demo"]);
}

#[test]
fn sessions_of_one_place_only() {
    let placed = |words: &[&str]| {
        let mut cli = parse(words);
        let args = on_host(cli.command.as_mut().unwrap());
        place(args).map_err(|e| e.0)
    };
    assert_eq!(placed(&["show", "x"]), Ok(Place::Here));
    assert_eq!(placed(&["show", "x@local"]), Ok(Place::Here));
    assert_eq!(placed(&["show", "x", "--host", "local"]), Ok(Place::Here));
    assert_eq!(
        placed(&["attach", "--host", "b"]),
        Ok(Place::Host("b".into()))
    );
    assert_eq!(
        placed(&["show", "x@a", "--host", "b"]),
        Err("x@a and --host b name different hosts".into())
    );
    assert_eq!(
        placed(&["rm", "x@a", "y"]),
        Err("name sessions of one host at a time (SESSION@HOST, --host)".into())
    );
    assert_eq!(
        placed(&["rm", "x@a", "y@b"]),
        Err("name sessions of one host at a time (SESSION@HOST, --host)".into())
    );
    assert_eq!(
        placed(&["show", "x@"]),
        Err("\"x@\" is not SESSION@HOST: both are needed".into())
    );
    assert_eq!(
        placed(&["rm", "x", "--", "--force@a"]),
        Err("name sessions of one host at a time (SESSION@HOST, --host)".into())
    );
    assert_eq!(
        placed(&["rm", "x@a", "--", "--force@a"]),
        Err("no session is named \"--force\"".into())
    );
}
