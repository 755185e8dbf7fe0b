//! A command run on another host: where it runs (`--host HOST`,
//! `SESSION@HOST`), and its command line there, rebuilt from what was
//! parsed here, so the host reads exactly what this machine read.

use super::*;
use std::fmt::Display;
use std::path::Path;

/// Where a command runs.
#[derive(Debug, PartialEq, Eq)]
pub enum Place {
    Here,
    Host(String),
}

/// The name `SESSION@local` and `--host local` give this machine.
const LOCAL: &str = "local";

/// A command that can run on another host.
pub trait OnHost {
    /// `--host`.
    fn host(&self) -> Option<&str>;
    /// The sessions it names, each possibly `SESSION@HOST`.
    fn sessions(&mut self) -> Vec<&mut String>;
    /// Its words on the host (`--host` aside). `from_env`: the options
    /// whose value came from this machine's environment (a path of this
    /// machine, a command to run here), left out.
    fn remote_args(&self, from_env: &[String]) -> Result<Vec<String>, UsageError>;
    /// Does it use a terminal there, when it has one here?
    fn wants_terminal(&self) -> bool {
        false
    }
}

/// Where `args` runs: the host of `--host` or of its sessions' `@HOST`
/// (which must agree), else here. Each `SESSION@HOST` becomes `SESSION`.
pub fn place<A: OnHost + ?Sized>(args: &mut A) -> Result<Place, UsageError> {
    let flag = args.host().map(str::to_string);
    let mut places = Vec::new();
    for session in args.sessions() {
        let at = match session.rsplit_once('@') {
            Some((name, host)) if !name.is_empty() && !host.is_empty() => {
                let (name, host) = (name.to_string(), host.to_string());
                if let Some(flag) = flag.as_deref().filter(|f| *f != host) {
                    return Err(UsageError(format!(
                        "{name}@{host} and --host {flag} name different hosts"
                    )));
                }
                *session = name;
                Some(host)
            }
            Some(_) => {
                return Err(UsageError(format!(
                    "{session:?} is not SESSION@HOST: both are needed"
                )));
            }
            None => None,
        };
        places.push(to_place(at.or_else(|| flag.clone())));
    }
    if places.is_empty() {
        places.push(to_place(flag));
    }
    let place = places.swap_remove(0);
    if places.iter().any(|p| *p != place) {
        return Err(UsageError(
            "name sessions of one host at a time (SESSION@HOST, --host)".into(),
        ));
    }
    if place != Place::Here {
        // A word of the host's command line that starts with `-` would be
        // read there as an option (`rm x -- --force@h`); no session is
        // named so.
        if let Some(session) = args.sessions().into_iter().find(|s| s.starts_with('-')) {
            return Err(UsageError(format!("no session is named {session:?}")));
        }
    }
    Ok(place)
}

fn to_place(host: Option<String>) -> Place {
    match host {
        Some(host) if host != LOCAL => Place::Host(host),
        _ => Place::Here,
    }
}

/// A command line being rebuilt: options as `--name=value`, so a value
/// that starts with `-` stays a value.
struct Words(Vec<String>);

impl Words {
    fn new(command: &str) -> Self {
        Self(vec![command.to_string()])
    }

    fn flag(&mut self, name: &str, on: bool) {
        if on {
            self.0.push(format!("--{name}"));
        }
    }

    fn value(&mut self, name: &str, value: Option<impl Display>) {
        if let Some(value) = value {
            self.0.push(format!("--{name}={value}"));
        }
    }

    fn path(&mut self, name: &str, path: Option<&Path>) -> Result<(), UsageError> {
        let Some(path) = path else { return Ok(()) };
        match path.to_str() {
            Some(path) => self.value(name, Some(path)),
            None => {
                return Err(UsageError(format!(
                    "--{name} {}: a path given to another host must be UTF-8",
                    path.display()
                )));
            }
        }
        Ok(())
    }

    fn word(&mut self, word: Option<&String>) {
        self.0.extend(word.cloned());
    }

    /// `-- WORDS...`, when there are any.
    fn rest(&mut self, words: &[String]) {
        if !words.is_empty() {
            self.0.push("--".into());
            self.0.extend(words.iter().cloned());
        }
    }

    fn run(&mut self, run: &RunArgs, from_env: &[String]) {
        self.flag("foreground", run.foreground);
        self.flag("detached", run.detached);
        // The detach keys are this terminal's, wherever the session runs.
        self.value("detach-keys", run.keys.detach_keys.as_ref());
        if !from_env.iter().any(|id| id == "notify") {
            self.value("notify", run.notify.as_ref());
        }
    }

    fn claude(&mut self, claude: &ClaudeArgs, from_env: &[String]) -> Result<(), UsageError> {
        if !from_env.iter().any(|id| id == "bin") {
            self.path("claude", claude.bin.as_deref())?;
        }
        Ok(())
    }
}

