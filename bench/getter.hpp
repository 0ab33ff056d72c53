#pragma once

// The getter: sequential get round trips, optionally while a flush is in
// flight or while another process holds the database lock.

#include <memory>
#include <string>
#include <type_traits>
#include <vector>

#include "common.hpp"

namespace bench {

enum class get_mode { plain, during_flush, during_lock };

struct getter_job {
  std::vector<std::string> keys;
  get_mode mode = get_mode::plain;
  size_t count = 0;    // plain: number of gets (0: use duration)
  double duration = 0; // plain (count 0), during_lock: seconds
  std::vector<double> samples_us;
  size_t errors = 0;
  size_t flushes_ok = 0;
  size_t flushes_failed = 0;
  double flush_seconds = 0; // during_flush: the flush's duration
};

struct getter_state {
  size_t i = 0;
  bool flush_pending = false;
  bool flush_done = false;
  bool stopping = false;
  clock_type::time_point t0;
  clock_type::time_point deadline;
  caf::response_promise rp;
  static inline const char* name = "bench_getter";
};

using getter_pointer = caf::stateful_actor<getter_state>*;

template <class Handle>
void next_get(getter_pointer self, const Handle& target,
              const std::shared_ptr<getter_job>& job);

template <class Handle>
void finish_getter(getter_pointer self, const std::shared_ptr<getter_job>&) {
  auto& st = self->state;
  st.stopping = true;
  if (st.flush_pending)
    return; // answered when the flush reply arrives
  st.rp.deliver(cursor::ok_atom_v);
  self->quit();
}

template <class Handle>
void request_flush(getter_pointer self, const Handle& target,
                   const std::shared_ptr<getter_job>& job) {
  if constexpr (std::is_same_v<Handle, cursor::cursor_actor>) {
    auto& st = self->state;
    st.flush_pending = true;
    auto t0 = clock_type::now();
    self->request(target, caf::infinite, cursor::flush_atom_v)
        .then(
            [self, target, job, t0](uint64_t) {
              auto& st = self->state;
              st.flush_pending = false;
              st.flush_done = true;
              job->flushes_ok += 1;
              job->flush_seconds = seconds_since(t0);
              if (st.stopping)
                finish_getter<Handle>(self, job);
            },
            [self, target, job](caf::error&) {
              auto& st = self->state;
              st.flush_pending = false;
              job->flushes_failed += 1;
              if (st.stopping)
                finish_getter<Handle>(self, job);
              else if (job->mode == get_mode::during_lock)
                request_flush(self, target, job); // keep the store retrying
            });
  }
}

template <class Handle>
void next_get(getter_pointer self, const Handle& target,
              const std::shared_ptr<getter_job>& job) {
  auto& st = self->state;
  bool stop = false;
  switch (job->mode) {
    case get_mode::plain:
      stop = job->count > 0 ? st.i >= job->count
                            : clock_type::now() >= st.deadline;
      break;
    case get_mode::during_flush:
      stop = st.flush_done;
      break;
    case get_mode::during_lock:
      stop = clock_type::now() >= st.deadline;
      break;
  }
  if (stop) {
    finish_getter<Handle>(self, job);
    return;
  }
  auto& key = job->keys[st.i % job->keys.size()];
  st.i += 1;
  auto t0 = clock_type::now();
  self->request(target, caf::infinite, cursor::get_atom_v, key)
      .then(
          [self, target, job, t0](const cursor::cursor_lookup&) {
            job->samples_us.push_back(seconds_since(t0) * 1e6);
            next_get(self, target, job);
          },
          [self, target, job](caf::error&) {
            job->errors += 1;
            next_get(self, target, job);
          });
}

template <class Handle>
caf::behavior getter(getter_pointer self, Handle target,
                     std::shared_ptr<getter_job> job) {
  return {
      [self, target, job](run_atom) {
        auto& st = self->state;
        st.rp = self->make_response_promise();
        st.t0 = clock_type::now();
        st.deadline = st.t0
                      + std::chrono::duration_cast<clock_type::duration>(
                          std::chrono::duration<double>(job->duration));
        job->samples_us.reserve(job->count > 0 ? job->count : 100000);
        if (job->mode != get_mode::plain)
          request_flush(self, target, job);
        next_get(self, target, job);
        return st.rp;
      },
  };
}

template <class Handle>
void run_getter(caf::actor_system& sys, const Handle& target,
                const std::shared_ptr<getter_job>& job) {
  auto g = sys.spawn(getter<Handle>, target, job);
  caf::scoped_actor self{sys};
  self->request(g, caf::infinite, run_atom_v)
      .receive([](cursor::ok_atom) {},
               [&](caf::error& err) {
                 die("getter failed: " + caf::to_string(err));
               });
}

} // namespace bench
