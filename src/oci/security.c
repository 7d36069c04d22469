/* oci/security.c: not written yet */
typedef int staple_placeholder_security;
