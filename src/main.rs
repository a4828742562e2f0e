//! The `dockhand` command: parse arguments, run, exit with the documented status.
#![forbid(unsafe_code)]

use clap::Parser;

fn main() {
    let cli = dockhand::cli::Cli::parse();
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("error: cannot start the async runtime: {e}");
            std::process::exit(dockhand::run::exit::INFRASTRUCTURE);
        }
    };
    let code = runtime.block_on(dockhand::cli::commands::run(cli));
    drop(runtime);
    std::process::exit(code);
}
