/* oci/cgroup_v2.c: not written yet */
typedef int staple_placeholder_cgroup_v2;
