/* Docker client against answers recorded from a real dockerd 20.10. */
#include "testutil.h"

#include <ctype.h>

#include "docker_client.h"
#include "docker_test_server.h"

/* Fixtures ---------------------------------------------------------------- */

static json_t *load_case(const char *name)
{
    char rel[256];

    snprintf(rel, sizeof(rel), "fixtures/real/api/%s.json", name);
    return sl_test_load_json(rel);
}

static const char *fx_str(json_t *fx, const char *key)
{
    const char *s = json_string_value(json_object_get(fx, key));

    if (!s)
        fail_msg("fixture %s has no '%s'",
                 json_string_value(json_object_get(fx, "case")), key);
    return s;
}

/* The recorded answer as raw HTTP bytes; the caller frees them. */
static char *raw_answer(json_t *fx)
{
    json_t *headers = json_object_get(fx, "headers");
    json_t *body = json_object_get(fx, "body");
    const char *ctype = json_string_value(json_object_get(fx,
                                                          "content_type"));
    const char *raw = json_string_value(json_object_get(fx, "raw_body"));
    char *text = NULL;
    char *head = NULL;
    char *out = NULL;
    size_t hlen = 0;
    FILE *f = open_memstream(&head, &hlen);
    const char *key;
    json_t *value;

    if (raw)
        text = strdup(raw);
    else if (json_is_string(body) && !(ctype && strstr(ctype, "json")))
        text = strdup(json_string_value(body));
    else
        text = json_dumps(body, JSON_COMPACT | JSON_ENCODE_ANY);
    assert_non_null(text);
    if (!raw && !json_is_string(body)) {
        char *nl = NULL;

        assert_true(asprintf(&nl, "%s\n", text) > 0);
        free(text);
        text = nl;
    }

    fprintf(f, "HTTP/1.1 %d Recorded\r\n",
            (int)json_integer_value(json_object_get(fx, "status")));
    json_object_foreach(headers, key, value) {
        if (strcasecmp(key, "Content-Length") &&
            strcasecmp(key, "Transfer-Encoding"))
            fprintf(f, "%s: %s\r\n", key, json_string_value(value));
    }
    fprintf(f, "Content-Length: %zu\r\n\r\n%s", strlen(text), text);
    fclose(f);
    out = head;
    free(text);
    return out;
}

/* A server answering /_ping, then the recorded answer of 'fx'. */
static test_server *serve(json_t *fx)
{
    test_server *s = ts_start_tcp();
    char *raw = raw_answer(fx);

    ts_ping(s, "1.41");
    ts_raw(s, raw, 0);
    free(raw);
    return s;
}

static sl_docker_client *client_for(test_server *s)
{
    sl_docker_config cfg = {.host = s->url, .timeout_ms = 3000};
    sl_docker_client *c = sl_docker_client_new(&cfg, NULL);

    assert_non_null(c);
    return c;
}

/* Checks that the client sent the recorded method and path, byte for
 * byte. */
static void assert_same_request_line(test_server *s, json_t *fx)
{
    char line[2048];

    snprintf(line, sizeof(line), "%s %s HTTP/1.1", fx_str(fx, "method"),
             fx_str(fx, "path"));
    ts_assert_line(s, 1, line);
}

/* True when every member of 'mine' is in 'theirs' with the same value,
 * objects compared member by member. */
static bool json_subset(json_t *mine, json_t *theirs)
{
    const char *key;
    json_t *value;

    if (!json_is_object(mine) || !json_is_object(theirs))
        return json_equal(mine, theirs);
    json_object_foreach(mine, key, value) {
        if (!json_subset(value, json_object_get(theirs, key)))
            return false;
    }
    return true;
}

/* Checks that the body the client sent says nothing the docker CLI's
 * recorded body does not say. */
static void assert_body_within_recorded(test_server *s, json_t *fx)
{
    json_t *sent = json_loads(ts_req(s, 1)->body, 0, NULL);

    assert_non_null(sent);
    if (!json_subset(sent, json_object_get(fx, "request_body")))
        fail_msg("%s: sent %s", fx_str(fx, "case"), ts_req(s, 1)->body);
    json_decref(sent);
}

/* Filters decoded from a recorded ?filters=, for sending them again. */
typedef struct decoded_filters {
    json_t *json;
    sl_docker_filter terms[8];
    size_t n;
} decoded_filters;

