//! `#[pg_test]`s: the SQL layer inside a real PostgreSQL (run by `cargo pgrx test`, which
//! builds with the Cargo feature `pg_test`; `make pgtest`).

use pgrx::prelude::*;

#[pg_schema]
pub mod tests {
    use pgrx::prelude::*;

    const SECRET: &str = "reallyreallyreallyreallyverysafe";

    #[pg_test]
    fn sign_then_verify_in_sql() {
        let token = Spi::get_one::<String>(&format!(
            "SELECT jwt_sign('{{\"role\": \"web\", \"exp\": 4102444800.7}}'::jsonb, '{SECRET}')"
        ))
        .unwrap()
        .unwrap();
        let role = Spi::get_one::<String>(&format!(
            "SELECT jwt_verify('{token}', '{SECRET}') ->> 'role'"
        ))
        .unwrap();
        assert_eq!(role.as_deref(), Some("web"));
        let exp = Spi::get_one::<String>(&format!(
            "SELECT jwt_verify('{token}', '{SECRET}') ->> 'exp'"
        ))
        .unwrap();
        assert_eq!(exp.as_deref(), Some("4102444800"));
    }

    #[pg_test]
    fn json_jsonb_and_literal_claims_resolve() {
        for claims in ["'{\"a\":1}'::jsonb", "'{\"a\":1}'::json", "'{\"a\":1}'"] {
            let t = Spi::get_one::<String>(&format!("SELECT jwt_sign({claims}, '{SECRET}')"))
                .unwrap()
                .unwrap();
            assert!(t.starts_with("eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJhIjoxfQ."));
        }
    }

    #[pg_test(error = "JWT expired")]
    fn expired_token_raises() {
        let t = Spi::get_one::<String>(&format!("SELECT jwt_sign('{{\"exp\":1}}', '{SECRET}')"))
            .unwrap()
            .unwrap();
        Spi::run(&format!("SELECT jwt_verify('{t}', '{SECRET}')")).unwrap();
    }

    #[pg_test]
    fn check_reports_reason() {
        let reason =
            Spi::get_one::<String>(&format!("SELECT reason FROM jwt_check('a.b', '{SECRET}')"))
                .unwrap();
        assert_eq!(reason.as_deref(), Some("malformed"));
    }

    fn set_env(name: &str, value: &str) {
        // the backend reads its own process environment, as it would the postmaster's
        std::env::set_var(name, value);
    }

    #[pg_test]
    fn secret_from_env_signs_and_verifies() {
        set_env("PGTEST_JWT_SECRET", SECRET);
        let fp = Spi::get_one::<String>("SELECT set_pgrst_secret_from_env('PGTEST_JWT_SECRET')")
            .unwrap()
            .unwrap();
        assert!(fp.starts_with("sha256:") && !fp.contains(SECRET));
        let t = Spi::get_one::<String>("SELECT jwt_sign('{\"role\":\"web\"}'::jsonb)")
            .unwrap()
            .unwrap();
        let role = Spi::get_one::<String>(&format!("SELECT jwt_verify('{t}') ->> 'role'")).unwrap();
        assert_eq!(role.as_deref(), Some("web"));
        let (configured, source) =
            Spi::get_two::<bool, String>("SELECT configured, source FROM jwt_secret_status()")
                .unwrap();
        assert_eq!(configured, Some(true));
        assert_eq!(source.as_deref(), Some("extension table"));
    }

    #[pg_test(error = "The environment variable holding the JWT secret is not set or empty")]
    fn unset_env_var_is_refused() {
        Spi::run("SELECT set_pgrst_secret_from_env('PGTEST_SURELY_UNSET_VARIABLE')").unwrap();
    }

    #[pg_test(error = "The JWT secret must be at least 32 characters long.")]
    fn short_env_secret_is_refused() {
        set_env("PGTEST_SHORT_SECRET", "too-short");
        Spi::run("SELECT set_pgrst_secret_from_env('PGTEST_SHORT_SECRET')").unwrap();
    }

