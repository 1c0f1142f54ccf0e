use std::io::IsTerminal;
use std::process::ExitCode;

use clap::Parser;
use govreview::cli::{Cli, ColorChoice};
use govreview::{Env, Progress};

/// mimalloc reuses the per-row-group buffers of the Parquet fast path instead of handing them back
/// to the kernel and faulting them in again (see BENCHMARKS.md).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// How long mimalloc keeps freed memory before giving it back to the kernel, in milliseconds.
/// mimalloc v3's default, a second, kept the column buffers of earlier row groups resident beside
/// the current ones (20 to 80 MiB more at the peak on the benchmark's layouts); 250 ms gives most
/// of it back at no measured cost in speed, where 0 to 100 ms multiplied the kernel's share of
/// the time (BENCHMARKS.md).
const PURGE_DELAY_MS: std::ffi::c_long = 250;

/// `mi_option_purge_delay` in mimalloc v3's `mi_option_e` (mimalloc.h); a test checks it.
const MI_OPTION_PURGE_DELAY: libmimalloc_sys::mi_option_t = 15;

/// The allocator's settings, before any other thread starts: freed memory given back after
/// [`PURGE_DELAY_MS`], and no transparent huge pages (mimalloc asks for them on its arenas; a
/// 2 MiB page faulted in whole for a few kilobytes of a reused buffer raised the peak by 15 to 80
/// MiB, at no gain in speed).
fn tune_memory() {
    // SAFETY: mi_option_set only stores the value; it is called before any thread is started
    // (it is not thread safe).
    unsafe { libmimalloc_sys::mi_option_set(MI_OPTION_PURGE_DELAY, PURGE_DELAY_MS) };
    // SAFETY: prctl(PR_SET_THP_DISABLE) takes integers only and sets a flag of this process.
    #[cfg(target_os = "linux")]
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
        // GOVREVIEW_NO_FAST_PARQUET: the name from before CSV took the fast path too.
        fast_path: ["GOVREVIEW_NO_FAST_PATH", "GOVREVIEW_NO_FAST_PARQUET"]
            .iter()
            .all(|k| std::env::var_os(k).is_none()),
        timings: std::env::var_os("GOVREVIEW_TIMINGS").is_some(),
        admin_key: var("ANTHROPIC_ADMIN_KEY"),
        analytics_key: var("ANTHROPIC_ANALYTICS_KEY"),
        smtp_password: var("GOVREVIEW_SMTP_PASSWORD"),
        progress: (!quiet && std::io::stderr().is_terminal())
            .then(|| Box::new(Spinner(indicatif::ProgressBar::new_spinner())) as Box<dyn Progress>),
    }
}

fn main() -> ExitCode {
    tune_memory();
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
            let _ = std::io::Write::write_fmt(
                &mut err,
                format_args!("{red}error:{red:#} {}\n", e.shown()),
            );
            ExitCode::from(govreview::EXIT_ERROR)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The option number set at start-up is mimalloc's purge delay (whose default is 1000 ms),
    /// so that an update of mimalloc that renumbers its options fails here, not in production.
    #[test]
    fn the_purge_delay_option_is_the_one_set() {
        if std::env::var_os("MIMALLOC_PURGE_DELAY").is_none() {
            // SAFETY: reads an option; no other test of this binary sets options.
            let delay = unsafe { libmimalloc_sys::mi_option_get(MI_OPTION_PURGE_DELAY) };
            assert_eq!(delay, 1000);
        }
    }
}
