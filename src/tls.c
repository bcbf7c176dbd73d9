/* TLS for the hosts' Docker APIs: a CA, server and client certificates. */
#include "tls.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#define TLS_DAYS_CA 3650
#define TLS_DAYS_LEAF 825
#define TLS_SAN_MAX 2048

/* Fills 'err' with the context and OpenSSL's last reason. Returns -1. */
static int tls_fail(sl_error *err, const char *what, const char *path)
{
    unsigned long e = ERR_get_error();
    char reason[256] = "unknown reason";

    if (e)
        ERR_error_string_n(e, reason, sizeof(reason));
    ERR_clear_error();
    return sl_error_set(err, SL_ERR_IO, "cannot %s '%s': %s", what, path,
                        reason);
}

char *sl_tls_dir_for_state(const char *state_path)
{
    const char *slash = strrchr(state_path, '/');
    char *dir = NULL;
    int n;

    if (slash)
        n = asprintf(&dir, "%.*s/tls", (int)(slash - state_path),
                     state_path);
    else
        n = asprintf(&dir, "tls");
    return n < 0 ? NULL : dir;
}

char *sl_tls_path(const char *dir, const char *name, const char *file)
{
    char *path = NULL;
    int n = name ? asprintf(&path, "%s/hosts/%s/%s", dir, name, file)
                 : asprintf(&path, "%s/%s", dir, file);

    return n < 0 ? NULL : path;
}

char *sl_tls_read_file(const char *path, size_t *size, sl_error *err)
{
    FILE *f = fopen(path, "rb");
    char *buf = NULL;
    long len;

    if (!f || fseek(f, 0, SEEK_END) < 0 || (len = ftell(f)) < 0 ||
        fseek(f, 0, SEEK_SET) < 0) {
        sl_error_set(err, SL_ERR_IO, "cannot read '%s': %s", path,
                     strerror(errno));
        goto cleanup;
    }
    buf = malloc((size_t)len + 1);
    if (!buf || fread(buf, 1, (size_t)len, f) != (size_t)len) {
        sl_error_set(err, SL_ERR_IO, "cannot read '%s'", path);
        free(buf);
        buf = NULL;
        goto cleanup;
    }
    buf[len] = '\0';
    *size = (size_t)len;

cleanup:
    if (f)
        fclose(f);
    return buf;
}

static int make_dir(const char *path, sl_error *err)
{
    if (mkdir(path, 0700) < 0 && errno != EEXIST)
        return sl_error_set(err, SL_ERR_IO, "cannot make '%s': %s", path,
                            strerror(errno));
    if (chmod(path, 0700) < 0)
        return sl_error_set(err, SL_ERR_IO, "cannot protect '%s': %s", path,
                            strerror(errno));
    return 0;
}

/* Makes 'dir' and its parents; the last one 0700. */
static int make_dirs(const char *dir, sl_error *err)
{
    char tmp[4096];
    char *p;

    if (snprintf(tmp, sizeof(tmp), "%s", dir) >= (int)sizeof(tmp))
        return sl_error_set(err, SL_ERR_INVALID, "path too long: '%s'", dir);
    for (p = tmp + 1; *p; p++) {
        if (*p != '/')
            continue;
        *p = '\0';
        if (mkdir(tmp, 0755) < 0 && errno != EEXIST)
            return sl_error_set(err, SL_ERR_IO, "cannot make '%s': %s", tmp,
                                strerror(errno));
        *p = '/';
    }
    return make_dir(tmp, err);
}

/* Writing PEM files ------------------------------------------------------ */

/* Writes a key (when 'key') or a certificate to 'path' through a
 * temporary file, mode 0600 for keys and 0644 for certificates. */
