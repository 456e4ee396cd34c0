//! `server serve` runs the app; `seed-demo` makes a demo database; `import` reads events
//! from a file; `verify` walks the hash chains; `checkpoint` signs their heads now.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;

use app::integrity::checkpoint::{
    CheckpointSigner, load_public_key, public_key_hex, public_key_path, sign_checkpoints,
};
use app::integrity::verify::{partners_to_verify, verify_partner};
use chrono::{DurationRound, TimeDelta, Utc};
use clap::{Parser, Subcommand};
use leptos::prelude::get_configuration;
use server::config::Settings;
use server::demo::{DemoOptions, seed_demo};
use server::import::{ImportFormat, import_file};
use server::startup::{Application, IntegritySettings};
use std::sync::Arc;
use std::time::Duration;

#[derive(Parser)]
#[command(about = "The partner activity log", version)]
struct Cli {
    /// Runtime settings file.
    #[arg(long, global = true, default_value = "Leptos.toml")]
    config: PathBuf,
    /// SQLite database file (default: database.path in the settings file).
    #[arg(long, global = true)]
    db: Option<PathBuf>,
    /// Checkpoint signing key file (default: integrity.signing_key in the settings file).
    #[arg(long, global = true)]
    signing_key: Option<PathBuf>,
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand)]
enum Command {
    /// Serve the app (the default). The database must exist, unless --demo is given.
    Serve {
        /// Address to listen on, e.g. 127.0.0.1:3000 (port 0 picks a free one).
        /// Default: LEPTOS_SITE_ADDR, else site-addr of the build.
        #[arg(long)]
        addr: Option<SocketAddr>,
        /// Create a demo database (public demo accounts, shared password) if the file is
        /// missing. Never done without asking.
        #[arg(long)]
        demo: bool,
        /// Create the signing key if the file is missing (else a missing key is an error).
        #[arg(long)]
        create_key: bool,
    },
    /// Create a new checkpoint signing key (and its public half, KEY.pub); never replaces one.
    Keygen,
    /// Create a demo database: two partners, demo accounts and N events.
    SeedDemo {
        #[arg(long)]
        events: Option<usize>,
        #[arg(long)]
        seed: Option<u64>,
        /// Replace the file if it exists.
        #[arg(long)]
        force: bool,
    },
    /// Store events from FILE for one partner: NDJSON (one ingest event per line) or the
    /// export's CSV. Prints read / stored / duplicates / rejected (with line numbers).
    Import {
        file: PathBuf,
        /// The partner the events belong to: its domain (contoso.example) or id.
        #[arg(long)]
        partner: String,
        /// ndjson or csv (default: from the file's extension).
        #[arg(long)]
        format: Option<String>,
    },
    /// Walk every partner's hash chain and checkpoints; exit 1 if one is broken.
    Verify {
        /// Only this partner (domain or id).
        #[arg(long)]
        partner: Option<String>,
        /// The public key to check signatures with (64 hex digits, e.g. KEY.pub); without
        /// it, the public half of the signing key file is used. Never creates a key.
        #[arg(long)]
        public_key: Option<PathBuf>,
    },
    /// Sign a checkpoint of every chain that grew since its last one.
    Checkpoint,
}

#[tokio::main]
async fn main() -> ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "info,sqlx=warn".into()),
        )
        .init();
    let cli = Cli::parse();
    match run(cli).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("error: {message}");
            ExitCode::FAILURE
        }
    }
}

