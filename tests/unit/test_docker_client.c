/* Docker client transport: endpoints, negotiation, errors, TLS. */
#include "testutil.h"

#include <fcntl.h>
#include <ftw.h>
#include <signal.h>
#include <stdint.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>

#include "docker_client.h"
#include "docker_test_server.h"

#define SMALL_INFO "{\"ID\":\"IUPE:PDRX\",\"Name\":\"vm\"}"

static const char *const docker_vars[] = {
    "DOCKER_HOST", "DOCKER_TLS_VERIFY", "DOCKER_TLS", "DOCKER_CERT_PATH",
    "DOCKER_API_VERSION",
};

static void clear_docker_env(void)
{
    for (size_t i = 0; i < sizeof(docker_vars) / sizeof(*docker_vars); i++)
        unsetenv(docker_vars[i]);
}

static int64_t now_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* A client for test server 's' with short time limits. */
static sl_docker_client *client_for(test_server *s)
{
    sl_docker_config cfg = {
        .host = s->url,
        .connect_timeout_ms = 2000,
        .timeout_ms = 3000,
    };
    sl_error err;
    sl_docker_client *c = sl_docker_client_new(&cfg, &err);

    if (!c)
        fail_msg("cannot make a client: %s", err.message);
    return c;
}

static int setup_tcp(void **state)
{
    clear_docker_env();
    *state = ts_start_tcp();
    return 0;
}

static int teardown_server(void **state)
{
    ts_stop(*state);
    clear_docker_env();
    return 0;
}

static int setup_env(void **state)
{
    (void)state;
    clear_docker_env();
    return 0;
}

static int teardown_env(void **state)
{
    (void)state;
    clear_docker_env();
    return 0;
}

/* Endpoints --------------------------------------------------------------- */

static void docker_host_defaults_to_the_unix_socket(void **state)
{
    sl_docker_client *c;
    sl_docker_endpoint ep;
    sl_error err;

    (void)state;
    assert_int_equal(sl_docker_endpoint_parse(NULL, false, &ep, &err), 0);
    assert_int_equal(ep.transport, SL_DOCKER_UNIX);
    assert_string_equal(ep.socket_path, "/var/run/docker.sock");
    assert_string_equal(ep.text, "unix:///var/run/docker.sock");

    c = sl_docker_client_new_from_env(NULL, &err);
    assert_non_null(c);
    assert_string_equal(sl_docker_client_endpoint(c),
                        "unix:///var/run/docker.sock");
    assert_string_equal(sl_docker_client_api_version(c), "");
    sl_docker_client_free(c);
}

static void docker_host_tcp_port_defaults_to_2375_or_2376_with_tls(
    void **state)
{
    sl_docker_endpoint ep;
    sl_error err;

    (void)state;
    assert_int_equal(sl_docker_endpoint_parse("tcp://10.0.0.2", false, &ep,
                                              &err), 0);
    assert_int_equal(ep.transport, SL_DOCKER_TCP);
    assert_string_equal(ep.host, "10.0.0.2");
    assert_int_equal(ep.port, 2375);
    assert_false(ep.tls);
    assert_string_equal(ep.url_base, "http://10.0.0.2:2375");

    assert_int_equal(sl_docker_endpoint_parse("tcp://10.0.0.2", true, &ep,
                                              &err), 0);
    assert_int_equal(ep.port, 2376);
    assert_true(ep.tls);
    assert_string_equal(ep.url_base, "https://10.0.0.2:2376");

    assert_int_equal(sl_docker_endpoint_parse("https://n2d-mngr-0:3376/",
                                              false, &ep, &err), 0);
    assert_true(ep.tls);
    assert_string_equal(ep.url_base, "https://n2d-mngr-0:3376");
    assert_string_equal(ep.text, "https://n2d-mngr-0:3376");
}

static void docker_host_forms_the_cli_accepts_are_parsed(void **state)
{
    sl_docker_endpoint ep;
    sl_error err;

    (void)state;
    assert_int_equal(sl_docker_endpoint_parse("127.0.0.1:2375", false, &ep,
                                              &err), 0);
    assert_string_equal(ep.text, "tcp://127.0.0.1:2375");
    assert_int_equal(sl_docker_endpoint_parse("http://[::1]:2375", false,
                                              &ep, &err), 0);
    assert_string_equal(ep.host, "::1");
    assert_string_equal(ep.url_base, "http://[::1]:2375");
    assert_int_equal(sl_docker_endpoint_parse("tcp://", false, &ep, &err),
                     0);
    assert_string_equal(ep.text, "tcp://localhost:2375");
    assert_int_equal(sl_docker_endpoint_parse("unix:///run/user/1000/d.sock",
                                              true, &ep, &err), 0);
    assert_int_equal(ep.transport, SL_DOCKER_UNIX);
    assert_false(ep.tls);
    assert_string_equal(ep.socket_path, "/run/user/1000/d.sock");
}

static void docker_host_with_unsupported_scheme_is_invalid(void **state)
{
    sl_docker_client *c;
    sl_error err;

    (void)state;
    setenv("DOCKER_HOST", "ssh://admin@n2d-mngr-0", 1);
    c = sl_docker_client_new_from_env(NULL, &err);
    assert_null(c);
    assert_int_equal(err.code, SL_ERR_INVALID);
    assert_string_equal(err.message,
                        "invalid DOCKER_HOST 'ssh://admin@n2d-mngr-0': "
                        "unsupported scheme 'ssh'");
    assert_string_equal(err.where, "DOCKER_HOST");
}

