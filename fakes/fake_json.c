/* Request bodies decoded the way the real daemon decodes them, errors included. */
#include "fake_json.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>

/*
 * The daemon decodes bodies with Go's encoding/json Decoder. Its syntax
 * errors name the offending character and what the scanner was looking
 * for; the scanner below walks the same states to produce the same words.
 */
typedef struct scan {
    const char *p;
    const char *end;
    char msg[160];
} scan;

static int scan_value(scan *s);

static void skip_space(scan *s)
{
    while (s->p < s->end &&
           (*s->p == ' ' || *s->p == '\t' || *s->p == '\n' || *s->p == '\r'))
        s->p++;
}

/* Go quotes the character it complains about in single quotes, escaping
 * the quote and the unprintable ones. */
static int bad_char(scan *s, const char *context)
{
    unsigned char c = (unsigned char)*s->p;
    char q[16];

    if (c == '\'')
        snprintf(q, sizeof(q), "'\\''");
    else if (c == '\n')
        snprintf(q, sizeof(q), "'\\n'");
    else if (c == '\t')
        snprintf(q, sizeof(q), "'\\t'");
    else if (c == '\r')
        snprintf(q, sizeof(q), "'\\r'");
    else if (c < 0x20 || c == 0x7f)
        snprintf(q, sizeof(q), "'\\x%02x'", c);
    else if (c >= 0x80)
        snprintf(q, sizeof(q), "'\\u%04x'", 0xfffd);
    else
        snprintf(q, sizeof(q), "'%c'", c);
    snprintf(s->msg, sizeof(s->msg), "invalid character %s %s", q, context);
    return -1;
}

static int unexpected_eof(scan *s)
{
    snprintf(s->msg, sizeof(s->msg), "unexpected EOF");
    return -1;
}

static int scan_literal(scan *s, const char *word)
{
    const char *w = word + 1;
    char context[64];

    s->p++;
    for (; *w; w++, s->p++) {
        if (s->p >= s->end)
            return unexpected_eof(s);
        if (*s->p != *w) {
            snprintf(context, sizeof(context), "in literal %s (expecting '%c')",
                     word, *w);
            return bad_char(s, context);
        }
    }
    return 0;
}

static int scan_string(scan *s)
{
    int i;

    s->p++;
    while (s->p < s->end) {
        unsigned char c = (unsigned char)*s->p;

        if (c == '"') {
            s->p++;
            return 0;
        }
        if (c < 0x20)
            return bad_char(s, "in string literal");
        if (c == '\\') {
            s->p++;
            if (s->p >= s->end)
                return unexpected_eof(s);
            if (*s->p == 'u') {
                for (i = 0; i < 4; i++) {
                    s->p++;
                    if (s->p >= s->end)
                        return unexpected_eof(s);
                    if (!isxdigit((unsigned char)*s->p))
                        return bad_char(s,
                                        "in \\u hexadecimal character escape");
                }
            } else if (!strchr("\"\\/bfnrt", *s->p)) {
                return bad_char(s, "in string escape code");
            }
        }
        s->p++;
    }
    return unexpected_eof(s);
}

static int scan_digits(scan *s, const char *context)
{
    if (s->p >= s->end)
        return unexpected_eof(s);
    if (!isdigit((unsigned char)*s->p))
        return bad_char(s, context);
    while (s->p < s->end && isdigit((unsigned char)*s->p))
        s->p++;
    return 0;
}

static int scan_number(scan *s)
{
    if (*s->p == '-')
        s->p++;
    if (s->p < s->end && *s->p == '0')
        s->p++;
    else if (scan_digits(s, "in numeric literal") < 0)
        return -1;
    if (s->p < s->end && *s->p == '.') {
        s->p++;
        if (scan_digits(s, "after decimal point in numeric literal") < 0)
            return -1;
    }
    if (s->p < s->end && (*s->p == 'e' || *s->p == 'E')) {
        s->p++;
        if (s->p < s->end && (*s->p == '+' || *s->p == '-'))
            s->p++;
        if (scan_digits(s, "in exponent of numeric literal") < 0)
            return -1;
    }
    /* At top level a number runs to the end of the stream: the decoder
     * cannot know it ended, so a body that is only a number is cut short. */
    return 0;
}

