/* Images a fake engine holds: imported tarballs, their tags, list and inspect. */
#include "fake_swarm_int.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>
#include <zlib.h>

#define TAR_BLOCK 512
#define MAX_INFLATED (INT64_C(1) << 30)
#define NAME_MAX_LEN 255
#define TAG_MAX_LEN 128

#define MSG_TAR "Error processing tar file(exit status 1): "
#define MSG_TAR_EOF MSG_TAR "unexpected EOF"
#define MSG_TAR_HEADER MSG_TAR "archive/tar: invalid tar header"
#define MSG_BAD_FORMAT "invalid reference format"

/* One image in an engine's store. */
typedef struct fs_image {
    char id[FS_HEX_LEN + 8];   /* "sha256:..." */
    char diff_id[FS_HEX_LEN + 8];
    int64_t created;
    int64_t tagged;            /* when it last got a tag, or 0 */
    int64_t size;
    fs_vec tags;               /* char *, owned: "bb:1" */
} fs_image;

/* A reference split as the daemon's reference package reads it. */
typedef struct parsed_ref {
    char name[NAME_MAX_LEN + 64]; /* familiar: "bb", "team/app",
                                     "registry:5000/app" */
    char tag[TAG_MAX_LEN + 1];    /* "" when none */
    bool digest;
} parsed_ref;

static void image_free(fs_image *img)
{
    size_t i;

    for (i = 0; i < img->tags.n; i++)
        free(img->tags.v[i]);
    fs_vec_free(&img->tags);
    free(img);
}

void fs_images_free(fs_vec *images)
{
    size_t i;

    for (i = 0; i < images->n; i++)
        image_free(images->v[i]);
    fs_vec_free(images);
}

/* References ---------------------------------------------------------------- */

