//! The `picklefix` binary: a thin wrapper around the library's command line.

fn main() {
    std::process::exit(picklefix::cli::run());
}
