/* test_stack.c: the compose file parser of engine/stack.c: each supported key in its
 * forms, the refused and unknown keys with their line numbers, and the dependency order.
 * Files are parsed from strings (stack_parse_string); nothing touches the system except
 * the project-name tests, which work under a temp dir they remove. */
#include <criterion/criterion.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "engine/stack.h"
#include "util/cleanup.h"
#include "util/fileutil.h"

static struct err err;

static struct stack *parse_ok(const char *text)
{
        struct stack *s = NULL;
        memset(&err, 0, sizeof(err));
        int r = stack_parse_string(text, strlen(text), "compose.yaml", &s, &err);
        cr_assert_eq(r, 0, "parse failed: %s", err.msg);
        return s;
}

/* The parse fails with code and a message containing want. */
static void parse_fails(const char *text, int code, const char *want)
{
        struct stack *s = NULL;
        memset(&err, 0, sizeof(err));
        int r = stack_parse_string(text, strlen(text), "compose.yaml", &s, &err);
        cr_assert_eq(r, code, "got %d (%s), want %d", r, err.msg, code);
        cr_assert_null(s);
        cr_assert_not_null(strstr(err.msg, want), "message \"%s\" lacks \"%s\"", err.msg, want);
}

static const struct stack_service *svc(const struct stack *s, const char *name)
{
        for (size_t i = 0; i < s->n_services; i++)
                if (!strcmp(s->services[i].name, name))
                        return &s->services[i];
        cr_assert_fail("no service %s", name);
        return NULL;
}

static void assert_strv(char **v, const char *const *want)
{
        size_t i = 0;
        cr_assert_not_null(v);
        for (; want[i]; i++) {
                cr_assert_not_null(v[i], "item %zu missing (want %s)", i, want[i]);
                cr_assert_str_eq(v[i], want[i]);
        }
        cr_assert_null(v[i], "extra item %s", v[i]);
}

#define STRV(...) ((const char *const[]){ __VA_ARGS__, NULL })

Test(stack, minimal_service)
{
        struct stack *s = parse_ok("services:\n  web:\n    image: busybox\n");
        cr_assert_eq(s->n_services, 1);
        cr_assert_str_eq(s->services[0].name, "web");
        cr_assert_str_eq(s->services[0].image, "busybox");
        cr_assert_null(s->services[0].command);
        cr_assert_null(s->services[0].entrypoint);
        cr_assert_eq(s->services[0].line, 2);
        stack_free(s);
}

Test(stack, command_string_is_split_like_sh)
{
        struct stack *s = parse_ok("services:\n  a:\n    image: i\n"
                                   "    command: sh -c 'echo \"a b\" $$HOME' \"x\\\"y\" c\\ d\n");
        assert_strv(s->services[0].command, STRV("sh", "-c", "echo \"a b\" $HOME", "x\"y", "c d"));
        stack_free(s);
}

Test(stack, command_and_entrypoint_lists)
{
        struct stack *s = parse_ok("services:\n  a:\n    image: i\n    command: [\"echo\", \"a b\"]\n"
                                   "    entrypoint:\n      - /bin/sh\n      - -c\n");
        assert_strv(s->services[0].command, STRV("echo", "a b"));
        assert_strv(s->services[0].entrypoint, STRV("/bin/sh", "-c"));
        stack_free(s);
}

Test(stack, empty_entrypoint_is_not_none)
{
        struct stack *s = parse_ok("services:\n  a:\n    image: i\n    entrypoint: []\n");
        cr_assert_not_null(s->services[0].entrypoint);
        cr_assert_null(s->services[0].entrypoint[0]);
        stack_free(s);
}

Test(stack, unterminated_quote)
{
        parse_fails("services:\n  a:\n    image: i\n    command: echo 'oops\n", -EINVAL,
                    "compose.yaml:4: service a: command: unterminated quote");
}

