/* A small imitation of CPython's Python/ceval_gil.c (3.12 shape): the seed of the ELF fuzz targets, built by
   fuzz/run.sh (gcc -O2 -shared, stripped) so that the GIL scanner's paths are reached from the first input. */
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>

struct gil { unsigned long interval; _Atomic int locked; unsigned long switch_number; pthread_cond_t cond;
             pthread_mutex_t mutex; pthread_cond_t switch_cond; pthread_mutex_t switch_mutex; _Atomic long last_holder; };
static struct gil g;

__attribute__((noinline, visibility("hidden"))) void drop_gil(long tstate)
{
    if (!atomic_load(&g.locked)) abort();
    pthread_mutex_lock(&g.mutex);
    atomic_store_explicit(&g.last_holder, tstate, memory_order_relaxed);
    atomic_store_explicit(&g.locked, 0, memory_order_relaxed);
    pthread_cond_signal(&g.cond);
    pthread_mutex_unlock(&g.mutex);
    if (tstate & 1) {
        pthread_mutex_lock(&g.switch_mutex);
        if (atomic_load(&g.last_holder) == tstate) pthread_cond_wait(&g.switch_cond, &g.switch_mutex);
        pthread_mutex_unlock(&g.switch_mutex);
    }
}

__attribute__((noinline, visibility("hidden"))) void take_gil(long tstate)
{
    pthread_mutex_lock(&g.mutex);
    while (atomic_load_explicit(&g.locked, memory_order_relaxed)) {
        struct timespec ts = {0, 5000000};
        unsigned long saved = g.switch_number;
        if (pthread_cond_timedwait(&g.cond, &g.mutex, &ts) && saved == g.switch_number) atomic_store(&g.last_holder, 0);
    }
    pthread_mutex_lock(&g.switch_mutex);
    atomic_store_explicit(&g.locked, 1, memory_order_relaxed);
    if (atomic_load(&g.last_holder) != tstate) { atomic_store(&g.last_holder, tstate); g.switch_number++; }
    pthread_cond_signal(&g.switch_cond);
    pthread_mutex_unlock(&g.switch_mutex);
    pthread_mutex_unlock(&g.mutex);
}

void PyEval_RestoreThread(long t) { take_gil(t); }
void PyEval_SaveThread(long t) { drop_gil(t); }
