//! The storage engine: a data directory holding databases of MergeTree tables that share one
//! commit log, so a transaction can span tables.
//!
//! ```text
//! <data_dir>/txn.log                       the commit log (see txn_log)
//! <data_dir>/metadata/<db>/                one directory per database
//! <data_dir>/metadata/<db>/<table>.json    a table's definition (TableMetadata), or a
//!                                          view's ({"view": ViewDefinition})
//! <data_dir>/store/<uuid>/                 a table's parts, and detached/
//! ```

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::atomic::Ordering;
use std::sync::Arc;

use parking_lot::{Mutex, RwLock};
use serde::{Deserialize, Serialize};

use crate::error::{Result, StorageError};
use crate::fs as cfs;
use crate::part::layout::escape_file_name;
use crate::schema::TableSchema;
use crate::table::loader::load_parts;
use crate::table::MergeTreeTable;
use crate::transaction::Transaction;
use crate::txn_log::{CommitRecord, LogEntry, TableChange, TxnLog};
use crate::view::{ExternalFile, ExternalTable, QualifiedName, ViewDefinition, ViewFile, ViewKind};

/// A table's persisted definition.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct TableMetadata {
    /// Stable identity; names the data directory.
    pub uuid: String,
    /// The schema.
    pub schema: TableSchema,
    /// The `CREATE TABLE` text, kept for `SHOW CREATE TABLE` (filled by the server).
    #[serde(default)]
    pub create_query: String,
}

enum TableSlot {
    Loaded(Arc<MergeTreeTable>),
    /// The table exists but refused to load; accessing it gives this error.
    Broken(String, i32),
    /// A view (plain or materialized).
    View(Arc<ViewDefinition>),
    /// A table of an engine that keeps no parts here (Kafka).
    External(Arc<ExternalTable>),
}

/// The storage engine over one data directory.
pub struct StorageEngine {
    data_dir: PathBuf,
    log: Arc<Mutex<TxnLog>>,
    catalog: RwLock<BTreeMap<String, BTreeMap<String, TableSlot>>>,
    /// Serialises DDL so metadata files and the catalog change together.
    ddl: Mutex<()>,
}

/// A fresh table identity, UUID-shaped: a hash of the time and the process id.
pub fn new_uuid() -> String {
    let t = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or(0);
    uuid_text(xxhash_rust::xxh3::xxh3_128(
        &[
            t.to_le_bytes().as_slice(),
            &std::process::id().to_le_bytes(),
        ]
        .concat(),
    ))
}

/// `bits` in the UUID text form `xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx`.
pub fn uuid_text(bits: u128) -> String {
    let h = format!("{bits:032x}");
    format!(
        "{}-{}-{}-{}-{}",
        &h[0..8],
        &h[8..12],
        &h[12..16],
        &h[16..20],
        &h[20..32]
    )
}

fn check_name(kind: &str, name: &str) -> Result<()> {
    if name.is_empty() || name.len() > 200 {
        return Err(StorageError::BadArguments(format!(
            "{kind} name '{name}' is empty or too long"
        )));
    }
    Ok(())
}

impl StorageEngine {
    /// Opens the engine over `data_dir` (created if missing): replays the commit log,
    /// loads every table, cleans up what crashed operations left behind. A table that fails
    /// to load stays listed and answers every access with its error.
    pub fn open(data_dir: &Path) -> Result<Arc<StorageEngine>> {
        cfs::create_dir_durable(data_dir)?;
        cfs::create_dir_durable(&data_dir.join("metadata"))?;
        cfs::create_dir_durable(&data_dir.join("store"))?;
        let log = TxnLog::open(data_dir)?;
        let engine = StorageEngine {
            data_dir: data_dir.to_path_buf(),
            log: Arc::new(Mutex::new(log)),
            catalog: RwLock::new(BTreeMap::new()),
            ddl: Mutex::new(()),
        };
        engine.load_catalog()?;
        let engine = Arc::new(engine);
        if !engine.database_exists("default") {
            engine.create_database("default", true)?;
        }
        Ok(engine)
    }

    /// The data directory.
    pub fn data_dir(&self) -> &Path {
        &self.data_dir
    }

    fn db_dir(&self, db: &str) -> PathBuf {
        self.data_dir.join("metadata").join(escape_file_name(db))
    }

    fn table_meta_path(&self, db: &str, table: &str) -> PathBuf {
        self.db_dir(db)
            .join(format!("{}.json", escape_file_name(table)))
    }

