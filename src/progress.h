/* Progress reports from the library to whoever renders them. */
#ifndef SL_PROGRESS_H
#define SL_PROGRESS_H

#include <stdint.h>

/* One step of one host. Every pointer is borrowed for the call only. */
typedef struct sl_progress {
    const char *host;   /* a host name, or NULL for the whole swarm */
    const char *phase;  /* "creating", "booting", "joining", "joined", ... */
    const char *detail; /* an address, a role, an error; may be NULL */
    int64_t at_ns;      /* when, on the clock of the run */
} sl_progress;

/* Receives reports, possibly from several threads at once. */
typedef void (*sl_progress_fn)(const sl_progress *p, void *data);

#endif /* SL_PROGRESS_H */
