/* What a host booted from the image gets: hostname, labels, TLS material. */
#include "guest_config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tls.h"

struct sl_guest_config {
    char *dir;
    char *ca;
    char *cert;
    char *key;
};

sl_guest_config *sl_guest_config_new(const char *tls_dir, sl_error *err)
{
    sl_guest_config *g = calloc(1, sizeof(*g));

    if (g) {
        g->dir = strdup(tls_dir);
        g->ca = sl_tls_path(tls_dir, NULL, SL_TLS_CA_FILE);
        g->cert = sl_tls_path(tls_dir, NULL, SL_TLS_CERT_FILE);
        g->key = sl_tls_path(tls_dir, NULL, SL_TLS_KEY_FILE);
    }
    if (!g || !g->dir || !g->ca || !g->cert || !g->key) {
        sl_error_set(err, SL_ERR_NOMEM, "out of memory");
        sl_guest_config_free(g);
        return NULL;
    }
    if (sl_tls_ensure_ca(tls_dir, err) < 0) {
        sl_guest_config_free(g);
        return NULL;
    }
    return g;
}

void sl_guest_config_free(sl_guest_config *g)
{
    if (!g)
        return;
    free(g->dir);
    free(g->ca);
    free(g->cert);
    free(g->key);
    free(g);
}

static void release(void *data, sl_hv_guest_file *files, size_t n)
{
    size_t i;

    (void)data;
    for (i = 0; i < n; i++)
        free((void *)files[i].data);
    free(files);
}

/* Reads one file of the TLS directory into 'f'. */
static int add_file(const sl_guest_config *g, const char *host,
                    const char *file, const char *path, unsigned mode,
                    sl_hv_guest_file *f, sl_error *err)
{
    char *src = sl_tls_path(g->dir, host, file);
    size_t size = 0;
    char *data;

    if (!src)
        return sl_error_set(err, SL_ERR_NOMEM, "out of memory");
    data = sl_tls_read_file(src, &size, err);
    free(src);
    if (!data)
        return -1;
    *f = (sl_hv_guest_file){path, data, size, mode};
    return 0;
}

static int files(void *data, const sl_hv_host_info *host,
                 sl_hv_guest_file **out, size_t *n, sl_error *err)
{
    const sl_guest_config *g = data;
    const char *addrs[] = {host->address};
    sl_hv_guest_file *f = calloc(4, sizeof(*f));
    char *labels = NULL;
    int len;

    *n = 0;
    if (!f)
        return sl_error_set(err, SL_ERR_NOMEM, "out of memory");
    if (sl_tls_ensure_host(g->dir, host->name, addrs,
                           host->address[0] ? 1 : 0, NULL, err) < 0)
        goto fail;
    if (add_file(g, NULL, SL_TLS_CA_FILE, "tls/ca.pem", 0644, &f[0],
                 err) < 0)
        goto fail;
    *n = 1;
    if (add_file(g, host->name, SL_TLS_SERVER_CERT_FILE,
                 "tls/server-cert.pem", 0644, &f[1], err) < 0)
        goto fail;
    *n = 2;
    if (add_file(g, host->name, SL_TLS_SERVER_KEY_FILE, "tls/server-key.pem",
                 0600, &f[2], err) < 0)
        goto fail;
    *n = 3;
    len = asprintf(&labels, "swarmlab.host=%s\nswarmlab.os=%s\n", host->name,
                   host->os[0] ? host->os : "linux");
    if (len < 0) {
        sl_error_set(err, SL_ERR_NOMEM, "out of memory");
        goto fail;
    }
    f[3] = (sl_hv_guest_file){"labels", labels, (size_t)len, 0644};
    *n = 4;
    *out = f;
    return 0;

fail:
    release(NULL, f, *n);
    *n = 0;
    return -1;
}

static void forget(void *data, const char *host)
{
    const sl_guest_config *g = data;

    sl_tls_remove_host(g->dir, host, NULL);
}

sl_hv_guest_hook sl_guest_config_hook(sl_guest_config *g)
{
    sl_hv_guest_hook hook = {files, release, forget, g};

    return hook;
}

void sl_guest_config_docker(const sl_guest_config *g, sl_docker_config *cfg)
{
    cfg->tls_verify = true;
    cfg->ca_file = g->ca;
    cfg->cert_file = g->cert;
    cfg->key_file = g->key;
}

const char *sl_guest_config_tls_dir(const sl_guest_config *g)
{
    return g->dir;
}