static int write_pem(const char *path, EVP_PKEY *key, X509 *cert,
                     sl_error *err)
{
    char tmp[4096];
    FILE *f = NULL;
    int fd, ok;

    if (snprintf(tmp, sizeof(tmp), "%s.tmp", path) >= (int)sizeof(tmp))
        return sl_error_set(err, SL_ERR_INVALID, "path too long: '%s'",
                            path);
    fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC,
              key ? 0600 : 0644);
    if (fd < 0 || fchmod(fd, key ? 0600 : 0644) < 0 ||
        !(f = fdopen(fd, "w"))) {
        if (fd >= 0)
            close(fd);
        return sl_error_set(err, SL_ERR_IO, "cannot write '%s': %s", tmp,
                            strerror(errno));
    }
    ok = key ? PEM_write_PrivateKey(f, key, NULL, NULL, 0, NULL, NULL)
             : PEM_write_X509(f, cert);
    if (fclose(f) != 0 || !ok) {
        unlink(tmp);
        return tls_fail(err, "write", path);
    }
    if (rename(tmp, path) < 0) {
        unlink(tmp);
        return sl_error_set(err, SL_ERR_IO, "cannot write '%s': %s", path,
                            strerror(errno));
    }
    return 0;
}

static EVP_PKEY *read_key(const char *path)
{
    FILE *f = fopen(path, "r");
    EVP_PKEY *key = f ? PEM_read_PrivateKey(f, NULL, NULL, NULL) : NULL;

    if (f)
        fclose(f);
    return key;
}

static X509 *read_cert(const char *path)
{
    FILE *f = fopen(path, "r");
    X509 *cert = f ? PEM_read_X509(f, NULL, NULL, NULL) : NULL;

    if (f)
        fclose(f);
    return cert;
}

/* Certificates ----------------------------------------------------------- */

static int add_ext(X509 *cert, X509 *issuer, int nid, const char *value)
{
    X509V3_CTX ctx;
    X509_EXTENSION *ext;
    int ok;

    X509V3_set_ctx(&ctx, issuer ? issuer : cert, cert, NULL, NULL, 0);
    ext = X509V3_EXT_conf_nid(NULL, &ctx, nid, value);
    if (!ext)
        return 0;
    ok = X509_add_ext(cert, ext, -1);
    X509_EXTENSION_free(ext);
    return ok;
}

/* A certificate for 'key' named 'cn', signed by 'ca_key' as 'issuer' (or
 * self-signed when 'issuer' is NULL), with extensions as name/value
 * pairs ending in a 0 nid. */
static X509 *make_cert(EVP_PKEY *key, const char *cn, X509 *issuer,
                       EVP_PKEY *ca_key, int days, const int *nids,
                       const char *const *values)
{
    X509 *cert = X509_new();
    X509_NAME *name = X509_NAME_new();
    BIGNUM *bn = BN_new();
    unsigned char serial[16];
    bool ok;
    int i;

    ok = cert && name && bn && RAND_bytes(serial, sizeof(serial)) == 1;
    if (ok) {
        serial[0] &= 0x7f;
        ok = BN_bin2bn(serial, sizeof(serial), bn) &&
             BN_to_ASN1_INTEGER(bn, X509_get_serialNumber(cert)) &&
             X509_set_version(cert, 2) &&
             X509_NAME_add_entry_by_txt(name, "O", MBSTRING_UTF8,
                                        (const unsigned char *)"swarmlab",
                                        -1, -1, 0) &&
             X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_UTF8,
                                        (const unsigned char *)cn, -1, -1,
                                        0) &&
             X509_set_subject_name(cert, name) &&
             X509_set_issuer_name(cert, issuer ? X509_get_subject_name(issuer)
                                               : name) &&
             X509_gmtime_adj(X509_getm_notBefore(cert), -3600) &&
             X509_gmtime_adj(X509_getm_notAfter(cert),
                             (long)days * 24 * 3600) &&
             X509_set_pubkey(cert, key);
    }
    for (i = 0; ok && nids[i]; i++)
        ok = add_ext(cert, issuer, nids[i], values[i]);
    if (ok)
        ok = X509_sign(cert, ca_key, EVP_sha256()) > 0;
    BN_free(bn);
    X509_NAME_free(name);
    if (!ok) {
        X509_free(cert);
        return NULL;
    }
    return cert;
}

static EVP_PKEY *new_key(void)
{
    return EVP_EC_gen("P-256");
}

/* Makes a key and a certificate and writes both. */
static int issue(const char *key_path, const char *cert_path, const char *cn,
                 X509 *issuer, EVP_PKEY *ca_key, int days, const int *nids,
                 const char *const *values, sl_error *err)
{
    EVP_PKEY *key = new_key();
    X509 *cert = NULL;
    int rc = -1;

    if (!key) {
        tls_fail(err, "make a key for", cn);
        goto cleanup;
    }
    cert = make_cert(key, cn, issuer, ca_key ? ca_key : key, days, nids,
                     values);
    if (!cert) {
        tls_fail(err, "make a certificate for", cn);
        goto cleanup;
    }
    if (write_pem(key_path, key, NULL, err) < 0 ||
        write_pem(cert_path, NULL, cert, err) < 0)
        goto cleanup;
    rc = 0;

cleanup:
    X509_free(cert);
    EVP_PKEY_free(key);
    return rc;
}

