#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| pgrst_jwt_fuzz::compact_claims::run(data));
