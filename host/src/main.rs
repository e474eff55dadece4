//! The `authbox` command.

mod cli;

/// A server's requests allocate many small, short-lived values on several
/// threads, which mimalloc serves faster than the system allocator.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> std::process::ExitCode {
    cli::main()
}
