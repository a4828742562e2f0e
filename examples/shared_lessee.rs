//! One user of a shared stack, as a test process would be: asks for the stack of FILE, prints
//! `run RUN_ID` (or `error MESSAGE`), holds it for HOLD_MS milliseconds and exits.
//!
//! ```sh
//! cargo run --example shared_lessee -- compose/redis.yml demo 2000
//! ```
//!
//! dockhand's own tests start several at once to check that they share one bring-up.

use std::io::Write;
use std::time::Duration;

#[tokio::main]
async fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [file, project, hold_ms] = &args[..] else {
        eprintln!("usage: shared_lessee FILE PROJECT HOLD_MS");
        std::process::exit(2);
    };
    let hold = Duration::from_millis(hold_ms.parse().expect("HOLD_MS is a number"));
    let shared = dockhand::Stack::builder()
        .file(file)
        .project_name(project)
        .shared()
        .await;
    match shared {
        Ok(stack) => {
            println!("run {}", stack.run_id());
            let _ = std::io::stdout().flush();
            tokio::time::sleep(hold).await;
        }
        Err(e) => {
            println!("error {e}");
            std::process::exit(1);
        }
    }
}