    fn unescape(name: &str) -> String {
        let bytes = name.as_bytes();
        let mut out = Vec::with_capacity(bytes.len());
        let mut i = 0;
        while i < bytes.len() {
            if bytes[i] == b'%' && i + 2 < bytes.len() {
                if let Ok(b) = u8::from_str_radix(&name[i + 1..i + 3], 16) {
                    out.push(b);
                    i += 3;
                    continue;
                }
            }
            out.push(bytes[i]);
            i += 1;
        }
        String::from_utf8_lossy(&out).to_string()
    }

    fn load_catalog(&self) -> Result<()> {
        let meta_root = self.data_dir.join("metadata");
        let state = self.log.lock().state().clone();
        let mut catalog = BTreeMap::new();
        let mut known_uuids = std::collections::HashSet::new();
        let mut broken_commits = Vec::new();
        for db_entry in
            std::fs::read_dir(&meta_root).map_err(|e| StorageError::io(&meta_root, e))?
        {
            let db_entry = db_entry.map_err(|e| StorageError::io(&meta_root, e))?;
            if !db_entry.path().is_dir() {
                continue;
            }
            let db = Self::unescape(&db_entry.file_name().to_string_lossy());
            let mut tables = BTreeMap::new();
            for t in std::fs::read_dir(db_entry.path())
                .map_err(|e| StorageError::io(db_entry.path(), e))?
            {
                let t = t.map_err(|e| StorageError::io(db_entry.path(), e))?;
                let fname = t.file_name().to_string_lossy().to_string();
                let Some(stem) = fname.strip_suffix(".json") else {
                    if fname.ends_with(".tmp") {
                        let _ = std::fs::remove_file(t.path());
                    }
                    continue;
                };
                let name = Self::unescape(stem);
                let bytes = std::fs::read(t.path()).map_err(|e| StorageError::io(t.path(), e))?;
                if let Ok(v) = serde_json::from_slice::<ViewFile>(&bytes) {
                    tables.insert(name, TableSlot::View(Arc::new(v.view)));
                    continue;
                }
                if let Ok(x) = serde_json::from_slice::<ExternalFile>(&bytes) {
                    tables.insert(name, TableSlot::External(Arc::new(x.external)));
                    continue;
                }
                let meta: TableMetadata = match serde_json::from_slice(&bytes) {
                    Ok(m) => m,
                    Err(e) => {
                        tracing::error!("cannot read metadata of table {db}.{name}: {e}");
                        tables.insert(
                            name,
                            TableSlot::Broken(
                                format!("Cannot read the metadata of table {db}.{stem}: {e}"),
                                246,
                            ),
                        );
                        continue;
                    }
                };
                known_uuids.insert(meta.uuid.clone());
                let full = format!("{db}.{name}");
                let dir = self.data_dir.join("store").join(&meta.uuid);
                let tstate = state.tables.get(&meta.uuid).cloned().unwrap_or_default();
                match load_parts(&dir, &full, &tstate, &meta.schema.settings) {
                    Ok(loaded) => {
                        tracing::info!("loaded table {full}: {} parts", loaded.parts.len());
                        let table = Arc::new(MergeTreeTable::new(
                            &db,
                            &name,
                            &meta.uuid,
                            dir,
                            meta.schema,
                            loaded.parts,
                            tstate.next_block,
                            self.log.clone(),
                        ));
                        if !loaded.broken.is_empty() {
                            broken_commits.push((table.clone(), loaded.broken));
                        }
                        tables.insert(name, TableSlot::Loaded(table));
                    }
                    Err(e) => {
                        tracing::error!("table {full} refuses to load: {e}");
                        tables.insert(name, TableSlot::Broken(e.to_string(), e.code()));
                    }
                }
            }
            catalog.insert(db, tables);
        }
        // Broken parts leave the active set durably. They were never loaded into the
        // table's snapshot, so this is a record of its own rather than a Transaction
        // (which checks removals against the snapshot).
        for (table, names) in broken_commits {
            let mut log = self.log.lock();
            let txn_id = log.next_txn_id();
            log.append(LogEntry::Commit(CommitRecord {
                txn_id,
                tables: vec![TableChange {
                    table: table.uuid.clone(),
                    added: Vec::new(),
                    removed: names,
                }],
                metadata: Default::default(),
            }))?;
        }
        // Tables dropped by a crashed DROP: metadata gone, state and data left behind.
        let orphans: Vec<String> = state
            .tables
            .keys()
            .filter(|u| !known_uuids.contains(*u))
            .cloned()
            .collect();
        for uuid in orphans {
            self.log.lock().append(LogEntry::DropTable(uuid.clone()))?;
        }
        let store = self.data_dir.join("store");
        for entry in std::fs::read_dir(&store).map_err(|e| StorageError::io(&store, e))? {
            let entry = entry.map_err(|e| StorageError::io(&store, e))?;
            let name = entry.file_name().to_string_lossy().to_string();
            if !known_uuids.contains(&name) {
                tracing::info!("removing data of dropped table {name}");
                cfs::remove_dir_all_if_exists(&entry.path())?;
            }
        }
        *self.catalog.write() = catalog;
        Ok(())
    }

