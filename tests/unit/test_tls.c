/* Tests of the TLS material: SANs, private keys, mutual TLS with the client. */
#include "testutil.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include "docker_client.h"
#include "tls.h"

typedef struct fixture {
    char dir[64];
} fixture;

static int setup(void **state)
{
    fixture *f = calloc(1, sizeof(*f));
    sl_error err;
    char tls[80];

    strcpy(f->dir, "/tmp/sl-tls-XXXXXX");
    assert_non_null(mkdtemp(f->dir));
    snprintf(tls, sizeof(tls), "%s/tls", f->dir);
    if (sl_tls_ensure_ca(tls, &err) < 0)
        fail_msg("%s", err.message);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fixture *f = *state;
    char cmd[160];

    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", f->dir);
    assert_int_equal(system(cmd), 0);
    free(f);
    return 0;
}

static char *tls_dir(const fixture *f)
{
    static char dir[80];

    snprintf(dir, sizeof(dir), "%s/tls", f->dir);
    return dir;
}

static X509 *load_cert(const char *path)
{
    FILE *fp = fopen(path, "r");
    X509 *cert;

    assert_non_null(fp);
    cert = PEM_read_X509(fp, NULL, NULL, NULL);
    fclose(fp);
    assert_non_null(cert);
    return cert;
}

static void ensure_host(const fixture *f, const char *name, const char *addr,
                        bool *made)
{
    const char *addrs[] = {addr};
    sl_error err;

    if (sl_tls_ensure_host(tls_dir(f), name, addrs, 1, made, &err) < 0)
        fail_msg("%s", err.message);
}

static void host_certificate_names_the_host_and_its_address(void **state)
{
    fixture *f = *state;
    char *path;
    X509 *cert;

    ensure_host(f, "n2d-mngr-0", "10.77.0.10", NULL);
    path = sl_tls_path(tls_dir(f), "n2d-mngr-0", SL_TLS_SERVER_CERT_FILE);
    cert = load_cert(path);
    assert_int_equal(X509_check_host(cert, "n2d-mngr-0", 0, 0, NULL), 1);
    assert_int_equal(X509_check_ip_asc(cert, "10.77.0.10", 0), 1);
    assert_int_equal(X509_check_ip_asc(cert, "10.77.0.11", 0), 0);
    assert_true(X509_get_extended_key_usage(cert) & XKU_SSL_SERVER);
    X509_free(cert);
    free(path);
}

static void client_certificate_is_for_clients(void **state)
{
    fixture *f = *state;
    char *path = sl_tls_path(tls_dir(f), NULL, SL_TLS_CERT_FILE);
    X509 *cert = load_cert(path);

    assert_true(X509_get_extended_key_usage(cert) & XKU_SSL_CLIENT);
    X509_free(cert);
    free(path);
}

static void mode_of(const char *path, unsigned want)
{
    struct stat sb;

    assert_int_equal(stat(path, &sb), 0);
    if ((sb.st_mode & 07777) != want)
        fail_msg("'%s' has mode %04o, not %04o", path, sb.st_mode & 07777,
                 want);
}

static void keys_are_private(void **state)
{
    fixture *f = *state;
    static const char *const keys[] = {"ca-key.pem", SL_TLS_KEY_FILE};
    char *path;
    size_t i;

    ensure_host(f, "n2d-wrkr-0", "10.77.0.11", NULL);
    mode_of(tls_dir(f), 0700);
    for (i = 0; i < 2; i++) {
        path = sl_tls_path(tls_dir(f), NULL, keys[i]);
        mode_of(path, 0600);
        free(path);
    }
    path = sl_tls_path(tls_dir(f), "n2d-wrkr-0", SL_TLS_SERVER_KEY_FILE);
    mode_of(path, 0600);
    free(path);
}

static void same_address_keeps_the_certificate(void **state)
{
    fixture *f = *state;
    bool made;

    ensure_host(f, "n2d-wrkr-1", "10.77.0.12", &made);
    assert_true(made);
    ensure_host(f, "n2d-wrkr-1", "10.77.0.12", &made);
    assert_false(made);
}

