/* Tests of request body decoding in the fake daemon: Go's errors, word for word. */
#include "testutil.h"

#include <string.h>

#include "fake_json.h"

/* Decodes 'body' into 'type' and checks the 400 message it gives. */
static void assert_decode_error(const char *body, const char *type,
                                const char *expected)
{
    sl_error err;
    json_t *v = sl_fake_json_decode(body, strlen(body), type, true, &err);

    if (v)
        fail_msg("'%s' decoded, expected '%s'", body, expected);
    assert_int_equal(err.http_status, 400);
    assert_string_equal(err.message, expected);
}

static void empty_body_is_eof(void **state)
{
    (void)state;
    assert_decode_error("", "swarm.ServiceSpec",
                        "got EOF while reading request body");
    assert_decode_error("  \n", "swarm.ServiceSpec",
                        "got EOF while reading request body");
}

static void empty_body_is_an_empty_object_when_optional(void **state)
{
    sl_error err;
    json_t *v = sl_fake_json_decode("", 0, "swarm.Spec", false, &err);

    (void)state;
    assert_true(json_is_object(v));
    assert_int_equal(json_object_size(v), 0);
    json_decref(v);
}

static void truncated_body_is_unexpected_eof(void **state)
{
    (void)state;
    assert_decode_error("{", "swarm.ServiceSpec", "unexpected EOF");
    assert_decode_error("{\"Name\":\"x", "swarm.ServiceSpec",
                        "unexpected EOF");
    assert_decode_error("[1,", "swarm.ServiceSpec", "unexpected EOF");
}

static void syntax_errors_name_the_character_and_the_context(void **state)
{
    (void)state;
    assert_decode_error("x", "swarm.ServiceSpec",
                        "invalid character 'x' looking for beginning of "
                        "value");
    assert_decode_error("{x", "swarm.ServiceSpec",
                        "invalid character 'x' looking for beginning of "
                        "object key string");
    assert_decode_error("{\"a\" 1}", "swarm.ServiceSpec",
                        "invalid character '1' after object key");
    assert_decode_error("{\"a\":1 2}", "swarm.ServiceSpec",
                        "invalid character '2' after object key:value pair");
    assert_decode_error("[1 2]", "swarm.ServiceSpec",
                        "invalid character '2' after array element");
    assert_decode_error("{\"a\":tru}", "swarm.ServiceSpec",
                        "invalid character '}' in literal true (expecting "
                        "'e')");
    assert_decode_error("{'a':1}", "swarm.ServiceSpec",
                        "invalid character '\\'' looking for beginning of "
                        "object key string");
}

static void wrong_type_names_the_go_struct_field(void **state)
{
    (void)state;
    assert_decode_error("{\"Name\":5}", "swarm.ServiceSpec",
                        "json: cannot unmarshal number into Go struct field "
                        "ServiceSpec.Name of type string");
    assert_decode_error("{\"TaskTemplate\":{\"ContainerSpec\":"
                        "{\"Image\":true}}}",
                        "swarm.ServiceSpec",
                        "json: cannot unmarshal bool into Go struct field "
                        "ContainerSpec.TaskTemplate.ContainerSpec.Image of "
                        "type string");
    assert_decode_error("{\"Mode\":{\"Replicated\":{\"Replicas\":-1}}}",
                        "swarm.ServiceSpec",
                        "json: cannot unmarshal number -1 into Go struct "
                        "field ReplicatedService.Mode.Replicated.Replicas "
                        "of type uint64");
}

static void body_of_another_kind_is_refused(void **state)
{
    (void)state;
    assert_decode_error("[]", "swarm.ServiceSpec",
                        "json: cannot unmarshal array into Go value of type "
                        "swarm.ServiceSpec");
}

static void anything_after_the_first_value_is_ignored(void **state)
{
    sl_error err;
    const char *body = "{\"Name\":\"web\"} trailing";
    json_t *v = sl_fake_json_decode(body, strlen(body), "swarm.ServiceSpec",
                                    true, &err);

    (void)state;
    assert_non_null(v);
    assert_string_equal(json_string_value(json_object_get(v, "Name")), "web");
    json_decref(v);
}

static void keys_match_fields_without_regard_to_case(void **state)
{
    (void)state;
    assert_decode_error("{\"name\":[]}", "swarm.ServiceSpec",
                        "json: cannot unmarshal array into Go struct field "
                        "ServiceSpec.Name of type string");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(empty_body_is_eof),
        cmocka_unit_test(empty_body_is_an_empty_object_when_optional),
        cmocka_unit_test(truncated_body_is_unexpected_eof),
        cmocka_unit_test(syntax_errors_name_the_character_and_the_context),
        cmocka_unit_test(wrong_type_names_the_go_struct_field),
        cmocka_unit_test(body_of_another_kind_is_refused),
        cmocka_unit_test(anything_after_the_first_value_is_ignored),
        cmocka_unit_test(keys_match_fields_without_regard_to_case),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
