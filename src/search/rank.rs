//! The rank of a match: FTS5's bm25, computed the same way, except for
//! how common each phrase of the query is (its IDF). FTS5's bm25 counts the
//! rows holding each phrase over the whole index, reading a common word's
//! whole list (~5 ms a word at 1 GB of transcripts) for a weight that
//! hardly changes; here they are counted in a sample, the index's oldest
//! `SAMPLE` entries, and the count stops at the sample's end. On an index
//! smaller than the sample the two are the same (a test checks it).
//!
//! An FTS5 auxiliary function, `cs_rank(fts, sample_end, sample_rows)`:
//! registered through FTS5's C API, which rusqlite does not wrap.

use rusqlite::Connection;
use rusqlite::ffi;
use std::ffi::{c_int, c_void};
use std::ptr;

/// The function's name in SQL.
pub const FUNCTION: &str = "cs_rank";

/// How many entries the IDF is estimated from: enough for a word's share of
/// them to be known within a few percent.
pub const SAMPLE: i64 = 20_000;

/// bm25's constants, as FTS5 has them.
const K1: f64 = 1.2;
const B: f64 = 0.75;

/// Makes `cs_rank` available on `conn`.
pub fn register(conn: &Connection) -> rusqlite::Result<()> {
    // SAFETY: a valid handle, used on this thread only (Connection is not
    // Sync); the statement is finalized before returning; FTS5 keeps the
    // function (a plain fn, no user data) as long as the connection.
    unsafe {
        let api = fts5_api(conn.handle())?;
        let create = (*api)
            .xCreateFunction
            .ok_or_else(|| failure(ffi::SQLITE_MISUSE))?;
        let name = c"cs_rank";
        let rc = create(api, name.as_ptr(), ptr::null_mut(), Some(rank), None);
        check(rc)
    }
}

/// FTS5's API object: `SELECT fts5(?1)` with a pointer bound to receive it.
unsafe fn fts5_api(db: *mut ffi::sqlite3) -> rusqlite::Result<*mut ffi::fts5_api> {
    let mut stmt: *mut ffi::sqlite3_stmt = ptr::null_mut();
    // SAFETY (the caller's): `db` is valid.
    let rc = unsafe {
        ffi::sqlite3_prepare_v2(
            db,
            c"SELECT fts5(?1)".as_ptr(),
            -1,
            &mut stmt,
            ptr::null_mut(),
        )
    };
    check(rc)?;
    let mut api: *mut ffi::fts5_api = ptr::null_mut();
    // SAFETY: `stmt` was prepared; `api` outlives the step, which writes
    // FTS5's pointer into it; the statement is finalized whatever happens.
    let rc = unsafe {
        let rc = ffi::sqlite3_bind_pointer(
            stmt,
            1,
            (&mut api as *mut *mut ffi::fts5_api).cast(),
            c"fts5_api_ptr".as_ptr(),
            None,
        );
        let rc = match rc {
            ffi::SQLITE_OK => ffi::sqlite3_step(stmt),
            rc => rc,
        };
        ffi::sqlite3_finalize(stmt);
        rc
    };
    match (rc, api.is_null()) {
        (ffi::SQLITE_ROW, false) => Ok(api),
        (ffi::SQLITE_ROW, true) => Err(failure(ffi::SQLITE_ERROR)),
        (rc, _) => Err(failure(rc)),
    }
}

fn failure(rc: c_int) -> rusqlite::Error {
    rusqlite::Error::SqliteFailure(
        ffi::Error::new(rc),
        Some("cannot add the search rank function to FTS5".into()),
    )
}

fn check(rc: c_int) -> rusqlite::Result<()> {
    match rc {
        ffi::SQLITE_OK => Ok(()),
        rc => Err(failure(rc)),
    }
}

/// What a query's rows share, computed at its first row.
struct Weights {
    /// Each phrase's IDF.
    idf: Vec<f64>,
    /// The mean number of tokens in a row.
    avgdl: f64,
}

unsafe extern "C" fn rank(
    api: *const ffi::Fts5ExtensionApi,
    fts: *mut ffi::Fts5Context,
    ctx: *mut ffi::sqlite3_context,
    argc: c_int,
    argv: *mut *mut ffi::sqlite3_value,
) {
    // A panic must not unwind into SQLite's C frames.
    let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        // SAFETY: FTS5 passes a valid API, context and `argc` arguments.
        unsafe {
            let args = match argc {
                0 => &[][..],
                n => std::slice::from_raw_parts(argv, n as usize),
            };
            score(&*api, fts, args)
        }
    }));
    // SAFETY: `ctx` is this call's result context.
    unsafe {
        match result {
            Ok(Ok(score)) => ffi::sqlite3_result_double(ctx, score),
            Ok(Err(rc)) => ffi::sqlite3_result_error_code(ctx, rc),
            Err(_) => ffi::sqlite3_result_error(ctx, c"cs_rank failed".as_ptr(), -1),
        }
    }
}

