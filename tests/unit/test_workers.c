/*
 * Media workers: tasks run in order on their worker's thread; the worker's GLib
 * context is driven by its libuv loop (timeouts, idles, fd sources, wakeups from
 * other threads); stop drains queued tasks and refuses new ones; start again works.
 */
#include <glib-unix.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "check.h"
#include "core/workers.h"

#define N_TASKS 200
#define MAX_WORKERS 64

/* ---- waiting for the workers ---- */

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cv = PTHREAD_COND_INITIALIZER;

static void bump(int *counter)
{
    pthread_mutex_lock(&mu);
    (*counter)++;
    pthread_cond_broadcast(&cv);
    pthread_mutex_unlock(&mu);
}

/* Waits until *counter >= target, for at most 5 s. */
static bool wait_for(int *counter, int target)
{
    struct timespec deadline;
    clock_gettime(CLOCK_REALTIME, &deadline);
    deadline.tv_sec += 5;
    pthread_mutex_lock(&mu);
    int r = 0;
    while (*counter < target && r == 0)
        r = pthread_cond_timedwait(&cv, &mu, &deadline);
    bool ok = *counter >= target;
    pthread_mutex_unlock(&mu);
    return ok;
}

/* ---- what each worker saw (written on its thread, read after a wait) ---- */

typedef struct record {
    pthread_t thread;
    bool thread_set;
    int seq[N_TASKS];
    int n;
    int wrong_thread, wrong_context;
    int done;       /* tasks finished */
    int glib_fired; /* GLib callbacks that ran on the right thread */
    int glib_wrong; /* GLib callbacks that ran anywhere else */
    int uv_timer_fired;
} record;

static record records[MAX_WORKERS];

static void note_thread(sy_worker *w, record *rec)
{
    if (!rec->thread_set) {
        rec->thread = pthread_self();
        rec->thread_set = true;
    } else if (!pthread_equal(rec->thread, pthread_self())) {
        rec->wrong_thread++;
    }
    GMainContext *ctx = sy_worker_glib_context(w);
    if (g_main_context_get_thread_default() != ctx || !g_main_context_is_owner(ctx))
        rec->wrong_context++;
}

typedef struct seq_task {
    int seq;
} seq_task;

static void run_seq_task(sy_worker *w, void *arg)
{
    record *rec = &records[sy_worker_index(w)];
    seq_task *t = arg;
    note_thread(w, rec);
    if (rec->n < N_TASKS) rec->seq[rec->n++] = t->seq;
    free(t);
    bump(&rec->done);
}

/* ---- GLib sources ---- */

typedef struct glib_probe {
    record *rec;
} glib_probe;

static void glib_note(record *rec)
{
    if (rec->thread_set && pthread_equal(rec->thread, pthread_self()))
        bump(&rec->glib_fired);
    else
        bump(&rec->glib_wrong);
}

static gboolean on_glib_source(gpointer data)
{
    glib_note(data);
    return G_SOURCE_REMOVE;
}

static gboolean on_glib_fd(gint fd, GIOCondition cond, gpointer data)
{
    glib_note(data);
    return G_SOURCE_REMOVE;
}

static void attach(GSource *src, GSourceFunc fn, record *rec, GMainContext *ctx)
{
    g_source_set_callback(src, fn, rec, NULL);
    g_source_attach(src, ctx);
    g_source_unref(src);
}

/* On the worker: a timeout and an idle source on the worker's own context. */
static void attach_timeout_and_idle(sy_worker *w, void *arg)
{
    record *rec = &records[sy_worker_index(w)];
    note_thread(w, rec);
    attach(g_timeout_source_new(20), on_glib_source, rec, g_main_context_get_thread_default());
    attach(g_idle_source_new(), on_glib_source, rec, g_main_context_get_thread_default());
}

static void free_handle(uv_handle_t *h)
{
    free(h);
}

static void on_uv_timer(uv_timer_t *t)
{
    record *rec = t->data;
    if (rec->thread_set && pthread_equal(rec->thread, pthread_self())) bump(&rec->uv_timer_fired);
    uv_close((uv_handle_t *)t, free_handle);
}

/* On the worker: a libuv timer on the worker's loop. */
static void start_uv_timer(sy_worker *w, void *arg)
{
    uv_timer_t *t = malloc(sizeof(*t));
    uv_timer_init(sy_worker_loop(w), t);
    t->data = &records[sy_worker_index(w)];
    uv_timer_start(t, on_uv_timer, 10, 0);
}

/* On the worker: stop watching, then close the socket pair (see workers.h). */
static void close_fds(sy_worker *w, void *arg)
{
    int *fds = arg;
    sy_worker_glib_forget_fds(w);
    close(fds[0]);
    close(fds[1]);
    bump(&records[sy_worker_index(w)].done);
}

/* ---- stop behaviour ---- */

static int drained;
static int chain_runs;
static bool chain_refused;

static void count_task(sy_worker *w, void *arg)
{
    __atomic_add_fetch(&drained, 1, __ATOMIC_RELAXED);
}

/* Re-posts itself until the worker refuses (it is stopping). */
static void chain_task(sy_worker *w, void *arg)
{
    chain_runs++;
    if (sy_worker_post(w, chain_task, NULL) != 0)
        chain_refused = true;
    else if (chain_runs == 1)
        bump(&records[0].done);
}

