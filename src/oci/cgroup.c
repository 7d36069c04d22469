/* oci/cgroup.c: not written yet */
typedef int staple_placeholder_cgroup;