/// Calls one of the API's functions, or fails if FTS5 lacks it.
macro_rules! call {
    ($api:expr, $f:ident ( $($arg:expr),* )) => {
        match $api.$f {
            Some(f) => f($($arg),*),
            None => return Err(ffi::SQLITE_MISUSE),
        }
    };
}

/// The row's score: lower is better, as bm25's.
unsafe fn score(
    api: &ffi::Fts5ExtensionApi,
    fts: *mut ffi::Fts5Context,
    args: &[*mut ffi::sqlite3_value],
) -> Result<f64, c_int> {
    // SAFETY (all below): `fts` is the current row's context, valid during
    // this call; the aux data is the Box this function left there.
    unsafe {
        let mut weights = call!(api, xGetAuxdata(fts, 0)) as *const Weights;
        if weights.is_null() {
            let (end, rows) = match args {
                [end, rows, ..] => (
                    ffi::sqlite3_value_int64(*end),
                    ffi::sqlite3_value_int64(*rows),
                ),
                _ => (i64::MAX, 0),
            };
            let made = Box::into_raw(Box::new(Weights::of(api, fts, end, rows)?));
            // On failure FTS5 calls the destructor itself.
            let rc = call!(api, xSetAuxdata(fts, made.cast(), Some(drop_weights)));
            if rc != ffi::SQLITE_OK {
                return Err(rc);
            }
            weights = made;
        }
        let weights = &*weights;
        let mut freq = vec![0.0; weights.idf.len()];
        let mut instances = 0;
        ok(call!(api, xInstCount(fts, &mut instances)))?;
        for i in 0..instances {
            let (mut phrase, mut column, mut offset) = (0, 0, 0);
            ok(call!(
                api,
                xInst(fts, i, &mut phrase, &mut column, &mut offset)
            ))?;
            if let Some(f) = usize::try_from(phrase).ok().and_then(|p| freq.get_mut(p)) {
                *f += 1.0;
            }
        }
        let mut tokens = 0;
        ok(call!(api, xColumnSize(fts, -1, &mut tokens)))?;
        let length = f64::from(tokens) / weights.avgdl;
        let score: f64 = weights
            .idf
            .iter()
            .zip(&freq)
            .map(|(idf, f)| idf * (f * (K1 + 1.0)) / (f + K1 * (1.0 - B + B * length)))
            .sum();
        Ok(-score)
    }
}

fn ok(rc: c_int) -> Result<(), c_int> {
    match rc {
        ffi::SQLITE_OK => Ok(()),
        rc => Err(rc),
    }
}

impl Weights {
    /// The weights of the query of `fts`, its IDFs counted in the rows up
    /// to `end` (`rows` of them; 0: every row).
    unsafe fn of(
        api: &ffi::Fts5ExtensionApi,
        fts: *mut ffi::Fts5Context,
        end: i64,
        rows: i64,
    ) -> Result<Weights, c_int> {
        // SAFETY: as in `score`; `count` gets a pointer to a live Count.
        unsafe {
            let (mut all, mut tokens) = (0i64, 0i64);
            ok(call!(api, xRowCount(fts, &mut all)))?;
            ok(call!(api, xColumnTotalSize(fts, -1, &mut tokens)))?;
            let sampled = match rows {
                0 => all,
                rows => rows,
            } as f64;
            let phrases = call!(api, xPhraseCount(fts));
            let mut idf = Vec::new();
            for phrase in 0..phrases {
                let mut counted = Count { end, hits: 0 };
                ok(call!(
                    api,
                    xQueryPhrase(
                        fts,
                        phrase,
                        (&mut counted as *mut Count).cast(),
                        Some(count)
                    )
                ))?;
                let hits = counted.hits as f64;
                // As FTS5's bm25: a phrase in most rows weighs almost nothing.
                let value = ((sampled - hits + 0.5) / (hits + 0.5)).ln();
                idf.push(if value > 0.0 { value } else { 1e-6 });
            }
            Ok(Weights {
                idf,
                avgdl: (tokens as f64 / all.max(1) as f64).max(f64::MIN_POSITIVE),
            })
        }
    }
}

/// A phrase's rows counted up to `end`.
struct Count {
    end: i64,
    hits: i64,
}

unsafe extern "C" fn count(
    api: *const ffi::Fts5ExtensionApi,
    fts: *mut ffi::Fts5Context,
    data: *mut c_void,
) -> c_int {
    // SAFETY: FTS5 passes a valid API and row context, and back the
    // pointer to the Count that `Weights::of` gave it. Rows come in
    // ascending rowid order: the first past `end` ends the count.
    unsafe {
        let counted = &mut *data.cast::<Count>();
        let Some(rowid) = (*api).xRowid else {
            return ffi::SQLITE_MISUSE;
        };
        if rowid(fts) > counted.end {
            return ffi::SQLITE_DONE;
        }
        counted.hits += 1;
        ffi::SQLITE_OK
    }
}

unsafe extern "C" fn drop_weights(weights: *mut c_void) {
    // SAFETY: the Box that `score` left as aux data, dropped once by FTS5.
    drop(unsafe { Box::from_raw(weights.cast::<Weights>()) });
}