impl OnHost for NewArgs {
    fn host(&self) -> Option<&str> {
        self.host.as_deref()
    }
    fn sessions(&mut self) -> Vec<&mut String> {
        self.name.iter_mut().collect()
    }
    fn remote_args(&self, from_env: &[String]) -> Result<Vec<String>, UsageError> {
        let mut w = Words::new("new");
        // First: `--worktree` takes a value if one follows.
        w.word(self.name.as_ref());
        w.path("cwd", self.cwd.as_deref())?;
        match &self.worktree {
            Some(Some(branch)) => w.value("worktree", Some(branch)),
            Some(None) => w.flag("worktree", true),
            None => {}
        }
        w.value("from", self.from.as_ref());
        w.flag("no-launch", self.no_launch);
        w.flag("json", self.json);
        let o = &self.overrides;
        w.value("model", o.model.as_ref());
        w.value("append-system-prompt", o.append_system_prompt.as_ref());
        w.value("permission-mode", o.permission_mode.as_ref());
        w.value("hibernate-after", o.hibernate_after.as_ref());
        w.path("settings", o.settings.as_deref())?;
        for file in &o.mcp_config {
            w.path("mcp-config", Some(file))?;
        }
        w.run(&self.run, from_env);
        w.claude(&self.claude, from_env)?;
        w.rest(&self.claude.args);
        Ok(w.0)
    }
    fn wants_terminal(&self) -> bool {
        !self.no_launch && !self.run.detached
    }
}

impl OnHost for ResumeArgs {
    fn host(&self) -> Option<&str> {
        self.host.as_deref()
    }
    fn sessions(&mut self) -> Vec<&mut String> {
        self.session.iter_mut().collect()
    }
    fn remote_args(&self, from_env: &[String]) -> Result<Vec<String>, UsageError> {
        let mut w = Words::new("resume");
        w.flag("last", self.last);
        w.value("conversation", self.conversation.as_ref());
        w.run(&self.run, from_env);
        w.claude(&self.claude, from_env)?;
        w.word(self.session.as_ref());
        w.rest(&self.claude.args);
        Ok(w.0)
    }
    fn wants_terminal(&self) -> bool {
        !self.run.detached
    }
}

impl OnHost for AttachArgs {
    fn host(&self) -> Option<&str> {
        self.host.as_deref()
    }
    fn sessions(&mut self) -> Vec<&mut String> {
        self.session.iter_mut().collect()
    }
    fn remote_args(&self, _: &[String]) -> Result<Vec<String>, UsageError> {
        let mut w = Words::new("attach");
        w.flag("read-only", self.read_only);
        w.flag("no-tty", self.no_tty);
        w.value("detach-keys", self.keys.detach_keys.as_ref());
        w.word(self.session.as_ref());
        Ok(w.0)
    }
    fn wants_terminal(&self) -> bool {
        true
    }
}

impl OnHost for KillArgs {
    fn host(&self) -> Option<&str> {
        self.host.as_deref()
    }
    fn sessions(&mut self) -> Vec<&mut String> {
        self.sessions.iter_mut().collect()
    }
    fn remote_args(&self, _: &[String]) -> Result<Vec<String>, UsageError> {
        let mut w = Words::new("kill");
        w.value("timeout", Some(self.timeout));
        w.0.extend(self.sessions.iter().cloned());
        Ok(w.0)
    }
}

impl OnHost for RmArgs {
    fn host(&self) -> Option<&str> {
        self.host.as_deref()
    }
    fn sessions(&mut self) -> Vec<&mut String> {
        self.sessions.iter_mut().collect()
    }
    fn remote_args(&self, _: &[String]) -> Result<Vec<String>, UsageError> {
        let mut w = Words::new("rm");
        w.flag("force", self.force);
        w.flag("dry-run", self.dry_run);
        w.flag("json", self.json);
        w.0.extend(self.sessions.iter().cloned());
        Ok(w.0)
    }
}

impl OnHost for ShowArgs {
    fn host(&self) -> Option<&str> {
        self.host.as_deref()
    }
    fn sessions(&mut self) -> Vec<&mut String> {
        vec![&mut self.session]
    }
    fn remote_args(&self, _: &[String]) -> Result<Vec<String>, UsageError> {
        let mut w = Words::new("show");
        w.flag("json", self.json);
        w.word(Some(&self.session));
        Ok(w.0)
    }
}

impl OnHost for PeekArgs {
    fn host(&self) -> Option<&str> {
        self.host.as_deref()
    }
    fn sessions(&mut self) -> Vec<&mut String> {
        vec![&mut self.session]
    }
    fn remote_args(&self, _: &[String]) -> Result<Vec<String>, UsageError> {
        let mut w = Words::new("peek");
        w.value("lines", self.lines);
        w.flag("json", self.json);
        w.word(Some(&self.session));
        Ok(w.0)
    }
}

