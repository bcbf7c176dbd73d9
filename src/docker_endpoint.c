/* Where the Docker daemon is: DOCKER_HOST parsing and the environment. */
#include "docker_internal.h"

#include <ctype.h>
#include <errno.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define DEFAULT_TCP_HOST "localhost"
#define PORT_PLAIN 2375
#define PORT_TLS 2376

static bool host_char_ok(char ch)
{
    return isalnum((unsigned char)ch) || ch == '.' || ch == '-' ||
           ch == '_';
}

/* Checks a host name or IPv4 address, or with 'v6' the inside of [...]. */
static bool host_ok(const char *host, bool v6)
{
    for (const char *p = host; *p; p++) {
        if (!host_char_ok(*p) && !(v6 && (*p == ':' || *p == '%')))
            return false;
    }
    return true;
}

static int parse_port(const char *text, unsigned *port)
{
    char *end = NULL;
    unsigned long v;

    if (!*text || !isdigit((unsigned char)*text))
        return -1;
    errno = 0;
    v = strtoul(text, &end, 10);
    if (errno || *end || v == 0 || v > 65535)
        return -1;
    *port = (unsigned)v;
    return 0;
}

static int parse_unix(const char *spec, const char *path, const char *what,
                      sl_docker_endpoint *ep, sl_error *err)
{
    if (!*path) {
        sl_error_set(err, SL_ERR_INVALID,
                     "invalid %s '%s': no socket path", what, spec);
        goto fail;
    }
    if (strlen(path) >= sizeof(ep->socket_path)) {
        sl_error_set(err, SL_ERR_INVALID,
                     "invalid %s '%s': socket path too long", what, spec);
        goto fail;
    }
    ep->transport = SL_DOCKER_UNIX;
    ep->tls = false;
    strcpy(ep->socket_path, path);
    snprintf(ep->url_base, sizeof(ep->url_base), "http://localhost");
    snprintf(ep->text, sizeof(ep->text), "unix://%s", path);
    return 0;

fail:
    sl_error_where(err, "%s", what);
    return -1;
}

/* Splits "host[:port]" or "[v6][:port]" from 'rest' (which may end in one
 * '/') into ep->host and ep->port. */
static int parse_tcp(const char *spec, const char *scheme, const char *rest,
                     bool tls, const char *what, sl_docker_endpoint *ep,
                     sl_error *err)
{
    char buf[sizeof(ep->host) + 16];
    char *host = buf;
    char *port = NULL;
    size_t len = strlen(rest);
    bool v6 = false;

    if (len && rest[len - 1] == '/')
        len--;
    if (len >= sizeof(buf)) {
        sl_error_set(err, SL_ERR_INVALID,
                     "invalid %s '%s': host name too long", what, spec);
        goto fail;
    }
    memcpy(buf, rest, len);
    buf[len] = '\0';
    if (strchr(buf, '/')) {
        sl_error_set(err, SL_ERR_INVALID,
                     "invalid %s '%s': a path is not supported", what, spec);
        goto fail;
    }

    if (buf[0] == '[') {
        char *close = strchr(buf, ']');

        if (!close || (close[1] && close[1] != ':'))
            goto bad_host;
        *close = '\0';
        host = buf + 1;
        port = close[1] ? close + 2 : NULL;
        v6 = true;
    } else {
        port = strchr(buf, ':');
        if (port && strchr(port + 1, ':'))
            goto bad_host;
        if (port)
            *port++ = '\0';
    }
    if (!host_ok(host, v6) || (v6 && !*host))
        goto bad_host;
    if (strlen(host) >= sizeof(ep->host)) {
        sl_error_set(err, SL_ERR_INVALID,
                     "invalid %s '%s': host name too long", what, spec);
        goto fail;
    }

    ep->port = tls ? PORT_TLS : PORT_PLAIN;
    if (port && parse_port(port, &ep->port) < 0) {
        sl_error_set(err, SL_ERR_INVALID,
                     "invalid %s '%s': bad port '%s'", what, spec, port);
        goto fail;
    }
    ep->transport = SL_DOCKER_TCP;
    ep->tls = tls;
    strcpy(ep->host, *host ? host : DEFAULT_TCP_HOST);
    snprintf(ep->url_base, sizeof(ep->url_base),
             v6 ? "%s://[%s]:%u" : "%s://%s:%u", tls ? "https" : "http",
             ep->host, ep->port);
    snprintf(ep->text, sizeof(ep->text),
             v6 ? "%s://[%s]:%u" : "%s://%s:%u", scheme, ep->host,
             ep->port);
    return 0;

bad_host:
    sl_error_set(err, SL_ERR_INVALID, "invalid %s '%s': bad host name",
                 what, spec);
fail:
    sl_error_where(err, "%s", what);
    return -1;
}

