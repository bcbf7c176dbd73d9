/* Request bodies decoded the way the real daemon decodes them, errors included. */
#ifndef SL_FAKE_JSON_H
#define SL_FAKE_JSON_H

#include <stdbool.h>
#include <stddef.h>

#include <jansson.h>

#include "error.h"

/*
 * Decodes a request body into a JSON object the way dockerd's Go decoder
 * does: one value is read and anything after it is ignored; syntax errors,
 * an empty body and values of the wrong type give the daemon's own 400
 * message ("unexpected EOF", "invalid character 'x' looking for beginning
 * of value", "json: cannot unmarshal number into Go struct field
 * ServiceSpec.Name of type string"). 'type' names the Go type decoded into
 * ("swarm.ServiceSpec"); fields of known types are checked against it.
 * Returns a new reference, or NULL with 'err' filled (http_status 400).
 * An empty body gives an empty object unless 'required'.
 */
json_t *sl_fake_json_decode(const char *body, size_t len, const char *type,
                            bool required, sl_error *err);

#endif /* SL_FAKE_JSON_H */