Test(stack, environment_map_and_list)
{
        setenv("STACK_TEST_FROM_HOST", "hv", 1);
        unsetenv("STACK_TEST_UNSET");
        struct stack *s = parse_ok("services:\n"
                                   "  a:\n    image: i\n    environment:\n      A: 1\n      B: \"x y\"\n"
                                   "      STACK_TEST_FROM_HOST:\n      STACK_TEST_UNSET:\n"
                                   "  b:\n    image: i\n    environment:\n      - A=1\n      - B=x=y\n"
                                   "      - STACK_TEST_FROM_HOST\n      - STACK_TEST_UNSET\n");
        assert_strv(svc(s, "a")->environment, STRV("A=1", "B=x y", "STACK_TEST_FROM_HOST=hv"));
        assert_strv(svc(s, "b")->environment, STRV("A=1", "B=x=y", "STACK_TEST_FROM_HOST=hv"));
        stack_free(s);
}

Test(stack, labels_map_and_list)
{
        struct stack *s = parse_ok("services:\n  a:\n    image: i\n    labels:\n      com.example.x: \"1\"\n"
                                   "  b:\n    image: i\n    labels: [\"k=v\"]\n");
        assert_strv(svc(s, "a")->labels, STRV("com.example.x=1"));
        assert_strv(svc(s, "b")->labels, STRV("k=v"));
        stack_free(s);
}

Test(stack, plain_fields)
{
        struct stack *s = parse_ok("services:\n  a:\n    image: i\n    working_dir: /w\n    user: \"1000:1000\"\n"
                                   "    hostname: h\n    restart: on-failure:3\n    network_mode: host\n"
                                   "    read_only: true\n    cgroup_parent: /staple-test/x\n");
        const struct stack_service *a = &s->services[0];
        cr_assert_str_eq(a->working_dir, "/w");
        cr_assert_str_eq(a->user, "1000:1000");
        cr_assert_str_eq(a->hostname, "h");
        cr_assert_str_eq(a->restart, "on-failure:3");
        cr_assert_str_eq(a->network_mode, "host");
        cr_assert_str_eq(a->cgroup_parent, "/staple-test/x");
        cr_assert(a->read_only);
        stack_free(s);
}

Test(stack, resources)
{
        struct stack *s = parse_ok("services:\n  a:\n    image: i\n    mem_limit: 64m\n    cpus: 0.5\n"
                                   "    pids_limit: 100\n");
        const struct stack_service *a = &s->services[0];
        cr_assert_eq(a->res.memory, 64 << 20);
        cr_assert_eq(a->res.cpu_quota, BUNDLE_CPU_PERIOD / 2);
        cr_assert_eq(a->res.pids_limit, 100);
        stack_free(s);
}

Test(stack, bad_resource_names_key_and_line)
{
        parse_fails("services:\n  a:\n    image: i\n    mem_limit: lots\n", -EINVAL, "compose.yaml:4: service a: mem_limit:");
}

Test(stack, bad_restart_and_network_mode)
{
        parse_fails("services:\n  a:\n    image: i\n    restart: sometimes\n", -EINVAL, "compose.yaml:4: service a: restart:");
        parse_fails("services:\n  a:\n    image: i\n    network_mode: service:b\n", -EINVAL,
                    "compose.yaml:4: service a: network_mode \"service:b\" is not supported");
        parse_fails("services:\n  a:\n    image: i\n    read_only: maybe\n", -EINVAL,
                    "compose.yaml:4: service a: read_only: expected true or false");
}

Test(stack, ports_short_syntax)
{
        struct stack *s = parse_ok("services:\n  a:\n    image: i\n    ports:\n      - \"8080:80\"\n      - 5353:53/udp\n");
        assert_strv(s->services[0].ports, STRV("8080:80", "5353:53/udp"));
        cr_assert_null(s->services[0].network_mode);
        stack_free(s);
        parse_fails("services:\n  a:\n    image: i\n    ports:\n      - target: 80\n", -EINVAL,
                    "compose.yaml:5: service a: ports: only the short syntax");
}

