//! The operator's view of the queue: how deep it is now, how deep it was
//! over a window (from the jobs' own timestamps, so nothing has to be
//! sampled and a restart loses nothing), how long jobs waited for a worker,
//! and how many finished per second.

use crate::store::{job_state, now_ms, JobTimes, Store, StoreError};
use serde::Serialize;

/// The most jobs one view reads.
pub const MAX_JOBS: i64 = 200_000;

/// How many points the depth series has.
pub const POINTS: i64 = 60;

/// The queue's depth in one step of the window: the most jobs waiting and
/// the most being worked on at any moment of it.
#[derive(Debug, Clone, Copy, Serialize, PartialEq, Eq)]
pub struct DepthPoint {
    /// The step's start (ms since the epoch).
    pub t_ms: i64,
    /// The most jobs waiting at once.
    pub waiting: u64,
    /// The most jobs being worked on at once.
    pub running: u64,
}

/// Percentiles of a duration, in milliseconds (`None`: no jobs).
#[derive(Debug, Clone, Copy, Serialize, PartialEq, Default)]
pub struct Spread {
    /// How many durations.
    pub count: u64,
    /// The median.
    pub p50_ms: Option<i64>,
    /// The 90th percentile.
    pub p90_ms: Option<i64>,
    /// The 99th percentile.
    pub p99_ms: Option<i64>,
    /// The longest.
    pub max_ms: Option<i64>,
}

impl Spread {
    /// The spread of `values` (in any order).
    pub fn of(mut values: Vec<i64>) -> Spread {
        values.sort_unstable();
        let at = |p: f64| -> Option<i64> {
            if values.is_empty() {
                return None;
            }
            let rank = (p * values.len() as f64).ceil() as usize;
            values.get(rank.clamp(1, values.len()) - 1).copied()
        };
        Spread {
            count: values.len() as u64,
            p50_ms: at(0.50),
            p90_ms: at(0.90),
            p99_ms: at(0.99),
            max_ms: values.last().copied(),
        }
    }
}

/// The queue, now and over a window.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct QueueView {
    /// When the view was taken (ms).
    pub now_ms: i64,
    /// The window's start (ms).
    pub since_ms: i64,
    /// The length of one step of `depth` (ms).
    pub step_ms: i64,
    /// Jobs waiting now.
    pub waiting: u64,
    /// Jobs being worked on now.
    pub running: u64,
    /// Jobs finished in the window (done, not cancelled).
    pub finished: u64,
    /// Jobs cancelled in the window.
    pub cancelled: u64,
    /// Finished jobs per second over the window.
    pub finished_per_second: f64,
    /// How long jobs taken in the window waited for a worker.
    pub wait: Spread,
    /// How long a worker spent on each job finished in the window.
    pub service: Spread,
    /// The depth, step by step, oldest first.
    pub depth: Vec<DepthPoint>,
    /// Whether there were more jobs than the view reads.
    pub truncated: bool,
}

impl QueueView {
    /// The queue over the last `window_ms`.
    pub async fn over(store: &Store, window_ms: i64) -> Result<QueueView, StoreError> {
        let now = now_ms();
        let since = now - window_ms.max(POINTS);
        let jobs = store.job_times(since, MAX_JOBS + 1).await?;
        Ok(QueueView::of(&jobs, since, now))
    }