static int scan_object(scan *s)
{
    s->p++;
    skip_space(s);
    if (s->p < s->end && *s->p == '}') {
        s->p++;
        return 0;
    }
    for (;;) {
        skip_space(s);
        if (s->p >= s->end)
            return unexpected_eof(s);
        if (*s->p != '"')
            return bad_char(s, "looking for beginning of object key string");
        if (scan_string(s) < 0)
            return -1;
        skip_space(s);
        if (s->p >= s->end)
            return unexpected_eof(s);
        if (*s->p != ':')
            return bad_char(s, "after object key");
        s->p++;
        if (scan_value(s) < 0)
            return -1;
        skip_space(s);
        if (s->p >= s->end)
            return unexpected_eof(s);
        if (*s->p == '}') {
            s->p++;
            return 0;
        }
        if (*s->p != ',')
            return bad_char(s, "after object key:value pair");
        s->p++;
    }
}

static int scan_array(scan *s)
{
    s->p++;
    skip_space(s);
    if (s->p < s->end && *s->p == ']') {
        s->p++;
        return 0;
    }
    for (;;) {
        if (scan_value(s) < 0)
            return -1;
        skip_space(s);
        if (s->p >= s->end)
            return unexpected_eof(s);
        if (*s->p == ']') {
            s->p++;
            return 0;
        }
        if (*s->p != ',')
            return bad_char(s, "after array element");
        s->p++;
    }
}

static int scan_value(scan *s)
{
    skip_space(s);
    if (s->p >= s->end)
        return unexpected_eof(s);
    switch (*s->p) {
    case '{': return scan_object(s);
    case '[': return scan_array(s);
    case '"': return scan_string(s);
    case 't': return scan_literal(s, "true");
    case 'f': return scan_literal(s, "false");
    case 'n': return scan_literal(s, "null");
    default:
        if (*s->p == '-' || isdigit((unsigned char)*s->p))
            return scan_number(s);
        return bad_char(s, "looking for beginning of value");
    }
}

/*
 * Types. A small table of the Go structs the daemon decodes request bodies
 * into, enough to refuse values of the wrong kind with its message. Fields
 * that are not listed are accepted as they come.
 */
typedef enum kind {
    K_STRING, K_BOOL, K_INT, K_UINT, K_STRUCT, K_MAP_STRING, K_LIST_STRING,
    K_LIST_STRUCT, K_ANY
} kind;

typedef struct field {
    const char *owner;  /* Go struct name, as the error shows it */
    const char *name;   /* JSON key */
    kind kind;
    const char *gotype; /* Go type as the error shows it */
    const char *child;  /* struct name of K_STRUCT / K_LIST_STRUCT */
} field;

