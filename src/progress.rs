//! Progress of a long check or prepare, reported through a callback so a
//! page can show a bar and what is being done ("Reading sheet 2 of 3").
//!
//! The work reports its steps with [`step`]; a caller that wants them runs
//! the work inside [`with_progress`]. Steps nest: a step's share of the bar
//! is split among the steps inside it. Without a callback a step costs one
//! thread-local lookup, and its message is never built.

use serde::Serialize;
use std::cell::RefCell;

/// How far a check or prepare has come.
#[cfg_attr(feature = "wasm", derive(tsify::Tsify))]
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Progress {
    /// What is being done, in plain language.
    pub message: String,
    /// How much is done, from 0 to 1.
    pub fraction: f64,
}

// Read only where steps report (builds with the file readers).
#[cfg_attr(not(feature = "readers"), allow(dead_code))]
struct Listener {
    callback: Box<dyn FnMut(&Progress)>,
    /// The share of the bar the current step spans.
    span: (f64, f64),
}

thread_local! {
    static LISTENER: RefCell<Option<Listener>> = const { RefCell::new(None) };
}

/// Runs `work`, calling `callback` at each step it reports. Progress
/// reported on other threads is not seen.
///
/// ```
/// use prompt_preflight::{check, with_progress, Contract, Input};
/// use std::{cell::RefCell, rc::Rc};
/// let contract = Contract::parse(include_str!("../contracts/customer-list/1.0.0.toml")).unwrap();
/// let seen = Rc::new(RefCell::new(Vec::new()));
/// let sink = seen.clone();
/// let csv = Input::File { name: Some("c.csv"), bytes: b"name,email\nAda,ada@example.com\n" };
/// with_progress(move |p| sink.borrow_mut().push(p.clone()), || check(&contract, None, &csv)).unwrap();
/// let seen = seen.borrow();
/// assert!(seen[0].message.starts_with("Reading c.csv"));
/// assert!(seen.windows(2).all(|w| w[0].fraction <= w[1].fraction));
/// ```
pub fn with_progress<R>(callback: impl FnMut(&Progress) + 'static, work: impl FnOnce() -> R) -> R {
    let listener = Listener {
        callback: Box::new(callback),
        span: (0.0, 1.0),
    };
    let outer = LISTENER.with(|l| l.borrow_mut().replace(listener));
    // Restored even if `work` unwinds (a reader's panic is caught above).
    struct Restore(Option<Option<Listener>>);
    impl Drop for Restore {
        fn drop(&mut self) {
            let outer = self.0.take().flatten();
            LISTENER.with(|l| *l.borrow_mut() = outer);
        }
    }
    let _restore = Restore(Some(outer));
    work()
}

/// Runs `work` as step `index` of `count` of the current step, first
/// reporting `message` at the step's start. Steps inside `work` share this
/// step's part of the bar.
///
/// Builds without the file readers (the browser's meter module) have no
/// long jobs to follow: their steps only run the work.
#[cfg(not(feature = "readers"))]
pub(crate) fn step<R>(
    _: usize,
    _: usize,
    _: impl FnOnce() -> String,
    work: impl FnOnce() -> R,
) -> R {
    work()
}

/// See above: the steps of builds with the file readers report.
#[cfg(feature = "readers")]
pub(crate) fn step<R>(
    index: usize,
    count: usize,
    message: impl FnOnce() -> String,
    work: impl FnOnce() -> R,
) -> R {
    span(index, count, Some(message), work)
}

/// Runs `work` as step `index` of `count`, like [`step`], but silently:
/// the steps inside it say what is done.
pub(crate) fn within<R>(index: usize, count: usize, work: impl FnOnce() -> R) -> R {
    #[cfg(feature = "readers")]
    return span(index, count, None::<fn() -> String>, work);
    #[cfg(not(feature = "readers"))]
    {
        let _ = (index, count);
        work()
    }
}

#[cfg(feature = "readers")]
fn span<R>(
    index: usize,
    count: usize,
    message: Option<impl FnOnce() -> String>,
    work: impl FnOnce() -> R,
) -> R {
    // The callback is called outside the borrow, so it may use the core.
    let taken = LISTENER.with(|l| {
        let mut l = l.borrow_mut();
        let listener = l.as_mut()?;
        let (from, to) = listener.span;
        let share = (to - from) / count.max(1) as f64;
        let start = from + share * index.min(count) as f64;
        listener.span = (start, (start + share).min(to));
        let callback = std::mem::replace(&mut listener.callback, Box::new(|_| {}));
        Some(((from, to), start, callback))
    });
    let outer = taken.map(|(span, start, mut callback)| {
        if let Some(message) = message {
            callback(&Progress {
                message: message(),
                fraction: start,
            });
        }
        LISTENER.with(|l| {
            if let Some(listener) = l.borrow_mut().as_mut() {
                listener.callback = callback;
            }
        });
        span
    });
    let result = work();
    if let Some(span) = outer {
        LISTENER.with(|l| {
            if let Some(listener) = l.borrow_mut().as_mut() {
                listener.span = span;
            }
        });
    }
    result
}

/// Reports `message` at item `index` of `count` within the current step,
/// for work done in a loop (sheets of a workbook), without nesting.
#[cfg(feature = "readers")]
pub(crate) fn at(index: usize, count: usize, message: impl FnOnce() -> String) {
    step(index, count, message, || ());
}
