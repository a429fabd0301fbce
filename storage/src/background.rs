//! The background merge pool: worker threads that keep merging the parts of every table
//! (ClickHouse's background pool), so the number of parts stays bounded under a steady
//! stream of inserts.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::Duration;

use crate::engine::StorageEngine;

/// How long an idle worker sleeps before looking for merges again.
const IDLE_SLEEP: Duration = Duration::from_millis(100);

/// Running background merges; dropping it stops the workers (a running merge is cancelled
/// between chunks and its temporary part removed).
pub struct BackgroundMerges {
    stop: Arc<AtomicBool>,
    workers: Vec<JoinHandle<()>>,
}

impl BackgroundMerges {
    /// Stops the workers and waits for them.
    pub fn stop(&mut self) {
        self.stop.store(true, Ordering::Release);
        for w in self.workers.drain(..) {
            w.thread().unpark();
            let _ = w.join();
        }
    }
}

impl Drop for BackgroundMerges {
    fn drop(&mut self) {
        self.stop();
    }
}

impl StorageEngine {
    /// Starts `threads` background merge workers over every table of the engine.
    pub fn start_background_merges(self: &Arc<Self>, threads: usize) -> BackgroundMerges {
        let stop = Arc::new(AtomicBool::new(false));
        let workers = (0..threads.max(1))
            .map(|i| {
                let engine = self.clone();
                let stop = stop.clone();
                std::thread::Builder::new()
                    .name(format!("merge-{i}"))
                    .spawn(move || worker(engine, stop, i))
                    .expect("spawning a merge thread")
            })
            .collect();
        BackgroundMerges { stop, workers }
    }
}

fn worker(engine: Arc<StorageEngine>, stop: Arc<AtomicBool>, index: usize) {
    while !stop.load(Ordering::Acquire) {
        let mut worked = false;
        let mut tables = engine.all_tables();
        // Spread workers over tables.
        if !tables.is_empty() {
            let k = index % tables.len();
            tables.rotate_left(k);
        }
        for t in tables {
            if stop.load(Ordering::Acquire) {
                return;
            }
            match t.merge_once(&stop) {
                Ok(true) => worked = true,
                Ok(false) => {}
                Err(e) => {
                    if !stop.load(Ordering::Acquire) {
                        tracing::warn!("background merge of {} failed: {e}", t.full_name());
                    }
                }
            }
        }
        if !worked {
            std::thread::park_timeout(IDLE_SLEEP);
        }
    }
}
