//! The command line: `server serve` runs the app; `seed-demo` makes a demo database; `import`
//! reads events from a file; `verify` walks the hash chains; `checkpoint` signs their heads
//! now; `keygen` makes the signing key. What each does is in `commands.rs`.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand, ValueEnum};
use server::commands;
use server::config::Settings;

#[derive(Parser)]
#[command(about = "The partner activity log", version)]
struct Cli {
    /// Runtime settings file.
    #[arg(long, global = true, default_value = "Leptos.toml")]
    config: PathBuf,
    /// The database: `postgres://USER@HOST:PORT/NAME` for PostgreSQL, else a SQLite file
    /// (`sqlite://PATH` or a plain path; `--db` is the same flag). Default: DATABASE_URL,
    /// else database.url, else database.path in the settings file.
    #[arg(
        long,
        visible_alias = "db",
        global = true,
        env = "DATABASE_URL",
        hide_env_values = true
    )]
    database_url: Option<String>,
    /// Checkpoint signing key file (default: integrity.signing_key in the settings file).
    #[arg(long, global = true)]
    signing_key: Option<PathBuf>,
    /// How log lines are written to standard error: `text` for people, `json` (one object
    /// per line: timestamp, level, message, fields, the request's id) for log collectors.
    #[arg(long, global = true, value_enum, default_value_t = LogFormat::Text)]
    log_format: LogFormat,
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
enum LogFormat {
    Text,
    Json,
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
        #[arg(long, conflicts_with = "no_sign")]
        create_key: bool,
        /// Sign no checkpoints here and hold no private key: for a server beside others,
        /// while `server checkpoint` runs elsewhere on a schedule. The badge checks
        /// signatures with --public-key, else the signing key's KEY.pub file.
        #[arg(long)]
        no_sign: bool,
        /// With --no-sign: the public key file (64 hex digits) to check signatures with.
        #[arg(long, requires = "no_sign")]
        public_key: Option<PathBuf>,
        /// Serve Prometheus metrics at http://ADDR/metrics, e.g. 127.0.0.1:9464 (off unless
        /// given: an address of their own, so they are never public by accident).
        #[arg(long)]
        metrics_addr: Option<SocketAddr>,
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
    /// Fetch a server's newest signed checkpoint, check its signature and that it extends
    /// the one the last run kept in --state; exit 1 naming both if history was rewritten.
    Monitor {
        /// The server, e.g. https://activity-log.example.com
        url: String,
        /// An events:read API token of the partner to watch (better: the environment).
        #[arg(long, env = "ALOG_MONITOR_TOKEN", hide_env_values = true)]
        token: String,
        /// The server's checkpoint public key (64 hex digits, as KEY.pub holds it).
        #[arg(long)]
        public_key: PathBuf,
        /// Where the last checkpoint seen is kept between runs.
        #[arg(long)]
        state: PathBuf,
    },
    /// Check a downloaded evidence file (an event, its inclusion proof and a signed
    /// checkpoint), or a JSON-lines export with proofs, with the server's public key alone;
    /// exit 1 saying what does not hold.
    CheckEvidence {
        file: PathBuf,
        /// The server's checkpoint public key (64 hex digits, as KEY.pub holds it).
        #[arg(long)]
        public_key: PathBuf,
    },
    /// Build each partner's Merkle tree up to its chain's head (for a database from before
    /// the trees); restartable, and safe beside a running server.
    BuildTrees {
        /// Only this partner (domain or id).
        #[arg(long)]
        partner: Option<String>,
    },
    /// Copy this (SQLite) database whole into an empty PostgreSQL database: ids, chains,
    /// checkpoints, accounts and sessions. Refuses a target that holds data.
    Copy {
        /// The target, postgres://USER@HOST:PORT/NAME.
        #[arg(long)]
        to: String,
    },
    /// Log streaming destinations of every partner: list them, pause or resume one.
    Streams {
        #[command(subcommand)]
        action: Streams,
    },
}

