use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::Parser;
use telnyx_2fa::logs::Lines;
use telnyx_2fa::settings::{ConfigFile, LogFormat, Settings};
use telnyx_2fa::startup::Application;
use tracing_subscriber::EnvFilter;

/// Verify phone numbers with one-time codes sent by SMS through Telnyx.
///
/// Settings come from built-in defaults, then the config file, then
/// TWOFA_<SECTION>__<KEY> environment variables (e.g. TWOFA_OTP__LENGTH=8).
/// Every key, with its default, is in config.example.toml, built into the
/// binary: `telnyx-2fa --print-example-config > config.toml` writes it out.
/// RUST_LOG sets the log level.
#[derive(Parser)]
#[command(version, about)]
struct Cli {
    /// TOML settings file [default: $TWOFA_CONFIG, else ./config.toml if it exists]
    #[arg(long, value_name = "PATH")]
    config: Option<PathBuf>,

    /// Print config.example.toml (every setting, its default and what it does) and exit
    #[arg(long)]
    print_example_config: bool,
}

/// The example settings file, for when only the binary is at hand.
const EXAMPLE_CONFIG: &str = include_str!("../config.example.toml");

#[tokio::main]
async fn main() -> ExitCode {
    // Settings read and the app built (the phone metadata, the languages)
    // give back what they drop at once.
    let starting = telnyx_2fa::starting_up();
    let cli = Cli::parse();
    if cli.print_example_config {
        // Written, not print!ed: a closed pipe (`| head`) is not a panic.
        let mut stdout = std::io::stdout().lock();
        return match stdout
            .write_all(EXAMPLE_CONFIG.as_bytes())
            .and_then(|()| stdout.flush())
        {
            Ok(()) => ExitCode::SUCCESS,
            Err(_) => ExitCode::FAILURE,
        };
    }
    let file = match cli
        .config
        .or_else(|| std::env::var_os("TWOFA_CONFIG").map(PathBuf::from))
    {
        Some(path) => ConfigFile::Required(path),
        None => ConfigFile::IfPresent(Path::new("config.toml").to_path_buf()),
    };
    // Variables that are not Unicode cannot be settings; skip them rather than panic.
    let env = std::env::vars_os()
        .filter_map(|(key, value)| Some((key.into_string().ok()?, value.into_string().ok()?)))
        .collect();
    let settings = match Settings::load(file, &env) {
        Ok(settings) => settings,
        Err(error) => {
            eprintln!("telnyx-2fa: invalid settings: {error}");
            return ExitCode::from(2);
        }
    };
    start_logging(settings.log_format);
    let app = match Application::build(settings).await {
        Ok(app) => app,
        Err(error) => {
            eprintln!("telnyx-2fa: cannot start: {error}");
            return ExitCode::from(2);
        }
    };
    starting.done();
    telnyx_2fa::let_go_of_start_up_pages();
    match app.run_until_stopped().await {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("telnyx-2fa: server error: {error}");
            ExitCode::FAILURE
        }
    }
}

/// Log lines on stdout: text for people, or one JSON object a line (with
/// the time, level, target, message, fields, and the request's id) for a
/// collector. RUST_LOG sets the level; info by default.
fn start_logging(format: LogFormat) {
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info"));
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_ansi(format == LogFormat::Text && std::io::stdout().is_terminal())
        .event_format(Lines::new(format))
        .init();
}