static int hexval(char ch)
{
    return isdigit((unsigned char)ch) ? ch - '0'
                                      : tolower((unsigned char)ch) - 'a' + 10;
}

static void decode_filters(const char *path, decoded_filters *out)
{
    const char *at = strstr(path, "filters=");
    char buf[2048];
    size_t n = 0;
    const char *key, *val;
    json_t *values, *t;

    memset(out, 0, sizeof(*out));
    if (!at)
        return;
    for (at += 8; *at && *at != '&' && n < sizeof(buf) - 1; at++) {
        if (*at == '%') {
            buf[n++] = (char)(hexval(at[1]) * 16 + hexval(at[2]));
            at += 2;
        } else {
            buf[n++] = *at == '+' ? ' ' : *at;
        }
    }
    buf[n] = '\0';
    out->json = json_loads(buf, 0, NULL);
    assert_non_null(out->json);
    json_object_foreach(out->json, key, values) {
        json_object_foreach(values, val, t) {
            assert_true(out->n < 8);
            out->terms[out->n].key = key;
            out->terms[out->n].value = val;
            out->n++;
        }
    }
}

/* Engine ------------------------------------------------------------------ */

static void recorded_info_answers_are_read(void **state)
{
    static const char *const cases[] = {
        "info-standalone", "info-manager", "info-manager-joined",
        "info-worker", "info-after-leave",
    };

    (void)state;
    for (size_t i = 0; i < sizeof(cases) / sizeof(*cases); i++) {
        json_t *fx = load_case(cases[i]);
        json_t *body = json_object_get(fx, "body");
        json_t *sw = json_object_get(body, "Swarm");
        test_server *s = serve(fx);
        sl_docker_client *c = client_for(s);
        sl_error err;
        sl_docker_info *info = sl_docker_info_get(c, &err);

        if (!info)
            fail_msg("%s: %s", cases[i], err.message);
        assert_same_request_line(s, fx);
        assert_string_equal(info->id, json_string_value(json_object_get(
                                          body, "ID")));
        assert_string_equal(info->name, json_string_value(json_object_get(
                                            body, "Name")));
        assert_int_equal(info->ncpu, json_integer_value(json_object_get(
                                         body, "NCPU")));
        assert_string_equal(info->swarm.local_node_state,
                            json_string_value(json_object_get(
                                sw, "LocalNodeState")));
        assert_string_equal(info->swarm.node_id, json_string_value(
                                json_object_get(sw, "NodeID")));
        assert_int_equal(info->swarm.control_available,
                         json_is_true(json_object_get(sw,
                                                      "ControlAvailable")));
        if (json_object_get(sw, "Cluster"))
            assert_string_equal(info->swarm.cluster_id,
                                json_string_value(json_object_get(
                                    json_object_get(sw, "Cluster"), "ID")));
        else
            assert_string_equal(info->swarm.cluster_id, "");
        sl_docker_info_free(info);
        sl_docker_client_free(c);
        ts_stop(s);
        json_decref(fx);
    }
}

static void recorded_version_and_ping_are_read(void **state)
{
    json_t *fx = load_case("version");
    json_t *ping = load_case("ping-get");
    test_server *s = serve(fx);
    sl_docker_client *c = client_for(s);
    sl_docker_ping_result pr;
    sl_docker_version *v;
    sl_error err;
    char *raw = raw_answer(ping);

    (void)state;
    v = sl_docker_version_get(c, &err);
    assert_non_null(v);
    assert_same_request_line(s, fx);
    assert_string_equal(v->api_version, "1.41");
    assert_string_equal(v->min_api_version, "1.12");
    assert_string_equal(v->version, "20.10.24+dfsg1");

    ts_raw(s, raw, 0);
    assert_int_equal(sl_docker_ping(c, &pr, &err), 0);
    assert_string_equal(pr.api_version, "1.41");
    assert_string_equal(pr.os_type, "linux");
    assert_false(pr.experimental);
    assert_string_equal(pr.swarm, "");
    free(raw);
    sl_docker_version_free(v);
    sl_docker_client_free(c);
    ts_stop(s);
    json_decref(ping);
    json_decref(fx);
}

/* Swarm ------------------------------------------------------------------- */

