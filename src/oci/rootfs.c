/* oci/rootfs.c: not written yet */
typedef int staple_placeholder_rootfs;