    /// The view of `jobs` between `since_ms` and `now_ms`.
    pub fn of(jobs: &[JobTimes], since_ms: i64, now_ms: i64) -> QueueView {
        let truncated = jobs.len() as i64 > MAX_JOBS;
        let jobs = &jobs[..jobs.len().min(MAX_JOBS as usize)];
        let step = ((now_ms - since_ms) / POINTS).max(1);
        // Each job adds to the waiting count when it comes, moves to the
        // running count when a worker takes it, and leaves when it ends.
        // At one instant, ends count before takes and takes before arrivals,
        // so a worker handing over shows no extra job.
        let mut events: Vec<(i64, u8, i64, i64)> = Vec::with_capacity(jobs.len() * 3);
        let (mut waiting, mut running) = (0u64, 0u64);
        let (mut finished, mut cancelled) = (0u64, 0u64);
        let (mut waits, mut services) = (Vec::new(), Vec::new());
        for job in jobs {
            let started = job.started_ms.filter(|s| *s >= job.created_ms);
            let ended = job
                .finished_ms
                .filter(|f| *f >= started.unwrap_or(job.created_ms));
            events.push((job.created_ms, 2, 1, 0));
            if let Some(s) = started {
                events.push((s, 1, -1, 1));
                if s >= since_ms {
                    waits.push(s - job.created_ms);
                }
            }
            match (started, ended) {
                (Some(s), Some(f)) => {
                    events.push((f, 0, 0, -1));
                    if f >= since_ms && job.state == job_state::DONE {
                        services.push(f - s);
                    }
                }
                (None, Some(f)) => events.push((f, 0, -1, 0)),
                _ => {}
            }
            if job.finished_ms.is_some_and(|f| f >= since_ms) {
                match job.state.as_str() {
                    job_state::DONE => finished += 1,
                    job_state::CANCELLED => cancelled += 1,
                    _ => {}
                }
            }
            match job.state.as_str() {
                job_state::QUEUED => waiting += 1,
                job_state::RUNNING => running += 1,
                _ => {}
            }
        }
        events.sort_unstable();
        let mut depth = Vec::with_capacity(POINTS as usize);
        let (mut w, mut r) = (0i64, 0i64);
        let mut next = events.iter().peekable();
        while let Some(e) = next.next_if(|e| e.0 < since_ms) {
            (w, r) = (w + e.2, r + e.3);
        }
        let mut start = since_ms;
        while start < now_ms {
            let end = (start + step).min(now_ms);
            // The depth at the step's first instant, after what happened then.
            while let Some(e) = next.next_if(|e| e.0 <= start) {
                (w, r) = (w + e.2, r + e.3);
            }
            let (mut most_w, mut most_r) = (w, r);
            while let Some(e) = next.next_if(|e| e.0 < end) {
                (w, r) = (w + e.2, r + e.3);
                (most_w, most_r) = (most_w.max(w), most_r.max(r));
            }
            depth.push(DepthPoint {
                t_ms: start,
                waiting: most_w.max(0) as u64,
                running: most_r.max(0) as u64,
            });
            start = end;
        }
        let seconds = ((now_ms - since_ms) as f64 / 1000.0).max(0.001);
        QueueView {
            now_ms,
            since_ms,
            step_ms: step,
            waiting,
            running,
            finished,
            cancelled,
            finished_per_second: (finished as f64 / seconds * 1000.0).round() / 1000.0,
            wait: Spread::of(waits),
            service: Spread::of(services),
            depth,
            truncated,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn job(created: i64, started: Option<i64>, finished: Option<i64>, state: &str) -> JobTimes {
        JobTimes {
            created_ms: created,
            started_ms: started,
            finished_ms: finished,
            state: state.to_owned(),
        }
    }

    #[test]
    fn the_depth_follows_each_job_from_arrival_to_its_end() {
        // Three jobs arrive at 0, 10 and 20; one worker takes them in turn.
        let jobs = [
            job(0, Some(0), Some(30), job_state::DONE),
            job(10, Some(30), Some(60), job_state::DONE),
            job(20, Some(60), None, job_state::RUNNING),
            job(50, None, Some(55), job_state::CANCELLED),
        ];
        let view = QueueView::of(&jobs, 0, 600);
        assert_eq!(view.step_ms, 10);
        assert_eq!(view.depth.len(), 60);
        let at = |t: i64| view.depth.iter().find(|p| p.t_ms == t).copied().unwrap();
        assert_eq!((at(0).waiting, at(0).running), (0, 1));
        assert_eq!((at(10).waiting, at(10).running), (1, 1));
        assert_eq!((at(20).waiting, at(20).running), (2, 1));
        // At 30 the first ends and the second is taken: one waits.
        assert_eq!((at(30).waiting, at(30).running), (1, 1));
        // The cancelled job waited from 50 to 55.
        assert_eq!(at(50).waiting, 2);
        assert_eq!((at(60).waiting, at(60).running), (0, 1));
        assert_eq!((at(590).waiting, at(590).running), (0, 1));
        assert_eq!((view.waiting, view.running), (0, 1));
        assert_eq!((view.finished, view.cancelled), (2, 1));
        assert_eq!(view.wait.count, 3);
        assert_eq!(view.wait.max_ms, Some(40));
        assert_eq!(view.service.p50_ms, Some(30));
    }

    #[test]
    fn jobs_from_before_the_window_count_as_its_starting_depth() {
        let jobs = [job(-100, None, None, job_state::QUEUED)];
        let view = QueueView::of(&jobs, 0, 60);
        assert!(view.depth.iter().all(|p| p.waiting == 1));
        assert_eq!(view.wait.count, 0);
    }

    #[test]
    fn percentiles_are_nearest_rank() {
        let s = Spread::of((1..=100).rev().collect());
        assert_eq!(
            (s.p50_ms, s.p90_ms, s.p99_ms, s.max_ms),
            (Some(50), Some(90), Some(99), Some(100))
        );
        assert_eq!(Spread::of(vec![]).p50_ms, None);
    }
}
