use std::process::ExitCode;

use clap::Parser;
use govreview::cli::{Cli, ColorChoice};

fn main() -> ExitCode {
    let cli = Cli::parse();
    let choice = match cli.global.color {
        ColorChoice::Auto => anstream::ColorChoice::Auto,
        ColorChoice::Always => anstream::ColorChoice::Always,
        ColorChoice::Never => anstream::ColorChoice::Never,
    };
    choice.write_global();
    let mut out = anstream::stdout();
    match govreview::run(cli, &mut out) {
        Ok(code) => code,
        Err(e) => {
            let mut err = anstream::stderr();
            let red = anstyle::Style::new()
                .fg_color(Some(anstyle::AnsiColor::Red.into()))
                .bold();
            let _ = std::io::Write::write_fmt(&mut err, format_args!("{red}error:{red:#} {e}\n"));
            ExitCode::from(govreview::EXIT_ERROR)
        }
    }
}