static void docker_host_with_bad_port_is_invalid(void **state)
{
    sl_docker_endpoint ep;
    sl_error err;

    (void)state;
    assert_int_equal(sl_docker_endpoint_parse("tcp://h:99999", false, &ep,
                                              &err), -1);
    assert_int_equal(err.code, SL_ERR_INVALID);
    assert_string_equal(err.message,
                        "invalid docker host 'tcp://h:99999': bad port "
                        "'99999'");
    assert_int_equal(sl_docker_endpoint_parse("tcp://h:", false, &ep, &err),
                     -1);
    assert_int_equal(sl_docker_endpoint_parse("tcp://h:1/api", false, &ep,
                                              &err), -1);
    assert_string_equal(err.message, "invalid docker host 'tcp://h:1/api': "
                                     "a path is not supported");
    assert_int_equal(sl_docker_endpoint_parse("tcp://a b:1", false, &ep,
                                              &err), -1);
    assert_int_equal(sl_docker_endpoint_parse("unix://", false, &ep, &err),
                     -1);
    assert_string_equal(err.message,
                        "invalid docker host 'unix://': no socket path");
}

static void docker_host_unix_socket_is_used(void **state)
{
    test_server *s = ts_start_unix();
    sl_docker_client *c;
    sl_docker_info *info;
    sl_error err;

    (void)state;
    setenv("DOCKER_HOST", s->url, 1);
    ts_ping(s, "1.41");
    ts_json(s, 200, SMALL_INFO);
    c = sl_docker_client_new_from_env(NULL, &err);
    assert_non_null(c);
    assert_string_equal(sl_docker_client_endpoint(c), s->url);

    info = sl_docker_info_get(c, &err);
    if (!info)
        fail_msg("%s", err.message);
    assert_string_equal(info->name, "vm");
    ts_assert_line(s, 0, "GET /_ping HTTP/1.1");
    ts_assert_line(s, 1, "GET /v1.41/info HTTP/1.1");

    sl_docker_info_free(info);
    sl_docker_client_free(c);
    ts_stop(s);
}

static void docker_api_version_from_environment_pins_the_version(
    void **state)
{
    test_server *s = *state;
    sl_docker_client *c;
    sl_docker_info *info;
    sl_error err;

    setenv("DOCKER_HOST", s->url, 1);
    setenv("DOCKER_API_VERSION", "1.40", 1);
    ts_json(s, 200, SMALL_INFO);
    c = sl_docker_client_new_from_env(NULL, &err);
    assert_non_null(c);
    assert_string_equal(sl_docker_client_api_version(c), "1.40");

    info = sl_docker_info_get(c, &err);
    assert_non_null(info);
    assert_int_equal(ts_count(s), 1);
    ts_assert_line(s, 0, "GET /v1.40/info HTTP/1.1");
    sl_docker_info_free(info);
    sl_docker_client_free(c);
}

static void bad_docker_api_version_is_invalid_naming_the_variable(
    void **state)
{
    sl_error err;

    (void)state;
    setenv("DOCKER_API_VERSION", "latest", 1);
    assert_null(sl_docker_client_new_from_env(NULL, &err));
    assert_int_equal(err.code, SL_ERR_INVALID);
    assert_string_equal(err.message,
                        "invalid DOCKER_API_VERSION 'latest': expected a "
                        "version such as '1.41'");
    assert_string_equal(err.where, "DOCKER_API_VERSION");
}

static void pinned_api_version_older_than_1_24_is_refused(void **state)
{
    sl_docker_config cfg = {.api_version = "1.23"};
    sl_error err;

    (void)state;
    assert_null(sl_docker_client_new(&cfg, &err));
    assert_int_equal(err.code, SL_ERR_UNSUPPORTED);
    assert_string_equal(err.message, "api version '1.23' is older than the "
                                     "oldest supported, 1.24");
}

static void tls_verify_without_ca_names_docker_cert_path(void **state)
{
    char dir[] = "/tmp/sl-certs-XXXXXX";
    char expect[256];
    sl_error err;

    (void)state;
    assert_non_null(mkdtemp(dir));
    setenv("DOCKER_HOST", "tcp://127.0.0.1:2376", 1);
    setenv("DOCKER_TLS_VERIFY", "1", 1);
    setenv("DOCKER_CERT_PATH", dir, 1);
    assert_null(sl_docker_client_new_from_env(NULL, &err));
    assert_int_equal(err.code, SL_ERR_INVALID);
    snprintf(expect, sizeof(expect),
             "cannot read 'ca.pem' in DOCKER_CERT_PATH '%s': No such file "
             "or directory", dir);
    assert_string_equal(err.message, expect);
    assert_string_equal(err.where, "DOCKER_CERT_PATH");
    rmdir(dir);
}

static void docker_cert_path_defaults_to_home_docker(void **state)
{
    char dir[] = "/tmp/sl-home-XXXXXX";
    char *home = getenv("HOME") ? strdup(getenv("HOME")) : NULL;
    char expect[256];
    sl_error err;

    (void)state;
    assert_non_null(mkdtemp(dir));
    setenv("HOME", dir, 1);
    setenv("DOCKER_TLS_VERIFY", "1", 1);
    assert_null(sl_docker_client_new_from_env(NULL, &err));
    snprintf(expect, sizeof(expect),
             "cannot read 'ca.pem' in DOCKER_CERT_PATH '%s/.docker': No such "
             "file or directory", dir);
    assert_string_equal(err.message, expect);
    if (home)
        setenv("HOME", home, 1);
    else
        unsetenv("HOME");
    free(home);
    rmdir(dir);
}

/* Negotiation ------------------------------------------------------------- */

