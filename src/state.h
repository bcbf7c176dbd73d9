/* The state file: every resource swarmlab made, recorded the moment it exists. */
#ifndef SL_STATE_H
#define SL_STATE_H

#include <jansson.h>

#include "error.h"

/*
 * A state file is a JSON document:
 *
 *   {"version": 1,
 *    "hypervisor": "fake", "uri": "...",
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

#endif /* SL_STATE_H */