static const field fields[] = {
    {"ServiceSpec", "Name", K_STRING, "string", NULL},
    {"ServiceSpec", "Labels", K_MAP_STRING, "map[string]string", NULL},
    {"ServiceSpec", "TaskTemplate", K_STRUCT, "swarm.TaskSpec", "TaskSpec"},
    {"ServiceSpec", "Mode", K_STRUCT, "swarm.ServiceMode", "ServiceMode"},
    {"ServiceSpec", "EndpointSpec", K_STRUCT, "swarm.EndpointSpec",
     "EndpointSpec"},
    {"TaskSpec", "ContainerSpec", K_STRUCT, "swarm.ContainerSpec",
     "ContainerSpec"},
    {"TaskSpec", "Placement", K_STRUCT, "swarm.Placement", "Placement"},
    {"TaskSpec", "ForceUpdate", K_UINT, "uint64", NULL},
    {"TaskSpec", "Runtime", K_STRING, "swarm.RuntimeType", NULL},
    {"ContainerSpec", "Image", K_STRING, "string", NULL},
    {"ContainerSpec", "Labels", K_MAP_STRING, "map[string]string", NULL},
    {"ContainerSpec", "Command", K_LIST_STRING, "[]string", NULL},
    {"ContainerSpec", "Args", K_LIST_STRING, "[]string", NULL},
    {"ContainerSpec", "Hostname", K_STRING, "string", NULL},
    {"ContainerSpec", "Env", K_LIST_STRING, "[]string", NULL},
    {"ContainerSpec", "Dir", K_STRING, "string", NULL},
    {"ContainerSpec", "User", K_STRING, "string", NULL},
    {"Placement", "Constraints", K_LIST_STRING, "[]string", NULL},
    {"Placement", "MaxReplicas", K_UINT, "uint64", NULL},
    {"ServiceMode", "Replicated", K_STRUCT, "swarm.ReplicatedService",
     "ReplicatedService"},
    {"ServiceMode", "Global", K_STRUCT, "swarm.GlobalService",
     "GlobalService"},
    {"ReplicatedService", "Replicas", K_UINT, "uint64", NULL},
    {"EndpointSpec", "Mode", K_STRING, "swarm.ResolutionMode", NULL},
    {"NodeSpec", "Name", K_STRING, "string", NULL},
    {"NodeSpec", "Labels", K_MAP_STRING, "map[string]string", NULL},
    {"NodeSpec", "Role", K_STRING, "swarm.NodeRole", NULL},
    {"NodeSpec", "Availability", K_STRING, "swarm.NodeAvailability", NULL},
    {"InitRequest", "ListenAddr", K_STRING, "string", NULL},
    {"InitRequest", "AdvertiseAddr", K_STRING, "string", NULL},
    {"InitRequest", "DataPathAddr", K_STRING, "string", NULL},
    {"InitRequest", "DataPathPort", K_UINT, "uint32", NULL},
    {"InitRequest", "ForceNewCluster", K_BOOL, "bool", NULL},
    {"InitRequest", "Spec", K_STRUCT, "swarm.Spec", "Spec"},
    {"InitRequest", "AutoLockManagers", K_BOOL, "bool", NULL},
    {"InitRequest", "Availability", K_STRING, "swarm.NodeAvailability", NULL},
    {"InitRequest", "SubnetSize", K_UINT, "uint32", NULL},
    {"JoinRequest", "ListenAddr", K_STRING, "string", NULL},
    {"JoinRequest", "AdvertiseAddr", K_STRING, "string", NULL},
    {"JoinRequest", "DataPathAddr", K_STRING, "string", NULL},
    {"JoinRequest", "RemoteAddrs", K_LIST_STRING, "[]string", NULL},
    {"JoinRequest", "JoinToken", K_STRING, "string", NULL},
    {"JoinRequest", "Availability", K_STRING, "swarm.NodeAvailability", NULL},
    {"Spec", "Name", K_STRING, "string", NULL},
    {"Spec", "Labels", K_MAP_STRING, "map[string]string", NULL},
    {"NetworkCreateRequest", "Name", K_STRING, "string", NULL},
    {"NetworkCreateRequest", "CheckDuplicate", K_BOOL, "bool", NULL},
    {"NetworkCreateRequest", "Driver", K_STRING, "string", NULL},
    {"NetworkCreateRequest", "Scope", K_STRING, "string", NULL},
    {"NetworkCreateRequest", "Internal", K_BOOL, "bool", NULL},
    {"NetworkCreateRequest", "Attachable", K_BOOL, "bool", NULL},
    {"NetworkCreateRequest", "Ingress", K_BOOL, "bool", NULL},
    {"NetworkCreateRequest", "Labels", K_MAP_STRING, "map[string]string",
     NULL},
};

static const field *find_field(const char *owner, const char *key)
{
    size_t i;

    for (i = 0; i < sizeof(fields) / sizeof(fields[0]); i++) {
        if (!strcmp(fields[i].owner, owner) &&
            !strcasecmp(fields[i].name, key))
            return &fields[i];
    }
    return NULL;
}

/* Go's word for a JSON value's kind in "cannot unmarshal X into". */
static const char *json_kind_word(const json_t *v)
{
    switch (json_typeof(v)) {
    case JSON_OBJECT: return "object";
    case JSON_ARRAY: return "array";
    case JSON_STRING: return "string";
    case JSON_INTEGER:
    case JSON_REAL: return "number";
    case JSON_TRUE:
    case JSON_FALSE: return "bool";
    case JSON_NULL: return "null";
    }
    return "value";
}

