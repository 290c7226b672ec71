//! The `preflight` binary: see `prompt_preflight_server::cli`.

fn main() -> std::process::ExitCode {
    prompt_preflight_server::cli::main()
}
