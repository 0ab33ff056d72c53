#include "paged_list.hpp"

#include <algorithm>
#include <utility>

#include "cursor_actor/error.hpp"
#include "logger.hpp"
#include "page_overlay.hpp"

namespace cursor {

paged_list::paged_list(paged_list_port& port, cursor_table& table,
                       const cursor_options& opts)
    : port_(port), table_(table), opts_(opts) {
  // nop
}

caf::error paged_list::admit(uint32_t limit) const {
  if (limit == 0 || limit > max_limit)
    return caf::make_error(errc::invalid_list_request,
                           "the limit must be 1 to 100000, not "
                               + std::to_string(limit));
  if (running() >= max_running)
    return caf::make_error(errc::invalid_list_request,
                           "16 paged lists run already; retry later");
  return caf::none;
}

void paged_list::start(std::string after, uint32_t limit, bool writer_can_read,
                       answer_fn done) {
  limit = std::min(limit, max_page_entries);
  if (!writer_can_read) {
    start_scan(std::move(after), limit, std::move(done));
    return;
  }
  auto token = port_.new_token();
  reads_[token] = read{std::move(after), limit, std::move(done)};
  table_.hold_order();
  if (!table_.order_ready() && build_token_ == 0
      && !table_.build_order(slice_buckets())) {
    build_token_ = port_.new_token();
    port_.schedule_slice(build_token_);
  }
  if (build_token_ == 0)
    build_step();
}

void paged_list::build_step() {
  if (!table_.order_ready()) {
    if (build_token_ == 0)
      build_token_ = port_.new_token();
    port_.schedule_slice(build_token_);
    return;
  }
  build_token_ = 0;
  for (auto& [token, r] : reads_)
    if (!r.sent) {
      r.sent = true;
      port_.read_rows(token, r.after, r.limit);
    }
}

void paged_list::rows_read(uint64_t token, std::vector<cursor_entry> rows) {
  auto i = reads_.find(token);
  if (i == reads_.end())
    return;
  if (!i->second.sent)
    return; // not asked for yet: forged
  auto r = std::move(i->second);
  reads_.erase(i);
  auto page = overlay_page(table_, r.after, r.limit, std::move(rows));
  table_.release_order();
  r.done(std::move(page));
}

void paged_list::read_failed(uint64_t token, const caf::error& err) {
  auto i = reads_.find(token);
  if (i == reads_.end())
    return;
  if (!i->second.sent)
    return;
  auto r = std::move(i->second);
  reads_.erase(i);
  table_.release_order();
  log()->warn("list: the writer could not read the page after '{}' ({}); "
              "scanning memory instead",
              r.after, render(err));
  start_scan(std::move(r.after), r.limit, std::move(r.done));
}

size_t paged_list::slice_buckets() const {
  return std::max<size_t>(opts_.list_slice_buckets, 1);
}

cursor_page paged_list::finish(page_scan& pages) {
  cursor_page page;
  page.entries = pages.finish(table_, page.more);
  page.next = pages.next();
  return page;
}

void paged_list::start_scan(std::string after, uint32_t limit, answer_fn done) {
  page_scan pages{std::move(after), limit};
  if (pages.step(table_, slice_buckets())) {
    done(finish(pages));
    return;
  }
  auto token = port_.new_token();
  scans_.emplace(token, scan{std::move(pages), std::move(done)});
  port_.schedule_slice(token);
}

void paged_list::slice(uint64_t token) {
  if (token != 0 && token == build_token_) {
    table_.build_order(slice_buckets());
    build_step();
    return;
  }
  auto i = scans_.find(token);
  if (i == scans_.end())
    return; // a stray or stale token
  if (!i->second.pages.step(table_, slice_buckets())) {
    port_.schedule_slice(token);
    return;
  }
  auto done = std::move(i->second.done);
  auto page = finish(i->second.pages);
  scans_.erase(i);
  done(std::move(page));
}

void paged_list::fail_all(const caf::error& err) {
  auto reads = std::move(reads_);
  reads_.clear();
  for (size_t k = 0; k < reads.size(); ++k)
    table_.release_order();
  build_token_ = 0;
  auto scans = std::move(scans_);
  scans_.clear();
  for (auto& kv : reads)
    kv.second.done(err);
  for (auto& kv : scans)
    kv.second.done(err);
}

} // namespace cursor