Test(stack, healthcheck_forms)
{
        struct stack *s = parse_ok(
                "services:\n"
                "  a:\n    image: i\n    healthcheck:\n      test: [\"CMD-SHELL\", \"test -f /ok\"]\n"
                "      interval: 1s\n      timeout: 2s\n      retries: 3\n      start_period: 5s\n"
                "  b:\n    image: i\n    healthcheck:\n      test: [\"CMD\", \"cat\", \"it's\"]\n"
                "  c:\n    image: i\n    healthcheck:\n      test: true\n"
                "  d:\n    image: i\n    healthcheck:\n      disable: true\n"
                "  e:\n    image: i\n    healthcheck:\n      test: [\"NONE\"]\n");
        const struct stack_service *a = svc(s, "a");
        cr_assert(a->has_health);
        cr_assert_str_eq(a->health.test, "test -f /ok");
        cr_assert_str_eq(a->health.interval, "1s");
        cr_assert_str_eq(a->health.timeout, "2s");
        cr_assert_str_eq(a->health.retries, "3");
        cr_assert_str_eq(a->health.start_period, "5s");
        cr_assert_str_eq(svc(s, "b")->health.test, "'cat' 'it'\\''s'");
        cr_assert_str_eq(svc(s, "c")->health.test, "true");
        cr_assert(svc(s, "d")->health.disable);
        cr_assert(svc(s, "e")->health.disable);
        cr_assert_null(svc(s, "e")->health.test);
        stack_free(s);
}

Test(stack, healthcheck_errors)
{
        parse_fails("services:\n  a:\n    image: i\n    healthcheck:\n      test: true\n      interval: soon\n",
                    -EINVAL, "compose.yaml:2: service a: healthcheck:");
        parse_fails("services:\n  a:\n    image: i\n    healthcheck:\n      probe: true\n", -EINVAL,
                    "compose.yaml:5: service a: healthcheck: unknown key \"probe\"");
        parse_fails("services:\n  a:\n    image: i\n    healthcheck:\n      test: [\"RUN\", \"x\"]\n", -EINVAL,
                    "compose.yaml:5: service a: healthcheck: test: expected");
}

Test(stack, depends_on_list_and_map_give_the_order)
{
        struct stack *s = parse_ok("services:\n"
                                   "  web:\n    image: i\n    depends_on: [api]\n"
                                   "  api:\n    image: i\n    depends_on:\n      db:\n        condition: service_started\n"
                                   "      cache:\n"
                                   "  db:\n    image: i\n"
                                   "  cache:\n    image: i\n");
        cr_assert_eq(s->n_services, 4);
        cr_assert_str_eq(s->services[0].name, "db");
        cr_assert_str_eq(s->services[1].name, "cache");
        cr_assert_str_eq(s->services[2].name, "api");
        cr_assert_str_eq(s->services[3].name, "web");
        assert_strv(svc(s, "api")->depends_on, STRV("db", "cache"));
        stack_free(s);
}

Test(stack, depends_on_condition_other_than_started_is_refused)
{
        parse_fails("services:\n  a:\n    image: i\n    depends_on:\n      b:\n        condition: service_healthy\n"
                    "  b:\n    image: i\n",
                    -EINVAL, "compose.yaml:6: service a: depends_on: b: only condition service_started");
}

Test(stack, cycle_is_named)
{
        parse_fails("services:\n"
                    "  a:\n    image: i\n    depends_on: [b]\n"
                    "  b:\n    image: i\n    depends_on: [c]\n"
                    "  c:\n    image: i\n    depends_on: [a]\n",
                    -ELOOP, "compose.yaml:4: dependency cycle: a -> b -> c -> a");
        parse_fails("services:\n  a:\n    image: i\n    depends_on: [a]\n", -ELOOP, "dependency cycle: a -> a");
}

Test(stack, undefined_dependency)
{
        parse_fails("services:\n  a:\n    image: i\n    depends_on: [nope]\n", -ENOENT,
                    "compose.yaml:4: service a depends on undefined service \"nope\"");
}

