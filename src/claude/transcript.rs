//! Finding a session's conversations: Claude Code writes each one to
//! `<config dir>/projects/<cwd slug>/<conversation id>.jsonl`, the slug
//! being the working directory with every character but ASCII letters and
//! digits made '-' (cut at 200 characters, a hash of the path appended).

use std::fs;
use std::path::Path;
use std::time::SystemTime;
use uuid::Uuid;

/// The longest slug Claude Code writes whole; longer ones are cut here and
/// get `-<hash>` appended.
const SLUG_MAX: usize = 200;

/// The project dir name Claude Code uses for `cwd`: exact up to
/// `SLUG_MAX`, else the cut prefix every such name starts with.
fn slug(cwd: &Path) -> (String, bool) {
    let mut slug = String::new();
    for c in cwd.to_string_lossy().chars() {
        match c {
            _ if c.is_ascii_alphanumeric() => slug.push(c),
            // Claude replaces UTF-16 code units: two for a character
            // beyond the Basic Multilingual Plane.
            _ if u32::from(c) > 0xFFFF => slug.push_str("--"),
            _ => slug.push('-'),
        }
    }
    match slug.len() > SLUG_MAX {
        true => (format!("{}-", &slug[..SLUG_MAX]), false),
        false => (slug, true),
    }
}

/// Whether `project` (a dir name under `projects/`) holds `cwd`'s conversations.
fn is_project_of(project: &str, cwd: &Path) -> bool {
    match slug(cwd) {
        (slug, true) => project == slug,
        (prefix, false) => project.starts_with(&prefix),
    }
}

/// The id of the most recently written conversation of `cwd` in the
/// session dir, if any: the one to continue. Only `cwd`'s own: Claude
/// Code resumes a conversation from the directory it belongs to, and one
/// of another directory (copied in by `migrate`, say) would be continued
/// in the wrong place. After `/clear` Claude continues under a new id, so
/// the newest one (not the session's first id) is the one to resume.
pub fn latest_conversation(session_dir: &Path, cwd: &Path) -> Option<Uuid> {
    let mut newest: Option<(SystemTime, Uuid)> = None;
    for project in fs::read_dir(session_dir.join("projects")).ok()?.flatten() {
        let name = project.file_name();
        if !name.to_str().is_some_and(|n| is_project_of(n, cwd)) {
            continue;
        }
        for (modified, id) in conversations(&project.path()) {
            if newest.is_none_or(|(t, _)| modified > t) {
                newest = Some((modified, id));
            }
        }
    }
    newest.map(|(_, id)| id)
}

/// Whether the session holds any conversation, of any directory.
pub fn has_conversation(session_dir: &Path) -> bool {
    fs::read_dir(session_dir.join("projects"))
        .into_iter()
        .flatten()
        .flatten()
        .any(|project| !conversations(&project.path()).is_empty())
}

/// The conversations in one project dir, with their modification times.
fn conversations(project: &Path) -> Vec<(SystemTime, Uuid)> {
    let Ok(files) = fs::read_dir(project) else {
        return Vec::new();
    };
    files
        .flatten()
        .filter_map(|file| {
            let name = file.file_name();
            let id = Uuid::parse_str(name.to_str()?.strip_suffix(".jsonl")?).ok()?;
            let meta = file.metadata().ok()?;
            // An empty file holds no conversation Claude could resume.
            (meta.is_file() && meta.len() > 0)
                .then(|| (meta.modified().unwrap_or(SystemTime::UNIX_EPOCH), id))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::PathBuf;

    fn write(dir: &Path, project: &str, id: Uuid, age_secs: u64) {
        let project = dir.join("projects").join(project);
        fs::create_dir_all(&project).unwrap();
        let path = project.join(format!("{id}.jsonl"));
        fs::write(&path, "{}\n").unwrap();
        let when = SystemTime::now() - std::time::Duration::from_secs(age_secs);
        fs::File::options()
            .write(true)
            .open(&path)
            .unwrap()
            .set_modified(when)
            .unwrap();
    }

    #[test]
    fn picks_the_newest_transcript_of_the_working_directory() {
        let dir = tempfile::tempdir().unwrap();
        let cwd = PathBuf::from("/home/me/my project.v2");
        assert_eq!(latest_conversation(dir.path(), &cwd), None);
        assert!(!has_conversation(dir.path()));
        let (old, new, elsewhere) = (Uuid::new_v4(), Uuid::new_v4(), Uuid::new_v4());
        write(dir.path(), "-home-me-my-project-v2", old, 60);
        write(dir.path(), "-home-me-my-project-v2", new, 30);
        // Newer, but another directory's: never the one to continue.
        write(dir.path(), "-home-me-other", elsewhere, 0);
        let project = dir.path().join("projects/-home-me-my-project-v2");
        fs::write(project.join("not-a-uuid.jsonl"), "{}\n").unwrap();
        fs::write(project.join(format!("{}.jsonl", Uuid::new_v4())), "").unwrap();
        assert_eq!(latest_conversation(dir.path(), &cwd), Some(new));
        assert!(has_conversation(dir.path()));
        assert_eq!(
            latest_conversation(dir.path(), Path::new("/home/me/other")),
            Some(elsewhere)
        );
    }

    #[test]
    fn a_long_directory_matches_its_cut_slug() {
        let dir = tempfile::tempdir().unwrap();
        let cwd = PathBuf::from(format!("/{}", "d".repeat(250)));
        let id = Uuid::new_v4();
        let cut: String = format!("-{}", "d".repeat(250))
            .chars()
            .take(SLUG_MAX)
            .collect();
        write(dir.path(), &format!("{cut}-1x2y3z"), id, 0);
        assert_eq!(latest_conversation(dir.path(), &cwd), Some(id));
    }
}
