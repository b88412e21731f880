//! The `picklefix` binary: a thin wrapper around the library's command line.

// jemalloc where it is enabled (the default feature) and builds (Unix); elsewhere the system
// allocator.
#[cfg(all(feature = "jemalloc", unix))]
#[global_allocator]
static GLOBAL: tikv_jemallocator::Jemalloc = tikv_jemallocator::Jemalloc;

fn main() {
    std::process::exit(picklefix::cli::run());
}