Test(stack, refused_and_unknown_keys_name_key_and_line)
{
        parse_fails("services:\n  a:\n    build: .\n    image: i\n", -EINVAL, "compose.yaml:3: service a: key \"build\"");
        parse_fails("services:\n  a:\n    image: i\n    volumes: [\"/x:/y\"]\n", -EINVAL,
                    "compose.yaml:4: service a: key \"volumes\": volumes are not supported");
        parse_fails("services:\n  a:\n    image: i\n    secrets: [s]\n", -EINVAL, "compose.yaml:4: service a: key \"secrets\"");
        parse_fails("services:\n  a:\n    image: i\n    configs: [s]\n", -EINVAL, "compose.yaml:4: service a: key \"configs\"");
        parse_fails("services:\n  a:\n    image: i\n    privileged: true\n", -EINVAL,
                    "compose.yaml:4: service a: unknown key \"privileged\"");
        parse_fails("secrets: {}\nservices:\n  a:\n    image: i\n", -EINVAL,
                    "compose.yaml:1: unknown or unsupported top-level key \"secrets\"");
}

Test(stack, missing_image)
{
        parse_fails("services:\n  a:\n    command: true\n", -EINVAL, "compose.yaml:2: service a: no image");
        parse_fails("services:\n  a:\n", -EINVAL, "compose.yaml:2: service a: no image");
}

Test(stack, ignored_top_level_keys_warn)
{
        struct stack *s = parse_ok("version: \"3.8\"\nnetworks: {}\nvolumes: {}\nx-common: &c\n  image: i\n"
                                   "name: myproj\nservices:\n  a:\n    image: i\n    x-note: 1\n");
        assert_strv(s->warnings, STRV("compose.yaml:1: top-level key \"version\" is ignored",
                                      "compose.yaml:2: top-level key \"networks\" is ignored",
                                      "compose.yaml:3: top-level key \"volumes\" is ignored"));
        cr_assert_str_eq(s->name, "myproj");
        stack_free(s);
}

Test(stack, interpolation_is_refused)
{
        parse_fails("services:\n  a:\n    image: i\n    environment:\n      A: ${HOME}\n", -EINVAL,
                    "compose.yaml:5: service a: environment: variable interpolation");
}

Test(stack, structure_errors)
{
        parse_fails("services:\n  a: [1]\n", -EINVAL, "compose.yaml:2: service a: expected a map");
        parse_fails("services: [a]\n", -EINVAL, "compose.yaml:1: services: expected a map");
        parse_fails("name: x\n", -EINVAL, "no services:");
        parse_fails("services:\n  a:\n    image: i\n  a:\n    image: j\n", -EINVAL, "compose.yaml:4: service a is defined twice");
        parse_fails("services:\n  \"a b\":\n    image: i\n", -EINVAL, "compose.yaml:2: invalid service name");
        parse_fails("services:\n  a:\n    image: [i\n", -EINVAL, "compose.yaml:");
}

Test(stack, project_names)
{
        char dir[] = "/tmp/staple-test-stack-XXXXXX";
        cr_assert_not_null(mkdtemp(dir));
        char sub[256], file[300];
        snprintf(sub, sizeof(sub), "%s/My.App_1", dir);
        snprintf(file, sizeof(file), "%s/compose.yaml", sub);
        cr_assert_eq(mkdir(sub, 0700), 0);
        cr_assert_eq(write_file_at(AT_FDCWD, file, "", 0, 0600), 0);
        char *name = NULL;
        cr_assert_eq(stack_project(NULL, NULL, file, &name, &err), 0, "%s", err.msg);
        cr_assert_str_eq(name, "myapp_1");
        free(name);
        cr_assert_eq(stack_project("given", NULL, file, &name, &err), 0);
        cr_assert_str_eq(name, "given");
        free(name);
        cr_assert_eq(stack_project("Bad Name", NULL, file, &name, &err), -EINVAL);
        rm_rf_at(AT_FDCWD, dir);
}
