/* test_spec.c: placeholder until the spec module's tests are written. */
#include <criterion/criterion.h>

Test(spec, placeholder_builds) { cr_assert(1); }