int sl__docker_endpoint_parse(const char *spec, bool tls, const char *what,
                              sl_docker_endpoint *ep, sl_error *err)
{
    const char *sep;
    char scheme[16];
    size_t len;

    memset(ep, 0, sizeof(*ep));
    if (!spec || !*spec)
        spec = SL_DOCKER_DEFAULT_HOST;

    sep = strstr(spec, "://");
    if (!sep)
        return parse_tcp(spec, "tcp", spec, tls, what, ep, err);
    len = (size_t)(sep - spec);
    if (len >= sizeof(scheme))
        len = sizeof(scheme) - 1;
    memcpy(scheme, spec, len);
    scheme[len] = '\0';

    if (!strcmp(scheme, "unix"))
        return parse_unix(spec, sep + 3, what, ep, err);
    if (!strcmp(scheme, "tcp") || !strcmp(scheme, "http"))
        return parse_tcp(spec, scheme, sep + 3, tls, what, ep, err);
    if (!strcmp(scheme, "https"))
        return parse_tcp(spec, scheme, sep + 3, true, what, ep, err);

    sl_error_set(err, SL_ERR_INVALID,
                 "invalid %s '%s': unsupported scheme '%s'", what, spec,
                 scheme);
    sl_error_where(err, "%s", what);
    return -1;
}

int sl_docker_endpoint_parse(const char *spec, bool tls,
                             sl_docker_endpoint *ep, sl_error *err)
{
    return sl__docker_endpoint_parse(spec, tls, "docker host", ep, err);
}

int sl__docker_api_version_parse(const char *text, int *major, int *minor)
{
    unsigned long a, b;
    char *end = NULL;

    if (!text || !isdigit((unsigned char)text[0]))
        return -1;
    a = strtoul(text, &end, 10);
    if (*end != '.' || !isdigit((unsigned char)end[1]))
        return -1;
    b = strtoul(end + 1, &end, 10);
    if (*end || a > 99 || b > 999)
        return -1;
    *major = (int)a;
    *minor = (int)b;
    return 0;
}

/* The environment --------------------------------------------------------- */

static const char *env_nonempty(const char *name)
{
    const char *v = getenv(name);

    return v && *v ? v : NULL;
}

/* Copies 'value' of variable 'name' into 'buf' of 'size'. */
static int env_copy(const char *name, const char *value, char *buf,
                    size_t size, sl_error *err)
{
    if (strlen(value) >= size) {
        sl_error_set(err, SL_ERR_INVALID, "%s is too long", name);
        sl_error_where(err, "%s", name);
        return -1;
    }
    strcpy(buf, value);
    return 0;
}

/* DOCKER_CERT_PATH, else ~/.docker, into 'dir'. */
static int cert_dir(char *dir, size_t size, sl_error *err)
{
    const char *path = env_nonempty("DOCKER_CERT_PATH");
    const char *home;
    struct passwd *pw;

    if (path)
        return env_copy("DOCKER_CERT_PATH", path, dir, size, err);

    home = env_nonempty("HOME");
    if (!home) {
        pw = getpwuid(getuid());
        home = pw ? pw->pw_dir : NULL;
    }
    if (!home) {
        sl_error_set(err, SL_ERR_INVALID,
                     "cannot find the home directory for ~/.docker; "
                     "set DOCKER_CERT_PATH");
        sl_error_where(err, "DOCKER_CERT_PATH");
        return -1;
    }
    if ((size_t)snprintf(dir, size, "%s/.docker", home) >= size) {
        sl_error_set(err, SL_ERR_INVALID, "HOME is too long");
        sl_error_where(err, "HOME");
        return -1;
    }
    return 0;
}

