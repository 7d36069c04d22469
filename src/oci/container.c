/* oci/container.c: not written yet */
typedef int staple_placeholder_container;