static void recorded_swarm_init_is_sent_as_the_cli_does(void **state)
{
    json_t *fx = load_case("swarm-init");
    json_t *rb = json_object_get(fx, "request_body");
    test_server *s = serve(fx);
    sl_docker_client *c = client_for(s);
    sl_docker_swarm_init_req req = {
        .advertise_addr = json_string_value(json_object_get(
            rb, "AdvertiseAddr")),
        .spec = json_object_get(rb, "Spec"),
    };
    sl_error err;
    char *id = sl_docker_swarm_init(c, &req, &err);

    (void)state;
    if (!id)
        fail_msg("%s", err.message);
    assert_string_equal(id, json_string_value(json_object_get(fx, "body")));
    assert_same_request_line(s, fx);
    assert_body_within_recorded(s, fx);
    free(id);
    sl_docker_client_free(c);
    ts_stop(s);
    json_decref(fx);
}

static void recorded_swarm_joins_are_sent_as_the_cli_does(void **state)
{
    static const char *const cases[] = {"swarm-join", "swarm-join-manager"};

    (void)state;
    for (size_t i = 0; i < 2; i++) {
        json_t *fx = load_case(cases[i]);
        json_t *rb = json_object_get(fx, "request_body");
        const char *addr = json_string_value(json_array_get(
            json_object_get(rb, "RemoteAddrs"), 0));
        sl_docker_swarm_join_req req = {
            .join_token = json_string_value(json_object_get(rb,
                                                            "JoinToken")),
            .remote_addrs = &addr,
            .n_remote_addrs = 1,
        };
        test_server *s = serve(fx);
        sl_docker_client *c = client_for(s);
        sl_error err;

        if (sl_docker_swarm_join(c, &req, &err) < 0)
            fail_msg("%s: %s", cases[i], err.message);
        assert_same_request_line(s, fx);
        assert_body_within_recorded(s, fx);
        sl_docker_client_free(c);
        ts_stop(s);
        json_decref(fx);
    }
}

static void recorded_swarm_inspect_and_update(void **state)
{
    json_t *fx = load_case("swarm-inspect");
    json_t *up = load_case("swarm-update");
    test_server *s = serve(fx);
    sl_docker_client *c = client_for(s);
    json_t *tokens = json_object_get(json_object_get(fx, "body"),
                                     "JoinTokens");
    sl_docker_swarm *sw;
    sl_error err;

    (void)state;
    sw = sl_docker_swarm_inspect(c, &err);
    assert_non_null(sw);
    assert_same_request_line(s, fx);
    assert_string_equal(sw->worker_token, json_string_value(json_object_get(
                                              tokens, "Worker")));
    assert_string_equal(sw->manager_token, json_string_value(
                                               json_object_get(tokens,
                                                               "Manager")));
    sl_docker_swarm_free(sw);
    sl_docker_client_free(c);
    ts_stop(s);

    s = serve(up);
    c = client_for(s);
    assert_int_equal(sl_docker_swarm_update(c, 10, json_object_get(
                                                       up, "request_body"),
                                            false, false, &err), 0);
    assert_same_request_line(s, up);
    assert_body_within_recorded(s, up);
    sl_docker_client_free(c);
    ts_stop(s);
    json_decref(up);
    json_decref(fx);
}

static void recorded_swarm_leaves_are_sent_as_the_cli_does(void **state)
{
    static const char *const cases[] = {"swarm-leave",
                                        "swarm-leave-force-manager"};

    (void)state;
    for (size_t i = 0; i < 2; i++) {
        json_t *fx = load_case(cases[i]);
        test_server *s = serve(fx);
        sl_docker_client *c = client_for(s);
        sl_error err;

        assert_int_equal(sl_docker_swarm_leave(c, i == 1, &err), 0);
        assert_same_request_line(s, fx);
        sl_docker_client_free(c);
        ts_stop(s);
        json_decref(fx);
    }
}

/* Nodes ------------------------------------------------------------------- */