async fn run(cli: Cli) -> Result<(), String> {
    let settings = Settings::load(&cli.config).map_err(|error| error.to_string())?;
    let database = cli.db.clone().unwrap_or_else(|| settings.database.path.clone());
    let signing_key = cli
        .signing_key
        .clone()
        .unwrap_or_else(|| settings.integrity.signing_key.clone());
    let signer = || CheckpointSigner::load(&signing_key).map_err(|error| error.to_string());
    let command = cli.command.unwrap_or(Command::Serve {
        addr: None,
        demo: false,
        create_key: false,
    });
    match command {
        Command::Keygen => {
            let signer = CheckpointSigner::create(&signing_key).map_err(|error| error.to_string())?;
            println!(
                "created {} (keep it secret) and {} (public key {})",
                signing_key.display(),
                public_key_path(&signing_key).display(),
                public_key_hex(&signer.verifying_key())
            );
            Ok(())
        }
        Command::Import {
            file,
            partner,
            format,
        } => {
            let format = match format.as_deref() {
                Some("ndjson") => ImportFormat::Ndjson,
                Some("csv") => ImportFormat::Csv,
                Some(other) => return Err(format!("unknown format {other:?}; use ndjson or csv")),
                None => ImportFormat::from_path(&file).ok_or_else(|| {
                    format!(
                        "can't tell the format of {} from its name; pass --format ndjson or --format csv",
                        file.display()
                    )
                })?,
            };
            let pool = open_existing(&database).await?;
            let (partner_id, partner_name) = find_partner(&pool, &partner).await?;
            let show_progress = std::io::IsTerminal::is_terminal(&std::io::stderr());
            let summary = import_file(&pool, partner_id, &file, format, show_progress)
                .await
                .map_err(|error| error.to_string());
            pool.close().await;
            let summary = summary?;
            print!("{partner_name}: {summary}");
            if summary.rejected.is_empty() {
                Ok(())
            } else {
                Err(format!("{} lines were rejected", summary.rejected.len()))
            }
        }
        Command::Verify { partner, public_key } => {
            let key = match public_key {
                Some(path) => load_public_key(&path).map_err(|error| error.to_string())?,
                None => signer()?.verifying_key(),
            };
            let pool = open_existing(&database).await?;
            let partners = match partner {
                Some(partner) => vec![find_partner(&pool, &partner).await?.0],
                None => partners_to_verify(&pool)
                    .await
                    .map_err(|error| error.to_string())?,
            };
            let mut broken = 0;
            for partner_id in partners {
                let report = verify_partner(&pool, partner_id, &key)
                    .await
                    .map_err(|error| error.to_string())?;
                broken += usize::from(report.broken.is_some());
                println!("partner {partner_id}: {report}");
            }
            pool.close().await;
            if broken == 0 {
                Ok(())
            } else {
                Err(format!("{broken} chain(s) broken"))
            }
        }
        Command::Checkpoint => {
            let signer = signer()?;
            let pool = open_existing(&database).await?;
            let made = sign_checkpoints(&pool, &signer, Utc::now())
                .await
                .map_err(|error| error.to_string())?;
            pool.close().await;
            if made.is_empty() {
                println!("no chain grew since its last checkpoint");
            }
            for (partner_id, seq) in made {
                println!("partner {partner_id}: signed a checkpoint at event #{seq}");
            }
            Ok(())
        }
        Command::SeedDemo { events, seed, force } => {
            if database.exists() {
                if !force {
                    return Err(format!(
                        "{} exists; pass --force to replace it",
                        database.display()
                    ));
                }
                remove_database(&database)?;
            }
            let events = events.unwrap_or(settings.demo.events);
            seed_new_database(&database, seed.unwrap_or(settings.demo.seed), events).await
        }
        Command::Serve {
            addr,
            demo,
            create_key,
        } => {
            if !database.exists() {
                if !demo {
                    return Err(format!(
                        "no database at {}: create a demo one with `server seed-demo` (or `server serve --demo`), \
                         or name the right file with --db",
                        database.display()
                    ));
                }
                seed_new_database(&database, settings.demo.seed, settings.demo.events).await?;
            }
            let signer = if create_key {
                CheckpointSigner::load_or_create(&signing_key).map_err(|error| error.to_string())?
            } else {
                signer()?
            };
            let leptos_options = get_configuration(None)
                .map_err(|error| format!("leptos configuration: {error}"))?
                .leptos_options;
            let addr = addr.unwrap_or(leptos_options.site_addr);
            let integrity = IntegritySettings {
                signer: Arc::new(signer),
                checkpoint_every: Duration::from_secs(u64::from(settings.integrity.checkpoint_minutes) * 60),
                whole_walk_every: Duration::from_secs(settings.integrity.whole_walk_seconds),
            };
            let app = Application::build(
                &database,
                settings.session_settings(),
                settings.limits(),
                integrity,
                leptos_options,
                addr,
            )
            .await
            .map_err(|error| error.to_string())?;
            // Tests and scripts wait for this exact line to learn the port.
            println!("listening on http://{}", app.local_addr());
            app.run_until_stopped().await.map_err(|error| error.to_string())?;
            println!("stopped cleanly");
            Ok(())
        }
    }
}

async fn seed_new_database(database: &std::path::Path, seed: u64, events: usize) -> Result<(), String> {
    let pool = app::db::connect(database)
        .await
        .map_err(|error| format!("cannot create {}: {error}", database.display()))?;
    // Whole hours, so two seeds in the same hour are identical.
    let now = Utc::now()
        .duration_trunc(TimeDelta::hours(1))
        .unwrap_or_else(|_| Utc::now());
    let summary = seed_demo(&pool, &DemoOptions { seed, events, now })
        .await
        .map_err(|error| error.to_string())?;
    pool.close().await;
    println!(
        "created demo database {}: {} partners, {} users, {} customers, {} subscriptions, {} events",
        database.display(),
        summary.partners,
        summary.users,
        summary.customers,
        summary.subscriptions,
        summary.events
    );
    Ok(())
}

/// Opens a database that must already exist (import and verify never create one).
async fn open_existing(database: &std::path::Path) -> Result<sqlx::SqlitePool, String> {
    if !database.exists() {
        return Err(format!("{} does not exist", database.display()));
    }
    app::db::connect(database)
        .await
        .map_err(|error| format!("cannot open {}: {error}", database.display()))
}

/// A partner by domain or id: (id, name).
async fn find_partner(pool: &sqlx::SqlitePool, partner: &str) -> Result<(i64, String), String> {
    let found: Option<(i64, String)> =
        sqlx::query_as("SELECT id, name FROM partners WHERE domain = $1 OR CAST(id AS TEXT) = $1")
            .bind(partner.trim().to_lowercase())
            .fetch_optional(pool)
            .await
            .map_err(|error| error.to_string())?;
    found.ok_or_else(|| format!("no partner with domain or id {partner:?}"))
}

fn remove_database(database: &std::path::Path) -> Result<(), String> {
    for suffix in ["", "-wal", "-shm"] {
        let mut path = database.as_os_str().to_owned();
        path.push(suffix);
        match std::fs::remove_file(&path) {
            Ok(()) => {}
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => {}
            Err(error) => {
                return Err(format!(
                    "cannot remove {}: {error}",
                    PathBuf::from(path).display()
                ));
            }
        }
    }
    Ok(())
}
