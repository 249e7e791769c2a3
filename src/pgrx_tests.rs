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
}
