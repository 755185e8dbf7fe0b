//! The dashboard's model, apart from drawing and input so it is tested
//! without a terminal: the rows, the order (most urgent first), the
//! filter, the selection (kept by session id across reloads).

use crate::util::timestamp::Timestamp;
use uuid::Uuid;

/// How much a session needs its person, most first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Urgency {
    Waiting,
    Working,
    Idle,
    /// Hibernated, stopped, crashed, created: nothing happens in it.
    Resting,
}

/// One session as the dashboard shows it.
#[derive(Debug, Clone, PartialEq)]
pub struct Row {
    pub id: Uuid,
    pub name: String,
    /// The host it runs on, for another machine's session.
    pub host: Option<String>,
    pub urgency: Urgency,
    /// The state and its reason: "waiting: permission for Bash", "working
    /// 3m", "idle 12m", "stopped (1)", "crashed", "hibernated".
    pub state: String,
    /// "attached", "2 attached", "detached", "foreground", or "".
    pub place: String,
    /// The working directory, `~` for home.
    pub cwd: String,
    /// The git branch checked out there, if it is a repository.
    pub branch: Option<String>,
    pub messages: u64,
    /// Tokens in and out, if the transcripts were read.
    pub tokens: Option<u64>,
    pub last_activity: Timestamp,
    pub pinned: bool,
    /// Claude runs (a kill, an attach make sense).
    pub running: bool,
    /// A holder keeps it (an attach or a peek work).
    pub held: bool,
}

/// What the rows are ordered by.
impl Row {
    /// How our commands name it: its id here, NAME@HOST on another host.
    pub fn target(&self) -> String {
        match &self.host {
            Some(host) => format!("{}@{host}", self.name),
            None => self.id.to_string(),
        }
    }