/* The CA and its key, read from 'dir'. */
static int load_ca(const char *dir, X509 **ca, EVP_PKEY **ca_key,
                   sl_error *err)
{
    char *cert_path = sl_tls_path(dir, NULL, SL_TLS_CA_FILE);
    char *key_path = sl_tls_path(dir, NULL, "ca-key.pem");
    int rc = 0;

    *ca = cert_path ? read_cert(cert_path) : NULL;
    *ca_key = key_path ? read_key(key_path) : NULL;
    if (!*ca || !*ca_key) {
        rc = tls_fail(err, "read the CA in", dir);
        X509_free(*ca);
        EVP_PKEY_free(*ca_key);
        *ca = NULL;
        *ca_key = NULL;
    }
    free(cert_path);
    free(key_path);
    return rc;
}

int sl_tls_ensure_ca(const char *dir, sl_error *err)
{
    static const int ca_nids[] = {NID_basic_constraints, NID_key_usage,
                                  NID_subject_key_identifier, 0};
    static const char *const ca_values[] = {"critical,CA:TRUE",
                                            "critical,keyCertSign,cRLSign",
                                            "hash"};
    static const int client_nids[] = {NID_basic_constraints, NID_key_usage,
                                      NID_ext_key_usage, 0};
    static const char *const client_values[] = {
        "CA:FALSE", "critical,digitalSignature", "clientAuth"};
    char *ca_path = sl_tls_path(dir, NULL, SL_TLS_CA_FILE);
    char *ca_key_path = sl_tls_path(dir, NULL, "ca-key.pem");
    char *cert_path = sl_tls_path(dir, NULL, SL_TLS_CERT_FILE);
    char *key_path = sl_tls_path(dir, NULL, SL_TLS_KEY_FILE);
    X509 *ca = NULL;
    EVP_PKEY *ca_key = NULL;
    int rc = -1;

    if (!ca_path || !ca_key_path || !cert_path || !key_path) {
        sl_error_set(err, SL_ERR_NOMEM, "out of memory");
        goto cleanup;
    }
    if (make_dirs(dir, err) < 0)
        goto cleanup;
    if ((access(ca_path, R_OK) < 0 || access(ca_key_path, R_OK) < 0) &&
        issue(ca_key_path, ca_path, "swarmlab CA", NULL, NULL, TLS_DAYS_CA,
              ca_nids, ca_values, err) < 0)
        goto cleanup;
    if (access(cert_path, R_OK) == 0 && access(key_path, R_OK) == 0) {
        rc = 0;
        goto cleanup;
    }
    if (load_ca(dir, &ca, &ca_key, err) < 0 ||
        issue(key_path, cert_path, "swarmlab client", ca, ca_key,
              TLS_DAYS_LEAF, client_nids, client_values, err) < 0)
        goto cleanup;
    rc = 0;

cleanup:
    X509_free(ca);
    EVP_PKEY_free(ca_key);
    free(ca_path);
    free(ca_key_path);
    free(cert_path);
    free(key_path);
    return rc;
}

/* The subjectAltName value for a host: "DNS:name,IP:addr,...". */
static int san_value(const char *name, const char *const *addrs, size_t n,
                     char *out, size_t size)
{
    size_t len = (size_t)snprintf(out, size, "DNS:%s", name);
    size_t i;

    for (i = 0; i < n && len < size; i++)
        len += (size_t)snprintf(out + len, size - len, ",IP:%s", addrs[i]);
    return len < size ? 0 : -1;
}

/* Whether 'cert' is signed by 'ca' and names exactly 'name' and 'addrs'
 * (in any order) and nothing else. */
