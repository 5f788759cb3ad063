// Linked into every executable of a ThreadSanitizer build only (cmake/sanitizers.cmake).
//
// Debian's librdkafka creates its threads and locks its mutexes with C11 <threads.h>
// (thrd_create, mtx_lock, cnd_wait, ...). glibc implements those by calling its pthread
// functions internally, past the symbols GCC 12's TSan runtime intercepts: a thread made by
// thrd_create is unknown to TSan, whose runtime then crashes in that thread's first
// intercepted call (a SIGSEGV in its allocator under librdkafka's first calloc), and
// librdkafka's locking is invisible to it. These definitions take the place of glibc's for
// librdkafka (an executable's symbols come first) and call the pthread functions through
// their public symbols, which TSan intercepts: librdkafka's threads are registered, and its
// mutexes, condition variables and joins order our callbacks' accesses as they really do.
// glibc's C11 types are its pthread types (thrd_t is pthread_t; mtx_t, cnd_t and once_flag
// have the layout of pthread_mutex_t, pthread_cond_t and pthread_once_t), as in glibc itself.
#include <pthread.h>
#include <sanitizer/tsan_interface.h>

#include <cerrno>
#include <cstdint>
#include <ctime>
#include <new>

namespace {

// glibc's <threads.h> values.
constexpr int kSuccess = 0, kBusy = 1, kError = 2, kNomem = 3, kTimedout = 4;
constexpr int kMtxRecursive = 1;

int result(int pthread_error) {
  switch (pthread_error) {
    case 0: return kSuccess;
    case ENOMEM: return kNomem;
    case EBUSY: return kBusy;
    case ETIMEDOUT: return kTimedout;
    default: return kError;
  }
}

// librdkafka publishes a mutex or condition variable to its other threads through memory TSan
// does not see (its structures are written by uninstrumented code): made visible here, as
// an initialisation that happens before every later use of the object.
void published(void* object) { __tsan_release(object); }
void used(void* object) { __tsan_acquire(object); }

struct Start {
  int (*function)(void*);
  void* argument;
};

void* run(void* raw) {
  const Start start = *static_cast<Start*>(raw);
  delete static_cast<Start*>(raw);
  return reinterpret_cast<void*>(static_cast<std::intptr_t>(start.function(start.argument)));
}

}  // namespace

extern "C" {

int thrd_create(pthread_t* thread, int (*function)(void*), void* argument) {
  auto* start = new (std::nothrow) Start{function, argument};
  if (!start) return kNomem;
  const int rc = pthread_create(thread, nullptr, run, start);
  if (rc != 0) delete start;
  return result(rc);
}

int thrd_join(pthread_t thread, int* out) {
  void* value = nullptr;
  const int rc = pthread_join(thread, &value);
  if (rc == 0 && out) *out = static_cast<int>(reinterpret_cast<std::intptr_t>(value));
  return result(rc);
}

int thrd_detach(pthread_t thread) { return result(pthread_detach(thread)); }

int mtx_init(pthread_mutex_t* mutex, int type) {
  pthread_mutexattr_t attributes;
  pthread_mutexattr_init(&attributes);
  if (type & kMtxRecursive) pthread_mutexattr_settype(&attributes, PTHREAD_MUTEX_RECURSIVE);
  const int rc = pthread_mutex_init(mutex, &attributes);
  pthread_mutexattr_destroy(&attributes);
  published(mutex);
  return result(rc);
}

int mtx_lock(pthread_mutex_t* mutex) {
  used(mutex);
  return result(pthread_mutex_lock(mutex));
}
int mtx_trylock(pthread_mutex_t* mutex) {
  used(mutex);
  return result(pthread_mutex_trylock(mutex));
}
int mtx_unlock(pthread_mutex_t* mutex) { return result(pthread_mutex_unlock(mutex)); }
void mtx_destroy(pthread_mutex_t* mutex) {
  used(mutex);
  pthread_mutex_destroy(mutex);
}

int cnd_init(pthread_cond_t* cond) {
  const int rc = pthread_cond_init(cond, nullptr);
  published(cond);
  return result(rc);
}
int cnd_signal(pthread_cond_t* cond) {
  used(cond);
  return result(pthread_cond_signal(cond));
}
int cnd_broadcast(pthread_cond_t* cond) {
  used(cond);
  return result(pthread_cond_broadcast(cond));
}
int cnd_wait(pthread_cond_t* cond, pthread_mutex_t* mutex) {
  used(cond);
  used(mutex);
  return result(pthread_cond_wait(cond, mutex));
}
int cnd_timedwait(pthread_cond_t* cond, pthread_mutex_t* mutex, const timespec* until) {
  used(cond);
  used(mutex);
  return result(pthread_cond_timedwait(cond, mutex, until));
}
void cnd_destroy(pthread_cond_t* cond) {
  used(cond);
  pthread_cond_destroy(cond);
}

void call_once(pthread_once_t* flag, void (*function)()) { pthread_once(flag, function); }

}  // extern "C"
