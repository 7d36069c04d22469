/* test_security.c: placeholder until the security module's tests are written. */
#include <criterion/criterion.h>

Test(security, placeholder_builds) { cr_assert(1); }