static void recorded_node_lists_are_asked_and_read(void **state)
{
    static const char *const cases[] = {
        "nodes-list", "nodes-list-filter-role", "nodes-list-after-leave",
    };

    (void)state;
    for (size_t i = 0; i < sizeof(cases) / sizeof(*cases); i++) {
        json_t *fx = load_case(cases[i]);
        json_t *body = json_object_get(fx, "body");
        decoded_filters f;
        test_server *s = serve(fx);
        sl_docker_client *c = client_for(s);
        sl_docker_node_list *nodes;
        sl_error err;

        decode_filters(fx_str(fx, "path"), &f);
        nodes = sl_docker_nodes_list(c, f.terms, f.n, &err);
        if (!nodes)
            fail_msg("%s: %s", cases[i], err.message);
        assert_same_request_line(s, fx);
        assert_int_equal(nodes->count, json_array_size(body));
        for (size_t j = 0; j < nodes->count; j++) {
            json_t *n = json_array_get(body, j);

            assert_string_equal(nodes->items[j].id, json_string_value(
                                    json_object_get(n, "ID")));
            assert_true(!strcmp(nodes->items[j].role, "manager") ||
                        !strcmp(nodes->items[j].role, "worker"));
            assert_true(nodes->items[j].hostname[0]);
        }
        sl_docker_node_list_free(nodes);
        sl_docker_client_free(c);
        ts_stop(s);
        json_decref(f.json);
        json_decref(fx);
    }
}

static void recorded_node_inspects_are_read(void **state)
{
    static const char *const cases[] = {
        "node-inspect-by-hostname", "node-inspect-down",
        "node-inspect-labelled", "node-inspect-leader",
        "node-inspect-manager", "node-inspect-worker",
    };

    (void)state;
    for (size_t i = 0; i < sizeof(cases) / sizeof(*cases); i++) {
        json_t *fx = load_case(cases[i]);
        json_t *body = json_object_get(fx, "body");
        const char *ref = fx_str(fx, "path") + strlen("/v1.41/nodes/");
        test_server *s = serve(fx);
        sl_docker_client *c = client_for(s);
        sl_docker_node *n;
        sl_error err;

        n = sl_docker_node_inspect(c, ref, &err);
        if (!n)
            fail_msg("%s: %s", cases[i], err.message);
        assert_same_request_line(s, fx);
        assert_string_equal(n->hostname, json_string_value(json_object_get(
                                json_object_get(body, "Description"),
                                "Hostname")));
        assert_string_equal(n->state, json_string_value(json_object_get(
                                json_object_get(body, "Status"), "State")));
        assert_int_equal(n->version, json_integer_value(json_object_get(
                             json_object_get(body, "Version"), "Index")));
        assert_int_equal(n->n_labels, json_object_size(json_object_get(
                             json_object_get(body, "Spec"), "Labels")));
        assert_int_equal(n->leader, json_is_true(json_object_get(
                             json_object_get(body, "ManagerStatus"),
                             "Leader")));
        sl_docker_node_free(n);
        sl_docker_client_free(c);
        ts_stop(s);
        json_decref(fx);
    }
}

static void recorded_node_update_and_delete_are_sent_as_the_cli_does(
    void **state)
{
    json_t *fx = load_case("node-update");
    json_t *del = load_case("node-delete");
    sl_docker_label labels[] = {{"zone", "east"}};
    sl_docker_node_spec spec = {
        .role = "worker", .availability = "active",
        .labels = labels, .n_labels = 1,
    };
    test_server *s = serve(fx);
    sl_docker_client *c = client_for(s);
    sl_error err;

    (void)state;
    assert_int_equal(sl_docker_node_update(c, "yb7c6id4ojizhrbnms5vmtwln",
                                           15, &spec, &err), 0);
    assert_same_request_line(s, fx);
    assert_body_within_recorded(s, fx);
    sl_docker_client_free(c);
    ts_stop(s);

    s = serve(del);
    c = client_for(s);
    assert_int_equal(sl_docker_node_remove(c, "yb7c6id4ojizhrbnms5vmtwln",
                                           false, &err), 0);
    assert_same_request_line(s, del);
    sl_docker_client_free(c);
    ts_stop(s);
    json_decref(del);
    json_decref(fx);
}

/* Services ---------------------------------------------------------------- */

