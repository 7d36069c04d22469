/* oci/process.c: not written yet */
typedef int staple_placeholder_process;
