/* The image each netns host gets: a busybox tarball imported over the API. */
#include "netns_image.h"

#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <curl/curl.h>
#include <jansson.h>

#define TAR_BLOCK 512
#define MAX_TARBALL (INT64_C(1) << 30)
#define ANSWER_MAX 8192

/* The applets linked to busybox besides /bin/sh. */
static const char *const applets[] = {"cat",      "echo", "env",  "false",
                                      "hostname", "id",   "ls",   "ps",
                                      "sleep",    "true", "uname"};

typedef struct tarbuf {
    char *data;
    size_t len, cap;
    bool failed;
} tarbuf;

/* Tarball ------------------------------------------------------------------ */

static char *tar_grow(tarbuf *t, size_t n)
{
    char *p;

    if (t->failed)
        return NULL;
    if (t->len + n > t->cap) {
        size_t cap = t->cap ? t->cap : 64 * 1024;

        while (cap < t->len + n)
            cap *= 2;
        p = realloc(t->data, cap);
        if (!p) {
            t->failed = true;
            return NULL;
        }
        t->data = p;
        t->cap = cap;
    }
    p = t->data + t->len;
    memset(p, 0, n);
    t->len += n;
    return p;
}

/* Appends one ustar entry: a header, then 'size' bytes of 'body' padded to
 * a whole block. */
static void tar_put(tarbuf *t, const char *name, char type, unsigned mode,
                    const char *link, const char *body, size_t size)
{
    unsigned char *h = (unsigned char *)tar_grow(t, TAR_BLOCK);
    unsigned sum = 0;
    size_t i;

    if (!h)
        return;
    snprintf((char *)h, 100, "%s", name);
    snprintf((char *)h + 100, 8, "%07o", mode);
    snprintf((char *)h + 108, 8, "%07o", 0);
    snprintf((char *)h + 116, 8, "%07o", 0);
    snprintf((char *)h + 124, 12, "%011zo", size);
    snprintf((char *)h + 136, 12, "%011o", 0);
    memset(h + 148, ' ', 8);
    h[156] = (unsigned char)type;
    if (link)
        snprintf((char *)h + 157, 100, "%s", link);
    memcpy(h + 257, "ustar", 6);
    memcpy(h + 263, "00", 2);
    snprintf((char *)h + 265, 32, "root");
    snprintf((char *)h + 297, 32, "root");
    for (i = 0; i < TAR_BLOCK; i++)
        sum += h[i];
    snprintf((char *)h + 148, 8, "%06o", sum);
    h[155] = ' ';
    if (size) {
        char *dst = tar_grow(t, (size + TAR_BLOCK - 1) / TAR_BLOCK * TAR_BLOCK);

        if (dst)
            memcpy(dst, body, size);
    }
}

/* Whether the ELF file 'data' asks for a program interpreter, that is for
 * shared libraries; -1 when it is not a 64-bit ELF file. */
static int elf_is_dynamic(const char *data, size_t len)
{
    Elf64_Ehdr eh;
    Elf64_Phdr ph;
    size_t i;

    if (len < sizeof(eh))
        return -1;
    memcpy(&eh, data, sizeof(eh));
    if (memcmp(eh.e_ident, ELFMAG, SELFMAG) ||
        eh.e_ident[EI_CLASS] != ELFCLASS64 || eh.e_phentsize != sizeof(ph) ||
        eh.e_phoff + (size_t)eh.e_phnum * sizeof(ph) > len)
        return -1;
    for (i = 0; i < eh.e_phnum; i++) {
        memcpy(&ph, data + eh.e_phoff + i * sizeof(ph), sizeof(ph));
        if (ph.p_type == PT_INTERP)
            return 1;
    }
    return 0;
}