static void negotiates_down_to_daemon_version(void **state)
{
    test_server *s = *state;
    sl_docker_client *c = client_for(s);
    sl_docker_info *info;
    sl_error err;

    ts_ping(s, "1.30");
    ts_json(s, 200, SMALL_INFO);
    info = sl_docker_info_get(c, &err);
    assert_non_null(info);
    ts_assert_line(s, 0, "GET /_ping HTTP/1.1");
    ts_assert_line(s, 1, "GET /v1.30/info HTTP/1.1");
    assert_string_equal(sl_docker_client_api_version(c), "1.30");
    sl_docker_info_free(info);
    sl_docker_client_free(c);
}

static void negotiates_no_higher_than_1_41(void **state)
{
    test_server *s = *state;
    sl_docker_client *c = client_for(s);
    sl_docker_info *info;
    sl_error err;

    ts_ping(s, "1.47");
    ts_json(s, 200, SMALL_INFO);
    info = sl_docker_info_get(c, &err);
    assert_non_null(info);
    ts_assert_line(s, 1, "GET /v1.41/info HTTP/1.1");
    sl_docker_info_free(info);
    sl_docker_client_free(c);
}

static void falls_back_to_version_when_ping_does_not_say(void **state)
{
    test_server *s = *state;
    sl_docker_client *c = client_for(s);
    sl_docker_info *info;
    sl_error err;

    ts_raw(s, "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nOK", 0);
    ts_json(s, 200, "{\"Version\":\"18.09.1\",\"ApiVersion\":\"1.39\","
                    "\"MinAPIVersion\":\"1.12\"}");
    ts_json(s, 200, SMALL_INFO);
    info = sl_docker_info_get(c, &err);
    if (!info)
        fail_msg("%s", err.message);
    ts_assert_line(s, 0, "GET /_ping HTTP/1.1");
    ts_assert_line(s, 1, "GET /version HTTP/1.1");
    ts_assert_line(s, 2, "GET /v1.39/info HTTP/1.1");
    sl_docker_info_free(info);
    sl_docker_client_free(c);
}

static void refuses_a_daemon_older_than_1_24(void **state)
{
    test_server *s = *state;
    sl_docker_client *c = client_for(s);
    char expect[256];
    sl_error err;

    ts_ping(s, "1.23");
    assert_null(sl_docker_info_get(c, &err));
    assert_int_equal(err.code, SL_ERR_UNSUPPORTED);
    snprintf(expect, sizeof(expect),
             "daemon at '%s' speaks api 1.23; swarmlab needs 1.24 or newer",
             s->url);
    assert_string_equal(err.message, expect);
    assert_int_equal(ts_count(s), 1);
    sl_docker_client_free(c);
}

static void negotiates_once_and_keeps_the_connection(void **state)
{
    test_server *s = *state;
    sl_docker_client *c = client_for(s);
    sl_docker_info *a, *b;
    sl_error err;

    ts_ping(s, "1.41");
    ts_json(s, 200, SMALL_INFO);
    ts_json(s, 200, SMALL_INFO);
    a = sl_docker_info_get(c, &err);
    b = sl_docker_info_get(c, &err);
    assert_non_null(a);
    assert_non_null(b);
    assert_int_equal(ts_count(s), 3);
    ts_assert_line(s, 2, "GET /v1.41/info HTTP/1.1");
    assert_int_equal(ts_req(s, 0)->conn, 1);
    assert_int_equal(ts_req(s, 2)->conn, 1);
    sl_docker_info_free(a);
    sl_docker_info_free(b);
    sl_docker_client_free(c);
}

static void ping_reports_version_os_experimental_and_swarm(void **state)
{
    test_server *s = *state;
    sl_docker_client *c = client_for(s);
    sl_docker_ping_result ping;
    sl_error err;

    ts_raw(s, "HTTP/1.1 200 OK\r\nApi-Version: 1.44\r\nOstype: windows\r\n"
              "Docker-Experimental: true\r\nSwarm: active/manager\r\n"
              "Content-Length: 2\r\n\r\nOK", 0);
    assert_int_equal(sl_docker_ping(c, &ping, &err), 0);
    assert_string_equal(ping.api_version, "1.44");
    assert_string_equal(ping.os_type, "windows");
    assert_true(ping.experimental);
    assert_string_equal(ping.swarm, "active/manager");
    assert_string_equal(sl_docker_client_api_version(c), "1.41");
    sl_docker_client_free(c);
}

/* Errors ------------------------------------------------------------------ */

