/* The fake Docker daemon: an Engine API 1.41 HTTP server for one simulated host. */
#ifndef SL_FAKE_DOCKERD_H
#define SL_FAKE_DOCKERD_H

#include <stdint.h>

#include "error.h"
#include "fake_swarm.h"

typedef struct sl_fake_dockerd sl_fake_dockerd;

/* Serves host 'host' of 'fs' over HTTP on 'bind_addr':'port' (IPv4; port 0
 * picks a free one) from a thread of its own. 'fs' is borrowed and must
 * outlive the server. Returns NULL with 'err' filled when the address
 * cannot be bound. Stop and free with sl_fake_dockerd_stop(). */
sl_fake_dockerd *sl_fake_dockerd_start(sl_fake_swarm *fs, int host,
                                       const char *bind_addr, uint16_t port,
                                       sl_error *err);

/* Same, on a unix socket at 'path' (created 0600, removed on stop). */
sl_fake_dockerd *sl_fake_dockerd_start_unix(sl_fake_swarm *fs, int host,
                                            const char *path, sl_error *err);

/* The TCP port the server listens on (0 for a unix socket). */
uint16_t sl_fake_dockerd_port(const sl_fake_dockerd *d);

/* Makes the server stop answering (connections hang until the client's
 * timeout) or answer again; used to inject "daemon not answering". */
void sl_fake_dockerd_set_frozen(sl_fake_dockerd *d, int frozen);

/* Stops the server, closes its socket and frees it; accepts NULL. */
void sl_fake_dockerd_stop(sl_fake_dockerd *d);

#endif /* SL_FAKE_DOCKERD_H */
