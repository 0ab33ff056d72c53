#pragma once

// The getter: sequential get round trips, optionally while a flush is in
// flight, while another process holds the database lock, or while a client
// walks every cursor with `list` (paged, or the one-message list).

#include <memory>
#include <string>
#include <type_traits>
#include <vector>

#include "common.hpp"

namespace bench {

enum class get_mode { plain, during_flush, during_lock, during_list };

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
  // during_list: entries per page, 0 for the one-message `list`.
  uint32_t page_size = 0;
  size_t pages = 0;            // during_list: pages received
  size_t listed = 0;           // during_list: entries received
  double list_seconds = 0;     // during_list: the whole walk
  std::vector<double> page_ms; // during_list: each page's round trip
};

struct getter_state {
  size_t i = 0;
  // The request that runs beside the gets (a flush, or the list walk).
  bool side_pending = false;
  bool side_done = false;
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
  if (st.side_pending)
    return; // answered when the flush reply arrives
  st.rp.deliver(cursor::ok_atom_v);
  self->quit();
}

template <class Handle>
void request_flush(getter_pointer self, const Handle& target,
                   const std::shared_ptr<getter_job>& job) {
  if constexpr (std::is_same_v<Handle, cursor::cursor_actor>) {
    auto& st = self->state;
    st.side_pending = true;
    auto t0 = clock_type::now();
    self->request(target, caf::infinite, cursor::flush_atom_v)
        .then(
            [self, target, job, t0](uint64_t) {
              auto& st = self->state;
              st.side_pending = false;
              st.side_done = true;
              job->flushes_ok += 1;
              job->flush_seconds = seconds_since(t0);
              if (st.stopping)
                finish_getter<Handle>(self, job);
            },
            [self, target, job](caf::error&) {
              auto& st = self->state;
              st.side_pending = false;
              job->flushes_failed += 1;
              if (st.stopping)
                finish_getter<Handle>(self, job);
              else if (job->mode == get_mode::during_lock)
                request_flush(self, target, job); // keep the store retrying
            });
  }
}

// Walks every cursor: one `list` message (page_size 0), or pages of
// page_size entries, each asked for when the previous one arrived, as
// cursorctl does. The walker is an actor of its own, like a second client:
// the pages it receives (and frees) must not delay the getter's replies.
// Its gets interleave with the pages in the store's mailbox.
struct walker_state {
  caf::response_promise rp;
  clock_type::time_point t0;
  static inline const char* name = "bench_list_walker";
};

inline void next_page(caf::stateful_actor<walker_state>* self,
                      const cursor::cursor_actor& target,
                      const std::shared_ptr<getter_job>& job,
                      std::string after) {
  auto t0 = clock_type::now();
  auto failed = [](caf::error& err) {
    die("list during the get benchmark failed: " + caf::to_string(err));
  };
  auto done = [self, job] {
    job->list_seconds = seconds_since(self->state.t0);
    self->state.rp.deliver(cursor::ok_atom_v);
    self->quit();
  };
  if (job->page_size == 0) {
    self->request(target, caf::infinite, cursor::list_atom_v)
        .then(
            [job, t0, done](const std::vector<cursor::cursor_entry>& xs) {
              job->pages += 1;
              job->listed += xs.size();
              job->page_ms.push_back(seconds_since(t0) * 1e3);
              done();
            },
            failed);
    return;
  }
  self->request(target, caf::infinite, cursor::list_atom_v, std::move(after),
                job->page_size)
      .then(
          [self, target, job, t0, done](cursor::cursor_page& p) {
            job->pages += 1;
            job->listed += p.entries.size();
            job->page_ms.push_back(seconds_since(t0) * 1e3);
            if (p.more)
              next_page(self, target, job, std::move(p.next));
            else
              done();
          },
          failed);
}

inline caf::behavior list_walker(caf::stateful_actor<walker_state>* self,
                                 cursor::cursor_actor target,
                                 std::shared_ptr<getter_job> job) {
  return {
      [self, target, job](run_atom) {
        self->state.rp = self->make_response_promise();
        self->state.t0 = clock_type::now();
        next_page(self, target, job, std::string{});
        return self->state.rp;
      },
  };
}

template <class Handle>
void request_list(getter_pointer self, const Handle& target,
                  const std::shared_ptr<getter_job>& job) {
  if constexpr (std::is_same_v<Handle, cursor::cursor_actor>) {
    self->state.side_pending = true;
    auto walker = self->spawn(list_walker, target, job);
    self->request(walker, caf::infinite, run_atom_v)
        .then(
            [self, job](cursor::ok_atom) {
              auto& st = self->state;
              st.side_pending = false;
              st.side_done = true;
              if (st.stopping)
                finish_getter<Handle>(self, job);
            },
            [](caf::error& err) {
              die("the list walker failed: " + caf::to_string(err));
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
    case get_mode::during_list:
      stop = st.side_done;
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
        if (job->mode == get_mode::during_list)
          request_list(self, target, job);
        else if (job->mode != get_mode::plain)
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