#[derive(Debug, Subcommand)]
enum Streams {
    /// Each destination: partner, kind, state, delivered position and lag, last error.
    List,
    /// Stop sending to destination ID (its cursor stays where it is).
    Pause { id: i64 },
    /// Send to destination ID again, from its cursor (also after it paused itself).
    Resume { id: i64 },
}

#[tokio::main]
async fn main() -> ExitCode {
    let cli = Cli::parse();
    let logs = tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "info,sqlx=warn".into()),
        )
        // Logs to standard error: standard output carries results (`verify`'s report,
        // "listening on …") that scripts read. Colours only on a terminal, never in a file.
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .with_writer(std::io::stderr);
    match cli.log_format {
        LogFormat::Text => logs.init(),
        // The event's fields beside its message; the request's span (its id) under "span".
        LogFormat::Json => logs
            .json()
            .flatten_event(true)
            .with_current_span(true)
            .with_span_list(false)
            .init(),
    }
    match run(cli).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("error: {message}");
            ExitCode::FAILURE
        }
    }
}

async fn run(cli: Cli) -> Result<(), Box<dyn std::error::Error>> {
    // The checks from outside need no settings, database or key: an auditor runs them
    // anywhere.
    match cli.command {
        Some(Command::CheckEvidence { file, public_key }) => {
            println!("{}", server::check_evidence::check_evidence(&file, &public_key)?);
            return Ok(());
        }
        Some(Command::Monitor {
            url,
            token,
            public_key,
            state,
        }) => {
            println!(
                "{}",
                server::monitor::monitor(&url, &token, &public_key, &state).await?
            );
            return Ok(());
        }
        _ => {}
    }
    let settings = Settings::load(&cli.config)?;
    let database = settings.database.choose(cli.database_url.as_deref());
    let signing_key = cli
        .signing_key
        .unwrap_or_else(|| settings.integrity.signing_key.clone());
    let command = cli.command.unwrap_or(Command::Serve {
        addr: None,
        demo: false,
        create_key: false,
        no_sign: false,
        public_key: None,
        metrics_addr: None,
    });
    match command {
        Command::Keygen => commands::keygen(&signing_key)?,
        Command::Import {
            file,
            partner,
            format,
        } => commands::import(&database, &file, &partner, format.as_deref()).await?,
        Command::Verify { partner, public_key } => {
            commands::verify(&database, &signing_key, public_key.as_deref(), partner.as_deref()).await?
        }
        Command::Checkpoint => {
            commands::checkpoint(&database, &signing_key, &settings.integrity.origin).await?
        }
        Command::Monitor { .. } | Command::CheckEvidence { .. } => unreachable!("answered above"),
        Command::BuildTrees { partner } => commands::build_trees(&database, partner.as_deref()).await?,
        Command::Copy { to } => commands::copy(&database, &app::db::Database::parse(&to)).await?,
        Command::Streams { action } => {
            let action = match action {
                Streams::List => commands::StreamsAction::List,
                Streams::Pause { id } => commands::StreamsAction::Pause(id),
                Streams::Resume { id } => commands::StreamsAction::Resume(id),
            };
            commands::streams(&database, action).await?
        }
        Command::SeedDemo { events, seed, force } => {
            let seed = seed.unwrap_or(settings.demo.seed);
            let events = events.unwrap_or(settings.demo.events);
            commands::seed_demo_database(&database, seed, events, force).await?
        }
        Command::Serve {
            addr,
            demo,
            create_key,
            no_sign,
            public_key,
            metrics_addr,
        } => {
            let signing = match (no_sign, public_key) {
                (false, _) if create_key => commands::Signing::CreateKeyIfMissing,
                (false, _) => commands::Signing::WithKey,
                (true, public_key) => commands::Signing::Off { public_key },
            };
            let options = commands::ServeOptions {
                addr,
                demo,
                signing,
                metrics_addr,
            };
            commands::serve(&settings, &database, &signing_key, options).await?
        }
    }
    Ok(())
}
