//! Chunks produced on several threads and consumed in order.
//!
//! Worker `w` of `n` produces chunks `w`, `w + n`, `w + 2n`, ...; the calling thread takes
//! them in chunk order. A chunk depends only on its number, so the consumed sequence is
//! the same whatever `n` is. The consumer may hand a spent chunk back to the worker that
//! made it (to reuse its buffer).

use std::io;
use std::sync::mpsc;

/// Chunks each worker may have finished ahead of the consumer.
const AHEAD: usize = 1;

/// Produces chunks `0..count` on `workers` threads and hands them to `consume` in order.
///
/// `state` makes each worker's private state once; `produce(state, chunk, spare)` makes
/// chunk `chunk`, given a spent chunk to reuse when one came back; `consume` takes each
/// chunk and may return it for reuse. The first error (a worker's or the consumer's) stops
/// everything and is returned.
pub fn run_ordered<T, S>(
    workers: usize,
    count: u64,
    state: impl Fn() -> S + Sync,
    produce: impl Fn(&mut S, u64, Option<T>) -> io::Result<T> + Sync,
    mut consume: impl FnMut(T) -> io::Result<Option<T>>,
) -> io::Result<()>
where
    T: Send,
{
    let workers = workers.clamp(1, count.max(1) as usize);
    let (state, produce) = (&state, &produce);
    std::thread::scope(|scope| {
        let mut lanes = Vec::with_capacity(workers);
        for w in 0..workers {
            let (done_tx, done_rx) = mpsc::sync_channel::<io::Result<T>>(AHEAD);
            let (spare_tx, spare_rx) = mpsc::channel::<T>();
            scope.spawn(move || {
                let mut st = state();
                for chunk in (w as u64..count).step_by(workers) {
                    let made = produce(&mut st, chunk, spare_rx.try_recv().ok());
                    let failed = made.is_err();
                    // A closed channel means the consumer gave up: stop quietly.
                    if done_tx.send(made).is_err() || failed {
                        return;
                    }
                }
            });
            lanes.push((done_rx, spare_tx));
        }
        for chunk in 0..count {
            let (done, spare) = &lanes[(chunk % workers as u64) as usize];
            let made = done
                .recv()
                .map_err(|_| io::Error::other("a generator thread stopped"))??;
            if let Some(spent) = consume(made)? {
                // The worker may have finished its last chunk already.
                let _ = spare.send(spent);
            }
        }
        Ok(())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chunks_arrive_in_order_whatever_the_worker_count() {
        for workers in [1, 2, 3, 8] {
            let mut seen = Vec::new();
            run_ordered(
                workers,
                20,
                || (),
                |_, chunk, spare: Option<Vec<u64>>| {
                    let mut v = spare.unwrap_or_default();
                    v.clear();
                    v.push(chunk * 10);
                    Ok(v)
                },
                |v| {
                    seen.extend_from_slice(&v);
                    Ok(Some(v))
                },
            )
            .unwrap();
            assert_eq!(seen, (0..20).map(|c| c * 10).collect::<Vec<_>>());
        }
    }

    #[test]
    fn errors_stop_the_run() {
        let r = run_ordered(
            2,
            100,
            || (),
            |_, chunk, _| {
                if chunk == 7 {
                    Err(io::Error::other("boom"))
                } else {
                    Ok(chunk)
                }
            },
            |_| Ok(None),
        );
        assert_eq!(r.unwrap_err().to_string(), "boom");
    }
}
