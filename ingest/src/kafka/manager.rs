//! The Kafka engine of a server: keeps one set of consumer threads per Kafka table that
//! at least one materialized view reads, starting them when the first view appears and
//! stopping them when the last view or the table goes (DROP, DETACH). It looks at the
//! catalog a few times a second, so DDL needs no hooks.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::Duration;

use parking_lot::Mutex;

use granary_query::kafka_consumers::KafkaConsumersSource;
use granary_query::kafka_settings::KafkaSettings;
use granary_storage::view::{ExternalTable, QualifiedName};
use granary_storage::StorageEngine;

use super::consumer::{ConsumerStatus, ConsumerTask};

/// How often the catalog is checked for Kafka tables gaining or losing views.
const RECONCILE_INTERVAL: Duration = Duration::from_millis(200);

/// The consumers of one table.
struct Running {
    definition: Arc<ExternalTable>,
    stop: Arc<AtomicBool>,
    threads: Vec<JoinHandle<()>>,
    statuses: Vec<Arc<Mutex<ConsumerStatus>>>,
}

impl Running {
    /// Asks the consumers to stop and joins them on a thread of its own, so a consumer
    /// that is slow to leave its group never blocks DDL or shutdown.
    fn stop(self) -> JoinHandle<()> {
        self.stop.store(true, Ordering::Release);
        std::thread::spawn(move || {
            for t in self.threads {
                let _ = t.join();
            }
        })
    }
}

/// The Kafka engine: consumers for every Kafka table that views read.
pub struct KafkaEngine {
    engine: Arc<StorageEngine>,
    running: Mutex<HashMap<QualifiedName, Running>>,
    shutdown: AtomicBool,
    reconciler: Mutex<Option<JoinHandle<()>>>,
}

impl KafkaEngine {
    /// Starts the engine over `engine`'s catalog.
    pub fn start(engine: Arc<StorageEngine>) -> Arc<KafkaEngine> {
        let k = Arc::new(KafkaEngine {
            engine,
            running: Mutex::new(HashMap::new()),
            shutdown: AtomicBool::new(false),
            reconciler: Mutex::new(None),
        });
        let weak = Arc::downgrade(&k);
        let handle = std::thread::Builder::new()
            .name("kafka-engine".into())
            .spawn(move || loop {
                let Some(k) = weak.upgrade() else { return };
                if k.shutdown.load(Ordering::Acquire) {
                    return;
                }
                k.reconcile();
                drop(k);
                std::thread::sleep(RECONCILE_INTERVAL);
            });
        match handle {
            Ok(h) => *k.reconciler.lock() = Some(h),
            Err(e) => tracing::error!("cannot start the Kafka engine thread: {e}"),
        }
        k
    }

    /// Starts consumers for Kafka tables that views read and stops those of tables no
    /// view reads any more (or whose definition changed).
    pub fn reconcile(&self) {
        let mut wanted: HashMap<QualifiedName, Arc<ExternalTable>> = HashMap::new();
        for (name, table) in self.engine.external_tables() {
            if table.engine == "Kafka"
                && !self
                    .engine
                    .dependent_views(&name.database, &name.table)
                    .is_empty()
            {
                wanted.insert(name, table);
            }
        }
        let mut running = self.running.lock();
        let gone: Vec<QualifiedName> = running
            .iter()
            .filter(|(n, r)| wanted.get(*n).is_none_or(|t| **t != *r.definition))
            .map(|(n, _)| n.clone())
            .collect();
        for name in gone {
            if let Some(r) = running.remove(&name) {
                tracing::info!("stopping Kafka consumers of {name}");
                r.stop();
            }
        }
        for (name, table) in wanted {
            if running.contains_key(&name) || self.shutdown.load(Ordering::Acquire) {
                continue;
            }
            let settings = match KafkaSettings::from_table(&table) {
                Ok(s) => s,
                Err(e) => {
                    tracing::error!("Kafka table {name}: {e}");
                    continue;
                }
            };
            tracing::info!(
                "starting {} Kafka consumer(s) of {name} (group {}, topics {:?})",
                settings.num_consumers,
                settings.group_name,
                settings.topics
            );
            let stop = Arc::new(AtomicBool::new(false));
            let mut threads = Vec::new();
            let mut statuses = Vec::new();
            for index in 0..settings.num_consumers {
                let status = Arc::new(Mutex::new(ConsumerStatus {
                    database: name.database.clone(),
                    table: name.table.clone(),
                    ..ConsumerStatus::default()
                }));
                let task = ConsumerTask {
                    engine: self.engine.clone(),
                    name: name.clone(),
                    table: table.clone(),
                    settings: settings.clone(),
                    index,
                    stop: stop.clone(),
                    status: status.clone(),
                };
                match std::thread::Builder::new()
                    .name(format!("kafka-{}-{index}", name.table))
                    .spawn(move || task.run())
                {
                    Ok(t) => threads.push(t),
                    Err(e) => tracing::error!("cannot start a Kafka consumer thread: {e}"),
                }
                statuses.push(status);
            }
            running.insert(
                name,
                Running {
                    definition: table,
                    stop,
                    threads,
                    statuses,
                },
            );
        }
    }

    /// The status of every consumer, for `system.kafka_consumers`, sorted by table and
    /// consumer id.
    pub fn consumers(&self) -> Vec<ConsumerStatus> {
        let running = self.running.lock();
        let mut out: Vec<ConsumerStatus> = running
            .values()
            .flat_map(|r| r.statuses.iter().map(|s| s.lock().clone()))
            .collect();
        out.sort_by(|a, b| {
            (&a.database, &a.table, &a.consumer_id).cmp(&(&b.database, &b.table, &b.consumer_id))
        });
        out
    }

    /// Stops every consumer and waits for them (bounded by `timeout`); a batch being
    /// committed finishes first.
    pub fn shutdown(&self, timeout: Duration) {
        self.shutdown.store(true, Ordering::Release);
        let joiners: Vec<JoinHandle<()>> =
            self.running.lock().drain().map(|(_, r)| r.stop()).collect();
        let deadline = std::time::Instant::now() + timeout;
        for j in joiners {
            while !j.is_finished() && std::time::Instant::now() < deadline {
                std::thread::sleep(Duration::from_millis(10));
            }
        }
    }
}

impl KafkaConsumersSource for KafkaEngine {
    fn kafka_consumers(&self) -> Vec<ConsumerStatus> {
        self.consumers()
    }
}

impl Drop for KafkaEngine {
    fn drop(&mut self) {
        self.shutdown.store(true, Ordering::Release);
        for (_, r) in self.running.lock().drain() {
            r.stop.store(true, Ordering::Release);
        }
    }
}