static void new_address_gets_a_new_certificate(void **state)
{
    fixture *f = *state;
    char *path;
    X509 *cert;
    bool made;

    ensure_host(f, "n2d-wrkr-2", "10.77.0.13", &made);
    ensure_host(f, "n2d-wrkr-2", "10.77.0.99", &made);
    assert_true(made);
    path = sl_tls_path(tls_dir(f), "n2d-wrkr-2", SL_TLS_SERVER_CERT_FILE);
    cert = load_cert(path);
    assert_int_equal(X509_check_ip_asc(cert, "10.77.0.99", 0), 1);
    assert_int_equal(X509_check_ip_asc(cert, "10.77.0.13", 0), 0);
    X509_free(cert);
    free(path);
}

static void removed_host_leaves_no_files(void **state)
{
    fixture *f = *state;
    char host_dir[128];
    sl_error err;

    ensure_host(f, "n2d-gone", "10.77.0.14", NULL);
    assert_int_equal(sl_tls_remove_host(tls_dir(f), "n2d-gone", &err), 0);
    snprintf(host_dir, sizeof(host_dir), "%s/hosts/n2d-gone", tls_dir(f));
    assert_int_equal(access(host_dir, F_OK), -1);
    assert_int_equal(sl_tls_remove_host(tls_dir(f), "n2d-gone", &err), 0);
}

/* A one-connection HTTPS server that insists on a client certificate
 * signed by the CA and answers any request as dockerd answers /_ping. */
typedef struct server {
    SSL_CTX *ctx;
    int listener;
    int port;
    pthread_t thread;
    int handshakes_ok;
    int requests;
} server;

static void *serve_one(void *data)
{
    static const char answer[] = "HTTP/1.1 200 OK\r\nApi-Version: 1.41\r\n"
                                 "Ostype: linux\r\nContent-Length: 2\r\n"
                                 "Connection: close\r\n\r\nOK";
    server *s = data;
    int fd = accept(s->listener, NULL, NULL);
    SSL *ssl = fd >= 0 ? SSL_new(s->ctx) : NULL;
    char buf[4096];

    if (ssl && SSL_set_fd(ssl, fd) == 1 && SSL_accept(ssl) == 1) {
        s->handshakes_ok++;
        if (SSL_read(ssl, buf, sizeof(buf)) > 0) {
            s->requests++;
            SSL_write(ssl, answer, (int)strlen(answer));
        }
        SSL_shutdown(ssl);
    }
    SSL_free(ssl);
    if (fd >= 0)
        close(fd);
    return NULL;
}

static void server_start(server *s, const fixture *f, const char *host)
{
    char *cert = sl_tls_path(tls_dir(f), host, SL_TLS_SERVER_CERT_FILE);
    char *key = sl_tls_path(tls_dir(f), host, SL_TLS_SERVER_KEY_FILE);
    char *ca = sl_tls_path(tls_dir(f), NULL, SL_TLS_CA_FILE);
    struct sockaddr_in sa = {.sin_family = AF_INET};
    socklen_t len = sizeof(sa);

    memset(s, 0, sizeof(*s));
    s->ctx = SSL_CTX_new(TLS_server_method());
    assert_non_null(s->ctx);
    assert_int_equal(SSL_CTX_use_certificate_file(s->ctx, cert,
                                                  SSL_FILETYPE_PEM), 1);
    assert_int_equal(SSL_CTX_use_PrivateKey_file(s->ctx, key,
                                                 SSL_FILETYPE_PEM), 1);
    assert_int_equal(SSL_CTX_load_verify_locations(s->ctx, ca, NULL), 1);
    SSL_CTX_set_verify(s->ctx, SSL_VERIFY_PEER |
                       SSL_VERIFY_FAIL_IF_NO_PEER_CERT, NULL);
    s->listener = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    assert_int_equal(bind(s->listener, (struct sockaddr *)&sa, sizeof(sa)),
                     0);
    assert_int_equal(listen(s->listener, 1), 0);
    getsockname(s->listener, (struct sockaddr *)&sa, &len);
    s->port = ntohs(sa.sin_port);
    assert_int_equal(pthread_create(&s->thread, NULL, serve_one, s), 0);
    free(cert);
    free(key);
    free(ca);
}

