//! The one guard around every call into a third-party reader (calamine,
//! lopdf, zip, chardetng, quick-xml).
//!
//! The readers are checked before they are called (the pre-scans, such as
//! `sheet::xlsb_scan`), so a file they would trip over is refused first.
//! The guard is the defence behind that, for what no pre-scan foresaw:
//!
//! - **Natively**, a panic inside the reader is caught and logged (target
//!   `prompt_preflight::reader`, with the reader's name), and the caller
//!   reports the file as `corrupt_file`. The process and the thread live on.
//! - **In WebAssembly** a panic traps (the browser build aborts on panic)
//!   and cannot be caught in Rust. The guard keeps a [`Trace`] in linear
//!   memory instead: how many guarded calls the current input has made and
//!   which one is running. After a trap the JavaScript package reads it
//!   from the dead instance's memory, starts a fresh instance and checks
//!   the same input again with [`replaying_crash`], which makes that call
//!   fail as the native guard would have: the same report, word for word.

#[cfg(all(not(target_arch = "wasm32"), panic = "abort"))]
compile_error!("native builds must unwind on panic: the reader guard catches a reader's panic");

use std::cell::{Cell, RefCell};
use std::fmt;
use std::sync::atomic::{AtomicU64, Ordering};

/// Panics the guard has caught in this process.
static CRASHES: AtomicU64 = AtomicU64::new(0);

/// A third-party reader that a guarded call runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Reader {
    /// Spreadsheets: xlsx, xlsb, xls, ods.
    Calamine,
    /// PDF documents.
    Lopdf,
    /// ZIP containers (workbooks).
    Zip,
    /// Guessing the character encoding of text.
    Chardetng,
    /// XML of workbook parts read before calamine.
    QuickXml,
}

impl fmt::Display for Reader {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Reader::Calamine => "calamine",
            Reader::Lopdf => "lopdf",
            Reader::Zip => "zip",
            Reader::Chardetng => "chardetng",
            Reader::QuickXml => "quick-xml",
        })
    }
}

/// A guarded call that crashed (or, when replaying, is taken to have).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Crashed {
    /// The reader that crashed.
    pub reader: Reader,
}

/// Where the guarded calls of the input being read stand. Two `u32`s in
/// linear memory, at [`trace_address`] in the browser build.
#[repr(C)]
#[derive(Debug)]
pub struct Trace {
    /// Guarded calls begun since the input started to be read.
    calls: Cell<u32>,
    /// The 1-based number of the guarded call running now; 0 when none is.
    inside: Cell<u32>,
}

thread_local! {
    // Const-initialised: a plain static in the browser build, at the same
    // address in every instance of the module.
    static TRACE: Trace = const {
        Trace {
            calls: Cell::new(0),
            inside: Cell::new(0),
        }
    };
    /// The guarded calls taken as crashed, by number.
    static CRASH_AT: RefCell<Vec<u32>> = const { RefCell::new(Vec::new()) };
    /// Whether pre-scans may refuse a file before its reader sees it.
    static PRESCANS: Cell<bool> = const { Cell::new(true) };
}

/// Starts the count of guarded calls for a new input.
pub(crate) fn begin_input() {
    TRACE.with(|t| {
        t.calls.set(0);
        t.inside.set(0);
    });
}

/// Runs `f`, a call into `reader`. A panic in it becomes [`Crashed`]
/// (natively; in WebAssembly it traps, see the module docs).
pub(crate) fn guarded<T>(reader: Reader, f: impl FnOnce() -> T) -> Result<T, Crashed> {
    let (number, outer) = TRACE.with(|t| {
        let number = t.calls.get().saturating_add(1);
        t.calls.set(number);
        (number, t.inside.replace(number))
    });
    let result = if CRASH_AT.with(|c| c.borrow().contains(&number)) {
        Err(Crashed { reader })
    } else {
        run(reader, f)
    };
    TRACE.with(|t| t.inside.set(outer));
    result
}

#[cfg(not(target_arch = "wasm32"))]
fn run<T>(reader: Reader, f: impl FnOnce() -> T) -> Result<T, Crashed> {
    // The reader's state lives inside `f` and is dropped with the unwind:
    // nothing it touched is used afterwards.
    std::panic::catch_unwind(std::panic::AssertUnwindSafe(f)).map_err(|payload| {
        let message = payload
            .downcast_ref::<&str>()
            .map(|s| (*s).to_owned())
            .or_else(|| payload.downcast_ref::<String>().cloned())
            .unwrap_or_else(|| "a panic without a message".to_owned());
        CRASHES.fetch_add(1, Ordering::Relaxed);
        log::warn!(
            target: "prompt_preflight::reader",
            "the {reader} reader crashed on this input ({message}); it is reported as a damaged file"
        );
        Crashed { reader }
    })
}

#[cfg(target_arch = "wasm32")]
fn run<T>(_reader: Reader, f: impl FnOnce() -> T) -> Result<T, Crashed> {
    // A panic traps here; the package recovers (see the module docs).
    Ok(f())
}

