//! Fuzzing harness of pgrst_jwt's pure core (the `pgrst_jwt_core` crate): one `run(data)`
//! per target, each checking properties (not only "no panic"). Used by the cargo fuzz
//! targets in `fuzz_targets/` and, through `core/src/lib.rs`, by the core's unit tests,
//! which replay the seed corpora and every crash or hang reproducer kept in
//! `fuzz/regressions/<target>/`.

pub mod compact_claims;
pub mod differential;
pub mod key_text;
pub mod keys;
pub mod role_path;
pub mod verify_token;

/// A target's entry point.
pub type Target = fn(&[u8]);

/// Every target, by the name of its fuzz binary and corpus directory.
pub const TARGETS: &[(&str, Target)] = &[
    ("verify_token", verify_token::run),
    ("compact_claims", compact_claims::run),
    ("key_text", key_text::run),
    ("role_path", role_path::run),
    ("differential", differential::run),
];

#[cfg(test)]
mod replay {
    use std::path::PathBuf;

    /// `fuzz/`: the manifest directory of the fuzz crate, or beside the core's (`core/`).
    fn fuzz_dir() -> PathBuf {
        let manifest = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
        if manifest.ends_with("fuzz") {
            manifest
        } else {
            manifest.join("..").join("fuzz")
        }
    }

    /// Runs every file of `fuzz/<kind>/<target>/` through its target; returns the count.
    fn replay(kind: &str) -> usize {
        let mut n = 0;
        for (name, run) in super::TARGETS {
            let dir = fuzz_dir().join(kind).join(name);
            let Ok(entries) = std::fs::read_dir(&dir) else {
                continue;
            };
            let mut files: Vec<_> = entries.flatten().map(|e| e.path()).collect();
            files.sort();
            for f in files {
                let data = std::fs::read(&f).unwrap();
                let t = std::time::Instant::now();
                run(&data);
                // a hang reproducer must now finish quickly (debug build: generous)
                assert!(
                    t.elapsed() < std::time::Duration::from_secs(5),
                    "{} took {:?}",
                    f.display(),
                    t.elapsed()
                );
                n += 1;
            }
        }
        n
    }

    #[test]
    fn fuzz_regressions_replay() {
        // the directory exists (with a README) even before the first finding
        assert!(fuzz_dir().join("regressions").is_dir());
        replay("regressions");
    }

    #[test]
    fn fuzz_seed_corpora_replay() {
        let n = replay("seeds");
        assert!(n >= 5 * 3, "the seed corpora are missing ({n} files)");
    }
}