/* dir/'name' into 'buf'; 1 when it can be read, 0 when it does not exist,
 * -1 with 'err' filled when it exists unreadable or 'required' and
 * missing. */
static int cert_file(const char *dir, const char *name, bool required,
                     char *buf, size_t size, sl_error *err)
{
    if ((size_t)snprintf(buf, size, "%s/%s", dir, name) >= size) {
        sl_error_set(err, SL_ERR_INVALID, "DOCKER_CERT_PATH is too long");
        goto fail;
    }
    if (access(buf, R_OK) == 0)
        return 1;
    if (errno == ENOENT && !required) {
        buf[0] = '\0';
        return 0;
    }
    sl_error_set(err, SL_ERR_INVALID,
                 "cannot read '%s' in DOCKER_CERT_PATH '%s': %s", name, dir,
                 strerror(errno));
fail:
    sl_error_where(err, "DOCKER_CERT_PATH");
    return -1;
}

/* The TLS files from the certificate directory, for what 'cfg' lacks. */
static int env_tls_files(sl_docker_config *cfg, sl__docker_env *store,
                         sl_error *err)
{
    char dir[PATH_MAX];
    int have_cert, have_key;

    if (cert_dir(dir, sizeof(dir), err) < 0)
        return -1;

    if (cfg->tls_verify && !cfg->ca_file) {
        if (cert_file(dir, "ca.pem", true, store->ca_file,
                      sizeof(store->ca_file), err) < 0)
            return -1;
        cfg->ca_file = store->ca_file;
    }
    if (cfg->cert_file || cfg->key_file)
        return 0;

    have_cert = cert_file(dir, "cert.pem", false, store->cert_file,
                          sizeof(store->cert_file), err);
    if (have_cert < 0)
        return -1;
    have_key = cert_file(dir, "key.pem", have_cert == 1, store->key_file,
                         sizeof(store->key_file), err);
    if (have_key < 0)
        return -1;
    if (have_cert) {
        cfg->cert_file = store->cert_file;
        cfg->key_file = store->key_file;
    }
    return 0;
}

int sl__docker_config_from_env(sl_docker_config *cfg, sl__docker_env *store,
                               sl_error *err)
{
    const char *v;
    sl_docker_endpoint ep;
    int major, minor;

    memset(store, 0, sizeof(*store));
    if (env_nonempty("DOCKER_TLS_VERIFY"))
        cfg->tls_verify = true;
    if (env_nonempty("DOCKER_TLS"))
        cfg->tls = true;

    v = env_nonempty("DOCKER_HOST");
    if (!cfg->host && v) {
        if (env_copy("DOCKER_HOST", v, store->host, sizeof(store->host),
                     err) < 0)
            return -1;
        if (sl__docker_endpoint_parse(v, cfg->tls || cfg->tls_verify,
                                      "DOCKER_HOST", &ep, err) < 0)
            return -1;
        cfg->host = store->host;
    }

    v = env_nonempty("DOCKER_API_VERSION");
    if (!cfg->api_version && v) {
        if (sl__docker_api_version_parse(v, &major, &minor) < 0 ||
            env_copy("DOCKER_API_VERSION", v, store->api_version,
                     sizeof(store->api_version), err) < 0) {
            sl_error_set(err, SL_ERR_INVALID,
                         "invalid DOCKER_API_VERSION '%s': expected a "
                         "version such as '1.41'", v);
            sl_error_where(err, "DOCKER_API_VERSION");
            return -1;
        }
        cfg->api_version = store->api_version;
    }

    if (cfg->tls || cfg->tls_verify)
        return env_tls_files(cfg, store, err);
    return 0;
}
