//! The `picklefix` binary: a thin wrapper around the library's command line.

#[cfg(not(target_env = "msvc"))]
#[global_allocator]
static GLOBAL: tikv_jemallocator::Jemalloc = tikv_jemallocator::Jemalloc;

fn main() {
    std::process::exit(picklefix::cli::run());
}