    /// Whether database `db` exists.
    pub fn database_exists(&self, db: &str) -> bool {
        self.catalog.read().contains_key(db)
    }

    /// The databases, sorted.
    pub fn databases(&self) -> Vec<String> {
        self.catalog.read().keys().cloned().collect()
    }

    /// `CREATE DATABASE [IF NOT EXISTS] db`.
    pub fn create_database(&self, db: &str, if_not_exists: bool) -> Result<()> {
        check_name("Database", db)?;
        let _g = self.ddl.lock();
        if self.database_exists(db) {
            if if_not_exists {
                return Ok(());
            }
            return Err(StorageError::DatabaseAlreadyExists(format!(
                "Database {db} already exists"
            )));
        }
        cfs::create_dir_durable(&self.db_dir(db))?;
        self.catalog.write().insert(db.to_string(), BTreeMap::new());
        Ok(())
    }

    /// `DROP DATABASE [IF EXISTS] db`: drops its tables, then the database.
    pub fn drop_database(&self, db: &str, if_exists: bool) -> Result<()> {
        if !self.database_exists(db) {
            if if_exists {
                return Ok(());
            }
            return Err(StorageError::UnknownDatabase(format!(
                "Database {db} does not exist"
            )));
        }
        for t in self.table_names(db)? {
            self.drop_table(db, &t, true)?;
        }
        let _g = self.ddl.lock();
        cfs::remove_dir_all_if_exists(&self.db_dir(db))?;
        cfs::fsync_dir(&self.data_dir.join("metadata"))?;
        self.catalog.write().remove(db);
        Ok(())
    }

    /// The tables of `db`, sorted.
    pub fn table_names(&self, db: &str) -> Result<Vec<String>> {
        let cat = self.catalog.read();
        let tables = cat.get(db).ok_or_else(|| {
            StorageError::UnknownDatabase(format!("Database {db} does not exist"))
        })?;
        Ok(tables.keys().cloned().collect())
    }

    /// `CREATE TABLE [IF NOT EXISTS] db.name`.
    pub fn create_table(
        &self,
        db: &str,
        name: &str,
        schema: TableSchema,
        create_query: &str,
        if_not_exists: bool,
    ) -> Result<Arc<MergeTreeTable>> {
        check_name("Table", name)?;
        schema.validate()?;
        let _g = self.ddl.lock();
        {
            let cat = self.catalog.read();
            let tables = cat.get(db).ok_or_else(|| {
                StorageError::UnknownDatabase(format!("Database {db} does not exist"))
            })?;
            if let Some(slot) = tables.get(name) {
                if if_not_exists {
                    if let TableSlot::Loaded(t) = slot {
                        return Ok(t.clone());
                    }
                }
                return Err(StorageError::TableAlreadyExists(format!(
                    "Table {db}.{name} already exists"
                )));
            }
        }
        let uuid = new_uuid();
        let dir = self.data_dir.join("store").join(&uuid);
        cfs::create_dir_durable(&dir)?;
        let meta = TableMetadata {
            uuid: uuid.clone(),
            schema: schema.clone(),
            create_query: create_query.to_string(),
        };
        let bytes = serde_json::to_vec_pretty(&meta)
            .map_err(|e| StorageError::Logical(format!("serialize table metadata: {e}")))?;
        cfs::write_file_durable(&self.table_meta_path(db, name), &bytes)?;
        let table = Arc::new(MergeTreeTable::new(
            db,
            name,
            &uuid,
            dir,
            schema,
            Vec::new(),
            1,
            self.log.clone(),
        ));
        if let Some(tables) = self.catalog.write().get_mut(db) {
            tables.insert(name.to_string(), TableSlot::Loaded(table.clone()));
        }
        Ok(table)
    }

