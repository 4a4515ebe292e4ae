/*
 * Media workers: one thread per worker, running a libuv loop that also drives the
 * worker's GLib main context (libnice needs one).
 *
 * The GLib context is driven the way g_main_context_iterate() would, split over the
 * libuv loop phases:
 *   uv_prepare  g_main_context_prepare + g_main_context_query: the fds and the timeout
 *   uv_poll     one per fd (GLib may list an fd twice: the events are ORed)
 *   uv_timer    wakes the loop when GLib's timeout expires
 *   uv_check    g_main_context_check + g_main_context_dispatch
 * The thread acquires the context for its whole life and pushes it as the thread
 * default, so that libnice takes its direct (owner) paths.
 */
#define _GNU_SOURCE /* pthread_setname_np */
#include "core/workers.h"

#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/log.h"

typedef struct task {
    sy_worker_fn fn;
    void *arg;
    struct task *next;
} task;

/* A uv_poll watching one fd that GLib listed. */
typedef struct fd_watch {
    uv_poll_t poll;
    int fd;
    int uv_events;   /* what the poll is started with; 0: stopped */
    gushort want;    /* the events GLib asked for (ORed over its entries) */
    gushort revents; /* the events seen since the last check */
    bool seen;       /* listed by the latest query */
} fd_watch;

struct sy_worker {
    int index;
    uv_thread_t thread;
    uv_loop_t loop;
    GMainContext *ctx;

    /* Task queue: any thread appends under lock; the worker drains it. */
    uv_mutex_t lock;
    uv_async_t async;
    task *head, *tail;
    bool stopping; /* under lock: no more posts */

    /* GLib driving. */
    uv_prepare_t prepare;
    uv_check_t check;
    uv_timer_t timer;
    gint max_priority;
    GPollFD *fds;
    fd_watch **fd_watch_of; /* parallel to fds */
    int n_fds, fds_cap;
    GHashTable *watches; /* fd -> fd_watch */
    bool prepared;

    /* Start-up handshake. */
    uv_sem_t ready;
    int start_result;

    int assigned; /* objects assigned by the caller (atomic) */

    /* Run once when the worker begins to stop (sy_worker_at_stop). */
    void (*at_stop)(void *arg);
    void *at_stop_arg;
};

static sy_worker **workers;
static int n_workers;

/* ---- GLib context driving ---- */

static int glib_to_uv(gushort events)
{
    int e = 0;
    if (events & G_IO_IN) e |= UV_READABLE;
    if (events & G_IO_OUT) e |= UV_WRITABLE;
    if (events & G_IO_PRI) e |= UV_PRIORITIZED;
    return e;
}

static gushort uv_to_glib(int events)
{
    gushort e = 0;
    if (events & UV_READABLE) e |= G_IO_IN;
    if (events & UV_WRITABLE) e |= G_IO_OUT;
    if (events & UV_PRIORITIZED) e |= G_IO_PRI;
    if (events & UV_DISCONNECT) e |= G_IO_HUP;
    return e;
}

static void on_fd_event(uv_poll_t *poll, int status, int events)
{
    fd_watch *w = poll->data;
    if (status < 0) {
        /* Let GLib see the error; stop so that a dead fd cannot spin the loop. The next
         * prepare restarts the poll if GLib still lists the fd. */
        w->revents |= G_IO_ERR;
        uv_poll_stop(&w->poll);
        w->uv_events = 0;
        return;
    }
    w->revents |= uv_to_glib(events);
}

static void free_watch(uv_handle_t *h)
{
    free(h->data);
}

static void close_watch(fd_watch *w)
{
    uv_poll_stop(&w->poll);
    uv_close((uv_handle_t *)&w->poll, free_watch);
}

static gboolean drop_watch(gpointer key, gpointer value, gpointer user)
{
    close_watch(value);
    return TRUE;
}

void sy_worker_glib_forget_fds(sy_worker *worker)
{
    g_hash_table_foreach_remove(worker->watches, drop_watch, NULL);
    for (int i = 0; i < worker->n_fds; i++)
        worker->fd_watch_of[i] = NULL;
}

static gboolean drop_unseen_watch(gpointer key, gpointer value, gpointer user)
{
    fd_watch *w = value;
    if (w->seen) return FALSE;
    close_watch(w);
    return TRUE;
}

