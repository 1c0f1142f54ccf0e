use std::io::IsTerminal;
use std::process::ExitCode;

use clap::Parser;
use govreview::cli::{Cli, ColorChoice};
use govreview::{Env, Progress};

/// mimalloc reuses the per-row-group buffers of the Parquet fast path instead of handing them back
/// to the kernel and faulting them in again (see BENCHMARKS.md).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// Transparent huge pages off for this process. mimalloc asks for them on its arenas; a 2 MiB page
/// faulted in whole for a few kilobytes of a reused buffer raised the peak resident memory by 15
/// to 80 MiB on the benchmark's layouts, at no gain in speed (BENCHMARKS.md).
#[cfg(target_os = "linux")]
fn no_huge_pages() {
    // SAFETY: prctl(PR_SET_THP_DISABLE) takes integers only and sets a flag of this process.
    unsafe {
        libc::prctl(libc::PR_SET_THP_DISABLE, 1, 0, 0, 0);
    }
}

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
    #[cfg(target_os = "linux")]
    no_huge_pages();
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
