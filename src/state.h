/* The state file: every resource swarmlab made, recorded the moment it exists. */
#ifndef SL_STATE_H
#define SL_STATE_H

#include <jansson.h>

#include "error.h"

/*
 * A state file is a JSON document:
 *
 *   {"version": 1,
 *    "hypervisor": "libvirt", "uri": "qemu:///system", "pool": "default",
 *    (or "hypervisor": "netns", "netns_root": "/run/swarmlab"),
 *    "image": {...},
 *    "hosts": {"n2d-mngr-0": {"role": "manager", "phase": "joined",
 *                             "address": "10.200.0.2", ...}, ...},
 *    "swarm": {"id": "...", "leader": "n2d-mngr-0"}}
 *
 * Every change is written at once and atomically (a temporary file in the
 * same directory, fsync, rename, fsync of the directory), mode 0600. Join
 * tokens and keys are never stored in it.
 */
typedef struct sl_state sl_state;

/* The path used when none is given: $SWARMLAB_STATE, else
 * $XDG_STATE_HOME/swarmlab/state.json, else
 * ~/.local/state/swarmlab/state.json. The caller frees it. */
char *sl_state_default_path(void);

/* Opens the state at 'path' (copied); a missing file is an empty state.
 * A file that is not a state file is an error. Free with sl_state_free. */
sl_state *sl_state_open(const char *path, sl_error *err);

void sl_state_free(sl_state *st);

const char *sl_state_path(const sl_state *st);

/* The document itself, borrowed; change it with the calls below. */
json_t *sl_state_root(sl_state *st);

/* Sets top-level 'key' to 'value' (stolen) and saves. */
int sl_state_set(sl_state *st, const char *key, json_t *value,
                 sl_error *err);

/* Merges 'fields' (stolen) into hosts[name], creating it, and saves. */
int sl_state_update_host(sl_state *st, const char *name, json_t *fields,
                         sl_error *err);

/* Removes hosts[name] and saves. */
int sl_state_remove_host(sl_state *st, const char *name, sl_error *err);

/* hosts[name], borrowed, or NULL. */
json_t *sl_state_host(sl_state *st, const char *name);

/* Writes the document to disk atomically. */
int sl_state_save(sl_state *st, sl_error *err);

/* Removes the file (after a complete destroy). */
int sl_state_remove_file(sl_state *st, sl_error *err);

/* Where the hosts a state records live: all that `swarmlab destroy` needs
 * to find them. Strings are borrowed; NULL: not recorded, or not asked. */
typedef struct sl_state_place {
    const char *hypervisor; /* "fake", "libvirt" or "netns" */
    const char *uri;        /* libvirt: the URI */
    const char *pool;       /* libvirt: the storage pool */
    const char *netns_root; /* netns: the hosts' root directory */
} sl_state_place;

/* What 'st' records, borrowed from its document until the next change. */
void sl_state_place_get(sl_state *st, sl_state_place *place);

/* Records 'place' (strings copied) instead of what was recorded; a NULL
 * field is left out. Written with the next change or sl_state_save(). */
void sl_state_place_set(sl_state *st, const sl_state_place *place);

/*
 * Completes 'asked' from what 'st' records, when it records hosts: a
 * field asked for as NULL takes the recorded value; one asked for that
 * differs from the record is refused (SL_ERR_INVALID, naming both), since
 * the hosts are not there. A state without hosts gives nothing.
 */
int sl_state_place_resolve(sl_state *st, sl_state_place *asked,
                           sl_error *err);

#endif /* SL_STATE_H */