static void recorded_service_creates_match_the_builder(void **state)
{
    const char *cmd[] = {"sleep", "1d"};
    const char *constraints[] = {"node.labels.zone==east"};
    const char *networks[] = {"x4levacea5muat99by25o1epp"};
    sl_docker_service_def defs[] = {
        {.name = "web", .image = "bb:1", .command = cmd, .n_command = 2,
         .replicas = 3, .constraints = constraints, .n_constraints = 1,
         .networks = networks, .n_networks = 1},
        {.name = "agent", .image = "bb:1", .command = cmd, .n_command = 2,
         .global = true},
    };
    static const char *const cases[] = {"services-create-replicated",
                                        "services-create-global"};

    (void)state;
    for (size_t i = 0; i < 2; i++) {
        json_t *fx = load_case(cases[i]);
        json_t *spec = sl_docker_service_spec_build(&defs[i], NULL);
        test_server *s = serve(fx);
        sl_docker_client *c = client_for(s);
        sl_error err;
        char *id = sl_docker_service_create(c, spec, &err);

        if (!id)
            fail_msg("%s: %s", cases[i], err.message);
        assert_string_equal(id, json_string_value(json_object_get(
                                    json_object_get(fx, "body"), "ID")));
        assert_same_request_line(s, fx);
        assert_body_within_recorded(s, fx);
        free(id);
        json_decref(spec);
        sl_docker_client_free(c);
        ts_stop(s);
        json_decref(fx);
    }
}

static void recorded_service_lists_are_asked_and_read(void **state)
{
    static const char *const cases[] = {
        "services-list", "services-list-filters", "services-list-status",
        "services-list-filters-status",
    };

    (void)state;
    for (size_t i = 0; i < sizeof(cases) / sizeof(*cases); i++) {
        json_t *fx = load_case(cases[i]);
        json_t *body = json_object_get(fx, "body");
        bool status = strstr(fx_str(fx, "path"), "status=true") != NULL;
        decoded_filters f;
        test_server *s = serve(fx);
        sl_docker_client *c = client_for(s);
        sl_docker_service_list *list;
        sl_error err;

        decode_filters(fx_str(fx, "path"), &f);
        list = sl_docker_services_list(c, f.terms, f.n, status, &err);
        if (!list)
            fail_msg("%s: %s", cases[i], err.message);
        assert_same_request_line(s, fx);
        assert_int_equal(list->count, json_array_size(body));
        for (size_t j = 0; j < list->count; j++) {
            json_t *svc = json_array_get(body, j);
            json_t *st = json_object_get(svc, "ServiceStatus");

            assert_string_equal(list->items[j].name, json_string_value(
                                    json_object_get(json_object_get(
                                        svc, "Spec"), "Name")));
            assert_int_equal(list->items[j].running_tasks,
                             json_integer_value(json_object_get(
                                 st, "RunningTasks")));
            assert_int_equal(list->items[j].desired_tasks,
                             json_integer_value(json_object_get(
                                 st, "DesiredTasks")));
        }
        sl_docker_service_list_free(list);
        sl_docker_client_free(c);
        ts_stop(s);
        json_decref(f.json);
        json_decref(fx);
    }
}

static void recorded_service_inspect_update_and_delete(void **state)
{
    json_t *fx = load_case("service-inspect-by-name");
    json_t *up = load_case("service-update");
    json_t *del = load_case("service-delete");
    test_server *s = serve(fx);
    sl_docker_client *c = client_for(s);
    sl_docker_service *svc;
    sl_error err;

    (void)state;
    svc = sl_docker_service_inspect(c, "web", &err);
    assert_non_null(svc);
    assert_same_request_line(s, fx);
    assert_string_equal(svc->name, "web");
    assert_string_equal(svc->mode, "replicated");
    assert_string_equal(svc->image, "bb:1");
    assert_int_equal(svc->n_constraints, 1);
    sl_docker_service_free(svc);
    sl_docker_client_free(c);
    ts_stop(s);

    s = serve(up);
    c = client_for(s);
    assert_int_equal(sl_docker_service_update(c, "8uiubycemtlrin4odmpwcxdoh",
                                              31, json_object_get(
                                                  up, "request_body"),
                                              &err), 0);
    assert_same_request_line(s, up);
    assert_body_within_recorded(s, up);
    sl_docker_client_free(c);
    ts_stop(s);

    s = serve(del);
    c = client_for(s);
    assert_int_equal(sl_docker_service_remove(c, "6i48hn0l21aijlwl0ulsfjcfh",
                                              &err), 0);
    assert_same_request_line(s, del);
    sl_docker_client_free(c);
    ts_stop(s);
    json_decref(del);
    json_decref(up);
    json_decref(fx);
}

/* Tasks and networks ------------------------------------------------------ */

