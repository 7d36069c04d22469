/* oci/spec_default.c: not written yet */
typedef int staple_placeholder_spec_default;
