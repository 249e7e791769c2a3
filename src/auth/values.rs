//! The values the `auth` functions read and return, without copies on the hot path:
//! settings as their raw bytes (in the database's encoding, as `current_setting()`
//! returns them), and results built from cached bytes (`text`, `jsonb` varlenas).

use pgrx::callconv::{BoxRet, FcInfo};
use pgrx::datum::Datum;
use pgrx::pg_sys;
use pgrx::prelude::*;
use pgrx::{direct_function_call_as_datum, IntoDatum};
use std::ffi::{CStr, CString};

/// A setting's value as `nullif(current_setting(name, true), '')` sees it: None when
/// it does not exist or is empty (no trimming: `' '` is a value).
///
/// # Safety
/// The slice points into the GUC machinery's copy of the value, valid until the setting
/// changes: use it before anything can change a setting (no SQL, no function that sets
/// one), and copy what must be kept.
pub unsafe fn setting<'a>(name: &CStr) -> Option<&'a [u8]> {
    // SAFETY: GetConfigOption with missing_ok returns NULL or a NUL-terminated string
    // owned by the GUC machinery (the caller's contract covers its lifetime).
    let p = unsafe { pg_sys::GetConfigOption(name.as_ptr(), true, false) };
    if p.is_null() {
        return None;
    }
    // SAFETY: not NULL, NUL-terminated.
    let bytes = unsafe { CStr::from_ptr(p) }.to_bytes();
    (!bytes.is_empty()).then_some(bytes)
}

/// `text::jsonb` (jsonb_in, in the database's encoding): its errors are PostgreSQL's.
pub fn jsonb_in(text: &[u8]) -> pg_sys::Datum {
    // a setting never holds NUL: its bytes end at the first one anyway
    let c = CString::new(text.split(|b| *b == 0).next().unwrap_or_default()).unwrap_or_default();
    // SAFETY: jsonb_in(cstring) → jsonb, with `c` alive for the call; it raises its own
    // errors (22P02 for JSON that is not valid).
    unsafe {
        direct_function_call_as_datum(pg_sys::jsonb_in, &[Some(pg_sys::Datum::from(c.as_ptr()))])
            .expect("jsonb_in returns a value")
    }
}

/// `jsonb ->> name`: the field's text (bytes in the database's encoding), None when the
/// value is not an object, has no such field or it is JSON null.
pub fn field_text(jsonb: pg_sys::Datum, name: &str) -> Option<Vec<u8>> {
    // SAFETY: jsonb_object_field_text(jsonb, text) → text or NULL; the result is a text
    // varlena in the current memory context, copied here.
    unsafe {
        let t = direct_function_call_as_datum(
            pg_sys::jsonb_object_field_text,
            &[Some(jsonb), name.into_datum()],
        )?;
        let v = pg_sys::pg_detoast_datum_packed(t.cast_mut_ptr());
        Some(pgrx::varlena::varlena_to_byte_slice(v).to_vec())
    }
}

/// `text::uuid` (uuid_in): its errors are PostgreSQL's (22P02 for a text that is no uuid).
pub fn uuid_in(text: &[u8]) -> [u8; 16] {
    let c = CString::new(text.split(|b| *b == 0).next().unwrap_or_default()).unwrap_or_default();
    // SAFETY: uuid_in(cstring) → a pointer to 16 bytes in the current memory context,
    // read at once; `c` is alive for the call.
    unsafe {
        let d = direct_function_call_as_datum(
            pg_sys::uuid_in,
            &[Some(pg_sys::Datum::from(c.as_ptr()))],
        )
        .expect("uuid_in returns a value");
        *d.cast_mut_ptr::<[u8; 16]>()
    }
}

/// The bytes of a varlena datum as built (jsonb_in's results are plain 4-byte-header
/// varlenas): the whole value, header included, to be copied back by [`varlena_datum`].
pub fn varlena_bytes(d: pg_sys::Datum) -> Vec<u8> {
    // SAFETY: `d` is a varlena datum, not toasted (just built); its size is in its header.
    unsafe {
        let p = pg_sys::pg_detoast_datum_packed(d.cast_mut_ptr());
        let len = pgrx::varlena::varsize_any(p);
        std::slice::from_raw_parts(p as *const u8, len).to_vec()
    }
}

/// A varlena datum in the current memory context, from bytes of [`varlena_bytes`].
pub fn varlena_datum(bytes: &[u8]) -> pg_sys::Datum {
    // SAFETY: palloc'd copy of a complete varlena (header included), as it was built.
    unsafe {
        let p = pg_sys::palloc(bytes.len()) as *mut u8;
        std::ptr::copy_nonoverlapping(bytes.as_ptr(), p, bytes.len());
        pg_sys::Datum::from(p)
    }
}

/// A text datum in the current memory context, from bytes in the database's encoding.
pub fn text_datum(bytes: &[u8]) -> pg_sys::Datum {
    // SAFETY: builds a text varlena from the bytes (palloc'd in the current context).
    let t = unsafe { pg_sys::cstring_to_text_with_len(bytes.as_ptr().cast(), bytes.len() as i32) };
    pg_sys::Datum::from(t)
}

/// Result types that are a datum already built for the function's declared type.
macro_rules! built_datum {
    ($name:ident, $sql:literal, $oid:expr) => {
        pub struct $name(pub pg_sys::Datum);

        pgrx::pgrx_sql_entity_graph::impl_sql_translatable!($name, $sql);

        impl IntoDatum for $name {
            fn into_datum(self) -> Option<pg_sys::Datum> {
                Some(self.0)
            }

            fn type_oid() -> pg_sys::Oid {
                $oid
            }
        }

        // SAFETY: the datum was built for the function's declared result type.
        unsafe impl BoxRet for $name {
            /// # Safety
            /// `fcinfo` is the call's, whose result type is the declared one.
            unsafe fn box_into<'fcx>(self, fcinfo: &mut FcInfo<'fcx>) -> Datum<'fcx> {
                // SAFETY: a valid, non-NULL datum of the function's result type.
                unsafe { fcinfo.return_raw_datum(self.0) }
            }
        }
    };
}

built_datum!(TextValue, "text", pg_sys::TEXTOID);
built_datum!(JsonbValue, "jsonb", pg_sys::JSONBOID);
built_datum!(UuidValue, "uuid", pg_sys::UUIDOID);

/// A uuid datum (16 bytes, palloc'd) in the current memory context.
pub fn uuid_datum(bytes: &[u8; 16]) -> UuidValue {
    // SAFETY: palloc'd 16 bytes, the representation of a uuid datum (passed by reference).
    unsafe {
        let p = pg_sys::palloc(16) as *mut u8;
        std::ptr::copy_nonoverlapping(bytes.as_ptr(), p, 16);
        UuidValue(pg_sys::Datum::from(p))
    }
}

/// Raise an error with a SQLSTATE of PostgreSQL's list, a message and a DETAIL.
pub fn raise(code: PgSqlErrorCode, message: &str, detail: &str) -> ! {
    pg_sys::panic::ErrorReport::new(code, message.to_string(), "pgrst_jwt")
        .set_detail(detail)
        .report(PgLogLevel::ERROR);
    unreachable!("ERROR does not return")
}