static void on_glib_timeout(uv_timer_t *timer)
{ /* only wakes the loop; check dispatches */
}

/* The watch for fd, created (stopped) if new, and marked as listed. */
static fd_watch *watch_fd(sy_worker *w, int fd)
{
    fd_watch *fw = g_hash_table_lookup(w->watches, GINT_TO_POINTER(fd));
    if (!fw) {
        fw = calloc(1, sizeof(*fw));
        if (!fw || uv_poll_init(&w->loop, &fw->poll, fd) != 0) {
            SY_ERROR("worker %d: cannot watch fd %d for GLib", w->index, fd);
            free(fw);
            return NULL;
        }
        fw->poll.data = fw;
        fw->fd = fd;
        g_hash_table_insert(w->watches, GINT_TO_POINTER(fd), fw);
    }
    fw->seen = true;
    return fw;
}

static void on_prepare(uv_prepare_t *prepare)
{
    sy_worker *w = prepare->data;
    gint timeout;

    g_main_context_prepare(w->ctx, &w->max_priority);
    for (;;) {
        w->n_fds = g_main_context_query(w->ctx, w->max_priority, &timeout, w->fds, w->fds_cap);
        if (w->n_fds <= w->fds_cap) break;
        int cap = w->n_fds * 2;
        GPollFD *fds = realloc(w->fds, sizeof(*fds) * (size_t)cap);
        fd_watch **of = fds ? realloc(w->fd_watch_of, sizeof(*of) * (size_t)cap) : NULL;
        if (!fds || !of) abort();
        w->fds = fds;
        w->fd_watch_of = of;
        w->fds_cap = cap;
    }
    w->prepared = true;

    /* The events wanted per fd; an fd may be listed more than once: OR them. */
    GHashTableIter it;
    gpointer value;
    g_hash_table_iter_init(&it, w->watches);
    while (g_hash_table_iter_next(&it, NULL, &value)) {
        ((fd_watch *)value)->seen = false;
        ((fd_watch *)value)->want = 0;
    }
    for (int i = 0; i < w->n_fds; i++) {
        w->fds[i].revents = 0;
        w->fd_watch_of[i] = watch_fd(w, w->fds[i].fd);
        if (w->fd_watch_of[i]) w->fd_watch_of[i]->want |= w->fds[i].events;
    }
    g_hash_table_iter_init(&it, w->watches);
    while (g_hash_table_iter_next(&it, NULL, &value)) {
        fd_watch *fw = value;
        int events = glib_to_uv(fw->want);
        if (!fw->seen || events == fw->uv_events) continue;
        /* uv_poll_start on a started poll re-registers the fd (a DEL then an ADD). */
        if (events)
            uv_poll_start(&fw->poll, events, on_fd_event);
        else
            uv_poll_stop(&fw->poll);
        fw->uv_events = events;
    }
    /* Fds GLib no longer lists. */
    g_hash_table_foreach_remove(w->watches, drop_unseen_watch, NULL);

    if (timeout < 0) {
        uv_timer_stop(&w->timer);
    } else {
        uv_update_time(&w->loop); /* callbacks may have run since the iteration began */
        uv_timer_start(&w->timer, on_glib_timeout, (uint64_t)timeout, 0);
    }
}

static void on_check(uv_check_t *check)
{
    sy_worker *w = check->data;
    if (!w->prepared) return;
    w->prepared = false;
    for (int i = 0; i < w->n_fds; i++) {
        fd_watch *fw = w->fd_watch_of[i];
        gushort mask = w->fds[i].events | G_IO_ERR | G_IO_HUP | G_IO_NVAL;
        w->fds[i].revents = fw ? (fw->revents & mask) : 0;
    }
    GHashTableIter it;
    gpointer value;
    g_hash_table_iter_init(&it, w->watches);
    while (g_hash_table_iter_next(&it, NULL, &value))
        ((fd_watch *)value)->revents = 0;
    if (g_main_context_check(w->ctx, w->max_priority, w->fds, w->n_fds))
        g_main_context_dispatch(w->ctx);
}

/* ---- tasks ---- */

static void close_any(uv_handle_t *h, void *arg)
{
    int *leftovers = arg;
    if (uv_is_closing(h)) return;
    if (leftovers) (*leftovers)++;
    uv_close(h, NULL);
}