int sl_netns_image_read(const char *path, char **tar, size_t *len,
                        sl_error *err)
{
    char *data = NULL;
    struct stat st;
    size_t got = 0;
    int fd = open(path, O_RDONLY | O_CLOEXEC);

    if (fd < 0 || fstat(fd, &st) < 0) {
        sl_error_set(err, errno == ENOENT ? SL_ERR_NOT_FOUND : SL_ERR_IO,
                     "cannot read '%s': %s", path, strerror(errno));
        goto fail;
    }
    if (!S_ISREG(st.st_mode) || st.st_size > MAX_TARBALL) {
        sl_error_set(err, SL_ERR_INVALID,
                     "cannot read '%s': not a regular file under 1 GiB", path);
        goto fail;
    }
    data = malloc((size_t)st.st_size + 1);
    if (!data) {
        sl_error_set(err, SL_ERR_NOMEM, "cannot read '%s'", path);
        goto fail;
    }
    while (got < (size_t)st.st_size) {
        ssize_t n = read(fd, data + got, (size_t)st.st_size - got);

        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0) {
            sl_error_set(err, SL_ERR_IO, "cannot read '%s': %s", path,
                         n < 0 ? strerror(errno) : "file shrank");
            goto fail;
        }
        got += (size_t)n;
    }
    close(fd);
    *tar = data;
    *len = got;
    return 0;

fail:
    if (fd >= 0)
        close(fd);
    free(data);
    return -1;
}

int sl_netns_image_busybox(const char *busybox, char **tar, size_t *len,
                           sl_error *err)
{
    tarbuf t = {0};
    char *bin = NULL, link[64];
    size_t bin_len = 0, i;
    sl_error local;

    if (sl_netns_image_read(busybox, &bin, &bin_len, &local) < 0)
        return sl_error_set(err, SL_ERR_UNSUPPORTED,
                            "busybox not found at '%s': install "
                            "busybox-static (%s)",
                            busybox, local.message);
    if (elf_is_dynamic(bin, bin_len) != 0) {
        free(bin);
        return sl_error_set(err, SL_ERR_UNSUPPORTED,
                            "'%s' is not a static busybox: install "
                            "busybox-static",
                            busybox);
    }
    tar_put(&t, "bin/", '5', 0755, NULL, NULL, 0);
    tar_put(&t, "bin/busybox", '0', 0755, NULL, bin, bin_len);
    tar_put(&t, "bin/sh", '2', 0777, "busybox", NULL, 0);
    for (i = 0; i < sizeof(applets) / sizeof(applets[0]); i++) {
        snprintf(link, sizeof(link), "bin/%s", applets[i]);
        tar_put(&t, link, '2', 0777, "busybox", NULL, 0);
    }
    tar_put(&t, "tmp/", '5', 01777, NULL, NULL, 0);
    tar_grow(&t, 2 * TAR_BLOCK);
    free(bin);
    if (t.failed) {
        free(t.data);
        return sl_error_set(err, SL_ERR_NOMEM, "cannot build the image");
    }
    *tar = t.data;
    *len = t.len;
    return 0;
}

/* Import ------------------------------------------------------------------- */

static pthread_once_t curl_once = PTHREAD_ONCE_INIT;
static CURLcode curl_init_rc;

static void curl_init(void)
{
    curl_init_rc = curl_global_init(CURL_GLOBAL_DEFAULT);
}

/* The start of the daemon's answer, enough for an error message. */
typedef struct answer {
    char text[ANSWER_MAX];
    size_t len;
} answer;

static size_t on_answer(char *data, size_t size, size_t n, void *ctx)
{
    answer *a = ctx;
    size_t bytes = size * n, room = sizeof(a->text) - 1 - a->len;
    size_t take = bytes < room ? bytes : room;

    memcpy(a->text + a->len, data, take);
    a->len += take;
    a->text[a->len] = '\0';
    return bytes;
}

/* The daemon's own message in an answer: {"message": ...} for a failed
 * call, or a progress line {"error": ...} in a stream that began well. */