    #[pg_test(error = "permission denied: set_pgrst_secret_from_env")]
    fn non_superuser_cannot_read_the_environment() {
        set_env("PGTEST_JWT_SECRET", SECRET);
        Spi::run("CREATE ROLE pgtest_plain; GRANT EXECUTE ON FUNCTION set_pgrst_secret_from_env(text, boolean, name) TO pgtest_plain; SET ROLE pgtest_plain").unwrap();
        Spi::run("SELECT set_pgrst_secret_from_env('PGTEST_JWT_SECRET')").unwrap();
    }

    #[pg_test(error = "Server lacks JWT secret")]
    fn verify_without_secret_raises() {
        Spi::run("DELETE FROM pgrst_jwt_secret").unwrap();
        Spi::run("SELECT jwt_verify('a.b.c')").unwrap();
    }

    #[pg_test]
    fn role_claim_key_follows_the_setting() {
        let r = Spi::get_one::<String>("SELECT jwt_role('{\"role\":\"web\"}')").unwrap();
        assert_eq!(r.as_deref(), Some("web"));
        Spi::run("SET LOCAL pgrst.jwt_role_claim_key = '$.app.roles[0]'").unwrap();
        let r =
            Spi::get_one::<String>("SELECT jwt_role('{\"app\":{\"roles\":[\"admin\"]}}')").unwrap();
        assert_eq!(r.as_deref(), Some("admin"));
        let r = Spi::get_one::<String>("SELECT jwt_role('{\"role\":\"web\"}')").unwrap();
        assert_eq!(r, None);
    }

    #[pg_test]
    fn request_claims_helpers() {
        assert_eq!(
            Spi::get_one::<pgrx::JsonB>("SELECT jwt_claims()")
                .unwrap()
                .map(|j| j.0),
            None
        );
        Spi::run(
            "SELECT set_config('request.jwt.claims', '{\"sub\":\"u1\",\"n\":2,\"z\":null}', true)",
        )
        .unwrap();
        let sub = Spi::get_one::<String>("SELECT jwt_claim('sub')").unwrap();
        assert_eq!(sub.as_deref(), Some("u1"));
        let n = Spi::get_one::<String>("SELECT jwt_claim('n')").unwrap();
        assert_eq!(n.as_deref(), Some("2"));
        assert_eq!(
            Spi::get_one::<String>("SELECT jwt_claim('z')").unwrap(),
            None
        );
        assert_eq!(
            Spi::get_one::<String>("SELECT jwt_claim('missing')").unwrap(),
            None
        );
        let c = Spi::get_one::<String>("SELECT jwt_claims() ->> 'sub'").unwrap();
        assert_eq!(c.as_deref(), Some("u1"));
    }