static void test_tasks_and_glib(void)
{
    CHECK_EQ_INT(sy_workers_start(2), 0);
    int n = sy_workers_count();
    CHECK_EQ_INT(n, 2);
    CHECK(sy_worker_get(2) == NULL);
    CHECK(sy_worker_get(-1) == NULL);

    /* Tasks: in order, on one thread per worker, with the worker's context. */
    for (int seq = 0; seq < N_TASKS; seq++)
        for (int i = 0; i < n; i++) {
            seq_task *t = malloc(sizeof(*t));
            t->seq = seq;
            CHECK_EQ_INT(sy_worker_post(sy_worker_get(i), run_seq_task, t), 0);
        }
    for (int i = 0; i < n; i++) {
        record *rec = &records[i];
        CHECK(wait_for(&rec->done, N_TASKS));
        CHECK_EQ_INT(sy_worker_index(sy_worker_get(i)), i);
        CHECK_EQ_INT(rec->n, N_TASKS);
        int in_order = 1;
        for (int k = 0; k < rec->n; k++)
            in_order &= rec->seq[k] == k;
        CHECK(in_order);
        CHECK_EQ_INT(rec->wrong_thread, 0);
        CHECK_EQ_INT(rec->wrong_context, 0);
        CHECK(rec->thread_set && !pthread_equal(rec->thread, pthread_self()));
        CHECK(sy_worker_loop(sy_worker_get(i)) != NULL);
    }
    CHECK(!pthread_equal(records[0].thread, records[1].thread));

    /* GLib timeout + idle attached on the worker. */
    for (int i = 0; i < n; i++)
        CHECK_EQ_INT(sy_worker_post(sy_worker_get(i), attach_timeout_and_idle, NULL), 0);
    for (int i = 0; i < n; i++)
        CHECK(wait_for(&records[i].glib_fired, 2));

    /* A timeout attached from this thread while the worker sleeps: the context's
     * wakeup fd must be watched for the worker to notice it. */
    for (int i = 0; i < n; i++)
        attach(g_timeout_source_new(30), on_glib_source, &records[i],
               sy_worker_glib_context(sy_worker_get(i)));
    for (int i = 0; i < n; i++)
        CHECK(wait_for(&records[i].glib_fired, 3));

    /* fd sources: one fd listed twice by GLib with different events (OUT fires at once,
     * IN when we write); plus a second IN source on the same fd. */
    int sp[2];
    CHECK_EQ_INT(socketpair(AF_UNIX, SOCK_STREAM, 0, sp), 0);
    GMainContext *ctx0 = sy_worker_glib_context(sy_worker_get(0));
    attach(g_unix_fd_source_new(sp[0], G_IO_IN), G_SOURCE_FUNC(on_glib_fd), &records[0], ctx0);
    attach(g_unix_fd_source_new(sp[0], G_IO_IN), G_SOURCE_FUNC(on_glib_fd), &records[0], ctx0);
    attach(g_unix_fd_source_new(sp[0], G_IO_OUT), G_SOURCE_FUNC(on_glib_fd), &records[0], ctx0);
    CHECK(wait_for(&records[0].glib_fired, 4));
    usleep(50 * 1000);
    CHECK_EQ_INT(records[0].glib_fired, 4); /* nothing to read yet */
    CHECK_EQ_INT(write(sp[1], "x", 1), 1);
    CHECK(wait_for(&records[0].glib_fired, 6));
    int done_before = records[0].done;
    CHECK_EQ_INT(sy_worker_post(sy_worker_get(0), close_fds, sp), 0);
    CHECK(wait_for(&records[0].done, done_before + 1));

    /* A plain libuv timer on the worker loop. */
    for (int i = 0; i < n; i++)
        CHECK_EQ_INT(sy_worker_post(sy_worker_get(i), start_uv_timer, NULL), 0);
    for (int i = 0; i < n; i++)
        CHECK(wait_for(&records[i].uv_timer_fired, 1));

    for (int i = 0; i < n; i++)
        CHECK_EQ_INT(records[i].glib_wrong, 0);

    /* Load assignment. */
    CHECK_EQ_INT(sy_worker_index(sy_worker_least_loaded()), 0);
    sy_worker_assign(sy_worker_get(0), 2);
    CHECK_EQ_INT(sy_worker_index(sy_worker_least_loaded()), 1);
    sy_worker_assign(sy_worker_get(1), 3);
    CHECK_EQ_INT(sy_worker_index(sy_worker_least_loaded()), 0);
    sy_worker_assign(sy_worker_get(1), -3);
    CHECK_EQ_INT(sy_worker_index(sy_worker_least_loaded()), 1);

    /* Stop: queued tasks run; a task re-posting itself is refused once stopping. */
    int done_chain = records[0].done;
    CHECK_EQ_INT(sy_worker_post(sy_worker_get(0), chain_task, NULL), 0);
    CHECK(wait_for(&records[0].done, done_chain + 1));
    for (int k = 0; k < 1000; k++)
        CHECK_EQ_INT(sy_worker_post(sy_worker_get(k % n), count_task, NULL), 0);
    sy_workers_stop();
    CHECK_EQ_INT(drained, 1000);
    CHECK(chain_refused);
    CHECK_EQ_INT(sy_workers_count(), 0);
    CHECK(sy_worker_get(0) == NULL);
    CHECK(sy_worker_least_loaded() == NULL);
}

static void test_default_count_and_restart(void)
{
    CHECK_EQ_INT(sy_workers_start(0), 0);
    long cpus = sysconf(_SC_NPROCESSORS_ONLN);
    CHECK_EQ_INT(sy_workers_count(), cpus > 0 ? cpus : 1);
    CHECK_EQ_INT(sy_workers_start(1), -1); /* already started */
    sy_workers_stop();
    CHECK_EQ_INT(sy_workers_start(1), 0);
    CHECK_EQ_INT(sy_workers_count(), 1);
    sy_workers_stop();
    sy_workers_stop(); /* harmless when stopped */
}

int main(void)
{
    test_tasks_and_glib();
    test_default_count_and_restart();
    return CHECK_DONE();
}
