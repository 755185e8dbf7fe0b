//! Finding a session's conversations: Claude Code writes each one to
//! `<config dir>/projects/<cwd slug>/<conversation id>.jsonl`.

use std::fs;
use std::path::Path;
use std::time::SystemTime;
use uuid::Uuid;

/// The id of the most recently written conversation in the session dir, if
/// any. After `/clear` Claude continues under a new id, so the newest one
/// (not the session's first id) is the one to resume.
pub fn latest_conversation(session_dir: &Path) -> Option<Uuid> {
    let mut newest: Option<(SystemTime, Uuid)> = None;
    for project in fs::read_dir(session_dir.join("projects")).ok()?.flatten() {
        let Ok(files) = fs::read_dir(project.path()) else {
            continue;
        };
        for file in files.flatten() {
            let name = file.file_name();
            let Some(stem) = name.to_str().and_then(|n| n.strip_suffix(".jsonl")) else {
                continue;
            };
            let Ok(id) = Uuid::parse_str(stem) else {
                continue;
            };
            let Ok(meta) = file.metadata() else { continue };
            // An empty file holds no conversation Claude could resume.
            if !meta.is_file() || meta.len() == 0 {
                continue;
            }
            let modified = meta.modified().unwrap_or(SystemTime::UNIX_EPOCH);
            if newest.is_none_or(|(t, _)| modified > t) {
                newest = Some((modified, id));
            }
        }
    }
    newest.map(|(_, id)| id)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn picks_the_newest_transcript() {
        let dir = tempfile::tempdir().unwrap();
        assert_eq!(latest_conversation(dir.path()), None);
        let project = dir.path().join("projects/-w");
        fs::create_dir_all(project.join("subagents")).unwrap();
        let old = Uuid::new_v4();
        let new = Uuid::new_v4();
        fs::write(project.join(format!("{old}.jsonl")), "{}\n").unwrap();
        fs::write(project.join("not-a-uuid.jsonl"), "{}\n").unwrap();
        fs::write(project.join(format!("{}.jsonl", Uuid::new_v4())), "").unwrap();
        let past = SystemTime::now() - std::time::Duration::from_secs(60);
        fs::File::options()
            .write(true)
            .open(project.join(format!("{old}.jsonl")))
            .unwrap()
            .set_modified(past)
            .unwrap();
        fs::write(project.join(format!("{new}.jsonl")), "{}\n").unwrap();
        assert_eq!(latest_conversation(dir.path()), Some(new));
    }
}
