//! Builds the JavaScript engine guest (`js-engine/`: QuickJS through
//! rquickjs, for `wasm32-wasip2`) that the runtime embeds. QuickJS is C, so
//! this needs a C compiler for wasm: Debian's `clang-19`, `llvm-19`
//! (`llvm-ar-19`), `lld-19`, `libclang-rt-19-dev-wasm32` and `wasi-libc`.
//! Without them the runtime still builds, without JavaScript: the build
//! warns, and the runtime answers JavaScript with what to install.

#[path = "build/guest_cargo.rs"]
mod guest_cargo;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::{env, fs};

/// The Debian packages the engine's C part needs.
const PACKAGES: &str = "clang-19 llvm-19 lld-19 libclang-rt-19-dev-wasm32 wasi-libc";

fn main() {
    println!("cargo::rustc-check-cfg=cfg(authbox_js_engine)");
    let manifest = PathBuf::from(env::var("CARGO_MANIFEST_DIR").unwrap());
    let out_dir = PathBuf::from(env::var("OUT_DIR").unwrap());
    let engine_dir = manifest.join("js-engine");
    guest_cargo::watch(&engine_dir);
    guest_cargo::watch(&manifest.join("../../guest-sdk"));
    println!("cargo:rerun-if-changed=build/guest_cargo.rs");
    for var in ["AUTHBOX_JS_CC", "AUTHBOX_JS_AR", "AUTHBOX_WASI_INCLUDE"] {
        println!("cargo:rerun-if-env-changed={var}");
    }

    let toolchain = match Toolchain::find(&out_dir) {
        Ok(toolchain) => toolchain,
        Err(missing) => {
            let reason = format!(
                "this authbox was built without its JavaScript engine: {missing}. Install Debian's {PACKAGES} (apt-get install {PACKAGES}) and rebuild"
            );
            println!("cargo:warning={reason}");
            println!("cargo:rustc-env=AUTHBOX_JS_ENGINE_MISSING={reason}");
            return;
        }
    };

    let target_dir = out_dir.join("js-engine-target");
    let target_var = guest_cargo::TARGET.replace('-', "_");
    let status = guest_cargo::build_command(&engine_dir, &target_dir)
        .env(format!("CC_{target_var}"), &toolchain.cc)
        .env(format!("AR_{target_var}"), &toolchain.ar)
        .env(
            format!("CFLAGS_{target_var}"),
            format!("--sysroot={}", toolchain.sysroot.display()),
        )
        .env("RQUICKJS_SYS_NO_WASI_SDK", "1")
        .status()
        .expect("could not run cargo for the JavaScript engine");
    assert!(
        status.success(),
        "building the JavaScript engine in {} failed (see above)",
        engine_dir.display()
    );
    let built = guest_cargo::artifact(&target_dir, "authbox-js-engine");
    fs::copy(&built, out_dir.join("js_engine.wasm")).expect("copying the JavaScript engine");
    println!("cargo:rustc-cfg=authbox_js_engine");
}

/// The C toolchain for wasm that QuickJS is compiled with.
struct Toolchain {
    cc: PathBuf,
    ar: PathBuf,
    /// A directory whose `include/` is wasi-libc's headers.
    sysroot: PathBuf,
}

impl Toolchain {
    fn find(out_dir: &Path) -> Result<Toolchain, String> {
        let cc = tool("AUTHBOX_JS_CC", "clang-19")?;
        let ar = tool("AUTHBOX_JS_AR", "llvm-ar-19")?;
        if !cc_targets_wasm(&cc) {
            return Err(format!(
                "{} cannot link for wasm32 (lld-19 and libclang-rt-19-dev-wasm32 missing?)",
                cc.display()
            ));
        }
        let include = env::var_os("AUTHBOX_WASI_INCLUDE")
            .map(PathBuf::from)
            .unwrap_or_else(|| PathBuf::from("/usr/include/wasm32-wasi"));
        if !include.join("stdlib.h").exists() {
            return Err(format!("no wasi-libc headers in {}", include.display()));
        }
        // clang looks for `<sysroot>/include`; wasi-libc puts its headers
        // under a directory named after its target.
        let sysroot = out_dir.join("wasi-sysroot");
        let link = sysroot.join("include");
        if fs::read_link(&link).ok().as_deref() != Some(include.as_path()) {
            let _ = fs::remove_file(&link);
            fs::create_dir_all(&sysroot).map_err(|e| e.to_string())?;
            std::os::unix::fs::symlink(&include, &link).map_err(|e| e.to_string())?;
        }
        Ok(Toolchain { cc, ar, sysroot })
    }
}

/// `$VAR`, or `default` found on the `PATH`.
fn tool(var: &str, default: &str) -> Result<PathBuf, String> {
    if let Some(path) = env::var_os(var) {
        return Ok(PathBuf::from(path));
    }
    env::var_os("PATH")
        .iter()
        .flat_map(env::split_paths)
        .map(|dir| dir.join(default))
        .find(|path| path.is_file())
        .ok_or_else(|| format!("{default} is not installed"))
}

/// Whether `cc` has the wasm32 builtins (compiles and links an empty file).
fn cc_targets_wasm(cc: &Path) -> bool {
    Command::new(cc)
        .args([
            "--target=wasm32-wasi",
            "-print-libgcc-file-name",
            "-rtlib=compiler-rt",
        ])
        .output()
        .ok()
        .and_then(|out| String::from_utf8(out.stdout).ok())
        .is_some_and(|path| Path::new(path.trim()).exists())
}