static bool lower_alnum(char ch)
{
    return (ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9');
}

static bool alnum(char ch)
{
    return isalnum((unsigned char)ch) != 0;
}

/* A path component: runs of [a-z0-9] joined by '.', '_', '__' or dashes. */
static bool path_component(const char *s, size_t n)
{
    size_t i = 0;

    for (;;) {
        size_t run = 0;

        while (i < n && lower_alnum(s[i]))
            i++, run++;
        if (!run)
            return false;
        if (i == n)
            return true;
        if (s[i] == '.') {
            i++;
        } else if (s[i] == '_') {
            i += i + 1 < n && s[i + 1] == '_' ? 2 : 1;
        } else if (s[i] == '-') {
            while (i < n && s[i] == '-')
                i++;
        } else {
            return false;
        }
    }
}

/* A domain: labels of letters, digits and inner dashes joined by dots,
 * then an optional ":port". */
static bool domain_ok(const char *s, size_t n)
{
    const char *colon = memchr(s, ':', n);
    size_t host = colon ? (size_t)(colon - s) : n;
    size_t i, start = 0;

    if (colon) {
        if (colon + 1 == s + n)
            return false;
        for (i = host + 1; i < n; i++) {
            if (!isdigit((unsigned char)s[i]))
                return false;
        }
    }
    for (i = 0; i <= host; i++) {
        if (i < host && s[i] != '.')
            continue;
        if (i == start || !alnum(s[start]) || !alnum(s[i - 1]))
            return false;
        for (size_t k = start; k < i; k++) {
            if (!alnum(s[k]) && s[k] != '-')
                return false;
        }
        start = i + 1;
    }
    return true;
}

/* The name part: an optional domain, then path components. */
static bool name_ok(const char *s, size_t n)
{
    const char *slash = memchr(s, '/', n);
    size_t i, start = 0;

    if (slash && domain_ok(s, (size_t)(slash - s)))
        start = (size_t)(slash - s) + 1;
    for (i = start; i <= n; i++) {
        if (i < n && s[i] != '/')
            continue;
        if (!path_component(s + start, i - start))
            return false;
        start = i + 1;
    }
    return true;
}

static bool tag_ok(const char *s)
{
    size_t n = strlen(s), i;

    if (n == 0 || n > TAG_MAX_LEN || !(alnum(s[0]) || s[0] == '_'))
        return false;
    for (i = 1; i < n; i++) {
        if (!alnum(s[i]) && !strchr("_.-", s[i]))
            return false;
    }
    return true;
}

/* "algorithm:hex" with an algorithm of letters and digits. */
static bool digest_ok(const char *s)
{
    const char *colon = strchr(s, ':');
    size_t i;

    if (!colon || colon == s || !isalpha((unsigned char)s[0]) ||
        strlen(colon + 1) < 32)
        return false;
    for (i = 1; s + i < colon; i++) {
        if (!alnum(s[i]) && !strchr("-_+.", s[i]))
            return false;
    }
    return strspn(colon + 1, "0123456789abcdefABCDEF") == strlen(colon + 1);
}

/* The reference grammar (name, ":tag", "@digest") over 's'. Fills the
 * name's length, tag and digest; false when 's' does not follow it. */
static bool grammar(const char *s, size_t *name_len, const char **tag,
                    const char **digest)
{
    const char *at = strchr(s, '@');
    size_t n = at ? (size_t)(at - s) : strlen(s);
    const char *colon = NULL, *slash = NULL;
    static char tagbuf[TAG_MAX_LEN + 2];
    size_t i;

    *tag = NULL;
    *digest = at ? at + 1 : NULL;
    if (at && !digest_ok(at + 1))
        return false;
    for (i = 0; i < n; i++) {
        if (s[i] == '/')
            slash = s + i;
        else if (s[i] == ':')
            colon = s + i;
    }
    if (colon && (!slash || colon > slash)) {
        size_t tl = (size_t)(s + n - colon - 1);

        if (tl >= sizeof(tagbuf))
            return false;
        memcpy(tagbuf, colon + 1, tl);
        tagbuf[tl] = '\0';
        if (!tag_ok(tagbuf))
            return false;
        *tag = tagbuf;
        n = (size_t)(colon - s);
    }
    *name_len = n;
    return n > 0 && name_ok(s, n);
}

/* The digest's own checks, after the grammar: a known algorithm and the
 * length of its sums. */
static int digest_check(const char *d, sl_error *err)
{
    static const struct {
        const char *alg;
        size_t hex;
    } algs[] = {{"sha256", 64}, {"sha384", 96}, {"sha512", 128}};
    size_t alen = strcspn(d, ":"), i;

    for (i = 0; i < sizeof(algs) / sizeof(algs[0]); i++) {
        if (strlen(algs[i].alg) != alen || strncmp(d, algs[i].alg, alen))
            continue;
        if (strlen(d + alen + 1) != algs[i].hex)
            return fs_fail(err, 400, "invalid checksum digest length");
        if (strspn(d + alen + 1, "0123456789abcdef") != algs[i].hex)
            return fs_fail(err, 400, "invalid checksum digest format");
        return 0;
    }
    return fs_fail(err, 400, "unsupported digest algorithm");
}

/* 'ref' normalized the way the daemon's ParseNormalizedNamed does it,
 * into 'out' in its familiar form. Fails with the daemon's words (400). */
static int ref_parse(const char *ref, parsed_ref *out, sl_error *err)
{
    const char *slash = strchr(ref, '/');
    bool own_domain = slash && (memchr(ref, '.', (size_t)(slash - ref)) ||
                                memchr(ref, ':', (size_t)(slash - ref)) ||
                                !strncmp(ref, "localhost/", 10));
    const char *remainder = own_domain ? slash + 1 : ref;
    char full[1024], lower[1024];
    const char *tag, *digest;
    size_t rlen = strcspn(remainder, ":"), name_len, i;

    memset(out, 0, sizeof(*out));
    if (strlen(ref) == 64 && strspn(ref, "0123456789abcdef") == 64)
        return fs_fail(err, 400,
                       "invalid repository name (%s), cannot specify "
                       "64-byte hexadecimal strings",
                       ref);
    for (i = 0; i < rlen; i++) {
        if (isupper((unsigned char)remainder[i]))
            return fs_fail(err, 400, MSG_BAD_FORMAT ": repository name "
                                                    "must be lowercase");
    }
    snprintf(full, sizeof(full), "%s%s", own_domain ? "" : "docker.io/",
             ref);
    if (!grammar(full, &name_len, &tag, &digest)) {
        for (i = 0; full[i]; i++)
            lower[i] = (char)tolower((unsigned char)full[i]);
        lower[i] = '\0';
        if (grammar(lower, &name_len, &tag, &digest))
            return fs_fail(err, 400, "repository name must be lowercase");
        return fs_fail(err, 400, MSG_BAD_FORMAT);
    }
    if (name_len > NAME_MAX_LEN)
        return fs_fail(err, 400, "repository name must not be more than "
                                 "255 characters");
    if (digest && digest_check(digest, err) < 0)
        return -1;
    snprintf(out->name, sizeof(out->name), "%.*s", (int)name_len, full);
    if (!strncmp(out->name, "index.docker.io/", 16))
        memmove(out->name, out->name + 6, strlen(out->name + 6) + 1);
    if (!strncmp(out->name, "docker.io/", 10)) {
        /* docker.io/library/bb is "bb", docker.io/team/app "team/app". */
        const char *path = out->name + strlen("docker.io/");
        const char *lib = "library/";

        if (!strncmp(path, lib, strlen(lib)) &&
            !strchr(path + strlen(lib), '/'))
            path += strlen(lib);
        memmove(out->name, path, strlen(path) + 1);
    }
    snprintf(out->tag, sizeof(out->tag), "%s", tag ? tag : "");
    out->digest = digest != NULL;
    return 0;
}

/* Tarballs ------------------------------------------------------------------ */

static int64_t octal(const unsigned char *field, size_t n)
{
    int64_t v = 0;
    size_t i = 0;

    if (field[0] & 0x80) { /* base-256, for sizes past 8 GiB */
        for (i = 1; i < n; i++)
            v = v * 256 + field[i];
        return v;
    }
    while (i < n && (field[i] == ' ' || field[i] == '\0'))
        i++;
    for (; i < n && field[i] >= '0' && field[i] <= '7'; i++)
        v = v * 8 + (field[i] - '0');
    return v;
}

/* Whether the header's checksum holds, as the unsigned or signed sum of
 * its bytes with the checksum field taken as spaces. */
static bool checksum_ok(const unsigned char *h)
{
    int64_t want = octal(h + 148, 8), usum = 0, ssum = 0;
    size_t i;

    for (i = 0; i < TAR_BLOCK; i++) {
        unsigned char ch = i >= 148 && i < 156 ? ' ' : h[i];

        usum += ch;
        ssum += (signed char)ch;
    }
    return want == usum || want == ssum;
}

static bool zero_block(const unsigned char *b)
{
    size_t i;

    for (i = 0; i < TAR_BLOCK; i++) {
        if (b[i])
            return false;
    }
    return true;
}

/* Reads the tarball as the daemon's layer import does: every header must
 * hold, every entry be whole. Fills the unpacked size (files and link
 * targets), or fails with the daemon's words (500). */
static int tar_walk(const unsigned char *t, size_t len, int64_t *size,
                    sl_error *err)
{
    size_t off = 0;

    *size = 0;
    while (off < len) {
        const unsigned char *h = t + off;
        int64_t n;

        if (len - off < TAR_BLOCK)
            return fs_fail(err, 500, MSG_TAR_EOF);
        if (zero_block(h)) {
            off += TAR_BLOCK;
            if (off == len || (len - off >= TAR_BLOCK && zero_block(t + off)))
                return 0;
            return fs_fail(err, 500, len - off < TAR_BLOCK ? MSG_TAR_EOF
                                                           : MSG_TAR_HEADER);
        }
        if (!checksum_ok(h))
            return fs_fail(err, 500, MSG_TAR_HEADER);
        n = octal(h + 124, 12);
        if (n < 0 || (uint64_t)n > len)
            return fs_fail(err, 500, MSG_TAR_EOF);
        if (h[156] == '0' || h[156] == '\0' || h[156] == '7')
            *size += n;
        else if (h[156] == '2')
            *size += (int64_t)strnlen((const char *)h + 157, 100);
        off += TAR_BLOCK + ((size_t)n + TAR_BLOCK - 1) / TAR_BLOCK * TAR_BLOCK;
        if (off > len)
            return fs_fail(err, 500, MSG_TAR_EOF);
    }
    return 0;
}

/* A gzip stream inflated whole; the caller frees '*out'. */
static int gunzip(const unsigned char *in, size_t len, unsigned char **out,
                  size_t *out_len, sl_error *err)
{
    z_stream z = {0};
    unsigned char *buf = NULL;
    size_t cap = len * 4 + 4096;
    int rc = Z_OK;

    if (inflateInit2(&z, 16 + MAX_WBITS) != Z_OK)
        return fs_fail_own(err, SL_ERR_NOMEM, "out of memory");
    z.next_in = (unsigned char *)in;
    z.avail_in = (uInt)len;
    while (rc == Z_OK) {
        unsigned char *grown = realloc(buf, cap);

        if (!grown || cap > (size_t)MAX_INFLATED)
            break;
        buf = grown;
        z.next_out = buf + z.total_out;
        z.avail_out = (uInt)(cap - z.total_out);
        rc = inflate(&z, Z_NO_FLUSH);
        cap *= 2;
    }
    inflateEnd(&z);
    if (rc != Z_STREAM_END) {
        free(buf);
        /* TODO: a real daemon words a corrupt gzip stream its own way. */
        return fs_fail(err, 500, MSG_TAR_EOF);
    }
    *out = buf;
    *out_len = z.total_out;
    return 0;
}

static void sha256_hex(const void *data, size_t len, char *out)
{
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned n = 0, i;

    EVP_Digest(data, len, md, &n, EVP_sha256(), NULL);
    for (i = 0; i < n; i++)
        sprintf(out + 2 * i, "%02x", md[i]);
}

/* Reads the body as a layer: a tarball, plain or gzipped. Fills the layer
 * digest (of the plain tarball) and its unpacked size. */
static int read_layer(const void *body, size_t len, char *diff_hex,
                      int64_t *size, sl_error *err)
{
    static const unsigned char other[][4] = {
        {'B', 'Z', 'h', 0}, {0xfd, '7', 'z', 'X'}, {0x28, 0xb5, 0x2f, 0xfd}};
    const unsigned char *b = body;
    unsigned char *plain = NULL;
    size_t plain_len = 0, i;
    int rc;

    for (i = 0; i < sizeof(other) / sizeof(other[0]); i++) {
        size_t m = other[i][3] ? 4 : 3;

        if (len >= m && !memcmp(b, other[i], m)) {
            /* TODO: bzip2, xz and zstd tarballs are taken unread. */
            sha256_hex(body, len, diff_hex);
            *size = 0;
            return 0;
        }
    }
    if (len >= 3 && b[0] == 0x1f && b[1] == 0x8b && b[2] == 8) {
        if (gunzip(b, len, &plain, &plain_len, err) < 0)
            return -1;
        b = plain;
        len = plain_len;
    }
    rc = tar_walk(b, len, size, err);
    if (rc == 0)
        sha256_hex(b, len, diff_hex);
    free(plain);
    return rc;
}

/* The store ----------------------------------------------------------------- */

/* Takes tag 'ref' ("bb:1") away from whichever image holds it. */
static void untag(fs_host *h, const char *ref)
{
    size_t i, k;

    for (i = 0; i < h->images.n; i++) {
        fs_image *img = h->images.v[i];

        for (k = 0; k < img->tags.n; k++) {
            if (!strcmp(img->tags.v[k], ref)) {
                free(img->tags.v[k]);
                fs_vec_remove(&img->tags, k);
                return;
            }
        }
    }
}

/* Parses the import's reference: 'repo' with 'tag' (which wins over a tag
 * in 'repo'). Fills 'tagged' ("bb:1"), or "" when 'repo' is empty. */
static int import_ref(const char *repo, const char *tag, char *tagged,
                      size_t size, sl_error *err)
{
    parsed_ref pr;

    tagged[0] = '\0';
    if (!repo || !*repo)
        return 0;
    if (ref_parse(repo, &pr, err) < 0)
        return -1;
    if (pr.digest)
        return fs_fail(err, 400, "cannot import digest reference");
    if (tag && *tag) {
        if (!tag_ok(tag))
            return fs_fail(err, 400, "invalid tag format");
        snprintf(pr.tag, sizeof(pr.tag), "%s", tag);
    }
    snprintf(tagged, size, "%s:%s", pr.name, pr.tag[0] ? pr.tag : "latest");
    return 0;
}

json_t *sl_fake_image_import(sl_fake_swarm *fs, int host, const char *repo,
                             const char *tag, const void *body, size_t len,
                             sl_error *err)
{
    fs_host *h = fs_host_at(fs, host);
    char tagged[NAME_MAX_LEN + TAG_MAX_LEN + 72], diff[FS_HEX_LEN + 1];
    char config[512], hex[FS_HEX_LEN + 1];
    fs_image *img = NULL;
    int64_t size = 0;

    if (!h || !h->up) {
        fs_fail_own(err, SL_ERR_CONNECT, "host %d is down", host);
        return NULL;
    }
    if (import_ref(repo, tag, tagged, sizeof(tagged), err) < 0 ||
        read_layer(body, len, diff, &size, err) < 0)
        return NULL;
    img = calloc(1, sizeof(*img));
    if (!img || fs_vec_push(&h->images, img) < 0) {
        free(img);
        fs_fail_own(err, SL_ERR_NOMEM, "out of memory");
        return NULL;
    }
    img->created = fs_now(fs);
    img->size = size;
    snprintf(img->diff_id, sizeof(img->diff_id), "sha256:%s", diff);
    /* The daemon's ID is the digest of the image's config; this one's
     * config is what makes it differ: the layer, the engine, the time. */
    snprintf(config, sizeof(config), "%s %s %lld %zu", img->diff_id,
             h->engine_id, (long long)img->created, h->images.n);
    sha256_hex(config, strlen(config), hex);
    snprintf(img->id, sizeof(img->id), "sha256:%s", hex);
    if (tagged[0]) {
        char *t = fs_strdup(tagged);

        untag(h, tagged);
        if (fs_vec_push(&img->tags, t) < 0)
            free(t);
        img->tagged = img->created;
    }
    return json_string(img->id);
}

/* The image 'ref' names on 'h': a tag, a full ID or an ID prefix. */
static fs_image *image_lookup(fs_host *h, const char *ref, sl_error *err)
{
    const char *hex = !strncmp(ref, "sha256:", 7) ? ref + 7 : ref;
    bool hexish = strspn(hex, "0123456789abcdef") == strlen(hex) && *hex;
    char tagged[NAME_MAX_LEN + TAG_MAX_LEN + 72] = "";
    parsed_ref pr;
    size_t i, k;

    if (hex == ref && !(hexish && strlen(hex) == 64)) {
        if (ref_parse(ref, &pr, err) < 0) {
            char why[sizeof(err->message)];

            snprintf(why, sizeof(why), "%s", err->message);
            fs_fail(err, 400, "no such image: %s: %s", ref, why);
            return NULL;
        }
        snprintf(tagged, sizeof(tagged), "%s:%s", pr.name,
                 pr.tag[0] ? pr.tag : "latest");
        for (i = 0; i < h->images.n; i++) {
            fs_image *img = h->images.v[i];

            for (k = 0; k < img->tags.n; k++) {
                if (!strcmp(img->tags.v[k], tagged))
                    return img;
            }
        }
    }
    for (i = 0; hexish && i < h->images.n; i++) {
        fs_image *img = h->images.v[i];

        if (!strncmp(img->id + 7, hex, strlen(hex)))
            return img;
    }
    if (hex == ref && strlen(hex) == 64)
        fs_fail(err, 404, "no such image: %s: No such image: sha256:%s", ref,
                hex);
    else
        fs_fail(err, 404, "no such image: %s: No such image: %s", ref,
                tagged[0] ? tagged : ref);
    return NULL;
}

bool fs_image_held(fs_host *h, const char *ref)
{
    sl_error err;

    return ref && image_lookup(h, ref, &err) != NULL;
}

static json_t *tags_json(const fs_image *img, bool list)
{
    json_t *tags = json_array();
    size_t i;

    for (i = 0; i < img->tags.n; i++)
        json_array_append_new(tags, json_string(img->tags.v[i]));
    if (list && img->tags.n == 0)
        json_array_append_new(tags, json_string("<none>:<none>"));
    return tags;
}

/* The empty container configuration an imported image carries. */
static json_t *empty_config(void)
{
    return json_pack("{s:s, s:s, s:s, s:b, s:b, s:b, s:b, s:b, s:b, s:n, "
                     "s:n, s:s, s:n, s:s, s:n, s:n, s:n}",
                     "Hostname", "", "Domainname", "", "User", "",
                     "AttachStdin", 0, "AttachStdout", 0, "AttachStderr", 0,
                     "Tty", 0, "OpenStdin", 0, "StdinOnce", 0, "Env", "Cmd",
                     "Image", "", "Volumes", "WorkingDir", "", "Entrypoint",
                     "OnBuild", "Labels");
}

static json_t *graph_driver(const fs_image *img)
{
    char dir[3][FS_HEX_LEN + 64];
    static const char *const leaf[] = {"merged", "diff", "work"};
    int i;

    for (i = 0; i < 3; i++)
        snprintf(dir[i], sizeof(dir[i]), "/var/lib/docker/overlay2/%.64s/%s",
                 img->diff_id + 7, leaf[i]);
    return json_pack("{s:{s:s, s:s, s:s}, s:s}", "Data", "MergedDir", dir[0],
                     "UpperDir", dir[1], "WorkDir", dir[2], "Name",
                     "overlay2");
}

static json_t *image_json(const fs_host *h, const fs_image *img)
{
    const char *arch = !strcmp(h->arch, "x86_64")    ? "amd64"
                       : !strcmp(h->arch, "aarch64") ? "arm64"
                                                     : h->arch;

    return json_pack(
        "{s:s, s:o, s:[], s:s, s:s, s:o, s:s, s:o, s:s, s:s, s:o, s:s, "
        "s:s, s:I, s:I, s:o, s:{s:s, s:[s]}, s:{s:o}}",
        "Id", img->id, "RepoTags", tags_json(img, false), "RepoDigests",
        "Parent", "", "Comment", "Imported from -", "Created",
        fs_time(img->created), "Container", "", "ContainerConfig",
        empty_config(), "DockerVersion", FS_ENGINE_VERSION, "Author", "",
        "Config", empty_config(), "Architecture", arch, "Os", h->os, "Size",
        (json_int_t)img->size, "VirtualSize", (json_int_t)img->size,
        "GraphDriver", graph_driver(img), "RootFS", "Type", "layers",
        "Layers", img->diff_id, "Metadata", "LastTagTime",
        img->tagged ? fs_time(img->tagged)
                    : json_string("0001-01-01T00:00:00Z"));
}

json_t *sl_fake_image_inspect(sl_fake_swarm *fs, int host, const char *ref,
                              sl_error *err)
{
    fs_host *h = fs_host_at(fs, host);
    fs_image *img;

    if (!h || !h->up) {
        fs_fail_own(err, SL_ERR_CONNECT, "host %d is down", host);
        return NULL;
    }
    img = image_lookup(h, ref, err);
    return img ? image_json(h, img) : NULL;
}

json_t *sl_fake_images_list(sl_fake_swarm *fs, int host, sl_error *err)
{
    fs_host *h = fs_host_at(fs, host);
    json_t *out;
    size_t i;

    if (!h || !h->up) {
        fs_fail_own(err, SL_ERR_CONNECT, "host %d is down", host);
        return NULL;
    }
    out = json_array();
    /* Newest first; of two made at the same time, the later one. */
    for (i = h->images.n; i-- > 0;) {
        const fs_image *img = h->images.v[i];
        json_t *digests = img->tags.n ? json_null()
                                      : json_pack("[s]", "<none>@<none>");

        json_array_append_new(
            out, json_pack("{s:i, s:I, s:s, s:n, s:s, s:o, s:o, s:i, s:I, "
                           "s:I}",
                           "Containers", -1, "Created",
                           (json_int_t)(img->created / SL_NS_PER_SEC), "Id",
                           img->id, "Labels", "ParentId", "", "RepoDigests",
                           digests, "RepoTags", tags_json(img, true),
                           "SharedSize", -1, "Size", (json_int_t)img->size,
                           "VirtualSize", (json_int_t)img->size));
    }
    return out;
}
