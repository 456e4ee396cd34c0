//! What each subcommand does, once `main` has parsed the command line and read the
//! settings. Every failure is a [`CommandError`] whose message names the file, key or
//! partner involved and what to do; `main` prints it and exits 1.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use app::db::{Database, Db};
use app::ids::PartnerId;
use app::integrity::checkpoint::{
    CheckpointSigner, KeyError, load_public_key, public_key_hex, public_key_path, sign_checkpoints,
};
use app::integrity::verify::{partners_to_verify, verify_partner};
use chrono::{DurationRound, TimeDelta, Utc};
use leptos::prelude::get_configuration;

use crate::config::Settings;
use crate::demo::{DemoOptions, SeedError, seed_demo};
use crate::import::{ImportError, ImportFormat, import_file};
use crate::startup::{Application, IntegritySettings, StartupError};

#[derive(Debug, thiserror::Error)]
pub enum CommandError {
    #[error(transparent)]
    Key(#[from] KeyError),
    #[error(
        "no database at {0}: create a demo one with `server seed-demo` (or `server serve --demo`), \
         or name the right file with --db"
    )]
    NoDatabase(PathBuf),
    #[error("{0} exists; pass --force to replace it")]
    DatabaseExists(PathBuf),
    #[error("cannot open {database}: {source}")]
    Database { database: String, source: sqlx::Error },
    #[error(
        "{0} already holds data; seed-demo and copy only fill an empty PostgreSQL database \
         (--force replaces SQLite files only)"
    )]
    NotEmpty(String),
    #[error(
        "--demo never seeds a PostgreSQL database; run `server seed-demo` on it once, or \
         `server copy --to …` from a SQLite file"
    )]
    NoDemoOnPostgres,
    #[error("copy reads a SQLite database and writes a PostgreSQL one; {0}")]
    CopyDirection(&'static str),
    #[error("cannot remove {path}: {source}")]
    Remove { path: PathBuf, source: std::io::Error },
    #[error("no partner with domain or id {0:?}")]
    NoPartner(String),
    #[error("unknown format {0:?}; use ndjson or csv")]
    UnknownFormat(String),
    #[error("can't tell the format of {0} from its name; pass --format ndjson or --format csv")]
    FormatNotKnown(PathBuf),
    #[error(transparent)]
    Import(#[from] ImportError),
    #[error("{0} lines were rejected")]
    Rejected(usize),
    #[error("{0} chain(s) broken")]
    Broken(usize),
    #[error(transparent)]
    Seed(#[from] SeedError),
    #[error(transparent)]
    Startup(#[from] StartupError),
    #[error("leptos configuration: {0}")]
    Leptos(String),
    #[error("the server stopped with an error: {0}")]
    Serve(std::io::Error),
    #[error(transparent)]
    Copy(#[from] crate::copy::CopyError),
    #[error("database error: {0}")]
    Query(#[from] sqlx::Error),
    #[error("{0}")]
    App(String),
    #[error("no log streaming destination {0}")]
    NoDestination(i64),
    #[error(transparent)]
    Tree(#[from] app::integrity::tree::TreeError),
}

/// `server keygen`: a new signing key and its public half; never replaces one.
pub fn keygen(signing_key: &Path) -> Result<(), CommandError> {
    let signer = CheckpointSigner::create(signing_key)?;
    println!(
        "created {} (keep it secret) and {} (public key {})",
        signing_key.display(),
        public_key_path(signing_key).display(),
        public_key_hex(&signer.verifying_key())
    );
    Ok(())
}

/// `server import FILE --partner P [--format F]`.
pub async fn import(
    database: &Database,
    file: &Path,
    partner: &str,
    format: Option<&str>,
) -> Result<(), CommandError> {
    let format = match format {
        Some("ndjson") => ImportFormat::Ndjson,
        Some("csv") => ImportFormat::Csv,
        Some(other) => return Err(CommandError::UnknownFormat(other.to_string())),
        None => {
            ImportFormat::from_path(file).ok_or_else(|| CommandError::FormatNotKnown(file.to_path_buf()))?
        }
    };
    let pool = open_existing(database).await?;
    let (partner_id, partner_name) = find_partner(&pool, partner).await?;
    let show_progress = std::io::IsTerminal::is_terminal(&std::io::stderr());
    let summary = import_file(&pool, partner_id, file, format, show_progress).await;
    pool.close().await;
    let summary = summary?;
    print!("{partner_name}: {summary}");
    match summary.rejected.len() {
        0 => Ok(()),
        rejected => Err(CommandError::Rejected(rejected)),
    }
}

/// `server verify [--partner P] [--public-key FILE]`: with no public key, the public half of
/// the signing key file (which must exist: nothing is created).
pub async fn verify(
    database: &Database,
    signing_key: &Path,
    public_key: Option<&Path>,
    partner: Option<&str>,
) -> Result<(), CommandError> {
    let key = match public_key {
        Some(path) => load_public_key(path)?,
        None => CheckpointSigner::load(signing_key)?.verifying_key(),
    };
    let pool = open_existing(database).await?;
    let partners = match partner {
        Some(partner) => vec![find_partner(&pool, partner).await?.0],
        None => partners_to_verify(&pool).await?,
    };
    let mut broken = 0;
    for partner_id in partners {
        let report = verify_partner(&pool, partner_id, &key).await?;
        broken += usize::from(report.broken.is_some());
        println!("partner {partner_id}: {report}");
    }
    pool.close().await;
    match broken {
        0 => Ok(()),
        broken => Err(CommandError::Broken(broken)),
    }
}

/// `server build-trees`: each partner's Merkle tree, from where it stopped up to its chain's
/// head (a database from before the trees). Safe to stop and run again, beside a server.
pub async fn build_trees(database: &Database, partner: Option<&str>) -> Result<(), CommandError> {
    let pool = open_existing(database).await?;
    let partners = match partner {
        Some(partner) => vec![find_partner(&pool, partner).await?.0],
        None => partners_to_verify(&pool).await?,
    };
    let show_progress = std::io::IsTerminal::is_terminal(&std::io::stderr());
    for partner_id in partners {
        let mut last_shown = std::time::Instant::now();
        let started = std::time::Instant::now();
        let built = app::integrity::build_trees::build(&pool, partner_id, |done, total| {
            if done == total || last_shown.elapsed() >= Duration::from_secs(1) {
                last_shown = std::time::Instant::now();
                let end = if show_progress && done < total { '\r' } else { '\n' };
                eprint!("partner {partner_id}: {done} of {total} events in its tree{end}");
            }
        })
        .await?;
        println!(
            "partner {partner_id}: tree of {built} events ({:.1} s)",
            started.elapsed().as_secs_f64()
        );
    }
    pool.close().await;
    Ok(())
}

/// `server checkpoint`: signs every chain that grew, now.
pub async fn checkpoint(database: &Database, signing_key: &Path, origin: &str) -> Result<(), CommandError> {
    let signer = CheckpointSigner::load(signing_key)?.with_origin(origin);
    let pool = open_existing(database).await?;
    let made = sign_checkpoints(&pool, &signer, Utc::now()).await;
    pool.close().await;
    let made = made?;
    if made.is_empty() {
        println!("no chain grew since its last checkpoint");
    }
    for (partner_id, seq) in made {
        println!("partner {partner_id}: signed a checkpoint at event #{seq}");
    }
    Ok(())
}

/// `server copy --to postgres://…`: the whole database into an empty PostgreSQL one.
pub async fn copy(database: &Database, target: &Database) -> Result<(), CommandError> {
    if database.is_postgres() {
        return Err(CommandError::CopyDirection(
            "run it with --database-url naming the SQLite file",
        ));
    }
    if !target.is_postgres() {
        return Err(CommandError::CopyDirection("--to must be a postgres:// URL"));
    }
    let (Db::Sqlite(source), Db::Postgres(target_pool)) =
        (open_existing(database).await?, connect(target).await?)
    else {
        unreachable!("the backends were checked above");
    };
    let show_progress = std::io::IsTerminal::is_terminal(&std::io::stderr());
    let mut last_shown = std::time::Instant::now();
    let copied = crate::copy::copy_sqlite_to_postgres(&source, &target_pool, |table, done, total| {
        if done == total || last_shown.elapsed() >= Duration::from_secs(1) {
            last_shown = std::time::Instant::now();
            let end = if show_progress { '\r' } else { '\n' };
            eprint!("{table}: {done} of {total} rows{end}");
            if done == total && show_progress {
                eprintln!();
            }
        }
    })
    .await;
    source.close().await;
    target_pool.close().await;
    let copied = copied?;
    let total: u64 = copied.iter().map(|(_, rows)| rows).sum();
    println!(
        "copied {} into {}: {total} rows in {} tables; check it with `server verify --database-url …`",
        database.describe(),
        target.describe(),
        copied.len()
    );
    Ok(())
}

/// `server seed-demo [--events N] [--seed S] [--force]`.
pub async fn seed_demo_database(
    database: &Database,
    seed: u64,
    events: usize,
    force: bool,
) -> Result<(), CommandError> {
    match database {
        Database::SqliteFile(path) if path.exists() => {
            if !force {
                return Err(CommandError::DatabaseExists(path.clone()));
            }
            remove_database(path)?;
        }
        Database::SqliteFile(_) => {}
        // Asked for by name: seeds only an empty database (checked once connected).
        Database::Postgres(_) => {}
    }
    seed_new_database(database, seed, events).await
}

/// What `server serve` was asked for besides the settings file.
pub struct ServeOptions {
    pub addr: Option<SocketAddr>,
    /// Create a demo database if the file is missing.
    pub demo: bool,
    pub signing: Signing,
    /// Where to serve the metrics, if anywhere.
    pub metrics_addr: Option<SocketAddr>,
}

/// Whether this server signs checkpoints.
pub enum Signing {
    /// With the signing key file, which must exist.
    WithKey,
    /// With the signing key file, created if missing.
    CreateKeyIfMissing,
    /// Not at all (`--no-sign`): no private key is read; signatures are checked with this
    /// public key file, else the signing key's `KEY.pub`.
    Off { public_key: Option<PathBuf> },
}

/// `server serve`: runs until SIGINT/SIGTERM.
pub async fn serve(
    settings: &Settings,
    database: &Database,
    signing_key: &Path,
    options: ServeOptions,
) -> Result<(), CommandError> {
    match database {
        Database::SqliteFile(path) if !path.exists() => {
            if !options.demo {
                return Err(CommandError::NoDatabase(path.clone()));
            }
            seed_new_database(database, settings.demo.seed, settings.demo.events).await?;
        }
        Database::SqliteFile(_) => {}
        Database::Postgres(_) if options.demo => return Err(CommandError::NoDemoOnPostgres),
        Database::Postgres(_) => {}
    }
    let origin = &settings.integrity.origin;
    // A signing server checks signatures with its own key's public half.
    let signing = |signer: CheckpointSigner| {
        let public_key = signer.verifying_key();
        (Some(Arc::new(signer)), public_key)
    };
    let (signer, public_key) = match options.signing {
        Signing::WithKey => signing(CheckpointSigner::load(signing_key)?.with_origin(origin)),
        Signing::CreateKeyIfMissing => {
            signing(CheckpointSigner::load_or_create(signing_key)?.with_origin(origin))
        }
        Signing::Off { public_key } => {
            let path = public_key.unwrap_or_else(|| public_key_path(signing_key));
            (None, load_public_key(&path)?)
        }
    };
    let leptos_options = get_configuration(None)
        .map_err(|error| CommandError::Leptos(error.to_string()))?
        .leptos_options;
    let addr = options.addr.unwrap_or(leptos_options.site_addr);
    let stale = crate::files::remove_stale_precompressed(Path::new(&*leptos_options.site_root));
    if stale > 0 {
        println!("removed {stale} precompressed files older than the site's files they were made from");
    }
    let integrity = IntegritySettings {
        signer,
        public_key,
        checkpoint_every: Duration::from_secs(u64::from(settings.integrity.checkpoint_minutes) * 60),
        audit_period: Duration::from_secs(settings.integrity.audit_period_seconds),
    };
    let app = Application::build(
        database,
        settings.session_settings(),
        settings.limits(),
        integrity,
        leptos_options,
        addr,
    )
    .await?
    .with_connection_limits(settings.connection_limits());
    let app = match options.metrics_addr {
        Some(addr) => app.with_metrics_on(addr).await?,
        None => app,
    };
    if let Some(addr) = app.metrics_addr() {
        println!("metrics on http://{addr}{}", crate::metrics::METRICS_PATH);
    }
    // Tests and scripts wait for this exact line to learn the port.
    println!("listening on http://{}", app.local_addr());
    app.run_until_stopped().await.map_err(CommandError::Serve)?;
    println!("stopped cleanly");
    Ok(())
}

async fn seed_new_database(database: &Database, seed: u64, events: usize) -> Result<(), CommandError> {
    let pool = connect(database).await?;
    if app::partners::count(&pool).await? > 0 {
        pool.close().await;
        return Err(CommandError::NotEmpty(database.describe()));
    }
    // Whole hours, so two seeds in the same hour are identical.
    let now = Utc::now()
        .duration_trunc(TimeDelta::hours(1))
        .unwrap_or_else(|_| Utc::now());
    let summary = seed_demo(&pool, &DemoOptions { seed, events, now }).await;
    pool.close().await;
    let summary = summary?;
    println!(
        "created demo database {}: {} partners, {} users, {} customers, {} subscriptions, {} events",
        database.describe(),
        summary.partners,
        summary.users,
        summary.customers,
        summary.subscriptions,
        summary.events
    );
    Ok(())
}

/// Opens a database that must already exist (import, verify and checkpoint never create a
/// SQLite file; a PostgreSQL database is made by its server's administrator).
/// What `server streams` does.
#[derive(Debug, Clone, Copy)]
pub enum StreamsAction {
    List,
    Pause(i64),
    Resume(i64),
}

/// `server streams list|pause ID|resume ID`: the operator's view of log streaming, for
/// every partner (the page shows each partner its own). Pausing here is what the page's
/// Pause does; resuming also lifts a pause the destination put itself in.
pub async fn streams(database: &Database, action: StreamsAction) -> Result<(), CommandError> {
    use app::streaming::store;
    let pool = open_existing(database).await?;
    let done = async {
        match action {
            StreamsAction::List => {
                let now = Utc::now().timestamp_millis();
                println!("id\tpartner\tkind\tname\tstate\tdelivered_position\tfailures\tlast_error");
                for destination in store::list(&pool, None).await? {
                    let latest = app::event_table::chain::chain_position(&pool, destination.partner_id)
                        .await
                        .map_err(|error| CommandError::App(error.to_string()))?;
                    let status = destination.status(latest, None, now);
                    let state = match (&status.paused_reason, status.enabled) {
                        (Some(_), _) => "paused (failing)",
                        (None, false) => "paused",
                        (None, true) => "running",
                    };
                    println!(
                        "{}\t{}\t{}\t{}\t{state}\t{} ({} behind)\t{}\t{}",
                        status.id,
                        destination.partner_id,
                        status.kind.as_str(),
                        status.name,
                        status.delivered_position,
                        status.lag_events,
                        status.failures_in_row,
                        status.last_error.as_deref().unwrap_or("-"),
                    );
                }
            }
            StreamsAction::Pause(id) | StreamsAction::Resume(id) => {
                let enabled = matches!(action, StreamsAction::Resume(_));
                store::get(&pool, id)
                    .await?
                    .ok_or(CommandError::NoDestination(id))?;
                store::set_enabled(&pool, id, enabled).await?;
                println!("destination {id}: {}", if enabled { "resumed" } else { "paused" });
            }
        }
        Ok(())
    }
    .await;
    pool.close().await;
    done
}

async fn open_existing(database: &Database) -> Result<Db, CommandError> {
    if let Database::SqliteFile(path) = database
        && !path.exists()
    {
        return Err(CommandError::NoDatabase(path.clone()));
    }
    connect(database).await
}

/// Opens (creating a missing SQLite file) the database, with migrations, naming it (never
/// its password) on failure.
async fn connect(database: &Database) -> Result<Db, CommandError> {
    app::db::connect(database)
        .await
        .map_err(|source| CommandError::Database {
            database: database.describe(),
            source,
        })
}

async fn find_partner(pool: &Db, partner: &str) -> Result<(PartnerId, String), CommandError> {
    app::partners::find_by_domain_or_id(pool, partner)
        .await?
        .map(|found| (found.id, found.name))
        .ok_or_else(|| CommandError::NoPartner(partner.to_string()))
}

fn remove_database(database: &Path) -> Result<(), CommandError> {
    for suffix in ["", "-wal", "-shm"] {
        let mut path = database.as_os_str().to_owned();
        path.push(suffix);
        match std::fs::remove_file(&path) {
            Ok(()) => {}
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => {}
            Err(source) => {
                return Err(CommandError::Remove {
                    path: PathBuf::from(path),
                    source,
                });
            }
        }
    }
    Ok(())
}
