/* oci/hooks.c: not written yet */
typedef int staple_placeholder_hooks;