    /// JSON objects of every shape the direct jsonb builder takes, and some it leaves to
    /// jsonb_in: keys that repeat and tie on length, more members than one JEntry
    /// stride (32), escapes, non-ASCII text, whole numbers of every size, nesting.
    fn jsonb_cases() -> Vec<String> {
        struct Gen(u64);
        impl Gen {
            fn next(&mut self, n: u64) -> u64 {
                self.0 = self
                    .0
                    .wrapping_mul(6364136223846793005)
                    .wrapping_add(1442695040888963407);
                (self.0 >> 33) % n
            }
            fn key(&mut self) -> String {
                const KEYS: [&str; 12] = [
                    "a", "b", "ab", "ba", "aa", "", "é", "role", "exp", "k\\u00e9", "a\\nb", "zz",
                ];
                if self.next(3) == 0 {
                    format!("k{}", self.next(60))
                } else {
                    KEYS[self.next(KEYS.len() as u64) as usize].to_string()
                }
            }
            fn number(&mut self) -> String {
                match self.next(6) {
                    0 => [
                        "0",
                        "-0",
                        "10000",
                        "-10000",
                        "100000000",
                        "999999999999999999",
                    ][self.next(6) as usize]
                        .to_string(),
                    1 => format!("{}", self.next(10) * 10u64.pow(self.next(18) as u32)),
                    2 => format!("1.{}", self.next(100)),
                    3 => format!("{}e{}", self.next(100), self.next(5)),
                    _ => {
                        let digits = 1 + self.next(18) as u32;
                        let v = self.next(10u64.pow(digits));
                        if self.next(2) == 0 {
                            format!("-{v}")
                        } else {
                            format!("{v}")
                        }
                    }
                }
            }
            fn string(&mut self) -> String {
                const PARTS: [&str; 10] = [
                    "x",
                    "hello",
                    "\\n",
                    "\\\"",
                    "\\\\",
                    "\\/",
                    "\\u00e9",
                    "\\ud83d\\ude00",
                    "中",
                    "\\t",
                ];
                let n = self.next(6);
                let mut s = String::from("\"");
                for _ in 0..n {
                    s.push_str(PARTS[self.next(PARTS.len() as u64) as usize]);
                }
                s.push('"');
                s
            }
            fn value(&mut self, depth: u32) -> String {
                let kinds = if depth > 3 { 5 } else { 7 };
                match self.next(kinds) {
                    0 => "null".into(),
                    1 => ["true", "false"][self.next(2) as usize].into(),
                    2 => self.number(),
                    3 | 4 => self.string(),
                    5 => {
                        let max = if self.next(4) == 0 { 40 } else { 4 };
                        let n = self.next(max);
                        let items: Vec<String> = (0..n).map(|_| self.value(depth + 1)).collect();
                        format!("[{}]", items.join(","))
                    }
                    _ => self.object(depth + 1),
                }
            }
            fn object(&mut self, depth: u32) -> String {
                let max = if self.next(4) == 0 { 40 } else { 5 };
                let n = self.next(max);
                let members: Vec<String> = (0..n)
                    .map(|_| format!("\"{}\" : {}", self.key(), self.value(depth)))
                    .collect();
                format!("{{{}}}", members.join(", "))
            }
        }
        let mut g = Gen(20261207);
        (0..3000).map(|_| g.object(0)).collect()
    }

    /// The jsonb the extension builds without jsonb_in (`sqltypes::to_jsonb` through the
    /// core's `jsonb::from_json_object`) has jsonb_in's very bytes, and is what
    /// jwt_verify returns.
    #[pg_test]
    fn jsonb_built_directly_is_jsonb_ins() {
        let mut built = 0;
        for text in jsonb_cases() {
            let Some(direct) = pgrst_jwt_core::jsonb::from_json_object(&text) else {
                continue;
            };
            built += 1;
            let c = std::ffi::CString::new(text.clone()).unwrap();
            // SAFETY: jsonb_in takes a NUL-terminated cstring (alive for the call) and
            // returns a jsonb varlena with a 4-byte header, read here within its size.
            let by_jsonb_in = unsafe {
                let d = pgrx::direct_function_call_as_datum(
                    pg_sys::jsonb_in,
                    &[Some(c.as_ptr().into())],
                )
                .unwrap();
                let p = d.cast_mut_ptr::<pg_sys::varlena>();
                std::slice::from_raw_parts(p.cast::<u8>(), pgrx::varlena::varsize_any(p)).to_vec()
            };
            assert_eq!(direct, by_jsonb_in, "{text}");
        }
        assert!(built > 1000, "only {built} cases were built directly");
        // through jwt_verify: the same value as jsonb_in's, byte for byte once stored
        Spi::run(&format!(
            "CREATE TEMP TABLE direct AS SELECT jwt_verify(jwt_sign(c, '{SECRET}'), '{SECRET}') AS v, \
             c::jsonb AS w FROM (VALUES ('{{\"role\":\"web\",\"exp\":4102444800,\"e\":\"\\u00e9\",\"a\":[1,-20000,{{}}]}}')) t(c)"
        ))
        .unwrap();
        let same = Spi::get_one::<bool>(
            "SELECT v::text = w::text AND pg_column_size(v) = pg_column_size(w) FROM direct",
        )
        .unwrap();
        assert_eq!(same, Some(true));
    }
}