static void server_stop(server *s)
{
    shutdown(s->listener, SHUT_RDWR);
    close(s->listener);
    pthread_join(s->thread, NULL);
    SSL_CTX_free(s->ctx);
}

/* Pings the server on 127.0.0.1; 'with_cert': present the client
 * certificate. */
static int ping(const fixture *f, const server *s, bool with_cert,
                sl_error *err)
{
    char host[64];
    char *ca = sl_tls_path(tls_dir(f), NULL, SL_TLS_CA_FILE);
    char *cert = sl_tls_path(tls_dir(f), NULL, SL_TLS_CERT_FILE);
    char *key = sl_tls_path(tls_dir(f), NULL, SL_TLS_KEY_FILE);
    sl_docker_config cfg = {0};
    sl_docker_ping_result res;
    sl_docker_client *c;
    int rc;

    snprintf(host, sizeof(host), "tcp://127.0.0.1:%d", s->port);
    cfg.host = host;
    cfg.tls_verify = true;
    cfg.ca_file = ca;
    cfg.cert_file = with_cert ? cert : NULL;
    cfg.key_file = with_cert ? key : NULL;
    cfg.api_version = "1.41";
    cfg.timeout_ms = 5000;
    c = sl_docker_client_new(&cfg, err);
    assert_non_null(c);
    rc = sl_docker_ping(c, &res, err);
    sl_docker_client_free(c);
    free(ca);
    free(cert);
    free(key);
    return rc;
}

static void client_completes_mutual_tls_with_a_host_certificate(void **state)
{
    fixture *f = *state;
    server s;
    sl_error err;

    ensure_host(f, "local", "127.0.0.1", NULL);
    server_start(&s, f, "local");
    if (ping(f, &s, true, &err) < 0)
        fail_msg("%s", err.message);
    server_stop(&s);
    assert_int_equal(s.handshakes_ok, 1);
    assert_int_equal(s.requests, 1);
}

static void certificate_for_another_address_is_refused(void **state)
{
    fixture *f = *state;
    server s;
    sl_error err;

    ensure_host(f, "elsewhere", "10.77.0.50", NULL);
    server_start(&s, f, "elsewhere");
    assert_int_equal(ping(f, &s, true, &err), -1);
    assert_int_equal(err.code, SL_ERR_CONNECT);
    server_stop(&s);
    assert_int_equal(s.requests, 0);
}

static void client_without_a_certificate_is_refused(void **state)
{
    fixture *f = *state;
    server s;
    sl_error err;

    ensure_host(f, "local", "127.0.0.1", NULL);
    server_start(&s, f, "local");
    assert_int_equal(ping(f, &s, false, &err), -1);
    server_stop(&s);
    assert_int_equal(s.handshakes_ok, 0);
    assert_int_equal(s.requests, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(
            host_certificate_names_the_host_and_its_address, setup,
            teardown),
        cmocka_unit_test_setup_teardown(client_certificate_is_for_clients,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(keys_are_private, setup, teardown),
        cmocka_unit_test_setup_teardown(same_address_keeps_the_certificate,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(new_address_gets_a_new_certificate,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(removed_host_leaves_no_files, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(
            client_completes_mutual_tls_with_a_host_certificate, setup,
            teardown),
        cmocka_unit_test_setup_teardown(
            certificate_for_another_address_is_refused, setup, teardown),
        cmocka_unit_test_setup_teardown(
            client_without_a_certificate_is_refused, setup, teardown),
    };

    signal(SIGPIPE, SIG_IGN); /* a refused peer closes mid-handshake */
    return cmocka_run_group_tests(tests, NULL, NULL);
}
