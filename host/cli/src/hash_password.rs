//! `authbox hash-password`: the hash to put in a legacy users table or a
//! `config-users` configuration, made exactly as scripts' `password::hash` does.

use authbox::runtime::capabilities::password::{Algorithm, CostLimits, hash};
use clap::{Args, ValueEnum};

use super::{EXIT_FAILURE, EXIT_OK, usage_error};

/// Hash a password (bcrypt cost 10 by default) and print the hash.
#[derive(Args)]
pub struct HashPasswordArgs {
    /// The password; `-` (the default) reads the first line of stdin.
    #[arg(default_value = "-")]
    password: String,

    /// The algorithm.
    #[arg(long, value_enum, default_value_t = AlgorithmArg::Bcrypt)]
    algorithm: AlgorithmArg,

    /// The bcrypt cost (4 to 14).
    #[arg(long, default_value_t = 10)]
    cost: u32,
}

#[derive(Clone, Copy, ValueEnum)]
enum AlgorithmArg {
    Bcrypt,
    Argon2id,
}

/// Runs the command; returns the exit status.
pub fn hash_password(args: HashPasswordArgs) -> u8 {
    let password = match super::run::password(args.password) {
        Ok(password) => password,
        Err(message) => return usage_error(message),
    };
    let algorithm = match args.algorithm {
        AlgorithmArg::Bcrypt => Algorithm::Bcrypt(args.cost),
        AlgorithmArg::Argon2id => Algorithm::Argon2id,
    };
    match hash(&password, algorithm, &CostLimits::default()) {
        Ok(hashed) => {
            println!("{hashed}");
            EXIT_OK
        }
        Err(e) => {
            eprintln!("error: {e}");
            EXIT_FAILURE
        }
    }
}