    /// The persisted definition of `db.name`.
    pub fn table_metadata(&self, db: &str, name: &str) -> Result<TableMetadata> {
        self.table(db, name)?;
        let path = self.table_meta_path(db, name);
        let bytes = std::fs::read(&path).map_err(|e| StorageError::io(&path, e))?;
        serde_json::from_slice(&bytes)
            .map_err(|e| StorageError::CorruptedData(format!("{}: {e}", path.display())))
    }

    /// The table `db.name`. A materialized view answers its target table (as ClickHouse
    /// forwards inserts, reads and OPTIMIZE to it); a plain view is an error (48).
    pub fn table(&self, db: &str, name: &str) -> Result<Arc<MergeTreeTable>> {
        let cat = self.catalog.read();
        let slot = |db: &str, name: &str| -> Result<&TableSlot> {
            let tables = cat.get(db).ok_or_else(|| {
                StorageError::UnknownDatabase(format!("Database {db} does not exist"))
            })?;
            tables.get(name).ok_or_else(|| {
                StorageError::UnknownTable(format!("Table {db}.{name} does not exist"))
            })
        };
        let mut current = slot(db, name)?;
        if let TableSlot::View(v) = current {
            match (&v.kind, &v.target) {
                (ViewKind::Materialized, Some(target)) => {
                    current = slot(&target.database, &target.table)?;
                }
                _ => {
                    return Err(StorageError::NotImplemented(format!(
                        "Table {db}.{name} is a view: it cannot be written to or merged"
                    )))
                }
            }
        }
        match current {
            TableSlot::Loaded(t) => Ok(t.clone()),
            TableSlot::Broken(msg, code) => Err(match code {
                231 => StorageError::TooManyBrokenParts(msg.clone()),
                _ => StorageError::CorruptedData(msg.clone()),
            }),
            TableSlot::View(_) => Err(StorageError::NotImplemented(format!(
                "The target of view {db}.{name} is a view"
            ))),
            TableSlot::External(x) => Err(StorageError::NotImplemented(format!(
                "Table {db}.{name} has engine {}: it is read through materialized views",
                x.engine
            ))),
        }
    }

    /// The definition of `db.name` when it is a table of an engine that keeps no parts
    /// here (Kafka).
    pub fn external_table(&self, db: &str, name: &str) -> Option<Arc<ExternalTable>> {
        match self.catalog.read().get(db)?.get(name)? {
            TableSlot::External(x) => Some(x.clone()),
            _ => None,
        }
    }

    /// Every external table as (name, definition).
    pub fn external_tables(&self) -> Vec<(QualifiedName, Arc<ExternalTable>)> {
        let cat = self.catalog.read();
        let mut out = Vec::new();
        for (db, tables) in cat.iter() {
            for (name, slot) in tables {
                if let TableSlot::External(x) = slot {
                    out.push((QualifiedName::new(db, name), x.clone()));
                }
            }
        }
        out
    }

    /// `CREATE TABLE [IF NOT EXISTS] db.name (...) ENGINE = Kafka ...`: persists the
    /// definition. Returns false when it existed and `if_not_exists` was given.
    pub fn create_external_table(
        &self,
        db: &str,
        name: &str,
        table: ExternalTable,
        if_not_exists: bool,
    ) -> Result<bool> {
        let file = ExternalFile { external: table };
        let bytes = serde_json::to_vec_pretty(&file)
            .map_err(|e| StorageError::Logical(format!("serialize table metadata: {e}")))?;
        self.create_catalog_entry(
            db,
            name,
            &bytes,
            TableSlot::External(Arc::new(file.external)),
            if_not_exists,
        )
    }

    /// Persists `bytes` as the metadata of `db.name` and lists `slot` under the name, unless
    /// the name is taken.
    fn create_catalog_entry(
        &self,
        db: &str,
        name: &str,
        bytes: &[u8],
        slot: TableSlot,
        if_not_exists: bool,
    ) -> Result<bool> {
        check_name("Table", name)?;
        let _g = self.ddl.lock();
        {
            let cat = self.catalog.read();
            let tables = cat.get(db).ok_or_else(|| {
                StorageError::UnknownDatabase(format!("Database {db} does not exist"))
            })?;
            if tables.contains_key(name) {
                if if_not_exists {
                    return Ok(false);
                }
                return Err(StorageError::TableAlreadyExists(format!(
                    "Table {db}.{name} already exists"
                )));
            }
        }
        cfs::write_file_durable(&self.table_meta_path(db, name), bytes)?;
        if let Some(tables) = self.catalog.write().get_mut(db) {
            tables.insert(name.to_string(), slot);
        }
        Ok(true)
    }

