/* oci/spec.c: not written yet */
typedef int staple_placeholder_spec;