    /// How a person names it: NAME, or NAME@HOST.
    pub fn label(&self) -> String {
        match &self.host {
            Some(host) => format!("{}@{host}", self.name),
            None => self.name.clone(),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Sort {
    /// Most urgent first, then most recently active.
    #[default]
    Urgency,
    /// Most recently active first.
    Activity,
    Name,
}

impl Sort {
    pub fn next(self) -> Sort {
        match self {
            Sort::Urgency => Sort::Activity,
            Sort::Activity => Sort::Name,
            Sort::Name => Sort::Urgency,
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Sort::Urgency => "urgency",
            Sort::Activity => "activity",
            Sort::Name => "name",
        }
    }
}

#[derive(Debug, Default)]
pub struct Model {
    rows: Vec<Row>,
    /// Indices into `rows`, filtered and ordered.
    shown: Vec<usize>,
    pub sort: Sort,
    filter: String,
    selected: Option<Uuid>,
}

impl Model {
    /// Takes a new set of rows; the selection stays on its session if it is
    /// still there, else on the row at the same place.
    pub fn set_rows(&mut self, rows: Vec<Row>) {
        let place = self.selected_index();
        self.rows = rows;
        self.refresh();
        let kept = self
            .selected
            .is_some_and(|id| self.shown.iter().any(|&i| self.rows[i].id == id));
        if !kept {
            let at = place.unwrap_or(0).min(self.shown.len().saturating_sub(1));
            self.selected = self.shown.get(at).map(|&i| self.rows[i].id);
        }
    }

    pub fn set_filter(&mut self, filter: &str) {
        self.filter = filter.to_string();
        let before = self.selected;
        self.refresh();
        if before.is_none_or(|id| !self.shown.iter().any(|&i| self.rows[i].id == id)) {
            self.selected = self.shown.first().map(|&i| self.rows[i].id);
        }
    }

    pub fn filter(&self) -> &str {
        &self.filter
    }

    pub fn set_sort(&mut self, sort: Sort) {
        self.sort = sort;
        self.refresh();
    }

    fn refresh(&mut self) {
        let needle = self.filter.to_lowercase();
        let mut shown: Vec<usize> = (0..self.rows.len())
            .filter(|&i| {
                let row = &self.rows[i];
                needle.is_empty()
                    || row.label().to_lowercase().contains(&needle)
                    || row.cwd.to_lowercase().contains(&needle)
            })
            .collect();
        let rows = &self.rows;
        let recent = |i: &usize| std::cmp::Reverse(rows[*i].last_activity);
        match self.sort {
            Sort::Urgency => shown.sort_by_key(|i| (rows[*i].urgency, recent(i))),
            Sort::Activity => shown.sort_by_key(recent),
            Sort::Name => shown.sort_by_key(|i| rows[*i].label()),
        }
        self.shown = shown;
    }

    /// The rows shown, in order.
    pub fn shown(&self) -> impl ExactSizeIterator<Item = &Row> {
        self.shown.iter().map(|&i| &self.rows[i])
    }

    /// Every row, shown or not.
    pub fn all(&self) -> &[Row] {
        &self.rows
    }

    pub fn selected(&self) -> Option<&Row> {
        let id = self.selected?;
        self.rows.iter().find(|r| r.id == id)
    }

    /// The selected row's place among those shown.
    pub fn selected_index(&self) -> Option<usize> {
        let id = self.selected?;
        self.shown.iter().position(|&i| self.rows[i].id == id)
    }

    /// Moves the selection by `by` rows, stopping at the ends.
    pub fn move_by(&mut self, by: isize) {
        if self.shown.is_empty() {
            return;
        }
        let at = self.selected_index().unwrap_or(0) as isize;
        let to = (at + by).clamp(0, self.shown.len() as isize - 1) as usize;
        self.selected = Some(self.rows[self.shown[to]].id);
    }

    pub fn select_id(&mut self, id: Uuid) {
        if self.shown.iter().any(|&i| self.rows[i].id == id) {
            self.selected = Some(id);
        }
    }

    /// Selects the next session waiting for its person after the selected
    /// one (round the end); false if none waits.
    pub fn next_waiting(&mut self) -> bool {
        let n = self.shown.len();
        let at = self.selected_index().map_or(0, |i| i + 1);
        let next = (0..n)
            .map(|k| (at + k) % n)
            .find(|&k| self.rows[self.shown[k]].urgency == Urgency::Waiting);
        match next {
            Some(k) => {
                self.selected = Some(self.rows[self.shown[k]].id);
                true
            }
            None => false,
        }
    }

    /// "2 waiting · 3 working · 10 idle", of every row (the filter aside).
    pub fn counts(&self) -> String {
        let count = |u: Urgency| self.rows.iter().filter(|r| r.urgency == u).count();
        let mut parts = vec![
            format!("{} waiting", count(Urgency::Waiting)),
            format!("{} working", count(Urgency::Working)),
            format!("{} idle", count(Urgency::Idle)),
        ];
        let resting = count(Urgency::Resting);
        if resting > 0 {
            parts.push(format!("{resting} other"));
        }
        parts.join(" · ")
    }

    /// The sessions that wait for their person now and did not in `before`.
    pub fn newly_waiting(&self, before: &[Row]) -> Vec<String> {
        self.rows
            .iter()
            .filter(|r| r.urgency == Urgency::Waiting)
            .filter(|r| {
                !before
                    .iter()
                    .any(|b| b.id == r.id && b.urgency == Urgency::Waiting)
            })
            .map(Row::label)
            .collect()
    }
}

#[cfg(test)]
pub mod tests {
    use super::*;

    /// A row for tests: `name` in `urgency`, active `ago` seconds before 1e12 ms.
    pub fn row(name: &str, urgency: Urgency, ago: i64) -> Row {
        Row {
            id: Uuid::from_u128(name.bytes().fold(7u128, |h, b| h * 31 + u128::from(b))),
            name: name.to_string(),
            host: None,
            urgency,
            state: match urgency {
                Urgency::Waiting => "waiting: permission for Bash".into(),
                Urgency::Working => "working 3m".into(),
                Urgency::Idle => "idle 12m".into(),
                Urgency::Resting => "stopped".into(),
            },
            place: "detached".into(),
            cwd: format!("~/src/{name}"),
            branch: None,
            messages: 4,
            tokens: Some(1200),
            last_activity: Timestamp::from_millis(1_000_000_000_000 - ago * 1000),
            pinned: false,
            running: urgency != Urgency::Resting,
            held: urgency != Urgency::Resting,
        }
    }

    fn names(model: &Model) -> Vec<&str> {
        model.shown().map(|r| r.name.as_str()).collect()
    }

    #[test]
    fn the_most_urgent_come_first_then_the_most_recent() {
        let mut model = Model::default();
        model.set_rows(vec![
            row("idle-old", Urgency::Idle, 600),
            row("done", Urgency::Resting, 1),
            row("asks", Urgency::Waiting, 900),
            row("idle-new", Urgency::Idle, 10),
            row("busy", Urgency::Working, 50),
        ]);
        assert_eq!(
            names(&model),
            ["asks", "busy", "idle-new", "idle-old", "done"]
        );
        assert_eq!(model.selected().unwrap().name, "asks");
        assert_eq!(model.counts(), "1 waiting · 1 working · 2 idle · 1 other");
        model.set_sort(Sort::Name);
        assert_eq!(
            names(&model),
            ["asks", "busy", "done", "idle-new", "idle-old"]
        );
    }

    #[test]
    fn the_selection_follows_its_session_and_the_filter() {
        let mut model = Model::default();
        model.set_rows(vec![
            row("api", Urgency::Idle, 5),
            row("web", Urgency::Idle, 1),
        ]);
        model.move_by(1);
        assert_eq!(model.selected().unwrap().name, "api");
        // api starts waiting: it moves to the top, the selection with it.
        model.set_rows(vec![
            row("api", Urgency::Waiting, 5),
            row("web", Urgency::Idle, 1),
        ]);
        assert_eq!(model.selected_index(), Some(0));
        assert_eq!(model.selected().unwrap().name, "api");
        model.set_filter("we");
        assert_eq!(names(&model), ["web"]);
        assert_eq!(model.selected().unwrap().name, "web");
        model.set_filter("src/a");
        assert_eq!(names(&model), ["api"], "the directory matches too");
        model.set_filter("nothing");
        assert!(model.selected().is_none());
        model.move_by(1);
        // A session that went away: the selection stays at its place.
        model.set_filter("");
        model.select_id(row("web", Urgency::Idle, 1).id);
        model.set_rows(vec![row("api", Urgency::Waiting, 5)]);
        assert_eq!(model.selected().unwrap().name, "api");
    }

    #[test]
    fn tab_finds_the_next_waiting_session_round_the_end() {
        let mut model = Model::default();
        model.set_rows(vec![
            row("a", Urgency::Waiting, 1),
            row("b", Urgency::Waiting, 2),
            row("c", Urgency::Idle, 3),
        ]);
        assert!(model.next_waiting());
        assert_eq!(model.selected().unwrap().name, "b");
        assert!(model.next_waiting());
        assert_eq!(model.selected().unwrap().name, "a");
        let before = model.all().to_vec();
        model.set_rows(vec![row("c", Urgency::Waiting, 3)]);
        assert_eq!(model.newly_waiting(&before), ["c"]);
        model.set_rows(vec![row("c", Urgency::Idle, 3)]);
        assert!(!model.next_waiting());
    }
}