    /// The definition of view `db.name`; `None` when it is a table or does not exist.
    pub fn view(&self, db: &str, name: &str) -> Option<Arc<ViewDefinition>> {
        match self.catalog.read().get(db)?.get(name)? {
            TableSlot::View(v) => Some(v.clone()),
            _ => None,
        }
    }

    /// The materialized views whose source is the table `db.name`, with their names, in
    /// name order.
    pub fn dependent_views(
        &self,
        db: &str,
        name: &str,
    ) -> Vec<(QualifiedName, Arc<ViewDefinition>)> {
        let cat = self.catalog.read();
        let mut out = Vec::new();
        for (vdb, tables) in cat.iter() {
            for (vname, slot) in tables {
                if let TableSlot::View(v) = slot {
                    if v.source.as_ref().is_some_and(|s| s.is(db, name)) {
                        out.push((QualifiedName::new(vdb, vname), v.clone()));
                    }
                }
            }
        }
        out
    }

    /// `CREATE [MATERIALIZED] VIEW [IF NOT EXISTS] db.name`: persists the definition.
    /// Returns false when it existed and `if_not_exists` was given.
    pub fn create_view(
        &self,
        db: &str,
        name: &str,
        definition: ViewDefinition,
        if_not_exists: bool,
    ) -> Result<bool> {
        let file = ViewFile { view: definition };
        let bytes = serde_json::to_vec_pretty(&file)
            .map_err(|e| StorageError::Logical(format!("serialize view metadata: {e}")))?;
        self.create_catalog_entry(
            db,
            name,
            &bytes,
            TableSlot::View(Arc::new(file.view)),
            if_not_exists,
        )
    }

    /// Every loaded table.
    pub fn all_tables(&self) -> Vec<Arc<MergeTreeTable>> {
        self.catalog
            .read()
            .values()
            .flat_map(|t| t.values())
            .filter_map(|s| match s {
                TableSlot::Loaded(t) => Some(t.clone()),
                TableSlot::Broken(..) | TableSlot::View(_) | TableSlot::External(_) => None,
            })
            .collect()
    }

    /// `DROP TABLE [IF EXISTS] db.name`: the definition goes first (durably), then the
    /// table's state in the log, then its data. A crash in between is finished at startup.
    pub fn drop_table(&self, db: &str, name: &str, if_exists: bool) -> Result<()> {
        let _g = self.ddl.lock();
        let slot = {
            let mut cat = self.catalog.write();
            let tables = cat.get_mut(db).ok_or_else(|| {
                StorageError::UnknownDatabase(format!("Database {db} does not exist"))
            })?;
            match tables.remove(name) {
                Some(s) => s,
                None if if_exists => return Ok(()),
                None => {
                    return Err(StorageError::UnknownTable(format!(
                        "Table {db}.{name} does not exist"
                    )))
                }
            }
        };
        let path = self.table_meta_path(db, name);
        let meta: Option<TableMetadata> = match &slot {
            TableSlot::View(_) | TableSlot::External(_) => None,
            _ => std::fs::read(&path)
                .ok()
                .and_then(|b| serde_json::from_slice(&b).ok()),
        };
        std::fs::remove_file(&path).map_err(|e| StorageError::io(&path, e))?;
        cfs::fsync_dir(&self.db_dir(db))?;
        if let TableSlot::Loaded(t) = &slot {
            t.dropped.store(true, Ordering::Release);
        }
        if let Some(meta) = meta {
            self.log
                .lock()
                .append(LogEntry::DropTable(meta.uuid.clone()))?;
            cfs::remove_dir_all_if_exists(&self.data_dir.join("store").join(&meta.uuid))?;
        }
        Ok(())
    }

    /// A new transaction over this engine's commit log.
    pub fn begin(&self) -> Transaction {
        Transaction::new(self.log.clone())
    }

    /// A committed metadata value (e.g. Kafka offsets stored with parts).
    pub fn committed_metadata(&self, key: &str) -> Option<String> {
        self.log.lock().state().metadata.get(key).cloned()
    }

    /// Committed metadata whose keys start with `prefix`.
    pub fn committed_metadata_prefix(&self, prefix: &str) -> BTreeMap<String, String> {
        self.log
            .lock()
            .state()
            .metadata
            .range(prefix.to_string()..)
            .take_while(|(k, _)| k.starts_with(prefix))
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect()
    }
}
