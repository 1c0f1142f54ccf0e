use std::io::IsTerminal;
use std::process::ExitCode;

use clap::Parser;
use govreview::cli::{Cli, ColorChoice};
use govreview::{Env, Progress};

/// mimalloc reuses the per-row-group buffers of the Parquet fast path instead of handing them back
/// to the kernel and faulting them in again (see BENCHMARKS.md).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// A spinner on standard error, for a terminal.
struct Spinner(indicatif::ProgressBar);

impl Progress for Spinner {
    fn show(&self, message: &str) {
        self.0.set_message(message.to_owned());
        self.0
            .enable_steady_tick(std::time::Duration::from_millis(120));
    }

    fn clear(&self) {
        self.0.disable_steady_tick();
        self.0.finish_and_clear();
        self.0.reset();
    }
}

/// What the library needs from the environment, read here and nowhere else.
fn env(quiet: bool) -> Env {
    let var = |k: &str| std::env::var(k).ok().filter(|v| !v.trim().is_empty());
    Env {
        today: chrono::Utc::now().date_naive(),
        fast_parquet: std::env::var_os("GOVREVIEW_NO_FAST_PARQUET").is_none(),
        timings: std::env::var_os("GOVREVIEW_TIMINGS").is_some(),
        admin_key: var("ANTHROPIC_ADMIN_KEY"),
        analytics_key: var("ANTHROPIC_ANALYTICS_KEY"),
        smtp_password: var("GOVREVIEW_SMTP_PASSWORD"),
        progress: (!quiet && std::io::stderr().is_terminal())
            .then(|| Box::new(Spinner(indicatif::ProgressBar::new_spinner())) as Box<dyn Progress>),
    }
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let choice = match cli.global.color {
        ColorChoice::Auto => anstream::ColorChoice::Auto,
        ColorChoice::Always => anstream::ColorChoice::Always,
        ColorChoice::Never => anstream::ColorChoice::Never,
    };
    choice.write_global();
    let env = env(cli.quiet());
    let mut out = anstream::stdout();
    let mut err = anstream::stderr();
    let result = govreview::run(cli, &env, &mut out, &mut err);
    env.clear();
    match result {
        Ok(code) => code,
        Err(e) => {
            let red = anstyle::Style::new()
                .fg_color(Some(anstyle::AnsiColor::Red.into()))
                .bold();
            let _ = std::io::Write::write_fmt(&mut err, format_args!("{red}error:{red:#} {e}\n"));
            ExitCode::from(govreview::EXIT_ERROR)
        }
    }
}