static bool answer_error(char *text, char *out, size_t size)
{
    char *line = text, *next;

    for (; line && *line; line = next) {
        json_t *j, *msg;

        next = strchr(line, '\n');
        if (next)
            *next++ = '\0';
        j = json_loads(line, 0, NULL);
        msg = json_object_get(j, "error");
        if (!json_is_string(msg))
            msg = json_object_get(j, "message");
        if (json_is_string(msg)) {
            snprintf(out, size, "%s", json_string_value(msg));
            json_decref(j);
            return true;
        }
        json_decref(j);
    }
    return false;
}

/* Splits "repo[:tag]" at the colon after the last slash. */
static void split_ref(const char *ref, char *repo, size_t repo_size, char *tag,
                      size_t tag_size)
{
    const char *slash = strrchr(ref, '/');
    const char *colon = strrchr(slash ? slash : ref, ':');

    if (!colon) {
        snprintf(repo, repo_size, "%s", ref);
        snprintf(tag, tag_size, "latest");
        return;
    }
    snprintf(repo, repo_size, "%.*s", (int)(colon - ref), ref);
    snprintf(tag, tag_size, "%s", colon + 1);
}

int sl_netns_image_import(const char *socket, const char *ref, const char *tar,
                          size_t len, long timeout_ms, sl_error *err)
{
    char repo[256], tag[128], url[1024], why[512];
    struct curl_slist *headers = NULL;
    char *erepo = NULL, *etag = NULL;
    answer *a = calloc(1, sizeof(*a));
    CURL *h = NULL;
    long status = 0;
    bool said;
    CURLcode rc;
    int ret = -1;

    pthread_once(&curl_once, curl_init);
    split_ref(ref, repo, sizeof(repo), tag, sizeof(tag));
    h = curl_init_rc == CURLE_OK ? curl_easy_init() : NULL;
    if (h) {
        erepo = curl_easy_escape(h, repo, 0);
        etag = curl_easy_escape(h, tag, 0);
        headers = curl_slist_append(NULL, "Content-Type: application/x-tar");
        headers = headers ? curl_slist_append(headers, "Expect:") : NULL;
    }
    if (!a || !h || !erepo || !etag || !headers) {
        sl_error_set(err, SL_ERR_NOMEM, "cannot import '%s'", ref);
        goto cleanup;
    }
    snprintf(url, sizeof(url),
             "http://localhost/v1.41/images/create?fromSrc=-&repo=%s&tag=%s",
             erepo, etag);
    curl_easy_setopt(h, CURLOPT_URL, url);
    curl_easy_setopt(h, CURLOPT_UNIX_SOCKET_PATH, socket);
    curl_easy_setopt(h, CURLOPT_POST, 1L);
    curl_easy_setopt(h, CURLOPT_POSTFIELDS, tar);
    curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)len);
    curl_easy_setopt(h, CURLOPT_HTTPHEADER, headers);
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_answer);
    curl_easy_setopt(h, CURLOPT_WRITEDATA, a);
    curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, timeout_ms);
    curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
    rc = curl_easy_perform(h);
    if (rc != CURLE_OK) {
        sl_error_set(err,
                     rc == CURLE_OPERATION_TIMEDOUT ? SL_ERR_TIMEOUT
                                                    : SL_ERR_CONNECT,
                     "cannot import '%s' at '%s': %s", ref, socket,
                     curl_easy_strerror(rc));
        goto cleanup;
    }
    curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
    said = answer_error(a->text, why, sizeof(why));
    if (said || status != 200) {
        if (!said)
            snprintf(why, sizeof(why), "status %ld", status);
        sl_error_set(err, SL_ERR_API, "cannot import '%s' at '%s': %s", ref,
                     socket, why);
        if (err)
            err->http_status = (int)status;
        goto cleanup;
    }
    ret = 0;

cleanup:
    curl_slist_free_all(headers);
    curl_free(erepo);
    curl_free(etag);
    if (h)
        curl_easy_cleanup(h);
    free(a);
    return ret;
}