impl OnHost for SendArgs {
    fn host(&self) -> Option<&str> {
        self.host.as_deref()
    }
    fn sessions(&mut self) -> Vec<&mut String> {
        vec![&mut self.session]
    }
    fn remote_args(&self, _: &[String]) -> Result<Vec<String>, UsageError> {
        let mut w = Words::new("send");
        w.flag("no-enter", self.no_enter);
        w.word(Some(&self.session));
        // After `--`, a text that starts with `-` is text.
        w.rest(&self.text);
        Ok(w.0)
    }
}

impl OnHost for ListArgs {
    fn host(&self) -> Option<&str> {
        self.host.as_deref()
    }
    fn sessions(&mut self) -> Vec<&mut String> {
        Vec::new()
    }
    fn remote_args(&self, _: &[String]) -> Result<Vec<String>, UsageError> {
        let mut w = Words::new("list");
        w.flag("json", self.json);
        w.flag("watch", self.watch);
        Ok(w.0)
    }
    fn wants_terminal(&self) -> bool {
        self.watch
    }
}

impl OnHost for PinArgs {
    fn host(&self) -> Option<&str> {
        self.host.as_deref()
    }
    fn sessions(&mut self) -> Vec<&mut String> {
        self.sessions.iter_mut().collect()
    }
    fn remote_args(&self, _: &[String]) -> Result<Vec<String>, UsageError> {
        let mut w = Words::new(if self.unpin { "unpin" } else { "pin" });
        w.0.extend(self.sessions.iter().cloned());
        Ok(w.0)
    }
}

impl OnHost for HibernateArgs {
    fn host(&self) -> Option<&str> {
        self.host.as_deref()
    }
    fn sessions(&mut self) -> Vec<&mut String> {
        self.sessions.iter_mut().collect()
    }
    fn remote_args(&self, _: &[String]) -> Result<Vec<String>, UsageError> {
        let mut w = Words::new("hibernate");
        w.flag("idle", self.idle);
        w.flag("json", self.json);
        w.0.extend(self.sessions.iter().cloned());
        Ok(w.0)
    }
}

impl OnHost for WakeArgs {
    fn host(&self) -> Option<&str> {
        self.host.as_deref()
    }
    fn sessions(&mut self) -> Vec<&mut String> {
        self.sessions.iter_mut().collect()
    }
    fn remote_args(&self, _: &[String]) -> Result<Vec<String>, UsageError> {
        let mut w = Words::new("wake");
        w.0.extend(self.sessions.iter().cloned());
        Ok(w.0)
    }
}

impl OnHost for DiffArgs {
    fn host(&self) -> Option<&str> {
        self.host.as_deref()
    }
    fn sessions(&mut self) -> Vec<&mut String> {
        vec![&mut self.session]
    }
    fn remote_args(&self, _: &[String]) -> Result<Vec<String>, UsageError> {
        let mut w = Words::new("diff");
        w.flag("stat", self.stat);
        w.word(Some(&self.session));
        Ok(w.0)
    }
    /// git pages and colours on a terminal, there as here.
    fn wants_terminal(&self) -> bool {
        true
    }
}

impl OnHost for PathArgs {
    fn host(&self) -> Option<&str> {
        self.host.as_deref()
    }
    fn sessions(&mut self) -> Vec<&mut String> {
        vec![&mut self.session]
    }
    fn remote_args(&self, _: &[String]) -> Result<Vec<String>, UsageError> {
        let mut w = Words::new("path");
        w.word(Some(&self.session));
        Ok(w.0)
    }
}

impl OnHost for StatsArgs {
    fn host(&self) -> Option<&str> {
        self.host.as_deref()
    }
    fn sessions(&mut self) -> Vec<&mut String> {
        self.session.iter_mut().collect()
    }
    fn remote_args(&self, _: &[String]) -> Result<Vec<String>, UsageError> {
        let mut w = Words::new("stats");
        w.flag("json", self.json);
        w.word(self.session.as_ref());
        Ok(w.0)
    }
}

impl OnHost for SetArgs {
    fn host(&self) -> Option<&str> {
        self.host.as_deref()
    }
    fn sessions(&mut self) -> Vec<&mut String> {
        vec![&mut self.session]
    }
    fn remote_args(&self, _: &[String]) -> Result<Vec<String>, UsageError> {
        let mut w = Words::new("set");
        w.word(Some(&self.session));
        // After `--`, an assignment that starts with `-` is one.
        w.rest(&self.assignments);
        Ok(w.0)
    }
}

#[cfg(test)]
mod tests;
