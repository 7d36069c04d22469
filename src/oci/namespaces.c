/* oci/namespaces.c: not written yet */
typedef int staple_placeholder_namespaces;
