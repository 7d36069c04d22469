/* oci/cgroup_v1.c: not written yet */
typedef int staple_placeholder_cgroup_v1;
