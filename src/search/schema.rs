//! The index's tables, and opening it: WAL (searches read while another
//! one writes), a busy timeout, a schema version in `user_version`. Being a
//! cache, the index is not migrated: one of another version is emptied.

use rusqlite::{Connection, TransactionBehavior};
use std::path::Path;
use std::time::Duration;

/// Bumped whenever a table, the tokenizer or what is indexed changes.
const VERSION: i64 = 1;

/// A search waits this long for another one's write (a first index of a
/// large store can write for a minute, in short transactions).
const BUSY_TIMEOUT: Duration = Duration::from_secs(30);

/// The tokenizer of the index, and of the snippets cut from its results
/// (the two must agree): Unicode words, case and diacritics folded.
pub const TOKENIZER: &str = "unicode61 remove_diacritics 2";

const TABLES: &str = "
    -- One row a transcript file: where reading stopped, and what the file
    -- was then, to tell an append from a rewrite.
    CREATE TABLE files (
        id INTEGER PRIMARY KEY,
        path BLOB NOT NULL UNIQUE,
        owner TEXT NOT NULL,          -- a session id; '' for the base
        conversation TEXT NOT NULL,
        agent INTEGER NOT NULL,       -- 1: a sub-agent's transcript
        dev INTEGER NOT NULL,
        ino INTEGER NOT NULL,
        mtime INTEGER NOT NULL,       -- ns
        size INTEGER NOT NULL,        -- when last read
        offset INTEGER NOT NULL,      -- the end of the last whole line read
        tail BLOB NOT NULL            -- the bytes just before offset
    );
    -- One row a part of a record; its id is the FTS row's. Ids grow as
    -- entries are added, so the highest are the newest.
    CREATE TABLE entries (
        id INTEGER PRIMARY KEY,
        file INTEGER NOT NULL,
        line INTEGER NOT NULL,        -- the byte offset of the record's line
        part INTEGER NOT NULL,        -- which part of it (claude::said)
        role INTEGER NOT NULL,        -- search::Role
        time INTEGER                  -- ms since the epoch, from the record
    );
    CREATE INDEX entries_by_file ON entries(file);
    -- Contentless: the text stays in the transcripts.
    CREATE VIRTUAL TABLE fts USING fts5(
        user, assistant, tool,
        content = '', contentless_delete = 1, tokenize = 'TOKENIZER'
    );
    -- Terms gathered in memory before FTS5 writes them: one update's batch
    -- (update::BATCH) is written as one segment, not one a megabyte.
    INSERT INTO fts (fts, rank) VALUES ('hashsize', 67108864);
";

pub fn open(path: &Path) -> rusqlite::Result<Connection> {
    crate::store::registry::make_private(path);
    let conn = Connection::open(path)?;
    conn.busy_timeout(BUSY_TIMEOUT)?;
    // As the registry (another search may be creating it too); an OS crash
    // that loses the last transactions has the next search read those
    // lines again.
    crate::store::registry::set_wal(&conn)?;
    conn.execute_batch("PRAGMA temp_store=MEMORY")?;
    // An update rewrites the segments FTS5 merges: pages read once, not
    // again and again (grown only as used).
    conn.execute_batch("PRAGMA cache_size = -65536")?;
    let current =
        |conn: &Connection| conn.query_row("PRAGMA user_version", [], |r| r.get::<_, i64>(0));
    if current(&conn)? != VERSION {
        let tx = rusqlite::Transaction::new_unchecked(&conn, TransactionBehavior::Immediate)?;
        // Read again under the write lock: another search may have made it.
        if current(&tx)? != VERSION {
            for table in ["fts", "entries", "files"] {
                tx.execute_batch(&format!("DROP TABLE IF EXISTS {table}"))?;
            }
            tx.execute_batch(&TABLES.replace("TOKENIZER", TOKENIZER))?;
            tx.execute_batch(&format!("PRAGMA user_version = {VERSION}"))?;
        }
        tx.commit()?;
    }
    Ok(conn)
}