static bool cert_matches(X509 *cert, X509 *ca, const char *name,
                         const char *const *addrs, size_t n)
{
    GENERAL_NAMES *gens = X509_get_ext_d2i(cert, NID_subject_alt_name, NULL,
                                           NULL);
    int count = gens ? sk_GENERAL_NAME_num(gens) : 0, i;
    bool ok = gens && (size_t)count == n + 1 &&
              X509_verify(cert, X509_get0_pubkey(ca)) == 1 &&
              X509_cmp_time(X509_get0_notAfter(cert), NULL) > 0;

    for (i = 0; ok && i < count; i++) {
        GENERAL_NAME *g = sk_GENERAL_NAME_value(gens, i);
        size_t k;

        if (g->type == GEN_DNS) {
            ok = !strcmp((const char *)ASN1_STRING_get0_data(g->d.dNSName),
                         name);
            continue;
        }
        ok = false;
        for (k = 0; g->type == GEN_IPADD && k < n && !ok; k++) {
            ASN1_OCTET_STRING *want = a2i_IPADDRESS(addrs[k]);

            ok = want && !ASN1_OCTET_STRING_cmp(want, g->d.iPAddress);
            ASN1_OCTET_STRING_free(want);
        }
    }
    GENERAL_NAMES_free(gens);
    return ok;
}

int sl_tls_ensure_host(const char *dir, const char *name,
                       const char *const *addrs, size_t n, bool *made,
                       sl_error *err)
{
    static const int nids[] = {NID_basic_constraints, NID_key_usage,
                               NID_ext_key_usage, NID_subject_alt_name, 0};
    const char *values[] = {"CA:FALSE",
                            "critical,digitalSignature,keyEncipherment",
                            "serverAuth", NULL};
    char san[TLS_SAN_MAX], host_dir[4096];
    char *cert_path = sl_tls_path(dir, name, SL_TLS_SERVER_CERT_FILE);
    char *key_path = sl_tls_path(dir, name, SL_TLS_SERVER_KEY_FILE);
    X509 *ca = NULL, *cert = NULL;
    EVP_PKEY *ca_key = NULL;
    int rc = -1;

    if (made)
        *made = false;
    if (!cert_path || !key_path) {
        sl_error_set(err, SL_ERR_NOMEM, "out of memory");
        goto cleanup;
    }
    if (san_value(name, addrs, n, san, sizeof(san)) < 0) {
        sl_error_set(err, SL_ERR_INVALID, "too many addresses for '%s'",
                     name);
        goto cleanup;
    }
    values[3] = san;
    if (load_ca(dir, &ca, &ca_key, err) < 0)
        goto cleanup;
    cert = read_cert(cert_path);
    if (cert && access(key_path, R_OK) == 0 &&
        cert_matches(cert, ca, name, addrs, n)) {
        rc = 0;
        goto cleanup;
    }
    snprintf(host_dir, sizeof(host_dir), "%s/hosts", dir);
    if (make_dir(host_dir, err) < 0)
        goto cleanup;
    snprintf(host_dir, sizeof(host_dir), "%s/hosts/%s", dir, name);
    if (make_dir(host_dir, err) < 0 ||
        issue(key_path, cert_path, name, ca, ca_key, TLS_DAYS_LEAF, nids,
              values, err) < 0)
        goto cleanup;
    if (made)
        *made = true;
    rc = 0;

cleanup:
    ERR_clear_error();
    X509_free(cert);
    X509_free(ca);
    EVP_PKEY_free(ca_key);
    free(cert_path);
    free(key_path);
    return rc;
}

int sl_tls_remove_host(const char *dir, const char *name, sl_error *err)
{
    static const char *const files[] = {SL_TLS_SERVER_CERT_FILE,
                                        SL_TLS_SERVER_KEY_FILE};
    char host_dir[4096];
    size_t i;

    for (i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
        char *path = sl_tls_path(dir, name, files[i]);

        if (!path)
            return sl_error_set(err, SL_ERR_NOMEM, "out of memory");
        if (unlink(path) < 0 && errno != ENOENT) {
            sl_error_set(err, SL_ERR_IO, "cannot remove '%s': %s", path,
                         strerror(errno));
            free(path);
            return -1;
        }
        free(path);
    }
    snprintf(host_dir, sizeof(host_dir), "%s/hosts/%s", dir, name);
    if (rmdir(host_dir) < 0 && errno != ENOENT)
        return sl_error_set(err, SL_ERR_IO, "cannot remove '%s': %s",
                            host_dir, strerror(errno));
    return 0;
}