static void begin_shutdown(sy_worker *w)
{
    if (w->at_stop) {
        void (*fn)(void *) = w->at_stop;
        w->at_stop = NULL;
        fn(w->at_stop_arg);
    }
    sy_worker_glib_forget_fds(w);
    uv_close((uv_handle_t *)&w->async, NULL);
    uv_close((uv_handle_t *)&w->prepare, NULL);
    uv_close((uv_handle_t *)&w->check, NULL);
    uv_close((uv_handle_t *)&w->timer, NULL);
    int leftovers = 0;
    uv_walk(&w->loop, close_any, &leftovers);
    if (leftovers) SY_WARN("worker %d: closed %d handle(s) left open at stop", w->index, leftovers);
}

static void on_tasks(uv_async_t *async)
{
    sy_worker *w = async->data;
    for (;;) {
        uv_mutex_lock(&w->lock);
        task *t = w->head;
        w->head = w->tail = NULL;
        bool stopping = w->stopping;
        uv_mutex_unlock(&w->lock);
        if (!t) {
            if (stopping) begin_shutdown(w);
            return;
        }
        while (t) {
            task *next = t->next;
            t->fn(w, t->arg);
            free(t);
            t = next;
        }
    }
}

int sy_worker_post(sy_worker *worker, sy_worker_fn fn, void *arg)
{
    task *t = malloc(sizeof(*t));
    if (!t) return -1;
    t->fn = fn;
    t->arg = arg;
    t->next = NULL;
    uv_mutex_lock(&worker->lock);
    if (worker->stopping) {
        uv_mutex_unlock(&worker->lock);
        free(t);
        return -1;
    }
    if (worker->tail)
        worker->tail->next = t;
    else
        worker->head = t;
    worker->tail = t;
    /* Under the lock: once stopping is seen the worker may close the async handle. */
    uv_async_send(&worker->async);
    uv_mutex_unlock(&worker->lock);
    return 0;
}

/* ---- the thread ---- */

static int worker_setup(sy_worker *w)
{
    int r = uv_loop_init(&w->loop);
    if (r) return r;
    w->async.data = w->prepare.data = w->check.data = w->timer.data = w;
    uv_async_init(&w->loop, &w->async, on_tasks);
    uv_prepare_init(&w->loop, &w->prepare);
    uv_check_init(&w->loop, &w->check);
    uv_timer_init(&w->loop, &w->timer);
    uv_prepare_start(&w->prepare, on_prepare);
    uv_check_start(&w->check, on_check);
    /* Only the async handle keeps the loop alive; the others serve GLib. */
    uv_unref((uv_handle_t *)&w->prepare);
    uv_unref((uv_handle_t *)&w->check);
    uv_unref((uv_handle_t *)&w->timer);
    return 0;
}

static void worker_main(void *arg)
{
    sy_worker *w = arg;
    char name[16];
    snprintf(name, sizeof(name), "sy-worker-%d", w->index);
    pthread_setname_np(pthread_self(), name);

    if (!g_main_context_acquire(w->ctx)) {
        w->start_result = -1;
        uv_sem_post(&w->ready);
        return;
    }
    g_main_context_push_thread_default(w->ctx);
    w->start_result = worker_setup(w);
    uv_sem_post(&w->ready); /* w->start_result is read after this: set it before */
    if (w->start_result == 0) {
        uv_run(&w->loop, UV_RUN_DEFAULT);
        int r = uv_loop_close(&w->loop);
        if (r) SY_ERROR("worker %d: uv_loop_close: %s", w->index, uv_strerror(r));
    }
    g_main_context_pop_thread_default(w->ctx);
    g_main_context_release(w->ctx);
}

static void worker_free(sy_worker *w)
{
    task *t = w->head;
    while (t) {
        task *next = t->next;
        free(t);
        t = next;
    }
    if (w->watches) g_hash_table_destroy(w->watches);
    if (w->ctx) g_main_context_unref(w->ctx);
    uv_mutex_destroy(&w->lock);
    uv_sem_destroy(&w->ready);
    free(w->fds);
    free(w->fd_watch_of);
    free(w);
}

