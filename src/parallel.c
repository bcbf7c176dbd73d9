/* Running the same step for many items on a bounded number of threads. */
#include "parallel.h"

#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>

#define MAX_THREADS 64

typedef struct pool {
    size_t count;
    size_t next;
    sl_parallel_fn fn;
    void *ctx;
    char *started;
    pthread_mutex_t lock;
    bool failed;
    sl_error first_err;
} pool;

/* Takes the next item to run, or returns false when there is none or a
 * step has failed. */
static bool take(pool *p, size_t *i)
{
    bool ok;

    pthread_mutex_lock(&p->lock);
    ok = !p->failed && p->next < p->count;
    if (ok) {
        *i = p->next++;
        if (p->started)
            p->started[*i] = 1;
    }
    pthread_mutex_unlock(&p->lock);
    return ok;
}

static void *run(void *arg)
{
    pool *p = arg;
    sl_error err;
    size_t i;

    while (take(p, &i)) {
        sl_error_clear(&err);
        if (p->fn(p->ctx, i, &err) == 0)
            continue;
        pthread_mutex_lock(&p->lock);
        if (!p->failed) {
            p->failed = true;
            p->first_err = err;
        }
        pthread_mutex_unlock(&p->lock);
    }
    return NULL;
}

int sl_parallel_for(size_t count, int parallel, sl_parallel_fn fn, void *ctx,
                    char *started, sl_error *err)
{
    pthread_t threads[MAX_THREADS];
    pool p = {count, 0, fn, ctx, started, PTHREAD_MUTEX_INITIALIZER, false,
              {0}};
    size_t nthreads = parallel < 1 ? 1 : (size_t)parallel;
    size_t running = 0;
    size_t i;

    if (nthreads > MAX_THREADS)
        nthreads = MAX_THREADS;
    if (nthreads > count)
        nthreads = count;
    if (nthreads <= 1) {
        run(&p);
    } else {
        for (i = 0; i < nthreads; i++) {
            if (pthread_create(&threads[i], NULL, run, &p) != 0)
                break;
            running++;
        }
        if (running == 0)
            run(&p);
        for (i = 0; i < running; i++)
            pthread_join(threads[i], NULL);
    }
    pthread_mutex_destroy(&p.lock);
    if (p.failed) {
        if (err)
            *err = p.first_err;
        return -1;
    }
    return 0;
}