static bool kind_accepts(kind k, const json_t *v)
{
    if (json_is_null(v))
        return true;
    switch (k) {
    case K_STRING: return json_is_string(v);
    case K_BOOL: return json_is_boolean(v);
    case K_INT: return json_is_integer(v);
    case K_UINT: return json_is_integer(v) && json_integer_value(v) >= 0;
    case K_STRUCT:
    case K_MAP_STRING: return json_is_object(v);
    case K_LIST_STRING:
    case K_LIST_STRUCT: return json_is_array(v);
    case K_ANY: return true;
    }
    return true;
}

static int type_error(sl_error *err, const json_t *v, const char *owner,
                      const char *path, const char *gotype)
{
    const char *word = json_kind_word(v);
    char numword[64];

    if (json_is_integer(v) || json_is_real(v)) {
        if (json_is_integer(v))
            snprintf(numword, sizeof(numword), "number %lld",
                     (long long)json_integer_value(v));
        else
            snprintf(numword, sizeof(numword), "number %g", json_real_value(v));
        /* Go names the number only when it is out of range for the
         * numeric field; for any other field it says "number". */
        if (strncmp(gotype, "uint", 4) && strncmp(gotype, "int", 3))
            word = "number";
        else
            word = numword;
    }
    sl_error_set(err, SL_ERR_INVALID,
                 "json: cannot unmarshal %s into Go struct field %s.%s of "
                 "type %s",
                 word, owner, path, gotype);
    err->http_status = 400;
    return -1;
}

/* Checks the members of 'obj', an instance of struct 'owner', reached at
 * 'path' from the root (empty at the root). */
static int check_struct(const json_t *obj, const char *owner,
                        const char *path, sl_error *err)
{
    const char *key;
    json_t *v;
    char sub[256];

    json_object_foreach((json_t *)obj, key, v) {
        const field *f = find_field(owner, key);
        size_t i;
        json_t *item;

        if (!f)
            continue;
        snprintf(sub, sizeof(sub), "%s%s%s", path, *path ? "." : "", f->name);
        if (!kind_accepts(f->kind, v))
            return type_error(err, v, owner, sub, f->gotype);
        if (f->kind == K_STRUCT && json_is_object(v) &&
            check_struct(v, f->child, sub, err) < 0)
            return -1;
        if (f->kind == K_MAP_STRING && json_is_object(v)) {
            const char *k2;
            json_t *v2;

            json_object_foreach(v, k2, v2) {
                if (!json_is_string(v2) && !json_is_null(v2))
                    return type_error(err, v2, owner, sub, "string");
            }
        }
        if (f->kind == K_LIST_STRING && json_is_array(v)) {
            json_array_foreach(v, i, item) {
                if (!json_is_string(item) && !json_is_null(item))
                    return type_error(err, item, owner, sub, "string");
            }
        }
    }
    return 0;
}

json_t *sl_fake_json_decode(const char *body, size_t len, const char *type,
                            bool required, sl_error *err)
{
    scan s = {body, body + len, ""};
    const char *owner = type ? strchr(type, '.') : NULL;
    json_error_t jerr;
    json_t *value = NULL;

    owner = owner ? owner + 1 : type;
    skip_space(&s);
    if (!body || s.p >= s.end) {
        if (!required)
            return json_object();
        sl_error_set(err, SL_ERR_INVALID,
                     "got EOF while reading request body");
        err->http_status = 400;
        return NULL;
    }
    if (scan_value(&s) < 0) {
        sl_error_set(err, SL_ERR_INVALID, "%s", s.msg);
        err->http_status = 400;
        return NULL;
    }

    value = json_loadb(body, len,
                       JSON_DECODE_ANY | JSON_DISABLE_EOF_CHECK |
                           JSON_ALLOW_NUL,
                       &jerr);
    if (!value) {
        sl_error_set(err, SL_ERR_INVALID, "%s", jerr.text);
        err->http_status = 400;
        return NULL;
    }
    if (json_is_null(value)) {
        json_decref(value);
        return json_object();
    }
    if (!json_is_object(value)) {
        sl_error_set(err, SL_ERR_INVALID,
                     "json: cannot unmarshal %s into Go value of type %s",
                     json_kind_word(value), type ? type : "struct");
        err->http_status = 400;
        json_decref(value);
        return NULL;
    }
    if (owner && check_struct(value, owner, "", err) < 0) {
        json_decref(value);
        return NULL;
    }
    return value;
}
