/*
 * Media workers: N threads, each with its own libuv loop that also drives its own GLib
 * main context (for libnice). The main loop talks to a worker only through
 * sy_worker_post(), a mutex-protected queue drained by a uv_async on the worker.
 */
#ifndef SY_WORKERS_H
#define SY_WORKERS_H

#include <glib.h>
#include <uv.h>

typedef struct sy_worker sy_worker;
typedef void (*sy_worker_fn)(sy_worker *worker, void *arg);

/* Starts n workers (n <= 0: one per core). Returns 0 or -1. Main thread. */
int sy_workers_start(int n);
/* Stops every worker: each finishes queued tasks, closes its handles and its GLib
 * context, and its thread is joined. Main thread. */
void sy_workers_stop(void);
int sy_workers_count(void);
/* Waits until every worker has run what was posted to it before this call. Main thread
 * (used at shutdown, before plugins are unloaded). */
void sy_workers_flush(void);
sy_worker *sy_worker_get(int index);
/* The worker with the fewest assigned objects (the caller assigns with _assign). */
sy_worker *sy_worker_least_loaded(void);
void sy_worker_assign(sy_worker *worker, int delta);
int sy_worker_index(const sy_worker *worker);

/* Runs fn(worker, arg) on the worker's thread, in order of posting. Any thread.
 * Returns 0, or -1 if the worker is stopping (fn is not called). */
int sy_worker_post(sy_worker *worker, sy_worker_fn fn, void *arg);

/* On a worker thread: its loop and its GLib context (owned, acquired, pushed as the
 * thread default). */
uv_loop_t *sy_worker_loop(sy_worker *worker);
GMainContext *sy_worker_glib_context(sy_worker *worker);
/* On the worker thread: fn(arg) runs on that thread when the worker begins to stop,
 * before its remaining handles are closed (one hook per worker: the shared media
 * sockets of ice_lite.c). */
void sy_worker_at_stop(sy_worker *worker, void (*fn)(void *arg), void *arg);

/* On the worker thread: stops watching every fd of the worker's GLib context now; the
 * next loop iteration watches again the fds GLib still lists. Call it right before
 * anything that closes fds the context polls (nice_agent_remove_stream, an agent's
 * last unref): an fd must not be closed while a uv_poll watches it, and a number
 * reused between two loop iterations would otherwise go unwatched. Safe inside a
 * GLib callback. */
void sy_worker_glib_forget_fds(sy_worker *worker);

#endif
