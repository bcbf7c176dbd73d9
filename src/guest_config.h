/* What a host booted from the image gets: hostname, labels, TLS material. */
#ifndef SL_GUEST_CONFIG_H
#define SL_GUEST_CONFIG_H

#include "docker_client.h"
#include "error.h"
#include "hypervisor.h"

/*
 * The guest hook of real hypervisors: for each host, a server
 * certificate for its name and reserved address (tls.h, made again when
 * the address changes), the CA, engine labels (swarmlab.host, swarmlab.os)
 * and, when the host is destroyed, the removal of its certificate and key.
 */
typedef struct sl_guest_config sl_guest_config;

/* A guest configuration keeping its TLS material in 'tls_dir', where the
 * CA and the client certificate are made unless there. Free with
 * sl_guest_config_free(). */
sl_guest_config *sl_guest_config_new(const char *tls_dir, sl_error *err);

/* Frees it; accepts NULL. */
void sl_guest_config_free(sl_guest_config *g);

/* The hook for sl_hv_options.guest_hook; 'g' must outlive the
 * hypervisor. */
sl_hv_guest_hook sl_guest_config_hook(sl_guest_config *g);

/* Sets the TLS fields of 'cfg' (tls_verify, CA, client certificate and
 * key) to reach the hosts; the strings are borrowed from 'g'. */
void sl_guest_config_docker(const sl_guest_config *g, sl_docker_config *cfg);

/* The TLS directory; borrowed. */
const char *sl_guest_config_tls_dir(const sl_guest_config *g);

#endif /* SL_GUEST_CONFIG_H */