/// How many panics of third-party readers the guard has caught in this
/// process (natively; in the browser a crash traps instead). Each one is a
/// file that some pre-scan should have refused first: worth a look, and a
/// fixture.
pub fn reader_crashes() -> u64 {
    CRASHES.load(Ordering::Relaxed)
}

/// Whether this thread is inside a guarded reader call: a panic hook can
/// tell a reader's crash (which the guard catches and reports) from a bug.
pub fn inside_reader() -> bool {
    TRACE.with(|t| t.inside.get() != 0)
}

/// Reads an input again after a crash: `f` runs as before, except that
/// the guarded call numbered `call` (as the [`Trace`] counted it when the
/// crash happened) fails at once, without running its reader, exactly as
/// it does natively when the reader panics.
///
/// This is how the browser build recovers from a trap: the package
/// replaces the trapped instance and replays the input in the new one.
/// (Where the replay traps again, in a later call, see
/// [`replaying_crashes`].)
///
/// ```
/// use prompt_preflight::{ingest, Input, Limits};
/// let input = Input::File { name: Some("notes.txt"), bytes: b"caf\xe9 au lait" };
/// // The first guarded call of this input is the encoding detector's.
/// let doc = ingest::replaying_crash(1, || ingest(&input, &Limits::default()));
/// assert!(doc.issues.iter().any(|i| i.code == prompt_preflight::Code::CorruptFile));
/// ```
pub fn replaying_crash<T>(call: u32, f: impl FnOnce() -> T) -> T {
    replaying_crashes(&[call], f)
}

/// [`replaying_crash`] for several calls: after a crash, the guard's
/// fallback for it may call another reader, which may crash in its turn
/// (a damaged PDF is looked at again by lopdf's metadata reader). Each
/// replay that traps adds the call that trapped, until one does not.
pub fn replaying_crashes<T>(calls: &[u32], f: impl FnOnce() -> T) -> T {
    let before = CRASH_AT.with(|c| c.replace(calls.to_vec()));
    let out = f();
    CRASH_AT.with(|c| *c.borrow_mut() = before);
    out
}

/// Runs `f` with the pre-scans unable to refuse anything, so that a file
/// they would refuse reaches its reader. Only for tests: it shows, with
/// the very files the pre-scans stop, that the guard (natively) and the
/// package's restart of a trapped instance (in the browser) catch what a
/// pre-scan might miss.
#[doc(hidden)]
pub fn without_prescans<T>(f: impl FnOnce() -> T) -> T {
    let before = PRESCANS.with(|p| p.replace(false));
    let out = f();
    PRESCANS.with(|p| p.set(before));
    out
}

/// Turns the pre-scans off (or back on) for what follows on this thread;
/// the browser build's counterpart of [`without_prescans`], for tests only.
#[doc(hidden)]
pub fn set_prescans(enabled: bool) {
    PRESCANS.with(|p| p.set(enabled));
}

/// Whether a pre-scan's verdict may refuse a file.
pub(crate) fn prescans_enabled() -> bool {
    PRESCANS.with(Cell::get)
}

/// The address of the [`Trace`] in linear memory: the number of guarded
/// calls begun (`u32` at the address) and the number of the one running
/// (`u32` after it, 0 when none is). Read it from the memory of an
/// instance that trapped, without calling into that instance again.
pub fn trace_address() -> usize {
    TRACE.with(|t| t as *const Trace as usize)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_panic_is_caught_and_counted() {
        begin_input();
        assert_eq!(guarded(Reader::Zip, || 1), Ok(1));
        let crashed = guarded(Reader::Calamine, || -> u32 {
            panic!("index out of bounds")
        });
        assert_eq!(
            crashed,
            Err(Crashed {
                reader: Reader::Calamine
            })
        );
        TRACE.with(|t| {
            assert_eq!(t.calls.get(), 2);
            assert_eq!(t.inside.get(), 0);
        });
    }

    #[test]
    fn replay_fails_the_numbered_call_only() {
        let ran = Cell::new(Vec::new());
        let out = replaying_crash(2, || {
            begin_input();
            (1..=3)
                .map(|n| {
                    guarded(Reader::Lopdf, || {
                        let mut v = ran.take();
                        v.push(n);
                        ran.set(v);
                    })
                    .is_ok()
                })
                .collect::<Vec<_>>()
        });
        assert_eq!(out, [true, false, true]);
        assert_eq!(ran.take(), [1, 3]);
        assert!(CRASH_AT.with(|c| c.borrow().is_empty()));
        let out = replaying_crashes(&[1, 3], || {
            begin_input();
            (1..=3)
                .map(|_| guarded(Reader::Zip, || ()).is_ok())
                .collect::<Vec<_>>()
        });
        assert_eq!(out, [false, true, false]);
    }

    #[test]
    fn nested_calls_restore_the_outer_number() {
        begin_input();
        let inner = guarded(Reader::Zip, || {
            let _ = guarded(Reader::QuickXml, || ());
            TRACE.with(|t| t.inside.get())
        });
        assert_eq!(inner, Ok(1));
    }
}