static sy_worker *worker_start(int index)
{
    sy_worker *w = calloc(1, sizeof(*w));
    if (!w) return NULL;
    if (uv_mutex_init(&w->lock) != 0) {
        free(w);
        return NULL;
    }
    if (uv_sem_init(&w->ready, 0) != 0) {
        uv_mutex_destroy(&w->lock);
        free(w);
        return NULL;
    }
    w->index = index;
    w->fds_cap = 16;
    w->fds = calloc((size_t)w->fds_cap, sizeof(*w->fds));
    w->fd_watch_of = calloc((size_t)w->fds_cap, sizeof(*w->fd_watch_of));
    w->ctx = g_main_context_new();
    w->watches = g_hash_table_new(g_direct_hash, g_direct_equal);
    if (!w->fds || !w->fd_watch_of || uv_thread_create(&w->thread, worker_main, w) != 0) {
        worker_free(w);
        return NULL;
    }
    uv_sem_wait(&w->ready);
    if (w->start_result != 0) {
        uv_thread_join(&w->thread);
        worker_free(w);
        return NULL;
    }
    return w;
}

int sy_workers_start(int n)
{
    if (workers) return -1;
    if (n <= 0) {
        long cpus = sysconf(_SC_NPROCESSORS_ONLN);
        n = cpus > 0 ? (int)cpus : 1;
    }
    workers = calloc((size_t)n, sizeof(*workers));
    if (!workers) return -1;
    for (int i = 0; i < n; i++) {
        workers[i] = worker_start(i);
        if (!workers[i]) {
            SY_ERROR("cannot start media worker %d", i);
            sy_workers_stop();
            return -1;
        }
        n_workers = i + 1;
    }
    SY_VERB("%d media worker(s) started", n);
    return 0;
}

void sy_workers_stop(void)
{
    for (int i = 0; i < n_workers; i++) {
        sy_worker *w = workers[i];
        uv_mutex_lock(&w->lock);
        w->stopping = true;
        uv_async_send(&w->async);
        uv_mutex_unlock(&w->lock);
    }
    for (int i = 0; i < n_workers; i++) {
        uv_thread_join(&workers[i]->thread);
        worker_free(workers[i]);
    }
    free(workers);
    workers = NULL;
    n_workers = 0;
}

typedef struct flush_sync {
    uv_mutex_t lock;
    uv_cond_t cond;
    int pending;
} flush_sync;

static void flush_task(sy_worker *w, void *arg)
{
    flush_sync *f = arg;
    uv_mutex_lock(&f->lock);
    if (--f->pending == 0) uv_cond_signal(&f->cond);
    uv_mutex_unlock(&f->lock);
}

void sy_workers_flush(void)
{
    int n = sy_workers_count();
    if (n <= 0) return;
    flush_sync f;
    uv_mutex_init(&f.lock);
    uv_cond_init(&f.cond);
    f.pending = 0;
    uv_mutex_lock(&f.lock);
    for (int i = 0; i < n; i++)
        if (sy_worker_post(sy_worker_get(i), flush_task, &f) == 0) f.pending++;
    while (f.pending > 0) uv_cond_wait(&f.cond, &f.lock);
    uv_mutex_unlock(&f.lock);
    uv_cond_destroy(&f.cond);
    uv_mutex_destroy(&f.lock);
}

int sy_workers_count(void)
{
    return n_workers;
}

sy_worker *sy_worker_get(int index)
{
    return index >= 0 && index < n_workers ? workers[index] : NULL;
}

sy_worker *sy_worker_least_loaded(void)
{
    sy_worker *best = NULL;
    int best_load = 0;
    for (int i = 0; i < n_workers; i++) {
        int load = __atomic_load_n(&workers[i]->assigned, __ATOMIC_RELAXED);
        if (!best || load < best_load) {
            best = workers[i];
            best_load = load;
        }
    }
    return best;
}

void sy_worker_assign(sy_worker *worker, int delta)
{
    __atomic_add_fetch(&worker->assigned, delta, __ATOMIC_RELAXED);
}

int sy_worker_index(const sy_worker *worker)
{
    return worker->index;
}

uv_loop_t *sy_worker_loop(sy_worker *worker)
{
    return &worker->loop;
}

void sy_worker_at_stop(sy_worker *worker, void (*fn)(void *arg), void *arg)
{
    worker->at_stop = fn;
    worker->at_stop_arg = arg;
}

GMainContext *sy_worker_glib_context(sy_worker *worker)
{
    return worker->ctx;
}
