/* Tests of placement constraints: syntax, matching, strict typo checks. */
#include "testutil.h"

#include <stdlib.h>
#include <string.h>

#include "constraint.h"

static const sl_docker_label worker_labels[] = {{"os", "linux"},
                                                {"zone", "b"}};
static const sl_docker_label engine_labels[] = {{"gpu", "yes"}};
static const sl_constraint_node worker = {
    "node123", "n2d-wrkr-0", "worker", "linux", "x86_64",
    worker_labels, 2, engine_labels, 1};

/* Whether 'expr' (which must parse) matches the worker above. */
static bool matches(const char *expr)
{
    sl_constraint c;
    sl_error err;

    if (sl_constraint_parse(expr, false, &c, &err) < 0)
        fail_msg("'%s': %s", expr, err.message);
    return sl_constraint_match(&c, &worker);
}

static const char *parse_error(const char *expr, bool strict)
{
    static sl_error err;
    sl_constraint c;

    assert_int_equal(sl_constraint_parse(expr, strict, &c, &err), -1);
    assert_int_equal(err.code, SL_ERR_INVALID);
    return err.message;
}

static void both_operators_parse_with_or_without_spaces(void **state)
{
    sl_constraint c;

    (void)state;
    assert_int_equal(sl_constraint_parse("  node.role==worker ", true, &c,
                                         NULL), 0);
    assert_int_equal(c.kind, SL_CONSTRAINT_NODE_ROLE);
    assert_true(c.equal);
    assert_string_equal(c.key, "node.role");
    assert_string_equal(c.value, "worker");
    assert_int_equal(sl_constraint_parse("node.labels.zone != a b", true, &c,
                                         NULL), 0);
    assert_int_equal(c.kind, SL_CONSTRAINT_NODE_LABEL);
    assert_false(c.equal);
    assert_string_equal(c.label, "zone");
    assert_string_equal(c.value, "a b");
}

static void missing_operator_is_swarmkits_message(void **state)
{
    (void)state;
    assert_string_equal(parse_error("node.role = worker", false),
                        "expected one operator from ==, !=");
}

static void invalid_key_and_value_are_named(void **state)
{
    (void)state;
    assert_string_equal(parse_error("node role == worker", false),
                        "key 'node role' is invalid");
    assert_string_equal(parse_error("node.role == <worker>", false),
                        "value '<worker>' is invalid");
    assert_string_equal(parse_error("node.role == ", false),
                        "value '' is invalid");
}

static void strict_refuses_unknown_keys_with_a_suggestion(void **state)
{
    sl_constraint c;

    (void)state;
    assert_int_equal(sl_constraint_parse("node.lables.os == linux", false,
                                         &c, NULL), 0);
    assert_int_equal(c.kind, SL_CONSTRAINT_UNKNOWN);
    assert_string_equal(parse_error("node.lables.os == linux", true),
                        "unknown constraint key 'node.lables.os' (did you "
                        "mean 'node.labels.os'?)");
    assert_string_equal(parse_error("node.hostnme == a", true),
                        "unknown constraint key 'node.hostnme' (did you "
                        "mean 'node.hostname'?)");
    assert_string_equal(parse_error("color == red", true),
                        "unknown constraint key 'color'");
    assert_string_equal(parse_error("node.role == boss", true),
                        "node.role is 'manager' or 'worker', not 'boss'");
}

static void values_match_without_regard_to_case(void **state)
{
    (void)state;
    assert_true(matches("node.role == WORKER"));
    assert_true(matches("NODE.HOSTNAME == n2d-wrkr-0"));
    assert_true(matches("node.platform.os == Linux"));
    assert_true(matches("node.platform.arch != aarch64"));
    assert_true(matches("node.id == node123"));
    assert_false(matches("node.role == manager"));
}

static void labels_compare_and_missing_ones_are_empty(void **state)
{
    (void)state;
    assert_true(matches("node.labels.os == linux"));
    assert_false(matches("node.labels.OS == linux"));
    assert_true(matches("node.labels.rack != r1"));
    assert_false(matches("node.labels.rack == r1"));
    assert_true(matches("engine.labels.gpu == yes"));
    assert_false(matches("engine.labels.os == linux"));
}

static void unknown_keys_never_match(void **state)
{
    (void)state;
    assert_false(matches("node.color == red"));
    assert_false(matches("node.color != red"));
}

static void all_constraints_must_hold(void **state)
{
    const char *exprs[] = {"node.role == worker", "node.labels.zone == b"};
    const char *bad[] = {"node.role == worker", "zone"};
    sl_constraint *c = sl_constraints_parse(exprs, 2, true, NULL);
    sl_error err;

    (void)state;
    assert_non_null(c);
    assert_true(sl_constraints_match(c, 2, &worker));
    c[1].equal = false;
    assert_false(sl_constraints_match(c, 2, &worker));
    assert_true(sl_constraints_match(c, 0, &worker));
    free(c);
    assert_null(sl_constraints_parse(bad, 2, true, &err));
    assert_string_equal(err.message, "constraint 'zone': expected one "
                                     "operator from ==, !=");
}

static void constraints_format_as_docker_shows_them(void **state)
{
    sl_constraint c;
    char buf[64];

    (void)state;
    assert_int_equal(sl_constraint_parse("node.role!=manager", true, &c,
                                         NULL), 0);
    sl_constraint_format(&c, buf, sizeof(buf));
    assert_string_equal(buf, "node.role != manager");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(both_operators_parse_with_or_without_spaces),
        cmocka_unit_test(missing_operator_is_swarmkits_message),
        cmocka_unit_test(invalid_key_and_value_are_named),
        cmocka_unit_test(strict_refuses_unknown_keys_with_a_suggestion),
        cmocka_unit_test(values_match_without_regard_to_case),
        cmocka_unit_test(labels_compare_and_missing_ones_are_empty),
        cmocka_unit_test(unknown_keys_never_match),
        cmocka_unit_test(all_constraints_must_hold),
        cmocka_unit_test(constraints_format_as_docker_shows_them),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
