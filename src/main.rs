//! The `envlock` command-line program: a thin layer over the library.

fn main() -> std::process::ExitCode {
    envlock::cli::main()
}
