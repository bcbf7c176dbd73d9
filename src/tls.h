/* TLS for the hosts' Docker APIs: a CA, server and client certificates. */
#ifndef SL_TLS_H
#define SL_TLS_H

#include <stdbool.h>
#include <stddef.h>

#include "error.h"

/*
 * One directory (0700) holds everything, laid out as the docker CLI
 * expects DOCKER_CERT_PATH to be, so that
 * `DOCKER_CERT_PATH=DIR DOCKER_TLS_VERIFY=1 docker -H tcp://ADDR:2376`
 * works:
 *
 *   DIR/ca.pem, DIR/ca-key.pem        the CA (made once)
 *   DIR/cert.pem, DIR/key.pem         the client certificate
 *   DIR/hosts/NAME/server-cert.pem    a host's server certificate, with its
 *   DIR/hosts/NAME/server-key.pem     name and addresses as SANs
 *
 * Keys are EC P-256, written 0600. Files are replaced atomically.
 */

#define SL_TLS_CA_FILE "ca.pem"
#define SL_TLS_CERT_FILE "cert.pem"
#define SL_TLS_KEY_FILE "key.pem"
#define SL_TLS_SERVER_CERT_FILE "server-cert.pem"
#define SL_TLS_SERVER_KEY_FILE "server-key.pem"

/* The TLS directory beside a state file: "DIR/tls" for "DIR/state.json".
 * The caller frees it. */
char *sl_tls_dir_for_state(const char *state_path);

/* Makes the directory, the CA and the client certificate unless they are
 * there already. */
int sl_tls_ensure_ca(const char *dir, sl_error *err);

/* Makes the server certificate of host 'name' for its 'n' addresses
 * (IPv4 or IPv6 text), unless one signed by the CA for exactly that name
 * and those addresses is there; '*made' (may be NULL) tells whether one
 * was made. A host whose address changed gets a new certificate. */
int sl_tls_ensure_host(const char *dir, const char *name,
                       const char *const *addrs, size_t n, bool *made,
                       sl_error *err);

/* Removes the host's certificate and key; a host without any is fine. */
int sl_tls_remove_host(const char *dir, const char *name, sl_error *err);

/* The path of a host's file 'file' (SL_TLS_SERVER_CERT_FILE, ...), or of
 * a CA or client file when 'name' is NULL. The caller frees it. */
char *sl_tls_path(const char *dir, const char *name, const char *file);

/* Reads a whole file into a buffer the caller frees; '*size' its size. */
char *sl_tls_read_file(const char *path, size_t *size, sl_error *err);

#endif /* SL_TLS_H */