static void refused_connection_is_a_connect_error(void **state)
{
    struct sockaddr_in sa = {0};
    socklen_t len = sizeof(sa);
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    char host[64], expect[256];
    sl_docker_config cfg = {.host = host};
    sl_docker_client *c;
    sl_error err;

    (void)state;
    sa.sin_family = AF_INET;
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    assert_int_equal(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
    assert_int_equal(getsockname(fd, (struct sockaddr *)&sa, &len), 0);
    close(fd);
    snprintf(host, sizeof(host), "tcp://127.0.0.1:%u", ntohs(sa.sin_port));

    c = sl_docker_client_new(&cfg, &err);
    assert_non_null(c);
    assert_null(sl_docker_info_get(c, &err));
    assert_int_equal(err.code, SL_ERR_CONNECT);
    snprintf(expect, sizeof(expect),
             "cannot connect to '%s': connection refused", host);
    assert_string_equal(err.message, expect);
    assert_string_equal(err.where, "GET /_ping");
    assert_int_equal(err.http_status, 0);
    sl_docker_client_free(c);
}

static void missing_unix_socket_is_a_connect_error(void **state)
{
    sl_docker_config cfg = {.host = "unix:///tmp/sl-no-such-dir/x.sock"};
    sl_docker_client *c = sl_docker_client_new(&cfg, NULL);
    sl_error err;

    (void)state;
    assert_non_null(c);
    assert_null(sl_docker_info_get(c, &err));
    assert_int_equal(err.code, SL_ERR_CONNECT);
    assert_string_equal(err.message,
                        "cannot connect to 'unix:///tmp/sl-no-such-dir/"
                        "x.sock': no such file or directory");
    sl_docker_client_free(c);
}

static void unanswered_connect_times_out(void **state)
{
    struct sockaddr_in sa = {0};
    socklen_t len = sizeof(sa);
    int lfd = socket(AF_INET, SOCK_STREAM, 0);
    int fill[4];
    char host[64], expect[256];
    sl_docker_config cfg = {
        .host = host, .connect_timeout_ms = 200, .timeout_ms = 3000,
    };
    sl_docker_client *c;
    sl_error err;

    (void)state;
    sa.sin_family = AF_INET;
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    assert_int_equal(bind(lfd, (struct sockaddr *)&sa, sizeof(sa)), 0);
    assert_int_equal(getsockname(lfd, (struct sockaddr *)&sa, &len), 0);
    assert_int_equal(listen(lfd, 0), 0);
    /* A full accept queue: the kernel drops further connection attempts. */
    for (int i = 0; i < 4; i++) {
        fill[i] = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
        connect(fill[i], (struct sockaddr *)&sa, sizeof(sa));
    }
    usleep(50 * 1000);
    snprintf(host, sizeof(host), "tcp://127.0.0.1:%u", ntohs(sa.sin_port));

    c = sl_docker_client_new(&cfg, &err);
    assert_non_null(c);
    assert_null(sl_docker_info_get(c, &err));
    assert_int_equal(err.code, SL_ERR_TIMEOUT);
    snprintf(expect, sizeof(expect), "cannot connect to '%s' within 200 ms",
             host);
    assert_string_equal(err.message, expect);
    sl_docker_client_free(c);
    for (int i = 0; i < 4; i++)
        close(fill[i]);
    close(lfd);
}

static void slow_daemon_times_out(void **state)
{
    test_server *s = *state;
    sl_docker_config cfg = {.host = s->url, .timeout_ms = 300};
    sl_docker_client *c = sl_docker_client_new(&cfg, NULL);
    char expect[256];
    int64_t start;
    sl_error err;

    ts_ping(s, "1.41");
    ts_raw(s, "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\n{}", 3000);
    start = now_ms();
    assert_null(sl_docker_info_get(c, &err));
    assert_true(now_ms() - start < 2000);
    assert_int_equal(err.code, SL_ERR_TIMEOUT);
    snprintf(expect, sizeof(expect), "no answer from '%s' within 300 ms",
             s->url);
    assert_string_equal(err.message, expect);
    assert_string_equal(err.where, "GET /v1.41/info");
    sl_docker_client_free(c);
}

static void hanging_daemon_times_out_in_whole_seconds(void **state)
{
    test_server *s = *state;
    sl_docker_config cfg = {.host = s->url, .timeout_ms = 1000};
    sl_docker_client *c = sl_docker_client_new(&cfg, NULL);
    char expect[256];
    sl_error err;

    ts_hang(s);
    assert_null(sl_docker_info_get(c, &err));
    assert_int_equal(err.code, SL_ERR_TIMEOUT);
    snprintf(expect, sizeof(expect), "no answer from '%s' within 1 s",
             s->url);
    assert_string_equal(err.message, expect);
    sl_docker_client_free(c);
}

static void daemon_closing_without_answer_is_a_protocol_error(void **state)
{
    test_server *s = *state;
    sl_docker_client *c = client_for(s);
    char expect[256];
    sl_error err;

    ts_ping(s, "1.41");
    ts_close(s);
    assert_null(sl_docker_info_get(c, &err));
    assert_int_equal(err.code, SL_ERR_PROTOCOL);
    snprintf(expect, sizeof(expect), "no answer from '%s': connection closed",
             s->url);
    assert_string_equal(err.message, expect);
    sl_docker_client_free(c);
}

static void malformed_body_is_a_protocol_error(void **state)
{
    test_server *s = *state;
    sl_docker_client *c = client_for(s);
    sl_error err;

    ts_ping(s, "1.41");
    ts_json(s, 200, "<html><body>gateway</body></html>");
    assert_null(sl_docker_info_get(c, &err));
    assert_int_equal(err.code, SL_ERR_PROTOCOL);
    assert_string_equal(err.message,
                        "malformed answer to 'GET /v1.41/info': expected a "
                        "json object, got '<html><body>gateway</body>"
                        "</html>'");
    assert_string_equal(err.where, "GET /v1.41/info");
    sl_docker_client_free(c);
}

static void wrong_json_type_is_a_protocol_error(void **state)
{
    test_server *s = *state;
    sl_docker_client *c = client_for(s);
    sl_docker_filter f = {"role", "manager"};
    sl_error err;

    ts_ping(s, "1.41");
    ts_json(s, 200, "{\"ID\":\"x\"}");
    assert_null(sl_docker_nodes_list(c, &f, 1, &err));
    assert_int_equal(err.code, SL_ERR_PROTOCOL);
    assert_string_equal(err.message,
                        "malformed answer to 'GET /v1.41/nodes': expected a "
                        "json array, got a json object");
    sl_docker_client_free(c);
}

static void truncated_body_is_a_protocol_error(void **state)
{
    test_server *s = *state;
    sl_docker_client *c = client_for(s);
    sl_error err;

    ts_ping(s, "1.41");
    ts_raw_close(s, "HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n{\"ID\":");
    assert_null(sl_docker_info_get(c, &err));
    assert_int_equal(err.code, SL_ERR_PROTOCOL);
    assert_non_null(strstr(err.message, "cut short"));
    sl_docker_client_free(c);
}

static void non_http_answer_is_a_protocol_error(void **state)
{
    test_server *s = *state;
    sl_docker_client *c = client_for(s);
    sl_error err;

    ts_raw_close(s, "SSH-2.0-OpenSSH_9.2p1 Debian-2\r\n");
    assert_null(sl_docker_info_get(c, &err));
    assert_int_equal(err.code, SL_ERR_PROTOCOL);
    assert_non_null(strstr(err.message, "malformed http answer from"));
    sl_docker_client_free(c);
}

static void error_status_carries_daemon_message(void **state)
{
    test_server *s = *state;
    sl_docker_client *c = client_for(s);
    sl_docker_filter f = {"role", "worker"};
    const char *msg = "This node is not a swarm manager. Worker nodes can't "
                      "be used to view or modify cluster state. Please run "
                      "this command on a manager node or promote the "
                      "current node to a manager.";
    char body[512];
    sl_error err;

    snprintf(body, sizeof(body), "{\"message\":\"%s\"}", msg);
    ts_ping(s, "1.41");
    ts_json(s, 503, body);
    assert_null(sl_docker_nodes_list(c, &f, 1, &err));
    assert_int_equal(err.code, SL_ERR_API);
    assert_int_equal(err.http_status, 503);
    assert_string_equal(err.message, msg);
    assert_string_equal(err.where, "GET /v1.41/nodes");
    sl_docker_client_free(c);
}

static void error_message_is_unescaped_as_the_daemon_meant_it(void **state)
{
    test_server *s = *state;
    sl_docker_client *c = client_for(s);
    sl_error err;

    ts_ping(s, "1.41");
    ts_json(s, 500, "{\"message\":\"Get \\\"https://registry-1.docker.io/"
                    "v2/\\\": dial tcp: lookup registry-1.docker.io: no "
                    "such host\"}");
    assert_null(sl_docker_call(c, "GET", "/distribution/bb:1/json", NULL,
                               &err));
    assert_int_equal(err.code, SL_ERR_API);
    assert_int_equal(err.http_status, 500);
    assert_string_equal(err.message,
                        "Get \"https://registry-1.docker.io/v2/\": dial "
                        "tcp: lookup registry-1.docker.io: no such host");
    assert_string_equal(err.where, "GET /v1.41/distribution/bb:1/json");
    sl_docker_client_free(c);
}

static void not_found_status_is_a_not_found_error(void **state)
{
    test_server *s = *state;
    sl_docker_client *c = client_for(s);
    sl_error err;

    ts_ping(s, "1.41");
    ts_json(s, 404, "{\"message\":\"node n2d-wrkr-9 not found\"}");
    assert_null(sl_docker_node_inspect(c, "n2d-wrkr-9", &err));
    assert_int_equal(err.code, SL_ERR_NOT_FOUND);
    assert_int_equal(err.http_status, 404);
    assert_string_equal(err.message, "node n2d-wrkr-9 not found");
    assert_string_equal(err.where, "GET /v1.41/nodes/n2d-wrkr-9");
    sl_docker_client_free(c);
}

static void conflict_status_is_a_conflict_error(void **state)
{
    test_server *s = *state;
    sl_docker_client *c = client_for(s);
    json_t *spec = json_pack("{s:s}", "Name", "web");
    sl_error err;

    ts_ping(s, "1.41");
    ts_json(s, 409, "{\"message\":\"rpc error: code = AlreadyExists desc = "
                    "name conflicts with an existing object\"}");
    assert_null(sl_docker_service_create(c, spec, &err));
    assert_int_equal(err.code, SL_ERR_CONFLICT);
    assert_int_equal(err.http_status, 409);
    assert_string_equal(err.message, "rpc error: code = AlreadyExists desc = "
                                     "name conflicts with an existing "
                                     "object");
    assert_string_equal(err.where, "POST /v1.41/services/create");
    json_decref(spec);
    sl_docker_client_free(c);
}

static void error_status_without_json_keeps_the_text(void **state)
{
    test_server *s = *state;
    sl_docker_client *c = client_for(s);
    sl_error err;

    ts_ping(s, "1.41");
    ts_raw(s, "HTTP/1.1 404 Not Found\r\nContent-Type: text/plain\r\n"
              "Content-Length: 19\r\n\r\n404 page not found\n", 0);
    assert_null(sl_docker_call(c, "GET", "/plugins", NULL, &err));
    assert_int_equal(err.code, SL_ERR_NOT_FOUND);
    assert_string_equal(err.message, "404 page not found");
    sl_docker_client_free(c);
}

/* Tracing ----------------------------------------------------------------- */

typedef struct trace_log {
    int n;
    char lines[8][512];
    int64_t duration_ns[8];
} trace_log;

static void record_trace(const sl_docker_trace_event *ev, void *data)
{
    trace_log *log = data;

    if (log->n >= 8)
        return;
    snprintf(log->lines[log->n], sizeof(log->lines[0]), "%s %s %s %d %s",
             ev->endpoint, ev->method, ev->path, ev->status,
             sl_errcode_name(ev->error));
    log->duration_ns[log->n] = ev->duration_ns;
    log->n++;
}

static void trace_reports_method_path_status_and_duration(void **state)
{
    test_server *s = *state;
    trace_log log = {0};
    sl_docker_config cfg = {
        .host = s->url, .trace = record_trace, .trace_data = &log,
    };
    sl_docker_client *c = sl_docker_client_new(&cfg, NULL);
    sl_docker_info *info;
    char expect[256];
    sl_error err;

    ts_ping(s, "1.41");
    ts_json(s, 200, SMALL_INFO);
    ts_json(s, 404, "{\"message\":\"no such service: web\"}");
    info = sl_docker_info_get(c, &err);
    assert_non_null(info);
    assert_null(sl_docker_service_inspect(c, "web", &err));

    assert_int_equal(log.n, 3);
    snprintf(expect, sizeof(expect), "%s GET /_ping 200 ok", s->url);
    assert_string_equal(log.lines[0], expect);
    snprintf(expect, sizeof(expect), "%s GET /v1.41/info 200 ok", s->url);
    assert_string_equal(log.lines[1], expect);
    snprintf(expect, sizeof(expect),
             "%s GET /v1.41/services/web?insertDefaults=false 404 "
             "not-found", s->url);
    assert_string_equal(log.lines[2], expect);
    assert_true(log.duration_ns[1] > 0);
    sl_docker_info_free(info);
    sl_docker_client_free(c);
}

/* Threads ----------------------------------------------------------------- */

typedef struct thread_job {
    test_server *server;
    int ok;
} thread_job;

static void *thread_calls(void *arg)
{
    thread_job *job = arg;
    sl_docker_config cfg = {.host = job->server->url};
    sl_docker_client *c = sl_docker_client_new(&cfg, NULL);

    for (int i = 0; c && i < 10; i++) {
        sl_docker_info *info = sl_docker_info_get(c, NULL);

        job->ok += info != NULL;
        sl_docker_info_free(info);
    }
    sl_docker_client_free(c);
    return NULL;
}

static void separate_clients_work_from_separate_threads(void **state)
{
    thread_job jobs[3];
    pthread_t threads[3];

    (void)state;
    for (int i = 0; i < 3; i++) {
        jobs[i].server = ts_start_tcp();
        jobs[i].ok = 0;
        ts_ping(jobs[i].server, "1.41");
        for (int j = 0; j < 10; j++)
            ts_json(jobs[i].server, 200, SMALL_INFO);
    }
    for (int i = 0; i < 3; i++)
        assert_int_equal(pthread_create(&threads[i], NULL, thread_calls,
                                        &jobs[i]), 0);
    for (int i = 0; i < 3; i++) {
        pthread_join(threads[i], NULL);
        assert_int_equal(jobs[i].ok, 10);
        ts_stop(jobs[i].server);
    }
}

/* TLS --------------------------------------------------------------------- */

/* A throwaway CA, daemon and client certificate, and `openssl s_server`
 * requiring a client certificate from that CA, serving files as answers. */
typedef struct tls_fixture {
    bool skip;
    char dir[64];
    char path[5][160];       /* ca, cert, key, other ca, log */
    pid_t server;
    char url[64];
} tls_fixture;

enum { CA, CERT, KEY, OTHER_CA, LOG };

static tls_fixture tls;

static bool sh(const char *fmt, ...)
{
    char cmd[2048];
    va_list ap;
    int n;

    va_start(ap, fmt);
    n = vsnprintf(cmd, sizeof(cmd), fmt, ap);
    va_end(ap);
    return n > 0 && (size_t)n < sizeof(cmd) && system(cmd) == 0;
}

static bool make_certs(const char *d)
{
    const char *ec = "-newkey ec -pkeyopt ec_paramgen_curve:prime256v1 "
                     "-nodes";

    return sh("cd '%s' && openssl req -x509 %s -keyout ca-key.pem "
              "-out ca.pem -subj /CN=swarmlab-test-ca -days 1 "
              ">/dev/null 2>&1", d, ec) &&
           sh("cd '%s' && openssl req %s -keyout server-key.pem "
              "-out server.csr -subj /CN=localhost >/dev/null 2>&1 && "
              "printf 'subjectAltName=IP:127.0.0.1,DNS:localhost\\n"
              "extendedKeyUsage=serverAuth\\n' > server.ext && "
              "openssl x509 -req -in server.csr -CA ca.pem -CAkey "
              "ca-key.pem -CAcreateserial -out server-cert.pem -days 1 "
              "-extfile server.ext >/dev/null 2>&1", d, ec) &&
           sh("cd '%s' && openssl req %s -keyout key.pem -out client.csr "
              "-subj /CN=swarmlab-test-client >/dev/null 2>&1 && "
              "printf 'extendedKeyUsage=clientAuth\\n' > client.ext && "
              "openssl x509 -req -in client.csr -CA ca.pem -CAkey "
              "ca-key.pem -CAcreateserial -out cert.pem -days 1 "
              "-extfile client.ext >/dev/null 2>&1", d, ec) &&
           sh("cd '%s' && openssl req -x509 %s -keyout other-ca-key.pem "
              "-out other-ca.pem -subj /CN=other-ca -days 1 "
              ">/dev/null 2>&1", d, ec) &&
           sh("cd '%s' && mkdir -p www/v1.41 && printf OK > www/_ping && "
              "printf '{\"ApiVersion\":\"1.41\"}' > www/version && "
              "printf '{\"ID\":\"TLS0\",\"Name\":\"tls-host\"}' "
              "> www/v1.41/info", d);
}

static pid_t start_s_server(const char *d, const char *log)
{
    char www[128];
    pid_t pid;
    int fd;

    snprintf(www, sizeof(www), "%s/www", d);
    pid = fork();
    if (pid != 0)
        return pid;
    fd = open(log, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    if (fd < 0 || chdir(www) < 0)
        _exit(127);
    dup2(fd, 1);
    dup2(fd, 2);
    close(0);
    open("/dev/null", O_RDONLY);
    execlp("openssl", "openssl", "s_server", "-accept", "127.0.0.1:0",
           "-cert", "../server-cert.pem", "-key", "../server-key.pem",
           "-CAfile", "../ca.pem", "-Verify", "1", "-verify_return_error",
           "-WWW", (char *)NULL);
    _exit(127);
}

/* Waits for s_server to say which port it took. */
static unsigned s_server_port(const char *log)
{
    for (int i = 0; i < 100; i++) {
        char buf[4096] = {0};
        FILE *f = fopen(log, "r");
        const char *at;

        if (f) {
            size_t n = fread(buf, 1, sizeof(buf) - 1, f);

            buf[n] = '\0';
            fclose(f);
        }
        at = strstr(buf, "ACCEPT 127.0.0.1:");
        if (at)
            return (unsigned)strtoul(at + 17, NULL, 10);
        usleep(50 * 1000);
    }
    return 0;
}

static int setup_tls(void **state)
{
    static const char *const names[] = {
        "ca.pem", "cert.pem", "key.pem", "other-ca.pem", "server.log",
    };
    unsigned port;

    (void)state;
    clear_docker_env();
    memset(&tls, 0, sizeof(tls));
    if (!sh("command -v openssl >/dev/null 2>&1")) {
        tls.skip = true;
        return 0;
    }
    strcpy(tls.dir, "/tmp/sl-tls-XXXXXX");
    if (!mkdtemp(tls.dir))
        return -1;
    for (int i = 0; i < 5; i++)
        snprintf(tls.path[i], sizeof(tls.path[i]), "%s/%s", tls.dir,
                 names[i]);
    if (!make_certs(tls.dir))
        return -1;
    tls.server = start_s_server(tls.dir, tls.path[LOG]);
    if (tls.server < 0)
        return -1;
    port = s_server_port(tls.path[LOG]);
    if (!port)
        return -1;
    snprintf(tls.url, sizeof(tls.url), "tcp://127.0.0.1:%u", port);
    return 0;
}

static int remove_entry(const char *path, const struct stat *st, int flag,
                        struct FTW *ftw)
{
    (void)st;
    (void)flag;
    (void)ftw;
    return remove(path);
}

static int teardown_tls(void **state)
{
    (void)state;
    clear_docker_env();
    if (tls.server > 0) {
        kill(tls.server, SIGTERM);
        waitpid(tls.server, NULL, 0);
    }
    if (tls.dir[0])
        nftw(tls.dir, remove_entry, 8, FTW_DEPTH | FTW_PHYS);
    return 0;
}

static void tls_verify_presents_client_certificate(void **state)
{
    sl_docker_config cfg = {
        .tls_verify = true,
        .ca_file = tls.path[CA],
        .cert_file = tls.path[CERT],
        .key_file = tls.path[KEY],
    };
    sl_docker_client *c;
    sl_docker_info *info;
    sl_error err;

    (void)state;
    if (tls.skip)
        skip();
    cfg.host = tls.url;
    c = sl_docker_client_new(&cfg, &err);
    assert_non_null(c);
    info = sl_docker_info_get(c, &err);
    if (!info)
        fail_msg("%s", err.message);
    assert_string_equal(info->name, "tls-host");
    assert_string_equal(sl_docker_client_api_version(c), "1.41");
    sl_docker_info_free(info);
    sl_docker_client_free(c);
}

static void tls_verify_from_environment_uses_docker_cert_path(void **state)
{
    sl_docker_client *c;
    sl_docker_info *info;
    sl_error err;

    (void)state;
    if (tls.skip)
        skip();
    setenv("DOCKER_HOST", tls.url, 1);
    setenv("DOCKER_TLS_VERIFY", "1", 1);
    setenv("DOCKER_CERT_PATH", tls.dir, 1);
    c = sl_docker_client_new_from_env(NULL, &err);
    if (!c)
        fail_msg("%s", err.message);
    info = sl_docker_info_get(c, &err);
    if (!info)
        fail_msg("%s", err.message);
    assert_string_equal(info->id, "TLS0");
    sl_docker_info_free(info);
    sl_docker_client_free(c);
    clear_docker_env();
}

static void tls_without_client_certificate_is_refused(void **state)
{
    sl_docker_config cfg = {.tls_verify = true, .ca_file = tls.path[CA]};
    sl_docker_client *c;
    sl_error err;

    (void)state;
    if (tls.skip)
        skip();
    cfg.host = tls.url;
    c = sl_docker_client_new(&cfg, &err);
    assert_non_null(c);
    assert_null(sl_docker_info_get(c, &err));
    assert_int_equal(err.code, SL_ERR_CONNECT);
    assert_non_null(strstr(err.message, tls.url));
    sl_docker_client_free(c);
}

static void tls_verify_refuses_a_daemon_from_another_ca(void **state)
{
    sl_docker_config cfg = {
        .tls_verify = true,
        .ca_file = tls.path[OTHER_CA],
        .cert_file = tls.path[CERT],
        .key_file = tls.path[KEY],
    };
    sl_docker_client *c;
    char expect[256];
    sl_error err;

    (void)state;
    if (tls.skip)
        skip();
    cfg.host = tls.url;
    c = sl_docker_client_new(&cfg, &err);
    assert_non_null(c);
    assert_null(sl_docker_info_get(c, &err));
    assert_int_equal(err.code, SL_ERR_CONNECT);
    snprintf(expect, sizeof(expect),
             "cannot connect to '%s': daemon certificate not trusted", tls.url);
    assert_non_null(strstr(err.message, expect));
    sl_docker_client_free(c);
}

static void unreadable_client_certificate_is_invalid(void **state)
{
    sl_docker_config cfg = {
        .host = "tcp://127.0.0.1:2376",
        .tls_verify = true,
        .cert_file = "/nonexistent/cert.pem",
        .key_file = "/nonexistent/key.pem",
    };
    sl_error err;

    (void)state;
    assert_null(sl_docker_client_new(&cfg, &err));
    assert_int_equal(err.code, SL_ERR_INVALID);
    assert_string_equal(err.message, "cannot read client certificate "
                                     "'/nonexistent/cert.pem': No such file "
                                     "or directory");
}

int main(void)
{
    const struct CMUnitTest plain[] = {
        cmocka_unit_test_setup_teardown(
            docker_host_defaults_to_the_unix_socket, setup_env,
            teardown_env),
        cmocka_unit_test(
            docker_host_tcp_port_defaults_to_2375_or_2376_with_tls),
        cmocka_unit_test(docker_host_forms_the_cli_accepts_are_parsed),
        cmocka_unit_test_setup_teardown(
            docker_host_with_unsupported_scheme_is_invalid, setup_env,
            teardown_env),
        cmocka_unit_test(docker_host_with_bad_port_is_invalid),
        cmocka_unit_test_setup_teardown(docker_host_unix_socket_is_used,
                                        setup_env, teardown_env),
        cmocka_unit_test_setup_teardown(
            docker_api_version_from_environment_pins_the_version, setup_tcp,
            teardown_server),
        cmocka_unit_test_setup_teardown(
            bad_docker_api_version_is_invalid_naming_the_variable,
            setup_env, teardown_env),
        cmocka_unit_test(pinned_api_version_older_than_1_24_is_refused),
        cmocka_unit_test_setup_teardown(
            tls_verify_without_ca_names_docker_cert_path, setup_env,
            teardown_env),
        cmocka_unit_test_setup_teardown(
            docker_cert_path_defaults_to_home_docker, setup_env,
            teardown_env),
        cmocka_unit_test_setup_teardown(negotiates_down_to_daemon_version,
                                        setup_tcp, teardown_server),
        cmocka_unit_test_setup_teardown(negotiates_no_higher_than_1_41,
                                        setup_tcp, teardown_server),
        cmocka_unit_test_setup_teardown(
            falls_back_to_version_when_ping_does_not_say, setup_tcp,
            teardown_server),
        cmocka_unit_test_setup_teardown(refuses_a_daemon_older_than_1_24,
                                        setup_tcp, teardown_server),
        cmocka_unit_test_setup_teardown(
            negotiates_once_and_keeps_the_connection, setup_tcp,
            teardown_server),
        cmocka_unit_test_setup_teardown(
            ping_reports_version_os_experimental_and_swarm, setup_tcp,
            teardown_server),
        cmocka_unit_test(refused_connection_is_a_connect_error),
        cmocka_unit_test(missing_unix_socket_is_a_connect_error),
        cmocka_unit_test(unanswered_connect_times_out),
        cmocka_unit_test_setup_teardown(slow_daemon_times_out, setup_tcp,
                                        teardown_server),
        cmocka_unit_test_setup_teardown(
            hanging_daemon_times_out_in_whole_seconds, setup_tcp,
            teardown_server),
        cmocka_unit_test_setup_teardown(
            daemon_closing_without_answer_is_a_protocol_error, setup_tcp,
            teardown_server),
        cmocka_unit_test_setup_teardown(malformed_body_is_a_protocol_error,
                                        setup_tcp, teardown_server),
        cmocka_unit_test_setup_teardown(wrong_json_type_is_a_protocol_error,
                                        setup_tcp, teardown_server),
        cmocka_unit_test_setup_teardown(truncated_body_is_a_protocol_error,
                                        setup_tcp, teardown_server),
        cmocka_unit_test_setup_teardown(non_http_answer_is_a_protocol_error,
                                        setup_tcp, teardown_server),
        cmocka_unit_test_setup_teardown(error_status_carries_daemon_message,
                                        setup_tcp, teardown_server),
        cmocka_unit_test_setup_teardown(
            error_message_is_unescaped_as_the_daemon_meant_it, setup_tcp,
            teardown_server),
        cmocka_unit_test_setup_teardown(
            not_found_status_is_a_not_found_error, setup_tcp,
            teardown_server),
        cmocka_unit_test_setup_teardown(conflict_status_is_a_conflict_error,
                                        setup_tcp, teardown_server),
        cmocka_unit_test_setup_teardown(
            error_status_without_json_keeps_the_text, setup_tcp,
            teardown_server),
        cmocka_unit_test_setup_teardown(
            trace_reports_method_path_status_and_duration, setup_tcp,
            teardown_server),
        cmocka_unit_test(separate_clients_work_from_separate_threads),
        cmocka_unit_test(unreadable_client_certificate_is_invalid),
    };
    const struct CMUnitTest with_tls[] = {
        cmocka_unit_test(tls_verify_presents_client_certificate),
        cmocka_unit_test(tls_verify_from_environment_uses_docker_cert_path),
        cmocka_unit_test(tls_without_client_certificate_is_refused),
        cmocka_unit_test(tls_verify_refuses_a_daemon_from_another_ca),
    };
    int failed = cmocka_run_group_tests_name("docker_client", plain, NULL,
                                             NULL);

    failed += cmocka_run_group_tests_name("docker_client_tls", with_tls,
                                          setup_tls, teardown_tls);
    return failed;
}