static void recorded_task_lists_are_asked_and_read(void **state)
{
    static const char *const cases[] = {
        "tasks-list", "tasks-list-filters", "tasks-list-filters-up-to-date",
        "tasks-list-filters-node-desired",
    };

    (void)state;
    for (size_t i = 0; i < sizeof(cases) / sizeof(*cases); i++) {
        json_t *fx = load_case(cases[i]);
        json_t *body = json_object_get(fx, "body");
        decoded_filters f;
        test_server *s = serve(fx);
        sl_docker_client *c = client_for(s);
        sl_docker_task_list *tasks;
        sl_error err;

        decode_filters(fx_str(fx, "path"), &f);
        tasks = sl_docker_tasks_list(c, f.terms, f.n, &err);
        if (!tasks)
            fail_msg("%s: %s", cases[i], err.message);
        assert_same_request_line(s, fx);
        assert_int_equal(tasks->count, json_array_size(body));
        for (size_t j = 0; j < tasks->count; j++) {
            json_t *t = json_array_get(body, j);

            assert_string_equal(tasks->items[j].state, json_string_value(
                                    json_object_get(json_object_get(
                                        t, "Status"), "State")));
            assert_string_equal(tasks->items[j].desired_state,
                                json_string_value(json_object_get(
                                    t, "DesiredState")));
        }
        sl_docker_task_list_free(tasks);
        sl_docker_client_free(c);
        ts_stop(s);
        json_decref(f.json);
        json_decref(fx);
    }
}

static void recorded_networks_are_listed_created_and_deleted(void **state)
{
    json_t *ls = load_case("networks-list-filters");
    json_t *mk = load_case("network-create-overlay");
    json_t *rm = load_case("network-delete");
    sl_docker_network_def def = {.name = "appnet", .driver = "overlay"};
    decoded_filters f;
    test_server *s = serve(ls);
    sl_docker_client *c = client_for(s);
    sl_docker_network_list *nets;
    sl_error err;
    char *id;

    (void)state;
    decode_filters(fx_str(ls, "path"), &f);
    nets = sl_docker_networks_list(c, f.terms, f.n, &err);
    assert_non_null(nets);
    assert_same_request_line(s, ls);
    assert_int_equal(nets->count, json_array_size(json_object_get(ls,
                                                                  "body")));
    for (size_t j = 0; j < nets->count; j++)
        assert_string_equal(nets->items[j].driver, "overlay");
    sl_docker_network_list_free(nets);
    sl_docker_client_free(c);
    ts_stop(s);

    s = serve(mk);
    c = client_for(s);
    id = sl_docker_network_create(c, &def, &err);
    assert_non_null(id);
    assert_string_equal(id, "x4levacea5muat99by25o1epp");
    assert_same_request_line(s, mk);
    assert_body_within_recorded(s, mk);
    free(id);
    sl_docker_client_free(c);
    ts_stop(s);

    s = serve(rm);
    c = client_for(s);
    assert_int_equal(sl_docker_network_remove(c, "scratch", &err), 0);
    assert_same_request_line(s, rm);
    sl_docker_client_free(c);
    ts_stop(s);
    json_decref(f.json);
    json_decref(rm);
    json_decref(mk);
    json_decref(ls);
}

/* Images ------------------------------------------------------------------ */

static void recorded_image_import_is_sent_as_the_cli_does(void **state)
{
    json_t *fx = load_case("image-import");
    test_server *s = serve(fx);
    sl_docker_client *c = client_for(s);
    static const char tar[] = "a pretend tarball";
    const char *want = json_string_value(
        json_object_get(json_object_get(fx, "body"), "status"));
    sl_error err;
    char *id;

    (void)state;
    id = sl_docker_image_import(c, "sl-import:1", tar, sizeof(tar) - 1, &err);
    if (!id)
        fail_msg("import: %s", err.message);
    assert_string_equal(id, want);
    assert_same_request_line(s, fx);
    assert_string_equal(ts_req(s, 1)->body, tar);
    free(id);
    sl_docker_client_free(c);
    ts_stop(s);
    json_decref(fx);
}

