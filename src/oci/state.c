/* oci/state.c: not written yet */
typedef int staple_placeholder_state;