static void recorded_image_list_and_inspect_are_read(void **state)
{
    json_t *ls = load_case("images-list");
    json_t *in = load_case("image-inspect");
    test_server *s = serve(ls);
    sl_docker_client *c = client_for(s);
    sl_docker_image_list *list;
    sl_docker_image *img;
    sl_error err;
    size_t i, tagged = 0;

    (void)state;
    list = sl_docker_images_list(c, &err);
    assert_non_null(list);
    assert_same_request_line(s, ls);
    assert_int_equal(list->count,
                     json_array_size(json_object_get(ls, "body")));
    for (i = 0; i < list->count; i++) {
        assert_int_equal(strncmp(list->items[i].id, "sha256:", 7), 0);
        assert_true(list->items[i].size > 0);
        tagged += sl_docker_image_has_tag(&list->items[i], "sl-import:1");
    }
    assert_int_equal(tagged, 1);
    sl_docker_image_list_free(list);
    sl_docker_client_free(c);
    ts_stop(s);

    s = serve(in);
    c = client_for(s);
    img = sl_docker_image_inspect(c, "sl-import:1", &err);
    assert_non_null(img);
    assert_same_request_line(s, in);
    assert_true(sl_docker_image_has_tag(img, "sl-import:1"));
    assert_false(sl_docker_image_has_tag(img, "sl-import"));
    assert_string_equal(img->id, json_string_value(json_object_get(
                                     json_object_get(in, "body"), "Id")));
    sl_docker_image_free(img);
    sl_docker_client_free(c);
    ts_stop(s);
    json_decref(ls);
    json_decref(in);
}

/* Errors ------------------------------------------------------------------ */

/* Every recorded error answer to a versioned path gives the error code for
 * its status, the status, the daemon's own text and the call. */
static void recorded_error_answers_keep_the_daemons_words(void **state)
{
    json_t *all = sl_test_load_json("fixtures/real/errors.json");
    size_t i, checked = 0;
    json_t *fx;

    (void)state;
    json_array_foreach(all, i, fx) {
        const char *path = fx_str(fx, "path");
        const char *method = fx_str(fx, "method");
        int status = (int)json_integer_value(json_object_get(fx, "status"));
        json_t *body = json_object_get(fx, "body");
        const char *want = json_string_value(json_object_get(body,
                                                             "message"));
        sl_errcode code = status == 404   ? SL_ERR_NOT_FOUND
                          : status == 409 ? SL_ERR_CONFLICT
                                          : SL_ERR_API;
        char where[512];
        test_server *s;
        sl_docker_client *c;
        sl_error err;
        json_t *got;

        if (status < 400 || strncmp(path, "/v1.41/", 7) || !want)
            continue;
        s = serve(fx);
        c = client_for(s);
        got = sl_docker_call(c, method, path + 6, NULL, &err);
        if (got)
            fail_msg("%s: no error", fx_str(fx, "case"));
        if (err.code != code || err.http_status != status ||
            strcmp(err.message, want))
            fail_msg("%s: got %s %d '%s'", fx_str(fx, "case"),
                     sl_errcode_name(err.code), err.http_status,
                     err.message);
        snprintf(where, sizeof(where), "%s %.*s", method,
                 (int)strcspn(path, "?"), path);
        assert_string_equal(err.where, where);
        sl_docker_client_free(c);
        ts_stop(s);
        checked++;
    }
    assert_true(checked > 50);
    json_decref(all);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(recorded_info_answers_are_read),
        cmocka_unit_test(recorded_version_and_ping_are_read),
        cmocka_unit_test(recorded_swarm_init_is_sent_as_the_cli_does),
        cmocka_unit_test(recorded_swarm_joins_are_sent_as_the_cli_does),
        cmocka_unit_test(recorded_swarm_inspect_and_update),
        cmocka_unit_test(recorded_swarm_leaves_are_sent_as_the_cli_does),
        cmocka_unit_test(recorded_node_lists_are_asked_and_read),
        cmocka_unit_test(recorded_node_inspects_are_read),
        cmocka_unit_test(
            recorded_node_update_and_delete_are_sent_as_the_cli_does),
        cmocka_unit_test(recorded_service_creates_match_the_builder),
        cmocka_unit_test(recorded_service_lists_are_asked_and_read),
        cmocka_unit_test(recorded_service_inspect_update_and_delete),
        cmocka_unit_test(recorded_task_lists_are_asked_and_read),
        cmocka_unit_test(recorded_networks_are_listed_created_and_deleted),
        cmocka_unit_test(recorded_image_import_is_sent_as_the_cli_does),
        cmocka_unit_test(recorded_image_list_and_inspect_are_read),
        cmocka_unit_test(recorded_error_answers_keep_the_daemons_words),
    };

    return cmocka_run_group_tests_name("docker_recorded", tests, NULL, NULL);
}
